//! Redialling, sans IO: which known peers a node dials again and when, and how
//! long a peer that refused this side is left alone — with time passed in (ms),
//! so the rules are tested without a network. `rally-net` asks [`Redial`] on each
//! tick and when a connection opens; `P` is the transport's peer id.

use std::collections::HashMap;
use std::hash::Hash;

/// How often known peers that are not connected are dialled again (ms).
pub const REDIAL_MS: u64 = 2_000;
/// How long a peer that refused this side is left alone (ms).
pub const REFUSED_BACKOFF_MS: u64 = 60_000;

/// The redial decisions of one node.
#[derive(Debug, Clone)]
pub struct Redial<P> {
    last_round: u64,
    refused_by: HashMap<P, u64>,
}

impl<P: Eq + Hash + Clone> Redial<P> {
    /// A node that started (and dialled everyone it knows) at `now`.
    pub fn new(now: u64) -> Self {
        Redial {
            last_round: now,
            refused_by: HashMap::new(),
        }
    }

    /// `peer` refused to sync with this side at `now`.
    pub fn refused(&mut self, peer: P, now: u64) {
        self.refused_by.insert(peer, now);
    }

    /// Whether `peer` refused this side less than [`REFUSED_BACKOFF_MS`] ago: no
    /// dialling it, and no session on a connection it opens.
    pub fn backing_off(&self, peer: &P, now: u64) -> bool {
        self.refused_by
            .get(peer)
            .is_some_and(|at| now.saturating_sub(*at) < REFUSED_BACKOFF_MS)
    }

    /// Whether a redial round is due at `now`; if so, it starts (the next one is
    /// [`REDIAL_MS`] later) and refusals past their back-off are forgotten.
    pub fn round_due(&mut self, now: u64) -> bool {
        if now.saturating_sub(self.last_round) < REDIAL_MS {
            return false;
        }
        self.last_round = now;
        self.refused_by
            .retain(|_, at| now.saturating_sub(*at) < REFUSED_BACKOFF_MS);
        true
    }

    /// In a round: whether to dial a known peer (`None`: an address that names
    /// none), given whether it is connected.
    pub fn should_dial(&self, peer: Option<&P>, connected: bool, now: u64) -> bool {
        match peer {
            Some(p) => !connected && !self.backing_off(p, now),
            None => true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounds_come_every_redial_interval() {
        let mut r: Redial<u8> = Redial::new(1_000);
        assert!(!r.round_due(1_000));
        assert!(!r.round_due(1_000 + REDIAL_MS - 1));
        assert!(r.round_due(1_000 + REDIAL_MS));
        assert!(!r.round_due(1_000 + REDIAL_MS + 1));
        // A late tick (a starved thread) makes one round, not several.
        assert!(r.round_due(1_000 + 10 * REDIAL_MS));
        assert!(!r.round_due(1_000 + 10 * REDIAL_MS + 5));
    }

    #[test]
    fn a_refusing_peer_is_left_alone_for_the_back_off_then_dialled_again() {
        let mut r: Redial<u8> = Redial::new(0);
        r.refused(7, 500);
        assert!(r.backing_off(&7, 500));
        assert!(!r.should_dial(Some(&7), false, 500));
        assert!(r.should_dial(Some(&8), false, 500));
        assert!(!r.should_dial(Some(&8), true, 500), "connected: no dial");
        assert!(
            r.should_dial(None, false, 500),
            "an address without a peer id"
        );
        let end = 500 + REFUSED_BACKOFF_MS;
        assert!(r.backing_off(&7, end - 1));
        assert!(!r.backing_off(&7, end));
        assert!(r.round_due(end));
        assert!(r.should_dial(Some(&7), false, end));
        // Refused again: the back-off starts over from the new refusal.
        r.refused(7, end + 10);
        assert!(!r.should_dial(Some(&7), false, end + 10 + REFUSED_BACKOFF_MS - 1));
    }

    #[test]
    fn a_clock_that_goes_backwards_does_not_panic_or_unblock() {
        let mut r: Redial<u8> = Redial::new(10_000);
        r.refused(1, 10_000);
        assert!(r.backing_off(&1, 9_000));
        assert!(!r.round_due(9_000));
    }
}
