//! The store on real SQLite files: persistence, concurrent writers, imports,
//! indexes and their rebuild.

use rally_core::jiff::Timestamp;
use rally_core::{Document, EventDetails, GroupProfile, GroupVisibility, bundle};

use crate::{BBox, EventQuery, Store, StoreError};

fn t(secs: i64) -> Timestamp {
    Timestamp::from_second(1_780_000_000 + secs).unwrap()
}

fn details(title: &str, starts: &str) -> EventDetails {
    EventDetails::new(title, starts.parse().unwrap(), "Europe/Paris")
}

#[test]
fn events_persist_and_are_found_by_every_index() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    let alice = store.create_persona("alice", t(0)).unwrap();
    let mut d = details("Bike parade", "2026-12-05T14:00");
    d.description = "Through the old town".into();
    d.place.name = Some("Place de la République".into());
    d.place.latitude = Some(48.8674);
    d.place.longitude = Some(2.3636);
    d.tags = vec!["velo".into()];
    let (doc, _) = Document::create_event(&alice.persona, "alice", &d, None, t(0)).unwrap();
    store.insert_new(&doc).unwrap();
    let (past, _) = Document::create_event(
        &alice.persona,
        "alice",
        &details("Old meeting", "2020-01-01T10:00"),
        None,
        t(0),
    )
    .unwrap();
    store.insert_new(&past).unwrap();
    drop(store);

    let store = Store::open(dir.path()).unwrap();
    let now = Timestamp::from_second(1_780_000_000).unwrap();
    let up = store.events(&EventQuery::upcoming(now)).unwrap();
    assert_eq!(
        up.iter().map(|e| e.title.as_str()).collect::<Vec<_>>(),
        ["Bike parade"]
    );
    // Where it is, from the area index (single precision).
    let (lat, lon) = up[0].at.unwrap();
    assert!((lat - 48.8674).abs() < 1e-4 && (lon - 2.3636).abs() < 1e-4);
    let search = |text: &str| {
        let mut q = EventQuery::upcoming(now);
        q.upcoming = false;
        q.text = Some(text.into());
        store.events(&q).unwrap().len()
    };
    assert_eq!(search("republique"), 1, "diacritics folded");
    assert_eq!(search("old"), 2, "prefix match in title and description");
    assert_eq!(search("velo"), 1);
    assert_eq!(search("nothing-like-this"), 0);
    assert_eq!(search("\"); DROP TABLE events; --"), 0);
    let mut q = EventQuery::upcoming(now);
    q.bbox = Some(BBox {
        min_lat: 48.8,
        min_lon: 2.3,
        max_lat: 48.9,
        max_lon: 2.4,
    });
    assert_eq!(store.events(&q).unwrap().len(), 1);
    q.bbox = Some(BBox {
        min_lat: 43.0,
        min_lon: 5.0,
        max_lat: 44.0,
        max_lon: 6.0,
    });
    assert_eq!(store.events(&q).unwrap().len(), 0);
    let mut mine = EventQuery::upcoming(now);
    mine.involving = vec![alice.id()];
    assert_eq!(store.events(&mine).unwrap().len(), 1);
    mine.involving = vec![rally_core::Persona::generate().id()];
    assert_eq!(store.events(&mine).unwrap().len(), 0);
}

#[test]
fn edits_are_judged_and_a_refusal_leaves_the_store_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    let alice = store.create_persona("alice", t(0)).unwrap();
    let bob = store.create_persona("bob", t(0)).unwrap();
    let (doc, _) = Document::create_event(
        &alice.persona,
        "alice",
        &details("Picnic", "2026-12-05T14:00"),
        None,
        t(0),
    )
    .unwrap();
    let id = doc.id();
    store.insert_new(&doc).unwrap();
    let cursor = store.change_cursor().unwrap();
    let err = store
        .update(id, |d| {
            d.update_event(&bob.persona, &details("Mine now", "2026-12-05T14:00"), t(1))
        })
        .unwrap_err();
    assert!(matches!(err, StoreError::Edit(_)), "{err}");
    assert_eq!(store.change_cursor().unwrap(), cursor);
    assert_eq!(
        store.load(id).unwrap().event().unwrap().details.title,
        "Picnic"
    );
    store
        .update(id, |d| d.join_event(&bob.persona, "bob", t(2)))
        .unwrap();
    assert_eq!(
        store.load(id).unwrap().event().unwrap().participants.len(),
        1
    );
}

