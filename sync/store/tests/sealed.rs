//! Members-only groups end to end through real stores: their documents and chat
//! travel as ciphertext through peers that are not members, removing a member
//! rotates the keys, an invitation lets a newcomer in from the point they join,
//! and tampered, replayed or forged envelopes are refused.
//!
//! Peers sync through the real protocol (`rally_core::protocol::Session`) over
//! the stores' own sync repos, frames passed in memory.

use rally_core::jiff::Timestamp;
use rally_core::sealed::{Body, Envelope, is_envelope};
use rally_core::{Document, EventDetails, PersonaId, Role, SignedChange, Visibility};
use rally_store::{IngestPolicy, SyncRepo};

mod common;
use common::*;

fn secret_event(dev: &mut Device, group: rally_core::DocId, title: &str) -> rally_core::DocId {
    let me = dev.me();
    let mut details = EventDetails::new(title, "2027-03-01T18:00".parse().unwrap(), "Europe/Paris");
    details.visibility = Visibility::MembersOnly;
    let (doc, _) =
        Document::create_event(&me.persona, &me.name, &details, Some(group), t(3)).unwrap();
    dev.store().insert_new(&doc).unwrap();
    let g = doc.id();
    dev.store()
        .update(group, |d| d.set_group_event(&me.persona, g, true, t(3)))
        .unwrap();
    g
}

#[test]
fn a_relay_that_is_not_a_member_forwards_only_ciphertext() {
    let mut alice = Device::new("alice");
    let mut bob = Device::new("bob");
    let mut relay = Device::new("relay");
    let group = members_only_group(&mut alice, "Tenants of Rue Oberkampf");
    add(&mut alice, group, bob.id(), "bob");
    let event = secret_event(&mut alice, group, "Rent strike assembly");
    alice
        .send(group, "Meet at the old mill, bring the banner", None, t(4))
        .unwrap();

    // Alice and Bob never meet: everything goes through the relay.
    sync(&mut alice, &mut relay);
    sync(&mut relay, &mut bob);

    assert_eq!(bob.texts(group), ["Meet at the old mill, bring the banner"]);
    let seen = bob.store().load(event).unwrap().event().unwrap();
    assert_eq!(seen.details.title, "Rent strike assembly");
    let g = bob.store().load(group).unwrap().group().unwrap();
    assert!(g.members.contains_key(&bob.id()));

    // Bob answers; it reaches Alice through the relay too.
    let first = bob.store().messages(group).unwrap()[0].id.clone();
    bob.send(group, "Count me in", Some(&first[..8]), t(5))
        .unwrap();
    sync(&mut bob, &mut relay);
    sync(&mut relay, &mut alice);
    let msgs = alice.store().messages(group).unwrap();
    assert_eq!(msgs.len(), 2);
    assert_eq!(msgs[1].text, "Count me in");
    assert_eq!(msgs[1].reply_to.as_deref(), Some(first.as_str()));
    assert_eq!(msgs[1].author_name.as_deref(), Some("bob"));

    // The relay holds the log but none of it in the clear, and no document of the group.
    reopen(&mut relay);
    assert!(relay.store().load(group).is_err());
    assert!(relay.store().load(event).is_err());
    assert!(relay.store().messages(group).unwrap().is_empty());
    let files = all_bytes(relay.dir.path());
    for secret in [
        "Meet at the old mill",
        "Count me in",
        "Rent strike assembly",
        "Tenants of Rue Oberkampf",
        "Only for us",
    ] {
        assert!(
            !files.contains(secret),
            "the relay's files contain {secret:?}"
        );
    }
    // ... while the members' files are where the plaintext is (the search can find it).
    reopen(&mut bob);
    assert!(all_bytes(bob.dir.path()).contains("Count me in"));
}

