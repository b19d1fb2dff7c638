//! Reminders, on this device only (schema 17; never synced, never sent): when
//! to remind — the device's choice in `meta` (`reminder_before`, minutes
//! before, comma-separated; `reminders_off`), an event's own in
//! `event_reminders` — and which reminders were shown, so each is shown once.
//! Which events and dates a reminder is for is `rally-service`'s to say.

use rally_core::DocId;
use rusqlite::{OptionalExtension, params};

use crate::{Ctx, Store, StoreError};

/// Minutes before: an hour and a day, unless the device or the event says.
pub const DEFAULT_BEFORE: [u32; 2] = [60, 1440];

fn parse_before(text: &str) -> Vec<u32> {
    let mut out: Vec<u32> = text
        .split(',')
        .filter_map(|m| m.trim().parse().ok())
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

fn write_before(before: &[u32]) -> String {
    before
        .iter()
        .map(u32::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

impl Store {
    /// Whether reminders are on, and how long before each event by default.
    pub fn reminder_settings(&self) -> Result<(bool, Vec<u32>), StoreError> {
        let off = crate::meta::read(self.conn(), "reminders_off")?.is_some_and(|v| v == "1");
        let before = crate::meta::read(self.conn(), "reminder_before")?
            .map(|b| parse_before(&b))
            .unwrap_or_else(|| DEFAULT_BEFORE.to_vec());
        Ok((!off, before))
    }

    pub fn set_reminder_settings(&self, on: bool, before: &[u32]) -> Result<(), StoreError> {
        crate::meta::write(self.conn(), "reminders_off", (!on).then_some("1"))?;
        crate::meta::write(self.conn(), "reminder_before", Some(&write_before(before)))
    }

    /// An event's own choice (`None`: the device's).
    pub fn event_reminders(&self, event: DocId) -> Result<Option<Vec<u32>>, StoreError> {
        let before: Option<String> = self
            .conn()
            .prepare_cached("SELECT before FROM event_reminders WHERE event = ?1")
            .and_then(|mut s| s.query_row([event.0], |r| r.get(0)).optional())
            .ctx("reading an event's reminders")?;
        Ok(before.map(|b| parse_before(&b)))
    }

    pub fn set_event_reminders(
        &self,
        event: DocId,
        before: Option<&[u32]>,
    ) -> Result<(), StoreError> {
        match before {
            Some(b) => self
                .conn()
                .prepare_cached(
                    "INSERT OR REPLACE INTO event_reminders (event, before) VALUES (?1, ?2)",
                )
                .and_then(|mut s| s.execute(params![event.0, write_before(b)])),
            None => self
                .conn()
                .prepare_cached("DELETE FROM event_reminders WHERE event = ?1")
                .and_then(|mut s| s.execute([event.0])),
        }
        .ctx("saving an event's reminders")?;
        Ok(())
    }

    /// Whether this reminder was shown.
    pub fn reminder_shown(
        &self,
        event: DocId,
        occurrence: &str,
        before: u32,
    ) -> Result<bool, StoreError> {
        Ok(self
            .conn()
            .prepare_cached(
                "SELECT 1 FROM reminders_shown WHERE event = ?1 AND occurrence = ?2 AND before = ?3",
            )
            .and_then(|mut s| {
                s.query_row(params![event.0, occurrence, before], |_| Ok(()))
                    .optional()
            })
            .ctx("reading the reminders shown")?
            .is_some())
    }

    pub fn mark_reminder_shown(
        &self,
        event: DocId,
        occurrence: &str,
        before: u32,
        at: i64,
    ) -> Result<(), StoreError> {
        self.conn()
            .prepare_cached(
                "INSERT OR IGNORE INTO reminders_shown (event, occurrence, before, shown_at) VALUES (?1, ?2, ?3, ?4)",
            )
            .and_then(|mut s| s.execute(params![event.0, occurrence, before, at]))
            .ctx("recording a reminder shown")?;
        Ok(())
    }
}
