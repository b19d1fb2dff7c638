//! What anonymous requests read of the public content — NodeInfo's counts and
//! the names of the people who commented publicly (`/people/…`) — gathered by
//! one walk over the public groups and their events, kept for a minute: a
//! stranger asking again and again (or for made-up people) costs a lookup, not a
//! walk of every group and event.

use std::collections::HashMap;
use std::sync::Arc;

use rally_core::PersonaId;

use super::{FediError, Local};

/// How long a snapshot answers before the next request gathers a new one.
pub const MAX_AGE_SECS: i64 = 60;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PublicSnapshot {
    /// When it was gathered (Unix seconds).
    pub at: i64,
    pub groups: usize,
    pub events: usize,
    pub comments: usize,
    /// The authors of public comments, with the name each last used.
    pub people: HashMap<PersonaId, String>,
}

impl PublicSnapshot {
    /// Walks the public groups and their public events.
    pub fn gather(l: &Local, at: i64) -> Result<PublicSnapshot, FediError> {
        let groups = l.public_groups()?;
        let mut s = PublicSnapshot {
            at,
            groups: groups.len(),
            ..PublicSnapshot::default()
        };
        for g in &groups {
            for e in &g.view.events {
                if let Some(ev) = l.public_event(e)? {
                    s.events += 1;
                    for c in ev.view.comments.iter().filter(|c| !c.deleted) {
                        s.comments += 1;
                        s.people.insert(c.author, c.author_name.clone());
                    }
                }
            }
        }
        Ok(s)
    }

    pub fn is_fresh(&self, now: i64) -> bool {
        (0..MAX_AGE_SECS).contains(&(now - self.at))
    }
}

/// The snapshot in use (one gathering at a time; the others wait for it).
#[derive(Debug, Default)]
pub struct Snapshots(tokio::sync::Mutex<Option<Arc<PublicSnapshot>>>);

impl Snapshots {
    pub async fn get(&self, fedi: &super::Fedi) -> Result<Arc<PublicSnapshot>, FediError> {
        let now = rally_core::jiff::Timestamp::now().as_second();
        let mut held = self.0.lock().await;
        if let Some(s) = held.as_ref().filter(|s| s.is_fresh(now)) {
            return Ok(s.clone());
        }
        let fresh = Arc::new(fedi.local(move |l| PublicSnapshot::gather(l, now)).await?);
        *held = Some(fresh.clone());
        Ok(fresh)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_snapshot_answers_for_a_minute() {
        let s = PublicSnapshot {
            at: 1_000,
            ..PublicSnapshot::default()
        };
        assert!(s.is_fresh(1_000));
        assert!(s.is_fresh(1_000 + MAX_AGE_SECS - 1));
        assert!(!s.is_fresh(1_000 + MAX_AGE_SECS));
        assert!(!s.is_fresh(999), "a clock that went back gathers again");
    }
}
