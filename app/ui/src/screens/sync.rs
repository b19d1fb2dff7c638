//! Sync status: running, peers, the last complete sync; pairing with another
//! device by QR code (this device's code, and scanning or pasting the other's).

use crate::prelude::*;

#[component]
pub fn SyncScreen() -> Element {
    let revision = use_context::<Revision>().0;
    let mut tick = use_signal(|| 0u32);
    use_hook(move || {
        spawn(async move {
            loop {
                api::sleep_ms(2000).await;
                tick += 1;
            }
        });
    });
    let status = use_resource(move || async move {
        let _ = (revision(), tick());
        api::invoke::<cmd::SyncStatus>(&()).await
    });
    rsx! {
        section {
            h1 { {t("sync")} }
            {match &*status.read() {
                None => rsx! { p { class: "muted", {t("loading")} } },
                Some(Err(e)) => rsx! { p { class: "error", role: "alert", "{e}" } },
                Some(Ok(s)) => rsx! {
                    p { strong { if s.running { {t("running")} } else { {t("stopped")} } } }
                    if let Some(e) = &s.error { p { class: "error", role: "alert", "{e}" } }
                    h2 { {t("connected-peers")} }
                    if s.peers.is_empty() {
                        div { class: "card help", role: "note",
                            p { strong { {t("nobody-nearby-right-now")} } }
                            ul {
                                li { {t("sync-help-wifi")} }
                                li { {t("sync-help-isolation")} }
                                if s.server.is_none() { li { {t("sync-help-server")} } }
                            }
                        }
                    }
                    ul { for peer in s.peers.iter() { li { code { "{peer.persona}" } } } }
                    p { {t("last-complete-sync")} ": " {s.last_sync.clone().unwrap_or_else(|| t("never").to_owned())} }
                    p { {t("documents-on-their-way")} ": {s.pending}" }
                    if let Some(server) = &s.server { p { {t("server")} ": " code { class: "token", "{server}" } } }
                    h2 { {t("listening-on")} }
                    ul { for a in s.listening.iter() { li { code { class: "token", "{a}" } } } }
                },
            }}
            PairingCard { tick: tick() }
        }
    }
}

/// This device's pairing QR code and text; scanning (phones) or pasting
/// (desktop) another device's.
#[component]
fn PairingCard(tick: u32) -> Element {
    let mine = use_resource(move || async move {
        let _ = tick;
        api::invoke::<cmd::Pairing>(&()).await
    });
    let mut pasted = use_signal(String::new);
    let mut outcome = use_signal(|| None::<Result<usize, String>>);
    let pair = move |text: String| async move {
        let result = api::invoke::<cmd::Pair>(&ipc::PairArgs { text }).await;
        if result.is_ok() {
            pasted.set(String::new());
        }
        outcome.set(Some(result));
    };
    rsx! {
        div { class: "card pairing", id: "pairing",
            h2 { {t("pair-title")} }
            p { class: "muted", {t("pair-help")} }
            {match &*mine.read() {
                Some(Ok(Some(p))) => rsx! {
                    div { class: "qr", role: "img", aria_label: t("pair-qr-label"),
                        dangerous_inner_html: "{p.qr_svg}" }
                    details {
                        summary { {t("pair-show-text")} }
                        code { id: "pair-code", class: "token", "{p.text}" }
                    }
                },
                Some(Err(e)) => rsx! { p { class: "error", role: "alert", "{e}" } },
                _ => rsx! { p { class: "muted", {t("pair-not-yet")} } },
            }}
            h3 { {t("pair-with")} }
            if api::is_phone() {
                button {
                    id: "scan",
                    class: "primary",
                    onclick: move |_| async move {
                        match api::scan_qr().await {
                            Ok(Some(text)) => pair(text).await,
                            Ok(None) => {}
                            Err(e) => outcome.set(Some(Err(e))),
                        }
                    },
                    {t("pair-scan")}
                }
            }
            form {
                onsubmit: on_submit(move || pair(pasted())),
                label { r#for: "pair-text", {t("pair-paste")} }
                textarea {
                    id: "pair-text",
                    rows: "3",
                    spellcheck: "false",
                    autocomplete: "off",
                    value: "{pasted}",
                    oninput: move |e| pasted.set(e.value()),
                }
                button { id: "pair", r#type: "submit", disabled: pasted().trim().is_empty(),
                    {t("pair-button")} }
            }
            {match outcome() {
                Some(Ok(n)) => rsx! { p { id: "pair-status", role: "status", {tv("pair-dialling", "count", n)} } },
                Some(Err(e)) => rsx! { p { id: "pair-status", class: "error", role: "alert", "{e}" } },
                None => rsx! {},
            }}
        }
    }
}
