//! ActivityPub JSON: the documents the server emits (actors, events, comments,
//! activities, collections, WebFinger and NodeInfo) in Mobilizon's dialect, and
//! lenient readers for what others send. Payloads are read as plain JSON with known
//! keys (no JSON-LD expansion, no remote contexts): Mobilizon's context is not
//! valid JSON-LD, and older payloads still name LitePub's.

use rally_core::jiff::{Timestamp, ZonedDateTime, tz::TimeZone};
use rally_core::model::{EventStatus, EventView, GroupView, JoinMode};
use rally_core::{DocId, PersonaId};
use serde_json::{Value, json};

pub const PUBLIC: &str = "https://www.w3.org/ns/activitystreams#Public";
pub const CONTENT_TYPE: &str = "application/activity+json";

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum VocabError {
    #[error("{0} is missing")]
    Missing(&'static str),
    #[error("{what} is not valid: {why}")]
    Invalid { what: &'static str, why: String },
}

/// The path of a test fixture (real documents from Mobilizon, Mastodon and Gancio).
#[cfg(test)]
pub fn fixture(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/activitypub")
        .join(name)
}

/// Where everything of this server lives, under its public URL.
#[derive(Debug, Clone)]
pub struct Urls {
    pub base: String,
}

impl Urls {
    pub fn host(&self) -> &str {
        rally_core::publication::url_host(&self.base)
    }
    pub fn instance(&self) -> String {
        format!("{}/relay", self.base)
    }
    pub fn shared_inbox(&self) -> String {
        format!("{}/inbox", self.base)
    }
    pub fn group(&self, id: &DocId) -> String {
        format!("{}/groups/{}", self.base, id.to_hex())
    }
    pub fn event(&self, id: &DocId) -> String {
        rally_core::publication::event_url(&self.base, id)
    }
    /// What every [`Urls::event`] starts with.
    pub fn events_prefix(&self) -> String {
        let any = DocId([0; 32]);
        let url = self.event(&any);
        url[..url.len() - any.to_hex().len()].to_owned()
    }
    /// A picture of a published event (the page size).
    pub fn media(&self, hash: &rally_core::picture::BlobHash) -> String {
        format!("{}/media/{hash}.jpg", self.base)
    }
    pub fn comment(&self, event: &DocId, comment: &str) -> String {
        format!("{}/events/{}/comments/{comment}", self.base, event.to_hex())
    }
    pub fn person(&self, id: &PersonaId) -> String {
        format!("{}/people/{}", self.base, id.to_hex())
    }
    pub fn key_id(actor: &str) -> String {
        format!("{actor}#main-key")
    }
    /// A fresh activity id under the server's own URL.
    pub fn activity(&self, kind: &str) -> String {
        let mut nonce = [0u8; 12];
        let _ = getrandom::fill(&mut nonce);
        format!("{}/activities/{kind}/{}", self.base, hex::encode(nonce))
    }
}

/// The JSON-LD context Mobilizon sends (so Mobilizon reads every term it knows).
pub fn context() -> Value {
    json!([
        "https://www.w3.org/ns/activitystreams",
        "https://w3id.org/security/v1",
        {
            "@language": "und",
            "sc": "http://schema.org#",
            "ical": "http://www.w3.org/2002/12/cal/ical#",
            "mz": "https://joinmobilizon.org/ns#",
            "pt": "https://joinpeertube.org/ns#",
            "toot": "http://joinmastodon.org/ns#",
            "discoverable": "toot:discoverable",
            "manuallyApprovesFollowers": "as:manuallyApprovesFollowers",
            "Hashtag": "as:Hashtag",
            "PostalAddress": "sc:PostalAddress",
            "address": {"@id": "sc:address", "@type": "sc:PostalAddress"},
            "addressCountry": "sc:addressCountry",
            "addressLocality": "sc:addressLocality",
            "addressRegion": "sc:addressRegion",
            "postalCode": "sc:postalCode",
            "streetAddress": "sc:streetAddress",
            "location": {"@id": "sc:location", "@type": "sc:Place"},
            "maximumAttendeeCapacity": "sc:maximumAttendeeCapacity",
            "remainingAttendeeCapacity": "sc:remainingAttendeeCapacity",
            "uuid": "sc:identifier",
            "joinMode": {"@id": "mz:joinMode", "@type": "mz:joinModeType"},
            "joinModeType": {"@id": "mz:joinModeType", "@type": "rdfs:Class"},
            "participantCount": {"@id": "mz:participantCount", "@type": "sc:Integer"},
            "memberCount": {"@id": "mz:memberCount", "@type": "sc:Integer"},
            "isOnline": {"@id": "mz:isOnline", "@type": "sc:Boolean"},
            "timezone": {"@id": "mz:timezone", "@type": "sc:Text"},
            "anonymousParticipationEnabled": {"@id": "mz:anonymousParticipationEnabled", "@type": "sc:Boolean"},
            "repliesModerationOption": {"@id": "mz:repliesModerationOption", "@type": "mz:repliesModerationOptionType"},
            "commentsEnabled": {"@id": "pt:commentsEnabled", "@type": "sc:Boolean"},
            "members": {"@id": "mz:members", "@type": "@id"},
            "events": {"@id": "mz:events", "@type": "@id"},
            "openness": {"@id": "mz:openness", "@type": "@id"},
            "status": {"@id": "ical:status", "@type": "ical:status"}
        }
    ])
}

// ----- reading -----

/// Whether two URLs have the same scheme, host and port (neither unparsable).
pub fn same_origin(a: &str, b: &str) -> bool {
    let origin = |u: &str| url::Url::parse(u).ok().map(|u| u.origin());
    matches!((origin(a), origin(b)), (Some(x), Some(y)) if x == y && x.is_tuple())
}

/// The id of a value that is a URL string or an object with an `id`.
pub fn id_of(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Object(o) => o.get("id").and_then(Value::as_str).map(str::to_owned),
        _ => None,
    }
}

/// The ids of a value that is one reference or an array of them.
pub fn ids_of(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::Array(items)) => items.iter().filter_map(id_of).collect(),
        Some(v) => id_of(v).into_iter().collect(),
        None => Vec::new(),
    }
}

