//! The Fediverse's HTTP side: actors, objects and collections (ActivityPub JSON to
//! a server, an HTML page to a browser, from the same URL), WebFinger, host-meta
//! and NodeInfo. The inboxes are [`super::inbox`]'s.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use rally_core::DocId;
use rally_core::jiff::Timestamp;
use serde::Deserialize;
use serde_json::{Value, json};

use super::vocab::{self, CONTENT_TYPE, Urls};
use super::{Fedi, FediError, Local, PublicEvent, PublicGroup};
use crate::html::escape;
use crate::lang::{Reader, Words};

pub fn router(fedi: Arc<Fedi>) -> Router {
    Router::new()
        .route("/.well-known/webfinger", get(webfinger))
        .route("/.well-known/host-meta", get(host_meta))
        .route("/.well-known/nodeinfo", get(nodeinfo_links))
        .route("/.well-known/nodeinfo/{version}", get(nodeinfo))
        .route("/nodeinfo/{version}", get(nodeinfo))
        .route("/relay", get(instance_actor))
        .route("/relay/followers", get(instance_followers))
        .route("/relay/following", get(instance_following))
        .route("/relay/outbox", get(relay_outbox))
        .route("/groups/{id}", get(group_actor))
        .route("/groups/{id}/outbox", get(group_outbox))
        .route("/groups/{id}/events", get(group_events))
        .route("/groups/{id}/followers", get(group_followers))
        .route("/groups/{id}/members", get(group_members))
        .route("/groups/{id}/following", get(empty_collection))
        .route("/@{username}", get(by_username))
        .route("/events/{id}", get(event))
        .route("/events/{id}/event.ics", get(super::feeds::event_ics))
        .route("/events.ics", get(super::feeds::instance_ics))
        .route("/robots.txt", get(super::seo::robots))
        .route("/", get(super::listing::home))
        .route("/events", get(super::listing::events))
        .route("/interact", post(super::interact::interact))
        .route("/feeds/private", post(super::private_feed::ask))
        .route(
            "/feeds/private/{token}/events.ics",
            get(super::private_feed::ics),
        )
        .route(
            "/feeds/private/{token}/feed.atom",
            get(super::private_feed::atom),
        )
        .route("/tags/{tag}", get(super::listing::tag))
        .route("/tags/{tag}/events.ics", get(super::listing::tag_ics))
        .route("/tags/{tag}/feed.atom", get(super::listing::tag_atom))
        .route("/groups/{id}/embed", get(super::listing::embed))
        .route("/sitemap.xml", get(super::seo::sitemap))
        .route("/feed.atom", get(super::feeds::instance_atom))
        .route("/groups/{id}/events.ics", get(super::feeds::group_ics))
        .route("/groups/{id}/feed.atom", get(super::feeds::group_atom))
        .route("/events/{id}/occurrences/{name}", get(occurrence))
        .route("/events/{id}/comments", get(event_comments))
        .route("/events/{id}/comments/{comment}", get(comment))
        .route("/people/{id}", get(person))
        .route("/media/{file}", get(media))
        .route("/people/{id}/{collection}", get(empty_collection))
        .route("/inbox", post(super::inbox::receive))
        .route("/relay/inbox", post(super::inbox::receive))
        .route("/groups/{id}/inbox", post(super::inbox::receive))
        .route("/people/{id}/inbox", post(super::inbox::receive))
        .layer(axum::extract::DefaultBodyLimit::max(super::fetch::MAX_BODY))
        .with_state(fedi)
}

/// Whether the client asked for ActivityPub JSON rather than a page.
pub fn wants_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| {
            a.contains("application/activity+json")
                || a.contains("application/ld+json")
                || a.contains("application/json")
        })
}

pub fn activity_json(v: Value) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            format!("{CONTENT_TYPE}; charset=utf-8"),
        )],
        v.to_string(),
    )
        .into_response()
}

fn json_as(content_type: &'static str, v: Value) -> Response {
    ([(header::CONTENT_TYPE, content_type)], v.to_string()).into_response()
}

