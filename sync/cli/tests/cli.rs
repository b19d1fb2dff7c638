//! The `rally` binary as scripts and people use it: real processes, real data
//! directories, JSON read back from stdout.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

struct Rally {
    dir: tempfile::TempDir,
}

impl Rally {
    fn new() -> Self {
        Rally {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn data(&self) -> &Path {
        self.dir.path()
    }

    fn raw(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_rally"))
            .arg("--data")
            .arg(self.data())
            .args(args)
            .env("TZ", "Europe/Paris")
            .output()
            .unwrap()
    }

    /// Runs a command that must succeed; returns stdout.
    fn ok(&self, args: &[&str]) -> String {
        let out = self.raw(args);
        assert!(
            out.status.success(),
            "rally {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    fn json(&self, args: &[&str]) -> Value {
        let mut all = vec!["--json"];
        all.extend_from_slice(args);
        serde_json::from_str(&self.ok(&all)).unwrap()
    }

    /// Runs a command that must fail; returns stderr.
    fn fails(&self, args: &[&str]) -> String {
        let out = self.raw(args);
        assert!(!out.status.success(), "rally {args:?} should have failed");
        assert!(out.stdout.is_empty(), "a failing command printed to stdout");
        let err = String::from_utf8(out.stderr).unwrap();
        assert!(err.starts_with("error: "), "unclear error: {err}");
        err
    }

    /// Everything the store holds, as a script can see it.
    fn snapshot(&self) -> (Vec<u8>, Value, Value) {
        let file = self.data().join("snapshot.bundle");
        self.ok(&["bundle", "export", "--out", file.to_str().unwrap()]);
        let bytes = std::fs::read(&file).unwrap();
        std::fs::remove_file(&file).unwrap();
        (
            bytes,
            self.json(&["event", "list"]),
            self.json(&["group", "list"]),
        )
    }

    fn id(&self, args: &[&str]) -> String {
        self.json(args)["id"].as_str().unwrap().to_owned()
    }
}

#[test]
fn an_organiser_and_a_member_go_through_the_whole_flow() {
    let r = Rally::new();
    r.ok(&["persona", "new", "alice"]);
    r.ok(&["persona", "new", "bob"]);
    let personas = r.json(&["persona", "list"]);
    assert_eq!(personas.as_array().unwrap().len(), 2);
    assert_ne!(personas[0]["id"], personas[1]["id"]);
    // The last one created is the current one.
    assert_eq!(personas[1]["current"], true);

    let group = r.id(&[
        "--as",
        "alice",
        "group",
        "create",
        "Tenants' union",
        "--summary",
        "Rent strike",
    ]);
    let event = r.id(&[
        "--as",
        "alice",
        "event",
        "create",
        "--title",
        "General assembly",
        "--starts",
        "2036-12-05T14:00",
        "--tz",
        "Europe/Paris",
        "--ends",
        "2036-12-05T17:00",
        "--place",
        "Salle des fêtes",
        "--address",
        "1 rue de la Paix, Paris",
        "--lat",
        "48.8698",
        "--lon",
        "2.3311",
        "--online",
        "https://meet.example/ga",
        "--group",
        &group,
        "--capacity",
        "2",
        "--join-mode",
        "free",
        "--visibility",
        "public",
        "--tag",
        "housing",
        "--description",
        "Agenda:\n\n1. Rent\n2. Repairs",
    ]);
    let shown = r.json(&["event", "show", &event[..10]]);
    assert_eq!(shown["details"]["title"], "General assembly");
    assert_eq!(shown["details"]["time_zone"], "Europe/Paris");
    assert_eq!(shown["starts_utc"], "2036-12-05T13:00:00Z");
    assert_eq!(
        shown["details"]["place"]["address"],
        "1 rue de la Paix, Paris"
    );
    assert_eq!(shown["details"]["tags"][0], "housing");
    assert_eq!(shown["group"], group.as_str());

    // Bob joins the group with a token, then the event, and comments.
    let token = r
        .ok(&["--as", "alice", "group", "invite", &group])
        .trim()
        .to_owned();
    assert!(token.starts_with("rally-invite:"));
    assert_eq!(
        r.json(&["--as", "bob", "group", "join", &token])["joined"],
        true
    );
    assert_eq!(
        r.json(&["--as", "bob", "event", "join", &event])["status"],
        "going"
    );
    let c1 = r.id(&[
        "--as",
        "bob",
        "event",
        "comment",
        &event,
        "Can we talk about the heating?",
    ]);
    let c2 = r.id(&[
        "--as",
        "alice",
        "event",
        "comment",
        &event,
        "Yes, point 2",
        "--reply-to",
        &c1,
    ]);
    r.ok(&[
        "--as",
        "bob",
        "event",
        "comment-edit",
        &event,
        &c1,
        "Can we talk about the boiler?",
    ]);
    r.fails(&[
        "--as",
        "alice",
        "event",
        "comment-edit",
        &event,
        &c1,
        "rewritten by alice",
    ]);
    r.fails(&[
        "--as",
        "bob",
        "event",
        "comment",
        &event,
        "too deep",
        "--reply-to",
        &c2,
    ]);
    r.ok(&["--as", "alice", "event", "comment-delete", &event, &c2]);
    let shown = r.json(&["event", "show", &event]);
    let comments = shown["comments"].as_array().unwrap();
    assert_eq!(comments.len(), 2);
    let c1v = comments.iter().find(|c| c["id"] == c1.as_str()).unwrap();
    assert_eq!(c1v["body"], "Can we talk about the boiler?");
    assert_eq!(
        comments.iter().find(|c| c["id"] == c2.as_str()).unwrap()["deleted"],
        true
    );
    assert_eq!(shown["going"], 1);

    // Lists: upcoming, by group, by search, mine, by area.
    let titles = |args: &[&str]| -> Vec<String> {
        r.json(args)
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["title"].as_str().unwrap().to_owned())
            .collect()
    };
    r.ok(&[
        "--as",
        "bob",
        "event",
        "create",
        "--title",
        "Old picnic",
        "--starts",
        "2020-06-01T12:00",
        "--tz",
        "Europe/Paris",
    ]);
    assert_eq!(
        titles(&["event", "list", "--upcoming"]),
        ["General assembly"]
    );
    assert_eq!(
        titles(&["event", "list"]),
        ["Old picnic", "General assembly"]
    );
    assert_eq!(
        titles(&["event", "list", "--group", &group]),
        ["General assembly"]
    );
    assert_eq!(
        titles(&["event", "list", "--search", "fetes"]),
        ["General assembly"]
    );
    assert_eq!(
        titles(&["event", "list", "--search", "picnic"]),
        ["Old picnic"]
    );
    assert_eq!(
        titles(&["event", "list", "--mine", "--upcoming"]),
        ["General assembly"]
    );
    assert_eq!(
        titles(&["event", "list", "--bbox", "48.8,2.3,48.9,2.4"]),
        ["General assembly"]
    );
    assert!(titles(&["event", "list", "--bbox", "-10,-10,-5,-5"]).is_empty());

    // Edit, leave, cancel.
    r.ok(&[
        "--as",
        "alice",
        "event",
        "edit",
        &event,
        "--title",
        "General assembly (moved)",
        "--place",
        "",
    ]);
    let shown = r.json(&["event", "show", &event]);
    assert_eq!(shown["details"]["title"], "General assembly (moved)");
    assert_eq!(shown["details"]["place"]["name"], Value::Null);
    assert_eq!(
        shown["details"]["place"]["address"],
        "1 rue de la Paix, Paris"
    );
    r.ok(&["--as", "bob", "event", "leave", &event]);
    r.ok(&["--as", "alice", "event", "cancel", &event]);
    let shown = r.json(&["event", "show", &event]);
    assert_eq!(shown["details"]["status"], "cancelled");
    assert_eq!(shown["going"], 0);

    // Group admin: roles, links, removal.
    r.fails(&["--as", "bob", "group", "role", &group, "bob", "admin"]);
    r.ok(&["--as", "alice", "group", "role", &group, "bob", "moderator"]);
    r.ok(&[
        "--as",
        "bob",
        "group",
        "link",
        &group,
        "--title",
        "Pad",
        "--url",
        "https://pad.example/union",
    ]);
    let g = r.json(&["group", "show", &group]);
    assert_eq!(g["links"][0]["url"], "https://pad.example/union");
    assert_eq!(g["members"].as_array().unwrap().len(), 2);
    r.ok(&["--as", "alice", "group", "remove", &group, "bob"]);
    assert_eq!(
        r.json(&["group", "show", &group])["members"]
            .as_array()
            .unwrap()
            .len(),
        1
    );

    // Human output works too.
    let text = r.ok(&["event", "show", &event]);
    assert!(
        text.contains("General assembly (moved)  [cancelled]"),
        "{text}"
    );
}

#[test]
fn approval_and_invite_only_events() {
    let r = Rally::new();
    r.ok(&["persona", "new", "org"]);
    r.ok(&["persona", "new", "guest"]);
    let e = r.id(&[
        "--as",
        "org",
        "event",
        "create",
        "--title",
        "Workshop",
        "--starts",
        "2027-01-10T10:00",
        "--tz",
        "UTC",
        "--join-mode",
        "approval",
    ]);
    assert_eq!(
        r.json(&["--as", "guest", "event", "join", &e])["status"],
        "pending"
    );
    r.fails(&["--as", "guest", "event", "approve", &e, "guest"]);
    r.ok(&["--as", "org", "event", "approve", &e, "guest"]);
    assert_eq!(
        r.json(&["event", "show", &e])["participants"][0]["status"],
        "going"
    );

    let private = r.id(&[
        "--as",
        "org",
        "event",
        "create",
        "--title",
        "Invite only",
        "--starts",
        "2027-01-11T10:00",
        "--tz",
        "UTC",
        "--join-mode",
        "invite",
    ]);
    let err = r.fails(&["--as", "guest", "event", "join", &private]);
    assert!(err.contains("invitation"), "{err}");
    r.ok(&["--as", "org", "event", "invite", &private, "guest"]);
    assert_eq!(
        r.json(&["--as", "guest", "event", "join", &private])["status"],
        "going"
    );
}

#[test]
fn bad_input_is_refused_clearly_and_changes_nothing() {
    let r = Rally::new();
    r.ok(&["persona", "new", "alice"]);
    r.ok(&["persona", "new", "bob"]);
    let e = r.id(&[
        "--as",
        "alice",
        "event",
        "create",
        "--title",
        "Picnic",
        "--starts",
        "2036-12-05T12:00",
        "--tz",
        "Europe/Paris",
    ]);
    let before = r.snapshot();
    let cases: &[(&[&str], &str)] = &[
        (
            &[
                "event",
                "create",
                "--title",
                "",
                "--starts",
                "2036-12-05T14:00",
                "--tz",
                "UTC",
            ],
            "title is empty",
        ),
        (
            &[
                "event",
                "create",
                "--title",
                "   ",
                "--starts",
                "2036-12-05T14:00",
                "--tz",
                "UTC",
            ],
            "title is empty",
        ),
        (
            &[
                "event",
                "create",
                "--title",
                "X",
                "--starts",
                "2036-12-05T14:00",
                "--tz",
                "Europe/Atlantis",
            ],
            "unknown time zone",
        ),
        (
            &[
                "event",
                "create",
                "--title",
                "X",
                "--starts",
                "2036-12-05T14:00",
                "--ends",
                "2036-12-05T13:59",
                "--tz",
                "UTC",
            ],
            "ends",
        ),
        (
            &[
                "event",
                "create",
                "--title",
                "X",
                "--starts",
                "next tuesday",
                "--tz",
                "UTC",
            ],
            "not a date",
        ),
        (
            &[
                "event",
                "create",
                "--title",
                "X",
                "--starts",
                "2036-12-05T14:00",
                "--tz",
                "UTC",
                "--lat",
                "123",
                "--lon",
                "2",
            ],
            "latitude",
        ),
        (
            &[
                "event",
                "create",
                "--title",
                "X",
                "--starts",
                "2036-12-05T14:00",
                "--tz",
                "UTC",
                "--online",
                "ftp://x",
            ],
            "http",
        ),
        (
            &[
                "event",
                "create",
                "--title",
                "X",
                "--starts",
                "2036-12-05T14:00",
                "--tz",
                "UTC",
                "--join-mode",
                "whenever",
            ],
            "join",
        ),
        (
            &[
                "event",
                "create",
                "--title",
                "X",
                "--starts",
                "2036-12-05T14:00",
                "--tz",
                "UTC",
                "--capacity",
                "0",
            ],
            "capacity",
        ),
        (&["event", "edit", &e, "--ends", "2036-12-05T11:00"], "ends"),
        (
            &["event", "edit", &e, "--tz", "Nowhere/Special"],
            "unknown time zone",
        ),
        (&["event", "show", "0123456789abcdef"], "no event"),
        (&["event", "show", "not-hex"], "no event"),
        (&["event", "join", "ffffffffffff"], "no event"),
        (&["group", "show", &e], "no group"),
        (&["event", "comment", &e, ""], "empty"),
        (&["group", "join", "rally-invite:AAAA"], "damaged"),
        (&["group", "join", "hello"], "not a rally invitation"),
        (&["--as", "nobody", "event", "join", &e], "no persona"),
        (&["persona", "new", "alice"], "already exists"),
        (&["persona", "new", " "], "empty"),
    ];
    for (args, expected) in cases {
        let err = r.fails(args);
        assert!(
            err.to_lowercase().contains(expected),
            "rally {args:?}: expected {expected:?} in {err:?}"
        );
    }
    // Not allowed: bob is not an organiser.
    let err = r.fails(&[
        "--as",
        "bob",
        "event",
        "edit",
        &e,
        "--title",
        "Bob's picnic",
    ]);
    assert!(err.contains("only organisers"), "{err}");
    assert_eq!(r.snapshot(), before, "a refused command changed the store");

    // A bundle with a tampered change is refused as a whole change, and nothing else moves.
    let file = r.data().join("mine.bundle");
    r.ok(&["bundle", "export", "--out", file.to_str().unwrap()]);
    let mut bytes = std::fs::read(&file).unwrap();
    let n = bytes.len();
    bytes[n - 3] ^= 0x55;
    let other = Rally::new();
    other.ok(&["persona", "new", "carol"]);
    std::fs::write(&file, &bytes).unwrap();
    let report = other.json(&["bundle", "import", file.to_str().unwrap()]);
    assert_eq!(report["accepted"], 0);
    assert_eq!(report["rejected"], 1);
    assert!(
        other
            .json(&["event", "list"])
            .as_array()
            .unwrap()
            .is_empty()
    );
    std::fs::write(&file, &bytes[..n / 2]).unwrap();
    let err = other.fails(&["bundle", "import", file.to_str().unwrap()]);
    assert!(err.contains("truncated"), "{err}");
}

#[test]
fn a_corrupted_data_dir_is_a_clear_error_and_is_left_alone() {
    let r = Rally::new();
    r.ok(&["persona", "new", "alice"]);
    let db: PathBuf = r.data().join("rally.db");
    // Drop the WAL so the main file is all there is, then damage it.
    drop(r.raw(&["store", "info"]));
    let garbage = b"this is not a database, it is a shopping list".repeat(200);
    std::fs::write(&db, &garbage).unwrap();
    let _ = std::fs::remove_file(r.data().join("rally.db-wal"));
    let _ = std::fs::remove_file(r.data().join("rally.db-shm"));
    for args in [
        &["persona", "list"][..],
        &["event", "list"],
        &["persona", "new", "bob"],
    ] {
        let err = r.fails(args);
        assert!(err.contains("not a Rally data file"), "{err}");
    }
    assert_eq!(std::fs::read(&db).unwrap(), garbage);
}

#[test]
fn documents_move_between_devices_by_bundle() {
    let a = Rally::new();
    let b = Rally::new();
    a.ok(&["persona", "new", "alice"]);
    b.ok(&["persona", "new", "bob"]);
    let group = a.id(&["group", "create", "Choir"]);
    let token = a.ok(&["group", "invite", &group]).trim().to_owned();
    // Bob joins before the group is on his device: the join waits.
    assert_eq!(b.json(&["group", "join", &token])["pending"], true);
    let event = a.id(&[
        "event",
        "create",
        "--title",
        "Rehearsal",
        "--starts",
        "2027-02-01T19:00",
        "--tz",
        "Europe/Paris",
        "--group",
        &group,
    ]);
    let file = a.data().join("out.bundle");
    a.ok(&["bundle", "export", "--out", file.to_str().unwrap()]);
    let report = b.json(&["bundle", "import", file.to_str().unwrap()]);
    assert_eq!(report["rejected"], 0);
    assert_eq!(report["joined"].as_array().unwrap().len(), 1);
    assert_eq!(
        b.json(&["event", "list", "--group", &group])[0]["id"],
        event.as_str()
    );
    b.ok(&["event", "join", &event]);
    let back = b.data().join("back.bundle");
    b.ok(&["bundle", "export", "--out", back.to_str().unwrap()]);
    a.ok(&["bundle", "import", back.to_str().unwrap()]);
    let g = a.json(&["group", "show", &group]);
    assert_eq!(g["members"].as_array().unwrap().len(), 2);
    assert_eq!(a.json(&["event", "show", &event])["going"], 1);
    // Both devices now hold the same documents.
    assert_eq!(a.snapshot().1, b.snapshot().1);
}

#[test]
fn a_weekly_series_lists_its_occurrences_across_dst_with_exceptions() {
    let r = Rally::new();
    r.ok(&["persona", "new", "alice"]);
    let id = r.id(&[
        "event",
        "create",
        "--title",
        "Assembly",
        "--starts",
        "2036-03-18T19:00",
        "--ends",
        "2036-03-18T21:00",
        "--tz",
        "Europe/Paris",
        "--repeat",
        "FREQ=WEEKLY;BYDAY=TU",
        "--until",
        "2036-04-29",
    ]);
    let shown = r.json(&["event", "show", &id]);
    assert_eq!(
        shown["details"]["repeat"],
        "FREQ=WEEKLY;UNTIL=20360429T215959Z;BYDAY=TU"
    );
    let occurrences = |r: &Rally| {
        r.json(&[
            "event",
            "occurrences",
            &id,
            "--from",
            "2036-03-01",
            "--to",
            "2036-12-31",
        ])
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            (
                o["starts"].as_str().unwrap().to_owned(),
                o["status"].as_str().unwrap().to_owned(),
            )
        })
        .collect::<Vec<_>>()
    };
    let row = |s: &str, st: &str| (s.to_owned(), st.to_owned());
    // Paris moves to summer time on Sunday 30 March 2036: 19:00 stays 19:00.
    assert_eq!(
        occurrences(&r),
        [
            row("2036-03-18T19:00:00+01:00", "confirmed"),
            row("2036-03-25T19:00:00+01:00", "confirmed"),
            row("2036-04-01T19:00:00+02:00", "confirmed"),
            row("2036-04-08T19:00:00+02:00", "confirmed"),
            row("2036-04-15T19:00:00+02:00", "confirmed"),
            row("2036-04-22T19:00:00+02:00", "confirmed"),
            row("2036-04-29T19:00:00+02:00", "confirmed"),
        ]
    );

