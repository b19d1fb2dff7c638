//! Personas: create one, list them, switch between them. Each is its own key and
//! name; nothing links two personas of one device.

use rally_core::jiff::Timestamp;
use rally_store::LocalPersona;

use crate::{Result, Service, ServiceError};

/// The personas of this device, and which one acts.
#[derive(Debug, Clone)]
pub struct Personas {
    pub list: Vec<LocalPersona>,
    /// The row of the persona used last.
    pub current: Option<i64>,
}

impl Service {
    /// Creates a persona; it becomes the one used last.
    pub fn create_persona(&mut self, name: &str) -> Result<LocalPersona> {
        let now = self.now();
        self.transaction(|s| {
            let p = s.store.create_persona(name, now)?;
            s.store.touch_persona(&p, now)?;
            Ok(p)
        })
    }

    pub fn personas(&self) -> Result<Personas> {
        Ok(Personas {
            current: self.store.last_used_persona()?.map(|p| p.row),
            list: self.store.personas()?,
        })
    }

    /// Makes a persona (by name or whole id) the one used last, and acts as it.
    pub fn switch_persona(&mut self, name_or_id: &str) -> Result<LocalPersona> {
        let list = self.store.personas()?;
        let p = list
            .iter()
            .find(|p| p.name == name_or_id || p.id().to_hex() == name_or_id)
            .cloned()
            .ok_or_else(|| ServiceError::UnknownPersona(name_or_id.to_owned()))?;
        // Last used wins: make it strictly the latest, whatever the clock says.
        let latest = list.iter().map(|p| p.last_used_at).max().unwrap_or(0);
        let now = self.now();
        let later = Timestamp::from_second(now.as_second().max(latest + 1)).unwrap_or(now);
        self.store.touch_persona(&p, later)?;
        self.acting = crate::Acting::LastUsed;
        Ok(p)
    }

    /// The persona that acts (by `act_as`, else the one used last), if any.
    pub fn current_persona(&self) -> Result<Option<LocalPersona>> {
        self.acting()
    }
}
