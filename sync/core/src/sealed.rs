//! Sealed group logs: how a group's private content travels and rests for anyone
//! who is not a member.
//!
//! Every group has a **log**, a hash DAG of signed envelopes, synced like a
//! document (its heads are the envelopes nothing refers to yet) by everyone who
//! holds it — members, relaying peers, servers. An envelope names its log, its
//! author (the persona that signed it) and the envelopes it follows, and carries
//! either
//!
//! - a **sealed item** (XChaCha20-Poly1305 under a key of one key epoch, bound to
//!   the envelope's header as associated data): a chat message, an edit or
//!   deletion of one, or a signed change of one of the group's members-only
//!   documents; or
//! - a **grant**: an epoch's secret (and older keys) sealed with HPKE (RFC 9180,
//!   X25519 + HKDF-SHA256 + ChaCha20-Poly1305) to each recipient's X25519 key. A
//!   persona's X25519 key is its Ed25519 key in Montgomery form (as libsodium and
//!   age convert them), so a member's persona id is all a sender needs. Boxes do
//!   not name their recipients: a member finds its own by opening them.
//!
//! An epoch's secret yields two keys (HKDF-SHA256): the **document key**, given to
//! every later member too (a new member must read the group's documents from their
//! start), and the **chat key**, given only to the epoch's recipients (a new member
//! reads the chat from the epoch made when they joined, unless an admin shares
//! history). Relays check envelope signatures, sizes and log ids; only members can
//! check what is inside (see `rally-store`, which keeps the keys).
//!
//! The log id is a hash of the group id, so only someone who knows the group id
//! can ask for its log; a members-only group's id is known to its members and to
//! holders of its invitations.
//!
//! A chat item sent while the group's messages disappear carries its expiry and
//! travels in the detachable form ([`detachable`]): once it has expired, every
//! holder keeps only its stub, which has the same id and signature.
pub mod detachable;
pub mod policy;

use chacha20poly1305::XChaCha20Poly1305;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use ed25519_dalek::{Signature, SigningKey, Verifier};
use hpke::{Deserializable, OpModeR, OpModeS, Serializable};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::ids::{DocId, PersonaId, random_bytes};
use crate::persona::Persona;
use crate::signed::SignedChange;

/// The first bytes of every envelope (automerge changes start otherwise).
pub const ENVELOPE_MAGIC: [u8; 4] = *b"RLS\x01";
/// The largest envelope a peer accepts, in bytes.
pub const MAX_ENVELOPE: usize = 256 * 1024;
const MAX_DEPS: usize = 64;
const MAX_BOXES: usize = 4096;
/// The longest chat message, in characters.
pub const MAX_MESSAGE_CHARS: usize = 8_000;

type Kem = hpke::kem::X25519HkdfSha256;
type Kdf = hpke::kdf::HkdfSha256;
type HpkeAead = hpke::aead::ChaCha20Poly1305;

fn sha256(parts: &[&[u8]]) -> [u8; 32] {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p);
    }
    h.finalize().into()
}

/// The id of a group's log.
pub fn log_id(group: &DocId) -> DocId {
    DocId(sha256(&[b"rally/log/v1\0", &group.0]))
}

/// The hash an envelope is known by: its bytes, magic included; for the
/// detachable form, its magic and header (see [`detachable::id`]), so an
/// envelope and its stub are known by one hash.
pub fn envelope_hash(bytes: &[u8]) -> [u8; 32] {
    if bytes.starts_with(&detachable::MAGIC) {
        detachable::id(bytes).unwrap_or_else(|_| sha256(&[bytes]))
    } else {
        sha256(&[bytes])
    }
}

/// Whether stored or received bytes are an envelope rather than an automerge change.
pub fn is_envelope(bytes: &[u8]) -> bool {
    bytes.starts_with(&ENVELOPE_MAGIC) || bytes.starts_with(&detachable::MAGIC)
}

/// The stub of an envelope's bytes if they are of the detachable form with a
/// body (`None` otherwise: nothing to detach).
pub fn stub_of(bytes: &[u8]) -> Option<Vec<u8>> {
    if !bytes.starts_with(&detachable::MAGIC) {
        return None;
    }
    let stub = detachable::Detachable::strip(bytes).ok()?;
    (stub.len() < bytes.len()).then_some(stub)
}

