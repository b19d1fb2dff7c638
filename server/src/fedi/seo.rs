//! What link previews and search engines read of the public pages: OpenGraph
//! and Twitter-card tags ([`preview`]), schema.org `Event` as JSON-LD on event
//! pages ([`event_json_ld`]; a series at its next date, with its rule as an
//! `eventSchedule`), `/sitemap.xml` of every published group and event,
//! and `/robots.txt` — the default allows the pages and keeps crawlers off the
//! admin page and the device endpoints; the admin tightens it with
//! `--robots FILE`, served as it is.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use rally_core::{EventStatus, EventView};
use serde_json::{Value, json};

use super::vocab::Urls;
use super::{Fedi, FediError};
use crate::html::escape;

/// The longest description a preview carries, in characters.
const PREVIEW_CHARS: usize = 200;

/// Plain text of the start of a Markdown description, for previews.
pub fn excerpt(markdown: &str) -> String {
    let text: String = markdown
        .chars()
        .filter(|c| !matches!(c, '*' | '_' | '#' | '`' | '>' | '[' | ']'))
        .collect();
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if text.chars().count() <= PREVIEW_CHARS {
        return text;
    }
    let cut: String = text.chars().take(PREVIEW_CHARS - 1).collect();
    format!("{}…", cut.trim_end())
}

/// OpenGraph and Twitter-card tags for a page.
pub fn preview(
    title: &str,
    description: &str,
    url: &str,
    image: Option<(&str, &str)>,
    kind: &str,
) -> String {
    let mut head = format!(
        r#"<meta property="og:type" content="{}"><meta property="og:title" content="{}"><meta property="og:url" content="{}"><meta name="description" content="{d}"><meta property="og:description" content="{d}"><meta name="twitter:title" content="{}">"#,
        escape(kind),
        escape(title),
        escape(url),
        escape(title),
        d = escape(description),
    );
    match image {
        Some((src, alt)) => head.push_str(&format!(
            r#"<meta property="og:image" content="{}"><meta property="og:image:alt" content="{}"><meta name="twitter:card" content="summary_large_image">"#,
            escape(src),
            escape(alt)
        )),
        None => head.push_str(r#"<meta name="twitter:card" content="summary">"#),
    }
    head
}

/// An event as schema.org's `Event`, in a `<script type="application/ld+json">`
/// (its text cannot close the element: `<` is written `\u003c`).
pub fn event_json_ld(
    urls: &Urls,
    id: &rally_core::DocId,
    view: &EventView,
    organiser: Option<(&str, &str)>,
) -> String {
    // A series is described at its next date; its rule is the schedule.
    let next = super::series::at_next(view.clone(), rally_core::jiff::Timestamp::now());
    let d = &next.as_ref().unwrap_or(view).details;
    let instant =
        |z: rally_core::jiff::ZonedDateTime| z.strftime("%Y-%m-%dT%H:%M:%S%:z").to_string();
    let mut v = json!({
        "@context": "https://schema.org",
        "@type": "Event",
        "name": d.title,
        "url": urls.event(id),
        "description": excerpt(&d.description),
        "startDate": instant(d.starts_at()),
        "eventStatus": if d.status == EventStatus::Cancelled {
            "https://schema.org/EventCancelled"
        } else {
            "https://schema.org/EventScheduled"
        },
    });
    if let Some(end) = d.ends_at() {
        v["endDate"] = json!(instant(end));
    }
    let physical = d.place.name.is_some() || d.place.address.is_some();
    let mut location: Vec<Value> = Vec::new();
    if physical {
        let mut place =
            json!({"@type": "Place", "name": d.place.name.clone().or(d.place.address.clone())});
        if let Some(a) = &d.place.address {
            place["address"] = json!({"@type": "PostalAddress", "streetAddress": a});
        }
        if let (Some(lat), Some(lon)) = (d.place.latitude, d.place.longitude) {
            place["geo"] = json!({"@type": "GeoCoordinates", "latitude": lat, "longitude": lon});
        }
        location.push(place);
    }
    if let Some(online) = &d.online_url {
        location.push(json!({"@type": "VirtualLocation", "url": online}));
    }
    v["eventAttendanceMode"] = json!(match (physical, d.online_url.is_some()) {
        (true, true) => "https://schema.org/MixedEventAttendanceMode",
        (false, true) => "https://schema.org/OnlineEventAttendanceMode",
        _ => "https://schema.org/OfflineEventAttendanceMode",
    });
    if !location.is_empty() {
        v["location"] = if location.len() == 1 {
            location.remove(0)
        } else {
            json!(location)
        };
    }
    if let Some(b) = &d.banner {
        v["image"] = json!([urls.media(&b.hash)]);
    }
    if let Some((name, url)) = organiser {
        v["organizer"] = json!({"@type": "Organization", "name": name, "url": url});
    }
    if let Some(schedule) = schedule(&view.details) {
        v["eventSchedule"] = schedule;
    }
    format!(
        r#"<script type="application/ld+json">{}</script>"#,
        v.to_string().replace('<', "\\u003c")
    )
}

/// A series' rule as schema.org's `Schedule`: how often (an ISO 8601
/// duration), on which days (schema.org's days, or iCalendar's `2TU` for a
/// ranked weekday), from and until when, at what time, in which zone.
fn schedule(d: &rally_core::EventDetails) -> Option<Value> {
    use rally_core::jiff::civil::Weekday;
    use rally_core::recurrence::Freq;
    let parts = d.repeat.as_ref()?.parts()?;
    let unit = match parts.freq {
        Freq::Daily => "D",
        Freq::Weekly => "W",
        Freq::Monthly => "M",
        Freq::Yearly => "Y",
    };
    let day = |w: Weekday| match w {
        Weekday::Monday => ("Monday", "MO"),
        Weekday::Tuesday => ("Tuesday", "TU"),
        Weekday::Wednesday => ("Wednesday", "WE"),
        Weekday::Thursday => ("Thursday", "TH"),
        Weekday::Friday => ("Friday", "FR"),
        Weekday::Saturday => ("Saturday", "SA"),
        Weekday::Sunday => ("Sunday", "SU"),
    };
    let mut s = json!({
        "@type": "Schedule",
        "repeatFrequency": format!("P{}{unit}", parts.interval),
        "startDate": d.starts.date().to_string(),
        "startTime": d.starts.strftime("%H:%M").to_string(),
        "scheduleTimezone": d.time_zone,
    });
    if !parts.weekdays.is_empty() {
        s["byDay"] = parts
            .weekdays
            .iter()
            .map(|(n, w)| match n {
                None => format!("https://schema.org/{}", day(*w).0),
                Some(n) => format!("{n}{}", day(*w).1),
            })
            .collect();
    }
    if !parts.month_days.is_empty() {
        s["byMonthDay"] = json!(parts.month_days);
    }
    if let Some(end) = d.ends {
        s["endTime"] = json!(end.strftime("%H:%M").to_string());
    }
    if let Some(until) = parts.until {
        s["endDate"] = json!(until.to_zoned_datetime(d.zone()).date().to_string());
    }
    if let Some(count) = parts.count {
        s["repeatCount"] = json!(count);
    }
    Some(s)
}

/// The default `robots.txt`.
fn default_robots(base: &str) -> String {
    format!(
        "User-agent: *\nAllow: /\nDisallow: /admin\nDisallow: /geocode/\nDisallow: /tiles/\nDisallow: /inbox\n\nSitemap: {base}/sitemap.xml\n"
    )
}

pub async fn robots(State(fedi): State<Arc<Fedi>>) -> Response {
    let body = match &fedi.robots {
        Some(text) => text.clone(),
        None => default_robots(&fedi.urls.base),
    };
    ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], body).into_response()
}

