//! Permission rules, forgeries and convergence of the core, on real automerge
//! documents and real signatures.

use automerge::transaction::Transactable;
use automerge::{ObjType, ReadDoc};
use jiff::Timestamp;
use proptest::prelude::*;

use crate::document::Document;
use crate::model::*;
use crate::persona::Persona;
use crate::rules::Rejection;
use crate::signed::{SignatureError, SignedChange};
use crate::{EditError, InviteError, InviteToken, bundle};

fn t(secs: i64) -> Timestamp {
    Timestamp::from_second(1_780_000_000 + secs).unwrap()
}

fn details(title: &str) -> EventDetails {
    EventDetails::new(title, "2026-12-05T14:00".parse().unwrap(), "Europe/Paris")
}

fn event_by(p: &Persona) -> (Document, SignedChange) {
    Document::create_event(p, "Org", &details("March for the climate"), None, t(0)).unwrap()
}

fn group_by(p: &Persona) -> (Document, SignedChange) {
    let profile = GroupProfile {
        name: "Collective".into(),
        summary: String::new(),
        visibility: GroupVisibility::Public,
        avatar: None,
    };
    Document::create_group(p, "Admin", &profile, t(0)).unwrap()
}

/// A second replica that received everything `doc` has.
fn replica(doc: &Document) -> Document {
    let mut r = Document::empty(doc.id());
    let receipt = r.receive(doc.signed_changes());
    assert!(receipt.rejected.is_empty(), "{:?}", receipt.rejected);
    r
}

/// Entries added concurrently to a map that nobody had written to yet are all
/// kept: the maps exist from the genesis on (otherwise each replica would create
/// its own, and only one would be read after merging).
#[test]
fn concurrent_first_entries_are_all_kept() {
    let (org, ana, ben) = (
        Persona::generate(),
        Persona::generate(),
        Persona::generate(),
    );
    let (event, _) = event_by(&org);
    let (mut a, mut b) = (replica(&event), replica(&event));
    a.join_event(&ana, "Ana", t(1)).unwrap();
    b.join_event(&ben, "Ben", t(1)).unwrap();
    a.comment(&ana, "Ana", "first", None, t(2)).unwrap();
    b.comment(&ben, "Ben", "also first", None, t(2)).unwrap();
    a.receive(b.signed_changes());
    b.receive(a.signed_changes());
    for doc in [&a, &b] {
        let view = doc.event().unwrap();
        assert_eq!(view.participants.len(), 2, "a participation was lost");
        assert_eq!(view.comments.len(), 2, "a comment was lost");
    }

    let (group, _) = group_by(&org);
    let mut a = replica(&group);
    a.add_member(&org, ana.id(), "Ana", Role::Moderator, t(1))
        .unwrap();
    a.add_member(&org, ben.id(), "Ben", Role::Moderator, t(1))
        .unwrap();
    let mut b = replica(&a);
    let (e1, e2) = (event_by(&ana).0.id(), event_by(&ben).0.id());
    a.set_group_event(&ana, e1, true, t(2)).unwrap();
    b.set_group_event(&ben, e2, true, t(2)).unwrap();
    a.receive(b.signed_changes());
    b.receive(a.signed_changes());
    for doc in [&a, &b] {
        assert_eq!(doc.group().unwrap().events.len(), 2, "a listing was lost");
    }
}

/// `items` in an order drawn from `seed` (deterministic: xorshift).
pub(crate) fn shuffled<T: Clone>(items: &[T], seed: u64) -> Vec<T> {
    let mut order = items.to_vec();
    let mut s = seed | 1;
    for i in (1..order.len()).rev() {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        order.swap(i, (s % (i as u64 + 1)) as usize);
    }
    order
}

