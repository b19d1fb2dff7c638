//! Who may read a document: the rule every sync peer applies before it announces
//! or sends a document to an authenticated peer.
//!
//! - A public group, and a public or unlisted event: anyone.
//! - A members-only group: its members.
//! - A members-only event: the members of its group, and its organisers,
//!   participants and invited personas.

use crate::ids::PersonaId;
use crate::model::{DocView, EventView, GroupView, GroupVisibility, Visibility};

pub fn group_readable(group: &GroupView, peer: &PersonaId) -> bool {
    group.profile.visibility == GroupVisibility::Public || group.members.contains_key(peer)
}

/// `group` is the event's group document, when it names one and it is known.
pub fn event_readable(event: &EventView, group: Option<&GroupView>, peer: &PersonaId) -> bool {
    match event.details.visibility {
        Visibility::Public | Visibility::Unlisted => true,
        Visibility::MembersOnly => {
            event.organisers.contains_key(peer)
                || event.participants.contains_key(peer)
                || event.invited.contains(peer)
                || group.is_some_and(|g| g.members.contains_key(peer))
        }
    }
}

pub fn readable(view: &DocView, group: Option<&GroupView>, peer: &PersonaId) -> bool {
    match view {
        DocView::Group(g) => group_readable(g, peer),
        DocView::Event(e) => event_readable(e, group, peer),
    }
}
