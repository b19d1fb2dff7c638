//! The server's public pages in a real, headless Chromium: each renders with
//! JavaScript turned off (they have none: their CSP forbids every script), at a
//! desktop and a phone width with no sideways scrolling (screenshots in
//! `artefacts/public/`), and passes an accessibility audit (axe-core, from npm)
//! with no violation at "serious" or above.

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
    let server = Server::start_federating(srv.path(), &["--registrations", "open"]);
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
            "2027-05-01T14:00",
            "--tz",
            "Europe/Paris",
            "--place",
            "Bibliothèque",
            "--address",
            "1 rue de la Paix, Lyon",
            "--tag",
            "repair",
        ],
    ));
    let out = rally_e2e::sync_with_server(dev, &server.p2p[0], &[]);
    assert!(out.status.success(), "{out:?}");
    let base = &server.http;
    let pages = [
        ("home", format!("{base}/"), "Rally server"),
        ("events", format!("{base}/events"), "Upcoming events"),
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
