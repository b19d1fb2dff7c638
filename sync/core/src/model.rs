//! The domain model: what an event and a group are, how they validate, and how
//! they are read out of a document's state.
//!
//! Documents are automerge maps with a fixed layout (see `ARCHITECTURE.md`). The
//! `*View` types are the typed reading of that layout; reading fails with a
//! [`SchemaError`] when the state does not have the layout, and the rules refuse
//! any change that would leave a document in such a state.

use std::collections::BTreeMap;
use std::str::FromStr;

use automerge::ScalarValue;
use automerge::hydrate::Value;
use jiff::civil::DateTime;
use jiff::tz::TimeZone;
use jiff::{Timestamp, ZonedDateTime};
use serde::Serialize;

use crate::ids::{DocId, PersonaId};
use crate::march_map::{LatLon, MapError, MapPoint};
use crate::picture::Picture;
use crate::recurrence::{Exceptions, OccurrencePatch, Repeat};

/// What kind of document a document is; fixed by its genesis change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum DocKind {
    Event,
    Group,
}

impl DocKind {
    pub fn as_str(self) -> &'static str {
        match self {
            DocKind::Event => "event",
            DocKind::Group => "group",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "event" => Some(DocKind::Event),
            "group" => Some(DocKind::Group),
            _ => None,
        }
    }
}

macro_rules! keyword_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
        pub enum $name { $(#[serde(rename = $text)] $variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }

        impl std::str::FromStr for $name {
            type Err = InvalidInput;
            fn from_str(s: &str) -> Result<Self, InvalidInput> {
                match s {
                    $($text => Ok($name::$variant),)+
                    _ => Err(InvalidInput::Keyword {
                        what: stringify!($name),
                        got: s.to_owned(),
                        expected: vec![$($text),+].join(", "),
                    }),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.pad(self.as_str())
            }
        }
    };
}

pub(crate) use keyword_enum;

keyword_enum!(
    /// Who may join an event.
    JoinMode { Free = "free", Approval = "approval", Invite = "invite" }
);
keyword_enum!(
    /// Whether an event is happening.
    EventStatus { Confirmed = "confirmed", Tentative = "tentative", Cancelled = "cancelled" }
);
keyword_enum!(
    /// Who may see an event.
    Visibility { Public = "public", Unlisted = "unlisted", MembersOnly = "members-only" }
);
keyword_enum!(
    /// Who may see a group.
    GroupVisibility { Public = "public", MembersOnly = "members-only" }
);
keyword_enum!(
    /// A persona's answer to an event.
    ParticipationStatus {
        Going = "going",
        Interested = "interested",
        Declined = "declined",
        Pending = "pending",
        Rejected = "rejected",
    }
);
keyword_enum!(
    /// A member's role in a group.
    Role { Admin = "admin", Moderator = "moderator", Member = "member" }
);

impl Role {
    pub fn can_moderate(self) -> bool {
        matches!(self, Role::Admin | Role::Moderator)
    }
}

/// Input a person typed that cannot become part of a document.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum InvalidInput {
    #[error("the title is empty")]
    EmptyTitle,
    #[error("the {what} is too long ({len} characters, at most {max})")]
    TooLong {
        what: &'static str,
        len: usize,
        max: usize,
    },
    #[error("unknown time zone {0:?} (use an IANA name such as Europe/Paris)")]
    UnknownTimeZone(String),
    #[error("{what} {got:?} is not a date and time such as 2026-12-05T14:00")]
    BadDateTime { what: &'static str, got: String },
    #[error("the event ends ({ends}) before it starts ({starts})")]
    EndsBeforeStart { starts: String, ends: String },
    #[error("{got:?} is not a valid {what} (expected one of: {expected})")]
    Keyword {
        what: &'static str,
        got: String,
        expected: String,
    },
    #[error("the invitation would expire before it is made")]
    Expired,
    #[error("latitude and longitude go together, within -90..90 and -180..180")]
    BadCoordinates,
    #[error("the online link must be an http:// or https:// address, got {0:?}")]
    BadUrl(String),
    #[error("the capacity must be at least 1")]
    BadCapacity,
    #[error("the picture reference is malformed")]
    BadPicture,
    #[error("not a repeat rule: {0}")]
    BadRepeat(String),
    #[error("{0} is not an occurrence of this event")]
    NoSuchOccurrence(String),
    #[error("{0}")]
    BadReminder(String),
    #[error(transparent)]
    Map(#[from] MapError),
    #[error("a tag must be 1 to 40 letters, digits, '-' or '_', got {0:?}")]
    BadTag(String),
    #[error("the {0} is empty")]
    Empty(&'static str),
}

/// The longest title or name (characters).
pub const MAX_TITLE: usize = 200;
/// The longest description or summary (characters).
pub const MAX_DESCRIPTION: usize = 20_000;
/// The longest place, address or link title (characters).
pub const MAX_SHORT: usize = 500;
/// The most tags an event has.
pub const MAX_TAGS: usize = 20;

/// The place of an event.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Place {
    pub name: Option<String>,
    pub address: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
}

impl Place {
    pub fn is_empty(&self) -> bool {
        self.name.is_none()
            && self.address.is_none()
            && self.latitude.is_none()
            && self.longitude.is_none()
    }
}

/// Everything organisers edit about an event.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EventDetails {
    pub title: String,
    /// Markdown, rendered (sanitised) by the apps.
    pub description: String,
    pub starts: DateTime,
    pub ends: Option<DateTime>,
    /// IANA time zone name the times are in.
    pub time_zone: String,
    pub place: Place,
    pub online_url: Option<String>,
    pub capacity: Option<u32>,
    pub join_mode: JoinMode,
    pub status: EventStatus,
    pub visibility: Visibility,
    pub tags: Vec<String>,
    /// The event's picture (see [`crate::picture`]).
    pub banner: Option<Picture>,
    /// The march's route and points (see [`crate::march_map`]).
    pub route: Vec<LatLon>,
    pub points: Vec<MapPoint>,
    /// A series' rule (see [`crate::recurrence`]); `None` for a single event.
    pub repeat: Option<Repeat>,
}

/// Parses "2026-12-05T14:00", "2026-12-05T14:00:00" or "2026-12-05 14:00".
pub fn parse_civil(what: &'static str, s: &str) -> Result<DateTime, InvalidInput> {
    DateTime::from_str(s.trim()).map_err(|_| InvalidInput::BadDateTime {
        what,
        got: s.to_owned(),
    })
}

pub fn time_zone(name: &str) -> Result<TimeZone, InvalidInput> {
    if name.is_empty() {
        return Err(InvalidInput::UnknownTimeZone(name.to_owned()));
    }
    jiff::tz::db()
        .get(name)
        .map_err(|_| InvalidInput::UnknownTimeZone(name.to_owned()))
}

fn check_len(what: &'static str, s: &str, max: usize) -> Result<(), InvalidInput> {
    let len = s.chars().count();
    if len > max {
        return Err(InvalidInput::TooLong { what, len, max });
    }
    Ok(())
}

/// A link people may follow (an online address, where a copied event comes
/// from): an http(s) URL without spaces, of bounded length.
pub fn check_url(url: &str) -> Result<(), InvalidInput> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"));
    match rest {
        Some(host) if !host.is_empty() && !url.chars().any(char::is_whitespace) => {
            check_len("link", url, 2000)
        }
        _ => Err(InvalidInput::BadUrl(url.to_owned())),
    }
}

