//! Group moderation: bans, the moderation log, and what a ban does to what the
//! banned persona wrote.
//!
//! A group document keeps `bans/<persona>` (who banned them, when, why) and an
//! append-only `moderation/<id>` log of what its admins and moderators did
//! (ban, unban, unlist or relist an event, hide or show a comment), which every
//! member reads. [`crate::rules`] judges both: only admins and moderators write
//! them, a moderator bans members only, entries are never edited, and a banned
//! persona's later changes to the group document are refused.
//!
//! A causal rule cannot refuse what the banned persona wrote before their
//! device learnt of the ban (a join, a comment, a chat message made
//! concurrently with it). So the ban is also a **reading rule**, applied by
//! every reader alike as soon as it holds the ban: the group's view leaves the
//! persona out of its members (a concurrent join is not a membership, and the
//! next key epoch leaves them out), and [`hide_banned`] hides their comments and
//! drops their answers in the group's events; their chat messages are not
//! shown. Nothing is deleted: lifting the ban shows it all again.

pub mod caps;
pub mod report;

use std::collections::{BTreeMap, BTreeSet};

use automerge::hydrate::Value;
use serde::Serialize;

use crate::ids::PersonaId;
use crate::model::read::*;
use crate::model::{EventView, InvalidInput, SchemaError, keyword_enum};

keyword_enum!(
    /// Why something is reported or a persona banned.
    Reason { Spam = "spam", Harassment = "harassment", Illegal = "illegal", Other = "other" }
);
keyword_enum!(
    /// What a moderation log entry records.
    ModAction {
        Ban = "ban",
        Unban = "unban",
        UnlistEvent = "unlist-event",
        ListEvent = "list-event",
        HideComment = "hide-comment",
        ShowComment = "show-comment",
        ApproveMember = "approve-member",
        DeclineMember = "decline-member",
    }
);

/// The longest note a ban or a log entry carries, in characters.
pub const MAX_NOTE_CHARS: usize = 1_000;

/// Why and with what note a moderator acts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Grounds {
    pub reason: Option<Reason>,
    pub note: Option<String>,
}

/// A persona banned from a group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Ban {
    pub by: PersonaId,
    pub at: i64,
    pub reason: Option<Reason>,
    pub note: Option<String>,
}

/// One entry of a group's moderation log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LogEntry {
    pub id: String,
    pub by: PersonaId,
    pub at: i64,
    pub action: ModAction,
    /// A persona (ban, unban), an event (unlist, list) or `event/comment`.
    pub target: String,
    pub reason: Option<Reason>,
    pub note: Option<String>,
}

/// Checks a note's length.
pub fn check_note(note: Option<&str>) -> Result<(), InvalidInput> {
    match note {
        Some(n) if n.chars().count() > MAX_NOTE_CHARS => Err(InvalidInput::TooLong {
            what: "note",
            len: n.chars().count(),
            max: MAX_NOTE_CHARS,
        }),
        _ => Ok(()),
    }
}

fn schema(path: String) -> SchemaError {
    SchemaError { path }
}

fn note_of(v: &Value, path: &str) -> Result<Option<String>, SchemaError> {
    let note = opt_str(v, "note", path)?;
    check_note(note.as_deref()).map_err(|_| schema(format!("{path}/note")))?;
    Ok(note)
}

fn reason_of(v: &Value, path: &str) -> Result<Option<Reason>, SchemaError> {
    opt_str(v, "reason", path)?
        .map(|r| r.parse().map_err(|_| schema(format!("{path}/reason"))))
        .transpose()
}

/// Someone asking to join a public group (`requests/<persona>`), until a
/// moderator approves (they become a member) or declines, or they withdraw.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct JoinRequest {
    pub name: String,
    pub at: i64,
    pub note: Option<String>,
}

/// A group document's `requests` (absent in groups made before them).
pub(crate) fn parse_requests(
    root: &Value,
) -> Result<BTreeMap<PersonaId, JoinRequest>, SchemaError> {
    let mut out = BTreeMap::new();
    let Some(map) = get(root, "requests") else {
        return Ok(out);
    };
    for (k, v) in map_entries(map) {
        let path = format!("/requests/{k}");
        let persona = persona_key(k, "/requests")?;
        let name = req_str(v, "name", &path)?.to_owned();
        if name.trim().is_empty() || name.chars().count() > 100 {
            return Err(schema(format!("{path}/name")));
        }
        out.insert(
            persona,
            JoinRequest {
                name,
                at: int(v, "at", &path)?,
                note: note_of(v, &path)?,
            },
        );
    }
    Ok(out)
}

/// A group document's `bans` (absent in groups made before bans existed).
pub(crate) fn parse_bans(root: &Value) -> Result<BTreeMap<PersonaId, Ban>, SchemaError> {
    let mut bans = BTreeMap::new();
    let Some(map) = get(root, "bans") else {
        return Ok(bans);
    };
    for (k, v) in map_entries(map) {
        let path = format!("/bans/{k}");
        let persona = persona_key(k, "/bans")?;
        bans.insert(
            persona,
            Ban {
                by: persona_key(req_str(v, "by", &path)?, &path)?,
                at: int(v, "at", &path)?,
                reason: reason_of(v, &path)?,
                note: note_of(v, &path)?,
            },
        );
    }
    Ok(bans)
}

/// A group document's moderation log, oldest first (then by id).
pub(crate) fn parse_log(root: &Value) -> Result<Vec<LogEntry>, SchemaError> {
    let mut log = Vec::new();
    let Some(map) = get(root, "moderation") else {
        return Ok(log);
    };
    for (k, v) in map_entries(map) {
        let path = format!("/moderation/{k}");
        let target = req_str(v, "target", &path)?.to_owned();
        if target.is_empty() || target.len() > 200 {
            return Err(schema(format!("{path}/target")));
        }
        log.push(LogEntry {
            id: k.clone(),
            by: persona_key(req_str(v, "by", &path)?, &path)?,
            at: int(v, "at", &path)?,
            action: keyword(v, "action", &path)?,
            target,
            reason: reason_of(v, &path)?,
            note: note_of(v, &path)?,
        });
    }
    log.sort_by(|a, b| (a.at, &a.id).cmp(&(b.at, &b.id)));
    Ok(log)
}

/// An event of a group as its readers see it once they know the group's bans:
/// the banned personas' comments hidden, their answers dropped. The event's
/// organisers are left as they are (an organiser's event is moderated by
/// unlisting it).
pub fn hide_banned(view: &mut EventView, banned: &BTreeSet<PersonaId>) {
    if banned.is_empty() {
        return;
    }
    for c in &mut view.comments {
        if banned.contains(&c.author) {
            c.hidden = true;
        }
    }
    view.participants.retain(|p, _| !banned.contains(p));
    for answers in view.occurrence_participants.values_mut() {
        answers.retain(|p, _| !banned.contains(p));
    }
}

#[cfg(test)]
mod tests;
