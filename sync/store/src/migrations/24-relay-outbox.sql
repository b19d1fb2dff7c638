-- Schema version 24: what a relay learned from its peers, for the other
-- processes of a shared instance (see `relay_state.rs`). While `meta` holds
-- `relay_outbox` (set by a server process that shares its database), every
-- row added to or removed from the relay's own tables below is written here,
-- in order, until the server copies it to the instance's journal; the rows
-- the other processes report are applied with the key removed, so they are
-- not written again. Empty on a device.
CREATE TABLE IF NOT EXISTS relay_outbox (
    id    INTEGER PRIMARY KEY,
    tbl   TEXT NOT NULL,
    added INTEGER NOT NULL,
    a     BLOB NOT NULL,
    b     BLOB,
    c     BLOB,
    d     BLOB
);

CREATE TRIGGER IF NOT EXISTS relay_outbox_log_members_insert AFTER INSERT ON log_members
WHEN EXISTS (SELECT 1 FROM meta WHERE key = 'relay_outbox')
BEGIN
    INSERT INTO relay_outbox (tbl, added, a, b) VALUES ('log_members', 1, NEW.log, NEW.persona);
END;

CREATE TRIGGER IF NOT EXISTS relay_outbox_log_members_delete AFTER DELETE ON log_members
WHEN EXISTS (SELECT 1 FROM meta WHERE key = 'relay_outbox')
BEGIN
    INSERT INTO relay_outbox (tbl, added, a, b) VALUES ('log_members', 0, OLD.log, OLD.persona);
END;

CREATE TRIGGER IF NOT EXISTS relay_outbox_open_invites_insert AFTER INSERT ON open_invites
WHEN EXISTS (SELECT 1 FROM meta WHERE key = 'relay_outbox')
BEGIN
    INSERT INTO relay_outbox (tbl, added, a, b) VALUES ('open_invites', 1, NEW.log, NEW.invite);
END;

CREATE TRIGGER IF NOT EXISTS relay_outbox_open_invites_delete AFTER DELETE ON open_invites
WHEN EXISTS (SELECT 1 FROM meta WHERE key = 'relay_outbox')
BEGIN
    INSERT INTO relay_outbox (tbl, added, a, b) VALUES ('open_invites', 0, OLD.log, OLD.invite);
END;

CREATE TRIGGER IF NOT EXISTS relay_outbox_invited_insert AFTER INSERT ON invited
WHEN EXISTS (SELECT 1 FROM meta WHERE key = 'relay_outbox')
BEGIN
    INSERT INTO relay_outbox (tbl, added, a, b, c, d) VALUES ('invited', 1, NEW.remote, NEW.log, NEW.grp, NEW.invite);
END;

CREATE TRIGGER IF NOT EXISTS relay_outbox_invited_delete AFTER DELETE ON invited
WHEN EXISTS (SELECT 1 FROM meta WHERE key = 'relay_outbox')
BEGIN
    INSERT INTO relay_outbox (tbl, added, a, b, c, d) VALUES ('invited', 0, OLD.remote, OLD.log, OLD.grp, OLD.invite);
END;

CREATE TRIGGER IF NOT EXISTS relay_outbox_relayed_docs_insert AFTER INSERT ON relayed_docs
WHEN EXISTS (SELECT 1 FROM meta WHERE key = 'relay_outbox')
BEGIN
    INSERT INTO relay_outbox (tbl, added, a, b) VALUES ('relayed_docs', 1, NEW.remote, NEW.doc);
END;

CREATE TRIGGER IF NOT EXISTS relay_outbox_relayed_docs_delete AFTER DELETE ON relayed_docs
WHEN EXISTS (SELECT 1 FROM meta WHERE key = 'relay_outbox')
BEGIN
    INSERT INTO relay_outbox (tbl, added, a, b) VALUES ('relayed_docs', 0, OLD.remote, OLD.doc);
END;

CREATE TRIGGER IF NOT EXISTS relay_outbox_shared_docs_insert AFTER INSERT ON shared_docs
WHEN EXISTS (SELECT 1 FROM meta WHERE key = 'relay_outbox')
BEGIN
    INSERT INTO relay_outbox (tbl, added, a) VALUES ('shared_docs', 1, NEW.doc);
END;

CREATE TRIGGER IF NOT EXISTS relay_outbox_shared_docs_delete AFTER DELETE ON shared_docs
WHEN EXISTS (SELECT 1 FROM meta WHERE key = 'relay_outbox')
BEGIN
    INSERT INTO relay_outbox (tbl, added, a) VALUES ('shared_docs', 0, OLD.doc);
END;
