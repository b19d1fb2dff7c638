//! Events as iCalendar (RFC 5545), the only place it is written: the app's
//! "add to calendar" and the server's calendar feeds (one event, a group's, a
//! tag's, the instance's) call [`calendar`].
//!
//! Each event keeps its own time zone: `DTSTART;TZID=Europe/Paris:…` in the
//! event's wall-clock time, and the calendar carries a `VTIMEZONE` for every
//! zone it names, written from the bundled time-zone database (`jiff`): one
//! `STANDARD` or `DAYLIGHT` observance per transition from the year before the
//! first event to the year after the last, so a reader with no zone database of
//! its own still finds the right instant on either side of a DST change. The
//! `ics` crate writes the text (escaping, line folding, CRLF).
//!
//! A series (see `rally_core::recurrence`) is one `VEVENT` with its `RRULE`, an
//! `EXDATE` per cancelled occurrence, and one more `VEVENT` with the same `UID`
//! and a `RECURRENCE-ID` per occurrence an exception changed otherwise (each of
//! those a "this and following" change reaches, up to the crate's bound on one
//! expansion), all in the event's zone.

use std::collections::BTreeMap;

use ics::parameters::TzIDParam;
use ics::properties::{
    Description, DtEnd, DtStart, ExDate, Geo, Location, RRule, RecurrenceID, Status, Summary,
    TzName, URL,
};
use ics::{Daylight, Event, ICalendar, Standard, TimeZone as VTimeZone, escape_text};
use jiff::civil::DateTime;
use jiff::tz::{Offset, TimeZone};
use jiff::{Timestamp, ToSpan};
use rally_core::model::EventView;
use rally_core::{DocId, EventStatus, Place};

/// The product that wrote a calendar.
const PRODID: &str = "-//Rally//Rally events//EN";

#[derive(Debug, thiserror::Error)]
pub enum IcalError {
    #[error("unknown time zone {0:?}")]
    Zone(String),
}

/// One event as a calendar shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct CalEvent {
    /// Stable across feeds and edits.
    pub uid: String,
    pub title: String,
    pub description: String,
    /// Wall-clock start (and end) in `zone`.
    pub starts: DateTime,
    pub ends: Option<DateTime>,
    /// IANA time zone name.
    pub zone: String,
    pub location: Option<String>,
    pub geo: Option<(f64, f64)>,
    /// Where to read more (the event's page).
    pub url: Option<String>,
    pub cancelled: bool,
    /// A series' rule (RFC 5545, without `RRULE:`).
    pub repeat: Option<String>,
    /// A series' cancelled occurrences, by name (their rule-made local start).
    pub exdates: Vec<DateTime>,
    /// A series' otherwise changed occurrences.
    pub overrides: Vec<CalOverride>,
}

/// One changed occurrence of a series, as its own `VEVENT`.
#[derive(Debug, Clone, PartialEq)]
pub struct CalOverride {
    /// The occurrence's name (`RECURRENCE-ID`), in the event's zone.
    pub name: DateTime,
    pub starts: DateTime,
    pub ends: Option<DateTime>,
    pub title: String,
    pub description: String,
    pub location: Option<String>,
    pub geo: Option<(f64, f64)>,
}

fn location_of(p: &Place) -> Option<String> {
    let parts: Vec<String> = [p.name.clone(), p.address.clone()]
        .into_iter()
        .flatten()
        .collect();
    (!parts.is_empty()).then(|| parts.join(", "))
}

