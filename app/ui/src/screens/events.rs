//! The events list: filters, search, and the cards, a page at a time.

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

/// Events read at a time.
const PAGE: u32 = 100;

#[component]
pub fn Events() -> Element {
    let revision = use_context::<Revision>().0;
    let mut filter = use_signal(|| ipc::EventFilter::Upcoming);
    let mut text = use_signal(String::new);
    // The first page follows the store live; "show more" appends the next
    // pages (read from where the list ended, however long it gets).
    let mut more = use_signal(Vec::<ipc::EventItem>::new);
    let mut exhausted = use_signal(|| false);
    // The map: shown or not, the box it shows now, and the box the list is
    // narrowed to ("events in this area").
    let mut show_map = use_signal(|| false);
    let mut bounds = use_signal(|| None::<[f64; 4]>);
    let mut area = use_signal(|| None::<[f64; 4]>);
    let list = use_resource(move || async move {
        let _ = revision();
        let args = ipc::EventsArgs {
            filter: filter(),
            area: area(),
            text: text(),
            limit: PAGE,
            after: None,
        };
        let first = api::invoke::<cmd::Events>(&args).await;
        if let Ok(items) = &first {
            exhausted.set(items.len() < PAGE as usize);
        }
        first
    });
    // A new filter or search starts from the top.
    use_effect(move || {
        let _ = (filter(), text(), area());
        more.write().clear();
    });
    let markers = use_resource(move || async move {
        let _ = revision();
        if !show_map() {
            return Vec::new();
        }
        let args = ipc::EventsArgs {
            filter: filter(),
            area: None,
            text: text(),
            limit: 0,
            after: None,
        };
        api::invoke::<cmd::MapEvents>(&args)
            .await
            .unwrap_or_default()
    });
    let show_more = move |_| async move {
        let last = more.peek().last().cloned().or_else(|| {
            list.peek()
                .as_ref()
                .and_then(|l| l.as_ref().ok())
                .and_then(|l| l.last().cloned())
        });
        let Some(last) = last else { return };
        let args = ipc::EventsArgs {
            filter: filter(),
            area: area(),
            text: text(),
            limit: PAGE,
            after: Some(last.cursor),
        };
        if let Ok(page) = api::invoke::<cmd::Events>(&args).await {
            exhausted.set(page.len() < PAGE as usize);
            more.write().extend(page);
        }
    };
    rsx! {
        section {
            SinceYouLooked {}
            div { class: "toolbar",
                input {
                    id: "search",
                    r#type: "search",
                    "aria-label": t("search-events"),
                    placeholder: t("search-events"),
                    // Not bound to `text`: a render that lags behind fast
                    // typing must not put back an older value.
                    oninput: move |e| text.set(e.value()),
                }
                button {
                    id: "show-map",
                    "aria-pressed": if show_map() { "true" } else { "false" },
                    onclick: move |_| show_map.set(!show_map()),
                    {t("map")}
                }
                button { id: "new-event", class: "primary", onclick: move |_| go(Screen::EditEvent(None)), {t("new-event")} }
            }
            if show_map() {
                MapView {
                    id: "events-map",
                    big: true,
                    spec: MapSpec { markers: markers.read().clone().unwrap_or_default(), fit: true, ..MapSpec::default() },
                    onmove: move |b| bounds.set(Some(b)),
                    onopen: move |id| go(Screen::Event(id)),
                }
                div { class: "map-tools",
                    button { id: "search-area", disabled: bounds().is_none(), onclick: move |_| area.set(bounds()), {t("events-in-this-area")} }
                    if area().is_some() {
                        button { id: "clear-area", class: "chip active", onclick: move |_| area.set(None), {t("everywhere")} " ×" }
                    }
                }
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
                Some(Ok(items)) => {
                    let mut ids = std::collections::HashSet::new();
                    let all: Vec<ipc::EventItem> = items
                        .iter()
                        .chain(more.read().iter())
                        .filter(|i| ids.insert(i.id.clone()))
                        .cloned()
                        .collect();
                    rsx! {
                        ul { class: "list", id: "event-list",
                            for item in all {
                                li { key: "{item.cursor}", EventCard { item } }
                            }
                        }
                        if !exhausted() {
                            button { id: "show-more", class: "more", onclick: show_more, {t("show-more")} }
                        }
                    }
                }
            }}
        }
    }
}
