//! Rally's libp2p transport: one node per persona, carrying the engine's sync
//! protocol ([`rally_core::protocol`]) between peers.
//!
//! How the parts connect:
//! - the swarm speaks QUIC and TCP (noise, yamux), finds peers on the local network
//!   with mDNS, and runs identify and ping;
//! - each node has a **fresh transport identity** (libp2p key) for its run, and
//!   speaks for exactly one persona, so a device that holds several personas never
//!   shows one transport identity, connection or document set for two of them;
//! - every connected peer gets one [`Session`]; its frames travel as batches in
//!   request-response exchanges (`/rally/sync/3`, each batch compressed whole
//!   when that pays, see `codec.rs`; `/rally/sync/2`, always plain, with older peers),
//!   at most one batch in flight per peer, which keeps them in order;
//! - the node owns the persona's [`SyncRepo`] (the SQLite store) and runs in one
//!   task: a frame is handled, its effects stored, and the answers queued before
//!   the next event, so the store is used from one place;
//! - every tick it lets sessions repeat what went unanswered, watches the store's
//!   change cursor so edits made by other processes on the same data directory are
//!   announced, and redials the peers it was told about.
//!
//! The same node runs a server ([`Transport::server`]): a stable transport key, a
//! circuit relay (v2) for devices behind NATs, per-peer rate and connection
//! limits, and a [`SyncRepo`] in relay scope that admits the personas registered
//! with it. Devices dial servers like peers, present their invitation code
//! there, reserve a relayed address through them, and upgrade relayed
//! connections to direct ones when they can (DCUtR).
//!
//! The node reaches its documents through [`NodeStore`], so a server can keep
//! them in another database than SQLite. [`thread::spawn`] runs a node on a
//! thread of its own, so its storage calls never hold up other async work.

mod codec;
pub mod thread;

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use futures::StreamExt;
use libp2p::request_response::{self, OutboundRequestId, ProtocolSupport, ResponseChannel};
use libp2p::swarm::behaviour::toggle::Toggle;
use libp2p::swarm::{NetworkBehaviour, SwarmEvent};
use libp2p::{
    Multiaddr, PeerId, Swarm, connection_limits, dcutr, identify, identity, mdns, noise, ping,
    relay, tcp, yamux,
};
use rally_core::Persona;
use rally_core::protocol::allowance::{Budget, Offer};
use rally_core::protocol::link::{Delivered, Failed, Incoming};
use rally_core::protocol::redial::Redial;
use rally_core::protocol::relay_guard::{self, RelayGuard};
use rally_core::protocol::{FrameLimit, Message, Repo, Session, SessionError};
use rally_store::{StoreError, SyncRepo};

pub use codec::{
    Batch, FrameCodec, PLAIN_SYNC_PROTOCOL, SYNC_PROTOCOL, WireCount, packed_batch, read_batch,
    read_packed_batch,
};
pub use libp2p::Multiaddr as Address;
pub use libp2p::identity::Keypair;
pub use libp2p::multiaddr::Protocol;

/// How long a session waits for the peer's Hello before starting over.
const HELLO_TIMEOUT: Duration = Duration::from_secs(60);
const TICK: Duration = Duration::from_millis(200);
const RETRY_AFTER: Duration = Duration::from_secs(30);
/// Received changes are passed on at most this often (the rest wait for the tick).
const ANNOUNCE_INTERVAL: Duration = Duration::from_millis(100);

#[derive(Debug, thiserror::Error)]
pub enum NetError {
    #[error("cannot set up the network: {0}")]
    Setup(String),
    #[error("cannot listen on {addr}: {reason}")]
    Listen { addr: Multiaddr, reason: String },
    #[error("the local store failed: {0}")]
    Store(Box<dyn std::error::Error + Send + Sync>),
    #[error("not in sync after {0:?}: {1}")]
    Timeout(Duration, String),
    #[error("{peer} refused to sync: {reason}")]
    Refused { peer: PeerId, reason: String },
}

fn store_error(e: impl std::error::Error + Send + Sync + 'static) -> NetError {
    NetError::Store(Box::new(e))
}

impl From<StoreError> for NetError {
    fn from(e: StoreError) -> Self {
        store_error(e)
    }
}

/// What the node needs of the documents beyond the sync [`Repo`]: its identity,
/// transactions around a received batch, and a way to notice local edits.
pub trait NodeStore: Repo + Send {
    /// The persona this node speaks for (a server's own identity on a server).
    fn identity(&self) -> &Persona;
    /// See [`rally_store::Store::epoch`].
    fn epoch(&self) -> Result<[u8; 16], Self::Error>;
    /// Grows whenever a change is stored, by this process or another.
    fn change_cursor(&self) -> Result<i64, Self::Error>;
    /// Grows whenever a received change is stored by this node.
    fn version(&self) -> u64;
    fn begin_batch(&mut self) -> Result<(), Self::Error>;
    /// The changes a received batch carries, before its messages are handled
    /// one at a time: their signatures can be checked together.
    fn prefetch(&mut self, changes: Vec<rally_core::SignedChange>) {
        let _ = changes;
    }
    fn commit_batch(&mut self) -> Result<(), Self::Error>;
    fn abort_batch(&mut self);
    /// Writes what is kept in memory (what peers have).
    fn flush(&mut self) -> Result<(), Self::Error>;
}

impl NodeStore for SyncRepo {
    fn identity(&self) -> &Persona {
        &self.persona().persona
    }
    fn epoch(&self) -> Result<[u8; 16], StoreError> {
        self.store().epoch()
    }
    fn change_cursor(&self) -> Result<i64, StoreError> {
        self.store().change_cursor()
    }
    fn version(&self) -> u64 {
        self.version
    }
    fn begin_batch(&mut self) -> Result<(), StoreError> {
        SyncRepo::begin_batch(self)
    }
    fn prefetch(&mut self, changes: Vec<rally_core::SignedChange>) {
        SyncRepo::prefetch(self, changes)
    }
    fn commit_batch(&mut self) -> Result<(), StoreError> {
        SyncRepo::commit_batch(self)
    }
    fn abort_batch(&mut self) {
        SyncRepo::abort_batch(self)
    }
    fn flush(&mut self) -> Result<(), StoreError> {
        SyncRepo::flush(self)
    }
}

