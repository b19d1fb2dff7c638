//! The device's store encrypted at rest: a phone lost or seized gives nothing
//! away.
//!
//! How the parts connect:
//! - the database is SQLCipher's (every page encrypted and authenticated) under
//!   a random 256-bit **data key**, given raw (no key derivation on each open);
//! - `store.key` beside it ([`key_file`]) says where that key is kept: in the
//!   OS keystore (a [`Keystore`] the caller supplies: Secret Service, Keychain,
//!   Android Keystore, Credential Manager), sealed by a passphrase through
//!   Argon2id, or — only when neither exists — in the file itself;
//! - [`unlock`] is the device's first step: it reads or makes the key, encrypts
//!   a plaintext store in place ([`encrypt`], crash-safe), checks the key opens
//!   the database, and remembers the key for this process, so that every later
//!   [`crate::Store::open`] of that directory (the sync node's, the CLI's)
//!   finds it without asking again;
//! - a store with no `store.key` is a plaintext one: the server's, and old
//!   devices' until their first [`unlock`];
//! - [`destroy_key`] is the panic wipe's first step: without the key, what is
//!   left of the database on the flash is noise.

mod encrypt;
mod key_file;
mod keystore;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use serde::Serialize;
use zeroize::Zeroizing;

pub use keystore::{Keystore, KeystoreError, MemoryKeystore};

use crate::{DB_FILE, StoreError};
use key_file::{KeptIn, KeyFile};

/// The file beside the database that says where its key is kept.
pub const KEY_FILE: &str = "store.key";
/// The service name of Rally's entries in an OS keystore.
pub const KEYSTORE_SERVICE: &str = "rally";

/// The store's 256-bit data key, zeroed when dropped.
#[derive(Clone)]
pub struct DataKey(Zeroizing<[u8; 32]>);

impl std::fmt::Debug for DataKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DataKey(…)")
    }
}

impl DataKey {
    pub(crate) fn new(bytes: [u8; 32]) -> DataKey {
        DataKey(Zeroizing::new(bytes))
    }

    fn generate() -> DataKey {
        DataKey::new(random())
    }

    pub(crate) fn bytes(&self) -> &[u8; 32] {
        &self.0
    }

    fn hex(&self) -> Zeroizing<String> {
        Zeroizing::new(hex::encode(*self.0))
    }

    fn from_hex(text: &str) -> Option<DataKey> {
        let bytes = Zeroizing::new(hex::decode(text).ok()?);
        let key: [u8; 32] = bytes.as_slice().try_into().ok()?;
        Some(DataKey::new(key))
    }

    /// SQLCipher's raw-key literal for `PRAGMA key`.
    pub(crate) fn sqlcipher_literal(&self) -> Zeroizing<String> {
        Zeroizing::new(format!("x'{}'", self.hex().as_str()))
    }
}

/// Keys a new connection (before anything else touches the database), with
/// SQLCipher's own logging off: a failed decryption is an error the caller
/// reports, not lines on the terminal.
pub(crate) fn apply_key(conn: &rusqlite::Connection, key: &DataKey) -> rusqlite::Result<()> {
    conn.execute_batch("PRAGMA cipher_log_level = NONE;")?;
    conn.pragma_update(None, "key", key.sqlcipher_literal().as_str())
}

fn random<const N: usize>() -> [u8; N] {
    let mut buf = [0u8; N];
    getrandom::fill(&mut buf).expect("the operating system's random source is available");
    buf
}

/// Where a store's key is kept, as `store info` reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kept_in")]
pub enum Protection {
    /// No key: a plaintext store (a server's).
    None,
    /// In the OS keystore named.
    Keystore { keystore: String },
    /// Sealed by a passphrase (Argon2id).
    Passphrase,
    /// In `store.key` beside the database: encrypted, but the key lies next to
    /// it (no keystore on this system and no passphrase chosen).
    File,
}

impl Protection {
    pub fn encrypted(&self) -> bool {
        !matches!(self, Protection::None)
    }
}

/// What the device gives to open its store.
#[derive(Default, Clone, Copy)]
pub struct Unlock<'a> {
    /// The passphrase, for a store sealed by one; for a new or plaintext store,
    /// the passphrase to seal its new key with.
    pub passphrase: Option<&'a str>,
    /// The OS keystore, where there is one.
    pub keystore: Option<&'a dyn Keystore>,
}

impl std::fmt::Debug for Unlock<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Unlock")
            .field("passphrase", &self.passphrase.map(|_| "…"))
            .field("keystore", &self.keystore.map(|k| k.name()))
            .finish()
    }
}

/// What [`unlock`] found and did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unlocked {
    pub protection: Protection,
    /// The store was plaintext and is now encrypted.
    pub encrypted_now: bool,
}

