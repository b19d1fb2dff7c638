//! Envelopes whose body can be detached (form 2, `RLS\x02`), for messages
//! that disappear: once an envelope has expired, any holder — a member's
//! device, a relay, a server — replaces it by its **stub** (the header alone),
//! which keeps the log's hash DAG whole (later envelopes still find their
//! dependencies) and still proves who wrote it, while the ciphertext is gone.
//!
//! The id an envelope is known by is the hash of the magic and the header, and
//! the header names the body by its hash: the full envelope and its stub have
//! one id, and the author's signature over that id covers both. The header
//! carries the expiry in the clear (relays act on it; they learn that the group
//! uses a timer, and when each message goes).
//!
//! Wire form: `RLS\x02`, the header's length (u32, big-endian), the header
//! (postcard), then the body (postcard) — absent in a stub.
//!
//! [`super::Envelope`] reads and writes this form for envelopes that carry an
//! expiry; `rally-store` keeps stubs and sweeps expired envelopes.

use serde::{Deserialize, Serialize};

use super::{Body, MAX_DEPS, MAX_ENVELOPE, sha256};

/// The first bytes of a detachable envelope.
pub const MAGIC: [u8; 4] = *b"RLS\x02";

/// What stays of an envelope when its body goes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Header {
    pub log: [u8; 32],
    pub author: [u8; 32],
    pub deps: Vec<[u8; 32]>,
    /// When the body may be dropped, Unix milliseconds (`None`: never).
    pub expires: Option<i64>,
    /// SHA-256 of the body's bytes.
    pub body_hash: [u8; 32],
}

/// A detachable envelope: its header, and its body unless it is a stub.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Detachable {
    pub header: Header,
    pub body: Option<Body>,
}

/// Why bytes are not a detachable envelope.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DetachError {
    #[error("not a detachable envelope")]
    Malformed,
    #[error("the envelope is {0} bytes, over the limit")]
    TooLarge(usize),
    #[error("the body is not the one the header names")]
    WrongBody,
}

impl Detachable {
    /// A full envelope of `body`.
    pub fn new(
        log: [u8; 32],
        author: [u8; 32],
        deps: Vec<[u8; 32]>,
        expires: Option<i64>,
        body: Body,
    ) -> Detachable {
        let body_bytes = postcard::to_allocvec(&body).expect("bodies serialise");
        Detachable {
            header: Header {
                log,
                author,
                deps,
                expires,
                body_hash: sha256(&[&body_bytes]),
            },
            body: Some(body),
        }
    }

    /// The wire bytes (a stub's if the body is gone).
    pub fn encode(&self) -> Vec<u8> {
        let header = postcard::to_allocvec(&self.header).expect("headers serialise");
        let mut out = MAGIC.to_vec();
        out.extend_from_slice(&(header.len() as u32).to_be_bytes());
        out.extend_from_slice(&header);
        if let Some(body) = &self.body {
            out.extend(postcard::to_allocvec(body).expect("bodies serialise"));
        }
        out
    }

    /// Decodes and checks the body against the header's hash.
    pub fn decode(bytes: &[u8]) -> Result<Detachable, DetachError> {
        if bytes.len() > MAX_ENVELOPE {
            return Err(DetachError::TooLarge(bytes.len()));
        }
        let (header_bytes, body_bytes) = split(bytes)?;
        let header: Header =
            postcard::from_bytes(header_bytes).map_err(|_| DetachError::Malformed)?;
        if header.deps.len() > MAX_DEPS {
            return Err(DetachError::Malformed);
        }
        let body = if body_bytes.is_empty() {
            None
        } else {
            if sha256(&[body_bytes]) != header.body_hash {
                return Err(DetachError::WrongBody);
            }
            Some(postcard::from_bytes(body_bytes).map_err(|_| DetachError::Malformed)?)
        };
        Ok(Detachable { header, body })
    }

    /// The stub of these bytes (the same id, no body).
    pub fn strip(bytes: &[u8]) -> Result<Vec<u8>, DetachError> {
        let (header, _) = split(bytes)?;
        Ok(bytes[..MAGIC.len() + 4 + header.len()].to_vec())
    }

    /// Whether the body may be dropped at `now_ms`.
    pub fn expired(&self, now_ms: i64) -> bool {
        self.header.expires.is_some_and(|e| e <= now_ms)
    }
}

/// The id of a detachable envelope's bytes, full or stub: the hash of the
/// magic and the header.
pub fn id(bytes: &[u8]) -> Result<[u8; 32], DetachError> {
    let (header, _) = split(bytes)?;
    Ok(sha256(&[&MAGIC, header]))
}

/// The header's bytes and the body's (empty in a stub).
fn split(bytes: &[u8]) -> Result<(&[u8], &[u8]), DetachError> {
    let rest = bytes.strip_prefix(&MAGIC).ok_or(DetachError::Malformed)?;
    let (len, rest) = rest
        .split_first_chunk::<4>()
        .ok_or(DetachError::Malformed)?;
    let len = u32::from_be_bytes(*len) as usize;
    if len > rest.len() {
        return Err(DetachError::Malformed);
    }
    Ok(rest.split_at(len))
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn body(ciphertext: Vec<u8>) -> Body {
        Body::Sealed {
            epoch: [7; 16],
            key: super::super::KeyUse::Chat,
            nonce: [9; 24],
            ciphertext,
        }
    }

    proptest! {
        #[test]
        fn a_stub_keeps_the_id_and_loses_the_body(
            ciphertext in proptest::collection::vec(any::<u8>(), 0..2000),
            deps in proptest::collection::vec(any::<[u8; 32]>(), 0..4),
            expires in proptest::option::of(any::<i64>()),
        ) {
            let e = Detachable::new([1; 32], [2; 32], deps, expires, body(ciphertext));
            let full = e.encode();
            let stub = Detachable::strip(&full).unwrap();
            prop_assert!(stub.len() < full.len());
            prop_assert_eq!(id(&full).unwrap(), id(&stub).unwrap());
            prop_assert_eq!(Detachable::decode(&full).unwrap(), e.clone());
            let back = Detachable::decode(&stub).unwrap();
            prop_assert_eq!(back.header, e.header);
            prop_assert_eq!(back.body, None);
        }

        #[test]
        fn another_body_under_the_same_header_is_refused(
            a in proptest::collection::vec(any::<u8>(), 1..500),
            b in proptest::collection::vec(any::<u8>(), 1..500),
        ) {
            prop_assume!(a != b);
            let e = Detachable::new([1; 32], [2; 32], vec![], Some(5), body(a));
            let mut forged = Detachable::strip(&e.encode()).unwrap();
            forged.extend(postcard::to_allocvec(&body(b)).unwrap());
            prop_assert_eq!(Detachable::decode(&forged), Err(DetachError::WrongBody));
        }

        #[test]
        fn garbage_is_refused_without_panicking(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
            let mut b = MAGIC.to_vec();
            b.extend(bytes);
            let _ = Detachable::decode(&b);
            let _ = id(&b);
            let _ = Detachable::strip(&b);
        }
    }

    #[test]
    fn expiry_is_read_from_the_header() {
        let e = Detachable::new([1; 32], [2; 32], vec![], Some(1_000), body(vec![1, 2, 3]));
        assert!(!e.expired(999));
        assert!(e.expired(1_000));
        assert!(!Detachable::new([1; 32], [2; 32], vec![], None, body(vec![])).expired(i64::MAX));
    }
}