/// How the node meets the network; fixed when it is built.
#[derive(Debug, Clone)]
pub struct Transport {
    /// Find peers on the local network.
    pub mdns: bool,
    /// The transport key; `None` for a fresh one (devices: one per run).
    pub identity: Option<identity::Keypair>,
    /// Relay connections for other peers (servers).
    pub relay_server: bool,
    pub limits: Limits,
    /// A server's public URL, told to peers in identify's agent version
    /// (`rally-server/VERSION URL`), so devices can name what it publishes.
    pub public_url: Option<String>,
}

impl Transport {
    /// A device: a fresh transport key, mDNS if asked, no limits.
    pub fn device(mdns: bool) -> Self {
        Transport {
            mdns,
            identity: None,
            relay_server: false,
            limits: Limits::unlimited(),
            public_url: None,
        }
    }

    /// A server: its own stable key, a relay, the server limits.
    pub fn server(identity: identity::Keypair) -> Self {
        Transport {
            mdns: false,
            identity: Some(identity),
            relay_server: true,
            limits: Limits::server(),
            public_url: None,
        }
    }

    /// Tells peers the server's public URL.
    pub fn with_public_url(mut self, url: Option<String>) -> Self {
        self.public_url = url;
        self
    }
}

/// What one peer may cost this node.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Sustained bytes per second of sync frames a peer may send; past its
    /// allowance its batches wait (and, since peers keep one in flight, it slows).
    pub bytes_per_sec: u64,
    /// How far ahead of the sustained rate a peer may run.
    pub burst_bytes: u64,
    /// Batches that may wait per peer; a peer that pushes more is dropped.
    pub max_queued: usize,
    /// Connections from one peer, and in all.
    pub max_connections_per_peer: u32,
    pub max_connections: u32,
    /// A relay (server): how long a peer may hold a reservation without
    /// authenticating a sync session (ms), and how many one address may hold.
    pub relay_auth_grace_ms: u64,
    pub relay_per_address: usize,
    /// The largest sync frame this node sends or accepts (peers use the same).
    pub max_frame: FrameLimit,
}

impl Limits {
    pub fn unlimited() -> Self {
        Limits {
            bytes_per_sec: u64::MAX,
            burst_bytes: u64::MAX,
            max_queued: 16,
            max_connections_per_peer: 8,
            max_connections: 1_024,
            relay_auth_grace_ms: relay_guard::AUTH_GRACE_MS,
            relay_per_address: relay_guard::PER_ADDRESS,
            max_frame: FrameLimit::default(),
        }
    }

    pub fn server() -> Self {
        Limits {
            bytes_per_sec: 2 * 1024 * 1024,
            burst_bytes: 16 * 1024 * 1024,
            max_queued: 4,
            max_connections_per_peer: 4,
            max_connections: 10_000,
            relay_auth_grace_ms: relay_guard::AUTH_GRACE_MS,
            relay_per_address: relay_guard::PER_ADDRESS,
            max_frame: FrameLimit::default(),
        }
    }
}

/// What a node does.
#[derive(Debug, Clone, Default)]
pub struct NodeConfig {
    pub listen: Vec<Multiaddr>,
    pub peers: Vec<Multiaddr>,
    /// Servers: dialled like peers, shown `invite` when authenticating, and asked
    /// to relay connections to this node.
    pub servers: Vec<Multiaddr>,
    /// The invitation code for the servers (registration by invitation).
    pub invite: Option<String>,
    /// Stop once every connected peer is in sync (and those in `peers` connected).
    pub once: bool,
    /// With `once`: give up after this long.
    pub timeout: Option<Duration>,
}

/// What a node tells its caller while it runs.
#[derive(Debug, Clone, PartialEq)]
pub enum NodeEvent {
    /// Listening on this address (ending in `/p2p/<peer id>`).
    Listening(Multiaddr),
    /// A peer proved which persona it speaks for.
    PeerAuthenticated { peer: PeerId, persona: String },
    /// A peer was dropped for what it sent.
    PeerDropped { peer: PeerId, reason: String },
    /// A peer refused to sync with this node (e.g. a server it is not registered with).
    RefusedBy { peer: PeerId, reason: String },
    /// This node refused a peer (see [`Repo::admit`]).
    Refused {
        peer: PeerId,
        persona: String,
        reason: String,
    },
    /// Reachable through a relay at this address.
    Relayed(Multiaddr),
    /// Documents being fetched and bytes received so far, over all peers, and
    /// the peers connected now (every half second).
    Progress {
        docs_wanted: usize,
        bytes_received: u64,
        changes_received: u64,
        peers: usize,
    },
    /// Every connected peer is in sync.
    Synced { peers: usize },
    /// A server this node syncs with said where the public reaches it.
    ServerUrl { peer: PeerId, url: String },
}

const SERVER_AGENT: &str = "rally-server/";

/// Totals of a run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RunStats {
    /// Bytes of batches (compressed where they were) and acknowledgements
    /// written and read, before libp2p's framing and encryption.
    pub bytes_sent: u64,
    pub bytes_received: u64,
    pub changes_received: u64,
    pub changes_sent: u64,
}

#[derive(NetworkBehaviour)]
struct Behaviour {
    limits: connection_limits::Behaviour,
    sync: request_response::Behaviour<FrameCodec>,
    mdns: Toggle<mdns::tokio::Behaviour>,
    identify: identify::Behaviour,
    ping: ping::Behaviour,
    relay: Toggle<relay::Behaviour>,
    relay_client: relay::client::Behaviour,
    dcutr: Toggle<dcutr::Behaviour>,
}

