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

use super::vocab::{self, CONTENT_TYPE};
use super::{Fedi, FediError, PublicEvent, PublicGroup};
use crate::html::escape;

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
        .route("/relay/outbox", get(empty_collection))
        .route("/groups/{id}", get(group_actor))
        .route("/groups/{id}/outbox", get(group_outbox))
        .route("/groups/{id}/events", get(group_events))
        .route("/groups/{id}/followers", get(group_followers))
        .route("/groups/{id}/members", get(group_members))
        .route("/groups/{id}/following", get(empty_collection))
        .route("/@{username}", get(by_username))
        .route("/events/{id}", get(event))
        .route("/events/{id}/comments", get(event_comments))
        .route("/events/{id}/comments/{comment}", get(comment))
        .route("/people/{id}", get(person))
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
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        };
        (status, format!("{self}\n")).into_response()
    }
}

fn page(title: &str, body: &str, json_url: &str) -> Response {
    let head = format!(
        r#"<link rel="alternate" type="application/activity+json" href="{}">"#,
        escape(json_url)
    );
    crate::html::page(title, &head, body).into_response()
}

fn doc_id(hex: &str) -> Result<DocId, FediError> {
    hex.parse().map_err(|_| FediError::NotFound)
}

fn group(fedi: &Fedi, hex: &str) -> Result<PublicGroup, FediError> {
    fedi.public_group(&doc_id(hex)?)?.ok_or(FediError::NotFound)
}

