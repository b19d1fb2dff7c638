-- Schema version 9: when each peer last started a session (Unix seconds), so
-- what is known of peers not seen for long (their row and their beliefs) can be
-- pruned (see `SyncRepo::prepare_peer`). Rows from before count as seen now.
ALTER TABLE peers ADD COLUMN seen INTEGER NOT NULL DEFAULT 0;
UPDATE peers SET seen = CAST(strftime('%s', 'now') AS INTEGER);
