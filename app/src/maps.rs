//! The app's maps: an event's place, route and points for its page, the
//! markers of a list's map, an organiser's route and points saved, address
//! search, keeping a march's map offline, and the tiles under every map.
//!
//! How the parts connect: the store work runs on the service's thread like
//! every command ([`event_map`], [`set_map`], [`markers`]); the network work
//! (geocoders, tile servers) runs on the async runtime through
//! `rally-webclient` ([`Web`]), between service calls, never on the service's
//! thread. The webview's map (Leaflet, bundled in the UI) asks its tiles at
//! `rallytile://localhost/{z}/{x}/{y}` (see [`serve_tile`]): a tile kept
//! offline answers first, else the tile server the user's server offers
//! (`/tiles.json`) or the one chosen in the settings, else nothing — and the
//! map still shows its route and points.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use rally_core::march_map::LatLon;
use rally_core::{DocId, EventDetails};
use rally_ipc as ipc;
use rally_service::Service;
use rally_service::events::EventEdit;
use rally_service::maps::KeptFrom;
use rally_store::{BBox, KeptMap};
use rally_webclient::places::{Geocoder, Query};
use rally_webclient::tiles::{self, Tile, TileSource};

use crate::engine::{EngineError, Result};

/// How long the server's tile description is trusted before asking again.
const TILES_FRESH: Duration = Duration::from_secs(600);

pub fn bbox([south, west, north, east]: [f64; 4]) -> BBox {
    BBox {
        min_lat: south,
        min_lon: west,
        max_lat: north,
        max_lon: east,
    }
}

fn kept_item(m: &KeptMap) -> ipc::KeptMapItem {
    ipc::KeptMapItem {
        attribution: m.attribution.clone(),
        tiles: m.tiles.max(0) as u64,
        bytes: m.bytes.max(0) as u64,
        min_zoom: m.min_zoom,
        max_zoom: m.max_zoom,
    }
}

/// What an event page's map shows.
pub fn event_map(svc: &Service, id: &DocId, d: &EventDetails) -> Result<ipc::EventMap> {
    Ok(ipc::EventMap {
        at: match (d.place.latitude, d.place.longitude) {
            (Some(lat), Some(lon)) => Some([lat, lon]),
            _ => None,
        },
        route: d.route.iter().map(|p| [p.lat, p.lon]).collect(),
        points: d
            .points
            .iter()
            .map(|p| ipc::MapPointItem {
                label: p.label.clone(),
                lat: p.at.lat,
                lon: p.at.lon,
            })
            .collect(),
        kept: svc.kept_map(&id.to_hex())?.as_ref().map(kept_item),
    })
}

/// Replaces an event's route or points, or both (the engine refuses it from
/// anyone but its organisers, here and on every replica).
pub fn set_map(svc: &mut Service, args: &ipc::MapArgs) -> Result<()> {
    let at = |[lat, lon]: [f64; 2]| LatLon { lat, lon };
    svc.edit_event(
        &args.id,
        EventEdit {
            route: args
                .route
                .as_ref()
                .map(|r| r.iter().copied().map(at).collect()),
            clear_points: args.points.is_some(),
            add_points: args
                .points
                .iter()
                .flatten()
                .map(|p| (p.label.clone(), at([p.lat, p.lon])))
                .collect(),
            ..EventEdit::default()
        },
    )?;
    Ok(())
}

/// A list's events with a place on the map, from the index alone (no document
/// is opened, so ten thousand cost little).
pub fn markers(svc: &Service, args: &ipc::EventsArgs) -> Result<Vec<ipc::MapMarker>> {
    let Some(search) = crate::engine::search_of(args) else {
        return Ok(crate::engine::events(svc, args)?
            .into_iter()
            .filter_map(|e| {
                let [lat, lon] = e.at?;
                Some(ipc::MapMarker {
                    id: e.id,
                    title: e.title,
                    when: e.when,
                    lat,
                    lon,
                })
            })
            .collect());
    };
    let found = svc.events(&rally_service::events::EventSearch {
        limit: 50_000,
        ..search
    })?;
    Ok(found
        .iter()
        .filter_map(|e| {
            let (lat, lon) = e.at?;
            Some(ipc::MapMarker {
                id: e.id.to_hex(),
                title: e.title.clone(),
                when: crate::engine::show_secs(e.starts),
                lat,
                lon,
            })
        })
        .collect())
}

fn answer(a: rally_geocode::Answer) -> ipc::PlaceAnswer {
    ipc::PlaceAnswer {
        source: a.source,
        approximate: a.approximate,
        fallback: a.fallback,
        places: a
            .places
            .into_iter()
            .map(|p| ipc::PlaceItem {
                name: p.name,
                address: p.address,
                lat: p.lat,
                lon: p.lon,
            })
            .collect(),
    }
}

