//! Recurring events: a series is one event document whose details carry an
//! RFC 5545 rule (`details.repeat`, e.g. `FREQ=WEEKLY;BYDAY=TU;UNTIL=…Z`); its
//! occurrences are computed, never stored.
//!
//! **Wall-clock rules.** A rule runs on the event's wall clock, as RFC 5545 asks
//! for a `DTSTART` with a `TZID`: "every Tuesday at 19:00" stays at 19:00 on both
//! sides of a DST change. The `rrule` crate does the calendar arithmetic on the
//! local start taken as if it were UTC (so no second time-zone database is
//! involved); each local start then becomes an instant in the event's zone with
//! `jiff`, a local time that a spring-forward skips moving forward by the gap, as
//! RFC 5545 says. An `UNTIL` (an instant, `…Z`) is turned into the wall-clock time
//! it falls on before the rule runs.
//!
//! **Naming an occurrence.** An occurrence is named by its start as the rule
//! makes it, in the event's zone (iCalendar's `RECURRENCE-ID`): `2027-05-14T19:00`.
//!
//! **Exceptions** (organisers only, see [`crate::rules`]) live beside the
//! details: `occurrences/<name>` changes one occurrence (moved to another day or
//! hour, another place, cancelled); `following/<name>` changes that occurrence and
//! every later one ("this and following"): its `starts` and `ends` are read as a
//! shift of the time (and a new duration), so "from 14 May, at 20:00 instead of
//! 19:00" moves each later occurrence to 20:00 on its own day. Later `following`
//! entries apply over earlier ones, then the occurrence's own entry. Two devices
//! that change different occurrences, or one occurrence and the following ones,
//! both keep their edits; the same field of the same entry is a last-writer-wins
//! register like any other.
//!
//! **Bounds.** Only daily, weekly, monthly and yearly rules; one expansion yields
//! at most [`MAX_OCCURRENCES`] occurrences and the crate's own iteration limit
//! stops rules that never match, so a hostile rule costs bounded time.

use std::collections::BTreeMap;
use std::str::FromStr;

use chrono::{Datelike, NaiveDate, TimeZone as _, Timelike};
use jiff::civil::{Date, DateTime, Weekday};
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Span, Timestamp};
use rrule::{Frequency, RRule, RRuleSet, Tz, Unvalidated};
use serde::Serialize;

use crate::model::{EventDetails, EventStatus, InvalidInput, Place};

/// Occurrences one expansion yields at most.
pub const MAX_OCCURRENCES: u16 = 1_000;
/// Exceptions one series keeps at most (each kind).
pub const MAX_EXCEPTIONS: usize = 1_000;

/// A checked recurrence rule, as RFC 5545 writes it (without `RRULE:`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Repeat(String);

