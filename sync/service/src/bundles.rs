//! Bundles: documents as a file of signed changes, carried by hand (a USB stick, a
//! chat attachment) where no network reaches; and the store's upkeep.

use rally_core::{DocId, bundle};
use rally_store::IngestReport;

use crate::{Result, Service};

/// What is in a data directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreInfo {
    pub path: std::path::PathBuf,
    pub personas: usize,
    pub documents: usize,
    pub events: i64,
    /// Whether the store is encrypted at rest, and where its key is kept.
    pub protection: rally_store::at_rest::Protection,
    /// How many months of events it keeps (`None`: all).
    pub keep_months: Option<u32>,
    /// How many events it forgot.
    pub forgotten: usize,
}

impl Service {
    /// The documents (ids or starts of ids) as a bundle; returns the bytes and how
    /// many changes they hold.
    pub fn export_bundle(&self, ids: &[String]) -> Result<(Vec<u8>, usize)> {
        let ids: Vec<DocId> = ids
            .iter()
            .map(|i| self.resolve_any(i))
            .collect::<Result<_>>()?;
        let changes = self.store.export(&ids)?;
        Ok((bundle::encode(&changes), changes.len()))
    }

    /// Takes in a bundle: every change is judged; one transaction.
    pub fn import_bundle(&mut self, bytes: &[u8]) -> Result<IngestReport> {
        let changes = bundle::decode(bytes)?;
        let now = self.now();
        Ok(self.store.ingest(changes, now)?)
    }

    /// Rebuilds every index from the stored changes; returns how many documents.
    pub fn reindex(&mut self) -> Result<usize> {
        Ok(self.store.rebuild_indexes()?)
    }

    pub fn store_info(&self) -> Result<StoreInfo> {
        Ok(StoreInfo {
            path: self.store.path().to_owned(),
            personas: self.store.personas()?.len(),
            documents: self.store.doc_ids()?.len(),
            events: self.store.event_count()?,
            protection: self.protection()?,
            keep_months: self.store.keep_months()?,
            forgotten: self.store.forgotten()?.len(),
        })
    }
}
