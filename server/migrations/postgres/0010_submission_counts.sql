-- The number of each call's submissions, kept by a trigger in the same
-- statement as every INSERT and DELETE of a submission (an idempotent replay
-- inserts nothing, so it is not counted), so the publication's version is
-- read from a few rows instead of counting the call's submissions on every
-- public request.
--
-- A call's count is spread over up to 16 rows (a slot per server
-- connection: its backend's process id modulo 16) and read as their sum.
-- One row would be locked by each submission until its commit, and
-- concurrent submissions would then wait for each other's flush instead of
-- sharing it.
CREATE TABLE submission_counts (
    call_id TEXT NOT NULL,
    slot INTEGER NOT NULL,
    submissions BIGINT NOT NULL,
    PRIMARY KEY (call_id, slot)
);

-- No submission may be added or removed between the count and the trigger.
LOCK TABLE submissions IN SHARE ROW EXCLUSIVE MODE;

INSERT INTO submission_counts (call_id, slot, submissions)
SELECT call_id, 0, count(*) FROM submissions GROUP BY call_id;

CREATE FUNCTION count_submission() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO submission_counts (call_id, slot, submissions)
        VALUES (NEW.call_id, pg_backend_pid() % 16, 1)
        ON CONFLICT (call_id, slot)
        DO UPDATE SET submissions = submission_counts.submissions + 1;
    ELSE
        INSERT INTO submission_counts (call_id, slot, submissions)
        VALUES (OLD.call_id, pg_backend_pid() % 16, -1)
        ON CONFLICT (call_id, slot)
        DO UPDATE SET submissions = submission_counts.submissions - 1;
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER count_submission
AFTER INSERT OR DELETE ON submissions
FOR EACH ROW EXECUTE FUNCTION count_submission();
