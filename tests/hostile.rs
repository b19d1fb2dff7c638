//! `rally-hostile ADDRESS ATTACK`: a hostile peer for the end-to-end suite
//! (`tests/hostile_peers.rs`). It connects to a `rally-server` or a `rally sync`
//! device over real libp2p, runs one attack and prints `dropped` or `kept` (whether
//! the target closed the connection), then exits.
//!
//! Attacks: `bomb` (large and inflating frames before authenticating), `heads`
//! (64 000 made-up documents announced), `orphans` (50 000 envelopes of a made-up
//! log whose predecessors never come, then one), `chain` (a 5 000-envelope chain
//! sent newest-first), `route` (a `Route` into the log of the group
//! `RALLY_HOSTILE_GROUP` names, which this persona has no part in),
//! `reservations` (40 relay reservations that never sync).

use std::time::Duration;

use futures::StreamExt;
use libp2p::request_response::{self, OutboundRequestId, ProtocolSupport};
use libp2p::swarm::SwarmEvent;
use libp2p::{Multiaddr, PeerId, Swarm, noise, tcp, yamux};
use rally_core::protocol::{
    CHANGES_CHUNK, DocHeads, MAX_MESSAGE, Message, PROTOCOL_VERSION, WireChange, auth_message,
};
use rally_core::sealed::{Body, Envelope, envelope_hash};
use rally_core::{DocId, Persona, SignedChange};
use rally_net::{Batch, FrameCodec, SYNC_PROTOCOL};

type Sync = request_response::Behaviour<FrameCodec>;

fn swarm() -> Swarm<Sync> {
    libp2p::SwarmBuilder::with_new_identity()
        .with_tokio()
        .with_tcp(
            tcp::Config::default(),
            noise::Config::new,
            yamux::Config::default,
        )
        .expect("tcp")
        .with_behaviour(|_| {
            request_response::Behaviour::with_codec(
                FrameCodec::default(),
                [(SYNC_PROTOCOL, ProtocolSupport::Full)],
                request_response::Config::default().with_request_timeout(Duration::from_secs(120)),
            )
        })
        .expect("behaviour")
        .with_swarm_config(|c| c.with_idle_connection_timeout(Duration::from_secs(120)))
        .build()
}

fn peer_of(addr: &Multiaddr) -> PeerId {
    addr.iter()
        .find_map(|p| match p {
            libp2p::multiaddr::Protocol::P2p(id) => Some(id),
            _ => None,
        })
        .expect("the address ends in /p2p/<peer id>")
}

/// Frames grouped into batches under the codec's bounds.
fn batches(frames: Vec<Vec<u8>>) -> Vec<Vec<Vec<u8>>> {
    let mut out = vec![Vec::new()];
    let mut size = 0;
    for f in frames {
        if size + f.len() > MAX_MESSAGE && !out.last().expect("one").is_empty() {
            out.push(Vec::new());
            size = 0;
        }
        size += f.len();
        out.last_mut().expect("one").push(f);
    }
    out
}

fn envelope(me: &Persona, log: [u8; 32], deps: Vec<[u8; 32]>) -> SignedChange {
    Envelope {
        log,
        author: me.id().0,
        deps,
        body: Body::Grant { boxes: Vec::new() },
        expires: None,
    }
    .sign(me)
}

/// Envelopes as `Changes` frames of about [`CHANGES_CHUNK`] bytes.
fn changes_frames(log: [u8; 32], items: &[SignedChange]) -> Vec<Vec<u8>> {
    let mut frames = Vec::new();
    let mut chunk = Vec::new();
    let mut size = 0;
    for c in items {
        if size + c.bytes.len() + 64 > CHANGES_CHUNK && !chunk.is_empty() {
            frames.push(
                Message::Changes {
                    doc: log,
                    changes: std::mem::take(&mut chunk),
                    last: false,
                }
                .encode(),
            );
            size = 0;
        }
        size += c.bytes.len() + 64;
        chunk.push(WireChange::from_signed(c));
    }
    frames.push(
        Message::Changes {
            doc: log,
            changes: chunk,
            last: true,
        }
        .encode(),
    );
    frames
}

fn made_up(i: u32, salt: u8) -> [u8; 32] {
    let mut h = [salt; 32];
    h[..4].copy_from_slice(&i.to_be_bytes());
    h
}

