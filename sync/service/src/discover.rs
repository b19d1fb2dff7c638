//! Discover: the public events on this device that the acting persona has no part
//! in yet — above all those its server offers every device (the instance's
//! upcoming public events and its copies of followed Fediverse instances, see
//! `rally_store::sync`), which a device keeps, so the city's agenda is there at a
//! march with no network. Searched by text, by distance from a point and from a
//! date; opening, following or joining one works as for any event.

use rally_core::jiff::Timestamp;
use rally_core::model::EventView;
use rally_core::{DocId, Visibility};
use rally_store::{BBox, EventQuery};

use crate::{Result, Service};

/// A point and a distance around it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Near {
    pub latitude: f64,
    pub longitude: f64,
    pub km: f64,
}

impl Near {
    /// The rectangle of latitudes and longitudes around the circle (the index
    /// narrows to it; [`Near::distance_km`] decides).
    pub fn bbox(&self) -> BBox {
        let dlat = self.km / KM_PER_DEGREE;
        let cos = self.latitude.to_radians().cos().abs().max(1e-6);
        let dlon = (self.km / (KM_PER_DEGREE * cos)).min(180.0);
        BBox {
            min_lat: (self.latitude - dlat).max(-90.0),
            max_lat: (self.latitude + dlat).min(90.0),
            min_lon: (self.longitude - dlon).max(-180.0),
            max_lon: (self.longitude + dlon).min(180.0),
        }
    }

    /// Great-circle distance (haversine) from the point, in km.
    pub fn distance_km(&self, latitude: f64, longitude: f64) -> f64 {
        let (p1, p2) = (self.latitude.to_radians(), latitude.to_radians());
        let dp = p2 - p1;
        let dl = (longitude - self.longitude).to_radians();
        let a = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
        2.0 * EARTH_RADIUS_KM * a.sqrt().min(1.0).asin()
    }
}

const EARTH_RADIUS_KM: f64 = 6371.0;
const KM_PER_DEGREE: f64 = EARTH_RADIUS_KM * std::f64::consts::PI / 180.0;

/// What to look for.
#[derive(Debug, Clone, Default)]
pub struct DiscoverSearch {
    pub text: Option<String>,
    pub near: Option<Near>,
    /// Events that have not ended by then (default: now).
    pub from: Option<Timestamp>,
    /// At most this many (0: a default of 100).
    pub limit: usize,
}

/// One public event found.
#[derive(Debug, Clone)]
pub struct Found {
    pub id: DocId,
    pub view: EventView,
    pub group_name: Option<String>,
    /// From the point searched around, when there was one and the event has a place on the map.
    pub distance_km: Option<f64>,
}

impl Service {
    /// Public events here, soonest first, that the acting persona neither
    /// organises nor answered.
    pub fn discover(&self, search: &DiscoverSearch) -> Result<Vec<Found>> {
        let limit = if search.limit == 0 { 100 } else { search.limit };
        let mut q = EventQuery::upcoming(search.from.unwrap_or_else(|| self.now()));
        q.text = search
            .text
            .as_deref()
            .and_then(crate::events::optional_text);
        q.bbox = search.near.map(|n| n.bbox());
        // Room for the events left out below (members-only, the persona's own).
        q.limit = limit.saturating_mul(4).max(200);
        let me = self.acting()?.map(|m| m.id());
        let mut found = Vec::new();
        for row in self.store.events(&q)? {
            if row.visibility != Visibility::Public {
                continue;
            }
            let Ok(view) = self.store.load(row.id).and_then(|d| Ok(d.event()?)) else {
                continue;
            };
            if me.is_some_and(|m| {
                view.organisers.contains_key(&m) || view.participants.contains_key(&m)
            }) {
                continue;
            }
            let place = &view.details.place;
            let distance_km = match (search.near, place.latitude, place.longitude) {
                (Some(n), Some(lat), Some(lon)) => Some(n.distance_km(lat, lon)),
                _ => None,
            };
            if search
                .near
                .is_some_and(|n| distance_km.is_none_or(|d| d > n.km))
            {
                continue;
            }
            let group_name = view
                .group
                .and_then(|g| self.store.load(g).ok())
                .and_then(|d| d.group().ok())
                .map(|g| g.profile.name);
            found.push(Found {
                id: row.id,
                view,
                group_name,
                distance_km,
            });
            if found.len() == limit {
                break;
            }
        }
        Ok(found)
    }
}

#[cfg(test)]
mod tests {
    use super::Near;

    #[test]
    fn distances_are_great_circle_kilometres() {
        let paris = Near {
            latitude: 48.8566,
            longitude: 2.3522,
            km: 10.0,
        };
        // Paris–Lyon is about 392 km as the crow flies.
        let lyon = paris.distance_km(45.764, 4.8357);
        assert!((385.0..400.0).contains(&lyon), "{lyon}");
        assert!(paris.distance_km(48.8566, 2.3522) < 1e-9);
        let b = paris.bbox();
        assert!(b.min_lat < 48.8566 && b.max_lat > 48.8566);
        assert!(b.max_lat - b.min_lat < 0.2);
    }
}
