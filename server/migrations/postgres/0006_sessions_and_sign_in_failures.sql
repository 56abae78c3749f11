-- Signed-in browser sessions, kept in the database so a restart and every
-- replica keep them. Only the SHA-256 of the session id is stored, so a
-- copy of the database signs no one in. Times are UTC text that sorts.
CREATE TABLE staff_sessions (
    id_hash TEXT PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('staff', 'partner')),
    name TEXT NOT NULL,
    created_at TEXT NOT NULL,
    last_seen_at TEXT NOT NULL
);
CREATE INDEX staff_sessions_last_seen ON staff_sessions (last_seen_at);

-- Failed sign-ins and bearer tokens: when, and through which door. Never
-- the token, the name tried or the address.
CREATE TABLE auth_failures (
    id BIGSERIAL PRIMARY KEY,
    at TEXT NOT NULL,
    via TEXT NOT NULL CHECK (via IN ('sign-in', 'bearer'))
);
CREATE INDEX auth_failures_at ON auth_failures (at);
