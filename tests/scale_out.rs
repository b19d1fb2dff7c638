//! Several server processes, one instance: two `rally-server` processes on one
//! PostgreSQL database (a throwaway cluster, `rally_pgtest`), behind one public
//! URL (a round-robin balancer). Devices syncing through either see what was
//! written through the other; a Fedify follower gets each update once; a
//! process killed in the middle of a delivery loses nothing.

use std::path::Path;
use std::time::Duration;

use rally_e2e::{
    Balancer, FediPeer, Process, Server, bin, id_of, json, rally, show, sync_with_server, wait_for,
};

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A server process on `database`, with HTTP on `port`, reached at `public`.
fn start(dir: &Path, port: u16, public: &str, database: &str) -> Server {
    let mut cmd = std::process::Command::new(bin("rally-server"));
    cmd.arg("--data")
        .arg(dir)
        .args(["--database", database])
        .args(["--http", &format!("127.0.0.1:{port}")])
        .args(["--public-url", public])
        .args(["--p2p", "/ip4/127.0.0.1/udp/0/quic-v1"])
        .args(["--registrations", "open", "--delivery-lease", "3"]);
    let mut process = Process::spawn(cmd);
    process.line("http ", Duration::from_secs(30));
    let p2p = vec![process.line("p2p ", Duration::from_secs(30))];
    Server {
        process,
        http: format!("http://127.0.0.1:{port}"),
        p2p,
    }
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

    let event = id_of(&json(
        ana.path(),
        &[
            "event",
            "create",
            "--group",
            &group,
            "--title",
            "Book swap",
            "--starts",
            "2055-04-02T18:00",
            "--tz",
            "Europe/Paris",
        ],
    ));
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
    drop(b);
}
