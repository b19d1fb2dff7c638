//! The offline fallback of address search: a gazetteer of about 144 000 towns
//! and cities (GeoNames' `cities1000`, CC BY 4.0; see `data/README.md`) bundled
//! into the binary, searched by name ([`Gazetteer::search`]) and by nearest
//! point ([`Gazetteer::reverse`]). It answers when there is no network, no
//! geocoder chosen, or the geocoder failed; its answers are towns, not streets,
//! and every front end labels them approximate.
//!
//! How it works: the compressed CSV is read once, on first use
//! ([`Gazetteer::bundled`], about a quarter of a second); names are folded to
//! lowercase ASCII (`deunicode`) and sorted, so a search is a binary search for
//! the prefix; points go into a k-d tree (`kiddo`) on the unit sphere, so
//! reverse search is a nearest-neighbour query. The data has no population, so
//! among equally good names the one with more towns within 25 km (a city's
//! suburbs) comes first, or the one nearest to the point the caller gives.
//!
//! "Paris, Texas" narrows by the words after the first comma: each must begin a
//! word of the place's region, county or country code.

use std::io::Read;
use std::sync::OnceLock;

use kiddo::SquaredEuclidean;
use kiddo::immutable::float::kdtree::ImmutableKdTree;
use rally_geocode::Place;

/// The name the gazetteer answers under (`source` in an answer).
pub const SOURCE: &str = "gazetteer";
/// The most results a search returns.
pub const MAX_RESULTS: usize = rally_geocode::MAX_RESULTS;

const EARTH_KM: f64 = 6371.0;
/// Neighbours counted within this distance rank big towns first.
const NEIGHBOURHOOD_KM: f64 = 25.0;
/// Names examined per search (the best prefix matches, before ranking).
const CANDIDATES: usize = 400;

static DATA: &[u8] = include_bytes!("../data/cities.csv.gz");

#[derive(Debug, thiserror::Error)]
pub enum GazetteerError {
    #[error("the bundled gazetteer cannot be read: {0}")]
    Corrupt(String),
}

/// One town or city.
#[derive(Debug, Clone, PartialEq)]
pub struct Town {
    pub name: String,
    /// First-level division (region, state).
    pub region: String,
    /// Second-level division (county, département), often empty.
    pub county: String,
    /// ISO 3166-1 alpha-2 country code.
    pub country: String,
    pub lat: f64,
    pub lon: f64,
}

impl Town {
    /// "county, region, country", leaving out empty and repeated parts.
    pub fn address(&self) -> String {
        let mut parts: Vec<&str> = Vec::new();
        for p in [&self.county, &self.region, &self.country] {
            if !p.is_empty() && p != &self.name && !parts.contains(&p.as_str()) {
                parts.push(p);
            }
        }
        parts.join(", ")
    }

    pub fn place(&self) -> Place {
        Place {
            name: self.name.clone(),
            address: Some(self.address()),
            lat: self.lat,
            lon: self.lon,
        }
    }
}

/// A town found by [`Gazetteer::reverse`], with how far it is from the point.
#[derive(Debug, Clone, PartialEq)]
pub struct Nearest<'a> {
    pub town: &'a Town,
    pub km: f64,
}

#[derive(serde::Deserialize)]
struct Row {
    lat: f64,
    lon: f64,
    name: String,
    admin1: String,
    admin2: String,
    cc: String,
}

pub struct Gazetteer {
    towns: Vec<Town>,
    /// (folded name, index into `towns`), sorted.
    names: Vec<(String, u32)>,
    tree: ImmutableKdTree<f64, u32, 3, 32>,
}

impl std::fmt::Debug for Gazetteer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Gazetteer")
            .field("towns", &self.towns.len())
            .finish()
    }
}

