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

fn sync_once(dir: &Path, via: &Via) {
    rally(
        dir,
        &[
            "sync",
            via.0,
            &via.1,
            "--once",
            "--no-mdns",
            "--timeout",
            "60",
        ],
    );
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
    let dirs: Vec<tempfile::TempDir> = (0..3).map(|_| tempfile::tempdir().unwrap()).collect();
    let [alice, bob, carol] = [dirs[0].path(), dirs[1].path(), dirs[2].path()];
    for (dir, name) in [(alice, "alice"), (bob, "bob"), (carol, "carol")] {
        rally(dir, &["persona", "new", name]);
    }
    let group = json(
        alice,
        &[
            "group",
            "create",
            "Night shelter volunteers",
            "--members-only",
        ],
    )["id"]
        .as_str()
        .unwrap()
        .to_owned();
    for (dir, name) in [(bob, "bob"), (carol, "carol")] {
        let id = persona_id(dir);
        rally(alice, &["group", "add", &group, &id, "--name", name]);
    }
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
