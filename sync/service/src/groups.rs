//! Groups: create, list, show, edit the profile, members and roles, invitations
//! (make, revoke, join with a token), links to the group's tools, following, the
//! chat's history for a member.

use rally_core::model::GroupView;
use rally_core::{
    DocId, DocKind, Document, EventView, GroupLink, GroupProfile, GroupVisibility, InviteLimits,
    InviteToken, PersonaId, Role, publication,
};
use rally_store::GroupSummary;

use crate::events::optional_text;
use crate::{Result, Service};

/// A group as its page shows it.
#[derive(Debug, Clone)]
pub struct GroupPage {
    pub id: DocId,
    pub view: GroupView,
    /// The events it lists that name it, as they are here.
    pub events: Vec<(DocId, EventView)>,
    /// Its Fediverse handle, when the device's server publishes it.
    pub handle: Option<String>,
    /// The acting persona's role.
    pub my_role: Option<Role>,
    /// Whether the acting persona follows it.
    pub followed: bool,
}

/// A new invitation.
#[derive(Debug, Clone)]
pub struct Invitation {
    pub group: DocId,
    pub token: InviteToken,
}

/// What joining with a token did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Joined {
    /// The acting persona is a member now.
    Now,
    /// The group is not here yet; the join is made when it arrives.
    WhenItArrives,
}

impl Service {
    /// Creates a group; the acting persona is its admin.
    pub fn create_group(
        &mut self,
        name: &str,
        summary: &str,
        visibility: GroupVisibility,
    ) -> Result<(DocId, GroupProfile)> {
        let now = self.now();
        let profile = GroupProfile {
            name: name.trim().to_owned(),
            summary: summary.trim().to_owned(),
            visibility,
            avatar: None,
        };
        self.transaction(|s| {
            let me = s.me()?;
            let (doc, _) = Document::create_group(&me.persona, &me.name, &profile, now)?;
            s.store.insert_new(&doc)?;
            Ok((doc.id(), profile))
        })
    }

    pub fn groups(&self) -> Result<Vec<GroupSummary>> {
        Ok(self.store.groups()?)
    }

    /// One group, with its events and what the acting persona is to it.
    pub fn group(&self, id: &str) -> Result<GroupPage> {
        let id = self.resolve(id, DocKind::Group)?;
        let view = self.store.load(id)?.group()?;
        let mut events = Vec::new();
        for e in &view.events {
            if let Ok(doc) = self.store.load(*e)
                && let Ok(ev) = doc.event()
                && ev.group == Some(id)
            {
                let mut ev = ev;
                let banned = view.bans.keys().copied().collect();
                rally_core::moderation::hide_banned(&mut ev, &banned);
                events.push((*e, ev));
            }
        }
        let handle = match self.store.server_url()? {
            Some(url) => publication::group_handle(&id, &view, &url),
            None => None,
        };
        let me = self.acting()?;
        let followed = match &me {
            Some(m) => self.store.followed_groups(m)?.contains(&id),
            None => false,
        };
        Ok(GroupPage {
            id,
            my_role: me.as_ref().and_then(|m| view.role_of(&m.id())),
            followed,
            handle,
            events,
            view,
        })
    }

    /// Edits the group's profile (admins); `None` leaves a field as it is.
    pub fn edit_group(
        &mut self,
        id: &str,
        name: Option<&str>,
        summary: Option<&str>,
    ) -> Result<DocId> {
        self.act_on(id, DocKind::Group, |s, me, id, now| {
            let mut profile = s.store.load(id)?.group()?.profile;
            if let Some(n) = name {
                profile.name = n.trim().to_owned();
            }
            if let Some(v) = summary {
                profile.summary = v.trim().to_owned();
            }
            s.store
                .update(id, |g| g.update_group_profile(&me.persona, &profile, now))?;
            Ok(id)
        })
    }

    /// Sets (admins) or turns off the group's disappearing-messages timer:
    /// messages sent from now on expire after it on every device.
    pub fn set_disappearing(
        &mut self,
        id: &str,
        timer: Option<rally_core::disappearing::Disappearing>,
    ) -> Result<DocId> {
        self.act_on(id, DocKind::Group, |s, me, id, now| {
            s.store
                .update(id, |g| g.set_disappearing(&me.persona, timer, now))?;
            Ok(id)
        })
    }

