//! What this store took in, for a server process that shares its instance
//! with others (`rally-server`'s `journal.rs`). Once the server turns it on
//! ([`Store::share_through_journal`]), triggers (schema 24) list every change
//! accepted or refused and every picture stored, by any connection, in
//! `journal_outbox`, in the order they were stored; the server copies them to
//! the instance's journal ([`Store::outgoing_after`]) and forgets them here
//! ([`Store::forget_outgoing`]). What it takes from the journal it stores
//! inside [`Store::quietly`], which lists nothing again.
//!
//! Refused changes go too: a change refused for equivocation withdraws the
//! one it contradicts, and every process must see both to do the same.

use rally_core::picture::BlobHash;
use rally_core::{DocId, PersonaId, SignedChange};
use rusqlite::params;

use crate::relay_state::RelayTable;
use crate::{Ctx, Store, StoreError};

/// The `meta` key that turns the lists on (here and in `relay_state.rs`).
pub(crate) const KEY: &str = "journal";

/// One thing this store took in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outgoing {
    /// A change, accepted or refused here.
    Change(SignedChange),
    Blob(BlobHash, Vec<u8>),
}

impl Store {
    /// From now on, lists everything this store takes in and every change to
    /// the relay's own tables (kept across restarts). The first time, what it
    /// already holds is listed, as taken in: a server that ran alone, or was
    /// copied with `rally-server migrate`, joining a shared instance.
    pub fn share_through_journal(&mut self) -> Result<(), StoreError> {
        let ctx = "listing what this store holds for the shared journal";
        let tx = self.write().ctx(ctx)?;
        if crate::meta::read(&tx, KEY)?.is_none() {
            tx.execute_batch(
                "INSERT INTO journal_outbox (kind, ref) SELECT 0, id FROM changes ORDER BY id;
                 INSERT INTO journal_outbox (kind, ref) SELECT 1, id FROM rejected ORDER BY id;
                 INSERT INTO journal_outbox (kind, ref) SELECT 2, hash FROM blobs ORDER BY rowid;",
            )
            .ctx(ctx)?;
            for table in RelayTable::ALL {
                let cols = table.columns();
                let letters = &["a", "b", "c", "d"][..cols.len()];
                tx.execute(
                    &format!(
                        "INSERT INTO relay_outbox (tbl, added, {}) SELECT ?1, 1, {} FROM {}",
                        letters.join(", "),
                        cols.join(", "),
                        table.name()
                    ),
                    [table.name()],
                )
                .ctx(ctx)?;
            }
            crate::meta::write(&tx, KEY, Some("1"))?;
        }
        tx.commit().ctx(ctx)
    }

    /// Stops listing (a server that runs alone again) and forgets the lists.
    pub fn stop_sharing_through_journal(&mut self) -> Result<(), StoreError> {
        let ctx = "no longer listing for the shared journal";
        let tx = self.write().ctx(ctx)?;
        crate::meta::write(&tx, KEY, None)?;
        tx.execute_batch("DELETE FROM journal_outbox; DELETE FROM relay_outbox;")
            .ctx(ctx)?;
        tx.commit().ctx(ctx)
    }

    /// Runs `f` in one transaction (or in the caller's batch) in which
    /// nothing stored is listed for the journal.
    pub fn quietly<T>(
        &mut self,
        f: impl FnOnce(&mut Store) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let own = self.conn.is_autocommit();
        if own {
            self.begin_batch()?;
        }
        let key = match crate::meta::read(&self.conn, KEY)
            .and_then(|key| crate::meta::write(&self.conn, KEY, None).map(|()| key))
        {
            Ok(key) => key,
            Err(e) => {
                if own {
                    self.abort_batch();
                }
                return Err(e);
            }
        };
        let out = f(self);
        // Put back whatever became of `f` (inside a caller's batch, its
        // commit must not keep the lists off).
        let restored = crate::meta::write(&self.conn, KEY, key.as_deref());
        let out = out.and_then(|out| restored.map(|()| out));
        match out {
            Ok(out) if own => match self.commit_batch() {
                Ok(()) => Ok(out),
                Err(e) => {
                    self.abort_batch();
                    Err(e)
                }
            },
            Ok(out) => Ok(out),
            Err(e) => {
                if own {
                    self.abort_batch();
                }
                Err(e)
            }
        }
    }

    /// Up to `limit` listed entries after `after`: the last number read (none
    /// when there is nothing after it) and what they name that is still here.
    pub fn outgoing_after(
        &self,
        after: i64,
        limit: usize,
    ) -> Result<(Option<i64>, Vec<Outgoing>), StoreError> {
        let ctx = "reading what this store took in";
        let mut stmt = self
            .conn()
            .prepare_cached(
                "SELECT o.id, o.kind,
                        coalesce(c.doc, r.doc), coalesce(c.author, r.author),
                        coalesce(c.signature, r.signature), coalesce(c.bytes, r.bytes),
                        b.hash, b.bytes
                 FROM journal_outbox o
                 LEFT JOIN changes c ON o.kind = 0 AND c.id = o.ref
                 LEFT JOIN rejected r ON o.kind = 1 AND r.id = o.ref
                 LEFT JOIN blobs b ON o.kind = 2 AND b.hash = o.ref
                 WHERE o.id > ?1 ORDER BY o.id LIMIT ?2",
            )
            .ctx(ctx)?;
        type Raw = (
            i64,
            Option<Vec<u8>>,
            Option<Vec<u8>>,
            Option<Vec<u8>>,
            Option<Vec<u8>>,
            Option<Vec<u8>>,
            Option<Vec<u8>>,
        );
        let rows = stmt
            .query_map(params![after, limit as i64], |r| -> rusqlite::Result<Raw> {
                Ok((
                    r.get(0)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                    r.get(6)?,
                    r.get(7)?,
                ))
            })
            .ctx(ctx)?;
        let mut last = None;
        let mut out = Vec::new();
        for row in rows {
            let (id, doc, author, signature, bytes, hash, blob) = row.ctx(ctx)?;
            last = Some(id);
            // Gone since (a change withdrawn, a picture forgotten): nothing to send.
            if let (Some(doc), Some(author), Some(signature), Some(bytes)) =
                (doc, author, signature, bytes)
                && let (Ok(doc), Ok(author), Ok(signature)) = (
                    <[u8; 32]>::try_from(doc.as_slice()),
                    <[u8; 32]>::try_from(author.as_slice()),
                    <[u8; 64]>::try_from(signature.as_slice()),
                )
            {
                out.push(Outgoing::Change(SignedChange {
                    doc: DocId(doc),
                    author: PersonaId(author),
                    signature,
                    bytes,
                }));
            } else if let (Some(hash), Some(blob)) = (hash, blob)
                && let Ok(hash) = <[u8; 32]>::try_from(hash.as_slice())
            {
                out.push(Outgoing::Blob(BlobHash(hash), blob));
            }
        }
        Ok((last, out))
    }

    /// Forgets the entries up to `upto` (copied to the journal).
    pub fn forget_outgoing(&self, upto: i64) -> Result<(), StoreError> {
        self.conn()
            .prepare_cached("DELETE FROM journal_outbox WHERE id <= ?1")
            .and_then(|mut s| s.execute([upto]))
            .ctx("forgetting what was copied to the journal")?;
        Ok(())
    }
}
