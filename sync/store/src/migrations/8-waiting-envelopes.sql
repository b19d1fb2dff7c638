-- Schema version 8: group-log envelopes whose predecessors have not arrived wait
-- here, indexed by what they wait for, so each arrival wakes exactly the
-- envelopes it completes (see `sealed::store_envelopes`): intake is linear
-- whatever order a chain arrives in. Envelopes that waited in `pending` under
-- earlier versions are moved here by the next batch of their log.
CREATE TABLE waiting_envelopes (
    hash      BLOB PRIMARY KEY,
    log       BLOB NOT NULL,
    author    BLOB NOT NULL,
    signature BLOB NOT NULL,
    bytes     BLOB NOT NULL,
    -- How many of its dependencies are still missing.
    missing   INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX waiting_envelopes_by_log ON waiting_envelopes (log);

-- What each waiting envelope waits for.
CREATE TABLE envelope_needs (
    dep  BLOB NOT NULL,
    hash BLOB NOT NULL,
    PRIMARY KEY (dep, hash)
) WITHOUT ROWID;
