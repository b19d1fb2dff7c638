//! Anti-spam caps per persona, sans IO: how many events, comments and joins a
//! change makes ([`Activity::of`], read from the change's own operations, so a
//! relay counts without rebuilding the document), and an hourly budget per
//! persona ([`HourlyCaps`], time passed in) a server checks before it stores a
//! persona's changes.
//!
//! The layout the rule enforces makes the count honest: a new comment is an
//! object given both `body` and `created_at` in one change (the rule refuses a
//! comment without them), a join is a participation entry given a status of
//! going, pending or interested, a new event is a genesis putting `kind` =
//! `event` at the root. Counting never judges: a change over the budget is not
//! refused by the rule (replicas must agree whatever the clock says), only not
//! taken by this server for now.

use std::collections::{BTreeMap, HashMap, VecDeque};

use automerge::ScalarValue;
use automerge::legacy::{Key, ObjectId, OpType};

use crate::ids::PersonaId;
use crate::signed::SignedChange;

/// What a change makes that the caps count.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Activity {
    pub events: u32,
    pub comments: u32,
    pub joins: u32,
}

impl Activity {
    pub fn is_none(&self) -> bool {
        *self == Activity::default()
    }

    pub fn add(&mut self, other: Activity) {
        self.events = self.events.saturating_add(other.events);
        self.comments = self.comments.saturating_add(other.comments);
        self.joins = self.joins.saturating_add(other.joins);
    }

    /// What `change` makes (nothing, for bytes that are no change).
    pub fn of(change: &SignedChange) -> Activity {
        let Ok(c) = automerge::Change::try_from(change.bytes.as_slice()) else {
            return Activity::default();
        };
        let mut a = Activity::default();
        // The keys each object is given in this change, and a status put.
        let mut keys: BTreeMap<String, (bool, bool, bool)> = BTreeMap::new();
        for op in c.decode().operations {
            let (OpType::Put(value), Key::Map(key)) = (&op.action, &op.key) else {
                continue;
            };
            let obj = match &op.obj {
                ObjectId::Root => {
                    if key.as_str() == "kind"
                        && matches!(value, ScalarValue::Str(s) if s.as_str() == "event")
                    {
                        a.events += 1;
                    }
                    continue;
                }
                ObjectId::Id(id) => format!("{}@{}", id.0, id.1),
            };
            let entry = keys.entry(obj).or_default();
            match key.as_str() {
                "body" => entry.0 = true,
                "created_at" => entry.1 = true,
                "status" => {
                    entry.2 = matches!(
                        value,
                        ScalarValue::Str(s) if matches!(s.as_str(), "going" | "pending" | "interested")
                    )
                }
                _ => {}
            }
        }
        for (body, created, joined) in keys.into_values() {
            if body && created {
                a.comments += 1;
            }
            if joined {
                a.joins += 1;
            }
        }
        a
    }
}

/// How many of each a persona may make in an hour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Caps {
    pub events: u32,
    pub comments: u32,
    pub joins: u32,
}

impl Default for Caps {
    fn default() -> Self {
        Caps {
            events: 50,
            comments: 100,
            joins: 100,
        }
    }
}

/// A persona went past a cap.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "this server takes at most {cap} {what} an hour from one persona: yours wait on your device and go once the hour is over"
)]
pub struct CapExceeded {
    pub what: &'static str,
    pub cap: u32,
}

const HOUR: i64 = 3600;

/// What each persona made in the last hour, against [`Caps`].
#[derive(Debug, Clone, Default)]
pub struct HourlyCaps {
    caps: Caps,
    seen: HashMap<PersonaId, VecDeque<(i64, Activity)>>,
}

impl HourlyCaps {
    pub fn new(caps: Caps) -> Self {
        HourlyCaps {
            caps,
            seen: HashMap::new(),
        }
    }

    pub fn caps(&self) -> Caps {
        self.caps
    }

    fn this_hour(&mut self, who: &PersonaId, now: i64) -> Activity {
        let mut sum = Activity::default();
        if let Some(q) = self.seen.get_mut(who) {
            while q.front().is_some_and(|(at, _)| now - at >= HOUR) {
                q.pop_front();
            }
            for (_, a) in q.iter() {
                sum.add(*a);
            }
            if q.is_empty() {
                self.seen.remove(who);
            }
        }
        sum
    }