#[test]
fn a_removed_member_reads_nothing_sent_after() {
    let mut alice = Device::new("alice");
    let mut bob = Device::new("bob");
    let mut carol = Device::new("carol");
    let group = members_only_group(&mut alice, "Strike committee");
    add(&mut alice, group, bob.id(), "bob");
    add(&mut alice, group, carol.id(), "carol");
    alice.send(group, "Before the split", None, t(4)).unwrap();
    sync(&mut alice, &mut bob);
    sync(&mut alice, &mut carol);
    assert_eq!(bob.texts(group), ["Before the split"]);

    let me = alice.me();
    let bob_id = bob.id();
    alice
        .store()
        .update(group, |g| g.remove_member(&me.persona, bob_id, t(6)))
        .unwrap();
    alice.send(group, "After Bob left", None, t(7)).unwrap();
    let event = secret_event(&mut alice, group, "Picket at dawn");

    // Bob gets every envelope (directly from Alice, who still offers him the log).
    sync(&mut alice, &mut bob);
    sync(&mut alice, &mut carol);
    assert_eq!(carol.texts(group), ["Before the split", "After Bob left"]);
    assert_eq!(
        carol
            .store()
            .load(event)
            .unwrap()
            .event()
            .unwrap()
            .details
            .title,
        "Picket at dawn"
    );
    assert_eq!(bob.texts(group), ["Before the split"]);
    assert!(bob.store().load(event).is_err());
    // His copy of the group stops where he was removed: he never learns more.
    let bobs = bob.store().load(group).unwrap().group().unwrap();
    assert!(bobs.members.contains_key(&bob_id));

    // Even with every envelope in hand, none sent after opens with his keys.
    let log = rally_core::sealed::log_id(&group);
    let all: Vec<SignedChange> = alice.store().export_log(&log).unwrap();
    assert!(all.len() > 5);
    let bob_secret = rally_core::sealed::recipient_secret(&bob.me().persona.secret_bytes());
    let opened_grants = all
        .iter()
        .filter_map(|s| Envelope::decode(&s.bytes).ok())
        .filter(|e| matches!(e.body, Body::Grant { .. }))
        .filter(|e| e.open_grant(&bob_secret).is_some())
        .count();
    let grants = all
        .iter()
        .filter_map(|s| Envelope::decode(&s.bytes).ok())
        .filter(|e| matches!(e.body, Body::Grant { .. }))
        .count();
    assert!(
        opened_grants >= 1 && opened_grants < grants,
        "{opened_grants} of {grants}"
    );
    reopen(&mut bob);
    let files = all_bytes(bob.dir.path());
    assert!(!files.contains("After Bob left"));
    assert!(!files.contains("Picket at dawn"));
}

#[test]
fn an_invited_member_reads_the_group_and_the_chat_from_when_they_joined() {
    let mut alice = Device::new("alice");
    let mut relay = Device::new("relay");
    let mut dan = Device::new("dan");
    let group = members_only_group(&mut alice, "Food bank volunteers");
    let event = secret_event(&mut alice, group, "Sorting day");
    alice
        .send(group, "Old news, before Dan", None, t(4))
        .unwrap();
    let me = alice.me();
    let (_, token) = alice
        .store()
        .update(group, |g| g.create_invite(&me.persona, t(5)))
        .unwrap();
    sync(&mut alice, &mut relay);

    // Dan has only the token; the relay has only ciphertext.
    let dan_me = dan.me();
    assert!(!dan.store().join_group(&dan_me, &token, t(6)).unwrap());
    sync(&mut dan, &mut relay);
    let g = dan.store().load(group).unwrap().group().unwrap();
    assert!(
        g.members.contains_key(&dan.id()),
        "the join was made on arrival"
    );
    assert_eq!(
        dan.store()
            .load(event)
            .unwrap()
            .event()
            .unwrap()
            .details
            .title,
        "Sorting day"
    );
    assert!(
        dan.texts(group).is_empty(),
        "no chat history without an admin sharing it"
    );

    dan.store()
        .send_message(&dan_me, group, "Hello, Dan here", None, t(7))
        .unwrap();
    sync(&mut dan, &mut relay);
    sync(&mut relay, &mut alice);
    let g = alice.store().load(group).unwrap().group().unwrap();
    assert!(g.members.contains_key(&dan.id()));
    assert_eq!(
        alice.texts(group),
        ["Old news, before Dan", "Hello, Dan here"]
    );
    alice.send(group, "Welcome Dan", None, t(8)).unwrap();
    sync(&mut alice, &mut relay);
    sync(&mut relay, &mut dan);
    assert_eq!(dan.texts(group), ["Hello, Dan here", "Welcome Dan"]);

    // An admin may give him the history.
    let dan_id = dan.id();
    assert!(
        dan.store().share_history(&dan_me, group, dan_id).is_err(),
        "admins only"
    );
    let n = alice.store().share_history(&me, group, dan_id).unwrap();
    assert!(n >= 2);
    sync(&mut alice, &mut relay);
    sync(&mut relay, &mut dan);
    assert_eq!(
        dan.texts(group),
        ["Old news, before Dan", "Hello, Dan here", "Welcome Dan"]
    );
}

