//! Less on the device: keeping only the last months of events, and asking
//! for a forgotten one again (see `rally-store`'s `retention.rs`).

use rally_store::{Forgot, Forgotten};

use crate::{Result, Service, ServiceError};

impl Service {
    /// How many months of events this device keeps (`None`: all).
    pub fn keep_months(&self) -> Result<Option<u32>> {
        Ok(self.store.keep_months()?)
    }

    /// Keeps only the last `months` of events (`None`: all); what is older is
    /// forgotten now, and as time passes.
    pub fn set_keep_months(&mut self, months: Option<u32>) -> Result<Forgot> {
        if months == Some(0) {
            return Err(ServiceError::Missing("at least one month"));
        }
        self.store.set_keep_months(months)?;
        let now = self.now();
        Ok(self.store.forget_old(now)?)
    }

    /// The events this device forgot, most recent first.
    pub fn forgotten(&self) -> Result<Vec<Forgotten>> {
        Ok(self.store.forgotten()?)
    }

    /// Asks every peer for a group's older messages, which this device forgot;
    /// returns how many it forgot (they come back with the next sync).
    pub fn fetch_older(&mut self, group: &str) -> Result<usize> {
        let group = self.resolve(group, rally_core::DocKind::Group)?;
        let forgotten = self.store.forgotten_messages(group)?;
        self.store.fetch_older(group)?;
        Ok(forgotten)
    }

    /// How many of a group's chat items this device forgot.
    pub fn forgotten_messages(&self, group: rally_core::DocId) -> Result<usize> {
        Ok(self.store.forgotten_messages(group)?)
    }

    /// Asks for a forgotten event again (its id, or the start of it): the
    /// next sync with a peer that keeps it brings it back.
    pub fn fetch_again(&mut self, id: &str) -> Result<rally_core::DocId> {
        let start = id.trim().to_ascii_lowercase();
        let matches: Vec<_> = self
            .store
            .forgotten()?
            .into_iter()
            .filter(|f| start.len() >= 4 && f.id.to_hex().starts_with(&start))
            .collect();
        let [one] = matches.as_slice() else {
            return Err(ServiceError::NotForgotten(id.to_owned()));
        };
        self.store.fetch_again(one.id)?;
        Ok(one.id)
    }
}
