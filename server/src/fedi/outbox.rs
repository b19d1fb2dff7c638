//! Outbound federation. The publisher watches the store's change cursor: whatever
//! changed — on this server's HTTP side, or on a device that synced, however long
//! after it was offline — is compared with what was last published (a digest per
//! object in `fedi.db`), and a `Create`, `Update` or `Delete` of the event, and of
//! local personas' comments, is queued for every follower of the group and of the
//! instance actor (one delivery per shared inbox); local personas' participations
//! in copies of remote events become `Join`/`Leave` to their organisers
//! ([`super::copies`]). The delivery worker takes due
//! deliveries from the persistent queue, signs and POSTs them a few at a time, and
//! retries failures with exponential backoff; the queue survives restarts.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt as _;
use rally_core::DocId;
use rally_core::jiff::Timestamp;
use serde_json::{Value, json};
use sha2::Digest as _;

use super::db::Delivery;
use super::fetch::{FetchError, Signer};
use super::vocab::{self, Urls};
use super::{Fedi, FediError, queue};

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

fn digest(v: &Value) -> String {
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
    loop {
        let current = fedi.store().ok().and_then(|s| s.change_cursor().ok());
        if current.is_some() && current != cursor {
            let since = cursor.unwrap_or(0);
            cursor = current;
            if let Err(e) = publish_changed(&fedi, since).await {
                eprintln!("federation: publishing failed: {e}");
            }
        }
        tokio::select! {
            () = &mut stop => return,
            () = fedi.changed.notified() => {}
            () = tokio::time::sleep(Duration::from_millis(500)) => {}
        }
    }
}

/// Lets the worker serve other tasks now and then while a long scan reads
/// documents (each a brief store call): a device that sent a thousand events
/// held one worker, and the HTTP requests queued on it, for a third of a second.
async fn yield_every(n: usize) {
    if n % 16 == 15 {
        tokio::task::yield_now().await;
    }
}

/// Publishes every public event (and its comments) among the documents changed
/// after `since`, and the events of changed groups.
pub async fn publish_changed(fedi: &Fedi, since: i64) -> Result<usize, FediError> {
    let changed = fedi.store()?.docs_changed_since(since)?;
    let mut events = Vec::new();
    let mut copies = Vec::new();
    for (n, id) in changed.into_iter().enumerate() {
        yield_every(n).await;
        let doc = match fedi.store()?.load(id) {
            Ok(d) => d,
            Err(_) => continue,
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
    events.sort();
    events.dedup();
    let mut queued = 0;
    for (n, id) in events.into_iter().enumerate() {
        yield_every(n).await;
        queued += publish_event(fedi, &id).await?;
    }
    for (id, view) in copies {
        queued += super::copies::publish_participations(fedi, &id, &view).await?;
    }
    Ok(queued)
}

/// Queues what changed about one event; returns how many deliveries were queued.
pub async fn publish_event(fedi: &Fedi, id: &DocId) -> Result<usize, FediError> {
    let url = fedi.urls.event(id);
    let prior = fedi.db()?.published(&url)?;
    let now = Timestamp::now();
    let Some(ev) = fedi.public_event(id)? else {
        // No longer public (or gone): a Delete if it was published.
        let Some((_, false)) = prior else {
            return Ok(0);
        };
        let actor = group_of_published(fedi, &url)?;
        let delete = vocab::activity(
            &format!("{url}/delete"),
            "Delete",
            &actor,
            json!({"type": "Tombstone", "formerType": "Event", "id": url, "deleted": now.to_string()}),
            &[vocab::PUBLIC.to_owned()],
            &[format!("{actor}/followers")],
        );
        let n = fan_out(fedi, &actor, &delete).await?;
        fedi.db()?
            .set_published(&url, &actor, "", true, now.as_second())?;
        return Ok(n);
    };
    let actor = fedi.urls.group(&ev.group);
    let object = vocab::event_object(&fedi.urls, id, &ev.view, Some(&ev.group), now);
    let d = digest(&object);
    let mut queued = 0;
    let kind = match &prior {
        None | Some((_, true)) => Some("Create"),
        Some((old, false)) if *old != d => Some("Update"),
        Some(_) => None,
    };
    if let Some(kind) = kind {
        let activity_id = if kind == "Create" {
            format!("{url}/activity")
        } else {
            fedi.urls.activity("update")
        };
        let activity = vocab::activity(
            &activity_id,
            kind,
            &actor,
            object,
            &[vocab::PUBLIC.to_owned()],
            &[format!("{actor}/followers")],
        );
        queued += fan_out(fedi, &actor, &activity).await?;
        fedi.db()?
            .set_published(&url, &actor, &d, false, now.as_second())?;
    }
    for c in &ev.view.comments {
        if fedi.is_proxy(&c.author)? {
            continue;
        }
        let curl = fedi.urls.comment(id, &c.id);
        let prior = fedi.db()?.published(&curl)?;
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
                queued += fan_out(fedi, &author, &delete).await?;
                fedi.db()?
                    .set_published(&curl, &author, "", true, now.as_second())?;
            }
            continue;
        }
        let note = vocab::comment_note(&fedi.urls, id, c);
        let d = digest(&note);
        let kind = match &prior {
            None => "Create",
            Some((old, false)) if *old != d => "Update",
            _ => continue,
        };
        let activity_id = if kind == "Create" {
            format!("{curl}/activity")
        } else {
            fedi.urls.activity("update")
        };
        let activity = vocab::activity(
            &activity_id,
            kind,
            &author,
            note,
            &[vocab::PUBLIC.to_owned()],
            &[format!("{actor}/followers")],
        );
        queued += fan_out(fedi, &author, &activity).await?;
        fedi.db()?
            .set_published(&curl, &author, &d, false, now.as_second())?;
    }
    queued += answer_decided_joins(fedi, id, &ev.view, &actor).await?;
    Ok(queued)
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
    let joins = fedi.db()?.remote_objects_of("join", &id.to_hex())?;
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
        if fedi
            .db()?
            .published(&key)?
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
        queue::send(fedi, group_actor, &remote, &answer)?;
        fedi.db()?
            .set_published(&key, group_actor, kind, false, Timestamp::now().as_second())?;
        queued += 1;
    }
    Ok(queued)
}

