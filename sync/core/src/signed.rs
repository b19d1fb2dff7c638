//! Signed changes: an automerge change, the persona that made it, and its Ed25519
//! signature over the document id and the change hash.
//!
//! This is the unit that is stored, shipped and verified. Verification here covers
//! what a change says about itself (well-formed bytes, signature, actor bound to the
//! signer, size); whether the author *may* make it is decided by [`crate::rules`]
//! against the change's causal past.
//!
//! **Signatures are judged by the ZIP-215 rules** (`ed25519-zebra`): the
//! verification equation is the cofactored one, for one signature and for a
//! batch alike, so checking a batch at once ([`verify_all`]) and checking each
//! signature alone reach the same verdict on every signature, on every replica,
//! whatever batches each happens to receive. (ZIP-215 accepts every signature
//! `ed25519-dalek`'s `verify` accepts, and also a few crafted ones with
//! non-canonical or small-order points, which no honest signer makes.) A batch
//! that fails is checked one signature at a time to find which ones fail.

use automerge::{Change, ChangeHash};
use ed25519_zebra::batch;
use ed25519_zebra::{Signature, VerificationKey, VerificationKeyBytes};

use crate::ids::{DocId, PersonaId};
use crate::persona::{Persona, persona_of_actor};

/// The largest change a peer accepts, in bytes.
pub const MAX_CHANGE_BYTES: usize = 256 * 1024;

const SIGNATURE_CONTEXT: &[u8] = b"rally/change/v1\0";

/// A change as it is stored and shipped.
#[derive(Clone, PartialEq, Eq)]
pub struct SignedChange {
    pub doc: DocId,
    pub author: PersonaId,
    pub signature: [u8; 64],
    pub bytes: Vec<u8>,
}

impl std::fmt::Debug for SignedChange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignedChange")
            .field("doc", &self.doc)
            .field("author", &self.author)
            .field("len", &self.bytes.len())
            .finish()
    }
}

/// Why a signed change is refused before its content is even looked at.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("the change is {0} bytes, over the limit of {MAX_CHANGE_BYTES}")]
    TooLarge(usize),
    #[error("the change bytes are not a valid automerge change")]
    Malformed,
    #[error("the change was made under an actor that is not its signer's")]
    ActorMismatch,
    #[error("the author is not a valid public key")]
    BadKey,
    #[error("the signature does not match the change")]
    BadSignature,
}

fn signing_message(doc: &DocId, hash: &ChangeHash) -> Vec<u8> {
    let mut msg = Vec::with_capacity(SIGNATURE_CONTEXT.len() + 64);
    msg.extend_from_slice(SIGNATURE_CONTEXT);
    msg.extend_from_slice(&doc.0);
    msg.extend_from_slice(&hash.0);
    msg
}

impl SignedChange {
    pub(crate) fn sign(doc: DocId, persona: &Persona, change: &Change) -> SignedChange {
        SignedChange {
            doc,
            author: persona.id(),
            signature: persona.sign(&signing_message(&doc, &change.hash())),
            bytes: change.raw_bytes().to_vec(),
        }
    }

    /// Checks everything the change says about itself and decodes it (the
    /// signature alone; [`verify_all`] checks many at once, to the same verdict).
    pub fn verify(&self) -> Result<VerifiedChange, SignatureError> {
        let (change, item) = self.prepare()?;
        item.verify_single()
            .map_err(|_| SignatureError::BadSignature)?;
        Ok(VerifiedChange {
            signed: self.clone(),
            change,
        })
    }

    /// Everything but the signature equation: size, bytes, actor, key; the
    /// decoded change and the signature to check.
    fn prepare(&self) -> Result<(Change, batch::Item), SignatureError> {
        if self.bytes.len() > MAX_CHANGE_BYTES {
            return Err(SignatureError::TooLarge(self.bytes.len()));
        }
        let change =
            Change::try_from(self.bytes.as_slice()).map_err(|_| SignatureError::Malformed)?;
        if persona_of_actor(change.actor_id()) != Some(self.author) {
            return Err(SignatureError::ActorMismatch);
        }
        VerificationKey::try_from(self.author.0).map_err(|_| SignatureError::BadKey)?;
        let item = batch::Item::from((
            VerificationKeyBytes::from(self.author.0),
            Signature::from_bytes(&self.signature),
            &signing_message(&self.doc, &change.hash()),
        ));
        Ok((change, item))
    }
}

