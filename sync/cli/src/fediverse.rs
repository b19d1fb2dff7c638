//! What a server publishes of this device's documents, named the way the server
//! names them: a public group's handle (`@name_1a2b3c4d@host`) and a public
//! event's URL. The server's public URL is what it said when the device last
//! synced with it.

use rally_core::DocId;
use rally_core::model::{EventView, GroupView, GroupVisibility, Visibility, fediverse_username};
use rally_store::{Store, StoreError};

fn host(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    rest.split('/').next().unwrap_or(rest)
}

pub fn group_handle(store: &Store, id: DocId, g: &GroupView) -> Result<Option<String>, StoreError> {
    if g.profile.visibility != GroupVisibility::Public {
        return Ok(None);
    }
    Ok(store.server_url()?.map(|url| {
        format!(
            "@{}@{}",
            fediverse_username(&id, &g.profile.name),
            host(&url)
        )
    }))
}

pub fn event_url(store: &Store, id: DocId, e: &EventView) -> Result<Option<String>, StoreError> {
    if e.details.visibility != Visibility::Public {
        return Ok(None);
    }
    let Some(group) = e.group else {
        return Ok(None);
    };
    let listed = store
        .load(group)
        .ok()
        .and_then(|d| d.group().ok())
        .is_some_and(|g| g.profile.visibility == GroupVisibility::Public && g.events.contains(&id));
    if !listed {
        return Ok(None);
    }
    Ok(store
        .server_url()?
        .map(|url| format!("{url}/events/{}", id.to_hex())))
}