impl Repeat {
    /// Reads a rule: `FREQ=DAILY|WEEKLY|MONTHLY|YEARLY` and the usual parts
    /// (`INTERVAL`, `BYDAY=2TU`, `BYMONTHDAY`, `BYSETPOS`, `COUNT`, `UNTIL=…Z`).
    /// Whether it fits an event's start is [`Repeat::check`]'s to say.
    pub fn parse(text: &str) -> Result<Repeat, InvalidInput> {
        let bad = |why: &str| InvalidInput::BadRepeat(format!("{text:?}: {why}"));
        let text = text.trim().trim_start_matches("RRULE:");
        if text.len() > 500 {
            return Err(bad("too long"));
        }
        let rule: RRule<Unvalidated> = text.parse().map_err(|e| bad(&format!("{e}")))?;
        if !matches!(
            rule.get_freq(),
            Frequency::Daily | Frequency::Weekly | Frequency::Monthly | Frequency::Yearly
        ) {
            return Err(bad("an event repeats daily, weekly, monthly or yearly"));
        }
        if !(rule.get_by_hour().is_empty()
            && rule.get_by_minute().is_empty()
            && rule.get_by_second().is_empty())
        {
            return Err(bad("the time of day is the event's start"));
        }
        if rule
            .get_count()
            .is_some_and(|c| c > u32::from(MAX_OCCURRENCES))
        {
            return Err(bad(&format!("at most {MAX_OCCURRENCES} occurrences")));
        }
        if let Some(until) = rule.get_until()
            && until.timezone().is_local()
        {
            return Err(bad("UNTIL is an instant in UTC (…Z)"));
        }
        Ok(Repeat(rule.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The same rule, ending after the occurrence that starts on `last` (a wall
    /// clock time in `zone`): `UNTIL` is the end of that day there.
    pub fn until(&self, last: Date, zone: &TimeZone) -> Result<Repeat, InvalidInput> {
        let end = last
            .at(23, 59, 59, 0)
            .to_zoned_datetime(zone.clone())
            .map_err(|_| InvalidInput::BadRepeat(format!("no end of day on {last}")))?
            .timestamp();
        let rule = self
            .rule()?
            .until(Tz::UTC.timestamp_opt(end.as_second(), 0).unwrap());
        Ok(Repeat(rule.to_string()))
    }

    fn rule(&self) -> Result<RRule<Unvalidated>, InvalidInput> {
        RRule::from_str(&self.0).map_err(|e| InvalidInput::BadRepeat(format!("{e}")))
    }

    /// The rule for `starts` in `zone`, on the wall clock (see the module doc).
    fn on_wall_clock(&self, starts: DateTime, zone: &TimeZone) -> Result<RRuleSet, InvalidInput> {
        let mut rule = self.rule()?;
        if let Some(until) = rule.get_until() {
            let instant = Timestamp::from_second(until.timestamp())
                .map_err(|_| InvalidInput::BadRepeat("UNTIL out of range".into()))?;
            let local = instant.to_zoned_datetime(zone.clone()).datetime();
            rule = rule.until(wall(local));
        }
        rule.build(wall(starts))
            .map_err(|e| InvalidInput::BadRepeat(format!("{e}")))
    }

    /// Whether the rule can run from `starts` in `zone`.
    pub fn check(&self, starts: DateTime, zone: &TimeZone) -> Result<(), InvalidInput> {
        self.on_wall_clock(starts, zone).map(|_| ())
    }

    /// The names (rule-made local starts) of the occurrences from `from` to `to`
    /// (local times, both included), at most `limit`.
    pub fn names(
        &self,
        starts: DateTime,
        zone: &TimeZone,
        from: DateTime,
        to: DateTime,
        limit: u16,
    ) -> Vec<DateTime> {
        let Ok(set) = self.on_wall_clock(starts, zone) else {
            return Vec::new();
        };
        set.after(wall(from))
            .before(wall(to))
            .all(limit.min(MAX_OCCURRENCES))
            .dates
            .iter()
            .map(|d| civil(d.naive_utc()))
            .collect()
    }

    /// The rule's parts, for forms and for sentences in people's languages.
    pub fn parts(&self) -> Option<RepeatParts> {
        let rule = self.rule().ok()?;
        let weekday = |w: rrule::Weekday| match w {
            rrule::Weekday::Mon => Weekday::Monday,
            rrule::Weekday::Tue => Weekday::Tuesday,
            rrule::Weekday::Wed => Weekday::Wednesday,
            rrule::Weekday::Thu => Weekday::Thursday,
            rrule::Weekday::Fri => Weekday::Friday,
            rrule::Weekday::Sat => Weekday::Saturday,
            rrule::Weekday::Sun => Weekday::Sunday,
        };
        Some(RepeatParts {
            freq: match rule.get_freq() {
                Frequency::Daily => Freq::Daily,
                Frequency::Weekly => Freq::Weekly,
                Frequency::Monthly => Freq::Monthly,
                _ => Freq::Yearly,
            },
            interval: rule.get_interval().max(1),
            weekdays: rule
                .get_by_weekday()
                .iter()
                .map(|w| match w {
                    rrule::NWeekday::Every(d) => (None, weekday(*d)),
                    rrule::NWeekday::Nth(n, d) => (Some(*n), weekday(*d)),
                })
                .collect(),
            month_days: rule.get_by_month_day().to_vec(),
            until: rule
                .get_until()
                .and_then(|u| Timestamp::from_second(u.timestamp()).ok()),
            count: rule.get_count(),
        })
    }

    /// A rule from its parts (the app's form); `until` and `count` are
    /// [`Repeat::until`]'s and the rule's own.
    pub fn from_parts(p: &RepeatParts) -> Result<Repeat, InvalidInput> {
        let day = |w: Weekday| match w {
            Weekday::Monday => "MO",
            Weekday::Tuesday => "TU",
            Weekday::Wednesday => "WE",
            Weekday::Thursday => "TH",
            Weekday::Friday => "FR",
            Weekday::Saturday => "SA",
            Weekday::Sunday => "SU",
        };
        let mut text = format!(
            "FREQ={}",
            match p.freq {
                Freq::Daily => "DAILY",
                Freq::Weekly => "WEEKLY",
                Freq::Monthly => "MONTHLY",
                Freq::Yearly => "YEARLY",
            }
        );
        if p.interval > 1 {
            text.push_str(&format!(";INTERVAL={}", p.interval));
        }
        if let Some(c) = p.count {
            text.push_str(&format!(";COUNT={c}"));
        }
        if !p.weekdays.is_empty() {
            let days: Vec<String> = p
                .weekdays
                .iter()
                .map(|(n, w)| {
                    format!(
                        "{}{}",
                        n.map(|n| n.to_string()).unwrap_or_default(),
                        day(*w)
                    )
                })
                .collect();
            text.push_str(&format!(";BYDAY={}", days.join(",")));
        }
        if !p.month_days.is_empty() {
            let days: Vec<String> = p.month_days.iter().map(i8::to_string).collect();
            text.push_str(&format!(";BYMONTHDAY={}", days.join(",")));
        }
        Repeat::parse(&text)
    }
}

/// How often a series repeats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Freq {
    Daily,
    Weekly,
    Monthly,
    Yearly,
}

/// A rule's parts (see [`Repeat::parts`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepeatParts {
    pub freq: Freq,
    /// Every `interval` days, weeks, months or years.
    pub interval: u16,
    /// On these weekdays; with a number, the nth of the month (`-1`: the last).
    pub weekdays: Vec<(Option<i16>, Weekday)>,
    /// On these days of the month.
    pub month_days: Vec<i8>,
    pub until: Option<Timestamp>,
    pub count: Option<u32>,
}

/// A local time as the `rrule` crate's UTC (the wall clock, see the module doc).
fn wall(t: DateTime) -> chrono::DateTime<Tz> {
    let naive = NaiveDate::from_ymd_opt(t.year().into(), t.month() as u32, t.day() as u32)
        .and_then(|d| d.and_hms_opt(t.hour() as u32, t.minute() as u32, t.second() as u32))
        .unwrap_or_default();
    Tz::UTC.from_utc_datetime(&naive)
}

fn civil(t: chrono::NaiveDateTime) -> DateTime {
    jiff::civil::date(t.year() as i16, t.month() as i8, t.day() as i8).at(
        t.hour() as i8,
        t.minute() as i8,
        t.second() as i8,
        0,
    )
}

/// What an organiser changed of one occurrence, or of it and the following ones.
/// `None` leaves the series' value.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct OccurrencePatch {
    /// One occurrence: its new local start. The following ones: the occurrence's
    /// new start, applied to each later one as a shift of its time.
    pub starts: Option<DateTime>,
    pub ends: Option<DateTime>,
    pub title: Option<String>,
    pub description: Option<String>,
    pub place: Option<Place>,
    pub online_url: Option<String>,
    pub status: Option<EventStatus>,
}

impl OccurrencePatch {
    pub fn is_empty(&self) -> bool {
        *self == OccurrencePatch::default()
    }

