-- Erasure leaves nothing readable: FTS5 removes a deleted row's entries
-- from the search index itself (SQLite 3.44+) instead of writing a
-- tombstone beside them, and one merge drops the tombstones written so far.
INSERT INTO submissions_fts (submissions_fts, rank) VALUES ('secure-delete', 1);
INSERT INTO submissions_fts (submissions_fts) VALUES ('optimize');
