//! The link's rules, each the regression test of a bug a load run found.

use super::*;
use crate::protocol::MAX_MESSAGE;
use crate::protocol::tests::{MemRepo, Rng, ts};
use crate::{Document, EventDetails, Persona};

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
    l.queue([want(3)]);
    assert_eq!(l.failed(2, true), Failed::GoOn(Delivered::Next));
    assert_eq!(l.in_flight(), None, "the next batch may go");
    // The failed batch's frames go again, before what was queued since.
    let again = l.next_batch(1 << 20).unwrap();
    assert_eq!(again.frames, [want(1), want(3)]);
    l.sending(4, again.establishing);
    assert_eq!(l.delivered(4), Delivered::Next);
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

// ----- A deterministic harness for links -----
//
// Two peers whose links carry batches as request-response exchanges, the way
// `rally-net` does: one batch in flight per side, an answer once the receiver
// has handled it, a timeout when none comes. Latency, loss of batches and of
// answers, and CPU-starved receivers (which answer after the sender gave up) are
// drawn from a seed; time is simulated. The node's part (what to do with each of
// the link's verdicts) is modelled here as `rally-net` does it.

const TIMEOUT: u64 = 10_000;
const HELLO_TIMEOUT: u64 = 60_000;
const TICK: u64 = 200;

struct Side {
    persona: Persona,
    repo: MemRepo,
    link: Link<u64>,
    epoch: [u8; 16],
    busy_until: u64,
    restarts: u32,
}

enum Ev {
    /// A batch reaches side `to`, which handles it at `at` (after its backlog).
    Handle {
        to: usize,
        req: u64,
        batch: OutBatch,
    },
    /// The answer to `req` reaches its sender `to`.
    Answer { to: usize, req: u64 },
    /// `req` of side `to` got no answer in time.
    Timeout { to: usize, req: u64 },
}

struct Harness {
    rng: Rng,
    now: u64,
    sides: [Side; 2],
    events: Vec<(u64, u64, Ev)>,
    seq: u64,
    next_req: u64,
    /// Percent of batches and of answers lost.
    loss: u64,
    /// Percent of batches that find the receiver CPU-starved: handled after up to
    /// twice the timeout (the others within 200 ms).
    starved: u64,
    /// The old rule, for the regression: every failed batch starts over.
    restart_on_any_failure: bool,
    /// The older rule, for the regression: a failed batch's frames are dropped
    /// (the session repeats its wants only after a long silence).
    drop_failed_frames: bool,
    /// Answers are lost as batches are (else only batches on their way).
    lose_answers: bool,
}

impl Harness {
    fn new(seed: u64, loss: u64, starved: u64) -> Harness {
        crate::ids::test_rng::seed(Some(seed));
        let mut rng = Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
        let sides = [0u8, 1].map(|i| {
            let persona = Persona::generate();
            let (session, hello) = Session::new(persona.clone(), [i; 16], vec![i], vec![1 - i]);
            let tag = rng.next() | 1;
            Side {
                persona,
                repo: MemRepo::default(),
                link: Link::new(session, hello, tag, 0),
                epoch: [i; 16],
                busy_until: 0,
                restarts: 0,
            }
        });
        Harness {
            rng,
            now: 0,
            sides,
            events: Vec::new(),
            seq: 0,
            next_req: 1,
            loss,
            starved,
            restart_on_any_failure: false,
            drop_failed_frames: false,
            lose_answers: true,
        }
    }

    /// Both sessions repeat unanswered wants after `ms` of silence (the node
    /// sets 30 s: its connections deliver in order or fail).
    fn retry_after(&mut self, ms: u64) {
        for s in &mut self.sides {
            s.link.session.set_retry_after(ms);
        }
    }

    /// Runs until both sides are in sync (checked every tick), at most until
    /// `end`; when they were.
    fn run_until_synced(&mut self, end: u64) -> Option<u64> {
        while self.now < end {
            let next = self.now + TICK;
            self.run_until(next);
            if self.synced() {
                return Some(self.now);
            }
        }
        None
    }

    fn at(&mut self, at: u64, ev: Ev) {
        self.seq += 1;
        self.events.push((at, self.seq, ev));
    }

    fn latency(&mut self) -> u64 {
        1 + self.rng.below(50)
    }

    fn restart(&mut self, i: usize) {
        let s = &self.sides[i];
        let (session, hello) =
            Session::new(s.persona.clone(), s.epoch, vec![i as u8], vec![1 - i as u8]);
        let tag = self.rng.next() | 1;
        self.sides[i].link = Link::new(session, hello, tag, self.now);
        self.sides[i].restarts += 1;
    }

