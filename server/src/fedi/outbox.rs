//! Outbound federation. The publisher watches the store's change cursor: whatever
//! changed — on this server's HTTP side, or on a device that synced, however long
//! after it was offline — is compared with what was last published (a digest per
//! object in `fedi.db`), and a `Create`, `Update` or `Delete` of the event, and of
//! local personas' comments, is queued for every follower of the group and of the
//! instance actor (one delivery per shared inbox); local personas' participations
//! in copies of remote events become `Join`/`Leave` to their organisers
//! ([`super::copies`]). The delivery worker takes due
//! deliveries from the persistent queue, signs and POSTs them a few at a time, and
//! retries failures with exponential backoff; the queue survives restarts. Both
//! reach `fedi.db` and the store only through the federation's own thread
//! ([`Fedi::local`]), never while a request is on the network.

use std::collections::BTreeSet;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt as _;
use rally_core::DocId;
use rally_core::jiff::Timestamp;
use serde_json::{Value, json};
use sha2::Digest as _;

use super::db::{DbError, Delivery, FediDb, Outgoing};
use super::fetch::{FetchError, Signer};
use super::vocab::{self, Urls};
use super::{Fedi, FediError, Local, queue};

/// Attempts before a delivery is given up (about two days with the default base).
pub const MAX_ATTEMPTS: i64 = 12;
/// Deliveries in flight at once.
pub const CONCURRENCY: usize = 32;

