//! The march map with the real `rally`: an organiser draws the route (from a
//! GeoJSON file) and points offline; another device sees them after a sync over
//! libp2p; a participant's attempt to move them is refused; GPX and GeoJSON
//! exports read back with the `gpx` crate and Rally's own reader.

use rally_e2e::{SyncProcess, id_of, json, rally, rally_output, sync_once_with};

#[test]
fn a_route_and_points_drawn_offline_reach_another_device_and_export() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (ana, ben) = (a.path(), b.path());
    rally(ana, &["persona", "new", "ana"]);
    rally(ben, &["persona", "new", "ben"]);
    let event = id_of(&json(
        ana,
        &[
            "event",
            "create",
            "--title",
            "March for housing",
            "--starts",
            "2055-05-01T14:00",
            "--tz",
            "Europe/Paris",
        ],
    ));
    let route = ana.join("route.geojson");
    std::fs::write(
        &route,
        r#"{"type":"Feature","properties":{"name":"route"},"geometry":{"type":"LineString",
            "coordinates":[[4.8320,45.7578],[4.8357,45.7640],[4.8344,45.7676]]}}"#,
    )
    .unwrap();
    rally(
        ana,
        &[
            "event",
            "edit",
            &event,
            "--route",
            route.to_str().unwrap(),
            "--point",
            "Meeting point",
            "45.7578",
            "4.8320",
            "--point",
            "First aid",
            "45.7640",
            "4.8357",
        ],
    );
    let mine = json(ana, &["event", "show", &event]);
    assert_eq!(mine["route"].as_array().unwrap().len(), 3, "{mine}");
    assert_eq!(mine["points"].as_array().unwrap().len(), 2, "{mine}");

    let serving = SyncProcess::start(&[], ana, &["--listen", "/ip4/127.0.0.1/tcp/0", "--no-mdns"]);
    let sync = |dir: &std::path::Path| sync_once_with(dir, &serving.first_line);
    sync(ben);
    let theirs = json(ben, &["event", "show", &event]);
    assert_eq!(theirs["route"], mine["route"]);
    assert_eq!(theirs["points"], mine["points"]);

    // Ben, a participant, cannot move the map.
    rally(ben, &["event", "join", &event]);
    let out = rally_output(ben, &["event", "edit", &event, "--clear-points"]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("organisers"),
        "{out:?}"
    );
    sync(ben);
    assert_eq!(
        json(ana, &["event", "show", &event])["points"],
        mine["points"]
    );

    // Exports read back.
    let gpx_file = ben.join("march.gpx");
    rally(
        ben,
        &[
            "event",
            "export",
            &event,
            "--gpx",
            "--out",
            gpx_file.to_str().unwrap(),
        ],
    );
    let gpx = gpx::read(std::fs::File::open(&gpx_file).unwrap()).unwrap();
    assert_eq!(gpx.tracks[0].name.as_deref(), Some("March for housing"));
    assert_eq!(gpx.tracks[0].segments[0].points.len(), 3);
    let mut names: Vec<String> = gpx
        .waypoints
        .iter()
        .filter_map(|w| w.name.clone())
        .collect();
    names.sort();
    assert_eq!(names, ["First aid", "Meeting point"]);
    let geojson = rally(ben, &["event", "export", &event, "--geojson"]);
    let back = rally_mapfile::route_from_geojson(&geojson).unwrap();
    assert_eq!(back.len(), 3);
    assert!((back[2].lat - 45.7676).abs() < 1e-9);
}
