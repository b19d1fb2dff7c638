//! The store's side of group logs (see `rally_core::sealed`): envelopes kept in
//! `changes` like any change (so sync cursors and beliefs cover them), the key
//! epochs this device holds, and the chat.
//!
//! - **Storing** ([`store_envelopes`]): an envelope is checked (size, form, log,
//!   signature) and kept once every envelope it follows is here; until then it
//!   waits in `waiting_envelopes`, woken by the arrival it waits for. Relays stop
//!   there.
//! - **Opening** ([`open_logs`]): for the logs of groups known here, grants are
//!   opened with the local personas' keys and the invitation tokens waiting to be
//!   used; sealed items with the keys of their epoch. Opened document changes go
//!   back to the caller, which hands them to their documents (the rule judges
//!   them like any change); chat items land in `messages`.
//! - **Sealing** ([`seal_local_changes`], [`send`]): a local write to a
//!   members-only document, and every chat item, is sealed under the group's
//!   current epoch — the newest one made by a member for exactly the current
//!   members — and a new epoch is made (and granted to each member) when there is
//!   none, which is how removing a member rotates the keys and how a new member
//!   comes to read the chat.

use std::collections::{BTreeSet, HashMap, HashSet};

use rally_core::sealed::policy::{self, EpochFacts, SealWith};
use rally_core::sealed::{
    self as core_sealed, Content, Envelope, EpochSecret, Grant, KeyUse, is_envelope, log_id,
};
use rally_core::{DocId, Document, GroupVisibility, InviteToken, Persona, PersonaId, SignedChange};
use rusqlite::{Connection, OptionalExtension, params};

use crate::{Ctx, StoreError, heads_blob, heads_from_blob};

/// Envelopes a peer sent that a relay can already tell are not acceptable.
pub(crate) struct Misbehaviour(pub String);

pub(crate) use rally_core::sealed::policy::sealed_group;

/// Records the log of a group known here (and, the group having changed, tries
/// again what waited for it).
pub(crate) fn register_log(tx: &Connection, group: &DocId) -> Result<(), StoreError> {
    let new = tx
        .prepare_cached("INSERT OR IGNORE INTO logs (log, grp) VALUES (?1, ?2)")
        .ctx("recording a group log")?
        .execute(params![log_id(group).0, group.0])
        .ctx("recording a group log")?
        > 0;
    // Only a device holding keys of the group can open more once the group
    // changed (a relay holds none and does not rescan the log).
    let holds_keys = new
        || tx
            .prepare_cached("SELECT EXISTS (SELECT 1 FROM group_keys WHERE grp = ?1)")
            .ctx("recording a group log")?
            .query_row([group.0], |r| r.get::<_, bool>(0))
            .ctx("recording a group log")?;
    if holds_keys {
        retry_log(tx, group)?;
    }
    Ok(())
}

fn group_of_log(conn: &Connection, log: &DocId) -> Result<Option<Vec<u8>>, StoreError> {
    conn.prepare_cached("SELECT grp FROM logs WHERE log = ?1")
        .ctx("reading a group log")?
        .query_row([log.0], |r| r.get(0))
        .optional()
        .ctx("reading a group log")
}

/// What `docs` says a stored document is (`event`, `group`, `log`), if stored.
fn doc_kind(conn: &Connection, id: &DocId) -> Result<Option<String>, StoreError> {
    conn.prepare_cached("SELECT kind FROM docs WHERE id = ?1")
        .ctx("reading a document")?
        .query_row([id.0], |r| r.get(0))
        .optional()
        .ctx("reading a document")
}

pub(crate) fn is_log(conn: &Connection, id: &DocId) -> Result<bool, StoreError> {
    Ok(doc_kind(conn, id)?.as_deref() == Some("log"))
}

pub(crate) fn log_heads(tx: &Connection, log: &DocId) -> Result<Vec<[u8; 32]>, StoreError> {
    let blob: Option<Vec<u8>> = tx
        .prepare_cached("SELECT heads FROM docs WHERE id = ?1")
        .ctx("reading a log")?
        .query_row([log.0], |r| r.get(0))
        .optional()
        .ctx("reading a log")?;
    Ok(blob
        .map(|b| heads_from_blob(&b).into_iter().map(|h| h.0).collect())
        .unwrap_or_default())
}

fn known_envelope(tx: &Connection, hash: &[u8; 32]) -> Result<Option<i64>, StoreError> {
    tx.prepare_cached("SELECT depth FROM envelopes WHERE hash = ?1")
        .ctx("reading a log")?
        .query_row([hash], |r| r.get(0))
        .optional()
        .ctx("reading a log")
}

/// An envelope this device forgot (older than the months it keeps) that a
/// peer sent again: its bytes are back, to be opened again.
fn restore_forgotten(tx: &Connection, hash: &[u8; 32], bytes: &[u8]) -> Result<bool, StoreError> {
    let restored = tx
        .prepare_cached(
            "UPDATE changes SET bytes = ?2 WHERE id = (SELECT change FROM envelopes WHERE hash = ?1 AND opened = 6)",
        )
        .and_then(|mut s| s.execute(params![hash, bytes]))
        .ctx("saving an envelope")?;
    if restored > 0 {
        tx.prepare_cached("UPDATE envelopes SET opened = 0 WHERE hash = ?1")
            .and_then(|mut s| s.execute([hash]))
            .ctx("saving an envelope")?;
    }
    Ok(restored > 0)
}

