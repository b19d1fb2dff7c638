//! The admins' moderation of what this server publishes and relays.
//!
//! - **Reports**: a Fediverse `Flag` (Mastodon's and Mobilizon's shapes: the
//!   reported actor and objects in `object`, the reporter's words in
//!   `content`) naming something of this server becomes a report in the queue
//!   (`fedi.db`), once per activity id.
//! - **Hiding** a report's content: the events, groups and comments of this
//!   server it names are taken off the public pages and out of federation (a
//!   published event gets its `Delete`), and the server shares those events
//!   and groups with no device any more (`hidden_docs`); the documents stay.
//! - **Suspending** a persona (`registry`): refused at admission, so the server
//!   relays nothing new of it, what it wrote is taken off the pages and out of
//!   federation (its events' `Delete`s), and its events are shared with no
//!   device any more.
//! - **Forwarding** a report about remote content: a `Flag` from the instance
//!   actor to the server of whoever is reported, naming what is reported and
//!   carrying the report's text — never who reported it.
//!
//! Every action is in the admins' log. [`Moderated`] is the one filter public
//! reads go through (with the groups' own bans, see
//! `rally_core::moderation`).

use std::collections::{BTreeSet, HashSet};

use rally_core::jiff::Timestamp;
use rally_core::{DocId, EventView, PersonaId};
use serde_json::{Value, json};

use super::outcome::Outcome;
use super::vocab::{self, Activity, Urls};
use super::{Fedi, FediError, Local};
use crate::registry::Registry;
use rally_store::{AdminReport, NewReport};

use super::db::moderation::LogEntry;

/// What public reads leave out: content the admins hid, personas they
/// suspended.
#[derive(Debug, Clone, Default)]
pub struct Moderated {
    hidden: HashSet<String>,
    suspended: BTreeSet<PersonaId>,
}

impl Moderated {
    pub fn load(l: &Local) -> Result<Moderated, FediError> {
        Ok(Moderated {
            hidden: l.db.hidden()?.into_iter().collect(),
            suspended: l
                .registry
                .suspended()?
                .into_iter()
                .map(|(p, _)| p)
                .collect(),
        })
    }

    /// Whether a group is off the public pages.
    pub fn group_hidden(&self, id: &DocId) -> bool {
        self.hidden.contains(&id.to_hex())
    }

    /// Whether an event is off the public pages: hidden itself, in a hidden
    /// group, or made by a suspended persona.
    pub fn event_hidden(&self, id: &DocId, view: &EventView) -> bool {
        self.hidden.contains(&id.to_hex())
            || view.group.is_some_and(|g| self.group_hidden(&g))
            || self.suspended.contains(&view.created_by)
    }

    /// An event as the public reads it: hidden comments and those of
    /// suspended or banned personas hidden, their answers dropped.
    pub fn apply(&self, id: &DocId, view: &mut EventView, banned: &BTreeSet<PersonaId>) {
        let mut gone: BTreeSet<PersonaId> = banned.clone();
        gone.extend(self.suspended.iter().copied());
        rally_core::moderation::hide_banned(view, &gone);
        let prefix = format!("{}/", id.to_hex());
        for c in &mut view.comments {
            if self.hidden.contains(&format!("{prefix}{}", c.id)) {
                c.hidden = true;
            }
        }
    }
}

/// A `Flag`: queued as a report when it names something of this server.
pub async fn flag(fedi: &Fedi, activity: &Activity) -> Result<Outcome, FediError> {
    let objects: Vec<String> = vocab::ids_of(Some(&activity.object));
    let ours = objects
        .iter()
        .any(|o| o.starts_with(&format!("{}/", fedi.urls.base)));
    if !ours {
        return Ok(Outcome::Ignored(format!(
            "Flag from {} of nothing on this server",
            activity.actor
        )));
    }
    let text = rally_core::text::html_to_text(activity.content.as_deref().unwrap_or(""));
    let (reporter, id) = (activity.actor.clone(), activity.id.clone());
    let report = fedi
        .local(move |l| {
            l.add_report(
                &NewReport {
                    source: "fediverse",
                    reporter: &reporter,
                    activity: id.as_deref(),
                    objects: &objects,
                    reason: None,
                    text: &text,
                },
                Timestamp::now().as_second(),
            )
        })
        .await?;
    Ok(match report {
        Some(id) => Outcome::Reported(id),
        None => Outcome::Duplicate,
    })
}

