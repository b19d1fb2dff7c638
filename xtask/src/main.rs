//! `cargo xtask …`: one entry point for every check, the same locally and in CI.
//!
//! - `cargo xtask ci`: installs what the checks need when missing (rustfmt, clippy),
//!   then runs the format check, clippy with `-D warnings` and every test of the
//!   workspace, always on the same package set so builds are reused;
//! - `cargo xtask bench`: the benchmarks, in release mode, printing their figures;
//! - `cargo xtask soak [SEEDS]`: the simulated-network test over thousands of seeds;
//! - `cargo xtask fmt`: formats the workspace.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use anyhow::{Context, Result, bail};

fn cargo() -> Command {
    Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
}

fn run(what: &str, mut cmd: Command) -> Result<()> {
    eprintln!("\n==> {what}");
    let status = cmd.status().with_context(|| format!("starting {what}"))?;
    if !status.success() {
        bail!("{what} failed ({status})");
    }
    Ok(())
}

fn has_component(name: &str) -> bool {
    let mut cmd = cargo();
    cmd.args([
        if name == "rustfmt" { "fmt" } else { "clippy" },
        "--version",
    ]);
    cmd.output().map(|o| o.status.success()).unwrap_or(false)
}

/// Installs the rustup components the checks use, when they are missing.
fn ensure_components() -> Result<()> {
    for component in ["rustfmt", "clippy"] {
        if !has_component(component) {
            let mut cmd = Command::new("rustup");
            cmd.args(["component", "add", component]);
            run(&format!("installing {component}"), cmd)?;
        }
    }
    Ok(())
}

/// Installs the Debian packages the tests use (network namespaces, signals), when
/// a command they provide is missing.
fn ensure_packages() -> Result<()> {
    let needed: Vec<&str> = [("ip", "iproute2"), ("kill", "procps")]
        .into_iter()
        .filter(|(tool, _)| {
            !Command::new("sh")
                .args(["-c", &format!("command -v {tool}")])
                .output()
                .is_ok_and(|o| o.status.success())
        })
        .map(|(_, package)| package)
        .collect();
    if needed.is_empty() {
        return Ok(());
    }
    let mut update = Command::new("apt-get");
    update.arg("update");
    run("apt-get update", update)?;
    let mut install = Command::new("apt-get");
    install
        .args(["install", "-y", "--no-install-recommends"])
        .args(&needed)
        .env("DEBIAN_FRONTEND", "noninteractive");
    run(&format!("installing {}", needed.join(" ")), install)
}

fn ci() -> Result<()> {
    ensure_components()?;
    ensure_packages()?;
    let mut fmt = cargo();
    fmt.args(["fmt", "--all", "--", "--check"]);
    run("format check (cargo fmt --check)", fmt)?;
    let mut clippy = cargo();
    clippy.args([
        "clippy",
        "--workspace",
        "--all-targets",
        "--locked",
        "--",
        "-D",
        "warnings",
    ]);
    run("clippy -D warnings", clippy)?;
    // The end-to-end tests (`tests/`) run the workspace's binaries.
    let mut build = cargo();
    build.args(["build", "--workspace", "--bins", "--locked"]);
    run("build the binaries", build)?;
    tests()
}

/// Runs every test of the workspace, passing its output through, and closes with
/// one line that adds up all the test binaries' results.
fn tests() -> Result<()> {
    eprintln!("\n==> tests");
    let mut cmd = cargo();
    cmd.args(["test", "--workspace", "--locked"])
        .stdout(Stdio::piped());
    let mut child = cmd.spawn().context("starting cargo test")?;
    let (mut passed, mut failed, mut ignored) = (0u64, 0u64, 0u64);
    for line in BufReader::new(child.stdout.take().expect("piped")).lines() {
        let line = line.context("reading cargo test output")?;
        println!("{line}");
        if let Some(rest) = line.trim().strip_prefix("test result: ") {
            for part in rest.split(['.', ';']) {
                let mut words = part.split_whitespace();
                if let (Some(n), Some(what)) = (
                    words.next().and_then(|n| n.parse::<u64>().ok()),
                    words.next(),
                ) {
                    match what {
                        "passed" => passed += n,
                        "failed" => failed += n,
                        "ignored" => ignored += n,
                        _ => {}
                    }
                }
            }
        }
    }
    let status = child.wait().context("waiting for cargo test")?;
    println!("\ntests: {passed} passed, {failed} failed, {ignored} skipped");
    if !status.success() {
        bail!("tests failed ({status})");
    }
    if passed == 0 {
        bail!("no test ran");
    }
    Ok(())
}

fn bench() -> Result<()> {
    let mut cmd = cargo();
    cmd.args(["bench", "--locked", "-p", "rally-store", "--bench", "store"]);
    run("store benchmark", cmd)?;
    let mut cmd = cargo();
    cmd.args([
        "bench",
        "--locked",
        "-p",
        "rally-core",
        "--bench",
        "receive",
    ]);
    run("receive benchmark", cmd)?;
    let mut cmd = cargo();
    cmd.args(["bench", "--locked", "-p", "rally-net", "--bench", "sync"]);
    run("sync benchmark", cmd)?;
    let mut cmd = cargo();
    cmd.args([
        "build",
        "--release",
        "--locked",
        "-p",
        "rally-server",
        "--bin",
        "rally-server",
    ]);
    run("build the release server", cmd)?;
    let mut cmd = cargo();
    cmd.args(["bench", "--locked", "-p", "rally-server", "--bench", "load"]);
    run("server load benchmark", cmd)
}

/// The simulated-network test with many more seeds than `ci` runs, optimised.
fn soak() -> Result<()> {
    let seeds = std::env::args().nth(2).unwrap_or_else(|| "5000".into());
    let mut cmd = cargo();
    cmd.args([
        "test",
        "--locked",
        "--release",
        "-p",
        "rally-core",
        "peers_converge_after_chaos",
        "--",
        "--nocapture",
    ])
    .env("RALLY_SIM_SEEDS", &seeds);
    run(&format!("simulated network, {seeds} seeds"), cmd)
}

fn main() -> Result<()> {
    let task = std::env::args().nth(1).unwrap_or_default();
    match task.as_str() {
        "ci" => ci(),
        "bench" => bench(),
        "soak" => soak(),
        "fmt" => {
            let mut cmd = cargo();
            cmd.args(["fmt", "--all"]);
            run("cargo fmt", cmd)
        }
        _ => {
            eprintln!("usage: cargo xtask <ci|bench|soak [SEEDS]|fmt>");
            bail!("unknown task {task:?}")
        }
    }
}
