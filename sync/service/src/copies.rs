//! Read-only copies of events published elsewhere (on the Fediverse), kept by a
//! server for every device that syncs with it: the server's federation code is
//! the adapter, these are the use cases. A copy's only organiser is a persona the
//! server keeps for the remote organiser (a *proxy*), and its `origin` names the
//! remote object; one origin has one copy, however often (or concurrently) the
//! object arrives.

use rally_core::picture::Picture;
use rally_core::{DocId, Document, EventDetails, EventStatus, ParticipationStatus, PersonaId};
use rally_store::LocalPersona;

use crate::pictures::Prepared;
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

/// What a copy's banner becomes (see [`Service::save_copy`]).
#[derive(Debug, Clone, Copy)]
pub enum CopyBanner<'a> {
    /// The remote event has none.
    None,
    /// Its picture could not be had this time: the copy keeps the one it has.
    Keep,
    /// A picture cleaned before, whose blobs are here.
    Known(&'a Picture),
    /// A picture just cleaned: its blobs are stored with the copy.
    New(&'a Prepared),
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

    /// The persona named `name`, made with `keys` if there is none (a proxy
    /// another process of the server made first); one transaction.
    pub fn adopt_proxy(&mut self, name: &str, keys: &rally_core::Persona) -> Result<LocalPersona> {
        let now = self.now();
        self.transaction(|s| match s.store.persona(name)? {
            Some(p) => Ok(p),
            None => Ok(s.store.adopt_persona(name, keys, now)?),
        })
    }

    /// Forgets the proxy personas (named with `prefix`) made before
    /// `created_before` (Unix seconds) that wrote nothing this store holds, a
    /// thousand at most per call; returns them.
    pub fn forget_silent_proxies(
        &mut self,
        prefix: &str,
        created_before: i64,
    ) -> Result<Vec<rally_core::PersonaId>> {
        Ok(self
            .store
            .forget_silent_personas(prefix, created_before, 1_000)?)
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
        banner: CopyBanner<'_>,
    ) -> Result<CopySaved> {
        let now = self.now();
        let mut details = details.clone();
        details.banner = match banner {
            CopyBanner::None | CopyBanner::Keep => None,
            CopyBanner::Known(p) => Some(p.clone()),
            CopyBanner::New(p) => Some(p.picture().clone()),
        };
        let details = &mut details;
        self.transaction(|s| {
            if let CopyBanner::New(p) = banner {
                s.store_picture(p)?;
            }
            if let Some(event) = s.store.copy_of(origin)? {
                let changed = s.store.update(event, |d| {
                    let current = d.event()?.details;
                    if matches!(banner, CopyBanner::Keep) {
                        details.banner = current.banner.clone();
                    }
                    if current == *details {
                        return Ok(false);
                    }
                    d.update_event(&proxy.persona, details, now).map(|_| true)
                })?;
                if changed {
                    s.store.forget_unnamed_blobs()?;
                }
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

    /// The organiser of a copy (acting through [`Service::act_for_remote`])
    /// answered a join sent from here for `participant`: an acceptance takes a
    /// pending participant in, a refusal rejects a pending or going one; anything
    /// else stays as it is. Returns the participant's status after it.
    pub fn answer_join(
        &mut self,
        event: DocId,
        participant: PersonaId,
        accepted: bool,
    ) -> Result<ParticipationStatus> {
        let now = self.now();
        self.transaction(|s| {
            let me = s.me()?;
            Ok(s.store.update(event, |d| {
                let current = d.event()?.participants.get(&participant).map(|p| p.status);
                let next = match (accepted, current) {
                    (true, Some(ParticipationStatus::Pending)) => ParticipationStatus::Going,
                    (false, Some(ParticipationStatus::Going | ParticipationStatus::Pending)) => {
                        ParticipationStatus::Rejected
                    }
                    (_, Some(s)) => return Ok(s),
                    (_, None) => return Ok(ParticipationStatus::Declined),
                };
                d.decide_participation(&me.persona, participant, next, now)
                    .map(|_| next)
            })?)
        })
    }
}
