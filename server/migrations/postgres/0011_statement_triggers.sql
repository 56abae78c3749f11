-- Submissions arrive in batches of many rows per INSERT (the group commit),
-- so the two triggers on them run once per statement over the rows it
-- inserted or deleted (transition tables) instead of once per row: the
-- erased-key check is one join, and each call's count moves by one upsert
-- per statement. What they guarantee is unchanged (see 0005 and 0010):
-- AFTER triggers fire when the statement has its rows, after any wait on
-- a conflicting key, and their queries take a fresh snapshot.

DROP TRIGGER refuse_erased_submission ON submissions;
DROP FUNCTION refuse_erased_submission();

CREATE FUNCTION refuse_erased_submissions() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (
        SELECT 1 FROM inserted AS n JOIN erased_submission_keys AS e
        ON e.key_hash = encode(
            sha256(convert_to(n.call_id || E'\n' || n.idempotency_key, 'UTF8')), 'hex')
    ) THEN
        RAISE EXCEPTION 'the submission with this key was erased' USING ERRCODE = 'CFI01';
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER refuse_erased_submissions
AFTER INSERT ON submissions
REFERENCING NEW TABLE AS inserted
FOR EACH STATEMENT EXECUTE FUNCTION refuse_erased_submissions();

DROP TRIGGER count_submission ON submissions;
DROP FUNCTION count_submission();

CREATE FUNCTION count_inserted_submissions() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO submission_counts (call_id, slot, submissions)
    SELECT call_id, pg_backend_pid() % 16, count(*) FROM inserted GROUP BY call_id
    ON CONFLICT (call_id, slot)
    DO UPDATE SET submissions = submission_counts.submissions + excluded.submissions;
    RETURN NULL;
END;
$$;

CREATE FUNCTION count_deleted_submissions() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO submission_counts (call_id, slot, submissions)
    SELECT call_id, pg_backend_pid() % 16, -count(*) FROM deleted GROUP BY call_id
    ON CONFLICT (call_id, slot)
    DO UPDATE SET submissions = submission_counts.submissions + excluded.submissions;
    RETURN NULL;
END;
$$;

CREATE TRIGGER count_inserted_submissions
AFTER INSERT ON submissions
REFERENCING NEW TABLE AS inserted
FOR EACH STATEMENT EXECUTE FUNCTION count_inserted_submissions();

CREATE TRIGGER count_deleted_submissions
AFTER DELETE ON submissions
REFERENCING OLD TABLE AS deleted
FOR EACH STATEMENT EXECUTE FUNCTION count_deleted_submissions();
