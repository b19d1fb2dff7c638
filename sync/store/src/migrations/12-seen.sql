-- Schema version 12: what each persona has seen, for unread counts. Messages
-- get the order they arrived in on this device (per group; those from before
-- count as seen); `seen` keeps, per persona and document, the last message seen
-- (a group's chat) and how many comments by others and participants an event
-- had when it was last opened.
ALTER TABLE messages ADD COLUMN arrived INTEGER NOT NULL DEFAULT 0;
CREATE INDEX messages_by_arrival ON messages (grp, arrived);
CREATE TABLE seen (
    persona  BLOB NOT NULL,
    doc      BLOB NOT NULL,
    message  INTEGER NOT NULL DEFAULT 0,
    comments INTEGER NOT NULL DEFAULT 0,
    people   INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (persona, doc)
) WITHOUT ROWID;
