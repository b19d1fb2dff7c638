-- Schema version 5: documents a relay offers to every peer it admits (a server's
-- copies of events followed on the Fediverse), beside each peer's own.
CREATE TABLE shared_docs (
    doc BLOB PRIMARY KEY NOT NULL
) WITHOUT ROWID;