fn refused(result: Result<SignedChange, EditError>) -> Rejection {
    match result {
        Err(EditError::Refused(r)) => r,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

fn rejected_on_receipt(doc: &mut Document, change: SignedChange) -> Rejection {
    let before = doc.heads();
    let mut receipt = doc.receive([change]);
    assert!(receipt.accepted.is_empty(), "a forged change was accepted");
    assert_eq!(doc.heads(), before, "the document changed");
    receipt.rejected.pop().expect("rejected").2
}

#[test]
fn organiser_edits_details_and_others_cannot() {
    let alice = Persona::generate();
    let bob = Persona::generate();
    let (mut doc, _) = event_by(&alice);
    let mut d = details("New title");
    doc.update_event(&alice, &d, t(1)).unwrap();
    assert_eq!(doc.event().unwrap().details.title, "New title");

    d.title = "Hijacked".into();
    let r = refused(doc.update_event(&bob, &d, t(2)));
    assert!(matches!(r, Rejection::NotAllowed(_)), "{r}");
    assert_eq!(doc.event().unwrap().details.title, "New title");

    let mut other = replica(&doc);
    let forged = doc.forge(&bob, t(3), |tx| {
        let details = tx.get(automerge::ROOT, "details")?.unwrap().1;
        tx.put(&details, "title", "Hijacked")
    });
    rejected_on_receipt(&mut other, forged);
    assert_eq!(other.event().unwrap().details.title, "New title");
}

#[test]
fn a_copied_event_keeps_its_origin_for_good() {
    let proxy = Persona::generate();
    let origin = "https://mobilizon.example/events/42";
    let (mut doc, genesis) =
        Document::copy_event(&proxy, "Climate group", &details("Copied"), origin, t(0)).unwrap();
    let mut other = Document::empty(doc.id());
    other.receive([genesis]);
    assert_eq!(other.event().unwrap().origin.as_deref(), Some(origin));
    assert!(Document::copy_event(&proxy, "X", &details("Copied"), "ftp://x", t(0)).is_err());

    let forged = doc.forge(&proxy, t(1), |tx| {
        tx.put(
            automerge::ROOT,
            "origin",
            "https://elsewhere.example/events/1",
        )
    });
    let r = rejected_on_receipt(&mut doc, forged);
    assert!(
        matches!(r, Rejection::Immutable(ref f) if f == "origin"),
        "{r}"
    );
    assert_eq!(doc.event().unwrap().origin.as_deref(), Some(origin));

    let (mut local, _) = event_by(&proxy);
    let forged = local.forge(&proxy, t(1), |tx| {
        tx.put(
            automerge::ROOT,
            "origin",
            "https://elsewhere.example/events/1",
        )
    });
    let r = rejected_on_receipt(&mut local, forged);
    assert!(
        matches!(r, Rejection::Immutable(ref f) if f == "origin"),
        "{r}"
    );
    assert_eq!(local.event().unwrap().origin, None);
}

#[test]
fn added_organisers_may_edit_and_the_creator_stays() {
    let alice = Persona::generate();
    let bob = Persona::generate();
    let (mut doc, _) = event_by(&alice);
    doc.add_organiser(&alice, bob.id(), "Bob", t(1)).unwrap();
    doc.update_event(&bob, &details("Bob's edit"), t(2))
        .unwrap();
    let forged = doc.forge(&bob, t(3), |tx| {
        let o = tx.get(automerge::ROOT, "organisers")?.unwrap().1;
        tx.delete(&o, alice.id().to_hex())
    });
    let mut other = replica(&doc);
    rejected_on_receipt(&mut other, forged);
}

#[test]
fn participants_change_only_their_own_participation() {
    let alice = Persona::generate();
    let bob = Persona::generate();
    let carol = Persona::generate();
    let (mut doc, _) = event_by(&alice);
    let (_, status) = doc.join_event(&bob, "Bob", t(1)).unwrap();
    assert_eq!(status, ParticipationStatus::Going);
    let r = refused(doc.edit(&carol, t(2), |tx| {
        let p = tx.get(automerge::ROOT, "participants")?.unwrap().1;
        let b = tx.get(&p, bob.id().to_hex())?.unwrap().1;
        tx.put(&b, "status", "declined")?;
        Ok(())
    }));
    assert!(matches!(r, Rejection::NotAllowed(_)));
    doc.leave_event(&bob, t(3)).unwrap();
    assert!(doc.event().unwrap().participants.is_empty());
}

#[test]
fn approval_mode_needs_an_organiser() {
    let alice = Persona::generate();
    let bob = Persona::generate();
    let (mut doc, _) = event_by(&alice);
    let mut d = details("Approval");
    d.join_mode = JoinMode::Approval;
    doc.update_event(&alice, &d, t(1)).unwrap();
    let (_, status) = doc.join_event(&bob, "Bob", t(2)).unwrap();
    assert_eq!(status, ParticipationStatus::Pending);
    refused(doc.set_participation(&bob, "Bob", ParticipationStatus::Going, t(3)));
    doc.decide_participation(&alice, bob.id(), ParticipationStatus::Going, t(4))
        .unwrap();
    assert_eq!(
        doc.event().unwrap().participants[&bob.id()].status,
        ParticipationStatus::Going
    );
}

#[test]
fn invite_mode_and_capacity() {
    let alice = Persona::generate();
    let bob = Persona::generate();
    let carol = Persona::generate();
    let (mut doc, _) = event_by(&alice);
    let mut d = details("Small");
    d.join_mode = JoinMode::Invite;
    d.capacity = Some(1);
    doc.update_event(&alice, &d, t(1)).unwrap();
    refused(doc.join_event(&bob, "Bob", t(2)).map(|x| x.0));
    doc.invite_to_event(&alice, bob.id(), t(3)).unwrap();
    doc.invite_to_event(&alice, carol.id(), t(3)).unwrap();
    doc.join_event(&bob, "Bob", t(4)).unwrap();
    let r = refused(doc.join_event(&carol, "Carol", t(5)).map(|x| x.0));
    assert_eq!(r, Rejection::NotAllowed("the event is full".into()));
}

#[test]
fn comments_replies_edits_and_deletes() {
    let alice = Persona::generate();
    let bob = Persona::generate();
    let (mut doc, _) = event_by(&alice);
    let (_, c1) = doc
        .comment(&bob, "Bob", "See you there", None, t(1))
        .unwrap();
    let (_, c2) = doc
        .comment(&alice, "Org", "Bring water", Some(&c1), t(2))
        .unwrap();
    assert!(matches!(
        doc.comment(&bob, "Bob", "deeper", Some(&c2), t(3)),
        Err(EditError::Refused(_))
    ));
    refused(doc.edit_comment(&alice, &c1, "Alice rewrote Bob", t(4)));
    refused(doc.delete_comment(&alice, &c1, t(4)));
    doc.edit_comment(&bob, &c1, "See you at noon", t(5))
        .unwrap();
    doc.hide_comment(&alice, &c1, true, t(6)).unwrap();
    refused(doc.hide_comment(&bob, &c2, true, t(6)));
    doc.delete_comment(&alice, &c2, t(7)).unwrap();
    let view = doc.event().unwrap();
    let c1v = view.comment(&c1).unwrap();
    assert_eq!(
        (c1v.body.as_str(), c1v.hidden, c1v.edited_at.is_some()),
        ("See you at noon", true, true)
    );
    assert!(view.comment(&c2).unwrap().deleted);

    // A forged comment in someone else's name.
    let mut other = replica(&doc);
    let forged = doc.forge(&bob, t(8), |tx| {
        let cs = tx.get(automerge::ROOT, "comments")?.unwrap().1;
        let c = tx.put_object(&cs, "deadbeefdeadbeef", ObjType::Map)?;
        tx.put(&c, "author", alice.id().to_hex())?;
        tx.put(&c, "name", "Org")?;
        tx.put(&c, "body", "I cancel everything")?;
        tx.put(&c, "created_at", 10_i64)
    });
    rejected_on_receipt(&mut other, forged);
}

/// Only admins set the group's disappearing-messages timer; every replica
/// reads the same one, and a profile edit keeps it.
#[test]
fn only_admins_set_the_disappearing_timer() {
    use crate::disappearing::Disappearing;
    let (alice, bob) = (Persona::generate(), Persona::generate());
    let (mut doc, _) = group_by(&alice);
    let (_, token) = doc.create_invite(&alice, t(1)).unwrap();
    let token = InviteToken::decode(&token.encode()).unwrap();
    doc.join_group(&bob, "Bob", &token, t(2)).unwrap();
    assert_eq!(doc.group().unwrap().disappearing, None);
    match doc.set_disappearing(&bob, Some(Disappearing::HOUR), t(3)) {
        Err(EditError::Refused(_)) => {}
        other => panic!("a member set the timer: {other:?}"),
    }
    doc.set_disappearing(&alice, Some(Disappearing::DAY), t(4))
        .unwrap()
        .expect("a change");
    assert!(
        doc.set_disappearing(&alice, Some(Disappearing::DAY), t(5))
            .unwrap()
            .is_none()
    );
    assert!(
        doc.set_disappearing(&alice, Some(Disappearing(5)), t(5))
            .is_err()
    );
    let mut profile = doc.group().unwrap().profile;
    profile.name = "Renamed".into();
    doc.update_group_profile(&alice, &profile, t(6)).unwrap();
    let copy = replica(&doc);
    assert_eq!(copy.group().unwrap().disappearing, Some(Disappearing::DAY));
    doc.set_disappearing(&alice, None, t(7)).unwrap();
    assert_eq!(replica(&doc).group().unwrap().disappearing, None);

    // A forged timer by a member is refused by every replica.
    let mut other = replica(&doc);
    let forged = doc.forge(&bob, t(8), |tx| {
        let p = tx.get(automerge::ROOT, "profile")?.unwrap().1;
        tx.put(&p, "disappearing", 60)?;
        Ok(())
    });
    rejected_on_receipt(&mut other, forged);
}

#[test]
fn group_roles_invitations_and_last_admin() {
    let alice = Persona::generate();
    let bob = Persona::generate();
    let carol = Persona::generate();
    let (mut doc, _) = group_by(&alice);
    let (_, token) = doc.create_invite(&alice, t(1)).unwrap();
    let token = InviteToken::decode(&token.encode()).unwrap();
    doc.join_group(&bob, "Bob", &token, t(2)).unwrap();
    assert_eq!(doc.group().unwrap().role_of(&bob.id()), Some(Role::Member));
    refused(doc.set_role(&bob, bob.id(), Role::Admin, t(3)));
    refused(doc.update_group_profile(
        &bob,
        &GroupProfile {
            name: "Mine".into(),
            summary: String::new(),
            visibility: GroupVisibility::Public,
            avatar: None,
        },
        t(3),
    ));
    doc.set_role(&alice, bob.id(), Role::Moderator, t(4))
        .unwrap();
    let link = GroupLink {
        id: "pad".into(),
        title: "Pad".into(),
        url: "https://pad.example/x".into(),
    };
    doc.put_link(&bob, &link, t(5)).unwrap();
    refused(doc.remove_member(&alice, alice.id(), t(6)));
    doc.revoke_invite(&alice, &token.invite_id(), t(7)).unwrap();
    refused(doc.join_group(&carol, "Carol", &token, t(8)));

    // A forged self-join with no valid invitation signature.
    let mut other = replica(&doc);
    let forged = doc.forge(&carol, t(9), |tx| {
        let m = tx.get(automerge::ROOT, "members")?.unwrap().1;
        let c = tx.put_object(&m, carol.id().to_hex(), ObjType::Map)?;
        tx.put(&c, "name", "Carol")?;
        tx.put(&c, "role", "member")?;
        tx.put(&c, "joined_at", 9_i64)
    });
    rejected_on_receipt(&mut other, forged);
}

#[test]
fn tampered_and_misattributed_changes_are_rejected() {
    let alice = Persona::generate();
    let bob = Persona::generate();
    let (doc, genesis) = event_by(&alice);
    let mut fresh = Document::empty(doc.id());
    let mut tampered = genesis.clone();
    let last = tampered.bytes.len() - 1;
    tampered.bytes[last] ^= 1;
    assert!(matches!(
        fresh.receive([tampered]).rejected[0].2,
        Rejection::Signature(SignatureError::Malformed | SignatureError::BadSignature)
    ));
    let mut resigned = genesis.clone();
    resigned.author = bob.id();
    assert!(matches!(
        fresh.receive([resigned]).rejected[0].2,
        Rejection::Signature(SignatureError::ActorMismatch)
    ));
    let mut bad_sig = genesis.clone();
    bad_sig.signature[0] ^= 1;
    assert!(matches!(
        fresh.receive([bad_sig]).rejected[0].2,
        Rejection::Signature(SignatureError::BadSignature)
    ));
    assert!(fresh.receive([genesis.clone()]).accepted.len() == 1);

    // A change written on a doc it does not belong to.
    let (_, other_genesis) = event_by(&alice);
    let mut moved = other_genesis.clone();
    moved.doc = doc.id();
    assert!(!fresh.receive([moved]).rejected.is_empty());

    // A change that depends on a rejected change is rejected as well.
    let forged = doc.forge(&bob, t(1), |tx| {
        let d = tx.get(automerge::ROOT, "details")?.unwrap().1;
        tx.put(&d, "title", "forged")
    });
    let mut chain = vec![forged.clone()];
    let follow = {
        // Build the dependent change on a replica that (wrongly) holds the forged one.
        let mut cheat = doc.clone();
        cheat_apply(&mut cheat, &forged);
        cheat.forge(&bob, t(2), |tx| {
            let d = tx.get(automerge::ROOT, "details")?.unwrap().1;
            tx.put(&d, "description", "more")
        })
    };
    chain.push(follow);
    chain.reverse();
    let receipt = fresh.receive(chain);
    assert_eq!(receipt.rejected.len(), 2);
    assert!(
        receipt
            .rejected
            .iter()
            .any(|r| r.2 == Rejection::DependsOnRejected)
    );
    assert_eq!(
        fresh.event().unwrap().details.title,
        "March for the climate"
    );
}

/// Applies a change bypassing the rule, to build a history an honest peer refuses.
fn cheat_apply(doc: &mut Document, change: &SignedChange) {
    *doc = Document::from_trusted(
        doc.id(),
        doc.signed_changes()
            .into_iter()
            .chain([change.clone()])
            .collect(),
        Vec::new(),
    )
    .unwrap();
}

#[test]
fn operations_outside_the_causal_past_are_rejected() {
    // Bob (a participant) writes a change whose deps exclude Alice's concurrent
    // comment but whose operation deletes that comment's body.
    let alice = Persona::generate();
    let bob = Persona::generate();
    let (mut doc, _) = event_by(&alice);
    let base = doc.clone();
    let (_, cid) = doc
        .comment(&alice, "Org", "Meet at the square", None, t(1))
        .unwrap();
    let with_comment = doc.forge(&bob, t(2), |tx| {
        let cs = tx.get(automerge::ROOT, "comments")?.unwrap().1;
        let c = tx.get(&cs, cid.as_str())?.unwrap().1;
        tx.delete(&c, "body")
    });
    // Rewrite its deps to the base heads, as a forger crafting a change would.
    let mut expanded = automerge::Change::try_from(with_comment.bytes.as_slice())
        .unwrap()
        .decode();
    expanded.deps = base.heads();
    expanded.hash = None;
    let crafted_change: automerge::Change = expanded.into();
    let crafted = SignedChange::sign(doc.id(), &bob, &crafted_change);
    let before = doc.event().unwrap();
    let receipt = doc.receive([crafted]);
    assert_eq!(
        receipt.rejected.first().map(|r| r.2.clone()),
        Some(Rejection::ForeignReference)
    );
    assert_eq!(doc.event().unwrap(), before);
}

#[test]
fn bundle_round_trip_and_hostile_bytes() {
    let alice = Persona::generate();
    let (mut doc, _) = event_by(&alice);
    doc.comment(&alice, "Org", "hello", None, t(1)).unwrap();
    let changes = doc.signed_changes();
    let bytes = bundle::encode(&changes);
    assert_eq!(bundle::decode(&bytes).unwrap(), changes);
    for cut in [0, 3, 10, bytes.len() - 1] {
        assert!(bundle::decode(&bytes[..cut]).is_err(), "cut at {cut}");
    }
    assert!(bundle::decode(b"RLYB\x09").is_err());
}

#[test]
fn invalid_input_is_refused_before_any_change() {
    let alice = Persona::generate();
    let bad = [
        EventDetails {
            title: "  ".into(),
            ..details("x")
        },
        EventDetails {
            time_zone: "Mars/Olympus".into(),
            ..details("x")
        },
        EventDetails {
            ends: Some("2026-12-05T13:00".parse().unwrap()),
            ..details("x")
        },
        EventDetails {
            capacity: Some(0),
            ..details("x")
        },
        EventDetails {
            online_url: Some("javascript:alert(1)".into()),
            ..details("x")
        },
        EventDetails {
            place: Place {
                latitude: Some(91.0),
                longitude: Some(0.0),
                ..Place::default()
            },
            ..details("x")
        },
    ];
    for d in bad {
        assert!(
            matches!(
                Document::create_event(&alice, "A", &d, None, t(0)),
                Err(EditError::Invalid(_))
            ),
            "{d:?}"
        );
    }
}

// ----- convergence -----

#[derive(Debug, Clone)]
enum Op {
    Edit {
        who: usize,
        title: u8,
    },
    Join {
        who: usize,
    },
    Leave {
        who: usize,
    },
    Comment {
        who: usize,
        reply: bool,
    },
    AddOrganiser {
        who: usize,
        whom: usize,
    },
    /// A change the author may not make, signed anyway.
    Forge {
        who: usize,
    },
}

fn op_strategy() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0..3usize, any::<u8>()).prop_map(|(who, title)| Op::Edit { who, title }),
        (0..3usize).prop_map(|who| Op::Join { who }),
        (0..3usize).prop_map(|who| Op::Leave { who }),
        (0..3usize, any::<bool>()).prop_map(|(who, reply)| Op::Comment { who, reply }),
        (0..3usize, 0..3usize).prop_map(|(who, whom)| Op::AddOrganiser { who, whom }),
        (1..3usize).prop_map(|who| Op::Forge { who }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, .. ProptestConfig::default() })]

    /// Three personas edit three diverging replicas; every change (including forged
    /// ones) is then delivered to fresh replicas in different orders. All converge to
    /// the same state and reject the same changes.
    #[test]
    fn replicas_converge_whatever_the_order(ops in prop::collection::vec((0..3usize, op_strategy()), 1..24), seeds in prop::collection::vec(any::<u64>(), 3)) {
        let personas: Vec<Persona> = (0..3).map(|_| Persona::generate()).collect();
        let (origin, _) = event_by(&personas[0]);
        let mut replicas = [origin.clone(), replica(&origin), replica(&origin)];
        let mut all: Vec<SignedChange> = origin.signed_changes();
        for (step, (at, op)) in ops.iter().enumerate() {
            let now = t(step as i64 + 1);
            let doc = &mut replicas[*at];
            let made: Option<SignedChange> = match op {
                Op::Edit { who, title } => doc.update_event(&personas[*who], &details(&format!("title {title}")), now).ok(),
                Op::Join { who } => doc.join_event(&personas[*who], "P", now).ok().map(|x| x.0),
                Op::Leave { who } => doc.leave_event(&personas[*who], now).ok(),
                Op::Comment { who, reply } => {
                    let parent = if *reply { doc.event().unwrap().comments.iter().find(|c| c.reply_to.is_none()).map(|c| c.id.clone()) } else { None };
                    doc.comment(&personas[*who], "P", "hello", parent.as_deref(), now).ok().map(|x| x.0)
                }
                Op::AddOrganiser { who, whom } => doc.add_organiser(&personas[*who], personas[*whom].id(), "O", now).ok(),
                Op::Forge { who } => {
                    let who = &personas[*who];
                    if doc.event().unwrap().is_organiser(&who.id()) { None } else {
                        Some(doc.forge(who, now, |tx| {
                            let d = tx.get(automerge::ROOT, "details")?.unwrap().1;
                            tx.put(&d, "title", "forged")
                        }))
                    }
                }
            };
            if let Some(c) = made { all.push(c); }
            // Occasionally let two replicas exchange what they have.
            if step % 5 == 4 {
                let from = replicas[(at + 1) % 3].signed_changes();
                replicas[*at].receive(from);
            }
        }
        let mut outcomes = Vec::new();
        for seed in seeds {
            let order = shuffled(&all, seed);
            // Deliver in two halves, the second one twice, to exercise pending and duplicates.
            let half = order.len() / 2;
            let mut r = Document::empty(origin.id());
            r.receive(order[..half].to_vec());
            r.receive(order[half..].to_vec());
            r.receive(order[half..].to_vec());
            prop_assert_eq!(r.pending_count(), 0);
            let mut rejected: Vec<_> = all.iter().filter_map(|c| automerge::Change::try_from(c.bytes.as_slice()).ok()).map(|c| c.hash()).filter(|h| r.is_rejected(h)).collect();
            rejected.sort();
            let mut heads = r.heads();
            heads.sort();
            outcomes.push((heads, rejected, r.event().unwrap()));
        }
        for o in &outcomes[1..] {
            prop_assert_eq!(o, &outcomes[0]);
        }
        prop_assert!(outcomes[0].2.details.title != "forged");
    }
}

