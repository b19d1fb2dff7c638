//! Latency of the server's HTTP side while a device pushes changes into it.
//!
//! The release `rally-server` runs on loopback, federating (so NodeInfo answers
//! with the instance's counts, read from its store). This measures
//! `GET /nodeinfo/2.1`, p50 and p99, first with nothing else happening (the
//! baseline), then while one device pushes 10 000 changes (1 000 events of 10
//! changes each) over libp2p, in the same run. Target (issue #14): p99 under
//! ingest within 2× of idle, and no request waiting behind a whole batch.
//!
//! `cargo xtask bench` builds the server and runs this.

mod support;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use rally_core::{Document, EventDetails};
use rally_net::{Node, NodeConfig, Transport};
use rally_store::{Store, SyncRepo, Timestamp};

const EVENTS: usize = 1_000;
const EDITS: usize = 9;

fn get(port: u16, path: &str) -> Duration {
    let start = Instant::now();
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAccept: application/json\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut answer = String::new();
    s.read_to_string(&mut answer).unwrap();
    let took = start.elapsed();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    took
}

fn measure(port: u16, min: usize, stop: &AtomicBool) -> Vec<Duration> {
    let mut times = Vec::new();
    while times.len() < min || !stop.load(Ordering::SeqCst) {
        times.push(get(port, "/nodeinfo/2.1"));
        std::thread::sleep(Duration::from_millis(5));
    }
    times.sort();
    times
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn main() {
    // The device's changes, made offline.
    let device = tempfile::tempdir().unwrap();
    let mut store = Store::open(device.path()).unwrap();
    let me = store.create_persona("ana", Timestamp::now()).unwrap();
    let mut docs = Vec::new();
    for n in 0..EVENTS {
        let mut details = EventDetails::new(
            format!("Event {n}"),
            format!("2031-{:02}-{:02}T18:00", 1 + n % 12, 1 + n % 28)
                .parse()
                .unwrap(),
            "Europe/Paris",
        );
        let (mut doc, _) =
            Document::create_event(&me.persona, "Ana", &details, None, Timestamp::now()).unwrap();
        for e in 0..EDITS {
            details.description = format!("edit {e}");
            doc.update_event(&me.persona, &details, Timestamp::now())
                .unwrap();
        }
        docs.push(doc);
    }
    store.insert_new_batch(&docs).unwrap();

    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let data = tempfile::tempdir().unwrap();
    let mut server = Command::new(support::server_binary())
        .arg("--data")
        .arg(data.path())
        .args([
            "--http",
            &format!("127.0.0.1:{port}"),
            "--public-url",
            &format!("http://127.0.0.1:{port}"),
            "--p2p",
            "/ip4/127.0.0.1/udp/0/quic-v1",
            "--registrations",
            "open",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(server.stdout.take().unwrap()).lines();
    let addr = loop {
        let line = lines.next().unwrap().unwrap();
        if let Some(a) = line.strip_prefix("p2p ") {
            break a.to_owned();
        }
    };
    std::thread::spawn(move || for _ in lines {});

    let idle = measure(port, 300, &AtomicBool::new(true));

    let done = Arc::new(AtomicBool::new(false));
    let flag = done.clone();
    let pusher = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let started = Instant::now();
        let stats = runtime.block_on(async move {
            let mut node = Node::new(SyncRepo::new(store, me), Transport::device(false)).unwrap();
            let config = NodeConfig {
                servers: vec![addr.parse().unwrap()],
                once: true,
                timeout: Some(Duration::from_secs(600)),
                ..NodeConfig::default()
            };
            let r = node.run(&config, |_| {}).await;
            node.finish().unwrap();
            r.unwrap()
        });
        flag.store(true, Ordering::SeqCst);
        (started.elapsed(), stats)
    });
    let busy = measure(port, 50, &done);
    let (push_time, stats) = pusher.join().unwrap();
    let _ = server.kill();
    let _ = server.wait();

    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let (i50, i99) = (percentile(&idle, 0.5), percentile(&idle, 0.99));
    let (b50, b99) = (percentile(&busy, 0.5), percentile(&busy, 0.99));
    println!("server HTTP latency (GET /nodeinfo/2.1)");
    println!(
        "  idle:         p50 {:.2} ms, p99 {:.2} ms ({} requests)",
        ms(i50),
        ms(i99),
        idle.len()
    );
    println!(
        "  under ingest: p50 {:.2} ms, p99 {:.2} ms, worst {:.1} ms ({} requests) while a device pushed {} changes in {:.1} s",
        ms(b50),
        ms(b99),
        ms(*busy.last().unwrap()),
        busy.len(),
        stats.changes_sent,
        push_time.as_secs_f64()
    );
    println!(
        "  ratio under ingest / idle: p50 {:.2}×, p99 {:.2}× (target: p99 ≤ 2×)",
        ms(b50) / ms(i50),
        ms(b99) / ms(i99)
    );
}
