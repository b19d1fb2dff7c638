//! Icons: a few of Lucide's (ISC licence, `app/ui/icons/LICENSE`), bundled as
//! SVG in the app — never fetched. They take the text colour and are hidden
//! from screen readers: the text beside them says what they mean.

use crate::prelude::*;

/// The SVG of the icon `name` (an empty string for a name not bundled).
pub fn svg(name: &str) -> &'static str {
    match name {
        "arrow-left" => include_str!("../../icons/arrow-left.svg"),
        "bell" => include_str!("../../icons/bell.svg"),
        "calendar" => include_str!("../../icons/calendar.svg"),
        "calendar-plus" => include_str!("../../icons/calendar-plus.svg"),
        "check" => include_str!("../../icons/check.svg"),
        "clock" => include_str!("../../icons/clock.svg"),
        "globe" => include_str!("../../icons/globe.svg"),
        "lock" => include_str!("../../icons/lock.svg"),
        "log-out" => include_str!("../../icons/log-out.svg"),
        "map-pin" => include_str!("../../icons/map-pin.svg"),
        "message-circle" => include_str!("../../icons/message-circle.svg"),
        "pencil" => include_str!("../../icons/pencil.svg"),
        "plus" => include_str!("../../icons/plus.svg"),
        "refresh-cw" => include_str!("../../icons/refresh-cw.svg"),
        "search" => include_str!("../../icons/search.svg"),
        "settings" => include_str!("../../icons/settings.svg"),
        "share-2" => include_str!("../../icons/share-2.svg"),
        "user-round" => include_str!("../../icons/user-round.svg"),
        "users" => include_str!("../../icons/users.svg"),
        "wifi-off" => include_str!("../../icons/wifi-off.svg"),
        "x" => include_str!("../../icons/x.svg"),
        _ => "",
    }
}

#[component]
pub fn Icon(name: &'static str) -> Element {
    rsx! {
        span { class: "icon", "aria-hidden": "true", dangerous_inner_html: svg(name) }
    }
}
