//! `rally-server`: an always-on sync peer and relay anyone can host.
//!
//! How the parts connect:
//! - the server keeps its documents in the same store as a device
//!   ([`rally_store::Store`], `rally.db` in its data directory), through a
//!   [`rally_store::SyncRepo`] in relay scope: it holds what the personas that
//!   sync with it send, and shares with each persona what that persona takes part
//!   in or sent, never what it may not read;
//! - it speaks the engine's sync protocol over the same libp2p node as a device
//!   ([`rally_net::Node`], [`rally_net::Transport::server`]): a stable transport key
//!   (kept in the registry, so its `/p2p/…` address survives restarts), a circuit
//!   relay for devices behind NATs, per-peer rate and connection limits;
//! - whom it admits is [`registry`]'s call: a persona registers by proving its key
//!   in the sync handshake, with an invitation code when the admin asks for one;
//! - a small HTTP listener ([`http`]) says what the server is and how to use it;
//! - with a public URL, it federates ([`fedi`]): public groups and their public
//!   events reach the Fediverse over ActivityPub, and replies and joins come back
//!   into the events' documents;
//! - SIGTERM or Ctrl-C stops it between two batches: a batch is stored whole or
//!   not at all, and nothing is acknowledged to a peer before it is stored.

pub mod about;
pub mod admin;
pub mod db;
pub mod fedi;
pub mod geocode;
pub mod html;
pub mod http;
pub mod journal;
pub mod lang;
pub mod listener;
pub mod logs;
pub mod metrics;
pub mod registry;
pub mod siblings;
pub mod tiles;

use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rally_core::PersonaId;
use rally_core::jiff::Timestamp;
use rally_core::protocol::Admission;
use rally_net::{Address, Keypair, Node, NodeConfig, NodeEvent, Transport};
use rally_store::{Store, StoreError, SyncRepo};

use registry::{Mode, Registry, RegistryError, SqlRegistry};

/// The name of the server's own persona in its store (its identity in sync
/// handshakes).
pub const SERVER_PERSONA: &str = "server";

