//! First run: what Rally is, and the first persona.

use crate::prelude::*;

#[component]
pub fn Welcome() -> Element {
    let mut name = use_signal(String::new);
    let mut error = use_signal(|| None::<String>);
    let create = on_submit(move || async move {
        let args = ipc::NameArgs { name: name() };
        match api::invoke::<cmd::CreatePersona>(&args).await {
            Ok(()) => bump(),
            Err(e) => error.set(Some(e)),
        }
    });
    rsx! {
        section { class: "welcome card",
            h1 { {t("welcome-to-rally")} }
            p { {t("your-events-and-groups-stay-on")} }
            p { {t("choose-a-name-for-your-first")} }
            form {
                onsubmit: create,
                label { r#for: "persona-name", {t("name")} }
                input {
                    id: "persona-name",
                    value: "{name}",
                    autofocus: true,
                    oninput: move |e| name.set(e.value()),
                }
                button { r#type: "submit", id: "create-persona", class: "primary", {t("create")} }
            }
            if let Some(e) = error() { p { class: "error", role: "alert", "{e}" } }
        }
    }
}