    // Cancel one; from 15 April on, at 20:00 in the town hall.
    let cancelled = r.json(&["event", "cancel", &id, "--occurrence", "2036-04-08"]);
    assert_eq!(cancelled["occurrence"], "2036-04-08T19:00:00");
    r.ok(&[
        "event",
        "edit",
        &id,
        "--occurrence",
        "2036-04-15",
        "--following",
        "--starts",
        "2036-04-15T20:00",
        "--place",
        "Town hall",
    ]);
    assert_eq!(
        occurrences(&r)[3..],
        [
            row("2036-04-08T19:00:00+02:00", "cancelled"),
            row("2036-04-15T20:00:00+02:00", "confirmed"),
            row("2036-04-22T20:00:00+02:00", "confirmed"),
            row("2036-04-29T20:00:00+02:00", "confirmed"),
        ]
    );
    let all = r.json(&[
        "event",
        "occurrences",
        &id,
        "--from",
        "2036-04-22",
        "--to",
        "2036-04-22",
    ]);
    assert_eq!(all.as_array().unwrap().len(), 1);
    assert_eq!(all[0]["place"]["name"], "Town hall");
    assert_eq!(all[0]["ends"], "2036-04-22T22:00:00+02:00");
    assert_eq!(all[0]["changed"], true);

