//! A server's calendar and news feeds, read by independent parsers (Python's
//! `icalendar` and `feedparser`, installed by `cargo xtask ci` into
//! `tests/feeds/.venv`): the instance's, a group's and one event's iCalendar
//! with the right instants on either side of a DST change (resolved from the
//! file's own VTIMEZONE), Atom for the instance and a group; members-only and
//! unlisted events never listed; a hostile title stays text; pages announce
//! their feeds; a conditional request for the same bytes gets 304. Pages
//! carry OpenGraph tags and schema.org JSON-LD and a strict CSP; the sitemap
//! lists only what is published; the admin may replace robots.txt.

use std::path::{Path, PathBuf};

use rally_e2e::{Server, id_of, json, rally};
use serde_json::Value;

fn python() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("feeds/.venv/bin/python")
}

/// Fetches `url` and reads it with `read.py KIND`.
fn read(url: &str, kind: &str, dir: &Path) -> (Value, String) {
    let body = ureq::get(url)
        .call()
        .unwrap_or_else(|e| panic!("{url}: {e}"))
        .into_body()
        .read_to_string()
        .unwrap();
    let file = dir.join(format!("feed.{kind}"));
    std::fs::write(&file, &body).unwrap();
    let out = std::process::Command::new(python())
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("feeds/read.py"))
        .arg(kind)
        .arg(&file)
        .output()
        .expect("the feed tests' Python (cargo xtask ci installs it)");
    assert!(
        out.status.success(),
        "{url} does not parse: {out:?}\n{body}"
    );
    (serde_json::from_slice(&out.stdout).unwrap(), body)
}

