//! Who may hold a server's circuit-relay reservations, sans IO: a reservation is
//! for a device that syncs with the server as an admitted persona, so a peer that
//! holds one must authenticate a sync session within [`AUTH_GRACE_MS`] or be
//! disconnected (which ends its reservation), and one network address holds at
//! most [`PER_ADDRESS`] of them, so one host cannot take every slot. `rally-net`
//! reports reservations, authentications and closed connections, and disconnects
//! whom [`RelayGuard::to_drop`] names; `P` is the transport's peer id, `A` the
//! remote address (an IP).

use std::collections::HashMap;
use std::hash::Hash;

/// How long a peer may hold a reservation without an authenticated sync session (ms).
pub const AUTH_GRACE_MS: u64 = 30_000;
/// The most reservations held from one address.
pub const PER_ADDRESS: usize = 8;

#[derive(Debug, Clone)]
struct Held<A> {
    address: Option<A>,
    since: u64,
    authenticated: bool,
}

/// The reservations a relay holds, and for whom.
#[derive(Debug, Clone)]
pub struct RelayGuard<P, A> {
    held: HashMap<P, Held<A>>,
    /// Peers authenticated before their reservation was seen.
    authenticated: HashMap<P, ()>,
    grace_ms: u64,
    per_address: usize,
}

impl<P, A> Default for RelayGuard<P, A> {
    fn default() -> Self {
        RelayGuard::new(AUTH_GRACE_MS, PER_ADDRESS)
    }
}

impl<P, A> RelayGuard<P, A> {
    /// A guard with another grace period (ms) or per-address bound.
    pub fn new(grace_ms: u64, per_address: usize) -> Self {
        RelayGuard {
            held: HashMap::new(),
            authenticated: HashMap::new(),
            grace_ms,
            per_address,
        }
    }
}

impl<P: Eq + Hash + Clone, A: Eq + Clone> RelayGuard<P, A> {
    /// `peer`, connected from `address`, was given a reservation at `now`.
    /// Returns `false` when its address already holds its bound: the peer
    /// is to be disconnected at once.
    pub fn reserved(&mut self, peer: P, address: Option<A>, now: u64) -> bool {
        if let Some(a) = &address {
            let from_there = self
                .held
                .iter()
                .filter(|(p, h)| **p != peer && h.address.as_ref() == Some(a))
                .count();
            if from_there >= self.per_address {
                return false;
            }
        }
        let authenticated = self.authenticated.contains_key(&peer);
        self.held.insert(
            peer,
            Held {
                address,
                since: now,
                authenticated,
            },
        );
        true
    }

    /// `peer`'s sync session authenticated an admitted persona.
    pub fn authenticated(&mut self, peer: &P) {
        match self.held.get_mut(peer) {
            Some(h) => h.authenticated = true,
            None => {
                self.authenticated.insert(peer.clone(), ());
            }
        }
    }

    /// `peer`'s connections closed (its reservation with them).
    pub fn closed(&mut self, peer: &P) {
        self.held.remove(peer);
        self.authenticated.remove(peer);
    }

    /// The peers to disconnect at `now`: holding a reservation past the grace
    /// period without an authenticated session. They are forgotten here.
    pub fn to_drop(&mut self, now: u64) -> Vec<P> {
        let late: Vec<P> = self
            .held
            .iter()
            .filter(|(_, h)| !h.authenticated && now.saturating_sub(h.since) >= self.grace_ms)
            .map(|(p, _)| p.clone())
            .collect();
        for p in &late {
            self.held.remove(p);
        }
        late
    }

    /// How many reservations are held.
    pub fn held(&self) -> usize {
        self.held.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reservation_without_a_session_is_dropped_after_the_grace() {
        let mut g: RelayGuard<u32, &str> = RelayGuard::default();
        assert!(g.reserved(1, Some("10.0.0.1"), 0));
        assert!(g.reserved(2, Some("10.0.0.2"), 0));
        g.authenticated(&2);
        assert!(g.to_drop(AUTH_GRACE_MS - 1).is_empty());
        assert_eq!(g.to_drop(AUTH_GRACE_MS), vec![1]);
        assert_eq!(g.held(), 1, "the authenticated one keeps it");
        assert!(g.to_drop(10 * AUTH_GRACE_MS).is_empty());
    }

    #[test]
    fn a_session_that_came_first_counts() {
        let mut g: RelayGuard<u32, &str> = RelayGuard::default();
        g.authenticated(&7);
        assert!(g.reserved(7, Some("10.0.0.7"), 0));
        assert!(g.to_drop(AUTH_GRACE_MS * 2).is_empty());
        g.closed(&7);
        assert_eq!(g.held(), 0);
        // Reconnected: it must authenticate again.
        assert!(g.reserved(7, Some("10.0.0.7"), 100));
        assert_eq!(g.to_drop(100 + AUTH_GRACE_MS), vec![7]);
    }

    #[test]
    fn one_address_cannot_take_every_slot() {
        let mut g: RelayGuard<u32, &str> = RelayGuard::default();
        for p in 0..PER_ADDRESS as u32 {
            assert!(g.reserved(p, Some("203.0.113.5"), 0));
        }
        assert!(!g.reserved(99, Some("203.0.113.5"), 0));
        assert!(g.reserved(100, Some("203.0.113.6"), 0), "another host");
        assert!(
            g.reserved(3, Some("203.0.113.5"), 5),
            "a renewal of one it holds"
        );
        g.closed(&0);
        assert!(g.reserved(99, Some("203.0.113.5"), 10));
    }
}
