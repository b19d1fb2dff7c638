-- Schema version 6: copies of events published elsewhere (a server's read-only
-- copies of Fediverse events), by their origin (the ActivityPub id), so one remote
-- event is copied once. An index, derived from the documents' `origin` field: the
-- first document seen with an origin keeps it. Filled for existing documents by
-- the index rebuild that follows this upgrade.
CREATE TABLE copies (
    origin TEXT PRIMARY KEY NOT NULL,
    doc    BLOB NOT NULL
) WITHOUT ROWID;
