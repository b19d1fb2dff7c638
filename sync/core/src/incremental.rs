//! The gate's memory between the changes of a document: the state at the
//! heads it last judged, hydrated and parsed, so that a change building on
//! exactly those heads (a linear history: what a device or a server receives
//! almost always) is judged from what it changed instead of from the whole
//! document twice.
//!
//! Applying the change logs automerge's patches; [`touched`] turns the kept
//! state into the state after the change with them (no new hydration) and
//! diffs only the subtrees they name — the entries the rule reads (a
//! top-level field, or one entry of a collection) — so the paths it reports
//! are exactly those [`crate::rules::touched_paths`] finds over the whole
//! documents. The parsed state before is the kept one; only the state after is
//! parsed. A change on other heads (concurrent edits, the first change, a
//! document loaded from the store) takes the full path, which fills the
//! memory again. In tests (and with the `gate-check` feature, which the soak
//! runs), both paths judge every change and must agree.

use automerge::hydrate::Value;
use automerge::{ChangeHash, Patch, PatchAction, Prop, TextEncoding};

use crate::model::DocView;
use crate::rules::{Path, diff_into};

#[cfg(test)]
thread_local! {
    /// Changes judged from their patches on this thread (tests check the fast
    /// path is taken).
    pub(crate) static PATCHED: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// The state at `heads` (sorted), hydrated and parsed.
#[derive(Debug, Clone)]
pub(crate) struct GateCache {
    pub heads: Vec<ChangeHash>,
    pub state: Value,
    pub view: DocView,
}

/// The entry a patch can change: the leading map keys of where it lands (its
/// object's path, then the key or index it acts on), at most two — a
/// top-level field, or one entry of a collection.
fn entry_of(p: &Patch) -> Path {
    let key = match &p.action {
        PatchAction::PutMap { key, .. } | PatchAction::DeleteMap { key } => {
            Some(Prop::Map(key.clone()))
        }
        PatchAction::Increment { prop, .. } | PatchAction::Conflict { prop } => Some(prop.clone()),
        // Inside a list or a text: the list or text is compared whole.
        _ => Some(Prop::Seq(0)),
    };
    let mut out = Vec::new();
    for step in p.path.iter().map(|(_, prop)| prop).chain(key.as_ref()) {
        match step {
            Prop::Map(k) if out.len() < 2 => out.push(k.clone()),
            _ => break,
        }
    }
    out
}

fn subtree<'a>(root: &'a Value, path: &[String]) -> Option<&'a Value> {
    let mut at = root;
    for k in path {
        match at {
            Value::Map(m) => at = m.get(k)?,
            _ => return None,
        }
    }
    Some(at)
}

/// Turns `state` (the state before the change) into the state after it with
/// the change's `patches`, and returns the paths whose values differ, in the
/// order [`crate::rules::touched_paths`] gives them. On an error `state` is
/// unusable and the caller forgets it.
pub(crate) fn touched(
    state: &mut Value,
    patches: Vec<Patch>,
    encoding: TextEncoding,
) -> Result<Vec<Path>, automerge::error::HydrateError> {
    let mut entries: Vec<Path> = patches.iter().map(entry_of).collect();
    entries.sort();
    entries.dedup();
    // An entry inside another is covered by it.
    let mut kept: Vec<Path> = Vec::new();
    for e in entries {
        if !kept.iter().any(|k| e.starts_with(k)) {
            kept.push(e);
        }
    }
    let before: Vec<Option<Value>> = kept.iter().map(|e| subtree(state, e).cloned()).collect();
    state.apply_patches(encoding, patches)?;
    let mut out = Vec::new();
    for (entry, before) in kept.iter().zip(&before) {
        let mut prefix = entry.clone();
        diff_into(
            &mut prefix,
            before.as_ref(),
            subtree(state, entry),
            &mut out,
        );
    }
    out.sort();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::PATCHED;
    use crate::{Document, EventDetails, Persona};

    fn details(title: &str) -> EventDetails {
        EventDetails::new(title, "2027-05-01T10:00".parse().unwrap(), "Europe/Paris")
    }

    #[test]
    fn a_linear_history_is_judged_from_patches_and_a_forgery_is_refused_the_same() {
        let alice = Persona::generate();
        let bob = Persona::generate();
        let now = jiff::Timestamp::from_second(1_800_000_000).unwrap();
        let (mut doc, _) =
            Document::create_event(&alice, "Alice", &details("A"), None, now).unwrap();
        for k in 0..5 {
            doc.update_event(&alice, &details(&format!("A {k}")), now)
                .unwrap();
            doc.comment(&bob, "Bob", &format!("comment {k}"), None, now)
                .unwrap();
        }
        let before = PATCHED.with(|p| p.get());
        let mut replica = Document::empty(doc.id());
        let receipt = replica.receive(doc.signed_changes());
        assert!(receipt.rejected.is_empty());
        // Every change but the first builds on the heads judged last.
        assert_eq!(PATCHED.with(|p| p.get()) - before, 10);
        assert_eq!(replica.event().unwrap(), doc.event().unwrap());

        // Bob edits the details: refused on the patched path (the full path
        // agrees: both run in tests), and the replica goes on from its state.
        let forged = doc.forge(&bob, now, |tx| {
            use automerge::ReadDoc;
            use automerge::transaction::Transactable;
            let d = tx.get(automerge::ROOT, "details")?.unwrap().1;
            tx.put(&d, "title", "Hijacked")
        });
        let receipt = replica.receive([forged]);
        assert_eq!(receipt.rejected.len(), 1, "{receipt:?}");
        assert_eq!(replica.event().unwrap().details.title, "A 4");
        doc.comment(&alice, "Alice", "after", None, now).unwrap();
        let last = doc.signed_changes().pop().unwrap();
        assert!(replica.receive([last]).rejected.is_empty());
        assert_eq!(replica.event().unwrap().comments.len(), 6);
    }
}
