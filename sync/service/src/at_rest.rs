//! Opening the device's store encrypted at rest (`rally_store::at_rest` has
//! the mechanism): the CLI and the app open it through [`Service::open_device`]
//! with the OS keystore ([`crate::keystore`]) and the passphrase the person
//! gave, if any; `rally store encrypt` and the app's settings move the key
//! ([`Service::protect`]). A server's store stays plaintext
//! ([`Service::open`]).

use std::path::{Path, PathBuf};

use rally_store::at_rest::{self, LockInfo, LockRules, Protection, Unlock, Unlocked};

use crate::{Result, Service, keystore};

impl Service {
    /// Opens (or creates) the device's store in `dir`, encrypted at rest: a new
    /// or plaintext store gets a key, sealed by `passphrase` if given, else
    /// kept in the OS keystore, else in its key file; a plaintext store is
    /// encrypted in place first. A store sealed by a passphrase needs it.
    pub fn open_device(dir: &Path, passphrase: Option<&str>) -> Result<(Service, Unlocked)> {
        let unlocked = at_rest::unlock(
            dir,
            Unlock {
                passphrase,
                keystore: keystore::os(),
            },
        )?;
        Ok((Service::open(dir)?, unlocked))
    }

    pub(crate) fn data_dir(&self) -> PathBuf {
        self.store
            .path()
            .parent()
            .map(Path::to_owned)
            .unwrap_or_else(|| PathBuf::from("."))
    }

    /// Whether the store is encrypted, and where its key is kept.
    pub fn protection(&self) -> Result<Protection> {
        Ok(at_rest::protection(&self.data_dir(), keystore::os())?)
    }

    /// Keeps the store's key sealed by `passphrase`, or (`None`) in the OS
    /// keystore, or in the key file if there is none; the data stays as it is.
    pub fn protect(&mut self, passphrase: Option<&str>) -> Result<Protection> {
        Ok(at_rest::reprotect(
            &self.data_dir(),
            Unlock {
                passphrase,
                keystore: keystore::os(),
            },
        )?)
    }
}

/// How the store in `dir` is kept and locked, without opening it (the lock
/// screen shows it before the store is open).
pub fn keeping(dir: &Path) -> Result<(Protection, LockInfo)> {
    Ok((
        at_rest::protection(dir, keystore::os())?,
        at_rest::lock_info(dir)?,
    ))
}

impl Service {
    /// Seals the store's key by `passphrase`, with the lock's rules: wipe
    /// after so many wrong passphrases in a row, at once on the duress one;
    /// lock the app after some time in the background.
    pub fn seal(&mut self, passphrase: &str, rules: LockRules<'_>) -> Result<Protection> {
        let duress = rules.duress.filter(|d| !d.is_empty());
        if passphrase.is_empty() {
            return Err(rally_store::StoreError::BadLock("the passphrase is empty".into()).into());
        }
        if duress == Some(passphrase) {
            return Err(rally_store::StoreError::BadLock(
                "the duress passphrase must differ from the passphrase".into(),
            )
            .into());
        }
        let protection = self.protect(Some(passphrase))?;
        at_rest::set_lock(&self.data_dir(), LockRules { duress, ..rules })?;
        Ok(protection)
    }

    /// Wipes a device whose store cannot be opened (sealed by a passphrase
    /// nobody gave, or its keystore gone): the key is destroyed — what is left
    /// of the database is noise — then the data directory is removed.
    pub fn wipe_locked(dir: &Path) -> Result<PathBuf> {
        at_rest::wipe_dir(dir, keystore::os())?;
        Ok(dir.to_owned())
    }
}

impl crate::ServiceError {
    /// The store is sealed by a passphrase none was given for.
    pub fn needs_passphrase(&self) -> bool {
        matches!(
            self,
            crate::ServiceError::Store(e) if matches!(**e, rally_store::StoreError::PassphraseNeeded)
        )
    }

    /// The store is locked: its passphrase or its keystore is needed.
    pub fn is_locked(&self) -> bool {
        matches!(
            self,
            crate::ServiceError::Store(e) if matches!(
                **e,
                rally_store::StoreError::PassphraseNeeded
                    | rally_store::StoreError::WrongPassphrase
                    | rally_store::StoreError::KeyUnavailable { .. }
            )
        )
    }
}
