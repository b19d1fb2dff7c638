//! Bans and the moderation log under the rule, on real documents and
//! signatures: who may ban whom, what a banned persona may still do (nothing),
//! and a ban made offline against a concurrent join and comment.

use std::collections::BTreeSet;

use automerge::ReadDoc;
use automerge::transaction::Transactable;
use jiff::Timestamp;

use super::{ModAction, Reason, hide_banned};
use crate::document::Document;
use crate::model::*;
use crate::moderation::Grounds;
use crate::persona::Persona;
use crate::signed::SignedChange;
use crate::{EditError, InviteToken, Rejection};

fn t(secs: i64) -> Timestamp {
    Timestamp::from_second(1_780_000_000 + secs).unwrap()
}

fn refused(result: Result<SignedChange, EditError>) -> Rejection {
    match result {
        Err(EditError::Refused(r)) => r,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

fn replica(doc: &Document) -> Document {
    let mut r = Document::empty(doc.id());
    let receipt = r.receive(doc.signed_changes());
    assert!(receipt.rejected.is_empty(), "{:?}", receipt.rejected);
    r
}

fn spam() -> Grounds {
    Grounds {
        reason: Some(Reason::Spam),
        note: Some("links to a scam".into()),
    }
}

struct Cast {
    alice: Persona,
    bob: Persona,
    carol: Persona,
    dave: Persona,
    token: InviteToken,
}

/// Alice (admin) made the group; Bob is a moderator; Carol and Dave joined
/// with an invitation.
fn group() -> (Document, Cast) {
    let (alice, bob, carol, dave) = (
        Persona::generate(),
        Persona::generate(),
        Persona::generate(),
        Persona::generate(),
    );
    let profile = GroupProfile {
        name: "Collective".into(),
        summary: String::new(),
        visibility: GroupVisibility::Public,
        avatar: None,
    };
    let (mut doc, _) = Document::create_group(&alice, "Alice", &profile, t(0)).unwrap();
    doc.add_member(&alice, bob.id(), "Bob", Role::Moderator, t(1))
        .unwrap();
    let (_, token) = doc.create_invite(&alice, t(1)).unwrap();
    let token = InviteToken::decode(&token.encode()).unwrap();
    doc.join_group(&carol, "Carol", &token, t(2)).unwrap();
    doc.join_group(&dave, "Dave", &token, t(2)).unwrap();
    (
        doc,
        Cast {
            alice,
            bob,
            carol,
            dave,
            token,
        },
    )
}

fn rejected_on_receipt(doc: &mut Document, change: SignedChange) -> Rejection {
    let before = doc.heads();
    let mut receipt = doc.receive([change]);
    assert!(receipt.accepted.is_empty(), "a forged change was accepted");
    assert_eq!(doc.heads(), before, "the document changed");
    receipt.rejected.pop().expect("rejected").2
}

#[test]
fn moderators_ban_members_admins_ban_anyone_and_the_banned_change_nothing() {
    let (mut doc, c) = group();
    // A moderator bans a member: no longer a member, and the log says so.
    doc.ban(&c.bob, c.carol.id(), &spam(), t(3)).unwrap();
    let g = doc.group().unwrap();
    assert!(!g.members.contains_key(&c.carol.id()));
    assert_eq!(g.bans[&c.carol.id()].by, c.bob.id());
    assert_eq!(g.bans[&c.carol.id()].reason, Some(Reason::Spam));
    let last = g.moderation.last().unwrap();
    assert_eq!(
        (last.action, last.by, last.target.as_str()),
        (ModAction::Ban, c.bob.id(), c.carol.id().to_hex().as_str())
    );
    // The banned persona changes nothing: no rejoining, no leaving a mark.
    let r = refused(doc.join_group(&c.carol, "Carol again", &c.token, t(4)));
    assert!(r.to_string().contains("banned"), "{r}");
    // Nobody adds them back without lifting the ban.
    assert!(
        doc.add_member(&c.alice, c.carol.id(), "Carol", Role::Member, t(4))
            .is_err()
    );
    // A moderator bans neither an admin nor a moderator; nobody bans oneself.
    refused(doc.ban(&c.bob, c.alice.id(), &spam(), t(5)));
    refused(doc.ban(&c.alice, c.alice.id(), &spam(), t(5)));
    // A member bans nobody.
    refused(doc.ban(&c.dave, c.bob.id(), &spam(), t(5)));
    // An admin bans a moderator.
    doc.ban(&c.alice, c.bob.id(), &Grounds::default(), t(6))
        .unwrap();
    assert_eq!(doc.group().unwrap().role_of(&c.bob.id()), None);
    // ...who then moderates nothing.
    refused(doc.ban(&c.bob, c.dave.id(), &spam(), t(7)));
    // Lifting a ban: Carol joins again, as anyone with an invitation does.
    doc.unban(&c.alice, c.carol.id(), &Grounds::default(), t(8))
        .unwrap();
    doc.join_group(&c.carol, "Carol", &c.token, t(9)).unwrap();
    let g = doc.group().unwrap();
    assert_eq!(g.role_of(&c.carol.id()), Some(Role::Member));
    let actions: Vec<ModAction> = g.moderation.iter().map(|e| e.action).collect();
    assert_eq!(actions, [ModAction::Ban, ModAction::Ban, ModAction::Unban]);
}

#[test]
fn forged_bans_and_rewritten_log_entries_are_refused_on_receipt() {
    let (mut doc, c) = group();
    doc.ban(&c.bob, c.carol.id(), &spam(), t(3)).unwrap();
    let mut other = replica(&doc);
    // A member writes a ban of someone else.
    let forged = doc.forge(&c.dave, t(4), |tx| {
        let bans = tx.get(automerge::ROOT, "bans")?.unwrap().1;
        let b = tx.put_object(&bans, c.bob.id().to_hex(), automerge::ObjType::Map)?;
        tx.put(&b, "by", c.dave.id().to_hex())?;
        tx.put(&b, "at", 4_i64)
    });
    rejected_on_receipt(&mut other, forged);
    // A moderator rewrites the log to hide what they did.
    let id = doc.group().unwrap().moderation[0].id.clone();
    let forged = doc.forge(&c.bob, t(5), |tx| {
        let log = tx.get(automerge::ROOT, "moderation")?.unwrap().1;
        let e = tx.get(&log, id.as_str())?.unwrap().1;
        tx.put(&e, "note", "nothing happened")
    });
    rejected_on_receipt(&mut other, forged);
    // ...or deletes it.
    let forged = doc.forge(&c.bob, t(5), |tx| {
        tx.delete(
            &tx.get(automerge::ROOT, "moderation")?.unwrap().1,
            id.as_str(),
        )
    });
    rejected_on_receipt(&mut other, forged);
    // A ban signed for someone else.
    let forged = doc.forge(&c.bob, t(6), |tx| {
        let bans = tx.get(automerge::ROOT, "bans")?.unwrap().1;
        let b = tx.put_object(&bans, c.dave.id().to_hex(), automerge::ObjType::Map)?;
        tx.put(&b, "by", c.alice.id().to_hex())?;
        tx.put(&b, "at", 6_i64)
    });
    rejected_on_receipt(&mut other, forged);
    // The banned persona's own forged change to the group.
    let forged = doc.forge(&c.carol, t(7), |tx| {
        let links = tx.get(automerge::ROOT, "links")?.unwrap().1;
        tx.put(&links, "x", "y")
    });
    rejected_on_receipt(&mut other, forged);
}

/// A moderator bans Carol on a device with no network while Carol, on hers,
/// changes her name, and comments and answers in one of the group's events.
/// Once the replicas meet, every one of them — whatever order it learns things
/// in — reads the same: Carol is no member, her comment is hidden and her
/// answer not counted. Lifting the ban shows them again.
#[test]
fn a_ban_made_offline_takes_effect_on_what_was_written_concurrently() {
    let (doc, c) = group();
    let details = EventDetails::new(
        "Assembly",
        "2055-03-01T19:00".parse().unwrap(),
        "Europe/Paris",
    );
    let (event, _) =
        Document::create_event(&c.alice, "Alice", &details, Some(doc.id()), t(1)).unwrap();
    let (mut g_mod, mut g_carol) = (replica(&doc), replica(&doc));
    let (mut e_mod, mut e_carol) = (replica(&event), replica(&event));
    g_mod.ban(&c.bob, c.carol.id(), &spam(), t(10)).unwrap();
    // Her own name change, as the rule lets every member make.
    let rename = g_carol.forge(&c.carol, t(11), |tx| {
        let members = tx.get(automerge::ROOT, "members")?.unwrap().1;
        let me = tx.get(&members, c.carol.id().to_hex())?.unwrap().1;
        tx.put(&me, "name", "Caroline")
    });
    assert!(g_carol.receive([rename]).rejected.is_empty());
    e_carol
        .comment(&c.carol, "Carol", "buy my stuff", None, t(11))
        .unwrap();
    e_carol.join_event(&c.carol, "Carol", t(11)).unwrap();
    e_carol.join_event(&c.dave, "Dave", t(12)).unwrap();
    // Deliver in both orders.
    let mut first = replica(&g_mod);
    first.receive(g_carol.signed_changes());
    let mut second = replica(&g_carol);
    second.receive(g_mod.signed_changes());
    e_mod.receive(e_carol.signed_changes());
    for g in [&first, &second] {
        let view = g.group().unwrap();
        assert!(
            !view.members.contains_key(&c.carol.id()),
            "a concurrent change kept her in"
        );
        assert!(view.bans.contains_key(&c.carol.id()));
    }
    assert_eq!(first.group().unwrap(), second.group().unwrap());
    let banned: BTreeSet<_> = first.group().unwrap().bans.keys().copied().collect();
    let mut ev = e_mod.event().unwrap();
    hide_banned(&mut ev, &banned);
    assert!(ev.comments.iter().all(|c| c.hidden));
    assert_eq!(ev.participants.len(), 1, "only Dave's answer counts");
    assert!(ev.participants.contains_key(&c.dave.id()));
    // Nothing was deleted: without the ban, all of it is there again.
    first
        .unban(&c.alice, c.carol.id(), &Grounds::default(), t(20))
        .unwrap();
    let none: BTreeSet<_> = first.group().unwrap().bans.keys().copied().collect();
    let mut ev = e_mod.event().unwrap();
    hide_banned(&mut ev, &none);
    assert!(ev.comments.iter().all(|c| !c.hidden));
    assert_eq!(ev.participants.len(), 2);
}

#[derive(Debug, Clone)]
enum Op {
    Ban {
        who: usize,
        whom: usize,
    },
    Unban {
        who: usize,
        whom: usize,
    },
    Join {
        who: usize,
    },
    Leave {
        who: usize,
    },
    Promote {
        whom: usize,
    },
    Request {
        who: usize,
    },
    Answer {
        who: usize,
        whom: usize,
        accept: bool,
    },
}

fn op() -> impl proptest::strategy::Strategy<Value = Op> {
    use proptest::prelude::*;
    prop_oneof![
        (0..4usize, 0..4usize).prop_map(|(who, whom)| Op::Ban { who, whom }),
        (0..4usize, 0..4usize).prop_map(|(who, whom)| Op::Unban { who, whom }),
        (0..4usize).prop_map(|who| Op::Join { who }),
        (0..4usize).prop_map(|who| Op::Leave { who }),
        (1..4usize).prop_map(|whom| Op::Promote { whom }),
        (0..5usize).prop_map(|who| Op::Request { who }),
        (0..4usize, 0..5usize, any::<bool>()).prop_map(|(who, whom, accept)| Op::Answer {
            who,
            whom,
            accept
        }),
    ]
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig { cases: 48, .. Default::default() })]

    /// Bans, lifted bans, joins, departures and promotions made on three
    /// diverging replicas, then delivered to fresh replicas in different
    /// orders: all read the same members, bans and log, and refuse the same
    /// changes; a banned persona is never a member.
    #[test]
    fn bans_converge_whatever_the_order(
        ops in proptest::collection::vec((0..3usize, op()), 1..20),
        seeds in proptest::collection::vec(proptest::prelude::any::<u64>(), 3),
    ) {
        let (origin, c) = group();
        let stranger = Persona::generate();
        let people = [&c.alice, &c.bob, &c.carol, &c.dave, &stranger];
        let mut replicas = [replica(&origin), replica(&origin), replica(&origin)];
        let mut all = origin.signed_changes();
        for (step, (at, op)) in ops.iter().enumerate() {
            let now = t(100 + step as i64);
            let doc = &mut replicas[*at];
            let made = match op {
                Op::Ban { who, whom } => doc.ban(people[*who], people[*whom].id(), &spam(), now).ok(),
                Op::Unban { who, whom } => doc.unban(people[*who], people[*whom].id(), &Grounds::default(), now).ok(),
                Op::Join { who } => doc.join_group(people[*who], "P", &c.token, now).ok(),
                Op::Leave { who } => doc.remove_member(people[*who], people[*who].id(), now).ok(),
                Op::Promote { whom } => doc.set_role(&c.alice, people[*whom].id(), Role::Moderator, now).ok(),
                Op::Request { who } => doc.request_to_join(people[*who], "P", None, now).ok(),
                Op::Answer { who, whom, accept } => doc.answer_request(people[*who], people[*whom].id(), *accept, now).ok(),
            };
            all.extend(made);
            if step % 4 == 3 {
                let from = replicas[(at + 1) % 3].signed_changes();
                replicas[*at].receive(from);
            }
        }
        let mut outcomes = Vec::new();
        for seed in seeds {
            let order = crate::tests::shuffled(&all, seed);
            let mut r = Document::empty(origin.id());
            r.receive(order);
            proptest::prop_assert_eq!(r.pending_count(), 0);
            let mut rejected: Vec<_> = all
                .iter()
                .filter_map(|c| automerge::Change::try_from(c.bytes.as_slice()).ok())
                .map(|c| c.hash())
                .filter(|h| r.is_rejected(h))
                .collect();
            rejected.sort();
            let view = r.group().unwrap();
            for banned in view.bans.keys() {
                proptest::prop_assert!(!view.members.contains_key(banned));
                proptest::prop_assert!(!view.requests.contains_key(banned));
            }
            outcomes.push((rejected, view));
        }
        for o in &outcomes[1..] {
            proptest::prop_assert_eq!(o, &outcomes[0]);
        }
    }
}