impl CalEvent {
    /// An event of the store, with the page `url` it is published at, if any.
    pub fn of(id: &DocId, view: &EventView, url: Option<String>) -> CalEvent {
        let d = &view.details;
        let mut exdates = Vec::new();
        let mut overrides = Vec::new();
        if d.repeat.is_some() && d.status != EventStatus::Cancelled {
            let changed = d
                .occurrences(&view.exceptions, Timestamp::MIN, Timestamp::MAX, usize::MAX)
                .into_iter()
                .filter(|o| o.changed);
            for o in changed {
                if o.status == EventStatus::Cancelled {
                    exdates.push(o.name);
                } else {
                    overrides.push(CalOverride {
                        name: o.name,
                        starts: o.starts,
                        ends: o.ends,
                        title: o.title,
                        description: o.description,
                        location: location_of(&o.place),
                        geo: o.place.latitude.zip(o.place.longitude),
                    });
                }
            }
        }
        CalEvent {
            uid: format!("{}@rally", id.to_hex()),
            title: d.title.clone(),
            description: d.description.clone(),
            starts: d.starts,
            ends: d.ends,
            zone: d.time_zone.clone(),
            location: location_of(&d.place),
            geo: d.place.latitude.zip(d.place.longitude),
            url: url.or_else(|| d.online_url.clone()),
            cancelled: d.status == EventStatus::Cancelled,
            repeat: d.repeat.as_ref().map(|r| r.as_str().to_owned()),
            exdates,
            overrides,
        }
    }
}

fn local(dt: DateTime) -> String {
    dt.strftime("%Y%m%dT%H%M%S").to_string()
}

fn utc(t: Timestamp) -> String {
    t.strftime("%Y%m%dT%H%M%SZ").to_string()
}

/// `+hhmm` / `-hhmm`.
fn offset(o: Offset) -> String {
    let secs = o.seconds();
    let sign = if secs < 0 { '-' } else { '+' };
    let m = secs.unsigned_abs() / 60;
    format!("{sign}{:02}{:02}", m / 60, m % 60)
}

/// The `VTIMEZONE` of `zone` covering the years from `from` to `to`.
fn vtimezone(name: &str, zone: &TimeZone, from: Timestamp, to: Timestamp) -> VTimeZone<'static> {
    let mut observances: Vec<(bool, String, String, String, String)> = Vec::new();
    // The transition in force at the start, then every one up to the end.
    let first = zone.preceding(from).next();
    let mut previous = first
        .as_ref()
        .and_then(|t| zone.preceding(t.timestamp()).next())
        .map_or_else(|| zone.to_offset(from), |t| t.offset());
    for t in first
        .into_iter()
        .chain(zone.following(from).take_while(|t| t.timestamp() <= to))
    {
        let at = t
            .timestamp()
            .to_zoned_datetime(TimeZone::fixed(previous))
            .datetime();
        observances.push((
            t.dst().is_dst(),
            local(at),
            offset(previous),
            offset(t.offset()),
            t.abbreviation().to_owned(),
        ));
        previous = t.offset();
    }
    if observances.is_empty() {
        // A zone with no transitions (UTC, fixed offsets).
        let o = offset(zone.to_offset(from));
        observances.push((false, "19700101T000000".into(), o.clone(), o, String::new()));
    }
    let mut tz: Option<VTimeZone<'static>> = None;
    for (dst, start, from, to, abbreviation) in observances {
        if dst {
            let mut d = Daylight::new(start, from, to);
            if !abbreviation.is_empty() {
                d.push(TzName::new(escape_text(abbreviation)));
            }
            match tz.as_mut() {
                Some(tz) => tz.add_daylight(d),
                None => tz = Some(VTimeZone::daylight(name.to_owned(), d)),
            }
        } else {
            let mut s = Standard::new(start, from, to);
            if !abbreviation.is_empty() {
                s.push(TzName::new(escape_text(abbreviation)));
            }
            match tz.as_mut() {
                Some(tz) => tz.add_standard(s),
                None => tz = Some(VTimeZone::standard(name.to_owned(), s)),
            }
        }
    }
    tz.expect("at least one observance")
}