/// What of this server a URL names: an event, a comment on one, a group, a
/// persona.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Named {
    Event(DocId),
    Comment(DocId, String),
    Group(DocId),
    Persona(PersonaId),
}

pub fn named(urls: &Urls, url: &str) -> Option<Named> {
    // A device's report names its target as `kind:id`.
    if let Some((kind, id)) = url.split_once(':')
        && matches!(kind, "event" | "comment" | "group" | "persona")
    {
        return match kind {
            "event" => Some(Named::Event(id.parse().ok()?)),
            "group" => Some(Named::Group(id.parse().ok()?)),
            "persona" => Some(Named::Persona(id.parse().ok()?)),
            _ => {
                let (e, c) = id.split_once('/')?;
                Some(Named::Comment(e.parse().ok()?, c.to_owned()))
            }
        };
    }
    let rest = url.strip_prefix(&format!("{}/", urls.base))?;
    let mut parts = rest.split('/');
    match (parts.next()?, parts.next()?, parts.next(), parts.next()) {
        ("events", id, None, _) => Some(Named::Event(id.parse().ok()?)),
        ("events", id, Some("comments"), Some(c)) if !c.is_empty() => {
            Some(Named::Comment(id.parse().ok()?, c.to_owned()))
        }
        ("groups", id, None, _) => Some(Named::Group(id.parse().ok()?)),
        ("people", id, None, _) => Some(Named::Persona(id.parse().ok()?)),
        _ => None,
    }
}

/// What happened before about what a report names: the other reports naming
/// any of the same things (open or settled), and the admins' actions on those
/// things or on those reports, most recent first (as they were given).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct History {
    pub reports: Vec<Earlier>,
    pub actions: Vec<LogEntry>,
}

/// Another report about the same thing.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Earlier {
    pub id: i64,
    pub received_at: i64,
    pub state: String,
    pub reason: Option<String>,
}

impl History {
    pub fn is_empty(&self) -> bool {
        self.reports.is_empty() && self.actions.is_empty()
    }
}

/// `report`'s history among `all` the reports and the `log`.
pub fn history(
    urls: &Urls,
    report: &AdminReport,
    all: &[AdminReport],
    log: &[LogEntry],
) -> History {
    let keys = |r: &AdminReport| -> BTreeSet<String> {
        r.objects.iter().map(|o| log_key(urls, o)).collect()
    };
    let mine = keys(report);
    let reports: Vec<&AdminReport> = all
        .iter()
        .filter(|r| r.id != report.id && !keys(r).is_disjoint(&mine))
        .collect();
    let report_names: BTreeSet<String> = reports
        .iter()
        .map(|r| r.id)
        .chain([report.id])
        .map(|id| format!("report {id}"))
        .collect();
    let actions = log
        .iter()
        .filter(|e| {
            mine.contains(&e.target)
                || report_names.contains(&e.target)
                || e.note.as_ref().is_some_and(|n| report_names.contains(n))
        })
        .cloned()
        .collect();
    History {
        reports: reports
            .into_iter()
            .map(|r| Earlier {
                id: r.id,
                received_at: r.received_at,
                state: r.state.clone(),
                reason: r.reason.clone(),
            })
            .collect(),
        actions,
    }
}

/// What the log calls a thing a report names: a document's id (`hide`), an
/// event's id and a comment's (`hide`), a persona's id (`suspend`); a remote
/// object or actor by its URL (`block-actor`).
fn log_key(urls: &Urls, object: &str) -> String {
    match named(urls, object) {
        Some(Named::Event(d) | Named::Group(d)) => d.to_hex(),
        Some(Named::Comment(e, c)) => format!("{}/{c}", e.to_hex()),
        Some(Named::Persona(p)) => p.to_hex(),
        None => object.to_owned(),
    }
}

