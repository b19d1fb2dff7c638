//! Map tiles (the "slippy map" scheme every raster tile server uses: zoom z,
//! column x, row y from the north-west corner), from the tile server the user
//! or their server's admin chose.
//!
//! A Rally server with tiles configured describes them at `GET /tiles.json`
//! ([`TileSource`]); its `keep` says whether its admin's provider allows keeping
//! an area for offline use (public OpenStreetMap tiles do not). [`area`] lists
//! the tiles that cover a march's area over a bounded zoom range, and
//! [`fetch`] reads one, checking it is a PNG or JPEG of bounded size.

use serde_json::Value;

/// The most tiles one kept area may hold.
pub const MAX_KEEP_TILES: usize = 2500;
/// The largest tile read.
pub const MAX_TILE_BYTES: usize = 512 * 1024;
/// The deepest zoom a tile may have.
pub const MAX_ZOOM: u8 = 20;

/// A tile's address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Tile {
    pub z: u8,
    pub x: u32,
    pub y: u32,
}

/// Where tiles come from, as a server's `/tiles.json` describes them.
#[derive(Debug, Clone, PartialEq)]
pub struct TileSource {
    /// A URL with `{z}`, `{x}` and `{y}`.
    pub template: String,
    /// Who must be credited under the map (the provider's terms).
    pub attribution: String,
    pub max_zoom: u8,
    /// Whether the provider allows keeping tiles for offline use.
    pub keep: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum TilesError {
    #[error("{0} has no map tiles (its admin has not chosen a tile server)")]
    NoTiles(String),
    #[error("{0}")]
    Unreachable(String),
    #[error("the tile server's terms do not allow keeping maps offline ({0})")]
    KeepRefused(String),
    #[error("tile {z}/{x}/{y}: {why}")]
    BadTile { z: u8, x: u32, y: u32, why: String },
    #[error("the area needs {0} tiles even at the lowest zoom asked; the most is {MAX_KEEP_TILES}")]
    TooLarge(usize),
}

/// The tile holding a point at a zoom.
pub fn tile_of(lat: f64, lon: f64, z: u8) -> Tile {
    let n = f64::from(1u32 << z);
    let lat = lat.clamp(-85.051_128, 85.051_128).to_radians();
    let x = ((lon.clamp(-180.0, 180.0) + 180.0) / 360.0 * n).floor();
    let y = ((1.0 - (lat.tan() + 1.0 / lat.cos()).ln() / std::f64::consts::PI) / 2.0 * n).floor();
    let max = (1u32 << z) - 1;
    Tile {
        z,
        x: (x as u32).min(max),
        y: (y as u32).min(max),
    }
}

/// The tiles covering a box (south, west, north, east) at each zoom from
/// `min_zoom` to `max_zoom`; if that is more than [`MAX_KEEP_TILES`], the
/// deepest zooms are left out until it fits. Returns the tiles and the deepest
/// zoom kept.
pub fn area(
    (south, west, north, east): (f64, f64, f64, f64),
    min_zoom: u8,
    max_zoom: u8,
) -> Result<(Vec<Tile>, u8), TilesError> {
    let max_zoom = max_zoom.min(MAX_ZOOM);
    let min_zoom = min_zoom.min(max_zoom);
    let mut tiles = Vec::new();
    let mut deepest = min_zoom;
    for z in min_zoom..=max_zoom {
        let nw = tile_of(north, west, z);
        let se = tile_of(south, east, z);
        let count = (u64::from(se.x - nw.x) + 1) * (u64::from(se.y - nw.y) + 1);
        if tiles.len() as u64 + count > MAX_KEEP_TILES as u64 {
            if z == min_zoom {
                return Err(TilesError::TooLarge(count as usize));
            }
            break;
        }
        for x in nw.x..=se.x {
            for y in nw.y..=se.y {
                tiles.push(Tile { z, x, y });
            }
        }
        deepest = z;
    }
    Ok((tiles, deepest))
}

/// A box around points, widened by a margin of a fifth of its size (at least
/// about 300 m) so the streets around a route show too.
pub fn around(points: &[(f64, f64)]) -> Option<(f64, f64, f64, f64)> {
    let (first, rest) = points.split_first()?;
    let (mut s, mut w, mut n, mut e) = (first.0, first.1, first.0, first.1);
    for &(lat, lon) in rest {
        s = s.min(lat);
        n = n.max(lat);
        w = w.min(lon);
        e = e.max(lon);
    }
    let dlat = ((n - s) / 5.0).max(0.003);
    let dlon = ((e - w) / 5.0).max(0.004);
    Some((
        (s - dlat).max(-85.0),
        (w - dlon).max(-180.0),
        (n + dlat).min(85.0),
        (e + dlon).min(180.0),
    ))
}

impl TileSource {
    /// The URL of one tile.
    pub fn url(&self, t: Tile) -> String {
        self.template
            .replace("{z}", &t.z.to_string())
            .replace("{x}", &t.x.to_string())
            .replace("{y}", &t.y.to_string())
    }

