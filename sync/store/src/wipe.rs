//! Wiping a device, keys first: a phone lost or seized at a march should give
//! nothing away, and a wipe that is interrupted (the battery, a hand on the
//! phone) should already have destroyed what matters most.
//!
//! [`Store::destroy_keys`] overwrites every secret the store holds — the
//! personas' signing keys, and the groups' epoch secrets and document keys,
//! which open their members-only documents and chat — with zeros, with
//! SQLite's `secure_delete` on, then rewrites the database (`VACUUM`) and
//! empties its write-ahead log, so none of those bytes is left in the store's
//! files. [`Store::wipe`] then removes the data directory. Until the store is
//! encrypted at rest, what the flash chip itself keeps of rewritten blocks is
//! out of the files' reach.

use std::path::{Path, PathBuf};

use crate::{Ctx, Store, StoreError};

impl Store {
    /// Overwrites every key and secret with zeros, and leaves no copy of them
    /// in the database file or its log.
    pub fn destroy_keys(&mut self) -> Result<(), StoreError> {
        self.conn
            .pragma_update(None, "secure_delete", "ON")
            .ctx("turning secure delete on")?;
        {
            let tx = self.write().ctx("destroying the keys")?;
            tx.execute_batch(
                "UPDATE personas SET secret_key = zeroblob(length(secret_key));
                 UPDATE group_keys SET
                     secret = CASE WHEN secret IS NULL THEN NULL ELSE zeroblob(length(secret)) END,
                     document_key = zeroblob(length(document_key));",
            )
            .ctx("destroying the keys")?;
            tx.commit().ctx("destroying the keys")?;
        }
        // Old copies of the pages live in the log and in free pages: the log
        // goes into the file, the file is rebuilt, the log is emptied.
        self.conn
            .execute_batch(
                "PRAGMA wal_checkpoint(TRUNCATE); VACUUM; PRAGMA wal_checkpoint(TRUNCATE);",
            )
            .ctx("rewriting the database without the keys")?;
        self.docs = Default::default();
        Ok(())
    }

    /// Destroys the keys, then removes the data directory and everything in
    /// it; the directory that was removed. The store is of no more use after
    /// (its connection stays open on files that are gone: Unix-like systems,
    /// Android and iOS included, remove open files).
    pub fn wipe(&mut self) -> Result<PathBuf, StoreError> {
        self.destroy_keys()?;
        let dir = self
            .path
            .parent()
            .map(Path::to_owned)
            .unwrap_or_else(|| PathBuf::from("."));
        std::fs::remove_dir_all(&dir).map_err(|source| StoreError::Io {
            path: dir.clone(),
            source,
        })?;
        Ok(dir)
    }
}
