//! Events followed on the Fediverse, kept as read-only copies.
//!
//! When a group or instance this server follows publishes an event (`Create`,
//! `Update`, `Delete`, or an `Announce` of one, whose object is then fetched from
//! its origin), the server writes it into a document of its own: the persona it
//! keeps for the remote organiser ([`super::Local::proxy_persona`]) is the sole organiser,
//! and the document's `origin` is the event's ActivityPub id. The store offers
//! these documents to every device that syncs with the server
//! ([`rally_store::Store::share_with_everyone`]), so app users browse them like any
//! event and join them — a participation they write is theirs, signed on their
//! device. The publisher ([`super::outbox`]) turns such participations into `Join`
//! (and `Leave`) from the persona's `Person` actor to the organiser, and the
//! organiser's `Accept`/`Reject` comes back here and is written by the proxy
//! organiser, so every replica judges it by the usual permission rule.

use std::ops::ControlFlow;

use rally_core::DocId;
use rally_core::jiff::Timestamp;
use rally_core::model::{
    EventDetails, EventStatus, EventView, JoinMode, MAX_DESCRIPTION, MAX_SHORT, MAX_TAGS,
    MAX_TITLE, ParticipationStatus, Place, Visibility, check_url, normalise_tag,
};
use rally_core::picture::Picture;
use rally_service::ServiceError;
use rally_service::copies::CopyBanner;
use rally_service::pictures::Prepared;
use serde_json::{Value, json};

use super::db::RemoteObject;
use super::outcome::Outcome;
use super::queue::enqueue;
use super::vocab::{self, Activity, RemoteBanner, RemoteEvent, Urls, same_origin};
use super::{Fedi, FediError, Local};

/// The kind of remote object a `Join` sent from here is recorded as (the joins
/// received are `join`).
pub const SENT_JOIN: &str = "sent-join";

fn clip(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}

/// The details of a remote event in the model's terms: lengths clipped, what the
/// model cannot hold (an unknown zone, a bad link or tag) dropped or defaulted.
pub fn details_of(e: &RemoteEvent) -> EventDetails {
    let zone = e.time_zone.as_deref().unwrap_or("UTC");
    let (starts, time_zone) = vocab::civil_in(e.starts, zone);
    let ends = e
        .ends
        .filter(|end| *end > e.starts)
        .map(|end| vocab::civil_in(end, &time_zone).0);
    let title = clip(e.name.trim(), MAX_TITLE);
    let mut details = EventDetails::new(
        if title.trim().is_empty() {
            "(untitled)".to_owned()
        } else {
            title
        },
        starts,
        time_zone,
    );
    details.ends = ends;
    details.description = clip(&e.description, MAX_DESCRIPTION);
    let (latitude, longitude) = match (e.latitude, e.longitude) {
        (Some(lat), Some(lon))
            if (-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lon) =>
        {
            (Some(lat), Some(lon))
        }
        _ => (None, None),
    };
    details.place = Place {
        name: e.place_name.as_deref().map(|s| clip(s, MAX_SHORT)),
        address: e.address.as_deref().map(|s| clip(s, MAX_SHORT)),
        latitude,
        longitude,
    };
    details.online_url = e.online_url.clone().filter(|u| check_url(u).is_ok());
    details.capacity = e.capacity.filter(|c| *c > 0);
    details.join_mode = match e.join_mode.as_str() {
        "free" => JoinMode::Free,
        "restricted" => JoinMode::Approval,
        _ => JoinMode::Invite,
    };
    details.status = match e.status.as_str() {
        "TENTATIVE" => EventStatus::Tentative,
        "CANCELLED" => EventStatus::Cancelled,
        _ => EventStatus::Confirmed,
    };
    details.visibility = Visibility::Public;
    let mut tags: Vec<String> = e
        .tags
        .iter()
        .filter_map(|t| normalise_tag(t).ok())
        .collect();
    tags.sort();
    tags.dedup();
    tags.truncate(MAX_TAGS);
    details.tags = tags;
    details
}

