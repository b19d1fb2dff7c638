//! The permission rule: who may make which change.
//!
//! A change is judged by its *effect in its own causal past*: the document state at
//! the change's dependencies (`before`) against the state at the change itself
//! (`after`). Both are determined by the change and its history alone, so every
//! replica reaches the same verdict whatever order changes arrived in. The caller
//! first checks that the change's operations only reference operations of its causal
//! past (see [`crate::document`]), which makes this effect the change's whole effect.
//!
//! The effect is read as the set of paths whose value differs between `before` and
//! `after`; each path must be allowed for the author by the rules of the document's
//! kind, and `after` must still have the layout of its kind.

use std::collections::BTreeSet;

use automerge::hydrate::Value;
use ed25519_dalek::{Signature, Verifier};

use crate::ids::{DocId, PersonaId};
use crate::model::{
    DocKind, DocView, EventView, GroupView, JoinMode, ParticipationStatus, Role, SchemaError,
    kind_of,
};
use crate::signed::SignatureError;

/// Why a change was refused. The same change gets the same rejection on every replica.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Rejection {
    #[error("bad signature: {0}")]
    Signature(#[from] SignatureError),
    #[error("the change is for document {got}, not {expected}")]
    WrongDocument { expected: DocId, got: DocId },
    #[error("the first change of a document is malformed: {0}")]
    BadGenesis(&'static str),
    #[error("the change refers to operations outside its causal past")]
    ForeignReference,
    #[error("the change's sequence number does not follow its author's previous change")]
    BadSequence,
    #[error("the change depends on a rejected change")]
    DependsOnRejected,
    #[error(
        "its author signed two different changes with the same sequence number; both are refused"
    )]
    Equivocation,
    #[error("{0} cannot be changed once set")]
    Immutable(String),
    #[error("{0} is not part of this kind of document")]
    UnknownField(String),
    #[error("not allowed: {0}")]
    NotAllowed(String),
    #[error("the change leaves the document malformed: {0}")]
    Malformed(#[from] SchemaError),
    #[error("the change carries a message or extra bytes, which Rally does not accept")]
    UnexpectedPayload,
}

impl Rejection {
    /// Whether only a misbehaving peer sends such a change. The others (a change
    /// building on a refused one, an equivocation's second half) can reach an honest
    /// peer before the refusal does.
    pub fn is_misbehaviour(&self) -> bool {
        !matches!(self, Rejection::DependsOnRejected | Rejection::Equivocation)
    }
}

fn not_allowed(why: impl Into<String>) -> Rejection {
    Rejection::NotAllowed(why.into())
}

/// A path in a document, as map keys from the root.
pub type Path = Vec<String>;

/// Paths whose values differ between two states (whole values below lists and text).
pub fn touched_paths(before: &Value, after: &Value) -> Vec<Path> {
    let mut out = Vec::new();
    diff_into(&mut Vec::new(), Some(before), Some(after), &mut out);
    out
}

/// `Some(None)` for an absent value, `Some(Some(map))` for a map, `None` otherwise.
fn as_map(v: Option<&Value>) -> Option<Option<&automerge::hydrate::Map>> {
    match v {
        Some(Value::Map(m)) => Some(Some(m)),
        None => Some(None),
        Some(_) => None,
    }
}

pub(crate) fn diff_into(
    prefix: &mut Path,
    a: Option<&Value>,
    b: Option<&Value>,
    out: &mut Vec<Path>,
) {
    match (as_map(a), as_map(b)) {
        (Some(ma), Some(mb)) if ma.is_some() || mb.is_some() => {
            let keys: BTreeSet<&String> = ma
                .into_iter()
                .chain(mb)
                .flat_map(|m| m.iter().map(|(k, _)| k))
                .collect();
            for k in keys {
                prefix.push(k.clone());
                diff_into(
                    prefix,
                    ma.and_then(|m| m.get(k)),
                    mb.and_then(|m| m.get(k)),
                    out,
                );
                prefix.pop();
            }
        }
        _ if a != b => out.push(prefix.clone()),
        _ => {}
    }
}

const HEADER_FIELDS: &[&str] = &["kind", "v", "created_by", "created_at", "nonce"];

