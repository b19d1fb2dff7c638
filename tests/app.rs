//! The real desktop app (`rally-app`) under a virtual display, driven through
//! WebDriver (tauri-driver in front of WebKitWebDriver) as a person uses it:
//! first run, an event created, found in the list and by search, opened,
//! commented and joined; quit and relaunch, everything still there; screenshots
//! of the main screens kept as artefacts; the UI at a phone's size; and events
//! arriving live from a `rally` peer — through the app's own sync node, and
//! through a `rally sync` process on the app's data directory.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rally_e2e::webdriver::{Display, Driver, Session, SessionBus};
use rally_e2e::{SyncProcess, bin, json, rally};
use serde_json::json;

/// One app under WebDriver at a time: two WebKit drivers side by side lose
/// their sessions.
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// The virtual display and the WebDriver in front of the app, one test at a time.
fn start() -> (std::sync::MutexGuard<'static, ()>, Display, Driver) {
    let one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let display = Display::start();
    let driver = Driver::start(&display);
    (one, display, driver)
}

fn artefacts() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            bin("rally-app")
                .parent()
                .unwrap()
                .parent()
                .unwrap()
                .to_owned()
        });
    target.join("artefacts/app")
}

/// An event made with the CLI on `dir` (Paris time); its id.
fn create_event(dir: &Path, title: &str, starts: &str) -> String {
    rally_e2e::id_of(&rally_e2e::json(
        dir,
        &[
            "event",
            "create",
            "--title",
            title,
            "--starts",
            starts,
            "--tz",
            "Europe/Paris",
        ],
    ))
}

/// An event made on the peer, synced once to `address`.
fn push_event(peer: &Path, title: &str, starts: &str, address: &str) {
    create_event(peer, title, starts);
    rally_e2e::sync_once_with(peer, address);
}

fn launch(driver: &Driver, data: &Path, extra: &[&str]) -> Session {
    let mut args = vec!["--data", data.to_str().unwrap()];
    args.extend_from_slice(extra);
    Session::new(driver, &bin("rally-app"), &args)
}

fn open_event(s: &Session, title: &str) {
    s.click("button.tab:nth-child(1)");
    s.wait_text("#event-list", title);
    // The list may be drawn again just after it shows (as the store opens
    // after an unlock): a click on the card it replaced goes nowhere. So the
    // card is clicked, and clicked again every few seconds, until the event
    // opens (or the wait times out).
    let mut clicked: Option<std::time::Instant> = None;
    s.wait(&format!("the event page of {title:?}"), || {
        let shown = s.script(
            "const t = document.querySelector('#event-title'); return t ? t.innerText : '';",
            json!([]),
        );
        if shown.as_str().is_some_and(|t| t.contains(title)) {
            return Some(());
        }
        if clicked.is_none_or(|at| at.elapsed() > Duration::from_secs(3)) {
            clicked = Some(std::time::Instant::now());
            s.script(
                "const card = [...document.querySelectorAll('#event-list .event-item')].find(e => e.innerText.includes(arguments[0])); if (card) card.click(); return !!card;",
                json!([title]),
            );
        }
        None
    });
}

/// Where the app's node listens on loopback, as its sync screen prints it.
fn node_address(s: &Session) -> String {
    s.wait("the node to listen on loopback", || {
        s.page_text()
            .lines()
            .find(|l| l.starts_with("/ip4/127.0.0.1/") && l.contains("/p2p/"))
            .map(str::to_owned)
    })
}

/// No horizontal scrolling on the current screen.
fn fits(s: &Session, screen: &str) {
    let v = s.script(
        "return [document.documentElement.scrollWidth, window.innerWidth];",
        json!([]),
    );
    let (scroll, inner) = (v[0].as_i64().unwrap(), v[1].as_i64().unwrap());
    assert!(
        scroll <= inner,
        "{screen}: the page is {scroll}px wide in a {inner}px window"
    );
}

