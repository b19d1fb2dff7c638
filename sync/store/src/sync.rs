//! The store as the repo of one persona's sync sessions.
//!
//! A persona shares what it takes part in (events it organises, answered or
//! commented on; groups it belongs to and the events they list) and what came to it
//! through its own sessions and imports — never what another persona on the same
//! device knows, so two personas cannot be linked by the documents they offer.
//! Within that, a peer is offered only what [`rally_core::access`] lets it read.
//!
//! A server's store is a relay ([`Scope::Relay`]): it holds documents for the
//! personas that sync with it, and shares with each what that persona would share
//! itself — what it takes part in and what it sent to the server — so two devices
//! that were never online together meet there. Whom it admits is its
//! [`Admit`] policy's call (registration).

use std::collections::{BTreeMap, HashMap};

use rally_core::jiff::Timestamp;
use rally_core::picture::BlobHash;
use rally_core::protocol::{Admission, Answer, GroupRoute, Ingested, Repo};
use rally_core::sealed::log_id;
use rally_core::{
    ChangeHash, DocId, Document, InvitationProof, InviteToken, PersonaId, SignedChange,
};
use rusqlite::{OptionalExtension, params};

use crate::answers::KeptAnswers;
use crate::changed::ChangedSince;
use crate::{Ctx, IngestPolicy, LocalPersona, Store, StoreError, heads_blob, heads_from_blob};

/// Whether `me` shares document `d.id`, as a SQL condition binding `?1` = its
/// public key and `?2` = its row id: it takes part in it, is a member of it or of the
/// group listing it (or of the group whose log it is, or joins it by invitation), or
/// came to know it through its own sessions or imports. Never because another
/// persona of the device knows it: what a persona offers must not link it to them.
const SHARED: &str = "(
    EXISTS (SELECT 1 FROM events e JOIN event_people ep ON ep.event = e.id WHERE e.doc = d.id AND ep.persona = ?1)
    OR EXISTS (SELECT 1 FROM groups g JOIN group_members m ON m.grp = g.id WHERE g.doc = d.id AND m.persona = ?1)
    OR EXISTS (SELECT 1 FROM group_events ge JOIN groups g ON g.doc = ge.grp
               JOIN group_members m ON m.grp = g.id WHERE ge.event = d.id AND m.persona = ?1)
    OR EXISTS (SELECT 1 FROM persona_docs pd WHERE pd.persona = ?2 AND pd.doc = d.id)
    OR (d.kind = 'log' AND EXISTS (SELECT 1 FROM logs l JOIN groups g ON g.doc = l.grp
               JOIN group_members m ON m.grp = g.id WHERE l.log = d.id AND m.persona = ?1))
    OR (d.kind = 'log' AND EXISTS (SELECT 1 FROM logs l JOIN pending_joins pj ON pj.grp = l.grp
               WHERE l.log = d.id AND pj.persona = ?2)))";

/// On a relay: whether the peer bound to `?3` would share document `d.id` (never
/// one the admins hid, `hidden_docs`): it takes part in it, is a member of it or of the group listing it, or sent it;
/// or it showed an invitation to the group (its document, log and events) that is
/// still open; or the relay offers it to everyone: its copies of events from the
/// Fediverse and the instance's upcoming public events (the soonest
/// [`DISCOVER_BUDGET`], so a device has the city's agenda offline).
const SHARED_WITH_PEER: &str = "(NOT EXISTS (SELECT 1 FROM hidden_docs h WHERE h.doc = d.id) AND (
    EXISTS (SELECT 1 FROM events e JOIN event_people ep ON ep.event = e.id WHERE e.doc = d.id AND ep.persona = ?3)
    OR EXISTS (SELECT 1 FROM groups g JOIN group_members m ON m.grp = g.id WHERE g.doc = d.id AND m.persona = ?3)
    OR EXISTS (SELECT 1 FROM group_events ge JOIN groups g ON g.doc = ge.grp
               JOIN group_members m ON m.grp = g.id WHERE ge.event = d.id AND m.persona = ?3)
    OR EXISTS (SELECT 1 FROM relayed_docs rd WHERE rd.remote = ?3 AND rd.doc = d.id)
    OR EXISTS (SELECT 1 FROM invited i JOIN open_invites oi ON oi.log = i.log AND oi.invite = i.invite
               WHERE i.remote = ?3 AND (d.id = i.log OR d.id = i.grp
                     OR d.id IN (SELECT ge.event FROM group_events ge WHERE ge.grp = i.grp)))
    OR EXISTS (SELECT 1 FROM shared_docs sd WHERE sd.doc = d.id)
    OR d.id IN (SELECT e.doc FROM events e WHERE e.visibility = 'public' AND e.until >= unixepoch()
                ORDER BY e.starts LIMIT 1000)))";

/// How many upcoming public events a server offers every device (see
/// `SHARED_WITH_PEER`, which spells the number out for SQLite).
pub const DISCOVER_BUDGET: usize = 1000;

/// Whose documents a [`SyncRepo`] shares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// A device: its persona's.
    Own,
    /// A server: each peer's own, held for it.
    Relay,
}

/// Decides whether a peer that proved its persona may sync (see
/// [`Repo::admit`]).
pub trait Admit: std::fmt::Debug + Send {
    fn admit(
        &mut self,
        peer: &PersonaId,
        invite: Option<&str>,
    ) -> Result<Admission, Box<dyn std::error::Error + Send + Sync>>;
    /// The server's policy (rules in Markdown, contact), if its admins set one.
    fn policy(&mut self) -> Option<(String, String)> {
        None
    }
    /// Whether `peer` (admitted) is another process of the same server: the
    /// relay then shares everything with it and takes everything from it,
    /// as one server with two doors (see [`SyncRepo`]'s siblings).
    fn is_sibling(&mut self, peer: &PersonaId) -> bool {
        let _ = peer;
        false
    }
}