impl IntoResponse for FediError {
    fn into_response(self) -> Response {
        let status = match &self {
            FediError::NotFound => StatusCode::NOT_FOUND,
            FediError::Refused(_) | FediError::Vocab(_) => StatusCode::BAD_REQUEST,
            FediError::Sig(_) => StatusCode::UNAUTHORIZED,
            FediError::Fetch(super::fetch::FetchError::Blocked(_)) => StatusCode::FORBIDDEN,
            FediError::Fetch(_) => StatusCode::BAD_GATEWAY,
            FediError::Busy(_) => StatusCode::TOO_MANY_REQUESTS,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        };
        // What went wrong fetching elsewhere, or here, is for the log, not for
        // whoever sent the request.
        let text = match &self {
            FediError::Fetch(super::fetch::FetchError::Blocked(_)) => self.to_string(),
            FediError::Fetch(_) => {
                tracing::warn!(error = %self, "a fetch for a request failed");
                "a document this request names could not be fetched".to_owned()
            }
            _ if status == StatusCode::INTERNAL_SERVER_ERROR => {
                tracing::error!(error = %self, "a federation request failed");
                "internal error".to_owned()
            }
            _ => self.to_string(),
        };
        (status, format!("{text}\n")).into_response()
    }
}

fn doc_id(hex: &str) -> Result<DocId, FediError> {
    hex.parse().map_err(|_| FediError::NotFound)
}

/// The public group `hex` names (on the federation's thread).
pub(super) fn group(l: &Local, hex: &str) -> Result<PublicGroup, FediError> {
    l.public_group(&doc_id(hex)?)?.ok_or(FediError::NotFound)
}

/// The public event `hex` names (on the federation's thread).
pub(super) fn event_of(l: &Local, hex: &str) -> Result<PublicEvent, FediError> {
    l.public_event(&doc_id(hex)?)?.ok_or(FediError::NotFound)
}

#[derive(Debug, Deserialize)]
struct Resource {
    resource: String,
}

async fn webfinger(State(fedi): State<Arc<Fedi>>, Query(q): Query<Resource>) -> Response {
    let host = fedi.urls.host().to_owned();
    let acct = q.resource.strip_prefix("acct:").unwrap_or(&q.resource);
    let acct = acct.trim_start_matches('@');
    let found = if let Some((user, h)) = acct.split_once('@') {
        if !h.eq_ignore_ascii_case(&host) {
            None
        } else if user == "relay" {
            Some((format!("acct:relay@{host}"), fedi.urls.instance(), false))
        } else {
            match fedi.group_by_username(user).await {
                Ok(Some(g)) => Some((
                    format!("acct:{}@{host}", g.username),
                    fedi.urls.group(&g.id),
                    true,
                )),
                Ok(None) => None,
                Err(e) => return e.into_response(),
            }
        }
    } else {
        // An actor URL as the resource.
        let url = q.resource.as_str();
        if url == fedi.urls.instance() {
            Some((format!("acct:relay@{host}"), url.to_owned(), false))
        } else {
            let found = match url.strip_prefix(&format!("{}/groups/", fedi.urls.base)) {
                Some(hex) => {
                    let hex = hex.to_owned();
                    fedi.local(move |l| group(l, &hex)).await.ok()
                }
                None => None,
            };
            found.map(|g| (format!("acct:{}@{host}", g.username), url.to_owned(), true))
        }
    };
    match found {
        Some((subject, actor, page)) => json_as(
            "application/jrd+json",
            vocab::webfinger(&subject, &actor, page),
        ),
        None => (StatusCode::NOT_FOUND, "no such account\n").into_response(),
    }
}

async fn host_meta(State(fedi): State<Arc<Fedi>>) -> Response {
    (
        [(header::CONTENT_TYPE, "application/xrd+xml; charset=utf-8")],
        format!(
            r#"<?xml version="1.0" encoding="UTF-8"?>
<XRD xmlns="http://docs.oasis-open.org/ns/xri/xrd-1.0"><Link rel="lrdd" type="application/xrd+xml" template="{}/.well-known/webfinger?resource={{uri}}"/></XRD>
"#,
            fedi.urls.base
        ),
    )
        .into_response()
}

async fn nodeinfo_links(State(fedi): State<Arc<Fedi>>) -> Response {
    json_as("application/json", vocab::nodeinfo_links(&fedi.urls))
}