#[test]
fn invitations_expire_by_the_rule_and_single_use_ones_serve_once() {
    let alice = Persona::generate();
    let (bob, carol, dan) = (
        Persona::generate(),
        Persona::generate(),
        Persona::generate(),
    );
    let (mut doc, _) = group_by(&alice);
    // Expiry is the rule's: a join made after it is refused on every replica.
    let (_, expiring) = doc
        .create_invite_with(
            &alice,
            t(1),
            InviteLimits {
                single_use: false,
                expires_at: Some(t(5).as_second()),
            },
        )
        .unwrap();
    let mut other = replica(&doc);
    refused(doc.join_group(&carol, "Carol", &expiring, t(6)));
    other.join_group(&bob, "Bob", &expiring, t(4)).unwrap();
    assert!(
        doc.create_invite_with(
            &alice,
            t(9),
            InviteLimits {
                single_use: false,
                expires_at: Some(t(8).as_second()),
            },
        )
        .is_err(),
        "an invitation that expires before it is made"
    );
    // Single use: the group says when it has been used, and a later join is
    // turned away by the device (not the rule).
    let (_, once) = doc
        .create_invite_with(
            &alice,
            t(10),
            InviteLimits {
                single_use: true,
                expires_at: None,
            },
        )
        .unwrap();
    let view = doc.group().unwrap();
    assert!(
        view.open_invite(&once.invite_id(), t(11).as_second())
            .is_some()
    );
    assert!(
        view.open_invite(&expiring.invite_id(), t(11).as_second())
            .is_none()
    );
    doc.join_group(&carol, "Carol", &once, t(11)).unwrap();
    let view = doc.group().unwrap();
    assert!(view.invite_used(&once.invite_id()));
    assert!(
        view.open_invite(&once.invite_id(), t(12).as_second())
            .is_none()
    );
    assert!(matches!(
        doc.join_group(&dan, "Dan", &once, t(12)),
        Err(EditError::NotFound(_))
    ));
    // Limits are fixed when the invitation is made.
    let view = doc.group().unwrap();
    let i = view.invite(&once.invite_id()).unwrap();
    assert!(i.single_use && i.expires_at.is_none());
    // The proof a device shows a server holds for its persona only.
    let proof = once.proof(&dan.id());
    assert!(proof.holds_for(&dan.id()));
    assert!(!proof.holds_for(&carol.id()));
}

