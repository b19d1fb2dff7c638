//! `store.key`: where the store's data key is kept, beside the database.
//!
//! The file never holds the data key in the clear unless nothing better exists
//! ([`KeptIn::File`], reported as such): it names the OS keystore entry that
//! holds the key, or holds the key sealed (XChaCha20-Poly1305) under a key
//! derived from a passphrase by Argon2id, with the parameters it was made with.
//! It is replaced atomically (written beside, synced, renamed, directory
//! synced), so a crash leaves the old file or the new one.

use std::io::Write;
use std::path::{Path, PathBuf};

use argon2::{Algorithm, Argon2, Params, Version};
use chacha20poly1305::XChaCha20Poly1305;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use super::{DataKey, KEY_FILE};
use crate::StoreError;

/// Argon2id's cost for a new passphrase: 64 MiB, three passes, one lane
/// (RFC 9106's second recommended setting, for memory-constrained devices).
pub const ARGON2_M_KIB: u32 = 64 * 1024;
pub const ARGON2_T: u32 = 3;
pub const ARGON2_P: u32 = 1;

/// Bounds on the costs a key file may ask for: a damaged or planted file must
/// not make the device allocate gigabytes or spin for minutes.
const MAX_M_KIB: u32 = 1024 * 1024;
const MAX_T: u32 = 16;
const MAX_KEY_FILE_BYTES: u64 = 16 * 1024;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct KeyFile {
    pub version: u32,
    #[serde(flatten)]
    pub kept_in: KeptIn,
    /// The app lock's rules, for a key sealed by a passphrase.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lock: Option<LockRules>,
}

/// What happens on wrong passphrases: after `wipe_after` wrong ones in a row,
/// the device is wiped; the duress passphrase wipes at once.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(super) struct LockRules {
    #[serde(default)]
    pub wipe_after: Option<u32>,
    /// Wrong passphrases since the last right one.
    #[serde(default)]
    pub failed: u32,
    /// Argon2id of the duress passphrase: (salt, hash), both hex.
    #[serde(default)]
    pub duress: Option<(String, String)>,
    /// The app locks itself once it has been in the background this many
    /// seconds.
    #[serde(default)]
    pub lock_after_hidden: Option<u32>,
}

impl LockRules {
    pub fn with_duress(
        wipe_after: Option<u32>,
        duress: Option<&str>,
        lock_after_hidden: Option<u32>,
    ) -> Result<LockRules, StoreError> {
        let duress = match duress {
            Some(d) => {
                let salt: [u8; 16] = super::random();
                let hash = derive(d, &salt, ARGON2_M_KIB, ARGON2_T, ARGON2_P)
                    .map_err(|e| bad(Path::new(KEY_FILE), e))?;
                Some((hex::encode(salt), hex::encode(*hash)))
            }
            None => None,
        };
        Ok(LockRules {
            wipe_after,
            failed: 0,
            duress,
            lock_after_hidden,
        })
    }

    /// Whether `passphrase` is the duress passphrase.
    pub fn is_duress(&self, passphrase: &str) -> bool {
        let Some((salt, hash)) = &self.duress else {
            return false;
        };
        let (Ok(salt), Ok(hash)) = (hex::decode(salt), hex::decode(hash)) else {
            return false;
        };
        derive(passphrase, &salt, ARGON2_M_KIB, ARGON2_T, ARGON2_P)
            .is_ok_and(|h| constant_time_eq(h.as_slice(), &hash))
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "kept_in", rename_all = "snake_case")]
pub(super) enum KeptIn {
    /// In the OS keystore, under this account (service [`super::KEYSTORE_SERVICE`]).
    Keystore { account: String },
    /// Sealed under a key derived from a passphrase.
    Passphrase {
        m_kib: u32,
        t: u32,
        p: u32,
        salt: String,
        nonce: String,
        sealed: String,
    },
    /// In this file: no keystore and no passphrase (stated by `store info`).
    File { key: String },
}

fn bad(path: &Path, reason: impl Into<String>) -> StoreError {
    StoreError::BadKeyFile {
        path: path.to_owned(),
        reason: reason.into(),
    }
}

fn io(path: &Path) -> impl Fn(std::io::Error) -> StoreError + '_ {
    move |source| StoreError::Io {
        path: path.to_owned(),
        source,
    }
}

pub(super) fn path(dir: &Path) -> PathBuf {
    dir.join(KEY_FILE)
}

impl KeyFile {
    /// The key file in `dir`, if there is one.
    pub fn read(dir: &Path) -> Result<Option<KeyFile>, StoreError> {
        let path = path(dir);
        let meta = match std::fs::metadata(&path) {
            Ok(m) => m,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(io(&path)(e)),
        };
        if meta.len() > MAX_KEY_FILE_BYTES {
            return Err(bad(&path, "too large"));
        }
        let bytes = std::fs::read(&path).map_err(io(&path))?;
        if bytes.iter().all(|b| *b == 0) {
            return Err(bad(&path, "destroyed (the device was wiped)"));
        }
        let file: KeyFile =
            serde_json::from_slice(&bytes).map_err(|e| bad(&path, e.to_string()))?;
        if file.version != 1 {
            return Err(bad(&path, format!("unknown version {}", file.version)));
        }
        Ok(Some(file))
    }

