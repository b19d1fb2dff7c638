//! Address search through the server (`--geocoder P --geocoder-url URL`): a
//! device asks `GET /geocode/search?q=…` or `/geocode/reverse?lat=…&lon=…` and
//! the provider sees this server, never the person. Answers are cached in
//! `geocode.db` (30 days), so a repeated query costs the provider nothing, and
//! requests to the provider are spaced (one a second to Nominatim, as its usage
//! policy asks) with a User-Agent naming the server. The provider's wire format
//! is `rally-geocode`'s; the cache lives on a thread of its own, like every
//! connection of the server.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use rally_geocode::{Answer, Provider};
use rally_service::Handle;
use rusqlite::{OptionalExtension, params};
use serde::Deserialize;

/// How long a cached answer is used.
const CACHE_SECS: i64 = 30 * 24 * 3600;
const TIMEOUT: Duration = Duration::from_secs(10);

/// The cache (`geocode.db`), owned by its thread.
#[derive(Debug)]
pub struct GeoCache {
    conn: rusqlite::Connection,
}

impl GeoCache {
    pub fn open(dir: &Path) -> rusqlite::Result<GeoCache> {
        let conn = rusqlite::Connection::open(dir.join("geocode.db"))?;
        conn.execute_batch(
            "PRAGMA journal_mode = WAL;
             CREATE TABLE IF NOT EXISTS answers (
                 key TEXT PRIMARY KEY, places TEXT NOT NULL, at INTEGER NOT NULL);",
        )?;
        Ok(GeoCache { conn })
    }

    fn get(&self, key: &str) -> rusqlite::Result<Option<String>> {
        self.conn
            .query_row(
                "SELECT places FROM answers WHERE key = ?1 AND at > unixepoch() - ?2",
                params![key, CACHE_SECS],
                |r| r.get(0),
            )
            .optional()
    }

    fn put(&self, key: &str, places: &str) -> rusqlite::Result<()> {
        self.conn.execute(
            "INSERT OR REPLACE INTO answers (key, places, at) VALUES (?1, ?2, unixepoch())",
            params![key, places],
        )?;
        Ok(())
    }
}

/// The provider this server asks, and how.
#[derive(Debug)]
pub struct Geocoder {
    provider: Provider,
    base: String,
    client: reqwest::Client,
    cache: Handle<GeoCache>,
    /// When the provider was last asked (requests are spaced).
    last: tokio::sync::Mutex<Option<Instant>>,
    spacing: Duration,
}

#[derive(Debug, thiserror::Error)]
pub enum GeocoderError {
    #[error("the geocoder cannot be set up: {0}")]
    Setup(String),
    #[error("the geocoder did not answer: {0}")]
    Unreachable(String),
    #[error("the geocoder answered {0}")]
    Status(u16),
    #[error(transparent)]
    Format(#[from] rally_geocode::GeocodeError),
    #[error("the cache is unavailable")]
    Cache,
}

impl Geocoder {
    pub fn new(
        provider: Provider,
        base: &str,
        data: &Path,
        user_agent: &str,
    ) -> Result<Geocoder, GeocoderError> {
        // Checked now: a bad address is a startup error, not a failing search.
        provider
            .search_url(base, "check", 1)
            .map_err(|e| GeocoderError::Setup(e.to_string()))?;
        let cache = GeoCache::open(data).map_err(|e| GeocoderError::Setup(e.to_string()))?;
        let client = reqwest::Client::builder()
            .user_agent(user_agent)
            .timeout(TIMEOUT)
            .build()
            .map_err(|e| GeocoderError::Setup(e.to_string()))?;
        Ok(Geocoder {
            provider,
            base: base.trim_end_matches('/').to_owned(),
            client,
            cache: Handle::spawn(cache, "rally-geocode")
                .map_err(|e| GeocoderError::Setup(e.to_string()))?,
            last: tokio::sync::Mutex::new(None),
            spacing: match provider {
                Provider::Nominatim => Duration::from_secs(1),
                _ => Duration::from_millis(100),
            },
        })
    }