fn str_field<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

pub fn type_of(v: &Value) -> &str {
    match v.get("type") {
        Some(Value::String(s)) => s,
        Some(Value::Array(a)) => a.first().and_then(Value::as_str).unwrap_or(""),
        _ => "",
    }
}

/// An actor as another server publishes it.
#[derive(Debug, Clone, PartialEq)]
pub struct RemoteActor {
    pub id: String,
    pub kind: String,
    pub username: Option<String>,
    pub name: Option<String>,
    pub inbox: String,
    pub shared_inbox: Option<String>,
    pub key_id: Option<String>,
    pub public_key_pem: Option<String>,
    /// A group's members collection (Mobilizon's `members`).
    pub members: Option<String>,
}

impl RemoteActor {
    pub fn parse(v: &Value) -> Result<RemoteActor, VocabError> {
        let id = str_field(v, "id")
            .ok_or(VocabError::Missing("actor id"))?
            .to_owned();
        let kind = type_of(v);
        if !matches!(
            kind,
            "Person" | "Group" | "Application" | "Service" | "Organization"
        ) {
            return Err(VocabError::Invalid {
                what: "actor type",
                why: format!("{kind:?} is not an actor"),
            });
        }
        let inbox = str_field(v, "inbox")
            .ok_or(VocabError::Missing("inbox"))?
            .to_owned();
        let key = match v.get("publicKey") {
            Some(Value::Array(keys)) => keys
                .iter()
                .find(|k| k.get("publicKeyPem").is_some())
                .cloned(),
            Some(k) => Some(k.clone()),
            None => None,
        };
        Ok(RemoteActor {
            id,
            kind: kind.to_owned(),
            username: str_field(v, "preferredUsername").map(str::to_owned),
            name: str_field(v, "name").map(str::to_owned),
            inbox,
            shared_inbox: v
                .get("endpoints")
                .and_then(|e| str_field(e, "sharedInbox"))
                .map(str::to_owned),
            key_id: key
                .as_ref()
                .and_then(|k| str_field(k, "id"))
                .map(str::to_owned),
            public_key_pem: key
                .as_ref()
                .and_then(|k| str_field(k, "publicKeyPem"))
                .map(str::to_owned),
            members: v.get("members").and_then(id_of),
        })
    }