    /// Replaces the key file in `dir` with this one, atomically and durably.
    pub fn write(&self, dir: &Path) -> Result<(), StoreError> {
        let path = path(dir);
        let tmp = dir.join(format!("{KEY_FILE}.new"));
        let json = Zeroizing::new(serde_json::to_vec_pretty(self).expect("a key file serialises"));
        {
            let mut f = std::fs::File::create(&tmp).map_err(io(&tmp))?;
            crate::restrict_permissions(&tmp, 0o600).map_err(io(&tmp))?;
            f.write_all(&json).map_err(io(&tmp))?;
            f.sync_all().map_err(io(&tmp))?;
        }
        std::fs::rename(&tmp, &path).map_err(io(&path))?;
        sync_dir(dir)
    }

    /// The data key this file keeps in itself (file or passphrase), or `None`
    /// if it names a keystore entry.
    pub fn open(
        &self,
        dir: &Path,
        passphrase: Option<&str>,
    ) -> Result<Option<DataKey>, StoreError> {
        let path = path(dir);
        match &self.kept_in {
            KeptIn::Keystore { .. } => Ok(None),
            KeptIn::File { key } => Ok(Some(
                DataKey::from_hex(key).ok_or_else(|| bad(&path, "the key is damaged"))?,
            )),
            KeptIn::Passphrase {
                m_kib,
                t,
                p,
                salt,
                nonce,
                sealed,
            } => {
                let passphrase = passphrase.ok_or(StoreError::PassphraseNeeded)?;
                if *m_kib > MAX_M_KIB || *t > MAX_T || *p != 1 {
                    return Err(bad(&path, "key derivation costs out of bounds"));
                }
                let salt = hex::decode(salt).map_err(|_| bad(&path, "damaged salt"))?;
                let nonce: [u8; 24] = hex::decode(nonce)
                    .ok()
                    .and_then(|n| n.try_into().ok())
                    .ok_or_else(|| bad(&path, "damaged nonce"))?;
                let sealed = hex::decode(sealed).map_err(|_| bad(&path, "damaged key"))?;
                let wrap = derive(passphrase, &salt, *m_kib, *t, *p).map_err(|e| bad(&path, e))?;
                let plain = Zeroizing::new(
                    XChaCha20Poly1305::new(&(*wrap).into())
                        .decrypt(
                            &nonce.into(),
                            Payload {
                                msg: &sealed,
                                aad: AAD,
                            },
                        )
                        .map_err(|_| StoreError::WrongPassphrase)?,
                );
                let key: [u8; 32] = plain
                    .as_slice()
                    .try_into()
                    .map_err(|_| bad(&path, "the sealed key has the wrong length"))?;
                Ok(Some(DataKey::new(key)))
            }
        }
    }

    /// A key file that seals `key` under `passphrase`.
    pub fn sealed(key: &DataKey, passphrase: &str) -> Result<KeyFile, StoreError> {
        let salt: [u8; 16] = super::random();
        let nonce: [u8; 24] = super::random();
        let wrap = derive(passphrase, &salt, ARGON2_M_KIB, ARGON2_T, ARGON2_P)
            .map_err(|e| bad(Path::new(KEY_FILE), e))?;
        let sealed = XChaCha20Poly1305::new(&(*wrap).into())
            .encrypt(
                &nonce.into(),
                Payload {
                    msg: key.bytes(),
                    aad: AAD,
                },
            )
            .map_err(|_| bad(Path::new(KEY_FILE), "sealing failed"))?;
        Ok(KeyFile {
            version: 1,
            lock: None,
            kept_in: KeptIn::Passphrase {
                m_kib: ARGON2_M_KIB,
                t: ARGON2_T,
                p: ARGON2_P,
                salt: hex::encode(salt),
                nonce: hex::encode(nonce),
                sealed: hex::encode(sealed),
            },
        })
    }
}

/// Binds a sealed key to its use.
const AAD: &[u8] = b"rally store data key v1";

fn derive(
    passphrase: &str,
    salt: &[u8],
    m_kib: u32,
    t: u32,
    p: u32,
) -> Result<Zeroizing<[u8; 32]>, String> {
    let params = Params::new(m_kib, t, p, Some(32)).map_err(|e| e.to_string())?;
    let mut out = Zeroizing::new([0u8; 32]);
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
        .hash_password_into(passphrase.as_bytes(), salt, out.as_mut())
        .map_err(|e| e.to_string())?;
    Ok(out)
}

/// Makes a rename or removal in `dir` durable.
pub(super) fn sync_dir(dir: &Path) -> Result<(), StoreError> {
    #[cfg(unix)]
    {
        std::fs::File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(io(dir))?;
    }
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}