#[test]
fn messages_are_edited_and_deleted_by_their_author_only() {
    let mut alice = Device::new("alice");
    let mut bob = Device::new("bob");
    let group = members_only_group(&mut alice, "Choir");
    add(&mut alice, group, bob.id(), "bob");
    let id = alice.send(group, "Rehearsal at 7", None, t(4)).unwrap();
    sync(&mut alice, &mut bob);
    assert!(bob.edit(group, &id, "mine now", t(5)).is_err());
    alice.edit(group, &id, "Rehearsal at 8", t(6)).unwrap();
    sync(&mut alice, &mut bob);
    let m = &bob.store().messages(group).unwrap()[0];
    assert_eq!(m.text, "Rehearsal at 8");
    assert!(m.edited_at.is_some());
    alice.delete(group, &id[..6], t(7)).unwrap();
    sync(&mut alice, &mut bob);
    let m = &bob.store().messages(group).unwrap()[0];
    assert!(m.deleted && m.text.is_empty());
    assert!(alice.send(group, "   ", None, t(8)).is_err());
    let stranger = Device::new("eve").me();
    assert!(
        alice
            .store()
            .send_message(&stranger, group, "hi", None, t(8))
            .is_err()
    );
}

#[test]
fn tampered_replayed_and_forged_envelopes_are_refused() {
    let mut alice = Device::new("alice");
    let mut bob = Device::new("bob");
    let group = members_only_group(&mut alice, "Legal team");
    add(&mut alice, group, bob.id(), "bob");
    alice
        .send(group, "Lawyer's number: 0612", None, t(4))
        .unwrap();
    let log = rally_core::sealed::log_id(&group);
    let envelopes = alice.store().export_log(&log).unwrap();
    let strict = IngestPolicy {
        void_on_misbehaviour: true,
        ..IngestPolicy::default()
    };
    let before = bob.store().export_log(&log).unwrap().len();

    // Tampered: one byte of the ciphertext flipped.
    let mut tampered = envelopes.clone();
    let last = tampered.last_mut().unwrap();
    let n = last.bytes.len();
    last.bytes[n - 3] ^= 0x40;
    let r = bob.store().ingest_with(tampered, t(5), strict).unwrap();
    assert!(r.misbehaviour.is_some());
    assert_eq!(bob.store().export_log(&log).unwrap().len(), before);

    // Forged: a stranger signs an envelope under Alice's name.
    let eve = rally_core::Persona::generate();
    let mut forged = envelopes.last().unwrap().clone();
    forged.signature = eve.sign(b"anything");
    let r = bob.store().ingest_with(vec![forged], t(5), strict).unwrap();
    assert!(r.misbehaviour.is_some());

    // A change for the log that is not an envelope.
    let mut wrong = envelopes[0].clone();
    wrong.bytes = b"\x85\x6f\x4a\x83garbage".to_vec();
    assert!(!is_envelope(&wrong.bytes));
    let r = bob.store().ingest_with(vec![wrong], t(5), strict).unwrap();
    assert!(r.misbehaviour.is_some());
    assert_eq!(bob.store().export_log(&log).unwrap().len(), before);

    // The real ones, then the same again (a replay): stored once.
    let r = bob
        .store()
        .ingest_with(envelopes.clone(), t(5), strict)
        .unwrap();
    assert!(r.misbehaviour.is_none());
    assert_eq!(bob.texts(group), ["Lawyer's number: 0612"]);
    let r = bob
        .store()
        .ingest_with(envelopes.clone(), t(6), strict)
        .unwrap();
    assert_eq!(r.accepted, 0);
    assert_eq!(r.duplicates, envelopes.len());
    assert_eq!(bob.texts(group), ["Lawyer's number: 0612"]);

    // A stranger's sealed message under a made-up epoch is not shown.
    let eve_epoch = rally_core::sealed::EpochSecret::generate();
    let grant = rally_core::sealed::Grant {
        group: group.0,
        epoch: Some(eve_epoch.0),
        members: vec![eve.id().0, bob.id().0],
        document_keys: vec![],
        history: vec![],
    };
    let bob_key = rally_core::sealed::recipient_key(&bob.id()).unwrap();
    let g = Envelope::grant(&log, &eve, vec![], &grant, &[bob_key])
        .unwrap()
        .sign(&eve);
    let m = Envelope::seal(
        &log,
        &eve,
        vec![],
        &eve_epoch,
        &rally_core::sealed::Content::Message {
            text: "Click this link".into(),
            reply_to: None,
            at: 1,
        },
    )
    .unwrap()
    .sign(&eve);
    bob.store().ingest_with(vec![g, m], t(7), strict).unwrap();
    assert_eq!(bob.texts(group), ["Lawyer's number: 0612"]);
}