/// Normalises a tag: lower case, checked characters.
pub fn normalise_tag(tag: &str) -> Result<String, InvalidInput> {
    let t = tag.trim().trim_start_matches('#').to_lowercase();
    let ok = !t.is_empty()
        && t.chars().count() <= 40
        && t.chars()
            .all(|c| c.is_alphanumeric() || c == '-' || c == '_');
    if ok {
        Ok(t)
    } else {
        Err(InvalidInput::BadTag(tag.to_owned()))
    }
}

impl EventDetails {
    /// Details with the required fields and defaults for the rest.
    pub fn new(title: impl Into<String>, starts: DateTime, time_zone: impl Into<String>) -> Self {
        EventDetails {
            title: title.into(),
            description: String::new(),
            starts,
            ends: None,
            time_zone: time_zone.into(),
            place: Place::default(),
            online_url: None,
            capacity: None,
            join_mode: JoinMode::Free,
            status: EventStatus::Confirmed,
            visibility: Visibility::Public,
            tags: Vec::new(),
            banner: None,
            route: Vec::new(),
            points: Vec::new(),
            repeat: None,
        }
    }

    pub fn validate(&self) -> Result<(), InvalidInput> {
        if self.title.trim().is_empty() {
            return Err(InvalidInput::EmptyTitle);
        }
        check_len("title", &self.title, MAX_TITLE)?;
        check_len("description", &self.description, MAX_DESCRIPTION)?;
        let tz = time_zone(&self.time_zone)?;
        if let Some(ends) = self.ends {
            let start = tz
                .to_timestamp(self.starts)
                .map_err(|_| InvalidInput::BadDateTime {
                    what: "start",
                    got: self.starts.to_string(),
                })?;
            let end = tz
                .to_timestamp(ends)
                .map_err(|_| InvalidInput::BadDateTime {
                    what: "end",
                    got: ends.to_string(),
                })?;
            if end <= start {
                return Err(InvalidInput::EndsBeforeStart {
                    starts: self.starts.to_string(),
                    ends: ends.to_string(),
                });
            }
        }
        for (what, value) in [
            ("place name", &self.place.name),
            ("address", &self.place.address),
        ] {
            if let Some(v) = value {
                check_len(what, v, MAX_SHORT)?;
            }
        }
        match (self.place.latitude, self.place.longitude) {
            (None, None) => {}
            (Some(lat), Some(lon))
                if (-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lon) => {}
            _ => return Err(InvalidInput::BadCoordinates),
        }
        if let Some(url) = &self.online_url {
            check_url(url)?;
        }
        if self.capacity == Some(0) {
            return Err(InvalidInput::BadCapacity);
        }
        if let Some(repeat) = &self.repeat {
            repeat.check(self.starts, &tz)?;
        }
        crate::march_map::check_route(&self.route)?;
        crate::march_map::check_points(&self.points)?;
        if let Some(b) = &self.banner {
            check_len("alt text", &b.alt, crate::picture::MAX_ALT)?;
            if !b.is_valid() {
                return Err(InvalidInput::BadPicture);
            }
        }
        if self.tags.len() > MAX_TAGS {
            return Err(InvalidInput::TooLong {
                what: "tag list",
                len: self.tags.len(),
                max: MAX_TAGS,
            });
        }
        for tag in &self.tags {
            if normalise_tag(tag)? != *tag {
                return Err(InvalidInput::BadTag(tag.clone()));
            }
        }
        Ok(())
    }

