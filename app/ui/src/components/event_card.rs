//! An event in a list: a date badge, the title, when, where, which group, how
//! many are going, whether it is cancelled, and what is new on it since the
//! persona last opened it.

use crate::prelude::*;

#[component]
pub fn EventCard(item: ipc::EventItem) -> Element {
    let target = item.id.clone();
    let cancelled = item.status == ipc::EventStatus::Cancelled;
    rsx! {
        button {
            class: if cancelled { "item event-item cancelled" } else { "item event-item" },
            "data-id": "{item.id}",
            onclick: move |_| go(Screen::Event(target.clone())),
            span { class: "date-badge", "aria-hidden": "true",
                span { class: "month", "{item.month}" }
                span { class: "day", "{item.day}" }
            }
            if let Some(banner) = item.banner.clone() {
                Picture { picture: banner, class: "card-picture" }
            }
            span { class: "card-body",
                span { class: "title", "{item.title}"
                    if item.news > 0 {
                        span { class: "count", {tv("news-count", "count", item.news)} }
                    }
                }
                span { class: "meta", "{item.when}" }
                if let Some(place) = &item.place {
                    span { class: "meta", Icon { name: "map-pin" } " {place}" }
                }
                span { class: "meta",
                    if let Some(group) = &item.group { Icon { name: "users" } " {group} · " }
                    {tv("going-count", "count", item.going)}
                    if cancelled { " · " strong { {t("cancelled")} } }
                    if item.full && !cancelled { " · " strong { {t("full")} } }
                }
            }
        }
    }
}
