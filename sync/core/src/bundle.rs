//! The bundle format: signed changes in one byte string, for moving documents
//! between devices by file (and, later, as the payload of sync messages).
//!
//! Layout: magic `RLYB`, version byte, then per change `doc (32) ‖ author (32) ‖
//! signature (64) ‖ length (u32, little endian) ‖ change bytes`. Decoding treats the
//! input as hostile: every length is checked before it is used.

use crate::ids::{DocId, PersonaId};
use crate::signed::{MAX_CHANGE_BYTES, SignedChange};

const MAGIC: &[u8; 4] = b"RLYB";
const VERSION: u8 = 1;
const HEADER: usize = 32 + 32 + 64 + 4;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BundleError {
    #[error("not a Rally bundle")]
    NotABundle,
    #[error("the bundle was made by a newer version of Rally (format {0})")]
    UnknownVersion(u8),
    #[error("the bundle is truncated at byte {0}")]
    Truncated(usize),
    #[error("a change in the bundle is {0} bytes, over the limit")]
    TooLarge(usize),
}

pub fn encode(changes: &[SignedChange]) -> Vec<u8> {
    let mut out = Vec::with_capacity(
        5 + changes
            .iter()
            .map(|c| HEADER + c.bytes.len())
            .sum::<usize>(),
    );
    out.extend_from_slice(MAGIC);
    out.push(VERSION);
    for c in changes {
        out.extend_from_slice(&c.doc.0);
        out.extend_from_slice(&c.author.0);
        out.extend_from_slice(&c.signature);
        out.extend_from_slice(&(c.bytes.len() as u32).to_le_bytes());
        out.extend_from_slice(&c.bytes);
    }
    out
}

pub fn decode(bytes: &[u8]) -> Result<Vec<SignedChange>, BundleError> {
    let rest = bytes
        .strip_prefix(MAGIC.as_slice())
        .ok_or(BundleError::NotABundle)?;
    let (&version, mut rest) = rest.split_first().ok_or(BundleError::NotABundle)?;
    if version != VERSION {
        return Err(BundleError::UnknownVersion(version));
    }
    let mut changes = Vec::new();
    while !rest.is_empty() {
        let offset = bytes.len() - rest.len();
        if rest.len() < HEADER {
            return Err(BundleError::Truncated(offset));
        }
        let (head, tail) = rest.split_at(HEADER);
        let len = u32::from_le_bytes(head[128..132].try_into().expect("4 bytes")) as usize;
        if len > MAX_CHANGE_BYTES {
            return Err(BundleError::TooLarge(len));
        }
        if tail.len() < len {
            return Err(BundleError::Truncated(offset));
        }
        let (body, tail) = tail.split_at(len);
        changes.push(SignedChange {
            doc: DocId(head[0..32].try_into().expect("32 bytes")),
            author: PersonaId(head[32..64].try_into().expect("32 bytes")),
            signature: head[64..128].try_into().expect("64 bytes"),
            bytes: body.to_vec(),
        });
        rest = tail;
    }
    Ok(changes)
}
