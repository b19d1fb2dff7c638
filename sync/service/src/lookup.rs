//! What people type, resolved the same way for every front end: documents by id
//! prefix, personas by name or id prefix among a document's people, comments and
//! invitations by id prefix.

use rally_core::{DocId, DocKind, PersonaId};

use crate::{Result, Service, ServiceError};

impl Service {
    /// A document of `kind` by its id or the start of it.
    pub fn resolve(&self, text: &str, kind: DocKind) -> Result<DocId> {
        Ok(self.store.resolve(text, Some(kind))?)
    }

    /// Any document by its id or the start of it.
    pub fn resolve_any(&self, text: &str) -> Result<DocId> {
        Ok(self.store.resolve(text, None)?)
    }

    /// A persona among `candidates` (id, name): a local persona's name, an exact
    /// name, the start of an id (4 hex digits at least), or a whole id.
    pub fn pick_persona(
        &self,
        text: &str,
        candidates: &[(PersonaId, String)],
    ) -> Result<PersonaId> {
        if let Ok(Some(local)) = self.store.persona(text) {
            return Ok(local.id());
        }
        let lower = text.to_ascii_lowercase();
        let by_id: Vec<_> = candidates
            .iter()
            .filter(|(id, _)| lower.len() >= 4 && id.to_hex().starts_with(&lower))
            .collect();
        let by_name: Vec<_> = candidates.iter().filter(|(_, name)| name == text).collect();
        match (by_id.as_slice(), by_name.as_slice()) {
            ([one], _) | ([], [one]) => Ok(one.0),
            ([], []) => text
                .parse::<PersonaId>()
                .map_err(|_| ServiceError::NoSuchPersona(text.to_owned())),
            _ => Err(ServiceError::AmbiguousPersona(text.to_owned())),
        }
    }

    /// A member of a group, as [`Service::pick_persona`] finds one.
    pub fn member_of(&self, group: DocId, text: &str) -> Result<PersonaId> {
        let g = self.store.load(group)?.group()?;
        let candidates: Vec<_> = g
            .members
            .values()
            .map(|m| (m.persona, m.name.clone()))
            .collect();
        self.pick_persona(text, &candidates)
    }

    /// A participant of an event, as [`Service::pick_persona`] finds one.
    pub fn participant_of(&self, event: DocId, text: &str) -> Result<PersonaId> {
        let e = self.store.load(event)?.event()?;
        let candidates: Vec<_> = e
            .participants
            .values()
            .map(|p| (p.persona, p.name.clone()))
            .collect();
        self.pick_persona(text, &candidates)
    }

    /// A comment of an event by the start of its id.
    pub fn comment_id(&self, event: DocId, prefix: &str) -> Result<String> {
        let e = self.store.load(event)?.event()?;
        let prefix = prefix.to_ascii_lowercase();
        let found: Vec<_> = e
            .comments
            .iter()
            .filter(|c| c.id.starts_with(&prefix))
            .collect();
        match found.as_slice() {
            [one] => Ok(one.id.clone()),
            [] => Err(ServiceError::NoSuchComment(prefix)),
            _ => Err(ServiceError::AmbiguousComment(prefix)),
        }
    }

    /// An invitation of a group by the start of its id.
    pub fn invitation_id(&self, group: DocId, prefix: &str) -> Result<String> {
        let g = self.store.load(group)?.group()?;
        let lower = prefix.to_ascii_lowercase();
        let found: Vec<_> = g
            .invites
            .iter()
            .filter(|i| i.id.starts_with(&lower))
            .collect();
        match found.as_slice() {
            [one] => Ok(one.id.clone()),
            _ => Err(ServiceError::NoSuchInvitation(prefix.to_owned())),
        }
    }
}