/// An epoch's id (derived from its secret, so the two cannot disagree).
pub type EpochId = [u8; 16];

/// The secret of one key epoch of a group.
#[derive(Clone, PartialEq, Eq)]
pub struct EpochSecret(pub [u8; 32]);

impl std::fmt::Debug for EpochSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "EpochSecret({})", hex::encode(self.id()))
    }
}

// Zeroed when dropped: an epoch's secret lives in memory only while a message
// is sealed or opened (the store keeps it, encrypted at rest).
impl Drop for EpochSecret {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.0);
    }
}

impl EpochSecret {
    pub fn generate() -> Self {
        EpochSecret(random_bytes())
    }

    pub fn id(&self) -> EpochId {
        let h = sha256(&[b"rally/epoch-id/v1\0", &self.0]);
        let mut id = [0; 16];
        id.copy_from_slice(&h[..16]);
        id
    }

    fn derive(&self, label: &[u8]) -> zeroize::Zeroizing<[u8; 32]> {
        let hk = hkdf::Hkdf::<Sha256>::new(None, &self.0);
        let mut key = zeroize::Zeroizing::new([0; 32]);
        hk.expand(label, key.as_mut())
            .expect("32 bytes is a valid HKDF length");
        key
    }

    /// The key of the group's documents sealed in this epoch (zeroed when
    /// dropped).
    pub fn document_key(&self) -> zeroize::Zeroizing<[u8; 32]> {
        self.derive(b"rally/document-key/v1")
    }

    /// The key of the chat sealed in this epoch (zeroed when dropped).
    pub fn chat_key(&self) -> zeroize::Zeroizing<[u8; 32]> {
        self.derive(b"rally/chat-key/v1")
    }
}

/// Which key of an epoch sealed an item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum KeyUse {
    Document,
    Chat,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyBox {
    pub enc: [u8; 32],
    #[serde(with = "serde_bytes")]
    pub ciphertext: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Body {
    Sealed {
        epoch: EpochId,
        key: KeyUse,
        nonce: [u8; 24],
        #[serde(with = "serde_bytes")]
        ciphertext: Vec<u8>,
    },
    Grant {
        boxes: Vec<KeyBox>,
    },
    /// A report to the group's moderators, sealed to each of them as grants are.
    Report {
        boxes: Vec<KeyBox>,
    },
    /// What an expired envelope's stub holds: nothing (never on the wire as a
    /// body; see [`detachable`]).
    Detached,
}

/// An envelope of a group log, as signed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Envelope {
    pub log: [u8; 32],
    pub author: [u8; 32],
    pub deps: Vec<[u8; 32]>,
    pub body: Body,
    /// When the body may be dropped, Unix milliseconds: set, the envelope
    /// travels in the detachable form (its header carries it); `None`, in the
    /// first form, which has no place for it.
    #[serde(skip)]
    pub expires: Option<i64>,
}

/// What a sealed item holds, once opened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Content {
    /// A signed change of one of the group's members-only documents.
    Change {
        doc: [u8; 32],
        #[serde(with = "serde_bytes")]
        signature: Vec<u8>,
        #[serde(with = "serde_bytes")]
        bytes: Vec<u8>,
    },
    /// A chat message (its id is its envelope's hash); `at` is the author's clock, ms.
    Message {
        text: String,
        reply_to: Option<[u8; 32]>,
        at: i64,
    },
    /// The author's new text for one of their own messages.
    Edit {
        target: [u8; 32],
        text: String,
        at: i64,
    },
    /// The author withdraws one of their own messages.
    Delete { target: [u8; 32], at: i64 },
    /// A picture one of the group's members-only documents names (its address
    /// is the SHA-256 of the bytes).
    Blob {
        #[serde(with = "serde_bytes")]
        bytes: Vec<u8>,
    },
}

impl Content {
    fn key_use(&self) -> KeyUse {
        match self {
            Content::Change { .. } | Content::Blob { .. } => KeyUse::Document,
            _ => KeyUse::Chat,
        }
    }
}