#[test]
fn concurrent_removals_made_offline_resolve_the_same_everywhere() {
    let mut alice = Device::new("alice");
    let mut ada = Device::new("ada");
    let mut xavier = Device::new("xavier");
    let mut yann = Device::new("yann");
    let group = members_only_group(&mut alice, "Coordination");
    let me = alice.me();
    let ada_id = ada.id();
    alice
        .store()
        .update(group, |g| {
            g.add_member(&me.persona, ada_id, "ada", Role::Admin, t(2))
        })
        .unwrap();
    add(&mut alice, group, xavier.id(), "xavier");
    add(&mut alice, group, yann.id(), "yann");
    sync(&mut alice, &mut ada);
    sync(&mut alice, &mut xavier);
    sync(&mut alice, &mut yann);

    // Offline, each admin removes someone, and talks.
    let (x, y) = (xavier.id(), yann.id());
    let me = alice.me();
    alice
        .store()
        .update(group, |g| g.remove_member(&me.persona, x, t(10)))
        .unwrap();
    alice
        .store()
        .send_message(&me, group, "Xavier is out", None, t(11))
        .unwrap();
    let ada_me = ada.me();
    ada.store()
        .update(group, |g| g.remove_member(&ada_me.persona, y, t(10)))
        .unwrap();
    ada.store()
        .send_message(&ada_me, group, "Yann is out", None, t(11))
        .unwrap();

    sync(&mut alice, &mut ada);
    let members = |d: &mut Device| -> Vec<PersonaId> {
        d.store()
            .load(group)
            .unwrap()
            .group()
            .unwrap()
            .members
            .keys()
            .copied()
            .collect()
    };
    assert_eq!(members(&mut alice), members(&mut ada));
    assert_eq!(members(&mut alice).len(), 2);
    assert_eq!(alice.texts(group), ada.texts(group));

    // The next message is for the two of them only.
    alice
        .store()
        .send_message(&me, group, "Just us now", None, t(12))
        .unwrap();
    sync(&mut alice, &mut ada);
    sync(&mut alice, &mut xavier);
    sync(&mut ada, &mut yann);
    assert!(ada.texts(group).contains(&"Just us now".to_owned()));
    assert!(!xavier.texts(group).contains(&"Just us now".to_owned()));
    assert!(!yann.texts(group).contains(&"Just us now".to_owned()));
    // Yann (removed by Ada, whom Alice did not know of yet) read Alice's "Xavier is
    // out", sealed before she learnt of it; nothing after both removals.
}

#[test]
fn a_member_who_leaves_is_seen_leaving_and_reads_nothing_after() {
    let mut alice = Device::new("alice");
    let mut bob = Device::new("bob");
    let group = members_only_group(&mut alice, "Reading circle");
    add(&mut alice, group, bob.id(), "bob");
    alice
        .send(group, "Next book: Germinal", None, t(4))
        .unwrap();
    sync(&mut alice, &mut bob);
    let me = bob.me();
    let bob_id = bob.id();
    bob.store()
        .update(group, |g| g.remove_member(&me.persona, bob_id, t(5)))
        .unwrap();
    assert!(bob.send(group, "one more thing", None, t(6)).is_err());
    let mut relay = Device::new("relay");
    sync(&mut bob, &mut relay);
    sync(&mut relay, &mut alice);
    let g = alice.store().load(group).unwrap().group().unwrap();
    assert!(!g.members.contains_key(&bob_id), "Alice sees Bob's leave");
    alice.send(group, "Bob has left us", None, t(7)).unwrap();
    sync(&mut alice, &mut bob);
    assert_eq!(bob.texts(group), ["Next book: Germinal"]);
}

