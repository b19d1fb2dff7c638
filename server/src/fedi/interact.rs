//! Remote interaction: someone with an account elsewhere on the Fediverse
//! joins an event or follows a group from their own server. The page's form
//! posts their address (`@name@server`) and the page's object to
//! `POST /interact`; this server asks theirs through WebFinger for its
//! interaction template (the `http://ostatus.org/schema/1.0/subscribe` link,
//! which Mastodon and Mobilizon serve) and sends the browser there with the
//! object's URL filled in, where they are signed in and can join or follow.
//!
//! The lookup goes through the [`super::fetch::Fetcher`] (https only, never a
//! private address, blocked domains refused) and counts against the host's
//! fetch allowance ([`super::budget`]), since anyone can post the form; the
//! browser is only ever sent to an https address (http on loopback in tests).

use std::sync::Arc;

use axum::Form;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::Value;

use super::{Fedi, FediError};
use crate::html::escape;
use crate::lang::{Lang, Reader, Words};

/// WebFinger's link relation for the interaction template.
pub const SUBSCRIBE_REL: &str = "http://ostatus.org/schema/1.0/subscribe";

/// The form under an event or group: the reader's address, the object's URL.
pub fn form(lang: Lang, object: &str) -> String {
    format!(
        r#"<form method=post action="/interact"><input type=hidden name=uri value="{}"><label for=handle>{}</label> <input id=handle name=handle required autocomplete=username inputmode=email> <button type=submit>{}</button></form>"#,
        escape(object),
        escape(&lang.t("interact-handle")),
        escape(&lang.t("interact-submit")),
    )
}

#[derive(Debug, Deserialize)]
pub struct Asked {
    uri: String,
    handle: String,
}

/// `name@host` from what a person typed (`@name@host`, `name@host`,
/// `acct:name@host`), if it is one.
pub fn parse_handle(text: &str) -> Option<(String, String)> {
    let t = text.trim();
    let t = t.strip_prefix("acct:").unwrap_or(t).trim_start_matches('@');
    let (name, host) = t.split_once('@')?;
    let name_ok = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '_' | '.' | '-'));
    let host_ok = !host.is_empty()
        && host.len() <= 253
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':'));
    (name_ok && host_ok).then(|| (name.to_owned(), host.to_ascii_lowercase()))
}

/// Where a WebFinger answer (JRD) says to interact with `object`: its
/// subscribe template with the object's URL, percent-encoded, in place.
pub fn interaction_url(jrd: &Value, object: &str) -> Option<String> {
    let template = jrd["links"]
        .as_array()?
        .iter()
        .find(|l| l["rel"] == SUBSCRIBE_REL)?["template"]
        .as_str()?;
    if !template.contains("{uri}") {
        return None;
    }
    let encoded: String = url::form_urlencoded::byte_serialize(object.as_bytes()).collect();
    Some(template.replacen("{uri}", &encoded, 1))
}

fn failed(fedi: &Fedi, reader: &Reader, headers: &HeaderMap, object: &str, why: &str) -> Response {
    let lang = reader.lang;
    let back = if object.starts_with(&format!("{}/", fedi.urls.base)) {
        format!(
            "<p><a href=\"{}\">{}</a></p>",
            escape(object),
            escape(&lang.t("interact-back"))
        )
    } else {
        String::new()
    };
    let body = format!(
        "<h1>{}</h1><p class=error role=alert>{}</p>{}{back}",
        escape(&lang.t("interact-title")),
        escape(why),
        form(lang, object),
    );
    let mut r = super::page_cache::Page {
        title: lang.t("interact-title"),
        head: String::new(),
        body,
    }
    .respond(&fedi.urls, reader, headers, true);
    *r.status_mut() = StatusCode::BAD_REQUEST;
    r
}

pub async fn interact(
    State(fedi): State<Arc<Fedi>>,
    reader: Reader,
    headers: HeaderMap,
    Form(asked): Form<Asked>,
) -> Response {
    let lang = reader.lang;
    // Only this server's events and groups.
    let ours = ["/events/", "/groups/"]
        .iter()
        .any(|p| asked.uri.starts_with(&format!("{}{p}", fedi.urls.base)))
        && !asked.uri.contains(['?', '#', ' ']);
    if !ours {
        return FediError::NotFound.into_response();
    }
    let Some((name, host)) = parse_handle(&asked.handle) else {
        let why = lang.ta(
            "interact-bad-handle",
            &[("handle", asked.handle.clone().into())],
        );
        return failed(&fedi, &reader, &headers, &asked.uri, &why);
    };
    let base = super::instances::base_of(&fedi, &host);
    let lookup = format!("{base}/.well-known/webfinger?resource=acct:{name}@{host}");
    if let Err(e) = fedi.may_fetch(&lookup) {
        return e.into_response();
    }
    let not_found = || lang.ta("interact-not-found", &[("host", host.clone().into())]);
    let target = match fedi.fetcher.get_plain_json(&lookup).await {
        Ok(jrd) => interaction_url(&jrd, &asked.uri),
        Err(super::fetch::FetchError::Blocked(_)) => None,
        Err(e) => {
            tracing::warn!(error = %e, "remote interaction failed");
            None
        }
    };
    // The browser goes only to a public https address.
    match target.filter(|t| fedi.fetcher.check(t).is_ok()) {
        Some(t) => (
            StatusCode::SEE_OTHER,
            [
                (header::LOCATION, t),
                (header::CACHE_CONTROL, "no-store".to_owned()),
            ],
        )
            .into_response(),
        None => failed(&fedi, &reader, &headers, &asked.uri, &not_found()),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn addresses_are_read_as_people_write_them() {
        for text in [
            "@ana@social.example",
            "ana@social.example",
            " acct:ana@Social.Example ",
        ] {
            assert_eq!(
                parse_handle(text),
                Some(("ana".into(), "social.example".into())),
                "{text}"
            );
        }
        for bad in [
            "ana",
            "@ana",
            "ana@",
            "@ana@host/path",
            "a b@host",
            "ana@host@x",
            "ana@[::1]",
        ] {
            assert_eq!(parse_handle(bad), None, "{bad}");
        }
    }

    #[test]
    fn the_template_gets_the_object_url_encoded() {
        let jrd: Value = serde_json::from_str(include_str!(
            "../../tests/fixtures/activitypub/mastodon-webfinger.json"
        ))
        .unwrap();
        assert_eq!(
            interaction_url(&jrd, "https://rally.example/events/ab?x=1&y=2").as_deref(),
            Some(
                "https://social.tcit.fr/authorize_interaction?uri=https%3A%2F%2Frally.example%2Fevents%2Fab%3Fx%3D1%26y%3D2"
            )
        );
        let without =
            json!({"links": [{"rel": SUBSCRIBE_REL, "template": "https://x.example/go"}]});
        assert_eq!(
            interaction_url(&without, "https://rally.example/events/ab"),
            None
        );
        assert_eq!(interaction_url(&json!({"links": []}), "u"), None);
    }
}
