-- Rally's local store, schema version 2; `migrations/` takes it further (see
-- `MIGRATIONS` in lib.rs).
--
-- The truth: `personas`, and the signed changes in `changes` (plus the refused ones
-- in `rejected` and those waiting for their dependencies in `pending`).
-- Everything else is an index rebuilt from the documents (see `Store::rebuild_indexes`).

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE personas (
    id           INTEGER PRIMARY KEY,
    name         TEXT NOT NULL UNIQUE,
    public_key   BLOB NOT NULL UNIQUE,
    secret_key   BLOB NOT NULL,
    actor_suffix BLOB NOT NULL,
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER NOT NULL
);

CREATE TABLE docs (
    id    BLOB PRIMARY KEY,
    kind  TEXT NOT NULL,
    -- The document's current heads, 32 bytes each, for sync announcements.
    heads BLOB NOT NULL
) WITHOUT ROWID;

-- Documents a persona came to know through its own sync sessions or imports:
-- with the documents it takes part in, what it shares with peers (see `sync.rs`).
CREATE TABLE persona_docs (
    persona INTEGER NOT NULL REFERENCES personas (id) ON DELETE CASCADE,
    doc     BLOB NOT NULL,
    PRIMARY KEY (persona, doc)
) WITHOUT ROWID;

-- On a server (a relay): documents a remote persona came to know through its
-- sessions with the server, which the server shares back with it (see `sync.rs`).
CREATE TABLE relayed_docs (
    remote BLOB NOT NULL,
    doc    BLOB NOT NULL,
    PRIMARY KEY (remote, doc)
) WITHOUT ROWID;

-- What each local persona last knew of a remote persona's documents (sync).
CREATE TABLE peers (
    persona INTEGER NOT NULL REFERENCES personas (id) ON DELETE CASCADE,
    remote  BLOB NOT NULL,
    epoch   BLOB NOT NULL,
    -- The change-log position up to which the peer had everything it may read.
    synced  INTEGER,
    PRIMARY KEY (persona, remote)
) WITHOUT ROWID;

CREATE TABLE beliefs (
    persona INTEGER NOT NULL,
    remote  BLOB NOT NULL,
    doc     BLOB NOT NULL,
    heads   BLOB NOT NULL,
    PRIMARY KEY (persona, remote, doc)
) WITHOUT ROWID;

-- rowid orders changes by arrival: a cursor for "what is new since".
CREATE TABLE changes (
    id        INTEGER PRIMARY KEY,
    doc       BLOB NOT NULL,
    author    BLOB NOT NULL,
    signature BLOB NOT NULL,
    bytes     BLOB NOT NULL
);
CREATE INDEX changes_by_doc ON changes (doc);

CREATE TABLE rejected (
    id        INTEGER PRIMARY KEY,
    doc       BLOB NOT NULL,
    author    BLOB NOT NULL,
    signature BLOB NOT NULL,
    bytes     BLOB NOT NULL,
    reason    TEXT NOT NULL
);
CREATE INDEX rejected_by_doc ON rejected (doc);

CREATE TABLE pending (
    id        INTEGER PRIMARY KEY,
    doc       BLOB NOT NULL,
    author    BLOB NOT NULL,
    signature BLOB NOT NULL,
    bytes     BLOB NOT NULL
);
CREATE INDEX pending_by_doc ON pending (doc);

-- Joins asked for with a token before the group's document arrived.
CREATE TABLE pending_joins (
    grp     BLOB NOT NULL,
    persona INTEGER NOT NULL REFERENCES personas (id) ON DELETE CASCADE,
    token   TEXT NOT NULL,
    PRIMARY KEY (grp, persona)
) WITHOUT ROWID;

-- ----- indexes, rebuilt from documents -----

CREATE TABLE events (
    id         INTEGER PRIMARY KEY,
    doc        BLOB NOT NULL UNIQUE,
    title      TEXT NOT NULL,
    starts     INTEGER NOT NULL,
    ends       INTEGER,
    -- When the event stops being current: its end, or two hours after an open-ended start.
    until      INTEGER NOT NULL,
    status     TEXT NOT NULL,
    visibility TEXT NOT NULL,
    grp        BLOB
);
CREATE INDEX events_by_start ON events (starts);

-- The time span of each event, in minutes since the epoch, for "happening now".
CREATE VIRTUAL TABLE events_time USING rtree_i32 (id, from_minute, until_minute);

CREATE VIRTUAL TABLE events_fts USING fts5 (
    title, body,
    content = '', contentless_delete = 1, tokenize = 'unicode61 remove_diacritics 2'
);

CREATE VIRTUAL TABLE events_geo USING rtree (id, min_lat, max_lat, min_lon, max_lon);

-- Who is involved in an event: organiser, a participation status, invited, commented.
CREATE TABLE event_people (
    event    INTEGER NOT NULL,
    persona  BLOB NOT NULL,
    relation TEXT NOT NULL,
    PRIMARY KEY (persona, event)
) WITHOUT ROWID;
CREATE INDEX event_people_by_event ON event_people (event);

CREATE TABLE groups (
    id         INTEGER PRIMARY KEY,
    doc        BLOB NOT NULL UNIQUE,
    name       TEXT NOT NULL,
    visibility TEXT NOT NULL
);

CREATE TABLE group_members (
    grp     INTEGER NOT NULL,
    persona BLOB NOT NULL,
    role    TEXT NOT NULL,
    PRIMARY KEY (persona, grp)
) WITHOUT ROWID;
CREATE INDEX group_members_by_group ON group_members (grp);

-- Events a group lists on its page (the group's own document decides).
CREATE TABLE group_events (
    grp   BLOB NOT NULL,
    event BLOB NOT NULL,
    PRIMARY KEY (grp, event)
) WITHOUT ROWID;
CREATE INDEX group_events_by_event ON group_events (event);