/// Whether the persona bound to `?3` may read document `d.id`.
const READABLE: &str = "(
    d.kind = 'log'
    OR EXISTS (SELECT 1 FROM groups g WHERE g.doc = d.id AND (g.visibility = 'public'
            OR EXISTS (SELECT 1 FROM group_members m WHERE m.grp = g.id AND m.persona = ?3)))
    OR EXISTS (SELECT 1 FROM events e WHERE e.doc = d.id AND (e.visibility IN ('public', 'unlisted')
            OR EXISTS (SELECT 1 FROM event_people ep WHERE ep.event = e.id AND ep.persona = ?3)
            OR EXISTS (SELECT 1 FROM groups g JOIN group_members m ON m.grp = g.id
                       WHERE g.doc = e.grp AND m.persona = ?3))))";

/// One persona's view of the store, for its sync sessions. Keeps the documents it
/// reads in memory while their heads in the database stay the same.
#[derive(Debug)]
pub struct SyncRepo {
    store: Store,
    me: LocalPersona,
    scope: Scope,
    admit: Option<Box<dyn Admit>>,
    cache: HashMap<DocId, Document>,
    /// Answers to peers' wants, for the next peer asking the same.
    answers: KeptAnswers,
    /// What changed since a position, for every peer of a round (kept within
    /// one transaction only).
    changed: Option<ChangedSince>,
    /// Beliefs not yet written: they are a cache of what peers have, so they are
    /// written in batches ([`SyncRepo::flush`]) rather than one sync'd write each.
    unsaved: BTreeMap<(PersonaId, DocId), Vec<ChangeHash>>,
    /// Beliefs as read from the database (none kept: `None`), so a round of
    /// announcements does not read each peer's belief of each changed
    /// document again. This repo writes beliefs and keeps this in step
    /// ([`Repo::set_belief`], a peer's new epoch, pruning); the only other
    /// writer is forgetting a document (retention), whose belief kept here
    /// stays true of the peer, and the document is refused if it comes back.
    /// Bounded by [`BELIEFS_KEPT`].
    beliefs_read: HashMap<(PersonaId, DocId), Option<Vec<ChangeHash>>>,
    /// Bumped whenever a received change is stored.
    pub version: u64,
    /// When peers were last pruned (Unix seconds).
    pruned_at: Option<i64>,
    /// On a server: what each persona made this hour, against its caps.
    caps: Option<rally_core::moderation::caps::HourlyCaps>,
    /// A fixed "now" instead of the system clock (tests that move time).
    clock: Option<Timestamp>,
    /// On a relay: the other processes of the same server (sharing its
    /// database) that were admitted, each holding all the server holds. With
    /// them the relay's reading rules do not apply: what is shared with one is
    /// everything, what comes from one is taken as if it had arrived here
    /// (signatures and the documents' rules are checked as always).
    siblings: std::collections::HashSet<PersonaId>,
}

/// Changed documents not offered to every peer that an announcement checks
/// one at a time for a peer, at most (see `readable_changed_since`).
const CHECKED_ONE_BY_ONE: usize = 16;

/// Beliefs a sync repo keeps read at most (about 100 bytes each).
const BELIEFS_KEPT: usize = 200_000;

/// Documents a sync repo keeps decoded at most.
const SYNC_DOC_CACHE: usize = 1_024;

/// How long what is known of a peer is kept after its last session.
pub const PEER_RETENTION_SECS: i64 = 90 * 24 * 3600;
const PRUNE_EVERY_SECS: i64 = 3600;

/// Forgets the peers last seen before `cutoff` (Unix seconds) and their beliefs.
pub(crate) fn prune_peers_seen_before(
    conn: &rusqlite::Connection,
    cutoff: i64,
) -> Result<(), StoreError> {
    conn.prepare_cached("DELETE FROM beliefs WHERE (persona, remote) IN (SELECT persona, remote FROM peers WHERE seen < ?1)").and_then(|mut s| s.execute(params![cutoff]))
    .ctx("forgetting peers not seen for long")?;
    conn.prepare_cached("DELETE FROM peers WHERE seen < ?1")
        .and_then(|mut s| s.execute(params![cutoff]))
        .ctx("forgetting peers not seen for long")?;
    Ok(())
}

impl SyncRepo {
    pub fn new(store: Store, me: LocalPersona) -> Self {
        SyncRepo {
            store,
            me,
            scope: Scope::Own,
            admit: None,
            cache: HashMap::new(),
            answers: KeptAnswers::default(),
            changed: None,
            unsaved: BTreeMap::new(),
            beliefs_read: HashMap::new(),
            version: 0,
            pruned_at: None,
            caps: None,
            clock: None,
            siblings: Default::default(),
        }
    }

    /// Reads "now" from `clock` instead of the system clock (`None`: the
    /// system's again), for tests that let time pass.
    pub fn set_clock(&mut self, clock: Option<Timestamp>) {
        self.clock = clock;
    }

    fn now(&self) -> Timestamp {
        self.clock.unwrap_or_else(Timestamp::now)
    }

    /// A server's repo: `me` is the server's own identity, `admit` its
    /// registration policy.
    pub fn relay(store: Store, me: LocalPersona, admit: Box<dyn Admit>) -> Self {
        SyncRepo {
            scope: Scope::Relay,
            admit: Some(admit),
            ..SyncRepo::new(store, me)
        }
    }

    pub fn scope(&self) -> Scope {
        self.scope
    }

