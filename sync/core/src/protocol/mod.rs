//! The sync protocol, sans IO: one [`Session`] per connection, fed with the bytes
//! that arrive and the current time, returning the bytes to send. Any transport
//! (libp2p, the server, a simulated network in tests) carries the frames; a
//! [`Repo`] gives the session access to the local documents.
//!
//! A session goes through three steps:
//!
//! 1. **Authentication.** Each side sends `Hello` (its persona and a fresh nonce),
//!    then `Auth`: its persona's signature over the peer's nonce and both transport
//!    identities (the channel binding the transport vouches for, e.g. the two libp2p
//!    peer ids). Nothing else is accepted before the peer is authenticated.
//! 2. **Announce.** Each side sends `Heads` for the documents the peer may read and
//!    whose heads differ from what it last knew of the peer (all of them the first
//!    time, or when the peer's store epoch changed). The per-peer knowledge
//!    ("beliefs") lives in the repo, so a reconnect costs what changed, not the
//!    history.
//! 3. **Pull.** For every announced document with heads it does not have, a side
//!    sends `Want` with its own heads and gets `Changes` back; after storing them it
//!    acknowledges with its new `Heads`, which is how the sender learns what the
//!    peer has. When nothing is outstanding a side says `Synced`.
//!
//! Received changes are verified and judged by the repo before anything is stored;
//! a peer whose changes are forged, tampered or malformed, or whose messages are, is
//! dropped ([`SessionError`]) and the batch it sent is not kept. Every message is
//! idempotent, so lost, repeated or reordered messages after authentication only
//! cost time: [`Session::tick`] repeats announcements and unanswered wants.

pub mod allowance;
mod frame_limit;
pub mod link;
mod message;
pub mod redial;
pub mod relay_guard;

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use automerge::ChangeHash;
use ed25519_dalek::{Signature, Verifier};

pub use message::{
    CHANGES_CHUNK, DecodeError, DocHeads, HEADS_CHUNK, MAX_INFLATION, MAX_MESSAGE, MAX_NOTE,
    MAX_POLICY, MAX_ROUTE, Message, PROTOCOL_VERSION, ServerReport, WireChange,
};

pub use frame_limit::{FrameLimit, FrameLimitError};

use crate::ids::{DocId, PersonaId, random_bytes};
use crate::invite::InvitationProof;
use crate::persona::Persona;
use crate::picture::{BlobHash, MAX_BLOB_BYTES};
use crate::signed::SignedChange;

/// Wants on their way to the peer at most: the rest of what it announced waits in
/// a queue, so the peer's answers (and its outbox) stay bounded however large the
/// store it announces.
pub const MAX_WANTS_IN_FLIGHT: usize = 256;
/// The most documents one session may learn of from the peer (what it announced,
/// known here or not). A store of a few hundred thousand documents fits; a peer
/// that announces more is dropped. With [`MAX_HEADS`] this bounds the memory a
/// session holds for the peer's announcements (about 100 bytes per document plus
/// 32 per head).
pub const MAX_PEER_DOCS: usize = 500_000;
/// The most heads one announced document may have.
pub const MAX_HEADS: usize = 4_096;

/// Blobs asked of the peer at a time.
pub const MAX_BLOB_WANTS: usize = 4;
/// Blobs the peer said it has not got that a session remembers (it asks no
/// more once that many are missing from it).
const MAX_BLOBS_LACKING: usize = 1_024;

/// How long the peer must have been silent before unanswered wants and
/// unacknowledged announcements are sent again (ms); see [`Session::set_retry_after`].
pub const RETRY_AFTER_MS: u64 = 3_000;

/// What the local side of a session needs from the documents it holds.
pub trait Repo {
    type Error: std::error::Error + Send + Sync + 'static;

