//! A group's moderation as edits: ban, lift a ban, unlist or relist an event,
//! and a log entry for what was done elsewhere (a comment hidden in one of the
//! group's events). Each action and its log entry are one change.

use jiff::Timestamp;

use super::{Document, EditError, now_secs};
use crate::edit;
use crate::ids::{DocId, PersonaId, random_bytes};
use crate::model::Role;
use crate::moderation::{Ban, Grounds, JoinRequest, LogEntry, ModAction, check_note};
use crate::persona::Persona;
use crate::signed::SignedChange;

fn entry(
    author: &Persona,
    now: Timestamp,
    action: ModAction,
    target: String,
    g: &Grounds,
) -> LogEntry {
    LogEntry {
        // Milliseconds first, so entries of one second sort in the order made.
        id: format!(
            "{:012x}{}",
            now.as_millisecond().max(0),
            hex::encode(random_bytes::<6>())
        ),
        by: author.id(),
        at: now_secs(now),
        action,
        target,
        reason: g.reason,
        note: g.note.clone(),
    }
}

impl Document {
    /// A moderation action on the group: what `act` writes and its log entry,
    /// in one change.
    fn moderate(
        &mut self,
        author: &Persona,
        now: Timestamp,
        (action, target): (ModAction, String),
        grounds: &Grounds,
        act: impl FnOnce(&mut edit::Tx<'_>) -> Result<(), EditError>,
    ) -> Result<SignedChange, EditError> {
        check_note(grounds.note.as_deref())?;
        self.group()?;
        let log = entry(author, now, action, target, grounds);
        self.edit(author, now, |tx| {
            act(tx)?;
            Ok(edit::log_moderation(tx, &log)?)
        })
    }

    /// Bans `persona` from the group (it stops being a member).
    pub fn ban(
        &mut self,
        author: &Persona,
        persona: PersonaId,
        grounds: &Grounds,
        now: Timestamp,
    ) -> Result<SignedChange, EditError> {
        if self.group()?.bans.contains_key(&persona) {
            return Err(EditError::NoChange);
        }
        let ban = Ban {
            by: author.id(),
            at: now_secs(now),
            reason: grounds.reason,
            note: grounds.note.clone(),
        };
        self.moderate(
            author,
            now,
            (ModAction::Ban, persona.to_hex()),
            grounds,
            |tx| Ok(edit::ban(tx, persona, &ban)?),
        )
    }

    /// Lifts a ban (the persona joins again as anyone does).
    pub fn unban(
        &mut self,
        author: &Persona,
        persona: PersonaId,
        grounds: &Grounds,
        now: Timestamp,
    ) -> Result<SignedChange, EditError> {
        self.moderate(
            author,
            now,
            (ModAction::Unban, persona.to_hex()),
            grounds,
            |tx| {
                if !edit::unban(tx, persona)? {
                    return Err(EditError::NotFound(format!("{persona} is not banned")));
                }
                Ok(())
            },
        )
    }

    /// Takes an event off the group's page (`listed: false`) or puts it back,
    /// as a moderation action.
    pub fn moderate_listing(
        &mut self,
        author: &Persona,
        event: DocId,
        listed: bool,
        grounds: &Grounds,
        now: Timestamp,
    ) -> Result<SignedChange, EditError> {
        if self.group()?.events.contains(&event) == listed {
            return Err(EditError::NoChange);
        }
        let action = if listed {
            ModAction::ListEvent
        } else {
            ModAction::UnlistEvent
        };
        self.moderate(author, now, (action, event.to_hex()), grounds, |tx| {
            Ok(edit::set_group_event(tx, event, listed)?)
        })
    }

    /// Records in the group's log an action taken in another document (a
    /// comment hidden or shown in one of the group's events: `target` is
    /// `event/comment`).
    pub fn log_moderation(
        &mut self,
        author: &Persona,
        action: ModAction,
        target: String,
        grounds: &Grounds,
        now: Timestamp,
    ) -> Result<SignedChange, EditError> {
        self.moderate(author, now, (action, target), grounds, |_| Ok(()))
    }

    /// Asks to join this public group as `author` (by the name given); a
    /// moderator answers.
    pub fn request_to_join(
        &mut self,
        author: &Persona,
        name: &str,
        note: Option<&str>,
        now: Timestamp,
    ) -> Result<SignedChange, EditError> {
        check_note(note)?;
        let group = self.group()?;
        if group.members.contains_key(&author.id()) || group.requests.contains_key(&author.id()) {
            return Err(EditError::NoChange);
        }
        let request = JoinRequest {
            name: name.trim().to_owned(),
            at: now_secs(now),
            note: note.map(str::to_owned),
        };
        self.edit(author, now, |tx| {
            Ok(edit::request_to_join(tx, author.id(), &request)?)
        })
    }

    /// Approves (`accept`: they become a member) or declines someone's
    /// request, as a moderator; or, for one's own request, withdraws it.
    pub fn answer_request(
        &mut self,
        author: &Persona,
        persona: PersonaId,
        accept: bool,
        now: Timestamp,
    ) -> Result<SignedChange, EditError> {
        let group = self.group()?;
        let Some(request) = group.requests.get(&persona).cloned() else {
            return Err(EditError::NotFound(format!(
                "{persona} has not asked to join"
            )));
        };
        let own = persona == author.id();
        if own && accept {
            return Err(EditError::Refused(crate::rules::Rejection::NotAllowed(
                "one does not approve one's own request".into(),
            )));
        }
        let log = (!own).then(|| {
            let action = if accept {
                ModAction::ApproveMember
            } else {
                ModAction::DeclineMember
            };
            entry(author, now, action, persona.to_hex(), &Grounds::default())
        });
        self.edit(author, now, |tx| {
            edit::drop_request(tx, persona)?;
            if accept && !own {
                edit::add_member(
                    tx,
                    persona,
                    &request.name,
                    Role::Member,
                    now_secs(now),
                    None,
                )?;
            }
            if let Some(log) = &log {
                edit::log_moderation(tx, log)?;
            }
            Ok(())
        })
    }
}
