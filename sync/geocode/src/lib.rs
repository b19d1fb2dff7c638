//! Geocoders' wire formats, the only place they are read or written: how to ask
//! each provider for an address search or a reverse search ([`Provider::search_url`],
//! [`Provider::reverse_url`]), and its answer read into [`Place`]s
//! ([`Provider::parse`]). No IO: the server (or a device, when its user chooses
//! direct requests) sends the request with its own client, rate limit and cache.
//!
//! [`Answer`] is the JSON a Rally server's own `/geocode/…` endpoints give its
//! devices.
//!
//! - Nominatim: `/search?q=…&format=jsonv2&addressdetails=1&limit=N`, a JSON array
//!   of places with `lat`/`lon` as strings, `name`, `display_name` and an
//!   `address` object; `/reverse?lat=…&lon=…&format=jsonv2` one such place (or
//!   `{"error": …}`).
//! - Photon: `/api?q=…&limit=N`, `/reverse?lat=…&lon=…`: a GeoJSON
//!   `FeatureCollection`, `properties` with `name`, `housenumber`, `street`,
//!   `postcode`, `city`, `state`, `country`.
//! - Addok: `/search/?q=…&limit=N`, `/reverse/?lat=…&lon=…`: a GeoJSON
//!   `FeatureCollection`, `properties` with `label`, `name`, `postcode`, `city`,
//!   `context`.
//! - Pelias: `/v1/search?text=…&size=N`, `/v1/reverse?point.lat=…&point.lon=…`: a
//!   GeoJSON `FeatureCollection`, `properties` with `label`, `name`, `street`,
//!   `housenumber`, `postalcode`, `locality`, `region`, `country`.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The most results asked for and read.
pub const MAX_RESULTS: usize = 20;
/// The longest query sent, in characters.
pub const MAX_QUERY: usize = 200;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Provider {
    Nominatim,
    Photon,
    Addok,
    Pelias,
}

/// A place a geocoder found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Place {
    pub name: String,
    /// The address as one line, when the provider gives its parts.
    pub address: Option<String>,
    pub lat: f64,
    pub lon: f64,
}

/// A Rally server's answer to `GET /geocode/search?q=…[&limit=N]` or
/// `/geocode/reverse?lat=…&lon=…` (errors are `{"error": "…"}` with a 4xx or
/// 502 status).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Answer {
    /// Which provider answered (`nominatim`, `photon`, `addok`, `pelias`, or
    /// `gazetteer` for a device's offline fallback).
    pub source: String,
    /// Whether the server answered from its cache.
    pub cached: bool,
    /// Towns from the offline gazetteer rather than addresses: to be shown as
    /// approximate.
    #[serde(default)]
    pub approximate: bool,
    /// Why the chosen geocoder did not answer, when the gazetteer did instead.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fallback: Option<String>,
    pub places: Vec<Place>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GeocodeError {
    #[error("unknown geocoder {0:?} (nominatim, photon, addok or pelias)")]
    UnknownProvider(String),
    #[error("the geocoder's address {0:?} is not an http(s) URL")]
    BadUrl(String),
    #[error("the geocoder answered something that is not its format: {0}")]
    Malformed(String),
    #[error("the geocoder refused: {0}")]
    Refused(String),
}

impl std::str::FromStr for Provider {
    type Err = GeocodeError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "nominatim" => Ok(Provider::Nominatim),
            "photon" => Ok(Provider::Photon),
            "addok" => Ok(Provider::Addok),
            "pelias" => Ok(Provider::Pelias),
            other => Err(GeocodeError::UnknownProvider(other.to_owned())),
        }
    }
}

fn endpoint(base: &str, path: &str, query: &[(&str, String)]) -> Result<String, GeocodeError> {
    let mut url = url::Url::parse(base).map_err(|_| GeocodeError::BadUrl(base.to_owned()))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(GeocodeError::BadUrl(base.to_owned()));
    }
    let joined = format!("{}/{}", url.path().trim_end_matches('/'), path);
    url.set_path(&joined);
    url.query_pairs_mut().clear().extend_pairs(query);
    Ok(url.to_string())
}

