//! The public pages and feeds with 10 000 public events (100 public groups of
//! 100 events; `RALLY_BENCH_PAGES` to change the total): requests per second
//! and p50/p99 latency at 32 concurrent clients for the home page (in English
//! and French), the listing (`/events`, by tag, by distance from a town), an
//! event page and a group page, against the floor of the same HTTP stack in
//! the same run (`/healthz`); and the instance's iCalendar feed: its size and
//! the time to make it. The release `rally-server` on loopback.
//!
//! `cargo xtask bench` builds the server and runs this.

mod support;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use rally_core::GroupVisibility;
use rally_service::Service;
use rally_service::events::{EventEdit, NewEvent};

const CLIENTS: usize = 32;
const RUN: Duration = Duration::from_secs(4);

/// One GET; its time and the body's length.
fn get(port: u16, path: &str) -> (Duration, usize) {
    let start = Instant::now();
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAccept: text/html\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut answer = Vec::new();
    s.read_to_end(&mut answer).unwrap();
    let took = start.elapsed();
    assert!(
        answer.starts_with(b"HTTP/1.1 200"),
        "{path}: {}",
        String::from_utf8_lossy(&answer[..answer.len().min(200)])
    );
    (took, answer.len())
}

/// (requests per second, p50, p99) with `CLIENTS` clients asking `path` for `RUN`.
fn load(port: u16, path: &str) -> (f64, Duration, Duration) {
    let start = Instant::now();
    let threads: Vec<_> = (0..CLIENTS)
        .map(|_| {
            let path = path.to_owned();
            std::thread::spawn(move || {
                let mut times = Vec::new();
                while start.elapsed() < RUN {
                    times.push(get(port, &path).0);
                }
                times
            })
        })
        .collect();
    let mut times: Vec<Duration> = threads
        .into_iter()
        .flat_map(|t| t.join().unwrap())
        .collect();
    let took = start.elapsed();
    times.sort();
    (
        times.len() as f64 / took.as_secs_f64(),
        times[times.len() / 2],
        times[times.len() * 99 / 100],
    )
}

fn main() {
    let total: usize = std::env::var("RALLY_BENCH_PAGES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    let data = tempfile::tempdir().unwrap();
    let seeding = Instant::now();
    let (event, group) = {
        let mut svc = Service::open(data.path()).unwrap();
        svc.create_persona("organiser").unwrap();
        let mut first = None;
        for g in 0..total.div_ceil(100) {
            let (gid, _) = svc
                .create_group(
                    &format!("Collective {g}"),
                    "Local organising.",
                    GroupVisibility::Public,
                )
                .unwrap();
            for i in 0..100.min(total - g * 100) {
                let id = svc
                    .create_event(NewEvent {
                        fields: EventEdit {
                            title: Some(format!("Assembly {g}-{i}")),
                            description: Some("We meet, we **decide**, we act.".into()),
                            starts: Some(
                                format!("2027-{:02}-{:02}T18:30", 1 + i % 12, 1 + (g + i) % 28)
                                    .parse()
                                    .unwrap(),
                            ),
                            time_zone: Some("Europe/Paris".into()),
                            place: Some(Some(format!("Hall {i}"))),
                            tags: Some(vec![format!("tag{}", i % 20)]),
                            // Spread over France: a tenth within 50 km of Paris.
                            coordinates: Some(Some((
                                43.0 + ((g * 7 + i * 13) % 60) as f64 / 10.0,
                                -1.0 + ((g * 11 + i * 3) % 80) as f64 / 10.0,
                            ))),
                            ..EventEdit::default()
                        },
                        group: Some(gid.to_hex()),
                    })
                    .unwrap();
                first.get_or_insert((id, gid));
            }
        }
        first.unwrap()
    };
    println!(
        "seeded {total} public events in {} groups in {:.1} s",
        total.div_ceil(100),
        seeding.elapsed().as_secs_f64()
    );

    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
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
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(server.stdout.take().unwrap()).lines();
    while !lines.next().unwrap().unwrap().starts_with("p2p ") {}
    std::thread::spawn(move || for _ in lines {});

    let (floor, f50, f99) = load(port, "/healthz");
    println!(
        "floor, /healthz: {floor:.0} req/s, p50 {:.1} ms, p99 {:.1} ms",
        f50.as_secs_f64() * 1e3,
        f99.as_secs_f64() * 1e3
    );
    for (name, path) in [
        ("home page", "/".to_owned()),
        ("home page in French", "/?lang=fr".to_owned()),
        ("listing", "/events".to_owned()),
        (
            "listing, 50 km around Paris",
            "/events?near=Paris&km=50".to_owned(),
        ),
        ("listing, a tag", "/events?tag=tag7".to_owned()),
        ("event page", format!("/events/{}", event.to_hex())),
        ("group page", format!("/groups/{}", group.to_hex())),
    ] {
        let (rps, p50, p99) = load(port, &path);
        println!(
            "{name}: {rps:.0} req/s ({:.2} of the floor), p50 {:.1} ms, p99 {:.1} ms",
            rps / floor,
            p50.as_secs_f64() * 1e3,
            p99.as_secs_f64() * 1e3
        );
    }
    for _ in 0..2 {
        let (took, bytes) = get(port, "/events.ics");
        println!(
            "instance calendar: {:.1} MB in {:.0} ms",
            bytes as f64 / 1e6,
            took.as_secs_f64() * 1e3
        );
    }
    let _ = server.kill();
    let _ = server.wait();
}