    /// The documents `peer` may read, with their heads.
    fn readable(&mut self, peer: &PersonaId) -> Result<Vec<(DocId, Vec<ChangeHash>)>, Self::Error>;
    /// Whether `peer` may read `doc`.
    fn may_read(&mut self, peer: &PersonaId, doc: &DocId) -> Result<bool, Self::Error>;
    /// The document's heads, `None` when it is unknown here.
    fn heads(&mut self, doc: &DocId) -> Result<Option<Vec<ChangeHash>>, Self::Error>;
    /// Whether every one of these changes is stored (or refused) here.
    fn knows_all(&mut self, doc: &DocId, hashes: &[ChangeHash]) -> Result<bool, Self::Error>;
    /// Whether this side chose not to hold `doc` (a device that keeps only
    /// recent events): a peer's announcement of it is acknowledged as is, so
    /// the peer settles, and nothing of it is wanted.
    fn forgotten(&mut self, doc: &DocId) -> Result<bool, Self::Error> {
        let _ = doc;
        Ok(false)
    }
    /// Documents this side asks every peer for, whole, when a session starts,
    /// whether announced or not (a forgotten event asked for again, a group log
    /// whose older messages were forgotten).
    fn asked_for(&mut self) -> Result<Vec<DocId>, Self::Error> {
        Ok(Vec::new())
    }
    /// The stored changes of `doc` a replica with heads `have` lacks.
    fn changes_since(
        &mut self,
        doc: &DocId,
        have: &[ChangeHash],
    ) -> Result<Vec<SignedChange>, Self::Error>;
    /// An answer to a `Want` of `doc` from `have` (in frames of changes at most
    /// `chunk` bytes) made earlier for another peer, if `doc` has not changed
    /// since. A server answers many peers asking alike (each new change is
    /// wanted by every other device from the same heads), and an answer kept
    /// spares loading and copying the same changes again. The
    /// default keeps none.
    fn kept_answer(
        &mut self,
        doc: &DocId,
        have: &[ChangeHash],
        chunk: usize,
    ) -> Result<Option<Answer>, Self::Error> {
        let _ = (doc, have, chunk);
        Ok(None)
    }
    /// Offers the answer just made from [`Repo::changes_since`] to be kept
    /// (see [`Repo::kept_answer`]).
    fn keep_answer(&mut self, doc: &DocId, have: &[ChangeHash], chunk: usize, answer: Answer) {
        let _ = (doc, have, chunk, answer);
    }
    /// Verifies, judges and stores changes received from `peer`, all or nothing.
    fn ingest(
        &mut self,
        peer: &PersonaId,
        changes: Vec<SignedChange>,
    ) -> Result<Ingested, Self::Error>;
    /// Starts a session with `peer`: forgets what was known of it when its store
    /// epoch is not the one seen before, and returns the log position at which this
    /// side was last fully in sync with it, if it was.
    fn prepare_peer(
        &mut self,
        peer: &PersonaId,
        epoch: [u8; 16],
    ) -> Result<Option<u64>, Self::Error>;
    /// What this side last knew of the peer's heads of `doc`.
    fn belief(
        &mut self,
        peer: &PersonaId,
        doc: &DocId,
    ) -> Result<Option<Vec<ChangeHash>>, Self::Error>;
    fn set_belief(
        &mut self,
        peer: &PersonaId,
        doc: &DocId,
        heads: &[ChangeHash],
    ) -> Result<(), Self::Error>;
    /// A position in the local change log; it grows with every stored change.
    fn log_position(&mut self) -> Result<u64, Self::Error>;
    /// The documents `peer` may read that changed after `position` (or whose
    /// readability may have: the events of a group that changed), with heads.
    fn readable_changed_since(
        &mut self,
        peer: &PersonaId,
        position: u64,
    ) -> Result<Vec<(DocId, Vec<ChangeHash>)>, Self::Error>;
    /// Records that `peer` had everything readable as of `position`.
    fn set_synced_position(&mut self, peer: &PersonaId, position: u64) -> Result<(), Self::Error>;
    /// Whether to sync with `peer`, which just proved its persona and presented
    /// `invite` (if it was given one). Peers admit everyone; a server admits the
    /// personas registered with it, and registers new ones as its admin decided.
    fn admit(&mut self, peer: &PersonaId, invite: Option<&str>) -> Result<Admission, Self::Error> {
        let _ = (peer, invite);
        Ok(Admission::Admitted)
    }
    /// For a peer this side chose as its server (see [`Session::set_routes_to_peer`]):
    /// the logs of groups this side is a member of, each with the group's members
    /// and open invitations (all of them, or only those of groups changed after
    /// `since`).
    fn routes(&mut self, since: Option<u64>) -> Result<Vec<GroupRoute>, Self::Error> {
        let _ = since;
        Ok(Vec::new())
    }
    /// A peer asks this side (a server) to share a group log with these personas.
    fn route(
        &mut self,
        peer: &PersonaId,
        log: &DocId,
        personas: &[PersonaId],
    ) -> Result<(), Self::Error> {
        let _ = (peer, log, personas);
        Ok(())
    }
    /// A peer tells this side (a server) which invitations of a group still let
    /// someone in (all of them: the others no longer do).
    fn open_invitations(
        &mut self,
        peer: &PersonaId,
        log: &DocId,
        open: &[PersonaId],
    ) -> Result<(), Self::Error> {
        let _ = (peer, log, open);
        Ok(())
    }
    /// For a peer this side chose as its server: the invitations this side holds
    /// for groups it has not received yet, proven for this side's persona.
    fn invitations(&mut self) -> Result<Vec<InvitationProof>, Self::Error> {
        Ok(Vec::new())
    }
    /// A peer (that proved its persona) shows an invitation: if it is open, this
    /// side (a server) shares the group with it and returns what became readable,
    /// with heads, to be announced to it; otherwise nothing.
    fn accept_invitation(
        &mut self,
        peer: &PersonaId,
        proof: &InvitationProof,
    ) -> Result<Vec<(DocId, Vec<ChangeHash>)>, Self::Error> {
        let _ = (peer, proof);
        Ok(Vec::new())
    }
    /// Blobs (pictures' bytes) that documents here name and that have not
    /// arrived, at most `limit`.
    fn missing_blobs(&mut self, limit: usize) -> Result<Vec<BlobHash>, Self::Error> {
        let _ = limit;
        Ok(Vec::new())
    }
    /// The blob, if it is here and `peer` may read a document that names it.
    fn blob_for(
        &mut self,
        peer: &PersonaId,
        hash: &BlobHash,
    ) -> Result<Option<Vec<u8>>, Self::Error> {
        let _ = (peer, hash);
        Ok(None)
    }
    /// A blob that hashes to its address arrived in answer to this side's
    /// `WantBlob`: keep it if a document here still names it.
    fn take_blob(&mut self, hash: &BlobHash, bytes: &[u8]) -> Result<(), Self::Error> {
        let _ = (hash, bytes);
        Ok(())
    }
    /// For a peer this side chose as its server: the reports to its admins
    /// that it has not taken yet.
    fn outgoing_reports(&mut self) -> Result<Vec<ServerReport>, Self::Error> {
        Ok(Vec::new())
    }
    /// A peer reports something to this side's admins: `true` when this side
    /// (a server) keeps it (then it says so).
    fn take_report(
        &mut self,
        peer: &PersonaId,
        report: &ServerReport,
    ) -> Result<bool, Self::Error> {
        let _ = (peer, report);
        Ok(false)
    }
    /// The server took report `id`.
    fn report_taken(&mut self, id: &[u8; 32]) -> Result<(), Self::Error> {
        let _ = id;
        Ok(())
    }
    /// On a server: its policy (rules in Markdown, contact), told to every
    /// persona it admits.
    fn policy(&mut self) -> Result<Option<(String, String)>, Self::Error> {
        Ok(None)
    }
    /// A server this side syncs with told its policy.
    fn take_policy(
        &mut self,
        peer: &PersonaId,
        rules: &str,
        contact: &str,
    ) -> Result<(), Self::Error> {
        let _ = (peer, rules, contact);
        Ok(())
    }
}

/// What a device tells its server about one of its groups (see [`Repo::routes`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupRoute {
    pub log: DocId,
    pub members: Vec<PersonaId>,
    /// The public keys of the invitations that still let someone in.
    pub open_invites: Vec<PersonaId>,
}

/// The outcome of [`Repo::admit`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Admission {
    Admitted,
    /// Told to the peer, in plain words.
    Refused(String),
}

/// The encoded frames answering one `Want`, and how many changes they carry
/// (see [`Repo::kept_answer`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Answer {
    pub frames: Vec<Vec<u8>>,
    pub changes: u64,
}

impl Answer {
    /// Bytes the frames hold.
    pub fn size(&self) -> usize {
        self.frames.iter().map(Vec::len).sum()
    }
}

/// The outcome of [`Repo::ingest`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ingested {
    pub accepted: usize,
    /// Some changes still wait for their dependencies.
    pub waiting: bool,
    /// Set when the batch held a change only a misbehaving peer sends; then
    /// nothing of the batch was stored.
    pub misbehaviour: Option<String>,
    /// Set when this side will not take the batch now (a persona past a cap):
    /// nothing of it was stored, and the peer is told why and the session ends
    /// (its changes wait on its side for a later session).
    pub refused: Option<String>,
}