/// A connected peer's link: its session, batches and what waits to be sent —
/// decided by the sans-IO [`rally_core::protocol::link::Link`]; the node names a
/// batch on its way by its libp2p request id.
type Link = rally_core::protocol::link::Link<OutboundRequestId>;

/// A peer's allowance of bytes and its batches waiting for it (sans IO, in the core).
type Allowance = rally_core::protocol::allowance::Allowance<(Batch, ResponseChannel<()>)>;

/// A sync node for one persona (or a server).
pub struct Node<R: NodeStore = SyncRepo> {
    swarm: Swarm<Behaviour>,
    repo: R,
    epoch: [u8; 16],
    limits: Limits,
    links: HashMap<PeerId, Link>,
    allowances: HashMap<PeerId, Allowance>,
    banned: HashSet<PeerId>,
    /// When known peers are dialled again, and which refused this side.
    redial: Redial<PeerId>,
    /// A server's relay reservations: only for peers that authenticate, a few per
    /// address.
    relay_guard: RelayGuard<PeerId, std::net::IpAddr>,
    /// Each connected peer's address, for the guard.
    peer_ips: HashMap<PeerId, std::net::IpAddr>,
    /// Received changes not announced to the other peers yet, and when they last were.
    announce_pending: bool,
    last_announce_all: Instant,
    /// A refusal that ends a run with `once`.
    fatal: Option<NetError>,
    /// Peers found on the local network, redialled while they are not connected.
    discovered: HashMap<PeerId, Multiaddr>,
    /// Peers to present the invitation code to.
    servers: HashSet<PeerId>,
    /// Their addresses, and the relayed listeners opened through them.
    server_addrs: HashMap<PeerId, Multiaddr>,
    relay_listeners: HashMap<libp2p::core::transport::ListenerId, PeerId>,
    invite: Option<String>,
    started: Instant,
    done: RunStats,
    /// Bytes of batches and acknowledgements on the wire, all peers together.
    wire: WireCount,
    /// `RALLY_NET_DEBUG` set: what happens to each peer's session goes to stderr.
    trace: bool,
    /// `RALLY_NET_DEBUG=2`: every batch sent, taken and answered too.
    trace_batches: bool,
}

impl<R: NodeStore> std::fmt::Debug for Node<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Node")
            .field("peer_id", self.swarm.local_peer_id())
            .field("links", &self.links.len())
            .finish()
    }
}

fn with_peer_id(addr: &Multiaddr, peer: PeerId) -> Multiaddr {
    if addr.iter().any(|p| matches!(p, Protocol::P2p(_))) {
        addr.clone()
    } else {
        addr.clone().with(Protocol::P2p(peer))
    }
}

/// The peer an address leads to: its last `/p2p/…` (a relayed address names the
/// relay first).
fn peer_of(addr: &Multiaddr) -> Option<PeerId> {
    addr.iter()
        .filter_map(|p| match p {
            Protocol::P2p(id) => Some(id),
            _ => None,
        })
        .last()
}

impl<R: NodeStore> Node<R> {
    /// Builds a node for `repo`'s persona.
    pub fn new(repo: R, transport: Transport) -> Result<Node<R>, NetError> {
        let epoch = repo.epoch().map_err(store_error)?;
        let setup = |e: &dyn std::fmt::Display| NetError::Setup(e.to_string());
        let key = transport
            .identity
            .clone()
            .unwrap_or_else(identity::Keypair::generate_ed25519);
        let limits = transport.limits;
        let wire = WireCount::default();
        let swarm = libp2p::SwarmBuilder::with_existing_identity(key)
            .with_tokio()
            .with_tcp(
                tcp::Config::default().nodelay(true),
                noise::Config::new,
                yamux::Config::default,
            )
            .map_err(|e| setup(&e))?
            .with_quic()
            .with_relay_client(noise::Config::new, yamux::Config::default)
            .map_err(|e| setup(&e))?
            .with_behaviour(|key, relay_client| {
                let peer_id = key.public().to_peer_id();
                let mdns_config = mdns::Config {
                    query_interval: Duration::from_secs(5),
                    ..mdns::Config::default()
                };
                let mdns = if transport.mdns {
                    Some(mdns::tokio::Behaviour::new(mdns_config, peer_id)?)
                } else {
                    None
                };
                let relay = transport.relay_server.then(|| {
                    let mut relay = relay::Behaviour::new(
                        peer_id,
                        relay::Config {
                            max_circuit_duration: Duration::from_secs(30 * 60),
                            max_circuit_bytes: 64 * 1024 * 1024,
                            ..relay::Config::default()
                        },
                    );
                    relay.set_status(Some(relay::Status::Enable));
                    relay
                });
                let connection_limits = connection_limits::ConnectionLimits::default()
                    .with_max_established_per_peer(Some(limits.max_connections_per_peer))
                    .with_max_established(Some(limits.max_connections))
                    .with_max_pending_incoming(Some(limits.max_connections.min(512)));
                Ok(Behaviour {
                    limits: connection_limits::Behaviour::new(connection_limits),
                    sync: request_response::Behaviour::with_codec(
                        FrameCodec {
                            limit: limits.max_frame,
                            wire: wire.clone(),
                        },
                        [
                            (SYNC_PROTOCOL, ProtocolSupport::Full),
                            (PLAIN_SYNC_PROTOCOL, ProtocolSupport::Full),
                        ],
                        request_response::Config::default()
                            .with_request_timeout(Duration::from_secs(120))
                            .with_max_concurrent_streams(codec::MAX_STREAMS),
                    ),
                    mdns: Toggle::from(mdns),
                    identify: identify::Behaviour::new(
                        identify::Config::new("/rally/1".into(), key.public()).with_agent_version(
                            match &transport.public_url {
                                Some(url) => {
                                    format!("{SERVER_AGENT}{} {url}", env!("CARGO_PKG_VERSION"))
                                }
                                None => format!("rally/{}", env!("CARGO_PKG_VERSION")),
                            },
                        ),
                    ),
                    ping: ping::Behaviour::default(),
                    dcutr: Toggle::from(
                        (!transport.relay_server).then(|| dcutr::Behaviour::new(peer_id)),
                    ),
                    relay: Toggle::from(relay),
                    relay_client,
                })
            })
            .map_err(|e| setup(&e))?
            .with_swarm_config(|c| c.with_idle_connection_timeout(Duration::from_secs(600)))
            .build();
        Ok(Node {
            swarm,
            repo,
            epoch,
            limits,
            links: HashMap::new(),
            allowances: HashMap::new(),
            banned: HashSet::new(),
            redial: Redial::new(0),
            relay_guard: RelayGuard::new(
                transport.limits.relay_auth_grace_ms,
                transport.limits.relay_per_address,
            ),
            peer_ips: HashMap::new(),
            fatal: None,
            announce_pending: false,
            last_announce_all: Instant::now(),
            discovered: HashMap::new(),
            servers: HashSet::new(),
            server_addrs: HashMap::new(),
            relay_listeners: HashMap::new(),
            invite: None,
            started: Instant::now(),
            done: RunStats::default(),
            wire,
            trace: std::env::var_os("RALLY_NET_DEBUG").is_some(),
            trace_batches: std::env::var_os("RALLY_NET_DEBUG").is_some_and(|v| v == "2"),
        })
    }

