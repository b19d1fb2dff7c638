//! The inboxes (shared, the instance actor's, each group's and person's): every
//! POST is signed (draft-cavage or RFC 9421) by the actor it says acted — or, for an
//! unsigned `Create`, its object is fetched again from its origin — and is then
//! acted on once (activity ids are remembered):
//! - `Follow` of a public group is accepted at once; of the instance actor it waits
//!   for the admin; `Undo` of either removes it;
//! - `Accept`/`Reject` of the instance's own follows record the answer;
//! - a `Note` replying to a public event or to a comment on it becomes a comment in
//!   the event's document (`Update`/`Delete` edit and delete it);
//! - `Join` of a public event becomes a participation: `Accept` at once in free
//!   mode, pending in approval mode, `Reject` when the event is full; `Leave` ends it;
//! - `Flag` (bare, or wrapped in a `Create`) naming something here becomes a
//!   report for the admins (see `moderation`).
//!
//! The changes are written by the persona the server keeps for the remote actor,
//! and judged by the same rule as any change, on this server and on every device.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use rally_core::DocId;
use rally_core::jiff::Timestamp;
use rally_core::model::ParticipationStatus;
use serde_json::{Value, json};

use super::db::{DbError, Follow, RemoteObject};
use super::keys::PublicKey;
use rally_service::events::Rsvp;

use super::outcome::Outcome;
use super::sig::{self, Received};
use super::vocab::{self, Activity, RemoteActor, RemoteNote, Urls};
use super::{Fedi, FediError};
use super::{Local, queue::enqueue};
use super::{copies, queue};

pub async fn receive(
    State(fedi): State<Arc<Fedi>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let target = uri
        .path_and_query()
        .map_or_else(|| uri.path().to_owned(), |p| p.as_str().to_owned());
    let req = Received {
        method: method.as_str(),
        target: &target,
        headers: &headers,
        body: &body,
        origin: &fedi.urls.base,
    };
    use crate::metrics::Inbox;
    match accept(&fedi, &req).await {
        Ok(outcome) => {
            if let Outcome::Ignored(why) = &outcome {
                // Accepted (the sender has nothing to retry) and left alone.
                tracing::info!(why = %why, "inbox: an activity ignored");
                fedi.metrics.inbox(Inbox::Ignored);
            } else {
                fedi.metrics.inbox(Inbox::Accepted);
            }
            (StatusCode::ACCEPTED, "ok\n").into_response()
        }
        Err(e) => {
            fedi.metrics.inbox(Inbox::Refused);
            e.into_response()
        }
    }
}

/// Verifies and acts on one inbox POST.
pub async fn accept(fedi: &Fedi, req: &Received<'_>) -> Result<Outcome, FediError> {
    let json: Value = serde_json::from_slice(req.body)
        .map_err(|e| FediError::Refused(format!("the body is not JSON: {e}")))?;
    let mut activity = Activity::parse(&json)?;
    let now = Timestamp::now();
    match sig::read(req, now) {
        Ok(claim) => {
            let signer = verified_signer(fedi, &claim).await?;
            if signer.id != activity.actor {
                return Err(FediError::Refused(format!(
                    "signed by {} for {}",
                    signer.id, activity.actor
                )));
            }
        }
        Err(sig::SigError::Unsigned) if activity.kind == "Create" => {
            activity.object = refetch_from_origin(fedi, &activity).await?;
        }
        Err(e) => return Err(e.into()),
    }
    fedi.may_act(&activity.kind, &activity.actor)?;
    if let Some(id) = &activity.id
        && !vocab::same_origin(id, &activity.actor)
    {
        return Err(FediError::Refused(format!(
            "the activity {id} is not on its sender's server"
        )));
    }
    let host = url::Url::parse(&activity.actor)
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned))
        .unwrap_or_default();
    let (domain, id, actor) = (host.clone(), activity.id.clone(), activity.actor.clone());
    let (blocked, seen) = fedi
        .db(move |db| {
            if db.is_blocked(&domain)? || db.is_actor_blocked(&actor)? {
                return Ok((true, false));
            }
            let seen = match &id {
                Some(id) => db.seen(id)?,
                None => false,
            };
            Ok::<_, DbError>((false, seen))
        })
        .await?;
    if blocked {
        return Err(super::fetch::FetchError::Blocked(activity.actor.clone()).into());
    }
    if seen {
        return Ok(Outcome::Duplicate);
    }
    let outcome = act(fedi, &activity).await?;
    // Recorded once handled: a failure leaves the sender's retry welcome.
    if let Some(id) = activity.id.clone() {
        let at = now.as_second();
        fedi.db(move |db| db.first_sight(&id, at)).await?;
    }
    Ok(outcome)
}

