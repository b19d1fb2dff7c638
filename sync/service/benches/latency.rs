//! Latency of an app command while a peer's changes are being stored.
//!
//! The app's commands run on the service's thread (`ServiceHandle`) with their own
//! connection; the sync node stores what peers send through another connection, a
//! batch per transaction. This measures one command — the upcoming events list,
//! as the app's first screen asks for it (500 rows) — p50 and p99 on a store that
//! already holds 1 000 events: first with nothing else running (the baseline),
//! then while 10 000 more changes (1 000 more events) are ingested in batches of
//! 100, then again right after (nothing else running), in the same run. Target
//! (issue #14): p99 under ingest within 2× of idle.
//!
//! `cargo bench -p rally-service --bench latency` (or `cargo xtask bench`).

use std::time::{Duration, Instant};

use rally_core::jiff::Timestamp;
use rally_core::{Document, EventDetails, SignedChange};
use rally_service::events::{EventFilter, EventSearch};
use rally_service::{Service, ServiceHandle};
use rally_store::{IngestPolicy, Store};

const EVENTS: usize = 1_000;
const EDITS: usize = 9;
const BATCH: usize = 100;

fn changes_from_a_peer(dir: &std::path::Path) -> Vec<SignedChange> {
    let mut store = Store::open(dir).unwrap();
    let me = store.create_persona("peer", Timestamp::now()).unwrap();
    let mut docs = Vec::new();
    for n in 0..EVENTS {
        let details = EventDetails::new(
            format!("Peer event {n}"),
            format!("2031-{:02}-{:02}T18:00", 1 + n % 12, 1 + n % 28)
                .parse()
                .unwrap(),
            "Europe/Paris",
        );
        let (mut doc, _) =
            Document::create_event(&me.persona, "peer", &details, None, Timestamp::now()).unwrap();
        for e in 0..EDITS {
            let mut d = doc.event().unwrap().details;
            d.description = format!("edit {e}");
            doc.update_event(&me.persona, &d, Timestamp::now()).unwrap();
        }
        docs.push(doc);
    }
    store.insert_new_batch(&docs).unwrap();
    docs.iter().flat_map(Document::signed_changes).collect()
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

/// Asks for the upcoming events until `stop` says so (at least `min` times).
async fn measure(handle: &ServiceHandle, min: usize, stop: impl Fn() -> bool) -> Vec<Duration> {
    let search = EventSearch {
        filter: EventFilter::All,
        upcoming: true,
        limit: 500,
        ..EventSearch::default()
    };
    let mut times = Vec::new();
    while times.len() < min || !stop() {
        let s = search.clone();
        let start = Instant::now();
        let found = handle
            .call(move |svc| svc.events(&s).map(|e| e.len()))
            .await;
        times.push(start.elapsed());
        found.unwrap().unwrap();
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    times.sort();
    times
}

fn main() {
    let peer_dir = tempfile::tempdir().unwrap();
    let changes = changes_from_a_peer(peer_dir.path());
    let dir = tempfile::tempdir().unwrap();
    {
        // The device already holds as many events, from another peer, so the
        // list answers with as many rows (its limit) in every phase.
        let earlier = tempfile::tempdir().unwrap();
        let mut svc = Service::open(dir.path()).unwrap();
        svc.create_persona("me").unwrap();
        svc.store_mut()
            .ingest(changes_from_a_peer(earlier.path()), Timestamp::now())
            .unwrap();
    }
    let handle = ServiceHandle::spawn(Service::open(dir.path()).unwrap(), "rally-service").unwrap();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();

    let idle = runtime.block_on(measure(&handle, 300, || true));

    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let ingest_dir = dir.path().to_owned();
    let flag = done.clone();
    let total = changes.len();
    let ingest = std::thread::spawn(move || {
        let mut store = Store::open(&ingest_dir).unwrap();
        let started = Instant::now();
        let mut batches = Vec::new();
        let mut it = changes.into_iter().peekable();
        while it.peek().is_some() {
            let batch: Vec<_> = it.by_ref().take(BATCH).collect();
            let t = Instant::now();
            store
                .ingest_with(batch, Timestamp::now(), IngestPolicy::default())
                .unwrap();
            batches.push(t.elapsed());
        }
        flag.store(true, std::sync::atomic::Ordering::SeqCst);
        (started.elapsed(), batches)
    });
    let busy = runtime.block_on(measure(&handle, 50, || {
        done.load(std::sync::atomic::Ordering::SeqCst)
    }));
    let (ingest_time, mut batches) = ingest.join().unwrap();
    batches.sort();
    // The same requests right after, nothing else running: what the store's new
    // size (and its write-ahead log) costs a read, apart from sharing the CPU.
    let after = runtime.block_on(measure(&handle, 300, || true));

    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let (i50, i99) = (percentile(&idle, 0.5), percentile(&idle, 0.99));
    let (b50, b99) = (percentile(&busy, 0.5), percentile(&busy, 0.99));
    println!("app command latency (upcoming events, through the service's thread)");
    println!(
        "  idle:            p50 {:.2} ms, p99 {:.2} ms ({} requests)",
        ms(i50),
        ms(i99),
        idle.len()
    );
    println!(
        "  under ingest:    p50 {:.2} ms, p99 {:.2} ms ({} requests) while {total} changes were stored in {:.1} s",
        ms(b50),
        ms(b99),
        busy.len(),
        ingest_time.as_secs_f64()
    );
    println!(
        "  right after:     p50 {:.2} ms, p99 {:.2} ms (the store holding the {total} changes, nothing else running)",
        ms(percentile(&after, 0.5)),
        ms(percentile(&after, 0.99))
    );
    println!(
        "  one ingest batch of {BATCH}: p50 {:.1} ms, max {:.1} ms",
        ms(percentile(&batches, 0.5)),
        ms(*batches.last().unwrap())
    );
    let a99 = percentile(&after, 0.99);
    println!(
        "  ratio under ingest / idle: p50 {:.2}×, p99 {:.2}× before, p99 {:.2}× against right after (target: p99 ≤ 2×); worst request {:.1} ms vs the longest batch {:.1} ms",
        ms(b50) / ms(i50),
        ms(b99) / ms(i99),
        ms(b99) / ms(a99),
        ms(*busy.last().unwrap()),
        ms(*batches.last().unwrap())
    );
}