/// Takes what a report names on this server off the pages and out of
/// federation; returns what was hidden.
pub async fn hide_report(
    fedi: &Fedi,
    id: i64,
    note: Option<String>,
) -> Result<Vec<String>, FediError> {
    let report = fedi
        .local(move |l| l.report(id))
        .await?
        .ok_or_else(|| FediError::Refused(format!("no report {id}")))?;
    let now = Timestamp::now().as_second();
    let mut hidden = Vec::new();
    let mut events = Vec::new();
    for url in &report.objects {
        let target = match named(&fedi.urls, url) {
            Some(Named::Event(e)) => {
                events.push(e);
                e.to_hex()
            }
            Some(Named::Comment(e, c)) => format!("{}/{c}", e.to_hex()),
            Some(Named::Group(g)) => {
                events.extend(group_events(fedi, g).await?);
                g.to_hex()
            }
            _ => continue,
        };
        let t = target.clone();
        fedi.db(move |db| {
            db.hide(&t, Some(id), now)?;
            db.log_moderation("hide", &t, None, now)
        })
        .await?;
        hidden.push(target);
    }
    // Nor does the server share those documents with devices any more (a
    // comment lives in its event's document: it is hidden on the pages only).
    let docs: Vec<DocId> = report
        .objects
        .iter()
        .filter_map(|url| match named(&fedi.urls, url) {
            Some(Named::Event(e)) => Some(e),
            Some(Named::Group(g)) => Some(g),
            _ => None,
        })
        .chain(events.iter().copied())
        .collect();
    fedi.store(move |st| {
        for d in &docs {
            st.hide_doc(d, now)?;
        }
        Ok::<_, rally_store::StoreError>(())
    })
    .await?;
    fedi.local(move |l| l.settle_report(id, "hidden", note.as_deref(), now))
        .await?;
    fedi.pages.clear();
    for e in events {
        super::outbox::publish_event(fedi, &e).await?;
    }
    Ok(hidden)
}

async fn group_events(fedi: &Fedi, group: DocId) -> Result<Vec<DocId>, FediError> {
    fedi.local(move |l| {
        Ok(l.store()
            .load(group)
            .ok()
            .and_then(|d| d.group().ok())
            .map(|g| g.events)
            .unwrap_or_default())
    })
    .await
}

/// Dismisses a report (nothing to do), with the admin's note.
pub async fn dismiss(fedi: &Fedi, id: i64, note: Option<String>) -> Result<(), FediError> {
    let now = Timestamp::now().as_second();
    let done = fedi
        .local(move |l| {
            let done = l.settle_report(id, "dismissed", note.as_deref(), now)?;
            if done {
                l.db.log_moderation("dismiss", &format!("report {id}"), note.as_deref(), now)?;
            }
            Ok(done)
        })
        .await?;
    if done {
        Ok(())
    } else {
        Err(FediError::Refused(format!("no report {id}")))
    }
}

/// Suspends a persona: refused at admission from now on; its events and
/// comments off the pages, its published events withdrawn (`Delete`).
pub async fn suspend(
    fedi: &Fedi,
    persona: PersonaId,
    note: Option<String>,
) -> Result<usize, FediError> {
    let now = Timestamp::now();
    let events = fedi
        .local(move |l| {
            l.registry.suspend(&persona, now)?;
            l.db.log_moderation(
                "suspend",
                &persona.to_hex(),
                note.as_deref(),
                now.as_second(),
            )?;
            let events = l.store().events_organised_by(&persona)?;
            // Nor are its events shared with devices any more.
            for e in &events {
                l.store_mut().hide_doc(e, now.as_second())?;
            }
            Ok(events)
        })
        .await?;
    fedi.pages.clear();
    let mut queued = 0;
    for e in events {
        queued += super::outbox::publish_event(fedi, &e).await?;
    }
    Ok(queued)
}