#[test]
fn import_into_another_store_with_a_pending_group_join() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    let mut sa = Store::open(a.path()).unwrap();
    let mut sb = Store::open(b.path()).unwrap();
    let alice = sa.create_persona("alice", t(0)).unwrap();
    let bob = sb.create_persona("bob", t(0)).unwrap();
    let profile = GroupProfile {
        name: "Tenants' union".into(),
        summary: String::new(),
        visibility: GroupVisibility::Public,
        avatar: None,
    };
    let (group, _) = Document::create_group(&alice.persona, "alice", &profile, t(0)).unwrap();
    let gid = group.id();
    sa.insert_new(&group).unwrap();
    let token = sa
        .update(gid, |g| g.create_invite(&alice.persona, t(1)))
        .unwrap()
        .1;

    // Bob joins before he has the group: the join waits for the document.
    assert!(!sb.join_group(&bob, &token, t(2)).unwrap());
    let bytes = bundle::encode(&sa.export(&[]).unwrap());
    let report = sb.ingest(bundle::decode(&bytes).unwrap(), t(3)).unwrap();
    assert_eq!(
        (report.accepted, report.rejected, report.joined.len()),
        (2, 0, 1)
    );
    let members = sb.load(gid).unwrap().group().unwrap().members;
    assert!(members.contains_key(&bob.id()));

    // Back to Alice: she sees Bob as a member; importing again changes nothing.
    let back = sb.export(&[gid]).unwrap();
    let r = sa.ingest(back.clone(), t(4)).unwrap();
    assert_eq!(r.accepted, 1);
    assert_eq!(sa.ingest(back, t(5)).unwrap().duplicates, 3);
    assert_eq!(sa.groups().unwrap()[0].members, 2);
}

#[test]
fn indexes_rebuild_to_the_same_answers() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    let alice = store.create_persona("alice", t(0)).unwrap();
    for i in 0..20 {
        let (doc, _) = Document::create_event(
            &alice.persona,
            "alice",
            &details(
                &format!("Event {i}"),
                &format!("2026-12-{:02}T10:00", i + 1),
            ),
            None,
            t(0),
        )
        .unwrap();
        store.insert_new(&doc).unwrap();
    }
    let now = Timestamp::from_second(1_780_000_000).unwrap();
    let before = store.events(&EventQuery::upcoming(now)).unwrap();
    store
        .conn()
        .execute_batch("DELETE FROM events; DELETE FROM events_fts;")
        .unwrap();
    assert!(store.events(&EventQuery::upcoming(now)).unwrap().is_empty());
    assert_eq!(store.rebuild_indexes().unwrap(), 20);
    assert_eq!(store.events(&EventQuery::upcoming(now)).unwrap(), before);
}

#[test]
fn two_connections_write_the_same_document_without_losing_changes() {
    let dir = tempfile::tempdir().unwrap();
    let mut s1 = Store::open(dir.path()).unwrap();
    let alice = s1.create_persona("alice", t(0)).unwrap();
    let (doc, _) = Document::create_event(
        &alice.persona,
        "alice",
        &details("Shared", "2026-12-05T14:00"),
        None,
        t(0),
    )
    .unwrap();
    let id = doc.id();
    s1.insert_new(&doc).unwrap();
    let path = dir.path().to_owned();
    let persona = alice.persona.clone();
    let writer = std::thread::spawn(move || {
        let mut s2 = Store::open(&path).unwrap();
        for i in 0..25 {
            s2.update(id, |d| {
                d.comment(&persona, "alice", &format!("from 2: {i}"), None, t(i))
            })
            .unwrap();
        }
    });
    for i in 0..25 {
        s1.update(id, |d| {
            d.comment(&alice.persona, "alice", &format!("from 1: {i}"), None, t(i))
        })
        .unwrap();
    }
    writer.join().unwrap();
    assert_eq!(
        Store::open(dir.path())
            .unwrap()
            .load(id)
            .unwrap()
            .event()
            .unwrap()
            .comments
            .len(),
        50
    );
}

#[test]
fn a_file_that_is_not_a_database_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(crate::DB_FILE), vec![0x42u8; 8192]).unwrap();
    let err = Store::open(dir.path()).unwrap_err();
    assert!(matches!(err, StoreError::NotADatabase { .. }), "{err}");
    assert_eq!(
        std::fs::read(dir.path().join(crate::DB_FILE)).unwrap(),
        vec![0x42u8; 8192]
    );
}

