//! Settings for maps and addresses: who answers address searches (the user's
//! server by default, so the provider sees the server; a provider asked
//! directly, which sees the person; or no one, the offline gazetteer), and a
//! tile server of the user's own choosing (shown only: its terms about keeping
//! maps offline are unknown).

use crate::prelude::*;

#[component]
pub fn MapSettingsForm() -> Element {
    let mut settings = use_signal(|| None::<ipc::MapSettings>);
    let mut error = use_signal(|| None::<String>);
    let mut saved = use_signal(|| false);
    use_hook(move || {
        spawn(async move {
            if let Ok(s) = api::invoke::<cmd::MapSettings>(&()).await {
                settings.set(Some(s));
            }
        });
    });
    let save = on_submit(move || async move {
        let Some(args) = settings() else { return };
        match api::invoke::<cmd::SetMapSettings>(&args).await {
            Ok(()) => {
                saved.set(true);
                error.set(None);
            }
            Err(e) => error.set(Some(e)),
        }
    });
    let Some(s) = settings() else {
        return rsx! {};
    };
    let mut edit = move |f: &dyn Fn(&mut ipc::MapSettings)| {
        if let Some(s) = settings.write().as_mut() {
            f(s);
        }
        saved.set(false);
    };
    rsx! {
        form { class: "card", id: "map-settings", onsubmit: save,
            h2 { {t("maps-and-addresses")} }
            label { r#for: "geocoder-mode", {t("address-search")} }
            select {
                id: "geocoder-mode",
                value: s.geocoder.as_str(),
                onchange: move |e| {
                    let mode = ipc::GeocoderMode::parse(&e.value()).unwrap_or(ipc::GeocoderMode::Server);
                    edit(&|s| s.geocoder = mode);
                },
                option { value: "server", selected: s.geocoder == ipc::GeocoderMode::Server, {t("geocoder-server")} }
                option { value: "direct", selected: s.geocoder == ipc::GeocoderMode::Direct, {t("geocoder-direct")} }
                option { value: "offline", selected: s.geocoder == ipc::GeocoderMode::Offline, {t("geocoder-offline")} }
            }
            if s.geocoder == ipc::GeocoderMode::Direct {
                label { r#for: "geocoder-kind", {t("geocoder-kind")} }
                select {
                    id: "geocoder-kind",
                    onchange: move |e| {
                        let kind = ipc::GeocoderKind::parse(&e.value());
                        edit(&|s| s.provider = kind);
                    },
                    option { value: "", {t("none")} }
                    for k in ipc::GeocoderKind::ALL.iter().copied() {
                        option { value: k.as_str(), selected: s.provider == Some(k), "{k.as_str()}" }
                    }
                }
                label { r#for: "geocoder-url", {t("geocoder-url")} }
                input {
                    id: "geocoder-url",
                    r#type: "url",
                    value: "{s.provider_url}",
                    oninput: move |e| {
                        let v = e.value();
                        edit(&|s| s.provider_url = v.clone());
                    },
                }
                p { class: "muted", {t("geocoder-direct-note")} }
            }
            label { r#for: "tiles-url", {t("tile-server")} }
            input {
                id: "tiles-url",
                r#type: "url",
                placeholder: "https://…/{{z}}/{{x}}/{{y}}.png",
                value: "{s.tiles}",
                oninput: move |e| {
                    let v = e.value();
                    edit(&|s| s.tiles = v.clone());
                },
            }
            label { r#for: "tiles-attribution", {t("tile-attribution")} }
            input {
                id: "tiles-attribution",
                value: "{s.tiles_attribution}",
                oninput: move |e| {
                    let v = e.value();
                    edit(&|s| s.tiles_attribution = v.clone());
                },
            }
            p { class: "muted", {t("tile-server-note")} }
            button { r#type: "submit", class: "primary", {t("save")} }
            if saved() { p { class: "notice", role: "status", {t("saved")} } }
            if let Some(e) = error() { p { class: "error", role: "alert", "{e}" } }
        }
    }
}
