//! A document's reference to a picture: the blobs of its two sizes (by SHA-256,
//! kept beside the documents, see `rally-picture` and the store's `blobs`), their
//! dimensions and the alt text that describes it to screen readers.
//!
//! In a document the reference is one string (`details.banner` of an event), so
//! two organisers who set different banners at once end up with one of them
//! whole, never the hash of one and the alt text of the other.

use std::fmt;
use std::str::FromStr;

use serde::Serialize;

/// The most characters of alt text.
pub const MAX_ALT: usize = 1_000;
/// The largest blob a reference may name (a size of a cleaned picture; it
/// fits in one sealed envelope of a group log).
pub const MAX_BLOB_BYTES: u32 = 240 * 1024;
/// The longest side a referenced size may have.
pub const MAX_PICTURE_SIDE: u32 = 4_096;

/// A blob's address: the SHA-256 of its bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct BlobHash(pub [u8; 32]);

impl fmt::Display for BlobHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(self.0))
    }
}

impl FromStr for BlobHash {
    type Err = hex::FromHexError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut out = [0u8; 32];
        hex::decode_to_slice(s, &mut out)?;
        Ok(BlobHash(out))
    }
}

impl Serialize for BlobHash {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// The address of `bytes`.
pub fn blob_hash(bytes: &[u8]) -> BlobHash {
    use sha2::Digest;
    BlobHash(sha2::Sha256::digest(bytes).into())
}

/// A picture as a document refers to it. Only JPEG (what the cleaner makes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Picture {
    /// The page size (at most 1 280 pixels on its longest side).
    pub hash: BlobHash,
    pub width: u32,
    pub height: u32,
    /// The page size's bytes.
    pub size: u32,
    /// The card size (at most 480 pixels); the same blob as `hash` for a small
    /// picture.
    pub card: BlobHash,
    pub card_width: u32,
    pub card_height: u32,
    pub alt: String,
}

impl Picture {
    pub const MEDIA_TYPE: &'static str = "image/jpeg";

    /// The blobs it names (one or two).
    pub fn blobs(&self) -> Vec<BlobHash> {
        if self.card == self.hash {
            vec![self.hash]
        } else {
            vec![self.hash, self.card]
        }
    }

    /// How it is kept in a document: `p1;HASH;WxH;SIZE;CARD;WxH;ALT`.
    pub fn encode(&self) -> String {
        format!(
            "p1;{};{}x{};{};{};{}x{};{}",
            self.hash,
            self.width,
            self.height,
            self.size,
            self.card,
            self.card_width,
            self.card_height,
            self.alt
        )
    }

    /// Reads [`Picture::encode`]'s form; `None` if anything is out of bounds.
    pub fn decode(s: &str) -> Option<Picture> {
        let mut parts = s.splitn(7, ';');
        if parts.next()? != "p1" {
            return None;
        }
        let hash = parts.next()?.parse().ok()?;
        let (width, height) = dims(parts.next()?)?;
        let size: u32 = parts.next()?.parse().ok()?;
        let card = parts.next()?.parse().ok()?;
        let (card_width, card_height) = dims(parts.next()?)?;
        let alt = parts.next()?.to_owned();
        let p = Picture {
            hash,
            width,
            height,
            size,
            card,
            card_width,
            card_height,
            alt,
        };
        p.is_valid().then_some(p)
    }

    pub fn is_valid(&self) -> bool {
        let side = |w: u32, h: u32| {
            (1..=MAX_PICTURE_SIDE).contains(&w) && (1..=MAX_PICTURE_SIDE).contains(&h)
        };
        side(self.width, self.height)
            && side(self.card_width, self.card_height)
            && (1..=MAX_BLOB_BYTES).contains(&self.size)
            && self.alt.chars().count() <= MAX_ALT
            && !self.alt.chars().any(char::is_control)
    }
}

impl Serialize for Picture {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut m = s.serialize_struct("Picture", 9)?;
        m.serialize_field("hash", &self.hash)?;
        m.serialize_field("media_type", Self::MEDIA_TYPE)?;
        m.serialize_field("width", &self.width)?;
        m.serialize_field("height", &self.height)?;
        m.serialize_field("size", &self.size)?;
        m.serialize_field("card", &self.card)?;
        m.serialize_field("card_width", &self.card_width)?;
        m.serialize_field("card_height", &self.card_height)?;
        m.serialize_field("alt", &self.alt)?;
        m.end()
    }
}

fn dims(s: &str) -> Option<(u32, u32)> {
    let (w, h) = s.split_once('x')?;
    Some((w.parse().ok()?, h.parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Picture {
        Picture {
            hash: BlobHash([1; 32]),
            width: 1280,
            height: 853,
            size: 120_000,
            card: BlobHash([2; 32]),
            card_width: 480,
            card_height: 320,
            alt: "A crowd; banners; a bike".into(),
        }
    }

    #[test]
    fn a_reference_reads_back_as_written() {
        let p = sample();
        assert_eq!(Picture::decode(&p.encode()), Some(p.clone()));
        assert_eq!(p.blobs().len(), 2);
    }

    #[test]
    fn malformed_references_read_as_none() {
        let p = sample();
        for bad in [
            String::new(),
            "p2;".to_owned() + &p.encode()[3..],
            p.encode().replace("1280x853", "0x853"),
            p.encode().replace("1280x853", "9000x853"),
            p.encode().replace(";120000;", ";999999999;"),
            p.encode().replace(";120000;", ";-1;"),
            format!("{}\u{7}", p.encode()),
            p.encode()[..40].to_owned(),
        ] {
            assert_eq!(Picture::decode(&bad), None, "{bad}");
        }
        let long = Picture {
            alt: "a".repeat(MAX_ALT + 1),
            ..p
        };
        assert_eq!(Picture::decode(&long.encode()), None);
    }
}
