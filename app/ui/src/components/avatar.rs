//! A persona's avatar: its own picture when it set one, else its initials on a
//! colour picked from its name, so the same persona looks the same everywhere.
//! Decorative (the name is always written beside it), so screen readers skip
//! it.

use crate::prelude::*;

/// Background colours that keep white initials above 4.5:1 (WCAG AA).
const COLOURS: [&str; 6] = [
    "#2f5d50", "#7a3b69", "#1f5a8a", "#8a4b12", "#4b5320", "#5b4a8a",
];

/// Up to two initials: the first letter of the first two words.
pub fn initials(name: &str) -> String {
    name.split_whitespace()
        .filter_map(|w| w.chars().next())
        .take(2)
        .flat_map(char::to_uppercase)
        .collect()
}

#[component]
pub fn Avatar(name: String, #[props(default)] picture: Option<ipc::PictureRef>) -> Element {
    if let Some(picture) = picture {
        return rsx! {
            span { class: "avatar avatar-picture", "aria-hidden": "true",
                Picture { picture, class: "avatar-img", decorative: true }
            }
        };
    }
    let hash = name
        .bytes()
        .fold(0u32, |h, b| h.wrapping_mul(31).wrapping_add(u32::from(b)));
    let colour = COLOURS[hash as usize % COLOURS.len()];
    rsx! {
        span { class: "avatar", "aria-hidden": "true", style: "background: {colour}", {initials(&name)} }
    }
}
