//! What is new for the acting persona since it last looked: unread messages in
//! its groups' chats, new comments and participants on the events it opened
//! before. Opening a chat or an event marks it seen ([`Service::mark_seen`]).
//! The marks are the store's `seen` table (see `rally_store::Seen`).

use rally_core::{DocId, EventView, PersonaId};
use rally_store::Seen;

use crate::{Result, Service};

/// Everything new, for a "since you last looked" summary.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct News {
    pub chats: Vec<ChatNews>,
    pub events: Vec<EventNews>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChatNews {
    pub group: DocId,
    pub name: String,
    pub unread: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventNews {
    pub event: DocId,
    pub title: String,
    pub comments: u32,
    pub people: u32,
}

/// Comments by others (not deleted) and participants of an event.
fn counts(view: &EventView, me: &PersonaId) -> (i64, i64) {
    let comments = view
        .comments
        .iter()
        .filter(|c| &c.author != me && !c.deleted)
        .count();
    (comments as i64, view.participants.len() as i64)
}

impl Service {
    /// Marks a group's chat or an event as seen by the acting persona, as it
    /// is now.
    pub fn mark_seen(&mut self, id: &str) -> Result<()> {
        let Some(me) = self.acting()? else {
            return Ok(());
        };
        let doc = self.resolve_any(id)?;
        let loaded = self.store.load(doc)?;
        let seen = if let Ok(view) = loaded.event() {
            let (comments, people) = counts(&view, &me.id());
            Seen {
                message: 0,
                comments,
                people,
            }
        } else {
            Seen {
                message: self.store.last_arrival(doc)?,
                ..Seen::default()
            }
        };
        Ok(self.store.set_seen(&me.id(), doc, seen)?)
    }

    /// Unread messages in a group's chat for the acting persona.
    pub fn unread_messages(&self, group: DocId) -> Result<u32> {
        Ok(match self.acting()? {
            Some(me) => self.store.unread_messages(&me.id(), group)?,
            None => 0,
        })
    }

    /// New comments by others and new participants on an event since the
    /// acting persona last opened it (nothing when it never did).
    pub fn event_news(&self, event: DocId, view: &EventView) -> Result<(u32, u32)> {
        let Some(me) = self.acting()? else {
            return Ok((0, 0));
        };
        let Some(seen) = self.store.seen(&me.id(), event)? else {
            return Ok((0, 0));
        };
        let (comments, people) = counts(view, &me.id());
        Ok((
            (comments - seen.comments).max(0) as u32,
            (people - seen.people).max(0) as u32,
        ))
    }

    /// What is new for the acting persona: chats of the groups it is a member
    /// of with unread messages, events it opened with new comments or people.
    pub fn news(&self) -> Result<News> {
        let Some(me) = self.acting()? else {
            return Ok(News::default());
        };
        let mut news = News::default();
        for g in self.store.groups()? {
            if !g.my_roles.iter().any(|(name, _)| name == &me.name) {
                continue;
            }
            let unread = self.store.unread_messages(&me.id(), g.id)?;
            if unread > 0 {
                news.chats.push(ChatNews {
                    group: g.id,
                    name: g.name,
                    unread,
                });
            }
        }
        for (event, _) in self.store.seen_events(&me.id())? {
            let Ok(view) = self.store.load(event).and_then(|d| Ok(d.event()?)) else {
                continue;
            };
            let (comments, people) = self.event_news(event, &view)?;
            if comments + people > 0 {
                news.events.push(EventNews {
                    event,
                    title: view.details.title.clone(),
                    comments,
                    people,
                });
            }
        }
        Ok(news)
    }
}
