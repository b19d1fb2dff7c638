//! What the server emits reads back with its own readers (the same readers that
//! take in Mobilizon's, Mastodon's and Gancio's documents).

use rally_core::jiff::Timestamp;
use rally_core::model::{
    EventDetails, GroupProfile, GroupVisibility, JoinMode, Place, parse_civil,
};
use rally_core::{Document, Persona};
use serde_json::Value;

use super::keys::{ActorKey, PublicKey};
use super::vocab::{self, Activity, RemoteActor, RemoteEvent, RemoteNote, Urls};

fn urls() -> Urls {
    Urls {
        base: "https://rally.example".into(),
    }
}

#[test]
fn emitted_documents_read_back() {
    let alice = Persona::generate();
    let now: Timestamp = "2026-11-27T10:00:00Z".parse().unwrap();
    let (group, _) = Document::create_group(
        &alice,
        "Alice",
        &GroupProfile {
            name: "Climate March".into(),
            summary: "We *walk*.".into(),
            visibility: GroupVisibility::Public,
            avatar: None,
        },
        now,
    )
    .unwrap();
    let mut details = EventDetails::new(
        "March",
        parse_civil("start", "2026-12-05T14:00").unwrap(),
        "Europe/Paris",
    );
    details.description = "Bring **water**".into();
    details.ends = Some(parse_civil("end", "2026-12-05T17:00").unwrap());
    details.place = Place {
        name: Some("Place Bellecour".into()),
        address: Some("69002 Lyon".into()),
        latitude: Some(45.757),
        longitude: Some(4.832),
    };
    details.capacity = Some(100);
    details.join_mode = JoinMode::Approval;
    details.online_url = Some("https://stream.example/march".into());
    details.tags = vec!["climate".into()];
    let (mut event, _) =
        Document::create_event(&alice, "Alice", &details, Some(group.id()), now).unwrap();
    event
        .comment(&alice, "Alice", "See you *there*", None, now)
        .unwrap();
    let view = event.event().unwrap();

    let object = vocab::event_object(&urls(), &event.id(), &view, Some(&group.id()), now);
    let read = RemoteEvent::parse(&object).unwrap();
    assert_eq!(read.name, "March");
    assert_eq!(
        read.starts,
        "2026-12-05T13:00:00Z".parse::<Timestamp>().unwrap()
    );
    assert_eq!(
        read.ends,
        Some("2026-12-05T16:00:00Z".parse::<Timestamp>().unwrap())
    );
    assert_eq!(read.time_zone.as_deref(), Some("Europe/Paris"));
    assert_eq!(read.join_mode, "restricted");
    assert_eq!(read.capacity, Some(100));
    assert_eq!(read.place_name.as_deref(), Some("Place Bellecour"));
    assert_eq!(read.address.as_deref(), Some("69002 Lyon"));
    assert_eq!(read.latitude, Some(45.757));
    assert_eq!(
        read.online_url.as_deref(),
        Some("https://stream.example/march")
    );
    assert_eq!(read.tags, vec!["climate".to_owned()]);
    // The Markdown the organiser wrote comes back as written (HTML on the way).
    assert_eq!(read.description, "Bring **water**");
    assert_eq!(object["startTime"], "2026-12-05T14:00:00+01:00");
    assert_eq!(object["status"], "CONFIRMED");
    assert_eq!(object["ical:status"], "CONFIRMED");
    assert!(object["summary"].as_str().unwrap().contains("Europe/Paris"));
    assert!(!object["summary"].as_str().unwrap().contains('<'));

    let comment = &view.comments[0];
    let note = vocab::comment_note(&urls(), &event.id(), comment);
    let read = RemoteNote::parse(&note).unwrap();
    assert_eq!(read.text, "See you there");
    assert_eq!(read.in_reply_to, Some(urls().event(&event.id())));
    assert!(read.public);

    let key = ActorKey::generate().unwrap();
    let pem = key.public_pem().unwrap();
    let gview = group.group().unwrap();
    let username = vocab::group_username(&group.id(), &gview.profile.name);
    let actor = vocab::group_actor(&urls(), &group.id(), &gview, &username, &pem);
    let read = RemoteActor::parse(&actor).unwrap();
    assert_eq!(read.kind, "Group");
    assert_eq!(read.username.as_deref(), Some(username.as_str()));
    assert_eq!(
        read.shared_inbox.as_deref(),
        Some("https://rally.example/inbox")
    );
    assert_eq!(
        read.key_id,
        Some(format!("{}#main-key", urls().group(&group.id())))
    );
    PublicKey::from_pem(&read.public_key_pem.unwrap()).unwrap();
    let relay = RemoteActor::parse(&vocab::instance_actor(&urls(), &pem)).unwrap();
    assert_eq!(relay.kind, "Application");

    let create = vocab::activity(
        "https://rally.example/a/1",
        "Create",
        &urls().group(&group.id()),
        object,
        &[vocab::PUBLIC.into()],
        &[],
    );
    let read = Activity::parse(&create).unwrap();
    assert_eq!(read.object_type(), "Event");
    let wf = vocab::webfinger(
        "acct:x@rally.example",
        "https://rally.example/groups/x",
        true,
    );
    assert_eq!(wf["links"][0]["type"], "application/activity+json");
    let ni = vocab::nodeinfo_links(&urls());
    assert!(
        ni["links"]
            .as_array()
            .unwrap()
            .iter()
            .any(
                |l: &Value| l["rel"] == "https://www.w3.org/ns/activitystreams#Application"
                    && l["href"] == "https://rally.example/relay"
            )
    );
}

