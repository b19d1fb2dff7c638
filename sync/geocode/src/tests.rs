//! Each provider's answer, in the shape its documentation shows (Nominatim's
//! `jsonv2` search and reverse output, Photon's and Addok's GeoJSON, Pelias's
//! GeoJSON with `label`), read into the same places.

use super::*;

const NOMINATIM_SEARCH: &str = r#"[
  {"place_id": 100149, "licence": "Data © OpenStreetMap contributors, ODbL 1.0. https://osm.org/copyright",
   "osm_type": "node", "osm_id": 107775, "lat": "45.7578137", "lon": "4.8320114",
   "category": "place", "type": "square", "place_rank": 25, "importance": 0.41,
   "addresstype": "square", "name": "Place Bellecour",
   "display_name": "Place Bellecour, Bellecour, Lyon 2e, Lyon, Métropole de Lyon, 69002, France",
   "address": {"square": "Place Bellecour", "road": "Place Bellecour", "suburb": "Lyon 2e",
               "city": "Lyon", "postcode": "69002", "country": "France", "country_code": "fr"},
   "boundingbox": ["45.7568", "45.7588", "4.8310", "4.8330"]}
]"#;

const NOMINATIM_REVERSE: &str = r#"{"place_id": 5, "lat": "45.764043", "lon": "4.835659",
  "name": "", "display_name": "12, Rue de la République, Lyon, 69001, France",
  "address": {"house_number": "12", "road": "Rue de la République", "city": "Lyon",
              "postcode": "69001", "country": "France"}}"#;

const PHOTON: &str = r#"{"type": "FeatureCollection", "features": [
  {"type": "Feature", "geometry": {"type": "Point", "coordinates": [13.438596, 52.519854]},
   "properties": {"osm_id": 2, "osm_type": "N", "country": "Germany", "osm_key": "place",
                  "city": "Berlin", "osm_value": "square", "postcode": "10178",
                  "name": "Alexanderplatz", "state": "Berlin"}},
  {"type": "Feature", "geometry": {"type": "Point", "coordinates": [13.4, 52.5]},
   "properties": {"housenumber": "7", "street": "Karl-Liebknecht-Straße", "city": "Berlin",
                  "country": "Germany"}}
]}"#;

const ADDOK: &str = r#"{"type": "FeatureCollection", "version": "draft", "features": [
  {"type": "Feature", "geometry": {"type": "Point", "coordinates": [2.290084, 49.897443]},
   "properties": {"label": "8 Boulevard du Port 80000 Amiens", "score": 0.49,
                  "housenumber": "8", "id": "80021_6590_00008", "type": "housenumber",
                  "name": "8 Boulevard du Port", "postcode": "80000", "citycode": "80021",
                  "city": "Amiens", "context": "80, Somme, Hauts-de-France"}}
], "attribution": "BAN", "licence": "ETALAB-2.0", "query": "8 bd du port", "limit": 1}"#;

const PELIAS: &str = r#"{"geocoding": {"version": "0.2", "query": {"text": "YMCA"}},
  "type": "FeatureCollection", "features": [
  {"type": "Feature", "geometry": {"type": "Point", "coordinates": [-73.98, 40.75]},
   "properties": {"id": "1", "gid": "openstreetmap:venue:node/1", "layer": "venue",
                  "source": "openstreetmap", "name": "YMCA", "country": "United States",
                  "region": "New York", "locality": "New York",
                  "label": "YMCA, Manhattan, New York, NY, USA"}}
], "bbox": [-73.98, 40.75, -73.98, 40.75]}"#;

