//! Helpers shared by the tests that drive the real `rally` binary.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// Runs a command that must succeed; returns stdout.
pub fn rally(dir: &Path, args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_rally"))
        .arg("--data")
        .arg(dir)
        .args(args)
        .output()
        .unwrap();
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

/// `rally event show ID --json`, or `None` when the event is not there.
pub fn show(dir: &Path, id: &str) -> Option<Value> {
    let out = Command::new(env!("CARGO_BIN_EXE_rally"))
        .arg("--data")
        .arg(dir)
        .args(["--json", "event", "show", id])
        .output()
        .unwrap();
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

/// A running `rally sync`, stopped with SIGTERM when dropped.
pub struct SyncProcess {
    child: Child,
    /// The first line it printed: the address it listens on.
    pub first_line: String,
}

impl SyncProcess {
    /// Starts `prefix… rally --data DIR sync ARGS…` (`prefix` runs it elsewhere,
    /// e.g. `ip netns exec HOST`).
    pub fn start(prefix: &[&str], dir: &Path, args: &[&str]) -> SyncProcess {
        let mut cmd = match prefix.split_first() {
            Some((program, rest)) => {
                let mut c = Command::new(program);
                c.args(rest).arg(env!("CARGO_BIN_EXE_rally"));
                c
            }
            None => Command::new(env!("CARGO_BIN_EXE_rally")),
        };
        let mut child = cmd
            .arg("--data")
            .arg(dir)
            .arg("sync")
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut first_line = String::new();
        stdout.read_line(&mut first_line).unwrap();
        // Keep reading, so later lines never meet a closed pipe.
        std::thread::spawn(move || std::io::copy(&mut stdout, &mut std::io::sink()));
        SyncProcess {
            child,
            first_line: first_line.trim().to_owned(),
        }
    }
}

impl Drop for SyncProcess {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status();
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
