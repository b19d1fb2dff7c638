//! A group's disappearing-messages timer, above its chat: everyone sees it;
//! admins set it (off, an hour, a day, a week). Messages sent afterwards
//! disappear from every member's device on time.

use crate::prelude::*;

fn label(d: ipc::Disappearing) -> String {
    match d {
        ipc::Disappearing::Hour => t("one-hour"),
        ipc::Disappearing::Day => t("one-day"),
        ipc::Disappearing::Week => t("one-week"),
    }
}

/// Each choice's value in the form.
const VALUES: [(Option<ipc::Disappearing>, &str); 4] = [
    (None, "off"),
    (Some(ipc::Disappearing::Hour), "hour"),
    (Some(ipc::Disappearing::Day), "day"),
    (Some(ipc::Disappearing::Week), "week"),
];

fn value(d: Option<ipc::Disappearing>) -> &'static str {
    VALUES
        .iter()
        .find(|(v, _)| *v == d)
        .map_or("off", |(_, s)| s)
}

#[component]
pub fn ChatTimer(group: String, timer: Option<ipc::Disappearing>, admin: bool) -> Element {
    let mut error = use_signal(|| None::<String>);
    let change = move |e: Event<FormData>| {
        let group = group.clone();
        let timer = ipc::Disappearing::ALL
            .into_iter()
            .find(|d| value(Some(*d)) == e.value());
        async move {
            let args = ipc::DisappearingArgs { group, timer };
            match api::invoke::<cmd::SetDisappearing>(&args).await {
                Ok(()) => {
                    error.set(None);
                    bump();
                }
                Err(err) => error.set(Some(err)),
            }
        }
    };
    rsx! {
        if let Some(d) = timer {
            p { id: "chat-timer", class: "muted",
                Icon { name: "clock" }
                " " {tv("messages-disappear-after", "time", label(d))}
            }
        }
        if admin {
            div { class: "field",
                label { r#for: "disappearing", {t("disappearing-messages")} }
                select { id: "disappearing", value: value(timer), onchange: change,
                    option { value: "off", selected: timer.is_none(), {t("off")} }
                    for d in ipc::Disappearing::ALL {
                        option { value: value(Some(d)), selected: timer == Some(d), {label(d)} }
                    }
                }
            }
        }
        if let Some(e) = error() { p { class: "error", role: "alert", "{e}" } }
    }
}