async fn nodeinfo(State(fedi): State<Arc<Fedi>>, Path(version): Path<String>) -> Response {
    let version = version.trim_end_matches(".json");
    if version != "2.0" && version != "2.1" {
        return (StatusCode::NOT_FOUND, "unknown NodeInfo version\n").into_response();
    }
    let found = match fedi.snapshots.get(&fedi).await {
        Ok(s) => fedi
            .local(|l| {
                Ok((
                    l.open_registrations(),
                    crate::registry::Registry::policy(&l.registry)?,
                ))
            })
            .await
            .map(|open| (s, open)),
        Err(e) => Err(e),
    };
    let (snapshot, (open, policy)) = match found {
        Ok(c) => c,
        Err(e) => return e.into_response(),
    };
    let (groups, events, comments) = (snapshot.groups, snapshot.events, snapshot.comments);
    let profile = format!(
        "application/json; profile=\"http://nodeinfo.diaspora.software/ns/schema/{version}#\""
    );
    (
        [(header::CONTENT_TYPE, profile)],
        vocab::nodeinfo(version, open, groups, events, comments, &policy).to_string(),
    )
        .into_response()
}

async fn instance_actor(
    State(fedi): State<Arc<Fedi>>,
    uri: axum::http::Uri,
    headers: HeaderMap,
) -> Response {
    let actor = fedi.urls.instance();
    let pem = match fedi.public_pem(&actor).await {
        Ok(p) => p,
        Err(e) => return e.into_response(),
    };
    if wants_json(&headers) {
        return activity_json(vocab::instance_actor(&fedi.urls, &pem));
    }
    let reader = Reader::of(&uri, &headers);
    let lang = reader.lang;
    let body = format!(
        "<h1>{}</h1><p>{}</p>",
        escape(&lang.ta(
            "about-title",
            &[("host", fedi.urls.host().to_owned().into())]
        )),
        escape(&lang.ta(
            "about-federates",
            &[("actor", format!("@relay@{}", fedi.urls.host()).into())]
        )),
    );
    let head = format!(
        r#"<link rel="alternate" type="application/activity+json" href="{}">{}"#,
        escape(&actor),
        super::feeds::alternates(
            &format!("{}/events.ics", fedi.urls.base),
            Some(&format!("{}/feed.atom", fedi.urls.base)),
        )
    );
    super::page_cache::Page {
        title: fedi.urls.host().to_owned(),
        head,
        body,
    }
    .respond(&fedi.urls, &reader, &headers, false)
}

/// The accepted follows among `rows`, as the collection `id`.
fn follow_collection(rows: &[super::db::Follow], id: &str) -> Response {
    let accepted: Vec<Value> = rows
        .iter()
        .filter(|f| f.state == "accepted")
        .map(|f| json!(f.remote))
        .collect();
    let total = accepted.len();
    activity_json(vocab::collection(id, accepted, total))
}

async fn instance_followers(State(fedi): State<Arc<Fedi>>) -> Response {
    let actor = fedi.urls.instance();
    let local = actor.clone();
    match fedi.db(move |db| db.followers(&local)).await {
        Ok(rows) => follow_collection(&rows, &format!("{actor}/followers")),
        Err(e) => e.into_response(),
    }
}

async fn instance_following(State(fedi): State<Arc<Fedi>>) -> Response {
    let actor = fedi.urls.instance();
    let local = actor.clone();
    match fedi.db(move |db| db.following(&local)).await {
        Ok(rows) => follow_collection(&rows, &format!("{actor}/following")),
        Err(e) => e.into_response(),
    }
}

async fn empty_collection(uri: axum::http::Uri, State(fedi): State<Arc<Fedi>>) -> Response {
    activity_json(vocab::collection(
        &format!("{}{}", fedi.urls.base, uri.path()),
        Vec::new(),
        0,
    ))
}

/// Announces in a page of the relay's outbox.
const OUTBOX_PAGE: usize = 20;

#[derive(Debug, Deserialize)]
struct Page {
    page: Option<usize>,
}

