//! Panic wipe (`rally wipe --yes`, the app's "Wipe this device"): every key
//! and secret destroyed first, then every file of the device's data (see
//! `rally_store`'s `wipe.rs` for what "destroyed" means on disk).

use std::path::PathBuf;

use crate::{Service, ServiceError};

impl Service {
    /// Destroys the keys, then removes the data directory; the directory that
    /// was removed. Nothing is left for the service to work on: the caller
    /// drops it (the CLI ends, the app quits).
    pub fn wipe(&mut self) -> Result<PathBuf, ServiceError> {
        Ok(self.store.wipe()?)
    }
}