    /// On a server: takes at most this many new events, comments and joins an
    /// hour from one persona (counted from its own changes as they arrive, in
    /// memory: a restart starts the hour afresh).
    pub fn set_caps(&mut self, caps: rally_core::moderation::caps::Caps) {
        self.caps = Some(rally_core::moderation::caps::HourlyCaps::new(caps));
    }

    /// What the persona's own changes in a batch make that the caps count,
    /// each with its hash (those already stored here do not count again).
    fn activity_of(
        &mut self,
        peer: &PersonaId,
        changes: &[SignedChange],
    ) -> Result<Vec<(DocId, ChangeHash, rally_core::moderation::caps::Activity)>, StoreError> {
        use rally_core::moderation::caps::Activity;
        let mut out = Vec::new();
        for c in changes.iter().filter(|c| c.author == *peer) {
            let a = Activity::of(c);
            if a.is_none() {
                continue;
            }
            let Some(h) = automerge::Change::try_from(c.bytes.as_slice())
                .ok()
                .map(|ch| ch.hash())
            else {
                continue;
            };
            if !self.knows_all(&c.doc, &[h])? {
                out.push((c.doc, h, a));
            }
        }
        Ok(out)
    }

    fn shared(&self) -> &'static str {
        match self.scope {
            Scope::Own => SHARED,
            Scope::Relay => SHARED_WITH_PEER,
        }
    }

    /// The condition on `d` of what `peer` (bound to `?3`) is offered and may
    /// read: what this side shares and the peer may read; everything for a
    /// sibling process of the same server.
    fn visible_to(&self, peer: &PersonaId) -> String {
        if self.siblings.contains(peer) {
            // Always true, and naming the parameters the statements bind.
            "(?1 = ?1 AND ?2 = ?2 AND ?3 = ?3)".to_owned()
        } else {
            format!("{} AND {READABLE}", self.shared())
        }
    }

    /// Writes the beliefs gathered since the last flush, in one transaction.
    /// Also drops what expired since the last tick (disappearing messages, see
    /// [`Store::sweep_if_due`]): a node that runs for days keeps to its
    /// groups' timers.
    pub fn flush(&mut self) -> Result<(), StoreError> {
        // The sweep empties the write-ahead log after, which SQLite refuses
        // inside a transaction (a peer's session starting within a received
        // batch): then it waits for the node's next tick.
        if self.store.conn().is_autocommit() {
            self.store.sweep_if_due(self.now())?;
        }
        if self.unsaved.is_empty() {
            return Ok(());
        }
        let tx = self.store.write().ctx("recording what peers have")?;
        {
            let mut stmt = tx
                .prepare_cached("INSERT OR REPLACE INTO beliefs (persona, remote, doc, heads) VALUES (?1, ?2, ?3, ?4)")
                .ctx("recording what peers have")?;
            for ((peer, doc), heads) in &self.unsaved {
                stmt.execute(params![self.me.row, peer.0, doc.0, heads_blob(heads)])
                    .ctx("recording what peers have")?;
            }
        }
        tx.commit().ctx("recording what peers have")?;
        self.unsaved.clear();
        Ok(())
    }

    /// Forgets peers (and what they were believed to have) not seen for
    /// [`PEER_RETENTION_SECS`], at most once per [`PRUNE_EVERY_SECS`]: a peer
    /// that comes back after that syncs as a new one.
    fn prune_peers(&mut self, now: i64) -> Result<(), StoreError> {
        if self.pruned_at.is_some_and(|t| now - t < PRUNE_EVERY_SECS) {
            return Ok(());
        }
        self.pruned_at = Some(now);
        self.beliefs_read.clear();
        prune_peers_seen_before(self.store.conn(), now - PEER_RETENTION_SECS)
    }

    /// See [`Store::begin_batch`].
    /// Checks ahead of time the signatures of the changes a batch carries.
    pub fn prefetch(&mut self, changes: Vec<SignedChange>) {
        self.store.prefetch(changes);
    }

    pub fn begin_batch(&mut self) -> Result<(), StoreError> {
        self.changed = None;
        self.store.begin_batch()
    }

    pub fn commit_batch(&mut self) -> Result<(), StoreError> {
        self.changed = None;
        self.store.commit_batch()
    }

    pub fn abort_batch(&mut self) {
        self.changed = None;
        self.beliefs_read.clear();
        self.store.abort_batch();
        self.cache.clear();
        self.answers.clear();
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The store back, for another persona's repo.
    pub fn into_store(self) -> Store {
        self.store
    }

    pub fn store_mut(&mut self) -> &mut Store {
        self.cache.clear();
        self.changed = None;
        self.beliefs_read.clear();
        &mut self.store
    }

    pub fn persona(&self) -> &LocalPersona {
        &self.me
    }

    fn stored_heads(&self, doc: &DocId) -> Result<Option<Vec<ChangeHash>>, StoreError> {
        let blob: Option<Vec<u8>> = self
            .store
            .conn()
            .prepare_cached("SELECT heads FROM docs WHERE id = ?1")
            .ctx("reading heads")?
            .query_row([doc.0], |r| r.get(0))
            .optional()
            .ctx("reading heads")?;
        Ok(blob.map(|b| heads_from_blob(&b)))
    }

    fn doc(&mut self, id: &DocId) -> Result<Option<&Document>, StoreError> {
        let Some(heads) = self.stored_heads(id)? else {
            return Ok(None);
        };
        let fresh = self
            .cache
            .get(id)
            .is_some_and(|d| heads_blob(&d.heads()) == heads_blob(&heads));
        if !fresh {
            match self.store.load_from_memory(*id) {
                Ok(doc) => {
                    // Bounded: serving a big store to a fresh peer reads every
                    // document once (200 000 of them held 4.5 GB before).
                    if self.cache.len() >= SYNC_DOC_CACHE {
                        self.cache.clear();
                    }
                    self.cache.insert(*id, doc);
                }
                Err(StoreError::NotFound { .. }) => return Ok(None),
                Err(e) => return Err(e),
            }
        }
        Ok(self.cache.get(id))
    }

    /// Documents this persona shares, with heads, that `peer` may read.
    fn readable_scope(
        &self,
        peer: &PersonaId,
    ) -> Result<Vec<(DocId, Vec<ChangeHash>)>, StoreError> {
        let sql = format!(
            "SELECT d.id, d.heads FROM docs d WHERE {}",
            self.visible_to(peer)
        );
        let mut stmt = self
            .store
            .conn()
            .prepare_cached(&sql)
            .ctx("listing shared documents")?;
        let rows = stmt
            .query_map(params![self.me.id().0, self.me.row, peer.0], |r| {
                Ok((r.get::<_, Vec<u8>>(0)?, r.get::<_, Vec<u8>>(1)?))
            })
            .ctx("listing shared documents")?;
        let mut out = Vec::new();
        for row in rows {
            let (id, heads) = row.ctx("listing shared documents")?;
            if let Ok(id) = <[u8; 32]>::try_from(id.as_slice()) {
                out.push((DocId(id), heads_from_blob(&heads)));
            }
        }
        drop(stmt);
        if self.scope == Scope::Own {
            // Logs of the groups this persona joins by invitation that hold
            // nothing yet: announced empty, so a peer that has them sends them.
            let mut stmt = self
                .store
                .conn()
                .prepare_cached(
                    "SELECT l.log FROM logs l JOIN pending_joins pj ON pj.grp = l.grp
                     WHERE pj.persona = ?1 AND NOT EXISTS (SELECT 1 FROM docs d WHERE d.id = l.log)",
                )
                .ctx("listing group logs")?;
            let rows = stmt
                .query_map([self.me.row], |r| r.get::<_, Vec<u8>>(0))
                .ctx("listing group logs")?;
            for row in rows {
                if let Ok(id) = <[u8; 32]>::try_from(row.ctx("listing group logs")?.as_slice()) {
                    out.push((DocId(id), Vec::new()));
                }
            }
        }
        Ok(out)
    }

    fn is_log(&self, doc: &DocId) -> Result<bool, StoreError> {
        crate::sealed::is_log(self.store.conn(), doc)
    }

    /// The documents `peer` may read that changed after `position`, read
    /// with its reading rules.
    pub(crate) fn readable_changed_since_each(
        &mut self,
        peer: &PersonaId,
        position: u64,
    ) -> Result<Vec<(DocId, Vec<ChangeHash>)>, StoreError> {
        let sql = format!(
            "WITH changed(doc) AS (SELECT DISTINCT doc FROM changes INDEXED BY changes_since WHERE id > ?4),
                  affected(doc) AS (SELECT doc FROM changed
                                    UNION SELECT ge.event FROM group_events ge WHERE ge.grp IN (SELECT doc FROM changed))
             SELECT d.id, d.heads FROM docs d WHERE d.id IN (SELECT doc FROM affected) AND {}",
            self.visible_to(peer)
        );
        let mut stmt = self
            .store
            .conn()
            .prepare_cached(&sql)
            .ctx("listing changed documents")?;
        let rows = stmt
            .query_map(
                params![self.me.id().0, self.me.row, peer.0, position as i64],
                |r| Ok((r.get::<_, Vec<u8>>(0)?, r.get::<_, Vec<u8>>(1)?)),
            )
            .ctx("listing changed documents")?;
        let mut out = Vec::new();
        for row in rows {
            let (id, heads) = row.ctx("listing changed documents")?;
            if let Ok(id) = <[u8; 32]>::try_from(id.as_slice()) {
                out.push((DocId(id), heads_from_blob(&heads)));
            }
        }
        Ok(out)
    }
}