    pub fn peer_id(&self) -> PeerId {
        *self.swarm.local_peer_id()
    }

    pub fn repo(&self) -> &R {
        &self.repo
    }

    pub fn repo_mut(&mut self) -> &mut R {
        &mut self.repo
    }

    pub fn into_repo(self) -> R {
        self.repo
    }

    /// Ends a run cleanly (after [`Node::run`] returned or was cancelled, which
    /// it may be at any await: a received batch is stored whole or not at all):
    /// writes what is kept in memory and returns the totals.
    pub fn finish(&mut self) -> Result<RunStats, NetError> {
        self.repo.flush().map_err(store_error)?;
        Ok(self.stats())
    }

    fn now_ms(&self) -> u64 {
        self.started.elapsed().as_millis() as u64
    }

    /// Totals over the sessions so far (closed ones included).
    pub fn stats(&self) -> RunStats {
        let mut s = self.done;
        s.bytes_sent = self.wire.sent();
        s.bytes_received = self.wire.received();
        for link in self.links.values() {
            let st = link.session.stats();
            s.changes_received += st.changes_received;
            s.changes_sent += st.changes_sent;
        }
        s
    }

    fn debug(&self, peer: &PeerId, what: impl FnOnce() -> String) {
        if self.trace {
            let me = self.peer_id().to_string();
            eprintln!(
                "net {:.3} {}>{peer}: {}",
                self.started.elapsed().as_secs_f64(),
                &me[me.len().saturating_sub(6)..],
                what()
            );
        }
    }

    /// What a batch holds, message by message (for [`Node::debug`]).
    fn kinds(frames: &[Vec<u8>]) -> String {
        let mut out: Vec<String> = Vec::new();
        for f in frames {
            let kind = match Message::decode(f) {
                Ok(Message::Changes { changes, last, .. }) => {
                    format!(
                        "Changes({}{})",
                        changes.len(),
                        if last { ",last" } else { "" }
                    )
                }
                Ok(Message::Heads { docs, ack, .. }) => {
                    format!("Heads({}{})", docs.len(), if ack { ",ack" } else { "" })
                }
                Ok(m) => {
                    let d = format!("{m:?}");
                    d.split([' ', '(', '{'])
                        .next()
                        .unwrap_or_default()
                        .to_owned()
                }
                Err(e) => format!("undecodable({e})"),
            };
            match out.last_mut() {
                Some(last) if last.starts_with(&kind) && kind.starts_with("Want") => {
                    last.push('+');
                }
                _ => out.push(kind),
            }
        }
        out.join(" ")
    }

    fn close_link(&mut self, peer: &PeerId) {
        self.debug(peer, || "session closed".into());
        if let Some(link) = self.links.remove(peer) {
            let st = link.session.stats();
            self.done.changes_received += st.changes_received;
            self.done.changes_sent += st.changes_sent;
        }
    }

    fn flush(&mut self, peer: &PeerId) {
        let Some(link) = self.links.get_mut(peer) else {
            return;
        };
        let Some(out) = link.next_batch(self.limits.max_frame.bytes()) else {
            return;
        };
        let establishing = out.establishing;
        let batch = Batch {
            session: out.session,
            answers: out.answers,
            frames: out.frames,
        };
        if self.trace_batches {
            self.debug(peer, || format!("sends {}", Self::kinds(&batch.frames)));
        }
        let request = self.swarm.behaviour_mut().sync.send_request(peer, batch);
        if let Some(link) = self.links.get_mut(peer) {
            link.sending(request, establishing);
        }
    }

    fn drop_peer(
        &mut self,
        peer: PeerId,
        error: &SessionError,
        events: &mut impl FnMut(NodeEvent),
    ) {
        self.debug(&peer, || format!("dropped: {error}"));
        if let SessionError::Refused(reason) = error {
            events(NodeEvent::RefusedBy {
                peer,
                reason: reason.clone(),
            });
            let now = self.now_ms();
            self.redial.refused(peer, now);
            if self.servers.contains(&peer) || self.fatal.is_none() {
                self.fatal = Some(NetError::Refused {
                    peer,
                    reason: reason.clone(),
                });
            }
        } else {
            events(NodeEvent::PeerDropped {
                peer,
                reason: error.to_string(),
            });
        }
        self.close_link(&peer);
        self.allowances.remove(&peer);
        if error.is_misbehaviour() {
            self.banned.insert(peer);
        }
        let _ = self.swarm.disconnect_peer_id(peer);
    }

