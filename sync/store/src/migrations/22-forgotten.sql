-- Schema version 22: less on the device. A device that keeps only the last N
-- months (`meta.keep_months`) forgets older events: their rows go, and what
-- stays is the id, the heads it had and when it ended, so sync does not bring
-- it back until it is asked for again (see `retention.rs`).
CREATE TABLE forgotten (
    doc   BLOB PRIMARY KEY,
    heads BLOB NOT NULL,
    ended INTEGER NOT NULL,
    -- Its group (a members-only event is opened again from the group's log).
    grp   BLOB,
    at    INTEGER NOT NULL
) WITHOUT ROWID;

-- A forgotten event asked for again: wanted from every peer until it is here,
-- then kept whatever its age.
CREATE TABLE asked_for (
    doc BLOB PRIMARY KEY,
    at  INTEGER NOT NULL
) WITHOUT ROWID;
