//! A group's chat: messages sealed for its members (end to end encrypted by the
//! store's group log), edited and deleted by their authors.

use rally_core::DocKind;
use rally_store::ChatMessage;

use crate::{Result, Service};

impl Service {
    /// Sends a message; `reply_to` is the start of another message's id. Returns
    /// the new message's id.
    pub fn send_message(
        &mut self,
        group: &str,
        text: &str,
        reply_to: Option<&str>,
    ) -> Result<String> {
        self.act_on(group, DocKind::Group, |s, me, group, now| {
            Ok(s.store.send_message(me, group, text, reply_to, now)?)
        })
    }

    /// A group's messages, oldest first; a banned persona's are not shown
    /// (see [`rally_core::moderation`]), nor those that expired since the
    /// store last swept (see [`Service::sweep_expired`]).
    pub fn messages(&self, group: &str) -> Result<Vec<ChatMessage>> {
        let group = self.resolve(group, DocKind::Group)?;
        let banned = self.banned_in(Some(group));
        let now = self.now().as_millisecond();
        let mut all = self.store.messages(group)?;
        all.retain(|m| !banned.contains(&m.author) && m.expires.is_none_or(|e| e > now));
        Ok(all)
    }

    /// Drops the disappearing messages that expired by this service's clock
    /// (the store also does when it opens and while it syncs).
    pub fn sweep_expired(&mut self) -> Result<rally_store::Swept> {
        let now = self.now();
        Ok(self.store.sweep_expired(now)?)
    }

    /// Replaces the text of one of the acting persona's messages; returns its id.
    pub fn edit_message(&mut self, group: &str, message: &str, text: &str) -> Result<String> {
        self.act_on(group, DocKind::Group, |s, me, group, now| {
            Ok(s.store.edit_message(me, group, message, text, now)?)
        })
    }

    /// Deletes one of the acting persona's messages for everyone; returns its id.
    pub fn delete_message(&mut self, group: &str, message: &str) -> Result<String> {
        self.act_on(group, DocKind::Group, |s, me, group, now| {
            Ok(s.store.delete_message(me, group, message, now)?)
        })
    }
}
