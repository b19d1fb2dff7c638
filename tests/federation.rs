//! Federation with an independent ActivityPub implementation: a Fedify peer
//! (`tests/fedi-peer`, Node 22) and a real `rally-server` on loopback, with a
//! `rally` device that syncs with the server. The peer finds a public group by
//! WebFinger, follows it, receives the Create/Update/Delete of its event, replies
//! (a comment the device reads after syncing) and joins (Accept, and a
//! participation on the device) — once with each signature scheme first.

use std::path::Path;
use std::time::Duration;

use rally_e2e::{FediPeer, Server, id_of, json, rally, server_admin, wait_for};
use serde_json::{Value, json};

fn sync_once(dir: &Path, server: &Server) {
    rally(
        dir,
        &[
            "sync",
            "--server",
            &server.p2p[0],
            "--once",
            "--no-mdns",
            "--timeout",
            "60",
        ],
    );
}

const WAIT: Duration = Duration::from_secs(30);

/// The first activity of a type the peer received and answered (the peer logs a
/// POST as it arrives and fills in its answer when it has processed it).
fn answered(peer: &FediPeer, kind: &str) -> Option<Value> {
    peer.received(kind)
        .into_iter()
        .find(|r| !r["status"].is_null())
}

fn wait_answered(peer: &FediPeer, kind: &str) -> Value {
    wait_for(&format!("the {kind} to arrive"), WAIT, || {
        answered(peer, kind).is_some()
    });
    answered(peer, kind).unwrap()
}

