//! What pictures cost a sync: 100 events with banners (each a 1 600 × 1 200
//! photo, cleaned as a device cleans one) against the same 100 events without,
//! each served by a release `rally sync --listen` and taken by a fresh device's
//! release `rally sync --once` over TCP on loopback. Prints bytes received and
//! time for both and their ratios (the same run's events without pictures are
//! the baseline).
//!
//! `cargo xtask bench` runs it (after building the release `rally`).

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use image::codecs::jpeg::JpegEncoder;
use image::{Rgb, RgbImage};
use rally_core::picture::{BlobHash, Picture};
use rally_core::{Document, EventDetails};
use rally_e2e::{SyncProcess, bin, events_in, rally};
use rally_store::{Store, Timestamp};

const EVENTS: usize = 100;

/// A photo-like picture, different for each event.
fn photo(i: usize) -> Vec<u8> {
    let img = RgbImage::from_fn(1_600, 1_200, |x, y| {
        let t = ((x * 7 + y * 13 + i as u32 * 31) % 23) as u8;
        Rgb([
            ((x + i as u32 * 9) / 7) as u8 ^ t,
            (y / 5) as u8,
            ((x + y) / 11) as u8 ^ (t / 2),
        ])
    });
    let mut out = Vec::new();
    JpegEncoder::new_with_quality(&mut out, 90)
        .encode_image(&img)
        .unwrap();
    out
}

fn seed(data: &Path, banners: bool) {
    let mut store = Store::open(data).unwrap();
    let now = Timestamp::now();
    let me = store.create_persona("organiser", now).unwrap();
    let mut docs = Vec::new();
    for i in 0..EVENTS {
        let mut d = EventDetails::new(
            format!("Assembly {i}"),
            "2027-05-01T10:00".parse().unwrap(),
            "Europe/Paris",
        );
        if banners {
            let c = rally_picture::clean(&photo(i)).unwrap();
            for v in [&c.page, &c.card] {
                store.put_blob(BlobHash(v.hash), &v.bytes, true).unwrap();
            }
            d.banner = Some(Picture {
                hash: BlobHash(c.page.hash),
                width: c.page.width,
                height: c.page.height,
                size: c.page.bytes.len() as u32,
                card: BlobHash(c.card.hash),
                card_width: c.card.width,
                card_height: c.card.height,
                alt: format!("The poster of assembly {i}"),
            });
        }
        docs.push(
            Document::create_event(&me.persona, "organiser", &d, None, now)
                .unwrap()
                .0,
        );
    }
    store.insert_new_batch(&docs).unwrap();
}

/// Syncs a fresh device with a device holding `source`: (bytes received, time).
fn sync_from(source: &Path) -> (u64, Duration) {
    let serving = SyncProcess::start(
        &[],
        source,
        &["--listen", "/ip4/127.0.0.1/tcp/0", "--no-mdns"],
    );
    let device = tempfile::tempdir().unwrap();
    rally(device.path(), &["persona", "new", "newcomer"]);
    let started = Instant::now();
    let out = Command::new(bin("rally"))
        .arg("--data")
        .arg(device.path())
        .args([
            "--json",
            "sync",
            "--peer",
            &serving.first_line,
            "--once",
            "--no-mdns",
            "--timeout",
            "600",
        ])
        .output()
        .unwrap();
    let took = started.elapsed();
    assert!(out.status.success(), "{out:?}");
    assert_eq!(events_in(device.path()), EVENTS as i64);
    let report: serde_json::Value = String::from_utf8_lossy(&out.stdout)
        .lines()
        .rev()
        .find_map(|l| serde_json::from_str(l).ok())
        .expect("a JSON report");
    let db = rally_store::at_rest::connect(device.path()).unwrap();
    let blobs: i64 = db
        .query_row("SELECT count(*) FROM blobs", [], |r| r.get(0))
        .unwrap();
    println!("    ({blobs} pictures on the device)");
    (report["bytes_received"].as_u64().unwrap_or(0), took)
}

fn main() {
    println!("pictures sync benchmark: {EVENTS} events, with and without banners");
    let plain = tempfile::tempdir().unwrap();
    seed(plain.path(), false);
    let pictured = tempfile::tempdir().unwrap();
    let seeding = Instant::now();
    seed(pictured.path(), true);
    println!(
        "  cleaned {EVENTS} pictures in {:.1} s",
        seeding.elapsed().as_secs_f64()
    );
    let (b0, t0) = sync_from(plain.path());
    let (b1, t1) = sync_from(pictured.path());
    println!(
        "  without banners      {:>9} bytes  {:>6.2} s",
        b0,
        t0.as_secs_f64()
    );
    println!(
        "  with banners         {:>9} bytes  {:>6.2} s",
        b1,
        t1.as_secs_f64()
    );
    println!(
        "  ratio                {:>9.1}x bytes {:>5.1}x time",
        b1 as f64 / b0.max(1) as f64,
        t1.as_secs_f64() / t0.as_secs_f64()
    );
}
