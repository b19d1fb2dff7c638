//! Crash safety: a child process writes in a loop and reports each write once the
//! store acknowledged it; the test kills it with SIGKILL at random moments, many
//! times, and checks after each kill that every acknowledged write is there.
//!
//! The child is this same test binary, re-run with `RALLY_CRASH_CHILD` set (so no
//! extra binary is needed); it runs only the `child_writer` test.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use rally_core::jiff::Timestamp;
use rally_core::{Document, EventDetails};
use rally_store::{EventQuery, Store};

const CHILD_ENV: &str = "RALLY_CRASH_CHILD";

fn event(title: &str) -> EventDetails {
    EventDetails::new(title, "2030-06-01T12:00".parse().unwrap(), "Europe/Berlin")
}

/// In the child: create events and comments until killed, printing `ack N` after
/// each committed write.
#[test]
fn child_writer() {
    let Ok(dir) = std::env::var(CHILD_ENV) else {
        return;
    };
    let start: u64 = std::env::var("RALLY_CRASH_START").unwrap().parse().unwrap();
    let mut store = Store::open(Path::new(&dir)).unwrap();
    let persona = store.persona("writer").unwrap().unwrap();
    let target = store
        .events(&EventQuery {
            upcoming: false,
            text: Some("board".into()),
            ..EventQuery::upcoming(Timestamp::now())
        })
        .unwrap()[0]
        .id;
    for n in start.. {
        let now = Timestamp::now();
        if n % 2 == 0 {
            let (doc, _) = Document::create_event(
                &persona.persona,
                "writer",
                &event(&format!("write{n}")),
                None,
                now,
            )
            .unwrap();
            store.insert_new(&doc).unwrap();
        } else {
            store
                .update(target, |d| {
                    d.comment(&persona.persona, "writer", &format!("write{n}"), None, now)
                })
                .unwrap();
        }
        println!("ack {n}");
    }
}

fn xorshift(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}

#[test]
fn acknowledged_writes_survive_sigkill() {
    if std::env::var(CHILD_ENV).is_ok() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    {
        let mut store = Store::open(dir.path()).unwrap();
        let writer = store.create_persona("writer", Timestamp::now()).unwrap();
        let (board, _) = Document::create_event(
            &writer.persona,
            "writer",
            &event("board"),
            None,
            Timestamp::now(),
        )
        .unwrap();
        store.insert_new(&board).unwrap();
    }
    let exe = std::env::current_exe().unwrap();
    let mut seed = (std::process::id() as u64) << 20 | 0x9e37;
    let mut acked = BTreeSet::new();
    let mut next = 0u64;
    let rounds = 40;
    let mut kills_mid_write = 0;
    for _ in 0..rounds {
        let mut child = Command::new(&exe)
            .args(["--exact", "child_writer", "--nocapture", "--test-threads=1"])
            .env(CHILD_ENV, dir.path())
            .env("RALLY_CRASH_START", next.to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(n) = line
                    .strip_prefix("ack ")
                    .and_then(|n| n.parse::<u64>().ok())
                {
                    let _ = tx.send(n);
                }
            }
        });
        // Let it write for a random while, then kill it without warning.
        let wait = Duration::from_millis(30 + xorshift(&mut seed) % 400);
        let started = Instant::now();
        while started.elapsed() < wait {
            std::thread::sleep(Duration::from_millis(5));
        }
        child.kill().unwrap(); // SIGKILL on Unix
        child.wait().unwrap();
        reader.join().unwrap();
        let round: Vec<u64> = rx.try_iter().collect();
        if let Some(&last) = round.last() {
            next = last + 1;
            kills_mid_write += 1;
        }
        acked.extend(round);
        // Every acknowledged write is there after reopening.
        let store = Store::open(dir.path()).unwrap();
        let mut all = EventQuery::upcoming(Timestamp::now());
        all.upcoming = false;
        all.limit = 1_000_000;
        let events: BTreeSet<String> = store
            .events(&all)
            .unwrap()
            .into_iter()
            .map(|e| e.title)
            .collect();
        let board = store
            .events(&EventQuery {
                text: Some("board".into()),
                ..all.clone()
            })
            .unwrap()[0]
            .id;
        let comments: BTreeSet<String> = store
            .load(board)
            .unwrap()
            .event()
            .unwrap()
            .comments
            .into_iter()
            .map(|c| c.body)
            .collect();
        for n in &acked {
            let key = format!("write{n}");
            let present = if n % 2 == 0 {
                events.contains(&key)
            } else {
                comments.contains(&key)
            };
            assert!(present, "acknowledged write {n} is lost");
        }
        // A write that was committed but not yet reported keeps its number: skip past it.
        next += 1;
    }
    assert!(
        acked.len() > 100,
        "too few writes to mean anything: {}",
        acked.len()
    );
    assert!(kills_mid_write > rounds / 2);
    eprintln!(
        "{} acknowledged writes over {rounds} kills, all present",
        acked.len()
    );
}
