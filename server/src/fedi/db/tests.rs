//! The federation's state on both backends: every call answers alike, and the
//! delivery queue hands each delivery to one process at a time.

use super::*;
use crate::db::tests::each;

fn open(db: &Database) -> FediDb {
    FediDb::open_in(db).unwrap()
}

#[test]
fn every_call_answers_alike_on_both_backends() {
    for (_dir, database) in each() {
        let db = open(&database);
        let ctx = format!("{database:?}");
        assert_eq!(db.public_url().unwrap(), None);
        db.set_public_url("https://a.example").unwrap();
        db.set_public_url("https://rally.example").unwrap();
        assert_eq!(
            db.public_url().unwrap().as_deref(),
            Some("https://rally.example")
        );
        let secret = db.feed_secret().unwrap();
        assert_eq!(secret.len(), 32);
        assert_eq!(
            open(&database).feed_secret().unwrap(),
            secret,
            "{ctx}: one secret"
        );

        assert_eq!(db.feed_generation("p").unwrap(), 0);
        db.set_feed_token("p", 2, &[7; 32], 10).unwrap();
        assert_eq!(db.feed_generation("p").unwrap(), 2);
        assert_eq!(db.feed_persona(&[7; 32]).unwrap().as_deref(), Some("p"));
        assert_eq!(db.feed_persona(&[8; 32]).unwrap(), None);

        let key = db.actor_key("https://rally.example/relay").unwrap();
        let again = open(&database)
            .actor_key("https://rally.example/relay")
            .unwrap();
        assert_eq!(key.pkcs8(), again.pkcs8(), "{ctx}: one key per actor");

        let actor = r#"{"id":"https://m.example/u/a","type":"Person","inbox":"https://m.example/u/a/inbox","preferredUsername":"a"}"#;
        db.save_remote_actor("https://m.example/u/a", actor, 5)
            .unwrap();
        db.save_remote_actor("https://m.example/u/a", actor, 6)
            .unwrap();
        let (a, at) = db.remote_actor("https://m.example/u/a").unwrap().unwrap();
        assert_eq!((a.inbox.as_str(), at), ("https://m.example/u/a/inbox", 6));

        let f = Follow {
            local: "l".into(),
            remote: "https://m.example/u/a".into(),
            follow_id: "f1".into(),
            state: "pending".into(),
            at: 1,
        };
        db.set_follower(&f).unwrap();
        db.set_follower(&Follow {
            state: "accepted".into(),
            ..f.clone()
        })
        .unwrap();
        assert_eq!(db.followers("l").unwrap().len(), 1);
        assert_eq!(
            db.follower("l", &f.remote).unwrap().unwrap().state,
            "accepted"
        );
        assert!(db.remove_follower("l", &f.remote).unwrap());
        assert!(!db.remove_follower("l", &f.remote).unwrap());
        db.set_following(&Follow {
            state: "accepted".into(),
            ..f.clone()
        })
        .unwrap();
        assert_eq!(db.following("l").unwrap().len(), 1);
        assert_eq!(db.trust().unwrap().follows, vec![(f.remote.clone(), false)]);
        assert!(db.remove_following("l", &f.remote).unwrap());

        db.set_published("https://rally.example/events/1", "a", "d1", false, 1)
            .unwrap();
        db.set_published("https://rally.example/events/1/2026", "a", "d2", true, 1)
            .unwrap();
        db.set_published("https://rally.example/events/10", "a", "d3", false, 1)
            .unwrap();
        assert_eq!(
            db.published("https://rally.example/events/1").unwrap(),
            Some(("d1".into(), false))
        );
        let mut under = db
            .published_under("https://rally.example/events/1/")
            .unwrap();
        under.sort();
        assert_eq!(
            under,
            vec![("https://rally.example/events/1/2026".into(), true)]
        );
        assert!(
            !db.claim_publication("https://rally.example/events/1", "a", "d1", false, 2)
                .unwrap(),
            "{ctx}: the same digest again is not a new publication"
        );
        assert!(
            db.claim_publication("https://rally.example/events/1", "a", "d9", false, 2)
                .unwrap()
        );
        assert!(
            db.claim_publication("https://rally.example/events/2", "a", "d1", false, 2)
                .unwrap()
        );

        assert_eq!(db.claim_username("climate", "g1").unwrap(), "g1");
        assert_eq!(
            db.claim_username("climate", "g2").unwrap(),
            "g1",
            "{ctx}: first claim keeps it"
        );

        db.set_proxy_persona("https://m.example/u/a", "p1").unwrap();
        db.set_proxy_persona("https://m.example/u/a", "p2").unwrap();
        assert_eq!(
            db.proxy_persona("https://m.example/u/a")
                .unwrap()
                .as_deref(),
            Some("p2")
        );
        db.forget_proxy("p2").unwrap();
        assert_eq!(db.proxy_persona("https://m.example/u/a").unwrap(), None);

        let o = RemoteObject {
            kind: "comment".into(),
            doc: "d".into(),
            local: None,
            actor: "https://m.example/u/a".into(),
        };
        assert!(
            db.set_remote_object("https://m.example/c/1", &o, 1)
                .unwrap()
        );
        assert!(
            !db.set_remote_object(
                "https://m.example/c/1",
                &RemoteObject {
                    actor: "https://x.example/u/b".into(),
                    ..o.clone()
                },
                2
            )
            .unwrap(),
            "{ctx}: another actor's id overwrites nothing"
        );
        assert_eq!(
            db.remote_object("https://m.example/c/1").unwrap(),
            Some(o.clone())
        );
        assert_eq!(db.remote_objects_of("comment", "d").unwrap().len(), 1);
        db.set_remote_object(
            "https://m.example/j/1",
            &RemoteObject {
                kind: "sent-join".into(),
                local: Some("p".into()),
                ..o.clone()
            },
            1,
        )
        .unwrap();
        assert_eq!(db.joins_of("p").unwrap(), vec!["d".to_owned()]);
        db.remove_remote_object("https://m.example/c/1").unwrap();
        assert_eq!(db.remote_object("https://m.example/c/1").unwrap(), None);

        db.set_remote_media("https://m.example/p.jpg", "pic1", 1)
            .unwrap();
        db.set_remote_media("https://m.example/p.jpg", "pic2", 1)
            .unwrap();
        assert_eq!(
            db.remote_media("https://m.example/p.jpg")
                .unwrap()
                .as_deref(),
            Some("pic2")
        );

        assert!(db.first_sight("https://m.example/act/1", 1).unwrap());
        assert!(
            !db.first_sight("https://m.example/act/1", 2).unwrap(),
            "{ctx}: a redelivery"
        );
        assert!(db.seen("https://m.example/act/1").unwrap());

        db.block_domain("Bad.Example").unwrap();
        db.block_domain("bad.example").unwrap();
        assert_eq!(
            db.blocked_domains().unwrap(),
            vec!["bad.example".to_owned()]
        );
        assert!(db.is_blocked("sub.bad.example").unwrap());
        assert!(db.unblock_domain("bad.example").unwrap());

        assert!(db.hide("doc1", Some(3), 1).unwrap());
        assert!(!db.hide("doc1", None, 1).unwrap());
        assert_eq!(db.hidden().unwrap(), vec!["doc1".to_owned()]);
        assert!(db.unhide("doc1").unwrap());
        assert!(db.block_actor("https://x.example/u/b", 1).unwrap());
        assert!(db.is_actor_blocked("https://x.example/u/b").unwrap());
        assert_eq!(db.blocked_actors().unwrap().len(), 1);
        assert!(db.unblock_actor("https://x.example/u/b").unwrap());
        assert_eq!(db.moderation_generation().unwrap(), 0);
        db.log_moderation("hide", "doc1", Some("spam"), 1).unwrap();
        db.log_moderation("unhide", "doc1", None, 2).unwrap();
        let log = db.moderation_log(10).unwrap();
        assert_eq!(log[0].action, "unhide");
        assert_eq!(log[1].note.as_deref(), Some("spam"));
        assert!(db.moderation_generation().unwrap() > 0);
    }
}

