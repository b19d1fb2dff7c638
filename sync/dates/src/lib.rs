//! Dates and times as people read them, in their language: the calendar parts
//! (weekday, day, month, year, the clock) formatted by ICU4X with CLDR's data
//! for the locale. The words around them ("Tomorrow at …") belong to each
//! caller's own messages: the app's (`app/src/dates.rs`) and the server's
//! public pages (`server/src/lang.rs`).

use icu::datetime::DateTimeFormatter;
use icu::datetime::fieldsets;
use icu::datetime::input::{Date, DateTime, Time};
use icu::datetime::options::TimePrecision;
pub use icu::locale::Locale;
use jiff::ZonedDateTime as Zoned;

/// The languages Rally is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Lang {
    En,
    Fr,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::En, Lang::Fr];

    /// The BCP 47 tag: "en", "fr".
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Fr => "fr",
        }
    }

    /// The language a tag names ("fr-CA" is French), if Rally has it.
    pub fn of(tag: &str) -> Option<Lang> {
        let primary = tag.trim().split(['-', '_']).next()?.to_ascii_lowercase();
        Lang::ALL.into_iter().find(|l| l.code() == primary)
    }

    fn locale(self) -> Locale {
        match self {
            Lang::En => icu::locale::locale!("en"),
            Lang::Fr => icu::locale::locale!("fr"),
        }
    }
}

fn icu_datetime(z: &Zoned) -> DateTime<icu::calendar::Iso> {
    let d = z.date();
    DateTime {
        date: Date::try_new_iso(i32::from(d.year()), d.month() as u8, d.day() as u8)
            .expect("a date jiff holds is a valid ISO date"),
        time: Time::try_new(z.hour() as u8, z.minute() as u8, 0, 0)
            .expect("a time jiff holds is valid"),
    }
}

/// The clock time: "2:00 PM", "14:00".
pub fn clock(lang: Lang, z: &Zoned) -> String {
    let fields = fieldsets::T::medium().with_time_precision(TimePrecision::Minute);
    DateTimeFormatter::try_new(lang.locale().into(), fields)
        .map(|f| f.format(&icu_datetime(z).time).to_string())
        .unwrap_or_else(|_| z.strftime("%H:%M").to_string())
}

/// The day: "Sat, May 1" ("sam. 1 mai"), with the year when it is not `now`'s
/// (or always, without `now`).
pub fn day(lang: Lang, z: &Zoned, now: Option<&Zoned>) -> String {
    let date = icu_datetime(z).date;
    let written = if now.is_some_and(|now| z.year() == now.year()) {
        DateTimeFormatter::try_new(lang.locale().into(), fieldsets::MDE::medium())
            .map(|f| f.format(&date).to_string())
    } else {
        DateTimeFormatter::try_new(lang.locale().into(), fieldsets::YMDE::medium())
            .map(|f| f.format(&date).to_string())
    };
    written.unwrap_or_else(|_| z.strftime("%a %Y-%m-%d").to_string())
}

/// A date badge: the day of the month ("28") and the month's short name
/// ("Mar", "mars").
pub fn badge(lang: Lang, z: &Zoned) -> (String, String) {
    let month = DateTimeFormatter::try_new(lang.locale().into(), fieldsets::M::medium())
        .map(|f| f.format(&icu_datetime(z).date).to_string())
        .unwrap_or_else(|_| z.strftime("%b").to_string());
    (z.day().to_string(), month)
}

#[cfg(test)]
mod tests {
    use jiff::Timestamp;

    use super::*;

    fn at(utc: &str, zone: &str) -> Zoned {
        utc.parse::<Timestamp>().unwrap().in_tz(zone).unwrap()
    }

    #[test]
    fn days_and_clocks_follow_the_locale_across_a_dst_change() {
        // Paris leaves winter time on 28 March 2027 at 02:00 (UTC+1 → UTC+2).
        let before = at("2027-03-27T23:30:00Z", "Europe/Paris");
        let after = at("2027-03-28T01:30:00Z", "Europe/Paris");
        assert_eq!(clock(Lang::Fr, &before), "00:30");
        assert_eq!(clock(Lang::Fr, &after), "03:30");
        assert_eq!(clock(Lang::En, &after), "3:30\u{202f}AM");
        assert_eq!(day(Lang::En, &after, Some(&before)), "Sun, Mar 28");
        assert_eq!(day(Lang::Fr, &after, None), "dim. 28 mars 2027");
        assert_eq!(badge(Lang::Fr, &after), ("28".into(), "mars".into()));
    }

    #[test]
    fn language_tags_name_a_language() {
        assert_eq!(Lang::of("fr-CA"), Some(Lang::Fr));
        assert_eq!(Lang::of("EN_gb"), Some(Lang::En));
        assert_eq!(Lang::of("de"), None);
        assert_eq!(Lang::of(""), None);
    }
}
