//! Panic wipe (`rally wipe --yes`, the app's "Wipe this device"): the store's
//! data key destroyed first (its keystore entry and its key file: what is left
//! of the encrypted database is then noise), then every key and secret inside
//! the store, then every file of the device's data (see `rally_store`'s
//! `wipe.rs` and `at_rest` for what "destroyed" means on disk).

use std::path::PathBuf;

use crate::{Service, ServiceError};

impl Service {
    /// Destroys the keys, then removes the data directory; the directory that
    /// was removed. Nothing is left for the service to work on: the caller
    /// drops it (the CLI ends, the app quits).
    pub fn wipe(&mut self) -> Result<PathBuf, ServiceError> {
        let dir = self.data_dir();
        rally_store::at_rest::destroy_key(&dir, crate::keystore::os())?;
        Ok(self.store.wipe()?)
    }
}
