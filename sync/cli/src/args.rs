//! The command line, as clap reads it. Command and flag names are a contract for
//! scripts: add, do not rename.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "rally",
    version,
    about = "Rally: events and groups that work offline and sync peer to peer."
)]
pub struct Cli {
    /// Data directory (default: the XDG data directory, e.g. ~/.local/share/rally).
    #[arg(long, global = true, env = "RALLY_DATA", value_name = "DIR")]
    pub data: Option<PathBuf>,
    /// Machine-readable output (JSON on stdout).
    #[arg(long, global = true)]
    pub json: bool,
    /// The persona to act as (default: the one used last).
    #[arg(long = "as", global = true, value_name = "NAME")]
    pub as_persona: Option<String>,
    /// Read the store's passphrase from the first line of standard input
    /// (else `RALLY_PASSPHRASE`). A new store is sealed by it; for `store
    /// encrypt`, it is the new passphrase (the current one, if any, from
    /// `RALLY_PASSPHRASE`).
    #[arg(long, global = true)]
    pub passphrase_stdin: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
#[allow(clippy::large_enum_variant)] // parsed once per process
pub enum Command {
    /// Personas: separate identities that nothing links together.
    #[command(subcommand)]
    Persona(PersonaCmd),
    /// Groups: members, roles, invitations, links.
    #[command(subcommand)]
    Group(GroupCmd),
    /// Events: create, edit, list, join, comment.
    #[command(subcommand)]
    Event(EventCmd),
    /// A group's chat, end-to-end encrypted: only its members can read it.
    #[command(subcommand)]
    Message(MessageCmd),
    /// Move documents between devices as a file.
    #[command(subcommand)]
    Bundle(BundleCmd),
    /// Maintenance of the local store.
    #[command(subcommand)]
    Store(StoreCmd),
    /// Sync with peers over the network (the local network by mDNS, or given addresses).
    Sync(SyncArgs),
    /// Pictures' bytes, by their SHA-256 (as `event show` prints them).
    #[command(subcommand)]
    Blob(BlobCmd),
    /// Find places: address search and reverse search through your server's
    /// geocoder (the provider sees the server, not you).
    #[command(subcommand)]
    Place(PlaceCmd),
    /// Maps kept for offline use.
    #[command(subcommand)]
    Map(MapCmd),
    /// Public events on this device you have no part in yet: above all those your
    /// server offers (its upcoming public events), kept here for offline use.
    Discover(DiscoverArgs),
    /// Your private calendar feed: the events you joined or follow, at a secret
    /// address on your server that a calendar app subscribes to.
    Feed(FeedArgs),
    /// Reminders before the events (and dates of a series) you go to, on this
    /// device only.
    #[command(subcommand)]
    Reminders(RemindersCmd),
    /// Report an event, a comment, a group or a persona that breaks the rules.
    Report(ReportArgs),
    /// Panic wipe: destroy every key on this device first, then every file
    /// (personas, groups, events, messages). There is no undo.
    Wipe(WipeArgs),
}

#[derive(Debug, clap::Args)]
pub struct WipeArgs {
    /// Yes, wipe this device now.
    #[arg(long)]
    pub yes: bool,
}

/// What a report is about.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ReportKind {
    Event,
    /// `EVENT/COMMENT` (ids, or their starts).
    Comment,
    Group,
    /// A member of the group given with --group.
    Persona,
}

/// Who receives a report.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ReportTo {
    /// The group's admins and moderators, end to end encrypted to each.
    Moderators,
    /// Your server's admins (who see who reported), as you next sync with it.
    Admins,
    Both,
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    pub kind: ReportKind,
    pub id: String,
    /// spam, harassment, illegal or other.
    #[arg(long)]
    pub reason: String,
    /// What the moderators should know.
    #[arg(long, default_value = "")]
    pub text: String,
    #[arg(long, value_enum, default_value = "moderators")]
    pub to: ReportTo,
    /// The group whose moderators receive it (for a persona, or an event of no
    /// group).
    #[arg(long)]
    pub group: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum RemindersCmd {
    /// The reminders to come, soonest first.
    List {
        /// This many days ahead.
        #[arg(long, default_value_t = 7)]
        days: u32,
    },
    /// When this device reminds you: --before 1h,1d (minutes, h, d or w), --off, --on.
    Set {
        #[arg(long, value_name = "LIST")]
        before: Option<String>,
        #[arg(long, conflicts_with = "on")]
        off: bool,
        #[arg(long)]
        on: bool,
    },
    /// One event's own reminders: --before 30m,1d, or "off" (never), or
    /// "default" (as the device does).
    Event {
        id: String,
        #[arg(long, value_name = "LIST|off|default")]
        before: String,
    },
}