/// What a grant gives its recipients.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grant {
    pub group: [u8; 32],
    /// The new epoch (absent from an invitation's grant, which gives document keys only).
    pub epoch: Option<[u8; 32]>,
    /// Who the epoch was made for, as its author saw the membership.
    pub members: Vec<[u8; 32]>,
    /// Document keys of earlier epochs, by epoch id.
    pub document_keys: Vec<(EpochId, [u8; 32])>,
    /// Earlier epochs, when the author shares the chat's history.
    pub history: Vec<SharedEpoch>,
}

/// An earlier epoch given with its history: its secret, who made it and for whom
/// (the sharer vouches for what the recipient could not see).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SharedEpoch {
    pub secret: [u8; 32],
    pub author: [u8; 32],
    pub members: Vec<[u8; 32]>,
}

impl std::fmt::Debug for SharedEpoch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SharedEpoch")
            .field("author", &hex::encode(self.author))
            .field("members", &self.members.len())
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for Grant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Grant")
            .field("group", &hex::encode(self.group))
            .field("members", &self.members.len())
            .finish_non_exhaustive()
    }
}

/// Why an envelope is refused before anything inside is looked at.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EnvelopeError {
    #[error("the envelope is {0} bytes, over the limit of {MAX_ENVELOPE}")]
    TooLarge(usize),
    #[error("the bytes are not an envelope")]
    Malformed,
    #[error("the envelope belongs to another log")]
    WrongLog,
    #[error("the envelope's signer is not its author")]
    WrongAuthor,
    #[error("the author is not a valid public key")]
    BadKey,
    #[error("the signature does not match the envelope")]
    BadSignature,
}

/// Why a sealed item cannot be opened or sealed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SealError {
    #[error("the item does not decrypt with the epoch's key (tampered, or not for this key)")]
    Undecryptable,
    #[error("the item's content is malformed")]
    Malformed,
    #[error("a recipient's key is not a valid public key")]
    BadRecipient,
    #[error("sealing failed")]
    Seal,
}

const SIGNATURE_CONTEXT: &[u8] = b"rally/envelope/v1\0";

fn signing_message(hash: &[u8; 32]) -> Vec<u8> {
    [SIGNATURE_CONTEXT, hash.as_slice()].concat()
}

impl Envelope {
    /// Encodes and signs the envelope as `persona` (its author).
    pub fn sign(&self, persona: &Persona) -> SignedChange {
        debug_assert_eq!(self.author, persona.id().0);
        debug_assert!(self.body != Body::Detached, "a stub is not signed again");
        let bytes = match self.expires {
            None => {
                let mut bytes = ENVELOPE_MAGIC.to_vec();
                bytes.extend(postcard::to_allocvec(self).expect("envelopes serialise"));
                bytes
            }
            Some(expires) => detachable::Detachable::new(
                self.log,
                self.author,
                self.deps.clone(),
                Some(expires),
                self.body.clone(),
            )
            .encode(),
        };
        let hash = envelope_hash(&bytes);
        SignedChange {
            doc: DocId(self.log),
            author: persona.id(),
            signature: persona.sign(&signing_message(&hash)),
            bytes,
        }
    }

    /// Decodes an envelope without checking its signature (the author is needed
    /// to rebuild a signed item from the wire).
    pub fn decode(bytes: &[u8]) -> Result<Envelope, EnvelopeError> {
        if bytes.len() > MAX_ENVELOPE {
            return Err(EnvelopeError::TooLarge(bytes.len()));
        }
        let envelope = if bytes.starts_with(&detachable::MAGIC) {
            Envelope::decode_detachable(bytes)?
        } else {
            let body = bytes
                .strip_prefix(&ENVELOPE_MAGIC)
                .ok_or(EnvelopeError::Malformed)?;
            postcard::from_bytes(body).map_err(|_| EnvelopeError::Malformed)?
        };
        let boxes = match &envelope.body {
            Body::Grant { boxes } | Body::Report { boxes } => boxes.len(),
            Body::Detached if envelope.expires.is_none() => {
                return Err(EnvelopeError::Malformed);
            }
            Body::Sealed { .. } | Body::Detached => 0,
        };
        if envelope.deps.len() > MAX_DEPS || boxes > MAX_BOXES {
            return Err(EnvelopeError::Malformed);
        }
        Ok(envelope)
    }

