//! The march map in the formats other tools read (the only place they are
//! written or parsed): a route taken from a GeoJSON file (a `LineString`, as a
//! geometry, a feature or the first one of a collection), and an event's route
//! and points written as GeoJSON (a `FeatureCollection`) or GPX 1.1 (a track
//! and waypoints), both with the `geojson` and `gpx` crates.

use geojson::{Feature, FeatureCollection, GeoJson, Geometry, GeometryValue, JsonObject, Position};
use rally_core::march_map::{LatLon, MapPoint};

/// The largest file read.
pub const MAX_FILE: usize = 4 * 1024 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum MapFileError {
    #[error("the file is over {MAX_FILE} bytes")]
    TooLarge,
    #[error("this is not GeoJSON: {0}")]
    NotGeoJson(String),
    #[error("the GeoJSON holds no LineString (a route is a line)")]
    NoLine,
    #[error("the route is refused: {0}")]
    Route(#[from] rally_core::march_map::MapError),
    #[error("writing GPX failed: {0}")]
    Gpx(String),
}

/// The first `LineString` of a GeoJSON document, as the route.
pub fn route_from_geojson(text: &str) -> Result<Vec<LatLon>, MapFileError> {
    if text.len() > MAX_FILE {
        return Err(MapFileError::TooLarge);
    }
    let geojson: GeoJson = text
        .parse()
        .map_err(|e: geojson::Error| MapFileError::NotGeoJson(e.to_string()))?;
    let geometries: Vec<Geometry> = match geojson {
        GeoJson::Geometry(g) => vec![g],
        GeoJson::Feature(f) => f.geometry.into_iter().collect(),
        GeoJson::FeatureCollection(c) => {
            c.features.into_iter().filter_map(|f| f.geometry).collect()
        }
    };
    let line = geometries
        .into_iter()
        .find_map(|g| match g.value {
            GeometryValue::LineString { coordinates } => Some(coordinates),
            _ => None,
        })
        .ok_or(MapFileError::NoLine)?;
    // GeoJSON positions are longitude first.
    let route: Vec<LatLon> = line
        .iter()
        .filter(|p| p.len() >= 2)
        .map(|p| LatLon {
            lat: p[1],
            lon: p[0],
        })
        .collect();
    rally_core::march_map::check_route(&route)?;
    if route.is_empty() {
        return Err(MapFileError::NoLine);
    }
    Ok(route)
}

/// The route and points as a GeoJSON `FeatureCollection`: the route as a
/// `LineString` feature named after the event, each point a `Point` feature with
/// its label as `name`.
pub fn to_geojson(title: &str, route: &[LatLon], points: &[MapPoint]) -> String {
    let named = |name: &str| {
        let mut props = JsonObject::new();
        props.insert("name".into(), serde_json::Value::from(name));
        Some(props)
    };
    let mut features = Vec::new();
    if !route.is_empty() {
        features.push(Feature {
            geometry: Some(Geometry::new(GeometryValue::LineString {
                coordinates: route
                    .iter()
                    .map(|p| Position::from([p.lon, p.lat]))
                    .collect(),
            })),
            properties: named(title),
            ..Feature::default()
        });
    }
    for p in points {
        features.push(Feature {
            geometry: Some(Geometry::new(GeometryValue::Point {
                coordinates: Position::from([p.at.lon, p.at.lat]),
            })),
            properties: named(&p.label),
            ..Feature::default()
        });
    }
    GeoJson::FeatureCollection(FeatureCollection {
        bbox: None,
        features,
        foreign_members: None,
    })
    .to_string()
}

/// The route and points as GPX 1.1: the route as one track, each point a
/// waypoint named by its label.
pub fn to_gpx(title: &str, route: &[LatLon], points: &[MapPoint]) -> Result<String, MapFileError> {
    let waypoint = |p: &LatLon| gpx::Waypoint::new(geo_types::Point::new(p.lon, p.lat));
    let mut doc = gpx::Gpx {
        version: gpx::GpxVersion::Gpx11,
        creator: Some("Rally".into()),
        ..gpx::Gpx::default()
    };
    if !route.is_empty() {
        let mut segment = gpx::TrackSegment::new();
        segment.points = route.iter().map(waypoint).collect();
        let mut track = gpx::Track::new();
        track.name = Some(title.to_owned());
        track.segments.push(segment);
        doc.tracks.push(track);
    }
    for p in points {
        let mut w = waypoint(&p.at);
        w.name = Some(p.label.clone());
        doc.waypoints.push(w);
    }
    let mut out = Vec::new();
    gpx::write(&doc, &mut out).map_err(|e| MapFileError::Gpx(e.to_string()))?;
    String::from_utf8(out).map_err(|e| MapFileError::Gpx(e.to_string()))
}

#[cfg(test)]
mod tests;
