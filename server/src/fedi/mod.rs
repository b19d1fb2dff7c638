//! Federation over ActivityPub: the server speaks for the public groups that sync
//! with it, and their public events, to Mobilizon, Mastodon, Gancio and the rest.
//!
//! How the parts connect:
//! - the documents stay in the store (`rally.db`); [`db`] (`fedi.db`) keeps only the
//!   mapping to the Fediverse: the server's actor keys, remote actors, followers,
//!   follows between instances, what was published, which remote objects became
//!   which comments and participations, and the delivery queue;
//! - the connections the federation uses (`fedi.db`, its `Service` on the store,
//!   a registry connection) belong to one thread of their own ([`Local`], reached
//!   through [`Fedi::local`] and its helpers): async code sends it work and
//!   awaits the answer, so no tokio worker waits on SQLite;
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
//!   delivers through the persistent queue with retries and backoff;
//! - [`zones`] reads another instance's own time zone from its NodeInfo, for
//!   its events that name none (Gancio's).

pub mod budget;
pub mod copies;
pub mod db;
pub mod event_page;
pub mod feeds;
pub mod fetch;
pub mod group_page;
pub mod inbox;
pub mod instances;
pub mod interact;
pub mod keys;
pub mod listing;
pub mod members;
pub mod moderation;
pub mod outbox;
pub mod outcome;
pub mod page_cache;
pub mod private_feed;
pub mod queue;
pub mod routes;
pub mod seo;
pub mod series;
pub mod sig;
pub mod snapshot;
pub mod vocab;
pub mod when;
pub mod zones;

use std::collections::HashSet;
use std::path::Path;
use std::sync::{Arc, RwLock};

use rally_core::jiff::Timestamp;
use rally_core::model::{EventView, GroupView};
use rally_core::publication;
use rally_core::{DocId, PersonaId};
use rally_service::{Handle, Service, ServiceError};
use rally_store::{Store, StoreError};

use crate::registry::{Registry as _, SqlRegistry};
use db::{DbError, FediDb};
use fetch::{FetchError, Fetcher, Signer};
use keys::ActorKey;
use vocab::{RemoteActor, Urls};

/// How long a fetched remote actor is trusted before it is fetched again.
const ACTOR_TTL_SECS: i64 = 24 * 3600;

/// The name of the thread that owns the federation's SQLite connections.
pub const THREAD: &str = "rally-fedi";