/// Finds the key a signature names and checks the signature with it (fetching the
/// actor again once if the cached key does not verify: keys rotate).
async fn verified_signer(fedi: &Fedi, claim: &sig::Claim) -> Result<RemoteActor, FediError> {
    let owner = claim.key_id.split('#').next().unwrap_or_default();
    let owner = owner.strip_suffix("/publickey").unwrap_or(owner).to_owned();
    for refresh in [false, true] {
        let actor = fedi.remote_actor(&owner, refresh).await?;
        let pem = actor
            .public_key_pem
            .as_deref()
            .ok_or_else(|| FediError::Refused(format!("{} publishes no key", actor.id)))?;
        let key = PublicKey::from_pem(pem).map_err(|e| FediError::Refused(e.to_string()))?;
        if claim.verify(&key).is_ok() {
            return Ok(actor);
        }
    }
    Err(sig::SigError::Invalid.into())
}

/// An unsigned `Create`: its object is taken from its origin, never from the POST.
async fn refetch_from_origin(fedi: &Fedi, activity: &Activity) -> Result<Value, FediError> {
    let id = activity
        .object_id()
        .ok_or(vocab::VocabError::Missing("object id"))?;
    let host = |u: &str| {
        url::Url::parse(u)
            .ok()
            .and_then(|u| u.host_str().map(str::to_owned))
    };
    if host(&id).is_none() || host(&id) != host(&activity.actor) {
        return Err(sig::SigError::Unsigned.into());
    }
    fedi.may_fetch(&id)?;
    let instance = fedi.urls.instance();
    let key = fedi.key(&instance).await?;
    let key_id = Urls::key_id(&instance);
    let object = fedi
        .fetcher
        .get_json(
            &id,
            Some(super::fetch::Signer {
                key: &key,
                key_id: &key_id,
            }),
        )
        .await?;
    if vocab::id_of(&object).as_deref() != Some(id.as_str()) {
        return Err(FediError::Refused(
            "the origin answered another object".into(),
        ));
    }
    let author = vocab::ids_of(object.get("attributedTo")).into_iter().next();
    if author.as_deref() != Some(activity.actor.as_str()) {
        return Err(FediError::Refused("the object is not the actor's".into()));
    }
    Ok(object)
}

/// The document (and comment) of this server a URL names, under `prefix`.
fn local_doc(urls: &Urls, url: &str, prefix: &str) -> Option<(DocId, Option<String>)> {
    let rest = url.strip_prefix(&format!("{}/{prefix}/", urls.base))?;
    let mut parts = rest.split('/');
    let id: DocId = parts.next()?.parse().ok()?;
    match (parts.next(), parts.next()) {
        (None, _) => Some((id, None)),
        (Some("comments"), Some(c)) => Some((id, Some(c.to_owned()))),
        _ => None,
    }
}