#[test]
fn a_person_creates_finds_comments_and_joins_and_it_survives_a_relaunch() {
    let (_one, display, driver) = start();
    let data = tempfile::tempdir().unwrap();
    let shots = artefacts();

    let s = launch(&driver, data.path(), &["--no-sync"]);
    // The first run explains before it asks for a name.
    s.wait_text(".onboarding", "Works without internet");
    s.wait_text(".onboarding", "Personas nobody can link");
    s.type_into("#persona-name", "Camille");
    display.screenshot(&shots.join("01-first-run.png"));
    s.click("#create-persona");
    s.click("#new-event");
    s.type_into("#f-title", "Bike parade");
    s.set_value("#f-starts", "2055-05-01T14:00");
    s.type_into("#f-place", "Place de la République");
    s.type_into(
        "#f-description",
        "Bring **lights**. <script>alert(1)</script>",
    );
    display.screenshot(&shots.join("02-new-event.png"));
    s.click("#save-event");
    s.wait_text("#event-title", "Bike parade");
    let description = s.script(
        "return document.querySelector('.description').innerHTML;",
        json!([]),
    );
    let description = description.as_str().unwrap();
    assert!(
        description.contains("<strong>lights</strong>"),
        "{description}"
    );
    assert!(
        !description.contains("<script"),
        "unsafe HTML: {description}"
    );

    // Found in the list, and by search.
    s.click("button.tab:nth-child(1)");
    s.wait_text("#event-list", "Bike parade");
    s.type_into("#search", "parade");
    s.wait_text("#event-list", "Bike parade");
    s.type_into("#search", "nothing-like-this");
    s.wait_text("#content", "No events here yet.");
    s.set_value("#search", "");
    display.screenshot(&shots.join("03-events.png"));

    open_event(&s, "Bike parade");
    s.type_into("#comment-body", "See you there");
    s.click("#send-comment");
    s.wait_text("#comments", "See you there");
    s.click("#rsvp");
    s.wait_text("#my-status", "going");
    s.wait_text("#participants", "Camille");
    display.screenshot(&shots.join("04-event.png"));

    // A weekly series on Tuesdays and Thursdays, four dates; join one of them.
    s.click("button.tab:nth-child(1)");
    s.click("#new-event");
    s.type_into("#f-title", "Repair café");
    s.set_value("#f-starts", "2055-05-04T19:00");
    s.click("#f-repeats");
    s.wait_text("#repeat-sentence", "Every week on Tuesday at 7:00");
    s.click("#f-day-TU");
    s.click("#f-day-TH");
    s.set_value("#f-count", "4");
    s.wait_text(
        "#repeat-sentence",
        "Every week on Tuesday, Thursday at 7:00",
    );
    s.wait_text("#repeat-sentence", "4 times");
    display.screenshot(&shots.join("04b-repeat-form.png"));
    s.click("#save-event");
    s.wait_text("#event-title", "Repair café");
    s.wait_text("#event-repeat", "Every week on Tuesday, Thursday");
    let dates = |s: &Session| {
        s.script(
            "return [...document.querySelectorAll('.occurrence')].map(li => li.dataset.occurrence);",
            json!([]),
        )
    };
    assert_eq!(
        dates(&s),
        json!([
            "2055-05-04T19:00:00",
            "2055-05-06T19:00:00",
            "2055-05-11T19:00:00",
            "2055-05-13T19:00:00"
        ])
    );
    s.click("li[data-occurrence='2055-05-06T19:00:00'] .occurrence-rsvp");
    s.wait_text("li[data-occurrence='2055-05-06T19:00:00']", "1 going");
    s.wait_text(
        "li[data-occurrence='2055-05-06T19:00:00'] .occurrence-rsvp",
        "Leave",
    );
    s.wait_text(
        "li[data-occurrence='2055-05-11T19:00:00']",
        "nobody going yet",
    );
    display.screenshot(&shots.join("04c-series.png"));
    // 11 May and what follows move to the library, an hour earlier.
    s.click("li[data-occurrence='2055-05-11T19:00:00'] .occurrence-edit");
    s.set_value("#o-starts", "2055-05-11T18:00");
    s.type_into("#o-place", "Library");
    s.click("#o-following");
    display.screenshot(&shots.join("04d-occurrence-form.png"));
    s.click("#save-occurrence");
    s.wait_text("li[data-occurrence='2055-05-11T19:00:00']", "Library");
    s.wait_text("li[data-occurrence='2055-05-13T19:00:00']", "Library");
    s.wait_text("li[data-occurrence='2055-05-13T19:00:00']", "changed");
    s.wait_text("li[data-occurrence='2055-05-06T19:00:00']", "1 going");

    // A phone-sized window: no horizontal scrolling, every action there.
    s.resize(390, 844);
    fits(&s, "event page");
    for id in ["#rsvp", "#ics", "#edit-event", "#send-comment"] {
        s.find(id);
    }
    display.screenshot(&shots.join("05-event-phone.png"));
    for (tab, name) in [
        (1, "events"),
        (2, "groups"),
        (3, "personas"),
        (4, "sync"),
        (5, "settings"),
    ] {
        s.click(&format!("button.tab:nth-child({tab})"));
        std::thread::sleep(Duration::from_millis(300));
        fits(&s, name);
        display.screenshot(&shots.join(format!("06-{name}-phone.png")));
    }
    s.quit();

    // Relaunched: everything is still there.
    let s = launch(&driver, data.path(), &["--no-sync"]);
    open_event(&s, "Bike parade");
    s.wait_text("#comments", "See you there");
    s.wait_text("#my-status", "going");
    s.quit();

    // The CLI reads the same store.
    let list = rally_e2e::json(data.path(), &["event", "list"]);
    assert_eq!(list[0]["title"], "Bike parade");
    // Where and when the series' dates are now, as the CLI reads them.
    let series = list
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["title"] == "Repair café")
        .map(rally_e2e::id_of)
        .expect("the series in the list");
    let dates = rally_e2e::json(
        data.path(),
        &["event", "occurrences", &series, "--from", "2055-01-01"],
    );
    let dates: Vec<(String, String)> = dates
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            (
                o["starts"].as_str().unwrap()[..16].to_owned(),
                o["place"]["name"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    let at = |t: &str, p: &str| (t.to_owned(), p.to_owned());
    assert_eq!(
        dates,
        [
            at("2055-05-04T19:00", ""),
            at("2055-05-06T19:00", ""),
            at("2055-05-11T18:00", "Library"),
            at("2055-05-13T18:00", "Library"),
        ]
    );
}

#[test]
fn events_arrive_live_through_the_apps_node_and_through_another_process() {
    let (_one, display, driver) = start();
    let data = tempfile::tempdir().unwrap();
    let peer = tempfile::tempdir().unwrap();
    rally(peer.path(), &["persona", "new", "Dominique"]);

    let s = launch(&driver, data.path(), &[]);
    s.type_into("#persona-name", "Camille");
    s.click("#create-persona");
    // The app's node prints where it listens on its sync screen.
    s.click("button.tab:nth-child(4)");
    let address = node_address(&s);
    s.click("button.tab:nth-child(1)");

    push_event(
        peer.path(),
        "Picnic by the canal",
        "2055-06-01T12:00",
        &address,
    );
    s.wait_text("#event-list", "Picnic by the canal");

    // A `rally sync` process on the app's own data directory brings another.
    s.quit();
    let s = launch(&driver, data.path(), &["--no-sync"]);
    s.wait_text("#event-list", "Picnic by the canal");
    let side = SyncProcess::start(
        &[],
        data.path(),
        &["--listen", "/ip4/127.0.0.1/udp/0/quic-v1", "--no-mdns"],
    );
    push_event(
        peer.path(),
        "Night market",
        "2055-06-02T20:00",
        &side.first_line,
    );
    s.wait_text("#event-list", "Night market");
    display.screenshot(&artefacts().join("07-live.png"));
    s.quit();
}

/// `rally-app --data DIR LINK` while an app runs on DIR: hands the link over
/// and exits (without a display, so a second window could not open).
fn open_link(data: &Path, link: &str) {
    let mut child = std::process::Command::new(bin("rally-app"))
        .args(["--data", data.to_str().unwrap(), link])
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .spawn()
        .unwrap();
    for _ in 0..100 {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success(), "the second launch failed: {status}");
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = child.kill();
    panic!("the second launch did not hand {link} over within 10 s");
}

#[test]
fn links_open_an_event_and_an_invitation_link_joins_the_group() {
    let (_one, display, driver) = start();
    let data = tempfile::tempdir().unwrap();
    let peer = tempfile::tempdir().unwrap();
    rally(data.path(), &["persona", "new", "Camille"]);
    let repair = create_event(data.path(), "Repair café", "2055-05-08T10:00");
    let assembly = create_event(data.path(), "Neighbourhood assembly", "2055-05-12T19:00");
    rally(peer.path(), &["persona", "new", "Dominique"]);
    let group = rally_e2e::id_of(&rally_e2e::json(
        peer.path(),
        &["group", "create", "Bike kitchen", "--members-only"],
    ));
    let invitation = rally_e2e::json(peer.path(), &["group", "invite", &group]);
    let link = invitation["link"].as_str().unwrap().to_owned();
    assert!(link.starts_with("rally://invite/"), "{link}");

    // Started by a link: the event, not the list.
    let s = launch(
        &driver,
        data.path(),
        &["--no-sync", &format!("rally://event/{repair}")],
    );
    s.wait_text("#event-title", "Repair café");
    s.quit();

    // A link opened while the app runs: the OS starts a second `rally-app`
    // with it, which hands it over and exits.
    let s = launch(&driver, data.path(), &[]);
    s.wait_text("#event-list", "Repair café");
    open_link(
        data.path(),
        &format!("https://rally.example/events/{assembly}"),
    );
    s.wait_text("#event-title", "Neighbourhood assembly");
    // Back returns to where the person was.
    s.click("button.back");
    s.wait_text("#event-list", "Repair café");

    // An invitation link asks first, as whom, then joins.
    open_link(data.path(), &link);
    s.wait_text("#dialog-text", "Camille");
    display.screenshot(&artefacts().join("08-invitation.png"));
    s.click("#dialog-yes");
    s.wait_text(
        ".toasts",
        "You will join as soon as the group reaches this device.",
    );
    s.click("button.tab:nth-child(4)");
    let address = node_address(&s);
    rally(
        peer.path(),
        &[
            "sync",
            "--peer",
            &address,
            "--once",
            "--no-mdns",
            "--timeout",
            "60",
        ],
    );
    s.click("button.tab:nth-child(2)");
    s.wait_text("#group-list", "Bike kitchen");
    // The app joins when the group arrives, during that sync; the peer may
    // have finished before the join came back. A message sealed before the
    // sender knows of a member is not for that member (a new member reads the
    // chat from the epoch made when they joined), so the peer syncs until it
    // knows Camille.
    let knows_camille = || {
        rally_e2e::json(peer.path(), &["group", "show", &group])["members"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["name"] == "Camille")
    };
    for _ in 0..5 {
        if knows_camille() {
            break;
        }
        rally_e2e::sync_once_with(peer.path(), &address);
    }
    assert!(knows_camille(), "the peer never learnt of Camille's join");

    // A message synced in from the peer is counted until the chat is opened.
    rally(
        peer.path(),
        &["message", "send", &group, "Bring spanners on Saturday"],
    );
    rally_e2e::sync_once_with(peer.path(), &address);
    s.wait_text("button.tab:nth-child(2) .count", "1");
    s.wait_text("#group-list", "1 unread message");
    s.click("button.tab:nth-child(1)");
    s.wait_text("#news", "Bike kitchen");
    s.wait_text("#news", "1 unread message");
    display.screenshot(&artefacts().join("09-since-you-last-looked.png"));
    s.click("#news .row-link");
    s.wait_text("#chat", "Bring spanners on Saturday");
    s.wait("the count to clear once the chat is open", || {
        s.find_all("button.tab:nth-child(2) .count")
            .is_empty()
            .then_some(())
    });
    s.click("button.tab:nth-child(2)");
    s.wait_text("#group-list", "Bike kitchen");
    assert!(
        !s.page_text().contains("unread message"),
        "still unread after opening the chat"
    );
    s.quit();
    // The app's persona is a member on the app's store.
    let groups = rally_e2e::json(data.path(), &["group", "list"]);
    let mine = groups
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["name"] == "Bike kitchen")
        .expect("the group arrived");
    assert!(
        mine["my_roles"].to_string().contains("Camille"),
        "not a member: {mine}"
    );
}