fn wait_for_value<T>(what: &str, mut f: impl FnMut() -> Option<T>) -> T {
    let start = std::time::Instant::now();
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(start.elapsed() < WAIT, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn federate_with(knock: &str) {
    let srv = tempfile::tempdir().unwrap();
    let server = Server::start_federating(srv.path(), &["--registrations", "open"]);
    let host = server.http.trim_start_matches("http://").to_owned();
    let device = tempfile::tempdir().unwrap();
    let dev = device.path();
    rally(dev, &["persona", "new", "Ana"]);
    let group = id_of(&json(dev, &["group", "create", "Climate March"]));
    let logo = dev.join("logo.jpg");
    std::fs::write(&logo, rally_picture::fixtures::phone_photo()).unwrap();
    let icon = json(
        dev,
        &[
            "group",
            "edit",
            &group,
            "--avatar",
            logo.to_str().unwrap(),
            "--avatar-alt",
            "A green leaf",
        ],
    )["avatar"]["hash"]
        .as_str()
        .unwrap()
        .to_owned();
    sync_once(dev, &server);

    let peer = FediPeer::start(knock);
    let handle = json(dev, &["group", "show", &group])["handle"]
        .as_str()
        .expect("the group's handle, once the device synced with the server")
        .to_owned();
    assert!(handle.ends_with(&format!("@{host}")), "{handle}");
    let found = peer.call(
        "/control/lookup",
        json!({"handle": handle.trim_start_matches('@')}),
    );
    let actor = format!("{}/groups/{group}", server.http);
    assert_eq!(found["actor"], actor.as_str());
    assert_eq!(found["type"], "Group");
    assert_eq!(found["raw"]["name"], "Climate March");
    // The group's picture as its icon, served by the server.
    let icon_url = format!("{}/media/{icon}.jpg", server.http);
    assert_eq!(found["raw"]["icon"]["url"], icon_url.as_str(), "{found}");
    assert_eq!(found["raw"]["icon"]["name"], "A green leaf");
    let got = wait_for_value("the group's picture", || {
        let mut r = ureq::get(&icon_url).call().ok()?;
        Some(r.body_mut().read_to_vec().unwrap())
    });
    assert!(image::load_from_memory(&got).is_ok());

    peer.call("/control/follow", json!({"as": "alice", "target": actor}));
    wait_for("the follow to be accepted", WAIT, || {
        peer.state_in("/following", "target", &actor).as_deref() == Some("accepted")
    });

    let event = id_of(&json(
        dev,
        &[
            "event",
            "create",
            "--group",
            &group,
            "--title",
            "March for the climate",
            "--description",
            "Bring **water**",
            "--starts",
            "2055-03-20T14:00",
            "--tz",
            "Europe/Paris",
            "--place",
            "Place Bellecour",
            "--address",
            "69002 Lyon",
            "--capacity",
            "50",
        ],
    ));
    let photo = dev.join("flyer.jpg");
    std::fs::write(&photo, rally_picture::fixtures::phone_photo()).unwrap();
    let banner = json(
        dev,
        &[
            "event",
            "edit",
            &event,
            "--banner",
            photo.to_str().unwrap(),
            "--banner-alt",
            "Marchers with a green banner",
        ],
    )["banner"]
        .clone();
    let event_url = format!("{}/events/{event}", server.http);
    sync_once(dev, &server);
    assert_eq!(
        json(dev, &["event", "show", &event])["url"],
        event_url.as_str()
    );
    let create = &wait_answered(&peer, "Create");
    assert_eq!(create["status"], 202, "the peer accepted it: {create}");
    assert_eq!(create["signature"]["verified"], true, "{create}");
    assert_eq!(
        create["signature"]["spec"],
        "draft-cavage-http-signatures-12"
    );
    let object = &create["body"]["object"];
    assert_eq!(object["id"], event_url.as_str());
    assert_eq!(object["type"], "Event");
    assert_eq!(object["name"], "March for the climate");
    assert_eq!(object["startTime"], "2055-03-20T14:00:00+01:00");
    assert_eq!(object["timezone"], "Europe/Paris");
    assert_eq!(object["maximumAttendeeCapacity"], 50);
    assert_eq!(object["joinMode"], "free");
    assert_eq!(object["location"]["name"], "Place Bellecour");
    assert_eq!(object["attributedTo"], actor.as_str());
    assert!(
        object["content"]
            .as_str()
            .unwrap()
            .contains("<strong>water</strong>")
    );
    // The banner as Mobilizon sends one, served by the server, clean.
    let attachment = object["attachment"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == "Banner")
        .unwrap_or_else(|| panic!("no banner in {object}"))
        .clone();
    assert_eq!(attachment["type"], "Document");
    assert_eq!(attachment["mediaType"], "image/jpeg");
    assert_eq!(attachment["summary"], "Marchers with a green banner");
    let media = attachment["url"].as_str().unwrap().to_owned();
    assert_eq!(
        media,
        format!(
            "{}/media/{}.jpg",
            server.http,
            banner["hash"].as_str().unwrap()
        )
    );
    let served = wait_for_value("the server to have the banner", || {
        let mut r = ureq::get(&media).call().ok()?;
        (r.status() == 200).then(|| r.body_mut().read_to_vec().unwrap())
    });
    let exported = dev.join("exported.jpg");
    rally(
        dev,
        &[
            "blob",
            "export",
            banner["hash"].as_str().unwrap(),
            "--out",
            exported.to_str().unwrap(),
        ],
    );
    assert_eq!(served, std::fs::read(&exported).unwrap());
    assert!(
        !served
            .windows(rally_picture::fixtures::SERIAL.len())
            .any(|w| w == rally_picture::fixtures::SERIAL)
    );
    // A picture no published event names is not served.
    let other = format!("{}/media/{}.jpg", server.http, "ab".repeat(32));
    assert!(ureq::get(&other).call().is_err());

    rally(
        dev,
        &[
            "event",
            "edit",
            &event,
            "--title",
            "March for the climate, again",
        ],
    );
    sync_once(dev, &server);
    let update = &wait_answered(&peer, "Update");
    assert_eq!(update["status"], 202);
    assert_eq!(
        update["body"]["object"]["name"],
        "March for the climate, again"
    );

    // A reply becomes a comment the device reads after it syncs.
    let reply = peer.call(
        "/control/reply",
        json!({"as": "alice", "inReplyTo": event_url, "content": "<p>Count me in &amp; my bike</p>",
               "to": ["https://www.w3.org/ns/activitystreams#Public"], "cc": [actor]}),
    );
    assert!(reply["note"].is_string());
    // A reply to followers only is not made a public comment.
    let private = peer.call(
        "/control/reply",
        json!({"as": "alice", "inReplyTo": event_url, "content": "<p>Only for my followers: door code 2211-quokka</p>",
               "to": [format!("{}/followers", peer.person)], "cc": [actor]}),
    );
    assert!(private["note"].is_string());
    let signed = peer
        .get("/control/outgoing")
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["method"] == "POST" && r["url"].as_str().unwrap().starts_with(&server.http))
        .cloned()
        .collect::<Vec<_>>();
    let first = &signed[0];
    let used_9421 = first["headers"]["signature-input"].is_string();
    assert_eq!(used_9421, knock == "rfc9421", "{first}");
    assert_eq!(
        first["status"], 202,
        "the server verified the {knock} signature first time: {first}"
    );

    sync_once(dev, &server);
    let shown = json(dev, &["event", "show", &event]);
    let comments = shown["comments"].as_array().unwrap();
    assert_eq!(comments.len(), 1, "{shown}");
    assert_eq!(comments[0]["body"], "Count me in & my bike");
    assert!(!shown.to_string().contains("quokka"), "{shown}");
    let peer_host = peer.origin.trim_start_matches("http://");
    assert!(
        comments[0]["author_name"]
            .as_str()
            .unwrap()
            .contains(&format!("@alice@{peer_host}")),
        "{}",
        comments[0]
    );

    // A join is accepted at once (free mode) and is a participation on the device.
    peer.call("/control/join", json!({"as": "alice", "event": event_url}));
    wait_for("the join to be accepted", WAIT, || {
        peer.state_in("/joins", "event", &event_url).as_deref() == Some("accepted")
    });
    sync_once(dev, &server);
    let shown = json(dev, &["event", "show", &event]);
    let participants = shown["participants"].as_array().unwrap();
    assert!(
        participants
            .iter()
            .any(|p| p["status"] == "going" && p["name"].as_str().unwrap().contains("@alice@")),
        "{shown}"
    );
    assert_eq!(shown["going"], 1);

    peer.call("/control/leave", json!({"as": "alice", "event": event_url}));
    sync_once(dev, &server);
    wait_for("the leave to reach the device", WAIT, || {
        sync_once(dev, &server);
        json(dev, &["event", "show", &event])["going"] == 0
    });

    // In approval mode a join waits; the organiser approves it on the device, and
    // the peer gets its Accept once the device has synced.
    rally(dev, &["event", "edit", &event, "--join-mode", "approval"]);
    sync_once(dev, &server);
    let second = peer.call("/control/join", json!({"as": "alice", "event": event_url}));
    let join_state = || {
        peer.get("/control/state")["joins"]
            .as_array()
            .unwrap()
            .iter()
            .find(|j| j["id"] == second["id"])
            .and_then(|j| j["state"].as_str())
            .map(str::to_owned)
    };
    let pending = wait_for_value("the join to wait for approval", || {
        sync_once(dev, &server);
        json(dev, &["event", "show", &event])["participants"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["status"] == "pending")
            .cloned()
    });
    assert_eq!(join_state().as_deref(), Some("pending"));
    rally(
        dev,
        &[
            "event",
            "approve",
            &event,
            pending["persona"].as_str().unwrap(),
        ],
    );
    sync_once(dev, &server);
    wait_for("the approval to reach the peer", WAIT, || {
        join_state().as_deref() == Some("accepted")
    });

    // Unsigned, or signed by someone else than the actor: refused, nothing changes.
    let forged = json!({"@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{}/forged/1", peer.origin), "type": "Follow",
        "actor": "http://localhost:1/users/mallory", "object": actor});
    let answer = peer.call(
        "/control/raw",
        json!({"as": "alice", "inbox": format!("{}/inbox", server.http), "activity": forged}),
    );
    assert_eq!(answer["status"], 400, "{answer}");
    let mut unsigned = forged.clone();
    unsigned["actor"] = json!(peer.person);
    unsigned["id"] = json!(format!("{}/forged/2", peer.origin));
    let answer = peer.call(
        "/control/raw",
        json!({"as": "alice", "inbox": format!("{}/inbox", server.http), "activity": unsigned, "scheme": "none"}),
    );
    assert_eq!(answer["status"], 401, "{answer}");

    // Ids belong to their sender: an activity id on another server is refused,
    // and a Join cannot take over the id of the reply made above.
    let foreign_id = json!({"@context": "https://www.w3.org/ns/activitystreams",
        "id": "https://elsewhere.example/activities/1", "type": "Follow",
        "actor": peer.person, "object": actor});
    let answer = peer.call(
        "/control/raw",
        json!({"as": "alice", "inbox": format!("{}/inbox", server.http), "activity": foreign_id}),
    );
    assert_eq!(answer["status"], 400, "{answer}");
    let hijack = json!({"@context": "https://www.w3.org/ns/activitystreams",
        "id": reply["note"], "type": "Join", "actor": peer.person, "object": event_url});
    let answer = peer.call(
        "/control/raw",
        json!({"as": "alice", "inbox": format!("{}/inbox", server.http), "activity": hijack}),
    );
    assert_eq!(answer["status"], 400, "{answer}");
    sync_once(dev, &server);
    let shown = json(dev, &["event", "show", &event]);
    assert_eq!(shown["comments"].as_array().unwrap().len(), 1, "{shown}");

    // A weekly series: its next dates arrive as Events of their own (the
    // series itself is not announced), a cancelled date as an Update.
    let series = id_of(&json(
        dev,
        &[
            "event",
            "create",
            "--group",
            &group,
            "--title",
            "Weekly assembly",
            "--starts",
            "2055-04-05T19:00",
            "--ends",
            "2055-04-05T21:00",
            "--tz",
            "Europe/Paris",
            "--repeat",
            "FREQ=WEEKLY;COUNT=3",
        ],
    ));
    sync_once(dev, &server);
    let series_url = format!("{}/events/{series}", server.http);
    let dates_prefix = format!("{series_url}/occurrences/");
    let received = |kind: &str| -> Vec<Value> {
        peer.received(kind)
            .into_iter()
            .filter(|r| {
                r["body"]["object"]["id"]
                    .as_str()
                    .is_some_and(|i| i.starts_with(&dates_prefix))
            })
            .collect()
    };
    wait_for("the series' three dates", WAIT, || {
        received("Create").len() == 3
    });
    let mut dates = received("Create");
    dates.sort_by_key(|r| {
        r["body"]["object"]["startTime"]
            .as_str()
            .unwrap()
            .to_owned()
    });
    let starts: Vec<&str> = dates
        .iter()
        .map(|r| r["body"]["object"]["startTime"].as_str().unwrap())
        .collect();
    assert_eq!(
        starts,
        [
            "2055-04-05T19:00:00+02:00",
            "2055-04-12T19:00:00+02:00",
            "2055-04-19T19:00:00+02:00"
        ]
    );
    for d in &dates {
        assert_eq!(d["body"]["object"]["name"], "Weekly assembly");
        assert_eq!(d["body"]["object"]["url"], series_url.as_str());
        assert_eq!(d["body"]["object"]["type"], "Event");
    }
    assert!(
        peer.received("Create")
            .iter()
            .all(|r| r["body"]["object"]["id"] != series_url.as_str())
    );
    // Each date is there at its id.
    let second = format!("{series_url}/occurrences/20550412T190000");
    let fetched: Value = serde_json::from_str(
        &ureq::get(&second)
            .header("accept", "application/activity+json")
            .call()
            .unwrap()
            .into_body()
            .read_to_string()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(fetched["id"], second.as_str());
    assert_eq!(fetched["endTime"], "2055-04-12T21:00:00+02:00");
    rally(
        dev,
        &["event", "cancel", &series, "--occurrence", "2055-04-12"],
    );
    sync_once(dev, &server);
    wait_for("the cancelled date's Update", WAIT, || {
        received("Update").iter().any(|r| {
            r["body"]["object"]["id"] == second.as_str()
                && r["body"]["object"]["ical:status"] == "CANCELLED"
        })
    });

    // Made members-only... no: made unlisted, it leaves the Fediverse with a Delete.
    rally(dev, &["event", "edit", &event, "--visibility", "unlisted"]);
    sync_once(dev, &server);
    let delete = &wait_answered(&peer, "Delete");
    assert_eq!(delete["body"]["object"]["id"], event_url.as_str());
    assert_eq!(delete["status"], 202);

    // What the instance's admin sees in `/metrics`: the deliveries to the peer
    // and the peer's activities in the inbox, counted by outcome.
    let metrics = ureq::get(&format!("{}/metrics", server.http))
        .call()
        .unwrap()
        .into_body()
        .read_to_string()
        .unwrap();
    let count = |sample: &str| -> f64 {
        metrics
            .lines()
            .find_map(|l| l.strip_prefix(sample)?.trim().parse().ok())
            .unwrap_or(0.0)
    };
    assert!(
        count(r#"rally_federation_deliveries_total{outcome="Delivered"}"#) >= 5.0,
        "{metrics}"
    );
    assert!(
        count(r#"rally_federation_inbox_activities_total{outcome="Accepted"}"#) >= 2.0,
        "{metrics}"
    );
    assert!(
        metrics.contains("rally_federation_queue_depth "),
        "{metrics}"
    );
}

#[test]
fn a_fedify_peer_that_signs_with_rfc9421_follows_replies_and_joins() {
    federate_with("rfc9421");
}

#[test]
fn a_fedify_peer_that_signs_with_draft_cavage_follows_replies_and_joins() {
    federate_with("cavage");
}

/// Instance follows both ways, as Mobilizon does them: the admin follows the
/// peer's instance actor (found through NodeInfo) and the peer accepts; the peer's
/// instance follows this server's and waits for the admin, who accepts; then a
/// public event reaches the peer's instance.
#[test]
fn instances_follow_each_other_through_the_admin() {
    let srv = tempfile::tempdir().unwrap();
    let server = Server::start_federating(srv.path(), &["--registrations", "open"]);
    let relay = format!("{}/relay", server.http);
    let peer = FediPeer::start("rfc9421");
    let peer_host = peer.origin.trim_start_matches("http://").to_owned();
    let list = || -> Value {
        serde_json::from_str(&server_admin(srv.path(), &["instances", "list", "--json"])).unwrap()
    };
    assert_eq!(list(), json!([]));

    let out = server_admin(srv.path(), &["instances", "follow", &peer_host]);
    assert!(out.contains(&peer.instance), "{out}");
    wait_for("the peer to see our follow", WAIT, || {
        peer.state_in("/followers/instance", "actor", &relay)
            .as_deref()
            == Some("pending")
    });
    assert_eq!(list()[0]["we_follow"], "pending");
    peer.call("/control/accept", json!({"follower": relay}));
    wait_for("our follow to be accepted", WAIT, || {
        list()[0]["we_follow"] == "accepted"
    });

    peer.call(
        "/control/follow",
        json!({"as": "instance", "target": relay}),
    );
    wait_for("their follow to wait for the admin", WAIT, || {
        list()[0]["they_follow"] == "pending"
    });
    assert_eq!(list()[0]["actor"], peer.instance.as_str());

    // An event published before they follow: announced when the admin accepts.
    let device = tempfile::tempdir().unwrap();
    let dev = device.path();
    rally(dev, &["persona", "new", "Ana"]);
    let group = id_of(&json(dev, &["group", "create", "Tenants"]));
    let event = |title: &str| {
        let id = rally_e2e::group_event(dev, &group, title, "2055-04-01T18:00", "UTC");
        sync_once(dev, &server);
        id
    };
    event("Earlier assembly");
    server_admin(srv.path(), &["instances", "accept", &peer_host]);
    wait_for("their follow to be accepted", WAIT, || {
        peer.state_in("/following", "target", &relay).as_deref() == Some("accepted")
    });
    assert_eq!(list()[0]["they_follow"], "accepted");
    // What reaches a following instance is the relay's Announce, formed as
    // Mobilizon's relay actor forms it: the event embedded, the id
    // `{event}/announces/relay`, to the relay's followers and the event's
    // group, cc the public.
    let group_actor = format!("{}/groups/{group}", server.http);
    let announced = |name: &str| -> Option<Value> {
        peer.received("Announce").into_iter().find_map(|a| {
            (a["body"]["object"]["name"] == name && a["status"] == 202).then(|| a["body"].clone())
        })
    };
    let earlier = wait_for_value(
        "the earlier event to be announced to the new follower",
        || announced("Earlier assembly"),
    );
    let event_url = earlier["object"]["id"].as_str().unwrap().to_owned();
    assert_eq!(
        earlier["id"],
        format!("{event_url}/announces/relay"),
        "{earlier}"
    );
    assert_eq!(earlier["actor"], relay.as_str());
    assert_eq!(earlier["object"]["type"], "Event");
    assert_eq!(
        earlier["to"],
        json!([format!("{relay}/followers"), group_actor]),
        "{earlier}"
    );
    assert_eq!(
        earlier["cc"],
        json!(["https://www.w3.org/ns/activitystreams#Public"])
    );
    assert_eq!(earlier["attributedTo"], group_actor.as_str());
    let assembly = event("Assembly");
    let live = wait_for_value("the event to reach the followed instance", || {
        announced("Assembly")
    });
    assert!(
        live["id"].as_str().unwrap().ends_with("/announces/relay"),
        "{live}"
    );
    // An edit follows as the group's own Update, as Mobilizon's relay
    // followers get one (it announces creations only), and is not announced
    // again.
    rally(
        dev,
        &["event", "edit", &assembly, "--title", "Assembly, moved"],
    );
    sync_once(dev, &server);
    let update = wait_for_value("the edit to reach the followed instance", || {
        peer.received("Update")
            .into_iter()
            .find(|u| u["body"]["object"]["name"] == "Assembly, moved" && u["status"] == 202)
    });
    assert_eq!(update["body"]["actor"], group_actor.as_str(), "{update}");
    let all: Vec<Value> = peer
        .received("Announce")
        .iter()
        .map(|a| a["body"]["id"].clone())
        .collect();
    assert_eq!(all.len(), 2, "announced once each: {all:?}");
    // And the relay's outbox pages them (newest first, by the second) for backfill.
    let get = |url: &str| -> Value {
        ureq::get(url)
            .header("Accept", "application/activity+json")
            .call()
            .unwrap()
            .body_mut()
            .read_json()
            .unwrap()
    };
    let outbox = get(&format!("{relay}/outbox"));
    assert_eq!(outbox["totalItems"], 2, "{outbox}");
    let first = get(outbox["first"].as_str().unwrap());
    let items = first["orderedItems"].as_array().unwrap();
    let mut names: Vec<&str> = items
        .iter()
        .filter(|a| a["type"] == "Announce")
        .filter_map(|a| a["object"]["name"].as_str())
        .collect();
    names.sort_unstable();
    assert_eq!(names, ["Assembly, moved", "Earlier assembly"], "{first}");
    // The same ids as delivered.
    assert!(items.iter().any(|a| a["id"] == earlier["id"]), "{first}");
    assert!(items.iter().any(|a| a["id"] == live["id"]), "{first}");

    server_admin(srv.path(), &["instances", "unfollow", &peer_host]);
    assert_eq!(list()[0]["we_follow"], Value::Null);

    let alice = format!("@alice@{peer_host}");
    let out = server_admin(srv.path(), &["instances", "follow", &alice]);
    assert!(out.contains(&peer.person), "{out}");
    wait_for("alice to accept the follow at once", WAIT, || {
        list()
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["actor"] == peer.person.as_str() && i["we_follow"] == "accepted")
    });
}

/// A Gancio admin follows a Rally group by the handle Rally shows, step by
/// step as Gancio 1.21 does it (`lesion/gancio` at `dea1bd9e`:
/// `server/api/controller/instance.js` `addTrust`, `server/federation/helpers.js`
/// `getNodeInfo`, `getActor`, `followActor`, `getOutbox` and `parseAPEvent`,
/// `server/federation/inbox.js`). No Gancio runs here: the Fedify peer's
/// instance actor (an `Application`, as Gancio's is) makes the same requests,
/// and what Gancio then reads is checked as Gancio's code reads it.
#[test]
fn a_gancio_admin_follows_a_group_by_the_handle_rally_shows() {
    let srv = tempfile::tempdir().unwrap();
    let server = Server::start_federating(srv.path(), &["--registrations", "open"]);
    let device = tempfile::tempdir().unwrap();
    let dev = device.path();
    rally(dev, &["persona", "new", "Ana"]);
    let group = id_of(&json(dev, &["group", "create", "Bike Kitchen"]));
    rally_e2e::group_event(
        dev,
        &group,
        "Repair evening",
        "2055-06-01T18:00",
        "Europe/Rome",
    );
    sync_once(dev, &server);
    let handle = json(dev, &["group", "show", &group])["handle"]
        .as_str()
        .unwrap()
        .to_owned();
    let peer = FediPeer::start("cavage");
    let get = |url: &str, accept: &str| -> Value {
        ureq::get(url)
            .header("Accept", accept)
            .call()
            .unwrap()
            .body_mut()
            .read_json()
            .unwrap()
    };

    // getInstance → getNodeInfo: Gancio takes the *first* link of the discovery
    // document whatever its rel, so it must be a NodeInfo schema.
    let links = get(
        &format!("{}/.well-known/nodeinfo", server.http),
        "application/json",
    );
    let first = &links["links"][0];
    assert!(
        first["rel"]
            .as_str()
            .unwrap()
            .starts_with("http://nodeinfo.diaspora.software/ns/schema/2."),
        "{links}"
    );
    let nodeinfo = get(first["href"].as_str().unwrap(), "application/json");
    assert_eq!(nodeinfo["software"]["name"], "rally", "{nodeinfo}");

    // addTrust with `@user@host`: WebFinger, its `self` link, then the actor
    // fetched with a signed GET (getActor → signAndSend 'get').
    let found = peer.call(
        "/control/lookup",
        json!({"handle": handle.trim_start_matches('@')}),
    );
    let actor = format!("{}/groups/{group}", server.http);
    assert_eq!(found["actor"], actor.as_str(), "{found}");
    let signed = peer.call("/control/fetch", json!({"url": actor, "as": "instance"}));
    let raw = &signed["raw"];
    assert!(raw["publicKey"]["publicKeyPem"].is_string(), "{raw}");
    let inbox = raw["endpoints"]["sharedInbox"]
        .as_str()
        .or(raw["inbox"].as_str())
        .unwrap()
        .to_owned();

    // followActor: a Follow from the instance actor, with Gancio's id form and
    // no audience, to the shared inbox.
    let follow = json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{}/federation/m/{actor}#follow", peer.origin),
        "type": "Follow",
        "actor": peer.instance,
        "object": actor,
    });
    let r = peer.call(
        "/control/raw",
        json!({"as": "instance", "inbox": inbox, "activity": follow, "scheme": "cavage"}),
    );
    assert!(
        r["status"]
            .as_u64()
            .is_some_and(|s| (200..300).contains(&s)),
        "{r}"
    );
    wait_for("the follow to be accepted", WAIT, || {
        peer.received("Accept")
            .iter()
            .any(|a| a["body"]["actor"] == actor.as_str() && a["status"] == 202)
    });

    // getOutbox: the outbox fetched signed; its `first` page embedded (or a
    // URL), each item read by parseAPEvent: a Create of an Event with a name, a
    // startTime and an id, from the followed actor.
    let outbox = peer.call(
        "/control/fetch",
        json!({"url": raw["outbox"], "as": "instance"}),
    )["raw"]
        .clone();
    let items = outbox["first"]["orderedItems"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(items.len(), 1, "{outbox}");
    let item = &items[0];
    assert_eq!(item["type"], "Create", "{item}");
    assert_eq!(item["actor"], actor.as_str());
    assert_eq!(item["object"]["type"], "Event");
    assert_eq!(item["object"]["name"], "Repair evening");
    assert!(item["object"]["startTime"].is_string() && item["object"]["id"].is_string());
    // parseAPEvent reads `a.mediaType.includes(…)` on every attachment.
    for a in item["object"]["attachment"].as_array().unwrap() {
        assert!(a["mediaType"].is_string(), "{a}");
    }

    // inbox.js takes a Create of an Event only from an actor it follows and
    // trusts: the activity's `actor` must be the group it followed.
    rally_e2e::group_event(
        dev,
        &group,
        "Spoke workshop",
        "2055-06-08T18:00",
        "Europe/Rome",
    );
    sync_once(dev, &server);
    let create = wait_for_value("the new event to reach the follower", || {
        peer.received("Create")
            .into_iter()
            .find(|c| c["body"]["object"]["name"] == "Spoke workshop" && !c["status"].is_null())
    });
    assert_eq!(create["body"]["actor"], actor.as_str(), "{create}");
    assert_eq!(create["status"], 202, "{create}");
}

/// An event of a followed instance, as its organiser publishes it.
fn remote_event(peer: &FediPeer, n: u32, name: &str, join_mode: &str) -> Value {
    json!({
        "id": format!("{}/events/{n}", peer.origin),
        "type": "Event",
        "name": name,
        "content": "<p>Meet at the <strong>station</strong></p>",
        "mediaType": "text/html",
        "startTime": "2055-05-01T09:00:00+02:00",
        "endTime": "2055-05-01T17:00:00+02:00",
        "timezone": "Europe/Paris",
        "attributedTo": peer.person,
        "joinMode": join_mode,
        "location": {"type": "Place", "name": "Gare de Lyon",
                     "address": {"type": "PostalAddress", "addressLocality": "Paris"}},
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
    })
}

fn post_as_alice(peer: &FediPeer, server: &Server, activity: Value) -> Value {
    let r = peer.call(
        "/control/raw",
        json!({"as": "alice", "inbox": format!("{}/inbox", server.http), "activity": activity}),
    );
    assert_eq!(r["status"], 202, "{r}");
    r
}

fn activity(peer: &FediPeer, id: &str, kind: &str, object: Value) -> Value {
    json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{}/activities/{id}", peer.origin),
        "type": kind,
        "actor": peer.person,
        "object": object,
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
    })
}