impl Repo for SyncRepo {
    type Error = StoreError;

    fn admit(&mut self, peer: &PersonaId, invite: Option<&str>) -> Result<Admission, StoreError> {
        match &mut self.admit {
            Some(policy) => {
                let admission = policy.admit(peer, invite).map_err(StoreError::Admission)?;
                if admission == Admission::Admitted && policy.is_sibling(peer) {
                    self.siblings.insert(*peer);
                }
                Ok(admission)
            }
            None => Ok(Admission::Admitted),
        }
    }

    fn readable(&mut self, peer: &PersonaId) -> Result<Vec<(DocId, Vec<ChangeHash>)>, StoreError> {
        self.readable_scope(peer)
    }

    fn may_read(&mut self, peer: &PersonaId, doc: &DocId) -> Result<bool, StoreError> {
        let sql = format!(
            "SELECT count(*) FROM docs d WHERE d.id = ?4 AND {}",
            self.visible_to(peer)
        );
        let n: i64 = self
            .store
            .conn()
            .prepare_cached(&sql)
            .ctx("checking access")?
            .query_row(params![self.me.id().0, self.me.row, peer.0, doc.0], |r| {
                r.get(0)
            })
            .ctx("checking access")?;
        Ok(n > 0)
    }

    fn heads(&mut self, doc: &DocId) -> Result<Option<Vec<ChangeHash>>, StoreError> {
        self.stored_heads(doc)
    }

    /// Less on the device: wanted from no one until asked for again.
    fn forgotten(&mut self, doc: &DocId) -> Result<bool, StoreError> {
        crate::retention::is_forgotten(self.store.conn(), doc)
    }