    pub fn zone(&self) -> TimeZone {
        time_zone(&self.time_zone).unwrap_or(TimeZone::UTC)
    }

    pub fn starts_at(&self) -> ZonedDateTime {
        self.starts
            .to_zoned_datetime(self.zone())
            .unwrap_or_else(|_| Timestamp::UNIX_EPOCH.to_zoned_datetime(TimeZone::UTC))
    }

    pub fn ends_at(&self) -> Option<ZonedDateTime> {
        self.ends
            .and_then(|e| e.to_zoned_datetime(self.zone()).ok())
    }
}

/// A group's public face.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GroupProfile {
    pub name: String,
    pub summary: String,
    pub visibility: GroupVisibility,
    /// The group's picture (see [`crate::picture`]).
    pub avatar: Option<Picture>,
}

impl GroupProfile {
    pub fn validate(&self) -> Result<(), InvalidInput> {
        if self.name.trim().is_empty() {
            return Err(InvalidInput::Empty("group name"));
        }
        check_len("group name", &self.name, MAX_TITLE)?;
        if let Some(a) = &self.avatar
            && !a.is_valid()
        {
            return Err(InvalidInput::BadPicture);
        }
        check_len("summary", &self.summary, MAX_DESCRIPTION)
    }
}

/// A link to one of a group's own tools (a pad, a calendar, a forum…).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GroupLink {
    pub id: String,
    pub title: String,
    pub url: String,
}

impl GroupLink {
    pub fn validate(&self) -> Result<(), InvalidInput> {
        if self.title.trim().is_empty() {
            return Err(InvalidInput::Empty("link title"));
        }
        check_len("link title", &self.title, MAX_SHORT)?;
        check_url(&self.url)
    }
}

/// The state of a document does not have the layout its kind requires.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("document field {path} is missing or malformed")]
pub struct SchemaError {
    pub path: String,
}

fn schema(path: impl Into<String>) -> SchemaError {
    SchemaError { path: path.into() }
}

/// Typed access to a hydrated automerge value.
pub(crate) mod read {
    use super::*;

    pub fn get<'a>(v: &'a Value, key: &str) -> Option<&'a Value> {
        match v {
            Value::Map(m) => m.get(key),
            _ => None,
        }
    }

    pub fn map_entries(v: &Value) -> Vec<(&String, &Value)> {
        match v {
            Value::Map(m) => {
                let mut entries: Vec<_> = m.iter().map(|(k, mv)| (k, &mv.value)).collect();
                entries.sort_by(|a, b| a.0.cmp(b.0));
                entries
            }
            _ => Vec::new(),
        }
    }

    pub fn as_str(v: &Value) -> Option<&str> {
        match v {
            Value::Scalar(ScalarValue::Str(s)) => Some(s.as_str()),
            _ => None,
        }
    }

    pub fn req_str<'a>(v: &'a Value, key: &str, path: &str) -> Result<&'a str, SchemaError> {
        get(v, key)
            .and_then(as_str)
            .ok_or_else(|| schema(format!("{path}/{key}")))
    }

    pub fn opt_str(v: &Value, key: &str, path: &str) -> Result<Option<String>, SchemaError> {
        match get(v, key) {
            None | Some(Value::Scalar(ScalarValue::Null)) => Ok(None),
            Some(x) => as_str(x)
                .map(|s| Some(s.to_owned()))
                .ok_or_else(|| schema(format!("{path}/{key}"))),
        }
    }

    pub fn opt_f64(v: &Value, key: &str, path: &str) -> Result<Option<f64>, SchemaError> {
        match get(v, key) {
            None | Some(Value::Scalar(ScalarValue::Null)) => Ok(None),
            Some(Value::Scalar(ScalarValue::F64(f))) if f.is_finite() => Ok(Some(*f)),
            Some(_) => Err(schema(format!("{path}/{key}"))),
        }
    }

    pub fn opt_int(v: &Value, key: &str, path: &str) -> Result<Option<i64>, SchemaError> {
        match get(v, key) {
            None | Some(Value::Scalar(ScalarValue::Null)) => Ok(None),
            Some(Value::Scalar(ScalarValue::Int(i))) => Ok(Some(*i)),
            Some(Value::Scalar(ScalarValue::Uint(u))) => i64::try_from(*u)
                .map(Some)
                .map_err(|_| schema(format!("{path}/{key}"))),
            Some(_) => Err(schema(format!("{path}/{key}"))),
        }
    }

    pub fn int(v: &Value, key: &str, path: &str) -> Result<i64, SchemaError> {
        opt_int(v, key, path)?.ok_or_else(|| schema(format!("{path}/{key}")))
    }

    pub fn flag(v: &Value, key: &str, path: &str) -> Result<bool, SchemaError> {
        match get(v, key) {
            None => Ok(false),
            Some(Value::Scalar(ScalarValue::Boolean(b))) => Ok(*b),
            Some(_) => Err(schema(format!("{path}/{key}"))),
        }
    }

    pub fn keyword<T: FromStr>(v: &Value, key: &str, path: &str) -> Result<T, SchemaError> {
        req_str(v, key, path)?
            .parse()
            .map_err(|_| schema(format!("{path}/{key}")))
    }

    pub fn persona_key(k: &str, path: &str) -> Result<PersonaId, SchemaError> {
        k.parse().map_err(|_| schema(format!("{path}/{k}")))
    }

    pub fn str_list(v: &Value, key: &str, path: &str) -> Result<Vec<String>, SchemaError> {
        match get(v, key) {
            None => Ok(Vec::new()),
            Some(Value::List(list)) => list
                .iter()
                .map(|item| {
                    as_str(&item.value)
                        .map(str::to_owned)
                        .ok_or_else(|| schema(format!("{path}/{key}")))
                })
                .collect(),
            Some(_) => Err(schema(format!("{path}/{key}"))),
        }
    }
}

