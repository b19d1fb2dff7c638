//! Federation over ActivityPub: the server speaks for the public groups that sync
//! with it, and their public events, to Mobilizon, Mastodon, Gancio and the rest.
//!
//! How the parts connect:
//! - the documents stay in the store (`rally.db`); [`db`] (`fedi.db`) keeps only the
//!   mapping to the Fediverse: the server's actor keys, remote actors, followers,
//!   follows between instances, what was published, which remote objects became
//!   which comments and participations, and the delivery queue;
//! - [`vocab`] is the only place ActivityPub JSON is written or read (Mobilizon's
//!   dialect out, lenient reading in);
//! - [`routes`] serves actors, objects and collections (JSON to servers, HTML to
//!   browsers, from the same URL), WebFinger, host-meta and NodeInfo;
//! - [`inbox`] takes signed activities ([`sig`] verifies draft-cavage and RFC 9421
//!   against keys fetched through [`fetch`]) and turns replies into comments and
//!   joins into participations, written into the event's document by a persona the
//!   server keeps for each remote actor, so every replica judges them by the same
//!   permission rule as any other change;
//! - [`instances`] is instance following, both ways, as Mobilizon does it: the
//!   instance actor follows another instance's actor (found through NodeInfo),
//!   and the admin accepts or rejects the instances that follow this one;
//! - [`outbox`] watches the store's change cursor, publishes Create/Update/Delete
//!   for what changed (whichever device made the change, whenever it synced), and
//!   delivers through the persistent queue with retries and backoff.

pub mod copies;
pub mod db;
pub mod fetch;
pub mod inbox;
pub mod instances;
pub mod keys;
pub mod outbox;
pub mod outcome;
pub mod queue;
pub mod routes;
pub mod sig;
pub mod vocab;

use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};

use rally_core::jiff::Timestamp;
use rally_core::model::{EventView, GroupView};
use rally_core::publication;
use rally_core::{DocId, PersonaId};
use rally_service::{Service, ServiceError};
use rally_store::{Store, StoreError};

use db::{DbError, FediDb};
use fetch::{FetchError, Fetcher, Signer};
use keys::ActorKey;
use vocab::{RemoteActor, Urls};

/// How long a fetched remote actor is trusted before it is fetched again.
const ACTOR_TTL_SECS: i64 = 24 * 3600;

