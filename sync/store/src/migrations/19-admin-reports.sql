-- Schema version 19: reports to a server's admins. On a device: those its
-- personas made that their server has not taken yet (sent as they sync). On a
-- server: the admins' queue, from the devices that sync with it and from the
-- Fediverse's `Flag`s.
CREATE TABLE outgoing_reports (
    id      BLOB PRIMARY KEY,
    persona BLOB NOT NULL,
    kind    TEXT NOT NULL,
    target  TEXT NOT NULL,
    reason  TEXT NOT NULL,
    text    TEXT NOT NULL,
    made_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE admin_reports (
    id          INTEGER PRIMARY KEY,
    -- 'device' or 'fediverse'.
    source      TEXT NOT NULL,
    -- A persona's id, or an actor's URL.
    reporter    TEXT NOT NULL,
    -- The device's report id (hex) or the Flag's id: kept once.
    activity    TEXT UNIQUE,
    -- What it names: a JSON array (`kind:id` from a device, URLs from a Flag).
    objects     TEXT NOT NULL,
    reason      TEXT,
    text        TEXT NOT NULL,
    received_at INTEGER NOT NULL,
    -- open, dismissed, hidden, forwarded.
    state       TEXT NOT NULL DEFAULT 'open',
    -- The admins' notes: a JSON array of {at, text}.
    notes       TEXT NOT NULL DEFAULT '[]'
);
CREATE INDEX admin_reports_by_state ON admin_reports (state, received_at);