use read::*;

/// The key of a participation in `participants`: the persona's id for the
/// whole event, `<persona>@<occurrence name>` for one occurrence of a series.
pub fn participation_key_of(persona: &PersonaId, occurrence: Option<DateTime>) -> String {
    match occurrence {
        None => persona.to_hex(),
        Some(o) => format!("{}@{o}", persona.to_hex()),
    }
}

/// Reads a key of `participants` (see [`participation_key_of`]).
pub fn participation_key(key: &str) -> Option<(PersonaId, Option<DateTime>)> {
    match key.split_once('@') {
        None => Some((key.parse().ok()?, None)),
        Some((p, o)) => {
            let persona: PersonaId = p.parse().ok()?;
            let o: DateTime = o.parse().ok()?;
            // One spelling per occurrence, so one entry per persona and occurrence.
            (participation_key_of(&persona, Some(o)) == key).then_some((persona, Some(o)))
        }
    }
}

/// A series' exceptions under `key` (`occurrences` or `following`), by name.
fn exceptions_at(
    root: &Value,
    key: &str,
) -> Result<BTreeMap<DateTime, OccurrencePatch>, SchemaError> {
    let mut out = BTreeMap::new();
    let Some(map) = get(root, key) else {
        return Ok(out);
    };
    let entries = map_entries(map);
    if entries.len() > crate::recurrence::MAX_EXCEPTIONS {
        return Err(schema(format!("/{key} (too many)")));
    }
    for (k, v) in entries {
        let path = format!("/{key}/{k}");
        let name: DateTime = k.parse().map_err(|_| schema(path.clone()))?;
        let civil = |f: &str| -> Result<Option<DateTime>, SchemaError> {
            opt_str(v, f, &path)?
                .map(|s| s.parse().map_err(|_| schema(format!("{path}/{f}"))))
                .transpose()
        };
        let place = Place {
            name: opt_str(v, "place", &path)?,
            address: opt_str(v, "address", &path)?,
            latitude: opt_f64(v, "lat", &path)?,
            longitude: opt_f64(v, "lon", &path)?,
        };
        let patch = OccurrencePatch {
            starts: civil("starts")?,
            ends: civil("ends")?,
            title: opt_str(v, "title", &path)?,
            description: opt_str(v, "description", &path)?,
            place: (place != Place::default()).then_some(place),
            online_url: opt_str(v, "online", &path)?,
            status: opt_str(v, "status", &path)?
                .map(|s| s.parse().map_err(|_| schema(format!("{path}/status"))))
                .transpose()?,
        };
        patch
            .validate(name)
            .map_err(|e| schema(format!("{path} ({e})")))?;
        out.insert(name, patch);
    }
    Ok(out)
}

/// The march map's points (`details.points`), by label.
fn map_points(details: &Value) -> Result<Vec<MapPoint>, SchemaError> {
    let Some(points) = get(details, "points") else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for (k, v) in map_entries(points) {
        let path = format!("/details/points/{k}");
        let coordinate =
            |key: &str| opt_f64(v, key, &path)?.ok_or_else(|| schema(format!("{path}/{key}")));
        out.push(MapPoint {
            id: k.clone(),
            label: req_str(v, "label", &path)?.to_owned(),
            at: LatLon {
                lat: coordinate("lat")?,
                lon: coordinate("lon")?,
            },
        });
    }
    out.sort_by(|a, b| a.label.cmp(&b.label).then(a.id.cmp(&b.id)));
    Ok(out)
}