/// The keys unlocked in this process, by data directory.
fn keys() -> &'static Mutex<HashMap<PathBuf, DataKey>> {
    static KEYS: OnceLock<Mutex<HashMap<PathBuf, DataKey>>> = OnceLock::new();
    KEYS.get_or_init(Default::default)
}

fn canonical(dir: &Path) -> PathBuf {
    std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_owned())
}

fn remember(dir: &Path, key: DataKey) {
    keys()
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .insert(canonical(dir), key);
}

/// Forgets the key unlocked for `dir` in this process (the app locks): the
/// next [`crate::Store::open`] of it needs [`unlock`] again.
pub fn forget(dir: &Path) {
    keys()
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .remove(&canonical(dir));
}

/// Whether `path` is a plaintext SQLite database (SQLCipher's files begin
/// with a random salt instead of SQLite's header); `false` if absent or empty.
pub(crate) fn is_plaintext(path: &Path) -> Result<bool, StoreError> {
    use std::io::Read;
    let mut head = [0u8; 16];
    match std::fs::File::open(path) {
        Ok(mut f) => {
            let mut read = 0;
            while read < head.len() {
                match f.read(&mut head[read..]) {
                    Ok(0) => break,
                    Ok(n) => read += n,
                    Err(e) => {
                        return Err(StoreError::Io {
                            path: path.to_owned(),
                            source: e,
                        });
                    }
                }
            }
            Ok(read == head.len() && &head == b"SQLite format 3\0")
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(StoreError::Io {
            path: path.to_owned(),
            source: e,
        }),
    }
}

fn keystore_key(keystore: Option<&dyn Keystore>, account: &str) -> Result<DataKey, StoreError> {
    let keystore = keystore.ok_or_else(|| StoreError::KeyUnavailable {
        keystore: "the system's keystore".into(),
        reason: "it is not available here".into(),
    })?;
    let unavailable = |reason: String| StoreError::KeyUnavailable {
        keystore: keystore.name().to_owned(),
        reason,
    };
    let secret = Zeroizing::new(
        keystore
            .get(account)
            .map_err(|e| unavailable(e.to_string()))?
            .ok_or_else(|| unavailable("it holds no key for this store".into()))?,
    );
    let key: [u8; 32] = secret
        .as_slice()
        .try_into()
        .map_err(|_| unavailable("the key it holds is damaged".into()))?;
    Ok(DataKey::new(key))
}

/// Where a new key goes: sealed by the passphrase if one is given, else in
/// the keystore if it takes the key and gives it back, else in the file.
fn keep_new_key(dir: &Path, key: &DataKey, unlock: Unlock<'_>) -> Result<Protection, StoreError> {
    let (file, protection) = if let Some(passphrase) = unlock.passphrase {
        (KeyFile::sealed(key, passphrase)?, Protection::Passphrase)
    } else if let Some((keystore, account)) = unlock
        .keystore
        .and_then(|k| keystore_keeps(k, key).map(|a| (k, a)))
    {
        (
            KeyFile {
                version: 1,
                kept_in: KeptIn::Keystore { account },
                lock: None,
            },
            Protection::Keystore {
                keystore: keystore.name().to_owned(),
            },
        )
    } else {
        (
            KeyFile {
                version: 1,
                kept_in: KeptIn::File {
                    key: key.hex().to_string(),
                },
                lock: None,
            },
            Protection::File,
        )
    };
    file.write(dir)?;
    Ok(protection)
}

/// Puts `key` in `keystore` under a new account, and reads it back: a keystore
/// that loses what it is given (a locked or broken one) is not used.
fn keystore_keeps(keystore: &dyn Keystore, key: &DataKey) -> Option<String> {
    let account = format!("store-{}", hex::encode(random::<8>()));
    keystore.set(&account, key.bytes()).ok()?;
    let back = Zeroizing::new(keystore.get(&account).ok()??);
    if back.as_slice() == key.bytes() {
        Some(account)
    } else {
        let _ = keystore.delete(&account);
        None
    }
}

fn protection_of(file: &KeyFile, keystore: Option<&dyn Keystore>) -> Protection {
    match file.kept_in {
        KeptIn::Keystore { .. } => Protection::Keystore {
            keystore: keystore
                .map_or("the system's keystore", |k| k.name())
                .to_owned(),
        },
        KeptIn::Passphrase { .. } => Protection::Passphrase,
        KeptIn::File { .. } => Protection::File,
    }
}

/// Opens the device's store in `dir` for this process: reads (or, for a new
/// or plaintext store, makes and keeps) its key, encrypts a plaintext store in
/// place, finishes a migration a crash interrupted, and checks the key opens
/// the database. A wrong passphrase or a keystore that cannot give the key is
/// an error that changes nothing.
pub fn unlock(dir: &Path, unlock: Unlock<'_>) -> Result<Unlocked, StoreError> {
    std::fs::create_dir_all(dir).map_err(|source| StoreError::Io {
        path: dir.to_owned(),
        source,
    })?;
    crate::restrict_permissions(dir, 0o700).map_err(|source| StoreError::Io {
        path: dir.to_owned(),
        source,
    })?;
    let (key, protection) = match KeyFile::read(dir)? {
        Some(mut file) => {
            let opened = match file.open(dir, unlock.passphrase) {
                Err(StoreError::WrongPassphrase) => {
                    return Err(wrong_passphrase(dir, &mut file, unlock));
                }
                other => other?,
            };
            if let Some(rules) = file.lock.as_mut().filter(|r| r.failed > 0) {
                rules.failed = 0;
                file.write(dir)?;
            }
            let key = match opened {
                Some(key) => key,
                None => match &file.kept_in {
                    KeptIn::Keystore { account } => keystore_key(unlock.keystore, account)?,
                    _ => unreachable!("only a keystore entry leaves the key elsewhere"),
                },
            };
            (key, protection_of(&file, unlock.keystore))
        }
        None => {
            let key = DataKey::generate();
            let protection = keep_new_key(dir, &key, unlock)?;
            (key, protection)
        }
    };
    let encrypted_now = encrypt::finish_or_start(dir, &key)?;
    encrypt::check_key(&dir.join(DB_FILE), &key)?;
    remember(dir, key);
    Ok(Unlocked {
        protection,
        encrypted_now,
    })
}

/// A wrong passphrase: the duress passphrase, or one too many, wipes the
/// device ([`StoreError::Wiped`]); otherwise it is counted if the lock says
/// so, and nothing else changes.
fn wrong_passphrase(dir: &Path, file: &mut KeyFile, unlock: Unlock<'_>) -> StoreError {
    let Some(rules) = file.lock.as_mut() else {
        return StoreError::WrongPassphrase;
    };
    let duress = unlock.passphrase.is_some_and(|p| rules.is_duress(p));
    rules.failed = rules.failed.saturating_add(1);
    let too_many = rules.wipe_after.is_some_and(|n| rules.failed >= n);
    if duress || too_many {
        return match wipe_dir(dir, unlock.keystore) {
            Ok(()) => StoreError::Wiped,
            Err(e) => e,
        };
    }
    if rules.wipe_after.is_some()
        && let Err(e) = file.write(dir)
    {
        return e;
    }
    StoreError::WrongPassphrase
}

/// Destroys the key of the store in `dir`, then removes the directory.
pub fn wipe_dir(dir: &Path, keystore: Option<&dyn Keystore>) -> Result<(), StoreError> {
    destroy_key(dir, keystore)?;
    std::fs::remove_dir_all(dir).map_err(|source| StoreError::Io {
        path: dir.to_owned(),
        source,
    })
}

/// The app lock's rules.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LockRules<'a> {
    /// Wipe the device after this many wrong passphrases in a row.
    pub wipe_after: Option<u32>,
    /// This passphrase wipes the device instead of opening it.
    pub duress: Option<&'a str>,
    /// Lock the app once it has been in the background this many seconds.
    pub lock_after_hidden: Option<u32>,
}

