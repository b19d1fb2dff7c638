//! Pictures end to end with the real `rally`: a phone photo set as a banner
//! offline comes out clean and upright, reaches another device over libp2p with
//! the next sync, and hostile files change nothing.

use std::io::Cursor;
use std::path::Path;

use rally_e2e::{SyncProcess, id_of, json, rally, rally_output, sync_once_with};
use rally_picture::fixtures::{PHOTOGRAPHER, SERIAL, phone_photo, png_claiming};

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// What the store holds: changes and blobs, counted and summed.
fn footprint(data: &Path) -> (i64, i64, i64) {
    let db = rally_store::at_rest::connect(data).unwrap();
    let changes = db
        .query_row("SELECT count(*) FROM changes", [], |r| r.get(0))
        .unwrap();
    let (blobs, bytes) = db
        .query_row(
            "SELECT count(*), coalesce(sum(length(bytes)), 0) FROM blobs",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    (changes, blobs, bytes)
}

fn export(data: &Path, hash: &str) -> Result<Vec<u8>, String> {
    let out = data.join(format!("{hash}.jpg"));
    let o = rally_output(
        data,
        &["blob", "export", hash, "--out", out.to_str().unwrap()],
    );
    if o.status.success() {
        Ok(std::fs::read(out).unwrap())
    } else {
        Err(String::from_utf8_lossy(&o.stderr).into_owned())
    }
}

fn assert_clean_and_upright(bytes: &[u8], width: u32, height: u32) {
    assert!(
        exif::Reader::new()
            .read_from_container(&mut Cursor::new(bytes))
            .is_err(),
        "EXIF left in the picture"
    );
    for secret in [SERIAL, PHOTOGRAPHER, b"2026:05:01"] {
        assert!(!contains(bytes, secret), "{secret:?} left in the picture");
    }
    let img = image::load_from_memory(bytes).unwrap().into_rgb8();
    assert_eq!(img.dimensions(), (width, height));
    // The photo was taken upright in portrait: red on top.
    let top = img.get_pixel(width / 2, height / 8).0;
    assert!(top[0] > 150 && top[2] < 100, "top {top:?}");
}

#[test]
fn a_banner_set_offline_reaches_another_device_clean() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    rally(a.path(), &["persona", "new", "ana"]);
    rally(b.path(), &["persona", "new", "ben"]);
    let event = id_of(&json(
        a.path(),
        &[
            "event",
            "create",
            "--title",
            "Critical mass",
            "--starts",
            "2055-05-01T18:00",
            "--tz",
            "Europe/Paris",
        ],
    ));
    let photo = a.path().join("IMG_2041.jpg");
    std::fs::write(&photo, phone_photo()).unwrap();
    let set = json(
        a.path(),
        &[
            "event",
            "edit",
            &event,
            "--banner",
            photo.to_str().unwrap(),
            "--banner-alt",
            "Bikes filling the square",
        ],
    );
    let banner = &set["banner"];
    assert_eq!(banner["media_type"], "image/jpeg");
    assert_eq!(banner["alt"], "Bikes filling the square");
    assert_eq!(
        (banner["width"].as_u64(), banner["height"].as_u64()),
        (Some(320), Some(640))
    );
    let hash = banner["hash"].as_str().unwrap().to_owned();
    let card = banner["card"].as_str().unwrap().to_owned();
    let shown = json(a.path(), &["event", "show", &event]);
    assert_eq!(&shown["banner"], banner);
    let page_bytes = export(a.path(), &hash).unwrap();
    assert_clean_and_upright(&page_bytes, 320, 640);
    assert_clean_and_upright(&export(a.path(), &card).unwrap(), 240, 480);
    // Nothing of the original is kept anywhere in the store.
    let db = std::fs::read(a.path().join("rally.db")).unwrap();
    assert!(!contains(&db, SERIAL));

    // The other device knows nothing of it yet.
    let err = export(b.path(), &hash).unwrap_err();
    assert!(err.contains("no picture"), "{err}");

    let serving = SyncProcess::start(
        &[],
        a.path(),
        &["--listen", "/ip4/127.0.0.1/tcp/0", "--no-mdns"],
    );
    let out = rally_output(
        b.path(),
        &[
            "sync",
            "--peer",
            &serving.first_line,
            "--once",
            "--no-mdns",
            "--timeout",
            "60",
        ],
    );
    assert!(out.status.success(), "{out:?}");
    let there = json(b.path(), &["event", "show", &event]);
    assert_eq!(&there["banner"], banner);
    assert_eq!(export(b.path(), &hash).unwrap(), page_bytes);
    assert_clean_and_upright(&export(b.path(), &card).unwrap(), 240, 480);
}