/// The instance actor's outbox, as Mobilizon's relay serves it: its
/// `Announce`s of the public events published here, newest first, twenty a
/// page, so an instance that starts following can fill itself in.
async fn relay_outbox(State(fedi): State<Arc<Fedi>>, Query(q): Query<Page>) -> Response {
    let urls = fedi.urls.clone();
    let page = q.page.map(|p| p.max(1));
    let result = fedi
        .local(move |l| {
            let at = (page.unwrap_or(1) - 1) * OUTBOX_PAGE;
            let (rows, total) =
                l.db.published_events(&urls.events_prefix(), OUTBOX_PAGE, at)?;
            let mut items = Vec::new();
            for (url, _) in rows {
                let Some(id) = url.rsplit('/').next().and_then(|h| h.parse::<DocId>().ok()) else {
                    continue;
                };
                if let Some(ev) = l.public_event(&id)? {
                    let object = vocab::event_object(
                        &urls,
                        &id,
                        &ev.view,
                        Some(&ev.group),
                        Timestamp::now(),
                    );
                    let mut a = super::outbox::announce(&urls, &object);
                    a.as_object_mut().map(|o| o.remove("@context"));
                    items.push(a);
                }
            }
            Ok((items, total.max(0) as usize))
        })
        .await;
    let (items, total) = match result {
        Ok(found) => found,
        Err(e) => return e.into_response(),
    };
    let id = format!("{}/outbox", fedi.urls.instance());
    let Some(page) = page else {
        return activity_json(json!({
            "@context": vocab::context(),
            "id": id,
            "type": "OrderedCollection",
            "totalItems": total,
            "first": format!("{id}?page=1"),
        }));
    };
    let mut body = json!({
        "@context": vocab::context(),
        "id": format!("{id}?page={page}"),
        "type": "OrderedCollectionPage",
        "partOf": id,
        "totalItems": total,
        "orderedItems": items,
    });
    if page * OUTBOX_PAGE < total {
        body["next"] = json!(format!("{id}?page={}", page + 1));
    }
    if page > 1 {
        body["prev"] = json!(format!("{id}?page={}", page - 1));
    }
    activity_json(body)
}

async fn group_actor(
    State(fedi): State<Arc<Fedi>>,
    Path(hex): Path<String>,
    reader: Reader,
    headers: HeaderMap,
) -> Response {
    let urls = fedi.urls.clone();
    if wants_json(&headers) {
        // The group with its key, for a server.
        let found = fedi
            .local(move |l| {
                let g = group(l, &hex)?;
                let pem = l.public_pem(&urls.group(&g.id))?;
                Ok((g, pem))
            })
            .await;
        return match found {
            Ok((g, pem)) => activity_json(vocab::group_actor(
                &fedi.urls,
                &g.id,
                &g.view,
                &g.username,
                &pem,
            )),
            Err(e) => e.into_response(),
        };
    }
    // Its page, with its public events, for a browser.
    let (cache, key, r) = (fedi.clone(), reader.key(), reader.clone());
    let page = fedi
        .local(move |l| {
            cache.pages.page(l, key, || {
                let g = group(l, &hex)?;
                let mut published = l.published()?;
                let events: Vec<PublicEvent> = g
                    .view
                    .events
                    .iter()
                    .filter_map(|e| published.event(e))
                    .collect();
                Ok(super::group_page::page(
                    &urls,
                    &r,
                    &g,
                    events,
                    Timestamp::now(),
                ))
            })
        })
        .await;
    match page {
        Ok(p) => p.respond(&fedi.urls, &reader, &headers, true),
        Err(e) => e.into_response(),
    }
}

async fn by_username(State(fedi): State<Arc<Fedi>>, Path(username): Path<String>) -> Response {
    match fedi.group_by_username(&username).await {
        Ok(Some(g)) => Redirect::to(&fedi.urls.group(&g.id)).into_response(),
        Ok(None) => FediError::NotFound.into_response(),
        Err(e) => e.into_response(),
    }
}

/// A public group and the objects of its public events.
fn group_event_objects(
    l: &Local,
    urls: &Urls,
    hex: &str,
) -> Result<(PublicGroup, Vec<Value>), FediError> {
    let g = group(l, hex)?;
    let mut out = Vec::new();
    for e in &g.view.events {
        if let Some(ev) = l.public_event(e)? {
            out.push(vocab::event_object(
                urls,
                e,
                &ev.view,
                Some(&g.id),
                Timestamp::now(),
            ));
        }
    }
    Ok((g, out))
}

async fn group_events(State(fedi): State<Arc<Fedi>>, Path(hex): Path<String>) -> Response {
    let urls = fedi.urls.clone();
    let result = fedi
        .local(move |l| group_event_objects(l, &urls, &hex))
        .await
        .map(|(g, items)| {
            let total = items.len();
            vocab::collection(&format!("{}/events", fedi.urls.group(&g.id)), items, total)
        });
    match result {
        Ok(v) => activity_json(v),
        Err(e) => e.into_response(),
    }
}

