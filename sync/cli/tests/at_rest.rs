//! The device's store encrypted at rest, through the `rally` binary: a real
//! Secret Service (GNOME Keyring in a throwaway D-Bus session) keeping the
//! key, passphrases from the environment and standard input, the migration of
//! a plaintext store killed at random points, and the wipe.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use rally_core::jiff::Timestamp;
use rally_core::{Document, EventDetails};
use serde_json::Value;

const TITLE: &str = "Blockade planning at the old bakery";

fn rally(dir: &Path, env: &[(&str, &str)], args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_rally"));
    cmd.arg("--data").arg(dir).args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

fn ok(dir: &Path, env: &[(&str, &str)], args: &[&str]) -> String {
    let out = rally(dir, env, args);
    assert!(
        out.status.success(),
        "rally {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn json(dir: &Path, env: &[(&str, &str)], args: &[&str]) -> Value {
    let mut all = vec!["--json"];
    all.extend_from_slice(args);
    serde_json::from_str(&ok(dir, env, &all)).unwrap()
}

/// A persona and an event titled [`TITLE`] in a new store at `data`.
fn persona_and_event(data: &Path, env: &[(&str, &str)]) {
    ok(data, env, &["persona", "new", "marguerite-undercover"]);
    ok(
        data,
        env,
        &[
            "event",
            "create",
            "--title",
            TITLE,
            "--starts",
            "2036-05-01T18:00",
            "--tz",
            "Europe/Paris",
        ],
    );
}

/// Every byte of every file under `dir`.
fn all_bytes(dir: &Path) -> Vec<u8> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            out.extend(std::fs::read(path).unwrap());
        }
    }
    out
}

fn assert_unreadable(dir: &Path, needles: &[&[u8]]) {
    let bytes = all_bytes(dir);
    for needle in needles {
        assert!(
            !bytes.windows(needle.len()).any(|w| w == *needle),
            "{:?} readable in the files of {}",
            String::from_utf8_lossy(needle),
            dir.display()
        );
    }
}

/// A D-Bus session with GNOME Keyring's Secret Service, unlocked; ends when
/// dropped.
struct SecretService {
    session: Child,
    bus: String,
    home: tempfile::TempDir,
}

impl SecretService {
    fn start() -> SecretService {
        let home = tempfile::tempdir().unwrap();
        let mut session = Command::new("dbus-run-session")
            .args([
                "--",
                "sh",
                "-c",
                "printf test | gnome-keyring-daemon --unlock --components=secrets >/dev/null && \
                 echo \"$DBUS_SESSION_BUS_ADDRESS\" && exec sleep 600",
            ])
            .env("HOME", home.path())
            .env_remove("DBUS_SESSION_BUS_ADDRESS")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("dbus-run-session (Debian's dbus-bin) and gnome-keyring are installed");
        let mut line = String::new();
        BufReader::new(session.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let bus = line.trim().to_owned();
        assert!(bus.starts_with("unix:"), "no D-Bus session: {bus:?}");
        SecretService { session, bus, home }
    }

    fn env(&self) -> Vec<(&str, &str)> {
        vec![
            ("DBUS_SESSION_BUS_ADDRESS", self.bus.as_str()),
            ("HOME", self.home.path().to_str().unwrap()),
            ("RALLY_KEYSTORE", "os"),
        ]
    }

    /// The secrets Rally keeps in it (`secret-tool`, Debian's libsecret-tools).
    fn rally_entries(&self) -> String {
        let out = Command::new("secret-tool")
            .args(["search", "--all", "service", "rally"])
            .envs(self.env())
            .output()
            .expect("secret-tool (Debian's libsecret-tools) is installed");
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr)
    }
}

impl Drop for SecretService {
    fn drop(&mut self) {
        let _ = self.session.kill();
        let _ = self.session.wait();
    }
}

