//! The instance's public event listing, server-rendered and working without
//! JavaScript: the home page `/` and `/events` (search by words, tag, date
//! range and distance from a town — the bundled gazetteer, no request
//! elsewhere — a page at a time) and `/tags/{tag}` (one tag's events, with its calendar at
//! `/tags/{tag}/events.ics` and Atom at `/tags/{tag}/feed.atom`), and a
//! group's upcoming events to embed in another site (`/groups/{id}/embed`, the
//! one page others may frame).
//!
//! Listed: this server's published events (public events of public groups) and
//! the read-only copies of events from instances and groups it follows,
//! labelled with where they come from. Nothing members-only or unlisted.

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use rally_core::jiff::Timestamp;
use rally_core::{DocId, EventView, Visibility};
use rally_service::discover::Near;
use rally_store::EventQuery;
use serde::Deserialize;

use super::feeds::alternates;
use super::page_cache::Page;
use super::vocab::Urls;
use super::{Fedi, FediError, Local, PublicEvent, when};
use crate::html::escape;
use crate::lang::{Lang, Reader, Words};

/// Events on a page of the listing.
const PAGE: usize = 50;
/// Upcoming events examined per request at most.
const SCAN: usize = 5000;
/// Events read from the index at a time.
const CHUNK: usize = 100;

/// An event the listing shows: one of this server's, or a copy.
#[derive(Debug, Clone)]
pub struct Listed {
    pub id: DocId,
    pub view: EventView,
    /// Where a copy comes from (its page elsewhere).
    pub origin: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct Search {
    #[serde(default)]
    pub q: String,
    #[serde(default)]
    pub tag: String,
    /// `YYYY-MM-DD`: events starting on or after this day (in their zone).
    #[serde(default)]
    pub from: String,
    /// `YYYY-MM-DD`: events starting on or before this day.
    #[serde(default)]
    pub to: String,
    /// A town's name: events within `km` of it.
    #[serde(default)]
    pub near: String,
    /// Kilometres around `near` (default 25, at most 500).
    #[serde(default)]
    pub km: String,
    #[serde(default)]
    pub page: usize,
}

/// The distance searched around a town when none is given, and the most.
const DEFAULT_KM: f64 = 25.0;
const MAX_KM: f64 = 500.0;

/// Where a search's `near` is: the town the gazetteer knows by that name.
#[derive(Debug, Clone)]
pub struct Area {
    pub near: Near,
    /// The town's name as the gazetteer writes it.
    pub town: String,
}

impl Search {
    /// The area to search in, if a town was asked for and is known (`None`
    /// inside when it was asked for and is not).
    pub fn area(&self) -> Option<Option<Area>> {
        let place = self.near.trim();
        if place.is_empty() {
            return None;
        }
        let km = self
            .km
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|k| k.is_finite() && *k > 0.0)
            .unwrap_or(DEFAULT_KM)
            .min(MAX_KM);
        let town = rally_gazetteer::Gazetteer::bundled()
            .ok()
            .and_then(|g| g.search(place, 1, None).into_iter().next().cloned());
        Some(town.map(|t| Area {
            near: Near {
                latitude: t.lat,
                longitude: t.lon,
                km,
            },
            town: t.name,
        }))
    }
}

impl Search {
    fn matches(&self, view: &EventView) -> bool {
        let d = &view.details;
        let day = d.starts.date().to_string();
        let tag = self.tag.trim().trim_start_matches('#').to_lowercase();
        (tag.is_empty() || d.tags.iter().any(|t| t.to_lowercase() == tag))
            && (self.from.is_empty() || day.as_str() >= self.from.as_str())
            && (self.to.is_empty() || day.as_str() <= self.to.as_str())
    }
}