#[test]
fn upcoming_includes_what_is_happening_now() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    let alice = store.create_persona("alice", t(0)).unwrap();
    let now = Timestamp::from_second(1_780_000_000).unwrap();
    let utc = |secs: i64| {
        Timestamp::from_second(1_780_000_000 + secs)
            .unwrap()
            .to_zoned_datetime(rally_core::jiff::tz::TimeZone::UTC)
            .datetime()
    };
    let mut add = |title: &str, start: i64, end: Option<i64>| {
        let mut d = EventDetails::new(title, utc(start), "UTC");
        d.ends = end.map(utc);
        let (doc, _) = Document::create_event(&alice.persona, "alice", &d, None, t(0)).unwrap();
        store.insert_new(&doc).unwrap();
    };
    add("long festival", -3 * 86_400, Some(2 * 86_400));
    add("ongoing march", -3600, Some(3600));
    add("open-ended, just started", -1800, None);
    add("open-ended, long ago", -3 * 3600, None);
    add("finished", -7200, Some(-60));
    add("tomorrow", 86_400, None);
    let titles: Vec<String> = store
        .events(&EventQuery::upcoming(now))
        .unwrap()
        .into_iter()
        .map(|e| e.title)
        .collect();
    assert_eq!(
        titles,
        [
            "long festival",
            "ongoing march",
            "open-ended, just started",
            "tomorrow"
        ]
    );
}

#[test]
fn an_older_schema_is_migrated_and_keeps_its_data() {
    let dir = tempfile::tempdir().unwrap();
    {
        // A store as schema 2 left it.
        let conn = rusqlite::Connection::open(dir.path().join(crate::DB_FILE)).unwrap();
        conn.execute_batch(crate::SCHEMA).unwrap();
        conn.execute_batch(
            "INSERT INTO meta (key, value) VALUES ('epoch', '00112233445566778899aabbccddeeff');
             INSERT INTO meta (key, value) VALUES ('schema', '2');",
        )
        .unwrap();
    }
    let mut store = Store::open(dir.path()).unwrap();
    let alice = store.create_persona("alice", t(0)).unwrap();
    let profile = GroupProfile {
        name: "Migrated".into(),
        summary: String::new(),
        visibility: GroupVisibility::MembersOnly,
        avatar: None,
    };
    let (doc, _) = Document::create_group(&alice.persona, "alice", &profile, t(1)).unwrap();
    store.insert_new(&doc).unwrap();
    store
        .send_message(&alice, doc.id(), "the new tables work", None, t(2))
        .unwrap();
    store.follow_group(&alice, doc.id(), true).unwrap();
    drop(store);
    let store = Store::open(dir.path()).unwrap();
    assert_eq!(
        store.messages(doc.id()).unwrap()[0].text,
        "the new tables work"
    );
    assert_eq!(store.followed_groups(&alice).unwrap(), [doc.id()]);
    let version: String = store
        .conn()
        .query_row("SELECT value FROM meta WHERE key = 'schema'", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(version, crate::SCHEMA_VERSION.to_string());
}

#[test]
fn peers_not_seen_for_long_are_forgotten_with_their_beliefs() {
    use rally_core::ChangeHash;
    use rally_core::protocol::Repo;

    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    let alice = store.create_persona("alice", t(0)).unwrap();
    let (doc, _) = Document::create_event(
        &alice.persona,
        "alice",
        &details("Assembly", "2027-01-05T19:00"),
        None,
        t(0),
    )
    .unwrap();
    store.insert_new(&doc).unwrap();
    let mut repo = crate::SyncRepo::new(store, alice);
    let (old, recent) = (
        rally_core::Persona::generate().id(),
        rally_core::Persona::generate().id(),
    );
    for peer in [&old, &recent] {
        repo.prepare_peer(peer, [1; 16]).unwrap();
        repo.set_belief(peer, &doc.id(), &[ChangeHash([1; 32])])
            .unwrap();
    }
    repo.flush().unwrap();
    let conn = rusqlite::Connection::open(dir.path().join(crate::DB_FILE)).unwrap();
    let count = |sql: &str| -> i64 { conn.query_row(sql, [], |r| r.get(0)).unwrap() };
    assert_eq!(count("SELECT count(*) FROM beliefs"), 2);
    let now = Timestamp::now().as_second();
    conn.execute(
        "UPDATE peers SET seen = ?1 WHERE remote = ?2",
        rusqlite::params![now - crate::sync::PEER_RETENTION_SECS - 10, old.0],
    )
    .unwrap();
    crate::sync::prune_peers_seen_before(&conn, now - crate::sync::PEER_RETENTION_SECS).unwrap();
    assert_eq!(count("SELECT count(*) FROM beliefs"), 1);
    assert_eq!(count("SELECT count(*) FROM peers"), 1);
    assert!(repo.belief(&old, &doc.id()).unwrap().is_none());
    assert!(repo.belief(&recent, &doc.id()).unwrap().is_some());
}

#[test]
fn personas_that_never_wrote_are_forgotten_and_the_others_kept() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    let silent = store
        .create_persona("fedi:https://a.example/u/silent", t(0))
        .unwrap();
    let wrote = store
        .create_persona("fedi:https://a.example/u/wrote", t(0))
        .unwrap();
    let recent = store
        .create_persona("fedi:https://a.example/u/recent", t(500))
        .unwrap();
    let mine = store.create_persona("alice", t(0)).unwrap();
    let (doc, _) = Document::create_event(
        &wrote.persona,
        "wrote",
        &details("Picnic", "2027-06-01T12:00"),
        None,
        t(1),
    )
    .unwrap();
    store.insert_new(&doc).unwrap();
    let gone = store
        .forget_silent_personas("fedi:", t(100).as_second(), 100)
        .unwrap();
    assert_eq!(gone, vec![silent.persona.id()]);
    let names: Vec<String> = store
        .personas()
        .unwrap()
        .into_iter()
        .map(|p| p.name)
        .collect();
    assert!(!names.contains(&silent.name), "{names:?}");
    for kept in [&wrote.name, &recent.name, &mine.name] {
        assert!(names.contains(kept), "{kept} was forgotten: {names:?}");
    }
}