    // The upcoming list shows occurrences, each naming its series.
    let up = r.json(&["event", "list", "--upcoming"]);
    let up = up.as_array().unwrap();
    assert_eq!(up.len(), 7);
    assert!(up.iter().all(|e| e["id"] == id.as_str()));
    assert_eq!(up[3]["occurrence"], "2036-04-08T19:00:00");
    assert_eq!(up[3]["status"], "cancelled");
    assert_eq!(up[4]["starts"], 2_091_895_200); // 2036-04-15T18:00:00Z

    // Bob joins the 22 April session only; the occurrences say who goes where.
    r.ok(&["persona", "new", "bob"]);
    let joined = r.json(&["event", "join", &id, "--occurrence", "2036-04-22"]);
    assert_eq!(joined["status"], "going");
    let seen = |r: &Rally| {
        r.json(&[
            "event",
            "occurrences",
            &id,
            "--from",
            "2036-04-15",
            "--to",
            "2036-04-29",
        ])
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            (
                o["going"].as_u64().unwrap(),
                o["mine"].as_str().map(str::to_owned),
            )
        })
        .collect::<Vec<_>>()
    };
    assert_eq!(
        seen(&r),
        [(0, None), (1, Some("going".to_owned())), (0, None)]
    );
    // Joining the whole series counts on every day, once on his.
    r.ok(&["event", "join", &id]);
    assert_eq!(
        seen(&r),
        [
            (1, Some("going".to_owned())),
            (1, Some("going".to_owned())),
            (1, Some("going".to_owned()))
        ]
    );
    r.ok(&["event", "leave", &id]);
    r.ok(&["event", "leave", &id, "--occurrence", "2036-04-22"]);
    assert_eq!(seen(&r), [(0, None), (0, None), (0, None)]);
    let err = r.fails(&["event", "leave", &id, "--occurrence", "2036-04-22"]);
    assert!(err.contains("not taking part"), "{err}");
    let err = r.fails(&["event", "join", &id, "--occurrence", "2036-04-23"]);
    assert!(err.contains("not an occurrence"), "{err}");
    r.ok(&["persona", "use", "alice"]);

    // Clear errors, nothing changed.
    let err = r.fails(&["event", "edit", &id, "--repeat", "FREQ=HOURLY;BYMINUTE=0"]);
    assert!(err.contains("daily, weekly, monthly or yearly"), "{err}");
    let err = r.fails(&["event", "cancel", &id, "--occurrence", "2036-04-09"]);
    assert!(err.contains("not an occurrence"), "{err}");
    let err = r.fails(&[
        "event",
        "edit",
        &id,
        "--occurrence",
        "2036-04-22",
        "--capacity",
        "3",
    ]);
    assert!(err.contains("edit the series"), "{err}");
    let single = r.id(&[
        "event",
        "create",
        "--title",
        "Picnic",
        "--starts",
        "2036-05-01T12:00",
        "--tz",
        "Europe/Paris",
    ]);
    let err = r.fails(&["event", "cancel", &single, "--occurrence", "2036-05-01"]);
    assert!(err.contains("does not repeat"), "{err}");
    assert_eq!(occurrences(&r).len(), 7);
}

