//! A throwaway PostgreSQL cluster for tests: Debian's `postgresql` server
//! (installed by `cargo xtask ci` when missing), `initdb` into a temporary
//! directory, listening on a free loopback port with `trust` authentication,
//! without fsync (a benchmark takes [`Cluster::durable`], which flushes every
//! commit). One cluster per test process ([`Cluster::shared`]), one fresh
//! database per test ([`Cluster::database`]).
//!
//! The cluster runs as the `postgres` user when the tests run as root (the
//! server refuses root). A watchdog stops it when the test process ends, since
//! the test harness has no hook after the last test.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};

#[derive(Debug)]
pub struct Cluster {
    _dir: tempfile::TempDir,
    data: PathBuf,
    bin: PathBuf,
    port: u16,
    next: AtomicU32,
}

/// The newest installed server's programs.
fn bin_dir() -> PathBuf {
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .expect("PostgreSQL is not installed (Debian's postgresql package; `cargo xtask ci` installs it)")
        .filter_map(|e| {
            let e = e.ok()?;
            let v = e.file_name().to_str()?.parse().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").exists().then_some((v, bin))
        })
        .collect();
    versions.sort();
    versions
        .pop()
        .expect("no PostgreSQL server in /usr/lib/postgresql")
        .1
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.starts_with(b"0\n"))
}

/// `program` as the user the cluster runs as.
fn as_owner(program: &Path) -> Command {
    if is_root() {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(program);
        c
    } else {
        Command::new(program)
    }
}

fn run(mut c: Command, what: &str) {
    let out = c.output().unwrap_or_else(|e| panic!("{what}: {e}"));
    assert!(
        out.status.success(),
        "{what}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

impl Cluster {
    /// Starts a cluster for tests (stopped when the process ends): nothing is
    /// flushed to disk, it is thrown away anyway.
    pub fn start() -> Cluster {
        Cluster::start_with(false)
    }

    /// A cluster that flushes every commit as a production one does (for
    /// benchmarks that compare it with SQLite's full syncs).
    pub fn start_durable() -> Cluster {
        Cluster::start_with(true)
    }

    fn start_with(durable: bool) -> Cluster {
        let dir = tempfile::Builder::new()
            .prefix("rally-pg-")
            .tempdir()
            .expect("a temporary directory");
        if is_root() {
            run(
                {
                    let mut c = Command::new("chown");
                    c.args(["postgres:postgres"]).arg(dir.path());
                    c
                },
                "giving the cluster's directory to postgres",
            );
        }
        let bin = bin_dir();
        let data = dir.path().join("data");
        let mut initdb = as_owner(&bin.join("initdb"));
        initdb
            .arg("-D")
            .arg(&data)
            .args(["-A", "trust", "-U", "rally", "-E", "UTF8", "--no-sync"]);
        run(initdb, "initdb");
        let port = free_port();
        let mut start = as_owner(&bin.join("pg_ctl"));
        start
            .arg("-D")
            .arg(&data)
            .arg("-o")
            .arg(format!(
                "-p {port} -k {} -c listen_addresses=127.0.0.1 -c max_connections=200 {}",
                dir.path().display(),
                if durable {
                    ""
                } else {
                    "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
                }
            ))
            .arg("-l")
            .arg(dir.path().join("log"))
            .args(["-w", "start"]);
        run(start, "starting PostgreSQL");
        // The watchdog: stops the cluster once this process is gone.
        let stop = format!(
            "while kill -0 {pid} 2>/dev/null; do sleep 0.5; done; {runuser}{pg_ctl} -D {data} -m immediate stop >/dev/null 2>&1; rm -rf {dir}",
            pid = std::process::id(),
            runuser = if is_root() {
                "runuser -u postgres -- "
            } else {
                ""
            },
            pg_ctl = bin.join("pg_ctl").display(),
            data = data.display(),
            dir = dir.path().display(),
        );
        // Started in the background by a shell that ends at once, so the
        // watchdog is nobody's child here.
        let started = Command::new("sh")
            .args([
                "-c",
                "setsid sh -c \"$0\" >/dev/null 2>&1 </dev/null &",
                &stop,
            ])
            .stdin(Stdio::null())
            .status()
            .expect("the cluster's watchdog");
        assert!(started.success(), "the cluster's watchdog");
        Cluster {
            _dir: dir,
            data,
            bin,
            port,
            next: AtomicU32::new(0),
        }
    }

    /// The process' cluster, started on first use.
    pub fn shared() -> &'static Cluster {
        static CLUSTER: OnceLock<Cluster> = OnceLock::new();
        CLUSTER.get_or_init(Cluster::start)
    }

    /// The process' durable cluster ([`Cluster::start_durable`]).
    pub fn durable() -> &'static Cluster {
        static CLUSTER: OnceLock<Cluster> = OnceLock::new();
        CLUSTER.get_or_init(Cluster::start_durable)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The URL of database `name`.
    pub fn url(&self, name: &str) -> String {
        format!("postgres://rally@127.0.0.1:{}/{name}", self.port)
    }

    /// A new empty database; its URL.
    pub fn database(&self) -> String {
        let name = format!(
            "t{}_{}",
            std::process::id(),
            self.next.fetch_add(1, Ordering::Relaxed)
        );
        // On a thread of its own: the blocking client may not run inside a
        // caller's async runtime.
        let url = self.url("postgres");
        std::thread::scope(|s| {
            s.spawn(|| {
                let mut admin = postgres::Client::connect(&url, postgres::NoTls)
                    .expect("connecting to the test cluster");
                admin
                    .batch_execute(&format!("CREATE DATABASE {name}"))
                    .expect("creating a test database");
            })
            .join()
            .expect("creating a test database")
        });
        self.url(&name)
    }

    /// Stops the cluster now (`immediate`: as if the machine lost power).
    pub fn stop(&self) {
        let mut stop = as_owner(&self.bin.join("pg_ctl"));
        stop.arg("-D")
            .arg(&self.data)
            .args(["-m", "immediate", "stop"]);
        run(stop, "stopping PostgreSQL");
    }
}