#[test]
fn changes_waiting_for_their_past_are_kept_across_a_restart_and_written_once() {
    let dir = tempfile::tempdir().unwrap();
    let origin = tempfile::tempdir().unwrap();
    let mut source = Store::open(origin.path()).unwrap();
    let alice = source.create_persona("alice", t(0)).unwrap();
    let mut d = details("Assembly", "2027-01-05T19:00");
    let (mut doc, _) = Document::create_event(&alice.persona, "alice", &d, None, t(0)).unwrap();
    for i in 0..50 {
        d.title = format!("Assembly {i}");
        doc.update_event(&alice.persona, &d, t(1 + i)).unwrap();
    }
    let mut newest_first = doc.signed_changes();
    newest_first.reverse();
    let count = |dir: &std::path::Path, sql: &str| -> i64 {
        rusqlite::Connection::open(dir.join(crate::DB_FILE))
            .unwrap()
            .query_row(sql, [], |r| r.get(0))
            .unwrap()
    };
    {
        let mut store = Store::open(dir.path()).unwrap();
        for chunk in newest_first[..30].chunks(10) {
            let r = store.ingest(chunk.to_vec(), t(100)).unwrap();
            assert_eq!(r.accepted, 0);
        }
    }
    assert_eq!(count(dir.path(), "SELECT count(*) FROM pending"), 30);
    assert_eq!(
        count(
            dir.path(),
            "SELECT count(*) FROM pending WHERE hash IS NULL"
        ),
        0
    );
    let mut store = Store::open(dir.path()).unwrap();
    let r = store.ingest(newest_first[30..].to_vec(), t(101)).unwrap();
    assert_eq!(r.accepted, 51);
    assert_eq!(r.pending, 0);
    assert_eq!(count(dir.path(), "SELECT count(*) FROM pending"), 0);
    let view = store.load(doc.id()).unwrap().event().unwrap();
    assert_eq!(view.details.title, "Assembly 49");
}