    /// Where to deliver: the shared inbox when there is one.
    pub fn delivery_inbox(&self) -> &str {
        self.shared_inbox.as_deref().unwrap_or(&self.inbox)
    }

    /// `@user@host`, for display.
    pub fn handle(&self) -> String {
        let host = url::Url::parse(&self.id)
            .ok()
            .and_then(|u| {
                u.host_str()
                    .map(|h| u.port().map_or(h.to_owned(), |p| format!("{h}:{p}")))
            })
            .unwrap_or_default();
        format!("@{}@{host}", self.username.as_deref().unwrap_or("someone"))
    }

    /// A display name: the name, else the handle.
    pub fn display(&self) -> String {
        match &self.name {
            Some(n) => format!("{n} ({})", self.handle()),
            None => self.handle(),
        }
    }
}

/// An incoming activity, as far as the server acts on it.
#[derive(Debug, Clone, PartialEq)]
pub struct Activity {
    pub id: Option<String>,
    pub kind: String,
    pub actor: String,
    /// The object: a URL or the embedded object.
    pub object: Value,
    pub to: Vec<String>,
    pub cc: Vec<String>,
    /// Its own text (a `Flag`'s reason, in HTML or plain).
    pub content: Option<String>,
}

impl Activity {
    pub fn parse(v: &Value) -> Result<Activity, VocabError> {
        let kind = type_of(v);
        if kind.is_empty() {
            return Err(VocabError::Missing("type"));
        }
        let actor = v
            .get("actor")
            .and_then(id_of)
            .ok_or(VocabError::Missing("actor"))?;
        Ok(Activity {
            id: str_field(v, "id").map(str::to_owned),
            kind: kind.to_owned(),
            actor,
            object: v.get("object").cloned().unwrap_or(Value::Null),
            to: ids_of(v.get("to")),
            cc: ids_of(v.get("cc")),
            content: str_field(v, "content").map(str::to_owned),
        })
    }

    pub fn object_id(&self) -> Option<String> {
        id_of(&self.object)
    }

    pub fn object_type(&self) -> &str {
        type_of(&self.object)
    }
}

/// A `Note` (a Mastodon reply, a Mobilizon comment).
#[derive(Debug, Clone, PartialEq)]
pub struct RemoteNote {
    pub id: String,
    pub author: String,
    pub text: String,
    pub in_reply_to: Option<String>,
    pub public: bool,
}

impl RemoteNote {
    pub fn parse(v: &Value) -> Result<RemoteNote, VocabError> {
        if !matches!(type_of(v), "Note" | "Comment" | "Article") {
            return Err(VocabError::Invalid {
                what: "object",
                why: format!("{} is not a note", type_of(v)),
            });
        }
        let id = str_field(v, "id")
            .ok_or(VocabError::Missing("note id"))?
            .to_owned();
        let author = v
            .get("attributedTo")
            .and_then(|a| ids_of(Some(a)).into_iter().next())
            .or_else(|| v.get("actor").and_then(id_of))
            .ok_or(VocabError::Missing("attributedTo"))?;
        let html = str_field(v, "content").ok_or(VocabError::Missing("content"))?;
        let mut addressed = ids_of(v.get("to"));
        addressed.extend(ids_of(v.get("cc")));
        Ok(RemoteNote {
            id,
            author,
            text: rally_core::text::html_to_text(html),
            in_reply_to: v.get("inReplyTo").and_then(id_of),
            public: addressed
                .iter()
                .any(|a| a == PUBLIC || a == "as:Public" || a == "Public"),
        })
    }
}

/// An `Event` as Mobilizon, Gancio or another server sends it (read for the
/// read-only copies of followed groups' and instances' events).
#[derive(Debug, Clone, PartialEq)]
pub struct RemoteEvent {
    pub id: String,
    pub name: String,
    pub description: String,
    pub starts: Timestamp,
    pub ends: Option<Timestamp>,
    pub time_zone: Option<String>,
    pub place_name: Option<String>,
    pub address: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub online_url: Option<String>,
    pub join_mode: String,
    pub capacity: Option<u32>,
    pub status: String,
    pub organiser: Option<String>,
    pub tags: Vec<String>,
    pub banner: Option<RemoteBanner>,
}

