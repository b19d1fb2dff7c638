//! The documents of a shared instance, in its database: every change any of
//! its processes accepted (documents' changes and group logs' sealed
//! envelopes) and every picture, once each, in the order they were written
//! there (the `journal` store, [`crate::db::migrations::Store::Journal`]).
//!
//! Each process keeps its working copy in its own store (`rally.db`: the
//! indexes and reading rules the relay serves from are the devices' store).
//! Its upkeep thread (`siblings::Upkeep`) copies what the store took in since
//! it last did into the journal ([`Journal::publish`]) and takes into the
//! store what the others wrote there ([`Journal::take`]), every second; a
//! process starting takes everything before its node listens. So a process
//! started on an empty directory serves the whole instance, whichever
//! processes are running, and the database alone holds every document.
//!
//! Beside the documents, what each process' relay learned from its peers
//! (which personas a group log goes to, open invitations, who showed one,
//! which documents each remote persona came to know, what is offered to
//! everyone: `rally_store`'s `relay_state.rs`) goes through the journal as
//! facts, applied by every process in the journal's order, its own included.
//! So a device invited through one process is let in by another.
//!
//! Each change is judged again where it is taken (signatures and the
//! documents' rules), as from a sibling: the reading rules and caps were
//! applied by the process it first reached. Rows are numbered under a lock
//! (one writer at a time on PostgreSQL, as on SQLite), so a reader that
//! remembers the last number it took misses nothing. An envelope keeps its
//! expiry here, and its body is dropped at that time ([`Journal::sweep`]) as
//! every holder drops it.

use rally_core::picture::BlobHash;
use rally_core::{DocId, PersonaId, SignedChange};
use rally_store::{IngestPolicy, RelayFact, RelayTable, Store, StoreError, Timestamp};
use sha2::{Digest, Sha256};

use crate::db::{Conn, Database, Dialect, SqlError, Value};
use crate::vals;

/// The journal's store: a file beside the others on SQLite (tests), a schema
/// on PostgreSQL.
pub const JOURNAL_FILE: &str = "journal.db";

/// Changes copied or taken per transaction.
const CHANGES_PER_BATCH: usize = 500;
/// Pictures copied or taken per transaction (each up to a few MB).
const BLOBS_PER_BATCH: usize = 16;

#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    #[error("the shared journal: {0}")]
    Sql(#[from] SqlError),
    #[error("this process' store: {0}")]
    Store(#[from] StoreError),
}

/// One process' view of the journal.
#[derive(Debug)]
pub struct Journal {
    conn: Conn,
    /// The process' server persona, naming its row in `readers`.
    node: Vec<u8>,
}

/// What one call moved.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Moved {
    pub changes: usize,
    pub blobs: usize,
    /// What the relays learned from their peers (`rally_store::RelayFact`).
    pub facts: usize,
}

#[derive(Debug, Clone, Copy)]
struct Positions {
    published: i64,
    blobs_published: i64,
    facts_published: i64,
    taken: i64,
    blobs_taken: i64,
    facts_taken: i64,
}