/// axe-core's source, as `cargo xtask ci` installs it (`tests/a11y`).
fn axe_source() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("a11y/node_modules/axe-core/axe.min.js");
    std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "axe-core is not installed ({}: {e}): run `npm ci` in tests/a11y (cargo xtask ci does)",
            path.display()
        )
    })
}

/// The main screens, and how to reach each from anywhere.
const SCREENS: &[&str] = &[
    "events",
    "event",
    "new-event",
    "groups",
    "group",
    "personas",
    "sync",
    "settings",
];

/// Small and large phones' viewports (CSS pixels).
const PHONES: [(u32, u32); 2] = [(360, 740), (390, 844)];

/// The smallest target a finger hits reliably (WCAG 2.5.5, Apple's and
/// Google's guidelines), in CSS pixels.
const TOUCH: f64 = 44.0;

/// The interactive elements on screen smaller than [`TOUCH`] either way, as
/// measured from the DOM. A checkbox or radio counts with its label (tapping
/// the label toggles it); a link inside running text is exempt (WCAG's
/// "inline" exception); elements not rendered (in a closed `details`, or
/// `display: none`) are skipped.
fn small_targets(s: &Session) -> Vec<String> {
    let found = s.script(
        r#"
        const min = arguments[0] - 0.5;
        const small = [];
        const sel = 'button, a[href], input:not([type=hidden]), select, textarea, summary, '
            + '[role=button], [tabindex]:not([tabindex="-1"])';
        for (const el of document.querySelectorAll(sel)) {
            let target = el;
            if (el.matches('input[type=checkbox], input[type=radio]')) {
                target = el.closest('label')
                    || (el.id && document.querySelector(`label[for="${el.id}"]`)) || el;
            }
            const r = target.getBoundingClientRect();
            if (r.width === 0 && r.height === 0) continue;
            if (el.matches('a') && getComputedStyle(el).display === 'inline'
                && el.closest('p, li, .leaflet-control-attribution')) continue;
            if (r.width < min || r.height < min) {
                const name = el.id ? '#' + el.id
                    : el.tagName.toLowerCase() + (el.className && typeof el.className === 'string'
                        ? '.' + el.className.trim().split(/\s+/).join('.') : '');
                const text = (el.innerText || el.value || el.getAttribute('aria-label') || '')
                    .trim().slice(0, 30);
                small.push(`${name} "${text}" ${Math.round(r.width)}x${Math.round(r.height)}`);
            }
        }
        return small;
        "#,
        json!([TOUCH]),
    );
    found
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect()
}

fn show(s: &Session, screen: &str) {
    let tab = |n: usize, ready: &str| {
        s.click(&format!("button.tab:nth-child({n})"));
        s.find(ready);
    };
    match screen {
        "events" => tab(1, "#event-list"),
        "event" => {
            tab(1, "#event-list");
            s.click("#event-list li:nth-child(1) .event-item");
            s.find("#event-title");
        }
        "new-event" => {
            tab(1, "#new-event");
            s.click("#new-event");
            s.find("#f-title");
        }
        "groups" => tab(2, "#group-list"),
        "group" => {
            tab(2, "#group-list");
            s.click("#group-list li:nth-child(1) button");
            s.find("#chat");
        }
        "personas" => tab(3, "#content h1"),
        "sync" => tab(4, "#content h1"),
        "settings" => tab(5, "#theme"),
        other => panic!("no screen {other}"),
    }
    // Fonts and layout settle.
    std::thread::sleep(Duration::from_millis(150));
}

