//! What this store took in after a position, oldest first: its accepted
//! changes (documents' and group logs' envelopes, in `changes`) and its blobs,
//! each with the row id that orders it by arrival. A server process copies
//! them from here into the instance's shared journal (`rally-server`'s
//! `journal.rs`), and takes the others' from there with [`Store::ingest_with`]
//! and [`Store::put_blob`].
//!
//! Rows are numbered as they commit (SQLite has one writer at a time), so a
//! reader that remembers the last id it saw misses nothing. An envelope's body
//! dropped after its expiry is rewritten in place: it is read here as its stub
//! only if it is read after the sweep.

use rally_core::picture::BlobHash;
use rally_core::{DocId, PersonaId, SignedChange};
use rusqlite::params;

use crate::{Ctx, Store, StoreError};

impl Store {
    /// Up to `limit` accepted changes stored after row `after`, each with its row.
    pub fn changes_after(
        &self,
        after: i64,
        limit: usize,
    ) -> Result<Vec<(i64, SignedChange)>, StoreError> {
        let ctx = "reading changes by arrival";
        let mut stmt = self
            .conn()
            .prepare_cached(
                "SELECT id, doc, author, signature, bytes FROM changes
                 WHERE id > ?1 ORDER BY id LIMIT ?2",
            )
            .ctx(ctx)?;
        let rows = stmt
            .query_map(params![after, limit as i64], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, Vec<u8>>(1)?,
                    r.get::<_, Vec<u8>>(2)?,
                    r.get::<_, Vec<u8>>(3)?,
                    r.get::<_, Vec<u8>>(4)?,
                ))
            })
            .ctx(ctx)?;
        let mut out = Vec::new();
        for row in rows {
            let (id, doc, author, signature, bytes) = row.ctx(ctx)?;
            let (Ok(doc), Ok(author), Ok(signature)) = (
                <[u8; 32]>::try_from(doc.as_slice()),
                <[u8; 32]>::try_from(author.as_slice()),
                <[u8; 64]>::try_from(signature.as_slice()),
            ) else {
                continue;
            };
            out.push((
                id,
                SignedChange {
                    doc: DocId(doc),
                    author: PersonaId(author),
                    signature,
                    bytes,
                },
            ));
        }
        Ok(out)
    }

    /// Up to `limit` blobs stored after row `after`, each with its row.
    pub fn blobs_after(
        &self,
        after: i64,
        limit: usize,
    ) -> Result<Vec<(i64, BlobHash, Vec<u8>)>, StoreError> {
        let ctx = "reading pictures by arrival";
        let mut stmt = self
            .conn()
            .prepare_cached(
                "SELECT rowid, hash, bytes FROM blobs WHERE rowid > ?1 ORDER BY rowid LIMIT ?2",
            )
            .ctx(ctx)?;
        let rows = stmt
            .query_map(params![after, limit as i64], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, Vec<u8>>(1)?,
                    r.get::<_, Vec<u8>>(2)?,
                ))
            })
            .ctx(ctx)?;
        let mut out = Vec::new();
        for row in rows {
            let (id, hash, bytes) = row.ctx(ctx)?;
            if let Ok(hash) = <[u8; 32]>::try_from(hash.as_slice()) {
                out.push((id, BlobHash(hash), bytes));
            }
        }
        Ok(out)
    }
}