    /// Sends side `i`'s next batch, if one may go.
    fn pump(&mut self, i: usize) {
        let Some(batch) = self.sides[i].link.next_batch(MAX_MESSAGE) else {
            return;
        };
        let req = self.next_req;
        self.next_req += 1;
        self.sides[i].link.sending(req, batch.establishing);
        let now = self.now;
        if !self.rng.chance(self.loss) {
            // Handled after whatever the receiver is still busy with.
            let arrive = now + self.latency();
            let work = if self.rng.chance(self.starved) {
                self.rng.below(2 * TIMEOUT)
            } else {
                self.rng.below(200)
            };
            let other = &mut self.sides[1 - i];
            let done = arrive.max(other.busy_until) + work;
            other.busy_until = done;
            self.at(
                done,
                Ev::Handle {
                    to: 1 - i,
                    req,
                    batch,
                },
            );
        }
        self.at(now + TIMEOUT, Ev::Timeout { to: i, req });
    }

    fn handle(&mut self, to: usize, req: u64, batch: OutBatch) {
        let opens = batch
            .frames
            .first()
            .is_some_and(|f| matches!(Message::decode(f), Ok(Message::Hello { .. })));
        let hello_only = opens && self.sides[to].link.answers_a_former_session(batch.answers);
        let verdict = self.sides[to]
            .link
            .classify(batch.session, batch.answers, opens);
        match verdict {
            Incoming::Drop => {}
            Incoming::Renew => self.sides[to].link.renew(),
            Incoming::Restart => self.restart(to),
            Incoming::Take => {}
        }
        if verdict != Incoming::Drop {
            if opens {
                self.sides[to].link.peer_session(batch.session);
            }
            let now = self.now;
            let side = &mut self.sides[to];
            let take = if hello_only { 1 } else { batch.frames.len() };
            for frame in &batch.frames[..take] {
                let out = side
                    .link
                    .session
                    .handle(&mut side.repo, frame, now)
                    .unwrap_or_else(|e| panic!("honest peers dropped each other: {e}"));
                side.link.queue(out);
            }
        }
        if !(self.lose_answers && self.rng.chance(self.loss)) {
            let at = self.now + self.latency();
            self.at(at, Ev::Answer { to: 1 - to, req });
        }
        self.pump(to);
    }

    fn step(&mut self, ev: Ev) {
        match ev {
            Ev::Handle { to, req, batch } => self.handle(to, req, batch),
            Ev::Answer { to, req } => {
                if self.sides[to].link.delivered(req) == Delivered::Next {
                    self.pump(to);
                }
            }
            Ev::Timeout { to, req } => {
                if self.sides[to].link.in_flight() != Some(req) {
                    return;
                }
                let waiting = self.sides[to].link.waiting();
                let failed = if self.restart_on_any_failure {
                    Failed::StartOver
                } else {
                    self.sides[to].link.failed(req, true)
                };
                if self.drop_failed_frames {
                    let again = self.sides[to].link.waiting() - waiting;
                    self.sides[to].link.forget_first(again);
                }
                match failed {
                    Failed::Stale => {}
                    Failed::GoOn(_) => self.pump(to),
                    Failed::StartOver => {
                        self.restart(to);
                        self.pump(to);
                    }
                }
            }
        }
    }

    fn tick(&mut self) {
        for i in 0..2 {
            let now = self.now;
            if self.sides[i].link.hello_unanswered(now, HELLO_TIMEOUT) {
                self.restart(i);
            }
            let side = &mut self.sides[i];
            let out = side.link.session.tick(&mut side.repo, now).expect("tick");
            side.link.queue(out);
            self.pump(i);
        }
    }

    fn run_until(&mut self, end: u64) {
        let mut next_tick = self.now;
        while self.now < end {
            let next_event = self.events.iter().map(|(at, seq, _)| (*at, *seq)).min();
            match next_event {
                Some((at, seq)) if at <= next_tick => {
                    let i = self
                        .events
                        .iter()
                        .position(|(a, s, _)| (*a, *s) == (at, seq))
                        .expect("found");
                    let (_, _, ev) = self.events.swap_remove(i);
                    self.now = at;
                    self.step(ev);
                }
                _ => {
                    self.now = next_tick;
                    next_tick += TICK;
                    self.tick();
                }
            }
        }
    }

    fn synced(&self) -> bool {
        self.sides[0]
            .repo
            .docs
            .keys()
            .eq(self.sides[1].repo.docs.keys())
            && self.sides.iter().all(|s| s.link.session.is_synced())
    }
}

/// Each side holds events the other lacks.
fn with_documents(h: &mut Harness, per_side: usize) {
    for i in 0..2 {
        for n in 0..per_side {
            let (doc, _) = Document::create_event(
                &h.sides[i].persona,
                "p",
                &EventDetails::new(
                    format!("event {i}.{n}"),
                    "2027-05-01T10:00".parse().unwrap(),
                    "UTC",
                ),
                None,
                ts(0),
            )
            .unwrap();
            h.sides[i].repo.insert(doc);
        }
    }
}

/// Five lossy minutes (starved receivers on every third seed), then ten calm
/// ones: the harness after them.
fn lossy_then_calm(seed: u64) -> Harness {
    // Some seeds starve the receivers: answers come after the sender gave up.
    let starved = if seed.is_multiple_of(3) { 20 } else { 0 };
    let mut h = Harness::new(seed, 10, starved);
    with_documents(&mut h, 3);
    h.run_until(300_000);
    // Calm: no loss, fast peers.
    h.loss = 0;
    h.starved = 0;
    h.run_until(h.now + 600_000);
    h
}

