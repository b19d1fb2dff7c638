//! Several server processes, one instance: two `rally-server` processes on one
//! PostgreSQL database (a throwaway cluster, `rally_pgtest`), behind one public
//! URL (a round-robin balancer). Devices syncing through either see what was
//! written through the other; a Fedify follower gets each update once; a
//! process killed in the middle of a delivery loses nothing.

use std::path::Path;
use std::time::Duration;

use rally_e2e::{
    Balancer, FediPeer, Process, Server, bin, group_event, id_of, json, rally, show,
    sync_with_server, wait_for,
};

const STARTS: &str = "2055-04-02T18:00";
const TZ: &str = "Europe/Paris";

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A server process on `database` (none: the one its directory names), with
/// HTTP on `port`, reached at `public`.
fn start_on(dir: &Path, port: u16, public: &str, database: Option<&str>, args: &[&str]) -> Server {
    let mut cmd = std::process::Command::new(bin("rally-server"));
    cmd.arg("--data")
        .arg(dir)
        .args(["--http", &format!("127.0.0.1:{port}")])
        .args(["--public-url", public])
        .args(["--p2p", "/ip4/127.0.0.1/udp/0/quic-v1"])
        .args(args);
    if let Some(database) = database {
        cmd.args(["--database", database]);
    }
    let mut process = Process::spawn(cmd);
    process.line("http ", Duration::from_secs(30));
    let p2p = vec![process.line("p2p ", Duration::from_secs(30))];
    Server {
        process,
        http: format!("http://127.0.0.1:{port}"),
        p2p,
    }
}

/// One process of the shared instance.
fn start(dir: &Path, port: u16, public: &str, database: &str) -> Server {
    start_on(
        dir,
        port,
        public,
        Some(database),
        &["--registrations", "open", "--delivery-lease", "3"],
    )
}

fn sync(dir: &Path, server: &Server) {
    let out = sync_with_server(dir, &server.p2p[0], &[]);
    assert!(out.status.success(), "{out:?}");
}

fn status(base: &str, path: &str) -> u16 {
    ureq::get(&format!("{base}{path}"))
        .header("Accept", "application/activity+json")
        .config()
        .http_status_as_error(false)
        .build()
        .call()
        .map_or(0, |r| r.status().as_u16())
}

/// The deliveries waiting in the shared queue, and how many of them a process
/// has taken (leased: not due before a moment still to come).
fn queue(database: &str) -> (i64, i64) {
    let mut c = postgres::Client::connect(database, postgres::NoTls).unwrap();
    let row = c
        .query_one(
            "SELECT count(*), count(*) FILTER (WHERE next_at > extract(epoch FROM now())::bigint)
             FROM fedi.deliveries",
            &[],
        )
        .unwrap();
    (row.get(0), row.get(1))
}

/// A document id's 32 bytes.
fn hex_id(id: &str) -> Vec<u8> {
    (0..id.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&id[i..i + 2], 16).unwrap())
        .collect()
}

fn objects(peer: &FediPeer, kind: &str, object: &str) -> usize {
    peer.received(kind)
        .iter()
        .filter(|c| c["body"]["object"]["id"] == object)
        .count()
}

