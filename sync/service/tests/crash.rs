//! Crash safety of a use case that writes two documents: a child process creates
//! events in a group (the event, and the group's listing of it) in a loop and
//! reports each once acknowledged; the test SIGKILLs it at random moments and
//! checks after each kill that every event naming the group is listed by it, and
//! every listed event is there — both documents or neither — and that every
//! acknowledged event survived.
//!
//! The child is this same test binary, re-run with `RALLY_SERVICE_CRASH_CHILD` set;
//! it runs only the `child_writer` test.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use rally_core::GroupVisibility;
use rally_service::Service;
use rally_service::events::{EventEdit, EventSearch, NewEvent};

const CHILD_ENV: &str = "RALLY_SERVICE_CRASH_CHILD";

fn new_event(n: u64, group: &str) -> NewEvent {
    NewEvent {
        fields: EventEdit {
            title: Some(format!("write{n}")),
            starts: Some("2030-06-01T12:00".parse().unwrap()),
            time_zone: Some("Europe/Berlin".into()),
            ..EventEdit::default()
        },
        group: Some(group.to_owned()),
    }
}

/// In the child: create events in the group until killed, printing `ack N` after
/// each acknowledged one.
#[test]
fn child_writer() {
    let Ok(dir) = std::env::var(CHILD_ENV) else {
        return;
    };
    let start: u64 = std::env::var("RALLY_CRASH_START").unwrap().parse().unwrap();
    let group = std::env::var("RALLY_CRASH_GROUP").unwrap();
    let mut svc = Service::open(Path::new(&dir)).unwrap();
    for n in start.. {
        svc.create_event(new_event(n, &group)).unwrap();
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
fn an_event_and_its_listing_survive_sigkill_together() {
    if std::env::var(CHILD_ENV).is_ok() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let group = {
        let mut svc = Service::open(dir.path()).unwrap();
        svc.create_persona("writer").unwrap();
        svc.create_group("Collective", "", GroupVisibility::Public)
            .unwrap()
            .0
    };
    let exe = std::env::current_exe().unwrap();
    let mut seed = (std::process::id() as u64) << 20 | 0x51ed;
    let mut acked = BTreeSet::new();
    let mut next = 0u64;
    let rounds = 30;
    for _ in 0..rounds {
        let mut child = Command::new(&exe)
            .args(["--exact", "child_writer", "--nocapture", "--test-threads=1"])
            .env(CHILD_ENV, dir.path())
            .env("RALLY_CRASH_START", next.to_string())
            .env("RALLY_CRASH_GROUP", group.to_hex())
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
        std::thread::sleep(Duration::from_millis(40 + xorshift(&mut seed) % 300));
        child.kill().unwrap(); // SIGKILL on Unix
        child.wait().unwrap();
        reader.join().unwrap();
        let round: Vec<u64> = rx.try_iter().collect();
        if let Some(&last) = round.last() {
            next = last + 1;
        }
        acked.extend(round);
        next += 1;

        let svc = Service::open(dir.path()).unwrap();
        let listed: BTreeSet<_> = svc
            .store()
            .load(group)
            .unwrap()
            .group()
            .unwrap()
            .events
            .into_iter()
            .collect();
        let events = svc
            .events(&EventSearch {
                limit: 1_000_000,
                ..EventSearch::default()
            })
            .unwrap();
        let mut titles = BTreeSet::new();
        for e in &events {
            assert!(
                listed.contains(&e.id),
                "{} is stored but its group does not list it",
                e.title
            );
            titles.insert(e.title.clone());
        }
        for id in &listed {
            assert!(
                svc.store().load(*id).is_ok(),
                "the group lists {id}, which is not stored"
            );
        }
        for n in &acked {
            assert!(
                titles.contains(&format!("write{n}")),
                "acknowledged event {n} is lost"
            );
        }
    }
    assert!(
        acked.len() > 50,
        "too few writes to mean anything: {}",
        acked.len()
    );
    eprintln!(
        "{} acknowledged events in a group over {rounds} kills, each with its listing",
        acked.len()
    );
}