/// The web as the app's maps reach it: one client, and the tile source last
/// found.
#[derive(Debug)]
pub struct Web {
    client: reqwest::Client,
    source: Mutex<Option<(TileSource, Instant)>>,
}

impl Default for Web {
    fn default() -> Self {
        Web {
            client: rally_webclient::client(),
            source: Mutex::new(None),
        }
    }
}

impl Web {
    /// Address search with the geocoder the settings choose (by default the
    /// user's server; the gazetteer when there is none, and as the fallback
    /// when it cannot answer).
    pub async fn search(
        &self,
        geocoder: &Geocoder,
        q: &ipc::PlaceQuery,
    ) -> Result<ipc::PlaceAnswer> {
        let query = Query::Search {
            text: q.text.clone(),
            limit: 6,
            near: q.near.map(|[lat, lon]| (lat, lon)),
        };
        self.lookup(geocoder, &query).await
    }

    pub async fn reverse(
        &self,
        geocoder: &Geocoder,
        r: &ipc::ReverseArgs,
    ) -> Result<ipc::PlaceAnswer> {
        self.lookup(
            geocoder,
            &Query::Reverse {
                lat: r.lat,
                lon: r.lon,
            },
        )
        .await
    }

    async fn lookup(&self, geocoder: &Geocoder, query: &Query) -> Result<ipc::PlaceAnswer> {
        rally_webclient::places::lookup(&self.client, geocoder, query)
            .await
            .map(answer)
            .map_err(|e| EngineError::Refused(e.to_string()))
    }

    /// The tile source: the one chosen in the settings, else the user's
    /// server's (asked again every ten minutes), else none.
    pub async fn tiles(
        &self,
        chosen: Option<TileSource>,
        server: Option<String>,
    ) -> Option<TileSource> {
        if chosen.is_some() {
            return chosen;
        }
        if let Some((s, at)) = self
            .source
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
            && at.elapsed() < TILES_FRESH
        {
            return Some(s);
        }
        let found = tiles::source(&self.client, &server?).await.ok()?;
        *self.source.lock().unwrap_or_else(|e| e.into_inner()) =
            Some((found.clone(), Instant::now()));
        Some(found)
    }

    /// Forgets the tile source found (the settings changed).
    pub fn forget_tiles(&self) {
        *self.source.lock().unwrap_or_else(|e| e.into_inner()) = None;
    }

    /// One tile from the tile server, to show (not to keep).
    pub async fn tile(&self, source: &TileSource, t: Tile) -> Option<Vec<u8>> {
        tiles::fetch(&self.client, source, t, false).await.ok()
    }

    /// Keeps an event's map offline: its area's tiles from the tile server
    /// (if its terms allow keeping), stored with the record.
    pub async fn keep(
        &self,
        service: &rally_service::ServiceHandle,
        id: String,
        chosen: Option<TileSource>,
        server: Option<String>,
    ) -> Result<ipc::KeptMapItem> {
        let area = service
            .call(move |s| s.map_area(&id))
            .await
            .map_err(EngineError::from)??;
        let Some(source) = self.tiles(chosen, server).await else {
            return Err(EngineError::Refused(
                "no tile server: your server offers none and none is chosen in the settings".into(),
            ));
        };
        if !source.keep {
            return Err(EngineError::Refused(
                tiles::TilesError::KeepRefused(source.template.clone()).to_string(),
            ));
        }
        let bounds =
            tiles::around(&area.points).ok_or(EngineError::Refused("an empty area".into()))?;
        let (wanted, deepest) = tiles::area(bounds, 12, 17.min(source.max_zoom))
            .map_err(|e| EngineError::Refused(e.to_string()))?;
        let fetched = tiles::fetch_all(&self.client, &source, &wanted)
            .await
            .map_err(|e| EngineError::Refused(e.to_string()))?;
        let from = KeptFrom {
            source: source.template.clone(),
            attribution: source.attribution.clone(),
            bounds,
            zooms: (12.min(deepest), deepest),
        };
        let kept = service
            .call(move |s| {
                s.keep_map(
                    &area,
                    &from,
                    fetched
                        .into_iter()
                        .map(|(t, b)| (t.z, t.x, t.y, b))
                        .collect(),
                )
            })
            .await
            .map_err(EngineError::from)??;
        Ok(kept_item(&kept))
    }
}

/// A tile's address from a `rallytile:` request path (`/z/x/y`, an optional
/// `.png`).
pub fn tile_of_path(path: &str) -> Option<Tile> {
    let mut parts = path
        .trim_start_matches('/')
        .trim_end_matches(".png")
        .split('/');
    let z: u8 = parts.next()?.parse().ok()?;
    let x: u32 = parts.next()?.parse().ok()?;
    let y: u32 = parts.next()?.parse().ok()?;
    (parts.next().is_none() && z <= tiles::MAX_ZOOM && x < 1 << z && y < 1 << z).then_some(Tile {
        z,
        x,
        y,
    })
}
