-- Schema version 11: each change waiting for its dependencies is found by its
-- hash, so a batch writes only the changes that start or stop waiting rather
-- than rewriting every waiting change of the document (see `receive_changes`).
-- Rows from before have none; the next batch of their document rewrites them.
ALTER TABLE pending ADD COLUMN hash BLOB;
CREATE INDEX pending_by_hash ON pending (hash) WHERE hash IS NOT NULL;
