//! Writers of the document layout: each function records one kind of edit in an
//! open automerge transaction. They only write what differs from the current state,
//! so an edit that changes nothing produces no operations.
//!
//! These functions do not decide who may do what; [`crate::rules`] does, on the
//! resulting change, for local and remote changes alike.

use automerge::transaction::{Transactable, Transaction};
use automerge::{AutomergeError, ObjId, ObjType, ROOT, ReadDoc, ScalarValue, Value};

use crate::ids::{DocId, PersonaId, random_bytes};
use crate::model::{
    DocKind, EventDetails, GroupLink, GroupProfile, InviteLimits, ParticipationStatus, Role,
};

pub(crate) type Tx<'a> = Transaction<'a>;

pub(crate) fn child_map(
    tx: &mut Tx<'_>,
    parent: &ObjId,
    key: &str,
) -> Result<ObjId, AutomergeError> {
    match tx.get(parent, key)? {
        Some((Value::Object(ObjType::Map), id)) => Ok(id),
        _ => tx.put_object(parent, key, ObjType::Map),
    }
}

fn existing_map(tx: &Tx<'_>, parent: &ObjId, key: &str) -> Result<Option<ObjId>, AutomergeError> {
    Ok(match tx.get(parent, key)? {
        Some((Value::Object(ObjType::Map), id)) => Some(id),
        _ => None,
    })
}

fn put_if_changed(
    tx: &mut Tx<'_>,
    obj: &ObjId,
    key: &str,
    value: ScalarValue,
) -> Result<(), AutomergeError> {
    let same = matches!(tx.get(obj, key)?, Some((Value::Scalar(current), _)) if *current == value);
    if !same {
        tx.put(obj, key, value)?;
    }
    Ok(())
}

pub(crate) fn put_opt(
    tx: &mut Tx<'_>,
    obj: &ObjId,
    key: &str,
    value: Option<ScalarValue>,
) -> Result<(), AutomergeError> {
    match value {
        Some(v) => put_if_changed(tx, obj, key, v),
        None => {
            if tx.get(obj, key)?.is_some() {
                tx.delete(obj, key)?;
            }
            Ok(())
        }
    }
}

fn write_header(
    tx: &mut Tx<'_>,
    kind: DocKind,
    author: PersonaId,
    now: i64,
) -> Result<(), AutomergeError> {
    tx.put(ROOT, "kind", kind.as_str())?;
    tx.put(ROOT, "v", 1_i64)?;
    tx.put(ROOT, "created_by", author.to_hex())?;
    tx.put(ROOT, "created_at", now)?;
    tx.put(
        ROOT,
        "nonce",
        ScalarValue::Bytes(random_bytes::<8>().to_vec()),
    )?;
    Ok(())
}

pub(crate) fn event_genesis(
    tx: &mut Tx<'_>,
    author: PersonaId,
    author_name: &str,
    details: &EventDetails,
    group: Option<DocId>,
    origin: Option<&str>,
    now: i64,
) -> Result<(), AutomergeError> {
    write_header(tx, DocKind::Event, author, now)?;
    if let Some(group) = group {
        tx.put(ROOT, "group", group.to_hex())?;
    }
    if let Some(origin) = origin {
        tx.put(ROOT, "origin", origin)?;
    }
    write_details(tx, details)?;
    let organisers = tx.put_object(ROOT, "organisers", ObjType::Map)?;
    let me = tx.put_object(&organisers, author.to_hex(), ObjType::Map)?;
    tx.put(&me, "name", author_name)?;
    create_containers(
        tx,
        &[
            "participants",
            "invited",
            "comments",
            "occurrences",
            "following",
        ],
    )
}

