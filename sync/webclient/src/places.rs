//! Address search from a device. [`lookup`] asks the chosen [`Geocoder`] and,
//! if it cannot answer (no network, a timeout, an error status, an answer in
//! the wrong shape, a server without a geocoder), answers from the bundled
//! gazetteer instead, saying why in [`Answer::fallback`] and marking the
//! answer approximate.

use rally_geocode::{Answer, Place, Provider};

/// The largest geocoder answer read.
const MAX_ANSWER: usize = 2 * 1024 * 1024;

/// Who answers an address search.
#[derive(Debug, Clone, PartialEq)]
pub enum Geocoder {
    /// The device's server (`GET /geocode/search`, `/geocode/reverse`).
    Server(String),
    /// A provider the user chose to ask directly (it sees them).
    Direct { provider: Provider, url: String },
    /// No one: the bundled gazetteer.
    Offline,
}

/// What is asked.
#[derive(Debug, Clone, PartialEq)]
pub enum Query {
    Search {
        text: String,
        limit: usize,
        /// Ranks the gazetteer's towns of the same name by distance.
        near: Option<(f64, f64)>,
    },
    Reverse {
        lat: f64,
        lon: f64,
    },
}

#[derive(Debug, thiserror::Error)]
pub enum PlacesError {
    #[error(transparent)]
    Gazetteer(#[from] rally_gazetteer::GazetteerError),
}

/// The answer of the chosen geocoder, or of the gazetteer when it cannot give
/// one.
pub async fn lookup(
    client: &reqwest::Client,
    geocoder: &Geocoder,
    query: &Query,
) -> Result<Answer, PlacesError> {
    let why = match geocoder {
        Geocoder::Offline => None,
        Geocoder::Server(base) => match ask_server(client, base, query).await {
            Ok(answer) => return Ok(answer),
            Err(why) => Some(why),
        },
        Geocoder::Direct { provider, url } => {
            match ask_provider(client, *provider, url, query).await {
                Ok(places) => {
                    return Ok(Answer {
                        source: provider.name().to_owned(),
                        cached: false,
                        approximate: false,
                        fallback: None,
                        places,
                    });
                }
                Err(why) => Some(why),
            }
        }
    };
    offline(query, why)
}

/// The gazetteer's answer.
pub fn offline(query: &Query, fallback: Option<String>) -> Result<Answer, PlacesError> {
    let places = match query {
        Query::Search { text, limit, near } => rally_gazetteer::search(text, *limit, *near)?,
        Query::Reverse { lat, lon } => rally_gazetteer::reverse(*lat, *lon)?,
    };
    Ok(Answer {
        source: rally_gazetteer::SOURCE.to_owned(),
        cached: false,
        approximate: true,
        fallback,
        places,
    })
}

async fn ask_server(client: &reqwest::Client, base: &str, query: &Query) -> Result<Answer, String> {
    let mut url = url::Url::parse(base.trim_end_matches('/'))
        .map_err(|_| format!("{base:?} is not a web address"))?;
    match query {
        Query::Search { text, limit, .. } => {
            url.set_path("/geocode/search");
            url.query_pairs_mut()
                .append_pair("q", text)
                .append_pair("limit", &limit.to_string());
        }
        Query::Reverse { lat, lon } => {
            url.set_path("/geocode/reverse");
            url.query_pairs_mut()
                .append_pair("lat", &lat.to_string())
                .append_pair("lon", &lon.to_string());
        }
    }
    let (status, body) = get_json(client, url, base).await?;
    if status == reqwest::StatusCode::NOT_FOUND {
        return Err(format!(
            "{base} offers no address search (its admin has not chosen a geocoder)"
        ));
    }
    if !status.is_success() {
        let why = serde_json::from_slice::<serde_json::Value>(&body)
            .ok()
            .and_then(|v| v["error"].as_str().map(str::to_owned))
            .unwrap_or_else(|| status.to_string());
        return Err(format!("{base}: {why}"));
    }
    serde_json::from_slice(&body).map_err(|_| format!("{base}'s answer is not an address search"))
}

async fn ask_provider(
    client: &reqwest::Client,
    provider: Provider,
    base: &str,
    query: &Query,
) -> Result<Vec<Place>, String> {
    let url = match query {
        Query::Search { text, limit, .. } => provider.search_url(base, text, *limit),
        Query::Reverse { lat, lon } => provider.reverse_url(base, *lat, *lon),
    }
    .map_err(|e| e.to_string())?;
    let (status, body) = get_json(client, url, base).await?;
    if status == reqwest::StatusCode::TOO_MANY_REQUESTS {
        return Err(format!("{base} asks to slow down (429 Too Many Requests)"));
    }
    if !status.is_success() {
        return Err(format!("{base} answered {status}"));
    }
    provider.parse(&body).map_err(|e| format!("{base}: {e}"))
}

/// A GET asking for JSON: the status and the body (capped), or why nothing
/// came back.
async fn get_json(
    client: &reqwest::Client,
    url: impl reqwest::IntoUrl,
    base: &str,
) -> Result<(reqwest::StatusCode, Vec<u8>), String> {
    let resp = client
        .get(url)
        .header("accept", "application/json")
        .send()
        .await
        .map_err(|e| format!("{base} cannot be reached: {}", e.without_url()))?;
    let status = resp.status();
    Ok((status, crate::capped(resp, MAX_ANSWER).await?))
}
