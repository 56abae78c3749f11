-- The review team's workspace: safeguarding flags, moderation with its audit
-- trail, the publication switch per call, erasure and retention records, and
-- full-text search over idea titles and descriptions.

-- A flag is set on arrival, in the same INSERT as the submission: the first
-- configured phrase found and the passage around it. flag_open is 1 while the
-- flag is not handled (flagged submissions are listed first and never
-- published while open).
ALTER TABLE submissions ADD COLUMN flag_phrase TEXT;
ALTER TABLE submissions ADD COLUMN flag_passage TEXT;
ALTER TABLE submissions ADD COLUMN flag_open INTEGER NOT NULL DEFAULT 0;
-- Set when the retention command removed the respondent's personal data.
ALTER TABLE submissions ADD COLUMN personal_data_removed_at TEXT;

CREATE INDEX submissions_flag_first ON submissions (flag_open DESC, id DESC);
CREATE INDEX submissions_by_partner ON submissions (partner_id, submitted_at);

-- Every moderation action, never updated: an undo is a new row naming the
-- action it undoes. The current state is the fold of the rows not undone.
-- Deleted with the submission when it is erased (reasons and notes may hold
-- personal data).
CREATE TABLE moderation_actions (
    id INTEGER PRIMARY KEY,
    submission_id INTEGER NOT NULL REFERENCES submissions (id) ON DELETE CASCADE,
    call_id TEXT NOT NULL,
    action TEXT NOT NULL CHECK (action IN
        ('withhold', 'withhold_idea', 'redact', 'spam', 'handle_flag', 'undo')),
    idea INTEGER,
    field TEXT CHECK (field IS NULL OR field IN ('title', 'description')),
    -- Redactions: a JSON array of [start, end) character offsets.
    spans TEXT,
    undoes INTEGER REFERENCES moderation_actions (id) ON DELETE CASCADE,
    reason TEXT NOT NULL,
    staff TEXT NOT NULL,
    at TEXT NOT NULL
);

CREATE INDEX moderation_by_submission ON moderation_actions (submission_id, id);
CREATE INDEX moderation_by_call ON moderation_actions (call_id, id);

-- Publication is off for a call until staff switch it on.
CREATE TABLE call_publication (
    call_id TEXT PRIMARY KEY,
    published INTEGER NOT NULL,
    changed_by TEXT NOT NULL,
    changed_at TEXT NOT NULL
);

-- Events not tied to a stored submission: publication switched, a submission
-- erased (its reference only), retention run. Never holds personal data.
CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    staff TEXT NOT NULL,
    action TEXT NOT NULL,
    call_id TEXT,
    reference TEXT,
    detail TEXT NOT NULL
);

-- Full-text search over every idea's title and description, kept by
-- triggers. The porter stemmer matches "mentors" to "mentor".
CREATE VIRTUAL TABLE submissions_fts USING fts5 (
    body,
    tokenize = 'porter unicode61 remove_diacritics 2'
);

CREATE TRIGGER submissions_fts_insert AFTER INSERT ON submissions BEGIN
    INSERT INTO submissions_fts (rowid, body)
    SELECT new.id, group_concat(
        coalesce(json_extract(value, '$.title'), '') || ' ' ||
        coalesce(json_extract(value, '$.description'), ''), ' ')
    FROM json_each(new.ideas);
END;

CREATE TRIGGER submissions_fts_delete AFTER DELETE ON submissions BEGIN
    DELETE FROM submissions_fts WHERE rowid = old.id;
END;

CREATE TRIGGER submissions_fts_update AFTER UPDATE OF ideas ON submissions BEGIN
    DELETE FROM submissions_fts WHERE rowid = old.id;
    INSERT INTO submissions_fts (rowid, body)
    SELECT new.id, group_concat(
        coalesce(json_extract(value, '$.title'), '') || ' ' ||
        coalesce(json_extract(value, '$.description'), ''), ' ')
    FROM json_each(new.ideas);
END;

INSERT INTO submissions_fts (rowid, body)
SELECT s.id, group_concat(
    coalesce(json_extract(j.value, '$.title'), '') || ' ' ||
    coalesce(json_extract(j.value, '$.description'), ''), ' ')
FROM submissions AS s, json_each(s.ideas) AS j
GROUP BY s.id;