/// A series' exception for the occurrence `name` (see [`crate::recurrence`]):
/// the entry holds exactly the patch's fields; an empty patch removes it.
pub(crate) fn write_exception(
    tx: &mut Tx<'_>,
    following: bool,
    name: jiff::civil::DateTime,
    p: &crate::recurrence::OccurrencePatch,
) -> Result<(), AutomergeError> {
    let map = child_map(
        tx,
        &ROOT,
        if following {
            "following"
        } else {
            "occurrences"
        },
    )?;
    let key = name.to_string();
    if p.is_empty() {
        if tx.get(&map, key.as_str())?.is_some() {
            tx.delete(&map, key.as_str())?;
        }
        return Ok(());
    }
    let obj = child_map(tx, &map, &key)?;
    let s = |v: &str| ScalarValue::Str(v.into());
    put_opt(tx, &obj, "starts", p.starts.map(|t| s(&t.to_string())))?;
    put_opt(tx, &obj, "ends", p.ends.map(|t| s(&t.to_string())))?;
    put_opt(tx, &obj, "title", p.title.as_deref().map(s))?;
    put_opt(tx, &obj, "description", p.description.as_deref().map(s))?;
    let place = p.place.clone().unwrap_or_default();
    put_opt(tx, &obj, "place", place.name.as_deref().map(s))?;
    put_opt(tx, &obj, "address", place.address.as_deref().map(s))?;
    put_opt(tx, &obj, "lat", place.latitude.map(ScalarValue::F64))?;
    put_opt(tx, &obj, "lon", place.longitude.map(ScalarValue::F64))?;
    put_opt(tx, &obj, "online", p.online_url.as_deref().map(s))?;
    put_opt(tx, &obj, "status", p.status.map(|st| s(st.as_str())))
}

/// The maps people add entries to concurrently exist from the genesis on: two
/// replicas that each created one would hold two objects under one key, and only
/// one would be read.
fn create_containers(tx: &mut Tx<'_>, keys: &[&str]) -> Result<(), AutomergeError> {
    for key in keys {
        tx.put_object(ROOT, *key, ObjType::Map)?;
    }
    Ok(())
}

pub(crate) fn write_details(tx: &mut Tx<'_>, d: &EventDetails) -> Result<(), AutomergeError> {
    let obj = child_map(tx, &ROOT, "details")?;
    let s = |v: &str| ScalarValue::Str(v.into());
    put_if_changed(tx, &obj, "title", s(&d.title))?;
    put_opt(
        tx,
        &obj,
        "description",
        (!d.description.is_empty()).then(|| s(&d.description)),
    )?;
    put_if_changed(tx, &obj, "starts", s(&d.starts.to_string()))?;
    put_opt(tx, &obj, "ends", d.ends.map(|e| s(&e.to_string())))?;
    put_if_changed(tx, &obj, "tz", s(&d.time_zone))?;
    put_opt(tx, &obj, "place", d.place.name.as_deref().map(s))?;
    put_opt(tx, &obj, "address", d.place.address.as_deref().map(s))?;
    put_opt(tx, &obj, "lat", d.place.latitude.map(ScalarValue::F64))?;
    put_opt(tx, &obj, "lon", d.place.longitude.map(ScalarValue::F64))?;
    put_opt(tx, &obj, "online", d.online_url.as_deref().map(s))?;
    put_opt(
        tx,
        &obj,
        "capacity",
        d.capacity.map(|c| ScalarValue::Int(c.into())),
    )?;
    put_if_changed(tx, &obj, "join_mode", s(d.join_mode.as_str()))?;
    put_if_changed(tx, &obj, "status", s(d.status.as_str()))?;
    put_if_changed(tx, &obj, "visibility", s(d.visibility.as_str()))?;
    put_opt(
        tx,
        &obj,
        "banner",
        d.banner.as_ref().map(|b| s(&b.encode())),
    )?;
    put_opt(
        tx,
        &obj,
        "route",
        (!d.route.is_empty()).then(|| s(&crate::march_map::encode_route(&d.route))),
    )?;
    write_points(tx, &obj, &d.points)?;
    put_opt(tx, &obj, "repeat", d.repeat.as_ref().map(|r| s(r.as_str())))?;
    let current: Vec<String> = match tx.get(&obj, "tags")? {
        Some((Value::Object(ObjType::List), list)) => tx
            .values(&list)
            .filter_map(|v| v.0.into_string().ok())
            .collect(),
        _ => Vec::new(),
    };
    if current != d.tags {
        if d.tags.is_empty() {
            tx.delete(&obj, "tags")?;
        } else {
            let list = tx.put_object(&obj, "tags", ObjType::List)?;
            for (i, tag) in d.tags.iter().enumerate() {
                tx.insert(&list, i, tag.as_str())?;
            }
        }
    }
    Ok(())
}

