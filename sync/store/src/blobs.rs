//! Pictures' bytes beside the documents (schema 13, `blobs` and `blob_refs`).
//!
//! A blob is kept only if a document here names it (`blob_refs`, maintained by
//! the indexer from each document's picture references): a picture cleaned here
//! is stored in the same transaction as the edit that names it, and one that
//! arrives from a peer ([`Store::take_blob`]) is kept only if its SHA-256 is its
//! address and something names it. The sync repo serves a blob to a peer that may
//! read a document naming it (`sync.rs`), and asks peers for the blobs named here
//! but missing ([`Store::missing_blobs`]).

use rally_core::picture::{BlobHash, MAX_BLOB_BYTES, Picture};
use rally_core::{DocId, PersonaId};
use rusqlite::{OptionalExtension, params};
use sha2::{Digest, Sha256};

use crate::{Ctx, Store, StoreError};

/// The 32-byte ids a one-column query returns (rows of another length skipped).
fn ids32(
    conn: &rusqlite::Connection,
    sql: &str,
    params: impl rusqlite::Params,
    ctx: &'static str,
) -> Result<Vec<[u8; 32]>, StoreError> {
    let mut stmt = conn.prepare_cached(sql).ctx(ctx)?;
    let rows = stmt
        .query_map(params, |r| r.get::<_, Vec<u8>>(0))
        .ctx(ctx)?;
    let mut out = Vec::new();
    for row in rows {
        if let Ok(id) = <[u8; 32]>::try_from(row.ctx(ctx)?) {
            out.push(id);
        }
    }
    Ok(out)
}

/// Keeps a blob's bytes (its hash already checked by the caller).
pub(crate) fn insert_blob(
    conn: &rusqlite::Connection,
    hash: BlobHash,
    bytes: &[u8],
) -> Result<(), StoreError> {
    conn.prepare_cached(
        "INSERT OR IGNORE INTO blobs (hash, bytes, stored_at) VALUES (?1, ?2, unixepoch())",
    )
    .ctx("storing a picture")?
    .execute(params![hash.0, bytes])
    .ctx("storing a picture")?;
    Ok(())
}

/// A blob's bytes, if it is here.
pub(crate) fn blob_bytes(
    conn: &rusqlite::Connection,
    hash: BlobHash,
) -> Result<Option<Vec<u8>>, StoreError> {
    conn.prepare_cached("SELECT bytes FROM blobs WHERE hash = ?1")
        .ctx("reading a picture")?
        .query_row([hash.0], |r| r.get(0))
        .optional()
        .ctx("reading a picture")
}

/// A local persona's own picture, if it set one.
pub(crate) fn persona_picture_in(
    conn: &rusqlite::Connection,
    persona: &PersonaId,
) -> Result<Option<Picture>, StoreError> {
    Ok(conn
        .prepare_cached("SELECT picture FROM persona_pictures WHERE persona = ?1")
        .ctx("reading a persona's picture")?
        .query_row([persona.0], |r| r.get::<_, String>(0))
        .optional()
        .ctx("reading a persona's picture")?
        .and_then(|s| Picture::decode(&s)))
}

/// What became of a blob offered to the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlobTaken {
    Stored,
    /// Already here.
    Known,
    /// No document here names it: not kept.
    Unwanted,
    /// Its bytes do not hash to its address, or are too many.
    Corrupt,
}

impl Store {
    /// Keeps `bytes` as the blob `hash` if they hash to it, and a document here
    /// names it or `named_by_caller` (a picture cleaned for an edit being made in
    /// the same transaction).
    pub fn put_blob(
        &self,
        hash: BlobHash,
        bytes: &[u8],
        named_by_caller: bool,
    ) -> Result<BlobTaken, StoreError> {
        let ctx = "storing a picture";
        if bytes.is_empty()
            || bytes.len() > MAX_BLOB_BYTES as usize
            || <[u8; 32]>::from(Sha256::digest(bytes)) != hash.0
        {
            return Ok(BlobTaken::Corrupt);
        }
        if self.has_blob(hash)? {
            return Ok(BlobTaken::Known);
        }
        if !named_by_caller && !self.blob_named(hash)? {
            return Ok(BlobTaken::Unwanted);
        }
        self.conn()
            .prepare_cached(
                "INSERT INTO blobs (hash, bytes, stored_at) VALUES (?1, ?2, unixepoch())",
            )
            .ctx(ctx)?
            .execute(params![hash.0, bytes])
            .ctx(ctx)?;
        Ok(BlobTaken::Stored)
    }

    /// A blob from a peer: kept only if something here names it.
    pub fn take_blob(&self, hash: BlobHash, bytes: &[u8]) -> Result<BlobTaken, StoreError> {
        self.put_blob(hash, bytes, false)
    }

    pub fn blob(&self, hash: BlobHash) -> Result<Option<Vec<u8>>, StoreError> {
        blob_bytes(self.conn(), hash)
    }