/// A `Create` or `Update` of an event from an actor this server follows (or from
/// a group of an instance it follows).
pub async fn receive_event(
    fedi: &Fedi,
    activity: &Activity,
    object: &Value,
) -> Result<Outcome, FediError> {
    let event = RemoteEvent::parse(object)?;
    let organiser = event
        .organiser
        .clone()
        .unwrap_or_else(|| activity.actor.clone());
    if same_origin(&event.id, &fedi.urls.base) {
        return Err(FediError::Refused(
            "an event of this server comes from its devices".into(),
        ));
    }
    if !same_origin(&event.id, &activity.actor) || !same_origin(&organiser, &activity.actor) {
        return Err(FediError::Refused(
            "an event comes from its own server".into(),
        ));
    }
    let trust = fedi.db(|db| db.trust()).await?;
    if !trust.speaks_for(&activity.actor, &organiser)
        && !member_speaks_for_group(fedi, &trust, &activity.actor, &organiser).await?
    {
        return Ok(Outcome::Ignored(format!(
            "an event of {organiser} from {}, which is not followed for it",
            activity.actor
        )));
    }
    save_copy(fedi, &event, &organiser).await
}

/// A followed group's event sent by one of its members (Mobilizon): the group's
/// own members collection must list the sender.
pub(crate) async fn member_speaks_for_group(
    fedi: &Fedi,
    trust: &Trust,
    actor: &str,
    organiser: &str,
) -> Result<bool, FediError> {
    if !trust.follows_source(organiser) {
        return Ok(false);
    }
    let group = fedi.remote_actor(organiser, false).await?;
    if group.kind != "Group" {
        return Ok(false);
    }
    super::members::speaks_for_group(fedi, &group, actor).await
}

async fn save_copy(
    fedi: &Fedi,
    event: &RemoteEvent,
    organiser: &str,
) -> Result<Outcome, FediError> {
    // An event without a zone (Gancio's) is shown in its instance's own zone
    // when that instance publishes one, else in UTC.
    let zoned;
    let event = match event.time_zone {
        None => match super::zones::zone_of(fedi, &event.id).await {
            Some(zone) => {
                zoned = RemoteEvent {
                    time_zone: Some(zone),
                    ..event.clone()
                };
                &zoned
            }
            None => event,
        },
        Some(_) => event,
    };
    let details = details_of(event);
    let now = Timestamp::now();
    let banner = match &event.banner {
        Some(b) => banner_of(fedi, b).await,
        None => Banner::None,
    };
    let id = event.id.clone();
    let known = fedi.db(move |db| db.remote_object(&id)).await?;
    // The organiser's proxy: found (a known event), or made on first use.
    let (known, name, actor) = match known {
        Some(o) => {
            if o.kind != "event" || o.actor != organiser {
                return Err(FediError::Refused(format!(
                    "{} is not an event of {organiser}",
                    event.id
                )));
            }
            (true, o.actor.clone(), o.actor)
        }
        None => {
            let actor = fedi.remote_actor(organiser, false).await?;
            (false, actor.display(), actor.id)
        }
    };
    let id = event.id.clone();
    let saved = fedi
        .local(move |l| {
            let proxy = if known {
                l.proxy_of(&actor)?
            } else {
                l.proxy_persona(&actor)?
            };
            // One transaction, keyed by the object's id: the same event arriving
            // twice (or twice at once) is one copy.
            let copy_banner = match &banner {
                Banner::None => CopyBanner::None,
                Banner::Failed => CopyBanner::Keep,
                Banner::Known(p) => CopyBanner::Known(p),
                Banner::New { prepared, .. } => CopyBanner::New(prepared),
            };
            let saved = l
                .service
                .save_copy(&proxy, &name, &id, &details, copy_banner)
                .map_err(|e| match e {
                    ServiceError::Edit(e) => {
                        FediError::Refused(format!("the event cannot be kept: {e}"))
                    }
                    other => other.into(),
                })?;
            if let Banner::New { url, prepared } = &banner {
                l.db.set_remote_media(url, &prepared.picture().encode(), now.as_second())?;
            }
            if saved.new
                && !l.db.set_remote_object(
                    &id,
                    &RemoteObject {
                        kind: "event".into(),
                        doc: saved.event.to_hex(),
                        local: None,
                        actor,
                    },
                    now.as_second(),
                )?
            {
                return Err(super::inbox::taken(&id));
            }
            Ok(saved)
        })
        .await?;
    if saved.changed {
        fedi.changed.notify_one();
    }
    Ok(Outcome::EventCopied {
        event: saved.event,
        new: saved.new,
    })
}

/// A remote event's banner, as the copy should have it.
enum Banner {
    None,
    /// Not fetched or not a picture this time: the copy keeps what it had.
    Failed,
    /// Cleaned before, with its blobs here.
    Known(Picture),
    New {
        url: String,
        prepared: Prepared,
    },
}

