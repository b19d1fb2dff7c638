//! Federation throughput, on loopback, in this process (the server's own router
//! and delivery worker on a Tokio runtime; HTTP through real sockets):
//!
//! 1. **Signed inbox POSTs verified per second**: 4 000 activities, each signed
//!    (draft-cavage, RSA-2048) by a remote actor whose key the server has cached,
//!    POSTed 32 at a time to the shared inbox; every one is parsed, its Digest and
//!    signature checked, its id recorded, and answered 202. Baseline in the same
//!    run: the bare RSA verifications of the same signatures, one core.
//! 2. **Fan-out of one event update to 1 000 follower inboxes**: a public event of
//!    a public group with 1 000 accepted followers, each with its own inbox (no
//!    shared inbox) on a local sink; from the edit to the 1 000th signed delivery
//!    received. Baseline in the same run: 1 000 unsigned POSTs of the same body to
//!    the same sink, 32 at a time.
//!
//! Each is measured three ways in the same run: one server on SQLite (the
//! default), one on PostgreSQL (a throwaway cluster, `rally_pgtest`, that flushes
//! every commit as SQLite's full syncs do; over loopback TCP), and two
//! servers sharing that PostgreSQL database (two `Fedi`s in this process, each
//! with its own data directory, threads and connections: the inbox POSTs
//! alternate between them, and both delivery workers take from the shared queue).
//!
//! `cargo xtask bench` runs it; `RALLY_BENCH_POSTS` and `RALLY_BENCH_FOLLOWERS`
//! change the counts.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::routing::post;
use futures::StreamExt as _;
use rally_core::jiff::Timestamp;
use rally_core::{Document, EventDetails, GroupProfile, GroupVisibility};
use rally_server::fedi::db::Follow;
use rally_server::fedi::keys::{ActorKey, PublicKey};
use rally_server::fedi::{Fedi, outbox, sig};
use rally_store::Store;
use serde_json::json;

const CONCURRENCY: usize = 32;