/// A persona's picture in its own entry of a document (`avatar`).
fn avatar_of(entry: &Value, path: &str) -> Result<Option<Picture>, SchemaError> {
    opt_str(entry, "avatar", path)?
        .map(|a| Picture::decode(&a).ok_or_else(|| schema(format!("{path}/avatar"))))
        .transpose()
}

fn doc_header(root: &Value, kind: DocKind) -> Result<(PersonaId, i64), SchemaError> {
    if req_str(root, "kind", "")? != kind.as_str() {
        return Err(schema("/kind"));
    }
    let created_by = persona_key(req_str(root, "created_by", "")?, "/created_by")?;
    Ok((created_by, int(root, "created_at", "")?))
}

/// A persona's answer to an event, as the event's document records it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Participation {
    pub persona: PersonaId,
    pub name: String,
    pub status: ParticipationStatus,
    pub at: i64,
    /// The persona's picture, as it set it (only it changes it).
    pub avatar: Option<Picture>,
}

/// A comment on an event; `reply_to` is a top-level comment (one level of replies).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Comment {
    pub id: String,
    pub author: PersonaId,
    pub author_name: String,
    pub body: String,
    pub reply_to: Option<String>,
    pub created_at: i64,
    pub edited_at: Option<i64>,
    pub deleted: bool,
    pub hidden: bool,
}

/// The typed reading of an event document.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EventView {
    pub created_by: PersonaId,
    pub created_at: i64,
    pub group: Option<DocId>,
    /// Where the event was published when this document is a copy of it (an
    /// ActivityPub object's address); its organiser then stands for the remote one.
    pub origin: Option<String>,
    pub details: EventDetails,
    /// Organisers and the display name each gave.
    pub organisers: BTreeMap<PersonaId, String>,
    pub participants: BTreeMap<PersonaId, Participation>,
    /// A series' participations in one occurrence (`participants/<persona>@<name>`):
    /// by occurrence name, then persona.
    pub occurrence_participants: BTreeMap<DateTime, BTreeMap<PersonaId, Participation>>,
    pub invited: Vec<PersonaId>,
    /// In creation order (then id).
    pub comments: Vec<Comment>,
    /// A series' changed occurrences (see [`crate::recurrence`]).
    pub exceptions: Exceptions,
}

impl EventView {
    /// Every blob the event names: its banner, its participants' pictures.
    pub fn blobs(&self) -> Vec<crate::picture::BlobHash> {
        let mut out: Vec<_> = self
            .details
            .banner
            .iter()
            .flat_map(Picture::blobs)
            .collect();
        out.extend(
            self.participants
                .values()
                .filter_map(|p| p.avatar.as_ref())
                .flat_map(Picture::blobs),
        );
        out.sort();
        out.dedup();
        out
    }