async fn act(fedi: &Fedi, activity: &Activity) -> Result<Outcome, FediError> {
    match activity.kind.as_str() {
        "Follow" => follow(fedi, activity).await,
        "Undo" => undo(fedi, activity).await,
        "Accept" | "Reject" => match copies::answer_join(fedi, activity).await? {
            Some(outcome) => Ok(outcome),
            None => answer(fedi, activity).await,
        },
        "Create" | "Update" if activity.object_type() == "Event" => {
            copies::receive_event(fedi, activity, &activity.object).await
        }
        "Announce" => copies::announce(fedi, activity).await,
        "Create" if matches!(activity.object_type(), "Note" | "Comment" | "Article") => {
            note(fedi, activity).await
        }
        "Update" if matches!(activity.object_type(), "Note" | "Comment" | "Article") => {
            edit_note(fedi, activity).await
        }
        "Update" if is_actor_type(activity.object_type()) => actor_updated(fedi, activity).await,
        "Delete" => delete(fedi, activity).await,
        "Join" => join(fedi, activity).await,
        "Flag" => super::moderation::flag(fedi, activity).await,
        // Some servers wrap their Flag in a Create; it is the same report, by
        // the same (signing) actor.
        "Create" if activity.object_type() == "Flag" => {
            let inner = Activity::parse(&activity.object)?;
            if inner.actor != activity.actor {
                return Err(FediError::Refused(
                    "a wrapped Flag by another actor than its Create's".into(),
                ));
            }
            super::moderation::flag(fedi, &inner).await
        }
        "Leave" => leave(fedi, activity).await,
        other => Ok(Outcome::Ignored(format!(
            "{other} of {} from {} (not supported)",
            match activity.object_type() {
                "" => activity.object_id().unwrap_or_default(),
                kind => kind.to_owned(),
            },
            activity.actor
        ))),
    }
}

fn is_actor_type(kind: &str) -> bool {
    matches!(
        kind,
        "Person" | "Group" | "Application" | "Service" | "Organization"
    )
}

/// An actor says its profile (or key) changed: it is read again from its origin
/// (at most once per refresh interval), never taken from the POST.
async fn actor_updated(fedi: &Fedi, activity: &Activity) -> Result<Outcome, FediError> {
    if activity.object_id().as_deref() != Some(activity.actor.as_str()) {
        return Err(FediError::Refused(
            "an actor updates only its own profile".into(),
        ));
    }
    fedi.remote_actor(&activity.actor, true).await?;
    Ok(Outcome::ActorUpdated)
}

async fn follow(fedi: &Fedi, activity: &Activity) -> Result<Outcome, FediError> {
    let object = activity
        .object_id()
        .ok_or(vocab::VocabError::Missing("object"))?;
    let follower = fedi.remote_actor(&activity.actor, false).await?;
    let follow_id = activity.id.clone().unwrap_or_default();
    let now = Timestamp::now().as_second();
    let state = if object == fedi.urls.instance() {
        "pending"
    } else if let Some((id, None)) = local_doc(&fedi.urls, &object, "groups") {
        if fedi.public_group(&id).await?.is_none() {
            return Err(FediError::NotFound);
        }
        "accepted"
    } else {
        return Err(FediError::Refused(format!("{object} cannot be followed")));
    };
    let row = Follow {
        local: object.clone(),
        remote: follower.id.clone(),
        follow_id: follow_id.clone(),
        state: state.into(),
        at: now,
    };
    let accept = (state == "accepted").then(|| {
        vocab::activity(
            &fedi.urls.activity("accept"),
            "Accept",
            &object,
            vocab::follow(&follow_id, &follower.id, &object),
            std::slice::from_ref(&follower.id),
            &[],
        )
    });
    let queued = accept.is_some();
    let local = object.clone();
    fedi.db(move |db| {
        db.set_follower(&row)?;
        match &accept {
            Some(accept) => enqueue(db, &local, &follower, accept),
            None => Ok(()),
        }
    })
    .await?;
    if queued {
        fedi.queued.notify_one();
    }
    Ok(Outcome::Followed {
        local: object,
        state: state.into(),
    })
}

/// A follow as embedded in an Accept, Reject or Undo.
async fn undo(fedi: &Fedi, activity: &Activity) -> Result<Outcome, FediError> {
    match activity.object_type() {
        "Follow" => {
            let target = activity
                .object
                .get("object")
                .and_then(vocab::id_of)
                .ok_or(vocab::VocabError::Missing("object"))?;
            let actor = activity.actor.clone();
            fedi.db(move |db| db.remove_follower(&target, &actor))
                .await?;
            Ok(Outcome::Unfollowed)
        }
        "Join" => {
            let mut leave = activity.clone();
            leave.object = activity
                .object
                .get("object")
                .cloned()
                .unwrap_or(Value::Null);
            self::leave(fedi, &leave).await
        }
        _ => {
            // An Undo naming only an id: a follow we know of.
            let id = activity.object_id().unwrap_or_default();
            let (follow_id, actor) = (id.clone(), activity.actor.clone());
            let locals = [fedi.urls.instance()];
            let removed = fedi
                .db(move |db| {
                    for local in &locals {
                        if db
                            .follower(local, &actor)?
                            .is_some_and(|f| f.follow_id == follow_id)
                        {
                            db.remove_follower(local, &actor)?;
                            return Ok(true);
                        }
                    }
                    Ok::<_, DbError>(false)
                })
                .await?;
            Ok(if removed {
                Outcome::Unfollowed
            } else {
                Outcome::Ignored(format!("Undo of {id}"))
            })
        }
    }
}

