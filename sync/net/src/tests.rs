//! A hostile peer on a real libp2p connection: it authenticates properly, then
//! sends forged, tampered or malformed frames. The node drops it and its store
//! stays as it was.

use std::time::Duration;

use futures::StreamExt;
use libp2p::request_response::{self, ProtocolSupport};
use libp2p::swarm::SwarmEvent;
use libp2p::{Multiaddr, PeerId, Swarm, noise, tcp, yamux};
use rally_core::protocol::{Message, WireChange, auth_message};
use rally_core::{Document, EventDetails, Persona, SignedChange};
use rally_store::{Store, SyncRepo, Timestamp};
use tokio::sync::mpsc;

use super::*;

fn hostile_swarm() -> Swarm<request_response::Behaviour<FrameCodec>> {
    swarm_speaking(SYNC_PROTOCOL)
}

fn swarm_speaking(
    protocol: libp2p::StreamProtocol,
) -> Swarm<request_response::Behaviour<FrameCodec>> {
    libp2p::SwarmBuilder::with_new_identity()
        .with_tokio()
        .with_tcp(
            tcp::Config::default(),
            noise::Config::new,
            yamux::Config::default,
        )
        .unwrap()
        .with_behaviour(|_| {
            request_response::Behaviour::with_codec(
                FrameCodec::default(),
                [(protocol, ProtocolSupport::Full)],
                request_response::Config::default(),
            )
        })
        .unwrap()
        .build()
}

/// Connects as Mallory, authenticates, sends `attack(genesis)`; returns once the
/// node drops the connection (or gives up after a while).
async fn attack(
    node_addr: Multiaddr,
    node_peer: PeerId,
    genesis: SignedChange,
    make: fn(&SignedChange) -> Vec<Vec<u8>>,
    protocol: libp2p::StreamProtocol,
) -> bool {
    let mallory = Persona::generate();
    let mut swarm = swarm_speaking(protocol);
    let me = *swarm.local_peer_id();
    swarm.dial(node_addr).unwrap();
    let nonce = [7u8; 32];
    let mut sent_attack = false;
    // The node's session, which every batch after the Hello must answer.
    let mut node_tag;
    let deadline = tokio::time::sleep(Duration::from_secs(10));
    tokio::pin!(deadline);
    loop {
        tokio::select! {
            _ = &mut deadline => return false,
            event = swarm.select_next_some() => match event {
                SwarmEvent::ConnectionEstablished { .. } => {
                    let hello = Message::Hello { version: rally_core::protocol::PROTOCOL_VERSION, persona: mallory.id().0, nonce, epoch: [9; 16] }.encode();
                    swarm.behaviour_mut().send_request(&node_peer, Batch { session: 1, answers: 0, frames: vec![hello] });
                }
                SwarmEvent::Behaviour(request_response::Event::Message { message: request_response::Message::Request { request, channel, .. }, .. }) => {
                    let _ = swarm.behaviour_mut().send_response(channel, ());
                    node_tag = request.session;
                    for frame in request.frames {
                        if let Ok(Message::Hello { nonce: node_nonce, .. }) = Message::decode(&frame) {
                            let sig = mallory.sign(&auth_message(&node_nonce, &me.to_bytes(), &node_peer.to_bytes()));
                            swarm.behaviour_mut().send_request(&node_peer, Batch { session: 1, answers: node_tag, frames: vec![Message::Auth { signature: sig.to_vec(), invite: None }.encode()] });
                        }
                        if let Ok(Message::Heads { .. }) = Message::decode(&frame)
                            && !sent_attack
                        {
                            sent_attack = true;
                            swarm.behaviour_mut().send_request(&node_peer, Batch { session: 1, answers: node_tag, frames: make(&genesis) });
                        }
                    }
                }
                SwarmEvent::ConnectionClosed { num_established: 0, .. } => return sent_attack,
                _ => {}
            }
        }
    }
}

fn forged(genesis: &SignedChange) -> Vec<Vec<u8>> {
    // A valid change by someone who is not an organiser.
    let doc = Document::from_trusted(genesis.doc, vec![genesis.clone()], Vec::new()).unwrap();
    let change = doc.forge(&Persona::generate(), Timestamp::now(), |tx| {
        use automerge::ReadDoc;
        use automerge::transaction::Transactable;
        let d = tx.get(automerge::ROOT, "details")?.unwrap().1;
        tx.put(&d, "title", "taken over")
    });
    vec![
        Message::Changes {
            doc: genesis.doc.0,
            changes: vec![WireChange::from_signed(&change)],
            last: true,
        }
        .encode(),
    ]
}

