//! What link previews and search engines read of the public pages: OpenGraph
//! and Twitter-card tags ([`preview`]), schema.org `Event` as JSON-LD on event
//! pages ([`event_json_ld`]), `/sitemap.xml` of every published group and event,
//! and `/robots.txt` — the default allows the pages and keeps crawlers off the
//! admin page and the device endpoints; the admin tightens it with
//! `--robots FILE`, served as it is.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use rally_core::{EventStatus, EventView};
use serde_json::{Value, json};

use super::vocab::Urls;
use super::{Fedi, FediError};
use crate::html::escape;

/// The longest description a preview carries, in characters.
const PREVIEW_CHARS: usize = 200;

/// Plain text of the start of a Markdown description, for previews.
pub fn excerpt(markdown: &str) -> String {
    let text: String = markdown
        .chars()
        .filter(|c| !matches!(c, '*' | '_' | '#' | '`' | '>' | '[' | ']'))
        .collect();
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if text.chars().count() <= PREVIEW_CHARS {
        return text;
    }
    let cut: String = text.chars().take(PREVIEW_CHARS - 1).collect();
    format!("{}…", cut.trim_end())
}

/// OpenGraph and Twitter-card tags for a page.
pub fn preview(
    title: &str,
    description: &str,
    url: &str,
    image: Option<(&str, &str)>,
    kind: &str,
) -> String {
    let mut head = format!(
        r#"<meta property="og:type" content="{}"><meta property="og:title" content="{}"><meta property="og:url" content="{}"><meta name="description" content="{d}"><meta property="og:description" content="{d}"><meta name="twitter:title" content="{}">"#,
        escape(kind),
        escape(title),
        escape(url),
        escape(title),
        d = escape(description),
    );
    match image {
        Some((src, alt)) => head.push_str(&format!(
            r#"<meta property="og:image" content="{}"><meta property="og:image:alt" content="{}"><meta name="twitter:card" content="summary_large_image">"#,
            escape(src),
            escape(alt)
        )),
        None => head.push_str(r#"<meta name="twitter:card" content="summary">"#),
    }
    head
}

/// An event as schema.org's `Event`, in a `<script type="application/ld+json">`
/// (its text cannot close the element: `<` is written `\u003c`).
pub fn event_json_ld(
    urls: &Urls,
    id: &rally_core::DocId,
    view: &EventView,
    organiser: Option<(&str, &str)>,
) -> String {
    let d = &view.details;
    let instant =
        |z: rally_core::jiff::ZonedDateTime| z.strftime("%Y-%m-%dT%H:%M:%S%:z").to_string();
    let mut v = json!({
        "@context": "https://schema.org",
        "@type": "Event",
        "name": d.title,
        "url": urls.event(id),
        "description": excerpt(&d.description),
        "startDate": instant(d.starts_at()),
        "eventStatus": if d.status == EventStatus::Cancelled {
            "https://schema.org/EventCancelled"
        } else {
            "https://schema.org/EventScheduled"
        },
    });
    if let Some(end) = d.ends_at() {
        v["endDate"] = json!(instant(end));
    }
    let physical = d.place.name.is_some() || d.place.address.is_some();
    let mut location: Vec<Value> = Vec::new();
    if physical {
        let mut place =
            json!({"@type": "Place", "name": d.place.name.clone().or(d.place.address.clone())});
        if let Some(a) = &d.place.address {
            place["address"] = json!({"@type": "PostalAddress", "streetAddress": a});
        }
        if let (Some(lat), Some(lon)) = (d.place.latitude, d.place.longitude) {
            place["geo"] = json!({"@type": "GeoCoordinates", "latitude": lat, "longitude": lon});
        }
        location.push(place);
    }
    if let Some(online) = &d.online_url {
        location.push(json!({"@type": "VirtualLocation", "url": online}));
    }
    v["eventAttendanceMode"] = json!(match (physical, d.online_url.is_some()) {
        (true, true) => "https://schema.org/MixedEventAttendanceMode",
        (false, true) => "https://schema.org/OnlineEventAttendanceMode",
        _ => "https://schema.org/OfflineEventAttendanceMode",
    });
    if !location.is_empty() {
        v["location"] = if location.len() == 1 {
            location.remove(0)
        } else {
            json!(location)
        };
    }
    if let Some(b) = &d.banner {
        v["image"] = json!([urls.media(&b.hash)]);
    }
    if let Some((name, url)) = organiser {
        v["organizer"] = json!({"@type": "Organization", "name": name, "url": url});
    }
    format!(
        r#"<script type="application/ld+json">{}</script>"#,
        v.to_string().replace('<', "\\u003c")
    )
}

/// The default `robots.txt`.
fn default_robots(base: &str) -> String {
    format!(
        "User-agent: *\nAllow: /\nDisallow: /admin\nDisallow: /geocode/\nDisallow: /tiles/\nDisallow: /inbox\n\nSitemap: {base}/sitemap.xml\n"
    )
}

pub async fn robots(State(fedi): State<Arc<Fedi>>) -> Response {
    let body = match &fedi.robots {
        Some(text) => text.clone(),
        None => default_robots(&fedi.urls.base),
    };
    ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], body).into_response()
}

pub async fn sitemap(State(fedi): State<Arc<Fedi>>, headers: HeaderMap) -> Response {
    let urls = fedi.urls.clone();
    let found = fedi
        .local(move |l| {
            let mut out = vec![format!("{}/", urls.base)];
            let mut seen = std::collections::HashSet::new();
            let mut published = l.published();
            for g in l.public_groups()? {
                out.push(urls.group(&g.id));
                for e in &g.view.events {
                    if seen.insert(*e) && published.event(e).is_some() {
                        out.push(urls.event(e));
                    }
                }
            }
            Ok::<_, FediError>(out)
        })
        .await;
    match found {
        Ok(pages) => {
            let body = format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n{}</urlset>\n",
                pages
                    .iter()
                    .map(|u| format!("<url><loc>{}</loc></url>\n", escape(u)))
                    .collect::<String>()
            );
            crate::html::cached(&headers, "application/xml; charset=utf-8", body, 300)
        }
        Err(e) => e.into_response(),
    }
}
