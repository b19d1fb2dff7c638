-- Schema version 13: pictures. `blobs` holds the bytes of pictures by their
-- SHA-256 (truth: what was cleaned here or arrived from a peer); `blob_refs`
-- which document refers to which blob (an index, rebuilt from the documents),
-- so a blob is fetched only while a document here names it, served only to a
-- peer that may read such a document, and forgotten once nothing names it.
CREATE TABLE blobs (
    hash      BLOB NOT NULL UNIQUE,
    bytes     BLOB NOT NULL,
    stored_at INTEGER NOT NULL
);
CREATE TABLE blob_refs (
    doc  BLOB NOT NULL,
    hash BLOB NOT NULL,
    PRIMARY KEY (doc, hash)
) WITHOUT ROWID;
CREATE INDEX blob_refs_by_hash ON blob_refs (hash);
-- The pictures of members-only documents travel sealed in their group's log
-- (one envelope each); which blobs each log carries already.
CREATE TABLE sealed_blobs (
    log  BLOB NOT NULL,
    hash BLOB NOT NULL,
    PRIMARY KEY (log, hash)
) WITHOUT ROWID;
-- Each local persona's own picture: written into its entries of the documents
-- it is part of (its membership of a group, its participation in an event);
-- its blobs stay while it keeps it, even before any document names them.
CREATE TABLE persona_pictures (
    persona BLOB PRIMARY KEY,
    picture TEXT NOT NULL,
    page    BLOB NOT NULL,
    card    BLOB NOT NULL
) WITHOUT ROWID;
