//! The app's side of each command: IPC arguments in, a use case of the service
//! (`rally-service`, where each is written once for every front end), IPC results
//! out — times formatted for the viewer, Markdown rendered, .ics and QR codes
//! drawn. Plain functions on a [`Service`], so they are tested without a window
//! (see `tests.rs`); the Tauri commands in `lib.rs` run them on the service's
//! thread.

use rally_core::disappearing::Disappearing;
use rally_core::jiff::tz::TimeZone;
use rally_core::jiff::{Timestamp, ZonedDateTime};
use rally_core::model::JoinMode;
use rally_core::{
    DocId, DocKind, EventDetails, EventStatus, GroupVisibility, ParticipationStatus, PersonaId,
    Role, Visibility, parse_civil,
};
use rally_ipc as ipc;
use rally_service::discover::DiscoverSearch;
use rally_service::events::{EventEdit, EventFilter, EventSearch, NewEvent, Rsvp, optional_text};
use rally_service::{Service, ServiceError};

/// Why a command failed, in plain words for the UI.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error("{0}")]
    Service(#[from] ServiceError),
    #[error("{0}")]
    Input(#[from] rally_core::InvalidInput),
    #[error("{0}")]
    Refused(String),
    #[error("{0}")]
    Picture(#[from] rally_picture::PictureError),
    #[error("the store is locked: enter its passphrase")]
    Locked,
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

pub type Result<T> = std::result::Result<T, EngineError>;

fn viewer_zone() -> TimeZone {
    TimeZone::system()
}

pub fn viewer_zone_name() -> String {
    viewer_zone().iana_name().unwrap_or("UTC").to_owned()
}

/// A moment for the viewer, in the app's language (see [`crate::dates`]).
fn show(z: &ZonedDateTime) -> String {
    let now = Timestamp::now().to_zoned_datetime(z.time_zone().clone());
    crate::dates::moment(crate::dates::language(), z, &now)
}

pub(crate) fn show_secs(secs: i64) -> String {
    Timestamp::from_second(secs)
        .map(|t| show(&t.to_zoned_datetime(viewer_zone())))
        .unwrap_or_default()
}

pub fn state(svc: &Service, data_dir: &str) -> Result<ipc::AppState> {
    let personas = svc.personas()?;
    let groups = svc.groups()?;
    let personas = personas
        .list
        .into_iter()
        .map(|p| ipc::Persona {
            avatar: svc
                .store()
                .persona_picture(&p.id())
                .ok()
                .flatten()
                .as_ref()
                .map(card_picture),
            id: p.id().to_hex(),
            groups: groups
                .iter()
                .filter(|g| g.my_roles.iter().any(|(name, _)| name == &p.name))
                .map(|g| g.name.clone())
                .collect(),
            current: Some(p.row) == personas.current,
            name: p.name,
        })
        .collect();
    Ok(ipc::AppState {
        personas,
        data_dir: data_dir.to_owned(),
        time_zone: viewer_zone_name(),
    })
}

pub fn create_persona(svc: &mut Service, name: &str) -> Result<()> {
    svc.create_persona(name)?;
    Ok(())
}

pub fn switch_persona(svc: &mut Service, id: &str) -> Result<()> {
    svc.switch_persona(id)?;
    Ok(())
}

/// A list position: an event's start (Unix seconds) and id, as `START.ID`.
fn cursor(starts: i64, id: &DocId) -> String {
    format!("{starts}.{}", id.to_hex())
}

fn parse_cursor(text: &str) -> Option<(i64, DocId)> {
    let (starts, id) = text.split_once('.')?;
    Some((starts.parse().ok()?, id.parse().ok()?))
}

fn event_item(svc: &Service, e: &rally_store::EventSummary) -> ipc::EventItem {
    let store = svc.store();
    let doc = store.load(e.id).ok().and_then(|d| d.event().ok());
    let group = e
        .group
        .and_then(|g| store.load(g).ok()?.group().ok())
        .map(|g| g.profile.name);
    let (day, month) = badge(e.starts);
    let news = doc
        .as_ref()
        .and_then(|d| svc.event_news(e.id, d).ok())
        .map_or(0, |(comments, people)| comments + people);
    ipc::EventItem {
        news,
        cursor: cursor(e.starts, &e.id),
        id: e.id.to_hex(),
        title: e.title.clone(),
        when: show_secs(e.starts),
        status: event_status(e.status),
        group,
        going: doc.as_ref().map_or(0, |d| d.going_count() as u32),
        full: doc.as_ref().is_some_and(|d| d.is_full()),
        banner: doc
            .as_ref()
            .and_then(|d| d.details.banner.as_ref())
            .map(card_picture),
        place: doc.and_then(|d| d.details.place.name),
        day,
        month,
        at: e.at.map(|(lat, lon)| [lat, lon]),
        occurrence: e.occurrence.clone(),
    }
}

fn card_picture(b: &rally_core::picture::Picture) -> ipc::PictureRef {
    ipc::PictureRef {
        hash: b.card.to_string(),
        width: b.card_width,
        height: b.card_height,
        alt: b.alt.clone(),
    }
}

fn page_picture(b: &rally_core::picture::Picture) -> ipc::PictureRef {
    ipc::PictureRef {
        hash: b.hash.to_string(),
        width: b.width,
        height: b.height,
        alt: b.alt.clone(),
    }
}

/// A picture as a `data:` URL (the webview's CSP allows those and nothing
/// remote), or `None` while it has not arrived.
pub fn picture(svc: &Service, hash: &str) -> Result<Option<String>> {
    use base64::Engine as _;
    match svc.blob(hash) {
        Ok(bytes) => Ok(Some(format!(
            "data:{};base64,{}",
            rally_core::picture::Picture::MEDIA_TYPE,
            base64::engine::general_purpose::STANDARD.encode(bytes)
        ))),
        Err(ServiceError::PictureNotArrived(_)) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

pub fn set_picture(svc: &mut Service, args: &ipc::PictureArgs) -> Result<Option<ipc::PictureRef>> {
    use base64::Engine as _;
    use rally_service::pictures::PictureInput;
    let input = match &args.base64 {
        Some(data) => {
            if data.len() as u64 > ipc::MAX_PICTURE_FILE / 3 * 4 + 4 {
                return Err(rally_picture::PictureError::TooLarge(data.len() / 4 * 3).into());
            }
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(data)
                .map_err(|_| EngineError::Refused("the picture did not arrive whole".into()))?;
            Some(PictureInput {
                bytes,
                alt: args.alt.clone().unwrap_or_default(),
            })
        }
        None => None,
    };
    let picture = match (args.of, input, &args.alt) {
        (ipc::PictureOf::Event, Some(p), _) => svc.set_event_banner(&args.id, Some(p))?,
        (ipc::PictureOf::Event, None, Some(alt)) => Some(svc.set_event_banner_alt(&args.id, alt)?),
        (ipc::PictureOf::Event, None, None) => svc.set_event_banner(&args.id, None)?,
        (ipc::PictureOf::Group, Some(p), _) => svc.set_group_avatar(&args.id, Some(p))?,
        (ipc::PictureOf::Group, None, Some(alt)) => Some(svc.set_group_avatar_alt(&args.id, alt)?),
        (ipc::PictureOf::Group, None, None) => svc.set_group_avatar(&args.id, None)?,
        (ipc::PictureOf::Persona, input, _) => svc.set_persona_avatar(&args.id, input)?,
    };
    Ok(picture.as_ref().map(page_picture))
}

/// The date badge of a moment (Unix seconds), for the viewer.
fn badge(secs: i64) -> (String, String) {
    Timestamp::from_second(secs)
        .map(|t| {
            crate::dates::badge(
                crate::dates::language(),
                &t.to_zoned_datetime(viewer_zone()),
            )
        })
        .unwrap_or_default()
}

/// Public events here the acting persona has no part in yet.
fn discover(
    svc: &Service,
    text: &str,
    after: Option<(i64, DocId)>,
    limit: usize,
) -> Result<Vec<ipc::EventItem>> {
    let found = svc.discover(&DiscoverSearch {
        text: optional_text(text),
        ..DiscoverSearch::default()
    })?;
    let mut found: Vec<_> = found
        .into_iter()
        .map(|f| (f.view.details.starts_at().timestamp().as_second(), f))
        .filter(|(starts, f)| after.is_none_or(|a| (*starts, f.id) > a))
        .collect();
    // The same order and paging as the other lists.
    found.sort_by_key(|(starts, f)| (*starts, f.id));
    found.truncate(if limit == 0 { usize::MAX } else { limit });
    Ok(found
        .into_iter()
        .map(|(starts, f)| {
            let (day, month) = badge(starts);
            ipc::EventItem {
                id: f.id.to_hex(),
                title: f.view.details.title.clone(),
                when: show_secs(starts),
                status: event_status(f.view.details.status),
                going: f.view.going_count() as u32,
                full: f.view.is_full(),
                // Discovered: nothing of it was seen before.
                news: 0,
                cursor: cursor(starts, &f.id),
                banner: f.view.details.banner.as_ref().map(card_picture),
                group: f.group_name,
                at: match (
                    f.view.details.place.latitude,
                    f.view.details.place.longitude,
                ) {
                    (Some(lat), Some(lon)) => Some([lat, lon]),
                    _ => None,
                },
                place: f.view.details.place.name,
                day,
                month,
                occurrence: None,
            }
        })
        .collect())
}

pub fn events(svc: &Service, args: &ipc::EventsArgs) -> Result<Vec<ipc::EventItem>> {
    let after =
        match args.after.as_deref() {
            Some(cursor) => Some(parse_cursor(cursor).ok_or_else(|| {
                EngineError::Refused(format!("{cursor:?} is not a list position"))
            })?),
            None => None,
        };
    let Some(search) = search_of(args) else {
        return discover(svc, &args.text, after, args.limit as usize);
    };
    let found = svc.events(&EventSearch {
        limit: args.limit as usize,
        after,
        ..search
    })?;
    Ok(found.iter().map(|e| event_item(svc, e)).collect())
}

/// The filter of a list, as the service searches it (`None`: discover).
pub(crate) fn search_of(args: &ipc::EventsArgs) -> Option<EventSearch> {
    let (filter, upcoming) = match args.filter {
        ipc::EventFilter::Discover => return None,
        ipc::EventFilter::Upcoming => (EventFilter::All, true),
        ipc::EventFilter::All => (EventFilter::All, false),
        ipc::EventFilter::Mine => (EventFilter::Mine, true),
        ipc::EventFilter::MyGroups => (EventFilter::MyGroups, true),
        ipc::EventFilter::Followed => (EventFilter::Followed, true),
    };
    Some(EventSearch {
        filter,
        upcoming,
        text: optional_text(&args.text),
        bbox: args.area.map(crate::maps::bbox),
        ..EventSearch::default()
    })
}

pub use rally_core::text::markdown_to_html as render_markdown;

fn when(details: &EventDetails, zone: &TimeZone) -> String {
    let start = details.starts_at().with_time_zone(zone.clone());
    let end = details.ends_at().map(|e| e.with_time_zone(zone.clone()));
    let now = Timestamp::now().to_zoned_datetime(zone.clone());
    crate::dates::span(crate::dates::language(), &start, end.as_ref(), &now)
}

pub fn event(svc: &Service, id: &str) -> Result<ipc::EventPage> {
    let page = svc.event(id)?;
    let e = &page.view;
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
            hidden: c.hidden && !c.deleted,
            when: show_secs(c.created_at),
            replies: Vec::new(),
            avatar: e
                .participants
                .get(&c.author)
                .and_then(|p| p.avatar.as_ref())
                .map(card_picture),
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
    Ok(ipc::EventPage {
        id: page.id.to_hex(),
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
        status: event_status(d.status),
        visibility: visibility(d.visibility),
        join_mode: join_mode(d.join_mode),
        group: page.group_name.clone(),
        group_id: e.group.map(|g| g.to_hex()),
        listed: page
            .listing
            .and_then(|(moderates, listed)| moderates.then_some(listed)),
        organisers: e.organisers.values().cloned().collect(),
        participants: e
            .participants
            .values()
            .map(|p| ipc::Participant {
                avatar: p.avatar.as_ref().map(card_picture),
                name: p.name.clone(),
                status: participation(p.status),
            })
            .collect(),
        comments: top,
        my_status: page.my_status.map(participation),
        can_edit: page.can_edit,
        origin: e.origin.clone(),
        banner: d.banner.as_ref().map(page_picture),
        map: crate::maps::event_map(svc, &page.id, d)?,
        reminders: svc.event_reminders(page.id)?,
        repeat: crate::repeat::form_of(d),
        repeat_sentence: crate::repeat::sentence(d),
        occurrences: crate::repeat::next_occurrences(svc, &page.id.to_hex(), d, &viewer),
    })
}

/// The form as an edit: every field it shows is set (blank clears the optional
/// ones); the time zone defaults to the viewer's.
fn edit_from(f: &ipc::EventForm) -> Result<EventEdit> {
    let starts = parse_civil("start", &f.starts)?;
    let (repeat, repeat_until) = match &f.repeat {
        None => (Some(None), None),
        Some(r) => {
            let (rule, until) = crate::repeat::rule_of(r, starts)?;
            (Some(Some(rule.as_str().to_owned())), until)
        }
    };
    Ok(EventEdit {
        title: Some(f.title.clone()),
        description: Some(f.description.clone()),
        starts: Some(starts),
        repeat,
        repeat_until,
        ends: Some(
            optional_text(&f.ends)
                .map(|e| parse_civil("end", &e))
                .transpose()?,
        ),
        time_zone: Some(optional_text(&f.time_zone).unwrap_or_else(viewer_zone_name)),
        place: Some(optional_text(&f.place)),
        address: Some(optional_text(&f.address)),
        coordinates: f.at.map(|[lat, lon]| Some((lat, lon))),
        online: Some(optional_text(&f.online)),
        visibility: f.visibility.map(|v| match v {
            ipc::Visibility::Public => rally_core::Visibility::Public,
            ipc::Visibility::Unlisted => rally_core::Visibility::Unlisted,
            ipc::Visibility::MembersOnly => rally_core::Visibility::MembersOnly,
        }),
        ..EventEdit::default()
    })
}

pub fn save_event(svc: &mut Service, f: &ipc::EventForm) -> Result<ipc::Saved> {
    // Say who is missing before what is wrong with the form.
    svc.current_persona()?.ok_or(ServiceError::NoPersona)?;
    let fields = edit_from(f)?;
    let id = match &f.id {
        Some(id) => svc.edit_event(id, fields)?,
        None => svc.create_event(NewEvent {
            fields,
            group: f.group.clone(),
        })?,
    };
    Ok(ipc::Saved {
        id: id.to_hex(),
        path: None,
    })
}

pub fn cancel_event(svc: &mut Service, id: &str) -> Result<()> {
    svc.cancel_event(id)?;
    Ok(())
}

pub fn rsvp(svc: &mut Service, args: &ipc::RsvpArgs) -> Result<Option<ipc::ParticipationStatus>> {
    let answer = if args.going { Rsvp::Join } else { Rsvp::Leave };
    let (_, status) = svc.rsvp_at(&args.id, args.occurrence.as_deref(), answer)?;
    Ok(status.map(participation))
}

/// Cancels one occurrence of a series, or puts it back.
pub fn set_occurrence(svc: &mut Service, args: &ipc::OccurrenceArgs) -> Result<()> {
    if args.cancelled {
        svc.cancel_occurrence(
            &args.id,
            &args.occurrence,
            rally_service::occurrences::Scope::This,
        )?;
    } else {
        svc.restore_occurrence(&args.id, &args.occurrence)?;
    }
    Ok(())
}

/// Changes one occurrence (or it and the following ones) as its form says:
/// a blank title or place is the series' own, a blank end keeps the series'
/// length; a new place drops the series' address and coordinates.
pub fn edit_occurrence(svc: &mut Service, f: &ipc::OccurrenceEdit) -> Result<()> {
    let id = svc.resolve(&f.id, DocKind::Event)?;
    let series = svc
        .store()
        .load(id)
        .map_err(ServiceError::from)?
        .event()
        .map_err(ServiceError::from)?
        .details;
    let place = optional_text(&f.place);
    let same_place = place.is_none() || place == series.place.name;
    let edit = EventEdit {
        title: Some(optional_text(&f.title).unwrap_or_else(|| series.title.clone())),
        starts: Some(parse_civil("start", &f.starts)?),
        ends: Some(
            optional_text(&f.ends)
                .map(|e| parse_civil("end", &e))
                .transpose()?,
        ),
        place: Some(if same_place {
            series.place.name.clone()
        } else {
            place
        }),
        address: Some(if same_place {
            series.place.address.clone()
        } else {
            None
        }),
        coordinates: Some(if same_place {
            series.place.latitude.zip(series.place.longitude)
        } else {
            None
        }),
        ..EventEdit::default()
    };
    let scope = if f.following {
        rally_service::occurrences::Scope::Following
    } else {
        rally_service::occurrences::Scope::This
    };
    svc.edit_occurrence(&id.to_hex(), &f.occurrence, scope, edit)?;
    Ok(())
}

pub fn comment(svc: &mut Service, args: &ipc::CommentArgs) -> Result<String> {
    Ok(svc.comment(&args.id, &args.body, args.reply_to.as_deref())?)
}

/// The event as an iCalendar file (RFC 5545).
pub fn ics(svc: &Service, id: &str) -> Result<(String, String)> {
    let id = svc.resolve(id, DocKind::Event)?;
    let e = svc
        .store()
        .load(id)
        .map_err(ServiceError::from)?
        .event()
        .map_err(ServiceError::from)?;
    let d = &e.details;
    let text = rally_ical::calendar(
        &d.title,
        &[rally_ical::CalEvent::of(&id, &e, None)],
        Timestamp::now(),
    )
    .map_err(|e| EngineError::Refused(e.to_string()))?;
    let name: String = d
        .title
        .chars()
        .map(|c| if c.is_alphanumeric() { c } else { '-' })
        .collect();
    Ok((format!("{}.ics", name.trim_matches('-')), text))
}

pub fn groups(svc: &Service) -> Result<Vec<ipc::GroupItem>> {
    let me = svc.current_persona()?;
    Ok(svc
        .groups()?
        .into_iter()
        .map(|g| {
            let my_role = me.as_ref().and_then(|m| {
                g.my_roles
                    .iter()
                    .find(|(n, _)| n == &m.name)
                    .and_then(|(_, r)| r.parse().ok())
                    .map(role)
            });
            ipc::GroupItem {
                avatar: svc
                    .store()
                    .load(g.id)
                    .ok()
                    .and_then(|d| d.group().ok()?.profile.avatar)
                    .as_ref()
                    .map(card_picture),
                id: g.id.to_hex(),
                unread: match my_role {
                    Some(_) => svc.unread_messages(g.id).unwrap_or(0),
                    None => 0,
                },
                my_role,
                name: g.name,
                members: g.members,
                members_only: g.visibility == GroupVisibility::MembersOnly.as_str(),
            }
        })
        .collect())
}

pub fn group(svc: &Service, id: &str) -> Result<ipc::GroupPage> {
    let page = svc.group(id)?;
    let me = svc.current_persona()?;
    let events = svc
        .events(&EventSearch {
            group: Some(page.id.to_hex()),
            ..EventSearch::default()
        })?
        .iter()
        .map(|e| event_item(svc, e))
        .collect();
    let messages = svc
        .messages(&page.id.to_hex())?
        .into_iter()
        .map(|m| ipc::ChatMessage {
            avatar: page
                .view
                .members
                .get(&m.author)
                .and_then(|mm| mm.avatar.as_ref())
                .map(card_picture),
            mine: me.as_ref().is_some_and(|me| me.id() == m.author),
            author: m
                .author_name
                .unwrap_or_else(|| m.author.to_hex()[..8].to_owned()),
            when: show_secs(m.at.div_euclid(1000)),
            edited: m.edited_at.is_some(),
            deleted: m.deleted,
            expires: m.expires.map(|e| show_secs(e.div_euclid(1000))),
            id: m.id,
            text: m.text,
            reply_to: m.reply_to,
        })
        .collect();
    let g = page.view;
    Ok(ipc::GroupPage {
        id: page.id.to_hex(),
        followed: page.followed,
        my_role: page.my_role.map(role),
        me: me.as_ref().map(|m| m.id().to_hex()),
        requested: me
            .as_ref()
            .is_some_and(|m| g.requests.contains_key(&m.id())),
        public: g.profile.visibility == GroupVisibility::Public,
        avatar: g.profile.avatar.as_ref().map(page_picture),
        disappearing: g.disappearing.map(ipc_timer),
        forgotten_messages: svc
            .forgotten_messages(page.id)?
            .try_into()
            .unwrap_or(u32::MAX),
        name: g.profile.name,
        summary: g.profile.summary,
        members_only: g.profile.visibility == GroupVisibility::MembersOnly,
        members: g
            .members
            .values()
            .map(|m| ipc::Member {
                avatar: m.avatar.as_ref().map(card_picture),
                id: m.persona.to_hex(),
                name: m.name.clone(),
                role: role(m.role),
            })
            .collect(),
        links: g
            .links
            .iter()
            .map(|l| ipc::GroupLink {
                title: l.title.clone(),
                url: l.url.clone(),
            })
            .collect(),
        events,
        messages,
    })
}

pub fn create_group(svc: &mut Service, args: &ipc::NewGroup) -> Result<String> {
    let visibility = if args.members_only {
        GroupVisibility::MembersOnly
    } else {
        GroupVisibility::Public
    };
    let (id, _) = svc.create_group(&args.name, &args.summary, visibility)?;
    Ok(id.to_hex())
}

pub fn server_policies(svc: &Service) -> Result<Vec<ipc::ServerPolicy>> {
    Ok(svc
        .server_policies()?
        .into_iter()
        .map(|p| ipc::ServerPolicy {
            server: p.server.to_hex(),
            rules_html: render_markdown(&p.rules),
            contact: p.contact,
        })
        .collect())
}

/// `text` as a QR code (SVG) at least `min_px` wide: invitations and pairing
/// codes.
pub fn qr_svg(text: &str, min_px: u32) -> Result<String> {
    let qr = qrcode::QrCode::new(text.as_bytes())
        .map_err(|e| EngineError::Refused(format!("cannot draw the QR code: {e}")))?;
    Ok(qr
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(min_px, min_px)
        .build())
}

pub fn invite(svc: &mut Service, id: &str) -> Result<ipc::Invitation> {
    let invite = svc.invite(id, Default::default())?.token;
    let (token, link) = (invite.encode(), invite.link());
    let qr_svg = qr_svg(&link, 200)?;
    Ok(ipc::Invitation {
        token,
        link,
        qr_svg,
    })
}

pub fn news(svc: &Service) -> Result<ipc::News> {
    let news = svc.news()?;
    Ok(ipc::News {
        chats: news
            .chats
            .into_iter()
            .map(|c| ipc::ChatNews {
                id: c.group.to_hex(),
                name: c.name,
                unread: c.unread,
            })
            .collect(),
        events: news
            .events
            .into_iter()
            .map(|e| ipc::EventNews {
                id: e.event.to_hex(),
                title: e.title,
                comments: e.comments,
                people: e.people,
            })
            .collect(),
    })
}

pub fn mark_seen(svc: &mut Service, id: &str) -> Result<()> {
    Ok(svc.mark_seen(id)?)
}

pub fn join_group(svc: &mut Service, token: &str) -> Result<bool> {
    let (_, joined) = svc.join_group(token)?;
    Ok(joined == rally_service::groups::Joined::Now)
}

pub fn send_message(svc: &mut Service, args: &ipc::MessageArgs) -> Result<String> {
    Ok(svc.send_message(&args.group, &args.text, args.reply_to.as_deref())?)
}

/// A group's timer as the app offers them: one set by a later version to
/// another length shows as the nearest longer choice.
fn ipc_timer(d: Disappearing) -> ipc::Disappearing {
    if d <= Disappearing::HOUR {
        ipc::Disappearing::Hour
    } else if d <= Disappearing::DAY {
        ipc::Disappearing::Day
    } else {
        ipc::Disappearing::Week
    }
}

/// What this device keeps, and what it forgot.
pub fn retention(svc: &mut Service) -> Result<ipc::Retention> {
    Ok(ipc::Retention {
        keep_months: svc.keep_months()?,
        forgotten: svc
            .forgotten()?
            .into_iter()
            .map(|f| ipc::ForgottenEvent {
                id: f.id.to_hex(),
                ended: show_secs(f.ended),
            })
            .collect(),
    })
}

pub fn set_disappearing(svc: &mut Service, args: &ipc::DisappearingArgs) -> Result<()> {
    let timer = args.timer.map(|t| match t {
        ipc::Disappearing::Hour => Disappearing::HOUR,
        ipc::Disappearing::Day => Disappearing::DAY,
        ipc::Disappearing::Week => Disappearing::WEEK,
    });
    svc.set_disappearing(&args.group, timer)?;
    Ok(())
}

pub fn follow_group(svc: &mut Service, args: &ipc::FollowArgs) -> Result<()> {
    svc.follow_group(&args.id, args.follow)?;
    Ok(())
}

/// The UI names members by their whole id.
fn member(text: &str) -> Result<String> {
    text.parse::<PersonaId>()
        .map(|p| p.to_hex())
        .map_err(|_| EngineError::Refused(format!("{text:?} is not a member")))
}

pub fn set_role(svc: &mut Service, args: &ipc::RoleArgs) -> Result<()> {
    let who = member(&args.member)?;
    let role = match args.role {
        ipc::Role::Admin => Role::Admin,
        ipc::Role::Moderator => Role::Moderator,
        ipc::Role::Member => Role::Member,
    };
    svc.set_role(&args.group, &who, role)?;
    Ok(())
}

pub fn remove_member(svc: &mut Service, args: &ipc::MemberArgs) -> Result<()> {
    let who = member(&args.member)?;
    svc.remove_member(&args.group, &who)?;
    Ok(())
}

pub fn add_link(svc: &mut Service, args: &ipc::LinkArgs) -> Result<()> {
    svc.put_link(&args.group, &args.title, &args.url)?;
    Ok(())
}

// The engine's keywords as the IPC's enums (the UI does not link the engine).

pub fn event_status(s: EventStatus) -> ipc::EventStatus {
    match s {
        EventStatus::Confirmed => ipc::EventStatus::Confirmed,
        EventStatus::Tentative => ipc::EventStatus::Tentative,
        EventStatus::Cancelled => ipc::EventStatus::Cancelled,
    }
}

pub fn visibility(v: Visibility) -> ipc::Visibility {
    match v {
        Visibility::Public => ipc::Visibility::Public,
        Visibility::Unlisted => ipc::Visibility::Unlisted,
        Visibility::MembersOnly => ipc::Visibility::MembersOnly,
    }
}

pub fn join_mode(m: JoinMode) -> ipc::JoinMode {
    match m {
        JoinMode::Free => ipc::JoinMode::Free,
        JoinMode::Approval => ipc::JoinMode::Approval,
        JoinMode::Invite => ipc::JoinMode::Invite,
    }
}

pub fn participation(s: ParticipationStatus) -> ipc::ParticipationStatus {
    match s {
        ParticipationStatus::Going => ipc::ParticipationStatus::Going,
        ParticipationStatus::Interested => ipc::ParticipationStatus::Interested,
        ParticipationStatus::Declined => ipc::ParticipationStatus::Declined,
        ParticipationStatus::Pending => ipc::ParticipationStatus::Pending,
        ParticipationStatus::Rejected => ipc::ParticipationStatus::Rejected,
    }
}

pub fn role(r: Role) -> ipc::Role {
    match r {
        Role::Admin => ipc::Role::Admin,
        Role::Moderator => ipc::Role::Moderator,
        Role::Member => ipc::Role::Member,
    }
}
