//! What receiving costs in the core alone (no store, no network): 1 000 event
//! documents of ten changes each, received by a fresh replica, against applying
//! the same changes to plain automerge documents without any check. Also what a
//! server's spam caps add: classifying each change (`caps::Activity::of`, which
//! decodes its operations) against the same floor.

use std::time::Instant;

use rally_core::{Document, EventDetails, Persona};

fn main() {
    let n: usize = std::env::var("RALLY_BENCH_DOCS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000);
    let author = Persona::generate();
    let commenter = Persona::generate();
    let now = rally_core::jiff::Timestamp::now();
    let docs: Vec<Document> = (0..n)
        .map(|i| {
            let mut d = EventDetails::new(
                format!("Event {i}"),
                "2027-05-01T10:00".parse().unwrap(),
                "Europe/Paris",
            );
            let (mut doc, _) = Document::create_event(&author, "org", &d, None, now).unwrap();
            for k in 0..5 {
                d.title = format!("Event {i} (update {k})");
                doc.update_event(&author, &d, now).unwrap();
            }
            for k in 0..4 {
                doc.comment(&commenter, "c", &format!("Comment {k}"), None, now)
                    .unwrap();
            }
            doc
        })
        .collect();
    let batches: Vec<_> = docs.iter().map(|d| (d.id(), d.signed_changes())).collect();

    let start = Instant::now();
    for (_, changes) in &batches {
        let mut am = automerge::Automerge::new();
        let raw: Vec<automerge::Change> = changes
            .iter()
            .map(|c| automerge::Change::try_from(c.bytes.as_slice()).unwrap())
            .collect();
        am.apply_changes(raw).unwrap();
    }
    let plain = start.elapsed();

    let start = Instant::now();
    for (_, changes) in &batches {
        for c in changes {
            c.verify().unwrap();
        }
    }
    let verify = start.elapsed();

    let start = Instant::now();
    for (id, changes) in &batches {
        let mut doc = Document::empty(*id);
        let r = doc.receive(changes.clone());
        assert!(r.rejected.is_empty());
    }
    let judged = start.elapsed();

    let start = Instant::now();
    let mut counted = rally_core::moderation::caps::Activity::default();
    for (_, changes) in &batches {
        for c in changes {
            let a = rally_core::moderation::caps::Activity::of(c);
            counted.events += a.events;
            counted.comments += a.comments;
        }
    }
    let classified = start.elapsed();
    assert_eq!(counted.events as usize, n, "one event per document");
    assert_eq!(
        counted.comments as usize,
        4 * n,
        "four comments per document"
    );
    let changes: usize = batches.iter().map(|b| b.1.len()).sum();
    println!("receive benchmark: {n} documents, {changes} changes");
    println!(
        "  plain automerge apply:       {:>8.1} ms",
        plain.as_secs_f64() * 1000.0
    );
    println!(
        "  signature checks alone:      {:>8.1} ms",
        verify.as_secs_f64() * 1000.0
    );
    println!(
        "  Document::receive (all checks): {:>5.1} ms   ratio {:.1}",
        judged.as_secs_f64() * 1000.0,
        judged.as_secs_f64() / plain.as_secs_f64()
    );
    println!(
        "  spam caps' classification:   {:>8.1} ms   ratio {:.2} of plain apply, {:.1} µs per change",
        classified.as_secs_f64() * 1000.0,
        classified.as_secs_f64() / plain.as_secs_f64(),
        classified.as_secs_f64() * 1e6 / changes as f64
    );
}
