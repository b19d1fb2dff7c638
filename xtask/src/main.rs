//! `cargo xtask …`: one entry point for every check, the same locally and in CI.
//!
//! - `cargo xtask ci`: installs what the checks need when missing (rustfmt, clippy),
//!   then runs the format check, clippy with `-D warnings` and every test of the
//!   workspace, always on the same package set so builds are reused;
//! - `cargo xtask bench`: the benchmarks, in release mode, printing their figures;
//! - `cargo xtask fmt`: formats the workspace.

use std::process::Command;

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

fn ci() -> Result<()> {
    ensure_components()?;
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
    let mut test = cargo();
    test.args(["test", "--workspace", "--locked"]);
    run("tests", test)?;
    eprintln!("\nAll checks passed.");
    Ok(())
}

fn bench() -> Result<()> {
    let mut cmd = cargo();
    cmd.args(["bench", "--locked", "-p", "rally-store", "--bench", "store"]);
    run("store benchmark", cmd)
}

fn main() -> Result<()> {
    let task = std::env::args().nth(1).unwrap_or_default();
    match task.as_str() {
        "ci" => ci(),
        "bench" => bench(),
        "fmt" => {
            let mut cmd = cargo();
            cmd.args(["fmt", "--all"]);
            run("cargo fmt", cmd)
        }
        _ => {
            eprintln!("usage: cargo xtask <ci|bench|fmt>");
            bail!("unknown task {task:?}")
        }
    }
}
