-- Schema version 11: each change waiting for its dependencies is found by its
-- hash, so a batch writes only the changes that start or stop waiting rather
-- than rewriting every waiting change of the document (see `receive_changes`).
-- Rows from before get theirs when the store opens (`Store::hash_pending`).
-- And who sent each (the peer's persona; NULL for an import), so waiting
-- changes are capped per peer and a misbehaving peer's are forgotten.
ALTER TABLE pending ADD COLUMN hash BLOB;
ALTER TABLE pending ADD COLUMN sender BLOB;
CREATE INDEX pending_by_hash ON pending (hash) WHERE hash IS NOT NULL;
CREATE INDEX pending_by_sender ON pending (sender) WHERE sender IS NOT NULL;
