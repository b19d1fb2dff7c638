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
//!   request-response exchanges (`/rally/sync/1`), at most one batch in flight per
//!   peer, which keeps them in order;
//! - the node owns the persona's [`SyncRepo`] (the SQLite store) and runs in one
//!   task: a frame is handled, its effects stored, and the answers queued before
//!   the next event, so the store is used from one place;
//! - every tick it lets sessions repeat what went unanswered, watches the store's
//!   change cursor so edits made by other processes on the same data directory are
//!   announced, and redials the peers it was told about.

mod codec;

use std::collections::{HashMap, HashSet, VecDeque};
use std::time::{Duration, Instant};

use futures::StreamExt;
use libp2p::request_response::{self, ProtocolSupport};
use libp2p::swarm::behaviour::toggle::Toggle;
use libp2p::swarm::{NetworkBehaviour, SwarmEvent};
use libp2p::{
    Multiaddr, PeerId, StreamProtocol, Swarm, identify, identity, mdns, multiaddr::Protocol, noise,
    ping, tcp, yamux,
};
use rally_core::protocol::{MAX_MESSAGE, Message, Session, SessionError};
use rally_store::{StoreError, SyncRepo};

pub use libp2p::Multiaddr as Address;

use codec::FrameCodec;

const PROTOCOL: StreamProtocol = StreamProtocol::new("/rally/sync/1");
const TICK: Duration = Duration::from_millis(200);
const REDIAL: Duration = Duration::from_secs(2);
const RETRY_AFTER: Duration = Duration::from_secs(30);
/// A batch of frames carried by one request.
const MAX_BATCH: usize = MAX_MESSAGE;

#[derive(Debug, thiserror::Error)]
pub enum NetError {
    #[error("cannot set up the network: {0}")]
    Setup(String),
    #[error("cannot listen on {addr}: {reason}")]
    Listen { addr: Multiaddr, reason: String },
    #[error("the local store failed: {0}")]
    Store(#[from] StoreError),
    #[error("not in sync after {0:?}: {1}")]
    Timeout(Duration, String),
}

/// What a node does.
#[derive(Debug, Clone, Default)]
pub struct NodeConfig {
    pub listen: Vec<Multiaddr>,
    pub peers: Vec<Multiaddr>,
    pub mdns: bool,
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
    /// Documents being fetched and bytes received so far, over all peers.
    Progress {
        docs_wanted: usize,
        bytes_received: u64,
        changes_received: u64,
    },
    /// Every connected peer is in sync.
    Synced { peers: usize },
}

/// Totals of a run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RunStats {
    pub bytes_sent: u64,
    pub bytes_received: u64,
    pub changes_received: u64,
    pub changes_sent: u64,
}

#[derive(NetworkBehaviour)]
struct Behaviour {
    sync: request_response::Behaviour<FrameCodec>,
    mdns: Toggle<mdns::tokio::Behaviour>,
    identify: identify::Behaviour,
    ping: ping::Behaviour,
}

struct Link {
    session: Session,
    outbox: VecDeque<Vec<u8>>,
    in_flight: bool,
}

/// A sync node for one persona.
pub struct Node {
    swarm: Swarm<Behaviour>,
    repo: SyncRepo,
    epoch: [u8; 16],
    links: HashMap<PeerId, Link>,
    banned: HashSet<PeerId>,
    /// Peers found on the local network, redialled while they are not connected.
    discovered: HashMap<PeerId, Multiaddr>,
    started: Instant,
    done: RunStats,
}

impl std::fmt::Debug for Node {
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

fn peer_of(addr: &Multiaddr) -> Option<PeerId> {
    addr.iter().find_map(|p| match p {
        Protocol::P2p(id) => Some(id),
        _ => None,
    })
}

impl Node {
    /// Builds a node with a fresh transport identity for `repo`'s persona.
    pub fn new(repo: SyncRepo, mdns_enabled: bool) -> Result<Node, NetError> {
        let epoch = repo.store().epoch()?;
        let setup = |e: &dyn std::fmt::Display| NetError::Setup(e.to_string());
        let swarm =
            libp2p::SwarmBuilder::with_existing_identity(identity::Keypair::generate_ed25519())
                .with_tokio()
                .with_tcp(
                    tcp::Config::default().nodelay(true),
                    noise::Config::new,
                    yamux::Config::default,
                )
                .map_err(|e| setup(&e))?
                .with_quic()
                .with_behaviour(|key| {
                    let peer_id = key.public().to_peer_id();
                    let mdns_config = mdns::Config {
                        query_interval: Duration::from_secs(5),
                        ..mdns::Config::default()
                    };
                    let mdns = if mdns_enabled {
                        Some(mdns::tokio::Behaviour::new(mdns_config, peer_id)?)
                    } else {
                        None
                    };
                    Ok(Behaviour {
                        sync: request_response::Behaviour::with_codec(
                            FrameCodec,
                            [(PROTOCOL, ProtocolSupport::Full)],
                            request_response::Config::default()
                                .with_request_timeout(Duration::from_secs(120)),
                        ),
                        mdns: Toggle::from(mdns),
                        identify: identify::Behaviour::new(identify::Config::new(
                            "/rally/1".into(),
                            key.public(),
                        )),
                        ping: ping::Behaviour::default(),
                    })
                })
                .map_err(|e| setup(&e))?
                .with_swarm_config(|c| c.with_idle_connection_timeout(Duration::from_secs(600)))
                .build();
        Ok(Node {
            swarm,
            repo,
            epoch,
            links: HashMap::new(),
            banned: HashSet::new(),
            discovered: HashMap::new(),
            started: Instant::now(),
            done: RunStats::default(),
        })
    }

