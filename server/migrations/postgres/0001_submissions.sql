-- Submissions as the respondent sent them (after validation), one row each.
-- Ideas are kept as a JSON array in submission order. No IP address or user
-- agent is ever stored.
CREATE TABLE submissions (
    id BIGSERIAL PRIMARY KEY,
    reference TEXT NOT NULL UNIQUE,
    call_id TEXT NOT NULL,
    partner_id TEXT,
    idempotency_key TEXT NOT NULL,
    body_hash TEXT NOT NULL,
    capacity TEXT NOT NULL CHECK (capacity IN ('individual', 'organisation')),
    name TEXT,
    organisation TEXT,
    email TEXT,
    perspectives TEXT NOT NULL,
    age_band TEXT NOT NULL,
    publication_chosen TEXT NOT NULL CHECK (publication_chosen IN ('named', 'anonymous')),
    publication TEXT NOT NULL CHECK (publication IN ('named', 'anonymous')),
    ideas TEXT NOT NULL,
    spam BOOLEAN NOT NULL DEFAULT FALSE,
    submitted_at TEXT NOT NULL,
    UNIQUE (call_id, idempotency_key)
);

CREATE INDEX submissions_by_call ON submissions (call_id, id);
