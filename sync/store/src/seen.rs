//! What each persona has seen, for unread counts (schema 12, `seen`).
//!
//! A group's chat counts the messages that arrived on this device after the
//! last one the persona saw (`messages.arrived`, the order of arrival per
//! group), not their authors' clocks, so a message written long ago and synced
//! in now is new. An event keeps how many comments by others and participants
//! it had when the persona last opened it. Marking something seen is the
//! persona's own business: it does not move the change cursor and never syncs.

use rally_core::{DocId, PersonaId};
use rusqlite::{OptionalExtension, params};

use crate::{Ctx, Store, StoreError};

/// Where a persona stopped looking at a document.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Seen {
    /// The arrival number of the last message seen (group chats).
    pub message: i64,
    /// Comments by others, and participants, when last opened (events).
    pub comments: i64,
    pub people: i64,
}

impl Store {
    pub fn seen(&self, persona: &PersonaId, doc: DocId) -> Result<Option<Seen>, StoreError> {
        self.conn
            .prepare_cached(
                "SELECT message, comments, people FROM seen WHERE persona = ?1 AND doc = ?2",
            )
            .and_then(|mut s| {
                s.query_row(params![persona.0, doc.0], |r| {
                    Ok(Seen {
                        message: r.get(0)?,
                        comments: r.get(1)?,
                        people: r.get(2)?,
                    })
                })
            })
            .optional()
            .ctx("reading what was seen")
    }

    pub fn set_seen(&self, persona: &PersonaId, doc: DocId, seen: Seen) -> Result<(), StoreError> {
        self.conn
            .prepare_cached("INSERT INTO seen (persona, doc, message, comments, people) VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (persona, doc) DO UPDATE SET
                   message = excluded.message, comments = excluded.comments, people = excluded.people").and_then(|mut s| s.execute(params![persona.0, doc.0, seen.message, seen.comments, seen.people]))
            .ctx("keeping what was seen")?;
        Ok(())
    }

    /// The arrival number of a group's latest message (0 when none).
    pub fn last_arrival(&self, group: DocId) -> Result<i64, StoreError> {
        self.conn
            .prepare_cached("SELECT coalesce(max(arrived), 0) FROM messages WHERE grp = ?1")
            .and_then(|mut s| s.query_row([group.0], |r| r.get(0)))
            .ctx("reading messages")
    }

    /// Messages by others in a group's chat that `persona` has not seen.
    pub fn unread_messages(&self, persona: &PersonaId, group: DocId) -> Result<u32, StoreError> {
        let after = self.seen(persona, group)?.map_or(0, |s| s.message);
        self.conn
            .prepare_cached(
                "SELECT count(*) FROM messages
                 WHERE grp = ?1 AND arrived > ?2 AND author != ?3 AND deleted = 0",
            )
            .and_then(|mut s| {
                s.query_row(params![group.0, after, persona.0], |r| r.get::<_, u32>(0))
            })
            .ctx("counting unread messages")
    }

    /// The events `persona` has opened, with what it saw then.
    pub fn seen_events(&self, persona: &PersonaId) -> Result<Vec<(DocId, Seen)>, StoreError> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT seen.doc, message, comments, people FROM seen
                 JOIN events ON events.doc = seen.doc WHERE persona = ?1",
            )
            .ctx("reading what was seen")?;
        let rows = stmt
            .query_map([persona.0], |r| {
                Ok((
                    r.get::<_, Vec<u8>>(0)?,
                    Seen {
                        message: r.get(1)?,
                        comments: r.get(2)?,
                        people: r.get(3)?,
                    },
                ))
            })
            .ctx("reading what was seen")?;
        let mut out = Vec::new();
        for row in rows {
            let (doc, seen) = row.ctx("reading what was seen")?;
            if let Ok(id) = <[u8; 32]>::try_from(doc.as_slice()) {
                out.push((DocId(id), seen));
            }
        }
        Ok(out)
    }
}