    async fn ask(&self, key: String, url: String) -> Result<Answer, GeocoderError> {
        let k = key.clone();
        let cached = self
            .cache
            .call(move |c| c.get(&k))
            .await
            .map_err(|_| GeocoderError::Cache)?
            .map_err(|_| GeocoderError::Cache)?;
        if let Some(json) = cached
            && let Ok(places) = serde_json::from_str(&json)
        {
            return Ok(Answer {
                source: self.provider.name().to_owned(),
                cached: true,
                approximate: false,
                fallback: None,
                places,
            });
        }
        {
            // One request at a time, spaced as the provider asks.
            let mut last = self.last.lock().await;
            if let Some(at) = *last {
                let wait = self.spacing.saturating_sub(at.elapsed());
                tokio::time::sleep(wait).await;
            }
            *last = Some(Instant::now());
        }
        let resp = self
            .client
            .get(&url)
            .header("accept", "application/json")
            .send()
            .await
            .map_err(|e| GeocoderError::Unreachable(e.without_url().to_string()))?;
        if !resp.status().is_success() {
            return Err(GeocoderError::Status(resp.status().as_u16()));
        }
        let body = resp
            .bytes()
            .await
            .map_err(|e| GeocoderError::Unreachable(e.without_url().to_string()))?;
        if body.len() > 2 * 1024 * 1024 {
            return Err(GeocoderError::Unreachable("an answer over 2 MB".into()));
        }
        let places = self.provider.parse(&body)?;
        let json = serde_json::to_string(&places).unwrap_or_default();
        let _ = self.cache.call(move |c| c.put(&key, &json)).await;
        Ok(Answer {
            source: self.provider.name().to_owned(),
            cached: false,
            approximate: false,
            fallback: None,
            places,
        })
    }

    pub async fn search(&self, text: &str, limit: usize) -> Result<Answer, GeocoderError> {
        let text = text.trim().to_lowercase();
        let url = self.provider.search_url(&self.base, &text, limit)?;
        self.ask(format!("search|{limit}|{text}"), url).await
    }

    pub async fn reverse(&self, lat: f64, lon: f64) -> Result<Answer, GeocoderError> {
        let url = self.provider.reverse_url(&self.base, lat, lon)?;
        self.ask(format!("reverse|{lat:.5}|{lon:.5}"), url).await
    }
}

#[derive(Debug, Deserialize)]
struct SearchQuery {
    q: String,
    limit: Option<usize>,
}

#[derive(Debug, Deserialize)]
struct ReverseQuery {
    lat: f64,
    lon: f64,
}

fn answer(result: Result<Answer, GeocoderError>) -> Response {
    match result {
        Ok(a) => axum::Json(a).into_response(),
        Err(e) => (
            StatusCode::BAD_GATEWAY,
            axum::Json(serde_json::json!({"error": e.to_string()})),
        )
            .into_response(),
    }
}

async fn search(State(g): State<Arc<Geocoder>>, Query(q): Query<SearchQuery>) -> Response {
    if q.q.trim().is_empty() || q.q.chars().count() > rally_geocode::MAX_QUERY {
        return (StatusCode::BAD_REQUEST, "q: 1 to 200 characters").into_response();
    }
    answer(g.search(&q.q, q.limit.unwrap_or(5)).await)
}

async fn reverse(State(g): State<Arc<Geocoder>>, Query(q): Query<ReverseQuery>) -> Response {
    if !(-90.0..=90.0).contains(&q.lat) || !(-180.0..=180.0).contains(&q.lon) {
        return (StatusCode::BAD_REQUEST, "lat, lon: degrees").into_response();
    }
    answer(g.reverse(q.lat, q.lon).await)
}

pub fn router(g: Arc<Geocoder>) -> Router {
    Router::new()
        .route("/geocode/search", get(search))
        .route("/geocode/reverse", get(reverse))
        .with_state(g)
}