/// A calendar of `events` named `name`, stamped `now`.
pub fn calendar(name: &str, events: &[CalEvent], now: Timestamp) -> Result<String, IcalError> {
    let mut cal = ICalendar::new("2.0", PRODID);
    cal.push(ics::properties::Name::new(escape_text(name.to_owned())));
    // Each zone used, and the span its VTIMEZONE must cover.
    let mut zones: BTreeMap<String, (TimeZone, Timestamp, Timestamp)> = BTreeMap::new();
    for e in events {
        let zone = TimeZone::get(&e.zone).map_err(|_| IcalError::Zone(e.zone.clone()))?;
        let start = e
            .starts
            .to_zoned_datetime(zone.clone())
            .map_err(|_| IcalError::Zone(e.zone.clone()))?
            .timestamp();
        let end = e
            .ends
            .and_then(|t| t.to_zoned_datetime(zone.clone()).ok())
            .map_or(start, |z| z.timestamp());
        // A series' zone is described for its changed occurrences too, and for
        // some years of the rule (a reader with its own zone database needs none).
        let mut end = end;
        if e.repeat.is_some() {
            end = end.max(start.checked_add((5 * 366 * 24).hours()).unwrap_or(start));
            for t in e
                .overrides
                .iter()
                .flat_map(|o| [Some(o.starts), o.ends])
                .flatten()
            {
                if let Ok(z) = t.to_zoned_datetime(zone.clone()) {
                    end = end.max(z.timestamp());
                }
            }
        }
        let span = zones.entry(e.zone.clone()).or_insert((zone, start, end));
        span.1 = span.1.min(start);
        span.2 = span.2.max(end);
    }
    for (name, (zone, from, to)) in &zones {
        let year = 366.days();
        let from = from.checked_sub(year).unwrap_or(*from);
        let to = to.checked_add(year).unwrap_or(*to);
        cal.add_timezone(vtimezone(name, zone, from, to));
    }
    for e in events {
        let zoned = |t: DateTime| {
            let mut p = DtStart::new(local(t));
            p.add(TzIDParam::new(e.zone.clone()));
            p
        };
        let mut ev = Event::new(e.uid.clone(), utc(now));
        ev.push(zoned(e.starts));
        if let Some(end) = e.ends {
            let mut end = DtEnd::new(local(end));
            end.add(TzIDParam::new(e.zone.clone()));
            ev.push(end);
        }
        if let Some(rule) = &e.repeat {
            ev.push(RRule::new(rule.clone()));
            for name in &e.exdates {
                let mut ex = ExDate::new(local(*name));
                ex.add(TzIDParam::new(e.zone.clone()));
                ev.push(ex);
            }
        }
        let what = Shown {
            title: &e.title,
            description: &e.description,
            location: e.location.as_deref(),
            geo: e.geo,
            url: e.url.as_deref(),
        };
        what.write(&mut ev);
        ev.push(if e.cancelled {
            Status::cancelled()
        } else {
            Status::confirmed()
        });
        cal.add_event(ev);
        for o in &e.overrides {
            let mut ov = Event::new(e.uid.clone(), utc(now));
            let mut id = RecurrenceID::new(local(o.name));
            id.add(TzIDParam::new(e.zone.clone()));
            ov.push(id);
            ov.push(zoned(o.starts));
            if let Some(end) = o.ends {
                let mut end = DtEnd::new(local(end));
                end.add(TzIDParam::new(e.zone.clone()));
                ov.push(end);
            }
            Shown {
                title: &o.title,
                description: &o.description,
                location: o.location.as_deref(),
                geo: o.geo,
                url: e.url.as_deref(),
            }
            .write(&mut ov);
            ov.push(Status::confirmed());
            cal.add_event(ov);
        }
    }
    Ok(cal.to_string())
}

/// What an event or one of its occurrences shows.
struct Shown<'a> {
    title: &'a str,
    description: &'a str,
    location: Option<&'a str>,
    geo: Option<(f64, f64)>,
    url: Option<&'a str>,
}

impl Shown<'_> {
    fn write(&self, ev: &mut Event<'static>) {
        ev.push(Summary::new(escape_text(self.title.to_owned())));
        if !self.description.is_empty() {
            ev.push(Description::new(escape_text(self.description.to_owned())));
        }
        if let Some(l) = self.location {
            ev.push(Location::new(escape_text(l.to_owned())));
        }
        if let Some((lat, lon)) = self.geo {
            ev.push(Geo::new(format!("{lat};{lon}")));
        }
        if let Some(u) = self.url {
            ev.push(URL::new(u.to_owned()));
        }
    }
}

#[cfg(test)]
mod tests;
