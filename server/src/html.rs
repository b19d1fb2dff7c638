//! The server's HTML pages share this: escaping, the page around a body, and
//! for the public pages (in the reader's language, see [`crate::lang`]) the
//! header, the language switch, the security and cache headers, and answers
//! to conditional requests ([`cached`]).

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use sha2::{Digest, Sha256};

use crate::lang::{Lang, Reader, Words};

pub fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// A whole page: `head` is extra markup for the head (already escaped), `body` the
/// page's content (already escaped).
pub fn page(title: &str, head: &str, body: &str) -> Html<String> {
    page_in(Lang::En, title, head, body)
}

/// [`page`] in `lang` (the `<html lang>`).
pub fn page_in(lang: Lang, title: &str, head: &str, body: &str) -> Html<String> {
    Html(format!(
        r#"<!doctype html>
<html lang="{lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>{head}
<style>{STYLE}</style>
</head><body>{body}</body></html>"#,
        title = escape(title),
        lang = lang.code(),
    ))
}

/// The public pages' Content-Security-Policy: their own pictures, their inline
/// style, no script (JSON-LD is data, not run), forms only to this server, no
/// framing by others.
pub const PAGE_CSP: &str = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// The same for a page with a remote-interaction form: the reader's own
/// Fediverse server (https) is where the form's answer sends them.
pub const INTERACT_CSP: &str = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'self' https:; frame-ancestors 'none'";

/// [`INTERACT_CSP`] for a server on a local http URL (tests, development):
/// the reader's server may be on loopback too.
const INTERACT_CSP_LOCAL: &str = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'self' https: http://127.0.0.1:* http://localhost:*; frame-ancestors 'none'";

/// The policy for a page with a remote-interaction form on a server at `base`.
pub fn interact_csp(base: &str) -> &'static str {
    if base.starts_with("http://") {
        INTERACT_CSP_LOCAL
    } else {
        INTERACT_CSP
    }
}

/// How long a reader may keep a public page before asking again.
const PAGE_MAX_AGE: u32 = 60;

/// A public page's parts.
#[derive(Debug, Default)]
pub struct Public<'a> {
    /// The instance's host, the header's first link.
    pub host: &'a str,
    /// Whether the instance has public event listings (it federates).
    pub listings: bool,
    pub title: &'a str,
    /// Extra `<head>` markup (already escaped).
    pub head: &'a str,
    /// The content (already escaped).
    pub body: &'a str,
    /// Another Content-Security-Policy than [`PAGE_CSP`].
    pub csp: Option<&'static str>,
}

/// A public page for `reader`: the header (home, events, about), the content,
/// the language switch; with its CSP, `Content-Language`, `Vary`, an ETag
/// (`304` when the reader has these bytes) and, when the reader just chose a
/// language, the cookie that remembers it.
pub fn public(reader: &Reader, headers: &HeaderMap, p: Public<'_>) -> Response {
    let lang = reader.lang;
    let mut nav = format!("<a href=\"/\">{}</a>", escape(p.host));
    if p.listings {
        nav.push_str(&format!(
            " · <a href=\"/events\">{}</a>",
            escape(&lang.t("nav-events"))
        ));
    }
    nav.push_str(&format!(
        " · <a href=\"/about\">{}</a>",
        escape(&lang.t("nav-about"))
    ));
    let switch: Vec<String> = Lang::ALL
        .iter()
        .map(|l| {
            let name = match l {
                Lang::En => "English",
                Lang::Fr => "Français",
            };
            if *l == lang {
                format!("<strong lang={code}>{name}</strong>", code = l.code())
            } else {
                format!(
                    "<a href=\"{}\" lang={code} hreflang={code}>{name}</a>",
                    escape(&reader.switch_to(*l)),
                    code = l.code()
                )
            }
        })
        .collect();
    let body = format!(
        "<header><nav aria-label=\"{}\" class=meta>{nav}</nav></header><main>{}</main><footer><nav aria-label=\"{}\" class=meta>{}</nav></footer>",
        escape(&lang.t("nav-label")),
        p.body,
        escape(&lang.t("language-label")),
        switch.join(" · "),
    );
    let html = page_in(lang, p.title, p.head, &body).0;
    let mut response = cached(headers, "text/html; charset=utf-8", html, PAGE_MAX_AGE);
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(p.csp.unwrap_or(PAGE_CSP)),
    );
    h.insert(
        header::CONTENT_LANGUAGE,
        HeaderValue::from_static(lang.code()),
    );
    h.insert(
        header::VARY,
        HeaderValue::from_static("Accept-Language, Cookie"),
    );
    if reader.chose {
        // A choice is the reader's own: not for shared caches.
        h.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static("private, max-age=0"),
        );
        if let Ok(v) = HeaderValue::from_str(&format!(
            "{}={}; Path=/; Max-Age=31536000; SameSite=Lax",
            crate::lang::COOKIE,
            lang.code()
        )) {
            h.insert(header::SET_COOKIE, v);
        }
    }
    response
}

/// The value of the cookie `name` the request carries.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
}

/// A body with its type, an ETag (a hash of its bytes) and a cache lifetime;
/// `304` when the reader already has these bytes.
pub fn cached(
    headers: &HeaderMap,
    content_type: &'static str,
    body: String,
    max_age: u32,
) -> Response {
    let tag = format!(
        "\"{}\"",
        hex::encode(&Sha256::digest(body.as_bytes())[..16])
    );
    let fresh = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == tag || t.trim() == "*"));
    let cache = format!("public, max-age={max_age}");
    if fresh {
        return (
            StatusCode::NOT_MODIFIED,
            [(header::ETAG, tag), (header::CACHE_CONTROL, cache)],
        )
            .into_response();
    }
    (
        [
            (header::CONTENT_TYPE, content_type.to_owned()),
            (header::ETAG, tag),
            (header::CACHE_CONTROL, cache),
        ],
        body,
    )
        .into_response()
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;max-width:48rem;margin:2rem auto;padding:0 1rem;line-height:1.5;color:#1d2a33;overflow-wrap:anywhere}img{max-width:100%;height:auto}\
code{word-break:break-all;background:#eef2f4;padding:0 .2em}.meta{color:#4a5a66}\
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.3rem .5rem;border-bottom:1px solid #d5dde2;vertical-align:top}\
form.inline{display:inline}button{font:inherit;padding:.2rem .7rem}input,select{font:inherit;padding:.2rem}\
header,footer{margin:1rem 0}textarea{width:100%;box-sizing:border-box}input{max-width:100%;box-sizing:border-box}.error{color:#a4161a}.notice{color:#1b5e20}@media(prefers-color-scheme:dark){body{background:#11181d;color:#e3e9ed}code{background:#24313a}.meta{color:#9fb0bc}}";
