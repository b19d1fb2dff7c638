//! Intake of a chain received in order and backwards: a group log's 10 000
//! envelopes (chat messages of a members-only group) stored by a relay, and one
//! event's 5 000 edits (a document's changes), each in batches of 100,
//! oldest-first and then newest-first (each batch then waits for the next).
//! Linear intake means the two cost about the same; the figures printed are the
//! ratios (target ≤ 1.5).
//!
//! Run with `cargo xtask bench` (or `cargo bench -p rally-store --bench
//! log_intake`); `RALLY_BENCH_ENVELOPES` and `RALLY_BENCH_EDITS` set other lengths.

use std::time::Instant;

use rally_core::jiff::Timestamp;
use rally_core::{Document, EventDetails, GroupProfile, GroupVisibility, SignedChange};
use rally_store::Store;

fn t(secs: i64) -> Timestamp {
    Timestamp::from_second(1_780_000_000 + secs).unwrap()
}

fn intake(envelopes: &[SignedChange], batch: usize) -> (f64, usize) {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    let start = Instant::now();
    let mut pending = 0;
    for chunk in envelopes.chunks(batch) {
        let r = store.ingest(chunk.to_vec(), t(1_000_000)).unwrap();
        assert!(r.misbehaviour.is_none(), "{r:?}");
        pending = r.pending;
    }
    (start.elapsed().as_secs_f64(), pending)
}

fn main() {
    let n: usize = std::env::var("RALLY_BENCH_ENVELOPES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    let me = store.create_persona("alice", t(0)).unwrap();
    let profile = GroupProfile {
        name: "Street medics".into(),
        summary: String::new(),
        visibility: GroupVisibility::MembersOnly,
        avatar: None,
    };
    let (doc, _) = Document::create_group(&me.persona, &me.name, &profile, t(1)).unwrap();
    store.insert_new(&doc).unwrap();
    let made = Instant::now();
    for i in 0..n {
        store
            .send_message(
                &me,
                doc.id(),
                &format!("Position update {i}"),
                None,
                t(2 + i as i64),
            )
            .unwrap();
    }
    let log = rally_core::sealed::log_id(&doc.id());
    let envelopes = store.export_log(&log).unwrap();
    eprintln!(
        "made a chain of {} envelopes in {:.1} s",
        envelopes.len(),
        made.elapsed().as_secs_f64()
    );
    let (oldest_first, left) = intake(&envelopes, 100);
    assert_eq!(left, 0);
    let reversed: Vec<SignedChange> = envelopes.iter().rev().cloned().collect();
    let (newest_first, left) = intake(&reversed, 100);
    assert_eq!(left, 0);
    println!(
        "log intake, {} envelopes in batches of 100: oldest-first {:.2} s, newest-first {:.2} s, ratio {:.2} (target <= 1.5)",
        envelopes.len(),
        oldest_first,
        newest_first,
        newest_first / oldest_first
    );

    // A document's changes: one event edited again and again.
    let edits: usize = std::env::var("RALLY_BENCH_EDITS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5_000);
    let mut details = EventDetails::new("Assembly", "2027-05-01T10:00".parse().unwrap(), "UTC");
    let (mut event, _) =
        Document::create_event(&me.persona, "alice", &details, None, t(1)).unwrap();
    for i in 0..edits {
        details.title = format!("Assembly (update {i})");
        event
            .update_event(&me.persona, &details, t(2 + i as i64))
            .unwrap();
    }
    let changes = event.signed_changes();
    let (oldest_first, left) = intake(&changes, 100);
    assert_eq!(left, 0);
    let reversed: Vec<SignedChange> = changes.iter().rev().cloned().collect();
    let (newest_first, left) = intake(&reversed, 100);
    assert_eq!(left, 0);
    println!(
        "document intake, {} changes in batches of 100: oldest-first {:.2} s, newest-first {:.2} s, ratio {:.2} (target <= 1.5)",
        changes.len(),
        oldest_first,
        newest_first,
        newest_first / oldest_first
    );
}
