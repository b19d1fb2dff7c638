//! The documents of a shared instance, in its database: everything any of its
//! processes took in (changes to documents and group logs' sealed envelopes,
//! accepted or refused, and pictures), once each, in the order they were
//! written there, and what each process' relay learned from its peers (the
//! `journal` store, [`crate::db::migrations::Store::Journal`]).
//!
//! Each process keeps its working copy in its own store (`rally.db`: the
//! indexes and reading rules the relay serves from are the devices' store),
//! which lists what it takes in (`rally_store`'s `journal_outbox.rs` and
//! `relay_state.rs`). Its upkeep thread (`siblings::Upkeep`) copies those
//! lists into the journal ([`Journal::publish`]) and takes into the store
//! what the journal gained since ([`Journal::take`]), every second; a process
//! starting does both before its node and its web server listen. So a process
//! started on an empty directory serves the whole instance, whichever
//! processes are running, and the database alone holds every document.
//!
//! - Each change is judged again where it is taken (signatures and the
//!   documents' rules), as from a sibling: the reading rules and caps were
//!   applied by the process it first reached. Refused changes go too, so an
//!   equivocation withdraws the same change everywhere.
//! - What a process takes is stored without being listed again
//!   (`Store::quietly`), so nothing comes back.
//! - Entries are numbered under a lock (one writer at a time on PostgreSQL,
//!   as on SQLite), so a reader that remembers the last number it took misses
//!   nothing; the stores' lists are numbered with AUTOINCREMENT for the same
//!   reason.
//! - Relay facts are applied in the journal's order by every process, its own
//!   included, so every process ends the same.
//! - An envelope keeps its expiry here, and its body is replaced by its stub
//!   at that time ([`Journal::sweep`]), as every holder drops it. PostgreSQL
//!   keeps the old row version until it is vacuumed (autovacuum does so), and
//!   its write-ahead log and backups keep what they kept.

use rally_core::picture::BlobHash;
use rally_core::{DocId, PersonaId, SignedChange};
use rally_store::{IngestPolicy, Outgoing, RelayFact, RelayTable, Store, StoreError, Timestamp};
use sha2::{Digest, Sha256};

use crate::db::{Conn, Database, Dialect, SqlError, Value};
use crate::vals;

/// The journal's store: a file beside the others on SQLite (tests), a schema
/// on PostgreSQL.
pub const JOURNAL_FILE: &str = "journal.db";

/// Entries copied or taken per transaction (pictures are a few MB at most).
const PER_BATCH: usize = 200;

const CHANGE: i64 = 0;
const BLOB: i64 = 2;

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

impl Journal {
    pub fn open(database: &Database, node: &PersonaId) -> Result<Journal, SqlError> {
        let conn = database.open(JOURNAL_FILE, crate::db::migrations::Store::Journal)?;
        conn.exec(
            "INSERT INTO readers (node, published, facts_published, taken, facts_taken)
             VALUES (?1, 0, 0, 0, 0) ON CONFLICT (node) DO NOTHING",
            vals![&node.0],
        )?;
        Ok(Journal {
            conn,
            node: node.0.to_vec(),
        })
    }

    /// This process' position in one of its lists (a column of `readers`).
    fn at(&self, column: Position) -> Result<i64, SqlError> {
        Ok(self
            .conn
            .one(
                &format!("SELECT {} FROM readers WHERE node = ?1", column.name()),
                vals![self.node.clone()],
            )?
            .unwrap_or(0))
    }

