//! Several processes, one instance: server processes that share a PostgreSQL
//! database (`--database postgres://…`, each with its own `--data`) are one
//! server with several doors. The registry, the federation's state, its
//! delivery queue and the documents (the shared journal, `crate::journal`)
//! are in the database; each process serves from its own store, a working
//! copy it keeps in step with the journal every second. The processes also
//! sync with each other over their p2p nodes, as siblings, so what a device
//! writes through one reaches the others at once.
//!
//! Each process records its server persona and its node's addresses in the
//! registry's `nodes` table ([`Registry::announce_node`]) before its node
//! dials anyone, and dials the siblings it finds there; a sibling started later
//! dials it. A sibling is admitted without registration
//! ([`crate::Gate`]) and, on the relay, shares and takes everything
//! (`rally_store::Admit::is_sibling`): a device that syncs through one process
//! sees what others wrote through another, once the siblings have synced, which
//! they do as soon as either has something new.

use rally_core::PersonaId;
use rally_core::jiff::Timestamp;
use rally_net::Address as Multiaddr;

use crate::registry::{Registry, RegistryError};

#[derive(Debug, thiserror::Error)]
pub enum UpkeepError {
    #[error(transparent)]
    Journal(#[from] crate::journal::JournalError),
    #[error(transparent)]
    Sql(#[from] crate::db::SqlError),
    #[error(transparent)]
    Fedi(#[from] crate::fedi::FediError),
}

/// Records this process (its addresses not known yet), so the siblings it dials
/// admit it; returns where the others listen.
pub fn join(registry: &mut dyn Registry, me: &PersonaId) -> Result<Vec<Multiaddr>, RegistryError> {
    registry.announce_node(me, &[], Timestamp::now())?;
    Ok(registry
        .nodes()?
        .into_iter()
        .filter(|n| n.persona != *me)
        .flat_map(|n| n.addrs)
        .filter_map(|a| a.parse().ok())
        .collect())
}

/// What each process of a shared instance keeps in step every second, on a
/// thread of its own (`rally-upkeep`): its documents and the others' (the
/// shared journal, `crate::journal`), the reports its store received, which
/// move to the shared queue (`fedi::db::reports`), and what its relay hides
/// from devices, which follows what the admins hid through any process
/// (`fedi::moderation::align_hidden`).
#[derive(Debug)]
pub struct Upkeep {
    pub store: rally_store::Store,
    pub db: crate::fedi::db::FediDb,
    pub registry: crate::registry::SqlRegistry,
    pub journal: crate::journal::Journal,
}

impl Upkeep {
    /// Before the node and the web server listen: this store lists what it
    /// takes in from now on, sends what it holds that the journal lacks,
    /// takes what the journal holds, and hides what the admins hid.
    pub fn catch_up(&mut self) -> Result<(), UpkeepError> {
        self.store
            .share_through_journal()
            .map_err(crate::journal::JournalError::from)?;
        let sent = self.journal.publish(&self.store)?;
        let taken = self.journal.take(&mut self.store, Timestamp::now())?;
        tracing::info!(
            sent = sent.changes,
            sent_pictures = sent.blobs,
            taken = taken.changes,
            taken_pictures = taken.blobs,
            taken_facts = taken.facts,
            "documents in step with the shared journal"
        );
        crate::fedi::moderation::align_hidden(
            &self.db,
            &self.registry,
            &mut self.store,
            Timestamp::now().as_second(),
        )?;
        Ok(())
    }

    /// One round; each step is tried whatever became of the others (a
    /// journal that cannot be reached does not keep what the admins hid from
    /// being hidden).
    pub fn tick(&mut self, now: Timestamp) {
        let log = |step: &str, e: &dyn std::fmt::Display| {
            tracing::warn!(error = %e, step, "cannot keep this process in step with its siblings");
        };
        if let Err(e) = crate::fedi::moderation::align_hidden(
            &self.db,
            &self.registry,
            &mut self.store,
            now.as_second(),
        ) {
            log("hidden documents", &e);
        }
        if let Err(e) = self.journal.sweep(now.as_millisecond()) {
            log("expired envelopes", &e);
        }
        if let Err(e) = self.journal.publish(&self.store) {
            log("sending to the journal", &e);
        }
        if let Err(e) = self.journal.take(&mut self.store, now) {
            log("taking from the journal", &e);
        }
        if let Err(e) = self.db.gather_reports(&mut self.store) {
            log("reports", &e);
        }
    }

    /// Ticks every second until `stop` is set.
    pub fn spawn(
        mut self,
        stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    ) -> std::io::Result<std::thread::JoinHandle<()>> {
        std::thread::Builder::new()
            .name("rally-upkeep".into())
            .spawn(move || {
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    self.tick(Timestamp::now());
                    std::thread::sleep(std::time::Duration::from_secs(1));
                }
                // Stopped after the node and the federation: the last of what
                // they stored goes to the journal before the process ends.
                if let Err(e) = self.journal.publish(&self.store) {
                    tracing::warn!(error = %e, "cannot send the last changes to the journal");
                }
            })
    }
}
