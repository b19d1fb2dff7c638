//! A map (Leaflet, bundled; see `static/map.js`): drawn into its element after
//! each render with what `spec` says, its clicks, moves and opened markers sent
//! to the handlers given. Tiles come from the shell's `rallytile:` scheme (kept
//! offline first); the attribution the tile provider requires is always shown.

use serde::Serialize;
use wasm_bindgen::prelude::*;

use crate::prelude::*;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = rallyMap, js_name = show)]
    fn map_show(id: &str, spec: JsValue);
    #[wasm_bindgen(js_namespace = rallyMap, js_name = on)]
    fn map_on(id: &str, kind: &str, handler: &JsValue);
    #[wasm_bindgen(js_namespace = rallyMap, js_name = refit)]
    pub fn refit_map(id: &str);
}

/// What a map shows.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct MapSpec {
    pub attribution: String,
    pub markers: Vec<ipc::MapMarker>,
    pub route: Vec<[f64; 2]>,
    pub points: Vec<ipc::MapPointItem>,
    pub pin: Option<[f64; 2]>,
    /// Fit the view to what is shown (once, until refit).
    pub fit: bool,
}

#[component]
pub fn MapView(
    id: String,
    spec: MapSpec,
    #[props(default)] big: bool,
    onclick: Option<EventHandler<(f64, f64)>>,
    onmove: Option<EventHandler<[f64; 4]>>,
    onopen: Option<EventHandler<String>>,
) -> Element {
    let tiles = use_resource(|| api::invoke::<cmd::MapTiles>(&()));
    let mut spec = spec;
    // The tile server's credit; offline, the kept tiles' (given in `spec`).
    if let Some(Ok(t)) = &*tiles.read()
        && t.online
    {
        spec.attribution = t.attribution.clone();
    }
    let el = id.clone();
    // After the element is in the page: draw, and hand over the handlers.
    use_effect(use_reactive!(|spec| {
        let Ok(js) = spec.serialize(&serde_wasm_bindgen::Serializer::json_compatible()) else {
            return;
        };
        map_show(&el, js);
        if let Some(h) = onclick {
            let f = Closure::<dyn FnMut(f64, f64)>::new(move |lat, lon| h.call((lat, lon)));
            map_on(&el, "click", f.as_ref());
            f.forget();
        }
        if let Some(h) = onmove {
            let f = Closure::<dyn FnMut(f64, f64, f64, f64)>::new(move |s, w, n, e| {
                h.call([s, w, n, e])
            });
            map_on(&el, "move", f.as_ref());
            f.forget();
        }
        if let Some(h) = onopen {
            let f = Closure::<dyn FnMut(String)>::new(move |id: String| h.call(id));
            map_on(&el, "open", f.as_ref());
            f.forget();
        }
    }));
    let offline = matches!(&*tiles.read(), Some(Ok(t)) if !t.online);
    rsx! {
        div { id: "{id}", class: if big { "map big" } else { "map" }, role: "application", aria_label: t("map") }
        if offline { p { class: "muted", {t("map-no-tiles")} } }
    }
}