type SignedHeaders = Vec<(&'static str, String)>;

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

async fn listener() -> (tokio::net::TcpListener, u16) {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = l.local_addr().unwrap().port();
    (l, port)
}

/// A public group listing a public event, made by a persona in `store`.
fn public_event(store: &mut Store) -> (rally_core::DocId, rally_core::DocId, rally_core::Persona) {
    let now = Timestamp::now();
    let me = store.create_persona("Organiser", now).unwrap();
    let (mut group, _) = Document::create_group(
        &me.persona,
        "Organiser",
        &GroupProfile {
            name: "Bench group".into(),
            summary: String::new(),
            visibility: GroupVisibility::Public,
            avatar: None,
        },
        now,
    )
    .unwrap();
    let details = EventDetails::new(
        "Bench event",
        rally_core::model::parse_civil("start", "2027-06-01T10:00").unwrap(),
        "Europe/Paris",
    );
    let (event, _) =
        Document::create_event(&me.persona, "Organiser", &details, Some(group.id()), now).unwrap();
    group
        .set_group_event(&me.persona, event.id(), true, now)
        .unwrap();
    store.insert_new(&group).unwrap();
    store.insert_new(&event).unwrap();
    (group.id(), event.id(), me.persona)
}

fn remote_actor_json(id: &str, inbox: &str, pem: Option<&str>) -> String {
    let mut actor = json!({
        "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
        "id": id,
        "type": "Person",
        "preferredUsername": "bench",
        "inbox": inbox,
    });
    if let Some(pem) = pem {
        actor["publicKey"] =
            json!({"id": format!("{id}#main-key"), "owner": id, "publicKeyPem": pem});
    }
    actor.to_string()
}

/// Where the servers of one measurement keep their federation state.
#[derive(Debug, Clone, Copy)]
struct Setup {
    name: &'static str,
    postgres: bool,
    servers: usize,
}

const SETUPS: [Setup; 3] = [
    Setup {
        name: "one server on SQLite",
        postgres: false,
        servers: 1,
    },
    Setup {
        name: "one server on PostgreSQL",
        postgres: true,
        servers: 1,
    },
    Setup {
        name: "two servers on one PostgreSQL",
        postgres: true,
        servers: 2,
    },
];

/// The servers of `setup`, each serving the federation's routes on its own
/// port; the first holds a public event (returned with its group and organiser).
struct Servers {
    _dirs: Vec<tempfile::TempDir>,
    fedis: Vec<(Arc<Fedi>, String)>,
    group: rally_core::DocId,
    event: rally_core::DocId,
    organiser: rally_core::Persona,
}

async fn servers(setup: Setup) -> Servers {
    let database = setup
        .postgres
        .then(|| rally_pgtest::Cluster::durable().database());
    let mut dirs = Vec::new();
    let mut fedis = Vec::new();
    let mut made = None;
    for _ in 0..setup.servers {
        let dir = tempfile::tempdir().unwrap();
        if let Some(url) = &database {
            rally_server::db::Database::Postgres(url.clone())
                .remember(dir.path())
                .unwrap();
        }
        let mut store = Store::open(dir.path()).unwrap();
        if made.is_none() {
            made = Some(public_event(&mut store));
        }
        drop(store);
        let (l, port) = listener().await;
        let base = format!("http://127.0.0.1:{port}");
        let fedi = Arc::new(Fedi::open(dir.path(), &base).unwrap());
        let app = rally_server::fedi::routes::router(fedi.clone());
        tokio::spawn(async move { axum::serve(l, app).await });
        fedis.push((fedi, base));
        dirs.push(dir);
    }
    let (group, event, organiser) = made.unwrap();
    Servers {
        _dirs: dirs,
        fedis,
        group,
        event,
        organiser,
    }
}

/// POSTs per second, signed inbox POSTs verified and answered.
async fn inbox_throughput(posts: usize, setup: Setup) -> f64 {
    let servers = servers(setup).await;
    let (fedi, base) = servers.fedis[0].clone();
    let event = servers.event;

    let key = ActorKey::generate().unwrap();
    let actor = "http://127.0.0.1:9/users/bench".to_owned();
    let cached = remote_actor_json(
        &actor,
        "http://127.0.0.1:9/users/bench/inbox",
        Some(&key.public_pem().unwrap()),
    );
    let id = actor.clone();
    fedi.db(move |db| db.save_remote_actor(&id, &cached, Timestamp::now().as_second()))
        .await
        .unwrap();
    let inboxes: Vec<url::Url> = servers
        .fedis
        .iter()
        .map(|(_, b)| url::Url::parse(&format!("{b}/inbox")).unwrap())
        .collect();
    // Every server knows the remote actor (on PostgreSQL they share it).
    for (other, _) in servers.fedis.iter().skip(1) {
        let (id, cached) = (
            actor.clone(),
            remote_actor_json(
                &actor,
                "http://127.0.0.1:9/users/bench/inbox",
                Some(&key.public_pem().unwrap()),
            ),
        );
        other
            .db(move |db| db.save_remote_actor(&id, &cached, Timestamp::now().as_second()))
            .await
            .unwrap();
    }
    let key_id = format!("{actor}#main-key");
    let event_url = format!("{base}/events/{event}");
    let now = Timestamp::now();
    let requests: Vec<(url::Url, Vec<u8>, SignedHeaders)> = (0..posts)
        .map(|i| {
            let inbox = inboxes[i % inboxes.len()].clone();
            let body = json!({
                "@context": "https://www.w3.org/ns/activitystreams",
                "id": format!("{actor}/likes/{i}"),
                "type": "Like",
                "actor": actor,
                "object": event_url,
            })
            .to_string()
            .into_bytes();
            let headers = sig::sign(&key, &key_id, "POST", &inbox, Some(&body), now).unwrap();
            (inbox, body, headers)
        })
        .collect();

    // Baseline: the bare RSA verifications, on one core.
    let public = PublicKey::from_pem(&key.public_pem().unwrap()).unwrap();
    let signed: Vec<(Vec<u8>, Vec<u8>)> = (0..posts)
        .map(|i| {
            let m =
                format!("(request-target): post /inbox\nhost: 127.0.0.1\ndate: {i}").into_bytes();
            let s = key.sign(&m).unwrap();
            (m, s)
        })
        .collect();
    let start = Instant::now();
    for (m, s) in &signed {
        assert!(public.verifies(m, s));
    }
    let bare = start.elapsed();

    let client = reqwest::Client::new();
    let start = Instant::now();
    let statuses: Vec<u16> = futures::stream::iter(requests)
        .map(|(inbox, body, headers)| {
            let client = client.clone();
            async move {
                let mut map = HeaderMap::new();
                for (name, value) in headers {
                    if name != "host" {
                        map.insert(
                            HeaderName::from_static(name),
                            HeaderValue::from_str(&value).unwrap(),
                        );
                    }
                }
                client
                    .post(inbox)
                    .headers(map)
                    .header("content-type", "application/activity+json")
                    .body(body)
                    .send()
                    .await
                    .map(|r| r.status().as_u16())
                    .unwrap_or(0)
            }
        })
        .buffer_unordered(CONCURRENCY)
        .collect()
        .await;
    let through_inbox = start.elapsed();
    let accepted = statuses.iter().filter(|s| **s == 202).count();
    assert_eq!(accepted, posts, "every signed POST is accepted");

    let rate = posts as f64 / through_inbox.as_secs_f64();
    let bare_rate = posts as f64 / bare.as_secs_f64();
    println!(
        "inbox, {}: {posts} signed POSTs verified and answered 202 in {through_inbox:.2?}",
        setup.name
    );
    println!("  {rate:.0} POSTs/s (target >= 1000/s)");
    println!("  baseline: bare RSA-2048 verifications {bare_rate:.0}/s on one core");
    println!(
        "  ratio: {:.2}x the bare verification time",
        through_inbox.as_secs_f64() / bare.as_secs_f64()
    );
    rate
}

#[derive(Clone)]
struct Sink {
    received: Arc<AtomicUsize>,
    done: Arc<tokio::sync::Notify>,
    expect: usize,
    last_body: Arc<std::sync::Mutex<axum::body::Bytes>>,
}

async fn sink_post(State(sink): State<Sink>, body: axum::body::Bytes) -> StatusCode {
    if let Ok(mut last) = sink.last_body.lock() {
        *last = body;
    }
    if sink.received.fetch_add(1, Ordering::SeqCst) + 1 == sink.expect {
        sink.done.notify_one();
    }
    StatusCode::ACCEPTED
}

async fn wait_for(sink: &Sink, count: usize) {
    while sink.received.load(Ordering::SeqCst) < count {
        let _ = tokio::time::timeout(Duration::from_millis(50), sink.done.notified()).await;
    }
}

/// The fan-out's time.
async fn fan_out(followers: usize, setup: Setup) -> Duration {
    let (sink_l, sink_port) = listener().await;
    let sink = Sink {
        received: Arc::new(AtomicUsize::new(0)),
        done: Arc::new(tokio::sync::Notify::new()),
        expect: followers,
        last_body: Arc::default(),
    };
    let sink_app = Router::new()
        .route("/users/{n}/inbox", post(sink_post))
        .with_state(sink.clone());
    tokio::spawn(async move { axum::serve(sink_l, sink_app).await });

    let servers = servers(setup).await;
    let (fedi, base) = servers.fedis[0].clone();
    let (group, event, organiser) = (servers.group, servers.event, servers.organiser.clone());
    let group_url = format!("{base}/groups/{group}");
    let now = Timestamp::now().as_second();
    fedi.db(move |db| {
        for n in 0..followers {
            let id = format!("http://127.0.0.1:{sink_port}/users/{n}");
            db.save_remote_actor(
                &id,
                &remote_actor_json(&id, &format!("{id}/inbox"), None),
                now,
            )?;
            db.set_follower(&Follow {
                local: group_url.clone(),
                remote: id,
                follow_id: format!("http://127.0.0.1:{sink_port}/follows/{n}"),
                state: "accepted".into(),
                at: now,
            })?;
        }
        Ok::<_, rally_server::fedi::db::DbError>(())
    })
    .await
    .unwrap();
    // Every server's delivery worker takes from the queue.
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let workers: Vec<_> = servers
        .fedis
        .iter()
        .map(|(f, _)| {
            let mut stopped = stopped.clone();
            tokio::spawn(outbox::delivery_loop(f.clone(), async move {
                let _ = stopped.wait_for(|s| *s).await;
            }))
        })
        .collect();

    // The Create first (not measured), then the measured Update.
    let queued = outbox::publish_event(&fedi, &event).await.unwrap();
    assert_eq!(queued, followers);
    wait_for(&sink, followers).await;

    let sink = Sink {
        expect: 2 * followers,
        ..sink
    };
    let start = Instant::now();
    fedi.store(move |s| {
        s.update(event, |d| {
            let mut details = d.event()?.details;
            details.title = "Bench event, moved".into();
            d.update_event(&organiser, &details, Timestamp::now())
        })
    })
    .await
    .unwrap();
    let queued = outbox::publish_event(&fedi, &event).await.unwrap();
    assert_eq!(queued, followers);
    wait_for(&sink, 2 * followers).await;
    let fanned = start.elapsed();
    let _ = stop.send(true);
    for w in workers {
        let _ = w.await;
    }
    assert_eq!(
        sink.received.load(Ordering::SeqCst),
        2 * followers,
        "each delivery made once"
    );

    // Baseline: the same body, unsigned, to the same inboxes.
    let body = sink.last_body.lock().unwrap().clone();
    assert!(
        String::from_utf8_lossy(&body).contains("Bench event, moved"),
        "the sink got the update"
    );
    let client = reqwest::Client::new();
    let start = Instant::now();
    let ok = futures::stream::iter(0..followers)
        .map(|n| {
            let client = client.clone();
            let body = body.clone();
            async move {
                client
                    .post(format!("http://127.0.0.1:{sink_port}/users/{n}/inbox"))
                    .body(body)
                    .send()
                    .await
                    .is_ok_and(|r| r.status() == 202)
            }
        })
        .buffer_unordered(CONCURRENCY)
        .filter(|ok| futures::future::ready(*ok))
        .count()
        .await;
    let plain = start.elapsed();
    assert_eq!(ok, followers);

    println!(
        "fan-out, {}: one event update to {followers} follower inboxes in {fanned:.2?} (target < 10 s)",
        setup.name
    );
    println!("  (publish, queue in fedi.db, sign each delivery, POST {CONCURRENCY} at a time)");
    println!("  baseline: {followers} unsigned POSTs of the same body in {plain:.2?}");
    println!(
        "  ratio: {:.1}x the unsigned POSTs",
        fanned.as_secs_f64() / plain.as_secs_f64()
    );
    fanned
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let (posts, followers) = (
            env_usize("RALLY_BENCH_POSTS", 4000),
            env_usize("RALLY_BENCH_FOLLOWERS", 1000),
        );
        let mut rates = Vec::new();
        let mut times = Vec::new();
        for setup in SETUPS {
            rates.push(inbox_throughput(posts, setup).await);
            times.push(fan_out(followers, setup).await);
        }
        println!("\nagainst one server on SQLite (the baseline, same run):");
        for (i, setup) in SETUPS.iter().enumerate() {
            println!(
                "  {}: inbox {:.2}x the POSTs/s, fan-out {:.2}x the time",
                setup.name,
                rates[i] / rates[0],
                times[i].as_secs_f64() / times[0].as_secs_f64()
            );
        }
    });
}
