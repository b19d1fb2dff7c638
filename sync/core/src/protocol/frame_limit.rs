//! The largest frame a node sends and accepts, and the sizes the session splits
//! its messages into under it.
//!
//! It is [`MAX_MESSAGE`] unless a node is configured with a smaller one (the
//! end-to-end suite syncs stores many times larger than a small limit, which is
//! how it checks that announcements, acknowledgements, changes and routes are all
//! split). The transport refuses a frame over its own limit, so peers use the same
//! limit, or the receiver a larger one.

use std::fmt;
use std::str::FromStr;

use super::message::MAX_MESSAGE;
use crate::sealed::MAX_ENVELOPE;
use crate::signed::MAX_CHANGE_BYTES;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameLimit(usize);

/// A frame limit outside [`FrameLimit::MIN`]..=[`MAX_MESSAGE`], or not a number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "a frame limit is a number of bytes from {} to {}",
    FrameLimit::MIN,
    MAX_MESSAGE
)]
pub struct FrameLimitError;

impl FrameLimit {
    /// The smallest limit: the largest single change or sealed envelope a peer
    /// accepts still fits in a frame of its own, with room to spare for its
    /// signature and the message around it (and a `Route` of
    /// [`MAX_ROUTE`](super::MAX_ROUTE) personas fits in half of it).
    pub const MIN: usize = if MAX_CHANGE_BYTES > MAX_ENVELOPE {
        MAX_CHANGE_BYTES
    } else {
        MAX_ENVELOPE
    } + 64 * 1024;

    pub fn new(bytes: usize) -> Result<FrameLimit, FrameLimitError> {
        if (Self::MIN..=MAX_MESSAGE).contains(&bytes) {
            Ok(FrameLimit(bytes))
        } else {
            Err(FrameLimitError)
        }
    }

    pub fn bytes(self) -> usize {
        self.0
    }

    /// `Heads` are split into messages of about this many bytes at most.
    pub fn heads_chunk(self) -> usize {
        self.0 / 16
    }

    /// `Changes` are split into messages of about this many bytes at most; a
    /// single larger change goes alone.
    pub fn changes_chunk(self) -> usize {
        self.0 / 8
    }
}

// A `Route` of the most personas fits in half the smallest frame.
const _: () = assert!(super::MAX_ROUTE * 34 < FrameLimit::MIN / 2);

impl Default for FrameLimit {
    fn default() -> Self {
        FrameLimit(MAX_MESSAGE)
    }
}

impl fmt::Display for FrameLimit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl FromStr for FrameLimit {
    type Err = FrameLimitError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        FrameLimit::new(s.trim().parse().map_err(|_| FrameLimitError)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::{CHANGES_CHUNK, HEADS_CHUNK};

    #[test]
    fn the_default_limit_keeps_the_default_chunks() {
        let d = FrameLimit::default();
        assert_eq!(d.bytes(), MAX_MESSAGE);
        assert_eq!(d.heads_chunk(), HEADS_CHUNK);
        assert_eq!(d.changes_chunk(), CHANGES_CHUNK);
    }

    #[test]
    fn limits_outside_the_range_are_refused() {
        assert_eq!("327680".parse::<FrameLimit>().unwrap().bytes(), 327_680);
        for bad in ["327679", "0", "-1", "4194305", "lots", ""] {
            assert_eq!(bad.parse::<FrameLimit>(), Err(FrameLimitError), "{bad}");
        }
    }
}
