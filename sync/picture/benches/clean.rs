//! Cleaning a 12-megapixel photo (4 000 × 3 000 JPEG): time and the memory it
//! adds at its peak, against decoding the same file once (the floor: no cleaner
//! can do less than read the pixels) measured in the same run.
//!
//! `cargo bench -p rally-picture` (or `cargo xtask bench`).

use std::io::Cursor;
use std::time::{Duration, Instant};

use image::codecs::jpeg::JpegEncoder;
use image::{Rgb, RgbImage};

fn peak_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.split_whitespace().next()?.parse().ok())
        })
        .unwrap_or(0)
}

fn rss_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.split_whitespace().next()?.parse().ok())
        })
        .unwrap_or(0)
}

/// Resets the peak (Linux: writing 5 to `clear_refs` sets VmHWM to VmRSS) and
/// returns the resident memory it starts from.
fn reset_peak() -> u64 {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
    rss_kb()
}

fn best_of(runs: usize, mut f: impl FnMut()) -> Duration {
    (0..runs)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .min()
        .unwrap()
}

fn main() {
    // Smooth gradients with some texture, like a photo (noise would make every
    // JPEG far larger than a camera's).
    let photo = RgbImage::from_fn(4_000, 3_000, |x, y| {
        let t = ((x * 7 + y * 13) % 17) as u8;
        Rgb([
            (x / 16) as u8 ^ t,
            (y / 12) as u8,
            ((x + y) / 28) as u8 ^ (t / 2),
        ])
    });
    let mut jpeg = Vec::new();
    JpegEncoder::new_with_quality(&mut jpeg, 90)
        .encode_image(&photo)
        .unwrap();
    drop(photo);
    println!(
        "picture cleaning benchmark: a 4000x3000 JPEG of {} KB",
        jpeg.len() / 1024
    );
    let before = reset_peak();
    let decode = best_of(3, || {
        image::ImageReader::new(Cursor::new(&jpeg))
            .with_guessed_format()
            .unwrap()
            .decode()
            .unwrap();
    });
    let decode_peak = peak_kb().saturating_sub(before);
    let before = reset_peak();
    let mut out = None;
    let clean = best_of(3, || out = Some(rally_picture::clean(&jpeg).unwrap()));
    let clean_peak = peak_kb().saturating_sub(before);
    let out = out.unwrap();
    println!(
        "  decode only (floor)  {:>7.0} ms",
        decode.as_secs_f64() * 1e3
    );
    println!(
        "  clean (2 sizes)      {:>7.0} ms  = {:.2}x the floor",
        clean.as_secs_f64() * 1e3,
        clean.as_secs_f64() / decode.as_secs_f64()
    );
    println!(
        "  peak memory added    decode {} MB, clean {} MB",
        decode_peak / 1024,
        clean_peak / 1024
    );
    println!(
        "  stored               page {}x{} {} KB, card {}x{} {} KB",
        out.page.width,
        out.page.height,
        out.page.bytes.len() / 1024,
        out.card.width,
        out.card.height,
        out.card.bytes.len() / 1024
    );
}
