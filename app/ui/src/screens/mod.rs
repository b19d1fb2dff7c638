//! The screens, one per file; `main.rs` picks one from the navigation state.

mod calendar_feed;
mod event_form;
mod event_map;
mod event_page;
mod events;
mod group_moderation;
mod group_page;
mod groups;
mod join;
mod lock;
mod map_settings;
mod personas;
mod place_search;
mod reminders_card;
mod retention_card;
mod settings;
mod sync;
mod welcome;

pub use calendar_feed::*;
pub use event_form::*;
pub use event_map::*;
pub use event_page::*;
pub use events::*;
pub use group_moderation::*;
pub use group_page::*;
pub use groups::*;
pub use join::*;
pub use lock::*;
pub use map_settings::*;
pub use personas::*;
pub use place_search::*;
pub use reminders_card::*;
pub use retention_card::*;
pub use settings::*;
pub use sync::*;
pub use welcome::*;
