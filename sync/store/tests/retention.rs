//! Less on the device: a device that keeps only the last months forgets older
//! events (not those it organises), the files no longer hold them, sync does
//! not bring them back, and asking for one again brings it back whole from a
//! peer that keeps it.

use rally_core::jiff::Timestamp;
use rally_core::{Document, EventDetails};

mod common;
use common::*;

fn event(dev: &mut Device, title: &str, starts: &str) -> rally_core::DocId {
    let me = dev.me();
    let details = EventDetails::new(title, starts.parse().unwrap(), "Europe/Paris");
    let (doc, _) = Document::create_event(&me.persona, &me.name, &details, None, t(1)).unwrap();
    dev.store().insert_new(&doc).unwrap();
    doc.id()
}

#[test]
fn old_events_are_forgotten_until_asked_for_again() {
    let mut alice = Device::new("alice");
    let mut bob = Device::new("bob");
    let old = event(&mut alice, "Squat eviction watch", "2024-03-01T18:00");
    let recent = event(&mut alice, "Assembly on the square", "2055-03-01T18:00");
    let mine = event(&mut bob, "Bob's zine fair", "2024-02-01T10:00");
    sync(&mut alice, &mut bob);
    assert!(bob.store().load(old).is_ok());

    bob.store().set_keep_months(Some(6)).unwrap();
    let forgot = bob.store().forget_old(Timestamp::now()).unwrap();
    assert_eq!(forgot.events, [old]);
    assert!(bob.store().load(old).is_err());
    assert!(bob.store().load(recent).is_ok());
    assert!(
        bob.store().load(mine).is_ok(),
        "an event it organises stays"
    );
    assert_eq!(bob.store().forgotten().unwrap()[0].id, old);
    reopen(&mut bob);
    let files = all_bytes(bob.dir.path());
    assert!(
        files.contains("Bob's zine fair"),
        "the search finds plaintext"
    );
    assert!(!files.contains("Squat eviction watch"));

    // Sync, and a later change by its organiser, do not bring it back.
    let me = alice.me();
    alice
        .store()
        .update(old, |d| {
            d.comment(&me.persona, &me.name, "Thanks all", None, t(5))
        })
        .unwrap();
    sync(&mut alice, &mut bob);
    assert!(bob.store().load(old).is_err());
    assert!(bob.store().load(recent).is_ok());

    // Asked for again, it comes back whole.
    assert!(bob.store().fetch_again(old).unwrap());
    assert!(!bob.store().fetch_again(old).unwrap());
    sync(&mut alice, &mut bob);
    let back = bob.store().load(old).unwrap().event().unwrap();
    assert_eq!(back.details.title, "Squat eviction watch");
    assert_eq!(back.comments.len(), 1);
    assert!(bob.store().forgotten().unwrap().is_empty());
    let forgets_nothing = |dev: &mut Device| {
        let forgot = dev.store().forget_old(Timestamp::now()).unwrap();
        assert!(forgot.events.is_empty(), "{forgot:?}");
    };
    // ... and stays: it was asked for.
    forgets_nothing(&mut bob);
    // Keeping everything again forgets nothing either.
    let younger = event(&mut alice, "Benefit gig", "2025-01-10T20:00");
    sync(&mut alice, &mut bob);
    assert!(bob.store().load(younger).is_ok());
    bob.store().set_keep_months(None).unwrap();
    forgets_nothing(&mut bob);
}

/// The chat too: messages older than the months kept go from the device,
/// text and ciphertext; sync does not bring them back; asked for again, the
/// group's whole log comes back from a member who keeps it and is opened again.
#[test]
fn older_messages_are_forgotten_and_fetched_again() {
    let now = Timestamp::now();
    let year_ago = Timestamp::from_second(now.as_second() - 365 * 86_400).unwrap();
    let mut alice = Device::new("alice");
    let mut bob = Device::new("bob");
    let group = members_only_group(&mut alice, "Housing action");
    add(&mut alice, group, bob.id(), "bob");
    let old_id = alice
        .send(group, "Last year's door code 7781", None, year_ago)
        .unwrap();
    alice
        .send(group, "New meeting place: the library", None, now)
        .unwrap();
    sync(&mut alice, &mut bob);
    assert_eq!(bob.texts(group).len(), 2);
    let log = rally_core::sealed::log_id(&group);
    let old = alice.store().export_log(&log).unwrap();
    let sealed = old
        .iter()
        .find(|c| hex::encode(rally_core::sealed::envelope_hash(&c.bytes)) == old_id)
        .expect("the old message's envelope");
    let ciphertext = sealed.bytes[sealed.bytes.len() - 40..].to_vec();
    assert!(holds_bytes(bob.dir.path(), &ciphertext));

    bob.store().set_keep_months(Some(6)).unwrap();
    let forgot = bob.store().forget_old(now).unwrap();
    assert_eq!(forgot.messages, 1);
    assert_eq!(bob.texts(group), ["New meeting place: the library"]);
    assert_eq!(bob.store().forgotten_messages(group).unwrap(), 1);
    reopen(&mut bob);
    let files = all_bytes(bob.dir.path());
    assert!(
        files.contains("New meeting place"),
        "the search finds plaintext"
    );
    assert!(!files.contains("door code 7781"));
    let held = bob.store().export_log(&log).unwrap();
    assert_eq!(
        held.len(),
        old.len() - 1,
        "the forgotten envelope is offered to no one"
    );
    assert!(
        !holds_bytes(bob.dir.path(), &ciphertext),
        "the forgotten ciphertext is still in the files"
    );

    // A sync does not bring it back, and the chat goes on.
    alice.send(group, "See you there", None, now).unwrap();
    sync(&mut alice, &mut bob);
    assert_eq!(
        bob.texts(group),
        ["New meeting place: the library", "See you there"]
    );

    // Asked for again, it comes back from Alice, and stays.
    bob.store().fetch_older(group).unwrap();
    sync(&mut alice, &mut bob);
    assert_eq!(bob.texts(group).len(), 3);
    assert_eq!(bob.texts(group)[0], "Last year's door code 7781");
    assert_eq!(bob.store().forgotten_messages(group).unwrap(), 0);
    assert_eq!(bob.store().forget_old(now).unwrap().messages, 0);
}