    fn asked_for(&mut self) -> Result<Vec<DocId>, StoreError> {
        crate::retention::asked_for(self.store.conn())
    }

    fn knows_all(&mut self, doc: &DocId, hashes: &[ChangeHash]) -> Result<bool, StoreError> {
        if self.is_log(doc)? {
            return crate::sealed::knows_envelopes(self.store.conn(), hashes);
        }
        if let Some(heads) = self.stored_heads(doc)?
            && hashes.iter().all(|h| heads.contains(h))
        {
            return Ok(true);
        }
        Ok(match self.doc(doc)? {
            Some(d) => d.knows_all(hashes),
            None => hashes.is_empty(),
        })
    }

    fn changes_since(
        &mut self,
        doc: &DocId,
        have: &[ChangeHash],
    ) -> Result<Vec<SignedChange>, StoreError> {
        if self.is_log(doc)? {
            return crate::sealed::envelopes_since(
                self.store.conn(),
                doc,
                have,
                self.now().as_millisecond(),
            );
        }
        let Some(d) = self.doc(doc)? else {
            return Ok(Vec::new());
        };
        let heads = d.heads();
        let changes = d.changes_since(have);
        self.answers.read(doc, &heads);
        Ok(changes)
    }

    fn kept_answer(
        &mut self,
        doc: &DocId,
        have: &[ChangeHash],
        chunk: usize,
    ) -> Result<Option<Answer>, StoreError> {
        // Group logs are never kept (`changes_since` reads none for keeping).
        if !self.answers.has(doc, have, chunk) {
            return Ok(None);
        }
        let Some(heads) = self.stored_heads(doc)? else {
            return Ok(None);
        };
        Ok(self.answers.get(doc, have, chunk, &heads))
    }

    fn keep_answer(&mut self, doc: &DocId, have: &[ChangeHash], chunk: usize, answer: Answer) {
        // A device answers a few peers; a server many, alike.
        if self.scope == Scope::Relay {
            self.answers.keep(doc, have, chunk, answer);
        }
    }

    fn ingest(
        &mut self,
        peer: &PersonaId,
        changes: Vec<SignedChange>,
    ) -> Result<Ingested, StoreError> {
        self.changed = None;
        let sibling = self.siblings.contains(peer);
        if self.scope == Scope::Relay
            && !sibling
            && let Some(doc) = changes.first().map(|c| c.doc)
            && (self.is_log(&doc)?
                || changes
                    .iter()
                    .any(|c| rally_core::sealed::is_envelope(&c.bytes)))
            && !may_write_log(self.store.conn(), &doc, peer)?
        {
            return Ok(Ingested {
                misbehaviour: Some(
                    "wrote to a group log it is neither a member of nor invited to".into(),
                ),
                ..Ingested::default()
            });
        }
        let now = self.now();
        let mut counted = Vec::new();
        // A sibling relays what its own devices made: the caps were applied there.
        if self.scope == Scope::Relay && self.caps.is_some() && !sibling {
            counted = self.activity_of(peer, &changes)?;
            let mut made = rally_core::moderation::caps::Activity::default();
            for (_, _, a) in &counted {
                made.add(*a);
            }
            if !made.is_none() {
                let caps = self.caps.as_mut().expect("checked");
                if let Err(over) = caps.check(peer, now.as_second(), made) {
                    return Ok(Ingested {
                        refused: Some(over.to_string()),
                        ..Ingested::default()
                    });
                }
            }
        }
        let policy = match self.scope {
            Scope::Own => IngestPolicy {
                attach_to: Some(self.me.row),
                relayed_for: None,
                void_on_misbehaviour: true,
                sender: Some(*peer),
            },
            Scope::Relay => IngestPolicy {
                attach_to: None,
                relayed_for: Some(*peer),
                void_on_misbehaviour: true,
                sender: Some(*peer),
            },
        };
        let report = self.store.ingest_with(changes, now, policy)?;
        if !counted.is_empty() && report.misbehaviour.is_none() {
            // Only what was stored counts: a change that waits for another is
            // sent again, and would be counted each time.
            let mut made = rally_core::moderation::caps::Activity::default();
            for (doc, hash, a) in &counted {
                if self.knows_all(doc, &[*hash])? {
                    made.add(*a);
                }
            }
            if let Some(caps) = self.caps.as_mut() {
                caps.record(peer, now.as_second(), made);
            }
        }
        for id in &report.documents {
            self.cache.remove(id);
        }
        if report.accepted > 0 || report.retracted > 0 {
            self.version += 1;
        }
        Ok(Ingested {
            accepted: report.accepted,
            waiting: report.waiting,
            misbehaviour: report.misbehaviour,
            refused: None,
        })
    }

    fn prepare_peer(
        &mut self,
        peer: &PersonaId,
        epoch: [u8; 16],
    ) -> Result<Option<u64>, StoreError> {
        self.flush()?;
        let now = self.now().as_second();
        self.prune_peers(now)?;
        let conn = self.store.conn();
        conn.prepare_cached("UPDATE peers SET seen = ?3 WHERE persona = ?1 AND remote = ?2")
            .ctx("recording a peer")?
            .execute(params![self.me.row, peer.0, now])
            .ctx("recording a peer")?;
        let known: Option<(Vec<u8>, Option<i64>)> = conn
            .prepare_cached("SELECT epoch, synced FROM peers WHERE persona = ?1 AND remote = ?2")
            .and_then(|mut s| {
                s.query_row(params![self.me.row, peer.0], |r| Ok((r.get(0)?, r.get(1)?)))
            })
            .optional()
            .ctx("reading what a peer has")?;
        match known {
            Some((e, synced)) if e.as_slice() == epoch.as_slice() => Ok(synced.map(|p| p as u64)),
            _ => {
                self.beliefs_read.retain(|(p, _), _| p != peer);
                conn.prepare_cached("DELETE FROM beliefs WHERE persona = ?1 AND remote = ?2")
                    .and_then(|mut s| s.execute(params![self.me.row, peer.0]))
                    .ctx("forgetting what a peer had")?;
                conn.prepare_cached("INSERT OR REPLACE INTO peers (persona, remote, epoch, synced, seen) VALUES (?1, ?2, ?3, NULL, ?4)").and_then(|mut s| s.execute(params![self.me.row, peer.0, epoch.as_slice(), now]))
                .ctx("recording a peer")?;
                Ok(None)
            }
        }
    }

