//! The events list's map with 10 000 events (`RALLY_BENCH_MAP`, default
//! 10000): time from pressing "Map" to every marker clustered on screen, the
//! part of it spent building the clusters in the webview, and the memory of the
//! app's WebKit processes with the map shown — against a baseline in the same
//! run: the same screen with 100 events. The real `rally-app` under Xvfb
//! through WebDriver, no tile server (tiles are not what is measured).
//! `cargo bench -p rally-e2e --bench map_render`.

use std::path::Path;
use std::time::{Duration, Instant};

use rally_core::{Document, EventDetails};
use rally_e2e::webdriver::{Display, Driver, Session};
use rally_store::{Store, Timestamp};
use serde_json::json;

/// `n` upcoming events spread over France, each with a place on the map.
fn seed(dir: &Path, n: usize) {
    let mut store = Store::open(dir).unwrap();
    let now = Timestamp::now();
    let me = store.create_persona("organiser", now).unwrap();
    store.touch_persona(&me, now).unwrap();
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let docs: Vec<Document> = (0..n)
        .map(|i| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let mut d = EventDetails::new(
                format!("Event {i}"),
                format!("2027-{:02}-{:02}T18:00", 1 + i % 12, 1 + i % 28)
                    .parse()
                    .unwrap(),
                "Europe/Paris",
            );
            d.place.name = Some(format!("Hall {}", i % 50));
            d.place.latitude = Some(43.0 + (x % 8_000) as f64 / 1_000.0);
            d.place.longitude = Some(-1.0 + ((x >> 16) % 8_000) as f64 / 1_000.0);
            Document::create_event(&me.persona, "organiser", &d, None, now)
                .unwrap()
                .0
        })
        .collect();
    for chunk in docs.chunks(1000) {
        store.insert_new_batch(chunk).unwrap();
    }
}

/// Opens the map on `data`: (press to all markers on screen, the webview's
/// cluster building, the WebKit processes' memory in kB).
fn map(driver: &Driver, data: &Path, n: usize) -> (Duration, f64, u64) {
    let s = Session::new(
        driver,
        &rally_e2e::bin("rally-app"),
        &["--data", data.to_str().unwrap(), "--no-sync"],
    );
    s.find("#event-list li");
    let start = Instant::now();
    s.click("#show-map");
    s.wait("every marker on the map", || {
        let v = s.script(
            "const m = document.querySelector('#events-map');
             return m && m.dataset.markers === String(arguments[0])
                 && document.querySelectorAll('#events-map .leaflet-marker-icon').length > 0;",
            json!([n]),
        );
        (v == json!(true)).then_some(())
    });
    let took = start.elapsed();
    let building = s
        .script("return rallyMap.lastRender('events-map').ms;", json!([]))
        .as_f64()
        .unwrap_or(0.0);
    std::thread::sleep(Duration::from_millis(500));
    let (_, webkit) = rally_e2e::app_memory(data);
    s.quit();
    (took, building, webkit)
}

fn main() {
    let n: usize = std::env::var("RALLY_BENCH_MAP")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    let display = Display::start();
    let driver = Driver::start(&display);
    let small = tempfile::tempdir().unwrap();
    seed(small.path(), 100);
    // A first run warms the caches (binary, WebKit); then the measured ones.
    map(&driver, small.path(), 100);
    let (base, base_js, base_mem) = map(&driver, small.path(), 100);
    println!(
        "baseline, 100 events: map on screen in {:.0} ms ({:.0} ms clustering); WebKit processes {:.1} MB",
        base.as_secs_f64() * 1e3,
        base_js,
        base_mem as f64 / 1024.0
    );
    let big = tempfile::tempdir().unwrap();
    seed(big.path(), n);
    let (took, js, mem) = map(&driver, big.path(), n);
    println!(
        "{n} events: map on screen in {:.0} ms (× {:.2} the baseline; {:.0} ms clustering); WebKit processes {:.1} MB (× {:.2})",
        took.as_secs_f64() * 1e3,
        took.as_secs_f64() / base.as_secs_f64(),
        js,
        mem as f64 / 1024.0,
        mem as f64 / base_mem.max(1) as f64
    );
}