fn event_of(fedi: &Fedi, hex: &str) -> Result<PublicEvent, FediError> {
    fedi.public_event(&doc_id(hex)?)?.ok_or(FediError::NotFound)
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
            match fedi.group_by_username(user) {
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
            url.strip_prefix(&format!("{}/groups/", fedi.urls.base))
                .and_then(|hex| group(&fedi, hex).ok())
                .map(|g| (format!("acct:{}@{host}", g.username), url.to_owned(), true))
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

fn counts(fedi: &Fedi) -> Result<(usize, usize, usize), FediError> {
    let groups = fedi.public_groups()?;
    let mut events = 0;
    let mut comments = 0;
    for g in &groups {
        for e in &g.view.events {
            if let Some(ev) = fedi.public_event(e)? {
                events += 1;
                comments += ev.view.comments.iter().filter(|c| !c.deleted).count();
            }
        }
    }
    Ok((groups.len(), events, comments))
}

async fn nodeinfo(State(fedi): State<Arc<Fedi>>, Path(version): Path<String>) -> Response {
    let version = version.trim_end_matches(".json");
    if version != "2.0" && version != "2.1" {
        return (StatusCode::NOT_FOUND, "unknown NodeInfo version\n").into_response();
    }
    let (groups, events, comments) = match counts(&fedi) {
        Ok(c) => c,
        Err(e) => return e.into_response(),
    };
    let profile = format!(
        "application/json; profile=\"http://nodeinfo.diaspora.software/ns/schema/{version}#\""
    );
    (
        [(header::CONTENT_TYPE, profile)],
        vocab::nodeinfo(version, fedi.open_registrations(), groups, events, comments).to_string(),
    )
        .into_response()
}

async fn instance_actor(State(fedi): State<Arc<Fedi>>, headers: HeaderMap) -> Response {
    let actor = fedi.urls.instance();
    let pem = match fedi.public_pem(&actor) {
        Ok(p) => p,
        Err(e) => return e.into_response(),
    };
    if wants_json(&headers) {
        return activity_json(vocab::instance_actor(&fedi.urls, &pem));
    }
    page(
        "Rally instance",
        &format!(
            "<h1>Rally on {}</h1><p>The instance actor: it follows other instances and is followed by them.</p>",
            escape(fedi.urls.host())
        ),
        &actor,
    )
}

fn follow_collection(fedi: &Fedi, local: &str, id: &str, following: bool) -> Response {
    let rows = match fedi.db().and_then(|db| {
        Ok(if following {
            db.following(local)?
        } else {
            db.followers(local)?
        })
    }) {
        Ok(r) => r,
        Err(e) => return e.into_response(),
    };
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
    follow_collection(&fedi, &actor, &format!("{actor}/followers"), false)
}

async fn instance_following(State(fedi): State<Arc<Fedi>>) -> Response {
    let actor = fedi.urls.instance();
    follow_collection(&fedi, &actor, &format!("{actor}/following"), true)
}

async fn empty_collection(uri: axum::http::Uri, State(fedi): State<Arc<Fedi>>) -> Response {
    activity_json(vocab::collection(
        &format!("{}{}", fedi.urls.base, uri.path()),
        Vec::new(),
        0,
    ))
}

async fn group_actor(
    State(fedi): State<Arc<Fedi>>,
    Path(hex): Path<String>,
    headers: HeaderMap,
) -> Response {
    let g = match group(&fedi, &hex) {
        Ok(g) => g,
        Err(e) => return e.into_response(),
    };
    let actor = fedi.urls.group(&g.id);
    if wants_json(&headers) {
        return match fedi.public_pem(&actor) {
            Ok(pem) => activity_json(vocab::group_actor(
                &fedi.urls,
                &g.id,
                &g.view,
                &g.username,
                &pem,
            )),
            Err(e) => e.into_response(),
        };
    }
    let mut events = String::new();
    for e in &g.view.events {
        if let Ok(Some(ev)) = fedi.public_event(e) {
            events.push_str(&format!(
                "<li><a href=\"{}\">{}</a> <span class=meta>{}</span></li>",
                escape(&fedi.urls.event(e)),
                escape(&ev.view.details.title),
                escape(&vocab::event_summary(&ev.view)),
            ));
        }
    }
    let summary = g
        .view
        .profile
        .summary
        .trim()
        .is_empty()
        .then(String::new)
        .unwrap_or_else(|| rally_core::text::markdown_to_html(&g.view.profile.summary));
    page(
        &g.view.profile.name,
        &format!(
            "<h1>{}</h1><p class=meta>@{}@{}</p>{summary}<h2>Events</h2><ul>{events}</ul>",
            escape(&g.view.profile.name),
            escape(&g.username),
            escape(fedi.urls.host()),
        ),
        &actor,
    )
}

async fn by_username(State(fedi): State<Arc<Fedi>>, Path(username): Path<String>) -> Response {
    match fedi.group_by_username(&username) {
        Ok(Some(g)) => Redirect::to(&fedi.urls.group(&g.id)).into_response(),
        Ok(None) => FediError::NotFound.into_response(),
        Err(e) => e.into_response(),
    }
}

fn group_event_objects(fedi: &Fedi, g: &PublicGroup) -> Result<Vec<Value>, FediError> {
    let mut out = Vec::new();
    for e in &g.view.events {
        if let Some(ev) = fedi.public_event(e)? {
            out.push(vocab::event_object(
                &fedi.urls,
                e,
                &ev.view,
                Some(&g.id),
                Timestamp::now(),
            ));
        }
    }
    Ok(out)
}

async fn group_events(State(fedi): State<Arc<Fedi>>, Path(hex): Path<String>) -> Response {
    let result = group(&fedi, &hex).and_then(|g| {
        let items = group_event_objects(&fedi, &g)?;
        let total = items.len();
        Ok(vocab::collection(
            &format!("{}/events", fedi.urls.group(&g.id)),
            items,
            total,
        ))
    });
    match result {
        Ok(v) => activity_json(v),
        Err(e) => e.into_response(),
    }
}

async fn group_outbox(State(fedi): State<Arc<Fedi>>, Path(hex): Path<String>) -> Response {
    let result = group(&fedi, &hex).and_then(|g| {
        let actor = fedi.urls.group(&g.id);
        let items: Vec<Value> = group_event_objects(&fedi, &g)?
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
        Ok(vocab::collection(&format!("{actor}/outbox"), items, total))
    });
    match result {
        Ok(v) => activity_json(v),
        Err(e) => e.into_response(),
    }
}

async fn group_followers(State(fedi): State<Arc<Fedi>>, Path(hex): Path<String>) -> Response {
    match group(&fedi, &hex) {
        Ok(g) => {
            let actor = fedi.urls.group(&g.id);
            follow_collection(&fedi, &actor, &format!("{actor}/followers"), false)
        }
        Err(e) => e.into_response(),
    }
}

/// Members are not listed to the Fediverse (as Mobilizon does without a member's
/// signed request): only their number.
async fn group_members(State(fedi): State<Arc<Fedi>>, Path(hex): Path<String>) -> Response {
    match group(&fedi, &hex) {
        Ok(g) => activity_json(vocab::collection(
            &format!("{}/members", fedi.urls.group(&g.id)),
            Vec::new(),
            g.view.members.len(),
        )),
        Err(e) => e.into_response(),
    }
}

async fn event(
    State(fedi): State<Arc<Fedi>>,
    Path(hex): Path<String>,
    headers: HeaderMap,
) -> Response {
    let ev = match event_of(&fedi, &hex) {
        Ok(e) => e,
        Err(e) => return e.into_response(),
    };
    let mut object = vocab::event_object(
        &fedi.urls,
        &ev.id,
        &ev.view,
        Some(&ev.group),
        Timestamp::now(),
    );
    if wants_json(&headers) {
        object["@context"] = vocab::context();
        return activity_json(object);
    }
    let d = &ev.view.details;
    let comments: String = ev
        .view
        .comments
        .iter()
        .filter(|c| !c.deleted && !c.hidden)
        .map(|c| {
            format!(
                "<li><strong>{}</strong>: {}</li>",
                escape(&c.author_name),
                rally_core::text::markdown_to_html(&c.body)
            )
        })
        .collect();
    page(
        &d.title,
        &format!(
            "<h1>{}</h1><p class=meta>{}</p>{}<p class=meta>{} going</p><h2>Comments</h2><ul>{comments}</ul>",
            escape(&d.title),
            escape(&vocab::event_summary(&ev.view)),
            rally_core::text::markdown_to_html(&d.description),
            ev.view.going_count(),
        ),
        &fedi.urls.event(&ev.id),
    )
}

async fn event_comments(State(fedi): State<Arc<Fedi>>, Path(hex): Path<String>) -> Response {
    let result = event_of(&fedi, &hex).and_then(|ev| {
        let mut items = Vec::new();
        for c in ev.view.comments.iter().filter(|c| !c.deleted && !c.hidden) {
            if !fedi.is_proxy(&c.author)? {
                items.push(vocab::comment_note(&fedi.urls, &ev.id, c));
            }
        }
        let total = items.len();
        Ok(vocab::collection(
            &format!("{}/comments", fedi.urls.event(&ev.id)),
            items,
            total,
        ))
    });
    match result {
        Ok(v) => activity_json(v),
        Err(e) => e.into_response(),
    }
}

async fn comment(
    State(fedi): State<Arc<Fedi>>,
    Path((hex, comment)): Path<(String, String)>,
) -> Response {
    let result = event_of(&fedi, &hex).and_then(|ev| {
        let c = ev.view.comment(&comment).ok_or(FediError::NotFound)?;
        if fedi.is_proxy(&c.author)? {
            return Err(FediError::NotFound);
        }
        let mut note = if c.deleted || c.hidden {
            json!({
                "id": fedi.urls.comment(&ev.id, &c.id),
                "type": "Tombstone",
                "formerType": "Note",
            })
        } else {
            vocab::comment_note(&fedi.urls, &ev.id, c)
        };
        note["@context"] = vocab::context();
        Ok(note)
    });
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
    let result = (|| {
        let mut name = None;
        for g in fedi.public_groups()? {
            for e in &g.view.events {
                if let Some(ev) = fedi.public_event(e)?
                    && let Some(c) = ev.view.comments.iter().find(|c| c.author == id)
                {
                    name = Some(c.author_name.clone());
                }
            }
        }
        if name.is_none() {
            name = super::copies::participant_name(&fedi, &id)?;
        }
        let name = name.ok_or(FediError::NotFound)?;
        if fedi.is_proxy(&id)? {
            return Err(FediError::NotFound);
        }
        let actor = fedi.urls.person(&id);
        Ok(vocab::person_actor(
            &fedi.urls,
            &id,
            &name,
            &fedi.public_pem(&actor)?,
        ))
    })();
    match result {
        Ok(v) => activity_json(v),
        Err(e) => e.into_response(),
    }
}
