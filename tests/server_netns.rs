//! Two devices on two networks that cannot reach each other, both able to reach a
//! server (three network namespaces: the server has a leg in each network and
//! does not route between them). An event and its edits made on one reach the
//! other through the server only; a device reaches the other through the
//! server's relay; members-only documents never reach the server.
//!
//! Needs root (for `ip netns`); the test says so and fails without it.

use std::path::Path;
use std::time::Duration;

use rally_e2e::{
    Namespaces, Server, SyncProcess, dir_contains, id_of, json, rally, show, wait_for,
};

fn sync_once(ns: &Namespaces, host: &str, dir: &Path, args: &[&str]) -> Result<(), String> {
    sync_within(ns, host, dir, args, 20)
}

fn sync_within(
    ns: &Namespaces,
    host: &str,
    dir: &Path,
    args: &[&str],
    seconds: u32,
) -> Result<(), String> {
    let mut cmd = std::process::Command::new("ip");
    cmd.args(ns.exec(host)[1..].iter())
        .arg(rally_e2e::bin("rally"))
        .arg("--data")
        .arg(dir)
        .args([
            "sync",
            "--once",
            "--no-mdns",
            "--timeout",
            &seconds.to_string(),
        ])
        .args(args);
    let out = cmd.output().unwrap();
    if out.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

#[test]
fn devices_on_separate_networks_converge_through_the_server_only() {
    let mut ns = Namespaces::new("rs");
    let srv_host = ns.add("srv");
    let h1 = ns.add("c1");
    let h2 = ns.add("c2");
    ns.link(
        (&srv_host, "eth1", "10.61.1.1/24"),
        (&h1, "eth0", "10.61.1.2/24"),
    );
    ns.link(
        (&srv_host, "eth2", "10.61.2.1/24"),
        (&h2, "eth0", "10.61.2.2/24"),
    );

    let (srv_dir, d1, d2) = (
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
    );
    let (d1, d2) = (d1.path(), d2.path());
    rally(d1, &["persona", "new", "organiser"]);
    let friend = id_of(&json(d2, &["persona", "new", "friend"]));
    let picnic = id_of(&json(
        d1,
        &[
            "event",
            "create",
            "--title",
            "Picnic against the motorway",
            "--starts",
            "2055-05-09T12:00",
            "--tz",
            "Europe/Paris",
        ],
    ));
    rally(d1, &["event", "invite", &picnic, &friend]);
    let committee = id_of(&json(
        d1,
        &["group", "create", "Motorway committee", "--members-only"],
    ));
    rally(
        d1,
        &["group", "add", &committee, &friend, "--name", "friend"],
    );
    rally(
        d1,
        &[
            "event",
            "create",
            "--title",
            "Committee strategy night",
            "--starts",
            "2055-05-01T19:00",
            "--tz",
            "Europe/Paris",
            "--group",
            &committee,
            "--visibility",
            "members-only",
        ],
    );
    let banner = id_of(&json(
        d2,
        &[
            "event",
            "create",
            "--title",
            "Banner painting",
            "--starts",
            "2055-05-02T15:00",
            "--tz",
            "Europe/Paris",
            "--visibility",
            "unlisted",
        ],
    ));

    let exec_srv = ns.exec(&srv_host);
    let server = Server::start(
        &exec_srv,
        srv_dir.path(),
        &[
            "--p2p",
            "/ip4/0.0.0.0/udp/0/quic-v1",
            "--registrations",
            "open",
        ],
        3,
    );
    let via_1 = server.p2p_with("10.61.1.1");
    let via_2 = server.p2p_with("10.61.2.1");

    // The friend's device stays online, syncing with the server and reachable
    // through its relay.
    let exec_2 = ns.exec(&h2);
    let friend_node = SyncProcess::start(
        &exec_2,
        d2,
        &[
            "--listen",
            "/ip4/0.0.0.0/udp/0/quic-v1",
            "--server",
            &via_2,
            "--no-mdns",
        ],
    );
    let friend_direct = friend_node.first_line.clone();
    let friend_peer = friend_direct.rsplit("/p2p/").next().unwrap().to_owned();

    // The networks are apart: the organiser cannot dial the friend directly.
    let err = sync_within(&ns, &h1, d1, &["--peer", &friend_direct], 5).unwrap_err();
    assert!(err.contains("not in sync"), "{err}");

    // Through the server: the event, then its edits.
    sync_once(&ns, &h1, d1, &["--server", &via_1]).unwrap();
    let took = wait_for(
        "the event through the server",
        Duration::from_secs(30),
        || show(d2, &picnic).is_some(),
    );
    eprintln!("event reached the other network in {took:?}");
    rally(
        d1,
        &[
            "event",
            "edit",
            &picnic,
            "--title",
            "Picnic against the motorway (bring blankets)",
        ],
    );
    rally(
        d1,
        &["event", "edit", &picnic, "--place", "The old orchard"],
    );
    sync_once(&ns, &h1, d1, &["--server", &via_1]).unwrap();
    wait_for(
        "the edits through the server",
        Duration::from_secs(30),
        || {
            show(d2, &picnic).is_some_and(|e| {
                e["details"]["title"] == "Picnic against the motorway (bring blankets)"
                    && e["details"]["place"]["name"] == "The old orchard"
            })
        },
    );
    // And back: the friend answers while online; the organiser picks it up later.
    rally(d2, &["event", "join", &picnic]);
    rally(
        d2,
        &["event", "comment", &picnic, "I'll bring the big thermos"],
    );
    wait_for(
        "the answer through the server",
        Duration::from_secs(30),
        || {
            sync_once(&ns, &h1, d1, &["--server", &via_1]).unwrap();
            show(d1, &picnic).is_some_and(|e| {
                e["going"] == 1 && e["comments"].as_array().is_some_and(|c| c.len() == 1)
            })
        },
    );
    // The server relays what the organiser takes part in, and offers everyone
    // only its public events (Discover): the friend's unlisted event did not come
    // that way.
    assert!(show(d1, &banner).is_none());

    // Through the server's relay, the two devices sync directly, and the
    // friend shares its own unlisted event.
    let circuit = format!("{via_1}/p2p-circuit/p2p/{friend_peer}");
    sync_once(&ns, &h1, d1, &["--peer", &circuit]).unwrap();
    assert!(
        show(d1, &banner).is_some(),
        "nothing came over the relayed connection"
    );

    drop(friend_node);
    drop(server);
    // The server never held the members-only group or its event; it held the rest.
    assert!(
        dir_contains(srv_dir.path(), "Picnic against the motorway"),
        "control"
    );
    assert!(!dir_contains(srv_dir.path(), "Motorway committee"));
    assert!(!dir_contains(srv_dir.path(), "Committee strategy night"));
}
