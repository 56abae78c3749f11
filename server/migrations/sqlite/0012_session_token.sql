-- Which token each session was started with: the SHA-256 of the configured
-- digest, so that a session ends when its token is removed from the
-- configuration or rotated. Sessions started before this have none and end.
ALTER TABLE staff_sessions ADD COLUMN token_hash TEXT NOT NULL DEFAULT '';
