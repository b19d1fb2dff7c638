use super::*;
use crate::document::Document;
use crate::persona::Persona;

fn ts(s: &str) -> Timestamp {
    s.parse().unwrap()
}

fn dt(s: &str) -> DateTime {
    s.parse().unwrap()
}

fn series(starts: &str, ends: &str, zone: &str, rule: &str) -> EventDetails {
    let mut d = EventDetails::new("Assembly", dt(starts), zone);
    d.ends = Some(dt(ends));
    d.repeat = Some(Repeat::parse(rule).unwrap());
    d.validate().unwrap();
    d
}

fn starts(os: &[Occurrence]) -> Vec<String> {
    os.iter()
        .map(|o| o.starts_at.to_string())
        .collect::<Vec<_>>()
}

#[test]
fn weekly_in_paris_keeps_the_wall_clock_across_both_dst_changes() {
    // Paris: summer time from 28 March 2055 (UTC+2), winter from 31 October (UTC+1).
    let d = series(
        "2055-03-16T19:00",
        "2055-03-16T21:00",
        "Europe/Paris",
        "FREQ=WEEKLY;BYDAY=TU",
    );
    let os = d.occurrences(
        &Exceptions::default(),
        ts("2055-03-15T00:00Z"),
        ts("2055-04-01T00:00Z"),
        10,
    );
    assert_eq!(
        starts(&os),
        [
            "2055-03-16T18:00:00Z",
            "2055-03-23T18:00:00Z",
            "2055-03-30T17:00:00Z"
        ]
    );
    assert!(os.iter().all(|o| o.starts.hour() == 19));
    assert_eq!(os[2].ends_at, Some(ts("2055-03-30T19:00:00Z")));
    let autumn = d.occurrences(
        &Exceptions::default(),
        ts("2055-10-25T00:00Z"),
        ts("2055-11-04T00:00Z"),
        10,
    );
    assert_eq!(
        starts(&autumn),
        ["2055-10-26T17:00:00Z", "2055-11-02T18:00:00Z"]
    );
}

#[test]
fn second_tuesday_in_new_york_across_dst_and_until() {
    // New York: EDT from 11 March 2055, EST from 4 November.
    let mut d = series(
        "2055-01-12T18:30",
        "2055-01-12T20:00",
        "America/New_York",
        "FREQ=MONTHLY;BYDAY=2TU",
    );
    let zone = d.zone();
    d.repeat = Some(
        d.repeat
            .clone()
            .unwrap()
            .until("2055-12-31".parse().unwrap(), &zone)
            .unwrap(),
    );
    d.validate().unwrap();
    let os = d.occurrences(
        &Exceptions::default(),
        ts("2055-01-01T00:00Z"),
        ts("2060-01-01T00:00Z"),
        100,
    );
    assert_eq!(os.len(), 12, "{:?}", starts(&os));
    assert_eq!(os[0].starts_at, ts("2055-01-12T23:30:00Z")); // EST
    assert_eq!(os[2].starts_at, ts("2055-03-09T23:30:00Z")); // before the change
    assert_eq!(os[3].starts_at, ts("2055-04-13T22:30:00Z")); // EDT
    assert_eq!(os[11].starts_at, ts("2055-12-14T23:30:00Z")); // EST again
    assert!(
        os.iter()
            .all(|o| o.starts.weekday() == jiff::civil::Weekday::Tuesday)
    );
}

#[test]
fn a_local_time_skipped_by_spring_forward_moves_forward_by_the_gap() {
    // 02:30 does not exist in Paris on 28 March 2055.
    let d = series(
        "2055-03-27T02:30",
        "2055-03-27T03:00",
        "Europe/Paris",
        "FREQ=DAILY;COUNT=3",
    );
    let os = d.occurrences(
        &Exceptions::default(),
        ts("2055-03-01T00:00Z"),
        ts("2055-04-01T00:00Z"),
        10,
    );
    assert_eq!(
        starts(&os),
        [
            "2055-03-27T01:30:00Z",
            "2055-03-28T01:30:00Z", // 03:30 CEST
            "2055-03-29T00:30:00Z"
        ]
    );
}