/// The app lock of the (unlocked) store in `dir`: after `wipe_after` wrong
/// passphrases in a row the device is wiped, and the `duress` passphrase
/// wipes it at once. Only a store sealed by a passphrase has a lock.
pub fn set_lock(dir: &Path, rules: LockRules<'_>) -> Result<(), StoreError> {
    let LockRules {
        wipe_after,
        duress,
        lock_after_hidden,
    } = rules;
    let mut file = KeyFile::read(dir)?.ok_or(StoreError::NotEncrypted)?;
    if !matches!(file.kept_in, KeptIn::Passphrase { .. }) {
        return Err(StoreError::NoPassphrase);
    }
    if wipe_after == Some(0) {
        return Err(StoreError::BadLock(
            "wipe after at least one wrong passphrase".into(),
        ));
    }
    if let Some(d) = duress {
        // The duress passphrase must not open the store.
        let key = key_for(dir)?.ok_or(StoreError::NotEncrypted)?;
        if file
            .open(dir, Some(d))
            .is_ok_and(|k| k.is_some_and(|k| k.bytes() == key.bytes()))
        {
            return Err(StoreError::BadLock(
                "the duress passphrase must differ from the passphrase".into(),
            ));
        }
    }
    file.lock = if wipe_after.is_none() && duress.is_none() && lock_after_hidden.is_none() {
        None
    } else {
        Some(key_file::LockRules::with_duress(
            wipe_after,
            duress,
            lock_after_hidden,
        )?)
    };
    file.write(dir)
}

