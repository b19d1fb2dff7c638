//! Rally's use cases, written once: creating and editing events, answering them,
//! commenting, running groups, invitations, the chat, following, bundles. The
//! `rally` CLI, the app's commands and the server's federation code are thin
//! adapters over this crate.
//!
//! How the parts connect:
//! - a [`Service`] owns one [`Store`] (one SQLite connection) and the acting
//!   persona; each use case is a method taking typed input and returning typed
//!   output, and each write is **one transaction**, even when it touches several
//!   documents (an event and the group that lists it);
//! - [`lookup`] resolves what people type (id prefixes, persona names, comment and
//!   invitation prefixes) once for every front end;
//! - [`events`], [`occurrences`], [`groups`], [`personas`], [`messages`], [`bundles`] hold the use
//!   cases, and [`copies`] those of a server keeping read-only copies of events
//!   from the Fediverse; what the Fediverse sees of a document is
//!   [`rally_core::publication`]'s rule;
//! - [`Handle`] runs a value on its own thread ([`ServiceHandle`]: a `Service`),
//!   so async code (the app's commands, the server) awaits results instead of
//!   waiting on SQLite on an async worker or the UI thread.

pub mod at_rest;
pub mod bundles;
pub mod copies;
pub mod discover;
pub mod events;
pub mod groups;
pub mod handle;
pub mod keystore;
pub mod lookup;
pub mod maps;
pub mod messages;
pub mod moderation;
pub mod news;
pub mod occurrences;
pub mod personas;
pub mod pictures;
pub mod policies;
pub mod private_feed;
pub mod reminders;
pub mod reports;
pub mod retention;
pub mod wipe;

use std::path::Path;

use rally_core::jiff::Timestamp;
use rally_store::{LocalPersona, Store, StoreError};

pub use handle::{Handle, ServiceHandle};
pub use rally_store;