fn events_titled(dev: &Path, title: &str) -> Vec<Value> {
    json(dev, &["event", "list", "--json"])
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["title"] == title)
        .cloned()
        .collect()
}

/// The events of an instance the admin follows become read-only copies that a
/// device gets from the server; a device user joins one (a `Join` signed by the
/// persona's actor reaches the organiser, whose `Accept` comes back as the
/// participation going), the organiser's edits and deletion follow, and leaving
/// sends `Leave`. Events from an instance not followed are ignored.
#[test]
fn events_of_a_followed_instance_are_copied_and_joined_from_a_device() {
    let Following {
        srv,
        server,
        relay,
        peer,
        peer_host,
    } = Following::start();

    post_as_alice(
        &peer,
        &server,
        activity(
            &peer,
            "early",
            "Create",
            remote_event(&peer, 1, "Before the follow", "free"),
        ),
    );

    server_admin(srv.path(), &["instances", "follow", &peer_host]);
    peer.accept_instance_follower(&relay, WAIT);
    let list = || -> Value {
        serde_json::from_str(&server_admin(srv.path(), &["instances", "list", "--json"])).unwrap()
    };
    wait_for("our follow to be accepted", WAIT, || {
        list()[0]["we_follow"] == "accepted"
    });

    let event_url = format!("{}/events/2", peer.origin);
    // With a banner as Mobilizon sends one: a phone photo, metadata and all.
    use base64::Engine as _;
    let photo = rally_picture::fixtures::phone_photo();
    let media = peer.call(
        "/control/media",
        json!({"path": "/media/banner.jpg", "type": "image/jpeg",
               "base64": base64::engine::general_purpose::STANDARD.encode(&photo)}),
    )["url"]
        .as_str()
        .unwrap()
        .to_owned();
    let with_banner = |mut event: Value| {
        event["attachment"] = json!([{"type": "Document", "name": "Banner",
                                      "mediaType": "image/jpeg", "url": media}]);
        event
    };
    post_as_alice(
        &peer,
        &server,
        activity(
            &peer,
            "create",
            "Create",
            with_banner(remote_event(
                &peer,
                2,
                "Bike ride to the coast",
                "restricted",
            )),
        ),
    );

    let device = tempfile::tempdir().unwrap();
    let dev = device.path();
    rally(dev, &["persona", "new", "Bea"]);
    sync_once(dev, &server);
    assert!(events_titled(dev, "Before the follow").is_empty());
    let found = events_titled(dev, "Bike ride to the coast");
    assert_eq!(found.len(), 1, "{found:?}");
    let id = found[0]["id"].as_str().unwrap().to_owned();
    let shown = json(dev, &["event", "show", &id]);
    assert_eq!(shown["origin"], event_url.as_str(), "{shown}");
    assert_eq!(shown["details"]["time_zone"], "Europe/Paris", "{shown}");
    assert_eq!(shown["starts_utc"], "2055-05-01T07:00:00Z", "{shown}");
    assert_eq!(shown["details"]["place"]["name"], "Gare de Lyon", "{shown}");
    assert!(
        shown["organisers"][0]["name"]
            .as_str()
            .unwrap()
            .contains(&format!("@alice@{peer_host}")),
        "{shown}"
    );
    let text = rally(dev, &["event", "show", &id]);
    assert!(
        text.contains(&format!("copied from the Fediverse: {event_url}")),
        "{text}"
    );
    // The instance's public listing finds it too, labelled with its origin and
    // linking there.
    let listing = ureq::get(&format!("{}/events?q=coast", server.http))
        .call()
        .unwrap()
        .into_body()
        .read_to_string()
        .unwrap();
    assert!(
        listing.contains(&format!(
            "<a href=\"{event_url}\">Bike ride to the coast</a>"
        )) && listing.contains(&format!("(from {peer_host})")),
        "{listing}"
    );
    // The banner was fetched by the server, cleaned, and came with the copy.
    let banner = shown["banner"].clone();
    assert_eq!(banner["width"], 320, "{shown}");
    assert_eq!(banner["height"], 640, "{shown}");
    let exported = dev.join("banner.jpg");
    rally(
        dev,
        &[
            "blob",
            "export",
            banner["hash"].as_str().unwrap(),
            "--out",
            exported.to_str().unwrap(),
        ],
    );
    let bytes = std::fs::read(&exported).unwrap();
    assert!(
        !bytes
            .windows(rally_picture::fixtures::SERIAL.len())
            .any(|w| w == rally_picture::fixtures::SERIAL),
        "the camera's serial number came through"
    );
    let picture_fetches = || {
        peer.get("/control/requests")
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["path"] == "/media/banner.jpg")
            .count()
    };
    assert_eq!(picture_fetches(), 1);

    let joined = rally(dev, &["event", "join", &id]);
    assert!(joined.contains("an organiser must approve"), "{joined}");
    sync_once(dev, &server);
    let join = wait_answered(&peer, "Join");
    assert_eq!(join["status"], 202, "{join}");
    assert_eq!(join["signature"]["verified"], true, "{join}");
    assert_eq!(join["body"]["object"], event_url.as_str(), "{join}");
    let person = join["body"]["actor"].as_str().unwrap().to_owned();
    assert!(
        person.starts_with(&format!("{}/people/", server.http)),
        "{person}"
    );
    let fetched = peer.call("/control/fetch", json!({"url": person, "as": "alice"}));
    assert_eq!(fetched["type"], "Person", "{fetched}");
    assert_eq!(fetched["raw"]["name"], "Bea", "{fetched}");

    let mut accept = activity(&peer, "accept-join", "Accept", join["body"].clone());
    accept["to"] = json!([person]);
    post_as_alice(&peer, &server, accept);
    wait_for("the participation to be accepted", WAIT, || {
        sync_once(dev, &server);
        json(dev, &["event", "show", &id])["going"] == 1
    });

    let mut edited = with_banner(remote_event(&peer, 2, "Bike ride to the sea", "restricted"));
    edited["updated"] = json!("2026-11-27T12:00:00Z");
    post_as_alice(&peer, &server, activity(&peer, "update", "Update", edited));
    wait_for("the edit to reach the device", WAIT, || {
        sync_once(dev, &server);
        json(dev, &["event", "show", &id])["details"]["title"] == "Bike ride to the sea"
    });
    // The same picture again: the copy keeps it, and it was not fetched twice.
    assert_eq!(json(dev, &["event", "show", &id])["banner"], banner);
    assert_eq!(picture_fetches(), 1);

    // Bea comments on the copy: the organiser gets a Note from her own actor,
    // in reply to its event; her edit and her deletion follow.
    let comment = json(
        dev,
        &["event", "comment", &id, "Count me in, with a **tandem**"],
    );
    let comment_id = comment["id"].as_str().unwrap_or_default().to_owned();
    sync_once(dev, &server);
    let note_of = |kind: &str| {
        peer.received(kind).into_iter().find(|r| {
            r["body"]["actor"] == person.as_str()
                && (r["body"]["object"]["type"] == "Note"
                    || r["body"]["object"]["formerType"] == "Note")
                && !r["status"].is_null()
        })
    };
    wait_for("the comment to reach the organiser", WAIT, || {
        note_of("Create").is_some()
    });
    let created = note_of("Create").unwrap();
    assert_eq!(created["status"], 202, "{created}");
    assert_eq!(created["signature"]["verified"], true, "{created}");
    let note = &created["body"]["object"];
    assert_eq!(note["inReplyTo"], event_url.as_str(), "{created}");
    assert_eq!(note["attributedTo"], person.as_str(), "{created}");
    assert!(
        note["content"]
            .as_str()
            .unwrap()
            .contains("<strong>tandem</strong>"),
        "{created}"
    );
    assert!(!comment_id.is_empty(), "{comment}");
    rally(
        dev,
        &[
            "event",
            "comment-edit",
            &id,
            &comment_id,
            "Count me in, with a bike",
        ],
    );
    sync_once(dev, &server);
    wait_for("the edit to reach the organiser", WAIT, || {
        note_of("Update").is_some()
    });
    assert!(
        note_of("Update").unwrap()["body"]["object"]["content"]
            .as_str()
            .unwrap()
            .contains("with a bike")
    );
    // The organiser answers her comment: the answer is a reply on her device.
    let note_id = note["id"].as_str().unwrap().to_owned();
    peer.call(
        "/control/reply",
        json!({"as": "alice", "inReplyTo": note_id, "content": "<p>See you <em>there</em></p>",
               "to": ["https://www.w3.org/ns/activitystreams#Public"], "cc": [person],
               "inbox": format!("{}/inbox", server.http)}),
    );
    wait_for("the answer to reach Bea's device as a reply", WAIT, || {
        sync_once(dev, &server);
        json(dev, &["event", "show", &id])["comments"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| {
                c["reply_to"] == comment_id.as_str()
                    && c["body"].as_str().is_some_and(|b| b.contains("See you"))
            })
    });
    // A second device sees the thread as it is. The organiser comments on
    // her own event; Cy answers that remote comment: a Note in reply to it.
    let other = tempfile::tempdir().unwrap();
    let dev2 = other.path();
    rally(dev2, &["persona", "new", "Cy"]);
    let top = peer.call(
        "/control/reply",
        json!({"as": "alice", "inReplyTo": event_url, "content": "<p>Route map tomorrow</p>",
               "to": ["https://www.w3.org/ns/activitystreams#Public"],
               "inbox": format!("{}/inbox", server.http)}),
    );
    let remote_comment = wait_for_value("the thread on a second device", || {
        sync_once(dev2, &server);
        let comments = rally_e2e::show(dev2, &id)?["comments"].clone();
        let comments = comments.as_array()?;
        comments.iter().find(|c| {
            c["reply_to"] == comment_id.as_str()
                && c["body"].as_str().is_some_and(|b| b.contains("See you"))
        })?;
        let top = comments
            .iter()
            .find(|c| c["body"].as_str().is_some_and(|b| b.contains("Route map")))?;
        Some(top["id"].as_str()?.to_owned())
    });
    rally(
        dev2,
        &[
            "event",
            "comment",
            &id,
            "Thanks!",
            "--reply-to",
            &remote_comment,
        ],
    );
    sync_once(dev2, &server);
    let cy_note = wait_for_value("Cy's answer to reach the organiser", || {
        // Once the peer has answered it (its status is set then).
        peer.received("Create").into_iter().find(|r| {
            r["body"]["object"]["type"] == "Note"
                && r["body"]["object"]["content"]
                    .as_str()
                    .is_some_and(|c| c.contains("Thanks!"))
                && !r["status"].is_null()
        })
    });
    assert_eq!(
        cy_note["body"]["object"]["inReplyTo"], top["note"],
        "{cy_note}"
    );
    assert_eq!(cy_note["status"], 202, "{cy_note}");
    assert_eq!(cy_note["signature"]["verified"], true, "{cy_note}");
    assert_ne!(cy_note["body"]["actor"], person.as_str(), "Cy's own actor");
    rally(dev, &["event", "comment-delete", &id, &comment_id]);
    sync_once(dev, &server);
    wait_for("the deletion to reach the organiser", WAIT, || {
        note_of("Delete").is_some()
    });
    assert_eq!(
        peer.received("Create")
            .iter()
            .filter(
                |r| r["body"]["object"]["type"] == "Note" && r["body"]["actor"] == person.as_str()
            )
            .count(),
        1,
        "sent once"
    );

    rally(dev, &["event", "leave", &id]);
    sync_once(dev, &server);
    let leave = wait_answered(&peer, "Leave");
    assert_eq!(leave["status"], 202, "{leave}");
    assert_eq!(leave["body"]["actor"], person.as_str(), "{leave}");
    assert_eq!(leave["body"]["object"], event_url.as_str(), "{leave}");

    post_as_alice(
        &peer,
        &server,
        activity(
            &peer,
            "delete",
            "Delete",
            json!({"type": "Tombstone", "id": event_url}),
        ),
    );
    wait_for("the deletion to cancel the copy", WAIT, || {
        sync_once(dev, &server);
        json(dev, &["event", "show", &id])["details"]["status"] == "cancelled"
    });
}

