//! The protocol under a deterministic simulated network: many peers, simulated
//! time, lost, delayed (so reordered) and duplicated frames, partitions that come
//! and go, edits everywhere; once the network heals, everyone converges. Plus
//! peers that send garbage.

use std::collections::{BTreeMap, HashMap};
use std::convert::Infallible;

use automerge::ChangeHash;
use jiff::Timestamp;

use super::*;
use crate::access;
use crate::document::Document;
use crate::model::*;

// ----- an in-memory repo -----

type Beliefs = BTreeMap<DocId, Vec<ChangeHash>>;
/// A want as an answer is kept by: document, sorted `have`, frame size.
type AnswerKey = (DocId, Vec<ChangeHash>, usize);

#[derive(Debug, Default, Clone)]
pub(crate) struct MemRepo {
    pub docs: BTreeMap<DocId, Document>,
    beliefs: HashMap<PersonaId, ([u8; 16], Beliefs, Option<u64>)>,
    /// The log position of each document's last change.
    changed_at: BTreeMap<DocId, u64>,
    pub version: u64,
    /// When set, peers are admitted only with this invitation code.
    pub invite_only: Option<String>,
    /// Documents this side chose not to hold (see [`Repo::forgotten`]).
    pub forgotten: BTreeSet<DocId>,
    /// Documents asked for again (see [`Repo::asked_for`]).
    pub asked: Vec<DocId>,
    /// Answers to wants, kept as a server's store keeps them (see
    /// [`Repo::kept_answer`]), so every session test serves kept answers too:
    /// by document, sorted `have` and frame size, with the heads they were
    /// made at.
    answers: BTreeMap<AnswerKey, (Vec<ChangeHash>, Answer)>,
    /// The document last read for an answer, and its heads then.
    read: Option<(DocId, Vec<ChangeHash>)>,
    /// How many wants were answered from kept answers.
    pub answers_reused: usize,
}

impl MemRepo {
    fn group_of(&self, doc: &Document) -> Option<GroupView> {
        let g = doc.event().ok()?.group?;
        self.docs.get(&g)?.group().ok()
    }

    fn readable_doc(&self, doc: &Document, peer: &PersonaId) -> bool {
        match doc.view() {
            Ok(view) => access::readable(&view, self.group_of(doc).as_ref(), peer),
            Err(_) => false,
        }
    }

    pub fn insert(&mut self, doc: Document) {
        self.version += 1;
        self.changed_at.insert(doc.id(), self.version);
        self.docs.insert(doc.id(), doc);
    }
}

impl Repo for MemRepo {
    type Error = Infallible;

    fn readable(&mut self, peer: &PersonaId) -> Result<Vec<(DocId, Vec<ChangeHash>)>, Infallible> {
        Ok(self
            .docs
            .values()
            .filter(|d| self.readable_doc(d, peer))
            .map(|d| (d.id(), d.heads()))
            .collect())
    }

    fn may_read(&mut self, peer: &PersonaId, doc: &DocId) -> Result<bool, Infallible> {
        Ok(self
            .docs
            .get(doc)
            .is_some_and(|d| self.readable_doc(d, peer)))
    }

    fn heads(&mut self, doc: &DocId) -> Result<Option<Vec<ChangeHash>>, Infallible> {
        Ok(self
            .docs
            .get(doc)
            .filter(|d| d.kind().is_some())
            .map(Document::heads))
    }

    fn forgotten(&mut self, doc: &DocId) -> Result<bool, Infallible> {
        Ok(self.forgotten.contains(doc))
    }

    fn asked_for(&mut self) -> Result<Vec<DocId>, Infallible> {
        Ok(self.asked.clone())
    }

    fn knows_all(&mut self, doc: &DocId, hashes: &[ChangeHash]) -> Result<bool, Infallible> {
        Ok(match self.docs.get(doc) {
            Some(d) => d.knows_all(hashes),
            None => hashes.is_empty(),
        })
    }

    fn changes_since(
        &mut self,
        doc: &DocId,
        have: &[ChangeHash],
    ) -> Result<Vec<SignedChange>, Infallible> {
        let Some(d) = self.docs.get(doc) else {
            return Ok(Vec::new());
        };
        self.read = Some((*doc, d.heads()));
        Ok(d.changes_since(have))
    }

    fn kept_answer(
        &mut self,
        doc: &DocId,
        have: &[ChangeHash],
        chunk: usize,
    ) -> Result<Option<Answer>, Infallible> {
        let mut have = have.to_vec();
        have.sort();
        let heads = self.docs.get(doc).map(Document::heads);
        let kept = self
            .answers
            .get(&(*doc, have, chunk))
            .filter(|(at, _)| Some(at) == heads.as_ref())
            .map(|(_, a)| a.clone());
        self.answers_reused += usize::from(kept.is_some());
        Ok(kept)
    }

    fn keep_answer(&mut self, doc: &DocId, have: &[ChangeHash], chunk: usize, answer: Answer) {
        if let Some((read, heads)) = self.read.take()
            && read == *doc
        {
            let mut have = have.to_vec();
            have.sort();
            self.answers.insert((*doc, have, chunk), (heads, answer));
        }
    }

    fn ingest(
        &mut self,
        _peer: &PersonaId,
        changes: Vec<SignedChange>,
    ) -> Result<Ingested, Infallible> {
        let mut by_doc: BTreeMap<DocId, Vec<SignedChange>> = BTreeMap::new();
        for c in changes
            .into_iter()
            .filter(|c| !self.forgotten.contains(&c.doc))
        {
            by_doc.entry(c.doc).or_default().push(c);
        }
        let mut updated = Vec::new();
        let mut outcome = Ingested::default();
        for (id, batch) in by_doc {
            let mut doc = self
                .docs
                .get(&id)
                .cloned()
                .unwrap_or_else(|| Document::empty(id));
            let receipt = doc.receive(batch);
            if let Some((_, _, why)) = receipt.rejected.iter().find(|r| r.2.is_misbehaviour()) {
                return Ok(Ingested {
                    misbehaviour: Some(why.to_string()),
                    ..Ingested::default()
                });
            }
            outcome.accepted += receipt.accepted.len();
            outcome.waiting |= doc.pending_count() > 0;
            updated.push(doc);
        }
        if outcome.accepted > 0 {
            self.version += 1;
        }
        for doc in updated {
            if self.docs.get(&doc.id()).map(Document::heads) != Some(doc.heads()) {
                self.changed_at.insert(doc.id(), self.version);
            }
            self.docs.insert(doc.id(), doc);
        }
        Ok(outcome)
    }

    fn prepare_peer(
        &mut self,
        peer: &PersonaId,
        epoch: [u8; 16],
    ) -> Result<Option<u64>, Infallible> {
        let entry = self
            .beliefs
            .entry(*peer)
            .or_insert((epoch, BTreeMap::new(), None));
        if entry.0 != epoch {
            *entry = (epoch, BTreeMap::new(), None);
        }
        Ok(entry.2)
    }