/// What the attack sends once authenticated (or, for `bomb`, instead).
fn payload(attack: &str, me: &Persona) -> Vec<Vec<u8>> {
    match attack {
        "bomb" => {
            // A small frame whose change list, deflated as earlier versions
            // sent lists, would inflate to 64 MiB, then frames at the size
            // limit; none of it may be decoded before authentication.
            let mut encoder =
                flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
            std::io::Write::write_all(&mut encoder, &vec![0u8; 64 << 20]).expect("deflates");
            let mut packed = vec![1u8];
            packed.extend(encoder.finish().expect("deflates"));
            // `Message::Changes` as postcard lays it out: its variant, the
            // document, the list's length and bytes, `last`.
            let mut inflating = vec![4u8];
            inflating.extend([1u8; 32]);
            let mut len = packed.len();
            while len >= 0x80 {
                inflating.push((len as u8) | 0x80);
                len >>= 7;
            }
            inflating.push(len as u8);
            inflating.extend(packed);
            inflating.push(1);
            assert!(inflating.len() < 128 * 1024, "{}", inflating.len());
            let mut frames = vec![inflating; 8];
            frames.extend(std::iter::repeat_n(vec![4u8; MAX_MESSAGE - 16], 8));
            frames
        }
        "heads" => {
            let docs: Vec<DocHeads> = (0..64_000)
                .map(|i| DocHeads {
                    doc: made_up(i, 7),
                    heads: vec![made_up(i, 9)],
                })
                .collect();
            docs.chunks(16_000)
                .enumerate()
                .map(|(n, d)| {
                    Message::Heads {
                        docs: d.to_vec(),
                        ack: false,
                        seq: 1_000 + n as u64,
                    }
                    .encode()
                })
                .collect()
        }
        "orphans" => {
            let log = made_up(1, 3);
            let mut items: Vec<SignedChange> = (0..50_000)
                .map(|i| envelope(me, log, vec![made_up(i, 5)]))
                .collect();
            items.push(envelope(me, log, Vec::new()));
            changes_frames(log, &items)
        }
        "chain" => {
            let log = made_up(2, 3);
            let mut chain = vec![envelope(me, log, Vec::new())];
            for _ in 1..5_000 {
                let prev = envelope_hash(&chain.last().expect("one").bytes);
                chain.push(envelope(me, log, vec![prev]));
            }
            chain.reverse();
            changes_frames(log, &chain)
        }
        "route" => {
            // The log of the group `RALLY_HOSTILE_GROUP` names (someone else's).
            let group: DocId = std::env::var("RALLY_HOSTILE_GROUP")
                .expect("RALLY_HOSTILE_GROUP names the group whose log to claim")
                .parse()
                .expect("a group id");
            let log = rally_core::sealed::log_id(&group).0;
            vec![
                Message::Route {
                    log,
                    personas: vec![me.id().0],
                }
                .encode(),
                Message::Invitations {
                    log,
                    open: vec![me.id().0],
                }
                .encode(),
            ]
        }
        other => panic!("no attack {other:?}"),
    }
}

