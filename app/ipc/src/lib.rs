//! The IPC between the app shell (`rally-app`, native, where the engine runs)
//! and its UI (`rally-ui`, wasm in the webview): one crate owns these types, so
//! both sides agree on them at compile time.
//!
//! Every command takes one argument named `args` (a struct below, or `()`), and
//! returns its result or an [`AppError`] in plain words. The shell emits
//! [`CHANGED`] whenever the local store changed (an edit here, a sync, another
//! process on the same data directory), and the UI reloads what it shows.
//! Times are prepared for display by the shell, which has the time-zone data.

use serde::{Deserialize, Serialize};

/// Emitted by the shell when the store changed; the payload is a [`Changed`].
pub const CHANGED: &str = "rally://changed";

/// Command names, as the shell registers them and the UI invokes them.
pub mod cmd {
    pub const STATE: &str = "state";
    pub const CREATE_PERSONA: &str = "create_persona";
    pub const SWITCH_PERSONA: &str = "switch_persona";
    pub const EVENTS: &str = "events";
    pub const EVENT: &str = "event";
    pub const SAVE_EVENT: &str = "save_event";
    pub const CANCEL_EVENT: &str = "cancel_event";
    pub const RSVP: &str = "rsvp";
    pub const COMMENT: &str = "comment";
    pub const EXPORT_ICS: &str = "export_ics";
    pub const GROUPS: &str = "groups";
    pub const GROUP: &str = "group";
    pub const CREATE_GROUP: &str = "create_group";
    pub const INVITE: &str = "invite";
    pub const JOIN_GROUP: &str = "join_group";
    pub const SEND_MESSAGE: &str = "send_message";
    pub const SYNC_STATUS: &str = "sync_status";
    pub const SET_SERVER: &str = "set_server";
    pub const FOLLOW_GROUP: &str = "follow_group";
    pub const SET_ROLE: &str = "set_role";
    pub const REMOVE_MEMBER: &str = "remove_member";
    pub const ADD_LINK: &str = "add_link";
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppError {
    pub message: String,
}

impl std::fmt::Display for AppError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for AppError {}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Changed {
    /// The store's change cursor after the change.
    pub cursor: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Persona {
    pub id: String,
    pub name: String,
    pub current: bool,
    /// Names of the groups this persona is a member of.
    pub groups: Vec<String>,
}

/// What the UI needs first: who is speaking, and where the data lives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppState {
    pub personas: Vec<Persona>,
    pub data_dir: String,
    /// The viewer's time zone (IANA name) as the shell sees it.
    pub time_zone: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NameArgs {
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdArgs {
    pub id: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum EventFilter {
    /// Upcoming events: everything on this device that has not ended.
    Upcoming,
    /// Events the current persona organises or answered.
    Mine,
    /// Events of the current persona's groups.
    MyGroups,
    /// Events of the groups the current persona follows.
    Followed,
    /// Past events too.
    All,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventsArgs {
    pub filter: EventFilter,
    /// Full-text search (title, description, place, tags).
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventItem {
    pub id: String,
    pub title: String,
    /// When it starts, in the viewer's time zone, ready to show.
    pub when: String,
    pub status: String,
    pub group: Option<String>,
    pub place: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Participant {
    pub name: String,
    pub status: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommentItem {
    pub id: String,
    pub author: String,
    pub body: String,
    pub when: String,
    pub replies: Vec<CommentItem>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventPage {
    pub id: String,
    pub title: String,
    /// The Markdown description rendered and sanitised by the shell.
    pub description_html: String,
    /// The raw description, for editing.
    pub description: String,
    /// Start (and end) in the viewer's zone.
    pub when_local: String,
    /// Start (and end) in the event's own zone, with the zone's name.
    pub when_event: String,
    pub same_zone: bool,
    /// For the edit form: `YYYY-MM-DDTHH:MM` in the event's zone.
    pub starts: String,
    pub ends: Option<String>,
    pub time_zone: String,
    pub place: Option<String>,
    pub address: Option<String>,
    /// A link to the place on a map (OpenStreetMap), when it has coordinates.
    pub map_url: Option<String>,
    pub online: Option<String>,
    pub capacity: Option<u32>,
    pub status: String,
    pub visibility: String,
    pub join_mode: String,
    pub group: Option<String>,
    pub organisers: Vec<String>,
    pub participants: Vec<Participant>,
    pub comments: Vec<CommentItem>,
    /// The current persona's answer, if any.
    pub my_status: Option<String>,
    pub can_edit: bool,
    /// Where the event was published, when this is a copy of an event from the
    /// Fediverse (its organiser answers there).
    #[serde(default)]
    pub origin: Option<String>,
}

/// A new event (no `id`) or an edit of one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct EventForm {
    pub id: Option<String>,
    pub title: String,
    pub description: String,
    /// `YYYY-MM-DDTHH:MM`, in `time_zone`.
    pub starts: String,
    pub ends: String,
    pub time_zone: String,
    pub place: String,
    pub address: String,
    pub online: String,
    /// `public`, `unlisted` or `members-only`.
    pub visibility: String,
    pub group: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RsvpArgs {
    pub id: String,
    pub going: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommentArgs {
    pub id: String,
    pub body: String,
    pub reply_to: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Saved {
    pub id: String,
    /// Where a file was written, for exports.
    pub path: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupItem {
    pub id: String,
    pub name: String,
    pub members: i64,
    pub members_only: bool,
    pub my_role: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    pub id: String,
    pub name: String,
    pub role: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Link {
    pub title: String,
    pub url: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatMessage {
    pub id: String,
    pub author: String,
    pub text: String,
    pub when: String,
    pub reply_to: Option<String>,
    pub mine: bool,
    pub edited: bool,
    pub deleted: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupPage {
    pub id: String,
    pub name: String,
    pub summary: String,
    pub members_only: bool,
    pub members: Vec<Member>,
    pub links: Vec<Link>,
    pub events: Vec<EventItem>,
    pub my_role: Option<String>,
    pub followed: bool,
    pub messages: Vec<ChatMessage>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewGroup {
    pub name: String,
    pub summary: String,
    pub members_only: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Invitation {
    pub token: String,
    /// The token as a QR code, an SVG document.
    pub qr_svg: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenArgs {
    pub token: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageArgs {
    pub group: String,
    pub text: String,
    pub reply_to: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Peer {
    pub peer: String,
    pub persona: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncStatus {
    /// The node runs (it starts once there is a persona).
    pub running: bool,
    pub listening: Vec<String>,
    pub peers: Vec<Peer>,
    pub server: Option<String>,
    /// When the last sync with every connected peer completed, in the viewer's zone.
    pub last_sync: Option<String>,
    /// Documents being fetched right now.
    pub pending: usize,
    pub error: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerArgs {
    /// A server's p2p address (`…/p2p/12D3…`), or empty to stop using one.
    pub address: String,
    pub invite: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FollowArgs {
    pub id: String,
    pub follow: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberArgs {
    pub group: String,
    pub member: String,
    /// `admin`, `moderator` or `member` (for `set_role`).
    pub role: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkArgs {
    pub group: String,
    pub title: String,
    pub url: String,
}