/// A federating server (open registrations) and a Fedify peer (draft-cavage).
struct Following {
    srv: tempfile::TempDir,
    server: Server,
    /// The server's instance actor.
    relay: String,
    peer: FediPeer,
    peer_host: String,
}

impl Following {
    fn start() -> Following {
        let srv = tempfile::tempdir().unwrap();
        let server = Server::start_federating(srv.path(), &["--registrations", "open"]);
        let relay = format!("{}/relay", server.http);
        let peer = FediPeer::start("cavage");
        let peer_host = peer.origin.trim_start_matches("http://").to_owned();
        Following {
            srv,
            server,
            relay,
            peer,
            peer_host,
        }
    }
}

/// Trust is per actor: following one account of an instance does not let another
/// account of that instance create, update or cancel events in its name.
#[test]
fn following_one_actor_trusts_that_actor_only() {
    let f = Following::start();
    let (peer, server, relay) = (&f.peer, &f.server, &f.relay);
    server_admin(
        f.srv.path(),
        &["instances", "follow", &format!("alice@{}", f.peer_host)],
    );
    wait_for("the peer to see the follow", WAIT, || {
        peer.state_in("/followers/alice", "actor", relay).is_some()
    });
    peer.call("/control/accept", json!({"as": "alice", "follower": relay}));
    let list = || -> Value {
        serde_json::from_str(&server_admin(
            f.srv.path(),
            &["instances", "list", "--json"],
        ))
        .unwrap()
    };
    wait_for("our follow to be accepted", WAIT, || {
        list()[0]["we_follow"] == "accepted"
    });
    let as_instance = |id: &str, kind: &str, object: Value| -> Value {
        let mut a = activity(peer, id, kind, object);
        a["actor"] = json!(peer.instance);
        peer.call(
            "/control/raw",
            json!({"as": "instance", "inbox": format!("{}/inbox", server.http), "activity": a}),
        )
    };

    // Another account of the same instance: not followed, not copied.
    let mut theirs = remote_event(peer, 7, "Posted by another account", "free");
    theirs["attributedTo"] = json!(peer.instance);
    assert_eq!(as_instance("other-create", "Create", theirs)["status"], 202);
    // Alice's own event is copied.
    post_as_alice(
        peer,
        server,
        activity(
            peer,
            "create",
            "Create",
            remote_event(peer, 8, "Alice's picnic", "free"),
        ),
    );
    // The other account cannot rename or cancel Alice's event.
    let mut renamed = remote_event(peer, 8, "Hijacked picnic", "free");
    renamed["attributedTo"] = json!(peer.person);
    as_instance("other-update", "Update", renamed);
    let answer = as_instance(
        "other-delete",
        "Delete",
        json!({"id": format!("{}/events/8", peer.origin), "type": "Tombstone"}),
    );
    assert_eq!(answer["status"], 400, "{answer}");

    let device = tempfile::tempdir().unwrap();
    let dev = device.path();
    rally(dev, &["persona", "new", "Bea"]);
    sync_once(dev, server);
    assert!(events_titled(dev, "Posted by another account").is_empty());
    assert!(events_titled(dev, "Hijacked picnic").is_empty());
    let found = events_titled(dev, "Alice's picnic");
    assert_eq!(found.len(), 1, "{found:?}");
    assert_ne!(found[0]["status"], "cancelled", "{found:?}");
}

