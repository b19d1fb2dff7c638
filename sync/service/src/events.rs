//! Events: create (alone or in a group, in one transaction), edit, cancel, list
//! and search, show, answer, approve, organisers and invitations, comments.

use rally_core::jiff::civil::DateTime;
use rally_core::march_map::{LatLon, MapPoint};
use rally_core::model::{EventView, JoinMode};
use rally_core::{
    DocId, DocKind, Document, EventDetails, EventStatus, ParticipationStatus, PersonaId, Role,
    Visibility, normalise_tag, publication,
};
use rally_store::{BBox, EventQuery, EventSummary};

use crate::{Result, Service, ServiceError};

/// A change to an event's details: `None` leaves a field as it is. For fields
/// that may be empty, `Some(None)` clears them. The one way every front end edits
/// an event (the CLI's flags, the app's form, a copy from the Fediverse).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EventEdit {
    pub title: Option<String>,
    /// Markdown.
    pub description: Option<String>,
    pub starts: Option<DateTime>,
    pub ends: Option<Option<DateTime>>,
    /// IANA time zone name.
    pub time_zone: Option<String>,
    pub place: Option<Option<String>>,
    pub address: Option<Option<String>>,
    /// (latitude, longitude)
    pub coordinates: Option<Option<(f64, f64)>>,
    pub online: Option<Option<String>>,
    pub capacity: Option<Option<u32>>,
    pub join_mode: Option<JoinMode>,
    pub visibility: Option<Visibility>,
    pub status: Option<EventStatus>,
    /// Replaces the tags (normalised, duplicates dropped).
    pub tags: Option<Vec<String>>,
    /// Replaces the march's route (empty: none).
    pub route: Option<Vec<LatLon>>,
    /// Removes every point of the march map (before `add_points`).
    pub clear_points: bool,
    /// Points added to the march map: label and place.
    pub add_points: Vec<(String, LatLon)>,
    /// Makes the event a series with this RFC 5545 rule (`FREQ=WEEKLY;BYDAY=TU`),
    /// or a single event again (`Some(None)`); see [`rally_core::recurrence`].
    pub repeat: Option<Option<String>>,
    /// The series ends with the occurrence on this (local) day.
    pub repeat_until: Option<rally_core::jiff::civil::Date>,
}

/// Text as people type it into an optional field: blank means none.
pub fn optional_text(text: &str) -> Option<String> {
    let t = text.trim();
    (!t.is_empty()).then(|| t.to_owned())
}

impl EventEdit {
    /// Applies the edit and checks the result.
    pub fn apply(self, d: &mut EventDetails) -> Result<()> {
        if let Some(t) = self.title {
            d.title = t.trim().to_owned();
        }
        if let Some(v) = self.description {
            d.description = v;
        }
        if let Some(v) = self.starts {
            d.starts = v;
        }
        if let Some(v) = self.ends {
            d.ends = v;
        }
        if let Some(v) = self.time_zone {
            d.time_zone = v.trim().to_owned();
        }
        if let Some(v) = self.place {
            d.place.name = v.as_deref().and_then(optional_text);
        }
        if let Some(v) = self.address {
            d.place.address = v.as_deref().and_then(optional_text);
        }
        if let Some(v) = self.coordinates {
            d.place.latitude = v.map(|c| c.0);
            d.place.longitude = v.map(|c| c.1);
        }
        if let Some(v) = self.online {
            d.online_url = v.as_deref().and_then(optional_text);
        }
        if let Some(v) = self.capacity {
            d.capacity = v;
        }
        if let Some(v) = self.join_mode {
            d.join_mode = v;
        }
        if let Some(v) = self.visibility {
            d.visibility = v;
        }
        if let Some(v) = self.status {
            d.status = v;
        }
        if let Some(tags) = self.tags {
            let mut out = Vec::new();
            for t in &tags {
                let t = normalise_tag(t)?;
                if !out.contains(&t) {
                    out.push(t);
                }
            }
            d.tags = out;
        }
        if let Some(route) = self.route {
            d.route = route;
        }
        if self.clear_points {
            d.points.clear();
        }
        if let Some(r) = self.repeat {
            d.repeat = r
                .as_deref()
                .and_then(optional_text)
                .map(|r| rally_core::Repeat::parse(&r))
                .transpose()?;
        }
        if let Some(last) = self.repeat_until {
            let Some(repeat) = &d.repeat else {
                return Err(ServiceError::NotASeries);
            };
            d.repeat = Some(repeat.until(last, &d.zone())?);
        }
        for (label, at) in self.add_points {
            d.points.push(MapPoint {
                // Random: two organisers adding points at once never collide.
                id: hex::encode(rally_core::ids::random_bytes::<8>()),
                label: label.trim().to_owned(),
                at,
            });
        }
        d.validate()?;
        Ok(())
    }
}