/// The march map's points, by id: entries added, changed or removed, the map
/// itself made once (from the first edit on) so concurrent additions meet in it.
fn write_points(
    tx: &mut Tx<'_>,
    details: &ObjId,
    points: &[crate::march_map::MapPoint],
) -> Result<(), AutomergeError> {
    let map = child_map(tx, details, "points")?;
    let wanted: std::collections::BTreeSet<&str> = points.iter().map(|p| p.id.as_str()).collect();
    let present: Vec<String> = tx.keys(&map).collect();
    for key in present {
        if !wanted.contains(key.as_str()) {
            tx.delete(&map, key.as_str())?;
        }
    }
    for p in points {
        let entry = child_map(tx, &map, &p.id)?;
        put_if_changed(
            tx,
            &entry,
            "label",
            ScalarValue::Str(p.label.as_str().into()),
        )?;
        put_if_changed(tx, &entry, "lat", ScalarValue::F64(p.at.lat))?;
        put_if_changed(tx, &entry, "lon", ScalarValue::F64(p.at.lon))?;
    }
    Ok(())
}

pub(crate) fn add_organiser(
    tx: &mut Tx<'_>,
    persona: PersonaId,
    name: &str,
) -> Result<(), AutomergeError> {
    let organisers = child_map(tx, &ROOT, "organisers")?;
    let entry = child_map(tx, &organisers, &persona.to_hex())?;
    put_if_changed(tx, &entry, "name", name.into())
}

pub(crate) fn invite_to_event(tx: &mut Tx<'_>, persona: PersonaId) -> Result<(), AutomergeError> {
    let invited = child_map(tx, &ROOT, "invited")?;
    put_if_changed(tx, &invited, &persona.to_hex(), true.into())
}

/// `key`: see [`crate::model::participation_key_of`].
pub(crate) fn set_participation(
    tx: &mut Tx<'_>,
    key: &str,
    name: &str,
    status: ParticipationStatus,
    now: i64,
) -> Result<(), AutomergeError> {
    let participants = child_map(tx, &ROOT, "participants")?;
    let existing = existing_map(tx, &participants, key)?;
    let entry = match existing {
        Some(e) => e,
        None => {
            let e = tx.put_object(&participants, key, ObjType::Map)?;
            tx.put(&e, "name", name)?;
            tx.put(&e, "at", now)?;
            e
        }
    };
    put_if_changed(tx, &entry, "status", status.as_str().into())
}

pub(crate) fn set_participant_status(
    tx: &mut Tx<'_>,
    key: &str,
    status: ParticipationStatus,
) -> Result<bool, AutomergeError> {
    let Some(participants) = existing_map(tx, &ROOT, "participants")? else {
        return Ok(false);
    };
    let Some(entry) = existing_map(tx, &participants, key)? else {
        return Ok(false);
    };
    put_if_changed(tx, &entry, "status", status.as_str().into())?;
    Ok(true)
}