/// What one persona offers never links it to another persona of the device: a
/// group log is offered by the persona that is a member (or that received it),
/// not by every persona on the device.
#[test]
fn a_groups_log_is_offered_by_its_member_persona_only() {
    use rally_core::protocol::Repo;
    let mut alice = Device::new("alice");
    let group = members_only_group(&mut alice, "Night shelter rota");
    alice.send(group, "Who takes Friday?", None, t(4)).unwrap();
    let log = rally_core::sealed::log_id(&group);
    let stranger = PersonaId([9; 32]);
    let offered = |repo: &mut SyncRepo| {
        repo.readable(&stranger)
            .unwrap()
            .iter()
            .any(|(d, _)| *d == log)
    };
    assert!(
        offered(alice.repo.as_mut().unwrap()),
        "the member offers it"
    );
    // A second persona on the same device, member of nothing.
    let repo = alice.repo.take().unwrap();
    let mut store = repo.into_store();
    let other = store.create_persona("anonymous", t(5)).unwrap();
    let mut other_repo = SyncRepo::new(store, other);
    assert!(!offered(&mut other_repo), "another persona offers the log");
}

/// A revoked invitation had been given the group's document key: what is written
/// after the revocation is sealed under a new epoch it was never given.
#[test]
fn a_revoked_invitation_reads_nothing_written_after_the_revocation() {
    let mut alice = Device::new("alice");
    let mut relay = Device::new("relay");
    let mut cleo = Device::new("cleo");
    let group = members_only_group(&mut alice, "Squat legal team");
    let before = secret_event(&mut alice, group, "Before the revocation");
    let me = alice.me();
    let (_, token) = alice
        .store()
        .update(group, |g| g.create_invite(&me.persona, t(5)))
        .unwrap();
    alice
        .store()
        .update(group, |g| {
            g.revoke_invite(&me.persona, &token.invite_id(), t(6))
        })
        .unwrap();
    let after = secret_event(&mut alice, group, "After the revocation");
    sync(&mut alice, &mut relay);

    // Cleo holds the revoked token and gets the whole log through a relay.
    let cleo_me = cleo.me();
    assert!(!cleo.store().join_group(&cleo_me, &token, t(7)).unwrap());
    sync(&mut cleo, &mut relay);
    assert!(
        cleo.store().load(before).is_ok(),
        "what the invitation was given stays readable"
    );
    assert!(
        cleo.store().load(after).is_err(),
        "the revoked token read what was written after its revocation"
    );
    let g = cleo.store().load(group).unwrap().group().unwrap();
    assert!(
        !g.members.contains_key(&cleo.id()),
        "a revoked token joins no one"
    );
}

/// A log's chain received newest-first, one envelope per batch (each waits for
/// the one before it), ends as received oldest-first: every envelope stored,
/// none left waiting — each arrival wakes only what it completes.
#[test]
fn a_chain_received_newest_first_is_stored_whole() {
    let mut alice = Device::new("alice");
    let group = members_only_group(&mut alice, "Legal observers");
    for i in 0..60 {
        alice
            .send(group, &format!("Report {i}"), None, t(4 + i))
            .unwrap();
    }
    let log = rally_core::sealed::log_id(&group);
    let envelopes = alice.store().export_log(&log).unwrap();
    assert!(envelopes.len() > 60, "{}", envelopes.len());
    let mut relay = Device::new("relay");
    let mut last = None;
    for e in envelopes.iter().rev() {
        let r = relay.store().ingest(vec![e.clone()], t(100)).unwrap();
        assert!(r.misbehaviour.is_none(), "{r:?}");
        last = Some(r);
    }
    let last = last.unwrap();
    assert_eq!(last.pending, 0, "{last:?}");
    assert_eq!(
        relay.store().export_log(&log).unwrap().len(),
        envelopes.len(),
        "every envelope stored"
    );
    // The same envelopes again are duplicates, waiting or not.
    let again = relay.store().ingest(envelopes.clone(), t(101)).unwrap();
    assert_eq!(again.accepted, 0);
    assert_eq!(again.pending, 0);
}

