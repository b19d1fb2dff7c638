//! The server's public pages in a real, headless Chromium: each renders with
//! JavaScript turned off (they have none: their CSP forbids every script), at a
//! desktop and a phone width with no sideways scrolling (screenshots in
//! `artefacts/public/`), in English and in French, and passes an accessibility
//! audit (axe-core, from npm) with no violation at "serious" or above. With
//! JavaScript off, a reader searches by distance from a town, switches the
//! language (remembered on the next page), asks for the time in their zone,
//! and joins from their Fediverse account (their server: a stand-in answering
//! WebFinger as Mastodon does).

use std::path::{Path, PathBuf};

use rally_e2e::webdriver::{Driver, Session};
use rally_e2e::{Server, id_of, json, rally};
use serde_json::json;

fn artefact(name: &str) -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"));
    target.join("artefacts/public").join(name)
}

fn axe() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("a11y/node_modules/axe-core/axe.min.js");
    std::fs::read_to_string(&path).expect("axe-core (cargo xtask ci installs it in tests/a11y)")
}

#[test]
fn public_pages_render_without_javascript_fit_a_phone_and_pass_an_audit() {
    let srv = tempfile::tempdir().unwrap();
    let rules = srv.path().join("rules.md");
    std::fs::write(
        &rules,
        "1. Be kind.\n2. No **ads**.\n<script>alert(1)</script>",
    )
    .unwrap();
    let server = Server::start_federating(
        srv.path(),
        &[
            "--registrations",
            "open",
            "--rules",
            rules.to_str().unwrap(),
            "--contact",
            "admins@rally.example",
            "--admin",
            "Ana <ana@rally.example>",
        ],
    );
    let device = tempfile::tempdir().unwrap();
    let dev = device.path();
    rally(dev, &["persona", "new", "Ana"]);
    let group = id_of(&json(
        dev,
        &[
            "group",
            "create",
            "Repair café",
            "--summary",
            "We mend **bikes**, lamps and clothes, every month.",
        ],
    ));
    let event = id_of(&json(
        dev,
        &[
            "event",
            "create",
            "--group",
            &group,
            "--title",
            "Repair café at the library",
            "--description",
            "Bring what is broken. A very long word: Donaudampfschifffahrtsgesellschaftskapitänsmützenabzeichen.",
            "--starts",
            "2055-05-01T14:00",
            "--tz",
            "Europe/Paris",
            "--place",
            "Bibliothèque",
            "--address",
            "1 rue de la Paix, Lyon",
            "--lat",
            "45.7640",
            "--lon",
            "4.8357",
            "--tag",
            "repair",
        ],
    ));
    rally(
        dev,
        &[
            "group",
            "link",
            &group,
            "--title",
            "Our pad",
            "--url",
            "https://pad.example/repair",
        ],
    );
    rally(
        dev,
        &[
            "event",
            "create",
            "--group",
            &group,
            "--title",
            "Last year's café",
            "--starts",
            "2025-05-03T14:00",
            "--tz",
            "Europe/Paris",
        ],
    );
    let out = rally_e2e::sync_with_server(dev, &server.p2p[0], &[]);
    assert!(out.status.success(), "{out:?}");
    let base = &server.http;
    let pages = [
        ("home", format!("{base}/"), "Upcoming events"),
        ("events", format!("{base}/events"), "Upcoming events"),
        ("about", format!("{base}/about"), "About localhost"),
        (
            "about-fr",
            format!("{base}/about?lang=fr"),
            "À propos de localhost",
        ),
        (
            "event-fr",
            format!("{base}/events/{event}?lang=fr"),
            "Repair café at the library",
        ),
        (
            "event",
            format!("{base}/events/{event}"),
            "Repair café at the library",
        ),
        ("group", format!("{base}/groups/{group}"), "Repair café"),
        ("tag", format!("{base}/tags/repair"), "#repair"),
        (
            "embed",
            format!("{base}/groups/{group}/embed"),
            "Repair café",
        ),
    ];

    let driver = Driver::chromium();
    let profile = tempfile::tempdir().unwrap();
    let off = Session::chromium_with(&driver, profile.path(), false);
    assert_eq!(
        off.script("return 1 + 1;", json!([])),
        json!(2),
        "the driver's own scripts run"
    );
    for (name, url, heading) in &pages {
        off.open(url);
        off.wait_text("h1", heading);
        for (width, label) in [(1280, "desktop"), (390, "phone")] {
            off.resize(width, 900);
            let v = off.script(
                "return [document.documentElement.scrollWidth, window.innerWidth];",
                json!([]),
            );
            assert!(
                v[0].as_i64() <= v[1].as_i64(),
                "{name} at {width}px scrolls sideways: {v}"
            );
            off.screenshot_to(&artefact(&format!("{name}-{label}.png")));
        }
        off.resize(1280, 900);
    }

    // The group's page: its links, its past events.
    // (In English again: the French pages above set the reader's cookie.)
    off.open(&format!("{base}/groups/{group}?lang=en"));
    off.wait_text("main", "Our pad");
    assert!(off.find_all("a[href='https://pad.example/repair']").len() == 1);
    let text = off.page_text();
    assert!(
        text.contains("Past events") && text.contains("Last year's café"),
        "{text}"
    );

    // The about page: the admin's rules (their Markdown, cleaned), contact.
    off.open(&format!("{base}/about?lang=en"));
    let about = off.page_text();
    assert!(
        about.contains("Be kind.") && about.contains("admins@rally.example"),
        "{about}"
    );
    assert!(about.contains("Ana <ana@rally.example>") && about.contains("Anyone may register"));
    assert_eq!(
        off.find_all("main script").len(),
        0,
        "the rules' script is removed"
    );

    // Search by distance from a town, with the form (no script): Lyon finds
    // the café, Marseille (280 km away) does not at 50 km but does at 300.
    for (town, km, found) in [
        ("Lyon", "10", true),
        ("Marseille", "50", false),
        ("Marseille", "300", true),
    ] {
        off.open(&format!("{base}/"));
        off.type_into("#near", town);
        off.type_into("#km", km);
        off.click("form[role=search] button[type=submit]");
        off.wait_text(
            "main",
            if found {
                "Repair café at the library"
            } else {
                "No upcoming events found"
            },
        );
        assert!(off.page_text().contains(&format!("km of {town}")), "{town}");
    }
    off.open(&format!("{base}/events?near=Atlantis%20Nowhere"));
    off.wait_text("main", "No town called");

    // The language switch, remembered by the next page.
    off.open(&format!("{base}/events/{event}"));
    off.wait_text("main", "Add to calendar");
    off.click("a[hreflang=fr]");
    off.wait_text("main", "Ajouter à l’agenda");
    assert!(
        off.page_text()
            .contains("sam. 1 mai 2055 à 14:00 (heure de Europe/Paris)")
    );
    off.open(&format!("{base}/events"));
    off.wait_text("h1", "Événements à venir");
    // The time in the reader's zone: 14:00 in Paris is 08:00 in New York.
    off.open(&format!("{base}/events/{event}"));
    off.type_into("#tz", "America/New_York");
    off.click("button[type=submit]");
    off.wait_text(
        "main",
        "Heure de America/New_York : sam. 1 mai 2055 à 08:00",
    );
    off.open(&format!("{base}/events/{event}?lang=en"));
    off.wait_text("main", "Add to calendar");

    // Joining from a Fediverse account: the reader's server says (WebFinger)
    // where to interact, and the browser goes there with the event's URL.
    let own_url = std::sync::Arc::new(std::sync::OnceLock::<String>::new());
    let url_in = own_url.clone();
    let (mastodon, seen) = rally_e2e::stand_in::stand_in(move |path| {
        use rally_e2e::stand_in::Reply;
        let me = url_in.get().cloned().unwrap_or_default();
        if path.starts_with("/.well-known/webfinger") {
            let jrd = json!({
                "subject": "acct:ana@x",
                "links": [
                    {"rel": "self", "type": "application/activity+json", "href": format!("{me}/users/ana")},
                    {"rel": "http://ostatus.org/schema/1.0/subscribe", "template": format!("{me}/authorize_interaction?uri={{uri}}")}
                ]
            });
            return Reply::ok("application/jrd+json", jrd.to_string().into_bytes());
        }
        Reply::ok(
            "text/html",
            b"<!doctype html><title>Mastodon</title><h1>Authorize</h1>".to_vec(),
        )
    });
    own_url.set(mastodon.clone()).unwrap();
    let host = mastodon.trim_start_matches("http://");
    off.type_into("#handle", &format!("@ana@{host}"));
    off.click("form[action='/interact'] button");
    off.wait_text("h1", "Authorize");
    let at = off
        .script("return location.href;", json!([]))
        .as_str()
        .unwrap()
        .to_owned();
    let event_url = format!("{base}/events/{event}");
    let encoded: String = url::form_urlencoded::byte_serialize(event_url.as_bytes()).collect();
    assert_eq!(
        at,
        format!("{mastodon}/authorize_interaction?uri={encoded}")
    );
    let asked = seen.lock().unwrap().clone();
    assert!(
        asked[0].0 == format!("/.well-known/webfinger?resource=acct:ana@{host}"),
        "{asked:?}"
    );
    // An address that is not one is answered on the page, in words.
    off.open(&format!("{base}/events/{event}?lang=en"));
    off.type_into("#handle", "not an address");
    off.click("form[action='/interact'] button");
    off.wait_text(".error", "is not a Fediverse address");
    off.quit();

    let profile = tempfile::tempdir().unwrap();
    let on = Session::chromium(&driver, profile.path());
    let axe = axe();
    for (name, url, _) in &pages {
        on.open(url);
        // Nothing of the page's own runs: no script but JSON-LD data.
        let scripts = on.script(
            "return [...document.scripts].filter(s => s.type !== 'application/ld+json').length;",
            json!([]),
        );
        assert_eq!(scripts, json!(0), "{name}");
        let violations = on.audit(&axe);
        assert!(violations.is_empty(), "{name}: {violations:#?}");
    }
    on.quit();
}