    /// Tells every session that local documents changed.
    fn announce_all(&mut self, events: &mut impl FnMut(NodeEvent)) {
        self.last_announce_all = Instant::now();
        self.announce_pending = false;
        let now = self.now_ms();
        let peers: Vec<PeerId> = self.links.keys().copied().collect();
        // Every peer's announcement in one transaction: the reads and the sync
        // positions they record would otherwise each be a transaction of their
        // own, with its locks, once per peer per round.
        let batch = self.repo.begin_batch().is_ok();
        for peer in peers {
            let Some(link) = self.links.get_mut(&peer) else {
                continue;
            };
            match link.session.local_changed(&mut self.repo, now) {
                Ok(out) => link.queue(out),
                Err(e) => {
                    self.drop_peer(peer, &e, events);
                    continue;
                }
            }
            self.flush(&peer);
        }
        if batch {
            self.end_batch();
        }
    }

    /// Commits a batch opened for bookkeeping (what peers were told and have).
    /// If that fails, it is rolled back: it held no received change, and what
    /// it would have recorded is only told again (a store that cannot commit
    /// fails the next received batch, which drops its peer).
    fn end_batch(&mut self) {
        if self.repo.commit_batch().is_err() {
            self.repo.abort_batch();
        }
    }

    fn on_frames(&mut self, peer: PeerId, batch: Batch, events: &mut impl FnMut(NodeEvent)) {
        let Batch {
            session: tag,
            answers,
            frames,
        } = batch;
        if self.trace_batches {
            self.debug(&peer, || format!("takes {}", Self::kinds(&frames)));
        }
        let before = self.repo.version();
        let opens_session = frames
            .first()
            .is_some_and(|f| matches!(Message::decode(f), Ok(Message::Hello { .. })));
        // A new peer session that answers one of this side's sessions that is
        // gone: only its Hello counts (see `Link::answers_a_former_session`).
        let hello_only = opens_session
            && self
                .links
                .get(&peer)
                .map_or(answers != 0, |l| l.answers_a_former_session(answers));
        if opens_session {
            // The peer (re)started its session. If it did so in answer to this
            // side's session (it took in its Hello), this side takes the new peer
            // session in, keeping its own Hello; otherwise this side starts over
            // too, unless its session has heard nothing from the peer yet. (Both
            // starting over on each other's Hello would never end.)
            match self
                .links
                .get(&peer)
                .map(|l| l.classify(tag, answers, true))
            {
                Some(Incoming::Renew) => {
                    self.debug(&peer, || format!("session {tag:x} answers ours: renewed"));
                    if let Some(l) = self.links.get_mut(&peer) {
                        l.renew();
                    }
                }
                Some(Incoming::Restart) => self.close_link(&peer),
                _ => {}
            }
            self.start_session(peer);
            if let Some(link) = self.links.get_mut(&peer) {
                link.peer_session(tag);
            }
        } else if self
            .links
            .get(&peer)
            .map(|l| l.classify(tag, answers, false))
            != Some(Incoming::Take)
        {
            // Frames of a session the peer has since started over, or of one this
            // side dropped, or addressed to this side's session before it was
            // renewed or restarted: whatever mattered in them comes again.
            self.debug(&peer, || {
                format!(
                    "a batch of {} frames of session {tag:x} for {answers:x} dropped (expecting {:x?} for {:x?})",
                    frames.len(),
                    self.links.get(&peer).and_then(|l| l.peer_tag()),
                    self.links.get(&peer).map(|l| l.tag())
                )
            });
            return;
        }
        let was_authenticated = self
            .links
            .get(&peer)
            .is_some_and(|l| l.session.peer().is_some());
        let now = self.now_ms();
        // One transaction for the whole batch; answers go out only after it commits.
        if let Err(e) = self.repo.begin_batch() {
            self.drop_peer(peer, &SessionError::Repo(Box::new(e)), events);
            return;
        }
        let mut refused = None;
        let take = if hello_only { 1 } else { frames.len() };
        // Every signature the batch carries, checked together over the cores
        // before its messages are handled one at a time.
        if let Some(link) = self.links.get(&peer) {
            let changes = link.session.changes_in(&frames[..take]);
            if changes.len() > 1 {
                self.repo.prefetch(changes);
            }
        }
        for frame in frames.into_iter().take(take) {
            let Some(link) = self.links.get_mut(&peer) else {
                break;
            };
            match link.session.handle(&mut self.repo, &frame, now) {
                Ok(out) => {
                    link.queue(out);
                    if let Some(reason) = link.session.refused() {
                        if !link.is_closing() {
                            refused = Some(reason.to_owned());
                        }
                        link.close_after_sending();
                        break;
                    }
                }
                Err(e) => {
                    // The repo voided the offending changes; what came before them in
                    // the batch was acceptable on its own and stays.
                    let _ = self.repo.commit_batch();
                    self.drop_peer(peer, &e, events);
                    return;
                }
            }
        }
        if let Err(e) = self.repo.commit_batch() {
            self.repo.abort_batch();
            self.drop_peer(peer, &SessionError::Repo(Box::new(e)), events);
            return;
        }
        if let Some(reason) = refused {
            let persona = self
                .links
                .get(&peer)
                .and_then(|l| l.session.refused_peer())
                .map(|p| p.to_hex())
                .unwrap_or_default();
            events(NodeEvent::Refused {
                peer,
                persona,
                reason,
            });
        }
        if let Some(link) = self.links.get(&peer)
            && !was_authenticated
            && let Some(persona) = link.session.peer()
        {
            self.debug(&peer, || format!("authenticated as {}", persona.to_hex()));
            events(NodeEvent::PeerAuthenticated {
                peer,
                persona: persona.to_hex(),
            });
        }
        self.flush(&peer);
        if self.repo.version() != before {
            // Under load (many peers pushing at once) announcements are gathered:
            // one per peer per interval rather than one per received batch.
            if self.last_announce_all.elapsed() >= ANNOUNCE_INTERVAL {
                self.announce_all(events);
            } else {
                self.announce_pending = true;
            }
        }
    }

