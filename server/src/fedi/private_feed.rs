//! Each persona's private calendar feed: the events it joined or follows
//! (going, interested, waiting for a place, or organising) that this server
//! holds, public or unlisted, as iCalendar at `/feeds/private/{token}/events.ics`
//! and Atom at `…/feed.atom`. Members-only events are sealed for their members
//! and never here.
//!
//! The persona asks for its URL with a request it signs
//! ([`rally_core::private_feed`], `POST /feeds/private`); it must be
//! registered here. The token is an HMAC of the persona and its generation
//! under a secret only this server has, so asking again gives the same URL;
//! a reset moves to the next generation and the old token stops working. Only
//! the token's hash is kept. A wrong or old token is answered 404, like any
//! unknown URL.

use std::collections::HashMap;
use std::sync::Arc;

use aws_lc_rs::hmac;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use rally_core::jiff::Timestamp;
use rally_core::private_feed::{FeedAction, FeedRequest, FeedUrls};
use rally_core::{DocId, PersonaId, Visibility};
use rally_store::EventQuery;
use sha2::{Digest, Sha256};

use super::vocab::Urls;
use super::{Fedi, FediError, Local, PublicEvent};
use crate::registry::Registry as _;

/// Events in a private feed at most.
const MAX_EVENTS: usize = 1000;
/// Past events stay in the feed this long after they end.
const RECENT_SECS: i64 = 30 * 24 * 3600;

fn token(secret: &[u8], persona: &PersonaId, generation: i64) -> String {
    let key = hmac::Key::new(hmac::HMAC_SHA256, secret);
    let mut data = b"rally/private-feed-token\0".to_vec();
    data.extend_from_slice(&persona.0);
    data.extend_from_slice(&generation.to_be_bytes());
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(hmac::sign(&key, &data).as_ref())
}

fn token_hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

/// The persona's feed URLs, moving to a new token first when `reset`.
pub fn urls_for(
    l: &Local,
    base: &str,
    persona: &PersonaId,
    reset: bool,
    now: i64,
) -> Result<FeedUrls, FediError> {
    let hex = persona.to_hex();
    let mut generation = l.db.feed_generation(&hex)?;
    if reset {
        generation += 1;
    }
    let t = token(&l.db.feed_secret()?, persona, generation);
    l.db.set_feed_token(&hex, generation, &token_hash(&t), now)?;
    Ok(FeedUrls {
        ics: format!("{base}/feeds/private/{t}/events.ics"),
        atom: format!("{base}/feeds/private/{t}/feed.atom"),
    })
}

/// `POST /feeds/private`: a persona's signed request for its feed's URLs.
pub async fn ask(State(fedi): State<Arc<Fedi>>, Json(request): Json<FeedRequest>) -> Response {
    let now = Timestamp::now().as_second();
    let persona = match request.verify(fedi.urls.host(), now) {
        Ok(p) => p,
        Err(e) => return (StatusCode::FORBIDDEN, format!("{e}\n")).into_response(),
    };
    let base = fedi.urls.base.clone();
    let reset = request.action == FeedAction::Reset;
    let answer = fedi
        .local(move |l| {
            if !l.registry.is_registered(&persona).unwrap_or(false) {
                return Err(FediError::Refused(
                    "this persona is not registered here: sync with this server first".into(),
                ));
            }
            urls_for(l, &base, &persona, reset, now)
        })
        .await;
    match answer {
        Ok(urls) => {
            let mut r = Json(urls).into_response();
            r.headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            r
        }
        Err(FediError::Refused(why)) => (StatusCode::FORBIDDEN, format!("{why}\n")).into_response(),
        Err(e) => e.into_response(),
    }
}

