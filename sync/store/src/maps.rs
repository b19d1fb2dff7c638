//! Maps kept for offline use (schema 14, `tiles` and `kept_maps`): the tiles
//! of a march's area, stored with the record of what was kept in one
//! transaction, so a map is either kept whole or not at all. Tiles are shared
//! between kept areas that overlap; [`Store::tile`] answers from any source
//! when the one asked for has not got it (an offline map is better than none).

use rally_core::DocId;
use rusqlite::{OptionalExtension, params};

use crate::{Ctx, Store, StoreError};

/// What "keep this map offline" stored for an event.
#[derive(Debug, Clone, PartialEq)]
pub struct KeptMap {
    pub event: DocId,
    /// The tile server's URL template the tiles came from.
    pub source: String,
    pub attribution: String,
    /// South, west, north, east.
    pub bounds: (f64, f64, f64, f64),
    pub min_zoom: u8,
    pub max_zoom: u8,
    pub tiles: i64,
    pub bytes: i64,
    pub kept_at: i64,
}

/// A tile's address and bytes.
#[derive(Debug, Clone, PartialEq)]
pub struct TileBytes {
    pub z: u8,
    pub x: u32,
    pub y: u32,
    pub bytes: Vec<u8>,
}

fn kept_map(event: DocId, r: &rusqlite::Row<'_>) -> rusqlite::Result<KeptMap> {
    Ok(KeptMap {
        event,
        source: r.get(1)?,
        attribution: r.get(2)?,
        bounds: (r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?),
        min_zoom: r.get(7)?,
        max_zoom: r.get(8)?,
        tiles: r.get(9)?,
        bytes: r.get(10)?,
        kept_at: r.get(11)?,
    })
}

const KEPT_COLUMNS: &str = "event, source, attribution, south, west, north, east, min_zoom, max_zoom, tiles, bytes, kept_at";

impl Store {
    /// Keeps an event's map area: its tiles and the record, in one transaction
    /// (replacing what was kept for it before).
    pub fn keep_map(&mut self, map: &KeptMap, tiles: &[TileBytes]) -> Result<(), StoreError> {
        let tx = self.conn.transaction().ctx("keeping a map")?;
        {
            let mut put = tx
                .prepare_cached(
                    "INSERT OR REPLACE INTO tiles (source, z, x, y, bytes) VALUES (?1, ?2, ?3, ?4, ?5)",
                )
                .ctx("keeping a map")?;
            for t in tiles {
                put.execute(params![map.source, t.z, t.x, t.y, t.bytes])
                    .ctx("keeping a map")?;
            }
            let (s, w, n, e) = map.bounds;
            tx.execute(
                &format!("INSERT OR REPLACE INTO kept_maps ({KEPT_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)"),
                params![
                    map.event.0, map.source, map.attribution, s, w, n, e, map.min_zoom,
                    map.max_zoom, map.tiles, map.bytes, map.kept_at
                ],
            )
            .ctx("keeping a map")?;
        }
        tx.commit().ctx("keeping a map")
    }

    /// What was kept for an event's map.
    pub fn kept_map(&self, event: &DocId) -> Result<Option<KeptMap>, StoreError> {
        self.conn
            .query_row(
                &format!("SELECT {KEPT_COLUMNS} FROM kept_maps WHERE event = ?1"),
                [event.0],
                |r| kept_map(*event, r),
            )
            .optional()
            .ctx("reading a kept map")
    }

    /// A tile, from `source` if it is kept, else from any kept source.
    pub fn tile(&self, source: &str, z: u8, x: u32, y: u32) -> Result<Option<Vec<u8>>, StoreError> {
        self.conn
            .prepare_cached(
                "SELECT bytes FROM tiles WHERE z = ?1 AND x = ?2 AND y = ?3
                 ORDER BY source = ?4 DESC LIMIT 1",
            )
            .ctx("reading a tile")?
            .query_row(params![z, x, y, source], |r| r.get(0))
            .optional()
            .ctx("reading a tile")
    }
}
