//! Two fresh peers over libp2p on loopback (QUIC), 10 000 events of about ten
//! changes each: full sync time and bytes, against automerge's own sync protocol
//! over the same documents in one process, in the same run; then one change among
//! the 10 000 documents: bytes and time to converge again.
//!
//! The floor F is automerge's own sync of the same documents plus checking
//! every signature one by one on one core, both measured in this run; the
//! full sync is printed as a ratio to F, and again pinned to one core
//! (`taskset -c 0`, the bench re-running itself), as a stand-in for a phone.
//! The output ends with one `name = value` line per figure.
//!
//! `cargo xtask bench` runs it; `RALLY_BENCH_DOCS` sets the number of documents.
//! Bytes are each protocol's own messages, both directions: for Rally, the
//! batches as its codec writes them (compressed where they are, with their
//! headers and acknowledgements); libp2p's framing and encryption come on top
//! for Rally, and the baseline has no transport at all. The gate's cost is
//! printed beside automerge's own cost of applying each change alone with its
//! patches, which a verdict per change cannot avoid.

use std::time::{Duration, Instant};

use automerge::Automerge;
use automerge::sync::{State, SyncDoc};
use rally_core::{Document, EventDetails, Persona, SignedChange};
use rally_net::{Node, NodeConfig, NodeEvent, Transport};
use rally_store::{Store, SyncRepo, Timestamp};

fn build_documents(author: &Persona, n: usize) -> Vec<Document> {
    let now = Timestamp::now();
    let commenters: Vec<Persona> = (0..20).map(|_| Persona::generate()).collect();
    (0..n)
        .map(|i| {
            let mut d = EventDetails::new(
                format!("Event {i}"),
                "2027-05-01T10:00".parse().unwrap(),
                "Europe/Paris",
            );
            d.description = "Bring water and friends. We meet at the usual place.".into();
            let (mut doc, _) = Document::create_event(author, "org", &d, None, now).unwrap();
            for k in 0..5 {
                d.title = format!("Event {i} (update {k})");
                doc.update_event(author, &d, now).unwrap();
            }
            for k in 0..4 {
                doc.comment(
                    &commenters[(i + k) % commenters.len()],
                    "someone",
                    &format!("Comment {k} on event {i}"),
                    None,
                    now,
                )
                .unwrap();
            }
            doc
        })
        .collect()
}

/// Automerge's sync protocol between two in-memory replicas, document by document.
fn automerge_baseline(docs: &[Document]) -> (Duration, u64) {
    let mut sources: Vec<Automerge> = docs
        .iter()
        .map(|d| {
            let mut am = Automerge::new();
            let changes: Vec<automerge::Change> = d
                .signed_changes()
                .iter()
                .map(|c| automerge::Change::try_from(c.bytes.as_slice()).unwrap())
                .collect();
            am.apply_changes(changes).unwrap();
            am
        })
        .collect();
    let start = Instant::now();
    let mut bytes = 0u64;
    for source in &mut sources {
        let mut target = Automerge::new();
        let (mut s1, mut s2) = (State::new(), State::new());
        loop {
            let mut moved = false;
            if let Some(m) = source.generate_sync_message(&mut s1) {
                let enc = m.encode();
                bytes += enc.len() as u64;
                target
                    .receive_sync_message(&mut s2, automerge::sync::Message::decode(&enc).unwrap())
                    .unwrap();
                moved = true;
            }
            if let Some(m) = target.generate_sync_message(&mut s2) {
                let enc = m.encode();
                bytes += enc.len() as u64;
                source
                    .receive_sync_message(&mut s1, automerge::sync::Message::decode(&enc).unwrap())
                    .unwrap();
                moved = true;
            }
            if !moved {
                break;
            }
        }
        assert_eq!(target.get_heads(), source.get_heads());
    }
    (start.elapsed(), bytes)
}

fn sync_once(
    runtime: &tokio::runtime::Runtime,
    b_dir: &std::path::Path,
    addr: rally_net::Address,
) -> (Duration, rally_net::RunStats) {
    let mut store = Store::open(b_dir).unwrap();
    let me = match store.persona("bob").unwrap() {
        Some(p) => p,
        None => store.create_persona("bob", Timestamp::now()).unwrap(),
    };
    runtime.block_on(async move {
        let mut node = Node::new(SyncRepo::new(store, me), Transport::device(false)).unwrap();
        let config = NodeConfig {
            peers: vec![addr],
            once: true,
            timeout: Some(Duration::from_secs(600)),
            ..NodeConfig::default()
        };
        let start = Instant::now();
        let stats = node
            .run(&config, |e| {
                if std::env::var("RALLY_BENCH_DEBUG").is_ok() {
                    eprintln!("{:?} {e:?}", start.elapsed())
                }
            })
            .await
            .unwrap();
        (start.elapsed(), stats)
    })
}