#[test]
fn every_main_screen_passes_an_accessibility_audit_in_both_themes_and_languages() {
    let (_one, display, driver) = start();
    let data = tempfile::tempdir().unwrap();
    let shots = artefacts().join("screens");
    let axe = axe_source();
    rally(data.path(), &["persona", "new", "Camille"]);
    let group = rally_e2e::id_of(&rally_e2e::json(
        data.path(),
        &[
            "group",
            "create",
            "Bike kitchen",
            "--summary",
            "Repairs and rides",
        ],
    ));
    let event = rally_e2e::id_of(&rally_e2e::json(
        data.path(),
        &[
            "event",
            "create",
            "--title",
            "Repair café",
            "--starts",
            "2055-05-08T10:00",
            "--tz",
            "Europe/Paris",
            "--place",
            "Maison des associations",
            "--description",
            "Bring what is **broken**.",
            "--group",
            &group,
            "--capacity",
            "1",
        ],
    ));
    rally(data.path(), &["event", "join", &event]);
    rally(
        data.path(),
        &["event", "comment", &event, "I'll bring a toaster"],
    );
    rally(
        data.path(),
        &["message", "send", &group, "Who has a 13 mm spanner?"],
    );

    // More than a page of the list.
    for i in 0..105 {
        create_event(
            data.path(),
            &format!("Workshop {i}"),
            &format!("2055-06-{:02}T{:02}:00", 1 + i / 4, 8 + i % 4),
        );
    }

    let s = launch(&driver, data.path(), &["--no-sync"]);
    s.resize(1280, 800);
    // Its one place is taken: the card says so.
    s.wait_text("#event-list", "Full");
    let mut failures = Vec::new();
    for lang in ["en", "fr"] {
        show(&s, "settings");
        s.set_value("#language", lang);
        s.wait("the language to apply", || {
            let l = s.script("return document.querySelector('.app').lang;", json!([]));
            (l.as_str() == Some(lang)).then_some(())
        });
        for theme in ["light", "dark"] {
            show(&s, "settings");
            s.set_value("#theme", theme);
            for screen in SCREENS {
                show(&s, screen);
                for v in s.audit(&axe) {
                    failures.push(format!("{lang} {theme} {screen}: {v}"));
                }
                display.screenshot_area(
                    &shots.join(format!("{lang}-{theme}-1280x800-{screen}.png")),
                    1280,
                    800,
                );
            }
        }
        // Phones' sizes, in the light theme: every screen the bottom
        // navigation reaches fits the width, and every control is a big
        // enough target for a finger.
        show(&s, "settings");
        s.set_value("#theme", "light");
        for (width, height) in PHONES {
            s.resize(width, height);
            for screen in SCREENS {
                show(&s, screen);
                fits(&s, screen);
                for small in small_targets(&s) {
                    failures.push(format!("{lang} {width}x{height} {screen}: {small}"));
                }
                display.screenshot_area(
                    &shots.join(format!("{lang}-light-{width}x{height}-{screen}.png")),
                    width,
                    height,
                );
            }
        }
        // A phone's keyboard is up: the window is short, and the form's last
        // field, once focused and scrolled into view as a phone's browser does
        // (WebKit under Xvfb does not scroll on focus), is on screen, clear of
        // the navigation bar.
        s.resize(390, 420);
        show(&s, "new-event");
        let v = s.script(
            "const fields = [...document.querySelectorAll('#content input:not([type=hidden]):not([type=checkbox]), #content textarea')] \
                 .filter(e => e.getBoundingClientRect().height > 0); \
             const f = fields[fields.length - 1]; f.focus(); f.scrollIntoView({block: 'nearest'}); \
             const r = f.getBoundingClientRect(); const nav = document.querySelector('nav'); \
             const n = nav.getBoundingClientRect(); \
             return [r.top, r.bottom, n.top, n.bottom, innerHeight, getComputedStyle(nav).position];",
            json!([]),
        );
        let num = |i: usize| v[i].as_f64().unwrap();
        let (top, bottom, nav_top, nav_bottom, height) = (num(0), num(1), num(2), num(3), num(4));
        assert!(
            top >= 0.0 && bottom <= height,
            "the focused field is off screen: {v}"
        );
        assert!(
            bottom <= nav_top || top >= nav_bottom,
            "the navigation bar covers the focused field: {v}"
        );
        s.resize(1280, 800);
    }
    // The list reads a page at a time, as far as it goes.
    show(&s, "events");
    let count = || s.find_all("#event-list .event-item").len();
    s.wait("the first page", || (count() == 100).then_some(()));
    s.click("#show-more");
    s.wait("the second page", || (count() == 106).then_some(()));
    s.wait_text("#event-list", "Workshop 104");
    assert!(s.find_all("#show-more").is_empty(), "nothing more to show");
    // Text at 200 %: every screen still fits the window's width.
    s.script(
        "document.documentElement.style.fontSize = '200%'; return true;",
        json!([]),
    );
    for screen in SCREENS {
        show(&s, screen);
        fits(&s, &format!("{screen} with text at 200 %"));
    }
    display.screenshot_area(&shots.join("fr-light-1280x800-text-200.png"), 1280, 800);
    // The webview's storage (language, theme) outlives the app and is shared
    // by every data directory: the next test starts from none.
    s.script("localStorage.clear(); return true;", json!([]));
    s.quit();
    assert!(
        failures.is_empty(),
        "{} accessibility problems (axe's serious or critical violations, targets under 44 px):\n{}",
        failures.len(),
        failures.join("\n")
    );
}

const ENTER: &str = "\u{E007}";

#[test]
fn a_keyboard_alone_creates_an_event_joins_comments_and_chats() {
    let (_one, display, driver) = start();
    let data = tempfile::tempdir().unwrap();
    rally(data.path(), &["persona", "new", "Camille"]);
    rally(data.path(), &["group", "create", "Bike kitchen"]);
    let s = launch(&driver, data.path(), &["--no-sync"]);
    s.find("#new-event");

    // Create an event.
    s.tab_to("#new-event", 30);
    s.keys(ENTER);
    s.find("#f-title");
    s.tab_to("#f-title", 30);
    s.keys("Cleanup day");
    s.tab_to("#f-starts", 5);
    // WebKit's date field: month, day, year, then hour, minutes, AM/PM, each
    // part moving on to the next when full.
    // The start comes filled in (tomorrow at 18:00); the keyboard moves it an
    // hour later: month, day, year, then the hour, which the arrow raises.
    let start = |s: &Session| {
        s.script(
            "return document.querySelector('#f-starts').value;",
            json!([]),
        )
        .as_str()
        .unwrap()
        .to_owned()
    };
    let before = start(&s);
    assert!(before.ends_with("T18:00"), "{before}");
    s.keys("\u{E004}\u{E004}\u{E004}\u{E013}");
    assert_eq!(start(&s), before.replace("T18:00", "T19:00"));
    s.tab_to("#save-event", 40);
    s.keys(ENTER);
    s.wait_text("#event-title", "Cleanup day");

    // Join it and comment.
    s.tab_to("#rsvp", 30);
    s.keys(ENTER);
    s.wait_text("#my-status", "going");
    s.tab_to("#comment-body", 30);
    s.keys("Bringing gloves");
    s.tab_to("#send-comment", 10);
    s.keys(ENTER);
    s.wait_text("#comments", "Bringing gloves");

    // Write in the group's chat.
    s.tab_to("button.tab:nth-child(2)", 40);
    s.keys(ENTER);
    s.find("#group-list");
    s.tab_to("#group-list button", 30);
    s.keys(ENTER);
    s.tab_to("#chat-text", 40);
    s.keys("See you at the kitchen");
    s.keys(ENTER);
    s.wait_text("#chat", "See you at the kitchen");
    display.screenshot(&artefacts().join("10-keyboard.png"));

    // The admin makes the chat's messages disappear after a day: what is
    // sent next says when it goes, what was sent before stays.
    s.set_value("#disappearing", "day");
    s.wait_text("#chat-timer", "1 day");
    s.tab_to("#chat-text", 40);
    s.keys("Gone tomorrow");
    s.keys(ENTER);
    s.wait_text("#chat", "Gone tomorrow");
    s.wait_text("#chat .message:last-child .expires", "Disappears at");
    assert_eq!(
        s.find_all("#chat .expires").len(),
        1,
        "only the new message disappears"
    );
    s.quit();
    let group = json(data.path(), &["group", "list"])[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        json(data.path(), &["group", "show", &group])["disappearing"],
        86_400
    );
    let list = json(data.path(), &["message", "list", &group]);
    assert!(list[0]["expires"].is_null(), "{list}");
    assert!(list[1]["expires"].as_i64().is_some(), "{list}");
}

