//! Map tiles through the server (`--tiles URL-TEMPLATE`): devices ask
//! `GET /tiles/{z}/{x}/{y}.png` and the tile provider the admin chose sees this
//! server, never the person. `GET /tiles.json` describes them (the template,
//! the attribution the provider's terms require, the deepest zoom, and whether
//! devices may keep an area offline: `--tiles-keep`, which the admin sets only
//! for a provider whose terms allow it — public OpenStreetMap tiles do not).
//! Requests a device makes to keep an area carry `?keep=1` and are refused
//! without it.
//!
//! Tiles are cached in `tiles.db` (7 days, as OpenStreetMap's tile policy asks
//! at least), on a thread of its own; at most two requests go to the provider
//! at once, with a User-Agent naming the server.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{Path as UrlPath, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use rally_service::Handle;
use rally_webclient::tiles::{MAX_ZOOM, Tile, TileSource};
use rusqlite::{OptionalExtension, params};
use serde::Deserialize;

const CACHE_SECS: i64 = 7 * 24 * 3600;
const TIMEOUT: Duration = Duration::from_secs(10);
/// Tiles kept in the cache at most; the oldest go first.
const CACHE_TILES: i64 = 100_000;

/// What the admin configured.
#[derive(Debug, Clone, PartialEq)]
pub struct TileConfig {
    /// The provider's URL, with `{z}`, `{x}` and `{y}`.
    pub template: String,
    pub attribution: String,
    pub max_zoom: u8,
    /// The provider's terms allow devices to keep areas offline.
    pub keep: bool,
}

#[derive(Debug)]
pub struct TileCache {
    conn: rusqlite::Connection,
    puts: u32,
}

impl TileCache {
    pub fn open(dir: &Path) -> rusqlite::Result<TileCache> {
        let conn = rusqlite::Connection::open(dir.join("tiles.db"))?;
        conn.execute_batch(
            "PRAGMA journal_mode = WAL;
             CREATE TABLE IF NOT EXISTS tiles (
                 z INTEGER NOT NULL, x INTEGER NOT NULL, y INTEGER NOT NULL,
                 bytes BLOB NOT NULL, at INTEGER NOT NULL,
                 PRIMARY KEY (z, x, y)) WITHOUT ROWID;",
        )?;
        Ok(TileCache { conn, puts: 0 })
    }

    fn get(&self, t: Tile) -> rusqlite::Result<Option<Vec<u8>>> {
        self.conn
            .query_row(
                "SELECT bytes FROM tiles WHERE z = ?1 AND x = ?2 AND y = ?3 AND at > unixepoch() - ?4",
                params![t.z, t.x, t.y, CACHE_SECS],
                |r| r.get(0),
            )
            .optional()
    }

    fn put(&mut self, t: Tile, bytes: &[u8]) -> rusqlite::Result<()> {
        self.conn.execute(
            "INSERT OR REPLACE INTO tiles (z, x, y, bytes, at) VALUES (?1, ?2, ?3, ?4, unixepoch())",
            params![t.z, t.x, t.y, bytes],
        )?;
        self.puts += 1;
        if self.puts.is_multiple_of(1000) {
            self.conn.execute(
                "DELETE FROM tiles WHERE at < unixepoch() - ?1 OR (z, x, y) IN
                   (SELECT z, x, y FROM tiles ORDER BY at DESC LIMIT -1 OFFSET ?2)",
                params![CACHE_SECS, CACHE_TILES],
            )?;
        }
        Ok(())
    }
}

#[derive(Debug)]
pub struct Tiles {
    config: TileConfig,
    /// The provider, as `rally-webclient` asks it.
    source: TileSource,
    client: reqwest::Client,
    cache: Handle<TileCache>,
    upstream: tokio::sync::Semaphore,
}

#[derive(Debug, thiserror::Error)]
pub enum TilesError {
    #[error("the tile server cannot be set up: {0}")]
    Setup(String),
}