/// What checking one signed change gave: the verified change, or the change
/// and why it is refused.
pub type Checked = Result<VerifiedChange, (SignedChange, SignatureError)>;

/// Signatures checked in one batch at least before the work is spread over
/// the cores.
const PARALLEL_BATCH: usize = 128;

/// Checks every change, their signatures as batches (spread over the cores
/// when there are many), in order; a batch that fails is checked signature by
/// signature. The verdict on each change is the one [`SignedChange::verify`]
/// gives.
#[allow(clippy::result_large_err)] // verdicts kept in a list, not propagated
pub fn verify_all(changes: Vec<SignedChange>) -> Vec<Checked> {
    use rayon::prelude::*;
    let prepared: Vec<Result<(Change, batch::Item), SignatureError>> =
        if changes.len() >= PARALLEL_BATCH {
            changes.par_iter().map(SignedChange::prepare).collect()
        } else {
            changes.iter().map(SignedChange::prepare).collect()
        };
    let items: Vec<(usize, &batch::Item)> = prepared
        .iter()
        .enumerate()
        .filter_map(|(i, p)| p.as_ref().ok().map(|(_, item)| (i, item)))
        .collect();
    let threads = rayon::current_num_threads().max(1);
    let chunk = if items.len() >= PARALLEL_BATCH {
        items.len().div_ceil(threads).max(PARALLEL_BATCH / 2)
    } else {
        items.len().max(1)
    };
    let check = |part: &[(usize, &batch::Item)]| -> Vec<usize> {
        let mut verifier = batch::Verifier::new();
        for (_, item) in part {
            verifier.queue((*item).clone());
        }
        if verifier.verify(rand_core::OsRng).is_ok() {
            return Vec::new();
        }
        part.iter()
            .filter(|(_, item)| (*item).clone().verify_single().is_err())
            .map(|(i, _)| *i)
            .collect()
    };
    let bad: std::collections::HashSet<usize> = if items.len() >= PARALLEL_BATCH {
        items.par_chunks(chunk).flat_map_iter(check).collect()
    } else {
        items.chunks(chunk).flat_map(check).collect()
    };
    changes
        .into_iter()
        .zip(prepared)
        .enumerate()
        .map(|(i, (signed, prepared))| match prepared {
            Err(e) => Err((signed, e)),
            Ok(_) if bad.contains(&i) => Err((signed, SignatureError::BadSignature)),
            Ok((change, _)) => Ok(VerifiedChange { signed, change }),
        })
        .collect()
}

/// Verdicts reached ahead of time, for the changes of a batch a peer sent
/// (the network layer sees every frame of a batch before the store takes its
/// messages one at a time): checked together, over the cores, then handed to
/// each message's [`Verdicts::verify_all`]. Only an identical signed change
/// (document, author, signature and bytes) takes a kept verdict — the verdict
/// [`verify_all`] reached on exactly it — so the outcome is the one checking it
/// then would give.
#[derive(Debug, Default)]
pub struct Verdicts {
    known: std::collections::HashMap<[u8; 64], Checked>,
}

impl Verdicts {
    /// Checks `changes` now, to be taken by later calls.
    pub fn check(&mut self, changes: Vec<SignedChange>) {
        for checked in verify_all(changes) {
            let signature = match &checked {
                Ok(v) => v.signed.signature,
                Err((signed, _)) => signed.signature,
            };
            self.known.insert(signature, checked);
        }
    }

    /// [`verify_all`], taking the verdicts kept for identical changes.
    #[allow(clippy::result_large_err)] // verdicts kept in a list, not propagated
    pub fn verify_all(&mut self, changes: Vec<SignedChange>) -> Vec<Checked> {
        let mut out: Vec<Option<Checked>> = Vec::with_capacity(changes.len());
        let mut rest = Vec::new();
        for c in changes {
            let kept = self.known.remove(&c.signature).filter(|k| {
                let signed = match k {
                    Ok(v) => &v.signed,
                    Err((signed, _)) => signed,
                };
                signed == &c
            });
            match kept {
                Some(k) => out.push(Some(k)),
                None => {
                    out.push(None);
                    rest.push(c);
                }
            }
        }
        let mut checked = verify_all(rest).into_iter();
        out.into_iter()
            .map(|k| match k {
                Some(k) => k,
                None => checked.next().expect("one verdict per change checked"),
            })
            .collect()
    }