    /// Makes an invitation (admins and moderators). For a members-only group, the
    /// invitation is granted the group's document keys in the same transaction.
    pub fn invite(&mut self, id: &str, limits: InviteLimits) -> Result<Invitation> {
        self.act_on(id, DocKind::Group, |s, me, id, now| {
            let (_, token) = s
                .store
                .update(id, |g| g.create_invite_with(&me.persona, now, limits))?;
            Ok(Invitation { group: id, token })
        })
    }

    /// Revokes an invitation by the start of its id; returns its whole id.
    pub fn revoke_invitation(&mut self, id: &str, invitation: &str) -> Result<String> {
        self.act_on(id, DocKind::Group, |s, me, id, now| {
            let inv = s.invitation_id(id, invitation)?;
            s.store
                .update(id, |g| g.revoke_invite(&me.persona, &inv, now))?;
            Ok(inv)
        })
    }

    /// Joins a group with an invitation token (`rally-invite:…`).
    pub fn join_group(&mut self, token: &str) -> Result<(InviteToken, Joined)> {
        let token = InviteToken::decode(token.trim())?;
        let now = self.now();
        self.transaction(|s| {
            let me = s.me()?;
            let now_member = s.store.join_group(&me, &token, now)?;
            if now_member {
                s.carry_own_avatar(&me, token.group, now)?;
            }
            Ok((
                token,
                if now_member {
                    Joined::Now
                } else {
                    Joined::WhenItArrives
                },
            ))
        })
    }

    /// Follows (or stops following) a group: its events show under "followed".
    pub fn follow_group(&mut self, id: &str, follow: bool) -> Result<DocId> {
        self.act_on(id, DocKind::Group, |s, me, id, _| {
            s.store.follow_group(me, id, follow)?;
            Ok(id)
        })
    }

    /// The acting persona leaves a group.
    pub fn leave_group(&mut self, id: &str) -> Result<DocId> {
        self.act_on(id, DocKind::Group, |s, me, id, now| {
            s.store
                .update(id, |g| g.remove_member(&me.persona, me.id(), now))?;
            Ok(id)
        })
    }

    /// Adds a persona (by whole id) to a group with a role.
    pub fn add_member(
        &mut self,
        id: &str,
        persona: PersonaId,
        name: &str,
        role: Role,
    ) -> Result<DocId> {
        self.act_on(id, DocKind::Group, |s, me, id, now| {
            s.store
                .update(id, |g| g.add_member(&me.persona, persona, name, role, now))?;
            Ok(id)
        })
    }

    /// Changes a member's role (admins); the member by name or id prefix.
    pub fn set_role(&mut self, id: &str, member: &str, role: Role) -> Result<PersonaId> {
        self.act_on(id, DocKind::Group, |s, me, id, now| {
            let who = s.member_of(id, member)?;
            s.store
                .update(id, |g| g.set_role(&me.persona, who, role, now))?;
            Ok(who)
        })
    }

    /// Removes a member (admins; moderators remove members).
    pub fn remove_member(&mut self, id: &str, member: &str) -> Result<PersonaId> {
        self.act_on(id, DocKind::Group, |s, me, id, now| {
            let who = s.member_of(id, member)?;
            s.store
                .update(id, |g| g.remove_member(&me.persona, who, now))?;
            Ok(who)
        })
    }

    /// Gives a member every chat epoch this device holds (admins); returns how many.
    pub fn share_history(&mut self, id: &str, member: &str) -> Result<(PersonaId, usize)> {
        self.act_on(id, DocKind::Group, |s, me, id, _| {
            let who = s.member_of(id, member)?;
            let n = s.store.share_history(me, id, who)?;
            Ok((who, n))
        })
    }

    /// Adds (or, with the same title, replaces) a link to one of the group's tools;
    /// returns the link's id.
    pub fn put_link(&mut self, id: &str, title: &str, url: &str) -> Result<String> {
        self.act_on(id, DocKind::Group, |s, me, id, now| {
            let g = s.store.load(id)?.group()?;
            let title = title.trim().to_owned();
            let link = GroupLink {
                id: g.link_id_for(&title),
                title,
                url: url.trim().to_owned(),
            };
            s.store
                .update(id, |d| d.put_link(&me.persona, &link, now))?;
            Ok(link.id)
        })
    }

    pub fn remove_link(&mut self, id: &str, link: &str) -> Result<DocId> {
        let now = self.now();
        let link = optional_text(link).unwrap_or_default();
        self.act_on(id, DocKind::Group, |s, me, id, _| {
            s.store
                .update(id, |d| d.remove_link(&me.persona, &link, now))?;
            Ok(id)
        })
    }
}