#[test]
fn a_delivery_is_taken_by_one_process_and_again_after_its_lease() {
    for (_dir, database) in each() {
        let (one, two) = (open(&database), open(&database));
        for i in 0..10 {
            one.enqueue(&format!("https://m.example/inbox/{i}"), "a", "{}", 100)
                .unwrap();
        }
        assert_eq!(one.queue_depth().unwrap(), 10);
        let a = one.claim(100, 6, 60).unwrap();
        let b = two.claim(100, 6, 60).unwrap();
        assert_eq!((a.len(), b.len()), (6, 4), "{database:?}");
        assert!(
            a.iter().all(|d| b.iter().all(|e| e.id != d.id)),
            "each is taken once"
        );
        assert!(one.claim(159, 10, 60).unwrap().is_empty(), "leased");
        for d in &b {
            two.delivered(d.id).unwrap();
        }
        one.retry(&a[0], "timeout", 130, 5, 100).unwrap();
        // The process that took `a` died: after the lease, the rest is due.
        let again = two.claim(160, 10, 60).unwrap();
        assert_eq!(again.len(), 6, "{database:?}");
        assert_eq!(again[0].attempts, 1);
        one.retry(
            &Delivery {
                attempts: 4,
                ..again[0].clone()
            },
            "gone",
            0,
            5,
            160,
        )
        .unwrap();
        assert_eq!(
            one.queue_depth().unwrap(),
            5,
            "given up after its last attempt"
        );
    }
}