impl Provider {
    pub fn name(self) -> &'static str {
        match self {
            Provider::Nominatim => "nominatim",
            Provider::Photon => "photon",
            Provider::Addok => "addok",
            Provider::Pelias => "pelias",
        }
    }

    /// The URL of an address search at the provider whose address is `base`.
    pub fn search_url(self, base: &str, text: &str, limit: usize) -> Result<String, GeocodeError> {
        let q: String = text.trim().chars().take(MAX_QUERY).collect();
        let n = limit.clamp(1, MAX_RESULTS).to_string();
        match self {
            Provider::Nominatim => endpoint(
                base,
                "search",
                &[
                    ("q", q),
                    ("format", "jsonv2".into()),
                    ("addressdetails", "1".into()),
                    ("limit", n),
                ],
            ),
            Provider::Photon => endpoint(base, "api", &[("q", q), ("limit", n)]),
            Provider::Addok => endpoint(base, "search/", &[("q", q), ("limit", n)]),
            Provider::Pelias => endpoint(base, "v1/search", &[("text", q), ("size", n)]),
        }
    }

    /// The URL of a reverse search (the place at a point).
    pub fn reverse_url(self, base: &str, lat: f64, lon: f64) -> Result<String, GeocodeError> {
        let (lat, lon) = (format!("{lat:.6}"), format!("{lon:.6}"));
        match self {
            Provider::Nominatim => endpoint(
                base,
                "reverse",
                &[("lat", lat), ("lon", lon), ("format", "jsonv2".into())],
            ),
            Provider::Photon => endpoint(base, "reverse", &[("lat", lat), ("lon", lon)]),
            Provider::Addok => endpoint(base, "reverse/", &[("lat", lat), ("lon", lon)]),
            Provider::Pelias => endpoint(
                base,
                "v1/reverse",
                &[("point.lat", lat), ("point.lon", lon)],
            ),
        }
    }

    /// The provider's answer, read.
    pub fn parse(self, body: &[u8]) -> Result<Vec<Place>, GeocodeError> {
        let v: Value =
            serde_json::from_slice(body).map_err(|e| GeocodeError::Malformed(e.to_string()))?;
        if let Some(err) = v.get("error") {
            let why = err
                .as_str()
                .map(str::to_owned)
                .or_else(|| {
                    err.get("message")
                        .and_then(Value::as_str)
                        .map(str::to_owned)
                })
                .unwrap_or_else(|| err.to_string());
            return Err(GeocodeError::Refused(why));
        }
        let places = match self {
            Provider::Nominatim => nominatim(&v)?,
            Provider::Photon | Provider::Addok | Provider::Pelias => features(self, &v)?,
        };
        Ok(places
            .into_iter()
            .filter(|p| {
                p.lat.is_finite()
                    && p.lon.is_finite()
                    && (-90.0..=90.0).contains(&p.lat)
                    && (-180.0..=180.0).contains(&p.lon)
            })
            .take(MAX_RESULTS)
            .collect())
    }
}

fn text(v: &Value, key: &str) -> Option<String> {
    v.get(key)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

fn number(v: &Value, key: &str) -> Option<f64> {
    match v.get(key)? {
        Value::String(s) => s.trim().parse().ok(),
        Value::Number(n) => n.as_f64(),
        _ => None,
    }
}

/// Address parts joined in the order people write them, skipping the missing.
fn join(parts: &[Option<String>]) -> Option<String> {
    let parts: Vec<&str> = parts.iter().flatten().map(String::as_str).collect();
    (!parts.is_empty()).then(|| parts.join(", "))
}

fn nominatim(v: &Value) -> Result<Vec<Place>, GeocodeError> {
    let items: Vec<&Value> = match v {
        Value::Array(a) => a.iter().collect(),
        Value::Object(_) => vec![v],
        _ => return Err(GeocodeError::Malformed("neither a list nor a place".into())),
    };
    Ok(items
        .into_iter()
        .filter_map(|p| {
            let a = p.get("address").cloned().unwrap_or(Value::Null);
            let street = match (text(&a, "house_number"), text(&a, "road")) {
                (Some(n), Some(r)) => Some(format!("{n} {r}")),
                (None, r) => r,
                (n, None) => n,
            };
            let city = text(&a, "city")
                .or_else(|| text(&a, "town"))
                .or_else(|| text(&a, "village"))
                .or_else(|| text(&a, "municipality"));
            let address = join(&[street, text(&a, "postcode"), city, text(&a, "country")])
                .or_else(|| text(p, "display_name"));
            Some(Place {
                name: text(p, "name")
                    .or_else(|| text(p, "display_name"))
                    .unwrap_or_default(),
                address,
                lat: number(p, "lat")?,
                lon: number(p, "lon")?,
            })
        })
        .collect())
}

fn features(provider: Provider, v: &Value) -> Result<Vec<Place>, GeocodeError> {
    let list = v
        .get("features")
        .and_then(Value::as_array)
        .ok_or_else(|| GeocodeError::Malformed("no features".into()))?;
    Ok(list
        .iter()
        .filter_map(|f| {
            let c = f.get("geometry")?.get("coordinates")?.as_array()?;
            let (lon, lat) = (c.first()?.as_f64()?, c.get(1)?.as_f64()?);
            let p = f.get("properties").cloned().unwrap_or(Value::Null);
            let (name, address) = match provider {
                Provider::Photon => {
                    let street = match (text(&p, "housenumber"), text(&p, "street")) {
                        (Some(n), Some(s)) => Some(format!("{n} {s}")),
                        (None, s) => s,
                        (n, None) => n,
                    };
                    (
                        text(&p, "name").or_else(|| street.clone()),
                        join(&[
                            street,
                            text(&p, "postcode"),
                            text(&p, "city"),
                            text(&p, "country"),
                        ]),
                    )
                }
                Provider::Addok => (
                    text(&p, "name").or_else(|| text(&p, "label")),
                    text(&p, "label").or_else(|| join(&[text(&p, "postcode"), text(&p, "city")])),
                ),
                Provider::Pelias | Provider::Nominatim => (
                    text(&p, "name").or_else(|| text(&p, "label")),
                    text(&p, "label"),
                ),
            };
            Some(Place {
                name: name.unwrap_or_default(),
                address,
                lat,
                lon,
            })
        })
        .collect())
}

#[cfg(test)]
mod tests;