#[test]
fn the_key_lives_in_a_real_secret_service_and_the_wipe_removes_it() {
    let keyring = SecretService::start();
    let env = keyring.env();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("device");
    persona_and_event(&data, &env);
    let info = json(&data, &env, &["store", "info"]);
    assert_eq!(info["encrypted"], true, "{info}");
    assert_eq!(info["key"]["kept_in"], "keystore", "{info}");
    assert_eq!(info["key"]["keystore"], "Secret Service", "{info}");
    let entries = keyring.rally_entries();
    assert!(entries.contains("attribute.service = rally"), "{entries}");
    assert_unreadable(
        &data,
        &[
            TITLE.as_bytes(),
            b"marguerite-undercover",
            b"SQLite format 3",
        ],
    );
    // Reopened by a new process: the key comes from the keystore.
    let listed = json(&data, &env, &["event", "list"]);
    assert!(listed.to_string().contains(TITLE), "{listed}");
    // Without the keystore, the store stays shut.
    let out = rally(&data, &[("RALLY_KEYSTORE", "none")], &["event", "list"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("keystore"), "{err}");

    let wiped = json(&data, &env, &["wipe", "--yes"]);
    assert_eq!(wiped["wiped"], data.to_str().unwrap());
    assert!(!data.exists(), "a file of the device is left");
    let entries = keyring.rally_entries();
    assert!(
        !entries.contains("rally"),
        "the keystore still holds the store's key: {entries}"
    );
}

#[test]
fn a_passphrase_from_the_environment_or_stdin_seals_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("device");
    let pass = [
        ("RALLY_KEYSTORE", "none"),
        ("RALLY_PASSPHRASE", "correct horse"),
    ];
    persona_and_event(&data, &pass);
    let info = json(&data, &pass, &["store", "info"]);
    assert_eq!(info["key"]["kept_in"], "passphrase", "{info}");
    assert_unreadable(
        &data,
        &[
            TITLE.as_bytes(),
            b"marguerite-undercover",
            b"SQLite format 3",
        ],
    );

    // No passphrase, a wrong one: clear errors, and nothing changes.
    let before = all_bytes(&data);
    let none = rally(&data, &[("RALLY_KEYSTORE", "none")], &["event", "list"]);
    assert!(!none.status.success());
    let err = String::from_utf8_lossy(&none.stderr);
    assert!(
        err.contains("locked by a passphrase") && err.contains("RALLY_PASSPHRASE"),
        "{err}"
    );
    // Locked, `store info` still says how the store is kept.
    let info = json(&data, &[("RALLY_KEYSTORE", "none")], &["store", "info"]);
    assert_eq!(info["locked"], true, "{info}");
    assert_eq!(info["key"]["kept_in"], "passphrase", "{info}");
    let wrong = rally(
        &data,
        &[
            ("RALLY_KEYSTORE", "none"),
            ("RALLY_PASSPHRASE", "battery staple"),
        ],
        &["persona", "new", "intruder"],
    );
    assert!(!wrong.status.success());
    let err = String::from_utf8_lossy(&wrong.stderr);
    assert!(
        err.contains("wrong passphrase") && err.contains("nothing was changed"),
        "{err}"
    );
    assert_eq!(
        all_bytes(&data),
        before,
        "a wrong passphrase changed the files"
    );

    // A new passphrase from standard input; the old one no longer opens it.
    let mut child = Command::new(env!("CARGO_BIN_EXE_rally"))
        .arg("--data")
        .arg(&data)
        .args(["--passphrase-stdin", "--json", "store", "encrypt"])
        .envs(pass)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"new passphrase\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let old = rally(&data, &pass, &["event", "list"]);
    assert!(!old.status.success());
    let new = [
        ("RALLY_KEYSTORE", "none"),
        ("RALLY_PASSPHRASE", "new passphrase"),
    ];
    assert!(
        json(&data, &new, &["event", "list"])
            .to_string()
            .contains(TITLE)
    );

    // The wipe needs no passphrase.
    let wiped = rally(&data, &[("RALLY_KEYSTORE", "none")], &["wipe", "--yes"]);
    assert!(
        wiped.status.success(),
        "{}",
        String::from_utf8_lossy(&wiped.stderr)
    );
    assert!(!data.exists());
}

/// A plaintext store (as an older Rally left it) with `n` events.
fn plaintext_store(dir: &Path, n: usize) {
    let mut store = rally_store::Store::open(dir).unwrap();
    let now = Timestamp::from_second(1_780_000_000).unwrap();
    let alice = store.create_persona("alice", now).unwrap();
    for i in 0..n {
        let mut d = EventDetails::new(
            format!("{TITLE} #{i}"),
            "2036-05-01T18:00".parse().unwrap(),
            "Europe/Paris",
        );
        d.description = "Bring banners, water and a charged phone. ".repeat(20);
        let (doc, _) = Document::create_event(&alice.persona, "alice", &d, None, now).unwrap();
        store.insert_new(&doc).unwrap();
    }
}

#[test]
fn a_migration_killed_at_random_points_loses_nothing() {
    const EVENTS: usize = 400;
    let template = tempfile::tempdir().unwrap();
    plaintext_store(template.path(), EVENTS);
    let env = [("RALLY_KEYSTORE", "none")];
    // How long one whole migration takes, to kill within it.
    let probe = tempfile::tempdir().unwrap();
    copy_dir(template.path(), probe.path());
    let started = Instant::now();
    ok(probe.path(), &env, &["store", "info"]);
    let whole = started.elapsed();
    eprintln!("one migration of {EVENTS} events: {whole:?}");

    let (mut plain_after, mut encrypted_after) = (0, 0);
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    for round in 0..12 {
        let dir = tempfile::tempdir().unwrap();
        copy_dir(template.path(), dir.path());
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let delay = Duration::from_micros(seed % (whole.as_micros() as u64 + 1));
        let mut child = Command::new(env!("CARGO_BIN_EXE_rally"))
            .arg("--data")
            .arg(dir.path())
            .args(["store", "info"])
            .envs(env)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(delay);
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();
        let db = dir.path().join("rally.db");
        let head = std::fs::read(&db).unwrap();
        if head.starts_with(b"SQLite format 3\0") {
            plain_after += 1;
            // The old store still opens as it was.
            let db = rusqlite::Connection::open_with_flags(
                &db,
                rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
            )
            .unwrap();
            let n: i64 = db
                .query_row("SELECT count(*) FROM events", [], |r| r.get(0))
                .unwrap();
            assert_eq!(n, EVENTS as i64, "round {round}");
        } else {
            encrypted_after += 1;
        }
        // The next start finishes the job, with every event.
        let info = json(dir.path(), &env, &["store", "info"]);
        assert_eq!(info["encrypted"], true, "round {round}: {info}");
        assert_eq!(info["events"], EVENTS, "round {round}: {info}");
        let leftovers: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .filter(|n| n.contains("plaintext") || n.contains("encrypting"))
            .collect();
        assert!(leftovers.is_empty(), "round {round}: {leftovers:?}");
        assert_unreadable(dir.path(), &[TITLE.as_bytes(), b"SQLite format 3"]);
    }
    eprintln!(
        "killed 12 migrations: {plain_after} left the plaintext store, {encrypted_after} the encrypted one"
    );
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
    }
}