    pub fn peer_id(&self) -> PeerId {
        *self.swarm.local_peer_id()
    }

    pub fn repo(&self) -> &SyncRepo {
        &self.repo
    }

    pub fn into_repo(self) -> SyncRepo {
        self.repo
    }

    fn now_ms(&self) -> u64 {
        self.started.elapsed().as_millis() as u64
    }

    /// Totals over the sessions so far (closed ones included).
    pub fn stats(&self) -> RunStats {
        let mut s = self.done;
        for link in self.links.values() {
            let st = link.session.stats();
            s.bytes_sent += st.bytes_sent;
            s.bytes_received += st.bytes_received;
            s.changes_received += st.changes_received;
            s.changes_sent += st.changes_sent;
        }
        s
    }

    fn close_link(&mut self, peer: &PeerId) {
        if let Some(link) = self.links.remove(peer) {
            let st = link.session.stats();
            self.done.bytes_sent += st.bytes_sent;
            self.done.bytes_received += st.bytes_received;
            self.done.changes_received += st.changes_received;
            self.done.changes_sent += st.changes_sent;
        }
    }

    fn flush(&mut self, peer: &PeerId) {
        let Some(link) = self.links.get_mut(peer) else {
            return;
        };
        if link.in_flight || link.outbox.is_empty() {
            return;
        }
        let mut batch = Vec::new();
        let mut size = 0;
        while let Some(frame) = link.outbox.front() {
            if !batch.is_empty() && size + frame.len() + 4 > MAX_BATCH {
                break;
            }
            size += frame.len() + 4;
            batch.push(link.outbox.pop_front().expect("front exists"));
        }
        link.in_flight = true;
        self.swarm.behaviour_mut().sync.send_request(peer, batch);
    }

    fn drop_peer(
        &mut self,
        peer: PeerId,
        error: &SessionError,
        events: &mut impl FnMut(NodeEvent),
    ) {
        events(NodeEvent::PeerDropped {
            peer,
            reason: error.to_string(),
        });
        self.close_link(&peer);
        if !matches!(error, SessionError::Repo(_)) {
            self.banned.insert(peer);
        }
        let _ = self.swarm.disconnect_peer_id(peer);
    }

    /// Tells every session that local documents changed.
    fn announce_all(&mut self, events: &mut impl FnMut(NodeEvent)) {
        let now = self.now_ms();
        let peers: Vec<PeerId> = self.links.keys().copied().collect();
        for peer in peers {
            let Some(link) = self.links.get_mut(&peer) else {
                continue;
            };
            match link.session.local_changed(&mut self.repo, now) {
                Ok(out) => link.outbox.extend(out),
                Err(e) => {
                    self.drop_peer(peer, &e, events);
                    continue;
                }
            }
            self.flush(&peer);
        }
    }

