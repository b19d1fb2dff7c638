//! The sync wire format: one message per frame, encoded with postcard.
//!
//! Decoding treats the bytes as hostile: frames are bounded by [`MAX_MESSAGE`],
//! postcard checks every length against the bytes present, and fixed-size fields
//! (signatures) are checked when turned into domain types.

use serde::{Deserialize, Serialize};

use crate::ids::DocId;
use crate::signed::SignedChange;

pub const PROTOCOL_VERSION: u16 = 4;
/// The most personas one `Route` message names (and invitations one
/// `Invitations` message lists).
pub const MAX_ROUTE: usize = 4096;
/// The longest invitation code or refusal reason a message may carry, in bytes.
pub const MAX_NOTE: usize = 512;
/// The largest message a peer sends or accepts, in bytes.
pub const MAX_MESSAGE: usize = 4 * 1024 * 1024;
/// Changes are sent in messages of about this size at most.
pub const CHANGES_CHUNK: usize = 512 * 1024;
/// Announcements and acknowledgements (`Heads`) are split into messages of about
/// this size at most, so a store of any size announces itself under
/// [`MAX_MESSAGE`].
pub const HEADS_CHUNK: usize = 256 * 1024;
/// How many times its deflated size a change list may inflate to.
pub const MAX_INFLATION: usize = 32;

pub type Hash = [u8; 32];

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocHeads {
    pub doc: Hash,
    pub heads: Vec<Hash>,
}

/// A change on the wire: the document and author are implied (the message names
/// the document; the author is the change's actor).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WireChange {
    /// Fixed size on the wire, so a list of `n` changes is at least `66 n` bytes:
    /// a small frame cannot decode into millions of entries.
    #[serde(with = "serde_bytes")]
    pub signature: [u8; 64],
    #[serde(with = "serde_bytes")]
    pub bytes: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Message {
    /// First message each side sends: who it speaks for, and a fresh challenge.
    Hello {
        version: u16,
        persona: Hash,
        nonce: Hash,
        /// Identifies the sender's store; a new epoch means it may have lost data.
        epoch: [u8; 16],
    },
    /// The answer to the peer's challenge (see [`crate::protocol::auth_message`]),
    /// with the invitation code the sender was given for this peer, if any (a
    /// server that registers personas by invitation reads it).
    Auth {
        #[serde(with = "serde_bytes")]
        signature: Vec<u8>,
        invite: Option<String>,
    },
    /// The sender's heads of documents the receiver may read: an announcement
    /// (those that differ from what the sender last knew of the receiver, or all of
    /// them), or with `ack`, the answer to one: "this is what I have now".
    /// `seq` grows with each `Heads` a session sends, so a late or repeated one
    /// never overrides a newer one.
    Heads {
        docs: Vec<DocHeads>,
        ack: bool,
        seq: u64,
    },
    /// "Send me the changes of `doc` I lack; I have these heads."
    Want { doc: Hash, have: Vec<Hash> },
    /// Changes of one document; `last` closes the answer to a `Want` (the list's
    /// encoding: see `packed`).
    Changes {
        doc: Hash,
        #[serde(with = "packed")]
        changes: Vec<WireChange>,
        last: bool,
    },
    /// The sender has nothing outstanding with the receiver; `heard` says whether
    /// it has heard the receiver say the same (if not, a synced receiver answers).
    Synced { heard: bool },
    /// The sender will not sync with the receiver (e.g. a server whose
    /// registrations are closed); the session ends.
    Refused { reason: String },
    /// To a peer the sender chose as its server: these personas are the members
    /// of the group whose log this is, so the server shares the log (ciphertext
    /// to it) with them — a member added by someone else learns of the group from
    /// it. The server learns who is in which group; other peers are never told.
    Route { log: Hash, personas: Vec<Hash> },
    /// To a peer the sender chose as its server, after the group's `Route`: the
    /// invitations of the group (their public keys) that still let someone in;
    /// those not listed no longer do (revoked, used up, expired).
    Invitations { log: Hash, open: Vec<Hash> },
    /// To a peer the sender chose as its server: the sender holds an invitation
    /// to `group`, and proves it as a join does (invitation `invite` signed the
    /// sender's persona for this group), so the server hands it the group as it
    /// would a member while the invitation is open.
    Invited {
        group: Hash,
        invite: Hash,
        #[serde(with = "serde_bytes")]
        signature: Vec<u8>,
    },
    /// "Send me the blob (a picture's bytes) with this SHA-256": one a document
    /// the sender holds names.
    WantBlob { hash: Hash },
    /// The answer to `WantBlob`: the bytes, or none when the sender has not got
    /// it or the asker may not read any document that names it.
    Blob {
        hash: Hash,
        #[serde(with = "serde_bytes")]
        bytes: Vec<u8>,
    },
    /// To a peer the sender chose as its server: a report to its admins (see
    /// [`ServerReport`]); the server answers `ReportTaken` once it keeps it.
    Report(ServerReport),
    /// The server keeps the report `id`: the sender need not send it again.
    ReportTaken { id: Hash },
    /// From a server to a persona it admitted: its rules (Markdown) and how to
    /// reach its admins, as they set them.
    Policy { rules: String, contact: String },
}

/// The longest policy a device takes (rules and contact), in bytes.
pub const MAX_POLICY: usize = 64 * 1024;

