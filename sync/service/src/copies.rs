//! Read-only copies of events published elsewhere (on the Fediverse), kept by a
//! server for every device that syncs with it: the server's federation code is
//! the adapter, these are the use cases. A copy's only organiser is a persona the
//! server keeps for the remote organiser (a *proxy*), and its `origin` names the
//! remote object; one origin has one copy, however often (or concurrently) the
//! object arrives.

use rally_core::{DocId, Document, EventDetails, EventStatus};
use rally_store::LocalPersona;

use crate::{Result, Service};

/// What saving a copy did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CopySaved {
    pub event: DocId,
    /// The copy was made now.
    pub new: bool,
    /// Its document changed (made, or its details updated).
    pub changed: bool,
}

impl Service {
    /// The persona kept under `name` (made on first use), in one transaction.
    pub fn proxy_persona(&mut self, name: &str) -> Result<(LocalPersona, bool)> {
        let now = self.now();
        self.transaction(|s| match s.store.persona(name)? {
            Some(p) => Ok((p, false)),
            None => Ok((s.store.create_persona(name, now)?, true)),
        })
    }

    /// Keeps the copy of the event published at `origin` up to date with
    /// `details`, making it (with `proxy` as organiser, named `organiser_name`)
    /// when there is none — all in one transaction, so the same origin arriving
    /// twice, even at once, gives one copy. The copy is offered to every peer.
    pub fn save_copy(
        &mut self,
        proxy: &LocalPersona,
        organiser_name: &str,
        origin: &str,
        details: &EventDetails,
    ) -> Result<CopySaved> {
        let now = self.now();
        self.transaction(|s| {
            if let Some(event) = s.store.copy_of(origin)? {
                let changed = s.store.update(event, |d| {
                    if d.event()?.details == *details {
                        return Ok(false);
                    }
                    d.update_event(&proxy.persona, details, now).map(|_| true)
                })?;
                return Ok(CopySaved {
                    event,
                    new: false,
                    changed,
                });
            }
            let (doc, _) =
                Document::copy_event(&proxy.persona, organiser_name, details, origin, now)?;
            let event = doc.id();
            s.store.insert_new(&doc)?;
            s.store.share_with_everyone(event)?;
            Ok(CopySaved {
                event,
                new: true,
                changed: true,
            })
        })
    }

    /// Cancels a copy (its origin deleted the event; documents are never removed,
    /// devices keep what they had). Returns whether it changed.
    pub fn cancel_copy(&mut self, proxy: &LocalPersona, event: DocId) -> Result<bool> {
        let now = self.now();
        self.transaction(|s| {
            Ok(s.store.update(event, |d| {
                let mut details = d.event()?.details;
                if details.status == EventStatus::Cancelled {
                    return Ok(false);
                }
                details.status = EventStatus::Cancelled;
                d.update_event(&proxy.persona, &details, now).map(|_| true)
            })?)
        })
    }
}