    fn belief(
        &mut self,
        peer: &PersonaId,
        doc: &DocId,
    ) -> Result<Option<Vec<ChangeHash>>, StoreError> {
        if let Some(heads) = self.unsaved.get(&(*peer, *doc)) {
            return Ok(Some(heads.clone()));
        }
        if let Some(kept) = self.beliefs_read.get(&(*peer, *doc)) {
            return Ok(kept.clone());
        }
        let blob: Option<Vec<u8>> = self
            .store
            .conn()
            .prepare_cached(
                "SELECT heads FROM beliefs WHERE persona = ?1 AND remote = ?2 AND doc = ?3",
            )
            .ctx("reading what a peer has")?
            .query_row(params![self.me.row, peer.0, doc.0], |r| r.get(0))
            .optional()
            .ctx("reading what a peer has")?;
        let heads = blob.map(|b| heads_from_blob(&b));
        if self.beliefs_read.len() >= BELIEFS_KEPT {
            self.beliefs_read.clear();
        }
        self.beliefs_read.insert((*peer, *doc), heads.clone());
        Ok(heads)
    }

    fn log_position(&mut self) -> Result<u64, StoreError> {
        Ok(self.store.change_cursor()?.max(0) as u64)
    }

    fn readable_changed_since(
        &mut self,
        peer: &PersonaId,
        position: u64,
    ) -> Result<Vec<(DocId, Vec<ChangeHash>)>, StoreError> {
        // On a server, inside a transaction (a round of announcements), what
        // changed is read once for all peers (see `changed.rs`); a device has
        // a few peers.
        if self.scope == Scope::Own
            || self.siblings.contains(peer)
            || self.store.conn().is_autocommit()
        {
            return self.readable_changed_since_each(peer, position);
        }
        let upto = self.store.change_cursor()?;
        if !self
            .changed
            .as_ref()
            .is_some_and(|c| c.from == position && c.upto == upto)
        {
            self.changed = Some(ChangedSince::read(self.store.conn(), position, upto)?);
        }
        let changed = self.changed.as_ref().expect("just read");
        let mut out = Vec::with_capacity(changed.docs.len());
        let mut rest = Vec::new();
        for (doc, heads, all) in &changed.docs {
            if *all {
                out.push((*doc, heads.clone()));
            } else {
                rest.push((*doc, heads.clone()));
            }
        }
        // The others with the peer's rules: one by one when they are few (a
        // group's document that changed), else in one query.
        if rest.len() <= CHECKED_ONE_BY_ONE {
            for (doc, heads) in rest {
                if self.may_read(peer, &doc)? {
                    out.push((doc, heads));
                }
            }
        } else {
            let rest: std::collections::HashSet<DocId> = rest.into_iter().map(|(d, _)| d).collect();
            out.extend(
                self.readable_changed_since_each(peer, position)?
                    .into_iter()
                    .filter(|(doc, _)| rest.contains(doc)),
            );
        }
        Ok(out)
    }

