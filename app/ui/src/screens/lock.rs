//! The app lock: the lock screen a store sealed by a passphrase opens with,
//! and the settings card that seals it (with its rules: wipe after wrong
//! passphrases, a duress passphrase that wipes instead of opening).

use crate::prelude::*;

/// Asks for the passphrase; `on_open` once the store is open.
#[component]
pub fn LockScreen(on_open: EventHandler<()>) -> Element {
    let mut passphrase = use_signal(String::new);
    let mut error = use_signal(|| None::<String>);
    let mut busy = use_signal(|| false);
    let open = on_submit(move || async move {
        busy.set(true);
        let args = ipc::UnlockArgs {
            passphrase: passphrase(),
        };
        let opened = api::invoke::<cmd::Unlock>(&args).await;
        busy.set(false);
        passphrase.set(String::new());
        match opened {
            Ok(()) => {
                error.set(None);
                on_open.call(());
            }
            Err(e) => error.set(Some(e)),
        }
    });
    rsx! {
        main { id: "content", class: "lock-screen",
            form { class: "card", id: "unlock-form", onsubmit: open,
                h1 { {t("lock-title")} }
                p { {t("lock-help")} }
                label { r#for: "unlock-passphrase", {t("lock-passphrase")} }
                input {
                    id: "unlock-passphrase",
                    r#type: "password",
                    autocomplete: "current-password",
                    autofocus: true,
                    value: "{passphrase}",
                    oninput: move |e| passphrase.set(e.value()),
                }
                button { id: "unlock", r#type: "submit", class: "primary", disabled: busy(), {t("lock-open")} }
                if busy() { p { class: "muted", role: "status", {t("lock-opening")} } }
                if let Some(e) = error() { p { class: "error", role: "alert", "{e}" } }
            }
        }
    }
}

/// Where the key is kept, in words.
fn keeping_text(k: &ipc::KeyKeeping) -> String {
    match k {
        ipc::KeyKeeping::None => t("lock-keeping-none"),
        ipc::KeyKeeping::Keystore(name) => tv("lock-keeping-keystore", "keystore", name.clone()),
        ipc::KeyKeeping::Passphrase => t("lock-keeping-passphrase"),
        ipc::KeyKeeping::File => t("lock-keeping-file"),
    }
}

/// Seals the store's key by a passphrase, or puts it back in the keystore.
#[component]
pub fn LockCard() -> Element {
    let mut state = use_resource(|| async { api::invoke::<cmd::LockState>(&()).await });
    let mut passphrase = use_signal(String::new);
    let mut again = use_signal(String::new);
    let mut wipe_after = use_signal(String::new);
    let mut duress = use_signal(String::new);
    let mut lock_after = use_signal(|| "300".to_owned());
    let mut error = use_signal(|| None::<String>);
    let mut done = use_signal(|| None::<String>);
    let mut busy = use_signal(|| false);
    let save = on_submit(move || async move {
        if passphrase().is_empty() || passphrase() != again() {
            error.set(Some(t("lock-mismatch")));
            return;
        }
        busy.set(true);
        let change = ipc::LockChange::Set {
            passphrase: passphrase(),
            wipe_after: wipe_after().parse().ok(),
            duress: Some(duress()).filter(|d| !d.is_empty()),
            lock_after_hidden: lock_after().parse().ok(),
        };
        let r = api::invoke::<cmd::SetLock>(&change).await;
        busy.set(false);
        match r {
            Ok(_) => {
                passphrase.set(String::new());
                again.set(String::new());
                duress.set(String::new());
                error.set(None);
                done.set(Some(t("lock-set")));
                state.restart();
            }
            Err(e) => error.set(Some(e)),
        }
    });
    let current = state.read().clone().and_then(Result::ok);
    let sealed = current
        .as_ref()
        .is_some_and(|s| s.keeping == ipc::KeyKeeping::Passphrase);
    rsx! {
        form { class: "card", id: "lock-card", onsubmit: save,
            h2 { {t("lock-card-title")} }
            if let Some(s) = &current {
                p { id: "lock-keeping", {keeping_text(&s.keeping)} }
                if let Some(n) = s.wipe_after {
                    p { {tv("lock-wipes-after", "count", n)} }
                }
                if s.duress { p { {t("lock-duress-set")} } }
            }
            p { class: "muted", {t("lock-help-settings")} }
            label { r#for: "lock-passphrase", {t("lock-new-passphrase")} }
            input { id: "lock-passphrase", r#type: "password", autocomplete: "new-password",
                value: "{passphrase}", oninput: move |e| passphrase.set(e.value()) }
            label { r#for: "lock-again", {t("lock-again")} }
            input { id: "lock-again", r#type: "password", autocomplete: "new-password",
                value: "{again}", oninput: move |e| again.set(e.value()) }
            label { r#for: "lock-wipe-after", {t("lock-wipe-after")} }
            select { id: "lock-wipe-after", value: "{wipe_after}", onchange: move |e| wipe_after.set(e.value()),
                option { value: "", {t("lock-wipe-never")} }
                for n in [3u32, 5, 10] {
                    option { value: "{n}", {tv("lock-wipe-count", "count", n)} }
                }
            }
            label { r#for: "lock-after-hidden", {t("lock-after-hidden")} }
            select { id: "lock-after-hidden", value: "{lock_after}", onchange: move |e| lock_after.set(e.value()),
                option { value: "", {t("lock-after-never")} }
                option { value: "0", {t("lock-after-now")} }
                for m in [1u32, 5, 15] {
                    option { value: "{m * 60}", {tv("lock-after-minutes", "count", m)} }
                }
            }
            label { r#for: "lock-duress", {t("lock-duress")} }
            input { id: "lock-duress", r#type: "password", autocomplete: "off",
                "aria-describedby": "lock-duress-help",
                value: "{duress}", oninput: move |e| duress.set(e.value()) }
            p { id: "lock-duress-help", class: "muted", {t("lock-duress-help")} }
            button { id: "lock-save", r#type: "submit", class: "primary", disabled: busy(), {t("lock-save")} }
            if sealed {
                button {
                    id: "lock-now",
                    r#type: "button",
                    onclick: move |_| {
                        spawn(async move {
                            match api::invoke::<cmd::Lock>(&()).await {
                                Ok(()) => bump(),
                                Err(e) => error.set(Some(e)),
                            }
                        });
                    },
                    {t("lock-now")}
                }
                button {
                    id: "lock-remove",
                    r#type: "button",
                    disabled: busy(),
                    onclick: move |_| {
                        spawn(async move {
                            match api::invoke::<cmd::SetLock>(&ipc::LockChange::Remove).await {
                                Ok(_) => {
                                    done.set(Some(t("lock-removed")));
                                    state.restart();
                                }
                                Err(e) => error.set(Some(e)),
                            }
                        });
                    },
                    {t("lock-remove")}
                }
            }
            if let Some(d) = done() { p { class: "notice", role: "status", "{d}" } }
            if let Some(e) = error() { p { class: "error", role: "alert", "{e}" } }
        }
    }
}
