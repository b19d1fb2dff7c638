//! The operating system's keystore, where the device's store key is kept:
//! the Secret Service on Linux and the BSDs (GNOME Keyring, KWallet), the
//! Keychain on macOS and iOS, the Android Keystore, Windows' Credential
//! Manager — each through its `keyring-core` store.
//!
//! [`os`] opens it once per process; `RALLY_KEYSTORE=none` turns it off (the
//! store then keeps its key sealed by a passphrase, or in its key file). A
//! keystore that cannot be reached (no D-Bus session, none running) is
//! `None`, and the store falls back the same way.

use std::sync::{Arc, OnceLock};

use keyring_core::{CredentialStore, Entry};
use rally_store::at_rest::{KEYSTORE_SERVICE, Keystore, KeystoreError};

/// The OS keystore through `keyring-core`.
pub struct OsKeystore {
    name: &'static str,
    store: Arc<CredentialStore>,
}

impl std::fmt::Debug for OsKeystore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name)
    }
}

fn err(e: keyring_core::Error) -> KeystoreError {
    KeystoreError(e.to_string())
}

impl OsKeystore {
    fn entry(&self, account: &str) -> Result<Entry, KeystoreError> {
        Entry::new_in_store(&self.store, KEYSTORE_SERVICE, account).map_err(err)
    }

    fn open() -> Option<OsKeystore> {
        #[cfg(all(
            unix,
            not(any(target_os = "macos", target_os = "ios", target_os = "android"))
        ))]
        let (name, store): (_, Arc<CredentialStore>) = (
            "Secret Service",
            zbus_secret_service_keyring_store::Store::new().ok()?,
        );
        #[cfg(target_os = "macos")]
        let (name, store): (_, Arc<CredentialStore>) = (
            "Keychain",
            apple_native_keyring_store::keychain::Store::new().ok()?,
        );
        // iOS: the data-protection keychain (the only one apps have there).
        #[cfg(target_os = "ios")]
        let (name, store): (_, Arc<CredentialStore>) = (
            "Keychain",
            apple_native_keyring_store::protected::Store::new().ok()?,
        );
        #[cfg(target_os = "android")]
        let (name, store): (_, Arc<CredentialStore>) = (
            "Android Keystore",
            android_native_keyring_store::Store::new().ok()?,
        );
        #[cfg(windows)]
        let (name, store): (_, Arc<CredentialStore>) = (
            "Credential Manager",
            windows_native_keyring_store::Store::new().ok()?,
        );
        Some(OsKeystore { name, store })
    }
}

impl Keystore for OsKeystore {
    fn name(&self) -> &str {
        self.name
    }

    fn get(&self, account: &str) -> Result<Option<Vec<u8>>, KeystoreError> {
        match self.entry(account)?.get_secret() {
            Ok(secret) => Ok(Some(secret)),
            Err(keyring_core::Error::NoEntry) => Ok(None),
            Err(e) => Err(err(e)),
        }
    }

    fn set(&self, account: &str, secret: &[u8]) -> Result<(), KeystoreError> {
        self.entry(account)?.set_secret(secret).map_err(err)
    }

    fn delete(&self, account: &str) -> Result<(), KeystoreError> {
        match self.entry(account)?.delete_credential() {
            Ok(()) | Err(keyring_core::Error::NoEntry) => Ok(()),
            Err(e) => Err(err(e)),
        }
    }
}

/// This system's keystore, if it has one that answers and `RALLY_KEYSTORE`
/// is not `none`.
pub fn os() -> Option<&'static dyn Keystore> {
    static OS: OnceLock<Option<OsKeystore>> = OnceLock::new();
    OS.get_or_init(|| {
        if std::env::var("RALLY_KEYSTORE").is_ok_and(|v| v == "none") {
            return None;
        }
        OsKeystore::open()
    })
    .as_ref()
    .map(|k| k as &dyn Keystore)
}
