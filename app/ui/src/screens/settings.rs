//! Settings: language, theme, server, the calendar feed, reminders, maps and
//! addresses, the lock, what the device keeps, the panic wipe.

use crate::prelude::*;

#[component]
pub fn SettingsScreen() -> Element {
    let mut language = use_context::<Language>().0;
    let mut server = use_signal(String::new);
    let mut invite = use_signal(String::new);
    let mut error = use_signal(|| None::<String>);
    let mut saved = use_signal(|| false);
    let mut theme = use_signal(Theme::saved);
    use_hook(move || {
        spawn(async move {
            if let Ok(s) = api::invoke::<cmd::SyncStatus>(&()).await {
                server.set(s.server.unwrap_or_default());
            }
        });
    });
    let save = on_submit(move || async move {
        let args = ipc::ServerArgs {
            address: server(),
            invite: invite(),
        };
        match api::invoke::<cmd::SetServer>(&args).await {
            Ok(()) => {
                saved.set(true);
                error.set(None);
            }
            Err(e) => error.set(Some(e)),
        }
    });
    rsx! {
        section {
            h1 { {t("settings")} }
            label { r#for: "language", {t("language")} }
            select {
                id: "language",
                value: language().code(),
                onchange: move |e| {
                    let l = if e.value() == "fr" { Lang::Fr } else { Lang::En };
                    l.remember();
                    spawn(async move {
                        let _ = api::invoke::<cmd::SetLanguage>(&l.ipc()).await;
                        language.set(l);
                        bump();
                    });
                },
                option { value: "en", "English" }
                option { value: "fr", "Français" }
            }
            label { r#for: "theme", {t("theme")} }
            select {
                id: "theme",
                value: theme().code(),
                onchange: move |e| {
                    let chosen = Theme::parse(&e.value());
                    chosen.apply();
                    theme.set(chosen);
                },
                for th in Theme::ALL {
                    option { value: th.code(), selected: th == theme(), {t(th.label())} }
                }
            }
            form { class: "card", onsubmit: save,
                h2 { {t("server")} }
                label { r#for: "server", {t("server-address")} }
                input { id: "server", value: "{server}", placeholder: "/ip4/…/udp/4001/quic-v1/p2p/12D3…", oninput: move |e| server.set(e.value()) }
                label { r#for: "server-invite", {t("invitation-code-if-the-server-asks")} }
                input { id: "server-invite", value: "{invite}", oninput: move |e| invite.set(e.value()) }
                button { r#type: "submit", class: "primary", {t("save")} }
                if saved() { p { class: "notice", role: "status", {t("saved")} } }
                if let Some(e) = error() { p { class: "error", role: "alert", "{e}" } }
                ServerRules {}
            }
            CalendarFeedCard {}
            RemindersCard {}
            MapSettingsForm {}
            LockCard {}
            RetentionCard {}
            WipeCard {}
        }
    }
}

/// The rules of the servers this device syncs with, as each told it when it
/// admitted the persona.
#[component]
fn ServerRules() -> Element {
    let revision = use_context::<Revision>().0;
    let policies = use_resource(move || async move {
        let _ = revision();
        api::invoke::<cmd::ServerPolicies>(&())
            .await
            .unwrap_or_default()
    });
    let list = policies.read().clone().unwrap_or_default();
    rsx! {
        for p in list.into_iter() {
            section { class: "server-rules", "aria-labelledby": "rules-{p.server}",
                h3 { id: "rules-{p.server}", {t("server-rules")} }
                div { class: "rules", dangerous_inner_html: "{p.rules_html}" }
                if !p.contact.is_empty() {
                    p { {t("server-contact")} ": " "{p.contact}" }
                }
            }
        }
    }
}

/// Panic wipe: one button, one confirmation.
#[component]
fn WipeCard() -> Element {
    let mut asking = use_signal(|| false);
    let mut error = use_signal(|| None::<String>);
    rsx! {
        div { class: "card", id: "wipe-card",
            h2 { {t("wipe-title")} }
            p { {t("wipe-help")} }
            button { id: "wipe", class: "danger", onclick: move |_| asking.set(true), {t("wipe-button")} }
            if let Some(e) = error() { p { class: "error", role: "alert", "{e}" } }
            if asking() {
                Confirm {
                    title: t("wipe-confirm-title"),
                    text: t("wipe-confirm-text"),
                    yes: t("wipe-yes"),
                    no: t("cancel"),
                    danger: true,
                    on_yes: move |_| {
                        asking.set(false);
                        spawn(async move {
                            if let Err(e) = api::invoke::<cmd::Wipe>(&ipc::WipeArgs { yes: true }).await {
                                error.set(Some(e));
                            }
                        });
                    },
                    on_no: move |_| asking.set(false),
                }
            }
        }
    }
}