/// Orphans (envelopes whose predecessors never come) are capped per log and per
/// peer; a peer past a cap is refused, and what it left waiting is forgotten.
#[test]
fn a_peer_flooding_orphans_is_refused_and_its_orphans_forgotten() {
    let mallory = rally_core::Persona::generate();
    let orphans = |log: u8, ids: std::ops::Range<u32>| -> Vec<SignedChange> {
        ids.map(|i| {
            let mut dep = [log; 32];
            dep[..4].copy_from_slice(&i.to_be_bytes());
            Envelope {
                log: [log; 32],
                author: mallory.id().0,
                deps: vec![dep],
                body: Body::Grant { boxes: Vec::new() },
                expires: None,
            }
            .sign(&mallory)
        })
        .collect()
    };
    let mut dev = Device::new("dev");
    let from_mallory = IngestPolicy {
        void_on_misbehaviour: true,
        sender: Some(mallory.id()),
        ..IngestPolicy::default()
    };
    let waiting = |dev: &mut Device| -> i64 {
        let db = rusqlite::Connection::open(dev.dir.path().join(rally_store::DB_FILE)).unwrap();
        db.query_row("SELECT count(*) FROM waiting_envelopes", [], |r| r.get(0))
            .unwrap()
    };
    let first = dev
        .store()
        .ingest_with(orphans(1, 0..15_000), t(1), from_mallory)
        .unwrap();
    assert!(first.misbehaviour.is_none(), "{first:?}");
    assert_eq!(waiting(&mut dev), 15_000);
    // Past the cap of one log: refused, and the 15 000 waiting are forgotten.
    let second = dev
        .store()
        .ingest_with(orphans(1, 15_000..21_000), t(2), from_mallory)
        .unwrap();
    let why = second.misbehaviour.expect("refused");
    assert!(why.contains("waiting for predecessors"), "{why}");
    assert_eq!(
        waiting(&mut dev),
        0,
        "what the peer left waiting is forgotten"
    );
    // Spread over logs, the cap per peer holds too.
    let mut waited = 0;
    let mut refused = None;
    for log in 2..6u8 {
        let r = dev
            .store()
            .ingest_with(orphans(log, 0..12_000), t(3), from_mallory)
            .unwrap();
        if let Some(why) = r.misbehaviour {
            refused = Some(why);
            break;
        }
        waited += 12_000;
    }
    assert_eq!(waited, 36_000);
    assert!(refused.expect("refused").contains("from one peer"));
    assert_eq!(waiting(&mut dev), 0);
}

/// The envelopes of `group`'s log held by `dev` that still carry an expiring
/// body, and the stubs of expired ones.
fn expiring_held(dev: &mut Device, group: rally_core::DocId) -> (usize, usize) {
    let log = rally_core::sealed::log_id(&group);
    let held = dev.store().export_log(&log).unwrap();
    let detachable: Vec<_> = held
        .iter()
        .filter(|c| c.bytes.starts_with(&rally_core::sealed::detachable::MAGIC))
        .collect();
    let full = detachable
        .iter()
        .filter(|c| rally_core::sealed::stub_of(&c.bytes).is_some())
        .count();
    (full, detachable.len() - full)
}

/// `admin` sets `group`'s disappearing-message timer to an hour.
fn hour_timer(admin: &mut Device, group: rally_core::DocId, now: Timestamp) {
    let me = admin.me();
    admin
        .store()
        .update(group, |g| {
            g.set_disappearing(
                &me.persona,
                Some(rally_core::disappearing::Disappearing::HOUR),
                now,
            )
        })
        .unwrap()
        .expect("the timer changed");
}

/// A sweep that comes due while a transaction is open (a peer's session
/// starting inside a received batch flushes the beliefs) waits for the next
/// flush outside it: emptying the write-ahead log after a sweep is refused
/// inside a transaction, and the node would stop on that error.
#[test]
fn a_sweep_due_inside_a_batch_waits_for_the_next_flush() {
    let now = Timestamp::now();
    let later = Timestamp::from_second(now.as_second() + 2 * 3600).unwrap();
    let mut alice = Device::new("alice");
    let group = members_only_group(&mut alice, "Night shift");
    hour_timer(&mut alice, group, now);
    alice.send(group, "gone in an hour", None, now).unwrap();
    assert_eq!(expiring_held(&mut alice, group), (1, 0));
    let repo = alice.repo.as_mut().unwrap();
    repo.set_clock(Some(later));
    repo.begin_batch().unwrap();
    repo.flush().expect("a flush inside a batch");
    repo.commit_batch().unwrap();
    assert_eq!(expiring_held(&mut alice, group), (1, 0), "not swept yet");
    alice
        .repo
        .as_mut()
        .unwrap()
        .flush()
        .expect("a flush outside");
    assert_eq!(expiring_held(&mut alice, group), (0, 1));
    assert!(alice.texts(group).is_empty());
}

