//! Address search in the event form: typing asks (after a pause, so a word
//! typed is one request, not one per letter) the user's server's geocoder
//! through the shell — or the offline gazetteer, whose towns are marked
//! approximate; picking a result fills the place, its address and its
//! coordinates, and the map below shows the pin; a click on the map asks what
//! is there (reverse search).

use crate::prelude::*;

/// How long typing must pause before a search is sent.
const DEBOUNCE_MS: i32 = 400;

#[component]
pub fn PlaceSearch(form: Signal<ipc::EventForm>) -> Element {
    let mut answer = use_signal(|| None::<ipc::PlaceAnswer>);
    let mut typed = use_signal(|| 0u64);
    let mut form = form;
    let mut search = move |value: String| {
        let mine = typed() + 1;
        typed.set(mine);
        spawn(async move {
            api::sleep_ms(DEBOUNCE_MS).await;
            if typed() != mine || value.trim().chars().count() < 2 {
                return;
            }
            let q = ipc::PlaceQuery {
                text: value,
                near: form().at,
            };
            if let Ok(a) = api::invoke::<cmd::PlaceSearch>(&q).await
                && typed() == mine
            {
                answer.set(Some(a));
            }
        });
    };
    let mut pick = move |p: ipc::PlaceItem| {
        let mut f = form.write();
        f.place = p.name.clone();
        f.address = p.address.clone().unwrap_or_default();
        f.at = Some([p.lat, p.lon]);
        drop(f);
        answer.set(None);
        refit_map("form-map");
    };
    let reverse = move |(lat, lon): (f64, f64)| {
        spawn(async move {
            if let Ok(a) = api::invoke::<cmd::PlaceReverse>(&ipc::ReverseArgs { lat, lon }).await {
                let mut f = form.write();
                f.at = Some([lat, lon]);
                if let Some(p) = a.places.first() {
                    f.place = p.name.clone();
                    f.address = p.address.clone().unwrap_or_default();
                }
            }
        });
    };
    let spec = MapSpec {
        pin: form().at,
        fit: true,
        ..MapSpec::default()
    };
    rsx! {
        label { r#for: "place-search", {t("find-address")} }
        input {
            id: "place-search",
            r#type: "search",
            autocomplete: "off",
            oninput: move |e| search(e.value()),
        }
        if let Some(a) = answer() {
            if a.approximate {
                p { class: "approximate", id: "place-approximate", {t("places-approximate")} }
            }
            if a.places.is_empty() { p { class: "muted", {t("nothing-found")} } }
            ul { class: "place-results", id: "place-results",
                for p in a.places.iter().cloned() {
                    li {
                        button {
                            r#type: "button",
                            onclick: move |_| pick(p.clone()),
                            strong { "{p.name}" }
                            if let Some(addr) = &p.address { span { class: "muted", " — {addr}" } }
                        }
                    }
                }
            }
            p { class: "muted", {tv("places-from", "source", a.source.clone())} }
        }
        MapView { id: "form-map", spec, onclick: reverse }
    }
}
