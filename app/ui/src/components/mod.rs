//! Pieces shared by the screens.

mod event_card;
mod header;
mod icon;

pub use event_card::*;
pub use header::*;
pub use icon::*;
