//! The server on loopback, through the real binaries: registration modes, a
//! SIGKILL in the middle of syncs (nothing acknowledged is lost), and a clean stop
//! on SIGTERM.

use std::path::Path;
use std::time::Duration;

use rally_e2e::{Server, dir_contains, id_of, json, rally, server_admin, show, sync_with_server};

const QUIC: &str = "/ip4/127.0.0.1/udp/0/quic-v1";

fn persona(dir: &Path, name: &str) -> String {
    id_of(&json(dir, &["persona", "new", name]))
}

/// `rally sync --server ADDR --once` (plus `extra`); `Err(stderr)` when it fails.
fn sync(dir: &Path, server: &str, extra: &[&str]) -> Result<String, String> {
    let out = sync_with_server(dir, server, extra);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    if out.status.success() {
        Ok(stderr)
    } else {
        Err(stderr)
    }
}

fn http_get(base: &str, path: &str) -> String {
    use std::io::{Read, Write};
    let host = base.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(host).unwrap();
    write!(stream, "GET {path} HTTP/1.0\r\nHost: {host}\r\n\r\n").unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    response
}

#[test]
fn registration_modes_are_enforced() {
    let srv = tempfile::tempdir().unwrap();
    let server = Server::start(&[], srv.path(), &["--p2p", QUIC], 1);
    let addr = server.p2p[0].clone();
    assert!(
        addr.contains("/p2p/12D3"),
        "the address names the server: {addr}"
    );
    let dirs: Vec<tempfile::TempDir> = (0..3).map(|_| tempfile::tempdir().unwrap()).collect();
    let [a, b, c] = [dirs[0].path(), dirs[1].path(), dirs[2].path()];
    persona(a, "ana");
    persona(b, "ben");
    persona(c, "cleo");
    let a_event = id_of(&json(
        a,
        &[
            "event",
            "create",
            "--title",
            "Ana's assembly",
            "--starts",
            "2055-02-01T18:00",
            "--tz",
            "UTC",
        ],
    ));
    rally(
        c,
        &[
            "event",
            "create",
            "--title",
            "Cleo was never let in",
            "--starts",
            "2055-02-01T18:00",
            "--tz",
            "UTC",
        ],
    );

    // By invitation (the default): no code, a wrong code, a used-up code.
    let why = sync(a, &addr, &[]).unwrap_err();
    assert!(why.contains("by invitation"), "{why}");
    let why = sync(a, &addr, &["--invite", "0000-0000-0000"]).unwrap_err();
    assert!(why.contains("not valid"), "{why}");
    let code = server_admin(srv.path(), &["invite", "--uses", "1"]);
    sync(a, &addr, &["--invite", &code]).unwrap();
    let why = sync(b, &addr, &["--invite", &code]).unwrap_err();
    assert!(
        why.contains("not valid"),
        "a one-use code let two personas in: {why}"
    );
    // Once registered, no code is needed.
    sync(a, &addr, &[]).unwrap();

    // Changed while the server runs.
    assert_eq!(
        server_admin(srv.path(), &["registrations", "open"]),
        "registrations: open"
    );
    sync(b, &addr, &[]).unwrap();
    server_admin(srv.path(), &["registrations", "closed"]);
    let why = sync(c, &addr, &[]).unwrap_err();
    assert!(why.contains("does not accept new registrations"), "{why}");
    sync(a, &addr, &[]).unwrap();
    sync(b, &addr, &[]).unwrap();

    let info = http_get(&server.http, "/api/v1/server");
    assert!(info.contains(r#""registrations":"closed""#), "{info}");
    assert!(http_get(&server.http, "/").contains("Registration is closed."));
    assert_eq!(server_admin(srv.path(), &["registered"]).lines().count(), 2);

    // What a refused persona had never reached the server; what a registered one
    // shares did.
    assert!(dir_contains(srv.path(), "Ana's assembly"), "control");
    assert!(!dir_contains(srv.path(), "Cleo was never let in"));
    assert!(show(a, &a_event).is_some());
}

/// The beliefs `dir`'s persona holds about what its peers have: (doc, heads).
fn beliefs(dir: &Path) -> Vec<(Vec<u8>, Vec<u8>)> {
    let conn = rally_store::at_rest::connect(dir).unwrap();
    let mut stmt = conn.prepare("SELECT doc, heads FROM beliefs").unwrap();
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

#[test]
fn a_server_killed_during_syncs_loses_nothing_it_acknowledged() {
    let srv = tempfile::tempdir().unwrap();
    let (da, db) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (a, b) = (da.path(), db.path());
    persona(a, "organiser");
    let member = persona(b, "member");
    let group = id_of(&json(a, &["group", "create", "Tenants' union"]));
    rally(a, &["group", "add", &group, &member, "--name", "member"]);
    const EVENTS: usize = 150;
    for i in 0..EVENTS {
        let start = format!("2055-03-{:02}T18:00", 1 + i % 28);
        rally(
            a,
            &[
                "event",
                "create",
                "--title",
                &format!("Meeting {i}"),
                "--starts",
                &start,
                "--tz",
                "UTC",
                "--group",
                &group,
            ],
        );
    }

    let mut acknowledged = 0;
    for (round, after_ms) in [30u64, 60, 75, 90, 105, 400].into_iter().enumerate() {
        let server = Server::start(
            &[],
            srv.path(),
            // One organiser's 150 events in one go: past the default cap.
            &[
                "--p2p",
                QUIC,
                "--registrations",
                "open",
                "--cap-events-per-hour",
                "1000",
            ],
            1,
        );
        let addr = server.p2p[0].clone();
        // Edits keep coming while the organiser syncs.
        let title = format!("Meeting 0, round {round}");
        let mut syncing = rally_e2e::Process::spawn({
            let mut c = std::process::Command::new(rally_e2e::bin("rally"));
            c.arg("--data")
                .arg(a)
                .args(["sync", "--server", &addr, "--no-mdns"]);
            c
        });
        std::thread::sleep(Duration::from_millis(after_ms));
        let list = json(a, &["event", "list", "--group", &group, "--limit", "1000"]);
        let first = list
            .as_array()
            .unwrap()
            .iter()
            .find(|e| {
                e["title"]
                    .as_str()
                    .is_some_and(|t| t.starts_with("Meeting 0"))
            })
            .map(|e| e["id"].as_str().unwrap().to_owned())
            .unwrap();
        rally(a, &["event", "edit", &first, "--title", &title]);
        std::thread::sleep(Duration::from_millis(after_ms));
        let mut server = server;
        server.process.signal("KILL");
        // The organiser stops cleanly, writing down what the server acknowledged.
        syncing.signal("TERM");
        let believed = beliefs(a);
        let store = rally_store::Store::open(srv.path()).unwrap();
        for (doc, heads) in &believed {
            let id = rally_core::DocId(doc.as_slice().try_into().unwrap());
            let heads: Vec<rally_core::ChangeHash> = heads
                .chunks_exact(32)
                .map(|h| rally_core::ChangeHash(h.try_into().unwrap()))
                .collect();
            if heads.is_empty() {
                // Believing the server holds none of it claims nothing.
                continue;
            }
            let log: Vec<[u8; 32]> = store
                .export_log(&id)
                .unwrap()
                .iter()
                .map(|e| rally_core::sealed::envelope_hash(&e.bytes))
                .collect();
            if !log.is_empty() {
                assert!(
                    heads.iter().all(|h| log.contains(&h.0)),
                    "round {round}: the server acknowledged envelopes of {} it does not hold",
                    id.to_hex()
                );
                continue;
            }
            let held = store.load(id).unwrap_or_else(|e| {
                panic!(
                    "round {round}: the server acknowledged {} but lost it: {e}",
                    id.to_hex()
                )
            });
            assert!(
                held.knows_all(&heads),
                "round {round}: the server acknowledged changes of {} it does not hold",
                id.to_hex()
            );
        }
        eprintln!(
            "round {round}: killed after {}+{} ms, {} documents acknowledged and all held",
            after_ms,
            after_ms,
            believed.len()
        );
        acknowledged = acknowledged.max(believed.len());
    }
    assert!(
        acknowledged > 0,
        "no round got as far as an acknowledgement"
    );

    // Restarted, the server brings both sides together.
    let server = Server::start(&[], srv.path(), &["--p2p", QUIC], 1);
    let addr = server.p2p[0].clone();
    sync(a, &addr, &[]).unwrap();
    sync(b, &addr, &[]).unwrap();
    let seen = json(b, &["event", "list", "--group", &group, "--limit", "1000"]);
    assert_eq!(seen.as_array().unwrap().len(), EVENTS);
    assert!(
        seen.as_array()
            .unwrap()
            .iter()
            .any(|e| e["title"] == "Meeting 0, round 5"),
        "the last edit did not arrive: {seen}"
    );
}

#[test]
fn sigterm_stops_the_server_cleanly() {
    let srv = tempfile::tempdir().unwrap();
    let mut server = Server::start(&[], srv.path(), &["--p2p", QUIC], 1);
    let first = server.p2p[0].clone();
    let status = server.process.signal("TERM");
    assert!(status.success(), "exit status {status:?}");
    // Same identity after a restart: the address users were given still names it.
    let server = Server::start(&[], srv.path(), &["--p2p", QUIC], 1);
    let peer = |a: &str| a.rsplit("/p2p/").next().unwrap().to_owned();
    assert_eq!(peer(&server.p2p[0]), peer(&first));
}

/// Anti-spam: the server takes at most 100 comments an hour from one persona.
/// The 101st is refused with the reason (it waits on Ana's device); Ben's
/// comment and Ana's first hundred reach Ben as if nothing happened.
#[test]
fn the_hundred_and_first_comment_in_an_hour_is_refused_with_a_reason() {
    let srv = tempfile::tempdir().unwrap();
    let server = Server::start(
        &[],
        srv.path(),
        &["--p2p", QUIC, "--registrations", "open"],
        1,
    );
    let addr = server.p2p[0].clone();
    let (da, db) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (a, b) = (da.path(), db.path());
    persona(a, "ana");
    persona(b, "ben");
    let event = id_of(&json(
        a,
        &[
            "event",
            "create",
            "--title",
            "Open mic",
            "--starts",
            "2055-02-01T18:00",
            "--tz",
            "Europe/Paris",
        ],
    ));
    for i in 0..100 {
        rally(a, &["event", "comment", &event, &format!("song {i}")]);
    }
    sync(a, &addr, &[]).unwrap();
    rally(a, &["event", "comment", &event, "song 100, one too many"]);
    let why = sync(a, &addr, &[]).unwrap_err();
    assert!(why.contains("at most 100 comments an hour"), "{why}");
    // Nothing lost: it waits on Ana's device.
    let here = json(a, &["event", "show", &event]);
    assert_eq!(here["comments"].as_array().unwrap().len(), 101);
    // Others go on as before.
    sync(b, &addr, &[]).unwrap();
    rally(b, &["event", "join", &event]);
    rally(b, &["event", "comment", &event, "great songs"]);
    sync(b, &addr, &[]).unwrap();
    sync(b, &addr, &[]).unwrap();
    let there = json(b, &["event", "show", &event]);
    let bodies: Vec<&str> = there["comments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["body"].as_str().unwrap())
        .collect();
    assert_eq!(bodies.len(), 101, "Ana's hundred and Ben's");
    assert!(bodies.contains(&"great songs"));
    assert!(!bodies.contains(&"song 100, one too many"));
}

/// The server's policy reaches a device as it registers, shown once, and
/// again when the admins change it.
#[test]
fn a_device_is_told_the_server_s_rules_when_it_registers() {
    let srv = tempfile::tempdir().unwrap();
    let server = Server::start(
        &[],
        srv.path(),
        &["--p2p", QUIC, "--registrations", "open"],
        1,
    );
    let addr = server.p2p[0].clone();
    let rules = srv.path().join("rules.md");
    std::fs::write(&rules, "1. No scams.\n2. Be kind.\n").unwrap();
    server_admin(
        srv.path(),
        &[
            "policy",
            "set",
            rules.to_str().unwrap(),
            "--contact",
            "mods@readers.example",
        ],
    );
    let dev = tempfile::tempdir().unwrap();
    persona(dev.path(), "ana");
    let said = sync(dev.path(), &addr, &[]).unwrap();
    assert!(said.contains("1. No scams."), "{said}");
    assert!(said.contains("mods@readers.example"), "{said}");
    let again = sync(dev.path(), &addr, &[]).unwrap();
    assert!(!again.contains("No scams"), "shown once: {again}");
    std::fs::write(&rules, "1. No scams.\n2. Be kind.\n3. No ads.\n").unwrap();
    server_admin(srv.path(), &["policy", "set", rules.to_str().unwrap()]);
    let changed = sync(dev.path(), &addr, &[]).unwrap();
    assert!(changed.contains("3. No ads."), "{changed}");
}

/// `--log-format json`: every line the server writes on standard error is one
/// JSON object with its time, level, message and fields; the peers it listens
/// on, a peer it refused (with the reason) and its stop are among them.
#[test]
fn the_server_logs_one_json_object_per_line() {
    use std::io::{BufRead, Read};
    use std::process::{Command, Stdio};
    let srv = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(rally_e2e::bin("rally-server"));
    cmd.arg("--data")
        .arg(srv.path())
        .args(["--http", "127.0.0.1:0", "--p2p", QUIC])
        .args(["--registrations", "closed", "--log-format", "json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(url) = rally_e2e::test_database(srv.path()) {
        cmd.args(["--database", &url]);
    }
    let mut child = cmd.spawn().unwrap();
    let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut stderr = child.stderr.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut all = String::new();
        stderr.read_to_string(&mut all).unwrap();
        all
    });
    let addr = loop {
        let mut line = String::new();
        assert!(stdout.read_line(&mut line).unwrap() > 0, "the server ended");
        if let Some(a) = line.strip_prefix("p2p ") {
            break a.trim().to_owned();
        }
    };
    let dev = tempfile::tempdir().unwrap();
    persona(dev.path(), "ana");
    let why = sync(dev.path(), &addr, &[]).unwrap_err();
    assert!(why.contains("does not accept"), "{why}");
    std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(child.wait().unwrap().success());
    let log = reader.join().unwrap();
    let events: Vec<serde_json::Value> = log
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l:?}")))
        .collect();
    assert!(
        events
            .iter()
            .all(|e| e["timestamp"].is_string() && e["level"].is_string()),
        "{log}"
    );
    let find = |message: &str| events.iter().find(|e| e["message"] == message);
    assert_eq!(find("listening for peers").unwrap()["p2p"], addr.as_str());
    let refused = find("refused a peer").unwrap_or_else(|| panic!("{log}"));
    assert!(
        refused["reason"]
            .as_str()
            .is_some_and(|r| r.contains("does not accept")),
        "{refused}"
    );
    assert!(find("stopped").is_some(), "{log}");
}

/// The value of a sample in `/metrics`' text (the first line starting with
/// `name` followed by a space).
fn sample(metrics: &str, name: &str) -> Option<f64> {
    metrics
        .lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
}

/// For whoever runs the instance: `/healthz` says the server and its database
/// answer; `/metrics` (Prometheus' text format) counts the peers connected and
/// the changes received, and times a round trip to the database.
#[test]
fn the_server_reports_its_health_and_figures() {
    let srv = tempfile::tempdir().unwrap();
    let server = Server::start(
        &[],
        srv.path(),
        &["--p2p", QUIC, "--registrations", "open"],
        1,
    );
    let health = http_get(&server.http, "/healthz");
    assert!(
        health.starts_with("HTTP/1.0 200") && health.ends_with("ok\n"),
        "{health}"
    );
    let metrics = || {
        let r = http_get(&server.http, "/metrics");
        assert!(r.starts_with("HTTP/1.0 200"), "{r}");
        assert!(r.contains("application/openmetrics-text"), "{r}");
        r
    };
    let first = metrics();
    assert!(
        first.contains("# TYPE rally_peers_connected gauge"),
        "{first}"
    );
    assert!(first.trim_end().ends_with("# EOF"), "{first}");
    assert!(sample(&first, "rally_database_seconds").is_some_and(|s| s > 0.0 && s < 5.0));
    assert_eq!(sample(&first, "rally_peers_connected"), Some(0.0));

    let device = tempfile::tempdir().unwrap();
    rally(device.path(), &["persona", "new", "ana"]);
    rally(
        device.path(),
        &[
            "event",
            "create",
            "--title",
            "Repair café",
            "--starts",
            "2055-03-01T10:00",
            "--tz",
            "UTC",
        ],
    );
    let sync = rally_e2e::SyncProcess::start(
        &[],
        device.path(),
        &["--server", &server.p2p[0], "--no-mdns", "--listen", QUIC],
    );
    rally_e2e::wait_for(
        "a connected peer in /metrics",
        Duration::from_secs(30),
        || {
            let m = metrics();
            sample(&m, "rally_peers_connected") == Some(1.0)
                && sample(&m, "rally_changes_received_total").is_some_and(|n| n >= 1.0)
        },
    );
    drop(sync);
    rally_e2e::wait_for(
        "the peer gone from /metrics",
        Duration::from_secs(30),
        || sample(&metrics(), "rally_peers_connected") == Some(0.0),
    );
}