#[test]
fn two_processes_on_one_database_serve_one_instance() {
    let database = rally_pgtest::Cluster::shared().database();
    let (port_a, port_b) = (free_port(), free_port());
    let balancer = Balancer::start(vec![port_a, port_b]);
    let public = format!("http://localhost:{}", balancer.port);
    let (dir_a, dir_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let a = start(dir_a.path(), port_a, &public, &database);
    let mut b = start(dir_b.path(), port_b, &public, &database);
    let wait = Duration::from_secs(60);

    // Ana writes through A, Ben reads and writes through B.
    let (ana, ben) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    rally(ana.path(), &["persona", "new", "Ana"]);
    rally(ben.path(), &["persona", "new", "Ben"]);
    let group = id_of(&json(ana.path(), &["group", "create", "Readers"]));
    sync(ana.path(), &a);
    let group_path = format!("/groups/{group}");
    wait_for("the group to reach the other process", wait, || {
        status(&b.http, &group_path) == 200
    });

    // A Fediverse follower, through the balancer (its requests reach both).
    let peer = FediPeer::start("rfc9421");
    let actor = format!("{public}{group_path}");
    peer.call(
        "/control/follow",
        serde_json::json!({"as": "alice", "target": actor}),
    );
    wait_for("the follow to be accepted", wait, || {
        peer.state_in("/following", "target", &actor).as_deref() == Some("accepted")
    });

    let event = group_event(ana.path(), &group, "Book swap", STARTS, TZ);
    sync(ana.path(), &a);
    let event_url = format!("{public}/events/{event}");
    wait_for("the event to reach the follower", wait, || {
        objects(&peer, "Create", &event_url) > 0
    });

    // Ben, through B, sees Ana's event and comments; Ana, through A, sees it.
    wait_for("the event to reach Ben through B", wait, || {
        sync(ben.path(), &b);
        show(ben.path(), &event).is_some()
    });
    rally(ben.path(), &["event", "comment", &event, "Count me in"]);
    sync(ben.path(), &b);
    wait_for("Ben's comment to reach Ana through A", wait, || {
        sync(ana.path(), &a);
        show(ana.path(), &event).is_some_and(|e| e.to_string().contains("Count me in"))
    });

    // A members-only group: Ana invites through A; Ben joins through B, which
    // learns from A's relay that the invitation is open, and reads Ana's
    // message there.
    let kitchen = id_of(&json(
        ana.path(),
        &["group", "create", "Quiet kitchen", "--members-only"],
    ));
    let token = json(ana.path(), &["group", "invite", &kitchen])["token"]
        .as_str()
        .unwrap()
        .to_owned();
    sync(ana.path(), &a);
    rally(ben.path(), &["group", "join", &token]);
    let listed =
        |dir: &Path, args: &[&str], needle: &str| json(dir, args).to_string().contains(needle);
    wait_for("Ben to be let in through B", wait, || {
        sync(ben.path(), &b);
        listed(ben.path(), &["group", "list"], &kitchen)
    });
    wait_for("Ana to see Ben join, through A", wait, || {
        sync(ana.path(), &a);
        listed(ana.path(), &["group", "show", &kitchen], "Ben")
    });
    rally(
        ana.path(),
        &["message", "send", &kitchen, "Soup on Thursday"],
    );
    sync(ana.path(), &a);
    wait_for("Ana's message to reach Ben through B", wait, || {
        sync(ben.path(), &b);
        listed(
            ben.path(),
            &["message", "list", &kitchen],
            "Soup on Thursday",
        )
    });

    // An edit synced through the other process: one Update.
    rally(
        ana.path(),
        &["event", "edit", &event, "--title", "Big book swap"],
    );
    sync(ana.path(), &b);
    wait_for("the update to reach the follower", wait, || {
        peer.received("Update")
            .iter()
            .any(|u| u["body"]["object"]["name"] == "Big book swap")
    });
    // Both processes saw both changes; give a second sending every chance.
    std::thread::sleep(Duration::from_secs(4));
    assert_eq!(
        objects(&peer, "Create", &event_url),
        1,
        "one Create, not two"
    );
    let updates = peer
        .received("Update")
        .iter()
        .filter(|u| u["body"]["object"]["name"] == "Big book swap")
        .count();
    assert_eq!(updates, 1, "one Update, not two");
    assert_eq!(queue(&database).0, 0, "the queue is empty");

    // A process killed while it delivers: the other delivers after the lease.
    b.process.signal("TERM");
    let freeze = |sig: &str| {
        std::process::Command::new("kill")
            .arg(format!("-{sig}"))
            .arg(peer.process.pid().to_string())
            .status()
            .unwrap();
    };
    freeze("STOP");
    rally(
        ana.path(),
        &["event", "edit", &event, "--title", "Biggest book swap"],
    );
    sync(ana.path(), &a);
    wait_for("A to take the delivery", wait, || queue(&database).1 == 1);
    let mut a = a;
    a.process.signal("KILL");
    freeze("CONT");
    let b = start(dir_b.path(), port_b, &public, &database);
    wait_for("B to deliver what A had taken", wait, || {
        peer.received("Update")
            .iter()
            .any(|u| u["body"]["object"]["name"] == "Biggest book swap")
    });
    wait_for("the queue to empty", wait, || queue(&database).0 == 0);
    // B (started after A died, so its counters are its own) made the delivery.
    let metrics = ureq::get(&format!("{}/metrics", b.http))
        .call()
        .unwrap()
        .body_mut()
        .read_to_string()
        .unwrap();
    let delivered = metrics
        .lines()
        .find_map(|l| {
            l.strip_prefix(r#"rally_federation_deliveries_total{outcome="Delivered"} "#)?
                .parse::<f64>()
                .ok()
        })
        .unwrap_or(0.0);
    assert!(delivered >= 1.0, "{metrics}");

    // A suspension made through B's admin hides Ana's event from devices
    // syncing through A too (A aligns what it shares with the shared state).
    let a = start(dir_a.path(), port_a, &public, &database);
    let ana_id = json(ana.path(), &["persona", "list"])[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    // A report sent through B is in the one queue, whichever process is asked.
    rally(
        ben.path(),
        &[
            "report", "event", &event, "--reason", "spam", "--to", "admins",
        ],
    );
    sync(ben.path(), &b);
    wait_for("the report to reach the shared queue", wait, || {
        let list = rally_e2e::server_admin(dir_a.path(), &["reports", "list", "--json"]);
        list.contains(&event)
    });
    rally_e2e::server_admin(dir_b.path(), &["suspend", &ana_id]);
    let hidden_on_a = || {
        let db = rally_store::at_rest::connect(dir_a.path()).unwrap();
        db.query_row(
            "SELECT count(*) FROM hidden_docs WHERE doc = ?1",
            [hex_id(&event)],
            |r| r.get::<_, i64>(0),
        )
        .unwrap()
            > 0
    };
    wait_for("A to hide the suspended persona's event", wait, hidden_on_a);
    let cleo = tempfile::tempdir().unwrap();
    rally(cleo.path(), &["persona", "new", "Cleo"]);
    sync(cleo.path(), &a);
    assert!(show(cleo.path(), &event).is_none(), "not offered through A");
    rally_e2e::server_admin(dir_b.path(), &["unsuspend", &ana_id]);
    wait_for("A to share it again", wait, || !hidden_on_a());
    wait_for("Cleo to get it through A", wait, || {
        sync(cleo.path(), &a);
        show(cleo.path(), &event).is_some()
    });

    // The documents are in the database: with both processes stopped, a
    // third one started on an empty directory serves them (it has no sibling
    // to sync with, so all it holds it took from the shared journal).
    let (mut a, mut b) = (a, b);
    a.process.signal("TERM");
    b.process.signal("TERM");
    let dir_c = tempfile::tempdir().unwrap();
    let c = start(dir_c.path(), free_port(), &public, &database);
    let dan = tempfile::tempdir().unwrap();
    rally(dan.path(), &["persona", "new", "Dan"]);
    sync(dan.path(), &c);
    let seen = show(dan.path(), &event).expect("the event, through a process started empty");
    let seen = seen.to_string();
    assert!(seen.contains("Biggest book swap"), "{seen}");
    assert!(seen.contains("Count me in"), "Ben's comment: {seen}");
    assert_eq!(status(&c.http, &group_path), 200, "the group's page");
}

/// `rally-server migrate` moves a populated SQLite instance into PostgreSQL;
/// the server then starts on it with the same peer id, the same actor keys,
/// its registrations and its followers: the same devices and the same
/// Fediverse follower carry on.
#[test]
fn a_sqlite_instance_moves_to_postgres_and_keeps_its_devices_and_followers() {
    let database = rally_pgtest::Cluster::shared().database();
    let port = free_port();
    let public = format!("http://localhost:{port}");
    let data = tempfile::tempdir().unwrap();
    let mut server = start_on(data.path(), port, &public, None, &[]);
    let wait = Duration::from_secs(60);
    let peer_id = |s: &Server| s.p2p[0].rsplit('/').next().unwrap().to_owned();
    let before = peer_id(&server);

    let ana = tempfile::tempdir().unwrap();
    rally(ana.path(), &["persona", "new", "Ana"]);
    let code = rally_e2e::server_admin(data.path(), &["invite"]);
    let out = sync_with_server(ana.path(), &server.p2p[0], &["--invite", &code]);
    assert!(out.status.success(), "{out:?}");
    let group = id_of(&json(ana.path(), &["group", "create", "Readers"]));
    sync(ana.path(), &server);
    let peer = FediPeer::start("rfc9421");
    let actor = format!("{public}/groups/{group}");
    peer.call(
        "/control/follow",
        serde_json::json!({"as": "alice", "target": actor}),
    );
    wait_for("the follow to be accepted", wait, || {
        peer.state_in("/following", "target", &actor).as_deref() == Some("accepted")
    });
    let key_of = || {
        ureq::get(&actor)
            .header("Accept", "application/activity+json")
            .call()
            .unwrap()
            .body_mut()
            .read_json::<serde_json::Value>()
            .unwrap()["publicKey"]["publicKeyPem"]
            .clone()
    };
    let key_before = key_of();
    server.process.signal("TERM");

    let out = std::process::Command::new(bin("rally-server"))
        .args(["migrate", "--json", "--to", &database, "--from"])
        .arg(format!("sqlite:{}", data.path().display()))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let rows = |store: &str, table: &str| {
        report[store]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["table"] == table)
            .map_or(0, |t| t["rows"].as_u64().unwrap())
    };
    assert_eq!(rows("registry", "registrations"), 1, "{report}");
    assert_eq!(rows("fedi", "followers"), 1, "{report}");
    assert!(rows("fedi", "keys") >= 1, "{report}");
    assert!(
        rows("journal", "entries") >= 1,
        "the documents too: {report}"
    );

    // Started again on the same directory, which now names the database.
    let server = start_on(data.path(), port, &public, None, &[]);
    assert_eq!(peer_id(&server), before, "the same peer id");
    assert_eq!(key_of(), key_before, "the same actor key");
    // Ana is still registered: no invitation needed.
    let event = group_event(ana.path(), &group, "After the move", STARTS, TZ);
    sync(ana.path(), &server);
    let event_url = format!("{public}/events/{event}");
    wait_for("the new event to reach the follower", wait, || {
        objects(&peer, "Create", &event_url) == 1
    });
    // A second process started on an empty directory serves the group at
    // once: the documents moved into the database too.
    let other = tempfile::tempdir().unwrap();
    let second = start_on(other.path(), free_port(), &public, Some(&database), &[]);
    assert_eq!(status(&second.http, &format!("/groups/{group}")), 200);
    let mut c = postgres::Client::connect(&database, postgres::NoTls).unwrap();
    let followers: i64 = c
        .query_one("SELECT count(*) FROM fedi.followers", &[])
        .unwrap()
        .get(0);
    assert_eq!(followers, 1, "the federation state is in PostgreSQL");
}