/// The banner of a remote event: the picture its URL was cleaned into before
/// (while its blobs are here), or fetched through the guarded fetcher (no
/// private addresses, blocked domains refused, at most 10 MB) and cleaned as a
/// device cleans one (on a blocking thread: decoding is CPU work).
async fn banner_of(fedi: &Fedi, b: &RemoteBanner) -> Banner {
    let url = b.url.clone();
    let alt = b.alt.clone();
    let cached = fedi
        .local(move |l| {
            let Some(p) = l.db.remote_media(&url)?.and_then(|s| Picture::decode(&s)) else {
                return Ok(None);
            };
            let store = l.store();
            for hash in p.blobs() {
                if !store.has_blob(hash)? {
                    return Ok(None);
                }
            }
            Ok::<_, FediError>(Some(p))
        })
        .await;
    if let Ok(Some(mut p)) = cached {
        p.alt = alt;
        return Banner::Known(p);
    }
    let bytes = match fedi.fetcher.get_picture(&b.url).await {
        Ok(bytes) => bytes,
        Err(_) => return Banner::Failed,
    };
    let alt = b.alt.clone();
    match tokio::task::spawn_blocking(move || rally_service::pictures::prepare_remote(&bytes, &alt))
        .await
    {
        Ok(Ok(prepared)) => Banner::New {
            url: b.url.clone(),
            prepared,
        },
        _ => Banner::Failed,
    }
}

/// A `Delete` by `actor` of a copied event `o`: the copy is cancelled (documents
/// are never removed; devices keep what they had). `member`: the actor is a
/// member of the followed group that organises it, as the group's own members
/// collection says. Also whether the store changed.
pub fn delete_event(
    l: &mut Local,
    actor: &str,
    o: &RemoteObject,
    member: bool,
) -> Result<(Outcome, bool), FediError> {
    if !member && !l.db.trust()?.speaks_for(actor, &o.actor) {
        return Err(FediError::Refused(
            "only its organiser (its followed instance, or a member of its followed group) deletes an event".into(),
        ));
    }
    let doc: DocId = o.doc.parse().map_err(|_| FediError::NotFound)?;
    let proxy = l.proxy_of(&o.actor)?;
    let changed = l.service.cancel_copy(&proxy, doc)?;
    Ok((Outcome::EventCancelled { event: doc }, changed))
}

/// An `Announce` by a followed actor (a relay, a group): the announced object is
/// fetched from its origin, never taken from the POST.
pub async fn announce(fedi: &Fedi, activity: &Activity) -> Result<Outcome, FediError> {
    let instance = fedi.urls.instance();
    let (actor, object, base) = (
        activity.actor.clone(),
        activity.object_id(),
        fedi.urls.base.clone(),
    );
    let found = fedi
        .local(move |l| {
            if !l.db.trust()?.follows_source(&actor) {
                return Ok(ControlFlow::Break(Outcome::Ignored(format!(
                    "an Announce from {actor}, which is not followed",
                ))));
            }
            let id = object.ok_or(vocab::VocabError::Missing("object id"))?;
            if same_origin(&id, &base) {
                return Ok(ControlFlow::Break(Outcome::Ignored(
                    "an Announce of our own object".into(),
                )));
            }
            Ok(ControlFlow::Continue((id, l.db.actor_key(&instance)?)))
        })
        .await?;
    let (id, key) = match found {
        ControlFlow::Break(outcome) => return Ok(outcome),
        ControlFlow::Continue(found) => found,
    };
    let key_id = Urls::key_id(&fedi.urls.instance());
    let signer = || {
        Some(super::fetch::Signer {
            key: &key,
            key_id: &key_id,
        })
    };
    let mut object = fedi.fetcher.get_json(&id, signer()).await?;
    if vocab::id_of(&object).as_deref() != Some(id.as_str()) {
        return Err(FediError::Refused(
            "the origin answered another object".into(),
        ));
    }
    if matches!(vocab::type_of(&object), "Create" | "Update") {
        let inner = object
            .get("object")
            .and_then(vocab::id_of)
            .ok_or(vocab::VocabError::Missing("object id"))?;
        if !same_origin(&inner, &id) {
            return Err(FediError::Refused("the object is not the origin's".into()));
        }
        object = fedi.fetcher.get_json(&inner, signer()).await?;
        if vocab::id_of(&object).as_deref() != Some(inner.as_str()) {
            return Err(FediError::Refused(
                "the origin answered another object".into(),
            ));
        }
    }
    if vocab::type_of(&object) != "Event" {
        return Ok(Outcome::Ignored(format!(
            "an Announce of a {}",
            vocab::type_of(&object)
        )));
    }
    let event = RemoteEvent::parse(&object)?;
    let Some(organiser) = event.organiser.clone() else {
        return Err(FediError::Refused("the event names no organiser".into()));
    };
    if !same_origin(&organiser, &event.id) {
        return Err(FediError::Refused(
            "an event comes from its own server".into(),
        ));
    }
    // Only what comes from followed sources: a relay's Announce of events from
    // anywhere brings those of the origins (or organisers) this server follows.
    let trust = fedi.db(|db| db.trust()).await?;
    if organiser != activity.actor && !trust.follows_source(&organiser) {
        return Ok(Outcome::Ignored(format!(
            "an Announce of an event of {organiser}, which is not followed"
        )));
    }
    save_copy(fedi, &event, &organiser).await
}

