//! Rally's engine core: the domain model, signed automerge documents and the rule
//! that decides which changes are allowed. No IO: time comes in as arguments, and
//! the only outside resource touched is the operating system's random source.
//!
//! How the parts connect:
//! - [`persona`] holds key pairs and derives automerge actor ids from them;
//! - [`model`] defines events and groups, validates input and reads typed views out
//!   of a document's state;
//! - [`edit`] writes that layout into automerge transactions;
//! - [`signed`] wraps each automerge change with its author's signature;
//! - [`rules`] judges a change by its effect in its causal past;
//! - [`document`] is the gate all changes, local and remote, go through;
//! - [`protocol`] is the sync protocol, sans IO, over a [`protocol::Repo`];
//! - [`moderation`] reads a group's bans and moderation log, and hides what a
//!   banned persona wrote in the group's events;
//! - [`recurrence`] expands a series' rule into occurrences, exceptions applied;
//! - [`access`] says who may read a document;
//! - [`sealed`] is the group log: envelopes, key epochs and grants (members-only
//!   content and the chat, encrypted end to end);
//! - [`publication`] says what a server publishes on the Fediverse;
//! - [`text`] renders Markdown to sanitised HTML and HTML from elsewhere to text;
//! - [`invite`], [`bundle`] and the protocol's messages are the wire formats the core owns.
//!
//! The store (`rally-store`) persists documents and indexes them; transports hand
//! received [`SignedChange`]s to [`Document::receive`].

pub mod access;
pub mod bundle;
pub mod disappearing;
pub mod document;
mod edit;
pub mod ids;
mod incremental;
pub mod invite;
pub mod march_map;
pub mod model;
pub mod moderation;
pub mod persona;
pub mod picture;
pub mod private_feed;
pub mod protocol;
pub mod publication;
pub mod recurrence;
pub mod rules;
pub mod sealed;
pub mod signed;
pub mod text;

pub use automerge::ChangeHash;
pub use document::{Document, EditError, LoadError, Receipt};
pub use ids::{DocId, PersonaId};
pub use invite::{InvitationProof, InviteError, InviteToken};
pub use jiff;
pub use model::*;
pub use persona::Persona;
pub use recurrence::{Exceptions, Occurrence, OccurrencePatch, Repeat};
pub use rules::Rejection;
pub use signed::SignedChange;

#[cfg(test)]
mod tests;
