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
pub const REFRESH_SECS: i64 = 60;
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

/// How many `Join`s, `Follow`s and `Create`s one remote actor, and one remote
/// domain, may send per hour (spam caps; `rally-server --fedi-per-actor-hour`,
/// `--fedi-per-domain-hour`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ActivityCaps {
    pub per_actor: u32,
    pub per_domain: u32,
}

impl Default for ActivityCaps {
    fn default() -> Self {
        ActivityCaps {
            per_actor: 60,
            per_domain: 600,
        }
    }
}

/// The activities counted against [`ActivityCaps`] this hour.
#[derive(Debug, Default)]
pub struct ActivityBudget {
    pub caps: ActivityCaps,
    hour: i64,
    actors: HashMap<String, u32>,
    domains: HashMap<String, u32>,
}

/// Whether an activity kind is counted (those that create something here).
pub fn counted(kind: &str) -> bool {
    matches!(kind, "Join" | "Follow" | "Create")
}

impl ActivityBudget {
    pub fn new(caps: ActivityCaps) -> Self {
        ActivityBudget {
            caps,
            ..ActivityBudget::default()
        }
    }

    fn roll(&mut self, now: i64) {
        let hour = now.div_euclid(3600);
        if hour != self.hour {
            self.hour = hour;
            self.actors.clear();
            self.domains.clear();
        }
    }

    /// Counts one activity of `actor` (on `domain`) at `now`; `false`, counting
    /// nothing, when either is over its cap this hour.
    pub fn take(&mut self, actor: &str, domain: &str, now: i64) -> bool {
        self.roll(now);
        let domain = domain.to_ascii_lowercase();
        let a = self.actors.get(actor).copied().unwrap_or(0);
        let d = self.domains.get(&domain).copied().unwrap_or(0);
        if a >= self.caps.per_actor || d >= self.caps.per_domain {
            return false;
        }
        if self.actors.len() < MAX_HOSTS {
            *self.actors.entry(actor.to_owned()).or_insert(0) += 1;
        }
        if self.domains.len() < MAX_HOSTS {
            *self.domains.entry(domain).or_insert(0) += 1;
        }
        true
    }

    /// The domains that sent the most counted activities this hour, most first.
    pub fn busiest(&mut self, now: i64, n: usize) -> Vec<(String, u32)> {
        self.roll(now);
        let mut all: Vec<(String, u32)> =
            self.domains.iter().map(|(d, c)| (d.clone(), *c)).collect();
        all.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        all.truncate(n);
        all
    }
}

#[cfg(test)]
mod cap_tests {
    use super::*;

    #[test]
    fn an_actor_and_a_domain_are_capped_per_hour() {
        let mut b = ActivityBudget::new(ActivityCaps {
            per_actor: 2,
            per_domain: 3,
        });
        let t = 7_200;
        assert!(b.take("https://a.example/u/1", "a.example", t));
        assert!(b.take("https://a.example/u/1", "a.example", t));
        assert!(
            !b.take("https://a.example/u/1", "a.example", t),
            "the actor's cap"
        );
        assert!(b.take("https://a.example/u/2", "A.example", t));
        assert!(
            !b.take("https://a.example/u/3", "a.example", t),
            "the domain's cap"
        );
        assert!(b.take("https://b.example/u/1", "b.example", t));
        assert_eq!(
            b.busiest(t, 5),
            vec![("a.example".to_owned(), 3), ("b.example".to_owned(), 1)]
        );
        assert!(
            b.take("https://a.example/u/1", "a.example", t + 3600),
            "a new hour"
        );
        assert!(counted("Join") && counted("Create") && !counted("Update"));
    }
}
