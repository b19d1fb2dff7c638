//! Pieces shared by the screens.

mod avatar;
mod chat_timer;
mod confirm;
mod event_card;
mod header;
mod icon;
mod map;
mod news;
mod occurrence_form;
mod occurrences;
mod older_messages;
mod picture;
mod picture_editor;
mod repeat_form;
mod report_form;

pub use avatar::*;
pub use chat_timer::*;
pub use confirm::*;
pub use event_card::*;
pub use header::*;
pub use icon::*;
pub use map::*;
pub use news::*;
pub use occurrence_form::*;
pub use occurrences::*;
pub use older_messages::*;
pub use picture::*;
pub use picture_editor::*;
pub use repeat_form::*;
pub use report_form::*;
