//! The march map kept offline: which area an event's map covers
//! ([`Service::map_area`]: its place, route and points), storing the tiles
//! fetched for it with the record of what was kept ([`Service::keep_map`], one
//! transaction), and answering tiles back to the map ([`Service::tile`]).
//!
//! Fetching the tiles is network IO, done by the front end (`rally-webclient`
//! from the CLI's or the app's async runtime) between the two calls, never on
//! the service's thread.

use rally_core::DocKind;
use rally_store::{KeptMap, TileBytes};

use crate::{Result, Service, ServiceError};

/// The points an event's map must show: its place (when it has coordinates),
/// its route and its points.
#[derive(Debug, Clone, PartialEq)]
pub struct MapArea {
    pub event: rally_core::DocId,
    pub points: Vec<(f64, f64)>,
}

/// Where a kept map's tiles came from and what they cover.
#[derive(Debug, Clone, PartialEq)]
pub struct KeptFrom {
    /// The tile server's URL template.
    pub source: String,
    pub attribution: String,
    /// South, west, north, east.
    pub bounds: (f64, f64, f64, f64),
    /// The zoom levels kept.
    pub zooms: (u8, u8),
}

impl Service {
    /// What an event's map covers; refused if it has nothing to show.
    pub fn map_area(&self, id: &str) -> Result<MapArea> {
        let event = self.resolve(id, DocKind::Event)?;
        let d = self.store.load(event)?.event()?.details;
        let mut points: Vec<(f64, f64)> = Vec::new();
        if let (Some(lat), Some(lon)) = (d.place.latitude, d.place.longitude) {
            points.push((lat, lon));
        }
        points.extend(d.route.iter().map(|p| (p.lat, p.lon)));
        points.extend(d.points.iter().map(|p| (p.at.lat, p.at.lon)));
        if points.is_empty() {
            return Err(ServiceError::NothingOnTheMap);
        }
        Ok(MapArea { event, points })
    }

    /// Stores the tiles of an event's map area with the record of what was
    /// kept; answers the record.
    pub fn keep_map(
        &mut self,
        area: &MapArea,
        from: &KeptFrom,
        tiles: Vec<(u8, u32, u32, Vec<u8>)>,
    ) -> Result<KeptMap> {
        self.store.load(area.event)?.event()?;
        let tiles: Vec<TileBytes> = tiles
            .into_iter()
            .map(|(z, x, y, bytes)| TileBytes { z, x, y, bytes })
            .collect();
        let map = KeptMap {
            event: area.event,
            source: from.source.clone(),
            attribution: from.attribution.clone(),
            bounds: from.bounds,
            min_zoom: from.zooms.0,
            max_zoom: from.zooms.1,
            tiles: tiles.len() as i64,
            bytes: tiles.iter().map(|t| t.bytes.len() as i64).sum(),
            kept_at: self.now().as_second(),
        };
        self.store.keep_map(&map, &tiles)?;
        Ok(map)
    }

    pub fn kept_map(&self, id: &str) -> Result<Option<KeptMap>> {
        let event = self.resolve(id, DocKind::Event)?;
        Ok(self.store.kept_map(&event)?)
    }

    /// A kept tile (from `source` first).
    pub fn tile(&self, source: &str, z: u8, x: u32, y: u32) -> Result<Option<Vec<u8>>> {
        Ok(self.store.tile(source, z, x, y)?)
    }
}