    fn belief(
        &mut self,
        peer: &PersonaId,
        doc: &DocId,
    ) -> Result<Option<Vec<ChangeHash>>, Infallible> {
        Ok(self.beliefs.get(peer).and_then(|e| e.1.get(doc).cloned()))
    }

    fn set_belief(
        &mut self,
        peer: &PersonaId,
        doc: &DocId,
        heads: &[ChangeHash],
    ) -> Result<(), Infallible> {
        if let Some(entry) = self.beliefs.get_mut(peer) {
            entry.1.insert(*doc, heads.to_vec());
        }
        Ok(())
    }

    fn log_position(&mut self) -> Result<u64, Infallible> {
        Ok(self.version)
    }

    fn readable_changed_since(
        &mut self,
        peer: &PersonaId,
        position: u64,
    ) -> Result<Vec<(DocId, Vec<ChangeHash>)>, Infallible> {
        let changed = |id: &DocId| self.changed_at.get(id).is_some_and(|at| *at > position);
        Ok(self
            .docs
            .values()
            .filter(|d| {
                changed(&d.id())
                    || d.event()
                        .ok()
                        .and_then(|e| e.group)
                        .is_some_and(|g| changed(&g))
            })
            .filter(|d| self.readable_doc(d, peer))
            .map(|d| (d.id(), d.heads()))
            .collect())
    }

    fn set_synced_position(&mut self, peer: &PersonaId, position: u64) -> Result<(), Infallible> {
        if let Some(entry) = self.beliefs.get_mut(peer) {
            entry.2 = Some(position);
        }
        Ok(())
    }

    fn admit(&mut self, _peer: &PersonaId, invite: Option<&str>) -> Result<Admission, Infallible> {
        Ok(match &self.invite_only {
            Some(code) if invite != Some(code.as_str()) => {
                Admission::Refused("registration needs an invitation".into())
            }
            _ => Admission::Admitted,
        })
    }
}

// ----- the simulated network -----

pub(crate) struct Rng(pub(crate) u64);
impl Rng {
    pub(crate) fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    pub(crate) fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

struct Peer {
    persona: Persona,
    repo: MemRepo,
    epoch: [u8; 16],
}

struct Frame {
    at: u64,
    to_b: bool,
    bytes: Vec<u8>,
}

struct Link {
    a: usize,
    b: usize,
    sessions: Option<(Session, Session)>,
    frames: Vec<Frame>,
    down_until: u64,
    opened_at: u64,
    /// Frames each side sent on this connection (the first two — Hello and Auth —
    /// make the connection and are never lost).
    sent: [u32; 2],
}

#[derive(Clone, Copy)]
struct Chaos {
    loss: u64,
    duplicate: u64,
    max_delay: u64,
    partitions: bool,
}

const CALM: Chaos = Chaos {
    loss: 0,
    duplicate: 0,
    max_delay: 5,
    partitions: false,
};

struct Sim {
    rng: Rng,
    now: u64,
    peers: Vec<Peer>,
    links: Vec<Link>,
}

pub(crate) fn ts(ms: u64) -> Timestamp {
    Timestamp::from_second(1_790_000_000 + (ms / 1000) as i64).unwrap()
}

impl Sim {
    fn new(seed: u64, n: usize) -> Sim {
        let peers: Vec<Peer> = (0..n)
            .map(|i| Peer {
                persona: Persona::generate(),
                repo: MemRepo::default(),
                epoch: [i as u8; 16],
            })
            .collect();
        let mut links = Vec::new();
        for a in 0..n {
            for b in a + 1..n {
                links.push(Link {
                    a,
                    b,
                    sessions: None,
                    frames: Vec::new(),
                    down_until: 0,
                    opened_at: 0,
                    sent: [0, 0],
                });
            }
        }
        Sim {
            rng: Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1),
            now: 0,
            peers,
            links,
        }
    }

    fn connect(&mut self, l: usize) {
        let link = &mut self.links[l];
        let (pa, pb) = (&self.peers[link.a], &self.peers[link.b]);
        let (mut sa, out_a) = Session::new(
            pa.persona.clone(),
            pa.epoch,
            vec![link.a as u8],
            vec![link.b as u8],
        );
        let (mut sb, out_b) = Session::new(
            pb.persona.clone(),
            pb.epoch,
            vec![link.b as u8],
            vec![link.a as u8],
        );
        // Small windows of wants, so the queue behind them is exercised too.
        sa.set_bounds(1 + l % 3, MAX_PEER_DOCS);
        sb.set_bounds(2, MAX_PEER_DOCS);
        link.sessions = Some((sa, sb));
        link.frames.clear();
        link.opened_at = self.now;
        link.sent = [0, 0];
        self.send(l, true, out_a, CALM);
        self.send(l, false, out_b, CALM);
    }

    fn send(&mut self, l: usize, to_b: bool, frames: Vec<Vec<u8>>, chaos: Chaos) {
        for bytes in frames {
            let side = usize::from(!to_b);
            self.links[l].sent[side] += 1;
            let establishing = self.links[l].sent[side] <= 2;
            if !establishing && self.rng.chance(chaos.loss) {
                continue;
            }
            let copies = if !establishing && self.rng.chance(chaos.duplicate) {
                2
            } else {
                1
            };
            for _ in 0..copies {
                let at = self.now + 1 + self.rng.below(chaos.max_delay);
                self.links[l].frames.push(Frame {
                    at,
                    to_b,
                    bytes: bytes.clone(),
                });
            }
        }
    }

    /// Tells every other session of `peer` that its documents changed.
    fn notify(&mut self, peer: usize, except: Option<usize>, chaos: Chaos) {
        for l in 0..self.links.len() {
            if Some(l) == except {
                continue;
            }
            let (a, b) = (self.links[l].a, self.links[l].b);
            if a != peer && b != peer {
                continue;
            }
            let Some((sa, sb)) = self.links[l].sessions.as_mut() else {
                continue;
            };
            let (session, to_b) = if a == peer { (sa, true) } else { (sb, false) };
            let out = session
                .local_changed(&mut self.peers[peer].repo, self.now)
                .expect("local announce");
            self.send(l, to_b, out, chaos);
        }
    }

    fn deliver(&mut self, chaos: Chaos) {
        for l in 0..self.links.len() {
            while let Some(i) = self.links[l]
                .frames
                .iter()
                .enumerate()
                .filter(|(_, f)| f.at <= self.now)
                .min_by_key(|(_, f)| f.at)
                .map(|(i, _)| i)
            {
                let frame = self.links[l].frames.remove(i);
                let (a, b) = (self.links[l].a, self.links[l].b);
                let target = if frame.to_b { b } else { a };
                let Some((sa, sb)) = self.links[l].sessions.as_mut() else {
                    break;
                };
                let session = if frame.to_b { sb } else { sa };
                let before = self.peers[target].repo.version;
                match session.handle(&mut self.peers[target].repo, &frame.bytes, self.now) {
                    Ok(out) => {
                        self.send(l, !frame.to_b, out, chaos);
                        if self.peers[target].repo.version != before {
                            self.notify(target, Some(l), chaos);
                        }
                    }
                    Err(e) => panic!("honest peers dropped each other: {e}"),
                }
            }
        }
    }