#[test]
fn asking_to_join_a_public_group_waits_for_a_moderator() {
    let (mut doc, c) = group();
    let (dan, eve) = (Persona::generate(), Persona::generate());
    doc.request_to_join(&dan, "Dan", Some("I sing bass"), t(3))
        .unwrap();
    doc.request_to_join(&eve, "Eve", None, t(3)).unwrap();
    let g = doc.group().unwrap();
    assert_eq!(g.requests[&dan.id()].name, "Dan");
    assert!(!g.members.contains_key(&dan.id()), "asking is not joining");
    // A member answers nobody's request; a moderator does.
    refused(doc.answer_request(&c.carol, dan.id(), true, t(4)));
    doc.answer_request(&c.bob, dan.id(), true, t(5)).unwrap();
    doc.answer_request(&c.bob, eve.id(), false, t(6)).unwrap();
    let g = doc.group().unwrap();
    assert_eq!(g.role_of(&dan.id()), Some(Role::Member));
    assert_eq!(g.members[&dan.id()].name, "Dan");
    assert!(g.requests.is_empty());
    let actions: Vec<ModAction> = g.moderation.iter().map(|e| e.action).collect();
    assert_eq!(
        actions,
        [ModAction::ApproveMember, ModAction::DeclineMember]
    );
    // One asks only for oneself.
    let fay = Persona::generate();
    let mut other = replica(&doc);
    let forged = doc.forge(&eve, t(7), |tx| {
        let requests = tx.get(automerge::ROOT, "requests")?.unwrap().1;
        let r = tx.put_object(&requests, fay.id().to_hex(), automerge::ObjType::Map)?;
        tx.put(&r, "name", "Dan")?;
        tx.put(&r, "at", 7_i64)
    });
    rejected_on_receipt(&mut other, forged);
    // A banned persona asks nothing.
    doc.ban(&c.bob, c.carol.id(), &spam(), t(8)).unwrap();
    refused(doc.request_to_join(&c.carol, "Carol", None, t(9)));
    // A members-only group takes no requests.
    let profile = GroupProfile {
        name: "Secret".into(),
        summary: String::new(),
        visibility: GroupVisibility::MembersOnly,
        avatar: None,
    };
    let (mut secret, _) = Document::create_group(&c.alice, "Alice", &profile, t(0)).unwrap();
    refused(secret.request_to_join(&eve, "Eve", None, t(1)));
}
