-- Idempotency keys of erased submissions, so that a retry of one (the widget
-- keeps a draft and its key until it gets an answer) is refused instead of
-- storing it again. Only the SHA-256 of the call id and the key is kept:
-- nothing personal, and nothing that leads back to the submission. Written
-- in the same transaction as the erasure, and by the retention command for
-- the submissions it removes personal data from.
CREATE TABLE erased_submission_keys (
    key_hash TEXT PRIMARY KEY
) WITHOUT ROWID;

-- A counter per call, raised in the same transaction as every staff change
-- that alters what is published (moderation, the publication switch,
-- erasure, retention). With the number of the call's submissions (which
-- only grows between two such changes) it names the publication's state,
-- so the published output is cached per state and a change made through any
-- process is seen by the next request.
CREATE TABLE publication_versions (
    call_id TEXT PRIMARY KEY,
    version INTEGER NOT NULL
);