/// A new event: its title and start are required; the zone defaults to the
/// device's; `group` (an id or the start of one) lists it in a group.
#[derive(Debug, Clone, Default)]
pub struct NewEvent {
    pub fields: EventEdit,
    pub group: Option<String>,
}

/// Which events a list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum EventFilter {
    /// Every event here.
    #[default]
    All,
    /// Those the acting persona organises, answered, comments on or is invited to.
    Mine,
    /// Those of the groups the acting persona is a member of.
    MyGroups,
    /// Those of the groups the acting persona follows.
    Followed,
}

/// A list of events: soonest first.
#[derive(Debug, Clone, Default)]
pub struct EventSearch {
    pub filter: EventFilter,
    /// Only events that have not ended.
    pub upcoming: bool,
    /// Full-text search.
    pub text: Option<String>,
    /// Only the events a group (id or start of one) lists.
    pub group: Option<String>,
    pub bbox: Option<BBox>,
    /// At most this many (0: a default of 500).
    pub limit: usize,
    /// The next page: only events after this one (its start and id), in the
    /// list's order.
    pub after: Option<(i64, DocId)>,
}

/// An event as a page shows it.
#[derive(Debug, Clone)]
pub struct EventPage {
    pub id: DocId,
    pub view: EventView,
    pub group_name: Option<String>,
    /// Its ActivityPub id, when the device's server publishes it.
    pub url: Option<String>,
    /// The acting persona's answer.
    pub my_status: Option<ParticipationStatus>,
    /// Whether the acting persona may edit it.
    pub can_edit: bool,
    /// Whether the acting persona moderates its group, and whether the group
    /// lists it on its page (`None` when it is in no group here).
    pub listing: Option<(bool, bool)>,
}

/// An answer to an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rsvp {
    /// Going (or asking to, when an organiser must approve).
    Join,
    Interested,
    Leave,
}

/// The device's own time zone, the default for new events.
pub fn device_zone() -> String {
    rally_core::jiff::tz::TimeZone::system()
        .iana_name()
        .unwrap_or("UTC")
        .to_owned()
}

impl Service {
    /// Creates an event; the acting persona organises it. In a group, the event and
    /// the group's listing of it are one transaction: both are stored, or neither.
    pub fn create_event(&mut self, new: NewEvent) -> Result<DocId> {
        let now = self.now();
        let f = new.fields;
        let title = f.title.clone().ok_or(ServiceError::Missing("the title"))?;
        let starts = f.starts.ok_or(ServiceError::Missing("the start"))?;
        let zone = f
            .time_zone
            .clone()
            .and_then(|z| optional_text(&z))
            .unwrap_or_else(device_zone);
        let mut details = EventDetails::new(title, starts, zone.clone());
        EventEdit {
            time_zone: Some(zone),
            ..f
        }
        .apply(&mut details)?;
        self.transaction(|s| {
            let me = s.me()?;
            let group = new
                .group
                .as_deref()
                .filter(|g| !g.trim().is_empty())
                .map(|g| s.resolve(g, DocKind::Group))
                .transpose()?;
            if let Some(g) = group {
                let view = s.store.load(g)?.group()?;
                if !view.role_of(&me.id()).is_some_and(Role::can_moderate) {
                    return Err(ServiceError::NotGroupModerator);
                }
            }
            let (doc, _) = Document::create_event(&me.persona, &me.name, &details, group, now)?;
            let id = doc.id();
            s.store.insert_new(&doc)?;
            if let Some(g) = group {
                s.store
                    .update(g, |gd| gd.set_group_event(&me.persona, id, true, now))?;
            }
            Ok(id)
        })
    }

    /// Edits an event the acting persona organises.
    pub fn edit_event(&mut self, id: &str, edit: EventEdit) -> Result<DocId> {
        self.act_on(id, DocKind::Event, |s, me, id, now| {
            let mut details = s.store.load(id)?.event()?.details;
            edit.apply(&mut details)?;
            s.store
                .update(id, |d| d.update_event(&me.persona, &details, now))?;
            Ok(id)
        })
    }

