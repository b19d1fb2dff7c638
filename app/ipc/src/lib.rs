//! The IPC between the app shell (`rally-app`, native, where the engine runs)
//! and its UI (`rally-ui`, wasm in the webview): one crate owns these types, so
//! both sides agree on them at compile time.
//!
//! Every command is declared once in [`cmd`] (its name, its argument and its
//! result: a [`Command`]); it takes one argument named `args` and returns its
//! result or an [`AppError`] in plain words. Statuses, roles, visibility and join
//! modes travel as enums. The shell emits
//! [`CHANGED`] whenever the local store changed (an edit here, a sync, another
//! process on the same data directory), and the UI reloads what it shows.
//! Times are prepared for display by the shell, which has the time-zone data.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

mod feed;
mod link;
mod map;
pub use feed::{CalendarFeed, FeedArgs};
pub use link::{Link, MAX_LINK, MAX_PAIR_ADDRESSES};
pub use map::{
    EventMap, KeptMapItem, MapArgs, MapMarker, MapPointItem, MapSettings, MapTiles, PlaceAnswer,
    PlaceItem, PlaceQuery, ReverseArgs,
};

/// Emitted by the shell when the store changed; the payload is a [`Changed`].
pub const CHANGED: &str = "rally://changed";

/// Emitted by the shell when the app is asked to open a link (a second launch
/// with a link, or the OS); the payload is a [`Link`].
pub const OPEN_LINK: &str = "rally://open-link";

/// A command the UI may call: its name, its argument and its result, declared
/// once (in [`cmd`]) and used by both sides — the shell's handler takes
/// `C::Args` and returns `C::Output`, the UI's `invoke::<C>` sends `C::Args` under
/// `C::NAME` and reads `C::Output`.
pub trait Command {
    const NAME: &'static str;
    type Args: Serialize + DeserializeOwned;
    type Output: Serialize + DeserializeOwned;
}