#[derive(Debug, thiserror::Error)]
pub enum FediError {
    #[error(transparent)]
    Db(#[from] DbError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Registry(#[from] crate::registry::RegistryError),
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
    #[error("the federation's database thread has stopped")]
    Stopped,
    /// Too many fetches caused by inbound activities from one host.
    #[error("too many requests about {0}; try again later")]
    Busy(String),
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

/// The domains blocked here, in memory, for the [`Fetcher`]: it checks every
/// URL (and every redirect) against them without touching SQLite. Loaded from
/// `fedi.db` at open, changed by [`instances::block`] and [`instances::unblock`],
/// and read again from `fedi.db` by the delivery loop (so a block made by
/// `rally-server admin` in another process reaches a running server).
#[derive(Debug, Clone, Default)]
pub struct Blocklist(Arc<RwLock<HashSet<String>>>);

impl Blocklist {
    /// Whether `domain` or a domain it is a subdomain of is blocked (the rule of
    /// [`FediDb::is_blocked`]).
    pub fn is_blocked(&self, domain: &str) -> bool {
        let domain = domain.to_ascii_lowercase();
        let set = self.0.read().unwrap_or_else(|e| e.into_inner());
        set.contains(&domain)
            || domain
                .match_indices('.')
                .any(|(i, _)| set.contains(&domain[i + 1..]))
    }

    /// Replaces the list with `domains` (as stored: lower case).
    pub fn set(&self, domains: Vec<String>) {
        *self.0.write().unwrap_or_else(|e| e.into_inner()) = domains.into_iter().collect();
    }
}

/// The federation's SQLite state, owned by one thread ([`THREAD`]): `fedi.db`,
/// the federation's `Service` (its connection to the store, `rally.db`) and its
/// registry connection (`server.db`). Async code reaches it through
/// [`Fedi::local`] and the helpers beside it; several steps that belong together
/// run in one call.
#[derive(Debug)]
pub struct Local {
    pub db: FediDb,
    pub service: Service,
    pub registry: SqlRegistry,
}

/// The federation side of a server.
#[derive(Debug)]
pub struct Fedi {
    pub urls: Urls,
    local: Handle<Local>,
    blocked: Blocklist,
    pub fetcher: Fetcher,
    /// Fetches caused by inbound activities, per host (held for a count only).
    fetch_budget: std::sync::Mutex<budget::FetchBudget>,
    /// Joins, follows and creates per remote actor and domain this hour.
    activity_budget: std::sync::Mutex<budget::ActivityBudget>,
    /// What anonymous requests read of the public content (see [`snapshot`]).
    pub snapshots: snapshot::Snapshots,
    /// Wakes the delivery worker when something is queued.
    pub queued: tokio::sync::Notify,
    /// Wakes the publisher (the store changed through the HTTP side).
    pub changed: tokio::sync::Notify,
    /// The admin's own `robots.txt` (`--robots FILE`), else the default.
    pub robots: Option<String>,
    /// Rendered public pages (see [`page_cache`]).
    pub pages: page_cache::PageCache,
    /// Deliveries and inbox activities counted for `/metrics`.
    pub metrics: Arc<crate::metrics::Metrics>,
    /// How long a delivery this process took stays its own (see
    /// [`FediDb::claim`]): past it, another process on the database may make it.
    pub delivery_lease: std::time::Duration,
    /// Other instances' own zones, for their events that name none ([`zones`]).
    pub zones: zones::Zones,
}

/// The default [`Fedi::delivery_lease`]: longer than a batch of deliveries takes
/// (each is given up after the fetcher's timeout).
pub const DELIVERY_LEASE: std::time::Duration = std::time::Duration::from_secs(300);

/// A public group, as the Fediverse sees it.
#[derive(Debug, Clone)]
pub struct PublicGroup {
    pub id: DocId,
    pub view: GroupView,
    pub username: String,
}

/// Public events read one after another, each group loaded once.
#[derive(Debug)]
pub struct Published<'a> {
    local: &'a Local,
    groups: std::collections::HashMap<DocId, Option<GroupView>>,
    moderated: moderation::Moderated,
}

impl Published<'_> {
    /// The event, if it is public and listed by a public group here (and the
    /// admins did not take it off), as the public reads it.
    pub fn event(&mut self, id: &DocId) -> Option<PublicEvent> {
        let store = self.local.store();
        let mut view = store.load(*id).ok()?.event().ok()?;
        let gid = view.group?;
        let group = self
            .groups
            .entry(gid)
            .or_insert_with(|| store.load(gid).ok()?.group().ok());
        if !publication::event_is_published(id, &view, group.as_ref())
            || self.moderated.event_hidden(id, &view)
        {
            return None;
        }
        let banned = group
            .as_ref()
            .map(|g| g.bans.keys().copied().collect())
            .unwrap_or_default();
        self.moderated.apply(id, &mut view, &banned);
        Some(PublicEvent {
            id: *id,
            view,
            group: gid,
        })
    }
}

/// A public event of a public group.
#[derive(Debug, Clone)]
pub struct PublicEvent {
    pub id: DocId,
    pub view: EventView,
    pub group: DocId,
}

impl Local {
    /// The service's store, for the reads and writes that are not use cases.
    pub fn store(&self) -> &Store {
        self.service.store()
    }

    pub fn store_mut(&mut self) -> &mut Store {
        self.service.store_mut()
    }

    /// The admins' reports, newest first (the open ones, or all): in the
    /// shared database when several processes serve the instance (see
    /// `db::reports`), else in the store.
    pub fn reports(&mut self, all: bool) -> Result<Vec<rally_store::AdminReport>, FediError> {
        if self.registry.is_shared() {
            // What this process' store received and has not moved yet, first.
            self.db.gather_reports(self.service.store_mut())?;
            Ok(self.db.admin_reports(all)?)
        } else {
            Ok(self.store().admin_reports(all)?)
        }
    }

    pub fn report(&self, id: i64) -> Result<Option<rally_store::AdminReport>, FediError> {
        if self.registry.is_shared() {
            Ok(self.db.admin_report(id)?)
        } else {
            Ok(self.store().admin_report(id)?)
        }
    }

    /// Sets a report's state with the admin's note; `false` when there is none.
    pub fn settle_report(
        &mut self,
        id: i64,
        state: &str,
        note: Option<&str>,
        now: i64,
    ) -> Result<bool, FediError> {
        if self.registry.is_shared() {
            Ok(self.db.settle_admin_report(id, state, note, now)?)
        } else {
            Ok(self.store_mut().settle_admin_report(id, state, note, now)?)
        }
    }