    /// Marks an event cancelled.
    pub fn cancel_event(&mut self, id: &str) -> Result<DocId> {
        self.edit_event(
            id,
            EventEdit {
                status: Some(EventStatus::Cancelled),
                ..EventEdit::default()
            },
        )
    }

    /// Events, soonest first.
    pub fn events(&self, search: &EventSearch) -> Result<Vec<EventSummary>> {
        let mut q = EventQuery::upcoming(self.now());
        q.upcoming = search.upcoming;
        q.limit = if search.limit == 0 { 500 } else { search.limit };
        q.text = search.text.as_deref().and_then(optional_text);
        q.group = search
            .group
            .as_deref()
            .map(|g| self.resolve(g, DocKind::Group))
            .transpose()?;
        q.bbox = search.bbox;
        q.after = search.after;
        if search.filter == EventFilter::All {
            return Ok(self.store.events(&q)?);
        }
        let Some(me) = self.acting()? else {
            return Ok(Vec::new());
        };
        let groups: Vec<DocId> = match search.filter {
            EventFilter::All | EventFilter::Mine => {
                q.involving = vec![me.id()];
                return Ok(self.store.events(&q)?);
            }
            EventFilter::Followed => self.store.followed_groups(&me)?,
            EventFilter::MyGroups => self
                .store
                .groups()?
                .into_iter()
                .filter(|g| g.my_roles.iter().any(|(n, _)| n == &me.name))
                .map(|g| g.id)
                .collect(),
        };
        Ok(self.store.events_in_groups(&q, &groups)?)
    }

    /// One event, with what a page shows beside it.
    pub fn event(&self, id: &str) -> Result<EventPage> {
        let id = self.resolve(id, DocKind::Event)?;
        self.event_page(id)
    }

    pub fn event_page(&self, id: DocId) -> Result<EventPage> {
        let mut view = self.store.load(id)?.event()?;
        let group = view
            .group
            .and_then(|g| self.store.load(g).ok())
            .and_then(|d| d.group().ok());
        if let Some(g) = &group {
            let banned = g.bans.keys().copied().collect();
            rally_core::moderation::hide_banned(&mut view, &banned);
        }
        let url = match self.store.server_url()? {
            Some(server) if publication::event_is_published(&id, &view, group.as_ref()) => {
                Some(publication::event_url(&server, &id))
            }
            _ => None,
        };
        let me = self.acting()?;
        Ok(EventPage {
            id,
            my_status: me
                .as_ref()
                .and_then(|m| view.participants.get(&m.id()))
                .map(|p| p.status),
            can_edit: me.as_ref().is_some_and(|m| view.is_organiser(&m.id())),
            listing: group.as_ref().map(|g| {
                (
                    me.as_ref()
                        .and_then(|m| g.role_of(&m.id()))
                        .is_some_and(rally_core::Role::can_moderate),
                    g.events.contains(&id),
                )
            }),
            group_name: group.map(|g| g.profile.name),
            url,
            view,
        })
    }

    /// Answers an event; returns the acting persona's status after it (`None`
    /// after leaving).
    pub fn rsvp(&mut self, id: &str, answer: Rsvp) -> Result<(DocId, Option<ParticipationStatus>)> {
        self.rsvp_at(id, None, answer)
    }

    /// Answers the whole event, or one occurrence of a series (`occurrence`: its
    /// date, or date and time, as [`Service::occurrences`] names it).
    pub fn rsvp_at(
        &mut self,
        id: &str,
        occurrence: Option<&str>,
        answer: Rsvp,
    ) -> Result<(DocId, Option<ParticipationStatus>)> {
        self.act_on(id, DocKind::Event, |s, me, id, now| {
            let occurrence = match occurrence {
                None => None,
                Some(text) => {
                    let d = s.store.load(id)?.event()?.details;
                    if d.repeat.is_none() {
                        return Err(ServiceError::NotASeries);
                    }
                    Some(crate::occurrences::occurrence_named(&d, text)?)
                }
            };
            let status = match answer {
                Rsvp::Join => {
                    let (_, status) = s
                        .store
                        .update(id, |d| d.join(&me.persona, &me.name, occurrence, now))?;
                    if occurrence.is_none() {
                        s.carry_own_avatar(me, id, now)?;
                    }
                    Some(status)
                }
                Rsvp::Interested => {
                    s.store.update(id, |d| {
                        d.set_participation_in(
                            &me.persona,
                            &me.name,
                            ParticipationStatus::Interested,
                            occurrence,
                            now,
                        )
                    })?;
                    if occurrence.is_none() {
                        s.carry_own_avatar(me, id, now)?;
                    }
                    Some(ParticipationStatus::Interested)
                }
                Rsvp::Leave => {
                    s.store
                        .update(id, |d| d.leave(&me.persona, occurrence, now))?;
                    None
                }
            };
            Ok((id, status))
        })
    }