macro_rules! commands {
    ($($(#[$meta:meta])* $ty:ident = $name:literal ($args:ty) -> $out:ty;)+) => {
        $(
            $(#[$meta])*
            #[derive(Debug)]
            pub enum $ty {}
            impl super::Command for $ty {
                const NAME: &'static str = $name;
                type Args = $args;
                type Output = $out;
            }
        )+
        /// Every command's name, as the shell registers them.
        pub const ALL: &[&str] = &[$($name),+];
    };
}

/// The commands: one line each, name, argument and result.
pub mod cmd {
    use super::*;

    commands! {
        /// Who is speaking, and where the data lives.
        State = "state" (()) -> AppState;
        CreatePersona = "create_persona" (NameArgs) -> ();
        SwitchPersona = "switch_persona" (IdArgs) -> ();
        Events = "events" (EventsArgs) -> Vec<EventItem>;
        Event = "event" (IdArgs) -> EventPage;
        SaveEvent = "save_event" (EventForm) -> Saved;
        CancelEvent = "cancel_event" (IdArgs) -> ();
        /// The persona's answer after it (`None` after leaving).
        Rsvp = "rsvp" (RsvpArgs) -> Option<ParticipationStatus>;
        /// The new comment's id.
        Comment = "comment" (CommentArgs) -> String;
        /// Writes the event's .ics file; `Saved::path` says where.
        ExportIcs = "export_ics" (IdArgs) -> Saved;
        Groups = "groups" (()) -> Vec<GroupItem>;
        Group = "group" (IdArgs) -> GroupPage;
        /// The new group's id.
        CreateGroup = "create_group" (NewGroup) -> String;
        Invite = "invite" (IdArgs) -> Invitation;
        /// Whether the persona is a member now (else when the group arrives).
        JoinGroup = "join_group" (TokenArgs) -> bool;
        /// The new message's id.
        SendMessage = "send_message" (MessageArgs) -> String;
        SyncStatus = "sync_status" (()) -> super::SyncStatus;
        SetServer = "set_server" (ServerArgs) -> ();
        /// The language the UI shows: the shell writes dates and times in it.
        SetLanguage = "set_language" (Language) -> ();
        FollowGroup = "follow_group" (FollowArgs) -> ();
        /// Sets or turns off a group's disappearing messages (admins).
        SetDisappearing = "set_disappearing" (DisappearingArgs) -> ();
        SetRole = "set_role" (RoleArgs) -> ();
        RemoveMember = "remove_member" (MemberArgs) -> ();
        AddLink = "add_link" (LinkArgs) -> ();
        /// The link the app was started with, once (later ones arrive as
        /// [`OPEN_LINK`](super::OPEN_LINK)).
        TakeLink = "take_link" (()) -> Option<super::Link>;
        /// What is new since the persona last looked.
        News = "news" (()) -> super::News;
        /// The persona has seen a group's chat or an event as it is now.
        MarkSeen = "mark_seen" (IdArgs) -> ();
        /// A picture (by its hash) as a `data:` URL, once it is here; `None`
        /// while it has not arrived.
        Picture = "picture" (IdArgs) -> Option<String>;
        /// Sets, changes the description of, or removes an event's or a
        /// group's picture.
        SetPicture = "set_picture" (PictureArgs) -> Option<PictureRef>;
        /// Address search (the user's server, a provider they chose, or the
        /// offline gazetteer as the fallback).
        PlaceSearch = "place_search" (PlaceQuery) -> PlaceAnswer;
        PlaceReverse = "place_reverse" (ReverseArgs) -> PlaceAnswer;
        /// Replaces an event's route and points.
        SetMap = "set_map" (MapArgs) -> ();
        /// Keeps an event's map area offline.
        KeepMap = "keep_map" (IdArgs) -> KeptMapItem;
        /// The tiles under every map.
        MapTiles = "map_tiles" (()) -> super::MapTiles;
        /// How addresses are searched and where the maps' tiles come from.
        MapSettings = "map_settings" (()) -> super::MapSettings;
        SetMapSettings = "set_map_settings" (super::MapSettings) -> ();
        /// A list's events that have a place on the map, as markers (the same
        /// filters as `Events`, no paging).
        MapEvents = "map_events" (EventsArgs) -> Vec<MapMarker>;
        /// The persona's private calendar feed on its server (a new address
        /// when `reset`).
        CalendarFeed = "calendar_feed" (super::FeedArgs) -> super::CalendarFeed;
        /// How a series repeats, as a sentence in the UI's language ("every
        /// week on Tuesday at 19:00 until 30 June 2027"); an error for a rule
        /// that does not fit the start.
        DescribeRepeat = "describe_repeat" (super::RepeatArgs) -> String;
        /// Changes one occurrence of a series (cancel it, or put it back).
        SetOccurrence = "set_occurrence" (super::OccurrenceArgs) -> ();
        /// Moves, retitles or re-places one occurrence of a series, or it and
        /// the following ones.
        EditOccurrence = "edit_occurrence" (super::OccurrenceEdit) -> ();
        /// When this device reminds of what its personas go to.
        Reminders = "reminders" (()) -> super::Reminders;
        SetReminders = "set_reminders" (super::Reminders) -> ();
        /// How many months of events this device keeps, and what it forgot.
        Retention = "retention" (()) -> super::Retention;
        /// Keeps only the last months of events (`None`: all); what is older
        /// is forgotten now.
        SetKeepMonths = "set_keep_months" (super::KeepMonths) -> super::Retention;
        /// Asks every peer for a forgotten event again.
        FetchAgain = "fetch_again" (super::IdArgs) -> ();
        /// Asks every peer for a group's older messages, which this device forgot.
        FetchOlder = "fetch_older" (super::IdArgs) -> ();
        /// One event's own reminders (`None`: as the device does).
        SetEventReminders = "set_event_reminders" (super::EventRemindersArgs) -> ();
        /// Reports an event, a comment, a group or a persona to the group's
        /// moderators (end to end encrypted) and/or the server's admins.
        Report = "report" (super::ReportArgs) -> super::ReportSent;
        /// A group's reports (for its moderators), bans and moderation log.
        GroupModeration = "group_moderation" (IdArgs) -> super::GroupModeration;
        /// Bans a persona from a group, or lifts the ban.
        Ban = "ban" (super::BanArgs) -> ();
        /// Takes an event off its group's page, or puts it back (moderators).
        ListInGroup = "list_in_group" (super::ListingArgs) -> ();
        /// Asks to join a public group.
        RequestToJoin = "request_to_join" (IdArgs) -> ();
        /// Approves or declines someone's request to join (moderators).
        AnswerRequest = "answer_request" (super::AnswerArgs) -> ();
        /// This device's pairing code (`rally://pair?…`) and its QR code;
        /// `None` until the node listens.
        Pairing = "pairing" (()) -> Option<super::Pairing>;
        /// Pairs with the device whose code this is (scanned or pasted): the
        /// node dials it. How many addresses it dials.
        Pair = "pair" (super::PairArgs) -> usize;
        /// The app is on screen or not (the page's visibility): sync pauses
        /// in the background.
        SetForeground = "set_foreground" (super::ForegroundArgs) -> ();
        /// The rules of the servers this device syncs with, as they told it.
        ServerPolicies = "server_policies" (()) -> Vec<super::ServerPolicy>;
        /// Panic wipe: every key destroyed, then every file of this device's
        /// data; then the app quits.
        Wipe = "wipe" (super::WipeArgs) -> ();
        /// Whether the store waits for its passphrase, and how it is kept.
        LockState = "lock_state" (()) -> super::LockState;
        /// Opens a store sealed by a passphrase. A wrong one is an error; the
        /// duress passphrase, or one wrong passphrase too many when the lock
        /// says so, wipes the device and opens a new, empty store instead.
        Unlock = "unlock" (super::UnlockArgs) -> ();
        /// Seals the store's key by a passphrase (with the lock's rules), or
        /// puts it back in the system's keystore.
        SetLock = "set_lock" (super::LockChange) -> super::LockState;
        /// Locks a store sealed by a passphrase now: the lock screen asks for
        /// it again.
        Lock = "lock" (()) -> ();
    }
}

macro_rules! keyword {
    ($(#[$meta:meta])* $name:ident { $($variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum $name { $(#[serde(rename = $text)] $variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            /// The keyword (as the engine and the Fediverse name it).
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
            pub fn parse(text: &str) -> Option<Self> {
                match text { $($text => Some($name::$variant),)+ _ => None }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

keyword!(
    /// How often a series repeats.
    Frequency { Daily = "daily", Weekly = "weekly", Monthly = "monthly", Yearly = "yearly" }
);
keyword!(
    /// A day of the week.
    Weekday {
        Monday = "MO",
        Tuesday = "TU",
        Wednesday = "WE",
        Thursday = "TH",
        Friday = "FR",
        Saturday = "SA",
        Sunday = "SU",
    }
);

/// How an event repeats, as the form sets it; the shell writes it as an
/// RFC 5545 rule on the event's start.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RepeatForm {
    pub freq: Frequency,
    /// Every `interval` days, weeks, months or years (1: every one).
    pub interval: u16,
    /// Weekly: on these days (none: the start's).
    pub weekdays: Vec<Weekday>,
    /// Monthly: on the start's weekday of the same rank ("the second
    /// Tuesday") rather than on the start's day of the month.
    pub by_weekday: bool,
    /// Ends with the occurrence on this day (`YYYY-MM-DD`).
    pub until: Option<String>,
    /// Or after this many occurrences.
    pub count: Option<u32>,
}

impl Default for RepeatForm {
    fn default() -> Self {
        RepeatForm {
            freq: Frequency::Weekly,
            interval: 1,
            weekdays: Vec::new(),
            by_weekday: false,
            until: None,
            count: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RepeatArgs {
    pub repeat: RepeatForm,
    /// The event's start, `YYYY-MM-DDTHH:MM`.
    pub starts: String,
    pub time_zone: String,
}

/// One occurrence of a series, as the event page lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OccurrenceItem {
    /// Its name (the start its rule gave it), for answering it.
    pub name: String,
    /// When, in the viewer's zone.
    pub when: String,
    pub status: EventStatus,
    /// Moved, re-placed or retitled from the series.
    pub changed: bool,
    /// Its title and place when they differ from the series'.
    pub title: String,
    pub place: Option<String>,
    /// Its local start and end in the event's zone, `YYYY-MM-DDTHH:MM`, for
    /// the form that changes it.
    #[serde(default)]
    pub starts: String,
    #[serde(default)]
    pub ends: Option<String>,
    pub going: u32,
    /// The persona's answer to it (its own, or to the whole series).
    pub mine: Option<ParticipationStatus>,
}

/// Less on the device: how many months of events it keeps, and the events it
/// forgot (newest first).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Retention {
    pub keep_months: Option<u32>,
    pub forgotten: Vec<ForgottenEvent>,
}

/// An event this device forgot: nothing of it is left but its id and when it
/// ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ForgottenEvent {
    pub id: String,
    pub ended: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeepMonths {
    pub months: Option<u32>,
}

/// When this device reminds: on or off, and how many minutes before.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reminders {
    pub on: bool,
    pub before: Vec<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventRemindersArgs {
    pub id: String,
    /// Minutes before (empty: never); `None`: as the device does.
    pub before: Option<Vec<u32>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OccurrenceArgs {
    pub id: String,
    pub occurrence: String,
    /// `true`: cancel it; `false`: put it back as the series has it.
    pub cancelled: bool,
}

/// A change to one occurrence of a series (or to it and the following ones).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OccurrenceEdit {
    pub id: String,
    pub occurrence: String,
    /// It and every later occurrence, rather than this one only.
    pub following: bool,
    pub title: String,
    /// `YYYY-MM-DDTHH:MM` in the event's zone; the following ones shift by as
    /// much.
    pub starts: String,
    /// Blank: as long as the series'.
    pub ends: String,
    /// Blank: the series' place.
    pub place: String,
}

keyword!(
    /// Why something is reported or someone banned.
    ReportReason { Spam = "spam", Harassment = "harassment", Illegal = "illegal", Other = "other" }
);
keyword!(
    /// What a report is about.
    ReportKind { Event = "event", Comment = "comment", Group = "group", Persona = "persona" }
);
keyword!(
    /// What a group's moderation log records.
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

/// A report made in the app.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportArgs {
    pub kind: ReportKind,
    /// The document's or persona's id; `event/comment` for a comment.
    pub id: String,
    /// The group, for a persona or an event of no group.
    pub group: Option<String>,
    pub reason: ReportReason,
    pub text: String,
    /// To the group's moderators.
    pub moderators: bool,
    /// To the server's admins.
    pub admins: bool,
}

/// Where a report went.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportSent {
    /// Sealed to this many moderators.
    pub moderators: Option<u32>,
    /// Kept for the server's admins (sent as the device next syncs).
    pub admins: bool,
}

/// A group's moderation as its page shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct GroupModeration {
    /// The reports this device opened (only for the group's moderators).
    pub reports: Vec<ReportItem>,
    pub bans: Vec<BanItem>,
    /// Newest first.
    pub log: Vec<LogItem>,
    /// Who asks to join (shown to moderators).
    #[serde(default)]
    pub requests: Vec<RequestItem>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestItem {
    pub persona: String,
    pub name: String,
    pub when: String,
    pub note: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListingArgs {
    pub group: String,
    pub event: String,
    pub listed: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnswerArgs {
    pub group: String,
    pub persona: String,
    pub accept: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportItem {
    pub id: String,
    pub when: String,
    pub reporter: String,
    pub kind: ReportKind,
    /// What it is about, as people read it (an event's title, a comment's
    /// words, a name).
    pub about: String,
    pub reason: ReportReason,
    pub text: String,
    /// Whom a ban would be for (a comment's author, a reported persona), as
    /// (id, name).
    pub author: Option<(String, String)>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BanItem {
    pub persona: String,
    pub name: String,
    pub since: String,
    pub reason: Option<ReportReason>,
    pub note: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogItem {
    pub when: String,
    pub by: String,
    pub action: ModAction,
    /// Whom or what, as people read it.
    pub target: String,
    pub note: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BanArgs {
    pub group: String,
    pub persona: String,
    pub reason: Option<ReportReason>,
    pub note: String,
    /// `false`: lift the ban.
    pub banned: bool,
}

keyword!(
    /// Whether an event is happening.
    EventStatus { Confirmed = "confirmed", Tentative = "tentative", Cancelled = "cancelled" }
);
keyword!(
    /// Who may see an event.
    Visibility { Public = "public", Unlisted = "unlisted", MembersOnly = "members-only" }
);
keyword!(
    /// Who may join an event.
    JoinMode { Free = "free", Approval = "approval", Invite = "invite" }
);
keyword!(
    /// A persona's answer to an event.
    ParticipationStatus {
        Going = "going",
        Interested = "interested",
        Declined = "declined",
        Pending = "pending",
        Rejected = "rejected",
    }
);
keyword!(
    /// A member's role in a group.
    Role { Admin = "admin", Moderator = "moderator", Member = "member" }
);

keyword!(
    /// Who answers address searches: the user's server (the provider sees the
    /// server), a provider asked directly (it sees the person), or no one (the
    /// offline gazetteer).
    GeocoderMode { Server = "server", Direct = "direct", Offline = "offline" }
);
keyword!(
    /// A geocoder's kind (each answers in its own format).
    GeocoderKind { Nominatim = "nominatim", Photon = "photon", Addok = "addok", Pelias = "pelias" }
);

impl Role {
    /// Admins and moderators run the group's events, invitations and links.
    pub fn can_moderate(self) -> bool {
        matches!(self, Role::Admin | Role::Moderator)
    }
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
    /// Its own picture.
    #[serde(default)]
    pub avatar: Option<PictureRef>,
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

/// A picture as a screen shows it: which blob, its size, what it shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PictureRef {
    pub hash: String,
    pub width: u32,
    pub height: u32,
    pub alt: String,
}

/// Whose picture.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum PictureOf {
    /// An event's banner.
    Event,
    /// A group's avatar.
    Group,
    /// A persona of this device (its id).
    Persona,
}

/// A new picture: a file's bytes (base64) and its description; no bytes with a
/// description changes the description; neither removes the picture.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PictureArgs {
    pub of: PictureOf,
    pub id: String,
    pub base64: Option<String>,
    pub alt: Option<String>,
}

/// The largest picture file the app takes (the shell cleans it).
pub const MAX_PICTURE_FILE: u64 = 10 * 1024 * 1024;

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
    /// Public events here the current persona has no part in yet: above all
    /// those its server offers (the instance's upcoming public events).
    Discover,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventsArgs {
    pub filter: EventFilter,
    /// Only events whose place is in this box: south, west, north, east.
    #[serde(default)]
    pub area: Option<[f64; 4]>,
    /// Full-text search (title, description, place, tags).
    pub text: String,
    /// At most this many (0: the shell's default).
    #[serde(default)]
    pub limit: u32,
    /// The next page: the `cursor` of the last item of the page before.
    #[serde(default)]
    pub after: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventItem {
    pub id: String,
    pub title: String,
    /// When it starts, in the viewer's time zone, ready to show.
    pub when: String,
    pub status: EventStatus,
    pub group: Option<String>,
    pub place: Option<String>,
    /// The date badge: the day of the month and the month's short name, in
    /// the viewer's zone and language.
    pub day: String,
    pub month: String,
    /// How many are going.
    pub going: u32,
    /// Everyone it has room for is going.
    #[serde(default)]
    pub full: bool,
    /// New comments and participants since the persona last opened it.
    pub news: u32,
    /// Where the list goes on after this item (see [`EventsArgs::after`]).
    pub cursor: String,
    /// Its picture, the card size.
    #[serde(default)]
    pub banner: Option<PictureRef>,
    /// Where it is, `[lat, lon]`, when its place has coordinates.
    #[serde(default)]
    pub at: Option<[f64; 2]>,
    /// This row is one occurrence of a series (its name).
    #[serde(default)]
    pub occurrence: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Participant {
    pub name: String,
    pub status: ParticipationStatus,
    #[serde(default)]
    pub avatar: Option<PictureRef>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommentItem {
    pub id: String,
    pub author: String,
    pub body: String,
    /// Hidden by an organiser, or its author banned from the group.
    #[serde(default)]
    pub hidden: bool,
    pub when: String,
    pub replies: Vec<CommentItem>,
    /// The author's picture, when it answered the event with one.
    #[serde(default)]
    pub avatar: Option<PictureRef>,
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
    pub status: EventStatus,
    pub visibility: Visibility,
    pub join_mode: JoinMode,
    /// Its group's name.
    pub group: Option<String>,
    /// Its group's id.
    #[serde(default)]
    pub group_id: Option<String>,
    /// For the group's moderators: whether the group lists it on its page
    /// (`None` for everyone else).
    #[serde(default)]
    pub listed: Option<bool>,
    pub organisers: Vec<String>,
    pub participants: Vec<Participant>,
    pub comments: Vec<CommentItem>,
    /// The current persona's answer, if any.
    pub my_status: Option<ParticipationStatus>,
    pub can_edit: bool,
    /// Where the event was published, when this is a copy of an event from the
    /// Fediverse (its organiser answers there).
    #[serde(default)]
    pub origin: Option<String>,
    /// Its picture, the page size.
    #[serde(default)]
    pub banner: Option<PictureRef>,
    /// Its place, route and points on the map.
    #[serde(default)]
    pub map: EventMap,
    /// How it repeats, for a series.
    #[serde(default)]
    pub repeat: Option<RepeatForm>,
    /// That, as a sentence in the UI's language.
    #[serde(default)]
    pub repeat_sentence: Option<String>,
    /// A series' next occurrences.
    #[serde(default)]
    pub occurrences: Vec<OccurrenceItem>,
    /// This event's own reminders, minutes before (`None`: as the device does).
    #[serde(default)]
    pub reminders: Option<Vec<u32>>,
}

/// A new event (no `id`) or an edit of one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
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
    /// The place's coordinates, `[lat, lon]`, as picked from an address search
    /// or the map (`None`: none, or unchanged text typed by hand).
    #[serde(default)]
    pub at: Option<[f64; 2]>,
    pub online: String,
    /// `None`: public for a new event, unchanged for an edit.
    pub visibility: Option<Visibility>,
    pub group: Option<String>,
    /// Repeats (a series), or not.
    #[serde(default)]
    pub repeat: Option<RepeatForm>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RsvpArgs {
    pub id: String,
    pub going: bool,
    /// One occurrence of a series (its name), rather than the whole event.
    #[serde(default)]
    pub occurrence: Option<String>,
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
    pub my_role: Option<Role>,
    /// Messages in its chat the persona has not seen.
    pub unread: u32,
    /// Its picture, the card size.
    #[serde(default)]
    pub avatar: Option<PictureRef>,
}

/// What is new since the persona last looked.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct News {
    pub chats: Vec<ChatNews>,
    pub events: Vec<EventNews>,
}

impl News {
    pub fn unread_messages(&self) -> u32 {
        self.chats.iter().map(|c| c.unread).sum()
    }
    pub fn event_news(&self) -> u32 {
        self.events.iter().map(|e| e.comments + e.people).sum()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatNews {
    pub id: String,
    pub name: String,
    pub unread: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventNews {
    pub id: String,
    pub title: String,
    pub comments: u32,
    pub people: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    pub id: String,
    pub name: String,
    pub role: Role,
    #[serde(default)]
    pub avatar: Option<PictureRef>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupLink {
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
    /// The author's picture, as its membership has it.
    #[serde(default)]
    pub avatar: Option<PictureRef>,
    /// When it disappears (a disappearing message), in local time.
    #[serde(default)]
    pub expires: Option<String>,
}

/// How long a group's messages last before they disappear from every device.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Disappearing {
    Hour,
    Day,
    Week,
}

impl Disappearing {
    pub const ALL: [Disappearing; 3] = [Disappearing::Hour, Disappearing::Day, Disappearing::Week];
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DisappearingArgs {
    pub group: String,
    /// `None`: messages stay.
    pub timer: Option<Disappearing>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupPage {
    pub id: String,
    pub name: String,
    pub summary: String,
    pub members_only: bool,
    pub members: Vec<Member>,
    pub links: Vec<GroupLink>,
    pub events: Vec<EventItem>,
    pub my_role: Option<Role>,
    /// The current persona's id.
    #[serde(default)]
    pub me: Option<String>,
    /// Whether the current persona asked to join and waits for an answer.
    #[serde(default)]
    pub requested: bool,
    /// Whether it is a public group (anyone may ask to join).
    #[serde(default)]
    pub public: bool,
    pub followed: bool,
    pub messages: Vec<ChatMessage>,
    /// Its picture, the page size.
    #[serde(default)]
    pub avatar: Option<PictureRef>,
    /// How long its messages last (`None`: they stay).
    #[serde(default)]
    pub disappearing: Option<Disappearing>,
    /// How many older chat items this device forgot (it keeps only recent
    /// months).
    #[serde(default)]
    pub forgotten_messages: u32,
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
    /// `rally://invite/…`: what the QR code holds.
    pub link: String,
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
    /// Where the node is reachable through the server's relay.
    pub relayed: Vec<String>,
    /// Devices' addresses dialled because they were paired by QR code.
    pub paired: usize,
}

/// This device's pairing code: another device scans the QR code (or is given
/// the text) to sync with this one directly.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pairing {
    /// `rally://pair?a=…`
    pub text: String,
    pub qr_svg: String,
}

/// A server's rules (Markdown rendered to sanitised HTML) and how to reach
/// its admins.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerPolicy {
    /// The server's id (hex).
    pub server: String,
    pub rules_html: String,
    pub contact: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PairArgs {
    pub text: String,
}

/// Where the store's key is kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum KeyKeeping {
    /// Not encrypted.
    None,
    /// In the system's keystore, named.
    Keystore(String),
    /// Sealed by a passphrase (asked at each start).
    Passphrase,
    /// Beside the store, in its key file: this system has no keystore.
    File,
}

/// The app lock, as the lock screen and the settings show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockState {
    /// The store waits for its passphrase.
    pub locked: bool,
    pub keeping: KeyKeeping,
    /// Wrong passphrases in a row that wipe the device.
    pub wipe_after: Option<u32>,
    /// Wrong passphrases since the last right one.
    pub failed: u32,
    /// A duress passphrase is set.
    pub duress: bool,
    /// Seconds in the background after which the app locks itself.
    pub lock_after_hidden: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnlockArgs {
    pub passphrase: String,
}

/// A change to the app lock.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum LockChange {
    /// Seal the key by `passphrase`; wipe after `wipe_after` wrong ones in a
    /// row; wipe at once on `duress`.
    Set {
        passphrase: String,
        wipe_after: Option<u32>,
        duress: Option<String>,
        /// Lock after this many seconds in the background.
        lock_after_hidden: Option<u32>,
    },
    /// No passphrase: the key goes back to the system's keystore.
    Remove,
}

/// A wipe happens only when asked in so many words (as `rally wipe --yes`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct WipeArgs {
    pub yes: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ForegroundArgs {
    pub visible: bool,
}

/// A language the app speaks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Language {
    #[default]
    En,
    Fr,
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
    /// The member's whole persona id.
    pub member: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoleArgs {
    pub group: String,
    /// The member's whole persona id.
    pub member: String,
    pub role: Role,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkArgs {
    pub group: String,
    pub title: String,
    pub url: String,
}