#[test]
fn exceptions_cancel_move_and_change_from_one_occurrence_on() {
    let d = series(
        "2055-05-04T19:00",
        "2055-05-04T21:00",
        "Europe/Paris",
        "FREQ=WEEKLY;COUNT=6",
    );
    let mut ex = Exceptions::default();
    ex.one.insert(
        dt("2055-05-11T19:00"),
        OccurrencePatch {
            status: Some(EventStatus::Cancelled),
            ..OccurrencePatch::default()
        },
    );
    // The 18 May session moves to Thursday at 18:00, in another place.
    ex.one.insert(
        dt("2055-05-18T19:00"),
        OccurrencePatch {
            starts: Some(dt("2055-05-20T18:00")),
            place: Some(Place {
                name: Some("Town hall".into()),
                ..Place::default()
            }),
            ..OccurrencePatch::default()
        },
    );
    // From 25 May on: at 20:00, for three hours.
    ex.following.insert(
        dt("2055-05-25T19:00"),
        OccurrencePatch {
            starts: Some(dt("2055-05-25T20:00")),
            ends: Some(dt("2055-05-25T23:00")),
            title: Some("Assembly (summer)".into()),
            ..OccurrencePatch::default()
        },
    );
    let os = d.occurrences(&ex, ts("2055-05-01T00:00Z"), ts("2055-07-01T00:00Z"), 10);
    let local: Vec<(String, Option<String>, EventStatus)> = os
        .iter()
        .map(|o| {
            (
                o.starts.to_string(),
                o.ends.map(|e| e.to_string()),
                o.status,
            )
        })
        .collect();
    use EventStatus::*;
    let row = |s: &str, e: &str, st| (s.to_owned(), Some(e.to_owned()), st);
    assert_eq!(
        local,
        [
            row("2055-05-04T19:00:00", "2055-05-04T21:00:00", Confirmed),
            row("2055-05-11T19:00:00", "2055-05-11T21:00:00", Cancelled),
            row("2055-05-20T18:00:00", "2055-05-20T20:00:00", Confirmed),
            row("2055-05-25T20:00:00", "2055-05-25T23:00:00", Confirmed),
            row("2055-06-01T20:00:00", "2055-06-01T23:00:00", Confirmed),
            row("2055-06-08T20:00:00", "2055-06-08T23:00:00", Confirmed),
        ]
    );
    assert_eq!(os[2].name, dt("2055-05-18T19:00"));
    assert_eq!(os[2].place.name.as_deref(), Some("Town hall"));
    assert_eq!(os[4].title, "Assembly (summer)");
    assert!(!os[0].changed && os[1].changed && os[5].changed);
    // A window that only holds the moved occurrence's new day finds it.
    let moved = d.occurrences(&ex, ts("2055-05-20T00:00Z"), ts("2055-05-21T00:00Z"), 10);
    assert_eq!(moved.len(), 1);
    assert_eq!(moved[0].name, dt("2055-05-18T19:00"));
}

#[test]
fn rules_people_should_not_store_are_refused() {
    for bad in [
        "FREQ=HOURLY;BYMINUTE=0",
        "FREQ=MINUTELY;BYSECOND=0",
        "FREQ=WEEKLY;BYHOUR=3",
        "FREQ=DAILY;COUNT=100000",
        "FREQ=WEEKLY;UNTIL=20550101T000000",
        "FREQ=SOMETIMES",
        "not a rule",
        "",
    ] {
        assert!(Repeat::parse(bad).is_err(), "{bad}");
    }
    // A rule that never matches costs bounded time and yields nothing.
    let d = series(
        "2055-01-01T10:00",
        "2055-01-01T11:00",
        "Europe/Paris",
        "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30",
    );
    let started = std::time::Instant::now();
    let os = d.occurrences(
        &Exceptions::default(),
        ts("2055-01-01T00:00Z"),
        ts("2999-01-01T00:00Z"),
        10,
    );
    assert!(os.is_empty());
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
}

#[test]
fn concurrent_this_and_following_and_a_cancellation_converge() {
    let org = Persona::generate();
    let now = ts("2055-01-01T00:00Z");
    let d = series(
        "2055-05-04T19:00",
        "2055-05-04T21:00",
        "Europe/Paris",
        "FREQ=WEEKLY;COUNT=6",
    );
    let co = Persona::generate();
    let (mut a, genesis) = Document::create_event(&org, "Org", &d, None, now).unwrap();
    let added = a.add_organiser(&org, co.id(), "Co", now).unwrap();
    let mut b = Document::empty(a.id());
    assert_eq!(b.receive([genesis, added]).accepted.len(), 2);
    // A: from 18 May on, at 20:00. B, another organiser offline: cancel 25 May.
    let from = a
        .edit_occurrence(
            &org,
            dt("2055-05-18T19:00"),
            &OccurrencePatch {
                starts: Some(dt("2055-05-18T20:00")),
                ..OccurrencePatch::default()
            },
            true,
            now,
        )
        .unwrap();
    let cancel = b
        .edit_occurrence(
            &co,
            dt("2055-05-25T19:00"),
            &OccurrencePatch {
                status: Some(EventStatus::Cancelled),
                ..OccurrencePatch::default()
            },
            false,
            now,
        )
        .unwrap();
    assert_eq!(a.receive([cancel]).accepted.len(), 1);
    assert_eq!(b.receive([from]).accepted.len(), 1);
    let list = |doc: &Document| {
        let v = doc.event().unwrap();
        v.details
            .occurrences(&v.exceptions, now, ts("2056-01-01T00:00Z"), 10)
            .into_iter()
            .map(|o| (o.starts.to_string(), o.status))
            .collect::<Vec<_>>()
    };
    assert_eq!(list(&a), list(&b));
    use EventStatus::*;
    assert_eq!(
        list(&a),
        [
            ("2055-05-04T19:00:00".to_owned(), Confirmed),
            ("2055-05-11T19:00:00".to_owned(), Confirmed),
            ("2055-05-18T20:00:00".to_owned(), Confirmed),
            ("2055-05-25T20:00:00".to_owned(), Cancelled),
            ("2055-06-01T20:00:00".to_owned(), Confirmed),
            ("2055-06-08T20:00:00".to_owned(), Confirmed),
        ]
    );
}

