//! Identifiers: documents are named by the hash of their first change, personas by
//! their Ed25519 public key. Both print as lowercase hex.

use std::fmt;
use std::str::FromStr;

use automerge::ChangeHash;

/// Why a piece of text is not a valid identifier.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{what} must be {len} hexadecimal characters, got {got:?}")]
pub struct ParseIdError {
    what: &'static str,
    len: usize,
    got: String,
}

fn parse_hex32(what: &'static str, s: &str) -> Result<[u8; 32], ParseIdError> {
    let err = || ParseIdError {
        what,
        len: 64,
        got: s.to_owned(),
    };
    let bytes = hex::decode(s).map_err(|_| err())?;
    bytes.try_into().map_err(|_| err())
}

/// A document's identity: the hash of its genesis change, so the id commits to
/// the document's kind and creator.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DocId(pub [u8; 32]);

impl DocId {
    pub fn from_genesis(hash: ChangeHash) -> Self {
        DocId(hash.0)
    }

    pub fn genesis_hash(&self) -> ChangeHash {
        ChangeHash(self.0)
    }

    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }
}

impl fmt::Display for DocId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl fmt::Debug for DocId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DocId({})", &self.to_hex()[..12])
    }
}

impl FromStr for DocId {
    type Err = ParseIdError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_hex32("a document id", s).map(DocId)
    }
}

/// A persona's public identity: its Ed25519 verifying key.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PersonaId(pub [u8; 32]);

impl PersonaId {
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    pub fn verifying_key(&self) -> Option<ed25519_dalek::VerifyingKey> {
        ed25519_dalek::VerifyingKey::from_bytes(&self.0).ok()
    }
}

impl fmt::Display for PersonaId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl fmt::Debug for PersonaId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PersonaId({})", &self.to_hex()[..12])
    }
}

impl FromStr for PersonaId {
    type Err = ParseIdError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_hex32("a persona id", s).map(PersonaId)
    }
}

/// Fills a buffer from the operating system's random source.
///
/// The only source of randomness in the core; it reads no clock and no file.
pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut buf = [0u8; N];
    #[cfg(test)]
    if test_rng::fill(&mut buf) {
        return buf;
    }
    getrandom::fill(&mut buf).expect("the operating system's random source is available");
    buf
}

/// Deterministic randomness for the simulation tests, per thread, when seeded.
#[cfg(test)]
pub(crate) mod test_rng {
    use std::cell::Cell;

    thread_local! {
        static STATE: Cell<Option<u64>> = const { Cell::new(None) };
    }

    pub fn seed(seed: Option<u64>) {
        STATE.with(|s| s.set(seed.map(|x| x | 1)));
    }

    pub fn fill(buf: &mut [u8]) -> bool {
        STATE.with(|s| {
            let Some(mut x) = s.get() else { return false };
            for b in buf.iter_mut() {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                *b = (x >> 24) as u8;
            }
            s.set(Some(x));
            true
        })
    }
}

macro_rules! hex_serde {
    ($t:ty) => {
        impl serde::Serialize for $t {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.to_hex())
            }
        }
    };
}
hex_serde!(DocId);
hex_serde!(PersonaId);