/// Runs a sync attack; whether the target dropped the connection.
async fn sync_attack(addr: Multiaddr, attack: &str) -> bool {
    let target = peer_of(&addr);
    let me = Persona::generate();
    let mut swarm = swarm();
    let local = *swarm.local_peer_id();
    swarm.dial(addr).expect("dial");
    let mut to_send = batches(payload(attack, &me)).into_iter();
    let mut in_flight: Option<OutboundRequestId> = None;
    let mut target_tag = 0u64;
    let mut started = false;
    let deadline = tokio::time::sleep(Duration::from_secs(240));
    tokio::pin!(deadline);
    let next =
        |swarm: &mut Swarm<Sync>, tag: u64, batches: &mut std::vec::IntoIter<Vec<Vec<u8>>>| {
            batches.next().map(|frames| {
                swarm.behaviour_mut().send_request(
                    &target,
                    Batch {
                        session: 1,
                        answers: tag,
                        frames,
                    },
                )
            })
        };
    loop {
        tokio::select! {
            _ = &mut deadline => return false,
            event = swarm.select_next_some() => match event {
                SwarmEvent::ConnectionEstablished { .. } => {
                    let hello = Message::Hello { version: PROTOCOL_VERSION, persona: me.id().0, nonce: [7; 32], epoch: [9; 16] }.encode();
                    let mut frames = vec![hello];
                    if attack == "bomb" {
                        // Never authenticates: everything else comes before an Auth.
                        started = true;
                        frames.extend(to_send.next().unwrap_or_default());
                    }
                    in_flight = Some(swarm.behaviour_mut().send_request(&target, Batch { session: 1, answers: 0, frames }));
                }
                SwarmEvent::Behaviour(request_response::Event::Message { message: request_response::Message::Request { request, channel, .. }, .. }) => {
                    let _ = swarm.behaviour_mut().send_response(channel, ());
                    target_tag = request.session;
                    for frame in request.frames {
                        match Message::decode(&frame) {
                            Ok(Message::Hello { nonce, .. }) if attack != "bomb" => {
                                let signature = me.sign(&auth_message(&nonce, &local.to_bytes(), &target.to_bytes())).to_vec();
                                let auth = Message::Auth { signature, invite: None }.encode();
                                in_flight = Some(swarm.behaviour_mut().send_request(&target, Batch { session: 1, answers: target_tag, frames: vec![auth] }));
                            }
                            Ok(Message::Heads { .. }) if !started => {
                                started = true;
                                if in_flight.is_none() {
                                    in_flight = next(&mut swarm, target_tag, &mut to_send);
                                }
                            }
                            _ => {}
                        }
                    }
                }
                SwarmEvent::Behaviour(request_response::Event::Message { message: request_response::Message::Response { request_id, .. }, .. })
                | SwarmEvent::Behaviour(request_response::Event::OutboundFailure { request_id, .. }) if in_flight == Some(request_id) => {
                    in_flight = None;
                    if started {
                        in_flight = next(&mut swarm, target_tag, &mut to_send);
                        if in_flight.is_none() {
                            // All sent: give the target a moment to judge it.
                            deadline.as_mut().reset(tokio::time::Instant::now() + Duration::from_secs(20));
                        }
                    }
                }
                SwarmEvent::ConnectionClosed { peer_id, num_established: 0, .. } if peer_id == target => return true,
                _ => {}
            }
        }
    }
}

/// Holds 40 relay reservations from as many identities, never syncing; how many
/// the target dropped within a minute.
async fn reservations(addr: Multiaddr) -> usize {
    let relay = peer_of(&addr);
    let mut swarms = Vec::new();
    for _ in 0..40 {
        let mut s = libp2p::SwarmBuilder::with_new_identity()
            .with_tokio()
            .with_tcp(
                tcp::Config::default(),
                noise::Config::new,
                yamux::Config::default,
            )
            .expect("tcp")
            .with_relay_client(noise::Config::new, yamux::Config::default)
            .expect("relay client")
            .with_behaviour(|_, relay| relay)
            .expect("behaviour")
            .with_swarm_config(|c| c.with_idle_connection_timeout(Duration::from_secs(120)))
            .build();
        let _ = s.listen_on(addr.clone().with(libp2p::multiaddr::Protocol::P2pCircuit));
        swarms.push(s);
    }
    let mut dropped = vec![false; swarms.len()];
    let _ = tokio::time::timeout(Duration::from_secs(60), async {
        let mut events = futures::stream::select_all(
            swarms
                .iter_mut()
                .enumerate()
                .map(|(i, s)| s.map(move |e| (i, e)).boxed()),
        );
        while let Some((i, e)) = events.next().await {
            if let SwarmEvent::ConnectionClosed {
                peer_id,
                num_established: 0,
                ..
            } = e
                && peer_id == relay
            {
                dropped[i] = true;
                if dropped.iter().all(|d| *d) {
                    break;
                }
            }
        }
    })
    .await;
    dropped.iter().filter(|d| **d).count()
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [addr, attack] = args.as_slice() else {
        eprintln!("usage: rally-hostile ADDRESS ATTACK");
        std::process::exit(2);
    };
    let addr: Multiaddr = addr.parse().expect("a multiaddr");
    if attack == "reservations" {
        println!("dropped {} of 40", reservations(addr).await);
    } else if sync_attack(addr, attack).await {
        println!("dropped");
    } else {
        println!("kept");
    }
}
