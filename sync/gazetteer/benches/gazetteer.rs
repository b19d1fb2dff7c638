//! Gazetteer latency on this machine: the first load, then search and reverse
//! search percentiles over a spread of queries. `cargo bench -p rally-gazetteer`.

use std::time::{Duration, Instant};

use rally_gazetteer::Gazetteer;

fn percentiles(mut d: Vec<Duration>) -> (Duration, Duration) {
    d.sort();
    (d[d.len() / 2], d[(d.len() * 99) / 100])
}

fn main() {
    let t = Instant::now();
    let g = Gazetteer::bundled().unwrap();
    let load = t.elapsed();
    println!(
        "load: {} towns in {:.0} ms",
        g.len(),
        load.as_secs_f64() * 1e3
    );

    let queries = [
        "Paris",
        "Lyon",
        "Berlin",
        "san",
        "Saint",
        "New York",
        "Zurich",
        "Bordeaux",
        "Mar",
        "Paris, Texas",
        "Lagos",
        "Tokyo",
        "sao paulo",
        "Kyiv",
        "Buenos Aires",
        "Montreal",
        "a",
        "Ber",
        "Manchester",
        "Nantes",
    ];
    let mut times = Vec::new();
    for _ in 0..10 {
        for q in queries {
            let t = Instant::now();
            std::hint::black_box(g.search(q, 5, None));
            times.push(t.elapsed());
        }
    }
    let (p50, p99) = percentiles(times);
    println!(
        "search ({} queries): p50 {:.2} ms, p99 {:.2} ms",
        queries.len() * 10,
        p50.as_secs_f64() * 1e3,
        p99.as_secs_f64() * 1e3
    );

    let mut times = Vec::new();
    let mut x: u64 = 0x2545_f491_4f6c_dd1d;
    for _ in 0..10_000 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let lat = (x % 17_000) as f64 / 100.0 - 85.0;
        let lon = ((x >> 20) % 36_000) as f64 / 100.0 - 180.0;
        let t = Instant::now();
        std::hint::black_box(g.reverse(lat, lon));
        times.push(t.elapsed());
    }
    let (p50, p99) = percentiles(times);
    println!(
        "reverse (10 000 points): p50 {:.1} µs, p99 {:.1} µs",
        p50.as_secs_f64() * 1e6,
        p99.as_secs_f64() * 1e6
    );
}
