//! The events list: filters, search, and the cards.

use crate::prelude::*;

pub fn filter_label(f: ipc::EventFilter) -> &'static str {
    match f {
        ipc::EventFilter::Upcoming => "upcoming",
        ipc::EventFilter::Mine => "mine",
        ipc::EventFilter::MyGroups => "my-groups",
        ipc::EventFilter::Followed => "followed",
        ipc::EventFilter::All => "all",
        ipc::EventFilter::Discover => "discover",
    }
}

#[component]
pub fn Events() -> Element {
    let revision = use_context::<Revision>().0;
    let mut filter = use_signal(|| ipc::EventFilter::Upcoming);
    let mut text = use_signal(String::new);
    let list = use_resource(move || async move {
        let _ = revision();
        let args = ipc::EventsArgs {
            filter: filter(),
            text: text(),
        };
        api::invoke::<cmd::Events>(&args).await
    });
    rsx! {
        section {
            SinceYouLooked {}
            div { class: "toolbar",
                input {
                    id: "search",
                    r#type: "search",
                    "aria-label": t("search-events"),
                    placeholder: t("search-events"),
                    value: "{text}",
                    oninput: move |e| text.set(e.value()),
                }
                button { id: "new-event", class: "primary", onclick: move |_| go(Screen::EditEvent(None)), {t("new-event")} }
            }
            div { class: "filters", role: "tablist",
                for f in [ipc::EventFilter::Upcoming, ipc::EventFilter::Mine, ipc::EventFilter::MyGroups, ipc::EventFilter::Followed, ipc::EventFilter::Discover, ipc::EventFilter::All] {
                    button {
                        role: "tab",
                        "aria-selected": if filter() == f { "true" } else { "false" },
                        class: if filter() == f { "chip active" } else { "chip" },
                        onclick: move |_| filter.set(f),
                        {t(filter_label(f))}
                    }
                }
            }
            {match &*list.read() {
                None => rsx! { p { class: "muted", {t("loading")} } },
                Some(Err(e)) => rsx! { p { class: "error", role: "alert", "{e}" } },
                Some(Ok(items)) if items.is_empty() && filter() == ipc::EventFilter::Discover => rsx! { p { class: "muted", {t("no-public-events-to-discover-yet")} } },
                Some(Ok(items)) if items.is_empty() => rsx! { p { class: "muted", {t("no-events-here-yet")} } },
                Some(Ok(items)) => rsx! {
                    ul { class: "list", id: "event-list",
                        for item in items.iter().cloned() {
                            li { key: "{item.id}", EventCard { item } }
                        }
                    }
                },
            }}
        }
    }
}
