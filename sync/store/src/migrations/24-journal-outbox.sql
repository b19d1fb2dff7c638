-- Schema version 24: on a server process that shares its instance with
-- others (see `journal.rs` and `relay_state.rs`). While `meta` holds `journal`,
-- everything the store takes in is listed here, in the order it was stored,
-- until the server copies it to the instance's journal: each change accepted
-- or refused and each picture (`journal_outbox`, by its row), and each row
-- added to or removed from the relay's own tables (`relay_outbox`). What the
-- server takes from the journal is stored with the key removed inside the
-- same transaction, so it is not listed again. AUTOINCREMENT: a number is
-- never given twice, so the server's position in each list stays right after
-- it empties them. Empty on a device.
CREATE TABLE IF NOT EXISTS journal_outbox (
    id   INTEGER PRIMARY KEY AUTOINCREMENT,
    -- 0 a change accepted (`changes`), 1 refused (`rejected`), 2 a picture (`blobs`)
    kind INTEGER NOT NULL,
    -- The change's row, or the picture's hash (its implicit row id may change).
    ref  NOT NULL
);
CREATE TRIGGER IF NOT EXISTS journal_outbox_changes AFTER INSERT ON changes
WHEN EXISTS (SELECT 1 FROM meta WHERE key = 'journal')
BEGIN
    INSERT INTO journal_outbox (kind, ref) VALUES (0, NEW.id);
END;
CREATE TRIGGER IF NOT EXISTS journal_outbox_rejected AFTER INSERT ON rejected
WHEN EXISTS (SELECT 1 FROM meta WHERE key = 'journal')
BEGIN
    INSERT INTO journal_outbox (kind, ref) VALUES (1, NEW.id);
END;
CREATE TRIGGER IF NOT EXISTS journal_outbox_blobs AFTER INSERT ON blobs
WHEN EXISTS (SELECT 1 FROM meta WHERE key = 'journal')
BEGIN
    INSERT INTO journal_outbox (kind, ref) VALUES (2, NEW.hash);
END;

CREATE TABLE IF NOT EXISTS relay_outbox (
    id    INTEGER PRIMARY KEY AUTOINCREMENT,
    tbl   TEXT NOT NULL,
    added INTEGER NOT NULL,
    a     BLOB NOT NULL,
    b     BLOB,
    c     BLOB,
    d     BLOB
);

CREATE TRIGGER IF NOT EXISTS relay_outbox_log_members_insert AFTER INSERT ON log_members
WHEN EXISTS (SELECT 1 FROM meta WHERE key = 'journal')
BEGIN
    INSERT INTO relay_outbox (tbl, added, a, b) VALUES ('log_members', 1, NEW.log, NEW.persona);
END;
CREATE TRIGGER IF NOT EXISTS relay_outbox_log_members_delete AFTER DELETE ON log_members
WHEN EXISTS (SELECT 1 FROM meta WHERE key = 'journal')
BEGIN
    INSERT INTO relay_outbox (tbl, added, a, b) VALUES ('log_members', 0, OLD.log, OLD.persona);
END;
CREATE TRIGGER IF NOT EXISTS relay_outbox_log_members_update AFTER UPDATE ON log_members
WHEN EXISTS (SELECT 1 FROM meta WHERE key = 'journal')
BEGIN
    INSERT INTO relay_outbox (tbl, added, a, b) VALUES ('log_members', 0, OLD.log, OLD.persona);
    INSERT INTO relay_outbox (tbl, added, a, b) VALUES ('log_members', 1, NEW.log, NEW.persona);
END;

CREATE TRIGGER IF NOT EXISTS relay_outbox_open_invites_insert AFTER INSERT ON open_invites
WHEN EXISTS (SELECT 1 FROM meta WHERE key = 'journal')
BEGIN
    INSERT INTO relay_outbox (tbl, added, a, b) VALUES ('open_invites', 1, NEW.log, NEW.invite);
END;
CREATE TRIGGER IF NOT EXISTS relay_outbox_open_invites_delete AFTER DELETE ON open_invites
WHEN EXISTS (SELECT 1 FROM meta WHERE key = 'journal')
BEGIN
    INSERT INTO relay_outbox (tbl, added, a, b) VALUES ('open_invites', 0, OLD.log, OLD.invite);
