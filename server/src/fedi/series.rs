//! A series on the Fediverse. Mobilizon, Mastodon and Gancio know no
//! recurrence rule, so a series' next occurrences ([`PUBLISHED_OCCURRENCES`] of
//! them, from now) are published as Events of their own, at
//! `{event}/occurrences/{YYYYMMDDTHHMMSS}` (the occurrence's name, its local
//! start as the rule made it), each with the occurrence's title, times, place
//! and status and linking to the series' page (`url`). The series' own object
//! stays what `GET {event}` serves (comments and joins address it) but is not
//! announced itself. The window rolls: the publisher goes over every series
//! again each hour ([`ROLL_EVERY`]), so a new date is announced as the oldest
//! ends; an occurrence that ended stays as it was; one the rule no longer has
//! (the rule changed) is deleted; an exception (moved, cancelled) is an Update.

use std::time::Duration;

use rally_core::jiff::Timestamp;
use rally_core::jiff::civil::DateTime;
use rally_core::model::EventView;
use rally_core::{DocId, Occurrence};
use serde_json::{Value, json};

use super::{Fedi, FediError, Urls, vocab};

/// How many of a series' next occurrences are published.
pub const PUBLISHED_OCCURRENCES: usize = 8;

/// How often every series is published again, so its window rolls forward.
pub const ROLL_EVERY: Duration = Duration::from_secs(3600);

const NAME_FORMAT: &str = "%Y%m%dT%H%M%S";

/// The id of one occurrence's Event.
pub fn occurrence_id(urls: &Urls, id: &DocId, name: DateTime) -> String {
    format!(
        "{}/occurrences/{}",
        urls.event(id),
        name.strftime(NAME_FORMAT)
    )
}

/// An occurrence's name from the last part of its id.
pub fn name_of(text: &str) -> Option<DateTime> {
    DateTime::strptime(NAME_FORMAT, text).ok()
}

/// The series' next occurrences from `now`, as published.
pub fn next(view: &EventView, now: Timestamp) -> Vec<Occurrence> {
    view.details
        .occurrences(&view.exceptions, now, Timestamp::MAX, PUBLISHED_OCCURRENCES)
}

/// The series as one of its occurrences: its details that occurrence's.
pub fn as_occurrence(view: &EventView, o: &Occurrence) -> EventView {
    let mut one = view.clone();
    let d = &mut one.details;
    d.title = o.title.clone();
    d.description = o.description.clone();
    d.starts = o.starts;
    d.ends = o.ends;
    d.place = o.place.clone();
    d.online_url = o.online_url.clone();
    d.status = o.status;
    d.repeat = None;
    one
}

/// A series as lists and pages show it: at its next occurrence from `now`
/// (the one under way, if any); `None` once it has none left. A single event
/// is itself.
pub fn at_next(view: EventView, now: Timestamp) -> Option<EventView> {
    if view.details.repeat.is_none() {
        return Some(view);
    }
    let next = view
        .details
        .occurrences(&view.exceptions, now, Timestamp::MAX, 1);
    next.first().map(|o| as_occurrence(&view, o))
}

/// One occurrence as an Event: the series' object with the occurrence's own
/// id, title, description, times, place, link and status, and who goes to it.
pub fn occurrence_object(
    urls: &Urls,
    id: &DocId,
    view: &EventView,
    group: Option<&DocId>,
    o: &Occurrence,
    updated: Timestamp,
) -> Value {
    let one = as_occurrence(view, o);
    let mut object = vocab::event_object(urls, id, &one, group, updated);
    let oid = occurrence_id(urls, id, o.name);
    object["id"] = json!(oid);
    // The series' page, where the other dates are.
    object["url"] = json!(urls.event(id));
    object["participantCount"] = json!(view.going_to(o.name));
    if object.get("location").is_some() {
        object["location"]["id"] = json!(format!("{oid}#place"));
    }
    object
}

/// Queues the Creates, Updates and Deletes that bring the Fediverse's view of
/// a public series' occurrences to its present; returns how many deliveries.
pub async fn publish_occurrences(
    fedi: &Fedi,
    id: &DocId,
    view: &EventView,
    group: &DocId,
    now: Timestamp,
) -> Result<usize, FediError> {
    let actor = fedi.urls.group(group);
    let mut queued = 0;
    let current = next(view, now);
    for o in &current {
        let object = occurrence_object(&fedi.urls, id, view, Some(group), o, now);
        let oid = occurrence_id(&fedi.urls, id, o.name);
        queued += super::outbox::publish_object(fedi, &actor, &oid, object, now).await?;
    }
    // Published before and no longer one of the rule's occurrences: deleted.
    let prefix = format!("{}/occurrences/", fedi.urls.event(id));
    let before = fedi
        .local(move |l| Ok(l.db.published_under(&prefix)?))
        .await?;
    for (oid, deleted) in before {
        let gone = oid
            .rsplit('/')
            .next()
            .and_then(name_of)
            .is_none_or(|n| !view.details.has_occurrence(n));
        if !deleted && gone {
            queued += super::outbox::withdraw_object(fedi, &actor, &oid, now).await?;
        }
    }
    Ok(queued)
}

/// Deletes every published occurrence of a series no longer public.
pub async fn withdraw_occurrences(
    fedi: &Fedi,
    id: &DocId,
    actor: &str,
    now: Timestamp,
) -> Result<usize, FediError> {
    let prefix = format!("{}/occurrences/", fedi.urls.event(id));
    let before = fedi
        .local(move |l| Ok(l.db.published_under(&prefix)?))
        .await?;
    let mut queued = 0;
    for (oid, deleted) in before {
        if !deleted {
            queued += super::outbox::withdraw_object(fedi, actor, &oid, now).await?;
        }
    }
    Ok(queued)
}

/// Publishes every series again (the hourly roll).
pub async fn roll(fedi: &Fedi) -> Result<usize, FediError> {
    let series = fedi.store(|s| s.series()).await?;
    let mut queued = 0;
    for id in series {
        queued += super::outbox::publish_event(fedi, &id).await?;
    }
    Ok(queued)
}
