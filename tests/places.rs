//! Address search and map tiles through the server: a device's `rally place
//! search` reaches the provider only through `rally-server --geocoder`, whose
//! cache answers a repeated query without asking the provider again; provider
//! errors, rate limits, timeouts and a server without a geocoder give a clear
//! message and an answer from the offline gazetteer. `rally map keep` stores a
//! march's area from the server's tile proxy, bounded, and only where the
//! provider's terms allow it.
//!
//! The provider and the tile server here are stand-ins (neither can run on
//! this machine): local HTTP servers answering in Photon's documented format
//! and drawing PNG tiles in the slippy-map scheme, recording every request.

use rally_e2e::stand_in::{photon as photon_stand_in, tile_server};
use rally_e2e::{Server, json, rally, rally_output};
use serde_json::Value;

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
            "--registrations",
            "open",
            "--geocoder",
            "photon",
            "--geocoder-url",
            &photon,
        ],
        1,
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

    // The provider failing: a clear message, and the gazetteer answers.
    let out = rally_output(
        dev.path(),
        &[
            "--json",
            "place",
            "search",
            "Lyon boom",
            "--via",
            &server.http,
        ],
    );
    assert!(out.status.success(), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("the geocoder answered 500"), "{err}");
    assert!(err.contains("offline gazetteer"), "{err}");
    let fell: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(fell["source"], "gazetteer");
    assert_eq!(fell["approximate"], true);
    assert!(fell["fallback"].as_str().unwrap().contains("500"), "{fell}");
    // "Lyon boom" is no town: the gazetteer finds nothing, and says so.
    assert_eq!(fell["places"].as_array().unwrap().len(), 0);
    let out = rally_output(
        dev.path(),
        &[
            "--json",
            "place",
            "reverse",
            "45.76",
            "4.84",
            "--via",
            "http://127.0.0.1:9",
        ],
    );
    assert!(out.status.success(), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot be reached"));
    let fell: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(fell["places"][0]["name"], "Lyon", "{fell}");
    assert_eq!(fell["approximate"], true);

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
    // A provider rate-limiting or too slow, asked directly: the gazetteer.
    for (text, why) in [
        ("Lyon busy", "slow down"),
        ("Lyon slow", "cannot be reached"),
    ] {
        let out = rally_output(
            dev.path(),
            &[
                "--json",
                "place",
                "search",
                text,
                "--provider",
                "photon",
                "--url",
                &photon,
            ],
        );
        assert!(out.status.success(), "{out:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(why), "{text}: {err}");
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(v["source"], "gazetteer");
    }
    // Offline on purpose: no one is asked.
    let asked = seen.lock().unwrap().len();
    let offline = json(
        dev.path(),
        &["place", "search", "Paris, Texas", "--offline"],
    );
    assert_eq!(
        offline["places"][0]["address"], "Lamar County, Texas, US",
        "{offline}"
    );
    assert_eq!(offline["source"], "gazetteer");
    assert!(offline.get("fallback").is_none());
    assert_eq!(seen.lock().unwrap().len(), asked);
    // No geocoder chosen and no server synced with: the gazetteer, saying why.
    let out = rally_output(dev.path(), &["place", "search", "Lyon"]);
    assert!(out.status.success(), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("no geocoder chosen"));
    assert!(String::from_utf8_lossy(&out.stdout).contains("(from gazetteer, approximate)"));
    // Once synced with a server, it is the default.
    rally(dev.path(), &["persona", "new", "ana"]);
    let out = rally_e2e::sync_with_server(dev.path(), &server.p2p[0], &[]);
    assert!(out.status.success(), "{out:?}");
    let by_default = json(dev.path(), &["place", "search", "Alexanderplatz"]);
    assert_eq!(by_default["source"], "photon", "{by_default}");

    // A server without a geocoder says so.
    let plain_dir = tempfile::tempdir().unwrap();
    let plain = Server::start(&[], plain_dir.path(), &["--p2p", "/ip4/127.0.0.1/tcp/0"], 0);
    let out = rally_output(dev.path(), &["place", "search", "x", "--via", &plain.http]);
    assert!(out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("offers no address search"),
        "{out:?}"
    );
}

#[test]
fn a_march_map_is_kept_offline_from_the_servers_tiles_bounded() {
    let (tiles, seen) = tile_server();
    let srv = tempfile::tempdir().unwrap();
    let server = Server::start(
        &[],
        srv.path(),
        &[
            "--p2p",
            "/ip4/127.0.0.1/tcp/0",
            "--tiles",
            &tiles,
            "--tiles-keep",
            "--tiles-attribution",
            "Stand-in tiles",
        ],
        0,
    );
    let dev = tempfile::tempdir().unwrap();
    rally(dev.path(), &["persona", "new", "ana"]);
    let ev = rally_e2e::id_of(&json(
        dev.path(),
        &[
            "event",
            "create",
            "--title",
            "March",
            "--starts",
            "2030-05-01 14:00",
        ],
    ));
    // Nothing on the map yet: nothing to keep.
    let out = rally_output(dev.path(), &["map", "keep", &ev, "--via", &server.http]);
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("no place on the map"),
        "{out:?}"
    );
    rally(
        dev.path(),
        &[
            "event", "edit", &ev, "--point", "Start", "52.5163", "13.3777", "--point", "End",
            "52.5219", "13.4132",
        ],
    );
    let kept = json(
        dev.path(),
        &["map", "keep", &ev, "--via", &server.http, "--zoom", "12-15"],
    );
    let bounds = (
        kept["bounds"]["south"].as_f64().unwrap(),
        kept["bounds"]["west"].as_f64().unwrap(),
        kept["bounds"]["north"].as_f64().unwrap(),
        kept["bounds"]["east"].as_f64().unwrap(),
    );
    let (expected, deepest) = rally_webclient::tiles::area(bounds, 12, 15).unwrap();
    assert_eq!(deepest, 15);
    assert_eq!(kept["tiles"], expected.len() as u64, "{kept}");
    assert!(
        kept["bytes"].as_u64().unwrap() > 1000 * expected.len() as u64,
        "{kept}"
    );
    assert_eq!(kept["attribution"], "Stand-in tiles");
    // Each tile was asked of the provider once, by the server.
    {
        let seen = seen.lock().unwrap();
        assert_eq!(seen.len(), expected.len());
        assert!(
            seen.iter()
                .all(|(_, agent)| agent.starts_with("rally-server/"))
        );
    }
    // Kept again: the server's cache answers; the record is the same.
    let again = json(
        dev.path(),
        &["map", "keep", &ev, "--via", &server.http, "--zoom", "12-15"],
    );
    assert_eq!(again["tiles"], kept["tiles"]);
    assert_eq!(seen.lock().unwrap().len(), expected.len());
    assert_eq!(
        json(dev.path(), &["map", "show", &ev])["tiles"],
        kept["tiles"]
    );
    // Deep zooms over a wide area are left out to stay within the bound.
    let wide = json(
        dev.path(),
        &["map", "keep", &ev, "--via", &server.http, "--zoom", "12-20"],
    );
    assert!(wide["tiles"].as_u64().unwrap() <= rally_webclient::tiles::MAX_KEEP_TILES as u64);
    assert!(wide["max_zoom"].as_u64().unwrap() < 20, "{wide}");
    // The tiles are in the device's store.
    let store = rally_store::at_rest::connect(dev.path()).unwrap();
    let n: i64 = store
        .query_row("SELECT count(*) FROM tiles", [], |r| r.get(0))
        .unwrap();
    assert!(n >= expected.len() as i64);

    // A server whose provider does not allow keeping: refused, clearly.
    let strict_dir = tempfile::tempdir().unwrap();
    let strict = Server::start(
        &[],
        strict_dir.path(),
        &["--p2p", "/ip4/127.0.0.1/tcp/0", "--tiles", &tiles],
        0,
    );
    let out = rally_output(dev.path(), &["map", "keep", &ev, "--via", &strict.http]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("do not allow keeping maps offline"),
        "{out:?}"
    );
    // …and its proxy refuses a bulk request made without asking.
    let resp = ureq::get(&format!("{}/tiles/12/2200/1343.png?keep=1", strict.http)).call();
    assert!(
        matches!(resp, Err(ureq::Error::StatusCode(403))),
        "{resp:?}"
    );
    // Viewing through it works.
    let body = ureq::get(&format!("{}/tiles/12/2200/1343.png", strict.http))
        .call()
        .unwrap()
        .into_body()
        .read_to_vec()
        .unwrap();
    assert!(body.starts_with(b"\x89PNG"));
}