/// Why a session ends. The transport closes the connection.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    #[error("the peer sent a malformed message: {0}")]
    Malformed(String),
    #[error("the peer failed to prove its persona")]
    BadAuth,
    #[error("the peer speaks protocol version {0}, this side {PROTOCOL_VERSION}")]
    Version(u16),
    #[error("the peer sent changes that are refused: {0}")]
    Misbehaved(String),
    #[error("the peer refused to sync: {0}")]
    Refused(String),
    #[error("the local store failed: {0}")]
    Repo(Box<dyn std::error::Error + Send + Sync>),
}

impl SessionError {
    /// Whether the peer did something only a misbehaving peer does (as opposed to
    /// refusing, or this side failing).
    pub fn is_misbehaviour(&self) -> bool {
        !matches!(self, SessionError::Refused(_) | SessionError::Repo(_))
    }
}

impl SessionError {
    fn repo(e: impl std::error::Error + Send + Sync + 'static) -> Self {
        SessionError::Repo(Box::new(e))
    }
}

/// The message a persona signs to authenticate to a peer.
pub fn auth_message(
    peer_nonce: &[u8; 32],
    signer_binding: &[u8],
    verifier_binding: &[u8],
) -> Vec<u8> {
    let mut msg = b"rally/sync-auth/v1\0".to_vec();
    msg.extend_from_slice(peer_nonce);
    msg.extend_from_slice(&(signer_binding.len() as u32).to_le_bytes());
    msg.extend_from_slice(signer_binding);
    msg.extend_from_slice(&(verifier_binding.len() as u32).to_le_bytes());
    msg.extend_from_slice(verifier_binding);
    msg
}

#[derive(Debug, Clone)]
struct PeerHello {
    persona: PersonaId,
    epoch: [u8; 16],
}

/// Counters for progress reports and benchmarks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SessionStats {
    pub bytes_sent: u64,
    pub bytes_received: u64,
    pub changes_received: u64,
    pub changes_sent: u64,
    /// Documents this side still waits for.
    pub docs_wanted: usize,
}

/// One side of one connection.
#[derive(Debug)]
pub struct Session {
    me: Persona,
    /// The peer is this side's server: tell it who should get which group log.
    routes_to_peer: bool,
    nonce: [u8; 32],
    local_binding: Vec<u8>,
    remote_binding: Vec<u8>,
    peer_hello: Option<PeerHello>,
    early_auth: Option<(Vec<u8>, Option<String>)>,
    authenticated: bool,
    /// The invitation code to present to the peer.
    invite: Option<String>,
    /// Set when this side refused the peer: the session is over once the refusal
    /// is delivered.
    refused: Option<String>,
    /// Messages that arrived before authentication finished, replayed after it.
    early: Vec<Vec<u8>>,
    /// Their total size.
    early_bytes: usize,
    announced: bool,
    peer_announced: bool,
    /// What this session learned of the peer's heads (the rest is in the repo).
    beliefs: BTreeMap<DocId, Vec<ChangeHash>>,
    /// The log position the next announcement starts from (`None`: everything).
    announce_from: Option<u64>,
    /// The log position the last announcement covered.
    announced_up_to: u64,
    /// Whether the repo knows this session reached sync at `announced_up_to`.
    recorded_sync: bool,
    /// Documents wanted from the peer, with when the want was sent (at most
    /// [`MAX_WANTS_IN_FLIGHT`]).
    wants: BTreeMap<DocId, u64>,
    /// Documents to want once fewer are in flight, in the order announced.
    to_want: VecDeque<DocId>,
    /// The same, for lookups.
    to_want_set: BTreeSet<DocId>,
    /// Asked for again (see [`Repo::asked_for`]): wanted from the start, not
    /// from what this side holds (a group log whose older part was forgotten).
    asked_whole: BTreeSet<DocId>,
    /// Documents announced to the peer and not acknowledged yet.
    unacked: BTreeSet<DocId>,
    sent_synced: bool,
    peer_synced: bool,
    last_announce: u64,
    /// Numbers the `Heads` this side sends.
    heads_sent: u64,
    /// The newest `Heads` number applied per document, from the peer.
    heads_seen: BTreeMap<DocId, u64>,
    /// When the peer last answered a want or acknowledged an announcement.
    last_progress: u64,
    retry_after: u64,
    /// See [`MAX_WANTS_IN_FLIGHT`] and [`MAX_PEER_DOCS`].
    max_wants: usize,
    max_peer_docs: usize,
    frame_limit: FrameLimit,
    /// Blobs asked of the peer, with when; those it has not got; the log
    /// position when this side last looked for missing blobs, and whether an
    /// answer came since (see [`Session::want_blobs`]).
    blob_wants: BTreeMap<BlobHash, u64>,
    blobs_lacking: BTreeSet<BlobHash>,
    blobs_checked_at: Option<u64>,
    blob_answered: bool,
    stats: SessionStats,
}

type Out = Vec<Vec<u8>>;

fn hashes(h: &[ChangeHash]) -> Vec<[u8; 32]> {
    h.iter().map(|c| c.0).collect()
}

fn change_hashes(h: &[[u8; 32]]) -> Vec<ChangeHash> {
    h.iter().map(|c| ChangeHash(*c)).collect()
}

fn same_heads(a: &[ChangeHash], b: &[ChangeHash]) -> bool {
    let a: BTreeSet<_> = a.iter().collect();
    let b: BTreeSet<_> = b.iter().collect();
    a == b
}

const MAX_EARLY: usize = 16;
/// The most bytes of frames kept (undecoded) before authentication.
const MAX_EARLY_BYTES: usize = MAX_MESSAGE;

