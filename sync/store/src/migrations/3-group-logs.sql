-- Schema version 3: group logs (see sealed.rs). Envelopes are kept in `changes`
-- (doc = the log); these tables say what they are and what was opened.

-- The logs of groups known here (members, invitees): which group each seals.
CREATE TABLE logs (
    log BLOB PRIMARY KEY,
    grp BLOB NOT NULL
) WITHOUT ROWID;

-- Each stored envelope: its hash, row in `changes`, place in the log (depth: one
-- more than its deepest dependency), dependencies, and whether it was opened
-- here (0 not yet, 1 done, 2 a grant with nothing for this device, 3 refused,
-- 4 waiting for a key or for the group's document).
CREATE TABLE envelopes (
    hash   BLOB PRIMARY KEY,
    log    BLOB NOT NULL,
    change INTEGER NOT NULL,
    depth  INTEGER NOT NULL,
    deps   BLOB NOT NULL,
    opened INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX envelopes_by_log ON envelopes (log);
CREATE INDEX envelopes_to_open ON envelopes (opened);

-- Keys of the groups' epochs this device holds. `secret` is absent when only the
-- document key was given (a member who joined later); author, members, depth and
-- grant_hash describe the grant that made the epoch, when it was seen.
CREATE TABLE group_keys (
    grp          BLOB NOT NULL,
    epoch        BLOB NOT NULL,
    secret       BLOB,
    document_key BLOB NOT NULL,
    author       BLOB,
    members      BLOB,
    depth        INTEGER,
    grant_hash   BLOB,
    PRIMARY KEY (grp, epoch)
) WITHOUT ROWID;

-- Documents whose changes this device seals into their group's log.
CREATE TABLE sealed_docs (
    doc BLOB PRIMARY KEY
) WITHOUT ROWID;

-- The chat, as opened from the logs: one row per message (id = its envelope's hash).
CREATE TABLE messages (
    id        BLOB PRIMARY KEY,
    grp       BLOB NOT NULL,
    author    BLOB NOT NULL,
    body      TEXT NOT NULL,
    reply_to  BLOB,
    at        INTEGER NOT NULL,
    depth     INTEGER NOT NULL,
    edited_at INTEGER,
    deleted   INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE INDEX messages_by_group ON messages (grp, depth, at);
