//! The server under load, with the release `rally-server` binary on loopback:
//! its resident memory when idle, then 100 clients (in this process, each with its
//! own store and libp2p node) that each push 100 changes made offline — an event
//! in a shared group, listed there, and edited 98 times — until every client holds
//! all 100 events in their final state. Reports the time to full convergence and
//! the server's CPU time, against a baseline in the same run: the same changes
//! ingested straight into one store in this process.
//!
//! `cargo xtask bench` builds the server and runs this; `RALLY_BENCH_CLIENTS` and
//! `RALLY_BENCH_CHANGES` change the load, `RALLY_BENCH_SERVER_LOG=FILE` keeps the
//! server's log, `RALLY_BENCH_STALL_S` (30) is how long without progress
//! before the clients still behind are listed with their last node events.

mod support;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use rally_core::{Document, EventDetails, GroupProfile, GroupVisibility, Role};
use rally_net::{Node, NodeConfig, Transport};
use rally_store::{Store, SyncRepo, Timestamp};

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// (resident set in kB, CPU seconds so far) of a process.
fn usage(pid: u32) -> (u64, f64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let rss = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0);
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .unwrap()
        .1
        .split_whitespace()
        .collect();
    let ticks: f64 = fields[11].parse::<f64>().unwrap() + fields[12].parse::<f64>().unwrap();
    (rss, ticks / 100.0)
}

struct Client {
    dir: tempfile::TempDir,
    store: Store,
    me: rally_store::LocalPersona,
}

fn final_title(i: usize, edits: usize) -> String {
    format!("Assembly {i}, version {edits}")
}

/// The clients' stores: one shared group (every client a moderator, known to all
/// beforehand), and in each store its own event, listed and edited, not synced yet.
fn prepare(n: usize, changes: usize) -> Vec<Client> {
    let now = Timestamp::now();
    let mut clients: Vec<Client> = (0..n)
        .map(|i| {
            let dir = tempfile::tempdir().unwrap();
            let mut store = Store::open(dir.path()).unwrap();
            let me = store.create_persona(&format!("member{i}"), now).unwrap();
            Client { dir, store, me }
        })
        .collect();
    let profile = GroupProfile {
        name: "Neighbourhood assembly".into(),
        summary: String::new(),
        visibility: GroupVisibility::Public,
        avatar: None,
    };
    let owner = clients[0].me.persona.clone();
    let (mut group, _) = Document::create_group(&owner, "member0", &profile, now).unwrap();
    for c in &clients[1..] {
        group
            .add_member(&owner, c.me.id(), &c.me.name, Role::Moderator, now)
            .unwrap();
    }
    let edits = changes - 2;
    for (i, c) in clients.iter_mut().enumerate() {
        c.store.insert_new(&group).unwrap();
        let mut details = EventDetails::new(
            format!("Assembly {i}"),
            "2027-06-01T18:00".parse().unwrap(),
            "Europe/Paris",
        );
        let (mut event, _) =
            Document::create_event(&c.me.persona, &c.me.name, &details, Some(group.id()), now)
                .unwrap();
        for k in 1..=edits {
            details.title = final_title(i, k);
            event.update_event(&c.me.persona, &details, now).unwrap();
        }
        c.store.insert_new(&event).unwrap();
        let me = c.me.persona.clone();
        c.store
            .update(group.id(), |g| {
                g.set_group_event(&me, event.id(), true, now)
            })
            .unwrap();
    }
    clients
}

/// How many events a data dir holds in their final state.
fn finished_events(dir: &Path, edits: usize) -> usize {
    let Ok(conn) = rusqlite::Connection::open(dir.join("rally.db")) else {
        return 0;
    };
    conn.query_row(
        "SELECT count(*) FROM events WHERE title LIKE '%, version ' || ?1",
        [edits.to_string()],
        |r| r.get::<_, i64>(0),
    )
    .unwrap_or(0) as usize
}

fn baseline(clients: &[Client]) -> Duration {
    let all: Vec<_> = clients
        .iter()
        .flat_map(|c| c.store.export(&[]).unwrap())
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    let start = Instant::now();
    store.ingest(all, Timestamp::now()).unwrap();
    start.elapsed()
}

fn start_server(dir: &Path) -> (std::process::Child, String) {
    let mut child = Command::new(support::server_binary())
        .arg("--data")
        .arg(dir)
        .args([
            "--http",
            "127.0.0.1:0",
            "--p2p",
            "/ip4/127.0.0.1/udp/0/quic-v1",
            "--registrations",
            "open",
        ])
        .stdout(Stdio::piped())
        .envs(std::env::var_os("RALLY_BENCH_SERVER_LOG").map(|_| ("RALLY_NET_DEBUG", "2")))
        .stderr(match std::env::var_os("RALLY_BENCH_SERVER_LOG") {
            Some(path) => Stdio::from(std::fs::File::create(path).unwrap()),
            None => Stdio::null(),
        })
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let addr = loop {
        let line = lines.next().unwrap().unwrap();
        if let Some(a) = line.strip_prefix("p2p ") {
            break a.to_owned();
        }
    };
    std::thread::spawn(move || for _ in lines {});
    (child, addr)
}

