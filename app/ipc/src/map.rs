//! The map's types: an event's place, route and points as the map draws them,
//! what is kept offline for it, address search answers, and the tiles the map
//! shows (through the `rallytile:` scheme the shell serves: a kept tile first,
//! else the tile server the user's server or settings chose).

use serde::{Deserialize, Serialize};

/// A labelled point on a march map (meeting point, first aid, exit…).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MapPointItem {
    pub label: String,
    pub lat: f64,
    pub lon: f64,
}

/// What an event page's map shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct EventMap {
    /// The place's coordinates, when it has them: `[lat, lon]`.
    pub at: Option<[f64; 2]>,
    /// The route, `[lat, lon]` each.
    pub route: Vec<[f64; 2]>,
    pub points: Vec<MapPointItem>,
    /// What is kept offline for it.
    pub kept: Option<KeptMapItem>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeptMapItem {
    /// The credit the kept tiles' provider requires.
    #[serde(default)]
    pub attribution: String,
    pub tiles: u64,
    pub bytes: u64,
    pub min_zoom: u8,
    pub max_zoom: u8,
}

/// An organiser's new route or points for an event (`None`: unchanged).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MapArgs {
    pub id: String,
    pub route: Option<Vec<[f64; 2]>>,
    pub points: Option<Vec<MapPointItem>>,
}

/// An address search; `near` (`[lat, lon]`) ranks towns of the same name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlaceQuery {
    pub text: String,
    pub near: Option<[f64; 2]>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReverseArgs {
    pub lat: f64,
    pub lon: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlaceItem {
    pub name: String,
    pub address: Option<String>,
    pub lat: f64,
    pub lon: f64,
}

/// Places found, and who found them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlaceAnswer {
    /// `nominatim`, `photon`, `addok`, `pelias` or `gazetteer`.
    pub source: String,
    /// Towns from the offline gazetteer: shown as approximate.
    pub approximate: bool,
    /// Why the chosen geocoder did not answer, when the gazetteer did.
    pub fallback: Option<String>,
    pub places: Vec<PlaceItem>,
}

/// The tiles under every map.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MapTiles {
    /// Whether any tile server is chosen (else maps show only what is kept).
    pub online: bool,
    /// The credit the provider's terms require.
    pub attribution: String,
    /// Whether the provider allows keeping an area offline.
    pub keep: bool,
}

/// An event as a marker on a list's map.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MapMarker {
    pub id: String,
    pub title: String,
    /// When it starts, in the viewer's zone, ready to show.
    pub when: String,
    pub lat: f64,
    pub lon: f64,
}

/// The user's choices for maps and addresses (kept beside the store).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MapSettings {
    pub geocoder: super::GeocoderMode,
    /// With [`GeocoderMode::Direct`](super::GeocoderMode::Direct): which kind
    /// and where.
    pub provider: Option<super::GeocoderKind>,
    pub provider_url: String,
    /// A tile server chosen here (a URL with `{z}`, `{x}` and `{y}`); empty:
    /// the user's server's.
    pub tiles: String,
    pub tiles_attribution: String,
}