/// The app lock as the settings show it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct LockInfo {
    pub wipe_after: Option<u32>,
    /// Wrong passphrases since the last right one.
    pub failed: u32,
    pub duress: bool,
    /// Seconds in the background after which the app locks itself.
    pub lock_after_hidden: Option<u32>,
}

/// The app lock of the store in `dir` (without opening it).
pub fn lock_info(dir: &Path) -> Result<LockInfo, StoreError> {
    Ok(KeyFile::read(dir)?
        .and_then(|f| f.lock)
        .map(|r| LockInfo {
            wipe_after: r.wipe_after,
            failed: r.failed,
            duress: r.duress.is_some(),
            lock_after_hidden: r.lock_after_hidden,
        })
        .unwrap_or_default())
}

/// The key [`crate::Store::open`] opens `dir`'s database with: `None` for a
/// plaintext store; the key unlocked in this process, or kept in the file;
/// else the store is locked.
pub(crate) fn key_for(dir: &Path) -> Result<Option<DataKey>, StoreError> {
    if let Some(key) = keys()
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .get(&canonical(dir))
    {
        return Ok(Some(key.clone()));
    }
    let Some(file) = KeyFile::read(dir)? else {
        return Ok(None);
    };
    match file.kept_in {
        KeptIn::File { .. } => {
            let key = file.open(dir, None)?;
            if let Some(key) = &key {
                remember(dir, key.clone());
            }
            Ok(key)
        }
        KeptIn::Passphrase { .. } => Err(StoreError::PassphraseNeeded),
        KeptIn::Keystore { .. } => Err(StoreError::KeyUnavailable {
            keystore: "the system's keystore".into(),
            reason: "the store was not unlocked in this process".into(),
        }),
    }
}

/// Encrypts a store left plaintext (a migration a crash interrupted) with the
/// key its key file keeps.
pub(crate) fn finish_encrypting(dir: &Path, key: &DataKey) -> Result<(), StoreError> {
    encrypt::finish_or_start(dir, key).map(|_| ())
}

/// A bare connection to the database in `dir`, keyed if it is encrypted
/// (tools and tests that look inside the store).
pub fn connect(dir: &Path) -> Result<rusqlite::Connection, StoreError> {
    let key = key_for(dir)?;
    let conn =
        rusqlite::Connection::open(dir.join(DB_FILE)).map_err(|source| StoreError::Sqlite {
            context: "opening the database",
            source,
        })?;
    if let Some(key) = key {
        apply_key(&conn, &key).map_err(|source| StoreError::Sqlite {
            context: "keying the database",
            source,
        })?;
    }
    Ok(conn)
}

/// Where the key of the store in `dir` is kept (without opening it).
pub fn protection(dir: &Path, keystore: Option<&dyn Keystore>) -> Result<Protection, StoreError> {
    Ok(match KeyFile::read(dir)? {
        Some(file) => protection_of(&file, keystore),
        None => Protection::None,
    })
}

/// Keeps the (unlocked) store's key elsewhere: sealed by a new passphrase, or
/// in the keystore (`passphrase: None`), or in the file if the keystore cannot
/// keep it. The data is not re-encrypted; the old keystore entry is removed
/// once the new key file is in place.
pub fn reprotect(dir: &Path, unlock: Unlock<'_>) -> Result<Protection, StoreError> {
    let key = key_for(dir)?.ok_or(StoreError::NotEncrypted)?;
    let old = KeyFile::read(dir)?;
    let protection = keep_new_key(dir, &key, unlock)?;
    if let (
        Some(KeyFile {
            kept_in: KeptIn::Keystore { account },
            ..
        }),
        Some(keystore),
    ) = (old, unlock.keystore)
    {
        let _ = keystore.delete(&account);
    }
    Ok(protection)
}

/// Destroys the key of the store in `dir`: its keystore entry, then the key
/// file (overwritten with zeros, synced). Without it the database is noise.
pub fn destroy_key(dir: &Path, keystore: Option<&dyn Keystore>) -> Result<(), StoreError> {
    forget(dir);
    let Some(file) = KeyFile::read(dir).or_else(|e| match e {
        StoreError::BadKeyFile { .. } => Ok(None),
        e => Err(e),
    })?
    else {
        return Ok(());
    };
    if let (KeptIn::Keystore { account }, Some(keystore)) = (&file.kept_in, keystore) {
        keystore
            .delete(account)
            .map_err(|e| StoreError::KeyUnavailable {
                keystore: keystore.name().to_owned(),
                reason: e.to_string(),
            })?;
    }
    encrypt::scrub(&key_file::path(dir))?;
    key_file::sync_dir(dir)
}

#[cfg(test)]
mod tests;
