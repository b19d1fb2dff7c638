//! The header: who is speaking, and the screens — a bar along the top on wide
//! screens, along the bottom (icons over labels) on narrow ones (`style.css`).

use crate::prelude::*;

#[component]
pub fn Header(current: String, news: ipc::News) -> Element {
    let nav = use_context::<Nav>().0;
    // A count on a tab: what is new there (said in words to screen readers).
    let counts = [
        (
            std::mem::discriminant(&Screen::Events),
            news.event_news(),
            "new-on-events",
        ),
        (
            std::mem::discriminant(&Screen::Groups),
            news.unread_messages(),
            "unread-messages",
        ),
    ];
    let tab = |screen: Screen, label: &'static str, icon: &'static str| {
        let active = std::mem::discriminant(&nav()) == std::mem::discriminant(&screen);
        let count = counts
            .iter()
            .find(|(d, n, _)| *d == std::mem::discriminant(&screen) && *n > 0)
            .map(|(_, n, id)| (*n, tv(id, "count", *n)));
        rsx! {
            button {
                class: if active { "tab active" } else { "tab" },
                "aria-current": if active { "page" } else { "false" },
                onclick: move |_| go_tab(screen.clone()),
                Icon { name: icon }
                span { class: "tab-label", {t(label)} }
                if let Some((n, words)) = count {
                    span { class: "count", "aria-label": "{words}", title: "{words}", "{n}" }
                }
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