async fn group_outbox(State(fedi): State<Arc<Fedi>>, Path(hex): Path<String>) -> Response {
    let urls = fedi.urls.clone();
    let result = fedi
        .local(move |l| group_event_objects(l, &urls, &hex))
        .await
        .map(|(g, objects)| {
            let actor = fedi.urls.group(&g.id);
            let items: Vec<Value> = objects
                .into_iter()
                .map(|e| {
                    let id = format!("{}/activity", e["id"].as_str().unwrap_or_default());
                    let mut a = vocab::activity(
                        &id,
                        "Create",
                        &actor,
                        e,
                        &[vocab::PUBLIC.to_owned()],
                        &[format!("{actor}/followers")],
                    );
                    a.as_object_mut().map(|o| o.remove("@context"));
                    a
                })
                .collect();
            let total = items.len();
            vocab::collection(&format!("{actor}/outbox"), items, total)
        });
    match result {
        Ok(v) => activity_json(v),
        Err(e) => e.into_response(),
    }
}

async fn group_followers(State(fedi): State<Arc<Fedi>>, Path(hex): Path<String>) -> Response {
    let urls = fedi.urls.clone();
    let found = fedi
        .local(move |l| {
            let actor = urls.group(&group(l, &hex)?.id);
            let rows = l.db.followers(&actor)?;
            Ok((actor, rows))
        })
        .await;
    match found {
        Ok((actor, rows)) => follow_collection(&rows, &format!("{actor}/followers")),
        Err(e) => e.into_response(),
    }
}

/// Members are not listed to the Fediverse (as Mobilizon does without a member's
/// signed request): only their number.
async fn group_members(State(fedi): State<Arc<Fedi>>, Path(hex): Path<String>) -> Response {
    match fedi.local(move |l| group(l, &hex)).await {
        Ok(g) => activity_json(vocab::collection(
            &format!("{}/members", fedi.urls.group(&g.id)),
            Vec::new(),
            g.view.members.len(),
        )),
        Err(e) => e.into_response(),
    }
}