/// The id of the event titled `title` in the instance's calendar.
fn cal_id(base: &str, title: &str, dir: &Path) -> String {
    let (cal, _) = read(&format!("{base}/events.ics"), "ics", dir);
    cal["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["summary"] == title)
        .and_then(|e| e["uid"].as_str())
        .and_then(|uid| uid.strip_suffix("@rally"))
        .unwrap()
        .to_owned()
}

fn event(dev: &Path, title: &str, starts: &str, extra: &[&str]) -> String {
    let mut args = vec![
        "event",
        "create",
        "--title",
        title,
        "--starts",
        starts,
        "--tz",
        "Europe/Paris",
    ];
    args.extend_from_slice(extra);
    id_of(&json(dev, &args))
}

#[test]
fn feeds_parse_with_independent_readers_and_list_only_published_events() {
    let srv = tempfile::tempdir().unwrap();
    let server = Server::start_federating(srv.path(), &["--registrations", "open"]);
    let device = tempfile::tempdir().unwrap();
    let dev = device.path();
    rally(dev, &["persona", "new", "Ana"]);
    let group = id_of(&json(dev, &["group", "create", "Repair café"]));
    let before = event(
        dev,
        "Before the change",
        "2055-03-27T18:00",
        &["--group", &group, "--place", "Salle des fêtes"],
    );
    let after = event(
        dev,
        "After the change",
        "2055-03-29T18:00",
        &["--group", &group, "--tag", "bikes"],
    );
    let hostile = "<script>alert(1)</script> & \"quotes\"; END:VEVENT";
    event(dev, hostile, "2055-04-02T18:00", &["--group", &group]);
    event(
        dev,
        "Unlisted supper",
        "2055-04-03T18:00",
        &["--group", &group, "--visibility", "unlisted"],
    );
    let secret = id_of(&json(
        dev,
        &["group", "create", "Quiet collective", "--members-only"],
    ));
    event(
        dev,
        "Secret meeting",
        "2055-04-04T18:00",
        &["--group", &secret, "--visibility", "members-only"],
    );
    // A weekly series across the DST change: one occurrence cancelled, the
    // last two moved to 20:00 in another place.
    let series = event(
        dev,
        "Weekly assembly",
        "2055-03-16T19:00",
        &[
            "--group",
            &group,
            "--ends",
            "2055-03-16T21:00",
            "--repeat",
            "FREQ=WEEKLY;COUNT=6",
            "--place",
            "Salle des fêtes",
        ],
    );
    rally(
        dev,
        &["event", "cancel", &series, "--occurrence", "2055-03-30"],
    );
    rally(
        dev,
        &[
            "event",
            "edit",
            &series,
            "--occurrence",
            "2055-04-13",
            "--following",
            "--starts",
            "2055-04-13T20:00",
            "--place",
            "Town hall",
        ],
    );
    let out = rally_e2e::sync_with_server(dev, &server.p2p[0], &[]);
    assert!(out.status.success(), "{out:?}");
    let base = server.http.clone();
    let tmp = tempfile::tempdir().unwrap();

    // The series as one event's calendar: an independent expander
    // (recurring-ical-events: RRULE, EXDATE, RECURRENCE-ID) finds the same
    // instants as the device.
    let file = tmp.path().join("series.ics");
    let body = ureq::get(&format!("{base}/events/{series}/event.ics"))
        .call()
        .unwrap()
        .into_body()
        .read_to_string()
        .unwrap();
    assert!(body.contains("RRULE:FREQ=WEEKLY;COUNT=6"), "{body}");
    assert!(
        body.contains("EXDATE;TZID=Europe/Paris:20550330T190000"),
        "{body}"
    );
    assert!(
        body.contains("RECURRENCE-ID;TZID=Europe/Paris:20550420T190000"),
        "{body}"
    );
    std::fs::write(&file, &body).unwrap();
    let out = std::process::Command::new(python())
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("feeds/read.py"))
        .args([
            "occurrences",
            file.to_str().unwrap(),
            "2055-01-01",
            "2056-01-01",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}\n{body}");
    let expanded: Value = serde_json::from_slice(&out.stdout).unwrap();
    let theirs: Vec<(String, String)> = expanded
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            (
                o["start"].as_str().unwrap().to_owned(),
                o["location"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let mine = json(
        dev,
        &[
            "event",
            "occurrences",
            &series,
            "--from",
            "2055-01-01",
            "--to",
            "2055-12-31",
        ],
    );
    let utc = |v: &Value| {
        v.as_str()
            .unwrap()
            .parse::<rally_core::jiff::Timestamp>()
            .unwrap()
            .strftime("%Y-%m-%dT%H:%M:%SZ")
            .to_string()
    };
    let mine: Vec<(String, String)> = mine
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["status"] != "cancelled")
        .map(|o| {
            (
                utc(&o["starts"]),
                o["place"]["name"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        theirs,
        [
            (
                "2055-03-16T18:00:00Z".to_owned(),
                "Salle des fêtes".to_owned()
            ),
            (
                "2055-03-23T18:00:00Z".to_owned(),
                "Salle des fêtes".to_owned()
            ),
            (
                "2055-04-06T17:00:00Z".to_owned(),
                "Salle des fêtes".to_owned()
            ),
            ("2055-04-13T18:00:00Z".to_owned(), "Town hall".to_owned()),
            ("2055-04-20T18:00:00Z".to_owned(), "Town hall".to_owned()),
        ]
    );
    assert_eq!(theirs, mine);

    // The instance's calendar: the right instants across the DST change.
    let (cal, raw) = read(&format!("{base}/events.ics"), "ics", tmp.path());
    let events = cal["events"].as_array().unwrap();
    let by_title = |t: &str| events.iter().find(|e| e["summary"] == t).cloned();
    assert_eq!(
        by_title("Before the change").unwrap()["start"],
        "2055-03-27T17:00:00Z"
    );
    assert_eq!(
        by_title("After the change").unwrap()["start"],
        "2055-03-29T16:00:00Z"
    );
    assert_eq!(
        by_title("Before the change").unwrap()["tzid"],
        "Europe/Paris"
    );
    assert_eq!(cal["zones"], serde_json::json!(["Europe/Paris"]));
    assert_eq!(
        by_title("Before the change").unwrap()["url"],
        format!("{base}/events/{before}").as_str()
    );
    // The hostile title is one event's text, whole.
    assert_eq!(by_title(hostile).unwrap()["summary"], hostile);
    // Three events, and the series once (its VEVENT and two changed occurrences).
    assert_eq!(events.len(), 6, "{cal}");
    assert_eq!(
        events
            .iter()
            .filter(|e| e["summary"] == "Weekly assembly")
            .count(),
        3
    );
    assert!(!raw.contains("Secret meeting") && !raw.contains("Unlisted supper"));

    // A group's and one event's calendars.
    let (cal, _) = read(
        &format!("{base}/groups/{group}/events.ics"),
        "ics",
        tmp.path(),
    );
    assert_eq!(cal["name"], "Repair café");
    assert_eq!(cal["events"].as_array().unwrap().len(), 6);
    let (cal, _) = read(
        &format!("{base}/events/{after}/event.ics"),
        "ics",
        tmp.path(),
    );
    assert_eq!(cal["events"][0]["summary"], "After the change");
    assert!(
        ureq::get(&format!("{base}/groups/{secret}/events.ics"))
            .call()
            .is_err()
    );

    // Atom: the instance's and the group's.
    for url in [
        format!("{base}/feed.atom"),
        format!("{base}/groups/{group}/feed.atom"),
    ] {
        let (feed, raw) = read(&url, "atom", tmp.path());
        assert_eq!(feed["version"], "atom10", "{feed}");
        let titles: Vec<&str> = feed["entries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["title"].as_str().unwrap())
            .collect();
        assert!(
            titles.contains(&"Before the change") && titles.contains(&hostile),
            "{titles:?}"
        );
        // The series is one entry.
        assert_eq!(titles.len(), 4, "{titles:?}");
        assert!(!raw.contains("<script>"), "{raw}");
        assert!(!raw.contains("Secret meeting") && !raw.contains("Unlisted supper"));
    }

    // Pages announce their feeds.
    let page = |url: &str| {
        ureq::get(url)
            .header("accept", "text/html")
            .call()
            .unwrap()
            .into_body()
            .read_to_string()
            .unwrap()
    };
    let group_page = page(&format!("{base}/groups/{group}"));
    assert!(group_page.contains(&format!(r#"<link rel="alternate" type="text/calendar" title="iCalendar" href="{base}/groups/{group}/events.ics">"#)), "{group_page}");
    assert!(group_page.contains(r#"type="application/atom+xml""#));
    let event_page = page(&format!("{base}/events/{before}"));
    assert!(
        event_page.contains(&format!(r#"href="{base}/events/{before}/event.ics""#)),
        "{event_page}"
    );
    assert!(
        event_page.contains(&format!(
            r#"href="rally://event/{before}">Open in the Rally app</a>"#
        )),
        "{event_page}"
    );

    // Link previews and search engines: OpenGraph, schema.org Event as JSON-LD,
    // a strict CSP; a hostile title stays text everywhere.
    assert!(
        event_page.contains(r#"<meta property="og:title" content="Before the change">"#),
        "{event_page}"
    );
    let ld = event_page
        .split(r#"<script type="application/ld+json">"#)
        .nth(1)
        .and_then(|rest| rest.split("</script>").next())
        .expect("JSON-LD on the event page");
    let ld: Value = serde_json::from_str(ld).unwrap();
    assert_eq!(ld["@type"], "Event");
    assert_eq!(ld["startDate"], "2055-03-27T18:00:00+01:00");
    assert_eq!(ld["location"]["name"], "Salle des fêtes");
    assert_eq!(ld["url"], format!("{base}/events/{before}").as_str());
    let csp = ureq::get(&format!("{base}/events/{before}"))
        .header("accept", "text/html")
        .call()
        .unwrap()
        .headers()
        .get("content-security-policy")
        .map(|v| v.to_str().unwrap().to_owned())
        .expect("a CSP on the public pages");
    assert!(
        csp.contains("default-src 'none'") && !csp.contains("script-src"),
        "{csp}"
    );
    let hostile_id = cal_id(&base, hostile, tmp.path());
    let hostile_page = page(&format!("{base}/events/{hostile_id}"));
    assert!(!hostile_page.contains("<script>alert"), "{hostile_page}");
    let hostile_ld = hostile_page
        .split(r#"<script type="application/ld+json">"#)
        .nth(1)
        .and_then(|rest| rest.split("</script>").next())
        .unwrap();
    assert_eq!(
        serde_json::from_str::<Value>(hostile_ld).unwrap()["name"],
        hostile
    );

    // robots.txt points at the sitemap, which lists what is published only.
    let robots = page(&format!("{base}/robots.txt"));
    assert!(
        robots.contains(&format!("Sitemap: {base}/sitemap.xml"))
            && robots.contains("Disallow: /admin"),
        "{robots}"
    );
    let sitemap = page(&format!("{base}/sitemap.xml"));
    for id in [&group, &before, &after, &series] {
        assert!(sitemap.contains(id.as_str()), "{sitemap}");
    }
    assert!(!sitemap.contains(secret.as_str()));
    // The home page, the group, four events (the series once).
    assert_eq!(sitemap.matches("<loc>").count(), 1 + 1 + 4, "{sitemap}");

    // The listing: search by words, tag and dates; only what is published.
    let listing = |query: &str| page(&format!("{base}/events{query}"));
    let all = listing("");
    assert!(
        all.contains("Before the change") && all.contains("After the change"),
        "{all}"
    );
    assert!(
        all.contains("&lt;script&gt;alert(1)&lt;/script&gt;") && !all.contains("<script>alert")
    );
    assert!(!all.contains("Secret meeting") && !all.contains("Unlisted supper"));
    assert!(all.contains(r#"type="text/calendar""#));
    // Searched by title, what is not published is not found.
    for title in ["Secret", "Unlisted"] {
        let found = listing(&format!("?q={title}"));
        assert!(
            found.contains("No upcoming events found"),
            "{title}: {found}"
        );
    }
    let words = listing("?q=change");
    assert!(words.contains("Before the change") && words.contains("After the change"));
    assert!(!words.contains("alert(1)"), "{words}");
    let tagged = listing("?tag=bikes");
    assert!(
        tagged.contains("After the change") && !tagged.contains("Before the change"),
        "{tagged}"
    );
    let later = listing("?from=2055-03-28&to=2055-03-30");
    assert!(
        later.contains("After the change")
            && !later.contains("Before the change")
            && !later.contains("alert(1)"),
        "{later}"
    );
    let tag_page = page(&format!("{base}/tags/bikes"));
    assert!(tag_page.contains("After the change") && !tag_page.contains("Before the change"));
    assert!(
        tag_page.contains(&format!(r#"href="{base}/tags/bikes/events.ics""#)),
        "{tag_page}"
    );
    let (cal, _) = read(&format!("{base}/tags/bikes/events.ics"), "ics", tmp.path());
    assert_eq!(cal["events"].as_array().unwrap().len(), 1);
    assert!(page(&format!("{base}/")).contains(r#"href="/events""#));
    // A group's events to embed: the one page others may frame.
    let embed = ureq::get(&format!("{base}/groups/{group}/embed"))
        .call()
        .unwrap();
    let frame = embed
        .headers()
        .get("content-security-policy")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    assert!(frame.contains("frame-ancestors *"), "{frame}");
    let embed = embed.into_body().read_to_string().unwrap();
    assert!(embed.contains("Before the change") && !embed.contains("Unlisted supper"));

    // The same bytes again: 304, with the same tag.
    let first = ureq::get(&format!("{base}/events.ics")).call().unwrap();
    let tag = first
        .headers()
        .get("etag")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    assert!(first.headers().get("cache-control").is_some());
    let again = ureq::get(&format!("{base}/events.ics"))
        .header("if-none-match", &tag)
        .call();
    assert!(
        matches!(again, Err(ureq::Error::StatusCode(304)))
            || again.is_ok_and(|r| r.status() == 304)
    );
}

#[test]
fn the_admin_tightens_robots_txt() {
    let srv = tempfile::tempdir().unwrap();
    let robots = srv.path().join("robots.txt");
    std::fs::write(&robots, "User-agent: *\nDisallow: /\n").unwrap();
    let server = Server::start_federating(srv.path(), &["--robots", robots.to_str().unwrap()]);
    let body = ureq::get(&format!("{}/robots.txt", server.http))
        .call()
        .unwrap()
        .into_body()
        .read_to_string()
        .unwrap();
    assert_eq!(body, "User-agent: *\nDisallow: /\n");
}

fn status(url: &str) -> u16 {
    match ureq::get(url).call() {
        Ok(r) => r.status().as_u16(),
        Err(ureq::Error::StatusCode(code)) => code,
        Err(e) => panic!("{url}: {e}"),
    }
}

fn titles(feed: &Value) -> Vec<String> {
    let mut t: Vec<String> = feed["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["summary"].as_str().unwrap().to_owned())
        .collect();
    t.sort();
    t
}

#[test]
fn a_private_feed_lists_what_the_persona_joined_or_follows_and_refuses_a_wrong_or_reset_token() {
    let srv = tempfile::tempdir().unwrap();
    let server = Server::start_federating(srv.path(), &["--registrations", "open"]);
    let base = &server.http;
    let scratch = tempfile::tempdir().unwrap();

    // Bob publishes two talks; Ana joins one and follows nothing else of his.
    let bob_home = tempfile::tempdir().unwrap();
    let bob = bob_home.path();
    rally(bob, &["persona", "new", "Bob"]);
    let bobs = id_of(&json(bob, &["group", "create", "Bob's circle"]));
    let talk = event(bob, "Bob's talk", "2055-05-02T18:00", &["--group", &bobs]);
    let other = event(bob, "Another talk", "2055-05-03T18:00", &["--group", &bobs]);
    assert!(
        rally_e2e::sync_with_server(bob, &server.p2p[0], &[])
            .status
            .success()
    );

    let ana_home = tempfile::tempdir().unwrap();
    let ana = ana_home.path();
    rally(ana, &["persona", "new", "Ana"]);
    let group = id_of(&json(ana, &["group", "create", "Repair café"]));
    event(
        ana,
        "Ana's picnic",
        "2055-05-01T12:00",
        &["--group", &group],
    );
    event(
        ana,
        "An unlisted meeting",
        "2055-05-04T19:00",
        &["--group", &group, "--visibility", "unlisted"],
    );
    let secret = id_of(&json(
        ana,
        &["group", "create", "Quiet collective", "--members-only"],
    ));
    event(
        ana,
        "A members-only plan",
        "2055-05-05T19:00",
        &["--group", &secret, "--visibility", "members-only"],
    );
    assert!(
        rally_e2e::sync_with_server(ana, &server.p2p[0], &[])
            .status
            .success()
    );
    rally(ana, &["event", "join", &talk]);
    assert!(
        rally_e2e::sync_with_server(ana, &server.p2p[0], &[])
            .status
            .success()
    );
    let _ = other;

    // Before any feed exists, and with made-up tokens: not found.
    let made_up = format!("{base}/feeds/private/{}/events.ics", "A".repeat(43));
    assert_eq!(status(&made_up), 404);
    assert_eq!(status(&format!("{base}/feeds/private/x/events.ics")), 404);

    let first = json(ana, &["feed"]);
    let ics = first["ics"].as_str().unwrap().to_owned();
    assert!(
        ics.starts_with(&format!("{base}/feeds/private/")),
        "{first}"
    );
    assert_eq!(
        json(ana, &["feed"])["ics"],
        first["ics"],
        "the same until reset"
    );
    let (cal, body) = read(&ics, "ics", scratch.path());
    assert_eq!(
        titles(&cal),
        ["An unlisted meeting", "Ana's picnic", "Bob's talk"],
        "what Ana organises or joined, never members-only: {body}"
    );
    // Times come with their zone, resolved from the file's VTIMEZONE.
    let picnic = cal["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["summary"] == "Ana's picnic")
        .unwrap();
    assert_eq!(picnic["start"], "2055-05-01T10:00:00Z");
    let (atom, _) = read(first["atom"].as_str().unwrap(), "atom", scratch.path());
    assert_eq!(atom["entries"].as_array().unwrap().len(), 3, "{atom}");

    // Bob's feed is his own.
    let bobs_feed = json(bob, &["feed"]);
    assert_ne!(bobs_feed["ics"], first["ics"]);
    let (cal, _) = read(bobs_feed["ics"].as_str().unwrap(), "ics", scratch.path());
    assert_eq!(titles(&cal), ["Another talk", "Bob's talk"]);

    // A reset: the old address stops working, the new one works.
    let reset = json(ana, &["feed", "--reset"]);
    assert_ne!(reset["ics"], first["ics"]);
    assert_eq!(status(&ics), 404);
    assert_eq!(status(first["atom"].as_str().unwrap()), 404);
    assert_eq!(status(reset["ics"].as_str().unwrap()), 200);
    let (cal, _) = read(reset["ics"].as_str().unwrap(), "ics", scratch.path());
    assert_eq!(titles(&cal).len(), 3);

    // A persona the server does not know is refused, in words.
    let carol_home = tempfile::tempdir().unwrap();
    let carol = carol_home.path();
    rally(carol, &["persona", "new", "Carol"]);
    let out = rally_e2e::rally_output(carol, &["feed", "--via", base]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("not registered here"), "{err}");
}

/// The first `<time datetime="…">` instant of a page after `marker`.
fn first_time_after(page: &str, marker: &str) -> rally_core::jiff::Timestamp {
    let from = page
        .find(marker)
        .unwrap_or_else(|| panic!("{marker} in {page}"));
    let rest = &page[from..];
    let start = rest.find("<time datetime=\"").unwrap() + "<time datetime=\"".len();
    let end = start + rest[start..].find('"').unwrap();
    rest[start..end].parse().unwrap()
}

#[test]
fn a_series_that_began_before_shows_at_its_next_date_with_its_dates_listed() {
    use rally_core::jiff::{SignedDuration, Timestamp, tz::TimeZone};
    let srv = tempfile::tempdir().unwrap();
    let server = Server::start_federating(srv.path(), &["--registrations", "open"]);
    let device = tempfile::tempdir().unwrap();
    let dev = device.path();
    rally(dev, &["persona", "new", "Ana"]);
    let group = id_of(&json(dev, &["group", "create", "Readers"]));
    // Every day at 10:00 in Paris, from three days ago.
    let now = Timestamp::now();
    let paris = TimeZone::get("Europe/Paris").unwrap();
    let began = (now - SignedDuration::from_hours(72))
        .to_zoned_datetime(paris.clone())
        .date();
    let starts = format!("{began}T10:00");
    let ends = format!("{began}T11:00");
    let series = event(
        dev,
        "Daily reading",
        &starts,
        &["--group", &group, "--ends", &ends, "--repeat", "FREQ=DAILY"],
    );
    let out = rally_e2e::sync_with_server(dev, &server.p2p[0], &[]);
    assert!(out.status.success(), "{out:?}");
    let base = server.http.clone();
    let page = |url: &str| {
        ureq::get(url)
            .header("accept", "text/html")
            .header("accept-language", "en")
            .call()
            .unwrap()
            .into_body()
            .read_to_string()
            .unwrap()
    };
    // Its page: the next date (under way or to come), not the first, and the
    // next eight listed.
    let event_page = page(&format!("{base}/events/{series}"));
    let shown = first_time_after(&event_page, "<h1>");
    assert!(
        shown > now - SignedDuration::from_hours(2)
            && shown <= now + SignedDuration::from_hours(24),
        "{shown} is not the next date after {now}"
    );
    assert!(event_page.contains("Next dates"), "{event_page}");
    // Search engines read the same next date, and the rule as a schedule.
    let ld = event_page
        .split(r#"<script type="application/ld+json">"#)
        .nth(1)
        .and_then(|rest| rest.split("</script>").next())
        .expect("JSON-LD on the event page");
    let ld: serde_json::Value = serde_json::from_str(ld).unwrap();
    let ld_start: Timestamp = ld["startDate"].as_str().unwrap().parse().unwrap();
    assert_eq!(ld_start, shown, "{ld}");
    let schedule = &ld["eventSchedule"];
    assert_eq!(schedule["@type"], "Schedule");
    assert_eq!(schedule["repeatFrequency"], "P1D");
    assert_eq!(schedule["startDate"], began.to_string());
    assert_eq!(schedule["startTime"], "10:00");
    assert_eq!(schedule["endTime"], "11:00");
    assert_eq!(schedule["scheduleTimezone"], "Europe/Paris");
    let dates = event_page.split("<ul class=dates>").nth(1).unwrap();
    let dates = &dates[..dates.find("</ul>").unwrap()];
    assert_eq!(dates.matches("<li>").count(), 8, "{dates}");
    // So does the group's Atom feed's entry.
    let atom = page(&format!("{base}/groups/{group}/feed.atom"));
    let next_day = shown
        .to_zoned_datetime(paris.clone())
        .strftime("%a %-d %b %Y, 10:00 – 11:00")
        .to_string();
    assert!(atom.contains(&next_day), "{next_day} not in {atom}");
    // The listing and the group's page show it at that date too.
    for url in [format!("{base}/events"), format!("{base}/groups/{group}")] {
        let listed = page(&url);
        assert!(listed.contains("Daily reading"), "{listed}");
        let day = shown
            .to_zoned_datetime(paris.clone())
            .strftime("%-d")
            .to_string();
        let item = &listed[listed.find("Daily reading").unwrap()..];
        let item = &item[..item.find("</li>").unwrap()];
        assert!(
            item.contains(&format!(" {day},")) || item.contains(&format!(" {day} ")),
            "{item} (day {day})"
        );
    }
}