/// Spam caps: past the Follows one remote account may send per hour, the server
/// asks it to wait (429) and records nothing; the admin page shows the caps.
#[test]
fn an_account_past_its_hourly_cap_is_asked_to_wait() {
    let srv = tempfile::tempdir().unwrap();
    let server = Server::start_federating(
        srv.path(),
        &["--registrations", "open", "--fedi-per-actor-hour", "2"],
    );
    let peer = FediPeer::start("cavage");
    let relay = format!("{}/relay", server.http);
    let mut statuses = Vec::new();
    for i in 0..3 {
        let follow = json!({"@context": "https://www.w3.org/ns/activitystreams",
            "id": format!("{}/follows/cap-{i}", peer.origin), "type": "Follow",
            "actor": peer.person, "object": relay});
        let answer = peer.call(
            "/control/raw",
            json!({"as": "alice", "inbox": format!("{}/inbox", server.http), "activity": follow}),
        );
        statuses.push(answer["status"].as_u64().unwrap());
    }
    assert_eq!(statuses, vec![202, 202, 429], "{statuses:?}");
}

/// The shapes real servers send, each answered sensibly: copied with every field
/// the model has, or a clean 202/4xx — never a 500, never a half-written record.
/// Gancio's plain-string location, a banner `Document`, `Hashtag`s, `ical:status`,
/// a time zone and HTML content; a Mobilizon group's event sent by a member
/// (trusted as the group's own members collection lists it, and no longer once it
/// does not); an `Announce` whose object is a URL; `Reject{Follow}`; activities
/// the server does not support; and a key rotated with `Update{Person}`.
#[test]
fn the_shapes_real_servers_send_each_get_a_sensible_answer() {
    let f = Following::start();
    let (peer, server, relay) = (&f.peer, &f.server, &f.relay);
    let list = || -> Value {
        serde_json::from_str(&server_admin(
            f.srv.path(),
            &["instances", "list", "--json"],
        ))
        .unwrap()
    };
    let we_follow = |actor: &str| -> Option<String> {
        list()
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["actor"] == actor)
            .and_then(|i| i["we_follow"].as_str().map(str::to_owned))
    };
    // Alice accepts at once; the group refuses first (Reject{Follow}), then accepts.
    server_admin(
        f.srv.path(),
        &["instances", "follow", &format!("alice@{}", f.peer_host)],
    );
    wait_for("alice to accept", WAIT, || {
        we_follow(&peer.person).as_deref() == Some("accepted")
    });
    let group_handle = format!("collective@{}", f.peer_host);
    server_admin(f.srv.path(), &["instances", "follow", &group_handle]);
    wait_for("the group to see the follow", WAIT, || {
        peer.state_in("/followers/collective", "actor", relay)
            .is_some()
    });
    peer.call(
        "/control/reject",
        json!({"as": "collective", "follower": relay}),
    );
    wait_for("the refusal to be recorded", WAIT, || {
        we_follow(&peer.group).as_deref() == Some("rejected")
    });
    server_admin(f.srv.path(), &["instances", "follow", &group_handle]);
    wait_for("the group to see the second follow", WAIT, || {
        peer.state_in("/followers/collective", "actor", relay)
            .as_deref()
            == Some("pending")
    });
    peer.call(
        "/control/accept",
        json!({"as": "collective", "follower": relay}),
    );
    wait_for("the group to accept", WAIT, || {
        we_follow(&peer.group).as_deref() == Some("accepted")
    });

    // Gancio's shape: the place as a plain string, a banner, hashtags, a
    // status, and no zone (Gancio 1.21 sends an offset in `startTime` and its
    // instance's zone in NodeInfo's metadata, as `nodeTimezone`).
    peer.call(
        "/control/nodeinfo-metadata",
        json!({"nodeName": "Bici", "nodeTimezone": "Europe/Rome"}),
    );
    let mut gancio = remote_event(peer, 21, "Bike repair evening", "free");
    gancio["location"] = json!("Via Roma 1, Torino");
    gancio.as_object_mut().unwrap().remove("timezone");
    gancio["startTime"] = json!("2055-11-28T11:22:26.000+01:00");
    gancio["endTime"] = json!("2055-11-28T13:22:26.000+01:00");
    gancio["ical:status"] = json!("TENTATIVE");
    gancio["tag"] = json!([{"type": "Hashtag", "name": "#bici"},
                           {"type": "Mention", "href": peer.person}]);
    gancio["attachment"] = json!([{"type": "Document", "mediaType": "image/jpeg",
        "url": format!("{}/media/flyer.jpg", peer.origin), "name": "The flyer"}]);
    gancio["content"] =
        json!("<p>Bring your <b>bike</b>, see <a href=\"https://example.org/map\">the map</a></p>");
    post_as_alice(peer, server, activity(peer, "c21", "Create", gancio));

    // A Mobilizon group's event, sent by a member the group lists.
    let mut by_member = remote_event(peer, 22, "Collective assembly", "free");
    by_member["attributedTo"] = json!(peer.group);
    post_as_alice(peer, server, activity(peer, "c22", "Create", by_member));
    // A member cancels it (Mobilizon: a moderator deletes the group's event).
    post_as_alice(
        peer,
        server,
        activity(
            peer,
            "d22",
            "Delete",
            json!({"id": format!("{}/events/22", peer.origin), "type": "Tombstone"}),
        ),
    );
    // Once the group no longer lists her, her events in its name are not copied.
    peer.call("/control/members", json!({"members": []}));
    let mut after = remote_event(peer, 23, "Posted after leaving", "free");
    after["attributedTo"] = json!(peer.group);
    post_as_alice(peer, server, activity(peer, "c23", "Create", after));

    // An Announce whose object is only a URL: fetched from its origin.
    peer.call(
        "/control/serve",
        json!({"object": remote_event(peer, 24, "Announced by URL", "free")}),
    );
    post_as_alice(
        peer,
        server,
        activity(
            peer,
            "a24",
            "Announce",
            json!(format!("{}/events/24", peer.origin)),
        ),
    );

    // What the server does not support is accepted and left alone.
    let event_url = format!("{}/events/21", peer.origin);
    for (id, kind) in [("like", "Like"), ("flag", "Flag"), ("invite", "Invite")] {
        let mut a = activity(peer, id, kind, json!(event_url));
        a["target"] = json!(peer.instance);
        post_as_alice(peer, server, a);
    }

    // A rotated key: refused while the cached profile is fresh (a bad signature
    // refetches an actor at most once a minute), taken once that minute is over.
    peer.call("/control/rotate", json!({"as": "alice"}));
    let update = |n: u32| {
        let mut a = activity(peer, &format!("update-{n}"), "Update", json!(peer.person));
        a["object"] = json!({"id": peer.person, "type": "Person"});
        peer.call(
            "/control/raw",
            json!({"as": "alice", "inbox": format!("{}/inbox", server.http), "activity": a}),
        )
    };
    assert_eq!(update(1)["status"], 401);
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    let mut n = 1;
    let answer = loop {
        std::thread::sleep(Duration::from_secs(5));
        n += 1;
        let a = update(n);
        if a["status"] != 401 || std::time::Instant::now() > deadline {
            break a;
        }
    };
    assert_eq!(answer["status"], 202, "{answer}");
    post_as_alice(
        peer,
        server,
        activity(
            peer,
            "c25",
            "Create",
            remote_event(peer, 25, "Signed with the new key", "free"),
        ),
    );

    let device = tempfile::tempdir().unwrap();
    let dev = device.path();
    rally(dev, &["persona", "new", "Bea"]);
    sync_once(dev, server);
    let one = |title: &str| -> Value {
        let found = events_titled(dev, title);
        assert_eq!(found.len(), 1, "{title}: {found:?}");
        found[0].clone()
    };
    let gancio = one("Bike repair evening");
    let id = gancio["id"].as_str().unwrap().to_owned();
    let shown = json(dev, &["event", "show", &id, "--json"]);
    let d = &shown["details"];
    assert_eq!(d["place"]["address"], "Via Roma 1, Torino", "{shown}");
    assert_eq!(d["tags"], json!(["bici"]), "{shown}");
    assert_eq!(d["status"], "tentative", "{shown}");
    // In Rome's zone, at the instant sent.
    assert_eq!(d["time_zone"], "Europe/Rome", "{shown}");
    assert_eq!(d["starts"], "2055-11-28T11:22:26", "{shown}");
    assert!(
        d["description"]
            .as_str()
            .unwrap()
            .contains("Bring your **bike**, see [the map](https://example.org/map)"),
        "{shown}"
    );
    assert_eq!(one("Collective assembly")["status"], "cancelled");
    one("Announced by URL");
    one("Signed with the new key");
    assert!(events_titled(dev, "Posted after leaving").is_empty());
}

