//! Address search through the server: a device's `rally place search` reaches
//! the provider only through `rally-server --geocoder`, whose cache answers a
//! repeated query without asking the provider again; provider errors and a
//! server without a geocoder give clear messages.
//!
//! The provider here is a stand-in (no geocoder can run on this machine): a
//! local HTTP server answering in Photon's documented format, which records
//! every request it gets.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use rally_e2e::{Server, rally, rally_output};
use serde_json::Value;

const PHOTON: &str = r#"{"type":"FeatureCollection","features":[
 {"type":"Feature","geometry":{"type":"Point","coordinates":[13.438596,52.519854]},
  "properties":{"name":"Alexanderplatz","postcode":"10178","city":"Berlin","country":"Germany",
                "osm_key":"place","osm_value":"square"}}]}"#;

/// Requests seen: (path and query, User-Agent).
type Seen = Arc<Mutex<Vec<(String, String)>>>;

fn photon_stand_in() -> (String, Seen) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let seen: Seen = Arc::default();
    let log = seen.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut request = String::new();
            reader.read_line(&mut request).unwrap();
            let path = request.split_whitespace().nth(1).unwrap_or("").to_owned();
            let mut agent = String::new();
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap() == 0 || line == "\r\n" {
                    break;
                }
                if let Some(v) = line.to_ascii_lowercase().strip_prefix("user-agent:") {
                    agent = v.trim().to_owned();
                }
            }
            log.lock().unwrap().push((path.clone(), agent));
            let (status, body) = if path.contains("boom") {
                ("500 Internal Server Error", "{}".to_owned())
            } else {
                ("200 OK", PHOTON.to_owned())
            };
            let _ = write!(
                stream,
                "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    (url, seen)
}

fn search(dir: &std::path::Path, via: &str, text: &str) -> Value {
    serde_json::from_str(&rally(
        dir,
        &["--json", "place", "search", text, "--via", via],
    ))
    .unwrap()
}

#[test]
fn a_device_searches_addresses_through_its_server_and_its_cache() {
    let (photon, seen) = photon_stand_in();
    let srv = tempfile::tempdir().unwrap();
    let server = Server::start(
        &[],
        srv.path(),
        &[
            "--p2p",
            "/ip4/127.0.0.1/tcp/0",
            "--geocoder",
            "photon",
            "--geocoder-url",
            &photon,
        ],
        0,
    );
    let dev = tempfile::tempdir().unwrap();
    let first = search(dev.path(), &server.http, "Alexanderplatz Berlin");
    assert_eq!(first["source"], "photon");
    assert_eq!(first["cached"], false);
    assert_eq!(first["places"][0]["name"], "Alexanderplatz");
    assert_eq!(first["places"][0]["address"], "10178, Berlin, Germany");
    assert_eq!(first["places"][0]["lat"], 52.519854);
    // The same query again (other case, other spacing): the server's cache.
    let again = search(dev.path(), &server.http, "  alexanderplatz berlin ");
    assert_eq!(again["cached"], true);
    assert_eq!(again["places"], first["places"]);
    {
        let seen = seen.lock().unwrap();
        assert_eq!(seen.len(), 1, "{seen:?}");
        assert!(
            seen[0].0.starts_with("/api?q=alexanderplatz+berlin"),
            "{seen:?}"
        );
        // The provider saw the server, not the device.
        assert!(seen[0].1.starts_with("rally-server/"), "{seen:?}");
    }
    let reverse: Value = serde_json::from_str(&rally(
        dev.path(),
        &[
            "--json",
            "place",
            "reverse",
            "52.52",
            "13.44",
            "--via",
            &server.http,
        ],
    ))
    .unwrap();
    assert_eq!(reverse["places"][0]["name"], "Alexanderplatz");
    assert!(
        seen.lock().unwrap()[1]
            .0
            .starts_with("/reverse?lat=52.520000&lon=13.440000")
    );

    // The provider failing: a clear message, nothing cached.
    let out = rally_output(
        dev.path(),
        &["place", "search", "boom", "--via", &server.http],
    );
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("the geocoder answered 500"), "{err}");

    // Asked directly, when the user chooses: the provider sees the device.
    let direct: Value = serde_json::from_str(&rally(
        dev.path(),
        &[
            "--json",
            "place",
            "search",
            "Alexanderplatz",
            "--provider",
            "photon",
            "--url",
            &photon,
        ],
    ))
    .unwrap();
    assert_eq!(direct["places"][0]["name"], "Alexanderplatz");
    assert!(seen.lock().unwrap().last().unwrap().1.starts_with("rally/"));
    // No geocoder chosen: the command says how to choose one.
    let out = rally_output(dev.path(), &["place", "search", "x"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("choose a geocoder"));

    // A server without a geocoder says so.
    let plain_dir = tempfile::tempdir().unwrap();
    let plain = Server::start(&[], plain_dir.path(), &["--p2p", "/ip4/127.0.0.1/tcp/0"], 0);
    let out = rally_output(dev.path(), &["place", "search", "x", "--via", &plain.http]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("offers no address search"),
        "{out:?}"
    );
}