/// Walks the events not ended by `now` in order of start (narrowed by the
/// index's full-text `text`, and to those within `area`), a chunk at a time, handing each listed one (this
/// server's published events, and public copies when `copies`) to `take` until
/// it says stop or `SCAN` events were looked at.
pub fn scan(
    l: &Local,
    now: Timestamp,
    text: Option<String>,
    area: Option<Near>,
    copies: bool,
    mut take: impl FnMut(Listed) -> bool,
) -> Result<(), FediError> {
    let mut query = EventQuery::upcoming(now);
    query.limit = CHUNK;
    query.text = text;
    // The index narrows to the rectangle around the circle; the distance decides.
    query.bbox = area.map(|a| a.bbox());
    let mut published = l.published()?;
    let mut looked = 0;
    // A series comes once, at its next occurrence (the store lists each one).
    let mut seen = std::collections::HashSet::new();
    loop {
        let chunk = l.store().events(&query)?;
        let Some(last) = chunk.last() else {
            return Ok(());
        };
        query.after = Some((last.starts, last.id));
        for s in &chunk {
            looked += 1;
            if s.visibility != Visibility::Public || !seen.insert(s.id) {
                continue;
            }
            let listed = match published.event(&s.id) {
                Some(PublicEvent { id, view, .. }) => Listed {
                    id,
                    view,
                    origin: None,
                },
                None if copies => match l.store().load(s.id).ok().and_then(|d| d.event().ok()) {
                    Some(view) if view.origin.is_some() => Listed {
                        id: s.id,
                        origin: view.origin.clone(),
                        view,
                    },
                    _ => continue,
                },
                None => continue,
            };
            let place = &listed.view.details.place;
            if let Some(a) = area {
                match (place.latitude, place.longitude) {
                    (Some(lat), Some(lon)) if a.distance_km(lat, lon) <= a.km => {}
                    _ => continue,
                }
            }
            if !take(listed) {
                return Ok(());
            }
        }
        if chunk.len() < CHUNK || looked >= SCAN {
            return Ok(());
        }
    }
}

/// Upcoming listed events matching `search`, in order of start; and whether
/// there are more after this page.
pub fn find(
    l: &Local,
    search: &Search,
    area: Option<Near>,
    now: Timestamp,
) -> Result<(Vec<Listed>, bool), FediError> {
    // The index narrows by words, and by the tag (tags are indexed text);
    // each event found is then checked whole.
    let words = format!(
        "{} {}",
        search.q.trim(),
        search.tag.trim().trim_start_matches('#')
    );
    let words = words.trim();
    let skip = search.page * PAGE;
    let mut out = Vec::new();
    let mut matched = 0;
    let mut more = false;
    scan(
        l,
        now,
        (!words.is_empty()).then(|| words.to_owned()),
        area,
        true,
        |mut e| {
            // A series shows at its next date.
            match super::series::at_next(e.view, now) {
                Some(next) => e.view = next,
                None => return true,
            }
            if !search.matches(&e.view) {
                return true;
            }
            matched += 1;
            if matched <= skip {
                return true;
            }
            if out.len() == PAGE {
                more = true;
                return false;
            }
            out.push(e);
            true
        },
    )?;
    Ok((out, more))
}

fn item(urls: &Urls, lang: Lang, e: &Listed) -> String {
    let (href, from) = match &e.origin {
        Some(origin) => (
            origin.clone(),
            format!(
                " <span class=meta>{}</span>",
                escape(&lang.ta(
                    "listing-from",
                    &[(
                        "host",
                        rally_core::publication::url_host(origin).to_owned().into()
                    )]
                ))
            ),
        ),
        None => (urls.event(&e.id), String::new()),
    };
    format!(
        "<li><a href=\"{}\">{}</a>{from}<br><span class=meta>{}</span></li>",
        escape(&href),
        escape(&e.view.details.title),
        when::summary(lang, &e.view),
    )
}

fn page_link(search: &Search, page: usize, base: &str, lang: Lang) -> String {
    let mut url = url::Url::parse(&format!("{base}/events")).expect("the server's URL");
    {
        let mut q = url.query_pairs_mut();
        for (k, v) in [
            ("q", &search.q),
            ("tag", &search.tag),
            ("from", &search.from),
            ("to", &search.to),
            ("near", &search.near),
            ("km", &search.km),
        ] {
            if !v.is_empty() {
                q.append_pair(k, v);
            }
        }
        q.append_pair("page", &page.to_string());
        q.append_pair("lang", lang.code());
    }
    url.to_string()
}

/// What a listing page shows.
struct Shown<'a> {
    title: &'a str,
    search: &'a Search,
    /// The town searched around: found (`Some(Some)`), unknown (`Some(None)`).
    area: Option<Option<Area>>,
    found: &'a [Listed],
    more: bool,
    /// Whether the page has the search form.
    form: bool,
}

