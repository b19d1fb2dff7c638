//! The server's admin page in a real, headless Chromium (Debian's `chromium` and
//! `chromedriver`): signing in with the token `rally-server admin token` prints,
//! following another instance (the Fedify peer) and seeing its answer, accepting
//! the peer's follow of this server, blocking a domain, signing out — and a wrong
//! token turned away.

use std::time::Duration;

use rally_e2e::webdriver::{Driver, Session};
use rally_e2e::{FediPeer, Server, server_admin, wait_for};
use serde_json::json;

const WAIT: Duration = Duration::from_secs(30);

fn artefact(name: &str) -> std::path::PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"));
    target.join("artefacts/admin").join(name)
}

#[test]
fn the_admin_page_follows_and_accepts_instances_in_chromium() {
    let srv = tempfile::tempdir().unwrap();
    let server = Server::start_federating(srv.path(), &["--registrations", "open"]);
    let relay = format!("{}/relay", server.http);
    let peer = FediPeer::start("rfc9421");
    let peer_host = peer.origin.trim_start_matches("http://").to_owned();
    let token = server_admin(srv.path(), &["token"]).trim().to_owned();
    assert_eq!(token.len(), 48, "{token}");

    let profile = tempfile::tempdir().unwrap();
    let driver = Driver::chromium();
    let web = Session::chromium(&driver, profile.path());
    let admin = format!("{}/admin", server.http);

    web.open(&admin);
    web.type_into("#token", "not-the-token");
    web.click("#sign-in");
    web.wait_text("[role=alert]", "not this server's admin token");

    web.type_into("#token", &token);
    web.click("#sign-in");
    web.wait_text("h2", "Registrations");
    web.wait_text("#no-instances", "No instances yet");

    web.type_into("#follow-target", &peer_host);
    web.click("#follow");
    web.wait_text("#notice", "Asked to follow");
    let row = format!("tr[data-actor=\"{}\"]", peer.instance);
    web.wait_text(&format!("{row} .we-follow"), "pending");
    peer.accept_instance_follower(&relay, WAIT);
    web.wait("the page to show the peer's answer", || {
        web.open(&admin);
        web.page_text().contains("accepted").then_some(())
    });
    web.wait_text(&format!("{row} .we-follow"), "accepted");

    peer.call(
        "/control/follow",
        json!({"as": "instance", "target": relay}),
    );
    web.wait("the peer's follow to show", || {
        web.open(&admin);
        (!web
            .find_all(&format!("{row} button[data-action=accept]"))
            .is_empty())
        .then_some(())
    });
    web.wait_text(&format!("{row} .they-follow"), "pending");
    web.screenshot_to(&artefact("instances-pending.png"));
    web.click(&format!("{row} button[data-action=accept]"));
    web.wait_text("#notice", "now follows this server");
    web.wait_text(&format!("{row} .they-follow"), "accepted");
    wait_for("the peer to be accepted", WAIT, || {
        peer.state_in("/following", "target", &relay).as_deref() == Some("accepted")
    });

    web.type_into("#block-domain", "https://Spam.Example/some/page");
    web.click("#block");
    web.wait_text("#notice", "spam.example is blocked");
    web.wait_text("#blocked", "spam.example");
    let blocked = server_admin(srv.path(), &["instances", "blocked"]);
    assert_eq!(blocked.trim(), "spam.example");
    web.screenshot_to(&artefact("admin.png"));

    web.click("#sign-out");
    web.find("#token");
    web.open(&admin);
    web.find("#token");
    assert!(!web.page_text().contains("Registrations"));
    web.quit();
}

fn axe() -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("a11y/node_modules/axe-core/axe.min.js");
    std::fs::read_to_string(&path).expect("axe-core (cargo xtask ci installs it in tests/a11y)")
}

