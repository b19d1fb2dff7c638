//! Reaching people through a server, with the real binaries on loopback: an
//! invitation token works for two devices that never meet (public and
//! members-only groups, events and chat), while a revoked, used-up or missing
//! token gets nothing; and a device that never saw the organiser finds her public
//! event through the server (`rally discover`), joins it, and she sees it.

use std::path::Path;

use rally_e2e::{Server, dir_contains, id_of, json, rally, sync_with_server};

const QUIC: &str = "/ip4/127.0.0.1/udp/0/quic-v1";

fn persona(dir: &Path, name: &str) -> String {
    id_of(&json(dir, &["persona", "new", name]))
}

fn sync(dir: &Path, server: &str) {
    let out = sync_with_server(dir, server, &[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A new invitation's token and id.
fn token(dir: &Path, group: &str, extra: &[&str]) -> (String, String) {
    let mut args = vec!["group", "invite", group];
    args.extend_from_slice(extra);
    let made = json(dir, &args);
    let text = |k: &str| made[k].as_str().unwrap().to_owned();
    (text("token"), text("invite"))
}

fn group_ids(dir: &Path) -> Vec<String> {
    json(dir, &["group", "list"])
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["id"].as_str().unwrap().to_owned())
        .collect()
}

fn event_ids(dir: &Path) -> Vec<String> {
    json(dir, &["event", "list"])
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_str().unwrap().to_owned())
        .collect()
}

fn members(dir: &Path, group: &str) -> Vec<String> {
    json(dir, &["group", "show", group])["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].as_str().unwrap().to_owned())
        .collect()
}

fn texts(dir: &Path, group: &str) -> Vec<String> {
    json(dir, &["message", "list", group])
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["text"].as_str().unwrap().to_owned())
        .collect()
}

fn event(dir: &Path, title: &str, extra: &[&str]) -> String {
    let mut args = vec![
        "event",
        "create",
        "--title",
        title,
        "--starts",
        "2030-05-01T18:00",
        "--tz",
        "Europe/Paris",
    ];
    args.extend_from_slice(extra);
    id_of(&json(dir, &args))
}

#[test]
fn invitations_work_through_a_server_between_devices_that_never_meet() {
    let srv = tempfile::tempdir().unwrap();
    let server = Server::start(
        &[],
        srv.path(),
        &["--p2p", QUIC, "--registrations", "open"],
        1,
    );
    let addr = server.p2p[0].clone();
    let dirs: Vec<tempfile::TempDir> = (0..5).map(|_| tempfile::tempdir().unwrap()).collect();
    let [ana, ben, cleo, dan, eve] = [0, 1, 2, 3, 4].map(|i| dirs[i].path());
    persona(ana, "ana");
    persona(ben, "ben");
    persona(cleo, "cleo");
    persona(dan, "dan");
    persona(eve, "eve");

    let open = id_of(&json(ana, &["group", "create", "Open choir"]));
    let rehearsal = event(ana, "Choir rehearsal", &["--group", &open]);
    let safe = id_of(&json(
        ana,
        &[
            "group",
            "create",
            "Quiet kitchen collective",
            "--members-only",
        ],
    ));
    let secret_meal = event(
        ana,
        "Unlisted supper of the kitchen",
        &["--group", &safe, "--visibility", "members-only"],
    );
    let (open_token, _) = token(ana, &open, &[]);
    let (safe_token, _) = token(ana, &safe, &["--single-use"]);
    let (revoked_token, revoked_id) = token(ana, &safe, &[]);
    sync(ana, &addr);
    // Revoked after the server heard of it: the next sync closes it there.
    rally(ana, &["group", "revoke", &safe, &revoked_id]);
    sync(ana, &addr);

    // Ben, elsewhere, holds both tokens; he syncs only with the server.
    assert_eq!(json(ben, &["group", "join", &open_token])["pending"], true);
    assert_eq!(json(ben, &["group", "join", &safe_token])["pending"], true);
    sync(ben, &addr);
    sync(ben, &addr);
    let groups = group_ids(ben);
    assert!(groups.contains(&open), "{groups:?}");
    assert!(groups.contains(&safe), "{groups:?}");
    let events = event_ids(ben);
    assert!(events.contains(&rehearsal), "{events:?}");
    assert!(events.contains(&secret_meal), "{events:?}");
    assert!(members(ben, &safe).contains(&"ben".to_owned()));

    // Ana learns of Ben's joins through the server, and writes to the members.
    sync(ana, &addr);
    assert!(members(ana, &open).contains(&"ben".to_owned()));
    assert!(members(ana, &safe).contains(&"ben".to_owned()));
    let words = "Bring the big pot on Thursday";
    rally(ana, &["message", "send", &safe, words]);
    sync(ana, &addr);
    sync(ben, &addr);
    assert_eq!(texts(ben, &safe), vec![words.to_owned()]);

    // The revoked token, the used single-use token and no token get nothing of
    // the members-only group.
    rally(cleo, &["group", "join", &revoked_token]);
    rally(dan, &["group", "join", &safe_token]);
    for dir in [cleo, dan, eve] {
        sync(dir, &addr);
    }
    // The log changes after they asked for it: still nothing for them.
    rally(ana, &["message", "send", &safe, "Thursday is confirmed"]);
    sync(ana, &addr);
    for dir in [cleo, dan, eve] {
        sync(dir, &addr);
        assert!(!group_ids(dir).contains(&safe), "{dir:?}");
        assert!(!event_ids(dir).contains(&secret_meal), "{dir:?}");
    }
    // The server holds the members-only group only as ciphertext.
    drop(server);
    for needle in ["Quiet kitchen", "Unlisted supper", words] {
        assert!(!dir_contains(srv.path(), needle), "{needle} in the clear");
    }
}

#[test]
fn a_device_discovers_public_events_through_its_server() {
    let srv = tempfile::tempdir().unwrap();
    let server = Server::start(
        &[],
        srv.path(),
        &["--p2p", QUIC, "--registrations", "open"],
        1,
    );
    let addr = server.p2p[0].clone();
    let (a, c) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (ana, carl) = (a.path(), c.path());
    persona(ana, "ana");
    persona(carl, "carl");
    // In Lyon: a public picnic, and two that must never be listed.
    let lyon = [
        "--place",
        "Parc de la Tête d'Or",
        "--lat",
        "45.777",
        "--lon",
        "4.855",
    ];
    let picnic = event(ana, "Riverside picnic", &lyon);
    let mut unlisted = lyon.to_vec();
    unlisted.extend(["--visibility", "unlisted"]);
    let hidden = event(ana, "Riverside picnic rehearsal", &unlisted);
    let members_only = {
        let g = id_of(&json(
            ana,
            &["group", "create", "Picnic crew", "--members-only"],
        ));
        let mut args = lyon.to_vec();
        args.extend(["--group", &g, "--visibility", "members-only"]);
        event(ana, "Riverside picnic for the crew", &args)
    };
    sync(ana, &addr);

    sync(carl, &addr);
    let found = |args: &[&str]| -> Vec<String> {
        let mut all = vec!["discover"];
        all.extend_from_slice(args);
        json(carl, &all)
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["id"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(found(&["--search", "picnic"]), vec![picnic.clone()]);
    // Lyon's centre is about 3 km away; Paris about 390 km.
    assert_eq!(found(&["--near", "45.764,4.8357,10"]), vec![picnic.clone()]);
    assert!(found(&["--near", "48.8566,2.3522,50"]).is_empty());
    assert!(found(&["--search", "picnic", "--from", "2031-01-01"]).is_empty());
    let listed = json(carl, &["discover"]).to_string();
    assert!(
        !listed.contains(&hidden) && !listed.contains(&members_only),
        "{listed}"
    );

    // Carl joins; Ana sees it after her next sync; it is no longer to discover.
    rally(carl, &["event", "join", &picnic]);
    assert!(found(&[]).is_empty());
    sync(carl, &addr);
    sync(ana, &addr);
    assert_eq!(json(ana, &["event", "show", &picnic])["going"], 1);
}