/// Whom this server follows, for deciding who may speak for which events (see
/// [`FediDb::trust`](super::db::FediDb::trust)). Trust is per actor: following one
/// group or person of an instance trusts that actor only; following the
/// instance's own actor trusts every actor of that origin.
#[derive(Debug, Clone, Default)]
pub struct Trust {
    /// Followed actors, each with whether it is an instance's own actor.
    pub follows: Vec<(String, bool)>,
}

impl Trust {
    fn follows_instance_of(&self, actor: &str) -> bool {
        self.follows
            .iter()
            .any(|(f, instance)| *instance && same_origin(f, actor))
    }

    /// Whether events of `actor` are wanted here: it, or its whole instance, is followed.
    pub fn follows_source(&self, actor: &str) -> bool {
        self.follows.iter().any(|(f, _)| f == actor) || self.follows_instance_of(actor)
    }

    /// Whether `actor` may create, update or cancel copies of the events
    /// `organiser` organises: it is the organiser and followed (itself or its
    /// instance), or another actor of a whole instance this server follows.
    pub fn speaks_for(&self, actor: &str, organiser: &str) -> bool {
        if actor == organiser {
            return self.follows_source(actor);
        }
        same_origin(actor, organiser) && self.follows_instance_of(organiser)
    }
}

/// The remote event `doc` is a copy of (its id), and its organiser: `None`
/// when `doc` is not a copy made here.
async fn copied_from(
    fedi: &Fedi,
    doc: &DocId,
    view: &EventView,
) -> Result<Option<(String, vocab::RemoteActor)>, FediError> {
    let Some(origin) = view.origin.clone() else {
        return Ok(None);
    };
    let id = origin.clone();
    let Some(copy) = fedi.db(move |db| db.remote_object(&id)).await? else {
        return Ok(None);
    };
    if copy.kind != "event" || copy.doc != doc.to_hex() {
        return Ok(None);
    }
    let organiser = fedi.remote_actor(&copy.actor, false).await?;
    Ok(Some((origin, organiser)))
}

