use super::*;

fn event(title: &str, starts: &str, zone: &str) -> CalEvent {
    CalEvent {
        uid: format!("{title}@test"),
        title: title.into(),
        description: "Bring a bike; and, a light\nplease".into(),
        starts: starts.parse().unwrap(),
        ends: None,
        zone: zone.into(),
        location: Some("Place de la République, Paris".into()),
        geo: Some((48.8674, 2.3636)),
        url: Some("https://rally.example/events/1".into()),
        cancelled: false,
        repeat: None,
        exdates: Vec::new(),
        overrides: Vec::new(),
    }
}

fn now() -> Timestamp {
    "2027-01-01T00:00:00Z".parse().unwrap()
}

#[test]
fn events_keep_their_zone_with_its_transitions() {
    let text = calendar(
        "Repair cafés",
        &[
            event("Before", "2027-03-27T18:00", "Europe/Paris"),
            event("After", "2027-03-29T18:00", "Europe/Paris"),
        ],
        now(),
    )
    .unwrap();
    assert!(
        text.contains("DTSTART;TZID=Europe/Paris:20270327T180000"),
        "{text}"
    );
    assert!(
        text.contains("BEGIN:VTIMEZONE\r\nTZID:Europe/Paris"),
        "{text}"
    );
    // The spring change of 2027 (28 March, 02:00 CET → 03:00 CEST).
    assert!(
        text.contains(
            "BEGIN:DAYLIGHT\r\nDTSTART:20270328T020000\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200"
        ),
        "{text}"
    );
    assert_eq!(text.matches("BEGIN:VTIMEZONE").count(), 1);
    assert!(text.contains("SUMMARY:Before"));
    // Text escaped as RFC 5545 says.
    assert!(
        text.contains("Bring a bike\\; and\\, a light\\nplease"),
        "{text}"
    );
    assert!(text.contains("GEO:48.8674;2.3636"));
    assert!(text.ends_with("END:VCALENDAR\r\n"));
}

#[test]
fn every_zone_named_gets_its_timezone_and_fixed_zones_one_observance() {
    let text = calendar(
        "Mixed",
        &[
            event("Paris", "2027-06-01T18:00", "Europe/Paris"),
            event("NYC", "2027-06-01T18:00", "America/New_York"),
            event("UTC", "2027-06-01T18:00", "UTC"),
        ],
        now(),
    )
    .unwrap();
    assert_eq!(text.matches("BEGIN:VTIMEZONE").count(), 3);
    assert!(text.contains("TZID:America/New_York"));
    assert!(
        text.contains("TZOFFSETFROM:-0500\r\nTZOFFSETTO:-0400"),
        "{text}"
    );
    assert!(text.contains("TZID:UTC\r\nBEGIN:STANDARD\r\nDTSTART:19700101T000000\r\nTZOFFSETFROM:+0000\r\nTZOFFSETTO:+0000"), "{text}");
}

#[test]
fn a_hostile_title_stays_text_and_long_lines_fold() {
    let mut e = event("x", "2027-06-01T18:00", "Europe/Paris");
    e.title = format!(
        "END:VEVENT\r\nBEGIN:VEVENT\r\nSUMMARY:forged {}",
        "é".repeat(200)
    );
    let text = calendar("Hostile", &[e], now()).unwrap();
    // Escaped, the line breaks cannot start a component of their own.
    assert_eq!(
        text.split("\r\n").filter(|l| *l == "BEGIN:VEVENT").count(),
        1,
        "{text}"
    );
    assert_eq!(
        text.split("\r\n")
            .filter(|l| l.starts_with("SUMMARY:"))
            .count(),
        1
    );
    assert!(text.lines().all(|l| l.len() <= 75), "{text}");
    assert!(
        calendar(
            "Bad",
            &[event("x", "2027-06-01T18:00", "Mars/Olympus")],
            now()
        )
        .is_err()
    );
}

#[test]
fn a_series_carries_its_rule_cancellations_and_changed_occurrences() {
    use rally_core::{Document, OccurrencePatch, Persona, Repeat};
    let org = Persona::generate();
    let mut d = rally_core::EventDetails::new(
        "Weekly assembly",
        "2055-03-16T19:00".parse().unwrap(),
        "Europe/Paris",
    );
    d.ends = Some("2055-03-16T21:00".parse().unwrap());
    d.repeat = Some(Repeat::parse("FREQ=WEEKLY;COUNT=6").unwrap());
    let (mut doc, _) = Document::create_event(&org, "Org", &d, None, now()).unwrap();
    doc.edit_occurrence(
        &org,
        "2055-03-30T19:00".parse().unwrap(),
        &OccurrencePatch {
            status: Some(EventStatus::Cancelled),
            ..OccurrencePatch::default()
        },
        false,
        now(),
    )
    .unwrap();
    doc.edit_occurrence(
        &org,
        "2055-04-13T19:00".parse().unwrap(),
        &OccurrencePatch {
            starts: Some("2055-04-13T20:00".parse().unwrap()),
            title: Some("Late assembly".into()),
            ..OccurrencePatch::default()
        },
        true,
        now(),
    )
    .unwrap();
    let view = doc.event().unwrap();
    let text = calendar("Series", &[CalEvent::of(&doc.id(), &view, None)], now()).unwrap();
    let uid = format!("UID:{}@rally", doc.id().to_hex());
    assert_eq!(text.matches(uid.as_str()).count(), 3, "{text}");
    for line in [
        "RRULE:FREQ=WEEKLY;COUNT=6",
        "EXDATE;TZID=Europe/Paris:20550330T190000",
        "RECURRENCE-ID;TZID=Europe/Paris:20550413T190000",
        "DTSTART;TZID=Europe/Paris:20550413T200000",
        "DTEND;TZID=Europe/Paris:20550413T220000",
        "RECURRENCE-ID;TZID=Europe/Paris:20550420T190000",
        "DTSTART;TZID=Europe/Paris:20550420T200000",
        "SUMMARY:Late assembly",
    ] {
        assert!(text.contains(line), "{line} missing:\n{text}");
    }
    // The zone is described past the change to summer time.
    assert!(text.contains("TZOFFSETTO:+0200"), "{text}");
}
