//! The header: who is speaking, and the screens — a bar along the top on wide
//! screens, along the bottom (icons over labels) on narrow ones (`style.css`).

use crate::prelude::*;

#[component]
pub fn Header(current: String) -> Element {
    let nav = use_context::<Nav>().0;
    let tab = |screen: Screen, label: &'static str, icon: &'static str| {
        let active = std::mem::discriminant(&nav()) == std::mem::discriminant(&screen);
        rsx! {
            button {
                class: if active { "tab active" } else { "tab" },
                "aria-current": if active { "page" } else { "false" },
                onclick: move |_| go_tab(screen.clone()),
                Icon { name: icon }
                span { class: "tab-label", {t(label)} }
            }
        }
    };
    rsx! {
        header {
            div { class: "brand",
                span { class: "logo", "Rally" }
                button {
                    class: "persona",
                    title: t("personas"),
                    onclick: move |_| go_tab(Screen::Personas),
                    "{current}"
                }
            }
            nav { "aria-label": "Rally",
                {tab(Screen::Events, "events", "calendar")}
                {tab(Screen::Groups, "groups", "users")}
                {tab(Screen::Personas, "personas", "user-round")}
                {tab(Screen::Sync, "sync", "refresh-cw")}
                {tab(Screen::Settings, "settings", "settings")}
            }
        }
    }
}