    pub fn parse(root: &Value) -> Result<EventView, SchemaError> {
        let (created_by, created_at) = doc_header(root, DocKind::Event)?;
        let group = match opt_str(root, "group", "")? {
            None => None,
            Some(g) => Some(g.parse().map_err(|_| schema("/group"))?),
        };
        let origin = opt_str(root, "origin", "")?;
        if let Some(o) = &origin {
            check_url(o).map_err(|_| schema("/origin"))?;
        }
        let d = get(root, "details").ok_or_else(|| schema("/details"))?;
        let p = "/details";
        let place = Place {
            name: opt_str(d, "place", p)?,
            address: opt_str(d, "address", p)?,
            latitude: opt_f64(d, "lat", p)?,
            longitude: opt_f64(d, "lon", p)?,
        };
        let civil = |key: &str| -> Result<Option<DateTime>, SchemaError> {
            opt_str(d, key, p)?
                .map(|s| s.parse().map_err(|_| schema(format!("{p}/{key}"))))
                .transpose()
        };
        let details = EventDetails {
            title: req_str(d, "title", p)?.to_owned(),
            description: opt_str(d, "description", p)?.unwrap_or_default(),
            starts: civil("starts")?.ok_or_else(|| schema("/details/starts"))?,
            ends: civil("ends")?,
            time_zone: req_str(d, "tz", p)?.to_owned(),
            place,
            online_url: opt_str(d, "online", p)?,
            capacity: opt_int(d, "capacity", p)?
                .map(|c| u32::try_from(c).map_err(|_| schema("/details/capacity")))
                .transpose()?,
            join_mode: keyword(d, "join_mode", p)?,
            status: keyword(d, "status", p)?,
            visibility: keyword(d, "visibility", p)?,
            tags: str_list(d, "tags", p)?,
            banner: opt_str(d, "banner", p)?
                .map(|b| Picture::decode(&b).ok_or_else(|| schema("/details/banner")))
                .transpose()?,
            route: opt_str(d, "route", p)?
                .map(|r| crate::march_map::decode_route(&r).ok_or_else(|| schema("/details/route")))
                .transpose()?
                .unwrap_or_default(),
            points: map_points(d)?,
            repeat: opt_str(d, "repeat", p)?
                .map(|r| Repeat::parse(&r).map_err(|_| schema("/details/repeat")))
                .transpose()?,
        };
        details
            .validate()
            .map_err(|e| schema(format!("/details ({e})")))?;

        let mut organisers = BTreeMap::new();
        for (k, v) in map_entries(get(root, "organisers").ok_or_else(|| schema("/organisers"))?) {
            let path = format!("/organisers/{k}");
            organisers.insert(
                persona_key(k, "/organisers")?,
                req_str(v, "name", &path)?.into(),
            );
        }
        let mut participants = BTreeMap::new();
        let mut occurrence_participants: BTreeMap<DateTime, BTreeMap<PersonaId, Participation>> =
            BTreeMap::new();
        if let Some(ps) = get(root, "participants") {
            for (k, v) in map_entries(ps) {
                let path = format!("/participants/{k}");
                let (persona, occurrence) =
                    participation_key(k).ok_or_else(|| schema(path.clone()))?;
                let entry = Participation {
                    persona,
                    name: req_str(v, "name", &path)?.to_owned(),
                    status: keyword(v, "status", &path)?,
                    at: int(v, "at", &path)?,
                    avatar: avatar_of(v, &path)?,
                };
                match occurrence {
                    None => {
                        participants.insert(persona, entry);
                    }
                    Some(o) => {
                        occurrence_participants
                            .entry(o)
                            .or_default()
                            .insert(persona, entry);
                    }
                }
            }
        }
        let mut invited = Vec::new();
        if let Some(inv) = get(root, "invited") {
            for (k, _) in map_entries(inv) {
                invited.push(persona_key(k, "/invited")?);
            }
        }
        let mut comments = Vec::new();
        if let Some(cs) = get(root, "comments") {
            for (k, v) in map_entries(cs) {
                let path = format!("/comments/{k}");
                comments.push(Comment {
                    id: k.clone(),
                    author: persona_key(req_str(v, "author", &path)?, &path)?,
                    author_name: req_str(v, "name", &path)?.to_owned(),
                    body: req_str(v, "body", &path)?.to_owned(),
                    reply_to: opt_str(v, "reply_to", &path)?,
                    created_at: int(v, "created_at", &path)?,
                    edited_at: opt_int(v, "edited_at", &path)?,
                    deleted: flag(v, "deleted", &path)?,
                    hidden: flag(v, "hidden", &path)?,
                });
            }
        }
        comments.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
        let exceptions = Exceptions {
            one: exceptions_at(root, "occurrences")?,
            following: exceptions_at(root, "following")?,
        };
        Ok(EventView {
            created_by,
            created_at,
            group,
            origin,
            details,
            organisers,
            participants,
            occurrence_participants,
            invited,
            comments,
            exceptions,
        })
    }

    pub fn is_organiser(&self, persona: &PersonaId) -> bool {
        self.organisers.contains_key(persona)
    }

    pub fn going_count(&self) -> usize {
        self.participants
            .values()
            .filter(|p| p.status == ParticipationStatus::Going)
            .count()
    }

    pub fn comment(&self, id: &str) -> Option<&Comment> {
        self.comments.iter().find(|c| c.id == id)
    }

    /// Whether another participant would exceed the capacity.
    pub fn is_full(&self) -> bool {
        self.details
            .capacity
            .is_some_and(|cap| self.going_count() >= cap as usize)
    }

    /// A persona's participation in the whole event (`None`) or in one
    /// occurrence of a series.
    pub fn participation(
        &self,
        persona: &PersonaId,
        occurrence: Option<DateTime>,
    ) -> Option<&Participation> {
        match occurrence {
            None => self.participants.get(persona),
            Some(o) => self
                .occurrence_participants
                .get(&o)
                .and_then(|m| m.get(persona)),
        }
    }

    /// Who goes to one occurrence: those going to the whole series and those
    /// going to that occurrence, each once.
    pub fn going_to(&self, occurrence: DateTime) -> usize {
        let series = self
            .participants
            .values()
            .filter(|p| p.status == ParticipationStatus::Going);
        let one = self
            .occurrence_participants
            .get(&occurrence)
            .into_iter()
            .flat_map(|m| m.values())
            .filter(|p| p.status == ParticipationStatus::Going);
        series
            .chain(one)
            .map(|p| p.persona)
            .collect::<std::collections::BTreeSet<_>>()
            .len()
    }

    /// Whether another participant would exceed the capacity of the whole
    /// event, or of one occurrence.
    pub fn is_full_at(&self, occurrence: Option<DateTime>) -> bool {
        match occurrence {
            None => self.is_full(),
            Some(o) => self
                .details
                .capacity
                .is_some_and(|cap| self.going_to(o) >= cap as usize),
        }
    }
}

