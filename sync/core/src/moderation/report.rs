//! A report: someone tells a group's moderators (or their server's admins)
//! that an event, a comment, a group or a persona breaks the rules.
//!
//! To moderators, a report travels in the group's log, sealed with HPKE to
//! each admin and moderator of the group as the reporter's device knows them
//! ([`crate::sealed::Envelope::report`]), never to the persona reported: other
//! members, relays and servers hold only ciphertext. The envelope's author is
//! the reporter, in the clear like every envelope's (metadata, see
//! `ARCHITECTURE.md`), so the reported party can tell that someone it may
//! know sent something to the moderators, never what.

use serde::{Deserialize, Serialize};

use super::Reason;
use crate::ids::{DocId, PersonaId};
use crate::model::InvalidInput;

/// The longest text a report carries, in characters.
pub const MAX_REPORT_CHARS: usize = 4_000;

/// What is reported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Target {
    Event([u8; 32]),
    /// An event's comment, by its id.
    Comment([u8; 32], String),
    Group([u8; 32]),
    Persona([u8; 32]),
}

impl Target {
    /// The persona it is about, when it names one directly.
    pub fn persona(&self) -> Option<PersonaId> {
        match self {
            Target::Persona(p) => Some(PersonaId(*p)),
            _ => None,
        }
    }

    /// `event`, `comment`, `group` or `persona`.
    pub fn kind(&self) -> &'static str {
        match self {
            Target::Event(_) => "event",
            Target::Comment(..) => "comment",
            Target::Group(_) => "group",
            Target::Persona(_) => "persona",
        }
    }

    /// Its id as people write it: a document or persona id, or `event/comment`.
    pub fn id(&self) -> String {
        match self {
            Target::Event(d) | Target::Group(d) => DocId(*d).to_hex(),
            Target::Comment(d, c) => format!("{}/{c}", DocId(*d).to_hex()),
            Target::Persona(p) => PersonaId(*p).to_hex(),
        }
    }
}

/// A report as sealed (its id is its envelope's hash).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    /// The group whose moderators receive it (a box opened for another group's
    /// log is refused).
    pub group: [u8; 32],
    pub target: Target,
    /// A [`Reason`]'s keyword.
    pub reason: String,
    pub text: String,
    /// The reporter's clock, seconds.
    pub at: i64,
}

impl Report {
    pub fn new(group: DocId, target: Target, reason: Reason, text: &str, at: i64) -> Self {
        Report {
            group: group.0,
            target,
            reason: reason.as_str().to_owned(),
            text: text.trim().to_owned(),
            at,
        }
    }

    pub fn reason(&self) -> Option<Reason> {
        self.reason.parse().ok()
    }

    /// Checks what a hostile reporter could bend: the reason, the text's
    /// length, a comment id's length.
    pub fn check(&self) -> Result<(), InvalidInput> {
        self.reason
            .parse::<Reason>()
            .map_err(|_| InvalidInput::Empty("reason"))?;
        let len = self.text.chars().count();
        if len > MAX_REPORT_CHARS {
            return Err(InvalidInput::TooLong {
                what: "report",
                len,
                max: MAX_REPORT_CHARS,
            });
        }
        if let Target::Comment(_, c) = &self.target
            && (c.is_empty() || c.len() > 64)
        {
            return Err(InvalidInput::Empty("comment id"));
        }
        Ok(())
    }
}
