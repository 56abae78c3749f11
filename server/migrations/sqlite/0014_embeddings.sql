-- Each idea's meaning, as the sentence-embedding model reads it: one vector
-- per idea of a submission (384 little-endian f32s), computed once in the
-- background after the submission commits and kept for the analyses
-- (similar ideas, groups, suggested codes). model names what made it, so a
-- vector of another model is never compared with this one's. Deleted with
-- its submission (erasure); the ideas never change after they arrive
-- (redaction is applied when they are shown), so neither does a vector.
CREATE TABLE idea_embeddings (
    submission_id INTEGER NOT NULL REFERENCES submissions (id) ON DELETE CASCADE,
    idea INTEGER NOT NULL,
    model TEXT NOT NULL,
    vector BLOB NOT NULL,
    PRIMARY KEY (submission_id, idea)
);

-- The submissions whose ideas are still to be embedded: written by the
-- trigger below in the very transaction that stores the submission, so
-- none is missed, whichever path stored it; taken by one worker at a time
-- under a lease (a lease that runs out, because the worker stopped, frees
-- it); removed with the vectors, or when the submission is erased.
CREATE TABLE embedding_queue (
    submission_id INTEGER PRIMARY KEY REFERENCES submissions (id) ON DELETE CASCADE,
    queued_at TEXT NOT NULL,
    lease_until TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT
);
CREATE INDEX embedding_queue_due ON embedding_queue (lease_until, submission_id);

-- Spam caught by the honeypot is never analysed, so never embedded.
CREATE TRIGGER submissions_queue_embedding AFTER INSERT ON submissions
WHEN NEW.spam = 0
BEGIN
    INSERT INTO embedding_queue (submission_id, queued_at) VALUES (NEW.id, NEW.submitted_at);
END;

-- What was stored before this version is embedded too.
INSERT INTO embedding_queue (submission_id, queued_at)
SELECT id, submitted_at FROM submissions WHERE spam = 0;
