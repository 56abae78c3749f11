-- The codebook: codes per call, applied to ideas (a submission and an idea
-- number), each change a row of an audit trail with who and when; and "read"
-- marks so staff can share out the reading.

-- A code of one call. Renames and new descriptions update the row; the audit
-- log (audit_log) keeps who changed what and when.
CREATE TABLE codes (
    id BIGSERIAL PRIMARY KEY,
    call_id TEXT NOT NULL,
    name TEXT NOT NULL,
    description TEXT NOT NULL,
    parent_id BIGINT REFERENCES codes (id),
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (call_id, name)
);

-- The codes now applied to each idea (idea is 0-based), kept in the same
-- transaction as the audit row that changed them. Deleted with the
-- submission when it is erased.
CREATE TABLE codings (
    submission_id BIGINT NOT NULL REFERENCES submissions (id) ON DELETE CASCADE,
    idea BIGINT NOT NULL,
    code_id BIGINT NOT NULL REFERENCES codes (id),
    applied_by TEXT NOT NULL,
    applied_at TEXT NOT NULL,
    PRIMARY KEY (submission_id, idea, code_id)
);
CREATE INDEX codings_by_code ON codings (code_id);

-- Every apply and remove, never updated: an undo is a new row naming the row
-- it undoes. Deleted with the submission when it is erased.
CREATE TABLE coding_actions (
    id BIGSERIAL PRIMARY KEY,
    submission_id BIGINT NOT NULL REFERENCES submissions (id) ON DELETE CASCADE,
    call_id TEXT NOT NULL,
    idea BIGINT NOT NULL,
    code_id BIGINT NOT NULL REFERENCES codes (id),
    action TEXT NOT NULL CHECK (action IN ('apply', 'remove', 'undo')),
    undoes BIGINT REFERENCES coding_actions (id) ON DELETE CASCADE,
    staff TEXT NOT NULL,
    at TEXT NOT NULL
);
CREATE INDEX coding_actions_by_submission ON coding_actions (submission_id, id);

-- Who read an idea, and when (one mark per idea; marking again replaces it).
CREATE TABLE idea_reads (
    submission_id BIGINT NOT NULL REFERENCES submissions (id) ON DELETE CASCADE,
    idea BIGINT NOT NULL,
    staff TEXT NOT NULL,
    at TEXT NOT NULL,
    PRIMARY KEY (submission_id, idea)
);

-- The public summary of counts by code is off for a call until staff switch
-- it on.
CREATE TABLE code_summary_publication (
    call_id TEXT PRIMARY KEY,
    published BOOLEAN NOT NULL,
    changed_by TEXT NOT NULL,
    changed_at TEXT NOT NULL
);
