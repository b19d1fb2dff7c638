//! Personas: one Ed25519 key pair each, and the automerge actor ids derived from it.
//!
//! An actor id is the persona's public key followed by an eight-byte suffix that is
//! random per persona and device. Tying the actor to the key lets every replica
//! check that a change was made under its signer's own actor, so nobody can write
//! operations in someone else's name; the random suffix keeps two devices of one
//! persona from colliding. Two personas on one device share nothing: each has its
//! own key and its own suffix.

use automerge::ActorId;
use ed25519_dalek::{Signer, SigningKey};

use crate::ids::{PersonaId, random_bytes};

pub const ACTOR_SUFFIX_LEN: usize = 8;
pub const ACTOR_ID_LEN: usize = 32 + ACTOR_SUFFIX_LEN;

/// A persona's secret half, as held on one device.
#[derive(Clone)]
pub struct Persona {
    key: SigningKey,
    actor_suffix: [u8; ACTOR_SUFFIX_LEN],
}

impl std::fmt::Debug for Persona {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Persona")
            .field("id", &self.id())
            .finish_non_exhaustive()
    }
}

impl Persona {
    /// A new persona with a fresh key and a fresh device suffix.
    pub fn generate() -> Self {
        Persona {
            key: SigningKey::from_bytes(&random_bytes::<32>()),
            actor_suffix: random_bytes(),
        }
    }

    pub fn from_parts(secret: [u8; 32], actor_suffix: [u8; ACTOR_SUFFIX_LEN]) -> Self {
        Persona {
            key: SigningKey::from_bytes(&secret),
            actor_suffix,
        }
    }

    pub fn secret_bytes(&self) -> [u8; 32] {
        self.key.to_bytes()
    }

    pub fn actor_suffix(&self) -> [u8; ACTOR_SUFFIX_LEN] {
        self.actor_suffix
    }

    pub fn id(&self) -> PersonaId {
        PersonaId(self.key.verifying_key().to_bytes())
    }

    pub fn actor_id(&self) -> ActorId {
        let mut bytes = Vec::with_capacity(ACTOR_ID_LEN);
        bytes.extend_from_slice(&self.id().0);
        bytes.extend_from_slice(&self.actor_suffix);
        ActorId::from(bytes)
    }

    pub fn sign(&self, message: &[u8]) -> [u8; 64] {
        self.key.sign(message).to_bytes()
    }
}

/// The persona an actor id speaks for, if it has the shape Rally gives actor ids.
pub fn persona_of_actor(actor: &ActorId) -> Option<PersonaId> {
    let bytes = actor.to_bytes();
    if bytes.len() != ACTOR_ID_LEN {
        return None;
    }
    let mut id = [0u8; 32];
    id.copy_from_slice(&bytes[..32]);
    Some(PersonaId(id))
}