fn tampered(genesis: &SignedChange) -> Vec<Vec<u8>> {
    let mut c = WireChange::from_signed(genesis);
    c.signature[0] ^= 0xff;
    vec![
        Message::Changes {
            doc: genesis.doc.0,
            changes: vec![c],
            last: true,
        }
        .encode(),
    ]
}

fn malformed(_: &SignedChange) -> Vec<Vec<u8>> {
    vec![b"\x03this is not a rally message at all".to_vec()]
}

/// Runs `node` on a loopback TCP address (inside a `LocalSet`); returns its peer
/// id, its address and its events.
async fn spawn_on_loopback(
    mut node: Node,
) -> (PeerId, Multiaddr, mpsc::UnboundedReceiver<NodeEvent>) {
    let node_peer = node.peer_id();
    let (tx, mut rx) = mpsc::unbounded_channel();
    let config = NodeConfig {
        listen: vec!["/ip4/127.0.0.1/tcp/0".parse().unwrap()],
        ..NodeConfig::default()
    };
    tokio::task::spawn_local(async move {
        let _ = node
            .run(&config, move |e| {
                let _ = tx.send(e);
            })
            .await;
    });
    let addr = loop {
        if let Some(NodeEvent::Listening(a)) = rx.recv().await {
            break a;
        }
    };
    (node_peer, addr, rx)
}

#[test]
fn hostile_peers_are_dropped_and_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    let alice = store.create_persona("alice", Timestamp::now()).unwrap();
    let (doc, genesis) = Document::create_event(
        &alice.persona,
        "alice",
        &EventDetails::new("Assembly", "2027-01-01T10:00".parse().unwrap(), "UTC"),
        None,
        Timestamp::now(),
    )
    .unwrap();
    store.insert_new(&doc).unwrap();
    let before = store.export(&[]).unwrap();

    on_local(async move {
        let node = Node::new(SyncRepo::new(store, alice), Transport::device(false)).unwrap();
        let (node_peer, addr, mut rx) = spawn_on_loopback(node).await;
        for (what, make, protocol) in [
            (
                "forged",
                forged as fn(&SignedChange) -> Vec<Vec<u8>>,
                SYNC_PROTOCOL,
            ),
            ("tampered", tampered, SYNC_PROTOCOL),
            ("malformed", malformed, SYNC_PROTOCOL),
            // A peer that speaks only the plain batches of `/rally/sync/2` is
            // still answered (its Hello, then the node's announcement), and
            // judged the same.
            ("forged, in plain batches", forged, PLAIN_SYNC_PROTOCOL),
        ] {
            assert!(
                attack(addr.clone(), node_peer, genesis.clone(), make, protocol).await,
                "{what}: the node kept the connection"
            );
            let dropped = loop {
                match tokio::time::timeout(Duration::from_secs(5), rx.recv()).await {
                    Ok(Some(NodeEvent::PeerDropped { reason, .. })) => break reason,
                    Ok(Some(_)) => continue,
                    _ => panic!("{what}: no drop reported"),
                }
            };
            eprintln!("{what}: dropped ({dropped})");
        }
    });
    let after = Store::open(dir.path()).unwrap().export(&[]).unwrap();
    assert_eq!(after, before, "the store changed");
}

/// A peer that pushes batches without waiting for answers is held to its
/// allowance, then dropped; nothing it sent is stored.
#[test]
fn a_flooding_peer_is_dropped() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    let alice = store.create_persona("alice", Timestamp::now()).unwrap();
    let before = store.export(&[]).unwrap();
    on_local(async move {
        let transport = Transport {
            limits: Limits {
                bytes_per_sec: 1,
                burst_bytes: 1,
                max_queued: 2,
                ..Limits::server()
            },
            ..Transport::device(false)
        };
        let node = Node::new(SyncRepo::new(store, alice), transport).unwrap();
        let (node_peer, addr, mut rx) = spawn_on_loopback(node).await;
        let mallory = Persona::generate();
        let mut swarm = hostile_swarm();
        swarm.dial(addr).unwrap();
        loop {
            if let SwarmEvent::ConnectionEstablished { .. } = swarm.select_next_some().await {
                break;
            }
        }
        let hello = Message::Hello {
            version: rally_core::protocol::PROTOCOL_VERSION,
            persona: mallory.id().0,
            nonce: [1; 32],
            epoch: [2; 16],
        }
        .encode();
        // The first batch is within the allowance; the rest queue up, then overflow.
        for i in 0..6u8 {
            let frame = if i == 0 { hello.clone() } else { vec![i; 200] };
            swarm.behaviour_mut().send_request(
                &node_peer,
                Batch {
                    session: 1,
                    answers: 0,
                    frames: vec![frame],
                },
            );
        }
        let reason = tokio::time::timeout(Duration::from_secs(10), async {
            loop {
                tokio::select! {
                    e = rx.recv() => if let Some(NodeEvent::PeerDropped { reason, .. }) = e { break reason },
                    _ = swarm.select_next_some() => {}
                }
            }
        })
        .await
        .expect("the flooding peer was not dropped");
        assert!(reason.contains("too many batches"), "{reason}");
    });
    let after = Store::open(dir.path()).unwrap().export(&[]).unwrap();
    assert_eq!(after, before, "the store changed");
}