#[derive(Debug, Args)]
pub struct FeedArgs {
    /// A new address: the old one stops working (if it was shared by mistake).
    #[arg(long)]
    pub reset: bool,
    /// Your server's web address; by default the one this device syncs with.
    #[arg(long, value_name = "URL")]
    pub via: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum PlaceCmd {
    /// Places matching an address or a name.
    Search {
        text: String,
        #[command(flatten)]
        geocoder: GeocoderChoice,
        #[arg(long, default_value_t = 5)]
        limit: usize,
    },
    /// The place at a point.
    Reverse {
        #[arg(allow_negative_numbers = true)]
        lat: f64,
        #[arg(allow_negative_numbers = true)]
        lon: f64,
        #[command(flatten)]
        geocoder: GeocoderChoice,
    },
}

#[derive(Debug, Subcommand)]
pub enum MapCmd {
    /// Keep an event's map offline: the tiles around its place, route and
    /// points, from your server's tile server (if its terms allow keeping).
    Keep {
        id: String,
        /// Your server's web address; by default the one this device syncs with.
        #[arg(long, value_name = "URL")]
        via: Option<String>,
        /// The zoom levels to keep (deeper ones are left out if the area would
        /// need too many tiles).
        #[arg(long, value_name = "MIN-MAX", default_value = "12-17")]
        zoom: String,
    },
    /// What is kept offline for an event's map.
    Show { id: String },
}

/// Which geocoder answers: through your server (the provider sees the server,
/// not you; the default once this device has synced with one), a provider
/// asked directly, or the bundled gazetteer of towns (`--offline`, and the
/// fallback whenever the others fail).
#[derive(Debug, Args)]
pub struct GeocoderChoice {
    /// Your server's web address (e.g. https://rally.example.org); by default
    /// the server this device last synced with.
    #[arg(long, value_name = "URL", conflicts_with = "provider")]
    pub via: Option<String>,
    /// Ask no one: only the bundled gazetteer of towns and cities (approximate).
    #[arg(long, conflicts_with_all = ["via", "provider"])]
    pub offline: bool,
    /// Ask a provider directly (it sees you): nominatim, photon, addok or pelias.
    #[arg(long, value_name = "PROVIDER", requires = "url")]
    pub provider: Option<rally_geocode::Provider>,
    /// The provider's address, with --provider.
    #[arg(long, value_name = "URL", requires = "provider")]
    pub url: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum BlobCmd {
    /// Write a picture to a file (fails while it has not arrived).
    Export {
        hash: String,
        #[arg(long, value_name = "FILE")]
        out: std::path::PathBuf,
    },
}

#[derive(Debug, Args)]
pub struct DiscoverArgs {
    /// Words to look for in titles, descriptions, places and tags.
    #[arg(long)]
    pub search: Option<String>,
    /// Only events within KM of a point: LAT,LON,KM.
    #[arg(long, value_name = "LAT,LON,KM")]
    pub near: Option<String>,
    /// Only events that have not ended by this date (YYYY-MM-DD, local time).
    #[arg(long, value_name = "DATE")]
    pub from: Option<String>,
    #[arg(long, default_value_t = 100)]
    pub limit: usize,
}

#[derive(Debug, Args)]
pub struct SyncArgs {
    /// Listen on this address (e.g. /ip4/0.0.0.0/udp/0/quic-v1); the first line printed is the address.
    #[arg(long, value_name = "MULTIADDR")]
    pub listen: Vec<String>,
    /// Dial this peer (repeat for several).
    #[arg(long, value_name = "MULTIADDR")]
    pub peer: Vec<String>,
    /// Sync through this server (its `p2p` address, ending in /p2p/…); the persona
    /// registers with it on first contact, and is reachable through its relay.
    #[arg(long, value_name = "MULTIADDR")]
    pub server: Vec<String>,
    /// The invitation code a server's admin gave (servers that register by invitation).
    #[arg(long, value_name = "CODE")]
    pub invite: Option<String>,
    /// Sync until nothing differs with the connected peers, then exit.
    #[arg(long)]
    pub once: bool,
    /// Do not look for peers on the local network.
    #[arg(long)]
    pub no_mdns: bool,
    /// With --once: give up after this many seconds.
    #[arg(long, default_value_t = 120)]
    pub timeout: u64,
    /// The largest sync frame, in bytes, to send or accept (default and most
    /// 4194304); peers use the same.
    #[arg(long, value_name = "BYTES", default_value_t = rally_core::protocol::FrameLimit::default())]
    pub max_frame: rally_core::protocol::FrameLimit,
}

#[derive(Debug, Subcommand)]
pub enum MessageCmd {
    /// Send a message to a group's members.
    Send {
        group: String,
        text: String,
        /// The id (or its start) of the message this answers.
        #[arg(long, value_name = "ID")]
        reply_to: Option<String>,
    },
    /// A group's messages, oldest first.
    List { group: String },
    /// Replace the text of one of your messages.
    Edit {
        group: String,
        id: String,
        text: String,
    },
    /// Delete one of your messages (for every member).
    Delete { group: String, id: String },
    /// Ask peers for a group's older messages, which this device forgot
    /// (`store keep`): they come back with the next sync, and stay.
    Older { group: String },
}

#[derive(Debug, Subcommand)]
pub enum PersonaCmd {
    /// Create a persona (and make it the current one).
    New { name: String },
    /// List the personas on this device.
    List,
    /// Make a persona the current one.
    Use { name: String },
    /// Change a persona's picture: shown beside its name in the groups it is a
    /// member of and the events it answered (now and later).
    Edit {
        name: String,
        /// The picture (cleaned of its metadata, resized).
        #[arg(long, value_name = "FILE", requires = "avatar_alt")]
        avatar: Option<std::path::PathBuf>,
        /// What the picture shows (required with --avatar).
        #[arg(long, value_name = "TEXT")]
        avatar_alt: Option<String>,
        /// Remove the persona's picture.
        #[arg(long, conflicts_with_all = ["avatar", "avatar_alt"])]
        no_avatar: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum GroupCmd {
    /// Create a group; you become its admin.
    Create {
        name: String,
        /// Only members can see the group and its events.
        #[arg(long)]
        members_only: bool,
        #[arg(long, default_value = "")]
        summary: String,
    },
    /// List the groups on this device.
    List,
    /// Show a group: profile, members, links, events.
    Show { id: String },
    /// Create an invitation and print its token.
    Invite {
        id: String,
        /// The token lets one person in, then stops working.
        #[arg(long)]
        single_use: bool,
        /// The token stops working after this many days.
        #[arg(long, value_name = "DAYS")]
        expires_in: Option<u32>,
    },
    /// Revoke an invitation.
    Revoke { id: String, invite: String },
    /// Join a group with an invitation token.
    Join { token: String },
    /// Leave a group.
    Leave { id: String },
    /// Follow a group: its events show in `event list --followed` (kept on this device).
    Follow { id: String },
    /// Stop following a group.
    Unfollow { id: String },
    /// Add a persona to a group by its id (admins; moderators add members).
    Add {
        id: String,
        persona: String,
        #[arg(long, default_value = "member")]
        role: String,
        /// The name to show until the member sets their own.
        #[arg(long, default_value = "member")]
        name: String,
    },
    /// Change a member's role (admin, moderator, member).
    Role {
        id: String,
        member: String,
        role: String,
    },
    /// Remove a member from a group.
    Remove { id: String, member: String },
    /// Give a member the chat's history from before they joined (admins; members
    /// read the chat from when they joined otherwise).
    ShareHistory { id: String, member: String },
    /// Add or update a link to one of the group's tools.
    Link {
        id: String,
        #[arg(long)]
        title: String,
        #[arg(long)]
        url: String,
    },
    /// Remove a link.
    Unlink { id: String, link: String },
    /// Ban a persona (admins; moderators ban members): no longer a member, never
    /// again until the ban is lifted, and what they wrote in the group is hidden.
    Ban {
        id: String,
        /// A member's name, or the start of any persona's id.
        persona: String,
        /// spam, harassment, illegal or other.
        #[arg(long)]
        reason: Option<String>,
        /// Said in the moderation log, which members read.
        #[arg(long)]
        note: Option<String>,
    },
    /// Lift a ban.
    Unban {
        id: String,
        persona: String,
        #[arg(long)]
        note: Option<String>,
    },
    /// Take an event off the group's page (admins and moderators).
    Unlist {
        id: String,
        event: String,
        #[arg(long)]
        reason: Option<String>,
        #[arg(long)]
        note: Option<String>,
    },
    /// Put an event back on the group's page.
    Relist {
        id: String,
        event: String,
        #[arg(long)]
        note: Option<String>,
    },
    /// The group's bans and moderation log.
    Moderation { id: String },
    /// The reports to the group's moderators that reached this device.
    Reports { id: String },
    /// Ask to join a public group (its moderators answer).
    Request {
        id: String,
        /// A word for the moderators.
        #[arg(long)]
        note: Option<String>,
    },
    /// Approve someone's request to join (moderators).
    Approve { id: String, persona: String },
    /// Decline someone's request to join (moderators).
    Decline { id: String, persona: String },
    /// Edit the group's profile.
    Edit {
        id: String,
        #[arg(long)]
        name: Option<String>,
        #[arg(long)]
        summary: Option<String>,
        /// A picture for the group (cleaned of its metadata, resized).
        #[arg(long, value_name = "FILE", requires = "avatar_alt")]
        avatar: Option<std::path::PathBuf>,
        /// What the picture shows (required with --avatar).
        #[arg(long, value_name = "TEXT")]
        avatar_alt: Option<String>,
        /// Remove the group's picture.
        #[arg(long, conflicts_with_all = ["avatar", "avatar_alt"])]
        no_avatar: bool,
        /// Messages sent from now on disappear after this long, on every
        /// member's device and relay (admins): 1h, 1d, 1w, or off.
        #[arg(long, value_name = "1h|1d|1w|off", value_parser = parse_disappearing)]
        disappearing: Option<Timer>,
    },
}

/// A disappearing-messages timer as given: `None` for `off`.
#[derive(Debug, Clone, Copy)]
pub struct Timer(pub Option<rally_core::disappearing::Disappearing>);

fn parse_disappearing(s: &str) -> Result<Timer, String> {
    rally_core::disappearing::Disappearing::parse(s)
        .map(Timer)
        .map_err(|e| e.to_string())
}

#[derive(Debug, Args, Default)]
pub struct EventFields {
    #[arg(long)]
    pub title: Option<String>,
    /// Markdown.
    #[arg(long)]
    pub description: Option<String>,
    /// Local date and time, e.g. 2026-12-05T14:00.
    #[arg(long)]
    pub starts: Option<String>,
    /// Local date and time; an empty value removes it.
    #[arg(long)]
    pub ends: Option<String>,
    /// IANA time zone, e.g. Europe/Paris (default: this system's).
    #[arg(long)]
    pub tz: Option<String>,
    /// Name of the place; an empty value removes it.
    #[arg(long)]
    pub place: Option<String>,
    /// Postal address; an empty value removes it.
    #[arg(long)]
    pub address: Option<String>,
    #[arg(long, allow_hyphen_values = true, requires = "lon")]
    pub lat: Option<f64>,
    #[arg(long, allow_hyphen_values = true, requires = "lat")]
    pub lon: Option<f64>,
    /// Remove the coordinates.
    #[arg(long, conflicts_with_all = ["lat", "lon"])]
    pub no_coordinates: bool,
    /// Online link (http or https); an empty value removes it.
    #[arg(long)]
    pub online: Option<String>,
    /// Maximum number of participants; 0 removes the limit when editing.
    #[arg(long)]
    pub capacity: Option<u32>,
    /// free, approval or invite.
    #[arg(long)]
    pub join_mode: Option<String>,
    /// public, unlisted or members-only.
    #[arg(long)]
    pub visibility: Option<String>,
    /// confirmed, tentative or cancelled.
    #[arg(long)]
    pub status: Option<String>,
    /// A tag (repeat for several); replaces the tags when editing.
    #[arg(long = "tag")]
    pub tags: Vec<String>,
    /// Remove all tags.
    #[arg(long, conflicts_with = "tags")]
    pub no_tags: bool,
    /// Repeat the event by an RFC 5545 rule, e.g. FREQ=WEEKLY;BYDAY=TU or
    /// FREQ=MONTHLY;BYDAY=2TU (every second Tuesday); an empty value makes it a
    /// single event again.
    #[arg(long, value_name = "RRULE")]
    pub repeat: Option<String>,
    /// The series ends with the occurrence on this day (e.g. 2027-06-30).
    #[arg(long, value_name = "DATE")]
    pub until: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum EventCmd {
    /// Create an event; you become its organiser.
    Create {
        #[command(flatten)]
        fields: EventFields,
        /// The group that organises it (you must be one of its admins or moderators).
        #[arg(long)]
        group: Option<String>,
    },
    /// Edit an event you organise.
    Edit {
        id: String,
        #[command(flatten)]
        fields: EventFields,
        /// A picture for the event (JPEG, PNG, WebP or GIF, up to 10 MB): cleaned
        /// of its metadata (place, camera, time), turned upright and resized.
        #[arg(long, value_name = "FILE", requires = "banner_alt")]
        banner: Option<std::path::PathBuf>,
        /// What the picture shows, for those who cannot see it (required with
        /// --banner; alone, it changes the banner's description).
        #[arg(long, value_name = "TEXT")]
        banner_alt: Option<String>,
        /// Remove the event's picture.
        #[arg(long, conflicts_with_all = ["banner", "banner_alt"])]
        no_banner: bool,
        /// The march's route: a GeoJSON file holding a LineString.
        #[arg(long, value_name = "FILE.geojson")]
        route: Option<std::path::PathBuf>,
        /// Remove the route.
        #[arg(long, conflicts_with = "route")]
        no_route: bool,
        /// A point of the march map (meeting point, first aid, legal support…);
        /// repeat for several.
        #[arg(long, num_args = 3, value_names = ["LABEL", "LAT", "LON"], allow_negative_numbers = true)]
        point: Vec<String>,
        /// Remove every point first.
        #[arg(long)]
        clear_points: bool,
        /// Change only this occurrence of a series (its date, e.g. 2027-05-14,
        /// or date and time): title, description, times, place, online link, status.
        #[arg(long, value_name = "DATE")]
        occurrence: Option<String>,
        /// With --occurrence: change it and every later occurrence.
        #[arg(long, requires = "occurrence")]
        following: bool,
    },
    /// List the occurrences of an event (a series' dates, exceptions applied).
    Occurrences {
        id: String,
        /// From this day (in the event's time zone; default: now).
        #[arg(long, value_name = "DATE")]
        from: Option<String>,
        /// Up to and including this day (default: a year after --from).
        #[arg(long, value_name = "DATE")]
        to: Option<String>,
        #[arg(long, default_value_t = 100)]
        limit: usize,
    },
    /// Write the march map (route and points) for other tools.
    Export {
        id: String,
        /// As GPX 1.1 (a track and waypoints).
        #[arg(long, conflicts_with = "geojson", required_unless_present = "geojson")]
        gpx: bool,
        /// As GeoJSON (a FeatureCollection).
        #[arg(long)]
        geojson: bool,
        /// Write to this file (default: print it).
        #[arg(long, value_name = "FILE")]
        out: Option<std::path::PathBuf>,
    },
    /// Mark an event cancelled (or one occurrence of a series).
    Cancel {
        id: String,
        /// Cancel only this occurrence (its date, e.g. 2027-05-14).
        #[arg(long, value_name = "DATE")]
        occurrence: Option<String>,
        /// With --occurrence: cancel it and every later occurrence.
        #[arg(long, requires = "occurrence")]
        following: bool,
    },
    /// List events, soonest first.
    List {
        /// Only events that have not ended.
        #[arg(long)]
        upcoming: bool,
        /// Only the events a group lists.
        #[arg(long)]
        group: Option<String>,
        /// Full-text search.
        #[arg(long)]
        search: Option<String>,
        /// Only events the acting persona organises, answered, comments on or is
        /// invited to.
        #[arg(long)]
        mine: bool,
        /// Only events of the groups the current persona follows.
        #[arg(long, conflicts_with = "group")]
        followed: bool,
        /// Only events in MIN_LAT,MIN_LON,MAX_LAT,MAX_LON.
        #[arg(
            long,
            value_name = "MIN_LAT,MIN_LON,MAX_LAT,MAX_LON",
            allow_hyphen_values = true
        )]
        bbox: Option<String>,
        #[arg(long, default_value_t = 50)]
        limit: usize,
    },
    /// Show an event: details, participants, comments.
    Show { id: String },
    /// Join an event (pending when it needs approval).
    Join {
        id: String,
        /// Only this occurrence of a series (its date, e.g. 2027-05-14).
        #[arg(long, value_name = "DATE")]
        occurrence: Option<String>,
    },
    /// Say you are interested in an event.
    Interested {
        id: String,
        /// Only this occurrence of a series.
        #[arg(long, value_name = "DATE")]
        occurrence: Option<String>,
    },
    /// Leave an event.
    Leave {
        id: String,
        /// Only this occurrence of a series.
        #[arg(long, value_name = "DATE")]
        occurrence: Option<String>,
    },
    /// Approve a pending participant (organisers).
    Approve { id: String, participant: String },
    /// Reject a participant (organisers).
    Reject { id: String, participant: String },
    /// Add an organiser (organisers).
    AddOrganiser {
        id: String,
        persona: String,
        #[arg(long, default_value = "")]
        name: String,
    },
    /// Invite a persona to an invite-only event (organisers).
    Invite { id: String, persona: String },
    /// Comment on an event, or reply to a comment.
    Comment {
        id: String,
        text: String,
        #[arg(long, value_name = "COMMENT")]
        reply_to: Option<String>,
    },
    /// Edit one of your comments.
    CommentEdit {
        id: String,
        comment: String,
        text: String,
    },
    /// Delete one of your comments.
    CommentDelete { id: String, comment: String },
    /// Hide or show a comment (organisers).
    CommentHide {
        id: String,
        comment: String,
        #[arg(long)]
        show: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum BundleCmd {
    /// Write documents (all when none is named) to a file.
    Export {
        ids: Vec<String>,
        #[arg(long, short)]
        out: PathBuf,
    },
    /// Read a bundle: every change is verified and judged before it is stored.
    Import { file: PathBuf },
}

#[derive(Debug, Subcommand)]
pub enum StoreCmd {
    /// Rebuild every index from the documents.
    Reindex,
    /// Where the data lives, what it holds, and how it is protected.
    Info,
    /// Encrypt the store (new stores already are) and keep its key sealed by a
    /// passphrase (`--passphrase-stdin`), or else in the system's keystore
    /// (or, with none, in `store.key` beside the store).
    Encrypt,
    /// Keep only the events of the last N months on this device (older ones
    /// are forgotten, not deleted for others: `store fetch` brings one back).
    Keep {
        #[arg(
            long,
            value_name = "N",
            conflicts_with = "all",
            required_unless_present = "all"
        )]
        months: Option<u32>,
        /// Keep every event again.
        #[arg(long)]
        all: bool,
    },
    /// The events this device forgot (see `store keep`).
    Forgotten,
    /// Ask for a forgotten event again: the next sync with a peer that keeps
    /// it brings it back.
    Fetch { id: String },
}
