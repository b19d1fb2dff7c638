//! When and where an event is, written for a page's reader: the day and the
//! clock in their language (`rally-dates`), in the event's own zone (named),
//! and, when the reader asks for another zone (`?tz=Area/City`, the event
//! page's form), also in theirs. The pages carry the instant itself in
//! `<time datetime>` for machines.

use rally_core::jiff::ZonedDateTime;
use rally_core::jiff::tz::TimeZone;
use rally_core::model::{EventDetails, EventStatus, EventView};

use crate::html::escape;
use crate::lang::{Lang, Words};

/// "Sat, May 1, 2027 at 2:00 PM – 5:00 PM", in the zone the times are in.
pub fn span(lang: Lang, start: &ZonedDateTime, end: Option<&ZonedDateTime>) -> String {
    let at = |z: &ZonedDateTime| {
        lang.ta(
            "when-at",
            &[
                ("day", rally_dates::day(lang, z, None).into()),
                ("time", rally_dates::clock(lang, z).into()),
            ],
        )
    };
    match end {
        Some(end) if end.date() == start.date() => {
            format!("{} – {}", at(start), rally_dates::clock(lang, end))
        }
        Some(end) => format!("{} – {}", at(start), at(end)),
        None => at(start),
    }
}

/// The event's time in its own zone, with the zone named.
pub fn in_its_zone(lang: Lang, d: &EventDetails) -> String {
    format!(
        "{} {}",
        span(lang, &d.starts_at(), d.ends_at().as_ref()),
        lang.ta("when-in-zone", &[("zone", d.time_zone.clone().into())])
    )
}

/// The event's time in `zone`, when that is not its own.
pub fn in_zone(lang: Lang, d: &EventDetails, zone: &str) -> Option<String> {
    if zone == d.time_zone {
        return None;
    }
    let tz = TimeZone::get(zone).ok()?;
    let start = d.starts_at().timestamp().to_zoned_datetime(tz.clone());
    let end = d.ends_at().map(|e| e.timestamp().to_zoned_datetime(tz));
    Some(lang.ta(
        "when-yours",
        &[
            ("zone", zone.to_owned().into()),
            ("when", span(lang, &start, end.as_ref()).into()),
        ],
    ))
}

/// A list's line under an event's title (escaped HTML): cancelled or not, its
/// time in its zone (in a `<time>`), its place.
pub fn summary(lang: Lang, view: &EventView) -> String {
    let d = &view.details;
    let mut out = String::new();
    if d.status == EventStatus::Cancelled {
        out.push_str(&format!(
            "<strong>{}</strong> – ",
            escape(&lang.t("when-cancelled"))
        ));
    }
    out.push_str(&format!(
        "<time datetime=\"{}\">{}</time>",
        d.starts_at().timestamp(),
        escape(&in_its_zone(lang, d))
    ));
    let place: Vec<&str> = [d.place.name.as_deref(), d.place.address.as_deref()]
        .into_iter()
        .flatten()
        .filter(|p| !p.trim().is_empty())
        .collect();
    if !place.is_empty() {
        out.push_str(&format!(" – {}", escape(&place.join(", "))));
    }
    out
}

#[cfg(test)]
mod tests {
    use rally_core::model::parse_civil;

    use super::*;

    fn details(starts: &str, ends: Option<&str>, zone: &str) -> EventDetails {
        let mut d = EventDetails::new("x", parse_civil("starts", starts).unwrap(), zone);
        d.ends = ends.map(|e| parse_civil("ends", e).unwrap());
        d
    }

    #[test]
    fn times_are_written_in_the_event_zone_and_the_reader_s_across_a_dst_change() {
        // 28 March 2027: Paris has moved to summer time (UTC+2), New York has
        // been on it since 14 March (UTC-4).
        let d = details("2027-03-28T14:00", Some("2027-03-28T17:00"), "Europe/Paris");
        assert_eq!(
            in_its_zone(Lang::Fr, &d),
            "dim. 28 mars 2027 à 14:00 – 17:00 (heure de Europe/Paris)"
        );
        assert_eq!(
            in_zone(Lang::En, &d, "America/New_York").unwrap(),
            "In America/New_York: Sun, Mar 28, 2027 at 8:00\u{202f}AM – 11:00\u{202f}AM"
        );
        // The day before, Paris was still on winter time (UTC+1): 14:00 there
        // is 9:00 in New York.
        let before = details("2027-03-27T14:00", None, "Europe/Paris");
        assert_eq!(
            in_zone(Lang::Fr, &before, "America/New_York").unwrap(),
            "Heure de America/New_York : sam. 27 mars 2027 à 09:00"
        );
        assert_eq!(in_zone(Lang::En, &d, "Europe/Paris"), None);
        assert_eq!(in_zone(Lang::En, &d, "Mars/Olympus_Mons"), None);
    }
}
