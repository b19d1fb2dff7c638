//! Personas: switch in one click, create another.

use crate::prelude::*;

#[component]
pub fn Personas(state: ipc::AppState) -> Element {
    let mut name = use_signal(String::new);
    let mut error = use_signal(|| None::<String>);
    let create = on_submit(move || async move {
        match api::invoke::<cmd::CreatePersona>(&ipc::NameArgs { name: name() }).await {
            Ok(()) => {
                name.set(String::new());
                bump();
            }
            Err(e) => error.set(Some(e)),
        }
    });
    rsx! {
        section {
            h1 { {t("personas")} }
            ul { class: "list",
                for (target, persona) in state.personas.iter().map(|p| (p.id.clone(), p.clone())) {
                    li { key: "{persona.id}", class: "persona-row",
                        Avatar { name: persona.name.clone(), picture: persona.avatar.clone() }
                        div {
                            strong { "{persona.name}" }
                            p { class: "meta",
                                if persona.groups.is_empty() { {t("no-group")} } else { {tv("persona-in-groups", "groups", persona.groups.join(", "))} }
                            }
                        }
                        if persona.current {
                            span { class: "badge", {t("current")} }
                        } else {
                            button {
                                onclick: move |_| {
                                    let id = target.clone();
                                    async move {
                                        match api::invoke::<cmd::SwitchPersona>(&ipc::IdArgs { id }).await {
                                            Ok(()) => bump(),
                                            Err(e) => error.set(Some(e)),
                                        }
                                    }
                                },
                                {t("switch")}
                            }
                        }
                    }
                }
            }
            if let Some(me) = state.personas.iter().find(|p| p.current) {
                PictureEditor { key: "{me.id}", of: ipc::PictureOf::Persona, id: me.id.clone(), current: me.avatar.clone() }
            }
            form { class: "card", onsubmit: create,
                h2 { {t("new-persona")} }
                label { r#for: "new-persona", {t("name")} }
                input { id: "new-persona", value: "{name}", oninput: move |e| name.set(e.value()) }
                button { r#type: "submit", class: "primary", {t("create")} }
            }
            if let Some(e) = error() { p { class: "error", role: "alert", "{e}" } }
        }
    }
}