#[test]
fn an_invitation_reads_back_from_its_token_and_its_links() {
    let alice = Persona::generate();
    let (mut doc, _) = group_by(&alice);
    let (_, token) = doc.create_invite(&alice, t(1)).unwrap();
    let link = token.link();
    assert!(link.starts_with("rally://invite/"), "{link}");
    let code = &link["rally://invite/".len()..];
    for text in [
        token.encode(),
        link.clone(),
        format!("  {link}\n"),
        format!("https://rally.example/invite#{code}"),
    ] {
        let back = InviteToken::decode(&text).unwrap();
        assert_eq!(back.encode(), token.encode(), "{text}");
    }
    for text in [
        format!("https://rally.example/events#{code}"),
        format!("rally://event/{code}"),
        code.to_owned(),
    ] {
        assert!(
            matches!(InviteToken::decode(&text), Err(InviteError::NotAnInvite)),
            "{text}"
        );
    }
    assert!(matches!(
        InviteToken::decode("rally://invite/AAAA"),
        Err(InviteError::Damaged)
    ));
}

fn picture(seed: u8) -> crate::picture::Picture {
    crate::picture::Picture {
        hash: crate::picture::BlobHash([seed; 32]),
        width: 320,
        height: 640,
        size: 20_000,
        card: crate::picture::BlobHash([seed.wrapping_add(1); 32]),
        card_width: 240,
        card_height: 480,
        alt: "A face".into(),
    }
}

