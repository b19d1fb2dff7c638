//! Pieces shared by the screens.

mod avatar;
mod banner_editor;
mod confirm;
mod event_card;
mod header;
mod icon;
mod news;
mod picture;

pub use avatar::*;
pub use banner_editor::*;
pub use confirm::*;
pub use event_card::*;
pub use header::*;
pub use icon::*;
pub use news::*;
pub use picture::*;