    /// The detachable form: an expiry is required (without one the first form
    /// is used), only sealed items expire, and a stub's body is
    /// [`Body::Detached`].
    fn decode_detachable(bytes: &[u8]) -> Result<Envelope, EnvelopeError> {
        let d = detachable::Detachable::decode(bytes).map_err(|e| match e {
            detachable::DetachError::TooLarge(n) => EnvelopeError::TooLarge(n),
            _ => EnvelopeError::Malformed,
        })?;
        let body = match d.body {
            None => Body::Detached,
            Some(body @ Body::Sealed { .. }) => body,
            Some(_) => return Err(EnvelopeError::Malformed),
        };
        if d.header.expires.is_none() {
            return Err(EnvelopeError::Malformed);
        }
        Ok(Envelope {
            log: d.header.log,
            author: d.header.author,
            deps: d.header.deps,
            body,
            expires: d.header.expires,
        })
    }

    /// Whether this is an expired envelope's stub.
    pub fn is_stub(&self) -> bool {
        self.body == Body::Detached
    }

    /// Whether the body may be dropped at `now_ms` (Unix milliseconds).
    pub fn expired(&self, now_ms: i64) -> bool {
        self.expires.is_some_and(|e| e <= now_ms)
    }

    /// Checks everything a relay can check: size, form, log, signature.
    pub fn verify(signed: &SignedChange) -> Result<Envelope, EnvelopeError> {
        let envelope = Envelope::decode(&signed.bytes)?;
        if envelope.log != signed.doc.0 {
            return Err(EnvelopeError::WrongLog);
        }
        if envelope.author != signed.author.0 {
            return Err(EnvelopeError::WrongAuthor);
        }
        let key = signed.author.verifying_key().ok_or(EnvelopeError::BadKey)?;
        key.verify(
            &signing_message(&envelope_hash(&signed.bytes)),
            &Signature::from_bytes(&signed.signature),
        )
        .map_err(|_| EnvelopeError::BadSignature)?;
        Ok(envelope)
    }

    /// What a sealed item is bound to: its log, author, epoch, expiry (an
    /// expiring item is bound to its time, so nobody moves it) and deps.
    fn associated_data(
        log: &[u8; 32],
        author: &[u8; 32],
        epoch: &EpochId,
        expires: Option<i64>,
        deps: &[[u8; 32]],
    ) -> Vec<u8> {
        let mut aad = match expires {
            None => b"rally/sealed/v1\0".to_vec(),
            Some(_) => b"rally/sealed/v2\0".to_vec(),
        };
        aad.extend_from_slice(log);
        aad.extend_from_slice(author);
        aad.extend_from_slice(epoch);
        if let Some(e) = expires {
            aad.extend_from_slice(&e.to_be_bytes());
        }
        for d in deps {
            aad.extend_from_slice(d);
        }
        aad
    }

    /// Seals `content` under `epoch` into an envelope of `log` by `author`.
    pub fn seal(
        log: &DocId,
        author: &Persona,
        deps: Vec<[u8; 32]>,
        epoch: &EpochSecret,
        content: &Content,
    ) -> Result<Envelope, SealError> {
        Envelope::seal_expiring(log, author, deps, epoch, content, None)
    }

    /// [`Envelope::seal`] for a chat item that expires at `expires` (Unix
    /// milliseconds; `None`: never). Only chat items expire.
    pub fn seal_expiring(
        log: &DocId,
        author: &Persona,
        deps: Vec<[u8; 32]>,
        epoch: &EpochSecret,
        content: &Content,
        expires: Option<i64>,
    ) -> Result<Envelope, SealError> {
        let key_use = content.key_use();
        let key = match key_use {
            KeyUse::Document => epoch.document_key(),
            KeyUse::Chat => epoch.chat_key(),
        };
        let nonce: [u8; 24] = random_bytes();
        let epoch_id = epoch.id();
        if expires.is_some() && key_use != KeyUse::Chat {
            return Err(SealError::Seal);
        }
        let aad = Envelope::associated_data(&log.0, &author.id().0, &epoch_id, expires, &deps);
        let plaintext = postcard::to_allocvec(content).map_err(|_| SealError::Seal)?;
        let ciphertext = XChaCha20Poly1305::new(&(*key).into())
            .encrypt(
                &nonce.into(),
                Payload {
                    msg: &plaintext,
                    aad: &aad,
                },
            )
            .map_err(|_| SealError::Seal)?;
        Ok(Envelope {
            log: log.0,
            author: author.id().0,
            deps,
            body: Body::Sealed {
                epoch: epoch_id,
                key: key_use,
                nonce,
                ciphertext,
            },
            expires,
        })
    }