/// A picture chosen in the app with its description: cleaned by the shell,
/// shown on the event's page and on its list card with the description as alt
/// text, and the same picture the CLI reads.
#[test]
fn a_banner_chosen_in_the_app_shows_on_the_page_and_the_card() {
    let (_one, display, driver) = start();
    let data = tempfile::tempdir().unwrap();
    rally(data.path(), &["persona", "new", "Camille"]);
    let id = create_event(data.path(), "Repair café", "2055-06-05T14:00");
    rally(data.path(), &["group", "create", "Menders"]);
    let photo = data.path().join("flyer.jpg");
    std::fs::write(&photo, rally_picture::fixtures::phone_photo()).unwrap();

    let s = launch(&driver, data.path(), &["--no-sync"]);
    open_event(&s, "Repair café");
    // No picture yet: saving needs a file.
    s.find("#picture-editor");
    s.type_into("#picture-file", photo.to_str().unwrap());
    s.wait_text("#picture-editor", "flyer.jpg");
    // A preview of the chosen file before anything is saved.
    s.wait("the preview", || {
        let v = s.script(
            "const i = document.querySelector('img.preview'); return i && i.complete && i.naturalWidth;",
            json!([]),
        );
        (v.as_i64().unwrap_or(0) > 0).then_some(())
    });
    s.click("#save-picture");
    s.wait_text("#picture-editor", "Say what the picture shows");
    s.type_into("#picture-alt-text", "Tools laid out on a table");
    s.click("#save-picture");
    let shown = |css: &str| {
        s.wait(&format!("{css} to show the picture"), || {
            let v = s.script(
                "const i = document.querySelector(arguments[0]);
                 return i && i.complete && i.naturalWidth > 0 ? [i.alt, i.naturalWidth, i.naturalHeight] : null;",
                json!([css]),
            );
            (!v.is_null()).then_some(v)
        })
    };
    let page = shown("img.banner");
    assert_eq!(page, json!(["Tools laid out on a table", 320, 640]));
    display.screenshot(&artefacts().join("09-banner-page.png"));

    s.click("button.tab:nth-child(1)");
    let card = shown("img.card-picture");
    assert_eq!(card, json!(["Tools laid out on a table", 240, 480]));
    display.screenshot(&artefacts().join("09-banner-card.png"));

    // A group's picture, chosen by its admin, on its page and in the list.
    s.click("button.tab:nth-child(2)");
    s.wait_text("#group-list", "Menders");
    s.click("#group-list li:nth-child(1) .item");
    s.type_into("#picture-file", photo.to_str().unwrap());
    s.wait_text("#picture-editor", "flyer.jpg");
    s.type_into("#picture-alt-text", "A needle and thread");
    s.click("#save-picture");
    assert_eq!(
        shown("img.group-avatar"),
        json!(["A needle and thread", 320, 640])
    );
    s.click("button.tab:nth-child(2)");
    assert_eq!(
        shown("img.list-avatar"),
        json!(["A needle and thread", 240, 480])
    );

    // The persona's own picture: beside its name once it answers the event
    // (decorative there: the name is written beside it).
    s.click("button.tab:nth-child(3)");
    s.type_into("#picture-file", photo.to_str().unwrap());
    s.wait_text("#picture-editor", "flyer.jpg");
    s.type_into("#picture-alt-text", "Camille smiling");
    s.click("#save-picture");
    assert_eq!(shown(".persona-row img.avatar-img"), json!(["", 240, 480]));
    open_event(&s, "Repair café");
    s.click("#rsvp");
    assert_eq!(shown("#participants img.avatar-img"), json!(["", 240, 480]));
    display.screenshot(&artefacts().join("09-persona-picture.png"));
    s.quit();

    let banner = rally_e2e::json(data.path(), &["event", "show", &id])["banner"].clone();
    assert_eq!(banner["alt"], "Tools laid out on a table");
    assert_eq!(banner["width"], 320);
}

/// Clicks a map at a fraction of its width and height (a real click event at
/// those coordinates, as a pointer makes).
fn click_map(s: &Session, map: &str, fx: f64, fy: f64) {
    s.script(
        "const m = document.querySelector(arguments[0]);
         const r = m.getBoundingClientRect();
         const at = {clientX: r.left + r.width * arguments[1], clientY: r.top + r.height * arguments[2], bubbles: true};
         const target = document.elementFromPoint(at.clientX, at.clientY);
         for (const kind of ['mousedown', 'mouseup', 'click']) target.dispatchEvent(new MouseEvent(kind, at));",
        json!([map, fx, fy]),
    );
}

/// Tiles the map in `map` shows, loaded.
fn tiles_shown(s: &Session, map: &str) -> i64 {
    s.script(
        "return [...document.querySelectorAll(arguments[0] + ' img.leaflet-tile-loaded')].filter(i => i.naturalWidth > 0).length;",
        json!([map]),
    )
    .as_i64()
    .unwrap_or(0)
}

#[test]
fn an_address_found_a_route_drawn_and_the_map_kept_offline_shows_with_no_network() {
    use rally_e2e::stand_in::{photon, tile_server};
    let (_one, display, driver) = start();
    let (geocoder, _) = photon();
    let (tiles, tile_requests) = tile_server();
    let srv = tempfile::tempdir().unwrap();
    let server = rally_e2e::Server::start(
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
            &geocoder,
            "--tiles",
            &tiles,
            "--tiles-keep",
            "--tiles-attribution",
            "Stand-in tiles",
        ],
        1,
    );
    let data = tempfile::tempdir().unwrap();
    rally(data.path(), &["persona", "new", "Camille"]);
    let id = create_event(data.path(), "March for housing", "2055-05-01T14:00");
    // The device learns its server's web address when it syncs with it.
    let out = rally_e2e::sync_with_server(data.path(), &server.p2p[0], &[]);
    assert!(out.status.success(), "{out:?}");

    let s = launch(&driver, data.path(), &["--no-sync"]);
    open_event(&s, "March for housing");
    s.click("#edit-event");
    s.type_into("#place-search", "Alexanderplatz");
    s.wait_text("#place-results", "10178, Berlin, Germany");
    s.click("#place-results li:nth-child(1) button");
    s.wait("the place picked", || {
        let v = s.script(
            "return document.querySelector('#f-place').value;",
            json!([]),
        );
        (v == json!("Alexanderplatz")).then_some(())
    });
    s.find("#form-map .map-pin-place");
    s.click("#save-event");
    s.wait_text("#event-title", "March for housing");
    s.find("#event-map .map-pin-place");
    assert!(
        s.page_text().contains("Stand-in tiles"),
        "the tile provider's credit shows under the map"
    );
    s.wait("tiles under the map", || {
        (tiles_shown(&s, "#event-map") > 0).then_some(())
    });

    // The route: three clicks; a point named first.
    s.click("#draw-route");
    for (fx, fy) in [(0.2, 0.7), (0.5, 0.5), (0.8, 0.3)] {
        click_map(&s, "#event-map", fx, fy);
    }
    s.click("#save-map");
    s.wait("the route saved", || {
        s.find_all("#save-map").is_empty().then_some(())
    });
    s.click("#add-points");
    s.type_into("#point-label", "First aid");
    click_map(&s, "#event-map", 0.4, 0.4);
    s.click("#save-map");
    s.wait_text("#event-map", "First aid");
    let shown = rally_e2e::json(data.path(), &["event", "show", &id]);
    assert_eq!(shown["route"].as_array().unwrap().len(), 3, "{shown}");
    assert_eq!(shown["points"][0]["label"], "First aid", "{shown}");

    // Kept offline: bounded, reported.
    s.click("#keep-map");
    s.wait_text("#kept-map", "tiles kept offline");
    let kept = rally_e2e::json(data.path(), &["map", "show", &id]);
    let count = kept["tiles"].as_u64().unwrap();
    assert!(
        count > 0 && count <= rally_webclient::tiles::MAX_KEEP_TILES as u64,
        "{kept}"
    );
    s.quit();

    // The network gone: no server, so no tile server; the kept map still shows
    // its tiles, route and points.
    drop(server);
    let asked = tile_requests.lock().unwrap().len();
    let s = launch(&driver, data.path(), &["--no-sync"]);
    open_event(&s, "March for housing");
    s.wait_text("#event-map", "First aid");
    s.wait("kept tiles under the map", || {
        (tiles_shown(&s, "#event-map") > 3).then_some(())
    });
    let route_drawn = s.script(
        "return document.querySelectorAll('#event-map path.leaflet-interactive').length;",
        json!([]),
    );
    assert!(route_drawn.as_i64().unwrap() >= 1, "the route is drawn");
    display.screenshot(&artefacts().join("10-march-map-offline.png"));
    assert_eq!(
        tile_requests.lock().unwrap().len(),
        asked,
        "no tile came from the network"
    );
    assert!(
        s.page_text().contains("Stand-in tiles"),
        "the kept tiles' credit shows offline"
    );

    // Addresses with the server gone: the gazetteer answers, marked approximate.
    s.click("#edit-event");
    s.type_into("#place-search", "Lyon");
    s.wait_text("#place-results", "Departement du Rhone, Rhone-Alpes, FR");
    s.find("#place-approximate");
    s.click("button.tab:nth-child(1)");
    // The user asks a geocoder directly, chosen in the settings.
    s.click("button.tab:nth-child(5)");
    s.set_value("#geocoder-mode", "direct");
    s.set_value("#geocoder-kind", "photon");
    s.type_into("#geocoder-url", &geocoder);
    s.click("#map-settings button[type=submit]");
    s.wait_text("#map-settings", "Saved");
    open_event(&s, "March for housing");
    s.click("#edit-event");
    s.type_into("#place-search", "Alexanderplatz");
    s.wait_text("#place-results", "10178, Berlin, Germany");
    assert!(s.find_all("#place-approximate").is_empty());
    s.quit();
}