/// On a database several server processes share: makes this process' store
/// hide from devices what the admins hid through any of them. The hidden
/// documents are derived from what all share — the hidden content (a hidden
/// group hides its events too) and the suspended personas' events — and the
/// store's list brought to that. Each process does it every second
/// (`siblings::Upkeep`).
pub fn align_hidden(
    db: &super::db::FediDb,
    registry: &dyn Registry,
    store: &mut rally_store::Store,
    now: i64,
) -> Result<usize, FediError> {
    let mut want = BTreeSet::new();
    for target in db.hidden()? {
        let Ok(doc) = target.parse::<DocId>() else {
            continue; // a comment: hidden on the pages only
        };
        want.insert(doc);
        if let Ok(Ok(group)) = store.load(doc).map(|d| d.group()) {
            want.extend(group.events);
        }
    }
    for (persona, _) in registry.suspended()? {
        want.extend(store.events_organised_by(&persona)?);
    }
    let have: BTreeSet<DocId> = store.hidden_docs()?.into_iter().collect();
    let mut changed = 0;
    for d in want.difference(&have) {
        store.hide_doc(d, now)?;
        changed += 1;
    }
    for d in have.difference(&want) {
        store.unhide_doc(d)?;
        changed += 1;
    }
    Ok(changed)
}

/// Lifts a suspension; what the persona wrote is published again.
pub async fn unsuspend(fedi: &Fedi, persona: PersonaId) -> Result<bool, FediError> {
    let now = Timestamp::now().as_second();
    let (lifted, events) = fedi
        .local(move |l| {
            let lifted = l.registry.unsuspend(&persona)?;
            l.db.log_moderation("unsuspend", &persona.to_hex(), None, now)?;
            let events = l.store().events_organised_by(&persona)?;
            // Shared again, unless a report's hiding still holds them.
            let hidden: std::collections::HashSet<String> = l.db.hidden()?.into_iter().collect();
            for e in events.iter().filter(|e| !hidden.contains(&e.to_hex())) {
                l.store_mut().unhide_doc(e)?;
            }
            Ok((lifted, events))
        })
        .await?;
    fedi.pages.clear();
    for e in events {
        super::outbox::publish_event(fedi, &e).await?;
    }
    Ok(lifted)
}

/// Sends a report about remote content to where that content lives: one
/// `Flag` from the instance actor per reported actor, naming the actor and
/// the objects of theirs it is about, with the report's text. Returns the
/// actors it was sent to.
pub async fn forward(fedi: &Fedi, id: i64) -> Result<Vec<String>, FediError> {
    let report = fedi
        .local(move |l| l.report(id))
        .await?
        .ok_or_else(|| FediError::Refused(format!("no report {id}")))?;
    let base = format!("{}/", fedi.urls.base);
    let mut by_actor: Vec<(super::vocab::RemoteActor, Vec<String>)> = Vec::new();
    for url in report.objects.iter().filter(|u| !u.starts_with(&base)) {
        let actor = owner_of(fedi, url).await?;
        match by_actor.iter_mut().find(|(a, _)| a.id == actor.id) {
            Some((_, objects)) => {
                if *url != actor.id {
                    objects.push(url.clone());
                }
            }
            None => {
                let objects = if *url == actor.id {
                    vec![]
                } else {
                    vec![url.clone()]
                };
                by_actor.push((actor, objects));
            }
        }
    }
    if by_actor.is_empty() {
        return Err(FediError::Refused(format!(
            "report {id} names nothing on another server"
        )));
    }
    let instance = fedi.urls.instance();
    let now = Timestamp::now().as_second();
    let mut sent = Vec::new();
    for (actor, objects) in by_actor {
        let mut object = vec![json!(actor.id)];
        object.extend(objects.into_iter().map(Value::String));
        let flag = json!({
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": fedi.urls.activity("flag"),
            "type": "Flag",
            "actor": instance,
            "object": object,
            "content": report.text,
            "to": [actor.id],
        });
        let inbox = actor.shared_inbox.clone().unwrap_or(actor.inbox.clone());
        let (from, body, to) = (instance.clone(), flag.to_string(), actor.id.clone());
        fedi.db(move |db| {
            db.enqueue(&inbox, &from, &body, now)?;
            db.log_moderation("forward", &to, Some(&format!("report {id}")), now)
        })
        .await?;
        sent.push(actor.id);
    }
    fedi.local(move |l| l.settle_report(id, "forwarded", None, now))
        .await?;
    fedi.queued.notify_one();
    Ok(sent)
}

