//! A big store syncs to a fresh device: 200 000 events (`RALLY_BENCH_BIG_DOCS`)
//! served by a release `rally sync --listen`, taken by a fresh device's release
//! `rally sync --once`, over TCP on loopback. Prints the time and the peak memory
//! (`VmHWM`) of both sides. Before announcements were split, a store of more
//! than about 64 000 documents made a `Heads` message over the 4 MiB frame limit
//! that the peer refused, and the sync never finished.
//!
//! `cargo xtask bench` runs it (after building the release `rally`).

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use rally_e2e::{SyncProcess, bin, events_in, peak_mb, rally, seed_events};

fn main() {
    let n: usize = std::env::var("RALLY_BENCH_BIG_DOCS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200_000);
    let source = tempfile::tempdir().unwrap();
    let started = Instant::now();
    assert_eq!(seed_events(source.path(), n), n as i64);
    println!("big store benchmark: {n} events");
    println!(
        "  store built in      {:.1} s",
        started.elapsed().as_secs_f64()
    );

    let serving = SyncProcess::start(
        &[],
        source.path(),
        &["--listen", "/ip4/127.0.0.1/tcp/0", "--no-mdns"],
    );
    let addr = serving.first_line.clone();
    let device = tempfile::tempdir().unwrap();
    rally(device.path(), &["persona", "new", "newcomer"]);

    let started = Instant::now();
    let mut child = Command::new(bin("rally"))
        .arg("--data")
        .arg(device.path())
        .args([
            "sync",
            "--peer",
            &addr,
            "--once",
            "--no-mdns",
            "--timeout",
            "3600",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut receiving_peak = 0;
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if let Some(p) = peak_mb(child.id()) {
            receiving_peak = receiving_peak.max(p);
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let took = started.elapsed();
    assert!(status.success(), "the sync failed: {status}");
    let sending_peak = peak_mb(serving.process.pid()).unwrap_or(0);
    let got = events_in(device.path());
    assert_eq!(got, n as i64, "the device holds every event");
    println!(
        "  full sync           {:.1} s ({:.0} documents/s)",
        took.as_secs_f64(),
        n as f64 / took.as_secs_f64()
    );
    println!(
        "  peak memory         sending side {sending_peak} MB, receiving side {receiving_peak} MB"
    );
}
