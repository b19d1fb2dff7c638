//! Signed changes: an automerge change, the persona that made it, and its Ed25519
//! signature over the document id and the change hash.
//!
//! This is the unit that is stored, shipped and verified. Verification here covers
//! what a change says about itself (well-formed bytes, signature, actor bound to the
//! signer, size); whether the author *may* make it is decided by [`crate::rules`]
//! against the change's causal past.

use automerge::{Change, ChangeHash};
use ed25519_dalek::{Signature, Verifier};

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

    /// Checks everything the change says about itself and decodes it.
    ///
    /// Signatures are checked one by one, never in a batch: batch verification uses
    /// another equation, and every replica must reach the same verdict.
    pub fn verify(&self) -> Result<VerifiedChange, SignatureError> {
        if self.bytes.len() > MAX_CHANGE_BYTES {
            return Err(SignatureError::TooLarge(self.bytes.len()));
        }
        let change =
            Change::try_from(self.bytes.as_slice()).map_err(|_| SignatureError::Malformed)?;
        if persona_of_actor(change.actor_id()) != Some(self.author) {
            return Err(SignatureError::ActorMismatch);
        }
        let key = self.author.verifying_key().ok_or(SignatureError::BadKey)?;
        let signature = Signature::from_bytes(&self.signature);
        key.verify(&signing_message(&self.doc, &change.hash()), &signature)
            .map_err(|_| SignatureError::BadSignature)?;
        Ok(VerifiedChange {
            signed: self.clone(),
            change,
        })
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