/// A member of a group.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Member {
    pub persona: PersonaId,
    pub name: String,
    pub role: Role,
    pub joined_at: i64,
    /// The invitation used to join, if the member joined by token.
    pub invite: Option<String>,
    #[serde(skip)]
    pub invite_signature: Option<String>,
    /// The persona's picture, as it set it (only it changes it).
    pub avatar: Option<Picture>,
}

/// An invitation: its public key is in the document, its secret travels in the token.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Invite {
    pub id: String,
    pub by: PersonaId,
    pub created_at: i64,
    pub revoked: bool,
    /// The invitation lets one persona in: once someone joined with it, the
    /// devices and servers that hand the group out stop honouring it. (Not a rule
    /// of the document: two people using one token at the same moment on two
    /// replicas would otherwise make them disagree on who is a member.)
    pub single_use: bool,
    /// After this time (Unix seconds) the invitation lets no one in.
    pub expires_at: Option<i64>,
}

/// What an invitation is made with.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct InviteLimits {
    pub single_use: bool,
    /// Unix seconds; in the future when the invitation is made.
    pub expires_at: Option<i64>,
}

impl Invite {
    pub fn expired(&self, now: i64) -> bool {
        self.expires_at.is_some_and(|e| now > e)
    }
}

/// The Fediverse user name of a public group on a server: a slug of its name (at
/// most 24 of `a-z0-9_`) and the first 8 hex digits of its id, so that a server
/// finds the group by the id part whatever the name became, and a device can say
/// the handle without asking.
pub fn fediverse_username(id: &DocId, name: &str) -> String {
    let mut slug = String::new();
    for c in name.to_lowercase().chars() {
        let c = match c {
            'a'..='z' | '0'..='9' => c,
            'à' | 'á' | 'â' | 'ä' | 'ã' | 'å' => 'a',
            'ç' => 'c',
            'è' | 'é' | 'ê' | 'ë' => 'e',
            'ì' | 'í' | 'î' | 'ï' => 'i',
            'ñ' => 'n',
            'ò' | 'ó' | 'ô' | 'ö' | 'õ' => 'o',
            'ù' | 'ú' | 'û' | 'ü' => 'u',
            _ => '_',
        };
        if c == '_' && (slug.is_empty() || slug.ends_with('_')) {
            continue;
        }
        slug.push(c);
        if slug.len() >= 24 {
            break;
        }
    }
    let slug = slug.trim_end_matches('_');
    let short = &id.to_hex()[..8];
    if slug.is_empty() {
        format!("group_{short}")
    } else {
        format!("{slug}_{short}")
    }
}

/// The typed reading of a group document.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GroupView {
    pub created_by: PersonaId,
    pub created_at: i64,
    pub profile: GroupProfile,
    pub members: BTreeMap<PersonaId, Member>,
    pub invites: Vec<Invite>,
    pub links: Vec<GroupLink>,
    pub events: Vec<DocId>,
    /// Personas banned from the group (never in `members`, see
    /// [`crate::moderation`]).
    pub bans: BTreeMap<PersonaId, crate::moderation::Ban>,
    /// What its admins and moderators did, oldest first.
    pub moderation: Vec<crate::moderation::LogEntry>,
    /// Who asks to join (a public group), waiting for a moderator.
    pub requests: BTreeMap<PersonaId, crate::moderation::JoinRequest>,
    /// How long its messages last (`None`: they stay; see
    /// [`crate::disappearing`]).
    pub disappearing: Option<crate::disappearing::Disappearing>,
}

impl GroupView {
    /// Every blob the group names: its picture, its members' pictures.
    pub fn blobs(&self) -> Vec<crate::picture::BlobHash> {
        let mut out: Vec<_> = self
            .profile
            .avatar
            .iter()
            .flat_map(Picture::blobs)
            .collect();
        out.extend(
            self.members
                .values()
                .filter_map(|m| m.avatar.as_ref())
                .flat_map(Picture::blobs),
        );
        out.sort();
        out.dedup();
        out
    }