async fn answer(fedi: &Fedi, activity: &Activity) -> Result<Outcome, FediError> {
    let instance = fedi.urls.instance();
    let object = activity.object_id().unwrap_or_default();
    let embedded_follow = activity
        .object
        .get("actor")
        .and_then(vocab::id_of)
        .as_deref()
        == Some(instance.as_str());
    let (kind, actor) = (activity.kind.clone(), activity.actor.clone());
    fedi.db(move |db| {
        let Some(mut f) = db
            .following(&instance)?
            .into_iter()
            .find(|f| f.remote == actor)
        else {
            return Ok(Outcome::Ignored(format!("{kind} of nothing we asked")));
        };
        if object != f.follow_id && !embedded_follow {
            return Ok(Outcome::Ignored(format!("{kind} of an unknown follow")));
        }
        f.state = if kind == "Accept" {
            "accepted"
        } else {
            "rejected"
        }
        .into();
        db.set_following(&f)?;
        Ok::<_, DbError>(Outcome::FollowAnswered { state: f.state })
    })
    .await
}

/// The event and top-level comment a reply goes under (`local`: what the URL
/// names on this server, if anything; else a remote comment or a remote event
/// this server holds a copy of).
fn reply_target(
    l: &Local,
    local: Option<(DocId, Option<String>)>,
    in_reply_to: &str,
) -> Result<(DocId, Option<String>), FediError> {
    if let Some((event, comment)) = local {
        return Ok((event, comment));
    }
    match l.db.remote_object(in_reply_to)? {
        Some(o) if o.kind == "comment" => {
            let event: DocId = o.doc.parse().map_err(|_| FediError::NotFound)?;
            Ok((event, o.local))
        }
        // A comment on a remote event this server copied (its origin sends
        // its comments to the event's followers): shown on the copy.
        Some(o) if o.kind == "event" => {
            let event: DocId = o.doc.parse().map_err(|_| FediError::NotFound)?;
            Ok((event, None))
        }
        _ => Err(FediError::Refused(format!(
            "{in_reply_to} is not an event or a comment here"
        ))),
    }
}

/// An id that already names another actor's record (or another kind of thing).
pub(crate) fn taken(id: &str) -> FediError {
    FediError::Refused(format!("{id} already names something else here"))
}

/// A reply addressed to followers or to some people only: comments on Rally events
/// are public (on every device that holds the event and on its page), so such a
/// reply is not kept rather than published against its author's choice.
fn not_public() -> Outcome {
    Outcome::Ignored(
        "a reply not addressed to the public is not kept: comments here are public".into(),
    )
}