/// An activity queued "once" for an inbox (the relay's Announce, from the live
/// publication and a new follower's backfill, maybe from two processes) goes
/// to it once, is queued again for another inbox, and again for the same inbox
/// once the memory of it is pruned.
#[test]
fn an_activity_sent_once_goes_to_each_inbox_once() {
    for (_dir, database) in each() {
        let (one, two) = (open(&database), open(&database));
        let a = "https://r.example/events/1/announces/relay";
        assert!(
            one.enqueue_once("https://m.example/inbox", "r", "{}", a, 100)
                .unwrap()
        );
        assert!(
            !two.enqueue_once("https://m.example/inbox", "r", "{}", a, 101)
                .unwrap()
        );
        assert!(
            two.enqueue_once("https://g.example/inbox", "r", "{}", a, 101)
                .unwrap()
        );
        // Within a transaction with the publication record, as the publisher has it.
        let out = |inbox: &str| Outgoing {
            inbox: inbox.into(),
            from: "r".into(),
            body: "{}".into(),
            once: Some(a.into()),
        };
        let queued = one
            .publish_once(
                "https://r.example/events/1",
                "r",
                "d1",
                false,
                102,
                &[
                    out("https://m.example/inbox"),
                    out("https://p.example/inbox"),
                ],
            )
            .unwrap();
        assert_eq!(queued, 1, "{database:?}");
        assert_eq!(one.queue_depth().unwrap(), 3);
        one.prune(100 + SENT_ONCE_RETENTION_SECS + 1).unwrap();
        assert!(
            one.enqueue_once("https://m.example/inbox", "r", "{}", a, 200)
                .unwrap()
        );
    }
}

/// Processes taking deliveries at the same time never take one twice.
#[test]
fn concurrent_takers_share_the_queue_without_overlap() {
    for (_dir, database) in each() {
        let db = open(&database);
        for i in 0..300 {
            db.enqueue(&format!("https://m.example/inbox/{i}"), "a", "{}", 1)
                .unwrap();
        }
        let taken: Vec<i64> = std::thread::scope(|s| {
            let workers: Vec<_> = (0..4)
                .map(|_| {
                    let database = &database;
                    s.spawn(move || {
                        let db = open(database);
                        let mut mine = Vec::new();
                        loop {
                            let got = db.claim(10, 7, 600).unwrap();
                            if got.is_empty() {
                                break mine;
                            }
                            mine.extend(got.iter().map(|d| d.id));
                        }
                    })
                })
                .collect();
            workers
                .into_iter()
                .flat_map(|w| w.join().unwrap())
                .collect()
        });
        let mut unique = taken.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(taken.len(), 300, "{database:?}");
        assert_eq!(unique.len(), 300, "{database:?}: none taken twice");
    }
}

/// Every process of an instance writes for a remote actor as the same
/// persona: the first to need one makes it, the others take its keys.
#[test]
fn every_process_writes_for_a_remote_actor_as_the_same_persona() {
    for (_dir, database) in each() {
        let local = |dir: &std::path::Path| crate::fedi::Local {
            db: FediDb::open_in(&database).unwrap(),
            service: rally_service::Service::open(dir).unwrap(),
            registry: crate::registry::SqlRegistry::open_in(&database, dir).unwrap(),
        };
        let dirs: Vec<tempfile::TempDir> = (0..3).map(|_| tempfile::tempdir().unwrap()).collect();
        let (mut a, mut b) = (local(dirs[0].path()), local(dirs[1].path()));
        let ana = "https://m.example/@ana";
        let made = a.proxy_persona(ana).unwrap();
        assert_eq!(b.proxy_of(ana).unwrap().id(), made.id(), "{database:?}");
        assert_eq!(b.proxy_persona(ana).unwrap().id(), made.id());
        assert!(matches!(
            b.proxy_of("https://m.example/@nobody"),
            Err(crate::fedi::FediError::NotFound)
        ));
        // A row from before the keys were shared: the process holding the
        // persona offers its keys the next time it needs it.
        a.db.conn
            .exec("UPDATE proxies SET secret = NULL, suffix = NULL", &[])
            .unwrap();
        let mut c = local(dirs[2].path());
        assert!(matches!(
            c.proxy_of(ana),
            Err(crate::fedi::FediError::NotFound)
        ));
        assert_eq!(a.proxy_persona(ana).unwrap().id(), made.id());
        assert_eq!(c.proxy_of(ana).unwrap().id(), made.id(), "{database:?}");
    }
}