impl Session {
    /// Starts a session; the returned frames (the `Hello`) go to the peer first.
    ///
    /// `local_binding` and `remote_binding` identify the two ends of the channel as
    /// the transport authenticated them (e.g. libp2p peer ids).
    fn fresh(me: Persona, local_binding: Vec<u8>, remote_binding: Vec<u8>) -> Session {
        Session {
            me,
            routes_to_peer: false,
            nonce: random_bytes(),
            local_binding,
            remote_binding,
            peer_hello: None,
            early_auth: None,
            authenticated: false,
            invite: None,
            refused: None,
            early: Vec::new(),
            early_bytes: 0,
            announced: false,
            peer_announced: false,
            beliefs: BTreeMap::new(),
            announce_from: None,
            announced_up_to: 0,
            recorded_sync: false,
            wants: BTreeMap::new(),
            to_want: VecDeque::new(),
            to_want_set: BTreeSet::new(),
            asked_whole: BTreeSet::new(),
            unacked: BTreeSet::new(),
            sent_synced: false,
            peer_synced: false,
            last_announce: 0,
            last_progress: 0,
            heads_sent: 0,
            heads_seen: BTreeMap::new(),
            retry_after: RETRY_AFTER_MS,
            max_wants: MAX_WANTS_IN_FLIGHT,
            max_peer_docs: MAX_PEER_DOCS,
            frame_limit: FrameLimit::default(),
            blob_wants: BTreeMap::new(),
            blobs_lacking: BTreeSet::new(),
            blobs_checked_at: None,
            blob_answered: false,
            stats: SessionStats::default(),
        }
    }

    pub fn new(
        me: Persona,
        epoch: [u8; 16],
        local_binding: Vec<u8>,
        remote_binding: Vec<u8>,
    ) -> (Session, Out) {
        let mut s = Session::fresh(me, local_binding, remote_binding);
        let hello = Message::Hello {
            version: PROTOCOL_VERSION,
            persona: s.me.id().0,
            nonce: s.nonce,
            epoch,
        };
        let mut out = Vec::new();
        s.push(&mut out, &hello);
        (s, out)
    }

    /// The persona the peer proved it speaks for, once it did.
    pub fn peer(&self) -> Option<PersonaId> {
        self.authenticated
            .then(|| self.peer_hello.as_ref().map(|h| h.persona))
            .flatten()
    }

    /// Presents `invite` to the peer when authenticating (call before the peer's
    /// `Hello` is handled).
    /// The same session as far as the peer can tell (this side's persona, nonce and
    /// settings), with nothing learnt from the peer: for a peer that started a new
    /// session after taking in this side's `Hello`, which it will not see again.
    pub fn renewed(&self) -> Session {
        let mut s = Session::fresh(
            self.me.clone(),
            self.local_binding.clone(),
            self.remote_binding.clone(),
        );
        s.nonce = self.nonce;
        s.stats = self.stats;
        s.routes_to_peer = self.routes_to_peer;
        s.invite = self.invite.clone();
        s.retry_after = self.retry_after;
        s.max_wants = self.max_wants;
        s.max_peer_docs = self.max_peer_docs;
        s.frame_limit = self.frame_limit;
        s
    }

    /// Other bounds than [`MAX_WANTS_IN_FLIGHT`] and [`MAX_PEER_DOCS`] (tests and
    /// harnesses use small ones).
    pub fn set_bounds(&mut self, max_wants: usize, max_peer_docs: usize) {
        self.max_wants = max_wants.max(1);
        self.max_peer_docs = max_peer_docs;
    }

    /// Splits what this side sends under `limit` rather than [`MAX_MESSAGE`] (the
    /// transport refuses larger frames; see [`FrameLimit`]).
    pub fn set_frame_limit(&mut self, limit: FrameLimit) {
        self.frame_limit = limit;
    }

    /// The peer is a server this side chose: it is told which personas should get
    /// which group log ([`Message::Route`]).
    pub fn set_routes_to_peer(&mut self, routes: bool) {
        self.routes_to_peer = routes;
    }

    pub fn set_invite(&mut self, invite: String) {
        self.invite = Some(invite);
    }

    /// Why this side refused the peer, once it did: the transport delivers the
    /// last frames and closes the connection.
    pub fn refused(&self) -> Option<&str> {
        self.refused.as_deref()
    }

    /// The persona this side refused, which proved its key first.
    pub fn refused_peer(&self) -> Option<PersonaId> {
        self.refused
            .as_ref()
            .and(self.peer_hello.as_ref().map(|h| h.persona))
    }

    /// Whether the peer's `Hello` arrived (a second one means it started over).
    pub fn has_peer_hello(&self) -> bool {
        self.peer_hello.is_some()
    }

    /// Both sides said they have nothing outstanding.
    pub fn is_synced(&self) -> bool {
        self.sent_synced
            && self.peer_synced
            && self.wants.is_empty()
            && self.to_want.is_empty()
            && self.unacked.is_empty()
            && self.blob_wants.is_empty()
    }

    /// Over a transport that loses nothing while the connection lives, repeats only
    /// matter after long silences; over a lossy one, sooner.
    pub fn set_retry_after(&mut self, ms: u64) {
        self.retry_after = ms;
    }

    pub fn stats(&self) -> SessionStats {
        SessionStats {
            docs_wanted: self.wants.len() + self.to_want.len(),
            ..self.stats
        }
    }

    fn next_heads_seq(&mut self) -> u64 {
        self.heads_sent += 1;
        self.heads_sent
    }

    fn push(&mut self, out: &mut Out, m: &Message) {
        let bytes = m.encode();
        self.stats.bytes_sent += bytes.len() as u64;
        out.push(bytes);
    }

    /// The signed changes (not sealed envelopes) that `frames` carry, once
    /// the peer is authenticated (else none): what the node hands the store
    /// to check ahead of time. Frames that do not decode are left to
    /// [`Session::handle`] to refuse.
    pub fn changes_in(&self, frames: &[Vec<u8>]) -> Vec<SignedChange> {
        if !self.authenticated {
            return Vec::new();
        }
        let mut out = Vec::new();
        for frame in frames {
            if let Ok(Message::Changes { doc, changes, .. }) = Message::decode(frame) {
                out.extend(
                    changes
                        .into_iter()
                        .filter(|c| !crate::sealed::is_envelope(&c.bytes))
                        .filter_map(|c| c.into_signed(DocId(doc))),
                );
            }
        }
        out
    }

