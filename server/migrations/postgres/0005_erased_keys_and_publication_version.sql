-- Idempotency keys of erased submissions, so that a retry of one (the widget
-- keeps a draft and its key until it gets an answer) is refused instead of
-- storing it again. Only the SHA-256 of the call id and the key is kept:
-- nothing personal, and nothing that leads back to the submission. Written
-- in the same transaction as the erasure, and by the retention command for
-- the submissions it removes personal data from.
CREATE TABLE erased_submission_keys (
    key_hash TEXT PRIMARY KEY
);

-- A counter per call, raised in the same transaction as every staff change
-- that alters what is published (moderation, the publication switch,
-- erasure, retention). With the number of the call's submissions (which
-- only grows between two such changes) it names the publication's state,
-- so the published output is cached per state and a change made through any
-- process is seen by the next request.
CREATE TABLE publication_versions (
    call_id TEXT PRIMARY KEY,
    version BIGINT NOT NULL
);

-- A submission whose key is one of an erased submission is refused by the
-- database itself, with the error code CFI01 (the server answers 410). An
-- AFTER trigger runs once the INSERT has its row, after any wait on a
-- conflicting key, and its query takes a fresh snapshot (read committed):
-- so an erasure that commits while a retry of the same submission waits is
-- still seen, and the submission is stored in one statement all the same.
-- The hash is the one the server keeps: SHA-256 of the call id, a line
-- break and the key, in hex.
CREATE FUNCTION refuse_erased_submission() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (
        SELECT 1 FROM erased_submission_keys
        WHERE key_hash = encode(
            sha256(convert_to(NEW.call_id || E'\n' || NEW.idempotency_key, 'UTF8')), 'hex')
    ) THEN
        RAISE EXCEPTION 'the submission with this key was erased' USING ERRCODE = 'CFI01';
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER refuse_erased_submission
AFTER INSERT ON submissions
FOR EACH ROW EXECUTE FUNCTION refuse_erased_submission();