#[test]
fn each_provider_is_read_into_the_same_places() {
    let n = Provider::Nominatim
        .parse(NOMINATIM_SEARCH.as_bytes())
        .unwrap();
    assert_eq!(n.len(), 1);
    assert_eq!(n[0].name, "Place Bellecour");
    assert_eq!(
        n[0].address.as_deref(),
        Some("Place Bellecour, 69002, Lyon, France")
    );
    assert!((n[0].lat - 45.757_813_7).abs() < 1e-9 && (n[0].lon - 4.832_011_4).abs() < 1e-9);

    let r = Provider::Nominatim
        .parse(NOMINATIM_REVERSE.as_bytes())
        .unwrap();
    assert_eq!(
        r[0].address.as_deref(),
        Some("12 Rue de la République, 69001, Lyon, France")
    );
    assert_eq!(r[0].name, "12, Rue de la République, Lyon, 69001, France");

    let p = Provider::Photon.parse(PHOTON.as_bytes()).unwrap();
    assert_eq!(p[0].name, "Alexanderplatz");
    assert_eq!(p[0].address.as_deref(), Some("10178, Berlin, Germany"));
    assert_eq!((p[0].lat, p[0].lon), (52.519_854, 13.438_596));
    assert_eq!(p[1].name, "7 Karl-Liebknecht-Straße");

    let a = Provider::Addok.parse(ADDOK.as_bytes()).unwrap();
    assert_eq!(a[0].name, "8 Boulevard du Port");
    assert_eq!(
        a[0].address.as_deref(),
        Some("8 Boulevard du Port 80000 Amiens")
    );

    let e = Provider::Pelias.parse(PELIAS.as_bytes()).unwrap();
    assert_eq!(e[0].name, "YMCA");
    assert_eq!(
        e[0].address.as_deref(),
        Some("YMCA, Manhattan, New York, NY, USA")
    );
    assert_eq!((e[0].lat, e[0].lon), (40.75, -73.98));
}

#[test]
fn refusals_and_other_shapes_are_clear_errors() {
    assert_eq!(
        Provider::Nominatim.parse(br#"{"error": "Unable to geocode"}"#),
        Err(GeocodeError::Refused("Unable to geocode".into()))
    );
    assert_eq!(
        Provider::Pelias.parse(br#"{"error": {"message": "too many requests"}}"#),
        Err(GeocodeError::Refused("too many requests".into()))
    );
    assert!(matches!(
        Provider::Photon.parse(b"<html>502</html>"),
        Err(GeocodeError::Malformed(_))
    ));
    assert!(matches!(
        Provider::Addok.parse(b"[]"),
        Err(GeocodeError::Malformed(_))
    ));
    // Out-of-range coordinates are dropped, not passed on.
    let odd = r#"{"type":"FeatureCollection","features":[{"type":"Feature",
        "geometry":{"type":"Point","coordinates":[500,95]},"properties":{"name":"x"}}]}"#;
    assert_eq!(Provider::Photon.parse(odd.as_bytes()).unwrap(), vec![]);
}

#[test]
fn requests_follow_each_providers_api() {
    let cases = [
        (
            Provider::Nominatim,
            "https://nominatim.openstreetmap.org",
            "https://nominatim.openstreetmap.org/search?q=Place+Bellecour&format=jsonv2&addressdetails=1&limit=5",
        ),
        (
            Provider::Photon,
            "https://photon.komoot.io/",
            "https://photon.komoot.io/api?q=Place+Bellecour&limit=5",
        ),
        (
            Provider::Addok,
            "https://api-adresse.data.gouv.fr",
            "https://api-adresse.data.gouv.fr/search/?q=Place+Bellecour&limit=5",
        ),
        (
            Provider::Pelias,
            "http://localhost:4000",
            "http://localhost:4000/v1/search?text=Place+Bellecour&size=5",
        ),
    ];
    for (provider, base, expected) in cases {
        assert_eq!(
            provider.search_url(base, " Place Bellecour ", 5).unwrap(),
            expected
        );
    }
    assert_eq!(
        Provider::Pelias
            .reverse_url("http://localhost:4000", 45.5, 4.25)
            .unwrap(),
        "http://localhost:4000/v1/reverse?point.lat=45.500000&point.lon=4.250000"
    );
    assert_eq!(
        Provider::Nominatim
            .reverse_url("https://n.example/sub", 1.0, 2.0)
            .unwrap(),
        "https://n.example/sub/reverse?lat=1.000000&lon=2.000000&format=jsonv2"
    );
    assert!(matches!(
        Provider::Photon.search_url("ftp://x", "a", 1),
        Err(GeocodeError::BadUrl(_))
    ));
    assert_eq!("Photon".parse::<Provider>(), Ok(Provider::Photon));
    assert!("google".parse::<Provider>().is_err());
}