    /// Queues a report received here; `None` when it was already.
    pub fn add_report(
        &mut self,
        r: &rally_store::NewReport<'_>,
        now: i64,
    ) -> Result<Option<i64>, FediError> {
        if self.registry.is_shared() {
            Ok(self.db.add_admin_report(&r.to_report(now))?)
        } else {
            Ok(self.store_mut().add_admin_report(r, now)?)
        }
    }

    /// Whether anyone may register here (for NodeInfo).
    pub fn open_registrations(&self) -> bool {
        self.registry
            .mode()
            .is_ok_and(|m| m == crate::registry::Mode::Open)
    }

    /// A group, if it is public here.
    pub fn public_group(&self, id: &DocId) -> Result<Option<PublicGroup>, FediError> {
        let Ok(doc) = self.store().load(*id) else {
            return Ok(None);
        };
        let Ok(view) = doc.group() else {
            return Ok(None);
        };
        if !publication::group_is_published(&view)
            || moderation::Moderated::load(self)?.group_hidden(id)
        {
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
        Ok(self.published()?.event(id))
    }

    /// A reader of public events that loads each group once (for lists).
    pub fn published(&self) -> Result<Published<'_>, FediError> {
        Ok(Published {
            local: self,
            groups: std::collections::HashMap::new(),
            moderated: moderation::Moderated::load(self)?,
        })
    }

    /// A picture's bytes, if a published event or group names it (the only
    /// pictures this server shows the public: never one of a members-only or
    /// unlisted event's, nor a members-only group's).
    pub fn published_blob(
        &self,
        hash: rally_core::picture::BlobHash,
    ) -> Result<Option<Vec<u8>>, FediError> {
        let store = self.store();
        for doc in store.blob_names(hash)? {
            if self.public_event(&doc)?.is_some() || self.public_group(&doc)?.is_some() {
                return Ok(store.blob(hash)?);
            }
        }
        Ok(None)
    }

    /// Every public group here.
    pub fn public_groups(&self) -> Result<Vec<PublicGroup>, FediError> {
        let ids: Vec<DocId> = self
            .store()
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
        let owner = self.db.claim_username(&short, &first.id.to_hex())?;
        Ok(candidates.into_iter().find(|g| g.id.to_hex() == owner))
    }

    /// The public key (PEM) of one of this server's actors (by its URL).
    pub fn public_pem(&self, actor: &str) -> Result<String, FediError> {
        self.db
            .actor_key(actor)?
            .public_pem()
            .map_err(|e| FediError::Refused(e.to_string()))
    }

    /// The persona the server writes for a remote actor (made on first use).
    /// Its keys are in the shared state, so every process of an instance
    /// writes for the actor as the same persona: what it posted through one
    /// is edited through another.
    pub fn proxy_persona(&mut self, actor: &str) -> Result<rally_store::LocalPersona, FediError> {
        let name = proxy_name(actor);
        if let Some(p) = self.store().persona(&name)? {
            // Made here before its keys were shared: offered to the others.
            let shared = self.db.claim_proxy(actor, &p.persona)?;
            if shared.is_some_and(|k| k.id() != p.id()) {
                tracing::warn!(
                    actor,
                    "this process writes for a remote actor as another persona than the instance's (both made before their keys were shared)"
                );
            }
            return Ok(p);
        }
        match self
            .db
            .claim_proxy(actor, &rally_core::Persona::generate())?
        {
            Some(keys) => Ok(self.service.adopt_proxy(&name, &keys)?),
            // Another process made one before keys were shared, and holds
            // its keys alone: one of our own, as then.
            None => Ok(self.service.proxy_persona(&name)?.0),
        }
    }

    /// Forgets the proxy personas that wrote nothing (see
    /// [`db::SILENT_PROXY_RETENTION_SECS`]); returns how many went.
    pub fn prune_proxies(&mut self, now: i64) -> Result<usize, FediError> {
        let gone = self
            .service
            .forget_silent_proxies(PROXY_PREFIX, now - db::SILENT_PROXY_RETENTION_SECS)?;
        for p in &gone {
            self.db.forget_proxy(&p.to_hex())?;
        }
        Ok(gone.len())
    }

    /// Runs a use case as the remote `actor` (through the persona kept for it,
    /// which must exist), named `name` in what it writes; one transaction.
    pub fn as_remote<T>(
        &mut self,
        actor: &str,
        name: &str,
        f: impl FnOnce(&mut Service) -> Result<T, ServiceError>,
    ) -> Result<T, FediError> {
        self.service.act_for_remote(&proxy_name(actor), name);
        let outcome = f(&mut self.service);
        self.service.act_as(None);
        Ok(outcome?)
    }