    fn on_frames(
        &mut self,
        peer: PeerId,
        frames: Vec<Vec<u8>>,
        events: &mut impl FnMut(NodeEvent),
    ) {
        let before = self.repo.version;
        // A Hello on a running session: the peer started over (its side lost a
        // batch); so does this side.
        if let Some(first) = frames.first()
            && matches!(Message::decode(first), Ok(Message::Hello { .. }))
            && self
                .links
                .get(&peer)
                .is_some_and(|l| l.session.has_peer_hello())
        {
            self.close_link(&peer);
            self.start_session(peer);
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
        for frame in frames {
            let Some(link) = self.links.get_mut(&peer) else {
                break;
            };
            match link.session.handle(&mut self.repo, &frame, now) {
                Ok(out) => link.outbox.extend(out),
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
        if let Some(link) = self.links.get(&peer)
            && !was_authenticated
            && let Some(persona) = link.session.peer()
        {
            events(NodeEvent::PeerAuthenticated {
                peer,
                persona: persona.to_hex(),
            });
        }
        self.flush(&peer);
        if self.repo.version != before {
            self.announce_all(events);
        }
    }

    fn start_session(&mut self, peer: PeerId) {
        if self.links.contains_key(&peer) {
            return;
        }
        let persona = self.repo.persona().persona.clone();
        let (mut session, hello) = Session::new(
            persona,
            self.epoch,
            self.peer_id().to_bytes(),
            peer.to_bytes(),
        );
        // Connections deliver in order or fail (and the session starts over), so
        // repeats are only for long silences.
        session.set_retry_after(RETRY_AFTER.as_millis() as u64);
        self.links.insert(
            peer,
            Link {
                session,
                outbox: hello.into(),
                in_flight: false,
            },
        );
        self.flush(&peer);
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
        }
    }

    fn all_synced(&self, expected: &[PeerId]) -> bool {
        !self.links.is_empty()
            && self
                .links
                .values()
                .all(|l| l.session.is_synced() && l.outbox.is_empty() && !l.in_flight)
            && expected
                .iter()
                .all(|p| self.links.get(p).is_some_and(|l| l.session.is_synced()))
    }

    /// Runs until interrupted (or, with `once`, until in sync).
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
        let expected: Vec<PeerId> = config.peers.iter().filter_map(peer_of).collect();
        for addr in &config.peers {
            let _ = self.swarm.dial(addr.clone());
        }
        let mut tick = tokio::time::interval(TICK);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut last_redial = Instant::now();
        let mut cursor = self.repo.store().change_cursor()?;
        let mut synced = false;
        let mut last_progress = Instant::now();
        loop {
            tokio::select! {
                event = self.swarm.select_next_some() => {
                    self.on_swarm_event(event, &mut events);
                    if config.once && self.all_synced(&expected) {
                        self.repo.flush()?;
                        events(NodeEvent::Synced { peers: self.links.len() });
                        return Ok(self.stats());
                    }
                }
                _ = tick.tick() => {
                    let now = self.now_ms();
                    let peers: Vec<PeerId> = self.links.keys().copied().collect();
                    for peer in peers {
                        let Some(link) = self.links.get_mut(&peer) else { continue };
                        match link.session.tick(&mut self.repo, now) {
                            Ok(out) => link.outbox.extend(out),
                            Err(e) => { self.drop_peer(peer, &e, &mut events); continue; }
                        }
                        self.flush(&peer);
                    }
                    self.repo.flush()?;
                    let now_cursor = self.repo.store().change_cursor()?;
                    if now_cursor != cursor {
                        cursor = now_cursor;
                        self.announce_all(&mut events);
                    }
                    if last_redial.elapsed() >= REDIAL {
                        last_redial = Instant::now();
                        let lan: Vec<Multiaddr> = self.discovered.values().cloned().collect();
                        for addr in config.peers.iter().chain(&lan) {
                            let connected = peer_of(addr).is_some_and(|p| self.swarm.is_connected(&p));
                            if !connected {
                                let _ = self.swarm.dial(addr.clone());
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

    fn on_swarm_event(
        &mut self,
        event: SwarmEvent<BehaviourEvent>,
        events: &mut impl FnMut(NodeEvent),
    ) {
        match event {
            SwarmEvent::NewListenAddr { address, .. } => {
                let peer = self.peer_id();
                events(NodeEvent::Listening(with_peer_id(&address, peer)));
            }
            SwarmEvent::ConnectionEstablished { peer_id, .. } => {
                if self.banned.contains(&peer_id) {
                    let _ = self.swarm.disconnect_peer_id(peer_id);
                } else {
                    self.start_session(peer_id);
                }
            }
            SwarmEvent::ConnectionClosed {
                peer_id,
                num_established: 0,
                ..
            } => self.close_link(&peer_id),
            SwarmEvent::Behaviour(BehaviourEvent::Mdns(mdns::Event::Discovered(found))) => {
                for (peer, addr) in found {
                    if peer != self.peer_id() && !self.banned.contains(&peer) {
                        let addr = with_peer_id(&addr, peer);
                        if !self.swarm.is_connected(&peer) {
                            let _ = self.swarm.dial(addr.clone());
                        }
                        self.discovered.insert(peer, addr);
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
                } => {
                    let _ = self.swarm.behaviour_mut().sync.send_response(channel, ());
                    if !self.banned.contains(&peer) {
                        self.start_session(peer);
                        self.on_frames(peer, request, events);
                    }
                }
                request_response::Message::Response { .. } => {
                    if let Some(link) = self.links.get_mut(&peer) {
                        link.in_flight = false;
                    }
                    self.flush(&peer);
                }
            },
            SwarmEvent::Behaviour(BehaviourEvent::Sync(
                request_response::Event::OutboundFailure { peer, .. },
            )) => {
                // The batch may be lost: start over on this connection with a new session.
                self.close_link(&peer);
                if self.swarm.is_connected(&peer) {
                    self.start_session(peer);
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests;
