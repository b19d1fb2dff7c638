-- Schema version 22: less on the device. A device that keeps only the last N
-- months (`meta.keep_months`) forgets older events: their rows go, and what
-- stays is the id and when it ended, so sync does not bring it back until it
-- is asked for again (see `retention.rs`).
CREATE TABLE forgotten (
    doc   BLOB PRIMARY KEY,
    ended INTEGER NOT NULL,
    -- Its group (a members-only event is opened again from the group's log).
    grp   BLOB,
    at    INTEGER NOT NULL
) WITHOUT ROWID;

-- A forgotten event, or a group log whose older messages were forgotten,
-- asked for again: wanted from every peer until it is here whole, then kept
-- whatever its age.
CREATE TABLE asked_for (
    doc BLOB PRIMARY KEY,
    at  INTEGER NOT NULL
) WITHOUT ROWID;

-- When each chat item of a group log was written (its author's clock, ms), set
-- as it is opened: older ones are forgotten with the months a device keeps
-- (their ciphertext emptied, `opened = 6`).
ALTER TABLE envelopes ADD COLUMN chat_at INTEGER;
CREATE INDEX envelopes_by_chat_at ON envelopes (chat_at) WHERE chat_at IS NOT NULL;
UPDATE envelopes SET chat_at = (SELECT at FROM messages WHERE id = envelopes.hash) WHERE opened = 1;

-- What is older than the months kept is found without reading every row (the
-- check runs each time the store opens).
CREATE INDEX messages_by_at ON messages (at);
CREATE INDEX events_by_until ON events (until);