impl Journal {
    pub fn open(database: &Database, node: &PersonaId) -> Result<Journal, SqlError> {
        let conn = database.open(JOURNAL_FILE, crate::db::migrations::Store::Journal)?;
        conn.exec(
            "INSERT INTO readers (node, published, blobs_published, facts_published,
                                  taken, blobs_taken, facts_taken)
             VALUES (?1, 0, 0, 0, 0, 0, 0) ON CONFLICT (node) DO NOTHING",
            vals![&node.0],
        )?;
        Ok(Journal {
            conn,
            node: node.0.to_vec(),
        })
    }

    fn positions(&self) -> Result<Positions, SqlError> {
        let row = self
            .conn
            .row(
                "SELECT published, blobs_published, facts_published, taken, blobs_taken, facts_taken
                 FROM readers WHERE node = ?1",
                vals![self.node.clone()],
            )?
            .ok_or_else(|| SqlError::Io(std::io::Error::other("this process' row is gone")))?;
        Ok(Positions {
            published: row.get(0)?,
            blobs_published: row.get(1)?,
            facts_published: row.get(2)?,
            taken: row.get(3)?,
            blobs_taken: row.get(4)?,
            facts_taken: row.get(5)?,
        })
    }

    fn set(&self, column: &str, to: i64) -> Result<(), SqlError> {
        // `column` is one of the four above, never outside text.
        self.conn.exec(
            &format!("UPDATE readers SET {column} = ?2 WHERE node = ?1"),
            vals![self.node.clone(), to],
        )?;
        Ok(())
    }

    /// One writer at a time, so numbers commit in order.
    fn lock(c: &Conn) -> Result<(), SqlError> {
        if c.dialect() == Dialect::Postgres {
            c.batch("SELECT pg_advisory_xact_lock(29281, 27770)")?;
        }
        Ok(())
    }

    /// Copies into the journal what `store` took in since this process last
    /// did; how many changes and pictures were new to it.
    pub fn publish(&self, store: &Store) -> Result<Moved, JournalError> {
        let mut moved = Moved::default();
        let mut at = self.positions()?;
        loop {
            let batch = store.changes_after(at.published, CHANGES_PER_BATCH)?;
            let Some(last) = batch.last().map(|(id, _)| *id) else {
                break;
            };
            moved.changes += self.conn.transaction(|c| {
                Self::lock(c)?;
                let mut new = 0;
                for (_, change) in &batch {
                    new += c.exec(
                        "INSERT INTO changes (doc, author, signature, bytes, expires)
                         VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (signature) DO NOTHING",
                        &[
                            Value::from(&change.doc.0),
                            Value::from(&change.author.0),
                            Value::from(change.signature.as_slice()),
                            Value::from(change.bytes.as_slice()),
                            expiry(change).map_or(Value::Null, Value::Int),
                        ],
                    )? as usize;
                }
                self.set("published", last)?;
                Ok::<_, SqlError>(new)
            })?;
            at.published = last;
        }
        loop {
            let batch = store.blobs_after(at.blobs_published, BLOBS_PER_BATCH)?;
            let Some(last) = batch.last().map(|(id, ..)| *id) else {
                break;
            };
            moved.blobs += self.conn.transaction(|c| {
                Self::lock(c)?;
                let mut new = 0;
                for (_, hash, bytes) in &batch {
                    new += c.exec(
                        "INSERT INTO blobs (hash, bytes) VALUES (?1, ?2)
                         ON CONFLICT (hash) DO NOTHING",
                        vals![&hash.0, bytes.as_slice()],
                    )? as usize;
                }
                self.set("blobs_published", last)?;
                Ok::<_, SqlError>(new)
            })?;
            at.blobs_published = last;
        }
        loop {
            let batch = store.relay_facts_after(at.facts_published, CHANGES_PER_BATCH)?;
            let Some(last) = batch.last().map(|(id, _)| *id) else {
                break;
            };
            self.conn.transaction(|c| {
                Self::lock(c)?;
                for (_, fact) in &batch {
                    let v = |i: usize| {
                        fact.values
                            .get(i)
                            .map_or(Value::Null, |b| Value::from(b.as_slice()))
                    };
                    c.exec(
                        "INSERT INTO relay_facts (tbl, added, a, b, c, d)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                        &[
                            Value::from(fact.table.name()),
                            Value::from(fact.added),
                            v(0),
                            v(1),
                            v(2),
                            v(3),
                        ],
                    )?;
                }
                self.set("facts_published", last)
            })?;
            moved.facts += batch.len();
            at.facts_published = last;
            store.forget_relay_facts(last)?;
        }
        Ok(moved)
    }

    /// Takes into `store` what the journal gained since this process last
    /// took; how many changes and pictures were read.
    pub fn take(&self, store: &mut Store, now: Timestamp) -> Result<Moved, JournalError> {
        let mut moved = Moved::default();
        let mut at = self.positions()?;
        loop {
            let rows = self.conn.rows(
                "SELECT id, doc, author, signature, bytes FROM changes
                 WHERE id > ?1 ORDER BY id LIMIT ?2",
                vals![at.taken, CHANGES_PER_BATCH as i64],
            )?;
            let Some(last) = rows.last().map(|r| r.get::<i64>(0)).transpose()? else {
                break;
            };
            let mut changes = Vec::with_capacity(rows.len());
            for r in &rows {
                if let Some(change) = signed_change(r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?) {
                    changes.push(change);
                }
            }
            moved.changes += changes.len();
            // Judged again here, taken as from a sibling: what the document's
            // rules refuse is kept as refused, what waits waits.
            store.ingest_with(
                changes,
                now,
                IngestPolicy {
                    attach_to: None,
                    relayed_for: None,
                    void_on_misbehaviour: false,
                    sender: None,
                },
            )?;
            self.set("taken", last)?;
            at.taken = last;
        }
        loop {
            let rows = self.conn.rows(
                "SELECT id, hash, bytes FROM blobs WHERE id > ?1 ORDER BY id LIMIT ?2",
                vals![at.blobs_taken, BLOBS_PER_BATCH as i64],
            )?;
            let Some(last) = rows.last().map(|r| r.get::<i64>(0)).transpose()? else {
                break;
            };
            for r in &rows {
                let hash: Vec<u8> = r.get(1)?;
                let bytes: Vec<u8> = r.get(2)?;
                if let Ok(hash) = <[u8; 32]>::try_from(hash.as_slice()) {
                    // Named here or not yet (its document may still wait): kept
                    // either way, checked against its hash; the store forgets
                    // what nothing names in time.
                    store.put_blob(BlobHash(hash), &bytes, true)?;
                    moved.blobs += 1;
                }
            }
            self.set("blobs_taken", last)?;
            at.blobs_taken = last;
        }
        loop {
            let rows = self.conn.rows(
                "SELECT id, tbl, added, a, b, c, d FROM relay_facts
                 WHERE id > ?1 ORDER BY id LIMIT ?2",
                vals![at.facts_taken, CHANGES_PER_BATCH as i64],
            )?;
            let Some(last) = rows.last().map(|r| r.get::<i64>(0)).transpose()? else {
                break;
            };
            let mut facts = Vec::with_capacity(rows.len());
            for r in &rows {
                let Some(table) = RelayTable::from_name(&r.get::<String>(1)?) else {
                    continue;
                };
                let mut values = Vec::new();
                for i in 3..7 {
                    if let Some(v) = r.get::<Option<Vec<u8>>>(i)? {
                        values.push(v);
                    }
                }
                facts.push(RelayFact {
                    table,
                    added: r.get(2)?,
                    values,
                });
            }
            // Its own too: applying every process' facts in the journal's
            // order is what makes them all end the same.
            store.apply_relay_facts(&facts)?;
            moved.facts += facts.len();
            self.set("facts_taken", last)?;
            at.facts_taken = last;
        }
        Ok(moved)
    }

    /// Drops the bodies of envelopes whose time has come (they stay as stubs,
    /// as in every store); how many.
    pub fn sweep(&self, now_ms: i64) -> Result<usize, SqlError> {
        let due = self.conn.rows(
            "SELECT id, bytes FROM changes WHERE expires IS NOT NULL AND expires <= ?1",
            vals![now_ms],
        )?;
        let mut n = 0;
        for r in &due {
            let id: i64 = r.get(0)?;
            let bytes: Vec<u8> = r.get(1)?;
            let stub = rally_core::sealed::stub_of(&bytes).unwrap_or(bytes);
            self.conn.exec(
                "UPDATE changes SET bytes = ?2, expires = NULL WHERE id = ?1",
                vals![id, stub],
            )?;
            n += 1;
        }
        Ok(n)
    }

    /// Marks everything now in the journal as taken by this process (after
    /// `rally-server migrate` filled it from this process' own store).
    pub fn mark_all_taken(&self) -> Result<(), SqlError> {
        self.conn.exec(
            "UPDATE readers SET taken = (SELECT coalesce(max(id), 0) FROM changes),
                                blobs_taken = (SELECT coalesce(max(id), 0) FROM blobs),
                                facts_taken = (SELECT coalesce(max(id), 0) FROM relay_facts)
             WHERE node = ?1",
            vals![self.node.clone()],
        )?;
        Ok(())
    }

    /// How many changes the journal holds, and a checksum of them (see
    /// [`Checksum`]).
    pub fn checksum(&self) -> Result<Checksum, SqlError> {
        let mut sum = Checksum::default();
        let mut after = 0i64;
        loop {
            let rows = self.conn.rows(
                "SELECT id, doc, author, signature, bytes FROM changes
                 WHERE id > ?1 ORDER BY id LIMIT 2000",
                vals![after],
            )?;
            let Some(last) = rows.last().map(|r| r.get::<i64>(0)).transpose()? else {
                break;
            };
            for r in &rows {
                if let Some(c) = signed_change(r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?) {
                    sum.add(&c);
                }
            }
            after = last;
        }
        Ok(sum)
    }
}

