-- Schema version 16: recurring events. A series keeps its one row in `events`
-- (`series = 1`, its first start) and one row per occurrence in `occurrences`
-- over a rolling window (see `index::occurrence_window`); upcoming lists read
-- occurrences there instead of the series' row.
ALTER TABLE events ADD COLUMN series INTEGER NOT NULL DEFAULT 0;
CREATE TABLE occurrences (
    event  INTEGER NOT NULL,
    -- The series' document id (as `events.doc`): lists page by (start, doc).
    doc    BLOB NOT NULL,
    -- The occurrence's name: the local start its rule gave it.
    name   TEXT NOT NULL,
    title  TEXT NOT NULL,
    starts INTEGER NOT NULL,
    ends   INTEGER,
    until  INTEGER NOT NULL,
    status TEXT NOT NULL,
    PRIMARY KEY (event, name)
) WITHOUT ROWID;
CREATE INDEX occurrences_by_start ON occurrences (starts, doc);
