//! A group's moderation: ban and lift bans, take events off the group's page
//! and put them back, read the bans and the moderation log; and the reading
//! rule of bans ([`rally_core::moderation::hide_banned`]) applied wherever the
//! service shows a group's event. Each action is one change to the group
//! document, its log entry included.

use std::collections::BTreeSet;

use rally_core::moderation::{Ban, Grounds, JoinRequest, LogEntry, ModAction};
use rally_core::{DocId, DocKind, EventView, PersonaId};

use crate::{Result, Service};

/// A group's bans and log, as moderators and members read them.
#[derive(Debug, Clone, PartialEq)]
pub struct Moderation {
    pub group: DocId,
    /// Banned personas, with the name they were last known by here.
    pub bans: Vec<(PersonaId, Option<String>, Ban)>,
    pub log: Vec<LogEntry>,
    /// Who asks to join, oldest first.
    pub requests: Vec<(PersonaId, JoinRequest)>,
}

impl Service {
    /// A persona named by a moderator: a member, a banned persona, someone who
    /// answered or commented in one of the group's events, or a full id.
    fn moderated_persona(&self, group: DocId, text: &str) -> Result<PersonaId> {
        let g = self.store.load(group)?.group()?;
        // One name per persona: its member name first, else one it gave.
        let mut named: std::collections::BTreeMap<PersonaId, String> = g
            .members
            .values()
            .map(|m| (m.persona, m.name.clone()))
            .collect();
        for e in self.group_events(group, &g.events) {
            for (p, name) in e
                .participants
                .values()
                .map(|p| (p.persona, &p.name))
                .chain(e.comments.iter().map(|c| (c.author, &c.author_name)))
            {
                named.entry(p).or_insert_with(|| name.clone());
            }
        }
        for p in g.bans.keys() {
            named.entry(*p).or_default();
        }
        let candidates: Vec<(PersonaId, String)> = named.into_iter().collect();
        self.pick_persona(text, &candidates)
    }

    fn group_events(&self, group: DocId, listed: &[DocId]) -> Vec<EventView> {
        listed
            .iter()
            .filter_map(|e| self.store.load(*e).ok()?.event().ok())
            .filter(|e| e.group == Some(group))
            .collect()
    }

    /// Bans a persona from a group (admins; moderators ban members).
    pub fn ban(&mut self, group: &str, persona: &str, grounds: Grounds) -> Result<PersonaId> {
        self.act_on(group, DocKind::Group, |s, me, id, now| {
            let who = s.moderated_persona(id, persona)?;
            s.store
                .update(id, |g| g.ban(&me.persona, who, &grounds, now))?;
            Ok(who)
        })
    }

    /// Lifts a ban.
    pub fn unban(&mut self, group: &str, persona: &str, grounds: Grounds) -> Result<PersonaId> {
        self.act_on(group, DocKind::Group, |s, me, id, now| {
            let who = s.moderated_persona(id, persona)?;
            s.store
                .update(id, |g| g.unban(&me.persona, who, &grounds, now))?;
            Ok(who)
        })
    }

    /// Takes an event off the group's page, or puts it back (admins and
    /// moderators).
    pub fn list_in_group(
        &mut self,
        group: &str,
        event: &str,
        listed: bool,
        grounds: Grounds,
    ) -> Result<DocId> {
        self.act_on(group, DocKind::Group, |s, me, id, now| {
            let event = s.resolve(event, DocKind::Event)?;
            s.store.update(id, |g| {
                g.moderate_listing(&me.persona, event, listed, &grounds, now)
            })?;
            Ok(event)
        })
    }

    /// A group's bans and moderation log.
    pub fn moderation(&self, group: &str) -> Result<Moderation> {
        let id = self.resolve(group, DocKind::Group)?;
        let g = self.store.load(id)?.group()?;
        let events = self.group_events(id, &g.events);
        let name_of = |p: &PersonaId| {
            events.iter().find_map(|e| {
                e.participants.get(p).map(|x| x.name.clone()).or_else(|| {
                    e.comments
                        .iter()
                        .find(|c| c.author == *p)
                        .map(|c| c.author_name.clone())
                })
            })
        };
        Ok(Moderation {
            group: id,
            bans: g
                .bans
                .iter()
                .map(|(p, b)| (*p, name_of(p), b.clone()))
                .collect(),
            log: g.moderation,
            requests: {
                let mut r: Vec<_> = g.requests.into_iter().collect();
                r.sort_by_key(|(_, q)| q.at);
                r
            },
        })
    }

    /// Asks to join a public group as the acting persona (by its name); the
    /// group's moderators answer.
    pub fn request_to_join(&mut self, group: &str, note: Option<&str>) -> Result<DocId> {
        self.act_on(group, DocKind::Group, |s, me, id, now| {
            s.store
                .update(id, |g| g.request_to_join(&me.persona, &me.name, note, now))?;
            Ok(id)
        })
    }

    /// Approves (`accept`) or declines someone's request to join (moderators);
    /// the persona by name or id start.
    pub fn answer_request(
        &mut self,
        group: &str,
        persona: &str,
        accept: bool,
    ) -> Result<PersonaId> {
        self.act_on(group, DocKind::Group, |s, me, id, now| {
            let g = s.store.load(id)?.group()?;
            let candidates: Vec<(PersonaId, String)> = g
                .requests
                .iter()
                .map(|(p, r)| (*p, r.name.clone()))
                .collect();
            let who = s.pick_persona(persona, &candidates)?;
            s.store
                .update(id, |g| g.answer_request(&me.persona, who, accept, now))?;
            Ok(who)
        })
    }

    /// Whom a group bans, when this device holds the group (empty otherwise).
    pub(crate) fn banned_in(&self, group: Option<DocId>) -> BTreeSet<PersonaId> {
        group
            .and_then(|g| self.store.load(g).ok()?.group().ok())
            .map(|g| g.bans.into_keys().collect())
            .unwrap_or_default()
    }

    /// Notes in a group's log a comment hidden or shown in one of its events,
    /// when the acting persona moderates the group and the device holds it.
    pub(crate) fn log_comment_moderation(
        &mut self,
        event: DocId,
        comment: &str,
        hidden: bool,
    ) -> Result<()> {
        let Some(group) = self.store.load(event)?.event()?.group else {
            return Ok(());
        };
        let Ok(doc) = self.store.load(group) else {
            return Ok(());
        };
        let me = self.me()?;
        if !doc
            .group()?
            .role_of(&me.id())
            .is_some_and(rally_core::Role::can_moderate)
        {
            return Ok(());
        }
        let action = if hidden {
            ModAction::HideComment
        } else {
            ModAction::ShowComment
        };
        let now = self.now();
        let target = format!("{}/{comment}", event.to_hex());
        self.store.update(group, |g| {
            g.log_moderation(&me.persona, action, target, &Grounds::default(), now)
        })?;
        Ok(())
    }
}
