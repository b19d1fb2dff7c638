//! The link's rules, each the regression test of a bug a load run found.

use super::*;
use crate::Persona;
use crate::protocol::tests::MemRepo;

fn link(tag: u64) -> (Link<u32>, Vec<Vec<u8>>) {
    let (session, hello) = Session::new(Persona::generate(), [tag as u8; 16], vec![1], vec![2]);
    (Link::new(session, hello.clone(), tag, 0), hello)
}

/// A `Changes` frame (its first byte says so) with some content.
fn changes(n: u8) -> Vec<u8> {
    vec![4, n, n, n]
}

fn want(n: u8) -> Vec<u8> {
    vec![3, n]
}

#[test]
fn a_late_batch_on_a_live_connection_does_not_start_over() {
    // Bug: every timeout (a CPU-starved peer answering late) started a new
    // session; both sides then dropped each other's late answers and kept
    // restarting. Only a lost Hello or Auth, which a session never repeats, does.
    let (mut l, _) = link(7);
    let first = l.next_batch(1 << 20).unwrap();
    assert!(first.establishing, "the first batch carries the Hello");
    l.sending(1, first.establishing);
    assert_eq!(l.failed(1, true), Failed::StartOver);

    let (mut l, _) = link(7);
    let b = l.next_batch(1 << 20).unwrap();
    l.sending(1, b.establishing);
    assert_eq!(l.delivered(1), Delivered::Next);
    l.queue([want(1)]);
    let b = l.next_batch(1 << 20).unwrap();
    assert!(!b.establishing);
    l.sending(2, b.establishing);
    assert_eq!(l.failed(2, true), Failed::GoOn(Delivered::Next));
    assert_eq!(l.in_flight(), None, "the next batch may go");
    // The same batch, connection gone: a new session on the next connection.
    l.queue([want(2)]);
    let b = l.next_batch(1 << 20).unwrap();
    l.sending(3, b.establishing);
    assert_eq!(l.failed(3, false), Failed::StartOver);
    // An answer or failure of some other batch says nothing about this one.
    assert_eq!(l.failed(99, true), Failed::Stale);
    assert_eq!(l.delivered(99), Delivered::Stale);
}

#[test]
fn the_same_changes_waiting_unsent_are_queued_once() {
    // Bug: a busy peer repeats its wants every 30 s; each repeat queued the same
    // answers again behind the unsent ones (2.3 GB on the server, every copy sent
    // and ingested).
    let (mut l, _) = link(7);
    l.queue([changes(1), changes(2), changes(1), want(9), want(9)]);
    assert_eq!(l.waiting(), 1 + 4, "Hello, two Changes, two Wants");
    let b = l.next_batch(1 << 20).unwrap();
    assert_eq!(b.frames.len(), 5);
    // Once sent, the same answer may be queued again (the peer may need it again).
    l.sending(1, b.establishing);
    l.queue([changes(1)]);
    assert_eq!(l.waiting(), 1);
}

#[test]
fn batches_of_a_left_session_are_dropped() {
    // Bug: frames still on their way from a session since restarted reached the
    // new one, and frames addressed to this side's old session were taken by its
    // new one.
    let (mut l, _) = link(7);
    l.peer_session(40);
    assert_eq!(l.classify(40, 7, false), Incoming::Take);
    assert_eq!(
        l.classify(39, 7, false),
        Incoming::Drop,
        "an older peer session"
    );
    assert_eq!(
        l.classify(40, 6, false),
        Incoming::Drop,
        "answers our old session"
    );
    assert_eq!(l.classify(40, 0, false), Incoming::Drop);
    // Before the peer's Hello was taken, nothing but a Hello is taken.
    let (l, _) = link(8);
    assert_eq!(l.classify(40, 8, false), Incoming::Drop);
    assert_eq!(l.classify(40, 0, true), Incoming::Take);
}

#[test]
fn crossing_restarts_settle_by_renewing() {
    // Bug: two sides that restarted across each other each took the other's new
    // Hello as a reason to restart again, forever. A peer session that answers this
    // side's (it took in our Hello) renews ours; only one that does not restarts.
    let mut repo_a = MemRepo::default();
    let mut repo_b = MemRepo::default();
    let (mut a, hello_a) = link(0xa);
    let bob = Persona::generate();
    let (mut b1, hello_b1) = Session::new(bob.clone(), [2; 16], vec![2], vec![1]);
    for f in &hello_b1 {
        a.session.handle(&mut repo_a, f, 1).unwrap();
    }
    a.peer_session(0xb1);
    for f in &hello_a {
        b1.handle(&mut repo_b, f, 1).unwrap();
    }
    // Bob starts over (session 0xb2) and answers Alice's session 0xa.
    assert_eq!(a.classify(0xb2, 0xa, true), Incoming::Renew);
    a.renew();
    a.peer_session(0xb2);
    assert_eq!(a.tag(), 0xa, "Alice keeps her session as Bob knows it");
    assert_eq!(a.waiting(), 0, "nothing of the old exchange is resent");
    let (_, hello_b2) = Session::new(bob, [2; 16], vec![2], vec![1]);
    for f in &hello_b2 {
        a.session
            .handle(&mut repo_a, f, 2)
            .expect("the renewed session takes Bob's new Hello");
    }
    assert_eq!(a.classify(0xb2, 0xa, false), Incoming::Take);
    // A new peer session that did not take in Alice's: she starts over too.
    assert_eq!(a.classify(0xb3, 0, true), Incoming::Restart);
}

#[test]
fn an_unanswered_hello_starts_over_after_the_timeout() {
    // Bug: a Hello lost with a connection's state left the session waiting for
    // ever; restarting too soon threw away a slow peer's answer.
    let (mut l, _) = link(7);
    let b = l.next_batch(1 << 20).unwrap();
    l.sending(1, b.establishing);
    assert!(
        !l.hello_unanswered(120_000, 60_000),
        "not while it is on its way"
    );
    assert_eq!(l.delivered(1), Delivered::Next);
    assert!(!l.hello_unanswered(59_999, 60_000));
    assert!(l.hello_unanswered(60_000, 60_000));
    l.close_after_sending();
    assert!(
        !l.hello_unanswered(60_000, 60_000),
        "a refused peer is closing anyway"
    );
}

#[test]
fn a_refused_peer_is_closed_once_the_refusal_is_out() {
    let (mut l, _) = link(7);
    l.close_after_sending();
    let b = l.next_batch(1 << 20).unwrap();
    l.sending(1, b.establishing);
    assert_eq!(l.failed(1, true), Failed::GoOn(Delivered::Close));
}

#[test]
fn batches_stay_under_the_size_limit() {
    let (mut l, _) = link(7);
    let b = l.next_batch(1 << 20).unwrap();
    l.sending(1, b.establishing);
    l.delivered(1);
    l.queue((0..10).map(|n| vec![3, n, 0, 0, 0, 0]));
    let b = l.next_batch(25).unwrap();
    assert_eq!(b.frames.len(), 2, "10 bytes each with framing");
    l.sending(2, b.establishing);
    assert!(l.next_batch(25).is_none(), "one batch in flight");
    l.delivered(2);
    // A frame larger than the limit still goes, alone.
    l.queue([vec![3; 100]]);
    let mut sizes = Vec::new();
    let mut n = 3;
    while let Some(b) = l.next_batch(25) {
        sizes.push(b.frames.len());
        l.sending(n, b.establishing);
        l.delivered(n);
        n += 1;
    }
    assert_eq!(sizes, [2, 2, 2, 2, 1]);
}