/// Changes counted, and SHA-256 over the sorted SHA-256 of each (document,
/// author, signature, bytes): the same for a store and a journal that hold the
/// same changes, whatever their order.
#[derive(Debug, Default, Clone)]
pub struct Checksum {
    digests: Vec<[u8; 32]>,
}

impl Checksum {
    pub fn add(&mut self, c: &SignedChange) {
        let mut h = Sha256::new();
        h.update(c.doc.0);
        h.update(c.author.0);
        h.update(c.signature);
        h.update((c.bytes.len() as u64).to_be_bytes());
        h.update(&c.bytes);
        self.digests.push(h.finalize().into());
    }

    /// Every accepted change of a store.
    pub fn of_store(store: &Store) -> Result<Checksum, StoreError> {
        let mut sum = Checksum::default();
        let mut after = 0;
        loop {
            let batch = store.changes_after(after, 2000)?;
            let Some(last) = batch.last().map(|(id, _)| *id) else {
                break;
            };
            for (_, c) in &batch {
                sum.add(c);
            }
            after = last;
        }
        Ok(sum)
    }

    pub fn count(&self) -> u64 {
        self.digests.len() as u64
    }

    pub fn hex(&self) -> String {
        let mut sorted = self.digests.clone();
        sorted.sort_unstable();
        let mut h = Sha256::new();
        for d in &sorted {
            h.update(d);
        }
        hex::encode(h.finalize())
    }
}

/// An envelope's expiry, if it carries one.
fn expiry(change: &SignedChange) -> Option<i64> {
    if !rally_core::sealed::is_envelope(&change.bytes) {
        return None;
    }
    rally_core::sealed::Envelope::decode(&change.bytes)
        .ok()?
        .expires
}

fn signed_change(
    doc: Vec<u8>,
    author: Vec<u8>,
    signature: Vec<u8>,
    bytes: Vec<u8>,
) -> Option<SignedChange> {
    Some(SignedChange {
        doc: DocId(doc.try_into().ok()?),
        author: PersonaId(author.try_into().ok()?),
        signature: signature.try_into().ok()?,
        bytes,
    })
}

#[cfg(test)]
mod tests;