fn main() {
    let n: usize = std::env::var("RALLY_BENCH_DOCS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    let a_dir = tempfile::tempdir().unwrap();
    let b_dir = tempfile::tempdir().unwrap();
    let mut a_store = Store::open(a_dir.path()).unwrap();
    let alice = a_store.create_persona("alice", Timestamp::now()).unwrap();
    let docs = build_documents(&alice.persona, n);
    let changes: usize = docs.iter().map(Document::change_count).sum();
    for chunk in docs.chunks(1000) {
        a_store.insert_new_batch(chunk).unwrap();
    }
    if std::env::var("RALLY_BENCH_ONE_CORE").is_ok() {
        // Only the full sync, for the parent run (pinned by taskset).
        let (time, _) = full_sync(&a_dir, &b_dir, changes);
        println!("one_core_full_sync_s = {:.3}", time.as_secs_f64());
        std::process::exit(0);
    }
    println!("sync benchmark: {n} documents, {changes} changes");

    let (base_time, base_bytes) = automerge_baseline(&docs);
    println!(
        "  automerge sync, in process:   {:>8.2} s  {:>10} bytes",
        base_time.as_secs_f64(),
        base_bytes
    );

    // Where the time goes, in this process: every change's signature checked
    // one by one on one core (the floor's part), then as the gate checks them
    // (each document's batch at once, the ZIP-215 rules making the verdicts
    // the same), and all at once over the cores; and every change judged into
    // a fresh in-memory document (the document gate: signatures, history, the
    // permission rule) without storage or transport.
    let signed: Vec<Vec<SignedChange>> = docs.iter().map(Document::signed_changes).collect();
    let start = Instant::now();
    for c in signed.iter().flatten() {
        c.verify().unwrap();
    }
    let verify_time = start.elapsed();
    let start = Instant::now();
    for changes in &signed {
        let checked = rally_core::signed::verify_all(changes.clone());
        assert!(checked.iter().all(Result::is_ok));
    }
    let per_doc_batches = start.elapsed();
    let everything: Vec<SignedChange> = signed.iter().flatten().cloned().collect();
    let start = Instant::now();
    let checked = rally_core::signed::verify_all(everything);
    let one_batch = start.elapsed();
    assert!(checked.iter().all(Result::is_ok));
    drop(checked);
    let start = Instant::now();
    for (doc, changes) in docs.iter().zip(&signed) {
        let mut fresh = Document::empty(doc.id());
        let receipt = fresh.receive(changes.iter().cloned());
        assert_eq!(receipt.accepted.len(), changes.len());
    }
    let gate_time = start.elapsed();
    // What automerge itself costs when each change is applied alone, logging
    // its patches, as the gate must (a verdict per change): the part of the
    // gate's cost that is automerge's.
    let raw: Vec<Vec<automerge::Change>> = signed
        .iter()
        .map(|changes| {
            changes
                .iter()
                .map(|c| automerge::Change::try_from(c.bytes.as_slice()).unwrap())
                .collect()
        })
        .collect();
    let start = Instant::now();
    for changes in raw {
        let mut am = Automerge::new();
        for c in changes {
            let mut log = automerge::PatchLog::active();
            am.apply_changes_log_patches([c], &mut log).unwrap();
            std::hint::black_box(am.make_patches(&mut log));
        }
    }
    let apply_alone_us = start.elapsed().as_secs_f64() * 1e6 / changes as f64;
    let floor = base_time + verify_time;
    let gate_us = (gate_time.saturating_sub(per_doc_batches)).as_secs_f64() * 1e6 / changes as f64;
    println!(
        "  signatures one by one, 1 core: {:>8.2} s  ({:.2} × the automerge baseline)",
        verify_time.as_secs_f64(),
        verify_time.as_secs_f64() / base_time.as_secs_f64()
    );
    println!(
        "  signatures, a batch per doc:   {:>8.2} s  ({:.2} of one by one)",
        per_doc_batches.as_secs_f64(),
        per_doc_batches.as_secs_f64() / verify_time.as_secs_f64()
    );
    println!(
        "  signatures, one batch, {} cores: {:>6.2} s  ({:.2} of one by one)",
        rayon_threads(),
        one_batch.as_secs_f64(),
        one_batch.as_secs_f64() / verify_time.as_secs_f64()
    );
    println!(
        "  document gate alone (memory):  {:>8.2} s  ({gate_us:.1} µs per change beyond its signature)",
        gate_time.as_secs_f64(),
    );
    println!(
        "  automerge applying each change alone, with its patches: {apply_alone_us:.1} µs per change"
    );
    println!(
        "  floor F (automerge sync + signatures one by one): {:.2} s",
        floor.as_secs_f64()
    );

    let (full_time, full_bytes, runtime, addr, a_thread) = full_sync_keep(&a_dir, &b_dir, changes);
    println!(
        "  rally over libp2p (QUIC):     {:>8.2} s  {:>10} bytes   {:.2} × F, bytes {:.2} × automerge's",
        full_time.as_secs_f64(),
        full_bytes,
        full_time.as_secs_f64() / floor.as_secs_f64(),
        full_bytes as f64 / base_bytes as f64
    );

    // One change among the n documents, then converge again.
    let target = docs[n / 2].id();
    let mut editor = Store::open(a_dir.path()).unwrap();
    editor
        .update(target, |d| {
            let mut details = d.event()?.details;
            details.title = "Moved to Saturday".into();
            d.update_event(&alice.persona, &details, Timestamp::now())
        })
        .unwrap();
    let (one_time, one) = sync_once(&runtime, b_dir.path(), addr);
    assert_eq!(one.changes_received, 1);
    let check = Store::open(b_dir.path())
        .unwrap()
        .load(target)
        .unwrap()
        .event()
        .unwrap();
    assert_eq!(check.details.title, "Moved to Saturday");
    println!(
        "  one change, reconnect + sync: {:>8.1} ms {:>10} bytes   (targets: < 50 ms, < 2 KB)",
        one_time.as_secs_f64() * 1000.0,
        one.bytes_sent + one.bytes_received
    );
    let signed: Vec<SignedChange> = docs.iter().flat_map(Document::signed_changes).collect();
    let raw: usize = signed.iter().map(|c| c.bytes.len()).sum();
    println!(
        "  (change bytes alone: {raw}; signatures add {} bytes)",
        signed.len() * 64
    );
    drop(a_thread);

    // The same full sync on one core, in a fresh process pinned by taskset.
    let one_core = std::process::Command::new("taskset")
        .args(["-c", "0"])
        .arg(std::env::current_exe().unwrap())
        .arg("--bench")
        .env("RALLY_BENCH_ONE_CORE", "1")
        .env("RALLY_BENCH_DOCS", n.to_string())
        .output()
        .ok()
        .and_then(|o| {
            String::from_utf8_lossy(&o.stdout).lines().find_map(|l| {
                l.strip_prefix("one_core_full_sync_s = ")?
                    .trim()
                    .parse::<f64>()
                    .ok()
            })
        });
    match one_core {
        Some(t) => println!(
            "  the same, pinned to one core:  {t:>8.2} s  {:.2} × F",
            t / floor.as_secs_f64()
        ),
        None => println!("  the same, pinned to one core: (taskset unavailable)"),
    }
    println!(
        "full_sync_over_floor = {:.2}",
        full_time.as_secs_f64() / floor.as_secs_f64()
    );
    println!(
        "full_sync_bytes_over_automerge = {:.2}",
        full_bytes as f64 / base_bytes as f64
    );
    println!("gate_us_per_change = {gate_us:.1}");
    println!("automerge_apply_alone_us_per_change = {apply_alone_us:.1}");
    if let Some(t) = one_core {
        println!(
            "full_sync_one_core_over_floor = {:.2}",
            t / floor.as_secs_f64()
        );
    }
    std::process::exit(0);
}

fn rayon_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// Serves `a_dir`'s store from a node on a thread of its own; its address.
fn serve(a_dir: &tempfile::TempDir) -> (rally_net::Address, std::thread::JoinHandle<()>) {
    let (addr_tx, addr_rx) = std::sync::mpsc::channel();
    let a_path = a_dir.path().to_owned();
    let a_thread = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let store = Store::open(&a_path).unwrap();
            let me = store.persona("alice").unwrap().unwrap();
            let mut node = Node::new(SyncRepo::new(store, me), Transport::device(false)).unwrap();
            let config = NodeConfig {
                listen: vec!["/ip4/127.0.0.1/udp/0/quic-v1".parse().unwrap()],
                ..NodeConfig::default()
            };
            let _ = node
                .run(&config, move |e| {
                    if let NodeEvent::Listening(a) = e {
                        let _ = addr_tx.send(a);
                    }
                })
                .await;
        });
    });
    (addr_rx.recv().unwrap(), a_thread)
}

/// A full sync of everything in `a_dir` into the empty `b_dir`: its time
/// and bytes (both directions).
fn full_sync(
    a_dir: &tempfile::TempDir,
    b_dir: &tempfile::TempDir,
    changes: usize,
) -> (Duration, u64) {
    let (time, bytes, ..) = full_sync_keep(a_dir, b_dir, changes);
    (time, bytes)
}

/// [`full_sync`], keeping the runtime and the serving node for more syncs.
fn full_sync_keep(
    a_dir: &tempfile::TempDir,
    b_dir: &tempfile::TempDir,
    changes: usize,
) -> (
    Duration,
    u64,
    tokio::runtime::Runtime,
    rally_net::Address,
    std::thread::JoinHandle<()>,
) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let (addr, a_thread) = serve(a_dir);
    let (full_time, full) = sync_once(&runtime, b_dir.path(), addr.clone());
    assert_eq!(
        full.changes_received as usize, changes,
        "every change arrived"
    );
    (
        full_time,
        full.bytes_sent + full.bytes_received,
        runtime,
        addr,
        a_thread,
    )
}