    pub fn validate(&self, name: DateTime) -> Result<(), InvalidInput> {
        let mut probe = EventDetails::new(
            self.title.clone().unwrap_or_else(|| "-".into()),
            self.starts.unwrap_or(name),
            "UTC",
        );
        probe.description = self.description.clone().unwrap_or_default();
        probe.ends = self.ends;
        probe.place = self.place.clone().unwrap_or_default();
        probe.online_url = self.online_url.clone();
        probe.validate()
    }
}

/// A series' exceptions, by occurrence name.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Exceptions {
    pub one: BTreeMap<DateTime, OccurrencePatch>,
    pub following: BTreeMap<DateTime, OccurrencePatch>,
}

/// One occurrence of a series (or the one occurrence of a single event).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Occurrence {
    /// Its name: the start the rule gave it (see the module doc).
    pub name: DateTime,
    /// Local start and end, in the event's zone.
    pub starts: DateTime,
    pub ends: Option<DateTime>,
    pub starts_at: Timestamp,
    pub ends_at: Option<Timestamp>,
    pub title: String,
    pub description: String,
    pub place: Place,
    pub online_url: Option<String>,
    pub status: EventStatus,
    /// Whether an exception changed it.
    pub changed: bool,
}

fn shift(t: DateTime, by: Span) -> DateTime {
    t.checked_add(by).unwrap_or(t)
}