    fn routes(&mut self, since: Option<u64>) -> Result<Vec<GroupRoute>, StoreError> {
        if self.scope != Scope::Own {
            return Ok(Vec::new());
        }
        let conn = self.store.conn();
        let groups: Vec<(Vec<u8>, Vec<u8>, i64)> = {
            let mut stmt = conn
                .prepare_cached(
                    "SELECT l.log, g.doc, g.id FROM logs l JOIN groups g ON g.doc = l.grp
                     JOIN group_members m ON m.grp = g.id AND m.persona = ?1
                     WHERE ?2 IS NULL OR EXISTS (SELECT 1 FROM changes c WHERE c.doc = g.doc AND c.id > ?2)",
                )
                .ctx("listing group logs")?;
            let rows = stmt
                .query_map(params![self.me.id().0, since.map(|p| p as i64)], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?))
                })
                .ctx("listing group logs")?;
            rows.collect::<Result<_, _>>().ctx("listing group logs")?
        };
        let now = self.now().as_second();
        let mut out = Vec::new();
        let mut members = conn
            .prepare_cached("SELECT persona FROM group_members WHERE grp = ?1")
            .ctx("listing group members")?;
        for (log, doc, grp) in groups {
            let (Ok(log), Ok(doc)) = (
                <[u8; 32]>::try_from(log.as_slice()),
                <[u8; 32]>::try_from(doc.as_slice()),
            ) else {
                continue;
            };
            let personas: Vec<PersonaId> = members
                .query_map([grp], |r| r.get::<_, Vec<u8>>(0))
                .ctx("listing group members")?
                .filter_map(|p| p.ok()?.try_into().ok().map(PersonaId))
                .collect();
            let open_invites = match self.store.load(DocId(doc)).and_then(|d| Ok(d.group()?)) {
                Ok(view) => view
                    .open_invites(now)
                    .filter_map(|i| i.id.parse().ok())
                    .collect(),
                Err(_) => Vec::new(),
            };
            out.push(GroupRoute {
                log: DocId(log),
                members: personas,
                open_invites,
            });
        }
        Ok(out)
    }

    fn route(
        &mut self,
        peer: &PersonaId,
        log: &DocId,
        personas: &[PersonaId],
    ) -> Result<(), StoreError> {
        if self.scope != Scope::Relay || !speaks_for_log(self.store.conn(), log, peer)? {
            return Ok(());
        }
        let conn = self.store.conn();
        for p in personas {
            conn.prepare_cached("INSERT OR IGNORE INTO log_members (log, persona) VALUES (?1, ?2)")
                .ctx("recording a group's members")?
                .execute(params![log.0, p.0])
                .ctx("recording a group's members")?;
            // Its next session announces everything, this log included.
            crate::relay_to(conn, p, log, true)?;
        }
        Ok(())
    }

    fn open_invitations(
        &mut self,
        peer: &PersonaId,
        log: &DocId,
        open: &[PersonaId],
    ) -> Result<(), StoreError> {
        if self.scope != Scope::Relay || !speaks_for_log(self.store.conn(), log, peer)? {
            return Ok(());
        }
        let tx = self.store.write().ctx("recording open invitations")?;
        // Only what changed is written (each change is a fact the other
        // processes of a shared instance take, see `relay_state.rs`).
        let held: Vec<Vec<u8>> = tx
            .prepare_cached("SELECT invite FROM open_invites WHERE log = ?1")
            .and_then(|mut s| s.query_map([log.0], |r| r.get(0))?.collect())
            .ctx("recording open invitations")?;
        for gone in held
            .iter()
            .filter(|h| !open.iter().any(|i| i.0[..] == h[..]))
        {
            tx.prepare_cached("DELETE FROM open_invites WHERE log = ?1 AND invite = ?2")
                .and_then(|mut s| s.execute(params![log.0, gone]))
                .ctx("recording open invitations")?;
        }
        for i in open {
            tx.prepare_cached("INSERT OR IGNORE INTO open_invites (log, invite) VALUES (?1, ?2)")
                .ctx("recording open invitations")?
                .execute(params![log.0, i.0])
                .ctx("recording open invitations")?;
        }
        tx.commit().ctx("recording open invitations")?;
        Ok(())
    }

    fn invitations(&mut self) -> Result<Vec<InvitationProof>, StoreError> {
        if self.scope != Scope::Own {
            return Ok(Vec::new());
        }
        let mut stmt = self
            .store
            .conn()
            .prepare_cached("SELECT token FROM pending_joins WHERE persona = ?1")
            .ctx("reading pending joins")?;
        let tokens: Vec<String> = stmt
            .query_map([self.me.row], |r| r.get(0))
            .ctx("reading pending joins")?
            .collect::<Result<_, _>>()
            .ctx("reading pending joins")?;
        Ok(tokens
            .iter()
            .filter_map(|t| InviteToken::decode(t).ok())
            .map(|t| t.proof(&self.me.id()))
            .collect())
    }

    fn missing_blobs(&mut self, limit: usize) -> Result<Vec<BlobHash>, StoreError> {
        self.store.missing_blobs(limit)
    }

    fn blob_for(
        &mut self,
        peer: &PersonaId,
        hash: &BlobHash,
    ) -> Result<Option<Vec<u8>>, StoreError> {
        // The same rule as the documents: some document naming the blob that the
        // peer may read (and, on a relay, that it would be shared).
        let sql = format!(
            "SELECT b.bytes FROM blob_refs r JOIN docs d ON d.id = r.doc JOIN blobs b ON b.hash = r.hash
             WHERE r.hash = ?4 AND {} LIMIT 1",
            self.visible_to(peer)
        );
        self.store
            .conn()
            .prepare_cached(&sql)
            .ctx("reading a picture")?
            .query_row(params![self.me.id().0, self.me.row, peer.0, hash.0], |r| {
                r.get(0)
            })
            .optional()
            .ctx("reading a picture")
    }

    fn take_blob(&mut self, hash: &BlobHash, bytes: &[u8]) -> Result<(), StoreError> {
        self.store.take_blob(*hash, bytes).map(|_| ())
    }

    fn outgoing_reports(&mut self) -> Result<Vec<rally_core::protocol::ServerReport>, StoreError> {
        if self.scope != Scope::Own {
            return Ok(Vec::new());
        }
        crate::admin_reports::outgoing(self.store.conn(), &self.me.id())
    }

    fn take_report(
        &mut self,
        peer: &PersonaId,
        report: &rally_core::protocol::ServerReport,
    ) -> Result<bool, StoreError> {
        if self.scope != Scope::Relay {
            return Ok(false);
        }
        let now = self.now().as_second();
        crate::admin_reports::take(self.store.conn(), peer, report, now)?;
        Ok(true)
    }

    fn report_taken(&mut self, id: &[u8; 32]) -> Result<(), StoreError> {
        crate::admin_reports::taken(self.store.conn(), id)
    }

    fn policy(&mut self) -> Result<Option<(String, String)>, StoreError> {
        Ok(match (&self.scope, &mut self.admit) {
            (Scope::Relay, Some(admit)) => admit.policy(),
            _ => None,
        })
    }

    fn take_policy(
        &mut self,
        peer: &PersonaId,
        rules: &str,
        contact: &str,
    ) -> Result<(), StoreError> {
        if self.scope != Scope::Own {
            return Ok(());
        }
        crate::policy::take(self.store.conn(), peer, rules, contact)
    }

    fn accept_invitation(
        &mut self,
        peer: &PersonaId,
        proof: &InvitationProof,
    ) -> Result<Vec<(DocId, Vec<ChangeHash>)>, StoreError> {
        if self.scope != Scope::Relay || !proof.holds_for(peer) {
            return Ok(Vec::new());
        }
        let log = log_id(&proof.group);
        // A group whose document is here (a public one) says itself whether the
        // invitation is open; a members-only one is ciphertext here, and its
        // members' devices said which invitations are open.
        if let Ok(view) = self.store.load(proof.group).and_then(|d| Ok(d.group()?)) {
            let open = view
                .open_invite(&proof.invite.to_hex(), self.now().as_second())
                .is_some();
            let sql = if open {
                "INSERT OR IGNORE INTO open_invites (log, invite) VALUES (?1, ?2)"
            } else {
                "DELETE FROM open_invites WHERE log = ?1 AND invite = ?2"
            };
            self.store
                .conn()
                .execute(sql, params![log.0, proof.invite.0])
                .ctx("recording open invitations")?;
        }
        let open: bool = self
            .store
            .conn()
            .prepare_cached(
                "SELECT EXISTS (SELECT 1 FROM open_invites WHERE log = ?1 AND invite = ?2)",
            )
            .ctx("checking an invitation")?
            .query_row(params![log.0, proof.invite.0], |r| r.get(0))
            .ctx("checking an invitation")?;
        if !open {
            return Ok(Vec::new());
        }
        self.store
            .conn()
            .prepare_cached(
                "INSERT INTO invited (remote, log, grp, invite) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (remote, log) DO UPDATE SET grp = excluded.grp, invite = excluded.invite
                 WHERE grp IS NOT excluded.grp OR invite IS NOT excluded.invite",
            )
            .ctx("recording an invitation")?
            .execute(params![peer.0, log.0, proof.group.0, proof.invite.0])
            .ctx("recording an invitation")?;
        let sql = format!(
            "SELECT d.id, d.heads FROM docs d
             WHERE (d.id = ?4 OR d.id = ?5 OR d.id IN (SELECT event FROM group_events WHERE grp = ?4))
               AND {}",
            self.visible_to(peer)
        );
        let mut stmt = self
            .store
            .conn()
            .prepare_cached(&sql)
            .ctx("listing an invited group")?;
        let rows = stmt
            .query_map(
                params![self.me.id().0, self.me.row, peer.0, proof.group.0, log.0],
                |r| Ok((r.get::<_, Vec<u8>>(0)?, r.get::<_, Vec<u8>>(1)?)),
            )
            .ctx("listing an invited group")?;
        let mut out = Vec::new();
        for row in rows {
            let (id, heads) = row.ctx("listing an invited group")?;
            if let Ok(id) = <[u8; 32]>::try_from(id.as_slice()) {
                out.push((DocId(id), heads_from_blob(&heads)));
            }
        }
        Ok(out)
    }

    fn set_synced_position(&mut self, peer: &PersonaId, position: u64) -> Result<(), StoreError> {
        self.store
            .conn()
            .prepare_cached("UPDATE peers SET synced = ?3 WHERE persona = ?1 AND remote = ?2")
            .ctx("recording a sync")?
            .execute(params![self.me.row, peer.0, position as i64])
            .ctx("recording a sync")?;
        Ok(())
    }

    fn set_belief(
        &mut self,
        peer: &PersonaId,
        doc: &DocId,
        heads: &[ChangeHash],
    ) -> Result<(), StoreError> {
        self.unsaved.insert((*peer, *doc), heads.to_vec());
        if let Some(kept) = self.beliefs_read.get_mut(&(*peer, *doc)) {
            *kept = Some(heads.to_vec());
        }
        Ok(())
    }
}