    fn set(&self, column: Position, to: i64) -> Result<(), SqlError> {
        self.conn.exec(
            &format!("UPDATE readers SET {} = ?2 WHERE node = ?1", column.name()),
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

    /// Copies into the journal what `store` listed since this process last
    /// did; how many changes, pictures and facts were new to it.
    pub fn publish(&self, store: &Store) -> Result<Moved, JournalError> {
        let mut moved = Moved::default();
        let mut at = self.at(Position::Published)?;
        // What an earlier call copied but could not forget (killed between the
        // two, the store busy): forgotten now, so no list holds what is sent.
        store.forget_outgoing(at)?;
        store.forget_relay_facts(self.at(Position::FactsPublished)?)?;
        loop {
            let (Some(last), batch) = store.outgoing_after(at, PER_BATCH)? else {
                break;
            };
            moved = self.conn.transaction(|c| {
                Self::lock(c)?;
                let mut moved = moved;
                for entry in &batch {
                    match entry {
                        Outgoing::Change(change) => {
                            moved.changes += c.exec(
                                "INSERT INTO entries (key, kind, doc, author, bytes, expires)
                                 VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (key) DO NOTHING",
                                &[
                                    Value::from(change.signature.as_slice()),
                                    Value::Int(CHANGE),
                                    Value::from(&change.doc.0),
                                    Value::from(&change.author.0),
                                    Value::from(change.bytes.as_slice()),
                                    expiry(change).map_or(Value::Null, Value::Int),
                                ],
                            )? as usize;
                        }
                        Outgoing::Blob(hash, bytes) => {
                            moved.blobs += c.exec(
                                "INSERT INTO entries (key, kind, bytes) VALUES (?1, ?2, ?3)
                                 ON CONFLICT (key) DO NOTHING",
                                vals![&hash.0, BLOB, bytes.as_slice()],
                            )? as usize;
                        }
                    }
                }
                self.set(Position::Published, last)?;
                Ok::<_, SqlError>(moved)
            })?;
            store.forget_outgoing(last)?;
            at = last;
        }
        let mut at = self.at(Position::FactsPublished)?;
        loop {
            let (Some(last), batch) = store.relay_facts_after(at, PER_BATCH)? else {
                break;
            };
            self.conn.transaction(|c| {
                Self::lock(c)?;
                for fact in &batch {
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
                self.set(Position::FactsPublished, last)
            })?;
            moved.facts += batch.len();
            store.forget_relay_facts(last)?;
            at = last;
        }
        Ok(moved)
    }

    /// Takes into `store` what the journal gained since this process last
    /// took; how many changes, pictures and facts were read.
    pub fn take(&self, store: &mut Store, now: Timestamp) -> Result<Moved, JournalError> {
        let mut moved = Moved::default();
        let mut at = self.at(Position::Taken)?;
        loop {
            let (Some(last), entries) = self.entries_after(at, PER_BATCH)? else {
                break;
            };
            // In the journal's order (a picture after the change that names
            // it), in one transaction that lists nothing again.
            store.quietly(|store| {
                let mut changes = Vec::new();
                for entry in entries {
                    match entry {
                        Outgoing::Change(c) => changes.push(c),
                        Outgoing::Blob(hash, bytes) => {
                            moved.changes += ingest(store, std::mem::take(&mut changes), now)?;
                            // Checked against its hash; kept even if what names
                            // it still waits for another change.
                            store.put_blob(hash, &bytes, true)?;
                            moved.blobs += 1;
                        }
                    }
                }
                moved.changes += ingest(store, changes, now)?;
                Ok(())
            })?;
            self.set(Position::Taken, last)?;
            at = last;
        }
        let mut at = self.at(Position::FactsTaken)?;
        loop {
            let rows = self.conn.rows(
                "SELECT id, tbl, added, a, b, c, d FROM relay_facts
                 WHERE id > ?1 ORDER BY id LIMIT ?2",
                vals![at, PER_BATCH as i64],
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
            self.set(Position::FactsTaken, last)?;
            at = last;
        }
        Ok(moved)
    }

    /// Drops the bodies of envelopes whose time has come (they stay as stubs,
    /// as in every store); how many.
    pub fn sweep(&self, now_ms: i64) -> Result<usize, SqlError> {
        let mut n = 0;
        loop {
            let due = self.conn.rows(
                "SELECT id, bytes FROM entries WHERE expires IS NOT NULL AND expires <= ?1 LIMIT 100",
                vals![now_ms],
            )?;
            if due.is_empty() {
                return Ok(n);
            }
            for r in &due {
                let id: i64 = r.get(0)?;
                let bytes: Vec<u8> = r.get(1)?;
                // None: a stub already (sent after its holder's own sweep).
                let stub = rally_core::sealed::stub_of(&bytes).unwrap_or(bytes);
                self.conn.exec(
                    "UPDATE entries SET bytes = ?2, expires = NULL WHERE id = ?1",
                    vals![id, stub],
                )?;
                n += 1;
            }
        }
    }

    /// How many relay facts the journal holds.
    pub fn facts(&self) -> Result<u64, SqlError> {
        Ok(self
            .conn
            .one::<i64>("SELECT count(*) FROM relay_facts", &[])?
            .unwrap_or(0) as u64)
    }

    /// Whether the journal holds nothing at all.
    pub fn is_empty(&self) -> Result<bool, SqlError> {
        Ok(self
            .conn
            .one::<i64>(
                "SELECT count(*) FROM (SELECT 1 FROM entries LIMIT 1) e",
                &[],
            )?
            .unwrap_or(0)
            == 0
            && self
                .conn
                .one::<i64>(
                    "SELECT count(*) FROM (SELECT 1 FROM relay_facts LIMIT 1) f",
                    &[],
                )?
                .unwrap_or(0)
                == 0)
    }

    /// Marks everything now in the journal as taken by this process (after
    /// `rally-server migrate` filled an empty one from this process' store).
    pub fn mark_all_taken(&self) -> Result<(), SqlError> {
        self.conn.exec(
            "UPDATE readers SET taken = (SELECT coalesce(max(id), 0) FROM entries),
                                facts_taken = (SELECT coalesce(max(id), 0) FROM relay_facts)
             WHERE node = ?1",
            vals![self.node.clone()],
        )?;
        Ok(())
    }

    /// The entries the journal holds, counted and summed (see [`Checksum`]).
    pub fn checksum(&self) -> Result<Checksum, SqlError> {
        let mut sum = Checksum::default();
        let mut after = 0i64;
        while let (Some(last), entries) = self.entries_after(after, 1000)? {
            for entry in &entries {
                sum.add(entry);
            }
            after = last;
        }
        Ok(sum)
    }

    /// Up to `limit` entries after `after`: the last number read (none when
    /// there is nothing after it) and the entries, in order.
    fn entries_after(
        &self,
        after: i64,
        limit: usize,
    ) -> Result<(Option<i64>, Vec<Outgoing>), SqlError> {
        let rows = self.conn.rows(
            "SELECT id, kind, key, doc, author, bytes FROM entries
             WHERE id > ?1 ORDER BY id LIMIT ?2",
            vals![after, limit as i64],
        )?;
        let last = rows.last().map(|r| r.get::<i64>(0)).transpose()?;
        let mut entries = Vec::with_capacity(rows.len());
        for r in &rows {
            let (kind, key, bytes): (i64, Vec<u8>, Vec<u8>) = (r.get(1)?, r.get(2)?, r.get(5)?);
            if kind == BLOB {
                if let Ok(hash) = <[u8; 32]>::try_from(key.as_slice()) {
                    entries.push(Outgoing::Blob(BlobHash(hash), bytes));
                }
            } else if let Some(change) = signed_change(r.get(3)?, r.get(4)?, key, bytes) {
                entries.push(Outgoing::Change(change));
            }
        }
        Ok((last, entries))
    }
}

/// The columns of `readers` holding one process' positions.
#[derive(Debug, Clone, Copy)]
enum Position {
    Published,
    FactsPublished,
    Taken,
    FactsTaken,
}

impl Position {
    fn name(self) -> &'static str {
        match self {
            Position::Published => "published",
            Position::FactsPublished => "facts_published",
            Position::Taken => "taken",
            Position::FactsTaken => "facts_taken",
        }
    }
}

/// Changes judged again here, as from a sibling: what the documents' rules
/// refuse is kept as refused, what waits waits. How many were read.
fn ingest(
    store: &mut Store,
    changes: Vec<SignedChange>,
    now: Timestamp,
) -> Result<usize, StoreError> {
    if changes.is_empty() {
        return Ok(0);
    }
    let n = changes.len();
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
    Ok(n)
}

/// Entries counted, and SHA-256 over the sorted SHA-256 of each: the same for
/// a store's list and a journal that hold the same changes and pictures,
/// whatever their order.
#[derive(Debug, Default, Clone)]
pub struct Checksum {
    digests: Vec<[u8; 32]>,
}

impl Checksum {
    pub fn add(&mut self, entry: &Outgoing) {
        let mut h = Sha256::new();
        match entry {
            Outgoing::Change(c) => {
                h.update(b"change");
                h.update(c.doc.0);
                h.update(c.author.0);
                h.update(c.signature);
                h.update((c.bytes.len() as u64).to_be_bytes());
                h.update(&c.bytes);
            }
            Outgoing::Blob(hash, bytes) => {
                h.update(b"blob");
                h.update(hash.0);
                h.update((bytes.len() as u64).to_be_bytes());
                h.update(bytes);
            }
        }
        self.digests.push(h.finalize().into());
    }

    /// Everything a store lists for the journal (and has not forgotten),
    /// without taking it off the list.
    pub fn of_outbox(store: &Store) -> Result<Checksum, StoreError> {
        let mut sum = Checksum::default();
        let mut after = 0;
        while let (Some(last), batch) = store.outgoing_after(after, 1000)? {
            for entry in &batch {
                sum.add(entry);
            }
            after = last;
        }
        Ok(sum)
    }

    /// How many different entries, and the checksum (an entry listed twice,
    /// a change refused twice, is one in the journal).
    pub fn finish(mut self) -> (u64, String) {
        self.digests.sort_unstable();
        self.digests.dedup();
        let mut h = Sha256::new();
        for d in &self.digests {
            h.update(d);
        }
        (self.digests.len() as u64, hex::encode(h.finalize()))
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
    doc: Option<Vec<u8>>,
    author: Option<Vec<u8>>,
    signature: Vec<u8>,
    bytes: Vec<u8>,
) -> Option<SignedChange> {
    Some(SignedChange {
        doc: DocId(doc?.try_into().ok()?),
        author: PersonaId(author?.try_into().ok()?),
        signature: signature.try_into().ok()?,
        bytes,
    })
}

#[cfg(test)]
mod tests;