    fn tick(&mut self, chaos: Chaos) {
        for l in 0..self.links.len() {
            let (a, b) = (self.links[l].a, self.links[l].b);
            let Some((sa, sb)) = self.links[l].sessions.as_mut() else {
                continue;
            };
            let out_a = sa.tick(&mut self.peers[a].repo, self.now).expect("tick");
            let out_b = sb.tick(&mut self.peers[b].repo, self.now).expect("tick");
            self.send(l, true, out_a, chaos);
            self.send(l, false, out_b, chaos);
        }
    }

    fn manage_links(&mut self, chaos: Chaos) {
        for l in 0..self.links.len() {
            let link = &mut self.links[l];
            if chaos.partitions && link.sessions.is_some() && self.rng.chance(1) {
                link.sessions = None;
                link.frames.clear();
                link.down_until = self.now + 500 + self.rng.below(4000);
            }
            let stalled = link
                .sessions
                .as_ref()
                .is_some_and(|(sa, sb)| sa.peer().is_none() || sb.peer().is_none())
                && self.now - link.opened_at > 2_000;
            if (link.sessions.is_none() && self.now >= link.down_until) || stalled {
                self.connect(l);
            }
        }
    }

    /// A random edit by a random peer, as its user would make it.
    fn edit(&mut self, chaos: Chaos) {
        let p = self.rng.below(self.peers.len() as u64) as usize;
        let now = ts(self.now);
        let persona = self.peers[p].persona.clone();
        let ids: Vec<DocId> = self.peers[p].repo.docs.keys().copied().collect();
        let choice = self.rng.below(10);
        let repo = &mut self.peers[p].repo;
        if ids.is_empty() || choice == 0 {
            let mut d = EventDetails::new(
                format!("event {}", self.rng.below(1000)),
                "2027-05-01T10:00".parse().unwrap(),
                "Europe/Paris",
            );
            if self.rng.chance(30) {
                d.visibility = Visibility::MembersOnly;
            }
            let (doc, _) = Document::create_event(&persona, "p", &d, None, now).unwrap();
            repo.insert(doc);
        } else {
            let id = ids[self.rng.below(ids.len() as u64) as usize];
            let mut doc = repo.docs[&id].clone();
            let done = match (doc.kind(), choice) {
                (Some(DocKind::Event), 1..=3) => {
                    let mut d = doc.event().unwrap().details;
                    d.title = format!("edited {}", self.rng.below(1000));
                    doc.update_event(&persona, &d, now).is_ok()
                }
                (Some(DocKind::Event), 4..=6) => {
                    doc.comment(&persona, "p", "hello", None, now).is_ok()
                }
                (Some(DocKind::Event), _) => doc.join_event(&persona, "p", now).is_ok(),
                (Some(DocKind::Group), _) => {
                    let link = GroupLink {
                        id: format!("l{}", self.rng.below(5)),
                        title: "Pad".into(),
                        url: format!("https://pad.example/{}", self.rng.below(100)),
                    };
                    doc.put_link(&persona, &link, now).is_ok()
                }
                (None, _) => false,
            };
            if done {
                repo.insert(doc);
            }
        }
        self.notify(p, None, chaos);
    }

    fn run(&mut self, until: u64, chaos: Chaos, edits: bool) {
        while self.now < until {
            self.now += 1 + self.rng.below(40);
            self.manage_links(chaos);
            if edits && self.rng.chance(8) {
                self.edit(chaos);
            }
            self.deliver(chaos);
            if self.now % 250 < 40 {
                self.tick(chaos);
            }
        }
    }

    /// Every peer's documents and every session's state, for failure reports.
    fn describe(&self) -> String {
        let short = |h: &[ChangeHash]| {
            h.iter()
                .map(|x| x.to_string()[..8].to_owned())
                .collect::<Vec<_>>()
                .join(",")
        };
        let mut out = String::new();
        for (i, p) in self.peers.iter().enumerate() {
            out += &format!("peer {i}:\n");
            for (id, d) in &p.repo.docs {
                out += &format!(
                    "  {id:?} heads [{}] changes {} pending {}\n",
                    short(&d.heads()),
                    d.change_count(),
                    d.pending_count()
                );
            }
        }
        for l in &self.links {
            if let Some((sa, sb)) = &l.sessions {
                for (side, s) in [(l.a, sa), (l.b, sb)] {
                    out += &format!(
                        "link {}-{} side {side}: auth {} sent {} peer {} announced {}/{} wants {:?} unacked {:?} beliefs {:?}\n",
                        l.a,
                        l.b,
                        s.authenticated,
                        s.sent_synced,
                        s.peer_synced,
                        s.announced,
                        s.peer_announced,
                        s.wants,
                        s.unacked,
                        s.beliefs
                            .iter()
                            .map(|(d, h)| format!("{d:?}:[{}]", short(h)))
                            .collect::<Vec<_>>()
                    );
                }
            } else {
                out += &format!("link {}-{} down\n", l.a, l.b);
            }
        }
        out
    }

    fn converged(&mut self) -> Result<(), String> {
        let all: BTreeMap<DocId, Vec<ChangeHash>> = {
            let mut union: BTreeMap<DocId, Document> = BTreeMap::new();
            for p in &self.peers {
                for (id, d) in &p.repo.docs {
                    let merged = union.entry(*id).or_insert_with(|| Document::empty(*id));
                    merged.receive(d.signed_changes());
                }
            }
            union.into_iter().map(|(id, d)| (id, d.heads())).collect()
        };
        let personas: Vec<PersonaId> = self.peers.iter().map(|p| p.persona.id()).collect();
        for (id, heads) in &all {
            // A peer holding the full document decides who may read it.
            let holder = self.peers.iter().find(|p| {
                p.repo
                    .docs
                    .get(id)
                    .is_some_and(|d| same_heads(&d.heads(), heads))
            });
            let Some(holder) = holder else {
                return Err(format!("nobody holds all of {id:?}"));
            };
            let holder_repo = holder.repo.clone();
            for (i, p) in self.peers.iter().enumerate() {
                let may = holder_repo.readable_doc(&holder_repo.docs[id], &personas[i]);
                let has = p.repo.docs.get(id).map(Document::heads);
                match (may, has) {
                    (true, Some(h)) if same_heads(&h, heads) => {}
                    (true, other) => {
                        return Err(format!("peer {i} has {other:?} of {id:?}, not {heads:?}"));
                    }
                    (false, Some(_)) => {
                        return Err(format!("peer {i} holds {id:?} it may not read"));
                    }
                    (false, None) => {}
                }
            }
        }
        Ok(())
    }
}