/// On a relay: whether `peer` may tell it about a group log (members and open
/// invitations): it is one of the log's members as its devices said, or the
/// log has none yet (the first device that routes it).
fn speaks_for_log(
    conn: &rusqlite::Connection,
    log: &DocId,
    peer: &PersonaId,
) -> Result<bool, StoreError> {
    conn.prepare_cached(
        "SELECT NOT EXISTS (SELECT 1 FROM log_members WHERE log = ?1)
                OR EXISTS (SELECT 1 FROM log_members WHERE log = ?1 AND persona = ?2)",
    )
    .ctx("checking a group log's members")?
    .query_row(params![log.0, peer.0], |r| r.get(0))
    .ctx("checking a group log's members")
}

/// On a relay: whether `peer` may add envelopes to a group log: a device routed
/// it as one of the log's members, or it showed an invitation to the log that is
/// still open.
fn may_write_log(
    conn: &rusqlite::Connection,
    log: &DocId,
    peer: &PersonaId,
) -> Result<bool, StoreError> {
    // A member as the log's devices routed it (a log nobody routed, e.g. one
    // made up, is nobody's to fill), or holding an open invitation.
    conn.prepare_cached(
        "SELECT EXISTS (SELECT 1 FROM log_members WHERE log = ?1 AND persona = ?2)
             OR EXISTS (SELECT 1 FROM invited i JOIN open_invites oi ON oi.log = i.log AND oi.invite = i.invite
                        WHERE i.remote = ?2 AND i.log = ?1)",
    )
    .ctx("checking an invitation")?
    .query_row(params![log.0, peer.0], |r| r.get(0))
    .ctx("checking an invitation")
}

#[cfg(test)]
mod budget_tests {
    #[test]
    fn the_discover_budget_is_the_one_the_sql_spells_out() {
        let limit = format!("LIMIT {})", super::DISCOVER_BUDGET);
        assert!(super::SHARED_WITH_PEER.contains(&limit));
    }
}