/// Writes `avatar` into `map/<persona>` by hand, as a modified client would.
fn write_avatar_of(
    doc: &mut Document,
    author: &Persona,
    map: &'static str,
    persona: crate::ids::PersonaId,
    avatar: &crate::picture::Picture,
) -> Result<SignedChange, EditError> {
    let encoded = avatar.encode();
    doc.edit(author, t(9), move |tx| {
        let (_, container) = tx.get(automerge::ROOT, map).unwrap().unwrap();
        let (_, entry) = tx.get(&container, persona.to_hex()).unwrap().unwrap();
        tx.put(&entry, "avatar", encoded).unwrap();
        Ok(())
    })
}

#[test]
fn personas_choose_their_own_pictures_and_nobody_else_does() {
    let ana = Persona::generate();
    let ben = Persona::generate();
    let (mut group, _) = group_by(&ana);
    group
        .add_member(&ana, ben.id(), "ben", Role::Member, t(1))
        .unwrap();
    assert!(
        group
            .set_own_avatar(&ben, Some(&picture(1)), t(2))
            .unwrap()
            .is_some()
    );
    assert_eq!(
        group.group().unwrap().members[&ben.id()].avatar,
        Some(picture(1))
    );
    // Setting it again changes nothing.
    assert!(
        group
            .set_own_avatar(&ben, Some(&picture(1)), t(3))
            .unwrap()
            .is_none()
    );
    // An admin cannot put another picture on a member.
    let r = refused(write_avatar_of(
        &mut group,
        &ana,
        "members",
        ben.id(),
        &picture(7),
    ));
    assert!(matches!(r, Rejection::NotAllowed(_)), "{r}");
    assert_eq!(
        group.group().unwrap().members[&ben.id()].avatar,
        Some(picture(1))
    );
    assert!(group.group().unwrap().blobs().contains(&picture(1).hash));

    let (mut event, _) = event_by(&ana);
    event.join_event(&ben, "ben", t(4)).unwrap();
    assert!(
        event
            .set_own_avatar(&ben, Some(&picture(2)), t(5))
            .unwrap()
            .is_some()
    );
    // Nor can an organiser on a participant.
    let r = refused(write_avatar_of(
        &mut event,
        &ana,
        "participants",
        ben.id(),
        &picture(8),
    ));
    assert!(matches!(r, Rejection::NotAllowed(_)), "{r}");
    assert_eq!(
        event.event().unwrap().participants[&ben.id()].avatar,
        Some(picture(2))
    );
    // Nobody without an entry gets one by setting a picture.
    let cleo = Persona::generate();
    assert!(
        event
            .set_own_avatar(&cleo, Some(&picture(3)), t(6))
            .unwrap()
            .is_none()
    );
}

