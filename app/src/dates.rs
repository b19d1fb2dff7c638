//! Dates and times as people read them, in their language: the calendar parts
//! (weekday, day, month, year, the clock) formatted by ICU4X for the locale (`rally-dates`),
//! and the words around them ("Tomorrow at …", "… at …") from the same Fluent
//! files as the UI (`app/ui/locales/`). The UI tells the shell its language
//! ([`set_language`], command `set_language`); every time the shell prepares for
//! display goes through here.

use std::sync::atomic::{AtomicU8, Ordering};

use fluent_bundle::{FluentArgs, FluentBundle, FluentResource};
use rally_core::jiff::ZonedDateTime as Zoned;
use rally_ipc::Language;

static LANGUAGE: AtomicU8 = AtomicU8::new(0);

/// From now on, times are written in `lang`.
pub fn set_language(lang: Language) {
    LANGUAGE.store(lang as u8, Ordering::Relaxed);
}

pub fn language() -> Language {
    match LANGUAGE.load(Ordering::Relaxed) {
        1 => Language::Fr,
        _ => Language::En,
    }
}

fn ftl(lang: Language) -> &'static str {
    match lang {
        Language::En => include_str!("../ui/locales/en.ftl"),
        Language::Fr => include_str!("../ui/locales/fr.ftl"),
    }
}

fn lang(lang: Language) -> rally_dates::Lang {
    match lang {
        Language::En => rally_dates::Lang::En,
        Language::Fr => rally_dates::Lang::Fr,
    }
}

/// The message `id` of `lang` with `args` (values inserted without isolation
/// marks: the result is plain text).
pub fn message(lang: Language, id: &str, args: &FluentArgs<'_>) -> String {
    let resource = FluentResource::try_new(ftl(lang).to_owned()).unwrap_or_else(|(r, _)| r);
    let code = match lang {
        Language::En => "en",
        Language::Fr => "fr",
    };
    let mut bundle = FluentBundle::new(vec![code.parse().expect("a language tag")]);
    bundle.set_use_isolating(false);
    let _ = bundle.add_resource(resource);
    let Some(pattern) = bundle.get_message(id).and_then(|m| m.value()) else {
        return id.to_owned();
    };
    let mut errors = Vec::new();
    bundle
        .format_pattern(pattern, Some(args), &mut errors)
        .into_owned()
}

/// The clock time: "2:00 PM", "14:00".
pub fn clock(l: Language, z: &Zoned) -> String {
    rally_dates::clock(lang(l), z)
}

/// The day: "Sat, May 1" ("sam. 1 mai"), with the year when it is not `now`'s.
pub fn day(l: Language, z: &Zoned, now: &Zoned) -> String {
    rally_dates::day(lang(l), z, Some(now))
}

/// A date badge: the day of the month ("28") and the month's short name
/// ("Mar", "mars").
pub fn badge(l: Language, z: &Zoned) -> (String, String) {
    rally_dates::badge(lang(l), z)
}

/// A moment as people say it, seen from `now` (both in the zone it is shown
/// in): "Today at 2:00 PM", "Tomorrow at 2:00 PM", "Sat, May 1 at 2:00 PM".
pub fn moment(lang: Language, z: &Zoned, now: &Zoned) -> String {
    let mut args = FluentArgs::new();
    args.set("time", clock(lang, z));
    let (date, today) = (z.date(), now.date());
    let id = if date == today {
        "when-today"
    } else if today.tomorrow().is_ok_and(|d| d == date) {
        "when-tomorrow"
    } else if today.yesterday().is_ok_and(|d| d == date) {
        "when-yesterday"
    } else {
        args.set("day", day(lang, z, now));
        "when-on"
    };
    message(lang, id, &args)
}

/// From `start` to `end`: the end's clock alone when it is the same day.
pub fn span(lang: Language, start: &Zoned, end: Option<&Zoned>, now: &Zoned) -> String {
    let from = moment(lang, start, now);
    match end {
        Some(end) if end.date() == start.date() => format!("{from} – {}", clock(lang, end)),
        Some(end) => format!("{from} – {}", moment(lang, end, now)),
        None => from,
    }
}

#[cfg(test)]
mod tests {
    use rally_core::jiff::Timestamp;

    use super::*;

    fn at(utc: &str, zone: &str) -> Zoned {
        utc.parse::<Timestamp>().unwrap().in_tz(zone).unwrap()
    }

    #[test]
    fn dates_are_written_for_the_locale_across_a_dst_change() {
        // Paris leaves winter time on 28 March 2027 at 02:00 (UTC+1 → UTC+2).
        let now = at("2027-03-20T09:00:00Z", "Europe/Paris");
        let before = at("2027-03-27T23:30:00Z", "Europe/Paris"); // 00:30 CET
        let after = at("2027-03-28T01:30:00Z", "Europe/Paris"); // 03:30 CEST
        for (lang, expected) in [
            (
                Language::En,
                [
                    "Sun, Mar 28 at 12:30\u{202f}AM",
                    "Sun, Mar 28 at 3:30\u{202f}AM",
                ],
            ),
            (
                Language::Fr,
                ["dim. 28 mars à 00:30", "dim. 28 mars à 03:30"],
            ),
        ] {
            assert_eq!(moment(lang, &before, &now), expected[0], "{lang:?}");
            assert_eq!(moment(lang, &after, &now), expected[1], "{lang:?}");
        }
        // Relative days, and a year that is not this one. (English puts a narrow
        // no-break space before AM and PM, as CLDR says.)
        let today = at("2027-03-20T13:00:00Z", "Europe/Paris");
        let tomorrow = at("2027-03-21T13:00:00Z", "Europe/Paris");
        let next_year = at("2028-01-05T18:00:00Z", "Europe/Paris");
        assert_eq!(
            moment(Language::En, &today, &now),
            "Today at 2:00\u{202f}PM"
        );
        assert_eq!(moment(Language::Fr, &tomorrow, &now), "Demain à 14:00");
        assert_eq!(
            moment(Language::Fr, &next_year, &now),
            "mer. 5 janv. 2028 à 19:00"
        );
        assert_eq!(
            span(
                Language::En,
                &today,
                Some(&at("2027-03-20T16:00:00Z", "Europe/Paris")),
                &now
            ),
            "Today at 2:00\u{202f}PM – 5:00\u{202f}PM"
        );
        assert_eq!(badge(Language::En, &after), ("28".into(), "Mar".into()));
        assert_eq!(badge(Language::Fr, &after), ("28".into(), "mars".into()));
    }
}