/// The admins' moderation against a Fedify peer: the peer's `Flag` (Mastodon's
/// and Mobilizon's shape: what it reports in `object`, its words in
/// `content`) is queued once; forwarded, a signed `Flag` from the instance
/// actor reaches the reported actor's server; hidden, the event leaves the
/// pages and the peer gets its `Delete`; a suspended persona's events are
/// withdrawn and its device is refused; the policy shows on the about page and
/// in NodeInfo; every action is in the log.
#[test]
fn reports_from_the_fediverse_are_hidden_forwarded_and_persons_suspended() {
    let srv = tempfile::tempdir().unwrap();
    let server = Server::start_federating(srv.path(), &["--registrations", "open"]);
    let peer = FediPeer::start("cavage");
    let f = rally_e2e::FollowedEvent::start(&server, &peer);
    let (dev, ana, group, event) = (f.device.path(), &f.persona, &f.group, &f.event);
    let event_url = f.event_url.clone();

    // The peer reports our event, and its own group's actor.
    let flag = json!({"@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{}/flags/1", peer.origin), "type": "Flag",
        "actor": peer.person, "object": [event_url, peer.group],
        "content": "<p>This <b>book swap</b> is a scam</p>"});
    post_as_alice(&peer, &server, flag.clone());
    post_as_alice(&peer, &server, flag);
    let reports: Value =
        serde_json::from_str(&server_admin(srv.path(), &["reports", "list", "--json"])).unwrap();
    assert_eq!(reports.as_array().unwrap().len(), 1, "{reports}");
    let report = &reports[0];
    assert_eq!(report["reporter"], peer.person.as_str());
    assert_eq!(report["text"], "This book swap is a scam");
    assert_eq!(report["objects"], json!([event_url, peer.group]));
    let id = report["id"].as_i64().unwrap().to_string();
    // A Flag of nothing here is not queued.
    let elsewhere = json!({"@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{}/flags/2", peer.origin), "type": "Flag",
        "actor": peer.person, "object": [peer.group], "content": "spam"});
    post_as_alice(&peer, &server, elsewhere);
    let all: Value = serde_json::from_str(&server_admin(
        srv.path(),
        &["reports", "list", "--all", "--json"],
    ))
    .unwrap();
    assert_eq!(all.as_array().unwrap().len(), 1, "{all}");
    // Mastodon's shape, as some describe it: the Flag wrapped in a Create, the
    // reported account and statuses in `object`.
    let wrapped = json!({"@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{}/creates/flag-3", peer.origin), "type": "Create",
        "actor": peer.person,
        "object": {"id": format!("{}/flags/3", peer.origin), "type": "Flag",
            "actor": peer.person, "content": "misinfo", "object": [format!("{}/people/{ana}", server.http), event_url]}});
    post_as_alice(&peer, &server, wrapped);
    let all: Value = serde_json::from_str(&server_admin(
        srv.path(),
        &["reports", "list", "--all", "--json"],
    ))
    .unwrap();
    assert_eq!(all.as_array().unwrap().len(), 2, "{all}");
    assert_eq!(all[0]["text"], "misinfo");
    let misinfo = all[0]["id"].as_i64().unwrap().to_string();
    let dismissed: Value = serde_json::from_str(&server_admin(
        srv.path(),
        &[
            "reports",
            "dismiss",
            &misinfo,
            "--note",
            "not ours to judge",
            "--json",
        ],
    ))
    .unwrap();
    assert_eq!(dismissed["state"], "dismissed");

    // Forwarded: the peer's group's server gets a Flag from our instance actor,
    // naming its group and not who reported it.
    let out = server_admin(srv.path(), &["reports", "forward", &id]);
    assert!(out.contains(&peer.group), "{out}");
    let forwarded = wait_answered(&peer, "Flag");
    assert_eq!(
        forwarded["body"]["actor"],
        format!("{}/relay", server.http).as_str()
    );
    assert_eq!(
        forwarded["body"]["object"],
        json!([peer.group]),
        "{forwarded}"
    );
    assert_eq!(forwarded["body"]["content"], "This book swap is a scam");
    assert!(!forwarded["body"].to_string().contains("/users/alice"));
    assert!(
        forwarded["status"].as_u64().is_some_and(|s| s < 300),
        "the peer refused the forwarded Flag: {forwarded}"
    );

    // Ben, on his device, reports the event to the server's admins: it goes as
    // he syncs, once however often he syncs.
    let other = tempfile::tempdir().unwrap();
    let ben = other.path();
    rally(ben, &["persona", "new", "Ben"]);
    sync_once(ben, &server);
    let sent = json(
        ben,
        &[
            "report",
            "event",
            event,
            "--reason",
            "spam",
            "--text",
            "Fake swap, asks for money",
            "--to",
            "admins",
        ],
    );
    assert!(sent["admins_report"].is_string(), "{sent}");
    sync_once(ben, &server);
    sync_once(ben, &server);
    let open: Value =
        serde_json::from_str(&server_admin(srv.path(), &["reports", "list", "--json"])).unwrap();
    assert_eq!(open.as_array().unwrap().len(), 1, "{open}");
    let from_ben = &open[0];
    assert_eq!(from_ben["source"], "device");
    let ben_id = json(ben, &["persona", "list"])[0]["id"].clone();
    assert_eq!(from_ben["reporter"], ben_id, "the admins see who reported");
    assert_eq!(from_ben["reason"], "spam");
    assert_eq!(from_ben["objects"], json!([format!("event:{event}")]));
    let ben_report = from_ben["id"].as_i64().unwrap().to_string();

    // Hidden: off the pages, and withdrawn from the Fediverse.
    assert!(
        ureq::get(&event_url)
            .header("accept", "text/html")
            .call()
            .is_ok()
    );
    server_admin(
        srv.path(),
        &["reports", "hide", &ben_report, "--note", "fake event"],
    );
    let deleted = wait_answered(&peer, "Delete");
    assert_eq!(
        deleted["body"]["object"]["id"],
        event_url.as_str(),
        "{deleted}"
    );
    assert!(
        ureq::get(&event_url)
            .header("accept", "text/html")
            .call()
            .is_err()
    );
    let listing = ureq::get(&format!("{}/events", server.http))
        .call()
        .unwrap()
        .into_body()
        .read_to_string()
        .unwrap();
    assert!(!listing.contains("Book swap"), "{listing}");
    // Nor does the server hand it to devices any more (Ben got it before).
    let fresh = tempfile::tempdir().unwrap();
    rally(fresh.path(), &["persona", "new", "Cleo"]);
    sync_once(fresh.path(), &server);
    let seen = json(fresh.path(), &["event", "list"]);
    assert!(
        seen.as_array()
            .unwrap()
            .iter()
            .all(|e| e["title"] != "Book swap"),
        "{seen}"
    );
    assert!(
        json(ben, &["event", "list"])
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["title"] == "Book swap"),
        "Ben had it"
    );

    // Ana is suspended: her next event is withdrawn, her device refused.
    let second = id_of(&json(
        dev,
        &[
            "event",
            "create",
            "--group",
            group,
            "--title",
            "Second swap",
            "--starts",
            "2055-05-02T18:00",
            "--tz",
            "Europe/Paris",
        ],
    ));
    sync_once(dev, &server);
    let second_url = format!("{}/events/{second}", server.http);
    wait_for("the second event to reach the peer", WAIT, || {
        peer.received("Create")
            .iter()
            .any(|c| c["body"]["object"]["id"] == second_url.as_str())
    });
    let suspended: Value = serde_json::from_str(&server_admin(
        srv.path(),
        &["suspend", ana, "--note", "repeated scams", "--json"],
    ))
    .unwrap();
    assert_eq!(suspended["suspended"], true);
    wait_for("the second event's Delete", WAIT, || {
        peer.received("Delete")
            .iter()
            .any(|d| d["body"]["object"]["id"] == second_url.as_str())
    });
    assert!(
        ureq::get(&second_url)
            .header("accept", "text/html")
            .call()
            .is_err()
    );
    let refused = rally_e2e::sync_with_server(dev, &server.p2p[0], &[]);
    let said = String::from_utf8_lossy(&refused.stderr).to_string()
        + &String::from_utf8_lossy(&refused.stdout);
    assert!(said.contains("suspended"), "{said}");
    // Its events are handed to no device any more.
    sync_once(fresh.path(), &server);
    let seen = json(fresh.path(), &["event", "list"]);
    assert!(
        seen.as_array()
            .unwrap()
            .iter()
            .all(|e| e["title"] != "Second swap"),
        "{seen}"
    );

    // One actor blocked, not its server: its Flags are refused, then welcome again.
    server_admin(srv.path(), &["instances", "block-actor", &peer.person]);
    let blocked_flag = json!({"@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{}/flags/9", peer.origin), "type": "Flag",
        "actor": peer.person, "object": [event_url], "content": "again"});
    let answer = peer.call(
        "/control/raw",
        json!({"as": "alice", "inbox": format!("{}/inbox", server.http), "activity": blocked_flag}),
    );
    assert_ne!(answer["status"], 202, "{answer}");
    let listed = server_admin(srv.path(), &["instances", "blocked"]);
    assert!(
        listed.contains(&format!("actor {}", peer.person)),
        "{listed}"
    );
    server_admin(srv.path(), &["instances", "unblock-actor", &peer.person]);
    post_as_alice(&peer, &server, blocked_flag);

    // The policy, on the about page and in NodeInfo.
    let rules = srv.path().join("rules.md");
    std::fs::write(&rules, "1. **No scams.**\n2. Be kind.\n").unwrap();
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
    let about = ureq::get(&format!("{}/about", server.http))
        .call()
        .unwrap()
        .into_body()
        .read_to_string()
        .unwrap();
    assert!(about.contains("<strong>No scams.</strong>"), "{about}");
    assert!(about.contains("mods@readers.example"), "{about}");
    let nodeinfo: Value = ureq::get(&format!("{}/nodeinfo/2.1", server.http))
        .call()
        .unwrap()
        .into_body()
        .read_json()
        .unwrap();
    assert_eq!(nodeinfo["metadata"]["contact"], "mods@readers.example");
    assert!(
        nodeinfo["metadata"]["rules"]
            .as_str()
            .unwrap()
            .contains("No scams")
    );

    let log: Value = serde_json::from_str(&server_admin(srv.path(), &["log", "--json"])).unwrap();
    let actions: Vec<&str> = log
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "unblock-actor",
            "block-actor",
            "suspend",
            "hide",
            "forward",
            "dismiss"
        ],
        "{log}"
    );
    let shown: Value = serde_json::from_str(&server_admin(
        srv.path(),
        &["reports", "show", &ben_report, "--json"],
    ))
    .unwrap();
    assert_eq!(shown["state"], "hidden");
    assert_eq!(shown["notes"][0]["text"], "fake event");
    let flagged: Value = serde_json::from_str(&server_admin(
        srv.path(),
        &["reports", "show", &id, "--json"],
    ))
    .unwrap();
    assert_eq!(flagged["state"], "forwarded");
    // Its history: the other report about the same event (dismissed), and
    // what the admins did about either.
    let history = &flagged["history"];
    assert!(
        history["reports"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| { r["id"].as_i64() == misinfo.parse().ok() && r["state"] == "dismissed" }),
        "{flagged}"
    );
    let done: Vec<&str> = history["actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert!(
        done.contains(&"forward") && done.contains(&"dismiss"),
        "{flagged}"
    );
}