END;
CREATE TRIGGER IF NOT EXISTS relay_outbox_open_invites_update AFTER UPDATE ON open_invites
WHEN EXISTS (SELECT 1 FROM meta WHERE key = 'journal')
BEGIN
    INSERT INTO relay_outbox (tbl, added, a, b) VALUES ('open_invites', 0, OLD.log, OLD.invite);
    INSERT INTO relay_outbox (tbl, added, a, b) VALUES ('open_invites', 1, NEW.log, NEW.invite);
END;

CREATE TRIGGER IF NOT EXISTS relay_outbox_invited_insert AFTER INSERT ON invited
WHEN EXISTS (SELECT 1 FROM meta WHERE key = 'journal')
BEGIN
    INSERT INTO relay_outbox (tbl, added, a, b, c, d) VALUES ('invited', 1, NEW.remote, NEW.log, NEW.grp, NEW.invite);
END;
CREATE TRIGGER IF NOT EXISTS relay_outbox_invited_delete AFTER DELETE ON invited
WHEN EXISTS (SELECT 1 FROM meta WHERE key = 'journal')
BEGIN
    INSERT INTO relay_outbox (tbl, added, a, b, c, d) VALUES ('invited', 0, OLD.remote, OLD.log, OLD.grp, OLD.invite);
END;
CREATE TRIGGER IF NOT EXISTS relay_outbox_invited_update AFTER UPDATE ON invited
WHEN EXISTS (SELECT 1 FROM meta WHERE key = 'journal')
BEGIN
    INSERT INTO relay_outbox (tbl, added, a, b, c, d) VALUES ('invited', 0, OLD.remote, OLD.log, OLD.grp, OLD.invite);
    INSERT INTO relay_outbox (tbl, added, a, b, c, d) VALUES ('invited', 1, NEW.remote, NEW.log, NEW.grp, NEW.invite);
END;

CREATE TRIGGER IF NOT EXISTS relay_outbox_relayed_docs_insert AFTER INSERT ON relayed_docs
WHEN EXISTS (SELECT 1 FROM meta WHERE key = 'journal')
BEGIN
    INSERT INTO relay_outbox (tbl, added, a, b) VALUES ('relayed_docs', 1, NEW.remote, NEW.doc);
END;
CREATE TRIGGER IF NOT EXISTS relay_outbox_relayed_docs_delete AFTER DELETE ON relayed_docs
WHEN EXISTS (SELECT 1 FROM meta WHERE key = 'journal')
BEGIN
    INSERT INTO relay_outbox (tbl, added, a, b) VALUES ('relayed_docs', 0, OLD.remote, OLD.doc);
END;
CREATE TRIGGER IF NOT EXISTS relay_outbox_relayed_docs_update AFTER UPDATE ON relayed_docs
WHEN EXISTS (SELECT 1 FROM meta WHERE key = 'journal')
BEGIN
    INSERT INTO relay_outbox (tbl, added, a, b) VALUES ('relayed_docs', 0, OLD.remote, OLD.doc);
    INSERT INTO relay_outbox (tbl, added, a, b) VALUES ('relayed_docs', 1, NEW.remote, NEW.doc);
END;

CREATE TRIGGER IF NOT EXISTS relay_outbox_shared_docs_insert AFTER INSERT ON shared_docs
WHEN EXISTS (SELECT 1 FROM meta WHERE key = 'journal')
BEGIN
    INSERT INTO relay_outbox (tbl, added, a) VALUES ('shared_docs', 1, NEW.doc);
END;
CREATE TRIGGER IF NOT EXISTS relay_outbox_shared_docs_delete AFTER DELETE ON shared_docs
WHEN EXISTS (SELECT 1 FROM meta WHERE key = 'journal')
BEGIN
    INSERT INTO relay_outbox (tbl, added, a) VALUES ('shared_docs', 0, OLD.doc);
END;
CREATE TRIGGER IF NOT EXISTS relay_outbox_shared_docs_update AFTER UPDATE ON shared_docs
WHEN EXISTS (SELECT 1 FROM meta WHERE key = 'journal')
BEGIN
    INSERT INTO relay_outbox (tbl, added, a) VALUES ('shared_docs', 0, OLD.doc);
    INSERT INTO relay_outbox (tbl, added, a) VALUES ('shared_docs', 1, NEW.doc);
END;