#[test]
fn only_organisers_change_occurrences_and_only_real_ones() {
    let org = Persona::generate();
    let other = Persona::generate();
    let now = ts("2055-01-01T00:00Z");
    let d = series(
        "2055-05-04T19:00",
        "2055-05-04T21:00",
        "Europe/Paris",
        "FREQ=WEEKLY;COUNT=6",
    );
    let (mut doc, _) = Document::create_event(&org, "Org", &d, None, now).unwrap();
    let cancel = OccurrencePatch {
        status: Some(EventStatus::Cancelled),
        ..OccurrencePatch::default()
    };
    assert!(
        doc.edit_occurrence(&other, dt("2055-05-11T19:00"), &cancel, false, now)
            .is_err()
    );
    assert!(
        doc.edit_occurrence(&org, dt("2055-05-12T19:00"), &cancel, false, now)
            .is_err(),
        "not an occurrence"
    );
    assert!(
        doc.edit_occurrence(&org, dt("2055-06-15T19:00"), &cancel, false, now)
            .is_err(),
        "after the last one"
    );
    doc.edit_occurrence(&org, dt("2055-05-11T19:00"), &cancel, false, now)
        .unwrap();
    // Putting it back removes the exception.
    doc.edit_occurrence(
        &org,
        dt("2055-05-11T19:00"),
        &OccurrencePatch::default(),
        false,
        now,
    )
    .unwrap();
    assert!(doc.event().unwrap().exceptions.one.is_empty());
}

#[test]
fn people_join_one_occurrence_and_its_capacity_counts_the_series_too() {
    use crate::model::ParticipationStatus::Going;
    let org = Persona::generate();
    let (ana, bob, cy) = (
        Persona::generate(),
        Persona::generate(),
        Persona::generate(),
    );
    let now = ts("2055-01-01T00:00Z");
    let mut d = series(
        "2055-05-04T19:00",
        "2055-05-04T21:00",
        "Europe/Paris",
        "FREQ=WEEKLY;COUNT=6",
    );
    d.capacity = Some(2);
    let (mut doc, _) = Document::create_event(&org, "Org", &d, None, now).unwrap();
    let may = dt("2055-05-11T19:00");
    // Ana comes to every session; Bob only on 11 May.
    doc.join_event(&ana, "Ana", now).unwrap();
    let (_, status) = doc.join(&bob, "Bob", Some(may), now).unwrap();
    assert_eq!(status, Going);
    let v = doc.event().unwrap();
    assert_eq!(v.participation(&bob.id(), Some(may)).unwrap().status, Going);
    assert!(v.participation(&bob.id(), None).is_none());
    assert_eq!(v.going_to(may), 2);
    assert_eq!(v.going_to(dt("2055-05-18T19:00")), 1);
    // 11 May is full (Ana for the series, Bob for that day); 18 May is not.
    assert!(doc.join(&cy, "Cy", Some(may), now).is_err());
    doc.join(&cy, "Cy", Some(dt("2055-05-18T19:00")), now)
        .unwrap();
    // A day that is not an occurrence is refused.
    assert!(
        doc.join(&cy, "Cy", Some(dt("2055-05-12T19:00")), now)
            .is_err()
    );
    // Bob leaves his day; the whole-event participation was never his.
    assert!(doc.leave(&bob, None, now).is_err());
    doc.leave(&bob, Some(may), now).unwrap();
    assert_eq!(doc.event().unwrap().going_to(may), 1);
}

#[test]
fn a_forged_participation_in_a_day_that_is_no_occurrence_is_refused_by_every_replica() {
    let org = Persona::generate();
    let eve = Persona::generate();
    let now = ts("2055-01-01T00:00Z");
    let d = series(
        "2055-05-04T19:00",
        "2055-05-04T21:00",
        "Europe/Paris",
        "FREQ=WEEKLY;COUNT=6",
    );
    let (doc, genesis) = Document::create_event(&org, "Org", &d, None, now).unwrap();
    // Eve writes the entry by hand, around the local check.
    let change = doc.forge(&eve, now, |tx| {
        use automerge::transaction::Transactable;
        use automerge::{ObjType, ROOT, ReadDoc, Value};
        let Some((Value::Object(_), participants)) = tx.get(ROOT, "participants")? else {
            unreachable!("made at genesis")
        };
        let key = format!("{}@2055-05-12T19:00:00", eve.id().to_hex());
        let e = tx.put_object(&participants, key, ObjType::Map)?;
        tx.put(&e, "name", "Eve")?;
        tx.put(&e, "at", 1_i64)?;
        tx.put(&e, "status", "going")
    });
    let mut replica = Document::empty(doc.id());
    replica.receive([genesis]);
    let receipt = replica.receive([change]);
    assert_eq!(receipt.rejected.len(), 1, "{receipt:?}");
    assert!(replica.event().unwrap().occurrence_participants.is_empty());
}
