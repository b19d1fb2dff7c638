//! The persona's private calendar feed, as the settings show it.

use serde::{Deserialize, Serialize};

/// Ask for the feed's address, or for a new one (the old one stops working).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeedArgs {
    pub reset: bool,
}

/// The feed's addresses on the persona's server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CalendarFeed {
    /// iCalendar, for calendar apps.
    pub ics: String,
    /// Atom, for news readers.
    pub atom: String,
}