/// Judges the first change of a document.
pub fn check_genesis(author: PersonaId, after: &Value) -> Result<DocKind, Rejection> {
    let kind = kind_of(after).ok_or(Rejection::BadGenesis("no known kind"))?;
    match kind {
        DocKind::Event => {
            let view = EventView::parse(after)?;
            if view.created_by != author {
                return Err(Rejection::BadGenesis("created_by is not the author"));
            }
            if view.organisers.keys().ne([&author]) {
                return Err(Rejection::BadGenesis(
                    "the creator must be the only organiser",
                ));
            }
            if !view.participants.is_empty() || !view.comments.is_empty() {
                return Err(Rejection::BadGenesis(
                    "a new event has no participants or comments",
                ));
            }
        }
        DocKind::Group => {
            let view = GroupView::parse(after)?;
            if view.created_by != author {
                return Err(Rejection::BadGenesis("created_by is not the author"));
            }
            if view.members.len() != 1 || view.role_of(&author) != Some(Role::Admin) {
                return Err(Rejection::BadGenesis(
                    "the creator must be the only member, as admin",
                ));
            }
        }
    }
    Ok(kind)
}

/// Judges a later change of a document of `kind` by its effect.
pub fn check_change(
    doc: DocId,
    kind: DocKind,
    author: PersonaId,
    before: &Value,
    after: &Value,
) -> Result<(), Rejection> {
    let touched = touched_paths(before, after);
    check_immutable(kind, &touched)?;
    let before = DocView::parse(kind, before)?;
    check_touched(doc, author, &touched, &before, after).map(|_| ())
}

/// Refuses a change that touches what never changes after the first change:
/// the header, and an event's group and origin.
pub fn check_immutable(kind: DocKind, touched: &[Path]) -> Result<(), Rejection> {
    for path in touched {
        let top = path.first().map(String::as_str).unwrap_or("");
        if HEADER_FIELDS.contains(&top)
            || (kind == DocKind::Event && matches!(top, "group" | "origin"))
        {
            return Err(Rejection::Immutable(top.to_owned()));
        }
    }
    Ok(())
}

/// The rest of [`check_change`], from the paths the change touched (already
/// checked by [`check_immutable`]) and the parsed state before it: parses the
/// state after it and judges the change; the parsed state after it when the
/// change is allowed (the gate keeps it for the next change).
pub fn check_touched(
    doc: DocId,
    author: PersonaId,
    touched: &[Path],
    before: &DocView,
    after: &Value,
) -> Result<DocView, Rejection> {
    match before {
        DocView::Event(before) => {
            let after = EventView::parse(after)?;
            check_event(author, before, &after, touched)?;
            Ok(DocView::Event(after))
        }
        DocView::Group(before) => {
            let after = GroupView::parse(after)?;
            check_group(doc, author, before, &after, touched)?;
            Ok(DocView::Group(after))
        }
    }
}

/// The entry a path below a collection touches; replacing a whole collection is
/// never allowed.
fn entry(path: &Path) -> Result<String, Rejection> {
    path.get(1)
        .cloned()
        .ok_or_else(|| not_allowed(format!("{} is replaced as a whole", path[0])))
}

fn check_event(
    author: PersonaId,
    before: &EventView,
    after: &EventView,
    touched: &[Path],
) -> Result<(), Rejection> {
    let organiser = before.is_organiser(&author);
    let mut participants = BTreeSet::new();
    let mut comments = BTreeSet::new();
    for path in touched {
        match path[0].as_str() {
            "details" | "invited" | "occurrences" | "following" if !organiser => {
                return Err(not_allowed(
                    "only organisers edit an event's details, occurrences and invitations",
                ));
            }
            "details" | "invited" | "occurrences" | "following" => {}
            "organisers" if !organiser => {
                return Err(not_allowed("only organisers choose organisers"));
            }
            "organisers" => {
                if !after.is_organiser(&before.created_by) {
                    return Err(not_allowed("the creator of an event stays an organiser"));
                }
            }
            "participants" => {
                participants.insert(entry(path)?);
            }
            "comments" => {
                comments.insert(entry(path)?);
            }
            other => return Err(Rejection::UnknownField(other.to_owned())),
        }
    }
    for key in participants {
        let (persona, occurrence) = crate::model::participation_key(&key)
            .ok_or_else(|| Rejection::UnknownField(format!("participants/{key}")))?;
        if let Some(o) = occurrence
            && !before.details.has_occurrence(o)
        {
            return Err(not_allowed(format!(
                "{o} is not an occurrence of this event"
            )));
        }
        check_participation(author, organiser, persona, occurrence, before, after)?;
    }
    for id in comments {
        check_comment(author, organiser, &id, before, after)?;
    }
    Ok(())
}

