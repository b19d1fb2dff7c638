//! Disappearing messages: how long a group's chat items last.
//!
//! An admin sets the group's timer (`profile.disappearing`, in seconds, in the
//! group's document, so every member's device reads the same one). A chat
//! item sent while it is set is sealed with its expiry — the author's clock
//! plus the timer — in the detachable form ([`crate::sealed::detachable`]);
//! every holder drops its body at that time by its own clock (members also
//! drop the opened message), offline too. Items sent before the timer was set
//! keep lasting; the group's documents never expire.

use automerge::hydrate::Value;
use automerge::{ROOT, ScalarValue};
use serde::{Deserialize, Serialize};

use crate::model::read::{get, opt_int};
use crate::model::{InvalidInput, SchemaError};

/// How long a group's messages last, in seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Disappearing(pub i64);

impl Disappearing {
    pub const HOUR: Disappearing = Disappearing(3_600);
    pub const DAY: Disappearing = Disappearing(86_400);
    pub const WEEK: Disappearing = Disappearing(7 * 86_400);
    /// The timers a user picks from (the group's document accepts any within
    /// [`Disappearing::is_valid`], for later versions' sake).
    pub const CHOICES: [Disappearing; 3] = [Self::HOUR, Self::DAY, Self::WEEK];

    /// From a minute to a year.
    pub fn is_valid(self) -> bool {
        (60..=366 * 86_400).contains(&self.0)
    }

    /// `1h`, `1d`, `1w`, or the seconds for any other.
    pub fn label(self) -> String {
        match self {
            Self::HOUR => "1h".into(),
            Self::DAY => "1d".into(),
            Self::WEEK => "1w".into(),
            Disappearing(s) => format!("{s}s"),
        }
    }

    /// `1h`, `1d`, `1w` or `off` (`None`).
    pub fn parse(label: &str) -> Result<Option<Disappearing>, InvalidInput> {
        match label.trim() {
            "1h" => Ok(Some(Self::HOUR)),
            "1d" => Ok(Some(Self::DAY)),
            "1w" => Ok(Some(Self::WEEK)),
            "off" => Ok(None),
            other => Err(InvalidInput::Keyword {
                what: "disappearing time",
                got: other.to_owned(),
                expected: "1h, 1d, 1w, off".into(),
            }),
        }
    }

    /// When an item sent at `sent_ms` (Unix milliseconds) expires.
    pub fn expiry(self, sent_ms: i64) -> i64 {
        sent_ms.saturating_add(self.0.saturating_mul(1000))
    }
}

/// Reads the timer from a group document's root.
pub(crate) fn parse(root: &Value) -> Result<Option<Disappearing>, SchemaError> {
    let Some(profile) = get(root, "profile") else {
        return Ok(None);
    };
    let Some(secs) = opt_int(profile, "disappearing", "/profile")? else {
        return Ok(None);
    };
    let d = Disappearing(secs);
    if !d.is_valid() {
        return Err(SchemaError {
            path: "/profile/disappearing".into(),
        });
    }
    Ok(Some(d))
}

/// Writes (or removes) the timer in a group document's profile.
pub(crate) fn write(
    tx: &mut crate::edit::Tx<'_>,
    timer: Option<Disappearing>,
) -> Result<(), automerge::AutomergeError> {
    let profile = crate::edit::child_map(tx, &ROOT, "profile")?;
    crate::edit::put_opt(
        tx,
        &profile,
        "disappearing",
        timer.map(|d| ScalarValue::Int(d.0)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_read_back() {
        for d in Disappearing::CHOICES {
            assert_eq!(Disappearing::parse(&d.label()).unwrap(), Some(d));
            assert!(d.is_valid());
        }
        assert_eq!(Disappearing::parse("off").unwrap(), None);
        assert!(Disappearing::parse("2h").is_err());
        assert!(!Disappearing(0).is_valid());
        assert_eq!(Disappearing::HOUR.expiry(1_000), 3_601_000);
    }
}
