// Rally's maps: a thin layer over Leaflet (bundled beside this file, never from
// a CDN) that the UI (wasm) calls as `rallyMap.show(elementId, spec)` after
// drawing the element, and `rallyMap.on(elementId, kind, handler)` to hear
// clicks ("click": lat, lon), moves ("move": south, west, north, east) and a
// marker opened ("open": id).
//
// Tiles come from the app shell's `rallytile:` scheme: a tile kept offline
// first, else the tile server the user's server (or the settings) chose.
// spec: { attribution, markers: [{id, title, when, lat, lon}], route: [[lat,
// lon]], points: [{label, lat, lon}], pin: [lat, lon] | null, fit: bool }.
window.rallyMap = (() => {
  const maps = {};

  function tileBase() {
    const core = window.__TAURI__ && window.__TAURI__.core;
    // "rallytile://localhost/" (Linux, macOS, iOS) or
    // "http://rallytile.localhost/" (Windows, Android).
    return core ? core.convertFileSrc("", "rallytile") : "rallytile://localhost/";
  }

  function pinIcon(kind, text) {
    return L.divIcon({
      className: "map-pin map-pin-" + kind,
      html: text ? '<span class="map-pin-label"></span>' : "",
      iconSize: [18, 18],
      iconAnchor: [9, 9],
    });
  }

  function create(id, node) {
    const map = L.map(node, { zoomControl: true, attributionControl: true });
    map.attributionControl.setPrefix(false);
    const tiles = L.tileLayer(tileBase() + "{z}/{x}/{y}.png", { maxZoom: 19 });
    tiles.addTo(map);
    const m = { node, map, tiles, drawn: L.layerGroup().addTo(map), handlers: {}, fitted: false, lastRender: null };
    map.on("click", (e) => m.handlers.click && m.handlers.click(e.latlng.lat, e.latlng.lng));
    map.on("moveend", () => {
      const b = map.getBounds();
      m.handlers.move && m.handlers.move(b.getSouth(), b.getWest(), b.getNorth(), b.getEast());
    });
    map.setView([20, 0], 2);
    return m;
  }

  function show(id, spec) {
    const node = document.getElementById(id);
    if (!node) return;
    let m = maps[id];
    if (m && m.node !== node) {
      m.map.remove();
      m = null;
    }
    if (!m) m = maps[id] = create(id, node);
    const started = performance.now();
    const map = m.map;
    if (m.attribution !== spec.attribution) {
      if (m.attribution) map.attributionControl.removeAttribution(m.attribution);
      if (spec.attribution) map.attributionControl.addAttribution(spec.attribution);
      m.attribution = spec.attribution;
    }
    m.drawn.clearLayers();
    const extent = [];
    const markers = spec.markers || [];
    if (markers.length) {
      const cluster = L.markerClusterGroup({ chunkedLoading: true, showCoverageOnHover: false });
      const list = markers.map((e) => {
        const marker = L.marker([e.lat, e.lon], { icon: pinIcon("event"), title: e.title, keyboard: true });
        marker.bindTooltip(e.title + " · " + e.when);
        marker.on("click", () => m.handlers.open && m.handlers.open(e.id));
        extent.push([e.lat, e.lon]);
        return marker;
      });
      cluster.addLayers(list);
      m.drawn.addLayer(cluster);
    }
    const route = spec.route || [];
    if (route.length) {
      L.polyline(route, { color: "#c2185b", weight: 5, opacity: 0.85 }).addTo(m.drawn);
      route.forEach((p) => extent.push(p));
    }
    (spec.points || []).forEach((p) => {
      const marker = L.marker([p.lat, p.lon], { icon: pinIcon("point"), title: p.label, keyboard: true });
      marker.bindTooltip(p.label, { permanent: true, direction: "right", className: "map-point-label" });
      marker.addTo(m.drawn);
      extent.push([p.lat, p.lon]);
    });
    if (spec.pin) {
      L.marker(spec.pin, { icon: pinIcon("place"), title: "place" }).addTo(m.drawn);
      extent.push(spec.pin);
    }
    if (spec.fit && extent.length && !m.fitted) {
      if (extent.length === 1) map.setView(extent[0], 16);
      else map.fitBounds(extent, { padding: [24, 24], maxZoom: 16 });
      m.fitted = true;
    }
    m.lastRender = { markers: markers.length, ms: performance.now() - started };
    node.dataset.markers = String(markers.length);
    node.dataset.drawn = String(m.drawn.getLayers().length);
  }

  // Fit again at the next show (the thing shown changed).
  function refit(id) {
    if (maps[id]) maps[id].fitted = false;
  }

  function on(id, kind, handler) {
    if (maps[id]) maps[id].handlers[kind] = handler;
  }

  function lastRender(id) {
    return maps[id] ? maps[id].lastRender : null;
  }

  return { show, on, refit, lastRender };
})();