    fn start_session(&mut self, peer: PeerId) {
        if self.links.contains_key(&peer) {
            return;
        }
        let persona = self.repo.identity().clone();
        let (mut session, hello) = Session::new(
            persona,
            self.epoch,
            self.peer_id().to_bytes(),
            peer.to_bytes(),
        );
        // Connections deliver in order or fail (and the session starts over), so
        // repeats are only for long silences.
        session.set_retry_after(RETRY_AFTER.as_millis() as u64);
        session.set_frame_limit(self.limits.max_frame);
        if self.servers.contains(&peer) {
            session.set_routes_to_peer(true);
            if let Some(code) = &self.invite {
                session.set_invite(code.clone());
            }
        }
        // Never 0, which means "none" on the wire.
        let tag = u64::from_le_bytes(rally_core::ids::random_bytes()) | 1;
        self.debug(&peer, || format!("session {tag:x} started"));
        let now = self.now_ms();
        self.links.insert(peer, Link::new(session, hello, tag, now));
        self.flush(&peer);
    }

    /// Sessions whose Hello the peer never answered (it was lost with a
    /// connection's state, or the peer took it for a stale one) start over.
    fn restart_unanswered(&mut self) {
        let now = self.now_ms();
        let stuck: Vec<PeerId> = self
            .links
            .iter()
            .filter(|(_, l)| l.hello_unanswered(now, HELLO_TIMEOUT.as_millis() as u64))
            .map(|(p, _)| *p)
            .collect();
        for peer in stuck {
            if self.swarm.is_connected(&peer) {
                self.debug(&peer, || "no answer to our Hello: starting over".into());
                self.close_link(&peer);
                self.start_session(peer);
            }
        }
    }

    fn progress(&self) -> NodeEvent {
        let mut docs_wanted = 0;
        for l in self.links.values() {
            docs_wanted += l.session.stats().docs_wanted;
        }
        let s = self.stats();
        NodeEvent::Progress {
            docs_wanted,
            bytes_received: s.bytes_received,
            changes_received: s.changes_received,
            peers: self.links.len(),
        }
    }

    fn all_synced(&self, expected: &[PeerId]) -> bool {
        !self.links.is_empty()
            && self
                .links
                .values()
                .filter(|l| !l.is_closing())
                .all(|l| l.session.is_synced() && l.waiting() == 0 && l.in_flight().is_none())
            && expected
                .iter()
                .all(|p| self.links.get(p).is_some_and(|l| l.session.is_synced()))
    }

    /// Runs until interrupted (or, with `once`, until in sync). The future may be
    /// dropped at any await; call [`Node::finish`] afterwards.
    pub async fn run(
        &mut self,
        config: &NodeConfig,
        mut events: impl FnMut(NodeEvent),
    ) -> Result<RunStats, NetError> {
        for addr in &config.listen {
            self.swarm
                .listen_on(addr.clone())
                .map_err(|e| NetError::Listen {
                    addr: addr.clone(),
                    reason: e.to_string(),
                })?;
        }
        self.servers = config.servers.iter().filter_map(peer_of).collect();
        self.invite = config.invite.clone();
        let dialled: Vec<Multiaddr> = config
            .peers
            .iter()
            .chain(&config.servers)
            .cloned()
            .collect();
        let expected: Vec<PeerId> = dialled.iter().filter_map(peer_of).collect();
        for addr in &dialled {
            self.dial(addr);
        }
        self.server_addrs = config
            .servers
            .iter()
            .filter_map(|a| Some((peer_of(a)?, a.clone())))
            .collect();
        let mut tick = tokio::time::interval(TICK);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut cursor = self.repo.change_cursor().map_err(store_error)?;
        let mut synced = false;
        let mut last_progress = Instant::now();
        loop {
            tokio::select! {
                event = self.swarm.select_next_some() => {
                    self.on_swarm_event(event, &mut events);
                    if config.once && let Some(e) = self.fatal.take() {
                        return Err(e);
                    }
                    if config.once && self.all_synced(&expected) {
                        self.repo.flush().map_err(store_error)?;
                        events(NodeEvent::Synced { peers: self.links.len() });
                        return Ok(self.stats());
                    }
                }
                _ = tick.tick() => {
                    let now = self.now_ms();
                    self.guard_relay(now);
                    self.drain_allowances(&mut events);
                    self.restart_unanswered();
                    let peers: Vec<PeerId> = self.links.keys().copied().collect();
                    // The peers' timers (which may announce again) in one
                    // transaction, as `announce_all`.
                    let batch = !peers.is_empty() && self.repo.begin_batch().is_ok();
                    for peer in peers {
                        let Some(link) = self.links.get_mut(&peer) else { continue };
                        if link.is_closing() {
                            continue;
                        }
                        match link.session.tick(&mut self.repo, now) {
                            Ok(out) => link.queue(out),
                            Err(e) => { self.drop_peer(peer, &e, &mut events); continue; }
                        }
                        self.flush(&peer);
                    }
                    if batch {
                        self.end_batch();
                    }
                    // Outside any transaction: it also sweeps what expired, and
                    // empties the write-ahead log after (see `SyncRepo::flush`).
                    self.repo.flush().map_err(store_error)?;
                    let now_cursor = self.repo.change_cursor().map_err(store_error)?;
                    if now_cursor != cursor || self.announce_pending {
                        cursor = now_cursor;
                        self.announce_all(&mut events);
                    }
                    if self.redial.round_due(now) {
                        let lan: Vec<Multiaddr> = self.discovered.values().cloned().collect();
                        for addr in dialled.iter().chain(&lan) {
                            let peer = peer_of(addr);
                            let connected = peer.is_some_and(|p| self.swarm.is_connected(&p));
                            if self.redial.should_dial(peer.as_ref(), connected, now) {
                                self.dial(addr);
                            }
                        }
                    }
                    if last_progress.elapsed() >= Duration::from_millis(500) {
                        last_progress = Instant::now();
                        events(self.progress());
                    }
                    if self.all_synced(&expected) {
                        if !synced {
                            events(NodeEvent::Synced { peers: self.links.len() });
                        }
                        synced = true;
                    } else {
                        synced = false;
                    }
                    if config.once && let Some(limit) = config.timeout && self.started.elapsed() > limit {
                        let state = format!("{} peers connected, {} in sync", self.links.len(), self.links.values().filter(|l| l.session.is_synced()).count());
                        return Err(NetError::Timeout(limit, state));
                    }
                }
            }
        }
    }