#[test]
fn a_peer_flooding_changes_that_wait_for_their_past_is_refused_and_forgotten() {
    let mallory = rally_core::Persona::generate();
    // A document's changes without its first one: each waits for its past.
    let orphans = |title: &str, edits: i64| -> Vec<rally_core::SignedChange> {
        let mut d = details(title, "2027-01-05T19:00");
        let (mut doc, _) = Document::create_event(&mallory, "m", &d, None, t(0)).unwrap();
        for i in 0..edits {
            d.title = format!("{title} {i}");
            doc.update_event(&mallory, &d, t(1 + i)).unwrap();
        }
        doc.signed_changes().split_off(1)
    };
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    store.set_pending_caps(30, 50);
    let from_mallory = crate::IngestPolicy {
        void_on_misbehaviour: true,
        sender: Some(mallory.id()),
        ..crate::IngestPolicy::default()
    };
    let waiting = || -> i64 {
        rusqlite::Connection::open(dir.path().join(crate::DB_FILE))
            .unwrap()
            .query_row("SELECT count(*) FROM pending", [], |r| r.get(0))
            .unwrap()
    };
    let one = orphans("One", 40);
    let r = store
        .ingest_with(one[..25].to_vec(), t(100), from_mallory)
        .unwrap();
    assert!(r.misbehaviour.is_none(), "{r:?}");
    assert_eq!(waiting(), 25);
    // Past the cap of one document: refused, and what it left waiting goes.
    let r = store
        .ingest_with(one[25..].to_vec(), t(101), from_mallory)
        .unwrap();
    assert!(
        r.misbehaviour
            .expect("refused")
            .contains("waiting for their past")
    );
    assert_eq!(waiting(), 0);
    // Spread over documents, the cap per peer holds.
    let r = store
        .ingest_with(orphans("Two", 28), t(102), from_mallory)
        .unwrap();
    assert!(r.misbehaviour.is_none(), "{r:?}");
    let r = store
        .ingest_with(orphans("Three", 28), t(103), from_mallory)
        .unwrap();
    assert!(r.misbehaviour.expect("refused").contains("from one peer"));
    assert_eq!(waiting(), 0);
}

#[test]
fn upcoming_lists_a_series_by_its_occurrences_with_their_exceptions() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    let alice = store.create_persona("alice", t(0)).unwrap();
    // Every Tuesday at 19:00 for 10 weeks, from a date the window holds.
    let today = Timestamp::now()
        .to_zoned_datetime(rally_core::jiff::tz::TimeZone::get("Europe/Paris").unwrap())
        .date();
    let first = today
        .checked_add(rally_core::jiff::Span::new().days(7))
        .unwrap();
    let mut weekly = details("Assembly", &format!("{first}T19:00"));
    weekly.ends = Some(format!("{first}T21:00").parse().unwrap());
    weekly.repeat = Some(rally_core::Repeat::parse("FREQ=WEEKLY;COUNT=10").unwrap());
    let (series, _) = Document::create_event(&alice.persona, "alice", &weekly, None, t(0)).unwrap();
    let id = series.id();
    store.insert_new(&series).unwrap();
    let second = first
        .checked_add(rally_core::jiff::Span::new().days(7))
        .unwrap();
    let (single, _) = Document::create_event(
        &alice.persona,
        "alice",
        &details("Picnic", &format!("{second}T12:00")),
        None,
        t(0),
    )
    .unwrap();
    store.insert_new(&single).unwrap();

    let now = Timestamp::now();
    let list = |store: &Store| {
        store
            .events(&EventQuery::upcoming(now))
            .unwrap()
            .into_iter()
            .map(|e| (e.title, e.occurrence, e.status))
            .collect::<Vec<_>>()
    };
    let up = list(&store);
    assert_eq!(up.len(), 11, "{up:?}");
    assert_eq!(
        up[0],
        (
            "Assembly".into(),
            Some(format!("{first}T19:00:00")),
            rally_core::EventStatus::Confirmed
        )
    );
    assert_eq!(up[1].0, "Picnic");
    assert_eq!(up[1].1, None);
    assert_eq!(up[2].1, Some(format!("{second}T19:00:00")));

    // Cancel the second one: it stays listed, as cancelled.
    let name: rally_core::jiff::civil::DateTime = format!("{second}T19:00").parse().unwrap();
    store
        .update(id, |d| {
            d.edit_occurrence(
                &alice.persona,
                name,
                &rally_core::OccurrencePatch {
                    status: Some(rally_core::EventStatus::Cancelled),
                    ..Default::default()
                },
                false,
                t(1),
            )
        })
        .unwrap();
    let up = list(&store);
    assert_eq!(up[2].2, rally_core::EventStatus::Cancelled);
    assert_eq!(up.len(), 11);

    // A page after the first occurrence starts from the next one.
    let mut next = EventQuery::upcoming(now);
    let firsts = store.events(&EventQuery::upcoming(now)).unwrap();
    next.after = Some((firsts[0].starts, firsts[0].id));
    next.limit = 2;
    let page: Vec<_> = store
        .events(&next)
        .unwrap()
        .into_iter()
        .map(|e| e.title)
        .collect();
    assert_eq!(page, ["Picnic", "Assembly"]);

    // An occurrence under way is listed, first.
    let during = Timestamp::from_second(firsts[0].starts + 3600).unwrap();
    let now_on = store.events(&EventQuery::upcoming(during)).unwrap();
    assert_eq!(now_on[0].occurrence, Some(format!("{first}T19:00:00")));
    assert_eq!(now_on.len(), 11);
    let after = Timestamp::from_second(firsts[0].starts + 3 * 3600).unwrap();
    assert_eq!(
        store.events(&EventQuery::upcoming(after)).unwrap().len(),
        10
    );

    // The index is rebuilt from documents, occurrences included.
    store.rebuild_indexes().unwrap();
    assert_eq!(list(&store), up);
    // All events (not only upcoming): the series once.
    let mut all = EventQuery::upcoming(now);
    all.upcoming = false;
    assert_eq!(store.events(&all).unwrap().len(), 2);
}