/// Comments local personas wrote on a copy of a remote event, sent to its
/// organiser as the origin expects them: a `Note` from the persona's own
/// `Person` actor, `inReplyTo` the remote event (or the remote comment it
/// answers, or our own comment it answers), public; an edit follows as an
/// `Update`, a deletion as a `Delete`, each sent once (`publish_once`).
pub async fn publish_comments(
    fedi: &Fedi,
    doc: &DocId,
    view: &EventView,
) -> Result<usize, FediError> {
    if view.comments.is_empty() {
        return Ok(0);
    }
    let Some((origin, organiser)) = copied_from(fedi, doc, view).await? else {
        return Ok(0);
    };
    let (d, comments) = (*doc, view.comments.clone());
    // Ours (not a remote actor's, written by its proxy), with where each replies.
    let ours = fedi
        .local(move |l| {
            let remote = l.db.remote_objects_of("comment", &d.to_hex())?;
            let mut ours = Vec::new();
            for c in comments {
                if l.is_proxy(&c.author)? {
                    continue;
                }
                let parent = c.reply_to.as_ref().map(|p| {
                    remote
                        .iter()
                        .find(|(_, o)| o.local.as_deref() == Some(p.as_str()))
                        .map(|(rid, _)| rid.clone())
                });
                ours.push((c, parent));
            }
            Ok(ours)
        })
        .await?;
    let mut queued = 0;
    for (c, remote_parent) in ours {
        let curl = fedi.urls.comment(doc, &c.id);
        let author = fedi.urls.person(&c.author);
        let key = curl.clone();
        let prior = fedi.db(move |db| db.published(&key)).await?;
        let (activity, digest) = if c.deleted || c.hidden {
            if !matches!(prior, Some((_, false))) {
                continue;
            }
            let delete = vocab::activity(
                &format!("{curl}/delete"),
                "Delete",
                &author,
                json!({"type": "Tombstone", "formerType": "Note", "id": curl}),
                &[vocab::PUBLIC.to_owned(), organiser.id.clone()],
                &[],
            );
            (delete, String::new())
        } else {
            let mut note = vocab::comment_note(&fedi.urls, doc, &c);
            note["inReplyTo"] = json!(match (&c.reply_to, remote_parent) {
                (_, Some(Some(remote))) => remote,
                (Some(parent), _) => fedi.urls.comment(doc, parent),
                (None, _) => origin.clone(),
            });
            note["to"] = json!([vocab::PUBLIC]);
            note["cc"] = json!([organiser.id]);
            let digest = super::outbox::digest(&note);
            let Some((kind, id)) =
                super::outbox::next_publication(&fedi.urls, &curl, &prior, &digest, false)
            else {
                continue;
            };
            let activity = vocab::activity(
                &id,
                kind,
                &author,
                note,
                &[vocab::PUBLIC.to_owned()],
                std::slice::from_ref(&organiser.id),
            );
            (activity, digest)
        };
        let delivery = crate::fedi::db::Outgoing {
            inbox: organiser.delivery_inbox().to_owned(),
            from: author.clone(),
            body: activity.to_string(),
            once: None,
        };
        let now = Timestamp::now().as_second();
        let sent = fedi
            .db(move |db| {
                db.publish_once(&curl, &author, &digest, digest.is_empty(), now, &[delivery])
            })
            .await?;
        queued += sent;
    }
    if queued > 0 {
        fedi.queued.notify_one();
    }
    Ok(queued)
}

/// The `Join` or `Leave` the participations of local personas in a copied event
/// call for; returns how many activities were queued.
pub async fn publish_participations(
    fedi: &Fedi,
    doc: &DocId,
    view: &EventView,
) -> Result<usize, FediError> {
    let Some((origin, organiser)) = copied_from(fedi, doc, view).await? else {
        return Ok(0);
    };
    let now = Timestamp::now().as_second();
    let (doc, view, urls) = (*doc, view.clone(), fedi.urls.clone());
    let queued = fedi
        .local(move |l| {
            let sent = l.db.remote_objects_of(SENT_JOIN, &doc.to_hex())?;
            let mut queued = 0;
            for p in view.participants.values() {
                if view.is_organiser(&p.persona) || l.is_proxy(&p.persona)? {
                    continue;
                }
                let hex = p.persona.to_hex();
                let wants = matches!(
                    p.status,
                    ParticipationStatus::Going | ParticipationStatus::Pending
                );
                let joined = sent.iter().any(|(_, o)| o.local.as_deref() == Some(&hex));
                if wants && !joined {
                    let person = urls.person(&p.persona);
                    let join_id = urls.activity("join");
                    let mut join = vocab::activity(
                        &join_id,
                        "Join",
                        &person,
                        json!(origin),
                        std::slice::from_ref(&organiser.id),
                        &[],
                    );
                    join["participationMessage"] = json!(null);
                    enqueue(&l.db, &person, &organiser, &join)?;
                    if !l.db.set_remote_object(
                        &join_id,
                        &RemoteObject {
                            kind: SENT_JOIN.into(),
                            doc: doc.to_hex(),
                            local: Some(hex.clone()),
                            actor: organiser.id.clone(),
                        },
                        now,
                    )? {
                        return Err(super::inbox::taken(&join_id));
                    }
                    queued += 1;
                }
            }
            for (join_id, o) in sent {
                let Some(hex) = o.local.as_deref() else {
                    continue;
                };
                let still = view.participants.values().any(|p| {
                    p.persona.to_hex() == hex
                        && matches!(
                            p.status,
                            ParticipationStatus::Going | ParticipationStatus::Pending
                        )
                });
                if still {
                    continue;
                }
                let Ok(persona) = hex.parse() else { continue };
                let rejected = view
                    .participants
                    .get(&persona)
                    .is_some_and(|p| p.status == ParticipationStatus::Rejected);
                if !rejected {
                    let person = urls.person(&persona);
                    let leave = vocab::activity(
                        &urls.activity("leave"),
                        "Leave",
                        &person,
                        json!(origin),
                        std::slice::from_ref(&organiser.id),
                        &[],
                    );
                    enqueue(&l.db, &person, &organiser, &leave)?;
                    queued += 1;
                }
                l.db.remove_remote_object(&join_id)?;
            }
            Ok(queued)
        })
        .await?;
    if queued > 0 {
        fedi.queued.notify_one();
    }
    Ok(queued)
}

