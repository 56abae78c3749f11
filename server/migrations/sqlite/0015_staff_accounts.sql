-- Staff are people: accounts with roles, tokens for programs with a role
-- and an expiry, and the record of who read whose personal data.
--
-- A session now belongs to a configured token ('staff', 'partner') or to an
-- account ('account', its id in name). The table is made again to allow the
-- new kind: everyone signed in signs in again once after this upgrade.
DROP TABLE staff_sessions;
CREATE TABLE staff_sessions (
    id_hash TEXT PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('staff', 'partner', 'account')),
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    last_seen_at TEXT NOT NULL
);
CREATE INDEX staff_sessions_last_seen ON staff_sessions (last_seen_at);

-- A person who works on the review (or for a partner). email is lower case
-- and unique; roles a space-separated list of role names (see auth::roles);
-- partner_id only for the partner role. An account is never deleted, only
-- deactivated, so the audit log's names keep meaning someone.
CREATE TABLE staff_accounts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    email TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    roles TEXT NOT NULL,
    partner_id TEXT,
    active BOOLEAN NOT NULL DEFAULT TRUE,
    created_at TEXT NOT NULL,
    changed_at TEXT NOT NULL,
    changed_by TEXT NOT NULL
);

-- A token a person made for a program (an export, the metrics scrape):
-- only its SHA-256 is kept; it carries one role and ends at expires_at or
-- when revoked.
CREATE TABLE program_tokens (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    role TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    revoked_at TEXT,
    revoked_by TEXT
);

-- Every view of a submission's personal data and every export holding
-- personal data: who (the staff member's name), when, what ('submission'
-- or 'export'), and which reference or call. Nothing a respondent wrote.
CREATE TABLE access_record (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    staff TEXT NOT NULL,
    what TEXT NOT NULL CHECK (what IN ('submission', 'export')),
    call_id TEXT,
    reference TEXT,
    via TEXT NOT NULL
);
CREATE INDEX access_record_at ON access_record (at);
CREATE INDEX access_record_reference ON access_record (reference);
