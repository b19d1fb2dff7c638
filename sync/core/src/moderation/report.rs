//! A report: someone tells a group's moderators (or their server's admins)
//! that an event, a comment, a group or a persona breaks the rules.
//!
//! To moderators, a report travels in the group's log, sealed with HPKE to
//! each admin and moderator of the group as the reporter's device knows them
//! ([`crate::sealed::Envelope::report`]), never to the persona reported: other
//! members, relays and servers hold only ciphertext.
//!
//! **Who reported is for the moderators alone.** An envelope's author is in
//! the clear, so a report's envelope is signed by a key made for it and
//! thrown away: the reported party, other members and relays see that someone
//! sent something to the moderators, never who, and two reports by one person
//! do not look alike. Inside the boxes, the reporter names itself and signs
//! the report together with that one-time key and the log ([`Sealed`]), so a
//! moderator knows who reported and nobody can put a report, or someone's
//! signature over one, in another envelope or another group's log. (A report
//! sealed before this form, with no reporter inside, names its envelope's
//! author, which was then the reporter.)

use serde::{Deserialize, Serialize};

use super::Reason;
use crate::ids::{DocId, PersonaId};
use crate::model::InvalidInput;
use crate::persona::Persona;

/// What a reporter signs: this context, the log, the envelope's one-time
/// author, then the report as sealed.
const PROOF_CONTEXT: &[u8] = b"rally/report/v1\0";

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

/// A report as sealed to the moderators: the report, who made it, and their
/// signature over it, its log and the one-time key that signs its envelope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Sealed {
    pub report: Report,
    pub reporter: [u8; 32],
    #[serde(with = "serde_bytes")]
    pub proof: Vec<u8>,
}

/// A report opened by a moderator, with who made it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Opened {
    pub reporter: PersonaId,
    pub report: Report,
}

fn proof_message(log: &[u8; 32], carrier: &[u8; 32], report: &Report) -> Vec<u8> {
    let mut msg = PROOF_CONTEXT.to_vec();
    msg.extend_from_slice(log);
    msg.extend_from_slice(carrier);
    msg.extend(postcard::to_allocvec(report).expect("reports serialise"));
    msg
}

impl Sealed {
    /// `report` by `reporter`, to travel in `log` in an envelope signed by
    /// `carrier`.
    pub(crate) fn new(
        log: &[u8; 32],
        carrier: &PersonaId,
        reporter: &Persona,
        report: &Report,
    ) -> Self {
        Sealed {
            report: report.clone(),
            reporter: reporter.id().0,
            proof: reporter
                .sign(&proof_message(log, &carrier.0, report))
                .to_vec(),
        }
    }

    /// The report and its reporter, if the reporter's signature holds for
    /// this log and this envelope's author (checked by the ZIP-215 rules, as
    /// every signature in Rally) and the report is well formed.
    pub(crate) fn open(self, log: &[u8; 32], carrier: &[u8; 32]) -> Option<Opened> {
        let key = ed25519_zebra::VerificationKey::try_from(self.reporter).ok()?;
        let proof: [u8; 64] = self.proof.as_slice().try_into().ok()?;
        key.verify(
            &ed25519_zebra::Signature::from_bytes(&proof),
            &proof_message(log, carrier, &self.report),
        )
        .ok()?;
        self.report.check().ok()?;
        Some(Opened {
            reporter: PersonaId(self.reporter),
            report: self.report,
        })
    }
}
