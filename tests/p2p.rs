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
            "2055-04-01T15:00",
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
                "2055-04-01T15:00",
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

/// A store whose announcement is larger than the frame limit syncs whole: the
/// announcement and the acknowledgements are split, and nothing waits forever
/// for a frame the peer refuses. With the smallest limit (320 KiB) this takes a
/// few thousand events; the benchmark `big_store` does the same with 200 000
/// events against the default 4 MiB.
#[test]
fn a_store_above_the_frame_limit_syncs_to_a_fresh_device() {
    use rally_core::protocol::FrameLimit;
    use rally_e2e::{events_in, rally_output, seed_events};
    const EVENTS: usize = 6_000;
    // Each announced document costs some 70 bytes in a `Heads`.
    const {
        assert!(
            EVENTS * 70 > FrameLimit::MIN,
            "the store is above the limit"
        )
    };
    let limit = FrameLimit::MIN.to_string();
    let source = tempfile::tempdir().unwrap();
    assert_eq!(seed_events(source.path(), EVENTS), EVENTS as i64);
    let serving = SyncProcess::start(
        &[],
        source.path(),
        &[
            "--listen",
            "/ip4/127.0.0.1/tcp/0",
            "--no-mdns",
            "--max-frame",
            &limit,
        ],
    );
    let device = tempfile::tempdir().unwrap();
    rally(device.path(), &["persona", "new", "newcomer"]);
    let started = std::time::Instant::now();
    let out = rally_output(
        device.path(),
        &[
            "sync",
            "--peer",
            &serving.first_line,
            "--once",
            "--no-mdns",
            "--timeout",
            "120",
            "--max-frame",
            &limit,
        ],
    );
    assert!(out.status.success(), "{out:?}");
    assert_eq!(events_in(device.path()), EVENTS as i64);
    eprintln!(
        "{EVENTS} events under a {limit}-byte frame limit: {:?}",
        started.elapsed()
    );
}

/// Less on the device, through the real binary and a real sync: a device that
/// keeps six months forgets an event of two years ago (its store no longer
/// holds the title), a sync with the organiser's device does not bring it
/// back, and `store fetch` does, with what was added meanwhile.
#[test]
fn a_device_that_keeps_six_months_forgets_older_events_until_asked() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    rally(a.path(), &["persona", "new", "ana"]);
    rally(b.path(), &["persona", "new", "ben"]);
    let create = |title: &str, starts: &str| {
        json(
            a.path(),
            &[
                "event", "create", "--title", title, "--starts", starts, "--tz", "UTC",
            ],
        )["id"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let old = create("Blockade of the depot", "2024-10-01T06:00");
    create("Picnic against the motorway", "2055-06-01T12:00");
    let pa = SyncProcess::start(
        &[],
        a.path(),
        &["--listen", "/ip4/127.0.0.1/udp/0/quic-v1", "--no-mdns"],
    );
    let sync = || rally_e2e::sync_once_with(b.path(), &pa.first_line);
    sync();
    assert!(show(b.path(), &old).is_some());

    let kept = json(b.path(), &["store", "keep", "--months", "6"]);
    assert_eq!(kept["forgotten"], serde_json::json!([old]), "{kept}");
    assert!(show(b.path(), &old).is_none());
    assert!(!rally_e2e::dir_contains(b.path(), "Blockade of the depot"));
    let info = json(b.path(), &["store", "info"]);
    assert_eq!(
        (info["keep_months"].as_u64(), info["forgotten"].as_u64()),
        (Some(6), Some(1))
    );

    rally(
        a.path(),
        &["event", "comment", &old, "Charges dropped for all"],
    );
    sync();
    assert!(
        show(b.path(), &old).is_none(),
        "sync brought a forgotten event back"
    );
    assert_eq!(
        json(b.path(), &["event", "list"]).as_array().unwrap().len(),
        1
    );

    rally(b.path(), &["store", "fetch", &old[..10]]);
    sync();
    let back = show(b.path(), &old).expect("fetched again");
    assert_eq!(back["details"]["title"], "Blockade of the depot");
    assert_eq!(
        back["comments"][0]["body"], "Charges dropped for all",
        "{back}"
    );
}
