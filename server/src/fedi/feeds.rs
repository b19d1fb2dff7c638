//! Calendar and news feeds of what this server publishes (public events of its
//! public groups; nothing members-only or unlisted is ever listed):
//!
//! - iCalendar (`rally-ical`: each event in its own zone, with its
//!   `VTIMEZONE`): one event at `/events/{id}/event.ics`, a group's at
//!   `/groups/{id}/events.ics`, the whole instance's at `/events.ics`;
//! - Atom (`atom_syndication`): a group's at `/groups/{id}/feed.atom`, the
//!   instance's at `/feed.atom`; a series' entry is summed up at its next date.
//!
//! The pages that have a feed announce it in their `<head>` ([`alternates`]).
//! Every answer carries an `ETag` (a hash of its bytes) and a short cache
//! lifetime, and a conditional request for the same bytes gets `304`.

use std::sync::Arc;

use atom_syndication::{ContentBuilder, EntryBuilder, FeedBuilder, LinkBuilder, Text};
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use rally_core::jiff::Timestamp;
use rally_ical::CalEvent;

use super::routes::{event_of, group};
use super::vocab::{self, Urls};
use super::{Fedi, FediError, Local, PublicEvent};
use crate::html::escape;

/// How long a reader may keep a feed before asking again.
const MAX_AGE: u32 = 300;
/// Events of the instance's feeds at most.
pub(super) const INSTANCE_EVENTS: usize = 1000;
/// Past events stay in the feeds this long after they end.
const RECENT_SECS: i64 = 30 * 24 * 3600;

/// The `<link rel="alternate">` lines for a page whose feeds are at `base`
/// (`…/events/ID/event` gives `event.ics`; a group or the instance also have
/// Atom).
pub fn alternates(ics: &str, atom: Option<&str>) -> String {
    let mut head = format!(
        r#"<link rel="alternate" type="text/calendar" title="iCalendar" href="{}">"#,
        escape(ics)
    );
    if let Some(atom) = atom {
        head.push_str(&format!(
            r#"<link rel="alternate" type="application/atom+xml" title="Atom" href="{}">"#,
            escape(atom)
        ));
    }
    head
}

/// When an event ends; a series, when its last occurrence does (its rule runs
/// on in a calendar: one that has not ended stays listed).
fn ends(e: &PublicEvent) -> i64 {
    let d = &e.view.details;
    if d.repeat.is_some() {
        let now = Timestamp::now();
        let later = d.occurrences(&e.view.exceptions, now, Timestamp::MAX, 1);
        return later.first().map_or(i64::MIN, |o| {
            rally_core::recurrence::current_at(o).as_second()
        });
    }
    d.ends_at()
        .unwrap_or_else(|| d.starts_at())
        .timestamp()
        .as_second()
}

/// The events a feed lists: in order of start, none that ended long ago.
fn listed(mut events: Vec<PublicEvent>, now: Timestamp) -> Vec<PublicEvent> {
    events.retain(|e| ends(e) >= now.as_second() - RECENT_SECS);
    events.sort_by_key(|e| (e.view.details.starts_at().timestamp(), e.id));
    events.truncate(INSTANCE_EVENTS);
    events
}

/// The published events not ended a month ago, in order of start (the
/// store's index, each checked whole), at most [`INSTANCE_EVENTS`].
fn instance_events(l: &Local) -> Result<Vec<PublicEvent>, FediError> {
    let since = Timestamp::from_second(Timestamp::now().as_second() - RECENT_SECS)
        .unwrap_or_else(|_| Timestamp::now());
    let mut out = Vec::new();
    super::listing::scan(l, since, None, None, false, |e| {
        if let Some(group) = e.view.group {
            out.push(PublicEvent {
                id: e.id,
                view: e.view,
                group,
            });
        }
        out.len() < INSTANCE_EVENTS
    })?;
    Ok(out)
}

/// A group's name and published events.
fn group_events(l: &Local, hex: &str) -> Result<(String, String, Vec<PublicEvent>), FediError> {
    let g = group(l, hex)?;
    let mut published = l.published()?;
    let events = g
        .view
        .events
        .iter()
        .filter_map(|e| published.event(e))
        .collect();
    Ok((g.id.to_hex(), g.view.profile.name, events))
}

pub(super) fn ics(urls: &Urls, name: &str, events: &[PublicEvent]) -> Result<String, FediError> {
    ics_linked(name, events, |e| urls.event(&e.id))
}

/// [`ics`] with each event's link given by `link`.
pub(super) fn ics_linked(
    name: &str,
    events: &[PublicEvent],
    link: impl Fn(&PublicEvent) -> String,
) -> Result<String, FediError> {
    let cal: Vec<CalEvent> = events
        .iter()
        .map(|e| CalEvent::of(&e.id, &e.view, Some(link(e))))
        .collect();
    rally_ical::calendar(name, &cal, Timestamp::now())
        .map_err(|e| FediError::Refused(e.to_string()))
}