    /// The persona the server keeps for a remote actor it has seen (through
    /// this process or another).
    pub fn proxy_of(&mut self, actor: &str) -> Result<rally_store::LocalPersona, FediError> {
        let name = proxy_name(actor);
        if let Some(p) = self.store().persona(&name)? {
            return Ok(p);
        }
        let keys = self.db.shared_proxy(actor)?.ok_or(FediError::NotFound)?;
        Ok(self.service.adopt_proxy(&name, &keys)?)
    }

    /// Whether a persona is one the server keeps for a remote actor.
    pub fn is_proxy(&self, persona: &PersonaId) -> Result<bool, FediError> {
        let hex = persona.to_hex();
        // Or one another process of the instance made, not taken here yet.
        Ok(self
            .store()
            .personas()?
            .iter()
            .any(|p| p.id().to_hex() == hex && p.name.starts_with(PROXY_PREFIX))
            || self.db.is_proxy_persona(&hex)?)
    }
}

impl Fedi {
    /// Opens the federation's state in `data` and moves its connections onto
    /// their own thread ([`THREAD`]).
    pub fn open(data: &Path, public_url: &str) -> Result<Fedi, FediError> {
        Fedi::open_with(data, public_url, budget::ActivityCaps::default())
    }

    /// [`Fedi::open`] with spam caps of one's own.
    pub fn open_with(
        data: &Path,
        public_url: &str,
        caps: budget::ActivityCaps,
    ) -> Result<Fedi, FediError> {
        let db = FediDb::open(data)?;
        db.set_public_url(public_url.trim_end_matches('/'))?;
        let blocked = Blocklist::default();
        blocked.set(db.blocked_domains()?);
        let service = Service::open(data)?;
        let registry = SqlRegistry::open(data)
            .map_err(|e| FediError::Refused(format!("cannot open the registry: {e}")))?;
        let local = Handle::spawn(
            Local {
                db,
                service,
                registry,
            },
            THREAD,
        )
        .map_err(|e| FediError::Refused(format!("cannot start the {THREAD} thread: {e}")))?;
        let local_http = public_url.starts_with("http://");
        let check = blocked.clone();
        let fetcher = Fetcher::new(local_http, Arc::new(move |d: &str| check.is_blocked(d)));
        Ok(Fedi {
            urls: Urls {
                base: public_url.trim_end_matches('/').to_owned(),
            },
            local,
            blocked,
            fetcher,
            fetch_budget: std::sync::Mutex::new(budget::FetchBudget::default()),
            activity_budget: std::sync::Mutex::new(budget::ActivityBudget::new(caps)),
            snapshots: snapshot::Snapshots::default(),
            queued: tokio::sync::Notify::new(),
            changed: tokio::sync::Notify::new(),
            robots: None,
            pages: page_cache::PageCache::default(),
            metrics: Arc::default(),
            delivery_lease: DELIVERY_LEASE,
            zones: zones::Zones::default(),
        })
    }

    /// Runs `f` on the thread that owns the federation's SQLite state and awaits
    /// its answer: the way every read and write of `fedi.db`, the store and the
    /// registry goes, so no async worker waits on SQLite.
    pub async fn local<R, F>(&self, f: F) -> Result<R, FediError>
    where
        R: Send + 'static,
        F: FnOnce(&mut Local) -> Result<R, FediError> + Send + 'static,
    {
        self.local.call(f).await.map_err(|_| FediError::Stopped)?
    }

    /// Runs `f` with `fedi.db` (see [`Fedi::local`]).
    pub async fn db<R, E, F>(&self, f: F) -> Result<R, FediError>
    where
        R: Send + 'static,
        E: Into<FediError>,
        F: FnOnce(&FediDb) -> Result<R, E> + Send + 'static,
    {
        self.local(move |l| f(&l.db).map_err(Into::into)).await
    }

    /// Runs `f` with the use cases (read-only copies, proxy personas).
    pub async fn service<R, E, F>(&self, f: F) -> Result<R, FediError>
    where
        R: Send + 'static,
        E: Into<FediError>,
        F: FnOnce(&mut Service) -> Result<R, E> + Send + 'static,
    {
        self.local(move |l| f(&mut l.service).map_err(Into::into))
            .await
    }

    /// Runs `f` with the service's store, for the reads and writes that are not
    /// use cases.
    pub async fn store<R, E, F>(&self, f: F) -> Result<R, FediError>
    where
        R: Send + 'static,
        E: Into<FediError>,
        F: FnOnce(&mut Store) -> Result<R, E> + Send + 'static,
    {
        self.local(move |l| f(l.store_mut()).map_err(Into::into))
            .await
    }

