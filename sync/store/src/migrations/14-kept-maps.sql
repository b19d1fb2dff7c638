-- Schema version 14: maps kept for offline use. `tiles` holds map tiles by
-- their tile server (the URL template they came from) and address; `kept_maps`
-- which area each event's "keep this map offline" stored, so the map of a
-- march shows with no network.
CREATE TABLE tiles (
    source TEXT NOT NULL,
    z      INTEGER NOT NULL,
    x      INTEGER NOT NULL,
    y      INTEGER NOT NULL,
    bytes  BLOB NOT NULL,
    PRIMARY KEY (z, x, y, source)
) WITHOUT ROWID;
CREATE TABLE kept_maps (
    event       BLOB PRIMARY KEY,
    source      TEXT NOT NULL,
    attribution TEXT NOT NULL,
    south REAL NOT NULL, west REAL NOT NULL, north REAL NOT NULL, east REAL NOT NULL,
    min_zoom    INTEGER NOT NULL,
    max_zoom    INTEGER NOT NULL,
    tiles       INTEGER NOT NULL,
    bytes       INTEGER NOT NULL,
    kept_at     INTEGER NOT NULL
);