/// Shared starting point: a public group, a members-only group with peer 1 as a
/// member, and an event of each.
fn setup(sim: &mut Sim) {
    let now = ts(0);
    let owner = sim.peers[0].persona.clone();
    let public = GroupProfile {
        name: "Open".into(),
        summary: String::new(),
        visibility: GroupVisibility::Public,
        avatar: None,
    };
    let private = GroupProfile {
        name: "Closed".into(),
        summary: String::new(),
        visibility: GroupVisibility::MembersOnly,
        avatar: None,
    };
    let (g1, _) = Document::create_group(&owner, "owner", &public, now).unwrap();
    let (mut g2, _) = Document::create_group(&owner, "owner", &private, now).unwrap();
    if sim.peers.len() > 1 {
        g2.add_member(&owner, sim.peers[1].persona.id(), "one", Role::Member, now)
            .unwrap();
    }
    let mut d = EventDetails::new(
        "secret meeting",
        "2027-05-01T10:00".parse().unwrap(),
        "Europe/Paris",
    );
    d.visibility = Visibility::MembersOnly;
    let (e2, _) = Document::create_event(&owner, "owner", &d, Some(g2.id()), now).unwrap();
    let (e1, _) = Document::create_event(
        &owner,
        "owner",
        &EventDetails::new(
            "open picnic",
            "2027-05-02T12:00".parse().unwrap(),
            "Europe/Paris",
        ),
        Some(g1.id()),
        now,
    )
    .unwrap();
    for doc in [g1, g2, e1, e2] {
        sim.peers[0].repo.insert(doc);
    }
}

/// Runs one seed; returns how many wants were answered from kept answers.
fn simulate(seed: u64) -> usize {
    crate::ids::test_rng::seed(Some(seed));
    let n = 3 + (seed % 2) as usize;
    let mut sim = Sim::new(seed, n);
    setup(&mut sim);
    let chaos = Chaos {
        loss: 10,
        duplicate: 10,
        max_delay: 200,
        partitions: true,
    };
    sim.run(15_000, chaos, true);
    // Heal: no more loss or cuts, no more edits.
    sim.run(sim.now + 20_000, CALM, false);
    if let Err(e) = sim.converged() {
        panic!(
            "seed {seed}: not converged after healing: {e}\n{}",
            sim.describe()
        );
    }
    for l in &sim.links {
        let (sa, sb) = l.sessions.as_ref().expect("healed links are up");
        assert!(
            sa.is_synced() && sb.is_synced(),
            "seed {seed}: sessions {}-{} not synced: {}",
            l.a,
            l.b,
            [sa, sb]
                .map(|s| format!(
                    "[auth {} sent {} peer {} wants {:?} announced {} peer_announced {}]",
                    s.authenticated,
                    s.sent_synced,
                    s.peer_synced,
                    s.wants,
                    s.announced,
                    s.peer_announced
                ))
                .join(" ")
        );
    }
    sim.peers.iter().map(|p| p.repo.answers_reused).sum()
}

