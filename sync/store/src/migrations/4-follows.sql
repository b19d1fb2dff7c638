-- Schema version 4: groups a persona follows (a personal subscription kept on
-- this device; its "followed" list shows their events).
CREATE TABLE follows (
    persona INTEGER NOT NULL REFERENCES personas (id) ON DELETE CASCADE,
    grp     BLOB NOT NULL,
    PRIMARY KEY (persona, grp)
) WITHOUT ROWID;