fn main() {
    let n = env_usize("RALLY_BENCH_CLIENTS", 100);
    let changes = env_usize("RALLY_BENCH_CHANGES", 100).max(3);
    let edits = changes - 2;

    let srv = tempfile::tempdir().unwrap();
    let (mut server, addr) = start_server(srv.path());
    std::thread::sleep(Duration::from_secs(3));
    let (idle_rss, _) = usage(server.id());
    println!("server idle: {:.1} MB resident", idle_rss as f64 / 1024.0);

    let clients = prepare(n, changes);
    let base = baseline(&clients);
    let dirs: Vec<PathBuf> = clients.iter().map(|c| c.dir.path().to_owned()).collect();
    let personas: Vec<String> = clients.iter().map(|c| c.me.id().to_hex()).collect();
    let total_changes: usize = n * changes;
    let (_, cpu_before) = usage(server.id());

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let start = Instant::now();
    let mut keep = Vec::new();
    let last_events: std::sync::Arc<Vec<std::sync::Mutex<Vec<String>>>> =
        std::sync::Arc::new((0..n).map(|_| Default::default()).collect());
    let peer_ids: std::sync::Arc<Vec<std::sync::Mutex<Vec<String>>>> =
        std::sync::Arc::new((0..n).map(|_| Default::default()).collect());
    // How long without progress before the clients still behind are listed.
    let stall = Duration::from_secs(env_usize("RALLY_BENCH_STALL_S", 30) as u64);
    for (i, c) in clients.into_iter().enumerate() {
        let Client { dir, store, me } = c;
        keep.push(dir);
        let config = NodeConfig {
            servers: vec![addr.parse().unwrap()],
            ..NodeConfig::default()
        };
        let log = last_events.clone();
        let peers = peer_ids.clone();
        runtime.spawn(async move {
            let mut node = Node::new(SyncRepo::new(store, me), Transport::device(false)).unwrap();
            peers[i].lock().unwrap().push(node.peer_id().to_string());
            let record = |e: rally_net::NodeEvent| {
                let mut l = log[i].lock().unwrap();
                let line = format!("{:.1?} {e:?}", start.elapsed());
                let progress = matches!(e, rally_net::NodeEvent::Progress { .. });
                if progress && l.last().is_some_and(|p| p.contains("Progress")) {
                    l.pop();
                }
                if l.len() >= 8 {
                    l.remove(0);
                }
                l.push(line);
            };
            if let Err(e) = node.run(&config, record).await {
                eprintln!("  client {i} stopped: {e}");
            }
        });
    }
    let mut last_report = Instant::now();
    let mut last_change = (Instant::now(), 0);
    let took = loop {
        let held: Vec<usize> = dirs.iter().map(|d| finished_events(d, edits)).collect();
        let done = held.iter().filter(|&&h| h == n).count();
        if done == n {
            break start.elapsed();
        }
        let total: usize = held.iter().sum();
        if total != last_change.1 {
            last_change = (Instant::now(), total);
        }
        if last_report.elapsed() > Duration::from_secs(10) {
            last_report = Instant::now();
            eprintln!(
                "  {done}/{n} clients converged after {:.0?}; the server holds {}/{n} final events",
                start.elapsed(),
                finished_events(srv.path(), edits)
            );
            if last_change.0.elapsed() > stall {
                let behind: Vec<String> = held
                    .iter()
                    .enumerate()
                    .filter(|(_, h)| **h < n)
                    .map(|(i, h)| format!("client {i}: {h}/{n}"))
                    .collect();
                eprintln!("  no progress for {stall:?}; {}", behind.join(", "));
                for (i, h) in held.iter().enumerate() {
                    if *h < n {
                        eprintln!(
                            "  client {i} ({}, peer {:?})'s last node events:",
                            personas[i],
                            peer_ids[i].lock().unwrap()
                        );
                        for line in last_events[i].lock().unwrap().iter() {
                            eprintln!("    {line}");
                        }
                    }
                }
            }
        }
        if start.elapsed() > Duration::from_secs(900) {
            panic!("not converged after 15 minutes ({done}/{n} clients)");
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    let (busy_rss, cpu_after) = usage(server.id());
    let cpu = cpu_after - cpu_before;
    runtime.shutdown_timeout(Duration::from_secs(2));
    let _ = server.kill();
    let _ = server.wait();

    println!(
        "{n} clients × {changes} changes ({total_changes} changes, each client ending with all {total_changes}):"
    );
    println!("  full convergence: {:.2} s", took.as_secs_f64());
    println!(
        "  server CPU: {cpu:.2} s ({:.0} µs per change pushed), {:.1} MB resident at the end",
        cpu * 1e6 / total_changes as f64,
        busy_rss as f64 / 1024.0
    );
    println!(
        "  baseline, the same changes ingested into one store in-process: {:.2} s → server CPU / baseline = {:.1}",
        base.as_secs_f64(),
        cpu / base.as_secs_f64()
    );
    println!(
        "server_ms_per_change = {:.2}",
        cpu * 1e3 / total_changes as f64
    );
    println!("server_convergence_s = {:.1}", took.as_secs_f64());
}
