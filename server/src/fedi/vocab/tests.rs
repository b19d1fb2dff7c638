use super::*;

fn load(name: &str) -> Value {
    serde_json::from_str(&std::fs::read_to_string(fixture(name)).unwrap()).unwrap()
}

#[test]
fn every_fixture_is_read() {
    let dir = fixture("");
    let mut seen = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "json") {
            continue;
        }
        let name = path.file_name().unwrap().to_str().unwrap().to_owned();
        let v = load(&name);
        seen += 1;
        match type_of(&v) {
            "Create" | "Accept" | "Undo" | "Follow" | "Delete" | "Join" | "Leave" => {
                let a = Activity::parse(&v).unwrap_or_else(|e| panic!("{name}: {e}"));
                match a.object_type() {
                    "Event" => {
                        RemoteEvent::parse(&a.object).unwrap_or_else(|e| panic!("{name}: {e}"));
                    }
                    "Note" => {
                        RemoteNote::parse(&a.object).unwrap_or_else(|e| panic!("{name}: {e}"));
                    }
                    _ => assert!(a.object_id().is_some(), "{name}: the object has no id"),
                }
            }
            "Person" | "Application" | "Group" => {
                let actor = RemoteActor::parse(&v).unwrap_or_else(|e| panic!("{name}: {e}"));
                let pem = actor.public_key_pem.unwrap();
                super::super::keys::PublicKey::from_pem(&pem)
                    .unwrap_or_else(|e| panic!("{name}: {e}"));
            }
            "Event" => {
                RemoteEvent::parse(&v).unwrap_or_else(|e| panic!("{name}: {e}"));
            }
            "Note" => {
                RemoteNote::parse(&v).unwrap_or_else(|e| panic!("{name}: {e}"));
            }
            "OrderedCollection" => assert!(v["first"]["orderedItems"].is_array()),
            _ => {
                // WebFinger, NodeInfo and HTTP captures.
                assert!(
                    v.get("links").is_some()
                        || v.get("software").is_some()
                        || v.get("headers").is_some(),
                    "{name} was not read"
                );
            }
        }
    }
    assert!(seen >= 21, "only {seen} fixtures");
}

#[test]
fn mobilizon_event_in_detail() {
    let e = RemoteEvent::parse(&load("mobilizon-event-object.json")).unwrap();
    assert_eq!(e.name, "Mobilizon Launching Party");
    assert_eq!(
        e.starts,
        "2019-12-18T13:00:00Z".parse::<Timestamp>().unwrap()
    );
    assert_eq!(e.status, "CONFIRMED");
    assert_eq!(e.join_mode, "free");
    assert_eq!(e.capacity, None, "0 means unlimited");
    assert_eq!(
        e.address.as_deref(),
        Some("Nantes, Pays de la Loire, France")
    );
    assert!(
        e.latitude.is_some() && e.longitude.is_some(),
        "the old nested geo form"
    );
    assert_eq!(e.organiser.as_deref(), Some("https://mobilizon.org/@tcit"));

    let a = Activity::parse(&load("mobilizon-create-event-activity.json")).unwrap();
    let e = RemoteEvent::parse(&a.object).unwrap();
    assert_eq!(e.place_name.as_deref(), Some("Locaux de Framasoft"));
    assert!(
        e.address
            .as_deref()
            .unwrap()
            .starts_with("10 Rue Jangot, 69007, Lyon")
    );
}

/// An event's HTML description arrives as Markdown that keeps its emphasis,
/// paragraphs, lists and, above all, its links' targets (Mobilizon's editor
/// writes `<a href target rel>`, Gancio's `<p>`s with links).
#[test]
fn rich_descriptions_keep_their_meaning() {
    let e = RemoteEvent::parse(&load("mobilizon-event-object.json")).unwrap();
    assert!(
        e.description
            .starts_with("Mobilizon is now federated! 🎉\n\n"),
        "{}",
        e.description
    );
    assert!(
        e.description.contains("**participate**"),
        "{}",
        e.description
    );
    assert!(
        e.description.contains("**add comments**"),
        "{}",
        e.description
    );

    let mut mobilizon = load("mobilizon-event-object.json");
    mobilizon["content"] = serde_json::json!(
        "<p>Tickets are <a href=\"https://tickets.example/party\" target=\"_blank\" rel=\"noopener noreferrer ugc\">on sale</a>, \
         and here's a sample video from <a href=\"https://video.example/w/abc\" target=\"_blank\" rel=\"noopener noreferrer ugc\">last year</a>.</p>\
         <ul><li><p>Bring <em>snacks</em></p></li><li><p>Bring <strong>friends</strong></p></li></ul>"
    );
    let e = RemoteEvent::parse(&mobilizon).unwrap();
    for kept in [
        "[on sale](https://tickets.example/party)",
        "[last year](https://video.example/w/abc)",
        "*snacks*",
        "**friends**",
    ] {
        assert!(
            e.description.contains(kept),
            "{kept:?} in {:?}",
            e.description
        );
    }
    assert_eq!(
        e.description
            .lines()
            .filter(|l| l.starts_with("- "))
            .count(),
        2,
        "{}",
        e.description
    );

    let mut gancio = Activity::parse(&load("gancio-1.21-create-event-live-capture.json"))
        .unwrap()
        .object;
    gancio["content"] = serde_json::json!(
        "<p>Bring your <b>bike</b></p><p>Route: <a href=\"https://osm.example/route/1\">the map</a><br>Start at noon</p>\
         <script>steal()</script><a href=\"javascript:steal()\">x</a>"
    );
    let e = RemoteEvent::parse(&gancio).unwrap();
    assert!(
        e.description.contains("Bring your **bike**"),
        "{}",
        e.description
    );
    assert!(
        e.description
            .contains("[the map](https://osm.example/route/1)"),
        "{}",
        e.description
    );
    assert!(!e.description.contains("steal"), "{}", e.description);
}