    /// A batch arrived: handled now if the peer is within its allowance,
    /// otherwise queued (and answered when handled, which slows the peer down).
    fn on_request(
        &mut self,
        peer: PeerId,
        frames: Batch,
        channel: ResponseChannel<()>,
        events: &mut impl FnMut(NodeEvent),
    ) {
        if self.banned.contains(&peer) {
            return;
        }
        let budget = self.budget();
        let now = self.now_ms();
        let bytes = frames.frames.iter().map(Vec::len).sum();
        let allowance = self
            .allowances
            .entry(peer)
            .or_insert_with(|| Allowance::new(&budget, now));
        // Answers to the peer pile up unsent: its batch waits until they are out
        // (and, unanswered, keeps the peer from sending more).
        let backed_up = self.links.get(&peer).is_some_and(Link::backed_up);
        let offer = if backed_up {
            allowance.hold((frames, channel), bytes, &budget)
        } else {
            allowance.offer((frames, channel), bytes, &budget)
        };
        match offer {
            Offer::Now((frames, channel)) => {
                let _ = self.swarm.behaviour_mut().sync.send_response(channel, ());
                self.on_frames(peer, frames, events);
            }
            Offer::TooMany(_) => self.drop_peer(
                peer,
                &SessionError::Malformed("too many batches in flight".into()),
                events,
            ),
            Offer::Waits => self.debug(&peer, || format!("holds a batch (backed up: {backed_up})")),
        }
    }

    /// Tells the relay guard which peers authenticated, and disconnects those
    /// that hold a reservation without having done so in time.
    fn guard_relay(&mut self, now: u64) {
        if self.relay_guard.held() == 0 {
            return;
        }
        for (peer, link) in &self.links {
            if link.session.peer().is_some() {
                self.relay_guard.authenticated(peer);
            }
        }
        for peer in self.relay_guard.to_drop(now) {
            self.debug(&peer, || "held a relay reservation without syncing".into());
            let _ = self.swarm.disconnect_peer_id(peer);
        }
    }

    fn budget(&self) -> Budget {
        Budget {
            bytes_per_sec: self.limits.bytes_per_sec as f64,
            burst_bytes: self.limits.burst_bytes as f64,
            max_queued: self.limits.max_queued,
        }
    }

    /// Refills every peer's allowance and handles the batches it now covers.
    fn drain_allowances(&mut self, events: &mut impl FnMut(NodeEvent)) {
        let budget = self.budget();
        let now = self.now_ms();
        let peers: Vec<PeerId> = self.allowances.keys().copied().collect();
        for peer in peers {
            while !self.links.get(&peer).is_some_and(Link::backed_up)
                && let Some((frames, channel)) = self
                    .allowances
                    .get_mut(&peer)
                    .and_then(|a| a.next_ready(&budget, now))
            {
                let _ = self.swarm.behaviour_mut().sync.send_response(channel, ());
                self.on_frames(peer, frames, events);
            }
        }
        self.allowances
            .retain(|p, a| !a.is_idle() || self.links.contains_key(p));
    }

    /// Dials `addr` unless its peer is connected or being dialled already (a
    /// second connection to one peer only churns).
    fn dial(&mut self, addr: &Multiaddr) {
        let opts = match peer_of(addr) {
            Some(peer) => libp2p::swarm::dial_opts::DialOpts::peer_id(peer)
                .addresses(vec![addr.clone()])
                .condition(libp2p::swarm::dial_opts::PeerCondition::DisconnectedAndNotDialing)
                .build(),
            None => libp2p::swarm::dial_opts::DialOpts::unknown_peer_id()
                .address(addr.clone())
                .build(),
        };
        let _ = self.swarm.dial(opts);
    }

    /// Once connected to a server, asks it for a relayed address, so peers that
    /// cannot reach this node directly can through the server (a server that does
    /// not relay refuses, and the listener closes).
    fn listen_through(&mut self, server: PeerId) {
        let Some(addr) = self.server_addrs.get(&server) else {
            return;
        };
        if self.relay_listeners.values().any(|p| *p == server) {
            return;
        }
        if let Ok(id) = self
            .swarm
            .listen_on(addr.clone().with(Protocol::P2pCircuit))
        {
            self.relay_listeners.insert(id, server);
        }
    }

    /// The last batch to a peer arrived (or was lost): closes a refused peer's
    /// connection, sends what is waiting otherwise.
    fn after_delivery(&mut self, peer: PeerId, request: OutboundRequestId) {
        let Some(link) = self.links.get_mut(&peer) else {
            return;
        };
        let next = link.delivered(request);
        self.after(peer, next);
    }

    fn after(&mut self, peer: PeerId, next: Delivered) {
        match next {
            Delivered::Stale => {}
            Delivered::Close => {
                self.close_link(&peer);
                self.allowances.remove(&peer);
                let _ = self.swarm.disconnect_peer_id(peer);
            }
            Delivered::Next => self.flush(&peer),
        }
    }