/// A Fedify peer's `Flag` reaches the admin page's queue; the admin, with the
/// keyboard alone, notes and hides what it names (the peer gets the event's
/// `Delete`), forwards a second report to where it belongs (the peer gets a
/// signed `Flag` from this instance), and suspends the event's organiser; the
/// log shows each action, and the page passes axe's audit.
#[test]
fn reports_are_handled_on_the_admin_page_with_the_keyboard_alone() {
    let srv = tempfile::tempdir().unwrap();
    let server = Server::start_federating(srv.path(), &["--registrations", "open"]);
    let peer = FediPeer::start("cavage");
    let f = rally_e2e::FollowedEvent::start(&server, &peer);
    let (dev, ana, actor) = (f.device.path(), &f.persona, &f.actor);
    let event_url = f.event_url.clone();
    let flag = |n: u32, objects: serde_json::Value, text: &str| {
        let activity = json!({"@context": "https://www.w3.org/ns/activitystreams",
            "id": format!("{}/flags/{n}", peer.origin), "type": "Flag",
            "actor": peer.person, "object": objects, "content": text});
        let r = peer.call(
            "/control/raw",
            json!({"as": "alice", "inbox": format!("{}/inbox", server.http), "activity": activity}),
        );
        assert_eq!(r["status"], 202, "{r}");
    };
    flag(1, json!([event_url]), "A scam: asks for money up front");

    let token = server_admin(srv.path(), &["token"]).trim().to_owned();
    let profile = tempfile::tempdir().unwrap();
    let driver = Driver::chromium();
    let web = Session::chromium(&driver, profile.path());
    web.open(&format!("{}/admin", server.http));
    web.type_into("#token", &token);
    web.keys("\u{E007}");
    web.wait_text("#reports-heading", "Reports");
    let first = "article.report";
    web.wait_text(first, "A scam: asks for money up front");
    let id = web.script(
        "return document.querySelector('article.report').dataset.report;",
        json!([]),
    );
    let id = id.as_str().unwrap().to_owned();
    web.tab_to(&format!("#note-{id}"), 80);
    web.keys("Fake event, the money goes nowhere");
    web.tab_to(
        &format!("article[data-report='{id}'] button[data-action=hide]"),
        3,
    );
    web.keys("\u{E007}");
    web.wait_text("#notice", "hidden");
    web.wait("the event's Delete at the peer", || {
        peer.received("Delete")
            .iter()
            .any(|d| d["body"]["object"]["id"] == event_url.as_str())
            .then_some(())
    });
    assert!(
        ureq::get(&event_url)
            .header("accept", "text/html")
            .call()
            .is_err()
    );

    // A report naming the peer's group too: forwarded to the peer's server.
    flag(
        2,
        json!([actor, peer.group]),
        "Their group sends spam to ours",
    );
    web.open(&format!("{}/admin", server.http));
    web.wait_text("article.report", "Their group sends spam to ours");
    web.tab_to("article.report button[data-action=forward]", 120);
    web.keys("\u{E007}");
    web.wait_text("#notice", "forwarded");
    let forwarded = web.wait("the forwarded Flag at the peer", || {
        peer.received("Flag")
            .into_iter()
            .find(|f| !f["status"].is_null())
    });
    assert_eq!(
        forwarded["body"]["actor"],
        format!("{}/relay", server.http).as_str()
    );
    assert_eq!(forwarded["body"]["object"], json!([peer.group]));

    // Suspending Ana from the form.
    web.tab_to("#suspend-persona", 120);
    web.keys(ana);
    web.tab_to("#suspend-note", 2);
    web.keys("repeated scams");
    web.keys("\u{E007}");
    web.wait_text("#notice", "is suspended");
    web.wait_text("#suspended", ana);
    web.wait_text("#moderation-log", "suspend");
    web.wait_text("#moderation-log", "forward");
    web.wait_text("#moderation-log", "hide");
    web.wait_text("#no-reports", "No open reports");
    web.screenshot_to(&artefact("moderation.png"));
    let violations = web.audit(&axe());
    assert!(violations.is_empty(), "{violations:#?}");
    web.quit();
    let refused = rally_e2e::sync_with_server(dev, &server.p2p[0], &[]);
    let said = String::from_utf8_lossy(&refused.stderr).to_string()
        + &String::from_utf8_lossy(&refused.stdout);
    assert!(said.contains("suspended"), "{said}");
}
