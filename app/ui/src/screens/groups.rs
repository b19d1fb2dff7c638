//! The groups list, joining by token, creating a group.

use crate::prelude::*;

#[component]
pub fn Groups() -> Element {
    let revision = use_context::<Revision>().0;
    let list = use_resource(move || async move {
        let _ = revision();
        api::invoke::<cmd::Groups>(&()).await
    });
    let mut name = use_signal(String::new);
    let mut summary = use_signal(String::new);
    let mut members_only = use_signal(|| false);
    let mut token = use_signal(String::new);
    let mut error = use_signal(|| None::<String>);
    let mut notice = use_signal(|| None::<&'static str>);
    let create = on_submit(move || async move {
        let args = ipc::NewGroup {
            name: name(),
            summary: summary(),
            members_only: members_only(),
        };
        match api::invoke::<cmd::CreateGroup>(&args).await {
            Ok(id) => go(Screen::Group(id)),
            Err(e) => error.set(Some(e)),
        }
    });
    let join = on_submit(move || async move {
        match api::invoke::<cmd::JoinGroup>(&ipc::TokenArgs { token: token() }).await {
            Ok(now) => {
                token.set(String::new());
                error.set(None);
                notice.set(Some(if now {
                    "joined"
                } else {
                    "you-will-join-as-soon-as"
                }));
            }
            Err(e) => error.set(Some(e)),
        }
    });
    rsx! {
        section {
            h1 { {t("groups")} }
            {match &*list.read() {
                None => rsx! { p { class: "muted", {t("loading")} } },
                Some(Err(e)) => rsx! { p { class: "error", role: "alert", "{e}" } },
                Some(Ok(items)) => rsx! {
                    ul { class: "list", id: "group-list",
                        for (target, g) in items.iter().map(|g| (g.id.clone(), g.clone())) {
                            li { key: "{g.id}",
                                button { class: "item", onclick: move |_| go(Screen::Group(target.clone())),
                                    if let Some(avatar) = g.avatar.clone() {
                                        Picture { picture: avatar, class: "list-avatar" }
                                    }
                                    span { class: "title", "{g.name}"
                                        if g.unread > 0 {
                                            span { class: "count", {tv("unread-messages", "count", g.unread)} }
                                        }
                                    }
                                    span { class: "meta", {tv("group-members", "count", g.members)}
                                        if g.members_only { " · " {t("members-only")} }
                                        if let Some(role) = &g.my_role { " · {role}" }
                                    }
                                }
                            }
                        }
                    }
                },
            }}
            if let Some(e) = error() { p { class: "error", role: "alert", "{e}" } }
            if let Some(n) = notice() { p { class: "notice", role: "status", {t(n)} } }
            form { class: "card", onsubmit: join,
                h2 { {t("join-a-group-with-a-token")} }
                label { r#for: "join-token", {t("invitation-token")} }
                input { id: "join-token", value: "{token}", oninput: move |e| token.set(e.value()) }
                button { r#type: "submit", class: "primary", {t("join")} }
            }
            form { class: "card", onsubmit: create,
                h2 { {t("create-a-group")} }
                label { r#for: "group-name", {t("name")} }
                input { id: "group-name", value: "{name}", oninput: move |e| name.set(e.value()) }
                label { r#for: "group-summary", {t("summary")} }
                input { id: "group-summary", value: "{summary}", oninput: move |e| summary.set(e.value()) }
                label { class: "check",
                    input { r#type: "checkbox", checked: members_only(), onchange: move |e| members_only.set(e.checked()) }
                    {t("members-only")}
                }
                button { r#type: "submit", class: "primary", {t("create")} }
            }
        }
    }
}
