//! Sync status: running, peers, the last complete sync.

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
        }
    }
}
