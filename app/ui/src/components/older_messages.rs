//! Above a group's chat on a device that keeps only recent months: how many
//! older messages it forgot, and a button that asks peers for them again (they
//! come back with the next sync and stay).

use crate::prelude::*;

#[component]
pub fn OlderMessages(group: String, count: u32) -> Element {
    let mut asked = use_signal(|| false);
    let mut error = use_signal(|| None::<String>);
    let fetch = move |_| {
        let id = group.clone();
        async move {
            match api::invoke::<cmd::FetchOlder>(&ipc::IdArgs { id }).await {
                Ok(()) => asked.set(true),
                Err(e) => error.set(Some(e)),
            }
        }
    };
    rsx! {
        div { class: "older-messages",
            p { id: "older-forgotten", class: "muted", {tv("older-forgotten", "count", count)} }
            if asked() {
                p { class: "notice", role: "status", {t("fetch-older-asked")} }
            } else {
                button { id: "fetch-older", onclick: fetch, {t("fetch-older")} }
            }
            if let Some(e) = error() { p { class: "error", role: "alert", "{e}" } }
        }
    }
}