#[derive(Debug, thiserror::Error)]
pub enum FediError {
    #[error(transparent)]
    Db(#[from] DbError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Service(Box<ServiceError>),
    #[error(transparent)]
    Fetch(#[from] FetchError),
    #[error(transparent)]
    Vocab(#[from] vocab::VocabError),
    #[error(transparent)]
    Sig(#[from] sig::SigError),
    #[error("{0}")]
    Refused(String),
    #[error("not found")]
    NotFound,
    #[error("the federation state is unavailable")]
    Poisoned,
}

impl From<ServiceError> for FediError {
    fn from(e: ServiceError) -> Self {
        FediError::Service(Box::new(e))
    }
}

/// What the names of the personas kept for remote actors start with.
const PROXY_PREFIX: &str = "fedi:";

/// The name of the persona the server keeps for a remote actor.
fn proxy_name(actor: &str) -> String {
    format!("{PROXY_PREFIX}{actor}")
}

/// A random id part for activities made here.
pub(crate) fn hex_nonce() -> String {
    let mut nonce = [0u8; 12];
    let _ = getrandom::fill(&mut nonce);
    hex::encode(nonce)
}

/// The federation side of a server.
#[derive(Debug)]
pub struct Fedi {
    pub urls: Urls,
    db: Mutex<FediDb>,
    service: Mutex<Service>,
    pub fetcher: Fetcher,
    registry: Mutex<crate::registry::SqliteRegistry>,
    /// Wakes the delivery worker when something is queued.
    pub queued: tokio::sync::Notify,
    /// Wakes the publisher (the store changed through the HTTP side).
    pub changed: tokio::sync::Notify,
}

/// A public group, as the Fediverse sees it.
#[derive(Debug, Clone)]
pub struct PublicGroup {
    pub id: DocId,
    pub view: GroupView,
    pub username: String,
}

/// A public event of a public group.
#[derive(Debug, Clone)]
pub struct PublicEvent {
    pub id: DocId,
    pub view: EventView,
    pub group: DocId,
}

impl Fedi {
    pub fn open(data: &Path, public_url: &str) -> Result<Fedi, FediError> {
        let db = FediDb::open(data)?;
        db.set_public_url(public_url.trim_end_matches('/'))?;
        let service = Service::open(data)?;
        let local_http = public_url.starts_with("http://");
        let blocklist = Arc::new(Mutex::new(FediDb::open(data)?));
        let blocked = Arc::new(move |domain: &str| {
            blocklist
                .lock()
                .map(|db| db.is_blocked(domain).unwrap_or(true))
                .unwrap_or(true)
        });
        Ok(Fedi {
            urls: Urls {
                base: public_url.trim_end_matches('/').to_owned(),
            },
            db: Mutex::new(db),
            service: Mutex::new(service),
            fetcher: Fetcher::new(local_http, blocked),
            registry: Mutex::new(
                crate::registry::SqliteRegistry::open(data)
                    .map_err(|e| FediError::Refused(format!("cannot open the registry: {e}")))?,
            ),
            queued: tokio::sync::Notify::new(),
            changed: tokio::sync::Notify::new(),
        })
    }

    pub fn db(&self) -> Result<MutexGuard<'_, FediDb>, FediError> {
        self.db.lock().map_err(|_| FediError::Poisoned)
    }

    /// The use cases (read-only copies, proxy personas).
    pub fn service(&self) -> Result<MutexGuard<'_, Service>, FediError> {
        self.service.lock().map_err(|_| FediError::Poisoned)
    }

    /// The service's store, for the writes that are not use cases yet.
    pub fn store(&self) -> Result<StoreGuard<'_>, FediError> {
        Ok(StoreGuard(self.service()?))
    }

    pub fn open_registrations(&self) -> bool {
        use crate::registry::Registry as _;
        self.registry
            .lock()
            .ok()
            .and_then(|r| r.mode().ok())
            .is_some_and(|m| m == crate::registry::Mode::Open)
    }

    /// A group, if it is public here.
    pub fn public_group(&self, id: &DocId) -> Result<Option<PublicGroup>, FediError> {
        let store = self.store()?;
        let Ok(doc) = store.load(*id) else {
            return Ok(None);
        };
        let Ok(view) = doc.group() else {
            return Ok(None);
        };
        if !publication::group_is_published(&view) {
            return Ok(None);
        }
        let username = vocab::group_username(id, &view.profile.name);
        Ok(Some(PublicGroup {
            id: *id,
            view,
            username,
        }))
    }

    /// An event, if it is public and listed by a public group here.
    pub fn public_event(&self, id: &DocId) -> Result<Option<PublicEvent>, FediError> {
        let (view, group) = {
            let store = self.store()?;
            let Some(view) = store.load(*id).ok().and_then(|d| d.event().ok()) else {
                return Ok(None);
            };
            let group = view.group.and_then(|g| store.load(g).ok()?.group().ok());
            (view, group)
        };
        if !publication::event_is_published(id, &view, group.as_ref()) {
            return Ok(None);
        }
        Ok(view.group.map(|group| PublicEvent {
            id: *id,
            view,
            group,
        }))
    }

    /// Every public group here.
    pub fn public_groups(&self) -> Result<Vec<PublicGroup>, FediError> {
        let ids: Vec<DocId> = self
            .store()?
            .groups()?
            .into_iter()
            .filter(|g| g.visibility == "public")
            .map(|g| g.id)
            .collect();
        let mut out = Vec::new();
        for id in ids {
            if let Some(g) = self.public_group(&id)? {
                out.push(g);
            }
        }
        Ok(out)
    }

    /// Finds a public group by its user name (the id part decides; the first group
    /// seen with an id part keeps it).
    pub fn group_by_username(&self, username: &str) -> Result<Option<PublicGroup>, FediError> {
        let Some((_, short)) = username.rsplit_once('_') else {
            return Ok(None);
        };
        if short.len() != 8 || !short.chars().all(|c| c.is_ascii_hexdigit()) {
            return Ok(None);
        }
        let short = short.to_ascii_lowercase();
        let candidates: Vec<PublicGroup> = self
            .public_groups()?
            .into_iter()
            .filter(|g| g.id.to_hex().starts_with(&short))
            .collect();
        let Some(first) = candidates.first() else {
            return Ok(None);
        };
        let owner = self.db()?.claim_username(&short, &first.id.to_hex())?;
        Ok(candidates.into_iter().find(|g| g.id.to_hex() == owner))
    }

    /// The key of one of this server's actors (by its URL).
    pub fn key(&self, actor: &str) -> Result<ActorKey, FediError> {
        Ok(self.db()?.actor_key(actor)?)
    }

    pub fn public_pem(&self, actor: &str) -> Result<String, FediError> {
        self.key(actor)?
            .public_pem()
            .map_err(|e| FediError::Refused(e.to_string()))
    }

    /// A remote actor, from the cache or fetched (signed by the instance actor, for
    /// servers that want signed fetches). `refresh` fetches even when cached.
    pub async fn remote_actor(&self, id: &str, refresh: bool) -> Result<RemoteActor, FediError> {
        let now = Timestamp::now().as_second();
        if !refresh
            && let Some((actor, at)) = self.db()?.remote_actor(id)?
            && now - at < ACTOR_TTL_SECS
        {
            return Ok(actor);
        }
        let instance = self.urls.instance();
        let key = self.key(&instance)?;
        let key_id = Urls::key_id(&instance);
        let json = self
            .fetcher
            .get_json(
                id,
                Some(Signer {
                    key: &key,
                    key_id: &key_id,
                }),
            )
            .await?;
        let actor = RemoteActor::parse(&json)?;
        if actor.id != id {
            return Err(FediError::Refused(format!(
                "{id} answered with another actor ({})",
                actor.id
            )));
        }
        self.fetcher.check(&actor.inbox)?;
        self.db()?.save_remote_actor(id, &json.to_string(), now)?;
        Ok(actor)
    }

    /// The persona the server writes for a remote actor (made on first use).
    pub fn proxy_persona(
        &self,
        actor: &RemoteActor,
    ) -> Result<rally_store::LocalPersona, FediError> {
        let (p, new) = self.service()?.proxy_persona(&proxy_name(&actor.id))?;
        if new {
            self.db()?.set_proxy_persona(&actor.id, &p.id().to_hex())?;
        }
        Ok(p)
    }

    /// Runs a use case as the remote `actor` (through the persona kept for it,
    /// which must exist), named `name` in what it writes; one transaction.
    pub fn as_remote<T>(
        &self,
        actor: &str,
        name: &str,
        f: impl FnOnce(&mut Service) -> Result<T, ServiceError>,
    ) -> Result<T, FediError> {
        let mut service = self.service()?;
        service.act_for_remote(&proxy_name(actor), name);
        let outcome = f(&mut service);
        service.act_as(None);
        Ok(outcome?)
    }

    /// The persona the server keeps for a remote actor it has seen.
    pub fn proxy_of(&self, actor: &str) -> Result<rally_store::LocalPersona, FediError> {
        self.store()?
            .persona(&proxy_name(actor))?
            .ok_or(FediError::NotFound)
    }

    /// Whether a persona is one the server keeps for a remote actor.
    pub fn is_proxy(&self, persona: &PersonaId) -> Result<bool, FediError> {
        let hex = persona.to_hex();
        Ok(self
            .store()?
            .personas()?
            .iter()
            .any(|p| p.id().to_hex() == hex && p.name.starts_with(PROXY_PREFIX)))
    }
}

/// The store inside the locked service.
#[derive(Debug)]
pub struct StoreGuard<'a>(MutexGuard<'a, Service>);

impl std::ops::Deref for StoreGuard<'_> {
    type Target = Store;
    fn deref(&self) -> &Store {
        self.0.store()
    }
}

impl std::ops::DerefMut for StoreGuard<'_> {
    fn deref_mut(&mut self) -> &mut Store {
        self.0.store_mut()
    }
}

#[cfg(test)]
mod tests;