    /// The domains blocked here, as the fetcher sees them.
    pub fn blocklist(&self) -> &Blocklist {
        &self.blocked
    }

    /// A group, if it is public here.
    pub async fn public_group(&self, id: &DocId) -> Result<Option<PublicGroup>, FediError> {
        let id = *id;
        self.local(move |l| l.public_group(&id)).await
    }

    /// An event, if it is public and listed by a public group here.
    pub async fn public_event(&self, id: &DocId) -> Result<Option<PublicEvent>, FediError> {
        let id = *id;
        self.local(move |l| l.public_event(&id)).await
    }

    /// Finds a public group by its user name (the id part decides; the first group
    /// seen with an id part keeps it).
    pub async fn group_by_username(
        &self,
        username: &str,
    ) -> Result<Option<PublicGroup>, FediError> {
        let username = username.to_owned();
        self.local(move |l| l.group_by_username(&username)).await
    }

    /// The key of one of this server's actors (by its URL).
    pub async fn key(&self, actor: &str) -> Result<ActorKey, FediError> {
        let actor = actor.to_owned();
        self.db(move |db| db.actor_key(&actor)).await
    }

    /// The public key (PEM) of one of this server's actors (by its URL).
    pub async fn public_pem(&self, actor: &str) -> Result<String, FediError> {
        let actor = actor.to_owned();
        self.local(move |l| l.public_pem(&actor)).await
    }

    /// A remote actor, from the cache or fetched (signed by the instance actor, for
    /// servers that want signed fetches). `refresh` fetches even when cached.
    /// Counts a `Join`, `Follow` or `Create` of `actor` against the spam caps.
    pub fn may_act(&self, kind: &str, actor: &str) -> Result<(), FediError> {
        if !budget::counted(kind) {
            return Ok(());
        }
        let domain = url::Url::parse(actor)
            .ok()
            .and_then(|u| u.host_str().map(str::to_owned))
            .unwrap_or_default();
        let now = Timestamp::now().as_second();
        let allowed = self
            .activity_budget
            .lock()
            .map(|mut b| b.take(actor, &domain, now))
            .unwrap_or(false);
        if allowed {
            Ok(())
        } else {
            Err(FediError::Busy(domain))
        }
    }

    /// The spam caps, and the domains that sent the most counted activities this hour.
    pub fn activity_report(&self, n: usize) -> (budget::ActivityCaps, Vec<(String, u32)>) {
        let now = Timestamp::now().as_second();
        self.activity_budget
            .lock()
            .map(|mut b| (b.caps, b.busiest(now, n)))
            .unwrap_or_default()
    }

    /// Counts one fetch of `url` caused by an inbound activity against its host's
    /// allowance (see [`budget`]).
    pub fn may_fetch(&self, url: &str) -> Result<(), FediError> {
        let host = url::Url::parse(url)
            .ok()
            .and_then(|u| u.host_str().map(str::to_owned))
            .unwrap_or_default();
        let now = Timestamp::now().as_second();
        let allowed = self
            .fetch_budget
            .lock()
            .map(|mut b| b.take(&host, now))
            .unwrap_or(false);
        if allowed {
            Ok(())
        } else {
            Err(FediError::Busy(host))
        }
    }

    pub async fn remote_actor(&self, id: &str, refresh: bool) -> Result<RemoteActor, FediError> {
        enum Cached {
            Fresh(RemoteActor),
            Fetch(ActorKey),
        }
        let now = Timestamp::now().as_second();
        let instance = self.urls.instance();
        let cached = {
            let (id, instance) = (id.to_owned(), instance.clone());
            self.local(move |l| {
                if let Some((actor, at)) = l.db.remote_actor(&id)?
                    && now - at < ACTOR_TTL_SECS
                    && (!refresh || !budget::may_refresh(at, now))
                {
                    return Ok(Cached::Fresh(actor));
                }
                Ok(Cached::Fetch(l.db.actor_key(&instance)?))
            })
            .await?
        };
        let key = match cached {
            Cached::Fresh(actor) => return Ok(actor),
            Cached::Fetch(key) => key,
        };
        self.may_fetch(id)?;
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
        let (id, json) = (id.to_owned(), json.to_string());
        self.db(move |db| db.save_remote_actor(&id, &json, now))
            .await?;
        Ok(actor)
    }
}

#[cfg(test)]
mod tests;
