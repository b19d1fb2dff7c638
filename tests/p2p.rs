//! Peer-to-peer sync between real `rally` processes over libp2p on loopback:
//! three devices, each editing while `rally sync` runs on its data directory.

use std::time::Duration;

use rally_e2e::{SyncProcess, json, rally, show, wait_for};
use serde_json::Value;

#[test]
fn three_processes_converge_after_concurrent_edits() {
    let dirs: Vec<tempfile::TempDir> = (0..3).map(|_| tempfile::tempdir().unwrap()).collect();
    let [a, b, c] = [dirs[0].path(), dirs[1].path(), dirs[2].path()];
    rally(a, &["persona", "new", "ana"]);
    rally(b, &["persona", "new", "ben"]);
    rally(c, &["persona", "new", "chloé"]);
    let event = json(
        a,
        &[
            "event",
            "create",
            "--title",
            "Bike parade",
            "--starts",
            "2027-04-01T15:00",
            "--tz",
            "Europe/Paris",
        ],
    )["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let pa = SyncProcess::start(
        &[],
        a,
        &["--listen", "/ip4/127.0.0.1/udp/0/quic-v1", "--no-mdns"],
    );
    let pb = SyncProcess::start(
        &[],
        b,
        &[
            "--listen",
            "/ip4/127.0.0.1/tcp/0",
            "--peer",
            &pa.first_line,
            "--no-mdns",
        ],
    );
    let _pc = SyncProcess::start(
        &[],
        c,
        &[
            "--listen",
            "/ip4/127.0.0.1/udp/0/quic-v1",
            "--peer",
            &pa.first_line,
            "--peer",
            &pb.first_line,
            "--no-mdns",
        ],
    );
    let took = wait_for(
        "the event to reach B and C",
        Duration::from_secs(30),
        || show(b, &event).is_some() && show(c, &event).is_some(),
    );
    eprintln!("first sync: {took:?}");

    // Concurrent edits on all three devices while their sync processes run.
    rally(
        a,
        &[
            "event",
            "edit",
            &event,
            "--title",
            "Bike parade (new route)",
        ],
    );
    rally(
        b,
        &["event", "comment", &event, "I'll bring the sound system"],
    );
    rally(c, &["event", "join", &event]);
    let took = wait_for(
        "the three devices to converge",
        Duration::from_secs(30),
        || {
            let states: Vec<Option<Value>> = [a, b, c].iter().map(|d| show(d, &event)).collect();
            states.iter().all(|s| {
                s.as_ref().is_some_and(|s| {
                    s["details"]["title"] == "Bike parade (new route)"
                        && s["comments"].as_array().is_some_and(|c| c.len() == 1)
                        && s["participants"].as_array().is_some_and(|p| p.len() == 1)
                })
            }) && states[0] == states[1]
                && states[1] == states[2]
        },
    );
    eprintln!("convergence after concurrent edits: {took:?}");
}

#[test]
fn sync_once_exits_when_in_sync_and_reports_json() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    rally(a.path(), &["persona", "new", "ana"]);
    rally(b.path(), &["persona", "new", "ben"]);
    for i in 0..20 {
        rally(
            a.path(),
            &[
                "event",
                "create",
                "--title",
                &format!("Event {i}"),
                "--starts",
                "2027-04-01T15:00",
                "--tz",
                "UTC",
            ],
        );
    }
    let pa = SyncProcess::start(
        &[],
        a.path(),
        &[
            "--json",
            "--listen",
            "/ip4/127.0.0.1/udp/0/quic-v1",
            "--no-mdns",
        ],
    );
    let listening: Value = serde_json::from_str(&pa.first_line).unwrap();
    let addr = listening["multiaddr"].as_str().unwrap().to_owned();
    let sync_once = || {
        json(
            b.path(),
            &[
                "sync",
                "--once",
                "--no-mdns",
                "--peer",
                &addr,
                "--timeout",
                "30",
            ],
        )
    };
    let report = sync_once();
    assert_eq!(report["changes_received"], 20);
    assert_eq!(
        json(b.path(), &["event", "list"]).as_array().unwrap().len(),
        20
    );
    // Nothing differs any more: a second round moves no change.
    let again = sync_once();
    assert_eq!(again["changes_received"], 0);
    assert!(again["bytes_received"].as_u64().unwrap() < 1_000, "{again}");
}