/// A participation in the whole event (`occurrence` `None`) or in one
/// occurrence of a series: the same rule, the capacity counted per occurrence.
fn check_participation(
    author: PersonaId,
    organiser: bool,
    persona: PersonaId,
    occurrence: Option<jiff::civil::DateTime>,
    before: &EventView,
    after: &EventView,
) -> Result<(), Rejection> {
    use ParticipationStatus::*;
    let was = before.participation(&persona, occurrence);
    let now = after.participation(&persona, occurrence);
    let was_status = was.map(|p| p.status);
    if persona == author {
        let Some(now) = now else { return Ok(()) };
        if was_status == Some(now.status) {
            return Ok(());
        }
        if was_status == Some(Rejected) && !organiser && now.status != Declined {
            return Err(not_allowed(
                "a rejected participant cannot rejoin on their own",
            ));
        }
        match now.status {
            Interested | Declined | Pending => Ok(()),
            Rejected => Err(not_allowed("only organisers reject participants")),
            Going if organiser => Ok(()),
            Going => {
                match before.details.join_mode {
                    JoinMode::Free => {}
                    JoinMode::Approval => {
                        return Err(not_allowed("this event needs an organiser's approval"));
                    }
                    JoinMode::Invite if before.invited.contains(&author) => {}
                    JoinMode::Invite => {
                        return Err(not_allowed("this event is by invitation only"));
                    }
                }
                if before.is_full_at(occurrence) {
                    return Err(not_allowed("the event is full"));
                }
                Ok(())
            }
        }
    } else if organiser {
        match (was, now) {
            (Some(was), Some(now))
                if was.name == now.name && was.at == now.at && was.avatar == now.avatar =>
            {
                match (was.status, now.status) {
                    (Pending, Going) if before.is_full_at(occurrence) => {
                        Err(not_allowed("the event is full"))
                    }
                    (Pending, Going) | (_, Rejected) => Ok(()),
                    _ => Err(not_allowed(
                        "organisers only approve or reject participants",
                    )),
                }
            }
            _ => Err(not_allowed(
                "organisers only approve or reject existing participants",
            )),
        }
    } else {
        Err(not_allowed(
            "a participant changes only their own participation",
        ))
    }
}

const MAX_COMMENT: usize = 5_000;

fn check_comment(
    author: PersonaId,
    organiser: bool,
    id: &str,
    before: &EventView,
    after: &EventView,
) -> Result<(), Rejection> {
    match (before.comment(id), after.comment(id)) {
        (None, Some(new)) => {
            if new.author != author {
                return Err(not_allowed(
                    "a comment is written in its author's name only",
                ));
            }
            if new.deleted || new.hidden || new.edited_at.is_some() {
                return Err(not_allowed("a new comment starts visible and unedited"));
            }
            check_comment_body(&new.body)?;
            if let Some(parent) = &new.reply_to {
                match before.comment(parent) {
                    Some(p) if p.reply_to.is_none() => {}
                    Some(_) => return Err(not_allowed("replies go one level deep")),
                    None => return Err(not_allowed("the comment replied to does not exist")),
                }
            }
            Ok(())
        }
        (Some(old), Some(new)) => {
            if old.author != new.author
                || old.author_name != new.author_name
                || old.reply_to != new.reply_to
                || old.created_at != new.created_at
            {
                return Err(Rejection::Immutable(format!("comments/{id}")));
            }
            let content_changed = old.body != new.body
                || old.edited_at != new.edited_at
                || old.deleted != new.deleted;
            if content_changed && old.author != author {
                return Err(not_allowed("only its author edits or deletes a comment"));
            }
            if old.deleted && !new.deleted {
                return Err(not_allowed("a deleted comment stays deleted"));
            }
            if !new.deleted {
                check_comment_body(&new.body)?;
            }
            if old.hidden != new.hidden && !organiser {
                return Err(not_allowed("only organisers hide comments"));
            }
            Ok(())
        }
        (Some(_), None) => Err(not_allowed("comments are marked deleted, never removed")),
        (None, None) => Ok(()),
    }
}

