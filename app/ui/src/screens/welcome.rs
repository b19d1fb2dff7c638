//! First run: what Rally is — personas that cannot be linked, everything on the
//! device and shared with people nearby, a server only if one wants it — then
//! the first persona.

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
            ul { class: "onboarding",
                li {
                    Icon { name: "wifi-off" }
                    div { strong { {t("onboarding-offline-title")} } p { {t("onboarding-offline")} } }
                }
                li {
                    Icon { name: "user-round" }
                    div { strong { {t("onboarding-personas-title")} } p { {t("onboarding-personas")} } }
                }
                li {
                    Icon { name: "globe" }
                    div { strong { {t("onboarding-server-title")} } p { {t("onboarding-server")} } }
                }
            }
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
