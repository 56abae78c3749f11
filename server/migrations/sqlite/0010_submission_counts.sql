-- The number of each call's submissions, kept by triggers in the same
-- statement as every INSERT and DELETE of a submission (an idempotent replay
-- inserts nothing, so it is not counted), so the publication's version is
-- read from one row instead of counting the call's submissions on every
-- public request.
CREATE TABLE submission_counts (
    call_id TEXT PRIMARY KEY,
    submissions INTEGER NOT NULL
) WITHOUT ROWID;

INSERT INTO submission_counts (call_id, submissions)
SELECT call_id, count(*) FROM submissions GROUP BY call_id;

CREATE TRIGGER count_submission AFTER INSERT ON submissions
BEGIN
    INSERT INTO submission_counts (call_id, submissions) VALUES (NEW.call_id, 1)
    ON CONFLICT (call_id) DO UPDATE SET submissions = submissions + 1;
END;

CREATE TRIGGER uncount_submission AFTER DELETE ON submissions
BEGIN
    UPDATE submission_counts SET submissions = submissions - 1
    WHERE call_id = OLD.call_id;
END;