/// Moves everything `from` holds to `to` by bundle; nothing is refused.
fn swap(from: &Rally, to: &Rally) {
    let file = from.data().join("out.bundle");
    from.ok(&["bundle", "export", "--out", file.to_str().unwrap()]);
    let report = to.json(&["bundle", "import", file.to_str().unwrap()]);
    assert_eq!(report["rejected"], 0, "{report}");
}

#[test]
fn two_organisers_change_a_series_apart_and_their_devices_agree() {
    let a = Rally::new();
    let b = Rally::new();
    a.ok(&["persona", "new", "alice"]);
    b.ok(&["persona", "new", "bob"]);
    let bob = b.json(&["persona", "list"])[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let id = a.id(&[
        "event",
        "create",
        "--title",
        "Assembly",
        "--starts",
        "2036-04-01T19:00",
        "--tz",
        "Europe/Paris",
        "--repeat",
        "FREQ=WEEKLY;BYDAY=TU;COUNT=5",
    ]);
    a.ok(&["event", "add-organiser", &id, &bob, "--name", "bob"]);
    swap(&a, &b);
    // Offline from each other: Bob moves 15 April and what follows to 20:00
    // in the town hall; Alice cancels 22 April and retitles 29 April.
    b.ok(&[
        "event",
        "edit",
        &id,
        "--occurrence",
        "2036-04-15",
        "--following",
        "--starts",
        "2036-04-15T20:00",
        "--place",
        "Town hall",
    ]);
    a.ok(&["event", "cancel", &id, "--occurrence", "2036-04-22"]);
    a.ok(&[
        "event",
        "edit",
        &id,
        "--occurrence",
        "2036-04-29",
        "--title",
        "Last assembly",
    ]);
    swap(&a, &b);
    swap(&b, &a);
    let seen = |r: &Rally| {
        r.json(&["event", "occurrences", &id, "--from", "2036-03-01"])
            .as_array()
            .unwrap()
            .iter()
            .map(|o| {
                format!(
                    "{} {} {} {}",
                    o["starts"].as_str().unwrap(),
                    o["status"].as_str().unwrap(),
                    o["title"].as_str().unwrap(),
                    o["place"]["name"].as_str().unwrap_or("-"),
                )
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(seen(&a), seen(&b));
    assert_eq!(
        seen(&a),
        [
            "2036-04-01T19:00:00+02:00 confirmed Assembly -",
            "2036-04-08T19:00:00+02:00 confirmed Assembly -",
            "2036-04-15T20:00:00+02:00 confirmed Assembly Town hall",
            "2036-04-22T20:00:00+02:00 cancelled Assembly Town hall",
            "2036-04-29T20:00:00+02:00 confirmed Last assembly Town hall",
        ]
    );
    assert_eq!(a.snapshot().1, b.snapshot().1);
}

/// Alice's group "Choir", an invitation token to it and its event "Rehearsal".
fn choir(a: &Rally) -> (String, String, String) {
    let group = a.id(&["group", "create", "Choir"]);
    let token = a.ok(&["group", "invite", &group]).trim().to_owned();
    let event = a.id(&[
        "event",
        "create",
        "--title",
        "Rehearsal",
        "--starts",
        "2036-02-01T19:00",
        "--tz",
        "Europe/Paris",
        "--group",
        &group,
    ]);
    (group, token, event)
}

#[test]
fn a_ban_made_offline_takes_effect_on_both_devices_and_is_in_the_log() {
    let a = Rally::new();
    let b = Rally::new();
    a.ok(&["persona", "new", "alice"]);
    b.ok(&["persona", "new", "bob"]);
    let (group, token, event) = choir(&a);
    swap(&a, &b);
    b.ok(&["group", "join", &token]);
    b.ok(&["event", "join", &event]);
    b.ok(&["event", "comment", &event, "Count me in"]);
    swap(&b, &a);
    assert_eq!(a.json(&["event", "show", &event])["going"], 1);
    // Apart: Alice bans Bob; Bob, not knowing, posts spam in the event and
    // the chat.
    let banned = a.json(&[
        "group",
        "ban",
        &group,
        "bob",
        "--reason",
        "spam",
        "--note",
        "ads in every comment",
    ]);
    assert_eq!(banned["banned"], true);
    b.ok(&["event", "comment", &event, "BUY CHEAP WATCHES"]);
    b.ok(&["message", "send", &group, "BUY CHEAP WATCHES"]);
    swap(&b, &a);
    swap(&a, &b);
    for r in [&a, &b] {
        let g = r.json(&["group", "show", &group]);
        let members: Vec<&str> = g["members"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["name"].as_str().unwrap())
            .collect();
        assert_eq!(members, ["alice"], "{g}");
        let e = r.json(&["event", "show", &event]);
        assert_eq!(e["going"], 0, "{e}");
        let comments = e["comments"].as_array().unwrap();
        assert_eq!(comments.len(), 2);
        assert!(comments.iter().all(|c| c["hidden"] == true), "{e}");
        let chat = r.json(&["message", "list", &group]);
        assert!(
            chat.as_array()
                .unwrap()
                .iter()
                .all(|m| m["text"] != "BUY CHEAP WATCHES"),
            "{chat}"
        );
        let m = r.json(&["group", "moderation", &group]);
        assert_eq!(m["bans"][0]["name"], "bob", "{m}");
        assert_eq!(m["bans"][0]["reason"], "spam");
        assert_eq!(m["log"][0]["action"], "ban");
        assert_eq!(m["log"][0]["note"], "ads in every comment");
    }
    // Bob changes nothing in the group any more.
    let err = b.fails(&["group", "join", &token]);
    assert!(err.contains("banned"), "{err}");
    // Bob is no moderator: he bans nobody. Alice takes the event off the
    // page and puts it back; lifting the ban shows Bob's words again.
    let err = b.fails(&["group", "ban", &group, "alice"]);
    assert!(err.contains("not allowed"), "{err}");
    a.ok(&["group", "unlist", &group, &event, "--reason", "other"]);
    assert_eq!(
        a.json(&["group", "show", &group])["events"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
    a.ok(&["group", "relist", &group, &event]);
    a.ok(&["group", "unban", &group, "bob"]);
    let e = a.json(&["event", "show", &event]);
    assert!(
        e["comments"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["hidden"] == false),
        "{e}"
    );
    let actions: Vec<String> = a.json(&["group", "moderation", &group])["log"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(actions, ["ban", "unlist-event", "list-event", "unban"]);
}

#[test]
fn a_reported_comment_reaches_the_moderators_and_nobody_else() {
    let (a, b, c) = (Rally::new(), Rally::new(), Rally::new());
    a.ok(&["persona", "new", "alice"]);
    b.ok(&["persona", "new", "bob"]);
    c.ok(&["persona", "new", "carol"]);
    let (group, token, event) = choir(&a);
    swap(&a, &b);
    swap(&a, &c);
    b.ok(&["group", "join", &token]);
    c.ok(&["group", "join", &token]);
    let comment = c.json(&[
        "event",
        "comment",
        &event,
        "You all sing badly, I know where you live",
    ]);
    let comment = comment["id"].as_str().unwrap().to_owned();
    swap(&c, &b);
    swap(&b, &a);
    // Bob reports Carol's comment; his device seals it to Alice only.
    let sent = b.json(&[
        "report",
        "comment",
        &format!("{event}/{comment}"),
        "--reason",
        "harassment",
        "--text",
        "a threat against members",
    ]);
    assert_eq!(sent["moderators"], 1, "{sent}");
    swap(&b, &a);
    swap(&b, &c);
    let reports = a.json(&["group", "reports", &group]);
    assert_eq!(reports.as_array().unwrap().len(), 1, "{reports}");
    assert_eq!(reports[0]["target_kind"], "comment");
    assert_eq!(reports[0]["target"], format!("{event}/{comment}").as_str());
    assert_eq!(reports[0]["reason"], "harassment");
    assert_eq!(reports[0]["text"], "a threat against members");
    // Carol holds the envelope but reads nothing of it, and may not list reports.
    let err = c.fails(&["group", "reports", &group]);
    assert!(err.contains("admins and moderators"), "{err}");
    let db = std::fs::read(c.data().join("rally.db")).unwrap();
    assert!(
        !db.windows(b"a threat".len()).any(|w| w == b"a threat"),
        "the report is readable on the reported member's device"
    );
    // Clear errors.
    let err = b.fails(&["report", "event", &event, "--reason", "rude"]);
    assert!(err.contains("spam, harassment, illegal, other"), "{err}");
    let err = b.fails(&["report", "persona", "carol", "--reason", "spam"]);
    assert!(err.contains("--group"), "{err}");
    // Alone as moderator and reported, Alice's own event reaches nobody.
    let err = b.fails(&["report", "event", &event, "--reason", "spam"]);
    assert!(err.contains("no admin or moderator"), "{err}");
}

#[test]
fn asking_to_join_is_answered_by_a_moderator_on_another_device() {
    let (a, b) = (Rally::new(), Rally::new());
    a.ok(&["persona", "new", "alice"]);
    b.ok(&["persona", "new", "bob"]);
    let (group, _, _) = choir(&a);
    swap(&a, &b);
    let asked = b.json(&["group", "request", &group, "--note", "I sing bass"]);
    assert_eq!(asked["requested"], true);
    let err = b.fails(&["message", "send", &group, "hello"]);
    assert!(err.contains("not a member"), "asking is not joining: {err}");
    swap(&b, &a);
    let m = a.json(&["group", "moderation", &group]);
    assert_eq!(m["requests"][0]["name"], "bob", "{m}");
    assert_eq!(m["requests"][0]["note"], "I sing bass");
    // Bob answers no request, his own aside.
    let err = b.fails(&["group", "approve", &group, "bob"]);
    assert!(err.contains("not allowed"), "{err}");
    a.ok(&["group", "approve", &group, "bob"]);
    swap(&a, &b);
    let members: Vec<String> = b.json(&["group", "show", &group])["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(members.len(), 2, "{members:?}");
    assert!(members.contains(&"bob".to_owned()));
    let log = a.json(&["group", "moderation", &group])["log"].clone();
    assert_eq!(log[0]["action"], "approve-member", "{log}");
    assert!(
        a.json(&["group", "moderation", &group])["requests"]
            .as_array()
            .unwrap()
            .is_empty()
    );
}

#[test]
fn reminders_come_before_what_you_go_to_as_you_choose() {
    use rally_core::jiff::{SignedDuration, Timestamp, tz::TimeZone};
    let r = Rally::new();
    r.ok(&["persona", "new", "alice"]);
    // In three days at noon, Paris time.
    let day = (Timestamp::now() + SignedDuration::from_hours(72))
        .to_zoned_datetime(TimeZone::get("Europe/Paris").unwrap())
        .date();
    let starts = format!("{day}T12:00");
    let id = r.id(&[
        "event",
        "create",
        "--title",
        "Picnic",
        "--starts",
        &starts,
        "--tz",
        "Europe/Paris",
    ]);
    let list = |r: &Rally| {
        r.json(&["reminders", "list"])
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x["before_minutes"].as_u64().unwrap())
            .collect::<Vec<_>>()
    };
    // Not going yet: nothing. Going: a day and an hour before.
    assert!(list(&r).is_empty());
    r.ok(&["event", "join", &id]);
    assert_eq!(list(&r), [1440, 60]);
    r.ok(&["reminders", "event", &id, "--before", "30m,2h"]);
    assert_eq!(list(&r), [120, 30]);
    r.ok(&["reminders", "event", &id, "--before", "default"]);
    r.ok(&["reminders", "set", "--before", "15m"]);
    assert_eq!(list(&r), [15]);
    r.ok(&["reminders", "set", "--off"]);
    assert!(list(&r).is_empty());
    let err = r.fails(&["reminders", "set", "--before", "soon"]);
    assert!(err.contains("30m, 1h, 1d or 1w"), "{err}");
    let err = r.fails(&["reminders", "set", "--before", "6w"]);
    assert!(err.contains("four weeks"), "{err}");
}

#[test]
fn wipe_asks_for_yes_then_leaves_nothing_of_the_device() {
    let r = Rally::new();
    r.ok(&["persona", "new", "Ana"]);
    let group = r.id(&["group", "create", "Night shelter", "--members-only"]);
    r.ok(&["message", "send", &group, "The door code is 4711"]);
    let err = r.fails(&["wipe"]);
    assert!(err.contains("rally wipe --yes"), "{err}");
    assert!(
        r.data().join("rally.db").exists(),
        "nothing is wiped without --yes"
    );
    let wiped = r.json(&["wipe", "--yes"]);
    assert_eq!(wiped["wiped"], r.data().to_str().unwrap());
    assert!(!r.data().exists(), "the data directory is gone");
    // What starts there next is an empty device.
    assert_eq!(r.json(&["persona", "list"]), serde_json::json!([]));
}
