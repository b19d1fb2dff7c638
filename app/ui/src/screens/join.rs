//! An invitation opened from a link (`rally://invite/…`, a QR code, or the
//! server's `https://…/invite#…`): nothing happens until the person confirms,
//! as whom they join is said first.

use crate::prelude::*;

#[component]
pub fn JoinScreen(token: String) -> Element {
    let mut error = use_signal(|| None::<String>);
    let state = use_resource(|| api::invoke::<cmd::State>(&()));
    let persona = state
        .read()
        .as_ref()
        .and_then(|s| s.as_ref().ok())
        .and_then(|s| {
            s.personas
                .iter()
                .find(|p| p.current)
                .map(|p| p.name.clone())
        })
        .unwrap_or_default();
    let join = move |_| {
        let token = token.clone();
        async move {
            match api::invoke::<cmd::JoinGroup>(&ipc::TokenArgs { token }).await {
                Ok(now) => {
                    toast(t(if now {
                        "joined"
                    } else {
                        "you-will-join-as-soon-as"
                    }));
                    go_tab(Screen::Groups);
                }
                Err(e) => error.set(Some(e)),
            }
        }
    };
    rsx! {
        section {
            h1 { {t("invitation")} }
            if let Some(e) = error() { p { class: "error", role: "alert", "{e}" } }
            Confirm {
                title: t("join-this-group"),
                text: tv("you-will-join-as", "persona", persona),
                yes: t("join"),
                no: t("not-now"),
                on_yes: join,
                on_no: move |_| back(),
            }
        }
    }
}