#[test]
fn gancio_event_and_actor() {
    let a = Activity::parse(&load("gancio-1.21-create-event-live-capture.json")).unwrap();
    let e = RemoteEvent::parse(&a.object).unwrap();
    assert_eq!(e.name, "Federation test event");
    assert_eq!(
        e.starts,
        "2026-11-28T10:22:26Z".parse::<Timestamp>().unwrap()
    );
    assert_eq!(e.address.as_deref(), Some("1 Test street"));
    assert_eq!(e.place_name.as_deref(), Some("Test hall"));
    let actor = RemoteActor::parse(&load("gancio-application-actor.json")).unwrap();
    assert_eq!(actor.kind, "Application");
}

#[test]
fn mastodon_reply_and_follows() {
    let n = RemoteNote::parse(&load("mastodon-note-reply-to-remote-object.json")).unwrap();
    assert_eq!(
        n.in_reply_to.as_deref(),
        Some("https://framatube.org/videos/watch/9c9de5e8-0a1e-484a-b099-e80766180a6d")
    );
    assert_eq!(n.author, "https://diaspodon.fr/users/dada");
    assert!(!n.text.contains('<'));
    let undo = Activity::parse(&load("mastodon-undo-follow-activity.json")).unwrap();
    assert_eq!(undo.object_type(), "Follow");
    let del = Activity::parse(&load("mastodon-delete-tombstone-activity.json")).unwrap();
    assert_eq!(
        del.object_id().as_deref(),
        Some("http://mastodon.example.org/users/gargron/statuses/99620895606148759")
    );
    let wf = load("mastodon-webfinger.json");
    assert!(
        wf["links"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l["rel"] == "self")
    );
    let ni = load("nodeinfo-wellknown-with-application-actor.json");
    assert!(
        ni["links"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l["rel"] == "https://www.w3.org/ns/activitystreams#Application")
    );
}

#[test]
fn an_instances_own_zone_is_read_from_its_nodeinfo() {
    // The discovery document as Gancio 1.21 serves it (2.0 first, then 2.1,
    // then its Application actor), and Mobilizon's fixture (2.1 only).
    let gancio = json!({"links": [
        {"href": "https://g.example/.well-known/nodeinfo/2.0", "rel": "http://nodeinfo.diaspora.software/ns/schema/2.0"},
        {"href": "https://g.example/.well-known/nodeinfo/2.1", "rel": "http://nodeinfo.diaspora.software/ns/schema/2.1"},
        {"rel": "https://www.w3.org/ns/activitystreams#Application", "href": "https://g.example/federation/u/relay"},
    ]});
    assert_eq!(
        nodeinfo_document(&gancio).as_deref(),
        Some("https://g.example/.well-known/nodeinfo/2.1")
    );
    let only_app = json!({"links": [{"rel": "https://www.w3.org/ns/activitystreams#Application", "href": "https://x.example/relay"}]});
    assert_eq!(nodeinfo_document(&only_app), None);
    assert!(nodeinfo_document(&load("nodeinfo-wellknown-with-application-actor.json")).is_some());
    // Gancio's metadata names the instance's zone; Mastodon's names none.
    let doc = |zone: Value| json!({"metadata": {"nodeName": "Gancio", "nodeTimezone": zone}});
    assert_eq!(
        nodeinfo_zone(&doc(json!("Europe/Rome"))).as_deref(),
        Some("Europe/Rome")
    );
    assert_eq!(nodeinfo_zone(&doc(json!("Mars/Olympus_Mons"))), None);
    assert_eq!(nodeinfo_zone(&doc(json!(7))), None);
    assert_eq!(nodeinfo_zone(&doc(json!("Europe/".repeat(20)))), None);
    assert_eq!(nodeinfo_zone(&load("mastodon-nodeinfo-2.0.json")), None);
}

#[test]
fn usernames_are_slugs_with_the_id() {
    let id: DocId = "ab".repeat(32).parse().unwrap();
    assert_eq!(
        group_username(&id, "Climate March – Lyon!"),
        "climate_march_lyon_abababab"
    );
    assert_eq!(
        group_username(&id, "Vélo à Nantes"),
        "velo_a_nantes_abababab"
    );
    assert_eq!(group_username(&id, "★★★"), "group_abababab");
    assert!(group_username(&id, &"x".repeat(80)).len() <= 24 + 9);
}