/// A report from a device to its server's admins: what it is about (`kind`:
/// event, comment, group or persona; `target`: the document's or persona's id,
/// `event/comment` for a comment), why (`reason`: spam, harassment, illegal,
/// other) and the reporter's words. The reporter is the session's persona.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerReport {
    /// Made at random by the reporter's device, so a report sent twice is kept once.
    pub id: Hash,
    pub kind: String,
    pub target: String,
    pub reason: String,
    pub text: String,
}

impl ServerReport {
    /// Whether its fields are within what an honest device sends.
    pub fn is_sane(&self) -> bool {
        matches!(
            self.kind.as_str(),
            "event" | "comment" | "group" | "persona"
        ) && matches!(
            self.reason.as_str(),
            "spam" | "harassment" | "illegal" | "other"
        ) && !self.target.is_empty()
            && self.target.len() <= 200
            && self.text.chars().count() <= crate::moderation::report::MAX_REPORT_CHARS
    }
}

/// A list of changes as postcard bytes behind one byte that says whether they
/// are deflated. Lists are written plain: the transport compresses a batch of
/// frames holding many changes whole (`rally-net`'s codec), which takes off
/// far more than compressing each document's list alone, since a batch's documents repeat their authors'
/// actor ids and field names. Deflated lists, as earlier versions wrote them,
/// are still read, bounded: a list that would grow past [`MAX_MESSAGE`], or
/// more than [`MAX_INFLATION`] times its deflated size, is refused before it
/// is decoded.
mod packed {
    use std::io::Read;

    use flate2::read::DeflateDecoder;
    use serde::de::Error as _;
    use serde::ser::Error as _;
    use serde::{Deserializer, Serializer};

    use super::{MAX_INFLATION, MAX_MESSAGE, WireChange};

    const RAW: u8 = 0;
    const DEFLATED: u8 = 1;

    pub fn serialize<S: Serializer>(changes: &[WireChange], s: S) -> Result<S::Ok, S::Error> {
        let packed = postcard::to_extend(changes, vec![RAW]).map_err(S::Error::custom)?;
        serde_bytes::serialize(&packed, s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<WireChange>, D::Error> {
        let packed: Vec<u8> = serde_bytes::deserialize(d)?;
        let (kind, body) = packed
            .split_first()
            .ok_or_else(|| D::Error::custom("an empty change list"))?;
        let raw = match *kind {
            RAW => body.to_vec(),
            DEFLATED => {
                let limit = MAX_MESSAGE.min(body.len().saturating_mul(MAX_INFLATION));
                let mut raw = Vec::new();
                DeflateDecoder::new(body)
                    .take(limit as u64 + 1)
                    .read_to_end(&mut raw)
                    .map_err(D::Error::custom)?;
                if raw.len() > limit {
                    return Err(D::Error::custom("the changes inflate past the size limit"));
                }
                raw
            }
            _ => return Err(D::Error::custom("an unknown change list encoding")),
        };
        postcard::from_bytes(&raw).map_err(D::Error::custom)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("the message is {0} bytes, over the limit")]
    TooLarge(usize),
    #[error("the message is malformed")]
    Malformed,
}

impl Message {
    pub fn encode(&self) -> Vec<u8> {
        postcard::to_allocvec(self).expect("messages always encode")
    }

    /// Whether an encoded frame opens or authenticates a session (`Hello`, `Auth`),
    /// read off its first byte (postcard's variant index) without decoding it.
    /// A session never repeats these, so a transport that may have lost one
    /// starts over; any other frame the session repeats itself when it matters.
    pub fn is_establishing(frame: &[u8]) -> bool {
        matches!(frame.first(), Some(0 | 1))
    }

    /// Whether an encoded frame is one a session decodes before the peer has
    /// authenticated (`Hello`, `Auth`, `Refused`), read off its first byte: any
    /// other waits undecoded until then, so an unauthenticated peer costs no
    /// decoding (nor inflating) at all.
    pub fn is_pre_auth(frame: &[u8]) -> bool {
        matches!(frame.first(), Some(0 | 1 | 6))
    }

    /// Whether an encoded frame is a `Changes` (read off its first byte): sending
    /// the same one twice tells the peer nothing more.
    pub fn is_changes(frame: &[u8]) -> bool {
        frame.first() == Some(&4)
    }

    pub fn decode(bytes: &[u8]) -> Result<Message, DecodeError> {
        if bytes.len() > MAX_MESSAGE {
            return Err(DecodeError::TooLarge(bytes.len()));
        }
        postcard::from_bytes(bytes).map_err(|_| DecodeError::Malformed)
    }
}

impl WireChange {
    pub fn from_signed(c: &SignedChange) -> Self {
        WireChange {
            signature: c.signature,
            bytes: c.bytes.clone(),
        }
    }

    /// Rebuilds the signed change (or envelope of a group log, see
    /// [`crate::sealed`]); `None` when the fields cannot be one.
    pub fn into_signed(self, doc: DocId) -> Option<SignedChange> {
        let signature = self.signature;
        let author = if crate::sealed::is_envelope(&self.bytes) {
            crate::ids::PersonaId(crate::sealed::Envelope::decode(&self.bytes).ok()?.author)
        } else {
            let change = automerge::Change::try_from(self.bytes.as_slice()).ok()?;
            crate::persona::persona_of_actor(change.actor_id())?
        };
        Some(SignedChange {
            doc,
            author,
            signature,
            bytes: self.bytes,
        })
    }
}