/// Why a use case failed, in plain words; nothing was written.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error(transparent)]
    Store(Box<StoreError>),
    #[error(transparent)]
    Edit(Box<rally_core::EditError>),
    #[error(transparent)]
    Input(#[from] rally_core::InvalidInput),
    #[error(transparent)]
    Invite(#[from] rally_core::invite::InviteError),
    #[error(transparent)]
    Bundle(#[from] rally_core::bundle::BundleError),
    #[error("create a persona first")]
    NoPersona,
    #[error("no persona named {0:?} on this device")]
    UnknownPersona(String),
    #[error("no persona {0:?} here (give a name or the start of a persona id)")]
    NoSuchPersona(String),
    #[error("{0:?} matches several personas; give more of the id")]
    AmbiguousPersona(String),
    #[error("no comment {0:?} on this event")]
    NoSuchComment(String),
    #[error("{0:?} matches several comments; give more of the id")]
    AmbiguousComment(String),
    #[error("no single invitation starts with {0:?}")]
    NoSuchInvitation(String),
    #[error("only the group's admins and moderators create its events")]
    NotGroupModerator,
    #[error("only the group's admins and moderators read its reports")]
    NotReportReader,
    #[error("{0} is required")]
    Missing(&'static str),
    #[error("the group has no admin or moderator to receive it (besides whom it is about)")]
    NoModerator,
    #[error("the service has stopped")]
    Stopped,
    #[error(transparent)]
    Picture(#[from] rally_picture::PictureError),
    #[error("it has no picture")]
    NoPicture,
    #[error("no picture {0} here (give a picture's full SHA-256, as `event show` prints it)")]
    NoSuchPicture(String),
    #[error("picture {0} has not arrived yet: it comes with the next sync with a peer that has it")]
    PictureNotArrived(String),
    #[error("the event has no place on the map, route or points to keep")]
    NothingOnTheMap,
    #[error("the event does not repeat (give it a rule with --repeat first)")]
    NotASeries,
    #[error(
        "an occurrence changes only its title, description, times, place, online link or status; edit the series for the rest"
    )]
    SeriesOnly,
    #[error("no single forgotten event starts with {0:?} (see `rally store forgotten`)")]
    NotForgotten(String),
}

// Boxed: both are large, and every `Result` of the service carries its error.
impl From<StoreError> for ServiceError {
    fn from(e: StoreError) -> Self {
        ServiceError::Store(Box::new(e))
    }
}

impl From<rally_core::EditError> for ServiceError {
    fn from(e: rally_core::EditError) -> Self {
        ServiceError::Edit(Box::new(e))
    }
}

pub type Result<T, E = ServiceError> = std::result::Result<T, E>;

/// Where "now" comes from: the system clock, or a fixed instant (tests, and a
/// CLI run, which acts at one instant).
#[derive(Debug, Clone, Copy, Default)]
pub enum Clock {
    #[default]
    System,
    Fixed(Timestamp),
}

/// Whom the use cases act as.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Acting {
    /// The persona used last (the app; the CLI without `--as`).
    LastUsed,
    /// A persona by name, recorded as used last when it acts (`--as NAME`).
    Named(String),
    /// On a server: the persona kept for a remote actor (`persona`), shown in the
    /// documents it writes under the actor's own `name`.
    Remote { persona: String, name: String },
}

/// Rally's use cases on one store, acting as one persona of it.
#[derive(Debug)]
pub struct Service {
    store: Store,
    acting: Acting,
    clock: Clock,
    /// Transactions open (a use case run inside another's joins its transaction).
    depth: u32,
}

impl Service {
    /// Opens (or creates) the store in `dir`.
    pub fn open(dir: &Path) -> Result<Service> {
        Ok(Service::new(Store::open(dir)?))
    }

    pub fn new(store: Store) -> Service {
        Service {
            store,
            acting: Acting::LastUsed,
            clock: Clock::System,
            depth: 0,
        }
    }

    /// Acts as the persona named `name` from now on (`None`: the one used last).
    pub fn act_as(&mut self, name: Option<String>) {
        self.acting = name.map_or(Acting::LastUsed, Acting::Named);
    }

    /// On a server: acts for a remote actor through the persona kept for it
    /// (`persona`, see [`Service::proxy_persona`]), named `name` in what it writes.
    pub fn act_for_remote(&mut self, persona: &str, name: &str) {
        self.acting = Acting::Remote {
            persona: persona.to_owned(),
            name: name.to_owned(),
        };
    }

    pub fn set_clock(&mut self, clock: Clock) {
        self.clock = clock;
    }

    pub fn now(&self) -> Timestamp {
        match self.clock {
            Clock::System => Timestamp::now(),
            Clock::Fixed(t) => t,
        }
    }

    /// The store, for reads no use case covers yet and for the sync node.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The store, for adapters whose writes are not use cases here yet (the
    /// server's inbox writes as remote actors' proxies).
    pub fn store_mut(&mut self) -> &mut Store {
        &mut self.store
    }

    pub fn into_store(self) -> Store {
        self.store
    }

    /// The acting persona without recording its use (reads).
    pub fn acting(&self) -> Result<Option<LocalPersona>> {
        let named = |name: &str| {
            self.store
                .persona(name)?
                .ok_or_else(|| ServiceError::UnknownPersona(name.to_owned()))
        };
        Ok(match &self.acting {
            Acting::LastUsed => self.store.last_used_persona()?,
            Acting::Named(name) => Some(named(name)?),
            Acting::Remote { persona, name } => Some(LocalPersona {
                name: name.clone(),
                ..named(persona)?
            }),
        })
    }

    /// The acting persona, recorded as used last (within the caller's transaction).
    fn me(&mut self) -> Result<LocalPersona> {
        let p = self.acting()?.ok_or(ServiceError::NoPersona)?;
        if let Acting::Named(_) = self.acting {
            self.store.touch_persona(&p, self.now())?;
        }
        Ok(p)
    }

    /// The shape of most use cases: in one transaction, as the acting persona,
    /// `f` acts on the document of `kind` that `text` names (an id or its start).
    fn act_on<T>(
        &mut self,
        text: &str,
        kind: rally_core::DocKind,
        f: impl FnOnce(&mut Service, &LocalPersona, rally_core::DocId, Timestamp) -> Result<T>,
    ) -> Result<T> {
        let now = self.now();
        self.transaction(|s| {
            let me = s.me()?;
            let id = s.resolve(text, kind)?;
            f(s, &me, id, now)
        })
    }

    /// Runs `f` as one transaction: everything it writes is committed together,
    /// or nothing is (on an error, or a crash before the commit).
    /// A use case called inside another's transaction joins it.
    pub fn transaction<T>(&mut self, f: impl FnOnce(&mut Service) -> Result<T>) -> Result<T> {
        if self.depth > 0 {
            return f(self);
        }
        self.store.begin_batch()?;
        self.depth += 1;
        let outcome = f(self);
        self.depth -= 1;
        match outcome {
            Ok(v) => {
                self.store.commit_batch()?;
                Ok(v)
            }
            Err(e) => {
                self.store.abort_batch();
                Err(e)
            }
        }
    }
}

#[cfg(test)]
mod tests;