async fn note(fedi: &Fedi, activity: &Activity) -> Result<Outcome, FediError> {
    let note = RemoteNote::parse(&activity.object)?;
    if note.author != activity.actor {
        return Err(FediError::Refused("the note is not the actor's".into()));
    }
    if !note.public {
        return Ok(not_public());
    }
    if !vocab::same_origin(&note.id, &activity.actor) {
        return Err(FediError::Refused(
            "a note's id is on its author's server".into(),
        ));
    }
    let local = note
        .in_reply_to
        .as_deref()
        .and_then(|r| local_doc(&fedi.urls, r, "events"));
    let (note_id, in_reply_to) = (note.id.clone(), note.in_reply_to.clone());
    let target = fedi
        .local(move |l| {
            if l.db.remote_object(&note_id)?.is_some() {
                return Ok(None);
            }
            let in_reply_to = in_reply_to
                .ok_or_else(|| FediError::Refused("the note replies to nothing here".into()))?;
            let (event, mut parent) = reply_target(l, local, &in_reply_to)?;
            // A public event of ours, or a copy of a remote one (a comment from
            // its origin, or its reply to what a persona here commented).
            let view = match l.public_event(&event)? {
                Some(ev) => ev.view,
                None => l
                    .store()
                    .load(event)
                    .ok()
                    .and_then(|d| d.event().ok())
                    .filter(|v| v.origin.is_some())
                    .ok_or(FediError::NotFound)?,
            };
            if let Some(p) = &parent {
                // One level of replies: a reply to a reply goes under the thread's first comment.
                let c = view.comment(p).ok_or(FediError::NotFound)?;
                if let Some(top) = &c.reply_to {
                    parent = Some(top.clone());
                }
            }
            Ok(Some((event, parent)))
        })
        .await?;
    let Some((event, parent)) = target else {
        return Ok(Outcome::Duplicate);
    };
    let author = fedi.remote_actor(&activity.actor, false).await?;
    let now = Timestamp::now();
    let comment = fedi
        .local(move |l| {
            // Made on first use: the actor writes through it.
            l.proxy_persona(&author.id)?;
            let comment = l.as_remote(&author.id, &author.display(), |s| {
                s.comment(&event.to_hex(), &note.text, parent.as_deref())
            })?;
            if !l.db.set_remote_object(
                &note.id,
                &RemoteObject {
                    kind: "comment".into(),
                    doc: event.to_hex(),
                    local: Some(comment.clone()),
                    actor: author.id.clone(),
                },
                now.as_second(),
            )? {
                return Err(taken(&note.id));
            }
            Ok(comment)
        })
        .await?;
    fedi.changed.notify_one();
    Ok(Outcome::Commented { event, comment })
}

async fn edit_note(fedi: &Fedi, activity: &Activity) -> Result<Outcome, FediError> {
    let note = RemoteNote::parse(&activity.object)?;
    let actor = activity.actor.clone();
    fedi.local(move |l| {
        let o = l.db.remote_object(&note.id)?.ok_or(FediError::NotFound)?;
        if o.actor != actor || note.author != actor {
            return Err(FediError::Refused("only its author edits a note".into()));
        }
        let event: DocId = o.doc.parse().map_err(|_| FediError::NotFound)?;
        let cid = o.local.unwrap_or_default();
        l.as_remote(&o.actor, &o.actor, |s| {
            if note.public {
                s.edit_comment(&event.to_hex(), &cid, &note.text)
            } else {
                // No longer addressed to the public: taken down, not edited.
                s.delete_comment(&event.to_hex(), &cid)
            }
        })
    })
    .await?;
    fedi.changed.notify_one();
    Ok(Outcome::CommentEdited)
}

async fn delete(fedi: &Fedi, activity: &Activity) -> Result<Outcome, FediError> {
    let id = activity.object_id().unwrap_or_default();
    let actor = activity.actor.clone();
    // A followed group's event deleted by one of its members: the group's own
    // members collection must list them (fetched before the store is touched).
    let looked = {
        let id = id.clone();
        fedi.db(move |db| db.remote_object(&id)).await?
    };
    let member = match &looked {
        Some(o) if o.kind == "event" && o.actor != actor => {
            let trust = fedi.db(|db| db.trust()).await?;
            !trust.speaks_for(&actor, &o.actor)
                && copies::member_speaks_for_group(fedi, &trust, &actor, &o.actor).await?
        }
        _ => false,
    };
    let (outcome, changed) = fedi
        .local(move |l| {
            let Some(o) = l.db.remote_object(&id)? else {
                return Ok((Outcome::Ignored(format!("Delete of {id}")), false));
            };
            if o.kind == "event" {
                return copies::delete_event(l, &actor, &o, member);
            }
            if o.kind != "comment" {
                return Ok((Outcome::Ignored(format!("Delete of a {}", o.kind)), false));
            }
            if o.actor != actor {
                return Err(FediError::Refused("only its author deletes a note".into()));
            }
            let event: DocId = o.doc.parse().map_err(|_| FediError::NotFound)?;
            let cid = o.local.unwrap_or_default();
            l.as_remote(&o.actor, &o.actor, |s| {
                s.delete_comment(&event.to_hex(), &cid)
            })?;
            Ok((Outcome::CommentDeleted, true))
        })
        .await?;
    if changed {
        fedi.changed.notify_one();
    }
    Ok(outcome)
}