pub(super) fn atom(
    urls: &Urls,
    title: &str,
    self_url: &str,
    page: &str,
    events: &[PublicEvent],
) -> String {
    atom_linked(title, self_url, page, events, |e| urls.event(&e.id))
}

/// [`atom`] with each event's link given by `link`.
pub(super) fn atom_linked(
    title: &str,
    self_url: &str,
    page: &str,
    events: &[PublicEvent],
    link: impl Fn(&PublicEvent) -> String,
) -> String {
    let time = |secs: i64| {
        chrono::DateTime::from_timestamp(secs, 0)
            .unwrap_or_default()
            .fixed_offset()
    };
    let now = Timestamp::now();
    let entries: Vec<_> = events
        .iter()
        .map(|e| {
            let d = &e.view.details;
            // A series' summary says when its next date is.
            let next = super::series::at_next(e.view.clone(), now);
            let url = link(e);
            EntryBuilder::default()
                .id(url.clone())
                .title(Text::plain(d.title.clone()))
                .updated(time(e.view.created_at))
                .published(Some(time(e.view.created_at)))
                .links(vec![
                    LinkBuilder::default().href(url).rel("alternate").build(),
                ])
                .summary(Some(Text::plain(vocab::event_summary(
                    next.as_ref().unwrap_or(&e.view),
                ))))
                .content(Some(
                    ContentBuilder::default()
                        .content_type(Some("html".to_owned()))
                        .value(Some(rally_core::text::markdown_to_html(&d.description)))
                        .build(),
                ))
                .build()
        })
        .collect();
    let updated = events.iter().map(|e| e.view.created_at).max().unwrap_or(0);
    FeedBuilder::default()
        .id(self_url.to_owned())
        .title(Text::plain(title.to_owned()))
        .updated(time(updated))
        .links(vec![
            LinkBuilder::default()
                .href(self_url.to_owned())
                .rel("self")
                .build(),
            LinkBuilder::default()
                .href(page.to_owned())
                .rel("alternate")
                .build(),
        ])
        .entries(entries)
        .build()
        .to_string()
}

pub(super) const ICS: &str = "text/calendar; charset=utf-8";
pub(super) const ATOM: &str = "application/atom+xml; charset=utf-8";

/// Runs `make` on the federation's thread and answers its text as `kind`.
pub(super) async fn serve(
    fedi: Arc<Fedi>,
    headers: HeaderMap,
    kind: &'static str,
    make: impl FnOnce(&Local, &Urls) -> Result<String, FediError> + Send + 'static,
) -> Response {
    let urls = fedi.urls.clone();
    match fedi.local(move |l| make(l, &urls)).await {
        Ok(body) => crate::html::cached(&headers, kind, body, MAX_AGE),
        Err(e) => e.into_response(),
    }
}

pub async fn event_ics(
    State(fedi): State<Arc<Fedi>>,
    Path(hex): Path<String>,
    headers: HeaderMap,
) -> Response {
    serve(fedi, headers, ICS, move |l, urls| {
        let e = event_of(l, &hex)?;
        ics(urls, &e.view.details.title.clone(), &[e])
    })
    .await
}

pub async fn group_ics(
    State(fedi): State<Arc<Fedi>>,
    Path(hex): Path<String>,
    headers: HeaderMap,
) -> Response {
    serve(fedi, headers, ICS, move |l, urls| {
        let (_, name, events) = group_events(l, &hex)?;
        ics(urls, &name, &listed(events, Timestamp::now()))
    })
    .await
}

pub async fn instance_ics(State(fedi): State<Arc<Fedi>>, headers: HeaderMap) -> Response {
    serve(fedi, headers, ICS, |l, urls| {
        let events = listed(instance_events(l)?, Timestamp::now());
        ics(urls, urls.host(), &events)
    })
    .await
}

pub async fn group_atom(
    State(fedi): State<Arc<Fedi>>,
    Path(hex): Path<String>,
    headers: HeaderMap,
) -> Response {
    serve(fedi, headers, ATOM, move |l, urls| {
        let (id, name, events) = group_events(l, &hex)?;
        let page = format!("{}/groups/{id}", urls.base);
        let events = listed(events, Timestamp::now());
        Ok(atom(
            urls,
            &name,
            &format!("{page}/feed.atom"),
            &page,
            &events,
        ))
    })
    .await
}

pub async fn instance_atom(State(fedi): State<Arc<Fedi>>, headers: HeaderMap) -> Response {
    serve(fedi, headers, ATOM, |l, urls| {
        let events = listed(instance_events(l)?, Timestamp::now());
        let (feed, page) = (
            format!("{}/feed.atom", urls.base),
            format!("{}/", urls.base),
        );
        Ok(atom(urls, urls.host(), &feed, &page, &events))
    })
    .await
}
