//! The time zone of another instance, for its events that come without one.
//!
//! Mobilizon sends each event's `timezone`; Gancio 1.21 does not (its
//! `startTime` carries only an offset), but publishes its instance's zone in
//! NodeInfo's metadata as `nodeTimezone`. [`copies`](super::copies) asks
//! [`zone_of`] for an event's origin when the event names no zone: the
//! origin's NodeInfo is read through the guarded [`Fetcher`](super::fetch),
//! once a day per origin at most, and a zone this server does not know is
//! ignored. Without one, the copy keeps UTC and shows it as UTC.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::{Fedi, vocab};

/// How long an origin's answer (a zone or none) is kept.
const KEPT: Duration = Duration::from_secs(24 * 3600);
/// At most this many origins are remembered; past it, the oldest is dropped.
const MAX_ORIGINS: usize = 10_000;

/// Each origin's zone as last read, and when.
#[derive(Debug, Default)]
pub struct Zones {
    known: Mutex<HashMap<String, (Option<String>, Instant)>>,
}

impl Zones {
    fn get(&self, origin: &str, now: Instant) -> Option<Option<String>> {
        let known = self.known.lock().unwrap_or_else(|e| e.into_inner());
        known
            .get(origin)
            .filter(|(_, at)| now.duration_since(*at) < KEPT)
            .map(|(zone, _)| zone.clone())
    }

    fn put(&self, origin: &str, zone: Option<String>, now: Instant) {
        let mut known = self.known.lock().unwrap_or_else(|e| e.into_inner());
        if known.len() >= MAX_ORIGINS
            && !known.contains_key(origin)
            && let Some(oldest) = known
                .iter()
                .min_by_key(|(_, (_, at))| *at)
                .map(|(o, _)| o.clone())
        {
            known.remove(&oldest);
        }
        known.insert(origin.to_owned(), (zone, now));
    }
}

/// The zone the instance serving `object_id` publishes, if any.
pub async fn zone_of(fedi: &Fedi, object_id: &str) -> Option<String> {
    let origin = url::Url::parse(object_id).ok()?.origin();
    if !origin.is_tuple() {
        return None;
    }
    let origin = origin.ascii_serialization();
    let now = Instant::now();
    if let Some(zone) = fedi.zones.get(&origin, now) {
        return zone;
    }
    let zone = read(fedi, &origin).await;
    fedi.zones.put(&origin, zone.clone(), now);
    zone
}

async fn read(fedi: &Fedi, origin: &str) -> Option<String> {
    let links = fedi
        .fetcher
        .get_plain_json(&format!("{origin}/.well-known/nodeinfo"))
        .await
        .ok()?;
    let href = vocab::nodeinfo_document(&links)?;
    if !vocab::same_origin(&href, origin) {
        return None;
    }
    let doc = fedi.fetcher.get_plain_json(&href).await.ok()?;
    vocab::nodeinfo_zone(&doc)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_kept_a_day_and_the_oldest_origin_goes_first() {
        let zones = Zones::default();
        let t0 = Instant::now();
        assert_eq!(zones.get("https://a.example", t0), None);
        zones.put("https://a.example", Some("Europe/Rome".into()), t0);
        zones.put("https://b.example", None, t0 + Duration::from_secs(1));
        assert_eq!(
            zones.get("https://a.example", t0 + KEPT - Duration::from_secs(1)),
            Some(Some("Europe/Rome".into()))
        );
        assert_eq!(zones.get("https://b.example", t0), Some(None));
        assert_eq!(zones.get("https://a.example", t0 + KEPT), None);

        for i in 0..MAX_ORIGINS {
            zones.put(
                &format!("https://{i}.example"),
                None,
                t0 + Duration::from_secs(2),
            );
        }
        let known = zones.known.lock().unwrap();
        assert_eq!(known.len(), MAX_ORIGINS);
        assert!(!known.contains_key("https://a.example"), "the oldest went");
    }
}