#[test]
fn a_document_copied_from_memory_is_the_one_stored() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    let mut sa = Store::open(a.path()).unwrap();
    let (alice, gid) = alices_group(&mut sa, GroupVisibility::Public);
    let mut sb = Store::open(b.path()).unwrap();
    assert_eq!(
        sb.ingest(sa.export(&[]).unwrap(), t(1)).unwrap().accepted,
        1
    );
    let first = sb.load(gid).unwrap().heads();
    assert_eq!(sb.load_from_memory(gid).unwrap().heads(), first);
    // Another connection stores a change: what the import left in memory is
    // no longer current, and the document is read again.
    sa.update(gid, |g| g.create_invite(&alice.persona, t(2)))
        .unwrap();
    let mut other = Store::open(b.path()).unwrap();
    assert_eq!(
        other
            .ingest(sa.export(&[gid]).unwrap(), t(3))
            .unwrap()
            .accepted,
        1
    );
    let now = other.load(gid).unwrap().heads();
    assert_ne!(now, first);
    assert_eq!(sb.load_from_memory(gid).unwrap().heads(), now);
}

#[test]
fn reports_passed_over_before_schema_23_are_tried_again_and_nothing_else() {
    use rally_core::moderation::Reason;
    use rally_core::moderation::report::{Report, Target};
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    let (alice, group) = alices_group(&mut store, GroupVisibility::MembersOnly);
    let report = Report::new(group, Target::Persona([1; 32]), Reason::Spam, "spam", 5);
    let id = store.send_report(&alice, &report, &[alice.id()]).unwrap();
    let count = |store: &Store, opened: i64| -> i64 {
        store
            .conn()
            .query_row(
                "SELECT count(*) FROM envelopes WHERE opened = ?1",
                [opened],
                |r| r.get(0),
            )
            .unwrap()
    };
    // As a device that knew only the first form of reports left them: the
    // report, and the grant and sealed group beside it, passed over.
    store
        .conn()
        .execute_batch(
            "UPDATE envelopes SET opened = 2;
             UPDATE meta SET value = '22' WHERE key = 'schema';",
        )
        .unwrap();
    let passed_over = count(&store, 2);
    assert!(passed_over > 1);
    drop(store);
    let store = Store::open(dir.path()).unwrap();
    let retried: Vec<u8> = store
        .conn()
        .query_row("SELECT hash FROM envelopes WHERE opened = 0", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(hex::encode(retried), id);
    assert_eq!(count(&store, 2), passed_over - 1);
}

/// Alice, and a group of hers stored in `store`.
fn alices_group(
    store: &mut Store,
    visibility: GroupVisibility,
) -> (crate::LocalPersona, rally_core::DocId) {
    let alice = store.create_persona("alice", t(0)).unwrap();
    let profile = GroupProfile {
        name: "Choir".into(),
        summary: String::new(),
        visibility,
        avatar: None,
    };
    let (group, _) = Document::create_group(&alice.persona, "alice", &profile, t(0)).unwrap();
    store.insert_new(&group).unwrap();
    (alice, group.id())
}

/// A batch that sweeps something (a server taking from its journal what had
/// expired meanwhile) empties the write-ahead log once it commits: SQLite
/// refuses it inside the transaction, which failed the whole batch.
#[test]
fn a_sweep_inside_a_batch_empties_the_log_once_it_commits() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    let swept = crate::Swept {
        messages: 1,
        envelopes: 0,
    };
    store.quietly(|s| s.scrub_after(swept)).unwrap();
    assert!(!store.scrub_due.get(), "emptied after the commit");
    // Outside a batch, at once.
    store.scrub_after(swept).unwrap();
}