    /// Handles one frame from the peer.
    pub fn handle<R: Repo>(
        &mut self,
        repo: &mut R,
        frame: &[u8],
        now: u64,
    ) -> Result<Out, SessionError> {
        self.stats.bytes_received += frame.len() as u64;
        let mut out = Vec::new();
        if self.refused.is_some() {
            return Ok(out);
        }
        if !self.authenticated && !Message::is_pre_auth(frame) {
            // Kept undecoded for after authentication (frames may be reordered);
            // past the bounds they are dropped, not held against the peer: after a
            // restart, frames of its previous session are still on the way, and
            // whatever mattered in them is repeated.
            if self.early.len() < MAX_EARLY && self.early_bytes + frame.len() <= MAX_EARLY_BYTES {
                self.early_bytes += frame.len();
                self.early.push(frame.to_vec());
            }
            return Ok(out);
        }
        let msg = Message::decode(frame).map_err(|e| SessionError::Malformed(e.to_string()))?;
        match msg {
            Message::Hello {
                version,
                persona,
                nonce,
                epoch,
            } => {
                if version != PROTOCOL_VERSION {
                    return Err(SessionError::Version(version));
                }
                if self.peer_hello.is_some() {
                    return Err(SessionError::Malformed("a second Hello".into()));
                }
                self.peer_hello = Some(PeerHello {
                    persona: PersonaId(persona),
                    epoch,
                });
                let signature = self
                    .me
                    .sign(&auth_message(
                        &nonce,
                        &self.local_binding,
                        &self.remote_binding,
                    ))
                    .to_vec();
                let invite = self.invite.clone();
                self.push(&mut out, &Message::Auth { signature, invite });
                if let Some((sig, invite)) = self.early_auth.take() {
                    self.verify_auth(repo, &sig, invite.as_deref(), now, &mut out)?;
                }
            }
            Message::Auth { signature, invite } => {
                if self.authenticated || self.early_auth.is_some() {
                    return Err(SessionError::Malformed("a second Auth".into()));
                }
                if invite.as_ref().is_some_and(|i| i.len() > MAX_NOTE) {
                    return Err(SessionError::Malformed("an oversize invitation".into()));
                }
                if self.peer_hello.is_none() {
                    self.early_auth = Some((signature, invite));
                } else {
                    self.verify_auth(repo, &signature, invite.as_deref(), now, &mut out)?;
                }
            }
            Message::Refused { reason } => {
                let reason: String = reason.chars().take(MAX_NOTE).collect();
                return Err(SessionError::Refused(reason));
            }
            _ if !self.authenticated => {
                // Not reached: only Hello, Auth and Refused are decoded before
                // authentication (`Message::is_pre_auth`).
                return Err(SessionError::Malformed(
                    "a message before authentication".into(),
                ));
            }
            Message::Heads { docs, ack, seq } => {
                if ack {
                    self.last_progress = self.last_progress.max(now);
                }
                if !ack && !docs.is_empty() {
                    self.peer_synced = false;
                }
                self.on_heads(repo, docs, ack, seq, now, &mut out)?
            }
            Message::Want { doc, have } => {
                self.peer_synced = false;
                self.on_want(repo, DocId(doc), change_hashes(&have), &mut out)?
            }
            Message::Changes { doc, changes, last } => {
                self.last_progress = self.last_progress.max(now);
                self.on_changes(repo, DocId(doc), changes, last, now, &mut out)?
            }
            Message::Route { log, personas } => {
                if personas.len() > MAX_ROUTE {
                    return Err(SessionError::Malformed("an oversize route".into()));
                }
                let peer = self.peer().expect("authenticated");
                let personas: Vec<PersonaId> = personas.into_iter().map(PersonaId).collect();
                repo.route(&peer, &DocId(log), &personas)
                    .map_err(SessionError::repo)?;
            }
            Message::Invitations { log, open } => {
                if open.len() > MAX_ROUTE {
                    return Err(SessionError::Malformed(
                        "an oversize invitation list".into(),
                    ));
                }
                let peer = self.peer().expect("authenticated");
                let open: Vec<PersonaId> = open.into_iter().map(PersonaId).collect();
                repo.open_invitations(&peer, &DocId(log), &open)
                    .map_err(SessionError::repo)?;
            }
            Message::Invited {
                group,
                invite,
                signature,
            } => {
                let peer = self.peer().expect("authenticated");
                let proof = InvitationProof {
                    group: DocId(group),
                    invite: PersonaId(invite),
                    signature,
                };
                let docs = repo
                    .accept_invitation(&peer, &proof)
                    .map_err(SessionError::repo)?;
                self.announce_these(docs, now, &mut out);
            }
            Message::Report(report) => {
                if !report.is_sane() {
                    return Err(SessionError::Malformed("an insane report".into()));
                }
                let peer = self.peer().expect("authenticated");
                if repo
                    .take_report(&peer, &report)
                    .map_err(SessionError::repo)?
                {
                    self.push(&mut out, &Message::ReportTaken { id: report.id });
                }
            }
            Message::ReportTaken { id } => {
                repo.report_taken(&id).map_err(SessionError::repo)?;
            }
            Message::Policy { rules, contact } => {
                if rules.len() + contact.len() > MAX_POLICY {
                    return Err(SessionError::Malformed("an oversize policy".into()));
                }
                let peer = self.peer().expect("authenticated");
                repo.take_policy(&peer, &rules, &contact)
                    .map_err(SessionError::repo)?;
            }
            Message::WantBlob { hash } => {
                let peer = self.peer().expect("authenticated");
                let hash = BlobHash(hash);
                let bytes = repo
                    .blob_for(&peer, &hash)
                    .map_err(SessionError::repo)?
                    .unwrap_or_default();
                self.push(
                    &mut out,
                    &Message::Blob {
                        hash: hash.0,
                        bytes,
                    },
                );
            }
            Message::Blob { hash, bytes } => {
                self.on_blob(repo, BlobHash(hash), bytes)?;
            }
            Message::Synced { heard } => {
                // A peer says Synced only once it has announced everything.
                self.peer_synced = true;
                self.peer_announced = true;
                if !heard && self.sent_synced && self.wants.is_empty() && self.to_want.is_empty() {
                    self.push(&mut out, &Message::Synced { heard: true });
                }
            }
        }
        self.want_blobs(repo, now, &mut out)?;
        self.maybe_synced(&mut out);
        self.record_sync(repo)?;
        Ok(out)
    }

    /// Once in sync, the repo remembers up to where: the next session with this
    /// peer announces only what changed after that.
    fn record_sync<R: Repo>(&mut self, repo: &mut R) -> Result<(), SessionError> {
        if self.is_synced() && !self.recorded_sync {
            let peer = self.peer().expect("synced sessions are authenticated");
            repo.set_synced_position(&peer, self.announced_up_to)
                .map_err(SessionError::repo)?;
            self.recorded_sync = true;
        }
        Ok(())
    }

