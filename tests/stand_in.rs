//! Stand-ins for web services no test can reach from this machine: a local HTTP
//! server that answers each request from a handler and records what it was
//! asked (path and User-Agent). On it: a geocoder answering in Photon's
//! documented format, and a raster tile server drawing each tile it is asked
//! for (a PNG in the slippy-map scheme).

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Requests seen: (path and query, User-Agent).
pub type Seen = Arc<Mutex<Vec<(String, String)>>>;

/// What a stand-in answers: status line, content type, body, and how long it
/// waits before answering.
#[derive(Debug)]
pub struct Reply {
    pub status: &'static str,
    pub content_type: &'static str,
    pub body: Vec<u8>,
    pub delay: Duration,
}

impl Reply {
    pub fn ok(content_type: &'static str, body: Vec<u8>) -> Reply {
        Reply {
            status: "200 OK",
            content_type,
            body,
            delay: Duration::ZERO,
        }
    }
}

/// A stand-in on loopback: its base URL and what it has seen. Each connection
/// is answered on a thread of its own (so one slow answer holds no other).
pub fn stand_in(handler: impl Fn(&str) -> Reply + Send + Sync + 'static) -> (String, Seen) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let seen: Seen = Arc::default();
    let log = seen.clone();
    let handler = Arc::new(handler);
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let (log, handler) = (log.clone(), handler.clone());
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut request = String::new();
                if reader.read_line(&mut request).is_err() {
                    return;
                }
                let path = request.split_whitespace().nth(1).unwrap_or("").to_owned();
                let mut agent = String::new();
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                        break;
                    }
                    if let Some(v) = line.to_ascii_lowercase().strip_prefix("user-agent:") {
                        agent = v.trim().to_owned();
                    }
                }
                log.lock().unwrap().push((path.clone(), agent));
                let reply = handler(&path);
                std::thread::sleep(reply.delay);
                let _ = write!(
                    stream,
                    "HTTP/1.1 {}\r\ncontent-type: {}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                    reply.status,
                    reply.content_type,
                    reply.body.len()
                );
                let _ = stream.write_all(&reply.body);
            });
        }
    });
    (url, seen)
}

/// One place, in Photon's GeoJSON: Alexanderplatz, Berlin.
pub const PHOTON: &str = r#"{"type":"FeatureCollection","features":[
 {"type":"Feature","geometry":{"type":"Point","coordinates":[13.438596,52.519854]},
  "properties":{"name":"Alexanderplatz","postcode":"10178","city":"Berlin","country":"Germany",
                "osm_key":"place","osm_value":"square"}}]}"#;

/// A geocoder answering in Photon's format. Queries that mention `boom` get a
/// 500, `busy` a 429 (rate limited), `slow` an answer after 12 s (past a
/// device's 10 s timeout).
pub fn photon() -> (String, Seen) {
    stand_in(|path| {
        let path = path.to_ascii_lowercase();
        let mut reply = Reply::ok("application/json", PHOTON.as_bytes().to_vec());
        if path.contains("boom") {
            reply.status = "500 Internal Server Error";
            reply.body = b"{}".to_vec();
        } else if path.contains("busy") {
            reply.status = "429 Too Many Requests";
            reply.body = b"{}".to_vec();
        } else if path.contains("slow") {
            reply.delay = Duration::from_secs(12);
        }
        reply
    })
}

/// A tile server drawing every tile `/{z}/{x}/{y}.png` it is asked for: a
/// 256×256 PNG, its colour from its address, with a dark grid line at its
/// edges (so a screenshot shows where tiles are). Its URL template is
/// `{base}/{z}/{x}/{y}.png`.
pub fn tile_server() -> (String, Seen) {
    let (base, seen) = stand_in(|path| {
        let parts: Vec<u32> = path
            .trim_start_matches('/')
            .trim_end_matches(".png")
            .split('/')
            .filter_map(|p| p.parse().ok())
            .collect();
        let [z, x, y] = parts[..] else {
            return Reply {
                status: "404 Not Found",
                content_type: "text/plain",
                body: b"no such tile".to_vec(),
                delay: Duration::ZERO,
            };
        };
        Reply::ok("image/png", tile_png(z, x, y))
    });
    (format!("{base}/{{z}}/{{x}}/{{y}}.png"), seen)
}

/// The picture the tile server draws for a tile.
pub fn tile_png(z: u32, x: u32, y: u32) -> Vec<u8> {
    let tint = [
        (200 + (x * 37 + z * 11) % 50) as u8,
        (215 + (y * 53) % 40) as u8,
        (190 + (x + y) % 60) as u8,
    ];
    let img = image::RgbImage::from_fn(256, 256, |px, py| {
        if px < 2 || py < 2 {
            image::Rgb([90, 90, 90])
        } else {
            image::Rgb(tint)
        }
    });
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}