fn point(id: &str, label: &str, lat: f64, lon: f64) -> crate::march_map::MapPoint {
    crate::march_map::MapPoint {
        id: id.into(),
        label: label.into(),
        at: crate::march_map::LatLon { lat, lon },
    }
}

#[test]
fn the_march_map_is_the_organisers_and_concurrent_points_are_all_kept() {
    use crate::march_map::LatLon;
    let alice = Persona::generate();
    let bob = Persona::generate();
    let mallory = Persona::generate();
    let (mut doc, _) = event_by(&alice);
    doc.add_organiser(&alice, bob.id(), "Bob", t(1)).unwrap();
    let mut d = doc.event().unwrap().details;
    d.route = vec![
        LatLon {
            lat: 45.7578,
            lon: 4.8320,
        },
        LatLon {
            lat: 45.7640,
            lon: 4.8357,
        },
        LatLon {
            lat: 45.7676,
            lon: 4.8344,
        },
    ];
    d.points = vec![point("01", "Meeting point", 45.7578, 4.8320)];
    doc.update_event(&alice, &d, t(2)).unwrap();
    let shown = doc.event().unwrap().details;
    assert_eq!(shown.route, d.route);
    assert_eq!(shown.points, d.points);

    // Two organisers add a point each, on two replicas, at once: both stay.
    let mut other = replica(&doc);
    let mut a = doc.event().unwrap().details;
    a.points.push(point("02", "First aid", 45.7600, 4.8330));
    doc.update_event(&alice, &a, t(3)).unwrap();
    let mut b = other.event().unwrap().details;
    b.points.push(point("03", "Legal support", 45.7650, 4.8350));
    other.update_event(&bob, &b, t(3)).unwrap();
    doc.receive(other.signed_changes());
    other.receive(doc.signed_changes());
    for replica in [&doc, &other] {
        let labels: Vec<String> = replica
            .event()
            .unwrap()
            .details
            .points
            .into_iter()
            .map(|p| p.label)
            .collect();
        assert_eq!(labels, ["First aid", "Legal support", "Meeting point"]);
    }

    // Someone who is not an organiser cannot move the route or the points.
    let mut hijack = doc.event().unwrap().details;
    hijack.route.reverse();
    hijack.points.clear();
    let r = refused(doc.update_event(&mallory, &hijack, t(4)));
    assert!(matches!(r, Rejection::NotAllowed(_)), "{r}");
    assert_eq!(doc.event().unwrap().details.points.len(), 3);

    // Out of bounds: refused before anything is written.
    let mut bad = doc.event().unwrap().details;
    bad.route = vec![LatLon { lat: 1.0, lon: 1.0 }];
    assert!(doc.update_event(&alice, &bad, t(5)).is_err());
}