    fn verify_auth<R: Repo>(
        &mut self,
        repo: &mut R,
        signature: &[u8],
        invite: Option<&str>,
        now: u64,
        out: &mut Out,
    ) -> Result<(), SessionError> {
        let hello = self.peer_hello.clone().expect("checked by the caller");
        let key = hello.persona.verifying_key().ok_or(SessionError::BadAuth)?;
        let sig: [u8; 64] = signature.try_into().map_err(|_| SessionError::BadAuth)?;
        key.verify(
            &auth_message(&self.nonce, &self.remote_binding, &self.local_binding),
            &Signature::from_bytes(&sig),
        )
        .map_err(|_| SessionError::BadAuth)?;
        if let Admission::Refused(reason) = repo
            .admit(&hello.persona, invite)
            .map_err(SessionError::repo)?
        {
            let reason: String = reason.chars().take(MAX_NOTE).collect();
            self.push(
                out,
                &Message::Refused {
                    reason: reason.clone(),
                },
            );
            self.early.clear();
            self.refused = Some(reason);
            return Ok(());
        }
        self.authenticated = true;
        self.announce_from = repo
            .prepare_peer(&hello.persona, hello.epoch)
            .map_err(SessionError::repo)?;
        if let Some((rules, contact)) = repo.policy().map_err(SessionError::repo)? {
            self.push(out, &Message::Policy { rules, contact });
        }
        if self.routes_to_peer {
            for report in repo.outgoing_reports().map_err(SessionError::repo)? {
                self.push(out, &Message::Report(report));
            }
            for proof in repo.invitations().map_err(SessionError::repo)? {
                let m = Message::Invited {
                    group: proof.group.0,
                    invite: proof.invite.0,
                    signature: proof.signature,
                };
                self.push(out, &m);
            }
        }
        self.announce(repo, false, now, out)?;
        for doc in repo.asked_for().map_err(SessionError::repo)? {
            self.asked_whole.insert(doc);
            self.want_later(doc);
        }
        self.send_wants(repo, now, out)?;
        self.early_bytes = 0;
        for frame in std::mem::take(&mut self.early) {
            let more = self.handle(repo, &frame, now)?;
            out.extend(more);
        }
        Ok(())
    }

    /// Announces documents that just became readable to the peer (an invitation
    /// it showed), whatever it was believed to hold.
    fn announce_these(&mut self, docs: Vec<(DocId, Vec<ChangeHash>)>, now: u64, out: &mut Out) {
        if docs.is_empty() {
            return;
        }
        self.sent_synced = false;
        self.unacked.extend(docs.iter().map(|(d, _)| *d));
        let docs = docs
            .into_iter()
            .map(|(doc, heads)| DocHeads {
                doc: doc.0,
                heads: hashes(&heads),
            })
            .collect();
        self.push_heads(out, docs, false);
        self.last_announce = now;
    }

    /// Sends `Heads`, split into messages of at most about
    /// [`FrameLimit::heads_chunk`] bytes
    /// (one message, empty, when there is nothing: a first announcement says so).
    fn push_heads(&mut self, out: &mut Out, docs: Vec<DocHeads>, ack: bool) {
        let mut chunk = Vec::new();
        let mut size = 0;
        let mut sent_one = false;
        for d in docs {
            let cost = 40 + 33 * d.heads.len();
            if size + cost > self.frame_limit.heads_chunk() && !chunk.is_empty() {
                let seq = self.next_heads_seq();
                let docs = std::mem::take(&mut chunk);
                self.push(out, &Message::Heads { docs, ack, seq });
                sent_one = true;
                size = 0;
            }
            size += cost;
            chunk.push(d);
        }
        if !chunk.is_empty() || !sent_one {
            let seq = self.next_heads_seq();
            self.push(
                out,
                &Message::Heads {
                    docs: chunk,
                    ack,
                    seq,
                },
            );
        }
    }

    /// Sends the heads of readable documents that differ from what the peer has
    /// (all of them when `full`).
    fn announce<R: Repo>(
        &mut self,
        repo: &mut R,
        full: bool,
        now: u64,
        out: &mut Out,
    ) -> Result<(), SessionError> {
        let peer = self.peer().expect("announce after authentication");
        let position = repo.log_position().map_err(SessionError::repo)?;
        let candidates = match self.announce_from {
            Some(from) if !full => repo.readable_changed_since(&peer, from),
            _ => repo.readable(&peer),
        }
        .map_err(SessionError::repo)?;
        let mut docs = Vec::new();
        for (doc, heads) in candidates {
            let known = match self.beliefs.get(&doc) {
                Some(b) => Some(b.clone()),
                None => repo.belief(&peer, &doc).map_err(SessionError::repo)?,
            };
            if full || !known.is_some_and(|b| same_heads(&b, &heads)) {
                docs.push(DocHeads {
                    doc: doc.0,
                    heads: hashes(&heads),
                });
            }
        }
        if self.routes_to_peer {
            let since = if full { None } else { self.announce_from };
            for route in repo.routes(since).map_err(SessionError::repo)? {
                for chunk in route.members.chunks(MAX_ROUTE) {
                    let m = Message::Route {
                        log: route.log.0,
                        personas: chunk.iter().map(|p| p.0).collect(),
                    };
                    self.push(out, &m);
                }
                let m = Message::Invitations {
                    log: route.log.0,
                    open: route
                        .open_invites
                        .iter()
                        .take(MAX_ROUTE)
                        .map(|p| p.0)
                        .collect(),
                };
                self.push(out, &m);
            }
        }
        self.announce_from = Some(position);
        self.announced_up_to = position;
        self.recorded_sync = false;
        if !docs.is_empty() || !self.announced {
            self.sent_synced = false;
            self.unacked.extend(docs.iter().map(|d| DocId(d.doc)));
            self.push_heads(out, docs, false);
        }
        self.announced = true;
        self.last_announce = now;
        Ok(())
    }

