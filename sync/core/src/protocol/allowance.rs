//! A peer's allowance of bytes, sans IO: a token bucket (time passed in) and the
//! batches that wait for it. A peer within its allowance is served at once; past
//! it, its batches wait (and, since peers keep one batch in flight, it slows
//! down); past a bound on waiting batches, it is dropped. `rally-net` asks it for
//! every batch a peer sends.

use std::collections::VecDeque;

/// The limits an allowance applies.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Budget {
    pub bytes_per_sec: f64,
    pub burst_bytes: f64,
    /// Batches that may wait at most.
    pub max_queued: usize,
}

/// What to do with an offered batch.
#[derive(Debug, PartialEq, Eq)]
pub enum Offer<T> {
    /// Within the allowance: handle it now.
    Now(T),
    /// It waits for the allowance to refill ([`Allowance::next_ready`]).
    Waits,
    /// Too many batches wait already: drop the peer.
    TooMany(T),
}

/// One peer's allowance and its waiting batches (`T`, each of some size in bytes).
#[derive(Debug)]
pub struct Allowance<T> {
    tokens: f64,
    refilled_ms: u64,
    queued: VecDeque<(T, usize)>,
}

impl<T> Allowance<T> {
    /// A full allowance.
    pub fn new(budget: &Budget, now_ms: u64) -> Self {
        Allowance {
            tokens: budget.burst_bytes,
            refilled_ms: now_ms,
            queued: VecDeque::new(),
        }
    }

    /// A batch of `bytes` arrived.
    pub fn offer(&mut self, item: T, bytes: usize, budget: &Budget) -> Offer<T> {
        if self.queued.is_empty() && self.tokens > 0.0 {
            self.tokens -= bytes as f64;
            Offer::Now(item)
        } else if self.queued.len() >= budget.max_queued {
            Offer::TooMany(item)
        } else {
            self.queued.push_back((item, bytes));
            Offer::Waits
        }
    }

    /// A batch of `bytes` arrived while this side cannot take it in yet (its
    /// answers to the peer pile up unsent): it waits whatever the allowance.
    pub fn hold(&mut self, item: T, bytes: usize, budget: &Budget) -> Offer<T> {
        if self.queued.len() >= budget.max_queued {
            Offer::TooMany(item)
        } else {
            self.queued.push_back((item, bytes));
            Offer::Waits
        }
    }

    /// Refills the allowance for the time since the last refill, and gives the
    /// next waiting batch if it now covers it.
    pub fn next_ready(&mut self, budget: &Budget, now_ms: u64) -> Option<T> {
        let elapsed = now_ms.saturating_sub(self.refilled_ms) as f64 / 1000.0;
        self.refilled_ms = now_ms;
        self.tokens = (self.tokens + elapsed * budget.bytes_per_sec).min(budget.burst_bytes);
        if self.tokens <= 0.0 {
            return None;
        }
        let (item, bytes) = self.queued.pop_front()?;
        self.tokens -= bytes as f64;
        Some(item)
    }

    /// Nothing waits.
    pub fn is_idle(&self) -> bool {
        self.queued.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BUDGET: Budget = Budget {
        bytes_per_sec: 1000.0,
        burst_bytes: 2000.0,
        max_queued: 2,
    };

    #[test]
    fn a_peer_within_its_allowance_is_served_at_once() {
        let mut a = Allowance::new(&BUDGET, 0);
        assert_eq!(a.offer(1, 1500, &BUDGET), Offer::Now(1));
        // Still positive: the next goes too, and takes the allowance below zero.
        assert_eq!(a.offer(2, 1500, &BUDGET), Offer::Now(2));
        assert_eq!(a.offer(3, 10, &BUDGET), Offer::Waits);
    }

    #[test]
    fn waiting_batches_go_as_the_allowance_refills_in_order() {
        let mut a = Allowance::new(&BUDGET, 0);
        assert_eq!(a.offer(1, 3000, &BUDGET), Offer::Now(1));
        assert_eq!(a.offer(2, 500, &BUDGET), Offer::Waits);
        assert_eq!(a.offer(3, 500, &BUDGET), Offer::Waits);
        // -1000 tokens: one second brings it to 0, not enough.
        assert_eq!(a.next_ready(&BUDGET, 1000), None);
        assert_eq!(a.next_ready(&BUDGET, 1500), Some(2));
        assert_eq!(a.next_ready(&BUDGET, 1500), None, "500 - 500 = 0");
        assert_eq!(a.next_ready(&BUDGET, 1600), Some(3));
        assert!(a.is_idle());
        // The bucket never holds more than a burst.
        assert_eq!(a.next_ready(&BUDGET, 1_000_000), None);
        assert_eq!(a.offer(4, 2500, &BUDGET), Offer::Now(4));
        assert_eq!(a.offer(5, 1, &BUDGET), Offer::Waits);
    }

    #[test]
    fn a_held_batch_waits_even_within_the_allowance() {
        let mut a = Allowance::new(&BUDGET, 0);
        assert_eq!(a.hold(1, 10, &BUDGET), Offer::Waits);
        // What comes after it waits behind it.
        assert_eq!(a.offer(2, 10, &BUDGET), Offer::Waits);
        assert_eq!(a.hold(3, 10, &BUDGET), Offer::TooMany(3));
        assert_eq!(a.next_ready(&BUDGET, 0), Some(1));
        assert_eq!(a.next_ready(&BUDGET, 0), Some(2));
    }

    #[test]
    fn a_peer_flooding_past_its_queue_is_dropped() {
        let mut a = Allowance::new(&BUDGET, 0);
        assert_eq!(a.offer(1, 5000, &BUDGET), Offer::Now(1));
        assert_eq!(a.offer(2, 1, &BUDGET), Offer::Waits);
        assert_eq!(a.offer(3, 1, &BUDGET), Offer::Waits);
        assert_eq!(a.offer(4, 1, &BUDGET), Offer::TooMany(4));
    }
}