/// The fetcher's blocklist (in memory) answers as `fedi.db` does: a blocked
/// domain and its subdomains, whatever the case.
#[test]
fn the_blocklist_in_memory_answers_as_the_database() {
    let dir = tempfile::tempdir().unwrap();
    let db = super::db::FediDb::open(dir.path()).unwrap();
    for d in ["bad.example", "Evil.Example", "x.y.z"] {
        db.block_domain(d).unwrap();
    }
    let list = super::Blocklist::default();
    list.set(db.blocked_domains().unwrap());
    for q in [
        "bad.example",
        "BAD.example",
        "sub.bad.example",
        "a.b.bad.example",
        "notbad.example",
        "bad.example.org",
        "evil.example",
        "x.y.z",
        "w.x.y.z",
        "y.z",
        "z",
        "example",
        "",
        ".bad.example",
    ] {
        assert_eq!(list.is_blocked(q), db.is_blocked(q).unwrap(), "{q:?}");
    }
}

/// Blocking and unblocking change what the fetcher refuses at once; a block
/// written by another process (`rally-server admin`) reaches it through the
/// delivery loop.
#[tokio::test]
async fn blocks_reach_the_fetcher() {
    use super::fetch::FetchError;
    use super::{Fedi, instances, outbox};
    use std::sync::Arc;

    let dir = tempfile::tempdir().unwrap();
    let fedi = Arc::new(Fedi::open(dir.path(), "https://rally.example").unwrap());
    let url = "https://sub.bad.example/actor";
    assert!(fedi.fetcher.check(url).is_ok());
    assert_eq!(
        instances::block(&fedi, "bad.example").await.unwrap(),
        "bad.example"
    );
    assert_eq!(
        fedi.fetcher.check(url).unwrap_err(),
        FetchError::Blocked("sub.bad.example".into())
    );
    assert!(instances::unblock(&fedi, "bad.example").await.unwrap());
    assert!(fedi.fetcher.check(url).is_ok());

    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let worker = tokio::spawn(outbox::delivery_loop(fedi.clone(), async {
        let _ = stopped.await;
    }));
    super::db::FediDb::open(dir.path())
        .unwrap()
        .block_domain("bad.example")
        .unwrap();
    let start = std::time::Instant::now();
    while fedi.fetcher.check(url).is_ok() {
        assert!(
            start.elapsed() < std::time::Duration::from_secs(5),
            "the delivery loop reads the blocks again"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let _ = stop.send(());
    worker.await.unwrap();
}

#[test]
fn seen_ids_and_cached_actors_are_forgotten_after_their_retention() {
    use super::db::{ACTOR_RETENTION_SECS, FediDb, SEEN_RETENTION_SECS};
    let dir = tempfile::tempdir().unwrap();
    let db = FediDb::open(dir.path()).unwrap();
    let now = 2_000_000_000;
    assert!(
        db.first_sight("https://a.example/1", now - SEEN_RETENTION_SECS - 1)
            .unwrap()
    );
    assert!(db.first_sight("https://a.example/2", now - 60).unwrap());
    db.save_remote_actor(
        "https://a.example/old",
        "{}",
        now - ACTOR_RETENTION_SECS - 1,
    )
    .unwrap();
    db.save_remote_actor("https://a.example/new", "{}", now - 60)
        .unwrap();
    assert_eq!(db.prune(now).unwrap(), 2);
    assert!(!db.seen("https://a.example/1").unwrap());
    assert!(db.seen("https://a.example/2").unwrap());
}