/// The organiser's `Accept` or `Reject` of a `Join` sent from here, if `activity`
/// is one: written into the copy by the organiser's proxy.
pub async fn answer_join(fedi: &Fedi, activity: &Activity) -> Result<Option<Outcome>, FediError> {
    let Some(join_id) = activity.object_id() else {
        return Ok(None);
    };
    let (actor, accepted) = (activity.actor.clone(), activity.kind == "Accept");
    let outcome = fedi
        .local(move |l| {
            let Some(o) = l.db.remote_object(&join_id)? else {
                return Ok(None);
            };
            if o.kind != SENT_JOIN {
                return Ok(None);
            }
            if !same_origin(&o.actor, &actor) {
                return Err(FediError::Refused(
                    "only the organiser's server answers a join".into(),
                ));
            }
            let doc: DocId = o.doc.parse().map_err(|_| FediError::NotFound)?;
            let persona = o
                .local
                .as_deref()
                .and_then(|h| h.parse().ok())
                .ok_or(FediError::NotFound)?;
            let status = l.as_remote(&o.actor, &o.actor, |s| {
                s.answer_join(doc, persona, accepted)
            })?;
            if !accepted {
                l.db.remove_remote_object(&join_id)?;
            }
            Ok(Some(Outcome::JoinAnswered { event: doc, status }))
        })
        .await?;
    if outcome.is_some() {
        fedi.changed.notify_one();
    }
    Ok(outcome)
}

/// The name a local persona gave in the copied events it joined from here (for
/// its `Person` actor), if any.
pub fn participant_name(
    l: &Local,
    persona: &rally_core::PersonaId,
) -> Result<Option<String>, FediError> {
    let joins = l.db.joins_of(&persona.to_hex())?;
    for doc in joins {
        let Ok(doc) = doc.parse::<DocId>() else {
            continue;
        };
        let Ok(d) = l.store().load(doc) else {
            continue;
        };
        if let Ok(view) = d.event()
            && let Some(p) = view.participants.get(persona)
        {
            return Ok(Some(p.name.clone()));
        }
    }
    Ok(None)
}

/// The name a persona signed its newest published comment with (a comment on
/// a copy, say, which the snapshot of public groups does not walk): so the
/// origin that receives the comment can fetch its author's actor and key.
pub fn commenter_name(
    l: &Local,
    urls: &Urls,
    persona: &rally_core::PersonaId,
) -> Result<Option<String>, FediError> {
    let Some(object) = l.db.last_published_by(&urls.person(persona))? else {
        return Ok(None);
    };
    // `{base}/events/{event}/comments/{comment}`
    let Some((event, comment)) = object
        .strip_prefix(&urls.events_prefix())
        .and_then(|rest| rest.split_once("/comments/"))
    else {
        return Ok(None);
    };
    let Ok(event) = event.parse::<DocId>() else {
        return Ok(None);
    };
    let Ok(view) = l.store().load(event).and_then(|d| Ok(d.event()?)) else {
        return Ok(None);
    };
    Ok(view
        .comment(comment)
        .filter(|c| c.author == *persona && !c.deleted)
        .map(|c| c.author_name.clone()))
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod trust_tests {
    use super::Trust;

    #[test]
    fn following_one_actor_trusts_that_actor_not_its_instance() {
        let group = "https://mobilizon.example/@climate".to_owned();
        let only_group = Trust {
            follows: vec![(group.clone(), false)],
        };
        let stranger = "https://mobilizon.example/@someone";
        assert!(only_group.speaks_for(&group, &group));
        assert!(!only_group.speaks_for(stranger, &group), "another account");
        assert!(!only_group.speaks_for(stranger, stranger));
        assert!(!only_group.follows_source(stranger));
        let instance = Trust {
            follows: vec![("https://mobilizon.example/relay".into(), true)],
        };
        assert!(instance.speaks_for(stranger, stranger));
        assert!(
            instance.speaks_for(stranger, &group),
            "the whole instance is followed"
        );
        assert!(!instance.speaks_for("https://other.example/@x", "https://other.example/@x"));
        assert!(
            !instance.speaks_for("https://other.example/@x", &group),
            "another origin never speaks for an event here"
        );
    }
}
