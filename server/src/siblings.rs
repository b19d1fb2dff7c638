//! Several processes, one instance: server processes that share a PostgreSQL
//! database (`--database postgres://…`, each with its own `--data`) are one
//! server with several doors. The registry, the federation's state and its
//! delivery queue are in the database; the documents are in each process'
//! store, and the processes keep those in step by syncing with each other over
//! their p2p nodes, as siblings.
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
/// thread of its own (`rally-upkeep`): the reports its store received move to
/// the shared queue (`fedi::db::reports`), and what its relay hides from
/// devices follows what the admins hid through any process
/// (`fedi::moderation::align_hidden`).
#[derive(Debug)]
pub struct Upkeep {
    pub store: rally_store::Store,
    pub db: crate::fedi::db::FediDb,
    pub registry: crate::registry::SqlRegistry,
}

impl Upkeep {
    pub fn tick(&mut self, now: i64) -> Result<(), crate::fedi::FediError> {
        self.db.gather_reports(&mut self.store)?;
        crate::fedi::moderation::align_hidden(&self.db, &self.registry, &mut self.store, now)?;
        Ok(())
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
                    if let Err(e) = self.tick(Timestamp::now().as_second()) {
                        tracing::warn!(error = %e, "cannot keep this process in step with its siblings");
                    }
                    std::thread::sleep(std::time::Duration::from_secs(1));
                }
            })
    }
}