/// A published event's picture (`/media/HASH.jpg`): immutable, so cached for
/// good; anything else is not found.
async fn media(State(fedi): State<Arc<Fedi>>, Path(file): Path<String>) -> Response {
    let Some(hash) = file
        .strip_suffix(".jpg")
        .and_then(|h| h.parse::<rally_core::picture::BlobHash>().ok())
    else {
        return FediError::NotFound.into_response();
    };
    match fedi.local(move |l| l.published_blob(hash)).await {
        Ok(Some(bytes)) => (
            [
                (axum::http::header::CONTENT_TYPE, "image/jpeg"),
                (
                    axum::http::header::CACHE_CONTROL,
                    "public, max-age=31536000, immutable",
                ),
                (axum::http::header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            ],
            bytes,
        )
            .into_response(),
        Ok(None) => FediError::NotFound.into_response(),
        Err(e) => e.into_response(),
    }
}

async fn event(
    State(fedi): State<Arc<Fedi>>,
    Path(hex): Path<String>,
    reader: Reader,
    headers: HeaderMap,
) -> Response {
    if !wants_json(&headers) {
        // Its page, for a browser.
        let (cache, key, r, urls) = (
            fedi.clone(),
            reader.key(),
            reader.clone(),
            fedi.urls.clone(),
        );
        let page = fedi
            .local(move |l| {
                cache.pages.page(l, key, || {
                    let ev = event_of(l, &hex)?;
                    let group_name = l
                        .public_group(&ev.group)?
                        .map(|g| g.view.profile.name)
                        .unwrap_or_default();
                    let extra = super::event_page::Extra { group_name };
                    Ok(super::event_page::page(&urls, &r, &ev, &extra))
                })
            })
            .await;
        return match page {
            Ok(p) => p.respond(&fedi.urls, &reader, &headers, true),
            Err(e) => e.into_response(),
        };
    }
    // The `Event`, for a server.
    let ev = match fedi.local(move |l| event_of(l, &hex)).await {
        Ok(e) => e,
        Err(e) => return e.into_response(),
    };
    {
        let mut object = vocab::event_object(
            &fedi.urls,
            &ev.id,
            &ev.view,
            Some(&ev.group),
            Timestamp::now(),
        );
        object["@context"] = vocab::context();
        activity_json(object)
    }
}

/// One occurrence of a series as the Event it is published as (see
/// `series`); a browser goes to the series' page.
async fn occurrence(
    State(fedi): State<Arc<Fedi>>,
    Path((hex, name)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    if !wants_json(&headers) {
        return match hex.parse::<DocId>() {
            Ok(id) => Redirect::to(&fedi.urls.event(&id)).into_response(),
            Err(_) => FediError::NotFound.into_response(),
        };
    }
    let urls = fedi.urls.clone();
    let result = fedi
        .local(move |l| {
            let ev = event_of(l, &hex)?;
            let d = &ev.view.details;
            let name = super::series::name_of(&name)
                .filter(|n| d.repeat.is_some() && d.has_occurrence(*n))
                .ok_or(FediError::NotFound)?;
            let o = d.occurrence(name, &ev.view.exceptions);
            Ok(super::series::occurrence_object(
                &urls,
                &ev.id,
                &ev.view,
                Some(&ev.group),
                &o,
                Timestamp::now(),
            ))
        })
        .await;
    match result {
        Ok(mut object) => {
            object["@context"] = vocab::context();
            activity_json(object)
        }
        Err(e) => e.into_response(),
    }
}

async fn event_comments(State(fedi): State<Arc<Fedi>>, Path(hex): Path<String>) -> Response {
    let urls = fedi.urls.clone();
    let result = fedi
        .local(move |l| {
            let ev = event_of(l, &hex)?;
            let mut items = Vec::new();
            for c in ev.view.comments.iter().filter(|c| !c.deleted && !c.hidden) {
                if !l.is_proxy(&c.author)? {
                    items.push(vocab::comment_note(&urls, &ev.id, c));
                }
            }
            let total = items.len();
            Ok(vocab::collection(
                &format!("{}/comments", urls.event(&ev.id)),
                items,
                total,
            ))
        })
        .await;
    match result {
        Ok(v) => activity_json(v),
        Err(e) => e.into_response(),
    }
}

async fn comment(
    State(fedi): State<Arc<Fedi>>,
    Path((hex, comment)): Path<(String, String)>,
) -> Response {
    let urls = fedi.urls.clone();
    let result = fedi
        .local(move |l| {
            let ev = event_of(l, &hex)?;
            let c = ev.view.comment(&comment).ok_or(FediError::NotFound)?;
            if l.is_proxy(&c.author)? {
                return Err(FediError::NotFound);
            }
            let mut note = if c.deleted || c.hidden {
                json!({
                    "id": urls.comment(&ev.id, &c.id),
                    "type": "Tombstone",
                    "formerType": "Note",
                })
            } else {
                vocab::comment_note(&urls, &ev.id, c)
            };
            note["@context"] = vocab::context();
            Ok(note)
        })
        .await;
    match result {
        Ok(v) => activity_json(v),
        Err(e) => e.into_response(),
    }
}

/// A persona that commented on a public event here, or joined a copied event
/// through this server, as a `Person`.
async fn person(State(fedi): State<Arc<Fedi>>, Path(hex): Path<String>) -> Response {
    let Ok(id) = hex.parse::<rally_core::PersonaId>() else {
        return FediError::NotFound.into_response();
    };
    let urls = fedi.urls.clone();
    let snapshot = match fedi.snapshots.get(&fedi).await {
        Ok(s) => s,
        Err(e) => return e.into_response(),
    };
    let result = fedi
        .local(move |l| {
            let mut name = snapshot.people.get(&id).cloned();
            if name.is_none() {
                name = super::copies::participant_name(l, &id)?;
            }
            if name.is_none() {
                name = super::copies::commenter_name(l, &urls, &id)?;
            }
            let name = name.ok_or(FediError::NotFound)?;
            if l.is_proxy(&id)? {
                return Err(FediError::NotFound);
            }
            let actor = urls.person(&id);
            Ok(vocab::person_actor(
                &urls,
                &id,
                &name,
                &l.public_pem(&actor)?,
            ))
        })
        .await;
    match result {
        Ok(v) => activity_json(v),
        Err(e) => e.into_response(),
    }
}
