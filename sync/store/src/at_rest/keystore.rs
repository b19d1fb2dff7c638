//! The OS keystore as the store sees it: a place that keeps a secret under an
//! account name. The device's adapters supply the real one (the service's
//! `keystore` module, over `keyring-core`); [`MemoryKeystore`] is for tests.

use std::collections::HashMap;
use std::sync::Mutex;

use zeroize::Zeroizing;

/// Why a keystore could not do what was asked.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct KeystoreError(pub String);

/// A keystore keeping secrets under account names, for the service
/// [`super::KEYSTORE_SERVICE`].
pub trait Keystore: Send + Sync {
    /// Its name for people ("Secret Service", "Keychain").
    fn name(&self) -> &str;
    fn get(&self, account: &str) -> Result<Option<Vec<u8>>, KeystoreError>;
    fn set(&self, account: &str, secret: &[u8]) -> Result<(), KeystoreError>;
    /// Removes the entry; removing one that is not there is not an error.
    fn delete(&self, account: &str) -> Result<(), KeystoreError>;
}

/// A keystore in memory (tests).
#[derive(Default)]
pub struct MemoryKeystore {
    pub(super) entries: Mutex<HashMap<String, Zeroizing<Vec<u8>>>>,
}

impl std::fmt::Debug for MemoryKeystore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MemoryKeystore")
    }
}

impl MemoryKeystore {
    pub fn len(&self) -> usize {
        self.entries.lock().unwrap_or_else(|p| p.into_inner()).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Keystore for MemoryKeystore {
    fn name(&self) -> &str {
        "memory keystore"
    }

    fn get(&self, account: &str) -> Result<Option<Vec<u8>>, KeystoreError> {
        Ok(self
            .entries
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(account)
            .map(|s| s.to_vec()))
    }

    fn set(&self, account: &str, secret: &[u8]) -> Result<(), KeystoreError> {
        self.entries
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(account.to_owned(), Zeroizing::new(secret.to_vec()));
        Ok(())
    }

    fn delete(&self, account: &str) -> Result<(), KeystoreError> {
        self.entries
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(account);
        Ok(())
    }
}
