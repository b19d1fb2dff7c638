//! Recurring events in the app: the form's recurrence section as an RFC 5545
//! rule and back (`rally_core::recurrence`), the sentence that says it in the
//! UI's language ("every month on the second Tuesday at 19:00 until 30 June
//! 2027"), and a series' next occurrences for its page.

use fluent_bundle::FluentArgs;
use rally_core::jiff::Timestamp;
use rally_core::jiff::civil::{DateTime, Weekday as CivilWeekday};
use rally_core::jiff::tz::TimeZone;
use rally_core::recurrence::{Freq, RepeatParts};
use rally_core::{EventDetails, InvalidInput, Repeat};
use rally_ipc as ipc;

use crate::dates::{self, language, message};

fn civil_day(w: ipc::Weekday) -> CivilWeekday {
    match w {
        ipc::Weekday::Monday => CivilWeekday::Monday,
        ipc::Weekday::Tuesday => CivilWeekday::Tuesday,
        ipc::Weekday::Wednesday => CivilWeekday::Wednesday,
        ipc::Weekday::Thursday => CivilWeekday::Thursday,
        ipc::Weekday::Friday => CivilWeekday::Friday,
        ipc::Weekday::Saturday => CivilWeekday::Saturday,
        ipc::Weekday::Sunday => CivilWeekday::Sunday,
    }
}

fn ipc_day(w: CivilWeekday) -> ipc::Weekday {
    match w {
        CivilWeekday::Monday => ipc::Weekday::Monday,
        CivilWeekday::Tuesday => ipc::Weekday::Tuesday,
        CivilWeekday::Wednesday => ipc::Weekday::Wednesday,
        CivilWeekday::Thursday => ipc::Weekday::Thursday,
        CivilWeekday::Friday => ipc::Weekday::Friday,
        CivilWeekday::Saturday => ipc::Weekday::Saturday,
        CivilWeekday::Sunday => ipc::Weekday::Sunday,
    }
}

/// The rank of `starts`' weekday in its month: 1 to 4, or -1 for a fifth (the
/// last: not every month has a fifth).
fn rank(starts: DateTime) -> i16 {
    let n = (starts.day() as i16 - 1) / 7 + 1;
    if n >= 5 { -1 } else { n }
}

/// The form's rule on `starts`, and the last day it names.
pub fn rule_of(
    f: &ipc::RepeatForm,
    starts: DateTime,
) -> Result<(Repeat, Option<rally_core::jiff::civil::Date>), InvalidInput> {
    let freq = match f.freq {
        ipc::Frequency::Daily => Freq::Daily,
        ipc::Frequency::Weekly => Freq::Weekly,
        ipc::Frequency::Monthly => Freq::Monthly,
        ipc::Frequency::Yearly => Freq::Yearly,
    };
    let weekdays = match f.freq {
        ipc::Frequency::Weekly if !f.weekdays.is_empty() => {
            f.weekdays.iter().map(|w| (None, civil_day(*w))).collect()
        }
        ipc::Frequency::Monthly if f.by_weekday => vec![(Some(rank(starts)), starts.weekday())],
        _ => Vec::new(),
    };
    let parts = RepeatParts {
        freq,
        interval: f.interval.max(1),
        weekdays,
        month_days: Vec::new(),
        until: None,
        count: f.count.filter(|c| *c > 0),
    };
    let until = match f.until.as_deref().map(str::trim).filter(|u| !u.is_empty()) {
        None => None,
        Some(u) => Some(u.parse().map_err(|_| {
            InvalidInput::BadRepeat(format!("{u:?} is not a date such as 2027-06-30"))
        })?),
    };
    Ok((Repeat::from_parts(&parts)?, until))
}

/// A series' rule as the form shows it.
pub fn form_of(d: &EventDetails) -> Option<ipc::RepeatForm> {
    let p = d.repeat.as_ref()?.parts()?;
    let zone = d.zone();
    Some(ipc::RepeatForm {
        freq: match p.freq {
            Freq::Daily => ipc::Frequency::Daily,
            Freq::Weekly => ipc::Frequency::Weekly,
            Freq::Monthly => ipc::Frequency::Monthly,
            Freq::Yearly => ipc::Frequency::Yearly,
        },
        interval: p.interval,
        weekdays: match p.freq {
            Freq::Weekly => p.weekdays.iter().map(|(_, w)| ipc_day(*w)).collect(),
            _ => Vec::new(),
        },
        by_weekday: p.freq == Freq::Monthly && p.weekdays.iter().any(|(n, _)| n.is_some()),
        until: p.until.map(|u| {
            u.to_zoned_datetime(zone.clone())
                .date()
                .strftime("%Y-%m-%d")
                .to_string()
        }),
        count: p.count,
    })
}