impl Tiles {
    pub fn new(config: TileConfig, data: &Path, user_agent: &str) -> Result<Tiles, TilesError> {
        let parsed = url::Url::parse(&config.template.replace(['{', '}'], ""))
            .map_err(|_| TilesError::Setup(format!("{:?} is not a URL", config.template)))?;
        if !matches!(parsed.scheme(), "http" | "https")
            || !["{z}", "{x}", "{y}"]
                .iter()
                .all(|p| config.template.contains(p))
        {
            return Err(TilesError::Setup(format!(
                "{:?} must be an http(s) URL with {{z}}, {{x}} and {{y}}",
                config.template
            )));
        }
        let cache = TileCache::open(data).map_err(|e| TilesError::Setup(e.to_string()))?;
        let client = reqwest::Client::builder()
            .user_agent(user_agent)
            .timeout(TIMEOUT)
            .build()
            .map_err(|e| TilesError::Setup(e.to_string()))?;
        Ok(Tiles {
            source: TileSource {
                template: config.template.clone(),
                attribution: config.attribution.clone(),
                max_zoom: config.max_zoom,
                keep: config.keep,
            },
            config,
            client,
            cache: Handle::spawn(cache, "rally-tiles")
                .map_err(|e| TilesError::Setup(e.to_string()))?,
            upstream: tokio::sync::Semaphore::new(2),
        })
    }

    async fn tile(&self, t: Tile) -> Result<Vec<u8>, (StatusCode, String)> {
        let unavailable = || {
            (
                StatusCode::SERVICE_UNAVAILABLE,
                "the tile cache is unavailable".to_owned(),
            )
        };
        if let Some(bytes) = self
            .cache
            .call(move |c| c.get(t))
            .await
            .map_err(|_| unavailable())?
            .map_err(|_| unavailable())?
        {
            return Ok(bytes);
        }
        let _turn = self.upstream.acquire().await.map_err(|_| unavailable())?;
        // The same request, size cap and PNG/JPEG check as a device's.
        let bytes = rally_webclient::tiles::fetch(&self.client, &self.source, t, false)
            .await
            .map_err(|e| (StatusCode::BAD_GATEWAY, e.to_string()))?;
        let kept = bytes.clone();
        let _ = self.cache.call(move |c| c.put(t, &kept)).await;
        Ok(bytes)
    }
}

#[derive(Debug, Deserialize)]
struct TileQuery {
    keep: Option<String>,
}

async fn describe(State(t): State<Arc<Tiles>>) -> Response {
    axum::Json(serde_json::json!({
        "tilejson": "3.0.0",
        "tiles": ["/tiles/{z}/{x}/{y}.png"],
        "attribution": t.config.attribution,
        "minzoom": 0,
        "maxzoom": t.config.max_zoom,
        "keep": t.config.keep,
    }))
    .into_response()
}

async fn tile(
    State(t): State<Arc<Tiles>>,
    UrlPath((z, x, y)): UrlPath<(u8, u32, String)>,
    Query(q): Query<TileQuery>,
) -> Response {
    let y = y.strip_suffix(".png").unwrap_or(&y).parse::<u32>();
    let Ok(y) = y else {
        return (StatusCode::BAD_REQUEST, "y: a number").into_response();
    };
    if z > MAX_ZOOM.min(t.config.max_zoom) || x >= 1 << z || y >= 1 << z {
        return (StatusCode::NOT_FOUND, "no such tile").into_response();
    }
    if q.keep.is_some() && !t.config.keep {
        return (
            StatusCode::FORBIDDEN,
            "this server's tile provider does not allow keeping maps offline",
        )
            .into_response();
    }
    match t.tile(Tile { z, x, y }).await {
        Ok(bytes) => {
            let kind = if bytes.starts_with(b"\x89PNG") {
                "image/png"
            } else {
                "image/jpeg"
            };
            (
                [
                    (header::CONTENT_TYPE, kind),
                    (header::CACHE_CONTROL, "public, max-age=604800"),
                ],
                bytes,
            )
                .into_response()
        }
        Err((status, why)) => (status, why).into_response(),
    }
}

pub fn router(t: Arc<Tiles>) -> Router {
    Router::new()
        .route("/tiles.json", get(describe))
        .route("/tiles/{z}/{x}/{y}", get(tile))
        .with_state(t)
}
