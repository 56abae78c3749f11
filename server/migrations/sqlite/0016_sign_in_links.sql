-- Sign-in links by email, for teams without an identity provider.
--
-- A link is kept by the SHA-256 of its token, with its account, when it
-- ends (15 minutes after it was asked for) and when it was used: it signs
-- in once. The email goes through the outbox as kind 'sign-in', addressed
-- to the account, with the token in `secret` only until the message is
-- sent or given up (then NULL): a copy of the database holds at most the
-- tokens of links whose email has not left yet, each good for minutes.
CREATE TABLE sign_in_links (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    token_hash TEXT NOT NULL UNIQUE,
    account_id INTEGER NOT NULL REFERENCES staff_accounts (id),
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_at TEXT
);
CREATE INDEX sign_in_links_account ON sign_in_links (account_id, created_at);

-- The outbox takes the new kind and the secret: SQLite changes a CHECK
-- only by making the table again, rows kept.
CREATE TABLE outbox_new (
    id INTEGER PRIMARY KEY,
    submission_id INTEGER REFERENCES submissions (id) ON DELETE SET NULL,
    reference TEXT NOT NULL,
    call_id TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('alert', 'resend', 'acknowledgement', 'sign-in')),
    recipient_name TEXT,
    recipient TEXT,
    state TEXT NOT NULL DEFAULT 'queued'
        CHECK (state IN ('queued', 'sent', 'failed', 'cancelled')),
    not_before TEXT NOT NULL,
    lease_until TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    created_at TEXT NOT NULL,
    sent_at TEXT,
    secret TEXT
);
INSERT INTO outbox_new (id, submission_id, reference, call_id, kind, recipient_name,
    recipient, state, not_before, lease_until, attempts, last_error, created_at, sent_at)
SELECT id, submission_id, reference, call_id, kind, recipient_name, recipient, state,
    not_before, lease_until, attempts, last_error, created_at, sent_at FROM outbox;
DROP TABLE outbox;
ALTER TABLE outbox_new RENAME TO outbox;
CREATE INDEX outbox_due ON outbox (not_before, id) WHERE state = 'queued';
CREATE INDEX outbox_by_submission ON outbox (submission_id);
