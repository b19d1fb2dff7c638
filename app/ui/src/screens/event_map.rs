//! An event page's map: its place, the march's route and points, drawn by its
//! organisers (click to add route vertices or labelled points, then save: an
//! edit of the event, synced and checked like any other), and "keep this map
//! offline" (the area's tiles stored on the device).

use crate::prelude::*;

#[derive(Debug, Clone, Copy, PartialEq)]
enum Drawing {
    Route,
    Points,
}

#[component]
pub fn EventMap(id: String, map: ipc::EventMap, can_edit: bool) -> Element {
    let mut drawing = use_signal(|| None::<Drawing>);
    let mut route = use_signal(Vec::<[f64; 2]>::new);
    let mut points = use_signal(Vec::<ipc::MapPointItem>::new);
    let mut label = use_signal(String::new);
    let mut error = use_signal(|| None::<String>);
    let mut kept = use_signal(|| None::<ipc::KeptMapItem>);
    let mut keeping = use_signal(|| false);
    let shown = kept().or(map.kept.clone());
    let editing = drawing().is_some();
    let spec = MapSpec {
        attribution: shown
            .as_ref()
            .map(|k| k.attribution.clone())
            .unwrap_or_default(),
        pin: map.at,
        route: if drawing() == Some(Drawing::Route) {
            route()
        } else {
            map.route.clone()
        },
        points: if drawing() == Some(Drawing::Points) {
            points()
        } else {
            map.points.clone()
        },
        fit: true,
        ..MapSpec::default()
    };
    let starts = move |mode: Drawing, from: (Vec<[f64; 2]>, Vec<ipc::MapPointItem>)| {
        move |_| {
            route.set(from.0.clone());
            points.set(from.1.clone());
            drawing.set(Some(mode));
        }
    };
    let from = (map.route.clone(), map.points.clone());
    let click = move |(lat, lon): (f64, f64)| match drawing() {
        Some(Drawing::Route) => route.write().push([lat, lon]),
        Some(Drawing::Points) => {
            let n = points.read().len() + 1;
            let text = label().trim().to_owned();
            let text = if text.is_empty() {
                tv("point-n", "n", n as i64)
            } else {
                text
            };
            points.write().push(ipc::MapPointItem {
                label: text,
                lat,
                lon,
            });
            label.set(String::new());
        }
        None => {}
    };
    let save_id = id.clone();
    let save = move |_| {
        let mode = drawing();
        let args = ipc::MapArgs {
            id: save_id.clone(),
            route: (mode == Some(Drawing::Route)).then(|| route.cloned()),
            points: (mode == Some(Drawing::Points)).then(|| points.cloned()),
        };
        async move {
            match api::invoke::<cmd::SetMap>(&args).await {
                Ok(()) => {
                    drawing.set(None);
                    error.set(None);
                }
                Err(e) => error.set(Some(e)),
            }
        }
    };
    let keep_id = id.clone();
    let keep = move |_| {
        let id = keep_id.clone();
        async move {
            keeping.set(true);
            match api::invoke::<cmd::KeepMap>(&ipc::IdArgs { id }).await {
                Ok(k) => {
                    kept.set(Some(k));
                    error.set(None);
                }
                Err(e) => error.set(Some(e)),
            }
            keeping.set(false);
        }
    };
    let has_map = map.at.is_some() || !map.route.is_empty() || !map.points.is_empty();
    if !has_map && !can_edit {
        return rsx! {};
    }
    rsx! {
        section { class: "event-map", aria_label: t("map"),
            h2 { {t("map")} }
            MapView { id: "event-map", spec, onclick: click }
            if let Some(mode) = drawing() {
                p { class: "muted", role: "status",
                    if mode == Drawing::Route { {t("map-click-route")} } else { {t("map-click-points")} }
                }
                if mode == Drawing::Points {
                    label { r#for: "point-label", {t("point-label")} }
                    input { id: "point-label", value: "{label}", oninput: move |e| label.set(e.value()) }
                }
            }
            div { class: "map-tools",
                if can_edit && !editing {
                    button { id: "draw-route", onclick: starts(Drawing::Route, from.clone()), {t("draw-route")} }
                    button { id: "add-points", onclick: starts(Drawing::Points, from.clone()), {t("add-points")} }
                }
                if editing {
                    if drawing() == Some(Drawing::Route) {
                        button { id: "clear-route", onclick: move |_| route.set(Vec::new()), {t("clear-route")} }
                    } else {
                        button { id: "clear-points", onclick: move |_| points.set(Vec::new()), {t("clear-points")} }
                    }
                    button { id: "save-map", class: "primary", onclick: save, {t("save")} }
                    button { onclick: move |_| drawing.set(None), {t("cancel")} }
                }
                if has_map && !editing {
                    button { id: "keep-map", disabled: keeping(), onclick: keep, {t("keep-map-offline")} }
                }
            }
            if let Some(k) = shown {
                p { id: "kept-map", class: "muted",
                    {tv("kept-map", "tiles", k.tiles as i64)} " · " "{k.bytes / 1000} kB · zoom {k.min_zoom}–{k.max_zoom}"
                }
            }
            if let Some(e) = error() { p { class: "error", role: "alert", "{e}" } }
        }
    }
}
