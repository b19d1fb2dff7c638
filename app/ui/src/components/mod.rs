//! Pieces shared by the screens.

mod confirm;
mod event_card;
mod header;
mod icon;
mod news;

pub use confirm::*;
pub use event_card::*;
pub use header::*;
pub use icon::*;
pub use news::*;
