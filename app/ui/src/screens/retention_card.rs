//! Less on the device, in the settings: how many months of events this device
//! keeps (all, or the last 3, 6, 12 or 24), the events it forgot — nothing is
//! left of them but when they ended — and "fetch again" for each, which asks
//! every peer for it at the next sync.

use crate::prelude::*;

/// The choices offered (`None`: every event).
const CHOICES: [Option<u32>; 5] = [None, Some(3), Some(6), Some(12), Some(24)];

fn label(months: Option<u32>) -> String {
    match months {
        None => t("keep-all"),
        Some(m) => tv("keep-months-choice", "count", m),
    }
}

#[component]
pub fn RetentionCard() -> Element {
    let mut state = use_signal(|| None::<ipc::Retention>);
    let mut error = use_signal(|| None::<String>);
    let mut asked = use_signal(|| false);
    use_hook(move || {
        spawn(async move {
            match api::invoke::<cmd::Retention>(&()).await {
                Ok(r) => state.set(Some(r)),
                Err(e) => error.set(Some(e)),
            }
        });
    });
    let change = move |e: Event<FormData>| {
        let months = e.value().parse::<u32>().ok();
        spawn(async move {
            match api::invoke::<cmd::SetKeepMonths>(&ipc::KeepMonths { months }).await {
                Ok(r) => {
                    state.set(Some(r));
                    error.set(None);
                    bump();
                }
                Err(e) => error.set(Some(e)),
            }
        });
    };
    let fetch = move |id: String| {
        spawn(async move {
            match api::invoke::<cmd::FetchAgain>(&ipc::IdArgs { id }).await {
                Ok(()) => {
                    asked.set(true);
                    if let Ok(r) = api::invoke::<cmd::Retention>(&()).await {
                        state.set(Some(r));
                    }
                }
                Err(e) => error.set(Some(e)),
            }
        });
    };
    rsx! {
        section { class: "card", id: "retention",
            h2 { {t("keep-title")} }
            p { class: "meta", {t("keep-help")} }
            if let Some(r) = state() {
                div { class: "field",
                    label { r#for: "keep-months", {t("keep-events")} }
                    select { id: "keep-months", onchange: change,
                        for c in CHOICES {
                            option {
                                value: c.map_or("all".to_owned(), |m| m.to_string()),
                                selected: r.keep_months == c,
                                {label(c)}
                            }
                        }
                    }
                }
                if !r.forgotten.is_empty() {
                    p { id: "forgotten-count", {tv("forgotten-count", "count", r.forgotten.len())} }
                    ul { id: "forgotten", class: "list",
                        for f in r.forgotten.iter().cloned() {
                            li { key: "{f.id}",
                                span { {tv("forgotten-ended", "date", f.ended.clone())} " " }
                                button {
                                    class: "fetch-again",
                                    onclick: move |_| fetch(f.id.clone()),
                                    {t("fetch-again")}
                                }
                            }
                        }
                    }
                }
                if asked() { p { class: "notice", role: "status", {t("fetch-again-asked")} } }
            }
            if let Some(e) = error() { p { class: "error", role: "alert", "{e}" } }
        }
    }
}