fn check_comment_body(body: &str) -> Result<(), Rejection> {
    if body.trim().is_empty() {
        return Err(not_allowed("a comment has text"));
    }
    if body.chars().count() > MAX_COMMENT {
        return Err(not_allowed(format!(
            "a comment has at most {MAX_COMMENT} characters"
        )));
    }
    Ok(())
}

/// The message an invitation key signs to let `persona` join `group`.
pub fn invite_message(group: &DocId, persona: &PersonaId) -> Vec<u8> {
    let mut msg = b"rally/invite/v1\0".to_vec();
    msg.extend_from_slice(&group.0);
    msg.extend_from_slice(&persona.0);
    msg
}

fn check_group(
    doc: DocId,
    author: PersonaId,
    before: &GroupView,
    after: &GroupView,
    touched: &[Path],
) -> Result<(), Rejection> {
    if before.bans.contains_key(&author) {
        return Err(not_allowed("a banned persona changes nothing in the group"));
    }
    let role = before.role_of(&author);
    let admin = role == Some(Role::Admin);
    let moderator = role.is_some_and(Role::can_moderate);
    let mut members = BTreeSet::new();
    let mut invites = BTreeSet::new();
    let mut bans = BTreeSet::new();
    let mut log = BTreeSet::new();
    let mut requests = BTreeSet::new();
    for path in touched {
        match path[0].as_str() {
            "bans" | "moderation" if !moderator => {
                return Err(not_allowed("only admins and moderators moderate"));
            }
            "bans" => {
                bans.insert(entry(path)?);
            }
            "moderation" => {
                log.insert(entry(path)?);
            }
            "requests" => {
                requests.insert(entry(path)?);
            }
            "profile" if !admin => return Err(not_allowed("only admins edit the group's profile")),
            "links" | "events" if !moderator => {
                return Err(not_allowed(
                    "only admins and moderators manage links and events",
                ));
            }
            "profile" | "links" | "events" => {}
            "invites" if !moderator => {
                return Err(not_allowed("only admins and moderators invite"));
            }
            "invites" => {
                invites.insert(entry(path)?);
            }
            "members" => {
                members.insert(entry(path)?);
            }
            other => return Err(Rejection::UnknownField(other.to_owned())),
        }
    }
    for id in invites {
        match (before.invite(&id), after.invite(&id)) {
            (None, Some(new)) if new.by == author && !new.revoked => {}
            (Some(old), Some(new))
                if old.by == new.by
                    && old.created_at == new.created_at
                    && old.single_use == new.single_use
                    && old.expires_at == new.expires_at
                    && !new.revoked.lt(&old.revoked) => {}
            _ => {
                return Err(not_allowed(
                    "invitations are created by their inviter and only revoked after",
                ));
            }
        }
    }
    for key in bans {
        let persona: PersonaId = key
            .parse()
            .map_err(|_| Rejection::UnknownField(format!("bans/{key}")))?;
        match (before.bans.get(&persona), after.bans.get(&persona)) {
            (None, Some(new)) => {
                if new.by != author || persona == author {
                    return Err(not_allowed("a ban is signed by who bans, never oneself"));
                }
                if !admin && before.role_of(&persona).is_some_and(Role::can_moderate) {
                    return Err(not_allowed("only admins ban admins and moderators"));
                }
            }
            (Some(_), None) => {}
            (Some(old), Some(new)) if old == new => {}
            _ => return Err(Rejection::Immutable(format!("bans/{key}"))),
        }
    }
    for id in log {
        let old = before.moderation.iter().find(|e| e.id == id);
        let new = after.moderation.iter().find(|e| e.id == id);
        match (old, new) {
            (None, Some(new)) if new.by == author => {}
            (Some(old), Some(new)) if old == new => {}
            _ => {
                return Err(not_allowed(
                    "the moderation log is only added to, each entry by its author",
                ));
            }
        }
    }
    for key in requests {
        let persona: PersonaId = key
            .parse()
            .map_err(|_| Rejection::UnknownField(format!("requests/{key}")))?;
        match (before.requests.get(&persona), after.requests.get(&persona)) {
            (None, Some(_)) => {
                if persona != author {
                    return Err(not_allowed("one asks to join only for oneself"));
                }
                if before.profile.visibility != crate::model::GroupVisibility::Public
                    || before.members.contains_key(&persona)
                {
                    return Err(not_allowed(
                        "only a public group's non-members ask to join it",
                    ));
                }
            }
            (Some(_), None) => {
                if persona != author && !moderator {
                    return Err(not_allowed(
                        "a request is withdrawn by whom it is for, or answered by a moderator",
                    ));
                }
            }
            (Some(old), Some(new)) if old == new => {}
            // Stale (its persona is a member or banned): anyone's to tidy.
            (None, None) => {}
            _ => return Err(Rejection::Immutable(format!("requests/{key}"))),
        }
    }
    for key in members {
        let persona: PersonaId = key
            .parse()
            .map_err(|_| Rejection::UnknownField(format!("members/{key}")))?;
        match (before.members.get(&persona), after.members.get(&persona)) {
            (None, Some(new)) => {
                let joined_by_invite =
                    persona == author && new.role == Role::Member && valid_invite(doc, before, new);
                let added = admin || (moderator && new.role == Role::Member);
                if !(joined_by_invite || added) {
                    return Err(not_allowed(
                        "members join with a valid invitation or are added by an admin",
                    ));
                }
            }
            (Some(old), None) => {
                if !(persona == author || admin || (moderator && old.role == Role::Member)) {
                    return Err(not_allowed(
                        "only admins and moderators remove other members",
                    ));
                }
            }
            (Some(old), Some(new)) => {
                if old.joined_at != new.joined_at
                    || old.invite != new.invite
                    || old.invite_signature != new.invite_signature
                {
                    return Err(Rejection::Immutable(format!("members/{key}")));
                }
                if old.role != new.role && !admin {
                    return Err(not_allowed("only admins change roles"));
                }
                if old.name != new.name && persona != author {
                    return Err(not_allowed("members choose their own display name"));
                }
                if old.avatar != new.avatar && persona != author {
                    return Err(not_allowed("members choose their own picture"));
                }
            }
            (None, None) => {}
        }
    }
    if after.admin_count() == 0 {
        return Err(not_allowed("a group keeps at least one admin"));
    }
    Ok(())
}

fn valid_invite(doc: DocId, before: &GroupView, member: &crate::model::Member) -> bool {
    let (Some(invite_id), Some(sig_hex)) = (&member.invite, &member.invite_signature) else {
        return false;
    };
    let Some(invite) = before.invite(invite_id) else {
        return false;
    };
    // The join's own time decides expiry, so every replica judges it alike.
    if invite.revoked || invite.expired(member.joined_at) {
        return false;
    }
    let (Ok(key), Ok(sig)) = (invite_id.parse::<PersonaId>(), hex::decode(sig_hex)) else {
        return false;
    };
    invite_signature_valid(&doc, &member.persona, &key, &sig)
}

/// Whether `signature` is invitation `invite`'s signature letting `persona` into
/// `group` (what a join carries, and what a device shows a server to be handed a
/// group it was invited to).
pub fn invite_signature_valid(
    group: &DocId,
    persona: &PersonaId,
    invite: &PersonaId,
    signature: &[u8],
) -> bool {
    let Some(key) = invite.verifying_key() else {
        return false;
    };
    let Ok(sig) = <[u8; 64]>::try_from(signature) else {
        return false;
    };
    key.verify(
        &invite_message(group, persona),
        &Signature::from_bytes(&sig),
    )
    .is_ok()
}
