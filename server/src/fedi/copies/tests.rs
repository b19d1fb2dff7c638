use super::*;
use crate::fedi::vocab::fixture;

fn event_in(name: &str) -> RemoteEvent {
    let v: Value = serde_json::from_str(&std::fs::read_to_string(fixture(name)).unwrap()).unwrap();
    let object = if vocab::type_of(&v) == "Event" {
        v
    } else {
        v["object"].clone()
    };
    RemoteEvent::parse(&object).unwrap()
}

#[test]
fn every_fixture_event_becomes_valid_details() {
    for name in [
        "mobilizon-event-object.json",
        "mobilizon-create-event-activity.json",
        "mobilizon-create-group-event-activity.json",
        "gancio-create-event-activity.json",
        "gancio-1.21-create-event-live-capture.json",
    ] {
        let e = event_in(name);
        let d = details_of(&e);
        d.validate().unwrap_or_else(|err| panic!("{name}: {err}"));
        assert_eq!(d.title, e.name.trim(), "{name}");
        assert_eq!(d.visibility, Visibility::Public, "{name}");
        let zone = rally_core::model::time_zone(&d.time_zone).unwrap();
        assert_eq!(zone.to_timestamp(d.starts).unwrap(), e.starts, "{name}");
    }
}

#[test]
fn what_the_model_cannot_hold_is_clipped_or_dropped() {
    let mut e = event_in("mobilizon-event-object.json");
    e.name = "x".repeat(500);
    e.description = "y".repeat(30_000);
    e.time_zone = Some("Mars/Olympus_Mons".into());
    e.ends = Some(e.starts - rally_core::jiff::SignedDuration::from_hours(1));
    e.latitude = Some(123.0);
    e.longitude = Some(2.0);
    e.online_url = Some("javascript:alert(1)".into());
    e.capacity = Some(0);
    e.tags = vec!["ok".into(), "not ok!".into(), "OK".into()];
    e.join_mode = "restricted".into();
    e.status = "CANCELLED".into();
    let d = details_of(&e);
    d.validate().unwrap();
    assert_eq!(d.title.chars().count(), 200);
    assert_eq!(d.description.chars().count(), 20_000);
    assert_eq!(d.time_zone, "UTC");
    assert_eq!(d.ends, None);
    assert_eq!((d.place.latitude, d.place.longitude), (None, None));
    assert_eq!(d.online_url, None);
    assert_eq!(d.capacity, None);
    assert_eq!(d.tags, vec!["ok".to_owned()]);
    assert_eq!(d.join_mode, JoinMode::Approval);
    assert_eq!(d.status, EventStatus::Cancelled);
}

#[test]
fn origins_compare_scheme_host_and_port() {
    assert!(same_origin("https://a.example/e/1", "https://a.example/@g"));
    assert!(!same_origin(
        "https://a.example/e/1",
        "https://b.example/@g"
    ));
    assert!(!same_origin(
        "http://localhost:1/e",
        "http://localhost:2/@g"
    ));
    assert!(!same_origin("not a url", "not a url"));
}
