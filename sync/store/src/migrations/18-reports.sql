-- Schema version 18: reports to a group's moderators that this device opened
-- (it holds a persona they were sealed to). The envelope stays in `changes`
-- like any; this is the opened copy, by the envelope's hash.
CREATE TABLE group_reports (
    hash        BLOB PRIMARY KEY,
    grp         BLOB NOT NULL,
    reporter    BLOB NOT NULL,
    -- event, comment, group or persona; and its id (`event/comment` for a comment).
    target_kind TEXT NOT NULL,
    target      TEXT NOT NULL,
    reason      TEXT NOT NULL,
    text        TEXT NOT NULL,
    -- The reporter's clock, seconds.
    at          INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX group_reports_by_group ON group_reports (grp, at);