#[test]
fn hostile_files_are_refused_and_change_nothing() {
    let a = tempfile::tempdir().unwrap();
    rally(a.path(), &["persona", "new", "ana"]);
    let event = id_of(&json(
        a.path(),
        &[
            "event",
            "create",
            "--title",
            "Assembly",
            "--starts",
            "2055-05-01T18:00",
            "--tz",
            "Europe/Paris",
        ],
    ));
    let before = footprint(a.path());
    let dir = a.path().join("files");
    std::fs::create_dir(&dir).unwrap();
    let huge = dir.join("huge.jpg");
    // 100 MB (sparse: the refusal must come before reading it).
    std::fs::File::create(&huge)
        .unwrap()
        .set_len(100 * 1024 * 1024)
        .unwrap();
    let photo = phone_photo();
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "bomb.png",
            png_claiming(60_000, 60_000),
            "larger than Rally takes",
        ),
        (
            "cut.jpg",
            photo[..photo.len() / 3].to_vec(),
            "cannot be read",
        ),
        (
            "page.jpg",
            b"<!doctype html><html><body>hello</body></html>".to_vec(),
            "not a picture",
        ),
    ];
    let mut files = vec![(huge, "at most".to_owned())];
    for (name, bytes, why) in cases {
        let f = dir.join(name);
        std::fs::write(&f, bytes).unwrap();
        files.push((f, why.to_owned()));
    }
    for (file, why) in files {
        let out = rally_output(
            a.path(),
            &[
                "event",
                "edit",
                &event,
                "--banner",
                file.to_str().unwrap(),
                "--banner-alt",
                "a picture",
            ],
        );
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{file:?} was taken");
        assert!(err.contains(&why), "{file:?}: {err}");
        assert_eq!(footprint(a.path()), before, "{file:?} changed the store");
    }
    // A picture needs its description.
    let good = dir.join("good.jpg");
    std::fs::write(&good, &photo).unwrap();
    let out = rally_output(
        a.path(),
        &[
            "event",
            "edit",
            &event,
            "--banner",
            good.to_str().unwrap(),
            "--banner-alt",
            " ",
        ],
    );
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("alt text"));
    assert_eq!(footprint(a.path()), before);
    assert!(json(a.path(), &["event", "show", &event])["banner"].is_null());
}

