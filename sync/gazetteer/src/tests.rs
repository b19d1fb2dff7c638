use super::*;

fn g() -> &'static Gazetteer {
    Gazetteer::bundled().unwrap()
}

#[test]
fn the_bundled_data_is_all_there() {
    assert_eq!(g().len(), 144_563);
}

#[test]
fn a_city_name_finds_the_big_city_first() {
    let found = g().search("Paris", 5, None);
    assert_eq!(found[0].country, "FR", "{found:?}");
    assert!(found.iter().all(|t| t.name == "Paris"));
    let lyon = g().search("lyon", 3, None);
    assert_eq!(
        (lyon[0].name.as_str(), lyon[0].country.as_str()),
        ("Lyon", "FR")
    );
}

#[test]
fn words_after_a_comma_narrow_to_a_region_or_country() {
    let texas = g().search("Paris, Texas", 5, None);
    assert_eq!(texas.len(), 1, "{texas:?}");
    assert_eq!(texas[0].region, "Texas");
    let ca = g().search("paris, ca", 5, None);
    assert_eq!(ca[0].country, "CA");
}

#[test]
fn accents_and_case_do_not_matter_and_prefixes_match() {
    let z = g().search("ZÜRICH", 1, None);
    assert_eq!(z[0].name, "Zurich");
    let prefix = g().search("marseil", 3, None);
    assert_eq!(prefix[0].name, "Marseille", "{prefix:?}");
    assert!(g().search("", 5, None).is_empty());
    assert!(g().search("zzzzqqq", 5, None).is_empty());
}

#[test]
fn near_a_point_the_nearest_of_the_same_name_comes_first() {
    // From Dallas, Paris means the one in Texas.
    let found = g().search("Paris", 1, Some((32.78, -96.80)));
    assert_eq!(found[0].region, "Texas");
}

#[test]
fn reverse_finds_the_nearest_town_and_its_distance() {
    // Alexanderplatz.
    let n = g().reverse(52.5219, 13.4132).unwrap();
    assert_eq!(
        (n.town.name.as_str(), n.town.country.as_str()),
        ("Berlin", "DE")
    );
    assert!(n.km < 5.0, "{}", n.km);
    // Mid-Atlantic: still an answer, far away.
    let far = g().reverse(30.0, -40.0).unwrap();
    assert!(far.km > 500.0, "{far:?}");
    assert!(g().reverse(f64::NAN, 0.0).is_none());
}

#[test]
fn places_carry_the_address_parts() {
    let p = search("Berlin, DE", 1, None).unwrap();
    assert_eq!(p[0].name, "Berlin");
    assert!(p[0].address.as_deref().unwrap().ends_with("DE"), "{p:?}");
    assert!((p[0].lat - 52.52).abs() < 0.1);
    assert_eq!(reverse(48.8566, 2.3522).unwrap()[0].name, "Paris");
}

#[test]
fn broken_data_is_refused() {
    assert!(Gazetteer::from_csv(b"lat,lon,name,admin1,admin2,cc\n").is_err());
    assert!(Gazetteer::from_csv(b"lat,lon,name,admin1,admin2,cc\n91,0,X,,,FR\n").is_err());
    assert!(Gazetteer::from_csv(b"lat,lon,name,admin1,admin2,cc\nx,0,X,,,FR\n").is_err());
}