async fn join(fedi: &Fedi, activity: &Activity) -> Result<Outcome, FediError> {
    let object = activity
        .object_id()
        .ok_or(vocab::VocabError::Missing("object"))?;
    let Some((event, None)) = local_doc(&fedi.urls, &object, "events") else {
        return Err(FediError::Refused(format!("{object} is not an event here")));
    };
    let ev = fedi
        .public_event(&event)
        .await?
        .ok_or(FediError::NotFound)?;
    let actor = fedi.remote_actor(&activity.actor, false).await?;
    let group_actor = fedi.urls.group(&ev.group);
    let name = actor.display();
    let now = Timestamp::now();
    let join_json = json!({
        "id": activity.id,
        "type": "Join",
        "actor": actor.id,
        "object": object,
    });
    let (urls, join_id) = (fedi.urls.clone(), activity.id.clone());
    let (outcome, queued) = fedi
        .local(move |l| {
            if let Some(id) = &join_id
                && l.db
                    .remote_object(id)?
                    .is_some_and(|o| o.actor != actor.id || o.kind != "join")
            {
                return Err(taken(id));
            }
            let proxy = l.proxy_persona(&actor.id)?;
            let joined = l.as_remote(&actor.id, &name, |s| s.rsvp(&event.to_hex(), Rsvp::Join));
            let answer = |kind: &str| {
                vocab::join_answer(
                    &urls,
                    &super::hex_nonce(),
                    &group_actor,
                    kind,
                    join_json.clone(),
                    &actor.id,
                )
            };
            match joined {
                Ok((_, status)) => {
                    let status = status.unwrap_or(ParticipationStatus::Pending);
                    if let Some(id) = &join_id
                        && !l.db.set_remote_object(
                            id,
                            &RemoteObject {
                                kind: "join".into(),
                                doc: event.to_hex(),
                                local: Some(proxy.id().to_hex()),
                                actor: actor.id.clone(),
                            },
                            now.as_second(),
                        )?
                    {
                        return Err(taken(id));
                    }
                    let going = status == ParticipationStatus::Going;
                    if going {
                        enqueue(&l.db, &group_actor, &actor, &answer("Accept"))?;
                        if let Some(id) = &join_id {
                            l.db.set_published(
                                &queue::answered_key(id),
                                &group_actor,
                                "Accept",
                                false,
                                now.as_second(),
                            )?;
                        }
                    }
                    Ok((Outcome::Joined { event, status }, going))
                }
                Err(e) => {
                    enqueue(&l.db, &group_actor, &actor, &answer("Reject"))?;
                    Ok((
                        Outcome::JoinRejected {
                            event,
                            why: e.to_string(),
                        },
                        true,
                    ))
                }
            }
        })
        .await?;
    if queued {
        fedi.queued.notify_one();
    }
    if matches!(outcome, Outcome::Joined { .. }) {
        fedi.changed.notify_one();
    }
    Ok(outcome)
}

/// The `Accept` or `Reject` of a received `Join`, from the group.
async fn leave(fedi: &Fedi, activity: &Activity) -> Result<Outcome, FediError> {
    let object = activity
        .object_id()
        .ok_or(vocab::VocabError::Missing("object"))?;
    let Some((event, None)) = local_doc(&fedi.urls, &object, "events") else {
        return Ok(Outcome::Ignored(format!("Leave of {object}")));
    };
    let actor = activity.actor.clone();
    fedi.local(move |l| {
        let proxy = l.proxy_of(&actor)?;
        l.as_remote(&actor, &actor, |s| s.rsvp(&event.to_hex(), Rsvp::Leave))?;
        let hex = proxy.id().to_hex();
        for (join_id, o) in l.db.remote_objects_of("join", &event.to_hex())? {
            if o.local.as_deref() == Some(hex.as_str()) {
                l.db.remove_remote_object(&join_id)?;
            }
        }
        Ok(())
    })
    .await?;
    fedi.changed.notify_one();
    Ok(Outcome::Left { event })
}