    fn on_heads<R: Repo>(
        &mut self,
        repo: &mut R,
        docs: Vec<DocHeads>,
        ack: bool,
        seq: u64,
        now: u64,
        out: &mut Out,
    ) -> Result<(), SessionError> {
        let peer = self.peer().expect("authenticated");
        if !ack {
            self.peer_announced = true;
        }
        let mut acks = Vec::new();
        for DocHeads { doc, heads } in docs {
            let doc = DocId(doc);
            if heads.len() > MAX_HEADS {
                return Err(SessionError::Malformed(format!(
                    "a document announced with more than {MAX_HEADS} heads"
                )));
            }
            if !self.heads_seen.contains_key(&doc) && self.heads_seen.len() >= self.max_peer_docs {
                return Err(SessionError::Misbehaved(format!(
                    "announced more than {} documents",
                    self.max_peer_docs
                )));
            }
            let last = self.heads_seen.entry(doc).or_insert(0);
            if seq <= *last && *last > 0 {
                continue;
            }
            *last = seq;
            let theirs = change_hashes(&heads);
            let mine = repo.heads(&doc).map_err(SessionError::repo)?;
            self.beliefs.insert(doc, theirs.clone());
            if mine.is_some() {
                // Kept across sessions only for documents this side holds: what a
                // peer claims of others costs no disk (see `on_changes`).
                repo.set_belief(&peer, &doc, &theirs)
                    .map_err(SessionError::repo)?;
            }
            if ack {
                // Settled only when the peer has exactly what this side has now: an
                // older acknowledgement (for an earlier announcement) settles nothing.
                self.settle(repo, &doc)?;
            } else if mine.is_none() && repo.forgotten(&doc).map_err(SessionError::repo)? {
                acks.push(DocHeads {
                    doc: doc.0,
                    heads: hashes(&theirs),
                });
            } else if let Some(mine) = mine
                && repo.knows_all(&doc, &theirs).map_err(SessionError::repo)?
            {
                acks.push(DocHeads {
                    doc: doc.0,
                    heads: hashes(&mine),
                });
            } else if theirs.is_empty() {
                // The peer has nothing of a document this side does not hold either.
            } else {
                // Acknowledged once the changes are in (see `on_changes`).
                self.want_later(doc);
            }
        }
        self.send_wants(repo, now, out)?;
        if !acks.is_empty() {
            self.push_heads(out, acks, true);
        }
        Ok(())
    }

    /// Queues a want for `doc` (sent by [`Session::send_wants`]).
    fn want_later(&mut self, doc: DocId) {
        self.sent_synced = false;
        if !self.wants.contains_key(&doc) && self.to_want_set.insert(doc) {
            self.to_want.push_back(doc);
        }
    }

    /// Sends queued wants while fewer than [`MAX_WANTS_IN_FLIGHT`] are on their way.
    fn send_wants<R: Repo>(
        &mut self,
        repo: &mut R,
        now: u64,
        out: &mut Out,
    ) -> Result<(), SessionError> {
        while self.wants.len() < self.max_wants {
            let Some(doc) = self.to_want.pop_front() else {
                break;
            };
            self.to_want_set.remove(&doc);
            let have = if self.asked_whole.remove(&doc) {
                Vec::new()
            } else {
                repo.heads(&doc)
                    .map_err(SessionError::repo)?
                    .unwrap_or_default()
            };
            self.want(doc, &have, now, out);
        }
        Ok(())
    }

    /// Drops `doc` from the unacknowledged announcements if the peer is known to
    /// hold this side's current heads.
    fn settle<R: Repo>(&mut self, repo: &mut R, doc: &DocId) -> Result<(), SessionError> {
        if self.unacked.contains(doc) {
            let mine = repo
                .heads(doc)
                .map_err(SessionError::repo)?
                .unwrap_or_default();
            if self.beliefs.get(doc).is_some_and(|b| same_heads(b, &mine)) {
                self.unacked.remove(doc);
            }
        }
        Ok(())
    }

    fn want(&mut self, doc: DocId, have: &[ChangeHash], now: u64, out: &mut Out) {
        self.wants.insert(doc, now);
        self.sent_synced = false;
        self.push(
            out,
            &Message::Want {
                doc: doc.0,
                have: hashes(have),
            },
        );
    }

    fn on_want<R: Repo>(
        &mut self,
        repo: &mut R,
        doc: DocId,
        have: Vec<ChangeHash>,
        out: &mut Out,
    ) -> Result<(), SessionError> {
        let peer = self.peer().expect("authenticated");
        let readable = repo.may_read(&peer, &doc).map_err(SessionError::repo)?;
        let limit = self.frame_limit.changes_chunk();
        if readable
            && let Some(answer) = repo
                .kept_answer(&doc, &have, limit)
                .map_err(SessionError::repo)?
        {
            self.stats.changes_sent += answer.changes;
            for frame in answer.frames {
                self.stats.bytes_sent += frame.len() as u64;
                out.push(frame);
            }
            return Ok(());
        }
        let changes = if readable {
            repo.changes_since(&doc, &have)
                .map_err(SessionError::repo)?
        } else {
            Vec::new()
        };
        self.stats.changes_sent += changes.len() as u64;
        let first = out.len();
        let mut chunk = Vec::new();
        let mut size = 0;
        for c in &changes {
            if size + c.bytes.len() > limit && !chunk.is_empty() {
                let msg = Message::Changes {
                    doc: doc.0,
                    changes: std::mem::take(&mut chunk),
                    last: false,
                };
                self.push(out, &msg);
                size = 0;
            }
            size += c.bytes.len() + 64;
            chunk.push(WireChange::from_signed(c));
        }
        self.push(
            out,
            &Message::Changes {
                doc: doc.0,
                changes: chunk,
                last: true,
            },
        );
        if readable {
            let answer = Answer {
                frames: out[first..].to_vec(),
                changes: changes.len() as u64,
            };
            repo.keep_answer(&doc, &have, limit, answer);
        }
        Ok(())
    }

    fn on_changes<R: Repo>(
        &mut self,
        repo: &mut R,
        doc: DocId,
        changes: Vec<WireChange>,
        last: bool,
        now: u64,
        out: &mut Out,
    ) -> Result<(), SessionError> {
        let peer = self.peer().expect("authenticated");
        let mut signed = Vec::with_capacity(changes.len());
        for c in changes {
            signed.push(c.into_signed(doc).ok_or_else(|| {
                SessionError::Malformed("a change that cannot be decoded".into())
            })?);
        }
        self.stats.changes_received += signed.len() as u64;
        let result = if signed.is_empty() {
            Ingested::default()
        } else {
            repo.ingest(&peer, signed).map_err(SessionError::repo)?
        };
        if let Some(why) = result.misbehaviour {
            return Err(SessionError::Misbehaved(why));
        }
        if let Some(reason) = result.refused {
            let reason: String = reason.chars().take(MAX_NOTE).collect();
            self.push(
                out,
                &Message::Refused {
                    reason: reason.clone(),
                },
            );
            self.refused = Some(reason);
            return Ok(());
        }
        if last {
            let heads = repo
                .heads(&doc)
                .map_err(SessionError::repo)?
                .unwrap_or_default();
            let wanted = self.wants.remove(&doc).is_some();
            let expected = self.beliefs.get(&doc).cloned().unwrap_or_default();
            if same_heads(&expected, &heads) {
                // Both sides now hold the same: nothing left to acknowledge.
                self.unacked.remove(&doc);
            }
            if !heads.is_empty() {
                // Acknowledge: the peer learns what this side now has.
                let seq = self.next_heads_seq();
                let docs = vec![DocHeads {
                    doc: doc.0,
                    heads: hashes(&heads),
                }];
                self.push(
                    out,
                    &Message::Heads {
                        docs,
                        ack: true,
                        seq,
                    },
                );
            }
            if !heads.is_empty() && !expected.is_empty() {
                // The document is held here now: what the peer has of it is kept.
                repo.set_belief(&peer, &doc, &expected)
                    .map_err(SessionError::repo)?;
            }
            if wanted
                && (result.waiting
                    || !repo
                        .knows_all(&doc, &expected)
                        .map_err(SessionError::repo)?)
            {
                // Still missing something the peer announced: ask again from where we are.
                self.want(doc, &heads, now, out);
            }
            self.send_wants(repo, now, out)?;
        }
        Ok(())
    }

