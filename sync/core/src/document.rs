//! A document: an automerge document made only of verified, permitted, signed changes.
//!
//! Every change enters through one gate, [`Document::receive`] for remote changes and
//! [`Document::edit`] for local ones, and both run the same judgement:
//!
//! 1. the signature and actor binding ([`SignedChange::verify`]);
//! 2. the dependencies: all present (else the change waits, *pending*), none rejected
//!    (else it is rejected too);
//! 3. every operation the change references (objects, list elements, predecessors)
//!    lies in the change's causal past or in the change itself;
//! 4. the permission rule on the change's effect ([`crate::rules`]).
//!
//! A change is applied optimistically and the document is rebuilt without it when
//! it is refused; refusals only happen to forged histories or to a local edit the
//! persona may not make, so the common path never copies the document.

use std::collections::{HashMap, HashSet, VecDeque};

use automerge::hydrate::Value;
use automerge::legacy::{ElementId, Key, ObjectId, OpId};
use automerge::{ActorId, Automerge, Change, ChangeHash, ReadDoc, transaction::CommitOptions};
use jiff::Timestamp;

use crate::edit::{self, Tx};
use crate::ids::{DocId, PersonaId, random_bytes};
use crate::incremental::{self, GateCache};
use crate::invite::InviteToken;
use crate::model::{
    DocKind, DocView, EventDetails, EventView, GroupLink, GroupProfile, GroupView, InvalidInput,
    InviteLimits, JoinMode, ParticipationStatus, Role, SchemaError,
};
use crate::persona::Persona;
use crate::rules::{self, Rejection};
use crate::signed::{SignedChange, VerifiedChange};

mod moderation;