/// The first retry's delay; each next one doubles it (capped at six hours).
pub fn retry_base() -> Duration {
    std::env::var("RALLY_FEDI_RETRY_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .map_or(Duration::from_secs(30), Duration::from_secs)
}

pub(super) fn digest(v: &Value) -> String {
    let mut v = v.clone();
    if let Some(o) = v.as_object_mut() {
        for volatile in [
            "updated",
            "participantCount",
            "remainingAttendeeCapacity",
            "@context",
        ] {
            o.remove(volatile);
        }
    }
    hex::encode(sha2::Sha256::digest(v.to_string().as_bytes()))
}

/// Watches the store and publishes what changed, until `stop` completes.
pub async fn publish_loop(fedi: Arc<Fedi>, stop: impl Future<Output = ()>) {
    tokio::pin!(stop);
    let mut cursor: Option<i64> = None;
    let mut rolled = tokio::time::Instant::now();
    loop {
        // Series announce their next dates: as time passes, new ones.
        if rolled.elapsed() >= super::series::ROLL_EVERY {
            rolled = tokio::time::Instant::now();
            if let Err(e) = super::series::roll(&fedi).await {
                tracing::warn!(error = %e, "rolling series forward failed");
            }
        }
        let current = fedi.store(|s| s.change_cursor()).await.ok();
        if current.is_some() && current != cursor {
            let since = cursor.unwrap_or(0);
            cursor = current;
            if let Err(e) = publish_changed(&fedi, since).await {
                tracing::warn!(error = %e, "publishing failed");
            }
        }
        tokio::select! {
            () = &mut stop => return,
            () = fedi.changed.notified() => {}
            () = tokio::time::sleep(Duration::from_millis(500)) => {}
        }
    }
}

/// How many changed documents the publisher reads in one call on the
/// federation's thread: a device that sent a thousand events is scanned a few
/// at a time, so the inbox and the pages (waiting in the same queue) are served
/// in between.
const SCAN_CHUNK: usize = 16;

/// Publishes every public event (and its comments) among the documents changed
/// after `since`, and the events of changed groups.
pub async fn publish_changed(fedi: &Fedi, since: i64) -> Result<usize, FediError> {
    let changed = fedi.store(move |s| s.docs_changed_since(since)).await?;
    let mut events = Vec::new();
    let mut copies = Vec::new();
    for chunk in changed.chunks(SCAN_CHUNK) {
        let chunk = chunk.to_vec();
        let (e, c) = fedi
            .local(move |l| {
                let mut events = Vec::new();
                let mut copies = Vec::new();
                for id in chunk {
                    let Ok(doc) = l.store().load(id) else {
                        continue;
                    };
                    if let Ok(g) = doc.group() {
                        events.extend(g.events);
                    } else if let Ok(view) = doc.event() {
                        if view.origin.is_some() {
                            copies.push((id, view));
                        } else {
                            events.push(id);
                        }
                    }
                }
                Ok((events, copies))
            })
            .await?;
        events.extend(e);
        copies.extend(c);
    }
    events.sort();
    events.dedup();
    let mut queued = 0;
    for id in events {
        queued += publish_event(fedi, &id).await?;
    }
    for (id, view) in copies {
        queued += super::copies::publish_participations(fedi, &id, &view).await?;
        queued += super::copies::publish_comments(fedi, &id, &view).await?;
    }
    Ok(queued)
}

/// Queues what changed about one event; returns how many deliveries were queued.
pub async fn publish_event(fedi: &Fedi, id: &DocId) -> Result<usize, FediError> {
    let url = fedi.urls.event(id);
    let now = Timestamp::now();
    /// The event now, as far as publishing goes.
    enum Now {
        Public(Box<super::PublicEvent>),
        /// No longer public (or gone) but published by this actor: a Delete.
        Withdrawn(String),
        Nothing,
    }
    let (doc, key, urls) = (*id, url.clone(), fedi.urls.clone());
    let (prior, found) = fedi
        .local(move |l| {
            let prior = l.db.published(&key)?;
            let found = match l.public_event(&doc)? {
                Some(ev) => Now::Public(Box::new(ev)),
                None if matches!(prior, Some((_, false))) => {
                    Now::Withdrawn(group_of_published(l, &urls, &key)?)
                }
                None => Now::Nothing,
            };
            Ok((prior, found))
        })
        .await?;
    let ev = match found {
        Now::Public(ev) => ev,
        Now::Nothing => return Ok(0),
        Now::Withdrawn(actor) => {
            let n = withdraw_object(fedi, &actor, &url, now).await?;
            return Ok(n + super::series::withdraw_occurrences(fedi, id, &actor, now).await?);
        }
    };
    let actor = fedi.urls.group(&ev.group);
    let mut queued = 0;
    if ev.view.details.repeat.is_some() {
        // A series is announced by its occurrences (see `series`).
        queued += super::series::publish_occurrences(fedi, id, &ev.view, &ev.group, now).await?;
    } else {
        if prior.is_some() {
            // No longer a series: its occurrences go.
            queued += super::series::withdraw_occurrences(fedi, id, &actor, now).await?;
        }
        let object = vocab::event_object(&fedi.urls, id, &ev.view, Some(&ev.group), now);
        queued += publish_object(fedi, &actor, &url, object, now).await?;
    }
    for c in &ev.view.comments {
        let curl = fedi.urls.comment(id, &c.id);
        let (author_id, key) = (c.author, curl.clone());
        let prior = fedi
            .local(move |l| {
                if l.is_proxy(&author_id)? {
                    return Ok(None);
                }
                Ok(Some(l.db.published(&key)?))
            })
            .await?;
        // A comment of a remote actor (written by its proxy) is theirs to publish.
        let Some(prior) = prior else {
            continue;
        };
        let author = fedi.urls.person(&c.author);
        if c.deleted || c.hidden {
            if let Some((_, false)) = prior {
                let delete = vocab::activity(
                    &format!("{curl}/delete"),
                    "Delete",
                    &author,
                    json!({"type": "Tombstone", "formerType": "Note", "id": curl}),
                    &[vocab::PUBLIC.to_owned()],
                    &[format!("{actor}/followers")],
                );
                queued += publish_once(fedi, &author, &delete, &curl, "", now).await?;
            }
            continue;
        }
        let note = vocab::comment_note(&fedi.urls, id, c);
        let d = digest(&note);
        let Some((kind, activity_id)) = next_publication(&fedi.urls, &curl, &prior, &d, false)
        else {
            continue;
        };
        let activity = vocab::activity(
            &activity_id,
            kind,
            &author,
            note,
            &[vocab::PUBLIC.to_owned()],
            &[format!("{actor}/followers")],
        );
        queued += publish_once(fedi, &author, &activity, &curl, &d, now).await?;
    }
    queued += answer_decided_joins(fedi, id, &ev.view, &actor).await?;
    Ok(queued)
}

/// Queues a Create of `object` (id `oid`, attributed to `actor`) the first
/// time, an Update when it changed since; returns how many deliveries.
pub async fn publish_object(
    fedi: &Fedi,
    actor: &str,
    oid: &str,
    object: Value,
    now: Timestamp,
) -> Result<usize, FediError> {
    let key = oid.to_owned();
    let prior = fedi.local(move |l| Ok(l.db.published(&key)?)).await?;
    let d = digest(&object);
    let Some((kind, activity_id)) = next_publication(&fedi.urls, oid, &prior, &d, true) else {
        return Ok(0);
    };
    let activity = vocab::activity(
        &activity_id,
        kind,
        actor,
        object,
        &[vocab::PUBLIC.to_owned()],
        &[format!("{actor}/followers")],
    );
    publish_once(fedi, actor, &activity, oid, &d, now).await
}

/// What publishing the object `oid`, whose digest is now `digest`, takes after
/// what was published of it before (`prior`: its digest and whether it was
/// deleted): a `Create` (id `{oid}/activity`) the first time — and again after
/// its deletion when `after_delete` —, an `Update` (a fresh id) when it changed,
/// nothing when it did not.
pub(super) fn next_publication(
    urls: &Urls,
    oid: &str,
    prior: &Option<(String, bool)>,
    digest: &str,
    after_delete: bool,
) -> Option<(&'static str, String)> {
    let kind = match prior {
        None => "Create",
        Some((_, true)) if after_delete => "Create",
        Some((old, false)) if old != digest => "Update",
        _ => return None,
    };
    let id = if kind == "Create" {
        format!("{oid}/activity")
    } else {
        urls.activity("update")
    };
    Some((kind, id))
}

/// Queues the Delete of an Event published as `oid`.
pub async fn withdraw_object(
    fedi: &Fedi,
    actor: &str,
    oid: &str,
    now: Timestamp,
) -> Result<usize, FediError> {
    let delete = vocab::activity(
        &format!("{oid}/delete"),
        "Delete",
        actor,
        json!({"type": "Tombstone", "formerType": "Event", "id": oid, "deleted": now.to_string()}),
        &[vocab::PUBLIC.to_owned()],
        &[format!("{actor}/followers")],
    );
    publish_once(fedi, actor, &delete, oid, "", now).await
}

/// Queues `activity` for its followers and records `object` as published
/// with `digest` (empty: deleted), both in one transaction and only if that
/// record is new: when several server processes share the database and notice
/// the same change, one sends it. The followers of the group behind it get the
/// activity; those of the instance actor (other instances, as Mobilizon's
/// relay has them) get the instance actor's `Announce` of a created event
/// and the rest as is (an event's Update and Delete from its group), as
/// Mobilizon's relay followers get them: Mobilizon announces only a `Create`
/// and adds its relay's followers to the audience of every public activity.
async fn publish_once(
    fedi: &Fedi,
    from: &str,
    activity: &Value,
    object: &str,
    digest: &str,
    now: Timestamp,
) -> Result<usize, FediError> {
    let (group, instance) = inboxes_of(fedi, from, activity).await?;
    let body = activity.to_string();
    let mut deliveries: Vec<Outgoing> = group
        .iter()
        .map(|inbox| Outgoing {
            inbox: inbox.clone(),
            from: from.to_owned(),
            body: body.clone(),
            once: None,
        })
        .collect();
    let announced = activity["type"] == "Create" && activity["object"]["type"] == "Event";
    let (relayed, once) = if announced {
        let a = announce(&fedi.urls, &activity["object"]);
        let id = a["id"].as_str().map(str::to_owned);
        (a.to_string(), id)
    } else {
        (body, None)
    };
    let relay_from = if announced {
        fedi.urls.instance()
    } else {
        from.to_owned()
    };
    deliveries.extend(
        instance
            .into_iter()
            .filter(|inbox| !group.contains(inbox))
            .map(|inbox| Outgoing {
                inbox,
                from: relay_from.clone(),
                body: relayed.clone(),
                once: once.clone(),
            }),
    );
    let (object, from, digest) = (object.to_owned(), from.to_owned(), digest.to_owned());
    let deleted = digest.is_empty();
    let queued = fedi
        .db(move |db| {
            db.publish_once(
                &object,
                &from,
                &digest,
                deleted,
                now.as_second(),
                &deliveries,
            )
        })
        .await?;
    if queued > 0 {
        fedi.queued.notify_one();
    }
    Ok(queued)
}

/// The instance actor's `Announce` of a public event (the event embedded, for
/// servers that do not fetch it), to its followers, formed as Mobilizon's
/// relay forms it (`Relay.publish` and `make_announce_data`): the id
/// `{object}/announces/{relay}`, addressed to the relay's followers and the
/// object's owner, cc the public, and the object's `attributedTo` repeated. The
/// same Announce (same id) is delivered live, on a new follower's backfill and
/// in the relay's outbox.
pub fn announce(urls: &Urls, event: &Value) -> Value {
    let instance = urls.instance();
    let mut event = event.clone();
    if let Some(o) = event.as_object_mut() {
        o.remove("@context");
    }
    let oid = event["id"].as_str().unwrap_or_default().to_owned();
    let owner = event["attributedTo"].clone();
    let mut to = vec![format!("{instance}/followers")];
    to.extend(owner.as_str().map(str::to_owned));
    let mut a = vocab::activity(
        &format!("{oid}/announces/relay"),
        "Announce",
        &instance,
        event,
        &to,
        &[vocab::PUBLIC.to_owned()],
    );
    if !owner.is_null() {
        a["attributedTo"] = owner;
    }
    a
}

/// `Accept` or `Reject` for received joins an organiser decided on a device
/// since (approval mode), each answer sent once.
async fn answer_decided_joins(
    fedi: &Fedi,
    id: &DocId,
    view: &rally_core::model::EventView,
    group_actor: &str,
) -> Result<usize, FediError> {
    use rally_core::model::ParticipationStatus;
    let doc = id.to_hex();
    let joins = fedi
        .db(move |db| db.remote_objects_of("join", &doc))
        .await?;
    let mut queued = 0;
    for (join_id, o) in joins {
        let Some(persona) = o.local.as_deref().and_then(|h| h.parse().ok()) else {
            continue;
        };
        let kind = match view.participants.get(&persona).map(|p| p.status) {
            Some(ParticipationStatus::Going) => "Accept",
            Some(ParticipationStatus::Rejected) => "Reject",
            _ => continue,
        };
        let key = queue::answered_key(&join_id);
        let answered = key.clone();
        if fedi
            .db(move |db| db.published(&answered))
            .await?
            .is_some_and(|(sent, _)| sent == kind)
        {
            continue;
        }
        let remote = fedi.remote_actor(&o.actor, false).await?;
        let join =
            json!({"id": join_id, "type": "Join", "actor": o.actor, "object": fedi.urls.event(id)});
        let answer = vocab::join_answer(
            &fedi.urls,
            &super::hex_nonce(),
            group_actor,
            kind,
            join,
            &remote.id,
        );
        let from = group_actor.to_owned();
        // Sent once, even with several server processes deciding at once.
        let sent = fedi
            .db(move |db| {
                let answer = Outgoing {
                    inbox: remote.inbox,
                    from: from.clone(),
                    body: answer.to_string(),
                    once: None,
                };
                db.publish_once(
                    &key,
                    &from,
                    kind,
                    false,
                    Timestamp::now().as_second(),
                    &[answer],
                )
            })
            .await?;
        if sent > 0 {
            fedi.queued.notify_one();
        }
        queued += sent;
    }
    Ok(queued)
}

/// The actor that published the event at `url`: its group, or the instance.
fn group_of_published(l: &Local, urls: &Urls, url: &str) -> Result<String, FediError> {
    let doc: DocId = url
        .rsplit('/')
        .next()
        .and_then(|h| h.parse().ok())
        .ok_or(FediError::NotFound)?;
    let group = l
        .store()
        .load(doc)
        .ok()
        .and_then(|d| d.event().ok())
        .and_then(|v| v.group);
    match group {
        Some(g) => Ok(urls.group(&g)),
        None => Ok(urls.instance()),
    }
}

/// The inboxes of the followers of the group behind `activity`, and those of
/// the followers of the instance actor: one per shared inbox each.
async fn inboxes_of(
    fedi: &Fedi,
    from: &str,
    activity: &Value,
) -> Result<(BTreeSet<String>, BTreeSet<String>), FediError> {
    let group = activity
        .get("cc")
        .and_then(Value::as_array)
        .and_then(|cc| cc.first())
        .and_then(Value::as_str)
        .and_then(|f| f.strip_suffix("/followers"))
        .unwrap_or(from)
        .to_owned();
    let instance = fedi.urls.instance();
    let (of_group, of_instance) = fedi
        .db(move |db| Ok::<_, DbError>((db.followers(&group)?, db.followers(&instance)?)))
        .await?;
    Ok((
        delivery_inboxes(fedi, &of_group).await,
        delivery_inboxes(fedi, &of_instance).await,
    ))
}

async fn delivery_inboxes(fedi: &Fedi, followers: &[super::db::Follow]) -> BTreeSet<String> {
    let mut inboxes = BTreeSet::new();
    for f in followers.iter().filter(|f| f.state == "accepted") {
        match fedi.remote_actor(&f.remote, false).await {
            Ok(actor) => {
                inboxes.insert(actor.delivery_inbox().to_owned());
            }
            Err(e) => tracing::warn!(follower = %f.remote, error = %e, "cannot reach a follower"),
        }
    }
    inboxes
}

/// Delivers due deliveries until `stop` completes.
/// How often the delivery worker forgets old seen ids and cached actors.
const PRUNE_EVERY_SECS: i64 = 3600;

pub async fn delivery_loop(fedi: Arc<Fedi>, stop: impl Future<Output = ()>) {
    tokio::pin!(stop);
    let mut last_prune = 0;
    loop {
        let now = Timestamp::now().as_second();
        if now - last_prune >= PRUNE_EVERY_SECS {
            last_prune = now;
            let _ = fedi.db(move |db| db.prune(now)).await;
            let _ = fedi.local(move |l| l.prune_proxies(now)).await;
        }
        // The due deliveries; and the blocked domains again, for the fetcher, in
        // case `rally-server admin` changed them from another process.
        let blocklist = fedi.blocklist().clone();
        let lease = fedi.delivery_lease.as_secs().max(1) as i64;
        let due = fedi
            .db(move |db| {
                if let Ok(domains) = db.blocked_domains() {
                    blocklist.set(domains);
                }
                db.claim(Timestamp::now().as_second(), 256, lease)
            })
            .await
            .unwrap_or_default();
        if due.is_empty() {
            tokio::select! {
                () = &mut stop => return,
                () = fedi.queued.notified() => {}
                () = tokio::time::sleep(Duration::from_secs(1)) => {}
            }
            continue;
        }
        // Each delivery is settled as soon as it is made, so a process killed
        // half-way through a batch leaves only the unsettled ones to its lease.
        let work = futures::stream::iter(due)
            .map(|d| {
                let fedi = fedi.clone();
                async move {
                    let result = deliver(&fedi, &d).await;
                    fedi.metrics.delivered(if result.is_ok() {
                        crate::metrics::Delivery::Delivered
                    } else {
                        crate::metrics::Delivery::Failed
                    });
                    let _ = fedi.db(move |db| settle(db, &d, result)).await;
                }
            })
            .buffer_unordered(CONCURRENCY)
            .collect::<Vec<()>>();
        tokio::select! {
            () = &mut stop => return,
            _ = work => {}
        }
    }
}

/// Delivers one queued activity now.
pub async fn deliver(fedi: &Fedi, d: &Delivery) -> Result<(), FetchError> {
    let key = fedi.key(&d.actor).await.map_err(|e| FetchError::Network {
        url: d.inbox.clone(),
        why: e.to_string(),
    })?;
    let key_id = Urls::key_id(&d.actor);
    fedi.fetcher
        .post(
            &d.inbox,
            &d.body,
            Signer {
                key: &key,
                key_id: &key_id,
            },
        )
        .await
}

fn settle(db: &FediDb, d: &Delivery, result: Result<(), FetchError>) -> Result<(), DbError> {
    let now = Timestamp::now().as_second();
    match result {
        Ok(()) => db.delivered(d.id)?,
        Err(e) => {
            let permanent = matches!(
                e,
                FetchError::Status {
                    status: 400 | 404 | 410 | 422,
                    ..
                } | FetchError::Forbidden(_)
                    | FetchError::Blocked(_)
                    | FetchError::BadUrl(_)
            );
            let attempts = if permanent { MAX_ATTEMPTS } else { d.attempts };
            let delay = retry_base()
                .saturating_mul(2u32.saturating_pow(d.attempts.clamp(0, 20) as u32))
                .min(Duration::from_secs(6 * 3600));
            db.retry(
                &Delivery {
                    attempts,
                    ..d.clone()
                },
                &e.to_string(),
                now + delay.as_secs().max(1) as i64,
                MAX_ATTEMPTS,
                now,
            )?;
        }
    }
    Ok(())
}
