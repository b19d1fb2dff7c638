//! The march map of an event: its route (a line) and its points (meeting
//! point, first aid, legal support, toilets, exits…), part of the event's
//! details, so only organisers change them and every replica checks it.
//!
//! In the document the route is one string (`details.route`: `lat,lon;lat,lon…`,
//! six decimals), replaced whole; the points are a map (`details.points`) keyed
//! by a random id, so two organisers adding points at once keep both.

use serde::Serialize;

/// The most vertices of a route.
pub const MAX_ROUTE: usize = 5_000;
/// The most points on a map.
pub const MAX_POINTS: usize = 200;
/// The longest label of a point, in characters.
pub const MAX_LABEL: usize = 100;

/// A place on the map, in degrees.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct LatLon {
    pub lat: f64,
    pub lon: f64,
}

impl LatLon {
    pub fn is_valid(self) -> bool {
        self.lat.is_finite()
            && self.lon.is_finite()
            && (-90.0..=90.0).contains(&self.lat)
            && (-180.0..=180.0).contains(&self.lon)
    }
}

/// A labelled point of the march map.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MapPoint {
    /// Its key in the document (random, so concurrent additions never collide).
    pub id: String,
    pub label: String,
    pub at: LatLon,
}

/// Why a route or a point is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MapError {
    #[error("a route has 2 to {MAX_ROUTE} points")]
    RouteLength,
    #[error("a map holds at most {MAX_POINTS} points")]
    TooManyPoints,
    #[error("a point needs a label of 1 to {MAX_LABEL} characters")]
    BadLabel,
    #[error("latitude and longitude must be within -90..90 and -180..180")]
    BadCoordinates,
}

/// The route as the document keeps it.
pub fn encode_route(route: &[LatLon]) -> String {
    route
        .iter()
        .map(|p| format!("{:.6},{:.6}", p.lat, p.lon))
        .collect::<Vec<_>>()
        .join(";")
}

/// Reads [`encode_route`]'s form; `None` if anything is out of bounds.
pub fn decode_route(s: &str) -> Option<Vec<LatLon>> {
    let route: Option<Vec<LatLon>> = s
        .split(';')
        .map(|pair| {
            let (lat, lon) = pair.split_once(',')?;
            let p = LatLon {
                lat: lat.trim().parse().ok()?,
                lon: lon.trim().parse().ok()?,
            };
            p.is_valid().then_some(p)
        })
        .collect();
    route.filter(|r| check_route(r).is_ok())
}

pub fn check_route(route: &[LatLon]) -> Result<(), MapError> {
    if !route.is_empty() && !(2..=MAX_ROUTE).contains(&route.len()) {
        return Err(MapError::RouteLength);
    }
    if route.iter().any(|p| !p.is_valid()) {
        return Err(MapError::BadCoordinates);
    }
    Ok(())
}

pub fn check_points(points: &[MapPoint]) -> Result<(), MapError> {
    if points.len() > MAX_POINTS {
        return Err(MapError::TooManyPoints);
    }
    for p in points {
        let len = p.label.trim().chars().count();
        if len == 0 || len > MAX_LABEL || p.label.chars().any(char::is_control) {
            return Err(MapError::BadLabel);
        }
        if !p.at.is_valid() {
            return Err(MapError::BadCoordinates);
        }
        if p.id.is_empty() || p.id.len() > 32 || !p.id.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(MapError::BadLabel);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_route_reads_back_as_written() {
        let route = vec![
            LatLon {
                lat: 45.757_814,
                lon: 4.832_011,
            },
            LatLon {
                lat: 45.764_043,
                lon: 4.835_659,
            },
        ];
        assert_eq!(decode_route(&encode_route(&route)), Some(route));
    }

    #[test]
    fn malformed_routes_read_as_none() {
        for bad in [
            "",
            "1,2",
            "91,0;0,0",
            "0,181;0,0",
            "a,b;0,0",
            "NaN,0;0,0",
            "0;0",
        ] {
            assert_eq!(decode_route(bad), None, "{bad}");
        }
        let long = vec!["1,1"; MAX_ROUTE + 1].join(";");
        assert_eq!(decode_route(&long), None);
    }

    #[test]
    fn points_are_checked() {
        let ok = MapPoint {
            id: "0a1b2c3d".into(),
            label: "First aid".into(),
            at: LatLon { lat: 1.0, lon: 2.0 },
        };
        assert_eq!(check_points(std::slice::from_ref(&ok)), Ok(()));
        for bad in [
            MapPoint {
                label: " ".into(),
                ..ok.clone()
            },
            MapPoint {
                label: "x".repeat(MAX_LABEL + 1),
                ..ok.clone()
            },
            MapPoint {
                at: LatLon {
                    lat: 99.0,
                    lon: 0.0,
                },
                ..ok.clone()
            },
            MapPoint {
                id: "not hex!".into(),
                ..ok.clone()
            },
        ] {
            assert!(check_points(&[bad]).is_err());
        }
        assert_eq!(
            check_points(&vec![ok; MAX_POINTS + 1]),
            Err(MapError::TooManyPoints)
        );
    }
}