    /// Opens a sealed item with the key its epoch and use call for. The content
    /// must be of the kind the key is for.
    pub fn open(&self, key: &[u8; 32]) -> Result<Content, SealError> {
        let Body::Sealed {
            epoch,
            key: key_use,
            nonce,
            ciphertext,
        } = &self.body
        else {
            return Err(SealError::Malformed);
        };
        let aad =
            Envelope::associated_data(&self.log, &self.author, epoch, self.expires, &self.deps);
        let plaintext = XChaCha20Poly1305::new(&(*key).into())
            .decrypt(
                &(*nonce).into(),
                Payload {
                    msg: ciphertext,
                    aad: &aad,
                },
            )
            .map_err(|_| SealError::Undecryptable)?;
        let content: Content =
            postcard::from_bytes(&plaintext).map_err(|_| SealError::Malformed)?;
        if content.key_use() != *key_use {
            return Err(SealError::Malformed);
        }
        Ok(content)
    }

    /// The HPKE `info` of a boxed body: what it is (`grant`, `report`) and
    /// which log it belongs to.
    fn boxes_info(what: &str, log: &[u8; 32]) -> Vec<u8> {
        [b"rally/", what.as_bytes(), b"/v1\0", log.as_slice()].concat()
    }

    /// `value` sealed with HPKE to each recipient (their X25519 keys, see
    /// [`recipient_key`]) as a boxed body.
    fn boxed(
        log: &DocId,
        author: &Persona,
        deps: Vec<[u8; 32]>,
        what: &str,
        value: &impl Serialize,
        recipients: &[[u8; 32]],
    ) -> Result<(Envelope, Vec<KeyBox>), SealError> {
        let plaintext = postcard::to_allocvec(value).map_err(|_| SealError::Seal)?;
        let info = Envelope::boxes_info(what, &log.0);
        let boxes = seal_boxes(&info, &plaintext, &author.id().0, recipients)?;
        let envelope = Envelope {
            log: log.0,
            author: author.id().0,
            deps,
            body: Body::Grant { boxes: Vec::new() },
            expires: None,
        };
        Ok((envelope, boxes))
    }

    /// The boxed body's value for the holder of `secret` (an X25519 secret, see
    /// [`recipient_secret`]), if one of its boxes is theirs.
    fn unboxed<T: serde::de::DeserializeOwned>(
        &self,
        what: &str,
        boxes: &[KeyBox],
        secret: &[u8; 32],
    ) -> Option<T> {
        let info = Envelope::boxes_info(what, &self.log);
        let plaintext = open_boxes(&info, boxes, &self.author, secret)?;
        postcard::from_bytes(&plaintext).ok()
    }

    /// A grant of `grant` to each recipient.
    pub fn grant(
        log: &DocId,
        author: &Persona,
        deps: Vec<[u8; 32]>,
        grant: &Grant,
        recipients: &[[u8; 32]],
    ) -> Result<Envelope, SealError> {
        let (mut envelope, boxes) = Envelope::boxed(log, author, deps, "grant", grant, recipients)?;
        envelope.body = Body::Grant { boxes };
        Ok(envelope)
    }

    /// The grant in this envelope for the holder of `secret`, if one of its
    /// boxes is theirs.
    pub fn open_grant(&self, secret: &[u8; 32]) -> Option<Grant> {
        let Body::Grant { boxes } = &self.body else {
            return None;
        };
        self.unboxed("grant", boxes, secret)
    }

    /// A report by `reporter` to a group's moderators, sealed to each of them
    /// (see [`crate::moderation::report`]): nobody else in the group, nor any
    /// relay, reads it. The envelope comes signed by a key made for it alone,
    /// never the reporter's, so only the moderators learn who reported.
    pub fn report(
        log: &DocId,
        reporter: &Persona,
        deps: Vec<[u8; 32]>,
        report: &crate::moderation::report::Report,
        recipients: &[[u8; 32]],
    ) -> Result<SignedChange, SealError> {
        let carrier = Persona::generate();
        let sealed =
            crate::moderation::report::Sealed::new(&log.0, &carrier.id(), reporter, report);
        let (mut envelope, boxes) =
            Envelope::boxed(log, &carrier, deps, REPORT_SIGNED, &sealed, recipients)?;
        envelope.body = Body::Report { boxes };
        Ok(envelope.sign(&carrier))
    }