    /// Whether `who` may make `more` at `now` (Unix seconds).
    pub fn check(&mut self, who: &PersonaId, now: i64, more: Activity) -> Result<(), CapExceeded> {
        let mut sum = self.this_hour(who, now);
        sum.add(more);
        let over = |n: u32, cap: u32| n > cap;
        if over(sum.events, self.caps.events) {
            return Err(CapExceeded {
                what: "new events",
                cap: self.caps.events,
            });
        }
        if over(sum.comments, self.caps.comments) {
            return Err(CapExceeded {
                what: "comments",
                cap: self.caps.comments,
            });
        }
        if over(sum.joins, self.caps.joins) {
            return Err(CapExceeded {
                what: "joins",
                cap: self.caps.joins,
            });
        }
        Ok(())
    }

    /// Counts what `who` made at `now`.
    pub fn record(&mut self, who: &PersonaId, now: i64, made: Activity) {
        if !made.is_none() {
            self.seen.entry(*who).or_default().push_back((now, made));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::Document;
    use crate::model::EventDetails;
    use crate::persona::Persona;
    use jiff::Timestamp;

    fn t(s: i64) -> Timestamp {
        Timestamp::from_second(1_780_000_000 + s).unwrap()
    }

    #[test]
    fn changes_are_counted_by_what_they_make() {
        let (org, ana) = (Persona::generate(), Persona::generate());
        let details = EventDetails::new(
            "Picnic",
            "2055-06-01T12:00".parse().unwrap(),
            "Europe/Paris",
        );
        let (mut doc, genesis) = Document::create_event(&org, "Org", &details, None, t(0)).unwrap();
        let event = Activity {
            events: 1,
            ..Activity::default()
        };
        assert_eq!(Activity::of(&genesis), event);
        let (join, _) = doc.join_event(&ana, "Ana", t(1)).unwrap();
        assert_eq!(
            Activity::of(&join),
            Activity {
                joins: 1,
                ..Activity::default()
            }
        );
        let (comment, id) = doc.comment(&ana, "Ana", "hello", None, t(2)).unwrap();
        assert_eq!(
            Activity::of(&comment),
            Activity {
                comments: 1,
                ..Activity::default()
            }
        );
        let edit = doc.edit_comment(&ana, &id, "hello again", t(3)).unwrap();
        assert!(Activity::of(&edit).is_none(), "an edit makes nothing new");
        let leave = doc.leave_event(&ana, t(4)).unwrap();
        assert!(Activity::of(&leave).is_none(), "leaving is no join");
        let mut details = doc.event().unwrap().details;
        details.title = "Big picnic".into();
        let update = doc.update_event(&org, &details, t(5)).unwrap();
        assert!(Activity::of(&update).is_none());
    }

    #[test]
    fn the_hundred_and_first_comment_in_an_hour_waits() {
        let mut caps = HourlyCaps::new(Caps::default());
        let (ana, ben) = (PersonaId([1; 32]), PersonaId([2; 32]));
        let one = Activity {
            comments: 1,
            ..Activity::default()
        };
        for i in 0..100 {
            caps.check(&ana, i, one).unwrap();
            caps.record(&ana, i, one);
        }
        let err = caps.check(&ana, 100, one).unwrap_err();
        assert_eq!((err.what, err.cap), ("comments", 100));
        assert!(
            err.to_string().contains("at most 100 comments an hour"),
            "{err}"
        );
        // Others are not held up, nor is Ana's joining.
        caps.check(&ben, 100, one).unwrap();
        caps.check(
            &ana,
            100,
            Activity {
                joins: 1,
                ..Activity::default()
            },
        )
        .unwrap();
        // An hour after her first, one more may go.
        caps.check(&ana, 3600, one).unwrap();
        // A batch of 101 at once is over too.
        let many = Activity {
            comments: 101,
            ..Activity::default()
        };
        assert!(caps.check(&ben, 0, many).is_err());
    }
}
