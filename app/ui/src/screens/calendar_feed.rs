//! The persona's private calendar feed, in the settings: its secret address
//! on the persona's server (for a calendar app to subscribe to), shown on
//! request, and a new address when the old one was shared by mistake.

use crate::prelude::*;

#[component]
pub fn CalendarFeedCard() -> Element {
    let mut feed = use_signal(|| None::<ipc::CalendarFeed>);
    let mut error = use_signal(|| None::<String>);
    let mut was_reset = use_signal(|| false);
    let ask = move |reset: bool| {
        spawn(async move {
            match api::invoke::<cmd::CalendarFeed>(&ipc::FeedArgs { reset }).await {
                Ok(f) => {
                    feed.set(Some(f));
                    was_reset.set(reset);
                    error.set(None);
                }
                Err(e) => error.set(Some(e)),
            }
        });
    };
    rsx! {
        section { class: "card", id: "calendar-feed",
            h2 { {t("calendar-feed")} }
            p { class: "meta", {t("calendar-feed-help")} }
            if let Some(f) = feed() {
                label { r#for: "feed-ics", {t("calendar-feed-address")} }
                input { id: "feed-ics", readonly: true, value: "{f.ics}" }
                label { r#for: "feed-atom", {t("calendar-feed-news")} }
                input { id: "feed-atom", readonly: true, value: "{f.atom}" }
                if was_reset() { p { class: "notice", role: "status", {t("calendar-feed-was-reset")} } }
                button { id: "feed-reset", r#type: "button", onclick: move |_| ask(true), {t("calendar-feed-reset")} }
            } else {
                button { id: "feed-show", r#type: "button", class: "primary", onclick: move |_| ask(false), {t("calendar-feed-show")} }
            }
            if let Some(e) = error() { p { class: "error", role: "alert", "{e}" } }
        }
    }
}
