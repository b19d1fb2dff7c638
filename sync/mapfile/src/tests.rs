use super::*;

fn route() -> Vec<LatLon> {
    vec![
        LatLon {
            lat: 45.7578,
            lon: 4.8320,
        },
        LatLon {
            lat: 45.7640,
            lon: 4.8357,
        },
    ]
}

fn points() -> Vec<MapPoint> {
    vec![MapPoint {
        id: "0a".into(),
        label: "First aid".into(),
        at: LatLon {
            lat: 45.76,
            lon: 4.833,
        },
    }]
}

#[test]
fn a_route_is_read_from_each_geojson_shape() {
    let line = r#"{"type":"LineString","coordinates":[[4.8320,45.7578],[4.8357,45.7640]]}"#;
    let feature = format!(r#"{{"type":"Feature","properties":{{}},"geometry":{line}}}"#);
    let collection = format!(
        r#"{{"type":"FeatureCollection","features":[{{"type":"Feature","properties":{{}},"geometry":{{"type":"Point","coordinates":[1,2]}}}},{feature}]}}"#
    );
    for text in [line.to_owned(), feature, collection] {
        assert_eq!(route_from_geojson(&text).unwrap(), route(), "{text}");
    }
}

#[test]
fn what_is_not_a_route_is_refused() {
    for bad in [
        "not json",
        r#"{"type":"Point","coordinates":[1,2]}"#,
        r#"{"type":"LineString","coordinates":[[1,2]]}"#,
        r#"{"type":"LineString","coordinates":[[1,200],[1,2]]}"#,
    ] {
        assert!(route_from_geojson(bad).is_err(), "{bad}");
    }
    assert!(matches!(
        route_from_geojson(&" ".repeat(MAX_FILE + 1)),
        Err(MapFileError::TooLarge)
    ));
}

#[test]
fn exports_read_back() {
    let geo = to_geojson("March", &route(), &points());
    assert_eq!(route_from_geojson(&geo).unwrap(), route());
    let parsed: GeoJson = geo.parse().unwrap();
    let GeoJson::FeatureCollection(c) = parsed else {
        panic!("{geo}")
    };
    assert_eq!(c.features.len(), 2);
    assert_eq!(
        c.features[1].properties.as_ref().unwrap()["name"],
        "First aid"
    );

    let gpx_text = to_gpx("March", &route(), &points()).unwrap();
    let back = gpx::read(gpx_text.as_bytes()).unwrap();
    assert_eq!(back.tracks[0].name.as_deref(), Some("March"));
    let pts = &back.tracks[0].segments[0].points;
    assert_eq!(pts.len(), 2);
    assert!((pts[1].point().y() - 45.7640).abs() < 1e-9);
    assert_eq!(back.waypoints[0].name.as_deref(), Some("First aid"));
}