    /// Reads a server's `/tiles.json`.
    pub fn from_json(server: &str, v: &Value) -> Option<TileSource> {
        let template = v["tiles"].as_array()?.first()?.as_str()?;
        let template = if template.starts_with('/') {
            format!("{}{template}", server.trim_end_matches('/'))
        } else {
            template.to_owned()
        };
        Some(TileSource {
            template,
            attribution: v["attribution"].as_str().unwrap_or("").to_owned(),
            max_zoom: v["maxzoom"]
                .as_u64()
                .map_or(19, |z| z.min(u64::from(MAX_ZOOM)) as u8),
            keep: v["keep"].as_bool().unwrap_or(false),
        })
    }
}

/// The tiles a server offers (`GET /tiles.json`).
pub async fn source(client: &reqwest::Client, server: &str) -> Result<TileSource, TilesError> {
    let url = format!("{}/tiles.json", server.trim_end_matches('/'));
    let resp = client.get(&url).send().await.map_err(|e| {
        TilesError::Unreachable(format!("{server} cannot be reached: {}", e.without_url()))
    })?;
    if resp.status() == reqwest::StatusCode::NOT_FOUND {
        return Err(TilesError::NoTiles(server.to_owned()));
    }
    if !resp.status().is_success() {
        return Err(TilesError::Unreachable(format!(
            "{server} answered {}",
            resp.status()
        )));
    }
    let body = crate::capped(resp, 64 * 1024)
        .await
        .map_err(TilesError::Unreachable)?;
    serde_json::from_slice::<Value>(&body)
        .ok()
        .and_then(|v| TileSource::from_json(server, &v))
        .ok_or_else(|| {
            TilesError::Unreachable(format!("{server}'s /tiles.json is not a tile description"))
        })
}

/// Whether bytes are a PNG or a JPEG.
pub fn is_image(bytes: &[u8]) -> bool {
    bytes.starts_with(b"\x89PNG\r\n\x1a\n") || bytes.starts_with(&[0xff, 0xd8, 0xff])
}

/// One tile's bytes; `keep` says it is fetched to be kept offline (a Rally
/// server refuses that unless its provider allows it).
pub async fn fetch(
    client: &reqwest::Client,
    source: &TileSource,
    t: Tile,
    keep: bool,
) -> Result<Vec<u8>, TilesError> {
    let bad = |why: String| TilesError::BadTile {
        z: t.z,
        x: t.x,
        y: t.y,
        why,
    };
    let url = if keep {
        format!("{}?keep=1", source.url(t))
    } else {
        source.url(t)
    };
    let resp = client.get(url).send().await.map_err(|e| {
        TilesError::Unreachable(format!(
            "the tile server cannot be reached: {}",
            e.without_url()
        ))
    })?;
    if !resp.status().is_success() {
        return Err(bad(format!("the tile server answered {}", resp.status())));
    }
    let bytes = crate::capped(resp, MAX_TILE_BYTES).await.map_err(bad)?;
    if !is_image(&bytes) {
        return Err(bad("not a PNG or JPEG".into()));
    }
    Ok(bytes)
}

/// Every tile of an area, to keep offline: four requests at a time; the first
/// tile that fails stops it.
pub async fn fetch_all(
    client: &reqwest::Client,
    source: &TileSource,
    wanted: &[Tile],
) -> Result<Vec<(Tile, Vec<u8>)>, TilesError> {
    use futures::{StreamExt, TryStreamExt};
    futures::stream::iter(wanted.iter().copied())
        .map(|t| async move { Ok((t, fetch(client, source, t, true).await?)) })
        .buffer_unordered(4)
        .try_collect()
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tiles_of_known_points() {
        // Zoom 0 is one tile; Berlin at zoom 10 is tile 550/335 (OSM wiki's formula).
        assert_eq!(tile_of(52.52, 13.405, 0), Tile { z: 0, x: 0, y: 0 });
        assert_eq!(
            tile_of(52.52, 13.405, 10),
            Tile {
                z: 10,
                x: 550,
                y: 335
            }
        );
        assert_eq!(tile_of(90.0, 180.0, 3), Tile { z: 3, x: 7, y: 0 });
        assert_eq!(tile_of(-90.0, -180.0, 3), Tile { z: 3, x: 0, y: 7 });
    }

    #[test]
    fn an_area_is_bounded_by_leaving_out_deep_zooms() {
        let b = around(&[(52.50, 13.37), (52.53, 13.42)]).unwrap();
        let (tiles, deepest) = area(b, 12, 20).unwrap();
        assert!(tiles.len() <= MAX_KEEP_TILES);
        assert!((14..20).contains(&deepest), "{deepest}");
        assert!(tiles.iter().all(|t| t.z >= 12 && t.z <= deepest));
        let (small, d) = area(b, 12, 13).unwrap();
        assert_eq!(d, 13);
        assert!(small.len() < 20, "{}", small.len());
        assert!(matches!(
            area((-80.0, -170.0, 80.0, 170.0), 12, 14),
            Err(TilesError::TooLarge(_))
        ));
    }

    #[test]
    fn a_server_description_is_read() {
        let v: Value = serde_json::json!({"tiles": ["/tiles/{z}/{x}/{y}.png"], "attribution": "© OSM", "maxzoom": 18, "keep": true});
        let s = TileSource::from_json("http://h:1/", &v).unwrap();
        assert_eq!(
            s.url(Tile { z: 3, x: 1, y: 2 }),
            "http://h:1/tiles/3/1/2.png"
        );
        assert!(s.keep);
        assert!(TileSource::from_json("http://h", &serde_json::json!({})).is_none());
        assert!(is_image(b"\x89PNG\r\n\x1a\nxxx"));
        assert!(!is_image(b"<html>"));
    }
}