/// Why a local edit could not be made. Nothing was changed.
#[derive(Debug, thiserror::Error)]
pub enum EditError {
    #[error(transparent)]
    Invalid(#[from] InvalidInput),
    #[error(transparent)]
    Refused(#[from] Rejection),
    #[error("{0}")]
    NotFound(String),
    #[error("this is a {actual} document, not a {expected}")]
    WrongKind {
        expected: &'static str,
        actual: &'static str,
    },
    #[error("the document is not readable yet (its first change has not arrived)")]
    Incomplete,
    #[error("the edit changes nothing")]
    NoChange,
    #[error("internal document error: {0}")]
    Automerge(#[from] automerge::AutomergeError),
}

/// Why stored changes could not be loaded as a document.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("a stored change of document {doc} is corrupt: {reason}")]
    Corrupt { doc: DocId, reason: String },
}

/// What became of changes handed to [`Document::receive`].
#[derive(Debug, Default)]
pub struct Receipt {
    /// Newly applied, in the order they were applied.
    pub accepted: Vec<SignedChange>,
    /// Received now and still waiting for dependencies, with their hashes.
    pub now_pending: Vec<(ChangeHash, SignedChange)>,
    /// Changes that were pending before and are decided now (applied or refused).
    pub no_longer_pending: Vec<ChangeHash>,
    /// Refused, with the reason. They will be refused again if they come back.
    pub rejected: Vec<(ChangeHash, SignedChange, Rejection)>,
    /// Already known.
    pub duplicates: usize,
    /// Changes applied earlier and now withdrawn, because their author equivocated
    /// (see [`Rejection::Equivocation`]) or they depend on such a change.
    pub retracted: Vec<ChangeHash>,
}

#[derive(Debug, Clone)]
pub struct Document {
    id: DocId,
    kind: Option<DocKind>,
    am: Automerge,
    /// Highest operation counter and sequence number per actor over the whole document.
    clock: Clock,
    rejected: HashSet<ChangeHash>,
    pending: HashMap<ChangeHash, VerifiedChange>,
    /// The pending changes waiting for each missing dependency: a change that is
    /// decided wakes exactly those, so a chain received newest-first costs what
    /// it does oldest-first.
    waiters: HashMap<ChangeHash, Vec<ChangeHash>>,
    signed: HashMap<ChangeHash, SignedChange>,
    /// Which change claimed each (actor, sequence number), accepted or not.
    claims: HashMap<(ActorId, u64), ChangeHash>,
    /// The state at the heads last judged, hydrated and parsed (see
    /// [`crate::incremental`]).
    gate: Option<GateCache>,
    /// The applied changes in the order they were applied (so dependencies first),
    /// and the dependencies of each: what a peer lacks is read from these, not
    /// rebuilt by automerge.
    history: Vec<ChangeHash>,
    deps: HashMap<ChangeHash, Vec<ChangeHash>>,
}

/// Per actor, the highest operation counter and sequence number seen.
#[derive(Debug, Clone, Default)]
struct Clock(HashMap<ActorId, (u64, u64)>);

impl Clock {
    fn note(&mut self, actor: &ActorId, max_op: u64, seq: u64) {
        let entry = self.0.entry(actor.clone()).or_insert((0, 0));
        entry.0 = entry.0.max(max_op);
        entry.1 = entry.1.max(seq);
    }

    fn seq_of(&self, actor: &ActorId) -> u64 {
        self.0.get(actor).map_or(0, |e| e.1)
    }

    fn covers(&self, op: &OpId) -> bool {
        self.0.get(&op.1).is_some_and(|e| op.0 <= e.0)
    }
}

/// Every operation the change refers to must be its own or in its causal past.
fn check_references(change: &Change, past: &Clock) -> Result<(), Rejection> {
    let own_actor = change.actor_id();
    let start = change.start_op().get();
    let known = |op: &OpId| (&op.1 == own_actor && op.0 >= start) || past.covers(op);
    for op in change.decode().operations {
        let obj_ok = match &op.obj {
            ObjectId::Id(id) => known(id),
            ObjectId::Root => true,
        };
        let key_ok = match &op.key {
            Key::Seq(ElementId::Id(id)) => known(id),
            _ => true,
        };
        if !obj_ok || !key_ok || !op.pred.iter().all(known) {
            return Err(Rejection::ForeignReference);
        }
    }
    Ok(())
}

pub(crate) fn now_secs(now: Timestamp) -> i64 {
    now.as_second()
}

impl Document {
    /// A document known only by its id, waiting for its changes.
    pub fn empty(id: DocId) -> Self {
        Document {
            id,
            kind: None,
            am: Automerge::new(),
            clock: Clock::default(),
            rejected: HashSet::new(),
            pending: HashMap::new(),
            waiters: HashMap::new(),
            signed: HashMap::new(),
            history: Vec::new(),
            deps: HashMap::new(),
            claims: HashMap::new(),
            gate: None,
        }
    }

    /// Rebuilds a document from changes this device already verified and stored.
    /// `rejected` are the changes this device refused before; their hashes and the
    /// sequence numbers they claimed keep being refused.
    pub fn from_trusted(
        id: DocId,
        changes: Vec<SignedChange>,
        rejected: Vec<SignedChange>,
    ) -> Result<Self, LoadError> {
        let mut doc = Document::empty(id);
        for r in rejected {
            if let Ok(change) = Change::try_from(r.bytes.as_slice()) {
                doc.rejected.insert(change.hash());
                doc.claims
                    .insert((change.actor_id().clone(), change.seq()), change.hash());
            }
        }
        let mut decoded = Vec::with_capacity(changes.len());
        for signed in changes {
            let change =
                Change::try_from(signed.bytes.as_slice()).map_err(|e| LoadError::Corrupt {
                    doc: id,
                    reason: e.to_string(),
                })?;
            doc.note_applied(&change);
            doc.claims
                .insert((change.actor_id().clone(), change.seq()), change.hash());
            doc.signed.insert(change.hash(), signed);
            decoded.push(change);
        }
        doc.am
            .apply_changes(decoded)
            .map_err(|e| LoadError::Corrupt {
                doc: id,
                reason: e.to_string(),
            })?;
        let missing = doc.am.get_missing_deps(&[]);
        if !missing.is_empty() {
            return Err(LoadError::Corrupt {
                doc: id,
                reason: format!("{} changes are missing their dependencies", missing.len()),
            });
        }
        doc.kind = match doc.am.get(automerge::ROOT, "kind") {
            Ok(Some((automerge::Value::Scalar(v), _))) => v.as_str().and_then(DocKind::parse),
            _ => None,
        };
        Ok(doc)
    }

    pub fn id(&self) -> DocId {
        self.id
    }

    pub fn kind(&self) -> Option<DocKind> {
        self.kind
    }

    pub fn heads(&self) -> Vec<ChangeHash> {
        self.am.get_heads()
    }

    pub fn change_count(&self) -> usize {
        self.signed.len()
    }

    pub fn pending_count(&self) -> usize {
        self.pending.len()
    }

    /// Changes waiting for their dependencies.
    pub fn pending_changes(&self) -> Vec<SignedChange> {
        self.pending.values().map(|v| v.signed.clone()).collect()
    }

    /// The same, with their hashes.
    pub fn pending_changes_hashed(&self) -> Vec<(ChangeHash, SignedChange)> {
        self.pending
            .iter()
            .map(|(h, v)| (*h, v.signed.clone()))
            .collect()
    }

    pub fn is_rejected(&self, hash: &ChangeHash) -> bool {
        self.rejected.contains(hash)
    }

    /// Whether every one of these changes is here, stored or refused.
    pub fn knows_all(&self, hashes: &[ChangeHash]) -> bool {
        hashes
            .iter()
            .all(|h| self.has_change(h) || self.is_rejected(h))
    }

    pub fn has_change(&self, hash: &ChangeHash) -> bool {
        self.signed.contains_key(hash)
    }

    /// Every applied change, each once, dependencies before dependents.
    pub fn signed_changes(&self) -> Vec<SignedChange> {
        self.am
            .get_changes(&[])
            .iter()
            .filter_map(|c| self.signed.get(&c.hash()).cloned())
            .collect()
    }

    /// The changes a peer whose heads are `have` lacks.
    pub fn changes_since(&self, have: &[ChangeHash]) -> Vec<SignedChange> {
        let mut known: HashSet<ChangeHash> = HashSet::new();
        let mut stack: Vec<ChangeHash> = have
            .iter()
            .filter(|h| self.deps.contains_key(h))
            .copied()
            .collect();
        while let Some(h) = stack.pop() {
            if known.insert(h)
                && let Some(deps) = self.deps.get(&h)
            {
                stack.extend(deps.iter().filter(|d| !known.contains(d)));
            }
        }
        self.history
            .iter()
            .filter(|h| !known.contains(h))
            .filter_map(|h| self.signed.get(h).cloned())
            .collect()
    }

    pub fn state(&self) -> Value {
        match self.gate_now() {
            Some(gate) => gate.state.clone(),
            None => self.am.hydrate(None),
        }
    }

    pub fn view(&self) -> Result<DocView, EditError> {
        let kind = self.kind.ok_or(EditError::Incomplete)?;
        if let Some(gate) = self.gate_now() {
            return Ok(gate.view.clone());
        }
        DocView::parse(kind, &self.state()).map_err(|e| EditError::Refused(Rejection::Malformed(e)))
    }

    /// The gate's memory, when it is of the document as it is now.
    fn gate_now(&self) -> Option<&GateCache> {
        let gate = self.gate.as_ref()?;
        let mut heads = self.am.get_heads();
        heads.sort();
        (gate.heads == heads).then_some(gate)
    }

    pub fn event(&self) -> Result<EventView, EditError> {
        match self.view()? {
            DocView::Event(e) => Ok(e),
            DocView::Group(_) => Err(EditError::WrongKind {
                expected: "event",
                actual: "group",
            }),
        }
    }

    pub fn group(&self) -> Result<GroupView, EditError> {
        match self.view()? {
            DocView::Group(g) => Ok(g),
            DocView::Event(_) => Err(EditError::WrongKind {
                expected: "group",
                actual: "event",
            }),
        }
    }

    fn note_applied(&mut self, change: &Change) {
        self.clock
            .note(change.actor_id(), change.max_op(), change.seq());
        self.history.push(change.hash());
        self.deps.insert(change.hash(), change.deps().to_vec());
    }

    /// Takes remote changes in any order: applies what is permitted, refuses what is
    /// not, keeps the rest pending until its dependencies arrive. Their
    /// signatures are checked as one batch ([`crate::signed::verify_all`]).
    pub fn receive(&mut self, changes: impl IntoIterator<Item = SignedChange>) -> Receipt {
        self.receive_checked(crate::signed::verify_all(changes.into_iter().collect()))
    }

    /// [`Document::receive`] for changes whose signatures were checked by
    /// [`crate::signed::verify_all`] (with other documents' changes, so a batch
    /// from a peer is checked at once).
    pub fn receive_checked(&mut self, changes: Vec<crate::signed::Checked>) -> Receipt {
        let mut receipt = Receipt::default();
        let mut ready = VecDeque::new();
        let mut arrived = Vec::new();
        let hash_of = |signed: &SignedChange| {
            Change::try_from(signed.bytes.as_slice())
                .map(|c| c.hash())
                .unwrap_or(ChangeHash([0; 32]))
        };
        for checked in changes {
            let doc = match &checked {
                Ok(v) => v.doc(),
                Err((signed, _)) => signed.doc,
            };
            if doc != self.id {
                let signed = match checked {
                    Ok(v) => v.signed,
                    Err((signed, _)) => signed,
                };
                let rejection = Rejection::WrongDocument {
                    expected: self.id,
                    got: signed.doc,
                };
                receipt.rejected.push((hash_of(&signed), signed, rejection));
                continue;
            }
            match checked {
                Ok(v) => {
                    let hash = v.hash();
                    if self.signed.contains_key(&hash) || self.pending.contains_key(&hash) {
                        receipt.duplicates += 1;
                    } else if self.rejected.contains(&hash) {
                        receipt
                            .rejected
                            .push((hash, v.signed, Rejection::DependsOnRejected));
                    } else {
                        arrived.push(hash);
                        self.add_pending(hash, v, &mut ready);
                    }
                }
                Err((signed, e)) => {
                    receipt
                        .rejected
                        .push((hash_of(&signed), signed, Rejection::Signature(e)));
                }
            }
        }
        let arrived: HashSet<ChangeHash> = arrived.into_iter().collect();
        self.drain_pending(ready, &arrived, &mut receipt);
        receipt.now_pending = arrived
            .iter()
            .filter_map(|h| self.pending.get(h).map(|v| (*h, v.signed.clone())))
            .collect();
        receipt
    }

    /// Keeps a change until its dependencies are decided: ready at once when
    /// they are, else registered with each one still missing.
    fn add_pending(
        &mut self,
        hash: ChangeHash,
        v: VerifiedChange,
        ready: &mut VecDeque<ChangeHash>,
    ) {
        let deps = v.change.deps();
        let missing: Vec<ChangeHash> = deps
            .iter()
            .filter(|d| !self.signed.contains_key(d) && !self.rejected.contains(d))
            .copied()
            .collect();
        if missing.is_empty() || deps.iter().any(|d| self.rejected.contains(d)) {
            ready.push_back(hash);
        }
        for d in missing {
            self.waiters.entry(d).or_default().push(hash);
        }
        self.pending.insert(hash, v);
    }

    /// `hash` was decided (applied, refused or withdrawn): what waited for it
    /// is looked at again.
    fn wake(&mut self, hash: &ChangeHash, ready: &mut VecDeque<ChangeHash>) {
        if let Some(waiting) = self.waiters.remove(hash) {
            ready.extend(waiting);
        }
    }

    /// Decides the pending changes in `ready` and whatever their decisions wake.
    fn drain_pending(
        &mut self,
        mut ready: VecDeque<ChangeHash>,
        arrived: &HashSet<ChangeHash>,
        receipt: &mut Receipt,
    ) {
        while let Some(hash) = ready.pop_front() {
            let Some(v) = self.pending.get(&hash) else {
                continue;
            };
            let deps = v.change.deps().to_vec();
            let any_rejected = deps.iter().any(|d| self.rejected.contains(d));
            if !any_rejected && !deps.iter().all(|d| self.signed.contains_key(d)) {
                // Still waiting: registered with what it still misses.
                continue;
            }
            let v = self.pending.remove(&hash).expect("present");
            if !arrived.contains(&hash) {
                receipt.no_longer_pending.push(hash);
            }
            // Every decided change claims its (actor, seq), whatever its fate, so that
            // equivocation is refused the same way in any delivery order.
            let claim = (v.change.actor_id().clone(), v.change.seq());
            if let Some(&other) = self.claims.get(&claim).filter(|h| **h != hash) {
                self.rejected.insert(hash);
                receipt
                    .rejected
                    .push((hash, v.signed, Rejection::Equivocation));
                if self.signed.contains_key(&other) {
                    let withdrawn = self.retract(other);
                    for w in &withdrawn {
                        self.wake(w, &mut ready);
                    }
                    receipt.retracted.extend(withdrawn);
                }
                self.wake(&hash, &mut ready);
                continue;
            }
            self.claims.insert(claim, hash);
            if any_rejected {
                self.rejected.insert(hash);
                receipt
                    .rejected
                    .push((hash, v.signed, Rejection::DependsOnRejected));
            } else {
                match self.apply_checked(&v) {
                    Ok(()) => receipt.accepted.push(v.signed),
                    Err(rejection) => {
                        self.rejected.insert(hash);
                        receipt.rejected.push((hash, v.signed, rejection));
                    }
                }
            }
            self.wake(&hash, &mut ready);
        }
    }

    /// Applies one verified change whose dependencies are all present, or refuses it
    /// and leaves the document as it was.
    fn apply_checked(&mut self, v: &VerifiedChange) -> Result<(), Rejection> {
        let change = &v.change;
        if change.message().is_some() {
            return Err(Rejection::UnexpectedPayload);
        }
        let is_genesis = change.deps().is_empty();
        if is_genesis != (change.hash() == self.id.genesis_hash())
            || (!is_genesis && self.kind.is_none())
        {
            return Err(Rejection::BadGenesis(
                "only the change the document is named after starts it",
            ));
        }
        if is_genesis {
            if change.seq() != 1 {
                return Err(Rejection::BadSequence);
            }
        } else {
            let past = self.clock_at(change.deps());
            if change.seq() != past.seq_of(change.actor_id()) + 1 {
                return Err(Rejection::BadSequence);
            }
            check_references(change, &past)?;
        }
        // A change on exactly the heads last judged is judged from its patches.
        let fast = !is_genesis && self.gate_is_at(change.deps());
        let before_clock = self.clock.clone();
        let mut log = automerge::PatchLog::new(fast);
        let applied = self
            .am
            .apply_changes_log_patches([change.clone()], &mut log);
        if applied.is_err() || self.am.get_change_meta_by_hash(&change.hash()).is_none() {
            self.gate = None;
            self.rebuild_without(change.hash());
            return Err(Rejection::BadSequence);
        }
        let verdict = if fast {
            let patches = self.am.make_patches(&mut log);
            self.judge_patched(change, v.author(), patches)
        } else {
            self.judge(change, v.author())
        };
        match verdict {
            Ok(kind) => {
                self.kind = Some(kind);
                self.note_applied(change);
                self.signed.insert(change.hash(), v.signed.clone());
                Ok(())
            }
            Err(rejection) => {
                self.rebuild_without(change.hash());
                self.clock = before_clock;
                Err(rejection)
            }
        }
    }

    /// Whether the gate's memory is of the document as it is, and the change
    /// about to be applied (whose dependencies are all here) builds on all of
    /// it: its dependencies include every head (the others are their
    /// ancestors — automerge also names an actor's previous change).
    fn gate_is_at(&self, deps: &[ChangeHash]) -> bool {
        self.gate_now().is_some() && self.builds_on_heads(deps)
    }

    /// Whether `deps` (all present) include every head of the document: then
    /// the state at `deps` is the document as it is.
    fn builds_on_heads(&self, deps: &[ChangeHash]) -> bool {
        self.am.get_heads().iter().all(|h| deps.contains(h))
    }

    /// Judges an applied change on the full path: the state after it hydrated,
    /// the state before it from the gate's memory when the change builds on the
    /// heads last judged, else hydrated too. Remembers the state after an
    /// allowed change that is now the only head.
    fn judge(&mut self, change: &Change, author: PersonaId) -> Result<DocKind, Rejection> {
        let after = self.am.hydrate(Some(&[change.hash()]));
        let cached = self.gate.take();
        let verdict = if change.deps().is_empty() {
            rules::check_genesis(author, &after).and_then(|kind| {
                let view = DocView::parse(kind, &after)?;
                Ok((kind, view))
            })
        } else {
            let kind = self.kind.expect("checked by the caller");
            let mut deps = change.deps().to_vec();
            deps.sort();
            let (before, before_view) = match cached {
                Some(g) if g.heads == deps => (g.state, Some(g.view)),
                _ => (self.am.hydrate(Some(change.deps())), None),
            };
            let touched = rules::touched_paths(&before, &after);
            rules::check_immutable(kind, &touched)
                .and_then(|()| match before_view {
                    Some(v) => Ok(v),
                    None => Ok(DocView::parse(kind, &before)?),
                })
                .and_then(|before_view| {
                    rules::check_touched(self.id, author, &touched, &before_view, &after)
                })
                .map(|view| (kind, view))
        };
        self.remember(change, after, verdict)
    }

    /// Judges an applied change from the patches applying it logged, against
    /// the gate's memory of the state at its dependencies (which
    /// [`Document::gate_is_at`] checked).
    fn judge_patched(
        &mut self,
        change: &Change,
        author: PersonaId,
        patches: Vec<automerge::Patch>,
    ) -> Result<DocKind, Rejection> {
        #[cfg(test)]
        incremental::PATCHED.with(|p| p.set(p.get() + 1));
        let kind = self.kind.expect("checked by the caller");
        let mut gate = self.gate.take().expect("checked by the caller");
        let Ok(touched) = incremental::touched(&mut gate.state, patches, self.am.text_encoding())
        else {
            // Patches the kept state cannot take: the full path decides.
            return self.judge(change, author);
        };
        let verdict = rules::check_immutable(kind, &touched)
            .and_then(|()| rules::check_touched(self.id, author, &touched, &gate.view, &gate.state))
            .map(|view| (kind, view));
        #[cfg(any(test, feature = "gate-check"))]
        self.check_against_full_path(change, author, &gate.state, &verdict);
        self.remember(change, gate.state, verdict)
    }

    /// Keeps the state after an allowed change that is now the only head.
    fn remember(
        &mut self,
        change: &Change,
        after: Value,
        verdict: Result<(DocKind, DocView), Rejection>,
    ) -> Result<DocKind, Rejection> {
        match verdict {
            Ok((kind, view)) => {
                if self.am.get_heads() == [change.hash()] {
                    self.gate = Some(GateCache {
                        heads: vec![change.hash()],
                        state: after,
                        view,
                    });
                }
                Ok(kind)
            }
            Err(rejection) => Err(rejection),
        }
    }

    /// Both gates side by side: the patched state must be the hydrated one,
    /// and the full path must reach the same verdict.
    #[cfg(any(test, feature = "gate-check"))]
    fn check_against_full_path(
        &self,
        change: &Change,
        author: PersonaId,
        patched: &Value,
        verdict: &Result<(DocKind, DocView), Rejection>,
    ) {
        let kind = self.kind.expect("checked by the caller");
        let before = self.am.hydrate(Some(change.deps()));
        let after = self.am.hydrate(Some(&[change.hash()]));
        assert_eq!(&after, patched, "the patched state is the hydrated state");
        let full = rules::check_change(self.id, kind, author, &before, &after);
        assert_eq!(
            full,
            verdict.as_ref().map(|_| ()).map_err(Clone::clone),
            "both gates reach the same verdict"
        );
        if let Ok((_, view)) = verdict {
            assert_eq!(
                view,
                &DocView::parse(kind, &after).expect("allowed"),
                "the kept view is the parsed state"
            );
        }
    }

    fn rebuild_without(&mut self, bad: ChangeHash) {
        self.gate = None;
        let keep: Vec<Change> = self
            .am
            .get_changes(&[])
            .into_iter()
            .filter(|c| c.hash() != bad)
            .collect();
        let mut am = Automerge::new();
        am.apply_changes(keep)
            .expect("changes that were applied before apply again");
        self.am = am;
    }

    /// Withdraws an applied change and everything that depends on it; returns them.
    fn retract(&mut self, root: ChangeHash) -> Vec<ChangeHash> {
        self.gate = None;
        let mut removed = HashSet::from([root]);
        let mut order = vec![root];
        let mut keep = Vec::new();
        for c in self.am.get_changes(&[]) {
            if c.hash() == root {
                continue;
            }
            if c.deps().iter().any(|d| removed.contains(d)) {
                removed.insert(c.hash());
                order.push(c.hash());
            } else {
                keep.push(c);
            }
        }
        self.clock = Clock::default();
        self.history.clear();
        self.deps.clear();
        for c in &keep {
            self.note_applied(c);
        }
        let mut am = Automerge::new();
        am.apply_changes(keep)
            .expect("changes that were applied before apply again");
        self.am = am;
        for h in &order {
            self.signed.remove(h);
            self.rejected.insert(*h);
        }
        order
    }

    /// Highest operation counter and sequence number per actor in the causal past of `deps`.
    fn clock_at(&self, deps: &[ChangeHash]) -> Clock {
        if self.builds_on_heads(deps) {
            return self.clock.clone();
        }
        let mut clock = Clock::default();
        let mut seen = HashSet::new();
        let mut stack = deps.to_vec();
        while let Some(hash) = stack.pop() {
            if !seen.insert(hash) {
                continue;
            }
            if let Some(meta) = self.am.get_change_meta_by_hash(&hash) {
                clock.note(&meta.actor, meta.max_op, meta.seq);
                stack.extend(meta.deps);
            }
        }
        clock
    }

    /// Makes a local edit as `author`, judged by the same rule as remote changes.
    pub fn edit<F>(
        &mut self,
        author: &Persona,
        now: Timestamp,
        f: F,
    ) -> Result<SignedChange, EditError>
    where
        F: FnOnce(&mut Tx<'_>) -> Result<(), EditError>,
    {
        if self.kind.is_none() {
            return Err(EditError::Incomplete);
        }
        self.am.set_actor(author.actor_id());
        let result = self
            .am
            .transact_with(|_| CommitOptions::default().with_time(now_secs(now)), f);
        let hash = match result {
            Ok(success) => success.hash.ok_or(EditError::NoChange)?,
            Err(failure) => return Err(failure.error),
        };
        let change = self.am.get_change_by_hash(&hash).expect("just committed");
        match self.judge(&change, author.id()) {
            Ok(_) => {
                self.note_applied(&change);
                self.claims
                    .insert((change.actor_id().clone(), change.seq()), hash);
                let signed = SignedChange::sign(self.id, author, &change);
                self.signed.insert(hash, signed.clone());
                Ok(signed)
            }
            Err(rejection) => {
                self.rebuild_without(hash);
                Err(EditError::Refused(rejection))
            }
        }
    }

    fn create(
        author: &Persona,
        now: Timestamp,
        f: impl FnOnce(&mut Tx<'_>) -> Result<(), automerge::AutomergeError>,
    ) -> Result<(Document, SignedChange), EditError> {
        let mut am = Automerge::new().with_actor(author.actor_id());
        let hash = am
            .transact_with(|_| CommitOptions::default().with_time(now_secs(now)), f)
            .map_err(|f| f.error)?
            .hash
            .ok_or(EditError::NoChange)?;
        let change = am.get_change_by_hash(&hash).expect("just committed");
        let id = DocId::from_genesis(hash);
        let kind = rules::check_genesis(author.id(), &am.hydrate(None))?;
        let signed = SignedChange::sign(id, author, &change);
        let mut doc = Document::empty(id);
        doc.kind = Some(kind);
        doc.note_applied(&change);
        doc.claims
            .insert((change.actor_id().clone(), change.seq()), hash);
        doc.am = am;
        doc.signed.insert(hash, signed.clone());
        Ok((doc, signed))
    }

    pub fn create_event(
        author: &Persona,
        author_name: &str,
        details: &EventDetails,
        group: Option<DocId>,
        now: Timestamp,
    ) -> Result<(Document, SignedChange), EditError> {
        Document::event_with(author, author_name, details, (group, None), now)
    }

    /// Creates the local copy of an event published elsewhere (on the Fediverse):
    /// `origin` is its address there, fixed for the document's life. The author
    /// stands for the remote organiser.
    pub fn copy_event(
        author: &Persona,
        author_name: &str,
        details: &EventDetails,
        origin: &str,
        now: Timestamp,
    ) -> Result<(Document, SignedChange), EditError> {
        crate::model::check_url(origin)?;
        Document::event_with(author, author_name, details, (None, Some(origin)), now)
    }

    fn event_with(
        author: &Persona,
        author_name: &str,
        details: &EventDetails,
        (group, origin): (Option<DocId>, Option<&str>),
        now: Timestamp,
    ) -> Result<(Document, SignedChange), EditError> {
        details.validate()?;
        Document::create(author, now, |tx| {
            edit::event_genesis(
                tx,
                author.id(),
                author_name,
                details,
                group,
                origin,
                now_secs(now),
            )
        })
    }

    pub fn create_group(
        author: &Persona,
        author_name: &str,
        profile: &GroupProfile,
        now: Timestamp,
    ) -> Result<(Document, SignedChange), EditError> {
        profile.validate()?;
        Document::create(author, now, |tx| {
            edit::group_genesis(tx, author.id(), author_name, profile, now_secs(now))
        })
    }

    // ----- events -----

    pub fn update_event(
        &mut self,
        author: &Persona,
        details: &EventDetails,
        now: Timestamp,
    ) -> Result<SignedChange, EditError> {
        details.validate()?;
        self.event()?;
        self.edit(author, now, |tx| Ok(edit::write_details(tx, details)?))
    }

    /// Changes one occurrence of a series, or it and every later one
    /// (`following`); an empty patch puts it back as the series has it.
    pub fn edit_occurrence(
        &mut self,
        author: &Persona,
        name: jiff::civil::DateTime,
        patch: &crate::recurrence::OccurrencePatch,
        following: bool,
        now: Timestamp,
    ) -> Result<SignedChange, EditError> {
        let view = self.event()?;
        if view.details.repeat.is_none() || !view.details.has_occurrence(name) {
            return Err(crate::model::InvalidInput::NoSuchOccurrence(name.to_string()).into());
        }
        patch.validate(name)?;
        self.edit(author, now, |tx| {
            Ok(edit::write_exception(tx, following, name, patch)?)
        })
    }

    /// Joins an event: `going` where the join mode allows it at once, `pending`
    /// where an organiser must approve. Returns the status recorded.
    pub fn join_event(
        &mut self,
        author: &Persona,
        name: &str,
        now: Timestamp,
    ) -> Result<(SignedChange, ParticipationStatus), EditError> {
        self.join(author, name, None, now)
    }

    /// Joins the whole event (`occurrence` `None`) or one occurrence of a series.
    pub fn join(
        &mut self,
        author: &Persona,
        name: &str,
        occurrence: Option<jiff::civil::DateTime>,
        now: Timestamp,
    ) -> Result<(SignedChange, ParticipationStatus), EditError> {
        let event = self.event()?;
        let me = author.id();
        let status = if event.is_organiser(&me) {
            ParticipationStatus::Going
        } else {
            match event.details.join_mode {
                JoinMode::Approval => ParticipationStatus::Pending,
                JoinMode::Free | JoinMode::Invite => ParticipationStatus::Going,
            }
        };
        let signed = self.set_participation_in(author, name, status, occurrence, now)?;
        Ok((signed, status))
    }

    pub fn set_participation(
        &mut self,
        author: &Persona,
        name: &str,
        status: ParticipationStatus,
        now: Timestamp,
    ) -> Result<SignedChange, EditError> {
        self.set_participation_in(author, name, status, None, now)
    }

    /// Sets the author's answer to the whole event or to one occurrence.
    pub fn set_participation_in(
        &mut self,
        author: &Persona,
        name: &str,
        status: ParticipationStatus,
        occurrence: Option<jiff::civil::DateTime>,
        now: Timestamp,
    ) -> Result<SignedChange, EditError> {
        let event = self.event()?;
        if let Some(o) = occurrence
            && !event.details.has_occurrence(o)
        {
            return Err(InvalidInput::NoSuchOccurrence(o.to_string()).into());
        }
        let key = crate::model::participation_key_of(&author.id(), occurrence);
        self.edit(author, now, |tx| {
            Ok(edit::set_participation(
                tx,
                &key,
                name,
                status,
                now_secs(now),
            )?)
        })
    }

    pub fn leave_event(
        &mut self,
        author: &Persona,
        now: Timestamp,
    ) -> Result<SignedChange, EditError> {
        self.leave(author, None, now)
    }

    /// Leaves the whole event, or one occurrence of a series.
    pub fn leave(
        &mut self,
        author: &Persona,
        occurrence: Option<jiff::civil::DateTime>,
        now: Timestamp,
    ) -> Result<SignedChange, EditError> {
        let event = self.event()?;
        if event.participation(&author.id(), occurrence).is_none() {
            return Err(EditError::NotFound(match occurrence {
                None => "you are not taking part in this event".into(),
                Some(o) => format!("you are not taking part in the occurrence of {o}"),
            }));
        }
        let key = crate::model::participation_key_of(&author.id(), occurrence);
        self.edit(author, now, |tx| Ok(edit::remove_participation(tx, &key)?))
    }

    /// An organiser approves (`going`) or rejects a participant.
    pub fn decide_participation(
        &mut self,
        author: &Persona,
        persona: PersonaId,
        status: ParticipationStatus,
        now: Timestamp,
    ) -> Result<SignedChange, EditError> {
        self.decide_participation_in(author, persona, status, None, now)
    }

    /// [`Document::decide_participation`] for the whole event or one occurrence.
    pub fn decide_participation_in(
        &mut self,
        author: &Persona,
        persona: PersonaId,
        status: ParticipationStatus,
        occurrence: Option<jiff::civil::DateTime>,
        now: Timestamp,
    ) -> Result<SignedChange, EditError> {
        self.event()?;
        let key = crate::model::participation_key_of(&persona, occurrence);
        self.edit(author, now, |tx| {
            if edit::set_participant_status(tx, &key, status)? {
                Ok(())
            } else {
                Err(EditError::NotFound(format!(
                    "{persona} is not a participant"
                )))
            }
        })
    }

    pub fn add_organiser(
        &mut self,
        author: &Persona,
        persona: PersonaId,
        name: &str,
        now: Timestamp,
    ) -> Result<SignedChange, EditError> {
        self.event()?;
        self.edit(author, now, |tx| {
            Ok(edit::add_organiser(tx, persona, name)?)
        })
    }

    pub fn invite_to_event(
        &mut self,
        author: &Persona,
        persona: PersonaId,
        now: Timestamp,
    ) -> Result<SignedChange, EditError> {
        self.event()?;
        self.edit(author, now, |tx| Ok(edit::invite_to_event(tx, persona)?))
    }

    /// Adds a comment and returns its id.
    pub fn comment(
        &mut self,
        author: &Persona,
        name: &str,
        body: &str,
        reply_to: Option<&str>,
        now: Timestamp,
    ) -> Result<(SignedChange, String), EditError> {
        let event = self.event()?;
        if body.trim().is_empty() {
            return Err(InvalidInput::Empty("comment").into());
        }
        if let Some(parent) = reply_to {
            match event.comment(parent) {
                None => {
                    return Err(EditError::NotFound(format!(
                        "no comment {parent} on this event"
                    )));
                }
                Some(p) if p.reply_to.is_some() => {
                    return Err(EditError::Refused(Rejection::NotAllowed(
                        "replies go one level deep; reply to the first comment of the thread"
                            .into(),
                    )));
                }
                Some(_) => {}
            }
        }
        let id = hex::encode(random_bytes::<8>());
        let signed = self.edit(author, now, |tx| {
            Ok(edit::add_comment(
                tx,
                &id,
                author.id(),
                name,
                body,
                reply_to,
                now_secs(now),
            )?)
        })?;
        Ok((signed, id))
    }

    pub fn edit_comment(
        &mut self,
        author: &Persona,
        id: &str,
        body: &str,
        now: Timestamp,
    ) -> Result<SignedChange, EditError> {
        self.event()?;
        if body.trim().is_empty() {
            return Err(InvalidInput::Empty("comment").into());
        }
        self.update_comment(author, id, Some(body), None, None, now)
    }

    pub fn delete_comment(
        &mut self,
        author: &Persona,
        id: &str,
        now: Timestamp,
    ) -> Result<SignedChange, EditError> {
        self.update_comment(author, id, None, Some(true), None, now)
    }

    pub fn hide_comment(
        &mut self,
        author: &Persona,
        id: &str,
        hidden: bool,
        now: Timestamp,
    ) -> Result<SignedChange, EditError> {
        self.update_comment(author, id, None, None, Some(hidden), now)
    }

    fn update_comment(
        &mut self,
        author: &Persona,
        id: &str,
        body: Option<&str>,
        deleted: Option<bool>,
        hidden: Option<bool>,
        now: Timestamp,
    ) -> Result<SignedChange, EditError> {
        self.event()?;
        self.edit(author, now, |tx| {
            if edit::update_comment(tx, id, body, deleted, hidden, now_secs(now))? {
                Ok(())
            } else {
                Err(EditError::NotFound(format!(
                    "no comment {id} on this event"
                )))
            }
        })
    }

    // ----- groups -----

    pub fn update_group_profile(
        &mut self,
        author: &Persona,
        profile: &GroupProfile,
        now: Timestamp,
    ) -> Result<SignedChange, EditError> {
        profile.validate()?;
        self.group()?;
        self.edit(author, now, |tx| Ok(edit::write_profile(tx, profile)?))
    }

    /// Sets (admins) or removes the group's disappearing-messages timer; `None`
    /// when it already is that one.
    pub fn set_disappearing(
        &mut self,
        author: &Persona,
        timer: Option<crate::disappearing::Disappearing>,
        now: Timestamp,
    ) -> Result<Option<SignedChange>, EditError> {
        if timer.is_some_and(|t| !t.is_valid()) {
            return Err(crate::model::InvalidInput::Keyword {
                what: "disappearing time",
                got: format!("{}s", timer.map_or(0, |t| t.0)),
                expected: "1h, 1d, 1w, off".into(),
            }
            .into());
        }
        if self.group()?.disappearing == timer {
            return Ok(None);
        }
        self.edit(author, now, |tx| Ok(crate::disappearing::write(tx, timer)?))
            .map(Some)
    }

    /// Sets (or removes) the author's picture in its own entry: its membership
    /// of a group, its participation in an event. `None` when it has no entry
    /// here or the picture is already that one.
    pub fn set_own_avatar(
        &mut self,
        author: &Persona,
        avatar: Option<&crate::picture::Picture>,
        now: Timestamp,
    ) -> Result<Option<SignedChange>, EditError> {
        if avatar.is_some_and(|a| !a.is_valid()) {
            return Err(crate::model::InvalidInput::BadPicture.into());
        }
        let me = author.id();
        let (map, current) = match self.view() {
            Ok(crate::model::DocView::Group(g)) => {
                ("members", g.members.get(&me).map(|m| m.avatar.clone()))
            }
            Ok(crate::model::DocView::Event(e)) => (
                "participants",
                e.participants.get(&me).map(|p| p.avatar.clone()),
            ),
            Err(_) => return Ok(None),
        };
        match current {
            Some(current) if current.as_ref() != avatar => {}
            _ => return Ok(None),
        }
        self.edit(author, now, |tx| {
            Ok(edit::set_own_avatar(tx, map, me, avatar)?)
        })
        .map(Some)
    }

    /// Creates an invitation (without limits) and returns the token that carries it.
    pub fn create_invite(
        &mut self,
        author: &Persona,
        now: Timestamp,
    ) -> Result<(SignedChange, InviteToken), EditError> {
        self.create_invite_with(author, now, InviteLimits::default())
    }

    /// Creates an invitation that may be single-use or expire.
    pub fn create_invite_with(
        &mut self,
        author: &Persona,
        now: Timestamp,
        limits: InviteLimits,
    ) -> Result<(SignedChange, InviteToken), EditError> {
        self.group()?;
        if limits.expires_at.is_some_and(|e| e <= now_secs(now)) {
            return Err(EditError::Invalid(InvalidInput::Expired));
        }
        let token = InviteToken::generate(self.id);
        let invite_id = token.invite_id();
        let signed = self.edit(author, now, |tx| {
            Ok(edit::add_invite(
                tx,
                &invite_id,
                author.id(),
                now_secs(now),
                limits,
            )?)
        })?;
        Ok((signed, token))
    }

    pub fn revoke_invite(
        &mut self,
        author: &Persona,
        invite_id: &str,
        now: Timestamp,
    ) -> Result<SignedChange, EditError> {
        self.group()?;
        self.edit(author, now, |tx| {
            if edit::revoke_invite(tx, invite_id)? {
                Ok(())
            } else {
                Err(EditError::NotFound(format!("no invitation {invite_id}")))
            }
        })
    }

    /// Joins the group with an invitation token.
    pub fn join_group(
        &mut self,
        author: &Persona,
        name: &str,
        token: &InviteToken,
        now: Timestamp,
    ) -> Result<SignedChange, EditError> {
        let group = self.group()?;
        if token.group != self.id {
            return Err(EditError::NotFound(
                "this invitation is for another group".into(),
            ));
        }
        if group.members.contains_key(&author.id()) {
            return Err(EditError::NoChange);
        }
        let invite_id = token.invite_id();
        // Revoked and expired invitations are the rule's to refuse; single use is
        // not in the rule (see `Invite::single_use`), so it is checked here.
        if group
            .invite(&invite_id)
            .is_some_and(|i| i.single_use && group.invite_used(&invite_id))
        {
            return Err(EditError::NotFound(
                "this invitation was for one person, and has been used".into(),
            ));
        }
        let signature = token.sign_member(&author.id());
        self.edit(author, now, |tx| {
            Ok(edit::add_member(
                tx,
                author.id(),
                name,
                Role::Member,
                now_secs(now),
                Some((&invite_id, &signature)),
            )?)
        })
    }

    pub fn add_member(
        &mut self,
        author: &Persona,
        persona: PersonaId,
        name: &str,
        role: Role,
        now: Timestamp,
    ) -> Result<SignedChange, EditError> {
        let group = self.group()?;
        if group.members.contains_key(&persona) {
            return Err(EditError::NoChange);
        }
        if group.bans.contains_key(&persona) {
            return Err(EditError::NotFound(format!(
                "{persona} is banned from this group: lift the ban first"
            )));
        }
        self.edit(author, now, |tx| {
            Ok(edit::add_member(
                tx,
                persona,
                name,
                role,
                now_secs(now),
                None,
            )?)
        })
    }

    pub fn set_role(
        &mut self,
        author: &Persona,
        persona: PersonaId,
        role: Role,
        now: Timestamp,
    ) -> Result<SignedChange, EditError> {
        self.group()?;
        self.edit(author, now, |tx| {
            if edit::set_role(tx, persona, role)? {
                Ok(())
            } else {
                Err(EditError::NotFound(format!("{persona} is not a member")))
            }
        })
    }

    pub fn remove_member(
        &mut self,
        author: &Persona,
        persona: PersonaId,
        now: Timestamp,
    ) -> Result<SignedChange, EditError> {
        self.group()?;
        self.edit(author, now, |tx| {
            if edit::remove_member(tx, persona)? {
                Ok(())
            } else {
                Err(EditError::NotFound(format!("{persona} is not a member")))
            }
        })
    }

    pub fn put_link(
        &mut self,
        author: &Persona,
        link: &GroupLink,
        now: Timestamp,
    ) -> Result<SignedChange, EditError> {
        link.validate()?;
        self.group()?;
        self.edit(author, now, |tx| Ok(edit::put_link(tx, link)?))
    }

    pub fn remove_link(
        &mut self,
        author: &Persona,
        id: &str,
        now: Timestamp,
    ) -> Result<SignedChange, EditError> {
        self.group()?;
        self.edit(author, now, |tx| {
            if edit::remove_link(tx, id)? {
                Ok(())
            } else {
                Err(EditError::NotFound(format!("no link {id}")))
            }
        })
    }

    /// Lists (or unlists) an event on the group's page.
    pub fn set_group_event(
        &mut self,
        author: &Persona,
        event: DocId,
        listed: bool,
        now: Timestamp,
    ) -> Result<SignedChange, EditError> {
        self.group()?;
        self.edit(author, now, |tx| {
            Ok(edit::set_group_event(tx, event, listed)?)
        })
    }

    /// Test support: commits whatever `f` writes without judging it, signed by
    /// `author`, as a forger would. Only for tests of the rule.
    #[doc(hidden)]
    pub fn forge(
        &self,
        author: &Persona,
        now: Timestamp,
        f: impl FnOnce(&mut Tx<'_>) -> Result<(), automerge::AutomergeError>,
    ) -> SignedChange {
        let mut am = self.am.clone().with_actor(author.actor_id());
        let hash = am
            .transact_with(|_| CommitOptions::default().with_time(now_secs(now)), f)
            .map_err(|f| f.error)
            .expect("forged transaction")
            .hash
            .expect("forged change has operations");
        let change = am.get_change_by_hash(&hash).expect("just committed");
        SignedChange::sign(self.id, author, &change)
    }

    /// Test support: the view of a document's state even when it is not readable.
    #[doc(hidden)]
    pub fn raw_schema_check(&self) -> Result<(), SchemaError> {
        match self.kind {
            Some(kind) => DocView::parse(kind, &self.state()).map(|_| ()),
            None => Ok(()),
        }
    }
}