    fn maybe_synced(&mut self, out: &mut Out) {
        if self.authenticated
            && self.announced
            && self.peer_announced
            && self.wants.is_empty()
            && self.to_want.is_empty()
            && self.unacked.is_empty()
            && self.blob_wants.is_empty()
            && !self.sent_synced
        {
            self.sent_synced = true;
            let heard = self.peer_synced;
            self.push(out, &Message::Synced { heard });
        }
    }

    /// Local documents changed (an edit, or changes from another peer): announce
    /// what the peer does not have yet.
    pub fn local_changed<R: Repo>(&mut self, repo: &mut R, now: u64) -> Result<Out, SessionError> {
        let mut out = Vec::new();
        if self.authenticated {
            self.announce(repo, false, now, &mut out)?;
            self.want_blobs(repo, now, &mut out)?;
            self.maybe_synced(&mut out);
            self.record_sync(repo)?;
        }
        Ok(out)
    }

    /// Asks the peer for blobs documents here name and lack, a few at a time,
    /// once the documents themselves are in (their pictures come after them).
    /// Looks again only when the store changed or an answer came.
    fn want_blobs<R: Repo>(
        &mut self,
        repo: &mut R,
        now: u64,
        out: &mut Out,
    ) -> Result<(), SessionError> {
        if !self.authenticated
            || self.blob_wants.len() >= MAX_BLOB_WANTS
            || !self.wants.is_empty()
            || !self.to_want.is_empty()
            || self.blobs_lacking.len() >= MAX_BLOBS_LACKING
        {
            return Ok(());
        }
        let position = repo.log_position().map_err(SessionError::repo)?;
        if self.blobs_checked_at == Some(position) && !self.blob_answered {
            return Ok(());
        }
        self.blobs_checked_at = Some(position);
        self.blob_answered = false;
        let candidates = repo
            .missing_blobs(MAX_BLOB_WANTS + self.blobs_lacking.len())
            .map_err(SessionError::repo)?;
        for hash in candidates {
            if self.blob_wants.len() >= MAX_BLOB_WANTS {
                break;
            }
            if self.blob_wants.contains_key(&hash) || self.blobs_lacking.contains(&hash) {
                continue;
            }
            self.blob_wants.insert(hash, now);
            self.push(out, &Message::WantBlob { hash: hash.0 });
        }
        Ok(())
    }

    /// The peer answered a `WantBlob`. Unasked blobs are dropped unread; a blob
    /// whose bytes do not hash to its address is the peer's misbehaviour.
    fn on_blob<R: Repo>(
        &mut self,
        repo: &mut R,
        hash: BlobHash,
        bytes: Vec<u8>,
    ) -> Result<(), SessionError> {
        if self.blob_wants.remove(&hash).is_none() {
            return Ok(());
        }
        self.blob_answered = true;
        if bytes.is_empty() {
            self.blobs_lacking.insert(hash);
            return Ok(());
        }
        if bytes.len() > MAX_BLOB_BYTES as usize {
            return Err(SessionError::Malformed("an oversize blob".into()));
        }
        if crate::picture::blob_hash(&bytes) != hash {
            return Err(SessionError::Misbehaved(
                "a blob whose bytes are not what its hash says".into(),
            ));
        }
        repo.take_blob(&hash, &bytes).map_err(SessionError::repo)
    }

    /// Time passes: repeats wants that went unanswered.
    pub fn tick<R: Repo>(&mut self, repo: &mut R, now: u64) -> Result<Out, SessionError> {
        let mut out = Vec::new();
        if !self.authenticated || now.saturating_sub(self.last_progress) < self.retry_after {
            return Ok(out);
        }
        let late: Vec<DocId> = self
            .wants
            .iter()
            .filter(|(_, sent)| now.saturating_sub(**sent) >= self.retry_after)
            .map(|(d, _)| *d)
            .collect();
        for doc in late {
            let have = repo
                .heads(&doc)
                .map_err(SessionError::repo)?
                .unwrap_or_default();
            self.want(doc, &have, now, &mut out);
        }
        let late_blobs: Vec<BlobHash> = self
            .blob_wants
            .iter()
            .filter(|(_, sent)| now.saturating_sub(**sent) >= self.retry_after)
            .map(|(h, _)| *h)
            .collect();
        for hash in late_blobs {
            self.blob_wants.insert(hash, now);
            self.push(&mut out, &Message::WantBlob { hash: hash.0 });
        }
        if !self.is_synced() && now.saturating_sub(self.last_announce) >= self.retry_after {
            let again: Vec<DocId> = std::mem::take(&mut self.unacked).into_iter().collect();
            let mut docs = Vec::new();
            for doc in again {
                if let Some(heads) = repo.heads(&doc).map_err(SessionError::repo)? {
                    docs.push(DocHeads {
                        doc: doc.0,
                        heads: hashes(&heads),
                    });
                }
            }
            if !docs.is_empty() {
                self.unacked.extend(docs.iter().map(|d| DocId(d.doc)));
                self.push_heads(&mut out, docs, false);
            }
            self.announce(repo, false, now, &mut out)?;
            if self.sent_synced && !self.peer_synced {
                // The peer may have missed it; saying it again is harmless.
                self.push(&mut out, &Message::Synced { heard: false });
            }
        }
        self.maybe_synced(&mut out);
        self.record_sync(repo)?;
        Ok(out)
    }
}

#[cfg(test)]
mod tests;
