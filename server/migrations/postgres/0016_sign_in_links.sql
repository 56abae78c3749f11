-- Sign-in links by email, for teams without an identity provider.
--
-- A link is kept by the SHA-256 of its token, with its account, when it
-- ends (15 minutes after it was asked for) and when it was used: it signs
-- in once. The email goes through the outbox as kind 'sign-in', addressed
-- to the account, with the token in `secret` only until the message is
-- sent or given up (then NULL): a copy of the database holds at most the
-- tokens of links whose email has not left yet, each good for minutes.
CREATE TABLE sign_in_links (
    id BIGSERIAL PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    account_id BIGINT NOT NULL REFERENCES staff_accounts (id),
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_at TEXT
);
CREATE INDEX sign_in_links_account ON sign_in_links (account_id, created_at);

ALTER TABLE outbox DROP CONSTRAINT outbox_kind_check;
ALTER TABLE outbox ADD CONSTRAINT outbox_kind_check
    CHECK (kind IN ('alert', 'resend', 'acknowledgement', 'sign-in'));
ALTER TABLE outbox ADD COLUMN secret TEXT;