/// Disappearing messages: sent under the group's timer they are read until
/// they expire; then each device drops them by its own clock, offline too; a
/// relay keeps only their stubs; a member who was away gets the stub only,
/// and the log goes on past it. A stub handed over before its time is not
/// taken, so a relay cannot make a message vanish early.
#[test]
fn disappearing_messages_expire_everywhere_and_the_log_goes_on() {
    let now = Timestamp::now();
    let later = Timestamp::from_second(now.as_second() + 2 * 3600).unwrap();
    let mut alice = Device::new("alice");
    let mut bob = Device::new("bob");
    let mut carol = Device::new("carol");
    let mut relay = Device::new("relay");
    let group = members_only_group(&mut alice, "Night shift");
    add(&mut alice, group, bob.id(), "bob");
    add(&mut alice, group, carol.id(), "carol");
    alice.send(group, "this one stays", None, now).unwrap();
    hour_timer(&mut alice, group, now);
    sync(&mut alice, &mut relay);
    sync(&mut relay, &mut carol);
    let id = alice
        .send(group, "meet at the back door", None, now)
        .unwrap();
    let sent = alice.store().messages(group).unwrap();
    assert_eq!(
        sent.iter().map(|m| m.expires).collect::<Vec<_>>(),
        [None, Some(now.as_millisecond() + 3_600_000)]
    );

    // Bob reads it before it expires; Carol is away.
    sync(&mut alice, &mut relay);
    sync(&mut relay, &mut bob);
    assert_eq!(
        bob.texts(group),
        ["this one stays", "meet at the back door"]
    );
    assert_eq!(expiring_held(&mut relay, group), (1, 0));

    // Two hours later, each by its own clock, Bob offline.
    for dev in [&mut alice, &mut bob, &mut relay] {
        dev.repo.as_mut().unwrap().set_clock(Some(later));
        let swept = dev.store().sweep_expired(later).unwrap();
        assert_eq!(swept.envelopes, 1);
    }
    assert_eq!(alice.texts(group), ["this one stays"]);
    assert_eq!(bob.texts(group), ["this one stays"]);
    assert_eq!(expiring_held(&mut relay, group), (0, 1));
    assert_eq!(expiring_held(&mut bob, group), (0, 1));
    assert!(
        alice
            .edit(group, &id[..8], "changed", later)
            .is_err_and(|e| matches!(e, rally_store::StoreError::NoMessage(_))),
        "an expired message cannot be edited"
    );
    reopen(&mut bob);
    let files = all_bytes(bob.dir.path());
    assert!(
        files.contains("this one stays"),
        "the search finds plaintext"
    );
    assert!(
        !files.contains("meet at the back door"),
        "the expired text is still in Bob's files"
    );

    // Carol comes back: she gets the stub, never the message, and what is
    // said after it reaches her.
    carol.repo.as_mut().unwrap().set_clock(Some(later));
    sync(&mut carol, &mut relay);
    assert_eq!(carol.texts(group), ["this one stays"]);
    assert_eq!(expiring_held(&mut carol, group), (0, 1));
    alice.send(group, "new plan", None, later).unwrap();
    sync(&mut alice, &mut relay);
    sync(&mut relay, &mut carol);
    assert_eq!(carol.texts(group), ["this one stays", "new plan"]);

    // A stub handed over before its time is not taken; the full envelope,
    // from another peer, still is.
    let log = rally_core::sealed::log_id(&group);
    let full = alice
        .store()
        .export_log(&log)
        .unwrap()
        .into_iter()
        .rfind(|c| rally_core::sealed::stub_of(&c.bytes).is_some())
        .expect("the new plan, not expired");
    let stub = SignedChange {
        bytes: rally_core::sealed::stub_of(&full.bytes).unwrap(),
        ..full.clone()
    };
    let report = bob.store().ingest(vec![stub], later).unwrap();
    assert_eq!(report.accepted, 0);
    assert!(report.reasons.iter().any(|r| r.contains("not expired yet")));
    assert_eq!(bob.texts(group), ["this one stays"]);
    let report = bob.store().ingest(vec![full], later).unwrap();
    assert_eq!(report.accepted, 1);
    assert_eq!(bob.texts(group), ["this one stays", "new plan"]);
}
