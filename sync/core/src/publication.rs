//! What a server publishes on the Fediverse, decided from the documents alone (never
//! stored separately), so the server that publishes and a device that names what
//! was published agree: a group is published when it is public; an event when it
//! is public and listed by a public group (an event naming a group that does not
//! list it is not the group's).

use crate::DocId;
use crate::model::{EventView, GroupView, GroupVisibility, Visibility};

/// Whether a group is a `Group` actor on the Fediverse.
pub fn group_is_published(group: &GroupView) -> bool {
    group.profile.visibility == GroupVisibility::Public
}

/// Whether an event is published, given its group's view (`None` when the event
/// names no group or the group is not here).
pub fn event_is_published(id: &DocId, event: &EventView, group: Option<&GroupView>) -> bool {
    event.details.visibility == Visibility::Public
        && event.group.is_some()
        && group.is_some_and(|g| group_is_published(g) && g.events.contains(id))
}

/// The host part of a URL (`https://host:port/path` → `host:port`).
pub fn url_host(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    rest.split('/').next().unwrap_or(rest)
}

/// A published group's Fediverse handle on the server at `server_url`
/// (`@climate_march_1a2b3c4d@host`).
pub fn group_handle(id: &DocId, group: &GroupView, server_url: &str) -> Option<String> {
    group_is_published(group).then(|| {
        format!(
            "@{}@{}",
            crate::model::fediverse_username(id, &group.profile.name),
            url_host(server_url)
        )
    })
}

/// A published event's ActivityPub id on the server at `server_url`.
pub fn event_url(server_url: &str, id: &DocId) -> String {
    format!(
        "{}/events/{}",
        server_url.trim_end_matches('/'),
        id.to_hex()
    )
}