#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Registry(#[from] RegistryError),
    #[error(transparent)]
    Journal(#[from] journal::JournalError),
    #[error("cannot bring this process in step with the instance: {0}")]
    Upkeep(Box<siblings::UpkeepError>),
    #[error(transparent)]
    Net(#[from] rally_net::NetError),
    #[error("cannot listen for HTTP on {addr}: {source}")]
    Http {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error(transparent)]
    Fedi(#[from] fedi::FediError),
    #[error("cannot start the {0} thread: {1}")]
    Thread(&'static str, std::io::Error),
    #[error("the stored transport key is damaged: {0}")]
    Key(String),
    #[error("--public-url {0:?} must be an https:// URL (http:// only for localhost or 127.0.0.1)")]
    PublicUrl(String),
    #[error(transparent)]
    Geocoder(#[from] geocode::GeocoderError),
    #[error(transparent)]
    Tiles(#[from] tiles::TilesError),
}

/// How to run the server.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    pub data: PathBuf,
    pub http: SocketAddr,
    pub p2p: Vec<Address>,
    pub public_url: Option<String>,
    /// Sets the registration mode (kept for later runs); `None` keeps the stored one.
    pub registrations: Option<Mode>,
    /// Spam caps on what remote actors and domains send per hour.
    pub fedi_caps: fedi::budget::ActivityCaps,
    /// New events, comments and joins one persona syncing here may make per
    /// hour (past them, its session is refused with the reason).
    pub persona_caps: rally_core::moderation::caps::Caps,
    /// The largest sync frame sent or accepted.
    pub max_frame: rally_core::protocol::FrameLimit,
    /// See [`fedi::Fedi::delivery_lease`].
    pub delivery_lease: std::time::Duration,
    /// The geocoder devices search addresses through, and its address.
    pub geocoder: Option<(rally_geocode::Provider, String)>,
    /// The tile server devices' maps use through this server.
    pub tiles: Option<tiles::TileConfig>,
    /// The admin's own `robots.txt`, served instead of the default.
    pub robots: Option<String>,
    /// The instance's rules, contact and admins, for its about page.
    pub about: about::About,
}

/// What the server tells its caller as it starts and runs.
#[derive(Debug, Clone, PartialEq)]
pub enum ServerEvent {
    Http(String),
    P2p(Address),
    /// A peer was dropped for what it sent, or refused.
    Dropped {
        peer: String,
        reason: String,
    },
    Refused {
        peer: String,
        reason: String,
    },
}

/// Checks the public URL: https, or http on the local machine (for tests).
pub fn check_public_url(url: &str) -> Result<String, ServerError> {
    let bad = || ServerError::PublicUrl(url.to_owned());
    let trimmed = url.trim_end_matches('/');
    let (scheme, rest) = trimmed.split_once("://").ok_or_else(bad)?;
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let hostname = match host.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or_default(),
        None => host.rsplit_once(':').map_or(host, |(h, _)| h),
    };
    let valid_host = !hostname.is_empty()
        && hostname
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':'));
    let local = matches!(hostname, "localhost" | "127.0.0.1" | "::1");
    match scheme {
        "https" if valid_host => Ok(trimmed.to_owned()),
        "http" if local => Ok(trimmed.to_owned()),
        _ => Err(bad()),
    }
}

/// The registration policy, as the sync repo's admission gate.
#[derive(Debug)]
struct Gate {
    registry: Box<dyn Registry>,
}

impl rally_store::Admit for Gate {
    fn admit(
        &mut self,
        peer: &PersonaId,
        invite: Option<&str>,
    ) -> Result<Admission, Box<dyn std::error::Error + Send + Sync>> {
        // Another process of this server (see `siblings`).
        if self.registry.is_node(peer)? {
            return Ok(Admission::Admitted);
        }
        Ok(registry::admit(
            self.registry.as_mut(),
            peer,
            invite,
            Timestamp::now(),
        )?)
    }

    fn is_sibling(&mut self, peer: &PersonaId) -> bool {
        self.registry.is_node(peer).unwrap_or(false)
    }

    fn policy(&mut self) -> Option<(String, String)> {
        let p = self.registry.policy().ok()?;
        (p.rules.is_some() || p.contact.is_some())
            .then(|| (p.rules.unwrap_or_default(), p.contact.unwrap_or_default()))
    }
}

fn transport_key(registry: &mut dyn Registry) -> Result<Keypair, ServerError> {
    let stored = registry.transport_key()?;
    if stored.is_empty() {
        let key = Keypair::generate_ed25519();
        let bytes = key
            .to_protobuf_encoding()
            .map_err(|e| ServerError::Key(e.to_string()))?;
        registry.set_transport_key(&bytes)?;
        return Ok(key);
    }
    Keypair::from_protobuf_encoding(&stored).map_err(|e| ServerError::Key(e.to_string()))
}

/// Everything the server answers over HTTP: the info page, the admin page,
/// `/metrics` and, when it federates, ActivityPub.
pub fn web(
    state: Arc<http::State>,
    metrics: Arc<metrics::Metrics>,
    fedi: Option<Arc<fedi::Fedi>>,
    geocoder: Option<Arc<geocode::Geocoder>>,
    tiles: Option<Arc<tiles::Tiles>>,
) -> axum::Router {
    let admin = admin::router(Arc::new(admin::AdminState {
        http: state.clone(),
        fedi: fedi.clone(),
    }));
    let metrics = metrics::router(metrics::MetricsState {
        metrics,
        http: state.clone(),
        fedi: fedi.clone(),
    });
    let mut router = http::router(state).merge(admin).merge(metrics);
    if let Some(g) = geocoder {
        router = router.merge(geocode::router(g));
    }
    if let Some(t) = tiles {
        router = router.merge(tiles::router(t));
    }
    match fedi {
        Some(f) => router.merge(fedi::routes::router(f)),
        None => router,
    }
}

/// Runs the server until `shutdown` completes.
pub async fn run(
    config: ServerConfig,
    shutdown: impl Future<Output = ()>,
    mut events: impl FnMut(ServerEvent),
) -> Result<(), ServerError> {
    let public_url = config
        .public_url
        .as_deref()
        .map(check_public_url)
        .transpose()?;
    let mut store = Store::open(&config.data)?;
    let me = match store.persona(SERVER_PERSONA)? {
        Some(p) => p,
        None => store.create_persona(SERVER_PERSONA, Timestamp::now())?,
    };
    let mut registry = SqlRegistry::open(&config.data)?;
    if let Some(mode) = config.registrations {
        registry.set_mode(mode)?;
    }
    let key = transport_key(&mut registry)?;
    // On a shared database: the other processes of this server (see `siblings`).
    let shared = registry.is_shared();
    tracing::info!(
        database = if shared { "postgresql" } else { "sqlite" },
        "registry and federation state"
    );
    let sibling_addrs = if shared {
        siblings::join(&mut registry, &me.id())?
    } else {
        Vec::new()
    };
    let me_id = me.id();
    // On a shared database: the instance's documents, reports and hidden
    // documents kept in step (see `journal` and `siblings`). A process takes
    // every document, and hides what the admins hid, before its node and web
    // server listen, so one started on an empty directory serves the whole
    // instance at once. A server that runs alone lists nothing for a journal.
    if !shared {
        store.stop_sharing_through_journal()?;
    }
    let upkeep_stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let upkeep = if shared {
        let database = db::Database::for_data(&config.data).map_err(journal::JournalError::from)?;
        let mut upkeep = siblings::Upkeep {
            store: Store::open(&config.data)?,
            db: fedi::db::FediDb::open(&config.data).map_err(fedi::FediError::from)?,
            registry: SqlRegistry::open(&config.data)?,
            journal: journal::Journal::open(&database, &me_id)
                .map_err(journal::JournalError::from)?,
        };
        // On a thread of its own: the database's blocking client may not run
        // on the runtime's threads, and a big journal takes a while.
        std::thread::scope(|s| {
            s.spawn(|| upkeep.catch_up())
                .join()
                .unwrap_or_else(|p| std::panic::resume_unwind(p))
        })
        .map_err(|e| ServerError::Upkeep(Box::new(e)))?;
        Some(
            upkeep
                .spawn(upkeep_stop.clone())
                .map_err(|e| ServerError::Thread("rally-upkeep", e))?,
        )
    } else {
        None
    };
    let gate = Gate {
        registry: Box::new(registry),
    };
    let mut repo = SyncRepo::relay(store, me, Box::new(gate));
    repo.set_caps(config.persona_caps);
    let listener = tokio::net::TcpListener::bind(config.http)
        .await
        .map_err(|source| ServerError::Http {
            addr: config.http,
            source,
        })?;
    let http_addr = listener.local_addr().map_err(|source| ServerError::Http {
        addr: config.http,
        source,
    })?;
    // Devices learn where to reach this server over HTTP (address search, map
    // tiles): its public URL, or, without one, the address it listens on when
    // that is a specific one (a server on a LAN).
    let advertised = public_url
        .clone()
        .or_else(|| (!http_addr.ip().is_unspecified()).then(|| format!("http://{http_addr}")));
    let mut transport = Transport::server(key).with_public_url(advertised);
    transport.limits.max_frame = config.max_frame;
    // The node and its store on a thread of their own: a batch being stored never
    // holds up an HTTP request or the federation's work.
    let (node_events, mut from_node) = tokio::sync::mpsc::unbounded_channel();
    let node_config = NodeConfig {
        listen: config.p2p.clone(),
        peers: sibling_addrs,
        ..NodeConfig::default()
    };
    let mut node = rally_net::thread::spawn(
        "rally-node",
        move || Node::new(repo, transport),
        node_config,
        node_events,
    )
    .map_err(|e| ServerError::Net(rally_net::NetError::Setup(e.to_string())))?;

    let fedi = match &public_url {
        Some(url) => {
            let mut f = fedi::Fedi::open_with(&config.data, url, config.fedi_caps)?;
            f.robots = config.robots.clone();
            f.delivery_lease = config.delivery_lease;
            Some(Arc::new(f))
        }
        None => None,
    };
    let user_agent = format!(
        "rally-server/{} ({})",
        env!("CARGO_PKG_VERSION"),
        public_url.as_deref().unwrap_or("a Rally server")
    );
    let geocoder = match &config.geocoder {
        Some((provider, url)) => Some(Arc::new(
            geocode::Geocoder::new(*provider, url, &config.data, &user_agent)
                .map_err(ServerError::Geocoder)?,
        )),
        None => None,
    };
    let tiles = match &config.tiles {
        Some(t) => Some(Arc::new(tiles::Tiles::new(
            t.clone(),
            &config.data,
            &user_agent,
        )?)),
        None => None,
    };
    // One set of figures: the federation's counters and the node's.
    let metrics: Arc<metrics::Metrics> = fedi
        .as_ref()
        .map_or_else(Arc::default, |f| f.metrics.clone());
    let pages_registry = SqlRegistry::open(&config.data)?;
    let state = Arc::new(http::State {
        registry: rally_service::Handle::spawn(pages_registry, http::REGISTRY_THREAD)
            .map_err(|e| ServerError::Thread(http::REGISTRY_THREAD, e))?,
        p2p: Mutex::new(Vec::new()),
        public_url: public_url.unwrap_or_else(|| format!("http://{http_addr}")),
        federates: fedi.is_some(),
        about: config.about.clone(),
    });
    let (stop_http, http_stopped) = tokio::sync::oneshot::channel::<()>();
    let (stop_fedi, fedi_stopped) = tokio::sync::watch::channel(false);
    let http_task = tokio::spawn(http::serve(
        listener,
        web(
            state.clone(),
            metrics.clone(),
            fedi.clone(),
            geocoder,
            tiles,
        ),
        async {
            let _ = http_stopped.await;
        },
    ));
    let mut fedi_tasks = Vec::new();
    if let Some(f) = &fedi {
        let stopped = |mut rx: tokio::sync::watch::Receiver<bool>| async move {
            let _ = rx.wait_for(|s| *s).await;
        };
        fedi_tasks.push(tokio::spawn(fedi::outbox::publish_loop(
            f.clone(),
            stopped(fedi_stopped.clone()),
        )));
        fedi_tasks.push(tokio::spawn(fedi::outbox::delivery_loop(
            f.clone(),
            stopped(fedi_stopped.clone()),
        )));
    }
    events(ServerEvent::Http(format!("http://{http_addr}")));

    let mut on_event = |event: NodeEvent| match event {
        NodeEvent::Listening(addr) => {
            if let Ok(mut list) = state.p2p.lock() {
                list.push(addr.to_string());
                if shared {
                    let (state, addrs) = (state.clone(), list.clone());
                    tokio::spawn(async move {
                        let announced = state
                            .registry
                            .call(move |r| r.announce_node(&me_id, &addrs, Timestamp::now()))
                            .await;
                        if let Ok(Err(e)) = announced {
                            tracing::warn!(error = %e, "cannot announce this process to its siblings");
                        }
                    });
                }
            }
            events(ServerEvent::P2p(addr));
        }
        NodeEvent::PeerDropped { peer, reason } => events(ServerEvent::Dropped {
            peer: peer.to_string(),
            reason,
        }),
        NodeEvent::Refused { peer, reason, .. } => events(ServerEvent::Refused {
            peer: peer.to_string(),
            reason,
        }),
        NodeEvent::Progress {
            peers,
            changes_received,
            ..
        } => metrics.node_progress(peers, changes_received),
        _ => {}
    };
    tokio::pin!(shutdown);
    let outcome = loop {
        tokio::select! {
            Some(event) = from_node.recv() => on_event(event),
            r = node.finished() => break Some(r),
            () = &mut shutdown => break None,
        }
    };
    let outcome = match outcome {
        Some(r) => r,
        // The node stops between two events: whatever batch was received is stored.
        None => node.stop().await,
    };
    // Events sent before the node ended (its last words).
    while let Ok(event) = from_node.try_recv() {
        on_event(event);
    }
    let _ = stop_http.send(());
    let _ = stop_fedi.send(true);
    let _ = tokio::time::timeout(Duration::from_secs(5), http_task).await;
    for task in fedi_tasks {
        let _ = tokio::time::timeout(Duration::from_secs(5), task).await;
    }
    upkeep_stop.store(true, std::sync::atomic::Ordering::Relaxed);
    if let Some(upkeep) = upkeep {
        let _ = upkeep.join();
    }
    outcome?;
    Ok(())
}

#[cfg(test)]
mod tests;
