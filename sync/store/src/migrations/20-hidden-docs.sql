-- Schema version 20: on a server, the documents its admins hid (a report's
-- event or group): it shares them with no device any more, as it no longer
-- shows them on its pages or publishes them.
CREATE TABLE hidden_docs (
    doc BLOB PRIMARY KEY,
    at  INTEGER NOT NULL
) WITHOUT ROWID;