pub async fn sitemap(State(fedi): State<Arc<Fedi>>, headers: HeaderMap) -> Response {
    let urls = fedi.urls.clone();
    let found = fedi
        .local(move |l| {
            let mut out = vec![format!("{}/", urls.base)];
            let mut seen = std::collections::HashSet::new();
            let mut published = l.published()?;
            for g in l.public_groups()? {
                out.push(urls.group(&g.id));
                for e in &g.view.events {
                    if seen.insert(*e) && published.event(e).is_some() {
                        out.push(urls.event(e));
                    }
                }
            }
            Ok::<_, FediError>(out)
        })
        .await;
    match found {
        Ok(pages) => {
            let body = format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n{}</urlset>\n",
                pages
                    .iter()
                    .map(|u| format!("<url><loc>{}</loc></url>\n", escape(u)))
                    .collect::<String>()
            );
            crate::html::cached(&headers, "application/xml; charset=utf-8", body, 300)
        }
        Err(e) => e.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use rally_core::EventDetails;
    use rally_core::jiff::civil::date;

    #[test]
    fn a_monthly_series_on_the_second_tuesday_is_a_schedule() {
        let mut d = EventDetails::new("Assembly", date(2055, 3, 9).at(19, 0, 0, 0), "Europe/Paris");
        d.ends = Some(date(2055, 3, 9).at(21, 0, 0, 0));
        let rule = rally_core::Repeat::parse("FREQ=MONTHLY;INTERVAL=2;BYDAY=2TU").unwrap();
        d.repeat = Some(rule.until(date(2055, 12, 31), &d.zone()).unwrap());
        let s = super::schedule(&d).unwrap();
        assert_eq!(s["repeatFrequency"], "P2M");
        assert_eq!(s["byDay"], serde_json::json!(["2TU"]));
        assert_eq!(s["startDate"], "2055-03-09");
        assert_eq!(
            (&s["startTime"], &s["endTime"]),
            (&"19:00".into(), &"21:00".into())
        );
        assert_eq!(s["endDate"], "2055-12-31");
        let mut weekly = d.clone();
        weekly.repeat = Some(rally_core::Repeat::parse("FREQ=WEEKLY;BYDAY=TU,TH;COUNT=4").unwrap());
        let s = super::schedule(&weekly).unwrap();
        assert_eq!(
            s["byDay"],
            serde_json::json!(["https://schema.org/Tuesday", "https://schema.org/Thursday"])
        );
        assert_eq!(s["repeatCount"], 4);
        d.repeat = None;
        assert!(super::schedule(&d).is_none());
    }
}