/// Runs `f` on a current-thread runtime, inside a `LocalSet` (nodes run there).
fn on_local<F: std::future::Future>(f: F) -> F::Output {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    tokio::task::LocalSet::new().block_on(&runtime, f)
}

/// A peer that only reserves a relayed address through the node, never syncing.
async fn reserve_only(relay_addr: Multiaddr) -> Swarm<libp2p::relay::client::Behaviour> {
    let mut swarm = libp2p::SwarmBuilder::with_new_identity()
        .with_tokio()
        .with_tcp(
            tcp::Config::default(),
            noise::Config::new,
            yamux::Config::default,
        )
        .unwrap()
        .with_relay_client(noise::Config::new, yamux::Config::default)
        .unwrap()
        .with_behaviour(|_, relay| relay)
        .unwrap()
        .build();
    swarm
        .listen_on(relay_addr.with(libp2p::multiaddr::Protocol::P2pCircuit))
        .unwrap();
    let accepted = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            if let SwarmEvent::Behaviour(libp2p::relay::client::Event::ReservationReqAccepted {
                ..
            }) = swarm.select_next_some().await
            {
                break;
            }
        }
    })
    .await;
    assert!(accepted.is_ok(), "the relay refused the reservation");
    swarm
}

/// Drives `swarm` for up to `wait`; whether its connection to the relay closed.
async fn dropped_within(
    swarm: &mut Swarm<libp2p::relay::client::Behaviour>,
    relay: PeerId,
    wait: Duration,
) -> bool {
    tokio::time::timeout(wait, async {
        loop {
            if let SwarmEvent::ConnectionClosed {
                peer_id,
                num_established: 0,
                ..
            } = swarm.select_next_some().await
                && peer_id == relay
            {
                break;
            }
        }
    })
    .await
    .is_ok()
}

fn relay_node(grace_ms: u64, per_address: usize) -> Node {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    let me = store.create_persona("server", Timestamp::now()).unwrap();
    std::mem::forget(dir);
    let transport = Transport {
        limits: Limits {
            relay_auth_grace_ms: grace_ms,
            relay_per_address: per_address,
            ..Limits::server()
        },
        ..Transport::server(libp2p::identity::Keypair::generate_ed25519())
    };
    Node::new(SyncRepo::new(store, me), transport).unwrap()
}

#[test]
fn a_relay_reservation_without_a_sync_session_is_dropped() {
    on_local(async move {
        let (relay, addr, _rx) = spawn_on_loopback(relay_node(1_000, 8)).await;
        let mut squatter = reserve_only(addr).await;
        assert!(
            dropped_within(&mut squatter, relay, Duration::from_secs(8)).await,
            "a peer held a reservation without ever syncing"
        );
    });
}

#[test]
fn one_address_cannot_hold_every_relay_slot() {
    on_local(async move {
        let (relay, addr, _rx) = spawn_on_loopback(relay_node(60_000, 2)).await;
        let mut first = reserve_only(addr.clone()).await;
        let mut second = reserve_only(addr.clone()).await;
        // The third from the same address is accepted by libp2p, then dropped.
        let mut third = reserve_only(addr).await;
        assert!(dropped_within(&mut third, relay, Duration::from_secs(5)).await);
        assert!(!dropped_within(&mut first, relay, Duration::from_millis(500)).await);
        assert!(!dropped_within(&mut second, relay, Duration::from_millis(500)).await);
    });
}