/// A members-only group's picture travels sealed in the group's log: a member
/// who meets the admin only through a server gets it, and the server's files
/// hold neither the picture nor the photo it was made from.
#[test]
fn a_members_only_groups_picture_crosses_the_server_as_ciphertext() {
    let srv = tempfile::tempdir().unwrap();
    let server = rally_e2e::Server::start(
        &[],
        srv.path(),
        &[
            "--p2p",
            "/ip4/127.0.0.1/udp/0/quic-v1",
            "--registrations",
            "open",
        ],
        1,
    );
    let addr = server.p2p[0].clone();
    let sync = |dir: &Path| {
        let out = rally_e2e::sync_with_server(dir, &addr, &[]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (ana, ben) = (a.path(), b.path());
    rally(ana, &["persona", "new", "ana"]);
    rally(ben, &["persona", "new", "ben"]);
    let group = id_of(&json(
        ana,
        &["group", "create", "Quiet kitchen", "--members-only"],
    ));
    let token = json(ana, &["group", "invite", &group, "--single-use"])["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let original = phone_photo();
    let photo = ana.join("soup.jpg");
    std::fs::write(&photo, &original).unwrap();
    let avatar = json(
        ana,
        &[
            "group",
            "edit",
            &group,
            "--avatar",
            photo.to_str().unwrap(),
            "--avatar-alt",
            "A pot of soup",
        ],
    )["avatar"]
        .clone();
    let hash = avatar["hash"].as_str().unwrap().to_owned();
    let card = avatar["card"].as_str().unwrap().to_owned();
    let (page_bytes, card_bytes) = (export(ana, &hash).unwrap(), export(ana, &card).unwrap());
    sync(ana);

    rally(ben, &["group", "join", &token]);
    sync(ben);
    sync(ben);
    let shown = json(ben, &["group", "show", &group]);
    assert_eq!(shown["profile"]["avatar"], avatar, "{shown}");
    assert_eq!(export(ben, &hash).unwrap(), page_bytes);
    assert_eq!(export(ben, &card).unwrap(), card_bytes);

    drop(server);
    let middle = |b: &[u8]| b[b.len() / 2..b.len() / 2 + 64].to_vec();
    for (what, needle) in [
        ("the picture", middle(&page_bytes)),
        ("its card size", middle(&card_bytes)),
        ("the original photo", middle(&original)),
        ("the camera's serial", SERIAL.to_vec()),
        ("the description", b"A pot of soup".to_vec()),
    ] {
        assert!(
            !rally_e2e::dir_contains_bytes(srv.path(), &needle),
            "{what} is on the server's disk in the clear"
        );
    }
}

/// A persona's own picture goes with it: into its membership of a group it
/// joins by invitation (made when the group arrives) and its answer to an
/// event, and from there to the other members, who fetch the picture itself.
#[test]
fn a_personas_picture_goes_with_its_membership_and_its_answers() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (ana, ben) = (a.path(), b.path());
    rally(ana, &["persona", "new", "ana"]);
    let ben_id = id_of(&json(ben, &["persona", "new", "ben"]));
    let group = id_of(&json(ana, &["group", "create", "Bike kitchen"]));
    let event = id_of(&json(
        ana,
        &[
            "event",
            "create",
            "--group",
            &group,
            "--title",
            "Saturday workshop",
            "--starts",
            "2055-05-01T10:00",
            "--tz",
            "Europe/Paris",
        ],
    ));
    let token = json(ana, &["group", "invite", &group])["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let photo = ben.join("me.jpg");
    std::fs::write(&photo, phone_photo()).unwrap();
    let avatar = json(
        ben,
        &[
            "persona",
            "edit",
            "ben",
            "--avatar",
            photo.to_str().unwrap(),
            "--avatar-alt",
            "Ben in a helmet",
        ],
    )["avatar"]
        .clone();
    let hash = avatar["hash"].as_str().unwrap().to_owned();
    // Before any document names it, the picture is kept for the persona.
    let mine = export(ben, &hash).unwrap();
    rally(ben, &["group", "join", &token]);

    let serving = SyncProcess::start(&[], ana, &["--listen", "/ip4/127.0.0.1/tcp/0", "--no-mdns"]);
    let sync = || sync_once_with(ben, &serving.first_line);
    sync();
    rally(ben, &["event", "join", &event]);
    sync();
    sync();
    let members = json(ana, &["group", "show", &group])["members"].clone();
    let ben_member = members
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["persona"] == ben_id.as_str())
        .unwrap_or_else(|| panic!("ben is not a member: {members}"))
        .clone();
    assert_eq!(ben_member["avatar"], avatar, "{ben_member}");
    let participants = json(ana, &["event", "show", &event])["participants"].clone();
    assert_eq!(participants[0]["avatar"], avatar, "{participants}");
    assert_eq!(export(ana, &hash).unwrap(), mine);

    // Removing it takes it out of every entry.
    json(ben, &["persona", "edit", "ben", "--no-avatar"]);
    sync();
    let shown = json(ana, &["event", "show", &event]);
    assert!(shown["participants"][0]["avatar"].is_null(), "{shown}");
}