#[test]
fn links_converge_over_lossy_slow_batches_for_many_seeds() {
    let seeds: u64 = std::env::var("RALLY_SIM_SEEDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(200);
    for seed in 0..seeds {
        let h = lossy_then_calm(seed);
        assert!(
            h.synced(),
            "seed {seed}: not in sync (docs {} / {}, restarts {} / {})",
            h.sides[0].repo.docs.len(),
            h.sides[1].repo.docs.len(),
            h.sides[0].restarts,
            h.sides[1].restarts
        );
    }
}

#[test]
fn regression_seeds_restarting_on_every_late_answer_churns() {
    // The bug the first load run found: with every late answer taken for a lost
    // batch, a starved peer's sessions kept being started over and its late
    // answers dropped as stale. On these seeds (30 % of batches handled after up
    // to twice the timeout, for ten simulated minutes) the link's rule settles
    // with a few restarts; restarting on every failure takes many times more.
    // (It used to never settle at all: its restarts crossed for ever, which
    // the rule for crossed restarts now ends; see the next test.)
    for (seed, most) in [(0, 2), (3, 0), (24, 2), (58, 11)] {
        let run = |old_rule: bool| {
            let mut h = Harness::new(seed, 0, 30);
            h.restart_on_any_failure = old_rule;
            with_documents(&mut h, 10);
            h.run_until(600_000);
            (h.synced(), h.sides[0].restarts + h.sides[1].restarts)
        };
        let (settled, restarts) = run(false);
        assert!(
            settled && restarts <= most,
            "seed {seed}: the link's rule settles ({restarts} restarts)"
        );
        let (_, old_restarts) = run(true);
        assert!(
            old_restarts >= 5 * restarts.max(6),
            "seed {seed}: restarting on every failure churns ({old_restarts} restarts against {restarts})"
        );
    }
}

#[test]
fn regression_a_failed_batch_goes_again_at_once() {
    // Found by the server's load benchmark: under load a client's batch could
    // fail (its stream not opened in time) without reaching the server; the
    // link dropped it, so its wants waited for the session's repeat after 30 s
    // of silence, and a few clients converged 30 s after all the others. The
    // failed batch's frames now go again first. Here 10 % of batches are lost
    // on their way (answers are not), the sessions repeat after 30 s as the
    // node's do, and each side holds 10 events the other lacks.
    let run = |seed: u64, old_rule: bool| {
        let mut h = Harness::new(seed, 0, 0);
        h.retry_after(30_000);
        h.drop_failed_frames = old_rule;
        with_documents(&mut h, 10);
        h.loss = 10;
        h.lose_answers = false;
        h.run_until_synced(600_000)
    };
    let mut waited_for_the_repeat = 0;
    let (mut total_now, mut total_before) = (0, 0);
    for seed in 0..20 {
        let now =
            run(seed, false).unwrap_or_else(|| panic!("seed {seed}: not in sync in ten minutes"));
        // The older rule: never in sync counts as ten minutes.
        let before = run(seed, true).unwrap_or(600_000);
        total_now += now;
        total_before += before;
        assert!(
            now <= before,
            "seed {seed}: {now} ms with the batch sent again, {before} ms without"
        );
        if before >= now + 20_000 {
            waited_for_the_repeat += 1;
        }
    }
    eprintln!(
        "in sync after {:.1} s on average with the batch sent again, {:.1} s without",
        total_now as f64 / 20_000.0,
        total_before as f64 / 20_000.0
    );
    assert!(
        waited_for_the_repeat >= 3,
        "the older rule waits for the repeat on some seeds ({waited_for_the_repeat} of 20)"
    );
}

#[test]
fn regression_seed_crossed_restarts_settle() {
    // Found by the soak (`cargo xtask soak`, 1 000 seeds): after the lossy,
    // starved phase each side's `Hello` answered the other's previous session,
    // each side started over on it, and they crossed for ever (3 943 restarts
    // each in ten calm minutes). The session with the higher tag now keeps
    // itself and takes the peer's new `Hello`.
    let seed = 360;
    let h = lossy_then_calm(seed);
    assert!(
        h.synced(),
        "seed {seed}: not in sync (restarts {} / {})",
        h.sides[0].restarts,
        h.sides[1].restarts
    );
}

#[test]
fn a_peer_that_asks_more_than_it_reads_is_held_back() {
    // A peer can ask (in a few bytes of wants) for more than it reads; what this
    // side owes it waits in the outbox. Past a bound, the link says so, and the
    // node takes in none of the peer's batches until it drains.
    let (mut l, _) = link(7);
    assert!(!l.backed_up());
    let big = vec![9u8; 1024 * 1024];
    for _ in 0..=OUTBOX_HIGH / big.len() {
        l.queue([big.clone()]);
    }
    assert!(l.backed_up());
    while let Some(b) = l.next_batch(MAX_MESSAGE) {
        l.sending(1, b.establishing);
        l.delivered(1);
    }
    assert!(!l.backed_up());
    assert_eq!(l.waiting(), 0);
}