    /// The report in this envelope and who made it, for the holder of `secret`
    /// if it is one of its recipients (and the reporter's signature holds and
    /// the report is well formed).
    pub fn open_report(&self, secret: &[u8; 32]) -> Option<crate::moderation::report::Opened> {
        use crate::moderation::report::{Opened, Report, Sealed};
        let Body::Report { boxes } = &self.body else {
            return None;
        };
        let info = |what| Envelope::boxes_info(what, &self.log);
        if let Some(plaintext) = open_boxes(&info(REPORT_SIGNED), boxes, &self.author, secret) {
            let sealed: Sealed = postcard::from_bytes(&plaintext).ok()?;
            return sealed.open(&self.log, &self.author);
        }
        // The first form: the report alone, its envelope signed by the reporter.
        let plaintext = open_boxes(&info("report"), boxes, &self.author, secret)?;
        let report: Report = postcard::from_bytes(&plaintext).ok()?;
        report.check().ok()?;
        Some(Opened {
            reporter: PersonaId(self.author),
            report,
        })
    }
}

/// The boxes' label of a report that names its reporter inside
/// ([`crate::moderation::report::Sealed`]): another label than the first
/// form's, so a device that knows only that form cannot open it as one (it
/// would read the report and take the one-time key for its reporter).
const REPORT_SIGNED: &str = "report-signed";

/// Seals `plaintext` with HPKE to each recipient; the boxes are sorted, so
/// their order says nothing about who is who.
fn seal_boxes(
    info: &[u8],
    plaintext: &[u8],
    aad: &[u8],
    recipients: &[[u8; 32]],
) -> Result<Vec<KeyBox>, SealError> {
    let mut boxes = Vec::with_capacity(recipients.len());
    for r in recipients {
        let pk =
            <Kem as hpke::Kem>::PublicKey::from_bytes(r).map_err(|_| SealError::BadRecipient)?;
        let (enc, ciphertext) =
            hpke::single_shot_seal::<HpkeAead, Kdf, Kem>(&OpModeS::Base, &pk, info, plaintext, aad)
                .map_err(|_| SealError::Seal)?;
        let enc: [u8; 32] = enc
            .to_bytes()
            .as_slice()
            .try_into()
            .map_err(|_| SealError::Seal)?;
        boxes.push(KeyBox { enc, ciphertext });
    }
    boxes.sort_by_key(|b| b.enc);
    Ok(boxes)
}

/// The plaintext of the box that `secret` opens, if any.
fn open_boxes(info: &[u8], boxes: &[KeyBox], aad: &[u8], secret: &[u8; 32]) -> Option<Vec<u8>> {
    let sk = <Kem as hpke::Kem>::PrivateKey::from_bytes(secret).ok()?;
    boxes.iter().find_map(|b| {
        let enc = <Kem as hpke::Kem>::EncappedKey::from_bytes(&b.enc).ok()?;
        hpke::single_shot_open::<HpkeAead, Kdf, Kem>(
            &OpModeR::Base,
            &sk,
            &enc,
            info,
            &b.ciphertext,
            aad,
        )
        .ok()
    })
}

/// A persona's X25519 public key: its Ed25519 key in Montgomery form.
pub fn recipient_key(persona: &PersonaId) -> Option<[u8; 32]> {
    Some(persona.verifying_key()?.to_montgomery().to_bytes())
}

/// The X25519 secret matching [`recipient_key`] for an Ed25519 secret (a
/// persona's, or an invitation's).
pub fn recipient_secret(ed25519_secret: &[u8; 32]) -> [u8; 32] {
    SigningKey::from_bytes(ed25519_secret).to_scalar_bytes()
}

/// The X25519 public key of an Ed25519 secret (an invitation's).
pub fn recipient_key_of_secret(ed25519_secret: &[u8; 32]) -> [u8; 32] {
    SigningKey::from_bytes(ed25519_secret)
        .verifying_key()
        .to_montgomery()
        .to_bytes()
}

#[cfg(test)]
mod tests;
