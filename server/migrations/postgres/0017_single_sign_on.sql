-- Sign-ins under way with the identity provider (OpenID Connect): one row
-- per browser sent there, by the SHA-256 of its `state`, holding the PKCE
-- verifier and the nonce the answer must carry. Taken (deleted) when the
-- browser comes back, so a `state` works once; rows older than ten minutes
-- are deleted as new ones are written.
CREATE TABLE oidc_logins (
    state_hash TEXT PRIMARY KEY,
    pkce_verifier TEXT NOT NULL,
    nonce TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE INDEX oidc_logins_expires ON oidc_logins (expires_at);