fn listing_body(urls: &Urls, lang: Lang, s: Shown<'_>) -> String {
    let search = s.search;
    let items: String = s.found.iter().map(|e| item(urls, lang, e)).collect();
    let list = if items.is_empty() {
        format!("<p>{}</p>", escape(&lang.t("listing-none")))
    } else {
        format!("<ul class=events>{items}</ul>")
    };
    let area = match &s.area {
        Some(Some(a)) => format!(
            "<p class=meta>{}</p>",
            escape(&lang.ta(
                "search-near-showing",
                &[("km", a.near.km.into()), ("place", a.town.clone().into())]
            ))
        ),
        Some(None) => format!(
            "<p class=error role=status>{}</p>",
            escape(&lang.ta(
                "search-near-unknown",
                &[("place", search.near.trim().to_owned().into())]
            ))
        ),
        None => String::new(),
    };
    let field = |id: &str, label: &str, kind: &str, value: &str, extra: &str| {
        format!(
            "<span class=field><label for={id}>{}</label> <input id={id} name={id} type={kind} value=\"{}\"{extra}></span> ",
            escape(&lang.t(label)),
            escape(value)
        )
    };
    let form = if s.form {
        format!(
            "<form method=get action=\"/events\" role=search aria-label=\"{}\"><input type=hidden name=lang value={}>{}{}{}{}{}{}<button type=submit>{}</button></form>",
            escape(&lang.t("search-label")),
            lang.code(),
            field("q", "search-words", "search", &search.q, ""),
            field("tag", "search-tag", "text", &search.tag, ""),
            field("from", "search-from", "date", &search.from, ""),
            field("to", "search-to", "date", &search.to, ""),
            field(
                "near",
                "search-near",
                "text",
                &search.near,
                " autocomplete=address-level2"
            ),
            field(
                "km",
                "search-km",
                "number",
                &search.km,
                " min=1 max=500 step=1 inputmode=numeric"
            ),
            escape(&lang.t("search-submit")),
        )
    } else {
        String::new()
    };
    let mut pager = String::new();
    if search.page > 0 {
        pager.push_str(&format!(
            "<a rel=prev href=\"{}\">{}</a> ",
            escape(&page_link(search, search.page - 1, &urls.base, lang)),
            escape(&lang.t("pager-earlier"))
        ));
    }
    if s.more {
        pager.push_str(&format!(
            "<a rel=next href=\"{}\">{}</a>",
            escape(&page_link(search, search.page + 1, &urls.base, lang)),
            escape(&lang.t("pager-later"))
        ));
    }
    let pager = if pager.is_empty() {
        String::new()
    } else {
        format!(
            "<nav aria-label=\"{}\">{pager}</nav>",
            escape(&lang.t("pages-label"))
        )
    };
    format!(
        "<h1>{}</h1>{form}{area}{list}{pager}<p class=meta>{} <a href=\"{ics}\">{}</a> · <a href=\"{atom}\">{}</a></p>",
        escape(s.title),
        escape(&lang.t("subscribe")),
        escape(&lang.t("feed-calendar")),
        escape(&lang.t("feed-news")),
        ics = escape(&format!("{}/events.ics", urls.base)),
        atom = escape(&format!("{}/feed.atom", urls.base)),
    )
}

/// The home page: the instance's upcoming events, with the search form.
pub async fn home(State(fedi): State<Arc<Fedi>>, reader: Reader, headers: HeaderMap) -> Response {
    listing(fedi, reader, headers, Search::default()).await
}

pub async fn events(
    State(fedi): State<Arc<Fedi>>,
    reader: Reader,
    headers: HeaderMap,
    Query(search): Query<Search>,
) -> Response {
    listing(fedi, reader, headers, search).await
}

async fn listing(fedi: Arc<Fedi>, reader: Reader, headers: HeaderMap, search: Search) -> Response {
    let urls = fedi.urls.clone();
    let cache = fedi.clone();
    let lang = reader.lang;
    let title = lang.ta("listing-title", &[("host", urls.host().to_owned().into())]);
    let key = reader.key();
    let t = title.clone();
    let page = fedi
        .local(move |l| {
            cache.pages.page(l, key, || {
                let area = search.area();
                let near = area.clone().flatten().map(|a| a.near);
                let (found, more) = find(l, &search, near, Timestamp::now())?;
                Ok(Page {
                    body: listing_body(
                        &urls,
                        lang,
                        Shown {
                            title: &t,
                            search: &search,
                            area,
                            found: &found,
                            more,
                            form: true,
                        },
                    ),
                    ..Page::default()
                })
            })
        })
        .await;
    let body = match page {
        Ok(p) => p.body.clone(),
        Err(e) => return e.into_response(),
    };
    let head = alternates(
        &format!("{}/events.ics", fedi.urls.base),
        Some(&format!("{}/feed.atom", fedi.urls.base)),
    );
    Page { title, head, body }.respond(&fedi.urls, &reader, &headers, false)
}

