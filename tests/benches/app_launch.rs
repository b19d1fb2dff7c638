//! The app with 10 000 and 100 000 events in its store (`RALLY_BENCH_EVENTS`,
//! comma-separated): time from launch to the upcoming list on screen, and memory
//! of the app process (and of the WebKit processes it starts), against a
//! baseline in the same run: the same app launched on an empty store, to its
//! first screen. Runs the real `rally-app` under Xvfb through
//! WebDriver (built by `cargo xtask build`; `cargo xtask bench` runs this).

use std::path::Path;
use std::time::{Duration, Instant};

use rally_core::{Document, EventDetails};
use rally_e2e::webdriver::{Display, Driver, Session};
use rally_store::{Store, Timestamp};

fn seed(dir: &Path, n: usize) {
    let mut store = Store::open(dir).unwrap();
    let now = Timestamp::now();
    let me = store.create_persona("organiser", now).unwrap();
    store.touch_persona(&me, now).unwrap();
    let docs: Vec<Document> = (0..n)
        .map(|i| {
            let mut d = EventDetails::new(
                format!("Event {i}"),
                format!("2027-{:02}-{:02}T18:00", 1 + i % 12, 1 + i % 28)
                    .parse()
                    .unwrap(),
                "Europe/Paris",
            );
            d.place.name = Some(format!("Hall {}", i % 50));
            d.description = "A meeting of the neighbourhood.".into();
            Document::create_event(&me.persona, "organiser", &d, None, now)
                .unwrap()
                .0
        })
        .collect();
    for chunk in docs.chunks(1000) {
        store.insert_new_batch(chunk).unwrap();
    }
}

/// Launches the app on `data` and waits for `css`; returns the time taken and
/// the memory once it is there.
fn launch(driver: &Driver, data: &Path, css: &str) -> (Duration, (u64, u64)) {
    let start = Instant::now();
    let s = Session::new(
        driver,
        &rally_e2e::bin("rally-app"),
        &["--data", data.to_str().unwrap(), "--no-sync"],
    );
    s.find(css);
    let took = start.elapsed();
    std::thread::sleep(Duration::from_millis(500));
    let mem = rally_e2e::app_memory(data);
    s.quit();
    (took, mem)
}

fn main() {
    let sizes: Vec<usize> = std::env::var("RALLY_BENCH_EVENTS")
        .ok()
        .map(|v| v.split(',').filter_map(|n| n.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![10_000, 100_000]);
    let display = Display::start();
    let driver = Driver::start(&display);

    let empty = tempfile::tempdir().unwrap();
    // A first launch warms the caches (binary, WebKit); then the measured ones.
    launch(&driver, empty.path(), "#persona-name");
    let (base, base_mem) = launch(&driver, empty.path(), "#persona-name");
    println!(
        "baseline, empty store to its first screen: {:.2} s; app {:.1} MB, WebKit processes {:.1} MB",
        base.as_secs_f64(),
        base_mem.0 as f64 / 1024.0,
        base_mem.1 as f64 / 1024.0
    );
    for n in sizes {
        let full = tempfile::tempdir().unwrap();
        let seeding = Instant::now();
        seed(full.path(), n);
        println!(
            "seeded {n} events in {:.1} s",
            seeding.elapsed().as_secs_f64()
        );
        let (took, mem) = launch(&driver, full.path(), "#event-list li");
        println!(
            "{n} events, launch to the upcoming list on screen: {:.2} s (× {:.2} the baseline); app {:.1} MB (× {:.2}), WebKit processes {:.1} MB (× {:.2})",
            took.as_secs_f64(),
            took.as_secs_f64() / base.as_secs_f64(),
            mem.0 as f64 / 1024.0,
            mem.0 as f64 / base_mem.0.max(1) as f64,
            mem.1 as f64 / 1024.0,
            mem.1 as f64 / base_mem.1.max(1) as f64
        );
    }
}