    /// An organiser approves (`Going`) or refuses (`Rejected`) a participant.
    pub fn decide(
        &mut self,
        id: &str,
        participant: &str,
        status: ParticipationStatus,
    ) -> Result<(DocId, PersonaId)> {
        self.act_on(id, DocKind::Event, |s, me, id, now| {
            let who = s.participant_of(id, participant)?;
            s.store.update(id, |d| {
                d.decide_participation(&me.persona, who, status, now)
            })?;
            Ok((id, who))
        })
    }

    /// Makes a participant an organiser; `name` defaults to their name as a
    /// participant.
    pub fn add_organiser(
        &mut self,
        id: &str,
        persona: &str,
        name: Option<&str>,
    ) -> Result<(DocId, PersonaId, String)> {
        self.act_on(id, DocKind::Event, |s, me, id, now| {
            let who = s.participant_of(id, persona)?;
            let name = match name.and_then(optional_text) {
                Some(n) => n,
                None => s
                    .store
                    .load(id)?
                    .event()?
                    .participants
                    .get(&who)
                    .map(|p| p.name.clone())
                    .unwrap_or_else(|| "organiser".into()),
            };
            s.store
                .update(id, |d| d.add_organiser(&me.persona, who, &name, now))?;
            Ok((id, who, name))
        })
    }

    /// Invites a persona (a local name, or an id) to an event.
    pub fn invite_to_event(&mut self, id: &str, persona: &str) -> Result<(DocId, PersonaId)> {
        self.act_on(id, DocKind::Event, |s, me, id, now| {
            let who = s.pick_persona(persona, &[])?;
            s.store
                .update(id, |d| d.invite_to_event(&me.persona, who, now))?;
            Ok((id, who))
        })
    }

    /// Comments on an event (or replies to a comment, by the start of its id);
    /// returns the new comment's id.
    pub fn comment(&mut self, id: &str, body: &str, reply_to: Option<&str>) -> Result<String> {
        self.act_on(id, DocKind::Event, |s, me, id, now| {
            let reply_to = reply_to.map(|r| s.comment_id(id, r)).transpose()?;
            let (_, cid) = s.store.update(id, |d| {
                d.comment(&me.persona, &me.name, body, reply_to.as_deref(), now)
            })?;
            Ok(cid)
        })
    }

    /// Replaces the text of one of the acting persona's comments.
    pub fn edit_comment(&mut self, id: &str, comment: &str, body: &str) -> Result<String> {
        self.act_on(id, DocKind::Event, |s, me, id, now| {
            let cid = s.comment_id(id, comment)?;
            s.store
                .update(id, |d| d.edit_comment(&me.persona, &cid, body, now))?;
            Ok(cid)
        })
    }

    /// Deletes one of the acting persona's comments.
    pub fn delete_comment(&mut self, id: &str, comment: &str) -> Result<String> {
        self.act_on(id, DocKind::Event, |s, me, id, now| {
            let cid = s.comment_id(id, comment)?;
            s.store
                .update(id, |d| d.delete_comment(&me.persona, &cid, now))?;
            Ok(cid)
        })
    }

    /// An organiser hides (or shows again) a comment; when they moderate the
    /// event's group, its moderation log says so.
    pub fn hide_comment(&mut self, id: &str, comment: &str, hidden: bool) -> Result<String> {
        self.act_on(id, DocKind::Event, |s, me, id, now| {
            let cid = s.comment_id(id, comment)?;
            s.store
                .update(id, |d| d.hide_comment(&me.persona, &cid, hidden, now))?;
            s.log_comment_moderation(id, &cid, hidden)?;
            Ok(cid)
        })
    }
}
