//! What each command does, on the store: plain functions from IPC arguments to IPC
//! results, so they are tested without a window (see `tests.rs`), and the Tauri
//! commands in `lib.rs` only lock the store and call them.

use rally_core::jiff::tz::TimeZone;
use rally_core::jiff::{Timestamp, ZonedDateTime};
use rally_core::{
    DocId, DocKind, Document, EventDetails, EventStatus, GroupProfile, GroupVisibility,
    InviteToken, PersonaId, Role, parse_civil,
};
use rally_ipc as ipc;
use rally_store::{EventQuery, LocalPersona, Store, StoreError};

/// Why a command failed, in plain words for the UI.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error("{0}")]
    Store(#[from] StoreError),
    #[error("{0}")]
    Edit(#[from] rally_core::EditError),
    #[error("{0}")]
    Input(#[from] rally_core::InvalidInput),
    #[error("{0}")]
    Invite(#[from] rally_core::invite::InviteError),
    #[error("create a persona first")]
    NoPersona,
    #[error("{0}")]
    Refused(String),
    #[error("cannot write the file {path}: {source}")]
    File {
        path: String,
        source: std::io::Error,
    },
}

impl From<EngineError> for ipc::AppError {
    fn from(e: EngineError) -> Self {
        ipc::AppError {
            message: e.to_string(),
        }
    }
}

type Result<T> = std::result::Result<T, EngineError>;

fn viewer_zone() -> TimeZone {
    TimeZone::system()
}

pub fn viewer_zone_name() -> String {
    viewer_zone().iana_name().unwrap_or("UTC").to_owned()
}

fn show(z: &ZonedDateTime) -> String {
    z.strftime("%a %Y-%m-%d %H:%M").to_string()
}

fn show_secs(secs: i64) -> String {
    Timestamp::from_second(secs)
        .map(|t| show(&t.to_zoned_datetime(viewer_zone())))
        .unwrap_or_default()
}

pub fn current(store: &Store) -> Result<LocalPersona> {
    store.last_used_persona()?.ok_or(EngineError::NoPersona)
}

pub fn state(store: &Store, data_dir: &str) -> Result<ipc::AppState> {
    let current = store.last_used_persona()?.map(|p| p.row);
    let groups = store.groups()?;
    let personas = store
        .personas()?
        .into_iter()
        .map(|p| ipc::Persona {
            id: p.id().to_hex(),
            groups: groups
                .iter()
                .filter(|g| g.my_roles.iter().any(|(name, _)| name == &p.name))
                .map(|g| g.name.clone())
                .collect(),
            current: Some(p.row) == current,
            name: p.name,
        })
        .collect();
    Ok(ipc::AppState {
        personas,
        data_dir: data_dir.to_owned(),
        time_zone: viewer_zone_name(),
    })
}

pub fn create_persona(store: &mut Store, name: &str, now: Timestamp) -> Result<()> {
    let p = store.create_persona(name, now)?;
    store.touch_persona(&p, now)?;
    Ok(())
}

pub fn switch_persona(store: &mut Store, id: &str, now: Timestamp) -> Result<()> {
    let p = store
        .personas()?
        .into_iter()
        .find(|p| p.id().to_hex() == id)
        .ok_or_else(|| EngineError::Refused("no such persona on this device".into()))?;
    // Last used wins: make sure it is strictly the latest.
    let latest = store
        .personas()?
        .iter()
        .map(|p| p.last_used_at)
        .max()
        .unwrap_or(0);
    let later = Timestamp::from_second(now.as_second().max(latest + 1)).unwrap_or(now);
    store.touch_persona(&p, later)?;
    Ok(())
}

fn event_item(store: &Store, e: &rally_store::EventSummary) -> ipc::EventItem {
    let doc = store.load(e.id).ok().and_then(|d| d.event().ok());
    let group = e
        .group
        .and_then(|g| store.load(g).ok()?.group().ok())
        .map(|g| g.profile.name);
    ipc::EventItem {
        id: e.id.to_hex(),
        title: e.title.clone(),
        when: show_secs(e.starts),
        status: e.status.as_str().to_owned(),
        group,
        place: doc.and_then(|d| d.details.place.name),
    }
}

pub fn events(
    store: &Store,
    args: &ipc::EventsArgs,
    now: Timestamp,
) -> Result<Vec<ipc::EventItem>> {
    let mut q = EventQuery::upcoming(now);
    q.limit = 500;
    let text = args.text.trim();
    if !text.is_empty() {
        q.text = Some(text.to_owned());
    }
    let me = store.last_used_persona()?;
    match args.filter {
        ipc::EventFilter::Upcoming => {}
        ipc::EventFilter::All => q.upcoming = false,
        ipc::EventFilter::Mine => {
            q.involving = me.iter().map(LocalPersona::id).collect();
        }
        ipc::EventFilter::MyGroups | ipc::EventFilter::Followed => {
            let Some(me) = &me else { return Ok(Vec::new()) };
            let groups: Vec<DocId> = if args.filter == ipc::EventFilter::Followed {
                store.followed_groups(me)?
            } else {
                store
                    .groups()?
                    .into_iter()
                    .filter(|g| g.my_roles.iter().any(|(n, _)| n == &me.name))
                    .map(|g| g.id)
                    .collect()
            };
            let events = store.events_in_groups(&q, &groups)?;
            return Ok(events.iter().map(|e| event_item(store, e)).collect());
        }
    }
    Ok(store
        .events(&q)?
        .iter()
        .map(|e| event_item(store, e))
        .collect())
}

pub use rally_core::text::markdown_to_html as render_markdown;

fn when(details: &EventDetails, zone: &TimeZone) -> String {
    let start = details.starts_at().with_time_zone(zone.clone());
    match details.ends_at() {
        Some(end) => {
            let end = end.with_time_zone(zone.clone());
            if end.date() == start.date() {
                format!("{} – {}", show(&start), end.strftime("%H:%M"))
            } else {
                format!("{} – {}", show(&start), show(&end))
            }
        }
        None => show(&start),
    }
}

fn resolve(store: &Store, id: &str, kind: DocKind) -> Result<DocId> {
    Ok(store.resolve(id, Some(kind))?)
}

pub fn event(store: &Store, id: &str) -> Result<ipc::EventPage> {
    let id = resolve(store, id, DocKind::Event)?;
    let e = store.load(id)?.event()?;
    let me = store.last_used_persona()?;
    let d = &e.details;
    let viewer = viewer_zone();
    let zone = d.zone();
    let same_zone = viewer.iana_name() == zone.iana_name();
    let mut top: Vec<ipc::CommentItem> = Vec::new();
    for c in e.comments.iter().filter(|c| c.reply_to.is_none()) {
        let item = |c: &rally_core::Comment| ipc::CommentItem {
            id: c.id.clone(),
            author: c.author_name.clone(),
            body: if c.deleted || c.hidden {
                String::new()
            } else {
                c.body.clone()
            },
            when: show_secs(c.created_at),
            replies: Vec::new(),
        };
        let mut parent = item(c);
        parent.replies = e
            .comments
            .iter()
            .filter(|r| r.reply_to.as_deref() == Some(c.id.as_str()))
            .map(item)
            .collect();
        top.push(parent);
    }
    let map_url = match (d.place.latitude, d.place.longitude) {
        (Some(lat), Some(lon)) => Some(format!(
            "https://www.openstreetmap.org/?mlat={lat}&mlon={lon}#map=17/{lat}/{lon}"
        )),
        _ => None,
    };
    let group = e
        .group
        .and_then(|g| store.load(g).ok()?.group().ok())
        .map(|g| g.profile.name);
    let my_status = me
        .as_ref()
        .and_then(|m| e.participants.get(&m.id()))
        .map(|p| p.status.as_str().to_owned());
    Ok(ipc::EventPage {
        id: id.to_hex(),
        title: d.title.clone(),
        description_html: render_markdown(&d.description),
        description: d.description.clone(),
        when_local: when(d, &viewer),
        when_event: format!("{} ({})", when(d, &zone), d.time_zone),
        same_zone,
        starts: d.starts.strftime("%Y-%m-%dT%H:%M").to_string(),
        ends: d.ends.map(|e| e.strftime("%Y-%m-%dT%H:%M").to_string()),
        time_zone: d.time_zone.clone(),
        place: d.place.name.clone(),
        address: d.place.address.clone(),
        map_url,
        online: d.online_url.clone(),
        capacity: d.capacity,
        status: d.status.as_str().to_owned(),
        visibility: d.visibility.as_str().to_owned(),
        join_mode: d.join_mode.as_str().to_owned(),
        group,
        organisers: e.organisers.values().cloned().collect(),
        participants: e
            .participants
            .values()
            .map(|p| ipc::Participant {
                name: p.name.clone(),
                status: p.status.as_str().to_owned(),
            })
            .collect(),
        comments: top,
        my_status,
        can_edit: me.as_ref().is_some_and(|m| e.is_organiser(&m.id())),
        origin: e.origin.clone(),
    })
}

fn opt(s: &str) -> Option<String> {
    let s = s.trim();
    (!s.is_empty()).then(|| s.to_owned())
}

pub fn save_event(store: &mut Store, f: &ipc::EventForm, now: Timestamp) -> Result<ipc::Saved> {
    let me = current(store)?;
    let zone = if f.time_zone.trim().is_empty() {
        viewer_zone_name()
    } else {
        f.time_zone.trim().to_owned()
    };
    let starts = parse_civil("start", &f.starts)?;
    let mut details = match &f.id {
        Some(id) => {
            store
                .load(resolve(store, id, DocKind::Event)?)?
                .event()?
                .details
        }
        None => EventDetails::new(f.title.clone(), starts, zone.clone()),
    };
    details.title = f.title.trim().to_owned();
    details.description = f.description.clone();
    details.starts = starts;
    details.ends = opt(&f.ends).map(|e| parse_civil("end", &e)).transpose()?;
    details.time_zone = zone;
    details.place.name = opt(&f.place);
    details.place.address = opt(&f.address);
    details.online_url = opt(&f.online);
    if let Some(v) = opt(&f.visibility) {
        details.visibility = v.parse()?;
    }
    if let Some(id) = &f.id {
        let id = resolve(store, id, DocKind::Event)?;
        store.update(id, |d| d.update_event(&me.persona, &details, now))?;
        return Ok(ipc::Saved {
            id: id.to_hex(),
            path: None,
        });
    }
    let group = f
        .group
        .as_deref()
        .filter(|g| !g.is_empty())
        .map(|g| resolve(store, g, DocKind::Group))
        .transpose()?;
    if let Some(g) = group {
        let view = store.load(g)?.group()?;
        if !view.role_of(&me.id()).is_some_and(Role::can_moderate) {
            return Err(EngineError::Refused(
                "only the group's admins and moderators create its events".into(),
            ));
        }
    }
    let (doc, _) = Document::create_event(&me.persona, &me.name, &details, group, now)?;
    let id = doc.id();
    store.insert_new(&doc)?;
    if let Some(g) = group {
        store.update(g, |gd| gd.set_group_event(&me.persona, id, true, now))?;
    }
    Ok(ipc::Saved {
        id: id.to_hex(),
        path: None,
    })
}

pub fn cancel_event(store: &mut Store, id: &str, now: Timestamp) -> Result<()> {
    let me = current(store)?;
    let id = resolve(store, id, DocKind::Event)?;
    let mut details = store.load(id)?.event()?.details;
    details.status = EventStatus::Cancelled;
    store.update(id, |d| d.update_event(&me.persona, &details, now))?;
    Ok(())
}

pub fn rsvp(store: &mut Store, args: &ipc::RsvpArgs, now: Timestamp) -> Result<Option<String>> {
    let me = current(store)?;
    let id = resolve(store, &args.id, DocKind::Event)?;
    if args.going {
        let (_, status) = store.update(id, |d| d.join_event(&me.persona, &me.name, now))?;
        Ok(Some(status.as_str().to_owned()))
    } else {
        store.update(id, |d| d.leave_event(&me.persona, now))?;
        Ok(None)
    }
}

pub fn comment(store: &mut Store, args: &ipc::CommentArgs, now: Timestamp) -> Result<String> {
    let me = current(store)?;
    let id = resolve(store, &args.id, DocKind::Event)?;
    let (_, cid) = store.update(id, |d| {
        d.comment(
            &me.persona,
            &me.name,
            &args.body,
            args.reply_to.as_deref(),
            now,
        )
    })?;
    Ok(cid)
}

/// The event as an iCalendar file (RFC 5545).
pub fn ics(store: &Store, id: &str) -> Result<(String, String)> {
    use icalendar::{Component, EventLike};
    let id = resolve(store, id, DocKind::Event)?;
    let e = store.load(id)?.event()?;
    let d = &e.details;
    let utc = |z: ZonedDateTime| {
        let t = z.timestamp();
        chrono_like(t)
    };
    let mut ev = icalendar::Event::new();
    ev.uid(&format!("{}@rally", id.to_hex()))
        .summary(&d.title)
        .description(&d.description)
        .starts(utc(d.starts_at()));
    if let Some(end) = d.ends_at() {
        ev.ends(utc(end));
    }
    let location: Vec<String> = [d.place.name.clone(), d.place.address.clone()]
        .into_iter()
        .flatten()
        .collect();
    if !location.is_empty() {
        ev.location(&location.join(", "));
    }
    if let Some(url) = &d.online_url {
        ev.url(url);
    }
    if d.status == EventStatus::Cancelled {
        ev.status(icalendar::EventStatus::Cancelled);
    }
    let cal = icalendar::Calendar::new().push(ev.done()).done();
    let name: String = d
        .title
        .chars()
        .map(|c| if c.is_alphanumeric() { c } else { '-' })
        .collect();
    Ok((format!("{}.ics", name.trim_matches('-')), cal.to_string()))
}

/// icalendar speaks chrono; jiff converts through the Unix timestamp.
fn chrono_like(t: Timestamp) -> icalendar::CalendarDateTime {
    let dt = chrono::DateTime::<chrono::Utc>::from_timestamp(t.as_second(), 0).unwrap_or_default();
    icalendar::CalendarDateTime::Utc(dt)
}

pub fn groups(store: &Store) -> Result<Vec<ipc::GroupItem>> {
    let me = store.last_used_persona()?;
    Ok(store
        .groups()?
        .into_iter()
        .map(|g| ipc::GroupItem {
            id: g.id.to_hex(),
            my_role: me.as_ref().and_then(|m| {
                g.my_roles
                    .iter()
                    .find(|(n, _)| n == &m.name)
                    .map(|(_, r)| r.clone())
            }),
            name: g.name,
            members: g.members,
            members_only: g.visibility == "members-only",
        })
        .collect())
}

pub fn group(store: &Store, id: &str, now: Timestamp) -> Result<ipc::GroupPage> {
    let id = resolve(store, id, DocKind::Group)?;
    let g = store.load(id)?.group()?;
    let me = store.last_used_persona()?;
    let mut q = EventQuery::upcoming(now);
    q.group = Some(id);
    q.upcoming = false;
    let events = store
        .events(&q)?
        .iter()
        .map(|e| event_item(store, e))
        .collect();
    let messages = store
        .messages(id)?
        .into_iter()
        .map(|m| ipc::ChatMessage {
            mine: me.as_ref().is_some_and(|me| me.id() == m.author),
            author: m
                .author_name
                .unwrap_or_else(|| m.author.to_hex()[..8].to_owned()),
            when: show_secs(m.at.div_euclid(1000)),
            edited: m.edited_at.is_some(),
            deleted: m.deleted,
            id: m.id,
            text: m.text,
            reply_to: m.reply_to,
        })
        .collect();
    let followed = match &me {
        Some(m) => store.followed_groups(m)?.contains(&id),
        None => false,
    };
    Ok(ipc::GroupPage {
        id: id.to_hex(),
        followed,
        my_role: me
            .as_ref()
            .and_then(|m| g.role_of(&m.id()))
            .map(|r| r.as_str().to_owned()),
        name: g.profile.name,
        summary: g.profile.summary,
        members_only: g.profile.visibility == GroupVisibility::MembersOnly,
        members: g
            .members
            .values()
            .map(|m| ipc::Member {
                id: m.persona.to_hex(),
                name: m.name.clone(),
                role: m.role.as_str().to_owned(),
            })
            .collect(),
        links: g
            .links
            .iter()
            .map(|l| ipc::Link {
                title: l.title.clone(),
                url: l.url.clone(),
            })
            .collect(),
        events,
        messages,
    })
}

pub fn create_group(store: &mut Store, args: &ipc::NewGroup, now: Timestamp) -> Result<String> {
    let me = current(store)?;
    let profile = GroupProfile {
        name: args.name.trim().to_owned(),
        summary: args.summary.trim().to_owned(),
        visibility: if args.members_only {
            GroupVisibility::MembersOnly
        } else {
            GroupVisibility::Public
        },
    };
    let (doc, _) = Document::create_group(&me.persona, &me.name, &profile, now)?;
    store.insert_new(&doc)?;
    Ok(doc.id().to_hex())
}

pub fn invite(store: &mut Store, id: &str, now: Timestamp) -> Result<ipc::Invitation> {
    let me = current(store)?;
    let id = resolve(store, id, DocKind::Group)?;
    let (_, token) = store.update(id, |g| g.create_invite(&me.persona, now))?;
    let token = token.encode();
    let qr = qrcode::QrCode::new(token.as_bytes())
        .map_err(|e| EngineError::Refused(format!("cannot draw the QR code: {e}")))?;
    let qr_svg = qr
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(200, 200)
        .build();
    Ok(ipc::Invitation { token, qr_svg })
}

pub fn join_group(store: &mut Store, token: &str, now: Timestamp) -> Result<bool> {
    let me = current(store)?;
    let token = InviteToken::decode(token)?;
    Ok(store.join_group(&me, &token, now)?)
}

pub fn send_message(store: &mut Store, args: &ipc::MessageArgs, now: Timestamp) -> Result<String> {
    let me = current(store)?;
    let id = resolve(store, &args.group, DocKind::Group)?;
    Ok(store.send_message(&me, id, &args.text, args.reply_to.as_deref(), now)?)
}

pub fn follow_group(store: &mut Store, args: &ipc::FollowArgs) -> Result<()> {
    let me = current(store)?;
    let id = resolve(store, &args.id, DocKind::Group)?;
    Ok(store.follow_group(&me, id, args.follow)?)
}

fn member(text: &str) -> Result<PersonaId> {
    text.parse()
        .map_err(|_| EngineError::Refused(format!("{text:?} is not a member")))
}

pub fn set_role(store: &mut Store, args: &ipc::MemberArgs, now: Timestamp) -> Result<()> {
    let me = current(store)?;
    let id = resolve(store, &args.group, DocKind::Group)?;
    let who = member(&args.member)?;
    let role: Role = args.role.parse()?;
    store.update(id, |g| g.set_role(&me.persona, who, role, now))?;
    Ok(())
}

pub fn remove_member(store: &mut Store, args: &ipc::MemberArgs, now: Timestamp) -> Result<()> {
    let me = current(store)?;
    let id = resolve(store, &args.group, DocKind::Group)?;
    let who = member(&args.member)?;
    store.update(id, |g| g.remove_member(&me.persona, who, now))?;
    Ok(())
}

pub fn add_link(store: &mut Store, args: &ipc::LinkArgs, now: Timestamp) -> Result<()> {
    let me = current(store)?;
    let id = resolve(store, &args.group, DocKind::Group)?;
    let g = store.load(id)?.group()?;
    let title = args.title.trim().to_owned();
    let link = rally_core::GroupLink {
        id: g.link_id_for(&title),
        title,
        url: args.url.trim().to_owned(),
    };
    store.update(id, |d| d.put_link(&me.persona, &link, now))?;
    Ok(())
}