/// A remote event's picture: Mobilizon's `Document` named "Banner", else the
/// first image `Document` (Gancio's, with its `focalPoint`), else `image`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteBanner {
    pub url: String,
    /// What it shows, when the sender said (`summary`, or a `name` that is not
    /// Mobilizon's "Banner").
    pub alt: String,
}

impl RemoteBanner {
    fn parse(v: &Value) -> Option<RemoteBanner> {
        let documents: Vec<&Value> = v
            .get("attachment")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter(|x| matches!(type_of(x), "Document" | "Image"))
                    .filter(|x| str_field(x, "mediaType").is_none_or(|m| m.starts_with("image/")))
                    .collect()
            })
            .unwrap_or_default();
        let chosen = documents
            .iter()
            .find(|d| str_field(d, "name") == Some("Banner"))
            .or_else(|| documents.first())
            .copied()
            .or_else(|| v.get("image").filter(|i| i.is_object()))?;
        let url = match chosen.get("url") {
            Some(Value::String(u)) => u.clone(),
            Some(link @ Value::Object(_)) => str_field(link, "href")?.to_owned(),
            Some(Value::Array(links)) => links.iter().find_map(|l| match l {
                Value::String(u) => Some(u.clone()),
                l => str_field(l, "href").map(str::to_owned),
            })?,
            _ => str_field(chosen, "href")?.to_owned(),
        };
        let alt = str_field(chosen, "summary")
            .or_else(|| str_field(chosen, "name").filter(|n| *n != "Banner"))
            .map(rally_core::text::html_to_text)
            .unwrap_or_default();
        Some(RemoteBanner {
            url,
            alt: alt.chars().take(rally_core::picture::MAX_ALT).collect(),
        })
    }
}

fn instant(v: &Value, key: &'static str) -> Result<Option<Timestamp>, VocabError> {
    match str_field(v, key) {
        None => Ok(None),
        Some(s) => s
            .parse::<Timestamp>()
            .map(Some)
            .map_err(|e| VocabError::Invalid {
                what: key,
                why: e.to_string(),
            }),
    }
}