/// The events the persona whose token this is joined or follows; `None` for
/// a token that is nobody's (any more).
fn events_of(
    l: &Local,
    urls: &Urls,
    token: &str,
) -> Result<Option<Vec<(PublicEvent, String)>>, FediError> {
    // A token is 43 characters of base64url; anything else is nobody's.
    if token.len() != 43
        || !token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Ok(None);
    }
    let Some(persona) = l.db.feed_persona(&token_hash(token))? else {
        return Ok(None);
    };
    let persona: PersonaId = persona.parse().map_err(|_| FediError::NotFound)?;
    let since = Timestamp::from_second(Timestamp::now().as_second() - RECENT_SECS)
        .unwrap_or_else(|_| Timestamp::now());
    let mut query = EventQuery::upcoming(since);
    query.involving = vec![persona];
    query.limit = MAX_EVENTS;
    let mut published = l.published()?;
    let mut out = Vec::new();
    for s in l.store().events(&query)? {
        if s.visibility == Visibility::MembersOnly {
            continue;
        }
        let Some(view) = l.store().load(s.id).ok().and_then(|d| d.event().ok()) else {
            continue;
        };
        // Its public page, the page of the copy's origin, or the app.
        let link = if published.event(&s.id).is_some() {
            urls.event(&s.id)
        } else if let Some(origin) = &view.origin {
            origin.clone()
        } else {
            format!("rally://event/{}", s.id.to_hex())
        };
        out.push((
            PublicEvent {
                id: s.id,
                group: view.group.unwrap_or(s.id),
                view,
            },
            link,
        ));
    }
    Ok(Some(out))
}

async fn serve_feed(
    fedi: Arc<Fedi>,
    token: String,
    headers: HeaderMap,
    kind: &'static str,
    make: impl FnOnce(&[(PublicEvent, String)], &str) -> Result<String, FediError> + Send + 'static,
) -> Response {
    let urls = fedi.urls.clone();
    let made = fedi
        .local(move |l| {
            let Some(events) = events_of(l, &urls, &token)? else {
                return Ok(None);
            };
            make(&events, &format!("{}/feeds/private/{token}", urls.base)).map(Some)
        })
        .await;
    match made {
        Ok(Some(body)) => {
            let mut r = crate::html::cached(&headers, kind, body, 300);
            // The reader's own: not for shared caches or search engines.
            r.headers_mut().insert(
                header::CACHE_CONTROL,
                HeaderValue::from_static("private, max-age=300"),
            );
            r.headers_mut()
                .insert("x-robots-tag", HeaderValue::from_static("noindex"));
            r
        }
        Ok(None) => FediError::NotFound.into_response(),
        Err(e) => e.into_response(),
    }
}

/// `GET /feeds/private/{token}/events.ics`.
pub async fn ics(
    State(fedi): State<Arc<Fedi>>,
    Path(token): Path<String>,
    headers: HeaderMap,
) -> Response {
    serve_feed(fedi, token, headers, super::feeds::ICS, |events, _| {
        let (list, links) = linked(events);
        super::feeds::ics_linked("Rally", &list, |e| links[&e.id].clone())
    })
    .await
}

/// `GET /feeds/private/{token}/feed.atom`.
pub async fn atom(
    State(fedi): State<Arc<Fedi>>,
    Path(token): Path<String>,
    headers: HeaderMap,
) -> Response {
    serve_feed(fedi, token, headers, super::feeds::ATOM, |events, base| {
        let (list, links) = linked(events);
        Ok(super::feeds::atom_linked(
            "Rally",
            &format!("{base}/feed.atom"),
            &format!("{base}/events.ics"),
            &list,
            |e| links[&e.id].clone(),
        ))
    })
    .await
}

/// The events and a way to find each one's link.
fn linked(events: &[(PublicEvent, String)]) -> (Vec<PublicEvent>, HashMap<DocId, String>) {
    let links = events.iter().map(|(e, l)| (e.id, l.clone())).collect();
    (events.iter().map(|(e, _)| e.clone()).collect(), links)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_the_same_until_reset_and_differ_per_persona_and_server() {
        let (a, b) = (PersonaId([1; 32]), PersonaId([2; 32]));
        let secret = [9u8; 32];
        let t = token(&secret, &a, 0);
        assert_eq!(t.len(), 43);
        assert_eq!(t, token(&secret, &a, 0));
        assert_ne!(t, token(&secret, &a, 1));
        assert_ne!(t, token(&secret, &b, 0));
        assert_ne!(t, token(&[8u8; 32], &a, 0));
    }
}
