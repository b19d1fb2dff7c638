//! Invitation tokens.
//!
//! An invitation is an Ed25519 key pair: the group document lists its public key,
//! the token carries its secret. Whoever holds the token signs their own persona id
//! with it to join, and every replica checks that signature against the listed key,
//! so a token works until an admin or moderator revokes it, and only for the group
//! it was made for.
//!
//! A token is text: `rally-invite:` followed by unpadded base64url of
//! `version (1) ‖ group id (32) ‖ invitation secret (32)`.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::{Signer, SigningKey};

use crate::ids::{DocId, PersonaId, random_bytes};
use crate::rules::invite_message;

const PREFIX: &str = "rally-invite:";
const LINK_PREFIX: &str = "rally://invite/";
const VERSION: u8 = 1;

#[derive(Clone, PartialEq, Eq)]
pub struct InviteToken {
    pub group: DocId,
    secret: [u8; 32],
}

impl std::fmt::Debug for InviteToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InviteToken")
            .field("group", &self.group)
            .field("invite", &self.invite_id())
            .finish_non_exhaustive()
    }
}

/// A persona's proof that it holds an invitation to a group (see
/// [`InviteToken::proof`]): the invitation's key signed the persona for the group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvitationProof {
    pub group: DocId,
    /// The invitation's public key (its id in the group document).
    pub invite: PersonaId,
    pub signature: Vec<u8>,
}

impl InvitationProof {
    /// Whether the proof holds for `persona` (the peer that showed it).
    pub fn holds_for(&self, persona: &PersonaId) -> bool {
        crate::rules::invite_signature_valid(&self.group, persona, &self.invite, &self.signature)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InviteError {
    #[error("this is not a Rally invitation (it should start with {PREFIX})")]
    NotAnInvite,
    #[error("the invitation is damaged (was it copied whole?)")]
    Damaged,
    #[error("the invitation was made by a newer version of Rally")]
    UnknownVersion,
}

impl InviteToken {
    pub fn generate(group: DocId) -> Self {
        InviteToken {
            group,
            secret: random_bytes(),
        }
    }

    fn key(&self) -> SigningKey {
        SigningKey::from_bytes(&self.secret)
    }

    /// The invitation's public key, as the group document lists it.
    pub fn invite_id(&self) -> String {
        PersonaId(self.key().verifying_key().to_bytes()).to_hex()
    }

    /// The signature that lets `persona` join, hex encoded.
    pub fn sign_member(&self, persona: &PersonaId) -> String {
        hex::encode(self.proof(persona).signature)
    }

    /// The X25519 secret that opens the keys a members-only group grants to this
    /// invitation (see [`crate::sealed`]).
    pub fn grant_secret(&self) -> [u8; 32] {
        crate::sealed::recipient_secret(&self.secret)
    }

    /// What a device shows a server to be handed the group before it joined:
    /// the join signature for `persona`.
    pub fn proof(&self, persona: &PersonaId) -> InvitationProof {
        InvitationProof {
            group: self.group,
            invite: PersonaId(self.key().verifying_key().to_bytes()),
            signature: self
                .key()
                .sign(&invite_message(&self.group, persona))
                .to_bytes()
                .to_vec(),
        }
    }

    pub fn encode(&self) -> String {
        let mut bytes = Vec::with_capacity(65);
        bytes.push(VERSION);
        bytes.extend_from_slice(&self.group.0);
        bytes.extend_from_slice(&self.secret);
        format!("{PREFIX}{}", URL_SAFE_NO_PAD.encode(bytes))
    }

    /// The invitation as a link that opens the app on it: `rally://invite/…`
    /// (the same code after `https://SERVER/invite#` also works; a fragment never
    /// reaches the server).
    pub fn link(&self) -> String {
        let token = self.encode();
        format!("{LINK_PREFIX}{}", &token[PREFIX.len()..])
    }

    /// Reads a token (`rally-invite:…`) or a link to one (`rally://invite/…`,
    /// `https://HOST/invite#…`).
    pub fn decode(text: &str) -> Result<Self, InviteError> {
        let text = text.trim();
        let body = text
            .strip_prefix(PREFIX)
            .or_else(|| text.strip_prefix(LINK_PREFIX))
            .or_else(|| {
                let rest = text.strip_prefix("https://")?;
                let (_host, code) = rest.split_once("/invite#")?;
                Some(code)
            })
            .ok_or(InviteError::NotAnInvite)?;
        let bytes = URL_SAFE_NO_PAD
            .decode(body)
            .map_err(|_| InviteError::Damaged)?;
        match bytes.first() {
            Some(&VERSION) if bytes.len() == 65 => {}
            Some(&v) if v > VERSION => return Err(InviteError::UnknownVersion),
            _ => return Err(InviteError::Damaged),
        }
        let mut group = [0u8; 32];
        group.copy_from_slice(&bytes[1..33]);
        let mut secret = [0u8; 32];
        secret.copy_from_slice(&bytes[33..65]);
        Ok(InviteToken {
            group: DocId(group),
            secret,
        })
    }
}
