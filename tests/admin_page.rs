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