pub async fn tag(
    State(fedi): State<Arc<Fedi>>,
    Path(tag): Path<String>,
    reader: Reader,
    headers: HeaderMap,
) -> Response {
    let urls = fedi.urls.clone();
    let t = tag.clone();
    let found = fedi
        .local(move |l| {
            let search = Search {
                tag: t,
                ..Search::default()
            };
            find(l, &search, None, Timestamp::now())
        })
        .await;
    let (found, more) = match found {
        Ok(f) => f,
        Err(e) => return e.into_response(),
    };
    let enc = url::form_urlencoded::byte_serialize(tag.as_bytes()).collect::<String>();
    let head = alternates(
        &format!("{}/tags/{enc}/events.ics", urls.base),
        Some(&format!("{}/tags/{enc}/feed.atom", urls.base)),
    );
    let search = Search {
        tag: tag.clone(),
        ..Search::default()
    };
    let title = format!("#{tag}");
    let body = listing_body(
        &urls,
        reader.lang,
        Shown {
            title: &title,
            search: &search,
            area: None,
            found: &found,
            more,
            form: false,
        },
    );
    Page { title, head, body }.respond(&fedi.urls, &reader, &headers, false)
}

/// A tag's published events (not copies) for its feeds.
fn tag_events(l: &Local, tag: &str) -> Result<Vec<PublicEvent>, FediError> {
    let search = Search {
        tag: tag.to_owned(),
        ..Search::default()
    };
    let text = Some(tag.trim_start_matches('#').to_owned()).filter(|t| !t.trim().is_empty());
    let mut out = Vec::new();
    scan(l, Timestamp::now(), text, None, false, |e| {
        if search.matches(&e.view) {
            out.push(PublicEvent {
                id: e.id,
                group: e.view.group.unwrap_or(e.id),
                view: e.view,
            });
        }
        out.len() < super::feeds::INSTANCE_EVENTS
    })?;
    Ok(out)
}

pub async fn tag_ics(
    State(fedi): State<Arc<Fedi>>,
    Path(tag): Path<String>,
    headers: HeaderMap,
) -> Response {
    super::feeds::serve(fedi, headers, super::feeds::ICS, move |l, urls| {
        super::feeds::ics(urls, &format!("#{tag}"), &tag_events(l, &tag)?)
    })
    .await
}

pub async fn tag_atom(
    State(fedi): State<Arc<Fedi>>,
    Path(tag): Path<String>,
    headers: HeaderMap,
) -> Response {
    super::feeds::serve(fedi, headers, super::feeds::ATOM, move |l, urls| {
        let events = tag_events(l, &tag)?;
        let enc = url::form_urlencoded::byte_serialize(tag.as_bytes()).collect::<String>();
        let page = format!("{}/tags/{enc}", urls.base);
        let feed = format!("{page}/feed.atom");
        Ok(super::feeds::atom(
            urls,
            &format!("#{tag}"),
            &feed,
            &page,
            &events,
        ))
    })
    .await
}

/// A group's upcoming events, to embed in an `<iframe>` on another site.
pub async fn embed(
    State(fedi): State<Arc<Fedi>>,
    Path(hex): Path<String>,
    reader: Reader,
) -> Response {
    let lang = reader.lang;
    let urls = fedi.urls.clone();
    let found = fedi
        .local(move |l| {
            let g = super::routes::group(l, &hex)?;
            let at = Timestamp::now();
            let now = at.as_second();
            let mut published = l.published()?;
            let mut events: Vec<PublicEvent> = g
                .view
                .events
                .iter()
                .filter_map(|e| published.event(e))
                // A series shows at its next date.
                .filter_map(|mut e| {
                    e.view = super::series::at_next(e.view, at)?;
                    Some(e)
                })
                .filter(|e| {
                    let d = &e.view.details;
                    d.ends_at()
                        .unwrap_or_else(|| d.starts_at())
                        .timestamp()
                        .as_second()
                        >= now
                })
                .collect();
            events.sort_by_key(|e| e.view.details.starts_at().timestamp());
            Ok((g.view.profile.name, events))
        })
        .await;
    let (name, events) = match found {
        Ok(f) => f,
        Err(e) => return e.into_response(),
    };
    let items: String = events
        .iter()
        .map(|e| {
            format!(
                "<li><a href=\"{}\" target=_blank rel=noopener>{}</a><br><span class=meta>{}</span></li>",
                escape(&urls.event(&e.id)),
                escape(&e.view.details.title),
                when::summary(lang, &e.view)
            )
        })
        .collect();
    let body = if items.is_empty() {
        format!(
            "<p>{}</p>",
            escape(&lang.ta("group-embed-none", &[("name", name.clone().into())]))
        )
    } else {
        format!("<h1>{}</h1><ul class=events>{items}</ul>", escape(&name))
    };
    let mut r = crate::html::page_in(lang, &name, "", &body).into_response();
    r.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; base-uri 'none'; frame-ancestors *"),
    );
    r
}