pub(crate) fn remove_participation(tx: &mut Tx<'_>, key: &str) -> Result<(), AutomergeError> {
    if let Some(participants) = existing_map(tx, &ROOT, "participants")?
        && tx.get(&participants, key)?.is_some()
    {
        tx.delete(&participants, key)?;
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
pub(crate) fn add_comment(
    tx: &mut Tx<'_>,
    id: &str,
    author: PersonaId,
    author_name: &str,
    body: &str,
    reply_to: Option<&str>,
    now: i64,
) -> Result<(), AutomergeError> {
    let comments = child_map(tx, &ROOT, "comments")?;
    let c = tx.put_object(&comments, id, ObjType::Map)?;
    tx.put(&c, "author", author.to_hex())?;
    tx.put(&c, "name", author_name)?;
    tx.put(&c, "body", body)?;
    if let Some(parent) = reply_to {
        tx.put(&c, "reply_to", parent)?;
    }
    tx.put(&c, "created_at", now)?;
    Ok(())
}

/// Returns false when there is no such comment.
pub(crate) fn update_comment(
    tx: &mut Tx<'_>,
    id: &str,
    body: Option<&str>,
    deleted: Option<bool>,
    hidden: Option<bool>,
    now: i64,
) -> Result<bool, AutomergeError> {
    let Some(comments) = existing_map(tx, &ROOT, "comments")? else {
        return Ok(false);
    };
    let Some(c) = existing_map(tx, &comments, id)? else {
        return Ok(false);
    };
    if let Some(body) = body {
        put_if_changed(tx, &c, "body", body.into())?;
        put_if_changed(tx, &c, "edited_at", now.into())?;
    }
    if let Some(deleted) = deleted {
        put_if_changed(tx, &c, "deleted", deleted.into())?;
        if deleted {
            put_if_changed(tx, &c, "body", "".into())?;
            put_if_changed(tx, &c, "edited_at", now.into())?;
        }
    }
    if let Some(hidden) = hidden {
        put_if_changed(tx, &c, "hidden", hidden.into())?;
    }
    Ok(true)
}

pub(crate) fn group_genesis(
    tx: &mut Tx<'_>,
    author: PersonaId,
    author_name: &str,
    profile: &GroupProfile,
    now: i64,
) -> Result<(), AutomergeError> {
    write_header(tx, DocKind::Group, author, now)?;
    write_profile(tx, profile)?;
    create_containers(
        tx,
        &[
            "members",
            "invites",
            "links",
            "events",
            "bans",
            "moderation",
        ],
    )?;
    add_member(tx, author, author_name, Role::Admin, now, None)
}

pub(crate) fn write_profile(tx: &mut Tx<'_>, p: &GroupProfile) -> Result<(), AutomergeError> {
    let obj = child_map(tx, &ROOT, "profile")?;
    put_if_changed(tx, &obj, "name", p.name.as_str().into())?;
    put_opt(
        tx,
        &obj,
        "summary",
        (!p.summary.is_empty()).then(|| p.summary.as_str().into()),
    )?;
    put_opt(
        tx,
        &obj,
        "avatar",
        p.avatar.as_ref().map(|a| a.encode().into()),
    )?;
    put_if_changed(tx, &obj, "visibility", p.visibility.as_str().into())
}

/// A persona's picture in its own entry of `map` (`members` of a group,
/// `participants` of an event), if it has one there.
pub(crate) fn set_own_avatar(
    tx: &mut Tx<'_>,
    map: &str,
    persona: PersonaId,
    avatar: Option<&crate::picture::Picture>,
) -> Result<(), AutomergeError> {
    let Some(container) = existing_map(tx, &ROOT, map)? else {
        return Ok(());
    };
    let Some(entry) = existing_map(tx, &container, &persona.to_hex())? else {
        return Ok(());
    };
    put_opt(
        tx,
        &entry,
        "avatar",
        avatar.map(|a| ScalarValue::Str(a.encode().into())),
    )
}

pub(crate) fn add_member(
    tx: &mut Tx<'_>,
    persona: PersonaId,
    name: &str,
    role: Role,
    now: i64,
    invite: Option<(&str, &str)>,
) -> Result<(), AutomergeError> {
    let members = child_map(tx, &ROOT, "members")?;
    let m = tx.put_object(&members, persona.to_hex(), ObjType::Map)?;
    tx.put(&m, "name", name)?;
    tx.put(&m, "role", role.as_str())?;
    tx.put(&m, "joined_at", now)?;
    if let Some((invite, signature)) = invite {
        tx.put(&m, "invite", invite)?;
        tx.put(&m, "invite_sig", signature)?;
    }
    Ok(())
}

pub(crate) fn set_role(
    tx: &mut Tx<'_>,
    persona: PersonaId,
    role: Role,
) -> Result<bool, AutomergeError> {
    let Some(members) = existing_map(tx, &ROOT, "members")? else {
        return Ok(false);
    };
    let Some(m) = existing_map(tx, &members, &persona.to_hex())? else {
        return Ok(false);
    };
    put_if_changed(tx, &m, "role", role.as_str().into())?;
    Ok(true)
}

pub(crate) fn remove_member(tx: &mut Tx<'_>, persona: PersonaId) -> Result<bool, AutomergeError> {
    let Some(members) = existing_map(tx, &ROOT, "members")? else {
        return Ok(false);
    };
    if tx.get(&members, persona.to_hex())?.is_none() {
        return Ok(false);
    }
    tx.delete(&members, persona.to_hex())?;
    Ok(true)
}

pub(crate) fn add_invite(
    tx: &mut Tx<'_>,
    invite_id: &str,
    by: PersonaId,
    now: i64,
    limits: InviteLimits,
) -> Result<(), AutomergeError> {
    let invites = child_map(tx, &ROOT, "invites")?;
    let i = tx.put_object(&invites, invite_id, ObjType::Map)?;
    tx.put(&i, "by", by.to_hex())?;
    tx.put(&i, "created_at", now)?;
    if limits.single_use {
        tx.put(&i, "single_use", true)?;
    }
    if let Some(at) = limits.expires_at {
        tx.put(&i, "expires_at", at)?;
    }
    Ok(())
}

pub(crate) fn revoke_invite(tx: &mut Tx<'_>, invite_id: &str) -> Result<bool, AutomergeError> {
    let Some(invites) = existing_map(tx, &ROOT, "invites")? else {
        return Ok(false);
    };
    let Some(i) = existing_map(tx, &invites, invite_id)? else {
        return Ok(false);
    };
    put_if_changed(tx, &i, "revoked", true.into())?;
    Ok(true)
}

pub(crate) fn put_link(tx: &mut Tx<'_>, link: &GroupLink) -> Result<(), AutomergeError> {
    let links = child_map(tx, &ROOT, "links")?;
    let l = child_map(tx, &links, &link.id)?;
    put_if_changed(tx, &l, "title", link.title.as_str().into())?;
    put_if_changed(tx, &l, "url", link.url.as_str().into())
}

pub(crate) fn remove_link(tx: &mut Tx<'_>, id: &str) -> Result<bool, AutomergeError> {
    let Some(links) = existing_map(tx, &ROOT, "links")? else {
        return Ok(false);
    };
    if tx.get(&links, id)?.is_none() {
        return Ok(false);
    }
    tx.delete(&links, id)?;
    Ok(true)
}

pub(crate) fn set_group_event(
    tx: &mut Tx<'_>,
    event: DocId,
    listed: bool,
) -> Result<(), AutomergeError> {
    let events = child_map(tx, &ROOT, "events")?;
    if listed {
        put_if_changed(tx, &events, &event.to_hex(), true.into())
    } else {
        if tx.get(&events, event.to_hex())?.is_some() {
            tx.delete(&events, event.to_hex())?;
        }
        Ok(())
    }
}

/// Bans `persona` (its member entry goes too, so lifting the ban does not make
/// it a member again).
pub(crate) fn ban(
    tx: &mut Tx<'_>,
    persona: PersonaId,
    ban: &crate::moderation::Ban,
) -> Result<(), AutomergeError> {
    let bans = child_map(tx, &ROOT, "bans")?;
    let b = tx.put_object(&bans, persona.to_hex(), ObjType::Map)?;
    tx.put(&b, "by", ban.by.to_hex())?;
    tx.put(&b, "at", ban.at)?;
    if let Some(r) = ban.reason {
        tx.put(&b, "reason", r.as_str())?;
    }
    if let Some(n) = &ban.note {
        tx.put(&b, "note", n.as_str())?;
    }
    remove_member(tx, persona)?;
    Ok(())
}

pub(crate) fn unban(tx: &mut Tx<'_>, persona: PersonaId) -> Result<bool, AutomergeError> {
    let Some(bans) = existing_map(tx, &ROOT, "bans")? else {
        return Ok(false);
    };
    if tx.get(&bans, persona.to_hex())?.is_none() {
        return Ok(false);
    }
    tx.delete(&bans, persona.to_hex())?;
    Ok(true)
}

/// Adds an entry to the moderation log (`entry.id` is its key).
pub(crate) fn log_moderation(
    tx: &mut Tx<'_>,
    entry: &crate::moderation::LogEntry,
) -> Result<(), AutomergeError> {
    let log = child_map(tx, &ROOT, "moderation")?;
    let e = tx.put_object(&log, entry.id.as_str(), ObjType::Map)?;
    tx.put(&e, "by", entry.by.to_hex())?;
    tx.put(&e, "at", entry.at)?;
    tx.put(&e, "action", entry.action.as_str())?;
    tx.put(&e, "target", entry.target.as_str())?;
    if let Some(r) = entry.reason {
        tx.put(&e, "reason", r.as_str())?;
    }
    if let Some(n) = &entry.note {
        tx.put(&e, "note", n.as_str())?;
    }
    Ok(())
}

/// `persona` asks to join the group.
pub(crate) fn request_to_join(
    tx: &mut Tx<'_>,
    persona: PersonaId,
    request: &crate::moderation::JoinRequest,
) -> Result<(), AutomergeError> {
    let requests = child_map(tx, &ROOT, "requests")?;
    let r = tx.put_object(&requests, persona.to_hex(), ObjType::Map)?;
    tx.put(&r, "name", request.name.as_str())?;
    tx.put(&r, "at", request.at)?;
    if let Some(n) = &request.note {
        tx.put(&r, "note", n.as_str())?;
    }
    Ok(())
}

pub(crate) fn drop_request(tx: &mut Tx<'_>, persona: PersonaId) -> Result<bool, AutomergeError> {
    let Some(requests) = existing_map(tx, &ROOT, "requests")? else {
        return Ok(false);
    };
    if tx.get(&requests, persona.to_hex())?.is_none() {
        return Ok(false);
    }
    tx.delete(&requests, persona.to_hex())?;
    Ok(true)
}