    fn on_swarm_event(
        &mut self,
        event: SwarmEvent<BehaviourEvent>,
        events: &mut impl FnMut(NodeEvent),
    ) {
        match event {
            SwarmEvent::NewListenAddr { address, .. } => {
                let peer = self.peer_id();
                if address.iter().any(|p| matches!(p, Protocol::P2pCircuit)) {
                    events(NodeEvent::Relayed(with_peer_id(&address, peer)));
                } else {
                    if self.swarm.behaviour().relay.is_enabled() {
                        // A server is reachable where it listens: peers that reserve a
                        // relayed address through it are told these addresses.
                        self.swarm.add_external_address(address.clone());
                    }
                    events(NodeEvent::Listening(with_peer_id(&address, peer)));
                }
            }
            SwarmEvent::ConnectionEstablished {
                peer_id,
                num_established,
                endpoint,
                ..
            } => {
                self.debug(&peer_id, || format!("connected ({num_established})"));
                if let Some(ip) = ip_of(endpoint.get_remote_address()) {
                    self.peer_ips.insert(peer_id, ip);
                }
                if self.banned.contains(&peer_id) {
                    let _ = self.swarm.disconnect_peer_id(peer_id);
                } else if !self.redial.backing_off(&peer_id, self.now_ms()) {
                    self.start_session(peer_id);
                    self.listen_through(peer_id);
                }
            }
            SwarmEvent::ListenerClosed { listener_id, .. } => {
                self.relay_listeners.remove(&listener_id);
            }
            SwarmEvent::ConnectionClosed {
                peer_id,
                num_established: 0,
                cause,
                ..
            } => {
                self.debug(&peer_id, || format!("disconnected: {cause:?}"));
                self.close_link(&peer_id);
                self.allowances.remove(&peer_id);
                self.relay_guard.closed(&peer_id);
                self.peer_ips.remove(&peer_id);
            }
            SwarmEvent::Behaviour(BehaviourEvent::Relay(
                relay::Event::ReservationReqAccepted { src_peer_id, .. },
            )) => {
                let (ip, now) = (self.peer_ips.get(&src_peer_id).copied(), self.now_ms());
                if !self.relay_guard.reserved(src_peer_id, ip, now) {
                    self.debug(&src_peer_id, || {
                        "too many reservations from its address".into()
                    });
                    let _ = self.swarm.disconnect_peer_id(src_peer_id);
                }
            }
            SwarmEvent::Behaviour(BehaviourEvent::Mdns(mdns::Event::Discovered(found))) => {
                for (peer, addr) in found {
                    if peer != self.peer_id() && !self.banned.contains(&peer) {
                        let addr = with_peer_id(&addr, peer);
                        if !self.swarm.is_connected(&peer) {
                            self.dial(&addr);
                        }
                        self.discovered.insert(peer, addr);
                    }
                }
            }
            SwarmEvent::Behaviour(BehaviourEvent::Identify(identify::Event::Received {
                peer_id,
                info,
                ..
            })) => {
                self.debug(&peer_id, || format!("identify: {}", info.agent_version));
                if self.servers.contains(&peer_id) {
                    let url = info
                        .agent_version
                        .strip_prefix(SERVER_AGENT)
                        .and_then(|rest| rest.split_once(' '))
                        .map(|(_, url)| url.trim().to_owned())
                        .filter(|u| u.starts_with("https://") || u.starts_with("http://"));
                    if let Some(url) = url {
                        events(NodeEvent::ServerUrl { peer: peer_id, url });
                    }
                }
            }
            SwarmEvent::Behaviour(BehaviourEvent::Mdns(mdns::Event::Expired(gone))) => {
                for (peer, addr) in gone {
                    if self.discovered.get(&peer) == Some(&with_peer_id(&addr, peer)) {
                        self.discovered.remove(&peer);
                    }
                }
            }
            SwarmEvent::Behaviour(BehaviourEvent::Sync(request_response::Event::Message {
                peer,
                message,
                ..
            })) => match message {
                request_response::Message::Request {
                    request, channel, ..
                } => self.on_request(peer, request, channel, events),
                request_response::Message::Response { request_id, .. } => {
                    if self.trace_batches {
                        self.debug(&peer, || format!("batch {request_id} answered"));
                    }
                    self.after_delivery(peer, request_id)
                }
            },
            SwarmEvent::Behaviour(BehaviourEvent::Sync(
                request_response::Event::OutboundFailure {
                    peer,
                    request_id,
                    error,
                    ..
                },
            )) => {
                self.debug(&peer, || format!("batch {request_id} failed: {error}"));
                let connected = self.swarm.is_connected(&peer);
                let Some(link) = self.links.get_mut(&peer) else {
                    return;
                };
                match link.failed(request_id, connected) {
                    // A batch of a session already replaced.
                    Failed::Stale => return,
                    // Late or lost, the session goes on (see `Link::failed`).
                    Failed::GoOn(next) => return self.after(peer, next),
                    Failed::StartOver => {}
                }
                // A Hello or Auth may be lost, which the session cannot repeat: start
                // over on this connection with a new session.
                self.close_link(&peer);
                if self.swarm.is_connected(&peer) {
                    self.start_session(peer);
                }
            }
            other => {
                if self.trace {
                    eprintln!("net {:.3}: {other:?}", self.started.elapsed().as_secs_f64());
                }
            }
        }
    }
}

/// Completes on Ctrl-C or SIGTERM: how the `rally sync` and `rally-server`
/// processes are asked to stop (then [`Node::finish`]).
///
/// The SIGTERM handler is installed when this is called (within a Tokio
/// runtime), not when first polled, so a process that printed its addresses has
/// it: call it before the node starts.
pub fn shutdown_signal() -> impl std::future::Future<Output = ()> {
    #[cfg(unix)]
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .expect("a SIGTERM handler");
    async move {
        #[cfg(unix)]
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
        #[cfg(not(unix))]
        let _ = tokio::signal::ctrl_c().await;
    }
}

#[cfg(test)]
mod tests;

/// The IP address a multiaddr starts with, if any.
fn ip_of(addr: &Multiaddr) -> Option<std::net::IpAddr> {
    addr.iter().find_map(|p| match p {
        libp2p::multiaddr::Protocol::Ip4(ip) => Some(ip.into()),
        libp2p::multiaddr::Protocol::Ip6(ip) => Some(ip.into()),
        _ => None,
    })
}
