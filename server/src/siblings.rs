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