/// The actor a remote URL is, or whose object it is (`attributedTo`, else
/// `actor`), read from its origin through the guarded fetcher.
async fn owner_of(fedi: &Fedi, url: &str) -> Result<super::vocab::RemoteActor, FediError> {
    if let Ok(actor) = fedi.remote_actor(url, false).await {
        return Ok(actor);
    }
    let known = {
        let url = url.to_owned();
        fedi.db(move |db| db.remote_object(&url)).await?
    };
    if let Some(o) = known {
        return fedi.remote_actor(&o.actor, false).await;
    }
    fedi.may_fetch(url)?;
    let object = fedi.fetcher.get_plain_json(url).await?;
    let owner = vocab::ids_of(object.get("attributedTo"))
        .into_iter()
        .next()
        .or_else(|| object.get("actor").and_then(vocab::id_of))
        .ok_or_else(|| FediError::Refused(format!("{url} names no owner")))?;
    fedi.remote_actor(&owner, false).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(id: i64, objects: &[&str], state: &str) -> AdminReport {
        AdminReport {
            id,
            source: "device".into(),
            reporter: "someone".into(),
            activity: None,
            objects: objects.iter().map(|o| (*o).to_owned()).collect(),
            reason: Some("spam".into()),
            text: String::new(),
            received_at: 1_000 + id,
            state: state.into(),
            notes: Vec::new(),
        }
    }

    fn entry(action: &str, target: &str, note: Option<&str>) -> LogEntry {
        LogEntry {
            at: 2_000,
            action: action.into(),
            target: target.into(),
            note: note.map(str::to_owned),
        }
    }

    #[test]
    fn a_report_s_history_is_the_other_reports_on_the_same_thing_and_what_was_done() {
        let urls = Urls {
            base: "https://rally.example".into(),
        };
        let event = DocId([7; 32]);
        let other = DocId([8; 32]);
        let by_url = format!("https://rally.example/events/{}", event.to_hex());
        let by_kind = format!("event:{}", event.to_hex());
        let all = [
            report(1, &[&by_url], "dismissed"),
            report(2, &[&format!("event:{}", other.to_hex())], "open"),
            report(3, &[&by_kind], "open"),
            report(4, &["https://elsewhere.example/notes/1"], "forwarded"),
        ];
        let log = [
            entry("dismiss", "report 1", Some("not spam")),
            entry("hide", &other.to_hex(), None),
            entry("hide", &event.to_hex(), None),
            entry(
                "forward",
                "https://elsewhere.example/actor",
                Some("report 4"),
            ),
        ];
        let h = history(&urls, &all[2], &all, &log);
        assert_eq!(h.reports.iter().map(|r| r.id).collect::<Vec<_>>(), [1]);
        assert_eq!(h.reports[0].state, "dismissed");
        assert_eq!(
            h.actions
                .iter()
                .map(|e| e.action.as_str())
                .collect::<Vec<_>>(),
            ["dismiss", "hide"]
        );
        assert_eq!(h.actions[1].target, event.to_hex());
        // A remote object's forwarding, found by the report it was for.
        let remote = history(&urls, &all[3], &all, &log);
        assert!(remote.reports.is_empty());
        assert_eq!(remote.actions.len(), 1);
        assert!(history(&urls, &all[1], &all, &[]).actions.is_empty());
    }
}
