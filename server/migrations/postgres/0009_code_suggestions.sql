-- Suggested codes are computed when asked (from the codes of the most
-- similar coded ideas) and never stored or applied; what is kept is a
-- person's rejection, so the same code is not suggested again for that
-- idea (idea is 0-based). Accepting applies the code as any coding does,
-- with its trail row. Deleted with the submission when it is erased.
CREATE TABLE rejected_suggestions (
    submission_id BIGINT NOT NULL REFERENCES submissions (id) ON DELETE CASCADE,
    idea BIGINT NOT NULL,
    code_id BIGINT NOT NULL REFERENCES codes (id),
    staff TEXT NOT NULL,
    at TEXT NOT NULL,
    PRIMARY KEY (submission_id, idea, code_id)
);
