//! The hostile-peer suite: each attack `rally-hostile` knows, over real libp2p on
//! loopback, against a running `rally-server` and a running `rally sync` device.
//! The server also gets 5 000 half-open HTTP connections.
//! After each one the target still answers (the server's HTTP side; an honest
//! device's `--once` sync through it), its peak memory stays under a stated
//! bound, and its store holds nothing the attacker sent — except, on the device,
//! the 5 000-envelope chain, which is a valid log a device relays like any other
//! (its cost is what is checked: it is taken whole, newest-first).

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use rally_e2e::{Server, SyncProcess, bin, id_of, json, rally, sync_with_server};

fn peak(pid: u32) -> u64 {
    rally_e2e::peak_mb(pid).expect("the target still runs")
}

/// The peak resident memory either target may reach during the suite.
const MEMORY_BOUND_MB: u64 = 256;

fn hostile(addr: &str, attack: &str, group: &str) -> String {
    let out = Command::new(bin("rally-hostile"))
        .args([addr, attack])
        .env("RALLY_HOSTILE_GROUP", group)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{attack}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// What an attacker could have left in a store: stored changes and envelopes,
/// waiting envelopes, beliefs, and relay routes.
fn footprint(data: &Path) -> Vec<(&'static str, i64)> {
    let db = rally_store::at_rest::connect(data).unwrap();
    [
        ("changes", "SELECT count(*) FROM changes"),
        ("waiting", "SELECT count(*) FROM waiting_envelopes"),
        ("needs", "SELECT count(*) FROM envelope_needs"),
        ("beliefs", "SELECT count(*) FROM beliefs"),
        ("log members", "SELECT count(*) FROM log_members"),
        ("open invitations", "SELECT count(*) FROM open_invites"),
    ]
    .into_iter()
    .map(|(what, sql)| (what, db.query_row(sql, [], |r| r.get(0)).unwrap()))
    .collect()
}

fn http_ok(base: &str) -> bool {
    ureq::get(base).call().is_ok_and(|r| r.status() == 200)
}

fn create_event(dir: &Path, title: &str) -> String {
    id_of(&json(
        dir,
        &[
            "event",
            "create",
            "--title",
            title,
            "--starts",
            "2055-03-01T18:00",
            "--tz",
            "UTC",
        ],
    ))
}

#[test]
fn a_server_under_attack_keeps_serving_and_keeps_nothing() {
    let srv = tempfile::tempdir().unwrap();
    let server = Server::start(
        &[],
        srv.path(),
        &["--p2p", "/ip4/127.0.0.1/tcp/0", "--registrations", "open"],
        1,
    );
    let addr = server.p2p[0].clone();
    let honest = tempfile::tempdir().unwrap();
    rally(honest.path(), &["persona", "new", "ana"]);
    create_event(honest.path(), "Before the attacks");
    // A members-only group whose log the server relays for its members.
    let group = id_of(&json(
        honest.path(),
        &["group", "create", "Legal team", "--members-only"],
    ));
    let first = sync_with_server(honest.path(), &addr, &[]);
    assert!(first.status.success(), "{first:?}");
    // Let the server write what it learnt of the honest device before comparing.
    std::thread::sleep(Duration::from_secs(1));
    let before = footprint(srv.path());

    for attack in ["bomb", "heads", "orphans", "chain", "route"] {
        let outcome = hostile(&addr, attack, &group);
        eprintln!("server, {attack}: {outcome}");
        assert!(http_ok(&server.http), "{attack}: the HTTP side stopped");
        let sync = sync_with_server(honest.path(), &addr, &[]);
        assert!(sync.status.success(), "{attack}: an honest sync failed");
        assert_eq!(
            footprint(srv.path()),
            before,
            "{attack}: the server kept something"
        );
    }
    // 5 000 connections to the HTTP side that never send a request: the server
    // still answers others, on HTTP and on its p2p side.
    let host = server.http.trim_start_matches("http://").to_owned();
    let half_open: Vec<std::net::TcpStream> = (0..5_000)
        .map(|_| std::net::TcpStream::connect(&host).unwrap())
        .collect();
    assert!(
        http_ok(&server.http),
        "5 000 half-open connections stopped the HTTP side"
    );
    let sync = sync_with_server(honest.path(), &addr, &[]);
    assert!(
        sync.status.success(),
        "5 000 half-open connections stopped the p2p side"
    );
    drop(half_open);
    // A crowd of relay reservations that never sync: each is dropped in time.
    let reservations = hostile(&addr, "reservations", &group);
    assert_eq!(reservations, "dropped 40 of 40");
    assert!(http_ok(&server.http));
    let peak = peak(server.process.pid());
    eprintln!("server: peak memory {peak} MB");
    assert!(peak < MEMORY_BOUND_MB, "the server reached {peak} MB");
}

#[test]
fn a_device_under_attack_keeps_syncing_and_keeps_nothing() {
    let dev = tempfile::tempdir().unwrap();
    rally(dev.path(), &["persona", "new", "bea"]);
    create_event(dev.path(), "On the device");
    let node = SyncProcess::start(
        &[],
        dev.path(),
        &["--listen", "/ip4/127.0.0.1/tcp/0", "--no-mdns"],
    );
    let addr = node.first_line.clone();
    let honest = tempfile::tempdir().unwrap();
    rally(honest.path(), &["persona", "new", "cleo"]);
    let honest_sync = || {
        let out = rally_e2e::rally_output(
            honest.path(),
            &[
                "sync",
                "--peer",
                &addr,
                "--once",
                "--no-mdns",
                "--timeout",
                "60",
            ],
        );
        assert!(out.status.success(), "{out:?}");
    };
    honest_sync();
    std::thread::sleep(Duration::from_secs(1));
    let before = footprint(dev.path());

    for attack in ["bomb", "heads", "orphans"] {
        let outcome = hostile(&addr, attack, "");
        eprintln!("device, {attack}: {outcome}");
        honest_sync();
        assert_eq!(
            footprint(dev.path()),
            before,
            "{attack}: the device kept something"
        );
    }
    // A valid chain of a log the device does not know, newest-first: a device
    // relays logs it cannot read, so it keeps it — whole, and still answering.
    let outcome = hostile(&addr, "chain", "");
    eprintln!("device, chain: {outcome}");
    honest_sync();
    let after: Vec<_> = footprint(dev.path());
    let changes = |f: &[(&str, i64)]| f.iter().find(|(w, _)| *w == "changes").unwrap().1;
    assert!(changes(&after) >= changes(&before));
    assert_eq!(
        after.iter().find(|(w, _)| *w == "waiting").unwrap().1,
        0,
        "the chain is stored whole, nothing left waiting"
    );
    let peak = peak(node.process.pid());
    eprintln!("device: peak memory {peak} MB");
    assert!(peak < MEMORY_BOUND_MB, "the device reached {peak} MB");
}