/// Forgets the chat of group logs written before `cutoff_ms` (a device that
/// keeps only recent months), except in logs asked for again: the messages
/// are deleted and their envelopes' bytes emptied (the envelopes stay in the
/// log's DAG, not offered to peers). Returns how many chat items went.
pub(crate) fn forget_chat_before(tx: &Connection, cutoff_ms: i64) -> Result<usize, StoreError> {
    let ctx = "forgetting older messages";
    tx.prepare_cached(
        "DELETE FROM messages WHERE at < ?1
           AND grp NOT IN (SELECT l.grp FROM logs l JOIN asked_for a ON a.doc = l.log)",
    )
    .and_then(|mut s| s.execute([cutoff_ms]))
    .ctx(ctx)?;
    let old: Vec<(Vec<u8>, i64)> = tx
        .prepare_cached(
            "SELECT hash, change FROM envelopes WHERE chat_at < ?1 AND opened = 1
               AND log NOT IN (SELECT doc FROM asked_for)",
        )
        .and_then(|mut s| {
            s.query_map([cutoff_ms], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect()
        })
        .ctx(ctx)?;
    for (hash, change) in &old {
        tx.prepare_cached("UPDATE changes SET bytes = X'' WHERE id = ?1")
            .and_then(|mut s| s.execute([change]))
            .ctx(ctx)?;
        tx.prepare_cached("UPDATE envelopes SET opened = ?2 WHERE hash = ?1")
            .and_then(|mut s| s.execute(params![hash, Opened::Forgotten.code()]))
            .ctx(ctx)?;
    }
    Ok(old.len())
}

/// Keeps one checked envelope whose dependencies are all here.
fn insert_envelope(
    tx: &Connection,
    signed: &SignedChange,
    envelope: &Envelope,
    depth: i64,
) -> Result<(), StoreError> {
    let log = signed.doc;
    let hash = core_sealed::envelope_hash(&signed.bytes);
    tx.prepare_cached(
        "INSERT INTO changes (doc, author, signature, bytes) VALUES (?1, ?2, ?3, ?4)",
    )
    .ctx("saving an envelope")?
    .execute(params![
        log.0,
        signed.author.0,
        signed.signature,
        signed.bytes
    ])
    .ctx("saving an envelope")?;
    let change = tx.last_insert_rowid();
    // A stub is never opened; a full expiring envelope waits for the sweep.
    let (opened, expires) = if envelope.is_stub() {
        (Opened::Expired.code(), None)
    } else {
        (Opened::Pending.code(), envelope.expires)
    };
    tx.prepare_cached(
        "INSERT INTO envelopes (hash, log, change, depth, deps, opened, expires) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )
    .ctx("saving an envelope")?
    .execute(params![hash, log.0, change, depth, envelope.deps.concat(), opened, expires])
    .ctx("saving an envelope")?;
    let mut heads: BTreeSet<[u8; 32]> = log_heads(tx, &log)?.into_iter().collect();
    for d in &envelope.deps {
        heads.remove(d);
    }
    heads.insert(hash);
    let heads: Vec<rally_core::ChangeHash> =
        heads.into_iter().map(rally_core::ChangeHash).collect();
    tx.prepare_cached(
        "INSERT INTO docs (id, kind, heads) VALUES (?1, 'log', ?2) ON CONFLICT (id) DO UPDATE SET heads = excluded.heads",
    )
    .ctx("saving an envelope")?
    .execute(params![log.0, heads_blob(&heads)])
    .ctx("saving an envelope")?;
    Ok(())
}

/// What [`store_envelopes`] did.
#[derive(Debug, Default)]
pub(crate) struct Stored {
    pub accepted: usize,
    pub duplicates: usize,
    pub waiting: usize,
    pub logs: Vec<DocId>,
    /// Stubs of envelopes that have not expired yet by this device's clock:
    /// not kept (the full envelope may still come from another peer).
    pub early_stubs: usize,
}

/// How far ahead of this device's clock another's may be when it hands over
/// a stub: an envelope detached by a peer whose clock is ahead by more than
/// this is not taken (a relay cannot make messages vanish early).
pub const STUB_CLOCK_SKEW_MS: i64 = 5 * 60 * 1000;

/// Checks and keeps envelopes (from a peer, or made here), in causal order;
/// those whose dependencies are missing wait in `waiting_envelopes`, indexed by
/// what they wait for (`envelope_needs`), so each arrival costs what it completes:
/// a chain received newest-first costs what it does oldest-first.
///
/// `now_ms` is this device's clock: an expired envelope is kept as its stub
/// only, and a stub is taken only once it has expired here (give or take
/// [`STUB_CLOCK_SKEW_MS`]).
pub(crate) fn store_envelopes(
    tx: &Connection,
    items: Vec<SignedChange>,
    sender: Option<&PersonaId>,
    now_ms: i64,
) -> Result<Result<Stored, Misbehaviour>, StoreError> {
    let mut by_log: HashMap<DocId, Vec<(SignedChange, Envelope)>> = HashMap::new();
    let mut early_stubs = 0;
    for mut signed in items {
        let mut envelope = match Envelope::verify(&signed) {
            Ok(e) => e,
            Err(e) => {
                return Ok(Err(Misbehaviour(format!(
                    "{}: an envelope {e}",
                    signed.doc.to_hex()
                ))));
            }
        };
        if doc_kind(tx, &signed.doc)?.is_some_and(|k| k != "log") {
            return Ok(Err(Misbehaviour(format!(
                "{}: an envelope for a document that is not a log",
                signed.doc.to_hex()
            ))));
        }
        if envelope.is_stub() && !envelope.expired(now_ms.saturating_add(STUB_CLOCK_SKEW_MS)) {
            early_stubs += 1;
            continue;
        }
        if envelope.expired(now_ms)
            && let Some(stub) = core_sealed::stub_of(&signed.bytes)
        {
            signed.bytes = stub;
            envelope.body = core_sealed::Body::Detached;
        }
        by_log
            .entry(signed.doc)
            .or_default()
            .push((signed, envelope));
    }
    let mut stored = Stored {
        early_stubs,
        ..Stored::default()
    };
    for (log, mut incoming) in by_log {
        // Envelopes that waited in `pending` before schema 8 join this batch once.
        let legacy: Vec<SignedChange> = {
            let mut stmt = tx
                .prepare_cached("SELECT doc, author, signature, bytes FROM pending WHERE doc = ?1")
                .ctx("reading waiting envelopes")?;
            let rows = stmt
                .query_map([log.0], crate::row_to_signed)
                .ctx("reading waiting envelopes")?;
            rows.collect::<Result<_, _>>()
                .ctx("reading waiting envelopes")?
        };
        if !legacy.is_empty() {
            tx.prepare_cached("DELETE FROM pending WHERE doc = ?1")
                .and_then(|mut s| s.execute([log.0]))
                .ctx("reading waiting envelopes")?;
            for w in legacy {
                if let Ok(e) = Envelope::verify(&w) {
                    incoming.push((w, e));
                }
            }
        }
        let mut ready = Vec::new();
        let mut added_waiting = 0usize;
        for (signed, envelope) in incoming {
            let hash = core_sealed::envelope_hash(&signed.bytes);
            if restore_forgotten(tx, &hash, &signed.bytes)? {
                // Asked for again: it is opened like a new one.
                stored.accepted += 1;
                continue;
            }
            if known_envelope(tx, &hash)?.is_some() || is_waiting(tx, &hash)? {
                stored.duplicates += 1;
                continue;
            }
            let mut missing = Vec::new();
            for d in &envelope.deps {
                if !missing.contains(d) && known_envelope(tx, d)?.is_none() {
                    missing.push(*d);
                }
            }
            if missing.is_empty() {
                insert_envelope(tx, &signed, &envelope, depth_of(tx, &envelope)?)?;
                stored.accepted += 1;
                ready.push(hash);
            } else {
                wait(tx, &hash, (&signed, &envelope), &missing, sender)?;
                added_waiting += 1;
            }
        }
        // Each stored envelope wakes exactly those that waited for it.
        let any = !ready.is_empty();
        while let Some(hash) = ready.pop() {
            for w in woken_by(tx, &hash)? {
                let (signed, envelope) = take_waiting(tx, &w, &log)?;
                insert_envelope(tx, &signed, &envelope, depth_of(tx, &envelope)?)?;
                stored.accepted += 1;
                ready.push(w);
            }
        }
        let waiting = waiting_in(tx, &log)?;
        if added_waiting > 0 && waiting > MAX_WAITING_PER_LOG {
            return Ok(Err(Misbehaviour(format!(
                "{}: more than {MAX_WAITING_PER_LOG} envelopes waiting for predecessors",
                log.to_hex()
            ))));
        }
        if added_waiting > 0
            && let Some(sender) = sender
            && waiting_from(tx, sender)? > MAX_WAITING_PER_PEER
        {
            return Ok(Err(Misbehaviour(format!(
                "more than {MAX_WAITING_PER_PEER} envelopes waiting for predecessors from one peer"
            ))));
        }
        stored.waiting += waiting;
        if any {
            stored.logs.push(log);
        }
    }
    Ok(Ok(stored))
}

/// The most envelopes of one log that may wait for their predecessors: past it, a
/// batch that adds more is refused (and, with it, the peer that sent it).
pub const MAX_WAITING_PER_LOG: usize = 20_000;
/// The most envelopes one peer may have waiting, over all logs.
pub const MAX_WAITING_PER_PEER: usize = 40_000;

fn waiting_from(tx: &Connection, sender: &PersonaId) -> Result<usize, StoreError> {
    let n: i64 = tx
        .prepare_cached("SELECT count(*) FROM waiting_envelopes WHERE sender = ?1")
        .ctx("counting waiting envelopes")?
        .query_row([sender.0], |r| r.get(0))
        .ctx("counting waiting envelopes")?;
    Ok(n as usize)
}

/// Forgets the envelopes `sender` sent that still wait (it misbehaved).
pub(crate) fn forget_waiting_from(tx: &Connection, sender: &PersonaId) -> Result<(), StoreError> {
    tx.prepare_cached("DELETE FROM envelope_needs WHERE hash IN (SELECT hash FROM waiting_envelopes WHERE sender = ?1)").and_then(|mut s| s.execute([sender.0]))
    .ctx("forgetting a peer's waiting envelopes")?;
    tx.prepare_cached("DELETE FROM waiting_envelopes WHERE sender = ?1")
        .and_then(|mut s| s.execute([sender.0]))
        .ctx("forgetting a peer's waiting envelopes")?;
    Ok(())
}

fn is_waiting(tx: &Connection, hash: &[u8; 32]) -> Result<bool, StoreError> {
    tx.prepare_cached("SELECT EXISTS (SELECT 1 FROM waiting_envelopes WHERE hash = ?1)")
        .ctx("reading waiting envelopes")?
        .query_row([hash], |r| r.get(0))
        .ctx("reading waiting envelopes")
}

fn waiting_in(tx: &Connection, log: &DocId) -> Result<usize, StoreError> {
    tx.prepare_cached("SELECT count(*) FROM waiting_envelopes WHERE log = ?1")
        .ctx("reading waiting envelopes")?
        .query_row([log.0], |r| r.get::<_, i64>(0))
        .ctx("reading waiting envelopes")
        .map(|n| n as usize)
}

/// One more than the deepest dependency (all of them stored).
fn depth_of(tx: &Connection, envelope: &Envelope) -> Result<i64, StoreError> {
    let mut depth = 0;
    for d in &envelope.deps {
        if let Some(dd) = known_envelope(tx, d)? {
            depth = depth.max(dd + 1);
        }
    }
    Ok(depth)
}

/// Keeps a checked envelope until the `missing` ones arrive.
fn wait(
    tx: &Connection,
    hash: &[u8; 32],
    (signed, envelope): (&SignedChange, &Envelope),
    missing: &[[u8; 32]],
    sender: Option<&PersonaId>,
) -> Result<(), StoreError> {
    let expires = envelope.expires.filter(|_| !envelope.is_stub());
    tx.prepare_cached(
        "INSERT INTO waiting_envelopes (hash, log, author, signature, bytes, missing, sender, expires) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )
    .ctx("storing a waiting envelope")?
    .execute(params![
        hash,
        signed.doc.0,
        signed.author.0,
        signed.signature,
        signed.bytes,
        missing.len() as i64,
        sender.map(|s| s.0),
        expires
    ])
    .ctx("storing a waiting envelope")?;
    let mut needs = tx
        .prepare_cached("INSERT OR IGNORE INTO envelope_needs (dep, hash) VALUES (?1, ?2)")
        .ctx("storing a waiting envelope")?;
    for d in missing {
        needs
            .execute(params![d, hash])
            .ctx("storing a waiting envelope")?;
    }
    Ok(())
}

/// The waiting envelopes that `arrived` was the last missing dependency of; the
/// others it counts down.
fn woken_by(tx: &Connection, arrived: &[u8; 32]) -> Result<Vec<[u8; 32]>, StoreError> {
    let waiters: Vec<Vec<u8>> = tx
        .prepare_cached("SELECT hash FROM envelope_needs WHERE dep = ?1")
        .ctx("reading waiting envelopes")?
        .query_map([arrived], |r| r.get(0))
        .ctx("reading waiting envelopes")?
        .collect::<Result<_, _>>()
        .ctx("reading waiting envelopes")?;
    if waiters.is_empty() {
        return Ok(Vec::new());
    }
    tx.prepare_cached("DELETE FROM envelope_needs WHERE dep = ?1")
        .ctx("waking waiting envelopes")?
        .execute([arrived])
        .ctx("waking waiting envelopes")?;
    let mut woken = Vec::new();
    for w in waiters {
        let missing: i64 = tx
            .prepare_cached(
                "UPDATE waiting_envelopes SET missing = missing - 1 WHERE hash = ?1 RETURNING missing",
            )
            .ctx("waking waiting envelopes")?
            .query_row([&w], |r| r.get(0))
            .ctx("waking waiting envelopes")?;
        if missing <= 0
            && let Ok(h) = <[u8; 32]>::try_from(w.as_slice())
        {
            woken.push(h);
        }
    }
    Ok(woken)
}

/// Takes a waiting envelope out, to be stored (it was checked when it arrived).
fn take_waiting(
    tx: &Connection,
    hash: &[u8; 32],
    log: &DocId,
) -> Result<(SignedChange, Envelope), StoreError> {
    let (author, signature, bytes): (Vec<u8>, Vec<u8>, Vec<u8>) = tx
        .prepare_cached("SELECT author, signature, bytes FROM waiting_envelopes WHERE hash = ?1")
        .ctx("reading a waiting envelope")?
        .query_row([hash], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .ctx("reading a waiting envelope")?;
    tx.prepare_cached("DELETE FROM waiting_envelopes WHERE hash = ?1")
        .ctx("reading a waiting envelope")?
        .execute([hash])
        .ctx("reading a waiting envelope")?;
    let damaged = || StoreError::Corrupt(format!("a waiting envelope of {}", log.to_hex()));
    let signed = SignedChange {
        doc: *log,
        author: PersonaId(author.try_into().map_err(|_| damaged())?),
        signature: signature.try_into().map_err(|_| damaged())?,
        bytes,
    };
    let envelope = Envelope::decode(&signed.bytes).map_err(|_| damaged())?;
    Ok((signed, envelope))
}

/// The stored envelopes of `log` that a replica with heads `have` lacks, oldest first.
pub(crate) fn envelopes_since(
    conn: &Connection,
    log: &DocId,
    have: &[rally_core::ChangeHash],
    now_ms: i64,
) -> Result<Vec<SignedChange>, StoreError> {
    let mut deps_of: HashMap<[u8; 32], Vec<[u8; 32]>> = HashMap::new();
    {
        let mut stmt = conn
            .prepare_cached("SELECT hash, deps FROM envelopes WHERE log = ?1")
            .ctx("reading a log")?;
        let rows = stmt
            .query_map([log.0], |r| {
                Ok((r.get::<_, Vec<u8>>(0)?, r.get::<_, Vec<u8>>(1)?))
            })
            .ctx("reading a log")?;
        for row in rows {
            let (hash, deps) = row.ctx("reading a log")?;
            if let Ok(hash) = <[u8; 32]>::try_from(hash.as_slice()) {
                let deps = deps
                    .chunks_exact(32)
                    .map(|c| c.try_into().expect("32 bytes"))
                    .collect();
                deps_of.insert(hash, deps);
            }
        }
    }
    let mut known: HashSet<[u8; 32]> = HashSet::new();
    let mut stack: Vec<[u8; 32]> = have
        .iter()
        .map(|h| h.0)
        .filter(|h| deps_of.contains_key(h))
        .collect();
    while let Some(h) = stack.pop() {
        if known.insert(h)
            && let Some(deps) = deps_of.get(&h)
        {
            stack.extend(deps.iter().copied());
        }
    }
    let mut stmt = conn
        .prepare_cached(
            "SELECT c.doc, c.author, c.signature, c.bytes, e.hash, e.expires FROM envelopes e JOIN changes c ON c.id = e.change
             WHERE e.log = ?1 AND e.opened != 6 ORDER BY c.id",
        )
        .ctx("reading a log")?;
    let rows = stmt
        .query_map([log.0], |r| {
            Ok((
                crate::row_to_signed(r)?,
                r.get::<_, Vec<u8>>(4)?,
                r.get::<_, Option<i64>>(5)?,
            ))
        })
        .ctx("reading a log")?;
    // What expired since the last sweep leaves as its stub.
    let mut out = Vec::new();
    for row in rows {
        let (mut signed, hash, expires) = row.ctx("reading a log")?;
        if !<[u8; 32]>::try_from(hash.as_slice()).is_ok_and(|h| known.contains(&h)) {
            if expires.is_some_and(|e| e <= now_ms)
                && let Some(stub) = core_sealed::stub_of(&signed.bytes)
            {
                signed.bytes = stub;
            }
            out.push(signed);
        }
    }
    Ok(out)
}

pub(crate) fn knows_envelopes(
    conn: &Connection,
    hashes: &[rally_core::ChangeHash],
) -> Result<bool, StoreError> {
    for h in hashes {
        if known_envelope(conn, &h.0)?.is_none() {
            return Ok(false);
        }
    }
    Ok(true)
}

// ----- keys -----

/// An epoch this device holds a key of.
#[derive(Debug, Clone)]
struct Epoch {
    id: [u8; 16],
    secret: Option<EpochSecret>,
    /// Zeroed when dropped, as the epoch's secret is.
    document_key: zeroize::Zeroizing<[u8; 32]>,
    author: Option<PersonaId>,
    members: Vec<PersonaId>,
    depth: i64,
    grant: Option<[u8; 32]>,
}

impl Epoch {
    fn facts(&self) -> EpochFacts {
        EpochFacts {
            has_secret: self.secret.is_some(),
            author: self.author,
            members: self.members.clone(),
            depth: self.depth,
            grant: self.grant,
        }
    }
}

fn epochs(tx: &Connection, group: &DocId) -> Result<Vec<Epoch>, StoreError> {
    let mut stmt = tx
        .prepare_cached(
            "SELECT epoch, secret, document_key, author, members, depth, grant_hash FROM group_keys WHERE grp = ?1",
        )
        .ctx("reading group keys")?;
    let rows = stmt
        .query_map([group.0], |r| {
            Ok((
                r.get::<_, Vec<u8>>(0)?,
                r.get::<_, Option<Vec<u8>>>(1)?,
                r.get::<_, Vec<u8>>(2)?,
                r.get::<_, Option<Vec<u8>>>(3)?,
                r.get::<_, Option<Vec<u8>>>(4)?,
                r.get::<_, Option<i64>>(5)?,
                r.get::<_, Option<Vec<u8>>>(6)?,
            ))
        })
        .ctx("reading group keys")?;
    let mut out = Vec::new();
    for row in rows {
        let (id, secret, doc_key, author, members, depth, grant) = row.ctx("reading group keys")?;
        // The keys read from the row are zeroed once copied out.
        let (secret, doc_key) = (
            secret.map(zeroize::Zeroizing::new),
            zeroize::Zeroizing::new(doc_key),
        );
        let (Ok(id), Ok(document_key)) = (id.try_into(), <[u8; 32]>::try_from(doc_key.as_slice()))
        else {
            continue;
        };
        out.push(Epoch {
            id,
            secret: secret
                .and_then(|s| <[u8; 32]>::try_from(s.as_slice()).ok())
                .map(EpochSecret),
            document_key: zeroize::Zeroizing::new(document_key),
            author: author
                .and_then(|a| <[u8; 32]>::try_from(a).ok())
                .map(PersonaId),
            members: members
                .unwrap_or_default()
                .chunks_exact(32)
                .map(|c| PersonaId(c.try_into().expect("32 bytes")))
                .collect(),
            depth: depth.unwrap_or(-1),
            grant: grant.and_then(|g| g.try_into().ok()),
        });
    }
    Ok(out)
}

fn save_key(
    tx: &Connection,
    group: &DocId,
    id: [u8; 16],
    secret: Option<&[u8; 32]>,
    document_key: &[u8; 32],
) -> Result<(), StoreError> {
    tx.prepare_cached(
        "INSERT INTO group_keys (grp, epoch, secret, document_key) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (grp, epoch) DO UPDATE SET secret = coalesce(group_keys.secret, excluded.secret)",
    )
    .ctx("saving a group key")?
    .execute(params![group.0, id, secret.map(|s| s.to_vec()), document_key])
    .ctx("saving a group key")?;
    retry_log(tx, group)
}

fn save_grant(
    tx: &Connection,
    group: &DocId,
    grant: &Grant,
    author: &PersonaId,
    depth: i64,
    hash: &[u8; 32],
) -> Result<(), StoreError> {
    if let Some(secret) = &grant.epoch {
        let epoch = EpochSecret(*secret);
        save_key(tx, group, epoch.id(), Some(secret), &epoch.document_key())?;
        let mut members = grant.members.clone();
        members.sort();
        members.dedup();
        tx.prepare_cached(
            "UPDATE group_keys SET author = ?3, members = ?4, depth = ?5, grant_hash = ?6
             WHERE grp = ?1 AND epoch = ?2 AND (grant_hash IS NULL OR depth < ?5 OR (depth = ?5 AND grant_hash < ?6))",
        )
        .ctx("saving a group key")?
        .execute(params![group.0, epoch.id(), author.0, members.concat(), depth, hash])
        .ctx("saving a group key")?;
    }
    for (id, key) in &grant.document_keys {
        save_key(tx, group, *id, None, key)?;
    }
    for shared in &grant.history {
        let epoch = EpochSecret(shared.secret);
        save_key(
            tx,
            group,
            epoch.id(),
            Some(&shared.secret),
            &epoch.document_key(),
        )?;
        let mut members = shared.members.clone();
        members.sort();
        members.dedup();
        // Never the current epoch here (depth -1): only read with.
        tx.prepare_cached(
            "UPDATE group_keys SET author = ?3, members = ?4, depth = -1 WHERE grp = ?1 AND epoch = ?2 AND author IS NULL",
        )
        .ctx("saving a group key")?
        .execute(params![group.0, epoch.id(), shared.author, members.concat()])
        .ctx("saving a group key")?;
    }
    Ok(())
}

/// The current members of a group, as this device knows them (sorted).
fn members_of(tx: &Connection, group: &DocId) -> Result<Option<Vec<PersonaId>>, StoreError> {
    let Some(doc) = crate::Store::load_in(tx, *group)? else {
        return Ok(None);
    };
    let Ok(view) = doc.group() else {
        return Ok(None);
    };
    Ok(Some(view.members.keys().copied().collect()))
}

/// The epoch to seal with for `sealer` in `group`: the newest made by a member for
/// exactly the current members; a new one (granted to every member) if none is.
fn current_epoch(
    tx: &Connection,
    group: &DocId,
    sealer: &Persona,
) -> Result<EpochSecret, StoreError> {
    let members = members_of(tx, group)?.ok_or_else(|| StoreError::Sealing {
        group: group.to_hex(),
        reason: "the group's document is not on this device".into(),
    })?;
    let all = epochs(tx, group)?;
    let facts: Vec<EpochFacts> = all.iter().map(Epoch::facts).collect();
    match policy::seal_with(&facts, &members, &sealer.id()) {
        SealWith::Epoch(i) => {
            return Ok(all[i].secret.clone().expect("the policy picks held epochs"));
        }
        SealWith::Nothing => {
            return Err(StoreError::Sealing {
                group: group.to_hex(),
                reason: "only members write to a members-only group".into(),
            });
        }
        SealWith::NewEpoch => {}
    }
    new_epoch(tx, group, sealer, &members, &all)
}

/// Revoking an invitation of a members-only group rotates its keys: the
/// invitation was given the current document key, so what is written after the
/// revocation (the revocation itself is sealed before, so the holder learns of it)
/// is sealed under a new epoch, granted to the members only (the newest epoch, so
/// every member's device seals with it from then on).
pub(crate) fn rotate_after_revocation(
    tx: &Connection,
    revoked_before: &[String],
    after: &Document,
    sealer: &PersonaId,
) -> Result<(), StoreError> {
    let Ok(view) = after.group() else {
        return Ok(());
    };
    if view.profile.visibility != GroupVisibility::MembersOnly
        || !view
            .invites
            .iter()
            .any(|i| i.revoked && !revoked_before.contains(&i.id))
    {
        return Ok(());
    }
    let Some(sealer) = local_persona(tx, sealer)? else {
        return Ok(());
    };
    let group = after.id();
    let members: Vec<PersonaId> = view.members.keys().copied().collect();
    let all = epochs(tx, &group)?;
    new_epoch(tx, &group, &sealer, &members, &all)?;
    Ok(())
}

/// Makes an epoch for exactly `members`, grants it to them (with every earlier
/// document key) in the group's log, and keeps it.
fn new_epoch(
    tx: &Connection,
    group: &DocId,
    sealer: &Persona,
    members: &[PersonaId],
    all: &[Epoch],
) -> Result<EpochSecret, StoreError> {
    let epoch = EpochSecret::generate();
    let grant = Grant {
        group: group.0,
        epoch: Some(epoch.0),
        members: members.iter().map(|m| m.0).collect(),
        document_keys: all.iter().map(|e| (e.id, *e.document_key)).collect(),
        history: Vec::new(),
    };
    let recipients: Vec<[u8; 32]> = members
        .iter()
        .filter_map(core_sealed::recipient_key)
        .collect();
    let hash = append_grant(tx, group, sealer, &grant, &recipients)?;
    let depth = known_envelope(tx, &hash)?.unwrap_or(0);
    save_grant(tx, group, &grant, &sealer.id(), depth, &hash)?;
    Ok(epoch)
}

/// Seals `grant` to `recipients` as `sealer`, adds it to the group's log, and
/// returns its hash (made here, so there is nothing to open).
fn append_grant(
    tx: &Connection,
    group: &DocId,
    sealer: &Persona,
    grant: &Grant,
    recipients: &[[u8; 32]],
) -> Result<[u8; 32], StoreError> {
    let log = log_id(group);
    let envelope =
        Envelope::grant(&log, sealer, log_heads(tx, &log)?, grant, recipients).map_err(|e| {
            StoreError::Sealing {
                group: group.to_hex(),
                reason: e.to_string(),
            }
        })?;
    let hash = append(tx, envelope.sign(sealer))?;
    mark(tx, &hash, Opened::Done)?;
    Ok(hash)
}

/// Adds an envelope made here to its log.
pub(crate) fn append(tx: &Connection, signed: SignedChange) -> Result<[u8; 32], StoreError> {
    let hash = core_sealed::envelope_hash(&signed.bytes);
    // Made here, so not expired at intake (the sweep decides later).
    match store_envelopes(tx, vec![signed], None, i64::MIN)? {
        Ok(_) => Ok(hash),
        Err(Misbehaviour(why)) => Err(StoreError::Sealing {
            group: String::new(),
            reason: why,
        }),
    }
}

fn local_persona(tx: &Connection, id: &PersonaId) -> Result<Option<Persona>, StoreError> {
    let row: Option<(Vec<u8>, Vec<u8>)> = tx
        .prepare_cached("SELECT secret_key, actor_suffix FROM personas WHERE public_key = ?1")
        .ctx("reading personas")?
        .query_row([id.0], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()
        .ctx("reading personas")?;
    Ok(row.and_then(|(s, a)| Some(Persona::from_parts(s.try_into().ok()?, a.try_into().ok()?))))
}

/// Seals the new changes of a document written here into its group's log, when
/// the document is sealed (the first time, all of its changes: a group that
/// became members-only no longer travels in the clear).
pub(crate) fn seal_local_changes(
    tx: &Connection,
    doc: &Document,
    new: &[SignedChange],
) -> Result<(), StoreError> {
    let Some(group) = sealed_group(doc) else {
        return Ok(());
    };
    register_log(tx, &group)?;
    let first = tx
        .prepare_cached("INSERT OR IGNORE INTO sealed_docs (doc) VALUES (?1)")
        .ctx("sealing a change")?
        .execute([doc.id().0])
        .ctx("sealing a change")?
        > 0;
    let changes = if first {
        doc.signed_changes()
    } else {
        new.to_vec()
    };
    let Some(author) = new.first().map(|c| c.author) else {
        return Ok(());
    };
    let sealer = local_persona(tx, &author)?.ok_or_else(|| StoreError::Sealing {
        group: group.to_hex(),
        reason: "the change's author is not a persona of this device".into(),
    })?;
    let epoch = current_epoch(tx, &group, &sealer)?;
    let log = log_id(&group);
    for c in changes {
        let content = Content::Change {
            doc: c.doc.0,
            signature: c.signature.to_vec(),
            bytes: c.bytes,
        };
        let envelope = Envelope::seal(&log, &sealer, log_heads(tx, &log)?, &epoch, &content)
            .map_err(|e| StoreError::Sealing {
                group: group.to_hex(),
                reason: e.to_string(),
            })?;
        let hash = append(tx, envelope.sign(&sealer))?;
        // Sealed here: nothing to open.
        tx.prepare_cached("UPDATE envelopes SET opened = 1 WHERE hash = ?1")
            .and_then(|mut s| s.execute([hash]))
            .ctx("sealing a change")?;
    }
    seal_named_blobs(tx, &group, doc, &sealer, &epoch)
}

/// A picture opened from the group's log: kept (a member sealed it, for the
/// group's members-only documents, which may name it before or after), and
/// never sealed again from here.
fn open_blob(tx: &Connection, group: &DocId, bytes: &[u8]) -> Result<Opened, StoreError> {
    if bytes.is_empty() || bytes.len() > rally_core::picture::MAX_BLOB_BYTES as usize {
        return Ok(Opened::Refused);
    }
    let hash = rally_core::picture::blob_hash(bytes);
    crate::blobs::insert_blob(tx, hash, bytes)?;
    tx.prepare_cached("INSERT OR IGNORE INTO sealed_blobs (log, hash) VALUES (?1, ?2)")
        .ctx("keeping a picture")?
        .execute(params![log_id(group).0, hash.0])
        .ctx("keeping a picture")?;
    Ok(Opened::Done)
}

/// The pictures a document names.
fn named_blobs(doc: &Document) -> Vec<rally_core::picture::BlobHash> {
    match doc.view() {
        Ok(rally_core::model::DocView::Event(e)) => e.blobs(),
        Ok(rally_core::model::DocView::Group(g)) => g.blobs(),
        Err(_) => Vec::new(),
    }
}

/// Seals the pictures a sealed document names that its log does not carry yet,
/// one envelope each: relays and servers hold them as ciphertext only.
fn seal_named_blobs(
    tx: &Connection,
    group: &DocId,
    doc: &Document,
    sealer: &Persona,
    epoch: &EpochSecret,
) -> Result<(), StoreError> {
    let log = log_id(group);
    for hash in named_blobs(doc) {
        let sealed: bool = tx
            .prepare_cached(
                "SELECT EXISTS (SELECT 1 FROM sealed_blobs WHERE log = ?1 AND hash = ?2)",
            )
            .ctx("sealing a picture")?
            .query_row(params![log.0, hash.0], |r| r.get(0))
            .ctx("sealing a picture")?;
        let (false, Some(bytes)) = (sealed, crate::blobs::blob_bytes(tx, hash)?) else {
            continue;
        };
        let envelope = Envelope::seal(
            &log,
            sealer,
            log_heads(tx, &log)?,
            epoch,
            &Content::Blob { bytes },
        )
        .map_err(|e| StoreError::Sealing {
            group: group.to_hex(),
            reason: e.to_string(),
        })?;
        let appended = append(tx, envelope.sign(sealer))?;
        tx.prepare_cached("UPDATE envelopes SET opened = 1 WHERE hash = ?1")
            .and_then(|mut s| s.execute([appended]))
            .ctx("sealing a picture")?;
        tx.prepare_cached("INSERT OR IGNORE INTO sealed_blobs (log, hash) VALUES (?1, ?2)")
            .and_then(|mut s| s.execute(params![log.0, hash.0]))
            .ctx("sealing a picture")?;
    }
    Ok(())
}

/// Grants the document keys of a members-only group to new invitations (their
/// public keys are X25519 keys too), so whoever holds a token can read the group
/// and join it.
pub(crate) fn grant_to_invitations(
    tx: &Connection,
    invites_before: &[String],
    after: &Document,
    sealer: &PersonaId,
) -> Result<(), StoreError> {
    let Ok(new) = after.group() else {
        return Ok(());
    };
    if new.profile.visibility != GroupVisibility::MembersOnly {
        return Ok(());
    }
    let fresh: Vec<PersonaId> = new
        .invites
        .iter()
        .filter(|i| !i.revoked && !invites_before.contains(&i.id))
        .filter_map(|i| i.id.parse().ok())
        .collect();
    if fresh.is_empty() {
        return Ok(());
    }
    let Some(sealer) = local_persona(tx, sealer)? else {
        return Ok(());
    };
    let group = after.id();
    // Make sure the epoch in use exists, so its document key is given too.
    current_epoch(tx, &group, &sealer)?;
    let grant = Grant {
        group: group.0,
        epoch: None,
        members: Vec::new(),
        document_keys: epochs(tx, &group)?
            .iter()
            .map(|e| (e.id, *e.document_key))
            .collect(),
        history: Vec::new(),
    };
    let recipients: Vec<[u8; 32]> = fresh
        .iter()
        .filter_map(core_sealed::recipient_key)
        .collect();
    append_grant(tx, &group, &sealer, &grant, &recipients)?;
    Ok(())
}

// ----- opening -----

/// X25519 secrets this device can open grants with: its personas' and its
/// waiting invitations'.
fn grant_secrets(tx: &Connection) -> Result<Vec<[u8; 32]>, StoreError> {
    let mut out = Vec::new();
    let mut stmt = tx
        .prepare_cached("SELECT secret_key FROM personas")
        .ctx("reading personas")?;
    for s in stmt
        .query_map([], |r| r.get::<_, Vec<u8>>(0))
        .ctx("reading personas")?
    {
        if let Ok(s) = <[u8; 32]>::try_from(s.ctx("reading personas")?) {
            out.push(core_sealed::recipient_secret(&s));
        }
    }
    let mut stmt = tx
        .prepare_cached("SELECT token FROM pending_joins")
        .ctx("reading pending joins")?;
    for t in stmt
        .query_map([], |r| r.get::<_, String>(0))
        .ctx("reading pending joins")?
    {
        if let Ok(token) = InviteToken::decode(&t.ctx("reading pending joins")?) {
            out.push(token.grant_secret());
        }
    }
    Ok(out)
}

/// Opens a report this device just sealed, when one of its own personas is
/// among its recipients (a moderator reporting to fellow moderators on one
/// device, or several personas on it).
pub(crate) fn open_own_report(
    tx: &Connection,
    hash: &[u8; 32],
    signed: &SignedChange,
) -> Result<(), StoreError> {
    let Ok(envelope) = Envelope::decode(&signed.bytes) else {
        return Ok(());
    };
    let secrets = grant_secrets(tx)?;
    let outcome = match secrets.iter().find_map(|s| envelope.open_report(s)) {
        Some(opened) => {
            crate::reports::save(tx, hash, &opened.reporter, &opened.report)?;
            Opened::Done
        }
        None => Opened::NotForUs,
    };
    mark(tx, hash, outcome)
}

/// An envelope not opened yet: hash, group (when known), depth, the envelope.
type ToOpen = (Vec<u8>, Option<Vec<u8>>, i64, SignedChange);

/// Opens what can be opened in the logs of known groups. Returns the document
/// changes found sealed, for the caller to hand to their documents.
pub(crate) fn open_logs(tx: &Connection) -> Result<Vec<SignedChange>, StoreError> {
    let mut out = Vec::new();
    let secrets = grant_secrets(tx)?;
    loop {
        let rows: Vec<ToOpen> = {
            let mut stmt = tx
                .prepare_cached(
                    "SELECT e.hash, l.grp, e.depth, c.doc, c.author, c.signature, c.bytes
                     FROM envelopes e LEFT JOIN logs l ON l.log = e.log JOIN changes c ON c.id = e.change
                     WHERE e.opened = 0 ORDER BY e.depth, c.id",
                )
                .ctx("opening envelopes")?;
            let rows = stmt
                .query_map([], |r| {
                    let doc: Vec<u8> = r.get(3)?;
                    let author: Vec<u8> = r.get(4)?;
                    let signature: Vec<u8> = r.get(5)?;
                    let bad = |i| {
                        rusqlite::Error::InvalidColumnType(
                            i,
                            "fixed-size blob".into(),
                            rusqlite::types::Type::Blob,
                        )
                    };
                    Ok((
                        r.get(0)?,
                        r.get(1)?,
                        r.get(2)?,
                        SignedChange {
                            doc: DocId(doc.try_into().map_err(|_| bad(3))?),
                            author: PersonaId(author.try_into().map_err(|_| bad(4))?),
                            signature: signature.try_into().map_err(|_| bad(5))?,
                            bytes: r.get(6)?,
                        },
                    ))
                })
                .ctx("opening envelopes")?;
            rows.collect::<Result<_, _>>().ctx("opening envelopes")?
        };
        let mut progress = false;
        let mut members_cache: HashMap<DocId, Option<Vec<PersonaId>>> = HashMap::new();
        for (hash, grp, depth, signed) in rows {
            let Ok(hash) = <[u8; 32]>::try_from(hash.as_slice()) else {
                continue;
            };
            let group = grp.and_then(|g| <[u8; 32]>::try_from(g.as_slice()).ok().map(DocId));
            let Ok(envelope) = Envelope::decode(&signed.bytes) else {
                mark(tx, &hash, Opened::Refused)?;
                continue;
            };
            let outcome = match (&envelope.body, group) {
                (rally_core::sealed::Body::Grant { .. }, _) => {
                    match secrets.iter().find_map(|s| envelope.open_grant(s)) {
                        // A grant is how a member added by someone else learns of
                        // the group: its log id must be the group's.
                        Some(grant) if log_id(&DocId(grant.group)) == signed.doc => {
                            let group = DocId(grant.group);
                            if group_of_log(tx, &signed.doc)?.is_none() {
                                register_log(tx, &group)?;
                            }
                            save_grant(tx, &group, &grant, &signed.author, depth, &hash)?;
                            Opened::Done
                        }
                        Some(_) => Opened::Refused,
                        None => Opened::NotForUs,
                    }
                }
                (rally_core::sealed::Body::Report { .. }, _) => {
                    match secrets.iter().find_map(|s| envelope.open_report(s)) {
                        Some(opened) if log_id(&DocId(opened.report.group)) == signed.doc => {
                            crate::reports::save(tx, &hash, &opened.reporter, &opened.report)?;
                            Opened::Done
                        }
                        Some(_) => Opened::Refused,
                        None => Opened::NotForUs,
                    }
                }
                (rally_core::sealed::Body::Detached, _) => Opened::Expired,
                (rally_core::sealed::Body::Sealed { .. }, None) => Opened::Later,
                (rally_core::sealed::Body::Sealed { epoch, key, .. }, Some(group)) => {
                    let all = epochs(tx, &group)?;
                    let key_bytes = all.iter().find(|e| &e.id == epoch).and_then(|e| match key {
                        KeyUse::Document => Some(e.document_key.clone()),
                        KeyUse::Chat => e.secret.as_ref().map(EpochSecret::chat_key),
                    });
                    let (Some(key_bytes), Some(e)) =
                        (key_bytes, all.iter().find(|e| &e.id == epoch))
                    else {
                        mark(tx, &hash, Opened::Later)?;
                        continue;
                    };
                    match envelope.open(&key_bytes) {
                        Err(_) => Opened::Refused,
                        Ok(Content::Change {
                            doc,
                            signature,
                            bytes,
                        }) => match <[u8; 64]>::try_from(signature.as_slice()).ok().and_then(
                            |signature| {
                                rally_core::protocol::WireChange { signature, bytes }
                                    .into_signed(DocId(doc))
                            },
                        ) {
                            Some(change) if !is_envelope(&change.bytes) => {
                                out.push(change);
                                Opened::Done
                            }
                            _ => Opened::Refused,
                        },
                        Ok(Content::Blob { bytes }) => open_blob(tx, &group, &bytes)?,
                        Ok(chat) => {
                            let members = match members_cache.get(&group) {
                                Some(m) => m.clone(),
                                None => {
                                    let m = members_of(tx, &group)?;
                                    members_cache.insert(group, m.clone());
                                    m
                                }
                            };
                            let Some(members) = members else {
                                // Who may speak is known once the group is.
                                mark(tx, &hash, Opened::Later)?;
                                continue;
                            };
                            if !policy::may_carry_chat(&e.facts(), &members)
                                || !e.members.contains(&signed.author)
                            {
                                // Perhaps not a member yet here (their join waits in
                                // this very pass): tried again when the group changes.
                                Opened::Later
                            } else {
                                let at = (hash, depth, envelope.expires);
                                apply_chat(tx, &group, at, &signed.author, chat)?
                            }
                        }
                    }
                }
            };
            if outcome != Opened::Pending {
                mark(tx, &hash, outcome)?;
            }
            if outcome == Opened::Done {
                progress = true;
            }
        }
        if !progress {
            return Ok(out);
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Opened {
    /// Not opened yet (an edit whose message is not here yet).
    Pending,
    Done,
    /// A grant with no box for this device.
    NotForUs,
    /// Tampered, or not acceptable from its author.
    Refused,
    /// Waits for a key, or for the group's document.
    Later,
    /// Its body is gone (a disappearing message's stub): nothing to open.
    Expired,
    /// A chat item older than the months this device keeps: its bytes are
    /// gone from here (`retention.rs`); a peer that keeps it can send it again.
    Forgotten,
}

impl Opened {
    /// The `opened` column's value.
    fn code(self) -> i64 {
        match self {
            Opened::Pending => 0,
            Opened::Done => 1,
            Opened::NotForUs => 2,
            Opened::Refused => 3,
            Opened::Later => 4,
            Opened::Expired => 5,
            Opened::Forgotten => 6,
        }
    }
}

fn mark(tx: &Connection, hash: &[u8; 32], outcome: Opened) -> Result<(), StoreError> {
    tx.prepare_cached("UPDATE envelopes SET opened = ?2 WHERE hash = ?1")
        .ctx("opening envelopes")?
        .execute(params![hash, outcome.code()])
        .ctx("opening envelopes")?;
    Ok(())
}

/// New keys to open grants with (a persona made, a token to use): grants passed
/// over before are tried again.
pub(crate) fn retry_grants(tx: &Connection) -> Result<(), StoreError> {
    tx.prepare_cached("UPDATE envelopes SET opened = 0 WHERE opened = 2")
        .and_then(|mut s| s.execute([]))
        .ctx("opening envelopes")?;
    Ok(())
}

/// The reports passed over as not for this device are tried again (schema 23:
/// a device that knew only reports' first form passed over the signed one).
/// Only reports: the other envelopes passed over are grants, which a server
/// holds by the thousand and would otherwise try to open again, box by box.
pub(crate) fn retry_passed_over_reports(tx: &Connection) -> Result<(), StoreError> {
    // One envelope in memory at a time; only the reports' hashes are kept.
    let mut reports: Vec<[u8; 32]> = Vec::new();
    {
        let mut stmt = tx
            .prepare(
                "SELECT e.hash, c.bytes FROM envelopes e JOIN changes c ON c.id = e.change
                 WHERE e.opened = 2",
            )
            .ctx("opening envelopes")?;
        let mut rows = stmt.query([]).ctx("opening envelopes")?;
        while let Some(row) = rows.next().ctx("opening envelopes")? {
            let bytes = row
                .get_ref(1)
                .ctx("opening envelopes")?
                .as_blob()
                .unwrap_or_default();
            let hash = row.get::<_, Vec<u8>>(0).ctx("opening envelopes")?;
            if let Ok(hash) = <[u8; 32]>::try_from(hash)
                && Envelope::decode(bytes)
                    .is_ok_and(|e| matches!(e.body, rally_core::sealed::Body::Report { .. }))
            {
                reports.push(hash);
            }
        }
    }
    for hash in reports {
        mark(tx, &hash, Opened::Pending)?;
    }
    Ok(())
}

/// A key or the group's document arrived: what waited for one is tried again.
pub(crate) fn retry_log(tx: &Connection, group: &DocId) -> Result<(), StoreError> {
    tx.prepare_cached("UPDATE envelopes SET opened = 0 WHERE opened = 4 AND log = ?1")
        .ctx("opening envelopes")?
        .execute([log_id(group).0])
        .ctx("opening envelopes")?;
    Ok(())
}

/// Applies an opened chat item, found at `(hash, depth, expires)` in the log.
fn apply_chat(
    tx: &Connection,
    group: &DocId,
    (hash, depth, expires): ([u8; 32], i64, Option<i64>),
    author: &PersonaId,
    chat: Content,
) -> Result<Opened, StoreError> {
    let written = match &chat {
        Content::Message { at, .. } | Content::Edit { at, .. } | Content::Delete { at, .. } => *at,
        Content::Change { .. } | Content::Blob { .. } => return Ok(Opened::Refused),
    };
    tx.prepare_cached("UPDATE envelopes SET chat_at = ?2 WHERE hash = ?1")
        .and_then(|mut s| s.execute(params![hash, written]))
        .ctx("saving a message")?;
    match chat {
        Content::Message { text, reply_to, at } => {
            tx.prepare_cached(
                "INSERT OR IGNORE INTO messages (id, grp, author, body, reply_to, at, depth, arrived, expires)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7,
                         (SELECT coalesce(max(arrived), 0) + 1 FROM messages WHERE grp = ?2), ?8)",
            )
            .ctx("saving a message")?
            .execute(params![hash, group.0, author.0, text, reply_to, at, depth, expires])
            .ctx("saving a message")?;
            Ok(Opened::Done)
        }
        Content::Edit { target, text, at } => {
            change_message(tx, group, author, &target, Some(&text), at)
        }
        Content::Delete { target, at } => change_message(tx, group, author, &target, None, at),
        Content::Change { .. } | Content::Blob { .. } => Ok(Opened::Refused),
    }
}

/// An edit (`Some(text)`) or deletion of a message by its own author; the latest
/// edit by the author's clock wins, a deletion is final.
fn change_message(
    tx: &Connection,
    group: &DocId,
    author: &PersonaId,
    target: &[u8; 32],
    text: Option<&str>,
    at: i64,
) -> Result<Opened, StoreError> {
    let message: Option<(Vec<u8>, bool, Option<i64>)> = tx
        .prepare_cached(
            "SELECT author, deleted, edited_at FROM messages WHERE id = ?1 AND grp = ?2",
        )
        .ctx("editing a message")?
        .query_row(params![target, group.0], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })
        .optional()
        .ctx("editing a message")?;
    let Some((owner, deleted, edited_at)) = message else {
        return Ok(Opened::Pending);
    };
    let owner = PersonaId(owner.try_into().unwrap_or([0; 32]));
    if !policy::may_change_message(&owner, author) {
        return Ok(Opened::Refused);
    }
    match text {
        Some(text) if policy::edit_wins(deleted, edited_at, at) => tx
            .prepare_cached("UPDATE messages SET body = ?2, edited_at = ?3 WHERE id = ?1")
            .and_then(|mut s| s.execute(params![target, text, at])),
        Some(_) => Ok(0),
        None => tx
            .prepare_cached(
                "UPDATE messages SET body = '', deleted = 1, edited_at = ?2 WHERE id = ?1",
            )
            .and_then(|mut s| s.execute(params![target, at])),
    }
    .ctx("editing a message")?;
    Ok(Opened::Done)
}

/// Gives `member` every epoch of `group` this device holds (the chat's history),
/// sealed to them by `sharer`.
pub(crate) fn share_history(
    tx: &Connection,
    group: &DocId,
    sharer: &Persona,
    member: &PersonaId,
) -> Result<usize, StoreError> {
    let all = epochs(tx, group)?;
    let history: Vec<rally_core::sealed::SharedEpoch> = all
        .iter()
        .filter_map(|e| {
            Some(rally_core::sealed::SharedEpoch {
                secret: e.secret.as_ref()?.0,
                author: e.author?.0,
                members: e.members.iter().map(|m| m.0).collect(),
            })
        })
        .collect();
    let grant = Grant {
        group: group.0,
        epoch: None,
        members: Vec::new(),
        document_keys: all.iter().map(|e| (e.id, *e.document_key)).collect(),
        history,
    };
    let recipient = core_sealed::recipient_key(member).ok_or_else(|| StoreError::Sealing {
        group: group.to_hex(),
        reason: "the member's key is not a valid public key".into(),
    })?;
    append_grant(tx, group, sharer, &grant, &[recipient])?;
    Ok(grant.history.len())
}

/// Seals a chat item by `persona` into `group`'s log and opens it here.
pub(crate) fn send(
    tx: &Connection,
    group: &DocId,
    persona: &Persona,
    content: Content,
) -> Result<[u8; 32], StoreError> {
    let epoch = current_epoch(tx, group, persona)?;
    let log = log_id(group);
    // Sent while the group's messages disappear: the item expires its timer
    // after the author's clock.
    let timer = crate::Store::load_in(tx, *group)?
        .and_then(|d| d.group().ok())
        .and_then(|g| g.disappearing);
    let sent_at = match &content {
        Content::Message { at, .. } | Content::Edit { at, .. } | Content::Delete { at, .. } => {
            Some(*at)
        }
        Content::Change { .. } | Content::Blob { .. } => None,
    };
    let expires = timer.zip(sent_at).map(|(t, at)| t.expiry(at));
    let envelope = Envelope::seal_expiring(
        &log,
        persona,
        log_heads(tx, &log)?,
        &epoch,
        &content,
        expires,
    )
    .map_err(|e| StoreError::Sealing {
        group: group.to_hex(),
        reason: e.to_string(),
    })?;
    let hash = append(tx, envelope.sign(persona))?;
    let depth = known_envelope(tx, &hash)?.unwrap_or(0);
    let outcome = apply_chat(tx, group, (hash, depth, expires), &persona.id(), content)?;
    mark(tx, &hash, outcome)?;
    Ok(hash)
}

/// What [`sweep`] dropped.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Swept {
    /// Opened messages deleted.
    pub messages: usize,
    /// Envelopes (held or waiting) whose body was detached.
    pub envelopes: usize,
}

/// Drops everything that expired by `now_ms` (Unix milliseconds): opened
/// messages, and the bodies of expired envelopes, held or waiting for their
/// predecessors, each kept as its stub (same id and signature, so the log's
/// DAG stays whole and peers still sync it).
pub(crate) fn sweep(tx: &Connection, now_ms: i64) -> Result<Swept, StoreError> {
    let messages = tx
        .prepare_cached("DELETE FROM messages WHERE expires IS NOT NULL AND expires <= ?1")
        .and_then(|mut s| s.execute([now_ms]))
        .ctx("removing expired messages")?;
    let held: Vec<(Vec<u8>, i64, Vec<u8>)> = tx
        .prepare_cached(
            "SELECT e.hash, e.change, c.bytes FROM envelopes e JOIN changes c ON c.id = e.change
             WHERE e.expires IS NOT NULL AND e.expires <= ?1",
        )
        .and_then(|mut s| {
            s.query_map([now_ms], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
                .collect()
        })
        .ctx("removing expired messages")?;
    let mut envelopes = 0;
    for (hash, change, bytes) in held {
        if let Some(stub) = core_sealed::stub_of(&bytes) {
            tx.prepare_cached("UPDATE changes SET bytes = ?2 WHERE id = ?1")
                .and_then(|mut s| s.execute(params![change, stub]))
                .ctx("removing expired messages")?;
            envelopes += 1;
        }
        tx.prepare_cached("UPDATE envelopes SET expires = NULL, opened = ?2 WHERE hash = ?1")
            .and_then(|mut s| s.execute(params![hash, Opened::Expired.code()]))
            .ctx("removing expired messages")?;
    }
    let waiting: Vec<(Vec<u8>, Vec<u8>)> = tx
        .prepare_cached(
            "SELECT hash, bytes FROM waiting_envelopes WHERE expires IS NOT NULL AND expires <= ?1",
        )
        .and_then(|mut s| {
            s.query_map([now_ms], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect()
        })
        .ctx("removing expired messages")?;
    for (hash, bytes) in waiting {
        let stub = core_sealed::stub_of(&bytes).unwrap_or(bytes);
        tx.prepare_cached(
            "UPDATE waiting_envelopes SET bytes = ?2, expires = NULL WHERE hash = ?1",
        )
        .and_then(|mut s| s.execute(params![hash, stub]))
        .ctx("removing expired messages")?;
        envelopes += 1;
    }
    Ok(Swept {
        messages,
        envelopes,
    })
}

/// When the next expiry falls (Unix milliseconds), if anything held expires.
pub(crate) fn next_expiry(conn: &Connection) -> Result<Option<i64>, StoreError> {
    conn.prepare_cached(
        "SELECT min(x) FROM (
             SELECT min(expires) AS x FROM envelopes WHERE expires IS NOT NULL
             UNION ALL SELECT min(expires) FROM waiting_envelopes WHERE expires IS NOT NULL
             UNION ALL SELECT min(expires) FROM messages WHERE expires IS NOT NULL)",
    )
    .and_then(|mut s| s.query_row([], |r| r.get(0)))
    .ctx("reading the next expiry")
}

/// Whether `persona` is a member of `group` as this device knows it.
pub(crate) fn is_member(
    tx: &Connection,
    group: &DocId,
    persona: &PersonaId,
) -> Result<bool, StoreError> {
    Ok(members_of(tx, group)?.is_some_and(|m| m.contains(persona)))
}