    /// Forgets what was kept (the batch is over).
    pub fn clear(&mut self) {
        self.known.clear();
    }
}

/// A signed change whose signature and actor binding have been checked.
#[derive(Debug, Clone)]
pub struct VerifiedChange {
    pub signed: SignedChange,
    pub change: Change,
}

impl VerifiedChange {
    pub fn hash(&self) -> ChangeHash {
        self.change.hash()
    }

    pub fn author(&self) -> PersonaId {
        self.signed.author
    }

    pub fn doc(&self) -> DocId {
        self.signed.doc
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Document, EventDetails, Persona};

    fn changes(n: usize) -> Vec<SignedChange> {
        let alice = Persona::generate();
        let bob = Persona::generate();
        let now = jiff::Timestamp::from_second(1_800_000_000).unwrap();
        let details = EventDetails::new("A", "2027-05-01T10:00".parse().unwrap(), "Europe/Paris");
        let (mut doc, _) = Document::create_event(&alice, "Alice", &details, None, now).unwrap();
        for k in 0..n - 1 {
            let who = if k % 3 == 0 { &bob } else { &alice };
            doc.comment(who, "x", &format!("comment {k}"), None, now)
                .unwrap();
        }
        doc.signed_changes()
    }

    /// Batch and one-by-one checks give the same verdict on each change, for
    /// a small batch and one spread over the cores, with bad ones anywhere.
    #[test]
    fn a_batch_reaches_the_verdict_each_signature_gets_alone() {
        for n in [5, 3 * PARALLEL_BATCH + 7] {
            let mut all = changes(n);
            let mut bad_signature = all[1].clone();
            bad_signature.signature[5] ^= 1;
            let mut wrong_doc = all[2].clone();
            wrong_doc.doc = crate::DocId([9; 32]);
            let mut malformed = all[3].clone();
            malformed.bytes.truncate(10);
            let mut other_author = all[4].clone();
            other_author.author = Persona::generate().id();
            let last = all.len() - 1;
            let mut late_bad = all[last].clone();
            late_bad.signature[63] ^= 0x40;
            all.extend([bad_signature, wrong_doc, malformed, other_author, late_bad]);
            let alone: Vec<Result<ChangeHash, SignatureError>> =
                all.iter().map(|c| c.verify().map(|v| v.hash())).collect();
            let batch: Vec<Result<ChangeHash, SignatureError>> = verify_all(all.clone())
                .into_iter()
                .map(|c| c.map(|v| v.hash()).map_err(|(_, e)| e))
                .collect();
            assert_eq!(batch, alone, "{n} changes");
            let errors: Vec<_> = alone[n..].to_vec();
            assert_eq!(
                errors,
                [
                    Err(SignatureError::BadSignature),
                    // Signed for another document: the signature covers it.
                    Err(SignatureError::BadSignature),
                    Err(SignatureError::Malformed),
                    Err(SignatureError::ActorMismatch),
                    Err(SignatureError::BadSignature),
                ]
            );
            assert!(alone[..n].iter().all(Result::is_ok));
            // Kept verdicts: the same, and a changed change is checked anew.
            let mut kept = Verdicts::default();
            kept.check(all.clone());
            let mut tampered = all[0].clone();
            tampered.bytes.push(0);
            let mut asked = all.clone();
            asked.push(tampered);
            let from_kept: Vec<Result<ChangeHash, SignatureError>> = kept
                .verify_all(asked)
                .into_iter()
                .map(|c| c.map(|v| v.hash()).map_err(|(_, e)| e))
                .collect();
            assert_eq!(&from_kept[..all.len()], &alone[..]);
            assert_eq!(from_kept[all.len()], Err(SignatureError::Malformed));
        }
    }
}
