//! A members-only group's chat and documents through the real `rally` binary and
//! a relay that is not a member — another device running `rally sync`, or a
//! `rally-server` — over libp2p on loopback: the members read each other through
//! the relay, the relay's files hold none of it in the clear, and a removed member
//! reads nothing sent after the removal.

use std::path::Path;

use rally_e2e::{Server, SyncProcess, dir_contains, json, rally};
use serde_json::Value;

fn persona_id(dir: &Path) -> String {
    let list = json(dir, &["persona", "list"]);
    list[0]["id"].as_str().unwrap().to_owned()
}

/// How a device reaches the relay: `--peer ADDR` or `--server ADDR`.
struct Via(&'static str, String);

/// `sync … --once` through the relay.
fn sync_args(via: &Via) -> [&str; 7] {
    [
        "sync",
        via.0,
        &via.1,
        "--once",
        "--no-mdns",
        "--timeout",
        "60",
    ]
}

fn sync_once(dir: &Path, via: &Via) {
    rally(dir, &sync_args(via));
}

/// Alice, Bob and Carol, and a members-only group of Alice's they belong to.
fn three_members(name: &str) -> (Vec<tempfile::TempDir>, String) {
    let dirs: Vec<tempfile::TempDir> = (0..3).map(|_| tempfile::tempdir().unwrap()).collect();
    let [alice, bob, carol] = [dirs[0].path(), dirs[1].path(), dirs[2].path()];
    for (dir, name) in [(alice, "alice"), (bob, "bob"), (carol, "carol")] {
        rally(dir, &["persona", "new", name]);
    }
    let group = json(alice, &["group", "create", name, "--members-only"])["id"]
        .as_str()
        .unwrap()
        .to_owned();
    for (dir, name) in [(bob, "bob"), (carol, "carol")] {
        let id = persona_id(dir);
        rally(alice, &["group", "add", &group, &id, "--name", name]);
    }
    (dirs, group)
}

fn texts(dir: &Path, group: &str) -> Vec<String> {
    let list = json(dir, &["message", "list", group]);
    list.as_array()
        .unwrap()
        .iter()
        .map(|m| m["text"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn members_talk_through_a_device_that_reads_nothing() {
    let relay = tempfile::tempdir().unwrap();
    rally(relay.path(), &["persona", "new", "relay"]);
    let node = SyncProcess::start(
        &[],
        relay.path(),
        &["--listen", "/ip4/127.0.0.1/udp/0/quic-v1", "--no-mdns"],
    );
    let via = Via("--peer", node.first_line.clone());
    members_talk_through(&via, || drop(node), relay.path());
}

#[test]
fn members_talk_through_a_server_that_reads_nothing() {
    let srv = tempfile::tempdir().unwrap();
    let server = Server::start(
        &[],
        srv.path(),
        &[
            "--p2p",
            "/ip4/127.0.0.1/udp/0/quic-v1",
            "--registrations",
            "open",
        ],
        1,
    );
    let via = Via("--server", server.p2p[0].clone());
    members_talk_through(&via, || drop(server), srv.path());
}

fn members_talk_through(via: &Via, stop_relay: impl FnOnce(), relay: &Path) {
    let (dirs, group) = three_members("Night shelter volunteers");
    let [alice, bob, carol] = [dirs[0].path(), dirs[1].path(), dirs[2].path()];
    let event: Value = json(
        alice,
        &[
            "event",
            "create",
            "--group",
            &group,
            "--title",
            "Shelter rota meeting",
            "--starts",
            "2055-02-10T19:00",
            "--tz",
            "Europe/Paris",
            "--visibility",
            "members-only",
        ],
    );
    let event = event["id"].as_str().unwrap().to_owned();
    let first = json(
        alice,
        &["message", "send", &group, "The key is under the blue pot"],
    )["id"]
        .as_str()
        .unwrap()
        .to_owned();

    sync_once(alice, via);
    sync_once(bob, via);
    assert_eq!(texts(bob, &group), ["The key is under the blue pot"]);
    let seen = json(bob, &["event", "show", &event]);
    assert_eq!(seen["details"]["title"], "Shelter rota meeting");

    rally(
        bob,
        &[
            "message",
            "send",
            &group,
            "I'll take Tuesday",
            "--reply-to",
            &first[..10],
        ],
    );
    sync_once(bob, via);
    sync_once(alice, via);
    let list = json(alice, &["message", "list", &group]);
    assert_eq!(list[1]["text"], "I'll take Tuesday");
    assert_eq!(list[1]["reply_to"], first.as_str());
    assert_eq!(list[1]["author_name"], "bob");
    let plain = rally(alice, &["message", "list", &group]);
    assert!(plain.contains("bob (reply to"), "{plain}");

    // Bob reports Carol to the group's admin: it reaches Alice only.
    let sent = json(
        bob,
        &[
            "report",
            "persona",
            "carol",
            "--group",
            &group,
            "--reason",
            "harassment",
            "--text",
            "sends menacing letters to volunteers",
        ],
    );
    assert_eq!(sent["moderators"], 1, "{sent}");
    sync_once(bob, via);
    sync_once(alice, via);
    let reports = json(alice, &["group", "reports", &group]);
    assert_eq!(
        reports[0]["target"],
        persona_id(carol).as_str(),
        "{reports}"
    );
    assert_eq!(reports[0]["reporter"], persona_id(bob).as_str());
    assert_eq!(reports[0]["text"], "sends menacing letters to volunteers");
    // Carol's device holds the report's envelope, as every member's does, and
    // cannot tell who sent it: its author is a key made for it alone.
    sync_once(carol, via);
    let reported = report_authors(carol, &group);
    assert_eq!(reported.len(), 1, "{reported:?}");
    assert!(
        !reported.contains(&persona_id(bob)),
        "the reported member sees who reported: {reported:?}"
    );

    // Bob is removed; what follows is for Alice and Carol only.
    let bob_id = persona_id(bob);
    rally(alice, &["group", "remove", &group, &bob_id]);
    rally(
        alice,
        &[
            "message",
            "send",
            &group,
            "New door code: walrus gate, do not share",
        ],
    );
    sync_once(alice, via);
    sync_once(carol, via);
    sync_once(bob, via);
    assert_eq!(
        texts(carol, &group),
        [
            "The key is under the blue pot",
            "I'll take Tuesday",
            "New door code: walrus gate, do not share"
        ]
    );
    assert_eq!(
        texts(bob, &group),
        ["The key is under the blue pot", "I'll take Tuesday"]
    );
    // Words that hex or base64 ids cannot hold by chance (a four-digit code was
    // once found in a hex id).
    assert!(!dir_contains(bob, "walrus gate"));
    assert!(!dir_contains(carol, "menacing letters"));

    stop_relay();
    for secret in [
        "The key is under the blue pot",
        "I'll take Tuesday",
        "walrus gate",
        "Shelter rota meeting",
        "Night shelter volunteers",
        "menacing letters",
    ] {
        assert!(
            !dir_contains(relay, secret),
            "the relay's files contain {secret:?}"
        );
    }
    assert!(
        dir_contains(carol, "walrus gate"),
        "the search finds plaintext where it is"
    );
}

/// A server with open registrations on `srv`, run through `prefix`, and the
/// way devices reach it.
fn open_server(srv: &Path, prefix: &[&str]) -> (Server, Via) {
    let args = [
        "--p2p",
        "/ip4/127.0.0.1/udp/0/quic-v1",
        "--registrations",
        "open",
    ];
    let server = Server::start(prefix, srv, &args, 1);
    let via = Via("--server", server.p2p[0].clone());
    (server, via)
}

/// Runs `rally` two hours later: the real binary, as it behaves once two
/// hours have passed.
fn rally_two_hours_later(dir: &Path, args: &[&str]) -> String {
    rally_e2e::rally_at("+2h", dir, args)
}

/// The envelopes of `group`'s log held by the store in `dir` (read while no
/// process runs there).
fn log_held(dir: &Path, group: &str) -> Vec<rally_core::SignedChange> {
    let store = rally_store::Store::open(dir).unwrap();
    let group: rally_core::DocId = group.parse().unwrap();
    store
        .export_log(&rally_core::sealed::log_id(&group))
        .unwrap()
}

/// The server's copies of the group's expiring envelopes, read from its store
/// while it is stopped: the bodies still held, and the stubs of expired ones.
fn server_holds(srv: &Path, group: &str) -> (Vec<Vec<u8>>, usize) {
    let detachable: Vec<Vec<u8>> = log_held(srv, group)
        .into_iter()
        .map(|c| c.bytes)
        .filter(|b| b.starts_with(&rally_core::sealed::detachable::MAGIC))
        .collect();
    let full: Vec<Vec<u8>> = detachable
        .iter()
        .filter(|b| rally_core::sealed::stub_of(b).is_some())
        .cloned()
        .collect();
    let stubs = detachable.len() - full.len();
    (full, stubs)
}

/// The authors of the reports to moderators in `group`'s log on the device in
/// `dir` (read from its store while no command runs there).
fn report_authors(dir: &Path, group: &str) -> Vec<String> {
    log_held(dir, group)
        .into_iter()
        .filter(|c| {
            rally_core::sealed::Envelope::decode(&c.bytes)
                .is_ok_and(|e| matches!(e.body, rally_core::sealed::Body::Report { .. }))
        })
        .map(|c| c.author.to_hex())
        .collect()
}

/// Disappearing messages with three devices and a server: an admin sets the
/// group's timer to an hour; Bob reads a message while Carol is away; two hours
/// later (each process's clock moved by libfaketime) the message is gone from
/// Alice's and Bob's devices without any sync, the server keeps only its stub,
/// Carol comes back and never receives it, and the chat goes on.
#[test]
fn messages_disappear_from_every_device_and_the_server() {
    let srv = tempfile::tempdir().unwrap();
    let (server, via) = open_server(srv.path(), &[]);
    let (dirs, group) = three_members("Night shift");
    let [alice, bob, carol] = [dirs[0].path(), dirs[1].path(), dirs[2].path()];
    rally(alice, &["message", "send", &group, "This one stays"]);
    let set = json(alice, &["group", "edit", &group, "--disappearing", "1h"]);
    assert_eq!(set["disappearing"], "1h", "{set}");
    for dir in [alice, bob, carol] {
        sync_once(dir, &via);
    }
    assert_eq!(
        json(carol, &["group", "show", &group])["disappearing"],
        3600
    );
    let refused = rally_e2e::rally_output(bob, &["group", "edit", &group, "--disappearing", "off"]);
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("only admins"),
        "{refused:?}"
    );

    // Carol is away; Bob reads the message while it lasts.
    let sent = json(
        alice,
        &["message", "send", &group, "Back door code is heron-lantern"],
    );
    assert!(sent["id"].is_string(), "{sent}");
    sync_once(alice, &via);
    sync_once(bob, &via);
    let list = json(bob, &["message", "list", &group]);
    assert_eq!(list[1]["text"], "Back door code is heron-lantern");
    assert!(list[1]["expires"].as_i64().is_some(), "{list}");
    assert!(list[0]["expires"].is_null(), "{list}");
    drop(server);
    let (bodies, stubs) = server_holds(srv.path(), &group);
    assert_eq!((bodies.len(), stubs), (1, 0));
    let ciphertext = bodies[0][bodies[0].len() - 48..].to_vec();
    assert!(rally_e2e::dir_contains_bytes(srv.path(), &ciphertext));

    // Two hours later. Bob has not synced since: his device dropped it alone.
    let later = rally_e2e::clock_moved("+2h");
    let later: Vec<&str> = later.iter().map(String::as_str).collect();
    let (server, _) = open_server(srv.path(), &later);
    let later = |dir: &Path| -> Vec<String> {
        let list: Value = serde_json::from_str(&rally_two_hours_later(
            dir,
            &["--json", "message", "list", &group],
        ))
        .unwrap();
        list.as_array()
            .unwrap()
            .iter()
            .map(|m| m["text"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(later(bob), ["This one stays"]);
    assert_eq!(later(alice), ["This one stays"]);
    assert!(!dir_contains(bob, "heron-lantern"));
    assert!(!dir_contains(alice, "heron-lantern"));

    // Carol comes back: the server hands her the stub only; the chat goes on.
    let via = Via("--server", server.p2p[0].clone());
    let sync_later = |dir: &Path| {
        rally_two_hours_later(dir, &sync_args(&via));
    };
    sync_later(carol);
    assert_eq!(later(carol), ["This one stays"]);
    rally_two_hours_later(alice, &["message", "send", &group, "New plan: side gate"]);
    sync_later(alice);
    sync_later(carol);
    assert_eq!(later(carol), ["This one stays", "New plan: side gate"]);
    assert!(!dir_contains(carol, "heron-lantern"));

    drop(server);
    let (bodies, stubs) = server_holds(srv.path(), &group);
    // The new plan is held whole (an hour to go), the expired one as its stub.
    assert_eq!((bodies.len(), stubs), (1, 1));
    assert!(
        !rally_e2e::dir_contains_bytes(srv.path(), &ciphertext),
        "the server's files still hold the expired ciphertext"
    );
}

/// Less on the device, for the chat: a member keeps six months; a message
/// written a year ago (its author's clock set back by libfaketime) goes from
/// the device, a sync through the server does not bring it back, and `message
/// older` does.
#[test]
fn a_member_who_keeps_six_months_forgets_older_messages_until_asked() {
    let srv = tempfile::tempdir().unwrap();
    let (server, via) = open_server(srv.path(), &[]);
    let (dirs, group) = three_members("Tenants' union");
    let [alice, bob] = [dirs[0].path(), dirs[1].path()];
    rally_e2e::rally_at(
        "-365d",
        alice,
        &["message", "send", &group, "Rent strike fund: box 12"],
    );
    rally(alice, &["message", "send", &group, "Assembly on Thursday"]);
    sync_once(alice, &via);
    sync_once(bob, &via);
    assert_eq!(texts(bob, &group).len(), 2);

    let kept = json(bob, &["store", "keep", "--months", "6"]);
    assert_eq!(kept["forgotten_messages"], 1, "{kept}");
    assert_eq!(texts(bob, &group), ["Assembly on Thursday"]);
    assert!(!dir_contains(bob, "box 12"));
    sync_once(bob, &via);
    assert_eq!(texts(bob, &group), ["Assembly on Thursday"]);

    let asked = json(bob, &["message", "older", &group]);
    assert_eq!(asked["forgotten"], 1, "{asked}");
    sync_once(bob, &via);
    assert_eq!(
        texts(bob, &group),
        ["Rent strike fund: box 12", "Assembly on Thursday"]
    );
    drop(server);
}