    pub fn has_blob(&self, hash: BlobHash) -> Result<bool, StoreError> {
        self.conn()
            .prepare_cached("SELECT count(*) FROM blobs WHERE hash = ?1")
            .ctx("reading a picture")?
            .query_row([hash.0], |r| r.get::<_, i64>(0))
            .map(|n| n > 0)
            .ctx("reading a picture")
    }

    /// Whether a document here names the blob.
    pub fn blob_named(&self, hash: BlobHash) -> Result<bool, StoreError> {
        self.conn()
            .prepare_cached("SELECT count(*) FROM blob_refs WHERE hash = ?1")
            .ctx("reading pictures")?
            .query_row([hash.0], |r| r.get::<_, i64>(0))
            .map(|n| n > 0)
            .ctx("reading pictures")
    }

    /// Blobs named by documents here that have not arrived, at most `limit`,
    /// those of the soonest events first.
    pub fn missing_blobs(&self, limit: usize) -> Result<Vec<BlobHash>, StoreError> {
        let ids = ids32(
            self.conn(),
            "SELECT r.hash FROM blob_refs r
             LEFT JOIN events e ON e.doc = r.doc
             WHERE NOT EXISTS (SELECT 1 FROM blobs b WHERE b.hash = r.hash)
             GROUP BY r.hash ORDER BY min(coalesce(e.starts, 0)) LIMIT ?1",
            [limit as i64],
            "listing missing pictures",
        )?;
        Ok(ids.into_iter().map(BlobHash).collect())
    }

    /// The documents that name a blob.
    pub fn blob_names(&self, hash: BlobHash) -> Result<Vec<DocId>, StoreError> {
        let ids = ids32(
            self.conn(),
            "SELECT doc FROM blob_refs WHERE hash = ?1",
            [hash.0],
            "reading pictures",
        )?;
        Ok(ids.into_iter().map(DocId).collect())
    }

    /// Grows whenever a blob is stored (for watchers: a picture that arrives
    /// after its document changes what a screen shows).
    pub fn blob_cursor(&self) -> Result<i64, StoreError> {
        self.conn()
            .prepare_cached("SELECT coalesce(max(rowid), 0) FROM blobs")
            .and_then(|mut s| s.query_row([], |r| r.get(0)))
            .ctx("reading pictures")
    }

    /// Forgets blobs nothing names any more (a banner replaced or removed);
    /// returns how many.
    pub fn forget_unnamed_blobs(&self) -> Result<usize, StoreError> {
        forget_unnamed(self.conn())
    }

    /// A local persona's own picture (or none).
    pub fn set_persona_picture(
        &self,
        persona: &PersonaId,
        picture: Option<&Picture>,
    ) -> Result<(), StoreError> {
        let ctx = "keeping a persona's picture";
        match picture {
            Some(p) => self.conn().prepare_cached("INSERT OR REPLACE INTO persona_pictures (persona, picture, page, card) VALUES (?1, ?2, ?3, ?4)").and_then(|mut s| s.execute(params![persona.0, p.encode(), p.hash.0, p.card.0])),
            None => self
                .conn()
                .prepare_cached("DELETE FROM persona_pictures WHERE persona = ?1").and_then(|mut s| s.execute([persona.0])),
        }
        .ctx(ctx)?;
        Ok(())
    }

    pub fn persona_picture(&self, persona: &PersonaId) -> Result<Option<Picture>, StoreError> {
        persona_picture_in(self.conn(), persona)
    }

    /// The documents where `persona` has an entry of its own: the groups it is
    /// a member of, the events it answered.
    pub fn own_entries(&self, persona: &PersonaId) -> Result<Vec<DocId>, StoreError> {
        let ids = ids32(
            self.conn(),
            "SELECT g.doc FROM group_members m JOIN groups g ON g.id = m.grp WHERE m.persona = ?1
             UNION
             SELECT e.doc FROM event_people ep JOIN events e ON e.id = ep.event
             WHERE ep.persona = ?1 AND ep.relation IN ('going', 'interested', 'pending', 'declined', 'rejected')",
            [persona.0],
            "reading a persona's documents",
        )?;
        Ok(ids.into_iter().map(DocId).collect())
    }
}

/// [`Store::forget_unnamed_blobs`] on the caller's connection or transaction.
pub(crate) fn forget_unnamed(conn: &rusqlite::Connection) -> Result<usize, StoreError> {
    conn.prepare_cached("DELETE FROM blobs WHERE NOT EXISTS (SELECT 1 FROM blob_refs r WHERE r.hash = blobs.hash)
               AND NOT EXISTS (SELECT 1 FROM persona_pictures p WHERE p.page = blobs.hash OR p.card = blobs.hash)").and_then(|mut s| s.execute([]))
        .ctx("forgetting pictures")
}