/// Less on the device from the settings: keeping six months forgets an event
/// of another organiser that ended long ago (not the user's own), the card
/// lists it, and "Fetch again" asks for it (the real sync that brings it back
/// is `tests/p2p.rs`'s).
#[test]
fn the_settings_keep_six_months_and_fetch_a_forgotten_event_again() {
    let (_one, _display, driver) = start();
    let data = tempfile::tempdir().unwrap();
    let other = tempfile::tempdir().unwrap();
    rally(data.path(), &["persona", "new", "Camille"]);
    rally(other.path(), &["persona", "new", "Dominique"]);
    create_event(data.path(), "My old workshop", "2024-05-01T14:00");
    create_event(
        other.path(),
        "Occupation of the town hall",
        "2024-06-01T09:00",
    );
    let bundle = other.path().join("events.rally");
    rally(
        other.path(),
        &["bundle", "export", "--out", bundle.to_str().unwrap()],
    );
    rally(data.path(), &["bundle", "import", bundle.to_str().unwrap()]);
    assert_eq!(
        json(data.path(), &["event", "list"])
            .as_array()
            .map(Vec::len),
        Some(2)
    );

    rally(data.path(), &["group", "create", "Tenants' union"]);
    let group = json(data.path(), &["group", "list"])[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    // A message written a year ago (the clock set back by libfaketime).
    rally_e2e::rally_at(
        "-365d",
        data.path(),
        &["message", "send", &group, "Last year's minutes"],
    );

    let s = launch(&driver, data.path(), &["--no-sync"]);
    show(&s, "settings");
    s.find("#keep-months");
    assert!(s.find_all("#forgotten li").is_empty());
    s.set_value("#keep-months", "6");
    s.wait_text("#forgotten-count", "One older event forgotten");
    assert_eq!(s.find_all("#forgotten li").len(), 1);
    s.click("#forgotten .fetch-again");
    s.wait_text("#retention", "Asked for");
    assert!(s.find_all("#forgotten li").is_empty());

    // The group's chat: the year-old message is gone, and can be asked for.
    s.click("button.tab:nth-child(2)");
    s.click("#group-list button");
    s.wait_text("#older-forgotten", "One older message");
    assert!(!s.page_text().contains("Last year's minutes"));
    s.click("#fetch-older");
    s.wait_text(".older-messages", "Asked for");
    s.quit();

    let info = json(data.path(), &["store", "info"]);
    assert_eq!(info["keep_months"], 6, "{info}");
    let titles: Vec<String> = json(data.path(), &["event", "list"])
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["title"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(titles, ["My old workshop"]);
}

#[test]
fn the_calendar_feed_in_the_settings_lists_the_persona_s_events_and_a_new_address_retires_the_old()
{
    let (_one, _display, driver) = start();
    let srv = tempfile::tempdir().unwrap();
    let server = rally_e2e::Server::start_federating(srv.path(), &["--registrations", "open"]);
    let data = tempfile::tempdir().unwrap();
    rally(data.path(), &["persona", "new", "Camille"]);
    create_event(data.path(), "Assembly at the square", "2055-05-01T14:00");
    let out = rally_e2e::sync_with_server(data.path(), &server.p2p[0], &[]);
    assert!(out.status.success(), "{out:?}");

    let s = launch(&driver, data.path(), &["--no-sync"]);
    show(&s, "settings");
    s.click("#feed-show");
    let address = |s: &Session| {
        s.script(
            "const i = document.querySelector('#feed-ics'); return i ? i.value : '';",
            json!([]),
        )
        .as_str()
        .unwrap_or_default()
        .to_owned()
    };
    let first = s.wait("the feed's address", || {
        Some(address(&s)).filter(|a| !a.is_empty())
    });
    assert!(
        first.starts_with(&format!("{}/feeds/private/", server.http)),
        "{first}"
    );
    let get = |url: &str| match ureq::get(url).call() {
        Ok(r) => (200, r.into_body().read_to_string().unwrap()),
        Err(ureq::Error::StatusCode(code)) => (code, String::new()),
        Err(e) => panic!("{url}: {e}"),
    };
    let (status, body) = get(&first);
    assert_eq!(status, 200);
    assert!(body.contains("SUMMARY:Assembly at the square"), "{body}");

    s.click("#feed-reset");
    s.wait_text("#calendar-feed", "no longer works");
    let second = address(&s);
    assert_ne!(second, first);
    assert_eq!(get(&first).0, 404, "the old address is retired");
    assert_eq!(get(&second).0, 200);
    s.quit();
}

#[test]
fn a_reminder_before_a_joined_event_reaches_the_system_s_notifications() {
    use rally_core::jiff::{SignedDuration, Timestamp, tz::TimeZone};
    let one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let display = Display::start();
    let logs = tempfile::tempdir().unwrap();
    let bus = SessionBus::start(logs.path());
    let driver = Driver::start_with_env(&display, &[("DBUS_SESSION_BUS_ADDRESS", &bus.address)]);
    let data = tempfile::tempdir().unwrap();
    // Joined, starting in an hour and ten seconds: the hour-before reminder is
    // due in ten seconds (the day-before one is long past).
    let starts = (Timestamp::now() + SignedDuration::from_secs(3610))
        .to_zoned_datetime(TimeZone::get("Europe/Paris").unwrap())
        .strftime("%Y-%m-%dT%H:%M:%S")
        .to_string();
    rally(data.path(), &["persona", "new", "Camille"]);
    let id = create_event(data.path(), "Picnic by the river", &starts);
    rally(data.path(), &["event", "join", &id]);
    let s = launch(&driver, data.path(), &["--no-sync"]);
    s.wait_text("#content", "Picnic by the river");
    let start = std::time::Instant::now();
    while !bus.seen().contains("Picnic by the river") {
        assert!(
            start.elapsed() < Duration::from_secs(90),
            "no notification asked for: {}",
            bus.seen()
        );
        std::thread::sleep(Duration::from_millis(500));
    }
    let seen = bus.seen();
    assert!(seen.contains("member=Notify"), "{seen}");
    assert!(
        seen.contains("Begins: Today at") || seen.contains("Begins: Tomorrow at"),
        "{seen}"
    );
    s.quit();
    // Shown once: nothing left due for that hour.
    let left = rally_e2e::json(data.path(), &["reminders", "list"]);
    assert!(left.as_array().unwrap().is_empty(), "{left}");
    drop(one);
}

/// Three personas on one device (made with the CLI, which shares the store):
/// in the app, Cleo reports Ben's comment to the group's moderators; Ana, the
/// admin, finds the report on the group's page, bans Ben from it, and his
/// comment is hidden; the log says who did it; the page passes axe's audit.
#[test]
fn a_comment_reported_in_the_app_is_seen_by_the_admin_who_bans_its_author() {
    let (_one, display, driver) = start();
    let shots = artefacts();
    let data = tempfile::tempdir().unwrap();
    let dir = data.path();
    rally(dir, &["persona", "new", "Ana"]);
    let group = rally_e2e::id_of(&rally_e2e::json(dir, &["group", "create", "Choir"]));
    let token = rally(dir, &["group", "invite", &group]).trim().to_owned();
    let event = rally_e2e::id_of(&rally_e2e::json(
        dir,
        &[
            "event",
            "create",
            "--title",
            "Rehearsal",
            "--starts",
            "2055-03-01T19:00",
            "--tz",
            "Europe/Paris",
            "--group",
            &group,
        ],
    ));
    for name in ["Ben", "Cleo"] {
        rally(dir, &["persona", "new", name]);
        rally(dir, &["group", "join", &token]);
    }
    rally(dir, &["persona", "use", "Ben"]);
    rally(dir, &["event", "comment", &event, "Buy my CDs, cheap"]);
    rally(dir, &["persona", "use", "Cleo"]);

    let s = launch(&driver, dir, &["--no-sync"]);
    open_event(&s, "Rehearsal");
    s.wait_text("#comments", "Buy my CDs, cheap");
    s.click("#comments .report-open");
    s.find("#comments .report-form select");
    s.script(
        "const sel = document.querySelector('#comments .report-form select');
         sel.value = 'harassment'; sel.dispatchEvent(new Event('change', {bubbles: true})); return true;",
        json!([]),
    );
    s.type_into(
        "#comments .report-form textarea",
        "He sends these to everyone",
    );
    display.screenshot(&shots.join("10-report-form.png"));
    s.click("#comments .report-form button[type=submit]");
    s.wait_text("#comments .report", "Sent to the group's moderator.");
    s.quit();

    rally(dir, &["persona", "use", "Ana"]);
    let s = launch(&driver, dir, &["--no-sync"]);
    s.click("button.tab:nth-child(2)");
    s.wait_text("#group-list", "Choir");
    s.click("#group-list li:nth-child(1) button");
    s.wait_text("#reports", "Buy my CDs, cheap");
    s.wait_text("#reports", "He sends these to everyone");
    s.wait_text("#reports", "reported by Cleo");
    s.wait_text("#reports", "Harassment");
    let violations = s.audit(&axe_source());
    assert!(violations.is_empty(), "{violations:#?}");
    s.click("#reports .ban-author");
    s.wait_text("#bans", "Ben");
    s.wait_text("#moderation-log", "Ana banned Ben");
    display.screenshot(&shots.join("11-moderation.png"));
    open_event(&s, "Rehearsal");
    s.wait_text("#comments", "This comment is hidden.");
    s.quit();
    // The CLI reads the same ban.
    let m = rally_e2e::json(dir, &["group", "moderation", &group]);
    assert_eq!(m["bans"][0]["name"], "Ben", "{m}");
    assert_eq!(m["log"][0]["reason"], "harassment");
}

/// This app's pairing code, as its sync screen shows it (under its QR code).
fn pairing_code(s: &Session) -> String {
    s.click("button.tab:nth-child(4)");
    s.wait("the pairing code", || {
        let code = s.script(
            "const c = document.querySelector('#pair-code'); return c ? c.textContent : '';",
            json!([]),
        );
        let code = code.as_str().unwrap_or("").trim().to_owned();
        code.starts_with("rally://pair?a=").then_some(code)
    })
}

#[test]
fn two_apps_paired_by_qr_code_sync_with_mdns_off() {
    let (_one, display, driver) = start();
    // The second app on a display and a driver of its own.
    let display_b = Display::start();
    let driver_b = Driver::start(&display_b);
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    rally(a.path(), &["persona", "new", "Camille"]);
    create_event(a.path(), "Banner painting", "2055-07-01T18:00");
    rally(b.path(), &["persona", "new", "Dominique"]);
    create_event(b.path(), "Bike ride to the march", "2055-07-02T10:00");

    let sa = launch(&driver, a.path(), &["--no-mdns"]);
    let sb = launch(&driver_b, b.path(), &["--no-mdns"]);
    let code = pairing_code(&sa);
    // The QR code is on screen, with the code as its text.
    sa.find("#pairing .qr svg");
    display.screenshot(&artefacts().join("12-pairing-code.png"));

    // Without mDNS and before pairing, neither finds the other.
    sb.click("button.tab:nth-child(4)");
    std::thread::sleep(Duration::from_secs(3));
    assert!(
        sb.page_text().contains("Nobody nearby right now"),
        "the apps met before pairing: mDNS is not off"
    );

    // The second app pastes the first one's code (a phone scans it).
    sb.type_into("#pair-text", &code);
    sb.click("#pair");
    sb.wait_text("#pair-status", "Pairing");
    sb.click("button.tab:nth-child(1)");
    sb.wait_text("#event-list", "Banner painting");
    sa.click("button.tab:nth-child(1)");
    sa.wait_text("#event-list", "Bike ride to the march");
    display_b.screenshot(&artefacts().join("12-paired.png"));

    // The first app goes to the background: its node stops; back on screen,
    // the same key and ports: the paired app reaches it again.
    let foreground = |visible: bool| {
        sa.script(
            "window.__TAURI__.core.invoke('set_foreground', {args: {visible: arguments[0]}}); return true;",
            json!([visible]),
        );
    };
    foreground(false);
    sa.click("button.tab:nth-child(4)");
    sa.wait_text("#content", "Stopped");
    foreground(true);
    sa.wait_text("#content", "Running");
    // Written by another process on the second app's data directory: its
    // node follows the store and sends it on.
    create_event(b.path(), "Soup kitchen", "2055-07-03T12:00");
    sa.click("button.tab:nth-child(1)");
    sa.wait_text("#event-list", "Soup kitchen");
    assert_eq!(pairing_code(&sa), code, "the same code after a pause");
    sa.quit();
    sb.quit();
}

#[test]
fn the_app_shows_the_rules_its_server_told_it_when_it_registered() {
    let (_one, display, driver) = start();
    let srv = tempfile::tempdir().unwrap();
    let server = rally_e2e::Server::start(
        &[],
        srv.path(),
        &["--p2p", "/ip4/127.0.0.1/tcp/0", "--registrations", "open"],
        1,
    );
    let rules = srv.path().join("rules.md");
    std::fs::write(&rules, "1. **Sing** in tune.\n2. No ads.\n").unwrap();
    rally_e2e::server_admin(
        srv.path(),
        &[
            "policy",
            "set",
            rules.to_str().unwrap(),
            "--contact",
            "mods@choir.example",
        ],
    );
    let data = tempfile::tempdir().unwrap();
    rally(data.path(), &["persona", "new", "Ana"]);
    // The app's own node registers with the server chosen in the settings.
    let s = launch(&driver, data.path(), &["--no-mdns"]);
    s.click("button.tab:nth-child(5)");
    s.type_into("#server", &server.p2p[0]);
    s.script(
        "document.querySelector('#server').form.requestSubmit(); return true;",
        json!([]),
    );
    s.wait("the server's rules in the settings", || {
        s.click("button.tab:nth-child(1)");
        s.click("button.tab:nth-child(5)");
        std::thread::sleep(Duration::from_millis(300));
        s.page_text().contains("This server's rules").then_some(())
    });
    s.wait_text(".server-rules", "Sing in tune.");
    s.wait_text(".server-rules", "mods@choir.example");
    let bold = s.script(
        "return document.querySelector('.server-rules .rules strong').textContent;",
        json!([]),
    );
    assert_eq!(bold, json!("Sing"), "the rules' Markdown is rendered");
    display.screenshot(&artefacts().join("13-server-rules.png"));
    s.quit();
}

#[test]
fn a_wipe_from_the_settings_destroys_everything_on_the_device_and_quits() {
    let (_one, display, driver) = start();
    let data = tempfile::tempdir().unwrap();
    let dir = data.path().join("device");
    rally(&dir, &["persona", "new", "Ana"]);
    let group = rally_e2e::id_of(&rally_e2e::json(
        &dir,
        &["group", "create", "Night shelter", "--members-only"],
    ));
    rally(&dir, &["message", "send", &group, "The door code is 4711"]);
    let s = launch(&driver, &dir, &["--no-sync"]);
    s.click("button.tab:nth-child(5)");
    s.click("#wipe");
    s.find("#dialog-yes");
    display.screenshot(&artefacts().join("14-wipe-confirm.png"));
    s.click("#dialog-yes");
    rally_e2e::wait_for("the data directory to go", Duration::from_secs(20), || {
        !dir.exists()
    });
    // The app quit with it; the session went with the app.
    s.quit();
}

#[test]
fn a_passphrase_locks_the_app_a_wrong_one_is_refused_and_the_duress_one_wipes() {
    let (_one, display, driver) = start();
    let data = tempfile::tempdir().unwrap();
    let dir = data.path().join("device");
    rally(&dir, &["persona", "new", "Ana"]);
    rally(
        &dir,
        &[
            "event",
            "create",
            "--title",
            "Occupation of the depot",
            "--starts",
            "2055-05-01T06:00",
            "--tz",
            "Europe/Paris",
        ],
    );
    let s = launch(&driver, &dir, &["--no-sync"]);
    s.click("button.tab:nth-child(5)");
    s.wait_text("#lock-keeping", "encrypted");
    s.type_into("#lock-passphrase", "river stone 42");
    s.type_into("#lock-again", "river stone 42");
    s.set_value("#lock-wipe-after", "5");
    s.set_value("#lock-after-hidden", "0");
    s.type_into("#lock-duress", "1234");
    s.click("#lock-save");
    s.wait_text("#lock-keeping", "sealed by your passphrase");
    display.screenshot(&artefacts().join("15-lock-settings.png"));
    s.quit();
    // Sealed: the CLI needs the passphrase too, and the files show nothing.
    let out = rally_e2e::rally_output(&dir, &["event", "list"]);
    assert!(!out.status.success());
    let mut files = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        files.extend(std::fs::read(entry.unwrap().path()).unwrap_or_default());
    }
    assert!(
        !files.windows(9).any(|w| w == b"Occupatio"),
        "the event's title is readable in the device's files"
    );

    // Relaunched: the lock screen; a wrong passphrase is refused.
    let s = launch(&driver, &dir, &["--no-sync"]);
    s.find("#unlock-form");
    display.screenshot(&artefacts().join("16-lock-screen.png"));
    // The lock screen passes the audit, and fits a phone with big targets.
    let mut problems: Vec<String> = s
        .audit(&axe_source())
        .into_iter()
        .map(|v| v.to_string())
        .collect();
    s.resize(360, 740);
    fits(&s, "lock screen");
    problems.extend(small_targets(&s));
    s.resize(1280, 800);
    assert!(problems.is_empty(), "the lock screen: {problems:#?}");
    s.type_into("#unlock-passphrase", "river stone 41");
    s.click("#unlock");
    s.wait_text("#unlock-form", "wrong passphrase");
    s.type_into("#unlock-passphrase", "river stone 42");
    s.click("#unlock");
    open_event(&s, "Occupation of the depot");
    // Locked again from the settings, while it runs: the passphrase again.
    s.click("button.tab:nth-child(5)");
    s.click("#lock-now");
    s.find("#unlock-form");
    s.type_into("#unlock-passphrase", "river stone 42");
    s.click("#unlock");
    open_event(&s, "Occupation of the depot");
    // Sent to the background and back: the lock says "right away".
    for visible in [false, true] {
        s.script(
            "window.__TAURI__.core.invoke('set_foreground', {args: {visible: arguments[0]}}); return true;",
            json!([visible]),
        );
    }
    s.find("#unlock-form");
    s.type_into("#unlock-passphrase", "river stone 42");
    s.click("#unlock");
    open_event(&s, "Occupation of the depot");
    s.quit();

    // The duress passphrase: an empty Rally, and nothing left of the old one.
    let s = launch(&driver, &dir, &["--no-sync"]);
    s.find("#unlock-form");
    s.type_into("#unlock-passphrase", "1234");
    s.click("#unlock");
    s.wait_text(".onboarding", "Works without internet");
    s.quit();
    let info = rally_e2e::json(&dir, &["store", "info"]);
    assert_eq!(info["personas"], 0, "{info}");
    assert_eq!(info["events"], 0, "{info}");
    assert_eq!(info["encrypted"], true, "{info}");
}