fn weekday_name(w: CivilWeekday) -> String {
    let id = match w {
        CivilWeekday::Monday => "weekday-monday",
        CivilWeekday::Tuesday => "weekday-tuesday",
        CivilWeekday::Wednesday => "weekday-wednesday",
        CivilWeekday::Thursday => "weekday-thursday",
        CivilWeekday::Friday => "weekday-friday",
        CivilWeekday::Saturday => "weekday-saturday",
        CivilWeekday::Sunday => "weekday-sunday",
    };
    message(language(), id, &FluentArgs::new())
}

/// A series' rule as a sentence in the UI's language, with the time of its
/// start and its last day or number of occurrences.
pub fn sentence(d: &EventDetails) -> Option<String> {
    let p = d.repeat.as_ref()?.parts()?;
    let lang = language();
    let zone = d.zone();
    let start = d.starts_at();
    let mut args = FluentArgs::new();
    args.set("n", p.interval);
    args.set("time", dates::clock(lang, &start));
    let id = match p.freq {
        Freq::Daily => "repeat-daily-sentence",
        Freq::Weekly => {
            let days: Vec<CivilWeekday> = if p.weekdays.is_empty() {
                vec![start.weekday()]
            } else {
                p.weekdays.iter().map(|(_, w)| *w).collect()
            };
            let names: Vec<String> = days.into_iter().map(weekday_name).collect();
            args.set("days", names.join(", "));
            "repeat-weekly-sentence"
        }
        Freq::Monthly => match p.weekdays.first() {
            Some((Some(n), w)) => {
                args.set(
                    "rank",
                    message(
                        lang,
                        &format!(
                            "repeat-rank-{}",
                            if *n < 0 { "last".into() } else { n.to_string() }
                        ),
                        &FluentArgs::new(),
                    ),
                );
                args.set("weekday", weekday_name(*w));
                "repeat-monthly-weekday-sentence"
            }
            _ => {
                args.set("day", start.day());
                "repeat-monthly-sentence"
            }
        },
        Freq::Yearly => "repeat-yearly-sentence",
    };
    let mut text = message(lang, id, &args);
    if let Some(until) = p.until {
        let mut a = FluentArgs::new();
        let last = until.to_zoned_datetime(zone.clone());
        a.set("date", rally_dates::day(dates_lang(), &last, None));
        text.push(' ');
        text.push_str(&message(lang, "repeat-until", &a));
    } else if let Some(count) = p.count {
        let mut a = FluentArgs::new();
        a.set("count", count);
        text.push_str(&message(lang, "repeat-times", &a));
    }
    Some(text)
}

fn dates_lang() -> rally_dates::Lang {
    match language() {
        ipc::Language::En => rally_dates::Lang::En,
        ipc::Language::Fr => rally_dates::Lang::Fr,
    }
}

/// The sentence for a form not saved yet.
pub fn describe(args: &ipc::RepeatArgs) -> Result<String, InvalidInput> {
    let starts = rally_core::model::parse_civil("start", &args.starts)?;
    let zone = if args.time_zone.trim().is_empty() {
        crate::engine::viewer_zone_name()
    } else {
        args.time_zone.trim().to_owned()
    };
    let mut d = EventDetails::new("-", starts, zone);
    let (repeat, until) = rule_of(&args.repeat, starts)?;
    d.repeat = Some(match until {
        Some(last) => repeat.until(last, &d.zone())?,
        None => repeat,
    });
    d.validate()?;
    Ok(sentence(&d).unwrap_or_default())
}

/// How many of a series' next occurrences its page lists.
const PAGE_OCCURRENCES: usize = 12;

/// A series' next occurrences (from now), as its page lists them.
pub fn next_occurrences(
    svc: &rally_service::Service,
    id: &str,
    d: &EventDetails,
    viewer: &TimeZone,
) -> Vec<ipc::OccurrenceItem> {
    if d.repeat.is_none() {
        return Vec::new();
    }
    let rows = svc
        .occurrences(
            id,
            Some(Timestamp::now()),
            Some(Timestamp::MAX),
            PAGE_OCCURRENCES,
        )
        .unwrap_or_default();
    rows.into_iter()
        .map(|row| {
            let o = row.occurrence;
            let start = o.starts_at.to_zoned_datetime(viewer.clone());
            let end = o.ends_at.map(|e| e.to_zoned_datetime(viewer.clone()));
            let now = Timestamp::now().to_zoned_datetime(viewer.clone());
            ipc::OccurrenceItem {
                name: o.name.to_string(),
                when: dates::span(language(), &start, end.as_ref(), &now),
                status: crate::engine::event_status(o.status),
                changed: o.changed,
                title: o.title,
                place: o.place.name,
                starts: o.starts.strftime("%Y-%m-%dT%H:%M").to_string(),
                ends: o.ends.map(|e| e.strftime("%Y-%m-%dT%H:%M").to_string()),
                going: row.going as u32,
                mine: row.mine.map(crate::engine::participation),
            }
        })
        .collect()
}