#[test]
fn peers_converge_after_chaos_for_many_seeds() {
    let seeds: u64 = std::env::var("RALLY_SIM_SEEDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(150);
    let first: u64 = std::env::var("RALLY_SIM_FIRST_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let mut reused = 0;
    for seed in first..first + seeds {
        reused += simulate(seed);
    }
    // Peers answer each other's wants from kept answers too (as a server
    // does), and converge all the same.
    assert!(reused > 0, "no want was answered from a kept answer");
}

/// The public event of [`setup`], held by peer 0.
fn open_picnic(sim: &Sim) -> DocId {
    *sim.peers[0]
        .repo
        .docs
        .iter()
        .find(|(_, d)| d.event().is_ok_and(|e| e.details.title == "open picnic"))
        .unwrap()
        .0
}

/// Its organiser retitles it on peer 0: one change.
fn move_open_picnic(sim: &mut Sim, id: DocId, owner: &Persona) {
    let mut doc = sim.peers[0].repo.docs[&id].clone();
    let mut d = doc.event().unwrap().details;
    d.title = "open picnic, moved".into();
    doc.update_event(owner, &d, ts(6_000)).unwrap();
    sim.peers[0].repo.insert(doc);
}

#[test]
fn a_reconnect_costs_what_changed_not_the_history() {
    let mut sim = Sim::new(7, 2);
    setup(&mut sim);
    sim.run(5_000, CALM, false);
    sim.converged().unwrap();
    // Disconnect, make one edit, reconnect: count the bytes.
    sim.links[0].sessions = None;
    let owner = sim.peers[0].persona.clone();
    let id = open_picnic(&sim);
    move_open_picnic(&mut sim, id, &owner);
    sim.connect(0);
    sim.run(sim.now + 3_000, CALM, false);
    sim.converged().unwrap();
    let (sa, sb) = sim.links[0].sessions.as_ref().unwrap();
    let total = sa.stats().bytes_sent + sb.stats().bytes_sent;
    assert!(sa.is_synced() && sb.is_synced());
    assert!(total < 2_000, "a one-change reconnect cost {total} bytes");
}

/// A document one side forgot (less on the device) is acknowledged as
/// announced, so both sessions settle, and none of it is wanted or kept, even
/// after its organiser changes it; asked for again, it comes back whole.
#[test]
fn a_forgotten_document_settles_unwanted_until_asked_for() {
    let mut sim = Sim::new(11, 2);
    setup(&mut sim);
    sim.run(5_000, CALM, false);
    sim.converged().unwrap();
    let owner = sim.peers[0].persona.clone();
    let id = open_picnic(&sim);
    sim.links[0].sessions = None;
    sim.peers[1].repo.docs.remove(&id);
    sim.peers[1].repo.forgotten.insert(id);
    move_open_picnic(&mut sim, id, &owner);
    sim.connect(0);
    sim.run(sim.now + 3_000, CALM, false);
    let (sa, sb) = sim.links[0].sessions.as_ref().unwrap();
    assert!(
        sa.is_synced() && sb.is_synced(),
        "a forgotten document keeps a session unsettled"
    );
    assert!(!sim.peers[1].repo.docs.contains_key(&id));

    sim.links[0].sessions = None;
    sim.peers[1].repo.forgotten.remove(&id);
    sim.peers[1].repo.asked.push(id);
    sim.connect(0);
    sim.run(sim.now + 3_000, CALM, false);
    let back = sim.peers[1]
        .repo
        .docs
        .get(&id)
        .expect("asked for, it came back");
    assert_eq!(back.event().unwrap().details.title, "open picnic, moved");
    sim.converged().unwrap();
}

/// A new event by `who`.
fn event_of(who: &Persona) -> Document {
    Document::create_event(
        who,
        "a",
        &EventDetails::new("x", "2027-01-01T10:00".parse().unwrap(), "UTC"),
        None,
        ts(0),
    )
    .unwrap()
    .0
}

fn authed_pair() -> (MemRepo, Session, MemRepo, Session, Vec<Vec<u8>>) {
    let alice = Persona::generate();
    let mallory = Persona::generate();
    let mut repo_a = MemRepo::default();
    repo_a.insert(event_of(&alice));
    let mut repo_m = repo_a.clone();
    let (mut sa, out_a) = Session::new(alice, [1; 16], vec![1], vec![2]);
    let (mut sm, out_m) = Session::new(mallory, [2; 16], vec![2], vec![1]);
    let mut to_m = out_a;
    let mut to_a = out_m;
    let mut from_a_after_auth = Vec::new();
    for _ in 0..6 {
        let mut next_to_m = Vec::new();
        for f in to_a.drain(..) {
            let out = sa.handle(&mut repo_a, &f, 0).unwrap();
            next_to_m.extend(out);
        }
        let mut next_to_a = Vec::new();
        for f in to_m.drain(..) {
            next_to_a.extend(sm.handle(&mut repo_m, &f, 0).unwrap());
        }
        from_a_after_auth.extend(next_to_m.iter().cloned());
        to_m = next_to_m;
        to_a = next_to_a;
    }
    (repo_a, sa, repo_m, sm, from_a_after_auth)
}

#[test]
fn a_peer_sending_garbage_is_dropped_and_changes_nothing() {
    let alice = Persona::generate();
    let (mut repo_a, mut sa, _repo_m, _sm, _) = authed_pair();
    assert!(sa.peer().is_some());
    let doc_id = *repo_a.docs.keys().next().unwrap();
    let before: Vec<_> = repo_a.docs.values().map(Document::heads).collect();
    let genesis = repo_a.docs[&doc_id].signed_changes()[0].clone();

    // A change signed by Mallory that edits Alice's event (not an organiser).
    let forged = repo_a.docs[&doc_id].forge(&Persona::generate(), ts(1), |tx| {
        use automerge::ReadDoc;
        use automerge::transaction::Transactable;
        let d = tx.get(automerge::ROOT, "details")?.unwrap().1;
        tx.put(&d, "title", "pwned")
    });
    let mut tampered = WireChange::from_signed(&genesis);
    let n = tampered.bytes.len();
    tampered.bytes[n - 1] ^= 1;
    let mut bad_sig = WireChange::from_signed(&genesis);
    bad_sig.signature[3] ^= 1;
    let other_doc = Document::create_event(
        &alice,
        "a",
        &EventDetails::new("y", "2027-01-01T10:00".parse().unwrap(), "UTC"),
        None,
        ts(0),
    )
    .unwrap()
    .1;
    let frames: Vec<(&str, Vec<u8>)> = vec![
        (
            "forged",
            Message::Changes {
                doc: doc_id.0,
                changes: vec![WireChange::from_signed(&forged)],
                last: true,
            }
            .encode(),
        ),
        (
            "tampered",
            Message::Changes {
                doc: doc_id.0,
                changes: vec![tampered],
                last: true,
            }
            .encode(),
        ),
        (
            "bad signature",
            Message::Changes {
                doc: doc_id.0,
                changes: vec![bad_sig],
                last: true,
            }
            .encode(),
        ),
        (
            "short signature",
            short_signature_changes(doc_id, &genesis.bytes),
        ),
        (
            "change of another document",
            Message::Changes {
                doc: doc_id.0,
                changes: vec![WireChange::from_signed(&other_doc)],
                last: true,
            }
            .encode(),
        ),
        ("random bytes", vec![0xff; 100]),
        (
            "truncated",
            Message::Want {
                doc: doc_id.0,
                have: vec![[7; 32]; 3],
            }
            .encode()[..40]
                .to_vec(),
        ),
        ("oversize", vec![0; MAX_MESSAGE + 1]),
        (
            "oversize route",
            Message::Route {
                log: [1; 32],
                personas: vec![[2; 32]; crate::protocol::MAX_ROUTE + 1],
            }
            .encode(),
        ),
        ("changes that inflate past the limit", deflate_bomb(doc_id)),
        (
            "second hello",
            Message::Hello {
                version: 1,
                persona: [0; 32],
                nonce: [0; 32],
                epoch: [0; 16],
            }
            .encode(),
        ),
    ];
    for (what, frame) in frames {
        let (mut repo, mut session) = (repo_a.clone(), authed_pair_session(&mut sa));
        let result = session.handle(&mut repo, &frame, 1);
        assert!(result.is_err(), "{what}: the peer was not dropped");
        let after: Vec<_> = repo.docs.values().map(Document::heads).collect();
        assert_eq!(after, before, "{what}: the store changed");
        repo_a = repo;
    }
}

/// The same authenticated session, reused for each hostile frame (a dropped session
/// is thrown away by the transport; here each frame gets a fresh copy of the state).
fn authed_pair_session(s: &mut Session) -> Session {
    Session {
        me: s.me.clone(),
        routes_to_peer: s.routes_to_peer,
        nonce: s.nonce,
        local_binding: s.local_binding.clone(),
        remote_binding: s.remote_binding.clone(),
        peer_hello: s.peer_hello.clone(),
        early_auth: None,
        authenticated: s.authenticated,
        invite: s.invite.clone(),
        refused: s.refused.clone(),
        early: Vec::new(),
        early_bytes: 0,
        announced: s.announced,
        peer_announced: s.peer_announced,
        beliefs: s.beliefs.clone(),
        announce_from: s.announce_from,
        announced_up_to: s.announced_up_to,
        recorded_sync: s.recorded_sync,
        wants: s.wants.clone(),
        to_want: s.to_want.clone(),
        to_want_set: s.to_want_set.clone(),
        asked_whole: s.asked_whole.clone(),
        unacked: s.unacked.clone(),
        sent_synced: s.sent_synced,
        peer_synced: s.peer_synced,
        last_announce: s.last_announce,
        last_progress: s.last_progress,
        heads_sent: s.heads_sent,
        heads_seen: s.heads_seen.clone(),
        retry_after: s.retry_after,
        max_wants: s.max_wants,
        max_peer_docs: s.max_peer_docs,
        frame_limit: s.frame_limit,
        blob_wants: s.blob_wants.clone(),
        blobs_lacking: s.blobs_lacking.clone(),
        blobs_checked_at: s.blobs_checked_at,
        blob_answered: s.blob_answered,
        stats: s.stats,
    }
}

#[test]
fn authentication_is_bound_to_the_channel() {
    let alice = Persona::generate();
    let bob = Persona::generate();
    let mut repo = MemRepo::default();
    let (mut sb, _) = Session::new(bob, [0; 16], vec![2], vec![1]);
    let (_, hello_a) = Session::new(alice.clone(), [0; 16], vec![1], vec![2]);
    let auth_frames = sb.handle(&mut repo, &hello_a[0], 0).unwrap();
    let Message::Auth { .. } = Message::decode(&auth_frames[0]).unwrap() else {
        panic!()
    };
    // An Auth signed for another channel (another peer id) is refused.
    let wrong = alice.sign(&auth_message(&sb.nonce, &[9], &[2]));
    let err = sb
        .handle(
            &mut repo,
            &Message::Auth {
                signature: wrong.to_vec(),
                invite: None,
            }
            .encode(),
            0,
        )
        .unwrap_err();
    assert!(matches!(err, SessionError::BadAuth));
    // Nothing is served before authentication.
    let (mut sc, _) = Session::new(Persona::generate(), [0; 16], vec![2], vec![1]);
    let out = sc
        .handle(
            &mut repo,
            &Message::Want {
                doc: [0; 32],
                have: vec![],
            }
            .encode(),
            0,
        )
        .unwrap();
    assert!(out.is_empty());
}

/// Runs two sessions against each other until neither has anything to say;
/// returns the error that ended the first side's session, if one did.
fn exchange(
    a: (&mut Session, &mut MemRepo, Vec<Vec<u8>>),
    b: (&mut Session, &mut MemRepo, Vec<Vec<u8>>),
) -> (Option<SessionError>, Option<SessionError>) {
    let (sa, ra, mut to_b) = a;
    let (sb, rb, mut to_a) = b;
    let (mut ea, mut eb) = (None, None);
    for _ in 0..50 {
        if to_a.is_empty() && to_b.is_empty() {
            break;
        }
        for f in std::mem::take(&mut to_b) {
            if eb.is_none() {
                match sb.handle(rb, &f, 0) {
                    Ok(out) => to_a.extend(out),
                    Err(e) => eb = Some(e),
                }
            }
        }
        for f in std::mem::take(&mut to_a) {
            if ea.is_none() {
                match sa.handle(ra, &f, 0) {
                    Ok(out) => to_b.extend(out),
                    Err(e) => ea = Some(e),
                }
            }
        }
    }
    (ea, eb)
}

#[test]
fn a_peer_that_refuses_says_why_and_serves_nothing() {
    let now = ts(0);
    let server = Persona::generate();
    let client = Persona::generate();
    let mut server_repo = MemRepo {
        invite_only: Some("letmein".into()),
        ..MemRepo::default()
    };
    let (open, _) = Document::create_event(
        &server,
        "s",
        &EventDetails::new("open", "2027-05-02T10:00".parse().unwrap(), "UTC"),
        None,
        now,
    )
    .unwrap();
    server_repo.insert(open);
    let mut client_repo = MemRepo::default();
    let (mut ss, hs) = Session::new(server.clone(), [1; 16], vec![1], vec![2]);
    let (mut sc, hc) = Session::new(client.clone(), [2; 16], vec![2], vec![1]);
    let (client_err, server_err) = exchange(
        (&mut sc, &mut client_repo, hc),
        (&mut ss, &mut server_repo, hs),
    );
    assert!(server_err.is_none(), "{server_err:?}");
    assert_eq!(ss.refused(), Some("registration needs an invitation"));
    let Some(SessionError::Refused(reason)) = client_err else {
        panic!("the client was not told: {client_err:?}")
    };
    assert_eq!(reason, "registration needs an invitation");
    assert!(client_repo.docs.is_empty(), "a refused peer got documents");
    assert!(!SessionError::Refused(reason).is_misbehaviour());

    // With the code, the same client is admitted and served.
    let (mut ss, hs) = Session::new(server, [1; 16], vec![1], vec![2]);
    let (mut sc, hc) = Session::new(client, [2; 16], vec![2], vec![1]);
    sc.set_invite("letmein".into());
    let (client_err, server_err) = exchange(
        (&mut sc, &mut client_repo, hc),
        (&mut ss, &mut server_repo, hs),
    );
    assert!(client_err.is_none() && server_err.is_none());
    assert!(sc.is_synced() && ss.is_synced());
    assert_eq!(client_repo.docs.len(), 1);
}

#[test]
fn a_member_added_later_gets_the_groups_private_events_on_the_next_session() {
    crate::ids::test_rng::seed(Some(99));
    let mut sim = Sim::new(99, 2);
    let now = ts(0);
    let owner = sim.peers[0].persona.clone();
    let newcomer = sim.peers[1].persona.id();
    let private = GroupProfile {
        name: "Closed".into(),
        summary: String::new(),
        visibility: GroupVisibility::MembersOnly,
        avatar: None,
    };
    let (group, _) = Document::create_group(&owner, "owner", &private, now).unwrap();
    let mut details = EventDetails::new(
        "members only",
        "2027-05-01T10:00".parse().unwrap(),
        "Europe/Paris",
    );
    details.visibility = Visibility::MembersOnly;
    let (event, _) =
        Document::create_event(&owner, "owner", &details, Some(group.id()), now).unwrap();
    let mut group = group;
    group
        .set_group_event(&owner, event.id(), true, now)
        .unwrap();
    let (open, _) = Document::create_event(
        &owner,
        "owner",
        &EventDetails::new("open", "2027-05-02T10:00".parse().unwrap(), "UTC"),
        None,
        now,
    )
    .unwrap();
    let (gid, eid, oid) = (group.id(), event.id(), open.id());
    for d in [group, event, open] {
        sim.peers[0].repo.insert(d);
    }
    sim.run(3_000, CALM, false);
    sim.converged().unwrap();
    assert!(sim.peers[1].repo.docs.contains_key(&oid));
    assert!(!sim.peers[1].repo.docs.contains_key(&eid));
    // Between sessions, the owner adds the newcomer: only the group changes.
    sim.links[0].sessions = None;
    let mut g = sim.peers[0].repo.docs[&gid].clone();
    g.add_member(&owner, newcomer, "newcomer", Role::Member, ts(4_000))
        .unwrap();
    sim.peers[0].repo.insert(g);
    sim.connect(0);
    sim.run(sim.now + 3_000, CALM, false);
    sim.converged().unwrap();
    assert!(
        sim.peers[1].repo.docs.contains_key(&eid),
        "the newcomer did not get the group's event"
    );
}

/// A `Changes` frame whose packed list inflates to far more than a message may hold.
fn deflate_bomb(doc: DocId) -> Vec<u8> {
    use std::io::Write;
    let mut encoder = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(&vec![0u8; 64 * 1024 * 1024]).unwrap();
    let mut packed = vec![1u8];
    packed.extend(encoder.finish().unwrap());
    assert!(
        packed.len() < MAX_MESSAGE,
        "the bomb itself fits in a message"
    );
    changes_frame(doc, packed)
}

/// A peer that starts a new session after taking in this side's `Hello` (their
/// restarts crossed) is met by the renewed session, which keeps its `Hello`: both
/// authenticate and sync without starting over again.
#[test]
fn a_renewed_session_meets_a_peer_that_restarted_in_answer() {
    let alice = Persona::generate();
    let bob = Persona::generate();
    let mut repo_a = MemRepo::default();
    let mut repo_b = MemRepo::default();
    let alice2 = alice.clone();
    let (mut a1, hello_a1) = Session::new(alice, [1; 16], vec![1], vec![2]);
    let (mut b1, hello_b1) = Session::new(bob.clone(), [2; 16], vec![2], vec![1]);
    let (ea, eb) = exchange(
        (&mut a1, &mut repo_a, hello_a1.clone()),
        (&mut b1, &mut repo_b, hello_b1),
    );
    assert!(ea.is_none() && eb.is_none());

    // Something to sync once they meet again.
    let (event, _) = Document::create_event(
        &alice2,
        "a",
        &EventDetails::new("Renewal", "2027-01-01T10:00".parse().unwrap(), "UTC"),
        None,
        ts(0),
    )
    .unwrap();
    let id = event.id();
    repo_a.insert(event);

    // Bob starts over and takes in Alice's Hello in his new session.
    let (mut b2, hello_b2) = Session::new(bob, [2; 16], vec![2], vec![1]);
    let mut to_a = hello_b2;
    for f in &hello_a1 {
        to_a.extend(b2.handle(&mut repo_b, f, 1).unwrap());
    }
    // The old session cannot take a second Hello; the renewed one can.
    assert!(a1.handle(&mut repo_a, &to_a[0], 1).is_err());
    let mut a2 = a1.renewed();
    let (ea, eb) = exchange(
        (&mut a2, &mut repo_a, Vec::new()),
        (&mut b2, &mut repo_b, Vec::new()),
    );
    assert!(ea.is_none() && eb.is_none());
    let mut to_b = Vec::new();
    for f in &to_a {
        to_b.extend(a2.handle(&mut repo_a, f, 1).unwrap());
    }
    let (ea, eb) = exchange(
        (&mut a2, &mut repo_a, to_b),
        (&mut b2, &mut repo_b, Vec::new()),
    );
    assert!(ea.is_none() && eb.is_none(), "{ea:?} {eb:?}");
    assert!(a2.peer().is_some() && b2.peer().is_some());
    assert!(repo_b.docs.contains_key(&id), "the event synced");
}

#[test]
fn only_hello_and_auth_are_establishing_frames() {
    let hello = Message::Hello {
        version: 1,
        persona: [1; 32],
        nonce: [2; 32],
        epoch: [3; 16],
    };
    let auth = Message::Auth {
        signature: vec![4; 64],
        invite: Some("code".into()),
    };
    assert!(Message::is_establishing(&hello.encode()));
    assert!(Message::is_establishing(&auth.encode()));
    for other in [
        Message::Heads {
            docs: Vec::new(),
            ack: true,
            seq: 1,
        },
        Message::Want {
            doc: [5; 32],
            have: Vec::new(),
        },
        Message::Synced { heard: false },
    ] {
        assert!(!Message::is_establishing(&other.encode()), "{other:?}");
    }
    assert!(!Message::is_establishing(&[]));
    let changes = Message::Changes {
        doc: [6; 32],
        changes: Vec::new(),
        last: true,
    };
    assert!(Message::is_changes(&changes.encode()));
    assert!(!Message::is_changes(&hello.encode()));
}

/// A `Changes` frame whose one change carries a 3-byte signature (the wire
/// format wants exactly 64).
fn short_signature_changes(doc: DocId, bytes: &[u8]) -> Vec<u8> {
    #[derive(serde::Serialize)]
    struct Short {
        #[serde(with = "serde_bytes")]
        signature: Vec<u8>,
        #[serde(with = "serde_bytes")]
        bytes: Vec<u8>,
    }
    let list = postcard::to_allocvec(&vec![Short {
        signature: vec![1, 2, 3],
        bytes: bytes.to_vec(),
    }])
    .unwrap();
    let mut packed = vec![0u8];
    packed.extend(list);
    changes_frame(doc, packed)
}

/// A `Changes` frame with a packed list made by hand.
fn changes_frame(doc: DocId, packed: Vec<u8>) -> Vec<u8> {
    #[derive(serde::Serialize)]
    #[allow(dead_code)]
    enum SameLayout {
        Hello,
        Auth,
        Heads,
        Want,
        Changes {
            doc: [u8; 32],
            #[serde(with = "serde_bytes")]
            packed: Vec<u8>,
            last: bool,
        },
    }
    postcard::to_allocvec(&SameLayout::Changes {
        doc: doc.0,
        packed,
        last: true,
    })
    .unwrap()
}

#[test]
fn a_small_frame_cannot_inflate_into_millions_of_changes() {
    use std::io::Write;
    // 4 MiB of zeros deflate to about 4 KB; read as a change list of empty
    // entries, it was two million of them (and some 200 MB of allocations).
    let mut encoder = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(&vec![0u8; MAX_MESSAGE - 1024]).unwrap();
    let mut packed = vec![1u8];
    packed.extend(encoder.finish().unwrap());
    assert!(packed.len() < 8 * 1024, "{}", packed.len());
    let frame = changes_frame(DocId([9; 32]), packed);
    assert!(Message::decode(&frame).is_err());
    // Real change lists still travel.
    let alice = Persona::generate();
    let mut doc = event_of(&alice);
    for i in 0..300 {
        let mut d = doc.event().unwrap().details;
        d.description = format!("take {i}: {}", "bring water and a hat ".repeat(i % 7));
        doc.update_event(&alice, &d, ts(i as u64 + 1)).unwrap();
    }
    let changes: Vec<WireChange> = doc
        .signed_changes()
        .iter()
        .map(WireChange::from_signed)
        .collect();
    let msg = Message::Changes {
        doc: doc.id().0,
        changes,
        last: true,
    };
    assert_eq!(Message::decode(&msg.encode()).unwrap(), msg);
}

#[test]
fn frames_before_authentication_wait_undecoded_within_bounds() {
    let alice = Persona::generate();
    let mut repo = MemRepo::default();
    let (mut s, _) = Session::new(alice, [1; 16], vec![1], vec![2]);
    // Not a message at all: decoding it would fail, and a session that decoded
    // before authentication would drop the peer at once.
    let mut garbage = vec![2u8];
    garbage.extend([0xff; 64]);
    assert!(s.handle(&mut repo, &garbage, 0).unwrap().is_empty());
    assert_eq!(s.early.len(), 1);
    // Kept frames are bounded in number and bytes.
    let big = vec![3u8; MAX_MESSAGE / 3];
    for _ in 0..10 {
        s.handle(&mut repo, &big, 0).unwrap();
    }
    assert!(s.early_bytes <= MAX_MESSAGE, "{}", s.early_bytes);
    for _ in 0..100 {
        s.handle(&mut repo, &garbage, 0).unwrap();
    }
    assert!(s.early.len() <= 16);
    assert!(Message::is_pre_auth(
        &Message::Refused {
            reason: "no".into()
        }
        .encode()
    ));
}

/// A repo that holds many documents it only announces.
struct Many(Vec<(DocId, Vec<ChangeHash>)>);

impl Repo for Many {
    type Error = Infallible;
    fn readable(&mut self, _: &PersonaId) -> Result<Vec<(DocId, Vec<ChangeHash>)>, Infallible> {
        Ok(self.0.clone())
    }
    fn may_read(&mut self, _: &PersonaId, _: &DocId) -> Result<bool, Infallible> {
        Ok(true)
    }
    fn heads(&mut self, doc: &DocId) -> Result<Option<Vec<ChangeHash>>, Infallible> {
        Ok(self
            .0
            .iter()
            .find(|(d, _)| d == doc)
            .map(|(_, h)| h.clone()))
    }
    fn knows_all(&mut self, _: &DocId, h: &[ChangeHash]) -> Result<bool, Infallible> {
        Ok(h.is_empty())
    }
    fn changes_since(
        &mut self,
        _: &DocId,
        _: &[ChangeHash],
    ) -> Result<Vec<SignedChange>, Infallible> {
        Ok(Vec::new())
    }
    fn ingest(&mut self, _: &PersonaId, _: Vec<SignedChange>) -> Result<Ingested, Infallible> {
        Ok(Ingested::default())
    }
    fn prepare_peer(&mut self, _: &PersonaId, _: [u8; 16]) -> Result<Option<u64>, Infallible> {
        Ok(None)
    }
    fn belief(&mut self, _: &PersonaId, _: &DocId) -> Result<Option<Vec<ChangeHash>>, Infallible> {
        Ok(None)
    }
    fn set_belief(&mut self, _: &PersonaId, _: &DocId, _: &[ChangeHash]) -> Result<(), Infallible> {
        Ok(())
    }
    fn log_position(&mut self) -> Result<u64, Infallible> {
        Ok(0)
    }
    fn readable_changed_since(
        &mut self,
        p: &PersonaId,
        _: u64,
    ) -> Result<Vec<(DocId, Vec<ChangeHash>)>, Infallible> {
        self.readable(p)
    }
    fn set_synced_position(&mut self, _: &PersonaId, _: u64) -> Result<(), Infallible> {
        Ok(())
    }
}

#[test]
fn a_store_of_any_size_announces_itself_under_the_frame_limit() {
    // 150 000 documents with two heads each: one `Heads` would be some 10 MB,
    // which the peer refuses (and the batch was retried forever).
    announces_under(FrameLimit::default(), 150_000);
}

#[test]
fn a_small_frame_limit_splits_announcements_under_it() {
    // Some 1.4 MB of heads against the smallest limit (320 KiB).
    announces_under(FrameLimit::new(FrameLimit::MIN).unwrap(), 20_000);
}

fn announces_under(limit: FrameLimit, n: u32) {
    let docs: Vec<(DocId, Vec<ChangeHash>)> = (0..n)
        .map(|i| {
            let mut id = [0u8; 32];
            id[..4].copy_from_slice(&i.to_be_bytes());
            (DocId(id), vec![ChangeHash([1; 32]), ChangeHash([2; 32])])
        })
        .collect();
    let mut big = Many(docs);
    let mut small = MemRepo::default();
    let (mut sa, to_b) = Session::new(Persona::generate(), [1; 16], vec![1], vec![2]);
    let (mut sb, to_a) = Session::new(Persona::generate(), [2; 16], vec![2], vec![1]);
    sa.set_frame_limit(limit);
    sb.set_frame_limit(limit);
    let mut to_b = to_b;
    let mut to_a = to_a;
    let mut announced = 0;
    let mut largest_heads = 0;
    for _ in 0..4 {
        for f in std::mem::take(&mut to_b) {
            assert!(f.len() <= limit.bytes(), "a frame of {} bytes", f.len());
            if let Ok(Message::Heads {
                docs, ack: false, ..
            }) = Message::decode(&f)
            {
                announced += docs.len();
                largest_heads = largest_heads.max(f.len());
            }
            to_a.extend(sb.handle(&mut small, &f, 0).unwrap());
        }
        for f in std::mem::take(&mut to_a) {
            assert!(f.len() <= limit.bytes(), "a frame of {} bytes", f.len());
            to_b.extend(sa.handle(&mut big, &f, 0).unwrap());
        }
    }
    assert_eq!(announced, n as usize);
    // Split into pieces the size the limit asks for.
    assert!(
        largest_heads <= limit.heads_chunk() + 1024,
        "{largest_heads}"
    );
}

fn made_up_heads(n: u32, seq: u64) -> Vec<u8> {
    let docs = (0..n)
        .map(|i| {
            let mut doc = [7u8; 32];
            doc[..4].copy_from_slice(&i.to_be_bytes());
            DocHeads {
                doc,
                heads: vec![[9; 32]],
            }
        })
        .collect();
    Message::Heads {
        docs,
        ack: false,
        seq,
    }
    .encode()
}

#[test]
fn made_up_announcements_cost_no_disk_and_are_wanted_a_window_at_a_time() {
    let (mut repo_a, mut sa, _repo_m, sm, _) = authed_pair();
    let mallory = sm.me.id();
    let out = sa
        .handle(&mut repo_a, &made_up_heads(10_000, 1_000), 0)
        .unwrap();
    let wants = out
        .iter()
        .filter(|f| matches!(Message::decode(f), Ok(Message::Want { .. })))
        .count();
    assert_eq!(
        wants, MAX_WANTS_IN_FLIGHT,
        "wants go out a window at a time"
    );
    assert_eq!(sa.stats().docs_wanted, 10_000);
    let kept = repo_a.beliefs.get(&mallory).map_or(0, |e| e.1.len());
    assert!(
        kept <= 1,
        "{kept} beliefs kept for documents this side does not hold"
    );
    // Past the bound on what a session learns of the peer, it is dropped.
    let (mut repo_a, mut sa, _repo_m, _sm, _) = authed_pair();
    sa.set_bounds(16, 5_000);
    let err = sa
        .handle(&mut repo_a, &made_up_heads(5_001, 1_000), 0)
        .unwrap_err();
    assert!(matches!(err, SessionError::Misbehaved(_)), "{err}");
    // Too many heads on one document is malformed.
    let (mut repo_a, mut sa, _repo_m, _sm, _) = authed_pair();
    let heads = Message::Heads {
        docs: vec![DocHeads {
            doc: [7; 32],
            heads: (0..=MAX_HEADS as u32)
                .map(|i| {
                    let mut h = [0u8; 32];
                    h[..4].copy_from_slice(&i.to_be_bytes());
                    h
                })
                .collect(),
        }],
        ack: false,
        seq: 1_000,
    };
    let err = sa.handle(&mut repo_a, &heads.encode(), 0).unwrap_err();
    assert!(matches!(err, SessionError::Malformed(_)), "{err}");
}

#[test]
fn a_report_to_a_server_travels_whole_and_an_insane_one_is_told_apart() {
    let report = ServerReport {
        id: [7; 32],
        kind: "comment".into(),
        target: format!("{}/abc123", DocId([3; 32]).to_hex()),
        reason: "harassment".into(),
        text: "threatens the volunteers".into(),
    };
    assert!(report.is_sane());
    for msg in [
        Message::Report(report.clone()),
        Message::ReportTaken { id: [7; 32] },
        Message::Policy {
            rules: "1. Be kind.".into(),
            contact: "mods@example.org".into(),
        },
    ] {
        assert_eq!(Message::decode(&msg.encode()).unwrap(), msg);
    }
    let insane = [
        ServerReport {
            kind: "message".into(),
            ..report.clone()
        },
        ServerReport {
            reason: "dislike".into(),
            ..report.clone()
        },
        ServerReport {
            target: String::new(),
            ..report.clone()
        },
        ServerReport {
            target: "x".repeat(201),
            ..report.clone()
        },
        ServerReport {
            text: "x".repeat(4_001),
            ..report.clone()
        },
    ];
    for r in insane {
        assert!(!r.is_sane(), "{r:?}");
    }
}