fn group_of_published(fedi: &Fedi, url: &str) -> Result<String, FediError> {
    let doc: DocId = url
        .rsplit('/')
        .next()
        .and_then(|h| h.parse().ok())
        .ok_or(FediError::NotFound)?;
    let store = fedi.store()?;
    let group = store
        .load(doc)
        .ok()
        .and_then(|d| d.event().ok())
        .and_then(|v| v.group);
    match group {
        Some(g) => Ok(fedi.urls.group(&g)),
        None => Ok(fedi.urls.instance()),
    }
}

/// Queues `activity` for the followers of the group behind it and of the instance
/// actor: one delivery per shared inbox. Returns the number queued.
pub async fn fan_out(fedi: &Fedi, from: &str, activity: &Value) -> Result<usize, FediError> {
    let group = activity
        .get("cc")
        .and_then(Value::as_array)
        .and_then(|cc| cc.first())
        .and_then(Value::as_str)
        .and_then(|f| f.strip_suffix("/followers"))
        .unwrap_or(from)
        .to_owned();
    let mut followers = fedi.db()?.followers(&group)?;
    followers.extend(fedi.db()?.followers(&fedi.urls.instance())?);
    let mut inboxes = BTreeMap::new();
    for f in followers.iter().filter(|f| f.state == "accepted") {
        match fedi.remote_actor(&f.remote, false).await {
            Ok(actor) => {
                inboxes.insert(actor.delivery_inbox().to_owned(), ());
            }
            Err(e) => eprintln!("federation: cannot reach follower {}: {e}", f.remote),
        }
    }
    let body = activity.to_string();
    let now = Timestamp::now().as_second();
    {
        let db = fedi.db()?;
        for inbox in inboxes.keys() {
            db.enqueue(inbox, from, &body, now)?;
        }
    }
    if !inboxes.is_empty() {
        fedi.queued.notify_one();
    }
    Ok(inboxes.len())
}

/// Delivers due deliveries until `stop` completes.
pub async fn delivery_loop(fedi: Arc<Fedi>, stop: impl Future<Output = ()>) {
    tokio::pin!(stop);
    loop {
        let due = fedi
            .db()
            .and_then(|db| Ok(db.due(Timestamp::now().as_second(), 256)?))
            .unwrap_or_default();
        if due.is_empty() {
            tokio::select! {
                () = &mut stop => return,
                () = fedi.queued.notified() => {}
                () = tokio::time::sleep(Duration::from_secs(1)) => {}
            }
            continue;
        }
        let work = futures::stream::iter(due)
            .map(|d| {
                let fedi = fedi.clone();
                async move {
                    let result = deliver(&fedi, &d).await;
                    (d, result)
                }
            })
            .buffer_unordered(CONCURRENCY)
            .collect::<Vec<_>>();
        let results = tokio::select! {
            () = &mut stop => return,
            r = work => r,
        };
        for (d, result) in results {
            let _ = settle(&fedi, &d, result);
        }
    }
}

/// Delivers one queued activity now.
pub async fn deliver(fedi: &Fedi, d: &Delivery) -> Result<(), FetchError> {
    let key = fedi.key(&d.actor).map_err(|e| FetchError::Network {
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

fn settle(fedi: &Fedi, d: &Delivery, result: Result<(), FetchError>) -> Result<(), FediError> {
    let db = fedi.db()?;
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
