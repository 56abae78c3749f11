-- The outbox: every email the server owes someone, written in the same
-- transaction as the submission it is about, then sent by the outbox worker.
-- A row never holds what the person wrote: the worker renders the message
-- from the submission when it sends it. An acknowledgement has no recipient
-- here (NULL): it goes to the submission's own email address, so erasure
-- and retention, which remove that address, leave none behind.
--
-- kind: 'alert' (the first safeguarding contact), 'resend' (a later contact,
-- sent only if the flag is still open at not_before), 'acknowledgement'.
-- state: 'queued' until the mail server accepts it ('sent'), or it is given
-- up ('failed'), or a resend is not needed because the flag was handled
-- ('cancelled'). lease_until is set while one worker is sending it, so no
-- other worker takes it; a lease that runs out (the worker died) frees it.
-- submission_id is cleared when the submission is erased: sent alerts stay
-- as the record that the contacts were told (they hold the reference only).
CREATE TABLE outbox (
    id INTEGER PRIMARY KEY,
    submission_id INTEGER REFERENCES submissions (id) ON DELETE SET NULL,
    reference TEXT NOT NULL,
    call_id TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('alert', 'resend', 'acknowledgement')),
    recipient_name TEXT,
    recipient TEXT,
    state TEXT NOT NULL DEFAULT 'queued'
        CHECK (state IN ('queued', 'sent', 'failed', 'cancelled')),
    not_before TEXT NOT NULL,
    lease_until TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    created_at TEXT NOT NULL,
    sent_at TEXT
);

-- What the worker looks for: queued messages that are due.
CREATE INDEX outbox_due ON outbox (not_before, id) WHERE state = 'queued';
CREATE INDEX outbox_by_submission ON outbox (submission_id);