fn number(v: Option<&Value>) -> Option<f64> {
    match v? {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

impl RemoteEvent {
    pub fn parse(v: &Value) -> Result<RemoteEvent, VocabError> {
        if type_of(v) != "Event" {
            return Err(VocabError::Invalid {
                what: "object",
                why: format!("{} is not an event", type_of(v)),
            });
        }
        let id = str_field(v, "id")
            .ok_or(VocabError::Missing("event id"))?
            .to_owned();
        let name = str_field(v, "name")
            .ok_or(VocabError::Missing("name"))?
            .to_owned();
        let starts = instant(v, "startTime")?.ok_or(VocabError::Missing("startTime"))?;
        // An object (Mobilizon, Gancio), the first of a list, or a plain string
        // (an address as typed).
        let location = match v.get("location") {
            Some(Value::Array(l)) => l.iter().find(|l| l.is_object()),
            l => l.filter(|l| l.is_object()),
        };
        let (mut address, mut latitude, mut longitude) = (None, None, None);
        let mut place_name = None;
        if let Some(Value::String(typed)) = v.get("location")
            && !typed.trim().is_empty()
        {
            address = Some(typed.trim().to_owned());
        }
        if let Some(l) = location {
            place_name = str_field(l, "name").map(str::to_owned);
            address = match l.get("address") {
                Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
                Some(a @ Value::Object(_)) => {
                    let parts: Vec<&str> = [
                        "streetAddress",
                        "postalCode",
                        "addressLocality",
                        "addressRegion",
                        "addressCountry",
                    ]
                    .iter()
                    .filter_map(|k| str_field(a, k))
                    .collect();
                    (!parts.is_empty()).then(|| parts.join(", "))
                }
                _ => None,
            };
            latitude = number(l.get("latitude")).or_else(|| number(l.get("geo")?.get("latitude")));
            longitude =
                number(l.get("longitude")).or_else(|| number(l.get("geo")?.get("longitude")));
        }
        let online_url = v
            .get("attachment")
            .and_then(Value::as_array)
            .and_then(|a| {
                a.iter().find(|x| {
                    type_of(x) == "Link" && str_field(x, "name").is_some_and(|n| n == "Website")
                })
            })
            .and_then(|l| str_field(l, "href"))
            .map(str::to_owned);
        let description = match (str_field(v, "content"), str_field(v, "mediaType")) {
            (Some(c), Some("text/markdown" | "text/plain")) => c.to_owned(),
            // HTML (Mobilizon, Gancio): Markdown that keeps its links and emphasis.
            (Some(c), _) => rally_core::text::html_to_markdown(c),
            (None, _) => str_field(v, "summary")
                .map(rally_core::text::html_to_markdown)
                .unwrap_or_default(),
        };
        let status = str_field(v, "status")
            .or_else(|| str_field(v, "ical:status"))
            .unwrap_or("CONFIRMED")
            .to_ascii_uppercase();
        let capacity = v
            .get("maximumAttendeeCapacity")
            .and_then(Value::as_u64)
            .filter(|c| *c > 0)
            .and_then(|c| u32::try_from(c).ok());
        let tags = v
            .get("tag")
            .and_then(Value::as_array)
            .map(|tags| {
                tags.iter()
                    .filter(|t| type_of(t) == "Hashtag")
                    .filter_map(|t| str_field(t, "name"))
                    .map(|n| n.trim_start_matches('#').to_owned())
                    .collect()
            })
            .unwrap_or_default();
        Ok(RemoteEvent {
            id,
            name,
            description,
            starts,
            ends: instant(v, "endTime")?,
            time_zone: str_field(v, "timezone").map(str::to_owned),
            place_name,
            address,
            latitude,
            longitude,
            online_url,
            join_mode: str_field(v, "joinMode").unwrap_or("free").to_owned(),
            capacity,
            status,
            organiser: v
                .get("attributedTo")
                .and_then(|a| ids_of(Some(a)).into_iter().next())
                .or_else(|| v.get("actor").and_then(id_of)),
            tags,
            banner: RemoteBanner::parse(v),
        })
    }
}

// ----- writing -----

fn offset_time(z: &ZonedDateTime) -> String {
    z.strftime("%Y-%m-%dT%H:%M:%S%:z").to_string()
}

/// The plain one-line summary microblogging servers show ("date – zone – place").
pub fn event_summary(view: &EventView) -> String {
    let d = &view.details;
    let start = d.starts_at();
    let mut parts = vec![start.strftime("%a %-d %b %Y, %H:%M").to_string()];
    if let Some(end) = d.ends_at() {
        parts[0].push_str(&end.strftime(" – %H:%M").to_string());
    }
    parts.push(d.time_zone.clone());
    let place: Vec<&str> = [d.place.name.as_deref(), d.place.address.as_deref()]
        .into_iter()
        .flatten()
        .collect();
    if !place.is_empty() {
        parts.push(place.join(", "));
    }
    if d.status == EventStatus::Cancelled {
        parts.insert(0, "CANCELLED".into());
    }
    parts.join(" – ")
}

/// A public event as a Mobilizon `Event`.
pub fn event_object(
    urls: &Urls,
    id: &DocId,
    view: &EventView,
    group: Option<&DocId>,
    updated: Timestamp,
) -> Value {
    let d = &view.details;
    let url = urls.event(id);
    let owner = match group {
        Some(g) => urls.group(g),
        None => urls.person(&view.created_by),
    };
    let status = match d.status {
        EventStatus::Confirmed => "CONFIRMED",
        EventStatus::Tentative => "TENTATIVE",
        EventStatus::Cancelled => "CANCELLED",
    };
    let join_mode = match d.join_mode {
        JoinMode::Free => "free",
        JoinMode::Approval => "restricted",
        JoinMode::Invite => "invite",
    };
    let going = view.going_count();
    let mut event = json!({
        "id": url,
        "url": url,
        "type": "Event",
        "name": d.title,
        "content": rally_core::text::markdown_to_html(&d.description),
        "mediaType": "text/html",
        "summary": event_summary(view),
        "startTime": offset_time(&d.starts_at()),
        "timezone": d.time_zone,
        "published": Timestamp::from_second(view.created_at).unwrap_or(updated).to_string(),
        "updated": updated.to_string(),
        "attributedTo": owner,
        "actor": owner,
        "to": [PUBLIC],
        "cc": [format!("{owner}/followers")],
        "joinMode": join_mode,
        "maximumAttendeeCapacity": d.capacity.unwrap_or(0),
        "participantCount": going,
        "status": status,
        "ical:status": status,
        "commentsEnabled": true,
        "repliesModerationOption": "allow_all",
        "anonymousParticipationEnabled": false,
        "draft": false,
        "isOnline": d.online_url.is_some() && d.place.is_empty(),
        "replies": format!("{url}/comments"),
        "tag": d.tags.iter().map(|t| json!({
            "type": "Hashtag",
            "name": format!("#{t}"),
            "href": format!("{}/tags/{t}", urls.base),
        })).collect::<Vec<_>>(),
        "attachment": d.online_url.iter().map(|u| json!({
            "type": "Link",
            "name": "Website",
            "mediaType": "text/html",
            "href": u,
        })).collect::<Vec<_>>(),
    });
    if let Some(b) = &d.banner {
        // Mobilizon's header picture: a `Document` named "Banner"; its alt text
        // as the summary.
        event["attachment"]
            .as_array_mut()
            .expect("a list")
            .push(json!({
                "type": "Document",
                "name": "Banner",
                "mediaType": rally_core::picture::Picture::MEDIA_TYPE,
                "url": urls.media(&b.hash),
                "width": b.width,
                "height": b.height,
                "summary": b.alt,
            }));
    }
    if let Some(end) = d.ends_at() {
        event["endTime"] = json!(offset_time(&end));
    }
    if let Some(cap) = d.capacity {
        event["remainingAttendeeCapacity"] = json!(u64::from(cap).saturating_sub(going as u64));
    }
    if !d.place.is_empty() {
        let mut place = json!({"type": "Place", "id": format!("{url}#place")});
        if let Some(n) = &d.place.name {
            place["name"] = json!(n);
        }
        if let Some(a) = &d.place.address {
            place["address"] = json!({"type": "PostalAddress", "streetAddress": a});
            if d.place.name.is_none() {
                place["name"] = json!(a);
            }
        }
        if let (Some(lat), Some(lon)) = (d.place.latitude, d.place.longitude) {
            place["latitude"] = json!(lat);
            place["longitude"] = json!(lon);
        }
        event["location"] = place;
    }
    event
}

/// A local persona's comment as a `Note`.
pub fn comment_note(urls: &Urls, event: &DocId, comment: &rally_core::model::Comment) -> Value {
    let in_reply_to = match &comment.reply_to {
        Some(parent) => urls.comment(event, parent),
        None => urls.event(event),
    };
    let author = urls.person(&comment.author);
    json!({
        "id": urls.comment(event, &comment.id),
        "type": "Note",
        "attributedTo": author,
        "actor": author,
        "content": rally_core::text::markdown_to_html(&comment.body),
        "mediaType": "text/html",
        "inReplyTo": in_reply_to,
        "published": Timestamp::from_second(comment.created_at).map(|t| t.to_string()).unwrap_or_default(),
        "to": [PUBLIC],
        "cc": [],
    })
}

/// Wraps an object or reference in an activity with the context.
pub fn activity(
    id: &str,
    kind: &str,
    actor: &str,
    object: Value,
    to: &[String],
    cc: &[String],
) -> Value {
    json!({
        "@context": context(),
        "id": id,
        "type": kind,
        "actor": actor,
        "object": object,
        "to": to,
        "cc": cc,
        "published": Timestamp::now().to_string(),
    })
}

fn public_key(actor: &str, pem: &str) -> Value {
    json!({"id": Urls::key_id(actor), "owner": actor, "publicKeyPem": pem})
}

/// A public group as a `Group` actor.
pub fn group_actor(urls: &Urls, id: &DocId, view: &GroupView, username: &str, pem: &str) -> Value {
    let actor = urls.group(id);
    let summary = view
        .profile
        .summary
        .trim()
        .is_empty()
        .then(String::new)
        .unwrap_or_else(|| rally_core::text::markdown_to_html(&view.profile.summary));
    let mut group = json!({
        "@context": context(),
        "id": actor,
        "url": actor,
        "type": "Group",
        "preferredUsername": username,
        "name": view.profile.name,
        "summary": summary,
        "inbox": format!("{actor}/inbox"),
        "outbox": format!("{actor}/outbox"),
        "followers": format!("{actor}/followers"),
        "following": format!("{actor}/following"),
        "members": format!("{actor}/members"),
        "events": format!("{actor}/events"),
        "endpoints": {
            "sharedInbox": urls.shared_inbox(),
            "members": format!("{actor}/members"),
            "events": format!("{actor}/events"),
        },
        "discoverable": true,
        "openness": "invite_only",
        "manuallyApprovesFollowers": false,
        "memberCount": view.members.len(),
        "published": Timestamp::from_second(view.created_at).map(|t| t.to_string()).unwrap_or_default(),
        "publicKey": public_key(&actor, pem),
    });
    if let Some(a) = &view.profile.avatar {
        group["icon"] = image(urls, a);
    }
    group
}

/// An actor's picture (`icon`), as Mobilizon and Mastodon show one.
pub fn image(urls: &Urls, a: &rally_core::picture::Picture) -> Value {
    json!({
        "type": "Image",
        "mediaType": rally_core::picture::Picture::MEDIA_TYPE,
        "url": urls.media(&a.hash),
        "name": a.alt,
    })
}

/// The instance actor (Mobilizon's relay): follows and is followed by instances.
pub fn instance_actor(urls: &Urls, pem: &str) -> Value {
    let actor = urls.instance();
    json!({
        "@context": context(),
        "id": actor,
        "url": actor,
        "type": "Application",
        "preferredUsername": "relay",
        "name": format!("Rally on {}", urls.host()),
        "summary": "The instance actor of this Rally server: it follows other instances and is followed by them.",
        "inbox": urls.shared_inbox(),
        "outbox": format!("{actor}/outbox"),
        "followers": format!("{actor}/followers"),
        "following": format!("{actor}/following"),
        "endpoints": {"sharedInbox": urls.shared_inbox()},
        "manuallyApprovesFollowers": true,
        "discoverable": false,
        "publicKey": public_key(&actor, pem),
    })
}

/// A persona that commented publicly, as a `Person` (a name and a key; nothing
/// that links it to any other persona).
pub fn person_actor(urls: &Urls, id: &PersonaId, name: &str, pem: &str) -> Value {
    let actor = urls.person(id);
    json!({
        "@context": context(),
        "id": actor,
        "url": actor,
        "type": "Person",
        "preferredUsername": format!("p{}", &id.to_hex()[..16]),
        "name": name,
        "inbox": format!("{actor}/inbox"),
        "outbox": format!("{actor}/outbox"),
        "followers": format!("{actor}/followers"),
        "following": format!("{actor}/following"),
        "endpoints": {"sharedInbox": urls.shared_inbox()},
        "discoverable": false,
        "manuallyApprovesFollowers": true,
        "publicKey": public_key(&actor, pem),
    })
}

/// An `OrderedCollection` with its first page inline.
pub fn collection(id: &str, items: Vec<Value>, total: usize) -> Value {
    json!({
        "@context": context(),
        "id": id,
        "type": "OrderedCollection",
        "totalItems": total,
        "first": {
            "id": format!("{id}?page=1"),
            "type": "OrderedCollectionPage",
            "partOf": id,
            "orderedItems": items,
        },
    })
}

/// WebFinger's answer for an actor.
pub fn webfinger(subject: &str, actor: &str, profile_page: bool) -> Value {
    let mut links = vec![json!({"rel": "self", "type": CONTENT_TYPE, "href": actor})];
    if profile_page {
        links.push(json!({"rel": "http://webfinger.net/rel/profile-page/", "type": "text/html", "href": actor}));
    }
    json!({"subject": subject, "aliases": [actor], "links": links})
}

/// `/.well-known/nodeinfo`: both schema versions and the instance actor (FEP-2677).
/// The actor a WebFinger answer (JRD) names: its `self` link of the
/// ActivityStreams type.
pub fn webfinger_actor(jrd: &Value) -> Option<String> {
    jrd["links"].as_array().and_then(|l| {
        l.iter()
            .find(|l| l["rel"] == "self" && l["type"] == CONTENT_TYPE)
            .and_then(|l| l["href"].as_str())
            .map(str::to_owned)
    })
}

/// The instance actor a NodeInfo discovery document names (Mobilizon's and
/// Gancio's `Application` link).
pub fn nodeinfo_application(links: &Value) -> Option<String> {
    links["links"].as_array().and_then(|l| {
        l.iter()
            .find(|l| l["rel"] == "https://www.w3.org/ns/activitystreams#Application")
            .and_then(|l| l["href"].as_str())
            .map(str::to_owned)
    })
}

/// The NodeInfo document a discovery document links to: 2.1, else 2.0.
pub fn nodeinfo_document(links: &Value) -> Option<String> {
    let links = links["links"].as_array()?;
    ["2.1", "2.0"].iter().find_map(|v| {
        let rel = format!("http://nodeinfo.diaspora.software/ns/schema/{v}");
        links
            .iter()
            .find(|l| l["rel"] == rel.as_str())
            .and_then(|l| l["href"].as_str())
            .map(str::to_owned)
    })
}

/// The instance's own time zone a NodeInfo document publishes (Gancio's
/// `metadata.nodeTimezone`), when it is a zone this server knows.
pub fn nodeinfo_zone(doc: &Value) -> Option<String> {
    let zone = doc["metadata"]["nodeTimezone"].as_str()?.trim();
    (zone.len() <= 64 && TimeZone::get(zone).is_ok()).then(|| zone.to_owned())
}

pub fn nodeinfo_links(urls: &Urls) -> Value {
    json!({"links": [
        {"rel": "http://nodeinfo.diaspora.software/ns/schema/2.0", "href": format!("{}/.well-known/nodeinfo/2.0", urls.base)},
        {"rel": "http://nodeinfo.diaspora.software/ns/schema/2.1", "href": format!("{}/.well-known/nodeinfo/2.1", urls.base)},
        {"rel": "https://www.w3.org/ns/activitystreams#Application", "href": urls.instance()},
    ]})
}

/// NodeInfo 2.0 or 2.1.
pub fn nodeinfo(
    version: &str,
    open: bool,
    groups: usize,
    events: usize,
    comments: usize,
    policy: &crate::registry::Policy,
) -> Value {
    let mut software = json!({"name": "rally", "version": env!("CARGO_PKG_VERSION")});
    if version == "2.1" {
        software["repository"] = json!("https://example.invalid/rally");
    }
    let mut metadata =
        json!({"nodeName": "Rally", "nodeDescription": "Events and groups, local first."});
    // The instance's policy (rules in Markdown, contact), when the admins set one.
    if let Some(rules) = &policy.rules {
        metadata["rules"] = json!(rules);
    }
    if let Some(contact) = &policy.contact {
        metadata["contact"] = json!(contact);
    }
    json!({
        "version": version,
        "software": software,
        "protocols": ["activitypub"],
        "services": {"inbound": [], "outbound": ["atom1.0"]},
        "openRegistrations": open,
        "usage": {"users": {"total": groups}, "localPosts": events, "localComments": comments},
        "metadata": metadata,
    })
}

/// A `Follow` of `object` by `actor`.
pub fn follow(id: &str, actor: &str, object: &str) -> Value {
    json!({"id": id, "type": "Follow", "actor": actor, "object": object})
}

/// The `Accept` or `Reject` (`kind`) a group's actor sends to the remote actor
/// `to` for its `join`; `nonce` makes the answer's id unique.
pub fn join_answer(
    urls: &Urls,
    nonce: &str,
    group_actor: &str,
    kind: &str,
    join: Value,
    to: &str,
) -> Value {
    let mut a = activity(
        &format!("{}/{}/join/{nonce}", urls.base, kind.to_lowercase()),
        kind,
        group_actor,
        join,
        &[to.to_owned()],
        &[],
    );
    a["attributedTo"] = json!(group_actor);
    a
}

/// The Fediverse user name of a public group: a readable slug of its name and the
/// start of its id (stable across renames: the server finds the group by the id part).
pub fn group_username(id: &DocId, name: &str) -> String {
    rally_core::model::fediverse_username(id, name)
}

/// Converts an instant to the civil time of a zone (for read-only copies).
pub fn civil_in(t: Timestamp, zone: &str) -> (rally_core::jiff::civil::DateTime, String) {
    let tz = TimeZone::get(zone).unwrap_or(TimeZone::UTC);
    let name = if tz == TimeZone::UTC {
        "UTC".to_owned()
    } else {
        zone.to_owned()
    };
    (t.to_zoned_datetime(tz).datetime(), name)
}

#[cfg(test)]
mod tests;