/// Lowercase ASCII, accents and other scripts transliterated, runs of
/// punctuation and spaces made one space.
pub fn fold(text: &str) -> String {
    let ascii = deunicode::deunicode(text).to_ascii_lowercase();
    let mut out = String::with_capacity(ascii.len());
    for word in ascii.split(|c: char| !c.is_ascii_alphanumeric()) {
        if word.is_empty() {
            continue;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

fn on_sphere(lat: f64, lon: f64) -> [f64; 3] {
    let (lat, lon) = (lat.to_radians(), lon.to_radians());
    [lat.cos() * lon.cos(), lat.cos() * lon.sin(), lat.sin()]
}

/// Squared chord on the unit sphere for a distance along the surface.
fn chord2(km: f64) -> f64 {
    let c = 2.0 * (km / EARTH_KM / 2.0).sin();
    c * c
}

/// Surface distance for a squared chord.
fn km_of(chord2: f64) -> f64 {
    2.0 * (chord2.sqrt() / 2.0).min(1.0).asin() * EARTH_KM
}

impl Gazetteer {
    /// The bundled gazetteer, read on first use.
    pub fn bundled() -> Result<&'static Gazetteer, GazetteerError> {
        static ONCE: OnceLock<Result<Gazetteer, String>> = OnceLock::new();
        ONCE.get_or_init(|| {
            let mut csv = Vec::new();
            flate2::read::GzDecoder::new(DATA)
                .read_to_end(&mut csv)
                .map_err(|e| e.to_string())?;
            Gazetteer::from_csv(&csv).map_err(|e| e.to_string())
        })
        .as_ref()
        .map_err(|e| GazetteerError::Corrupt(e.clone()))
    }

    /// A gazetteer from CSV in the bundled file's columns
    /// (`lat,lon,name,admin1,admin2,cc`, with a header).
    pub fn from_csv(csv: &[u8]) -> Result<Gazetteer, GazetteerError> {
        let mut towns = Vec::new();
        for row in csv::Reader::from_reader(csv).deserialize::<Row>() {
            let r = row.map_err(|e| GazetteerError::Corrupt(e.to_string()))?;
            if !(-90.0..=90.0).contains(&r.lat) || !(-180.0..=180.0).contains(&r.lon) {
                return Err(GazetteerError::Corrupt(format!(
                    "{} is at ({}, {})",
                    r.name, r.lat, r.lon
                )));
            }
            towns.push(Town {
                name: r.name,
                region: r.admin1,
                county: r.admin2,
                country: r.cc,
                lat: r.lat,
                lon: r.lon,
            });
        }
        if towns.is_empty() || towns.len() > u32::MAX as usize {
            return Err(GazetteerError::Corrupt(format!("{} towns", towns.len())));
        }
        let mut names: Vec<(String, u32)> = towns
            .iter()
            .enumerate()
            .map(|(i, t)| (fold(&t.name), i as u32))
            .collect();
        names.sort_unstable();
        let points: Vec<[f64; 3]> = towns.iter().map(|t| on_sphere(t.lat, t.lon)).collect();
        let tree = ImmutableKdTree::new_from_slice(&points);
        Ok(Gazetteer { towns, names, tree })
    }

    pub fn len(&self) -> usize {
        self.towns.len()
    }

    pub fn is_empty(&self) -> bool {
        self.towns.is_empty()
    }

    /// The nearest town to a point.
    pub fn reverse(&self, lat: f64, lon: f64) -> Option<Nearest<'_>> {
        if !lat.is_finite() || !lon.is_finite() {
            return None;
        }
        let n = self
            .tree
            .nearest_one::<SquaredEuclidean>(&on_sphere(lat, lon));
        Some(Nearest {
            town: &self.towns[n.item as usize],
            km: km_of(n.distance),
        })
    }

    /// Towns whose name begins with the text before the first comma, narrowed
    /// by the words after it; whole names before prefixes, names with as many
    /// words as asked before longer ones ("Marseille" before "Marseille 15"),
    /// then big towns (or, with `near`, the nearest) first.
    pub fn search(&self, text: &str, limit: usize, near: Option<(f64, f64)>) -> Vec<&Town> {
        let mut parts = text.splitn(2, ',');
        let name = fold(parts.next().unwrap_or(""));
        let within: Vec<String> = parts
            .next()
            .map(|rest| {
                rest.split(',')
                    .map(fold)
                    .filter(|w| !w.is_empty())
                    .collect()
            })
            .unwrap_or_default();
        let limit = limit.clamp(1, MAX_RESULTS);
        if name.is_empty() {
            return Vec::new();
        }
        let start = self
            .names
            .partition_point(|(n, _)| n.as_str() < name.as_str());
        let words = name.split(' ').count();
        // (the whole name, as many words as asked, the town)
        let mut found: Vec<((bool, bool), &Town)> = self.names[start..]
            .iter()
            .take_while(|(n, _)| n.starts_with(&name))
            .map(|(n, i)| {
                let rank = (*n == name, n.split(' ').count() == words);
                (rank, &self.towns[*i as usize])
            })
            .filter(|(_, t)| within.iter().all(|w| Self::lies_in(t, w)))
            .take(CANDIDATES)
            .collect();
        // Whole names first; among those the same, big towns or the nearest.
        let score = |t: &Town| -> f64 {
            match near {
                Some((lat, lon)) => {
                    -km_of(self.squared_chord(on_sphere(t.lat, t.lon), on_sphere(lat, lon)))
                }
                None => self
                    .tree
                    .within_unsorted::<SquaredEuclidean>(
                        &on_sphere(t.lat, t.lon),
                        chord2(NEIGHBOURHOOD_KM),
                    )
                    .len() as f64,
            }
        };
        let mut scored: Vec<((bool, bool), f64, &Town)> = found
            .drain(..)
            .map(|(whole, t)| (whole, score(t), t))
            .collect();
        scored.sort_by(|a, b| {
            b.0.cmp(&a.0)
                .then(b.1.total_cmp(&a.1))
                .then(a.2.name.cmp(&b.2.name))
        });
        scored.into_iter().take(limit).map(|(_, _, t)| t).collect()
    }

    fn squared_chord(&self, a: [f64; 3], b: [f64; 3]) -> f64 {
        (a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2) + (a[2] - b[2]).powi(2)
    }

    /// Whether a folded word begins a word of the town's region, county or
    /// country code.
    fn lies_in(t: &Town, word: &str) -> bool {
        [&t.region, &t.county, &t.country].iter().any(|part| {
            let part = fold(part);
            part == word || part.starts_with(word) || part.split(' ').any(|w| w.starts_with(word))
        })
    }
}

/// An approximate answer from the bundled gazetteer, in the shape every other
/// geocoder's answer has.
pub fn search(
    text: &str,
    limit: usize,
    near: Option<(f64, f64)>,
) -> Result<Vec<Place>, GazetteerError> {
    Ok(Gazetteer::bundled()?
        .search(text, limit, near)
        .into_iter()
        .map(Town::place)
        .collect())
}

/// The nearest town to a point, as a place (none for a point that is not a
/// number).
pub fn reverse(lat: f64, lon: f64) -> Result<Vec<Place>, GazetteerError> {
    Ok(Gazetteer::bundled()?
        .reverse(lat, lon)
        .map(|n| n.town.place())
        .into_iter()
        .collect())
}

#[cfg(test)]
mod tests;