/// How far from its name an exception may move an occurrence (so a window
/// looks that much wider for names).
fn reach(ex: &Exceptions) -> SignedDuration {
    let mut most = SignedDuration::ZERO;
    for (name, p) in ex.one.iter().chain(ex.following.iter()) {
        for t in [p.starts, p.ends].into_iter().flatten() {
            most = most.max(t.duration_since(*name).abs());
        }
    }
    most
}

impl EventDetails {
    /// The occurrence named `name`, exceptions applied.
    pub fn occurrence(&self, name: DateTime, ex: &Exceptions) -> Occurrence {
        let zone = self.zone();
        let length = self.ends.and_then(|e| self.starts.until(e).ok());
        let mut o = Occurrence {
            name,
            starts: name,
            ends: length.map(|l| shift(name, l)),
            starts_at: Timestamp::UNIX_EPOCH,
            ends_at: None,
            title: self.title.clone(),
            description: self.description.clone(),
            place: self.place.clone(),
            online_url: self.online_url.clone(),
            status: self.status,
            changed: false,
        };
        let mut apply = |p: &OccurrencePatch, from: DateTime, one: bool| {
            o.changed = true;
            if let Some(s) = p.starts {
                o.starts = if one {
                    s
                } else {
                    shift(name, from.until(s).unwrap_or_default())
                };
            }
            if let Some(e) = p.ends {
                let length = p.starts.unwrap_or(from).until(e).unwrap_or_default();
                o.ends = Some(shift(o.starts, length));
            } else if p.starts.is_some() {
                o.ends = length.map(|l| shift(o.starts, l));
            }
            if let Some(t) = &p.title {
                o.title = t.clone();
            }
            if let Some(d) = &p.description {
                o.description = d.clone();
            }
            if let Some(pl) = &p.place {
                o.place = pl.clone();
            }
            if let Some(u) = &p.online_url {
                o.online_url = Some(u.clone());
            }
            if let Some(s) = p.status {
                o.status = s;
            }
        };
        for (from, p) in ex.following.range(..=name) {
            apply(p, *from, false);
        }
        if let Some(p) = ex.one.get(&name) {
            apply(p, name, true);
        }
        if self.status == EventStatus::Cancelled {
            o.status = EventStatus::Cancelled;
        }
        o.starts_at = zone.to_timestamp(o.starts).unwrap_or(Timestamp::UNIX_EPOCH);
        o.ends_at = o.ends.and_then(|e| zone.to_timestamp(e).ok());
        o
    }

    /// The occurrences that have not ended by `from` and start before `to`, in
    /// order of start, at most `limit`. A single event has one, itself.
    pub fn occurrences(
        &self,
        ex: &Exceptions,
        from: Timestamp,
        to: Timestamp,
        limit: usize,
    ) -> Vec<Occurrence> {
        let zone = self.zone();
        let names = match &self.repeat {
            None => vec![self.starts],
            Some(repeat) => {
                // Names are looked for in a window widened by the longest event
                // and the farthest exception, and by a day for the zone's offsets.
                let length = self
                    .ends
                    .map(|e| e.duration_since(self.starts))
                    .unwrap_or_default();
                let margin = length + reach(ex) + SignedDuration::from_hours(26);
                let local = |t: Timestamp| t.to_zoned_datetime(zone.clone()).datetime();
                let lo = local(from.checked_sub(margin).unwrap_or(from));
                let hi = local(to.checked_add(margin).unwrap_or(to));
                repeat.names(self.starts, &zone, lo, hi, MAX_OCCURRENCES)
            }
        };
        let mut out: Vec<Occurrence> = names
            .into_iter()
            .map(|n| self.occurrence(n, ex))
            .filter(|o| o.starts_at < to && current_at(o) >= from)
            .collect();
        out.sort_by_key(|o| (o.starts_at, o.name));
        out.truncate(limit);
        out
    }

    /// Whether `name` is an occurrence of this event (a single event's own start
    /// for a single event).
    pub fn has_occurrence(&self, name: DateTime) -> bool {
        match &self.repeat {
            None => name == self.starts,
            Some(repeat) => repeat
                .names(self.starts, &self.zone(), name, name, 1)
                .contains(&name),
        }
    }
}

/// Until when an occurrence is current: its end, or two hours after an
/// open-ended start (as for single events in the store's index).
pub fn current_at(o: &Occurrence) -> Timestamp {
    o.ends_at.unwrap_or_else(|| {
        o.starts_at
            .checked_add(SignedDuration::from_hours(2))
            .unwrap_or(o.starts_at)
    })
}

#[cfg(test)]
mod tests;
