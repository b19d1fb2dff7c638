//! The rules of the servers this device syncs with, as each told it when it
//! admitted the persona (and again when its admins change them): `rally sync`
//! prints a new one once; the app shows them in its settings.

use rally_store::ServerPolicy;

use crate::{Service, ServiceError};

impl Service {
    /// Every server's rules and contact this device was told.
    pub fn server_policies(&self) -> Result<Vec<ServerPolicy>, ServiceError> {
        Ok(self.store().policies()?)
    }
}
