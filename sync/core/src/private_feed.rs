//! A persona's private calendar feed: the events it joined or follows, at a
//! secret URL on its server that a calendar app subscribes to. The device asks
//! for the URL, or for a new one (the old one then stops working), with a
//! request the persona signs, so only the persona can get or reset it:
//!
//! - the server (`rally-server`, `POST /feeds/private`) checks the signature,
//!   that the request names this server's host and that it was made within
//!   [`MAX_SKEW_SECS`] of its clock, and answers [`FeedUrls`];
//! - the device (`rally feed`, the app's settings) signs with the persona's key
//!   and sends it through `rally-webclient`.
//!
//! The signature covers a context, the host, the persona, the action and the
//! time, so a request for one server or one moment is good for no other.

use serde::{Deserialize, Serialize};

use crate::ids::PersonaId;
use crate::persona::Persona;

/// How far the request's time may be from the server's clock.
pub const MAX_SKEW_SECS: i64 = 300;

const CONTEXT: &[u8] = b"rally/private-feed/v1\0";

/// What the persona asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FeedAction {
    /// The feed's URL (the same until it is reset).
    Get,
    /// A new URL; the old one stops working.
    Reset,
}

impl FeedAction {
    fn word(self) -> &'static str {
        match self {
            FeedAction::Get => "get",
            FeedAction::Reset => "reset",
        }
    }
}

/// The signed request, as JSON on the wire.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeedRequest {
    /// The persona, in hex.
    pub persona: String,
    pub action: FeedAction,
    /// The server's host (with its port, if any), as in its public URL.
    pub host: String,
    /// When it was made (Unix seconds).
    pub at: i64,
    /// Ed25519 over the context, host, persona, action and time, in hex.
    pub signature: String,
}

/// The feed's addresses, as the server answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeedUrls {
    /// iCalendar (RFC 5545), for calendar apps.
    pub ics: String,
    /// Atom, for news readers.
    pub atom: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FeedRequestError {
    #[error("the request does not name a persona")]
    BadPersona,
    #[error("the request is for {0}, not this server")]
    OtherServer(String),
    #[error("the request's time is more than five minutes from the server's clock")]
    Stale,
    #[error("the request's signature does not match its persona")]
    BadSignature,
}

fn message(host: &str, persona: &PersonaId, action: FeedAction, at: i64) -> Vec<u8> {
    let mut m = CONTEXT.to_vec();
    m.extend_from_slice(host.as_bytes());
    m.push(0);
    m.extend_from_slice(&persona.0);
    m.extend_from_slice(action.word().as_bytes());
    m.push(0);
    m.extend_from_slice(&at.to_be_bytes());
    m
}

impl FeedRequest {
    /// The request `persona` signs to `action` its feed on the server `host`.
    pub fn sign(persona: &Persona, action: FeedAction, host: &str, at: i64) -> FeedRequest {
        let id = persona.id();
        FeedRequest {
            persona: id.to_hex(),
            action,
            host: host.to_owned(),
            at,
            signature: hex::encode(persona.sign(&message(host, &id, action, at))),
        }
    }

    /// The persona, if the request is for `host`, made near `now` and signed
    /// by the persona it names.
    pub fn verify(&self, host: &str, now: i64) -> Result<PersonaId, FeedRequestError> {
        let persona: PersonaId = self
            .persona
            .parse()
            .map_err(|_| FeedRequestError::BadPersona)?;
        if !self.host.eq_ignore_ascii_case(host) {
            return Err(FeedRequestError::OtherServer(self.host.clone()));
        }
        if (now - self.at).abs() > MAX_SKEW_SECS {
            return Err(FeedRequestError::Stale);
        }
        let key = persona
            .verifying_key()
            .ok_or(FeedRequestError::BadPersona)?;
        let signature: [u8; 64] = hex::decode(&self.signature)
            .ok()
            .and_then(|s| s.try_into().ok())
            .ok_or(FeedRequestError::BadSignature)?;
        let signature = ed25519_dalek::Signature::from_bytes(&signature);
        key.verify_strict(
            &message(&self.host, &persona, self.action, self.at),
            &signature,
        )
        .map_err(|_| FeedRequestError::BadSignature)?;
        Ok(persona)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_persona_for_this_server_and_now_is_believed() {
        let ana = Persona::generate();
        let now = 1_800_000_000;
        let r = FeedRequest::sign(&ana, FeedAction::Reset, "rally.example", now);
        assert_eq!(r.verify("rally.example", now + 10), Ok(ana.id()));
        assert_eq!(r.verify("RALLY.example", now - 299), Ok(ana.id()));
        // Round trip through JSON, as on the wire.
        let wire: FeedRequest = serde_json::from_str(&serde_json::to_string(&r).unwrap()).unwrap();
        assert_eq!(wire.verify("rally.example", now), Ok(ana.id()));
        assert!(
            serde_json::to_string(&r)
                .unwrap()
                .contains("\"action\":\"reset\"")
        );

        assert_eq!(
            r.verify("other.example", now),
            Err(FeedRequestError::OtherServer("rally.example".into()))
        );
        assert_eq!(
            r.verify("rally.example", now + 301),
            Err(FeedRequestError::Stale)
        );
        // Anything changed after signing breaks the signature.
        for tampered in [
            FeedRequest {
                action: FeedAction::Get,
                ..r.clone()
            },
            FeedRequest {
                at: now + 1,
                ..r.clone()
            },
            FeedRequest {
                persona: Persona::generate().id().to_hex(),
                ..r.clone()
            },
            FeedRequest {
                signature: "00".repeat(64),
                ..r.clone()
            },
            FeedRequest {
                signature: "zz".into(),
                ..r.clone()
            },
        ] {
            assert_eq!(
                tampered.verify("rally.example", now),
                Err(FeedRequestError::BadSignature),
                "{tampered:?}"
            );
        }
        let bob = FeedRequest {
            persona: "not hex".into(),
            ..r.clone()
        };
        assert_eq!(
            bob.verify("rally.example", now),
            Err(FeedRequestError::BadPersona)
        );
        // Signed for one host, shown to another that shares the name's prefix.
        let other = FeedRequest::sign(&ana, FeedAction::Get, "rally.example.evil", now);
        assert!(other.verify("rally.example", now).is_err());
    }
}