    pub fn parse(root: &Value) -> Result<GroupView, SchemaError> {
        let (created_by, created_at) = doc_header(root, DocKind::Group)?;
        let p = get(root, "profile").ok_or_else(|| schema("/profile"))?;
        let profile = GroupProfile {
            name: req_str(p, "name", "/profile")?.to_owned(),
            summary: opt_str(p, "summary", "/profile")?.unwrap_or_default(),
            visibility: keyword(p, "visibility", "/profile")?,
            avatar: opt_str(p, "avatar", "/profile")?
                .map(|a| Picture::decode(&a).ok_or_else(|| schema("/profile/avatar")))
                .transpose()?,
        };
        profile
            .validate()
            .map_err(|e| schema(format!("/profile ({e})")))?;
        let mut members = BTreeMap::new();
        for (k, v) in map_entries(get(root, "members").ok_or_else(|| schema("/members"))?) {
            let path = format!("/members/{k}");
            let persona = persona_key(k, "/members")?;
            members.insert(
                persona,
                Member {
                    persona,
                    name: req_str(v, "name", &path)?.to_owned(),
                    role: keyword(v, "role", &path)?,
                    joined_at: int(v, "joined_at", &path)?,
                    invite: opt_str(v, "invite", &path)?,
                    invite_signature: opt_str(v, "invite_sig", &path)?,
                    avatar: avatar_of(v, &path)?,
                },
            );
        }
        let mut invites = Vec::new();
        if let Some(inv) = get(root, "invites") {
            for (k, v) in map_entries(inv) {
                let path = format!("/invites/{k}");
                invites.push(Invite {
                    id: k.clone(),
                    by: persona_key(req_str(v, "by", &path)?, &path)?,
                    created_at: int(v, "created_at", &path)?,
                    revoked: flag(v, "revoked", &path)?,
                    single_use: flag(v, "single_use", &path)?,
                    expires_at: opt_int(v, "expires_at", &path)?,
                });
            }
        }
        let mut links = Vec::new();
        if let Some(ls) = get(root, "links") {
            for (k, v) in map_entries(ls) {
                let path = format!("/links/{k}");
                let link = GroupLink {
                    id: k.clone(),
                    title: req_str(v, "title", &path)?.to_owned(),
                    url: req_str(v, "url", &path)?.to_owned(),
                };
                link.validate()
                    .map_err(|e| schema(format!("{path} ({e})")))?;
                links.push(link);
            }
        }
        let mut events = Vec::new();
        if let Some(es) = get(root, "events") {
            for (k, _) in map_entries(es) {
                events.push(k.parse().map_err(|_| schema(format!("/events/{k}")))?);
            }
        }
        // A banned persona is no member, whatever entry it kept or made.
        let bans = crate::moderation::parse_bans(root)?;
        members.retain(|p, _| !bans.contains_key(p));
        // A request from a member or a banned persona is stale.
        let mut requests = crate::moderation::parse_requests(root)?;
        requests.retain(|p, _| !members.contains_key(p) && !bans.contains_key(p));
        Ok(GroupView {
            created_by,
            created_at,
            profile,
            members,
            invites,
            links,
            events,
            bans,
            moderation: crate::moderation::parse_log(root)?,
            requests,
            disappearing: crate::disappearing::parse(root)?,
        })
    }

    pub fn role_of(&self, persona: &PersonaId) -> Option<Role> {
        self.members.get(persona).map(|m| m.role)
    }

    pub fn admin_count(&self) -> usize {
        self.members
            .values()
            .filter(|m| m.role == Role::Admin)
            .count()
    }

    /// The id a link titled `title` gets: the existing link's with that title, or
    /// a slug of the title (`link-N` when nothing of it is usable).
    pub fn link_id_for(&self, title: &str) -> String {
        if let Some(l) = self.links.iter().find(|l| l.title == title) {
            return l.id.clone();
        }
        let slug: String = title
            .to_lowercase()
            .chars()
            .map(|c| if c.is_alphanumeric() { c } else { '-' })
            .collect();
        let slug: String = slug.trim_matches('-').chars().take(32).collect();
        if slug.is_empty() {
            format!("link-{}", self.links.len())
        } else {
            slug
        }
    }

    pub fn invite(&self, id: &str) -> Option<&Invite> {
        self.invites.iter().find(|i| i.id == id)
    }

    /// Whether a member joined with invitation `id`.
    pub fn invite_used(&self, id: &str) -> bool {
        self.members
            .values()
            .any(|m| m.invite.as_deref() == Some(id))
    }

    /// The invitation `id` if it still lets someone in at `now` (Unix seconds):
    /// not revoked, not expired, not a single-use one already used.
    pub fn open_invite(&self, id: &str, now: i64) -> Option<&Invite> {
        self.invite(id)
            .filter(|i| !(i.revoked || i.expired(now) || (i.single_use && self.invite_used(id))))
    }

    /// The invitations that still let someone in at `now`.
    pub fn open_invites(&self, now: i64) -> impl Iterator<Item = &Invite> {
        self.invites
            .iter()
            .filter(move |i| self.open_invite(&i.id, now).is_some())
    }
}

/// The typed reading of any document.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
#[allow(clippy::large_enum_variant)] // short-lived, read once per query
pub enum DocView {
    Event(EventView),
    Group(GroupView),
}

impl DocView {
    pub fn parse(kind: DocKind, root: &Value) -> Result<DocView, SchemaError> {
        match kind {
            DocKind::Event => EventView::parse(root).map(DocView::Event),
            DocKind::Group => GroupView::parse(root).map(DocView::Group),
        }
    }
}

/// Reads the kind a document's root declares.
pub fn kind_of(root: &Value) -> Option<DocKind> {
    get(root, "kind").and_then(as_str).and_then(DocKind::parse)
}
