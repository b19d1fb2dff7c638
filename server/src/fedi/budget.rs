//! How often strangers can make this server fetch: unauthenticated inbox POSTs
//! name actors and objects on hosts of their choosing, and each could cost an
//! outgoing request. Fetches caused by inbound activities are counted per host in
//! fixed windows, with time passed in (so the rule is tested without a clock);
//! past the allowance the activity is answered 429 and nothing is fetched.

use std::collections::HashMap;

/// Fetches per host per window.
pub const PER_HOST: u32 = 60;
/// The window, in seconds.
pub const WINDOW_SECS: i64 = 60;
/// A cached actor is fetched again (its key may have rotated) at most this often.
pub const REFRESH_SECS: i64 = 600;
/// Hosts remembered at most (the oldest windows are forgotten first).
const MAX_HOSTS: usize = 10_000;

/// Per-host fetch counts.
#[derive(Debug, Default)]
pub struct FetchBudget {
    hosts: HashMap<String, (i64, u32)>,
}

impl FetchBudget {
    /// Whether one more fetch from `host` is allowed at `now` (Unix seconds); if
    /// so, it is counted.
    pub fn take(&mut self, host: &str, now: i64) -> bool {
        if self.hosts.len() >= MAX_HOSTS {
            self.hosts
                .retain(|_, (start, _)| now - *start < WINDOW_SECS);
        }
        if self.hosts.len() >= MAX_HOSTS && !self.hosts.contains_key(host) {
            return false;
        }
        let entry = self
            .hosts
            .entry(host.to_ascii_lowercase())
            .or_insert((now, 0));
        if now - entry.0 >= WINDOW_SECS || now < entry.0 {
            *entry = (now, 0);
        }
        if entry.1 >= PER_HOST {
            return false;
        }
        entry.1 += 1;
        true
    }
}

/// Whether an actor cached at `fetched_at` may be fetched again at `now` when a
/// signature does not verify with its key: keys rotate, but a stream of bad
/// signatures must not make a fetch each.
pub fn may_refresh(fetched_at: i64, now: i64) -> bool {
    now - fetched_at >= REFRESH_SECS || now < fetched_at
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_host_gets_its_allowance_per_window() {
        let mut b = FetchBudget::default();
        for _ in 0..PER_HOST {
            assert!(b.take("a.example", 100));
        }
        assert!(!b.take("a.example", 100));
        assert!(
            !b.take("A.EXAMPLE", 100 + WINDOW_SECS - 1),
            "same host, any case"
        );
        assert!(b.take("b.example", 100), "another host is not held back");
        assert!(b.take("a.example", 100 + WINDOW_SECS), "a new window");
    }

    #[test]
    fn bad_signatures_refresh_an_actor_once_per_interval() {
        assert!(!may_refresh(1_000, 1_000));
        assert!(!may_refresh(1_000, 1_000 + REFRESH_SECS - 1));
        assert!(may_refresh(1_000, 1_000 + REFRESH_SECS));
    }
}
