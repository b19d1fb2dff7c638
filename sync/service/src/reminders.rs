//! Reminders before what this device's personas go to: each event, and each
//! date of a series, one of them is going to (to the whole series or to that
//! date), some minutes before it starts — an hour and a day unless the device
//! or the event says otherwise, or never when reminders are off. Computed here
//! from the documents and the device's own settings (the store's
//! `reminders.rs`); shown by the front end (the app's system notifications);
//! nothing about them leaves the device.

use std::collections::HashMap;

use rally_core::jiff::civil::DateTime;
use rally_core::jiff::{SignedDuration, Timestamp};
use rally_core::model::EventView;
use rally_core::{DocId, DocKind, EventStatus, InvalidInput, ParticipationStatus};
use rally_store::EventQuery;

use crate::{Result, Service};

/// How long before an event a reminder may be, at most (four weeks).
pub const MAX_BEFORE_MINUTES: u32 = 4 * 7 * 24 * 60;
/// How many reminders one event may have.
pub const MAX_REMINDERS: usize = 5;
/// A reminder missed while the app was closed is still shown this late, if
/// its event has not started.
const GRACE: SignedDuration = SignedDuration::from_hours(12);

/// One reminder: an event (or one date of a series) and how long before it.
#[derive(Debug, Clone, PartialEq)]
pub struct Reminder {
    pub event: DocId,
    /// The date of a series it is for (its name).
    pub occurrence: Option<DateTime>,
    pub title: String,
    pub starts_at: Timestamp,
    /// Minutes before the start.
    pub before: u32,
    /// When it is due: `before` minutes before the start.
    pub due_at: Timestamp,
}

/// The device's choice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReminderSettings {
    pub on: bool,
    /// Minutes before each event.
    pub before: Vec<u32>,
}

fn check_before(before: &[u32]) -> Result<Vec<u32>> {
    if before.len() > MAX_REMINDERS || before.iter().any(|b| *b > MAX_BEFORE_MINUTES) {
        return Err(InvalidInput::BadReminder(format!(
            "reminders are at most {MAX_REMINDERS}, each at most four weeks before"
        ))
        .into());
    }
    let mut b = before.to_vec();
    b.sort_unstable();
    b.dedup();
    Ok(b)
}

/// Reads "1h", "1d", "30m", "90" (minutes), "1w".
pub fn parse_before(text: &str) -> Option<u32> {
    let t = text.trim();
    let (n, unit) = t.split_at(t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len()));
    let n: u32 = n.parse().ok()?;
    let per = match unit.trim() {
        "" | "m" | "min" => 1,
        "h" => 60,
        "d" => 24 * 60,
        "w" => 7 * 24 * 60,
        _ => return None,
    };
    n.checked_mul(per)
}

impl Service {
    pub fn reminder_settings(&self) -> Result<ReminderSettings> {
        let (on, before) = self.store.reminder_settings()?;
        Ok(ReminderSettings { on, before })
    }

    pub fn set_reminder_settings(&mut self, s: &ReminderSettings) -> Result<()> {
        let before = check_before(&s.before)?;
        self.transaction(|svc| Ok(svc.store.set_reminder_settings(s.on, &before)?))
    }

    /// When to remind of one event (`None`: as the device does; empty: never).
    pub fn set_event_reminders(&mut self, id: &str, before: Option<Vec<u32>>) -> Result<DocId> {
        let id = self.resolve(id, DocKind::Event)?;
        let before = before.map(|b| check_before(&b)).transpose()?;
        self.transaction(|svc| {
            svc.store.set_event_reminders(id, before.as_deref())?;
            Ok(id)
        })
    }

    /// One event's own reminders (`None`: as the device does).
    pub fn event_reminders(&self, id: DocId) -> Result<Option<Vec<u32>>> {
        Ok(self.store.event_reminders(id)?)
    }

    /// The reminders due from `from` to `to` not shown yet, soonest first.
    pub fn reminders(&self, from: Timestamp, to: Timestamp) -> Result<Vec<Reminder>> {
        let (on, default) = self.store.reminder_settings()?;
        if !on {
            return Ok(Vec::new());
        }
        let personas: Vec<_> = self.store.personas()?.iter().map(|p| p.id()).collect();
        if personas.is_empty() {
            return Ok(Vec::new());
        }
        let mut q = EventQuery::upcoming(from);
        q.involving = personas.clone();
        q.limit = 2_000;
        let longest = SignedDuration::from_mins(i64::from(MAX_BEFORE_MINUTES));
        let mut views: HashMap<DocId, Option<EventView>> = HashMap::new();
        let mut out = Vec::new();
        for row in self.store.events(&q)? {
            let starts_at = Timestamp::from_second(row.starts).unwrap_or(Timestamp::MAX);
            if starts_at > to.checked_add(longest).unwrap_or(Timestamp::MAX) {
                break;
            }
            if row.status == EventStatus::Cancelled || starts_at < from {
                continue;
            }
            let view = views
                .entry(row.id)
                .or_insert_with(|| self.store.load(row.id).ok().and_then(|d| d.event().ok()));
            let Some(view) = view else { continue };
            let occurrence: Option<DateTime> =
                row.occurrence.as_deref().and_then(|o| o.parse().ok());
            let going = personas.iter().any(|p| {
                [
                    view.participation(p, None),
                    occurrence.and_then(|o| view.participation(p, Some(o))),
                ]
                .into_iter()
                .flatten()
                .any(|x| x.status == ParticipationStatus::Going)
            });
            if !going {
                continue;
            }
            let before = self
                .store
                .event_reminders(row.id)?
                .unwrap_or_else(|| default.clone());
            let name = occurrence.map(|o| o.to_string()).unwrap_or_default();
            for b in before {
                let due_at = starts_at
                    .checked_sub(SignedDuration::from_mins(i64::from(b)))
                    .unwrap_or(starts_at);
                if due_at < from || due_at > to || self.store.reminder_shown(row.id, &name, b)? {
                    continue;
                }
                out.push(Reminder {
                    event: row.id,
                    occurrence,
                    title: row.title.clone(),
                    starts_at,
                    before: b,
                    due_at,
                });
            }
        }
        out.sort_by_key(|r| (r.due_at, r.event, r.before));
        Ok(out)
    }

    /// The reminders due by `now` (at most [`GRACE`] late, their event not
    /// started yet) not shown yet: recorded as shown, and returned to be shown.
    pub fn take_due_reminders(&mut self, now: Timestamp) -> Result<Vec<Reminder>> {
        let from = now.checked_sub(GRACE).unwrap_or(now);
        let due: Vec<Reminder> = self
            .reminders(from, now)?
            .into_iter()
            .filter(|r| r.starts_at > now)
            .collect();
        if due.is_empty() {
            return Ok(due);
        }
        self.transaction(|svc| {
            for r in &due {
                let name = r.occurrence.map(|o| o.to_string()).unwrap_or_default();
                svc.store
                    .mark_reminder_shown(r.event, &name, r.before, now.as_second())?;
            }
            Ok(())
        })?;
        Ok(due)
    }
}
