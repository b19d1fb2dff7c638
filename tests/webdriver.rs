//! A small WebDriver client (W3C protocol over HTTP, blocking) and the processes
//! around it: a virtual display (Xvfb) and `tauri-driver` in front of WebKit's
//! WebDriver, driving the real `rally-app` binary; or `chromedriver` driving a
//! headless Chromium, for the server's web pages.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// Xvfb on a free display number; killed on drop.
#[derive(Debug)]
pub struct Display {
    child: Child,
    pub name: String,
}

impl Display {
    pub fn start() -> Display {
        for n in 90..140 {
            let lock = format!("/tmp/.X{n}-lock");
            let socket = format!("/tmp/.X11-unix/X{n}");
            if Path::new(&lock).exists() || Path::new(&socket).exists() {
                // Left by an X server that is gone (killed with its test): reuse.
                let owner = std::fs::read_to_string(&lock)
                    .ok()
                    .and_then(|pid| pid.trim().parse::<u32>().ok());
                if owner.is_none_or(|pid| Path::new(&format!("/proc/{pid}")).exists()) {
                    continue;
                }
                let _ = std::fs::remove_file(&lock);
                let _ = std::fs::remove_file(&socket);
            }
            let name = format!(":{n}");
            let child = Command::new("Xvfb")
                .args([&name, "-screen", "0", "1280x1024x24", "-nolisten", "tcp"])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("Xvfb (Debian package xvfb; `cargo xtask ci` installs it)");
            let start = Instant::now();
            while !Path::new(&format!("/tmp/.X11-unix/X{n}")).exists() {
                assert!(
                    start.elapsed() < Duration::from_secs(10),
                    "Xvfb did not start"
                );
                std::thread::sleep(Duration::from_millis(50));
            }
            return Display { child, name };
        }
        panic!("no free X display number");
    }
}

impl Display {
    /// The whole display as a PNG (ImageMagick's `import`: WebKit's WebDriver
    /// does not answer screenshot requests under Xvfb).
    pub fn screenshot(&self, path: &Path) {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        let status = Command::new("/usr/bin/import")
            .args(["-display", &self.name, "-window", "root"])
            .arg(path)
            .status()
            .expect("ImageMagick's import (Debian package imagemagick)");
        assert!(status.success(), "screenshot {}", path.display());
    }

    /// The top-left `width`×`height` of the display (where the app's window
    /// sits: Xvfb has no window manager to move it).
    pub fn screenshot_area(&self, path: &Path, width: u32, height: u32) {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        let status = Command::new("/usr/bin/import")
            .args(["-display", &self.name, "-window", "root", "-crop"])
            .arg(format!("{width}x{height}+0+0"))
            .arg(path)
            .status()
            .expect("ImageMagick's import (Debian package imagemagick)");
        assert!(status.success(), "screenshot {}", path.display());
    }
}

impl Drop for Display {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn tauri_driver() -> PathBuf {
    let home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(std::env::var_os("HOME").unwrap()).join(".cargo"));
    home.join("bin/tauri-driver")
}

/// `tauri-driver` on a free port, on `display`; killed on drop.
#[derive(Debug)]
pub struct Driver {
    child: Child,
    pub url: String,
}

impl Driver {
    pub fn start(display: &Display) -> Driver {
        Driver::start_with_env(display, &[])
    }

    /// [`Driver::start`], the app's environment holding `env` too.
    pub fn start_with_env(display: &Display, env: &[(&str, &str)]) -> Driver {
        let (port, native) = {
            let a = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            let b = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            (
                a.local_addr().unwrap().port(),
                b.local_addr().unwrap().port(),
            )
        };
        let child = Command::new(tauri_driver())
            .args(["--port", &port.to_string()])
            .args(["--native-port", &native.to_string()])
            .args(["--native-driver", "/usr/bin/WebKitWebDriver"])
            .env("DISPLAY", &display.name)
            .env("GDK_BACKEND", "x11")
            .env("WEBKIT_DISABLE_COMPOSITING_MODE", "1")
            .envs(env.iter().copied())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("tauri-driver (`cargo xtask ci` installs it)");
        let url = format!("http://127.0.0.1:{port}");
        let start = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "tauri-driver did not start"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        Driver { child, url }
    }
}

impl Driver {
    /// Debian's `chromedriver` (package chromium-driver) on a free port.
    pub fn chromium() -> Driver {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new("/usr/bin/chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver (Debian package chromium-driver; `cargo xtask ci` installs it)");
        let url = format!("http://127.0.0.1:{port}");
        let start = Instant::now();
        while request("GET", &format!("{url}/status"), None).is_err() {
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "chromedriver did not start"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        Driver { child, url }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        // tauri-driver's own WebKitWebDriver goes with it.
        let _ = Command::new("pkill")
            .args(["-P", &self.child.id().to_string()])
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn request(method: &str, url: &str, body: Option<Value>) -> Result<Value, String> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(60)))
        .build()
        .into();
    let response = match (method, body) {
        ("POST", Some(b)) => agent.post(url).send_json(&b),
        ("POST", None) => agent.post(url).send_json(json!({})),
        ("DELETE", _) => agent.delete(url).call(),
        _ => agent.get(url).call(),
    };
    let mut response = response.map_err(|e| e.to_string())?;
    let status = response.status();
    let v: Value = response
        .body_mut()
        .with_config()
        .limit(64 * 1024 * 1024)
        .read_json()
        .map_err(|e| e.to_string())?;
    if status.is_success() {
        Ok(v["value"].clone())
    } else {
        Err(v["value"]["message"]
            .as_str()
            .unwrap_or("WebDriver error")
            .to_owned())
    }
}

/// One WebDriver session: the app, launched with `args`.
#[derive(Debug)]
pub struct Session {
    base: String,
}

impl Session {
    pub fn new(driver: &Driver, app: &Path, args: &[&str]) -> Session {
        Session::with(
            driver,
            json!({"capabilities": {"alwaysMatch": {
                "browserName": "wry",
                "tauri:options": {"application": app, "args": args},
            }}}),
        )
    }

    /// A headless Chromium with a profile of its own in `profile`.
    pub fn chromium(driver: &Driver, profile: &Path) -> Session {
        Session::chromium_with(driver, profile, true)
    }

    /// Headless Chromium, with JavaScript turned off for pages when
    /// `javascript` is false (the driver's own commands still run).
    pub fn chromium_with(driver: &Driver, profile: &Path, javascript: bool) -> Session {
        Session::with(
            driver,
            json!({"capabilities": {"alwaysMatch": {
                "browserName": "chrome",
                "goog:chromeOptions": {
                    "binary": "/usr/bin/chromium",
                    "args": ["--headless=new", "--no-sandbox", "--disable-gpu",
                             "--disable-dev-shm-usage", "--window-size=1200,900",
                             format!("--user-data-dir={}", profile.display())],
                    "prefs": {"profile.managed_default_content_settings.javascript": if javascript { 1 } else { 2 }},
                },
            }}}),
        )
    }

    fn with(driver: &Driver, caps: Value) -> Session {
        // WebKit's driver now and then drops the very first connection while it
        // starts: a few attempts.
        let mut attempt = 0;
        let v = loop {
            match request(
                "POST",
                &format!("{}/session", driver.url),
                Some(caps.clone()),
            ) {
                Ok(v) => break v,
                Err(e) if attempt >= 3 => panic!("the app did not start under WebDriver: {e}"),
                Err(_) => {
                    attempt += 1;
                    std::thread::sleep(Duration::from_secs(1));
                }
            }
        };
        let id = v["sessionId"].as_str().expect("a session id");
        Session {
            base: format!("{}/session/{id}", driver.url),
        }
    }

    /// Opens a URL (and waits for it to load).
    pub fn open(&self, url: &str) {
        self.post("/url", json!({"url": url}))
            .unwrap_or_else(|e| panic!("opening {url}: {e}"));
    }

    /// The current page as a PNG.
    pub fn screenshot_to(&self, path: &Path) {
        use base64::Engine as _;
        let png = request("GET", &format!("{}/screenshot", self.base), None)
            .unwrap_or_else(|e| panic!("screenshot: {e}"));
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(png.as_str().unwrap_or_default())
            .unwrap();
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
    }

    fn post(&self, path: &str, body: Value) -> Result<Value, String> {
        request("POST", &format!("{}{path}", self.base), Some(body))
    }

    /// Waits until `css` matches an element; returns its WebDriver id.
    pub fn find(&self, css: &str) -> String {
        self.wait(&format!("an element {css}"), || {
            self.post("/element", json!({"using": "css selector", "value": css}))
                .ok()
                .and_then(|v| v[ELEMENT].as_str().map(str::to_owned))
        })
    }

    pub fn find_all(&self, css: &str) -> Vec<String> {
        self.post("/elements", json!({"using": "css selector", "value": css}))
            .ok()
            .and_then(|v| v.as_array().cloned())
            .unwrap_or_default()
            .iter()
            .filter_map(|e| e[ELEMENT].as_str().map(str::to_owned))
            .collect()
    }

    pub fn click(&self, css: &str) {
        let el = self.find(css);
        self.wait(&format!("clicking {css}"), || {
            self.post(&format!("/element/{el}/click"), json!({})).ok()
        });
    }

    /// Types into a field (after clearing it).
    pub fn type_into(&self, css: &str, text: &str) {
        let el = self.find(css);
        let _ = self.post(&format!("/element/{el}/clear"), json!({}));
        self.post(&format!("/element/{el}/value"), json!({"text": text}))
            .unwrap_or_else(|e| panic!("typing into {css}: {e}"));
    }

    /// Sets a field's value as a script would, firing `input` (date pickers).
    pub fn set_value(&self, css: &str, value: &str) {
        self.find(css);
        self.script(
            "const el = document.querySelector(arguments[0]); el.value = arguments[1];
             el.dispatchEvent(new Event('input', {bubbles: true}));
             el.dispatchEvent(new Event('change', {bubbles: true}));",
            json!([css, value]),
        );
    }

    pub fn script(&self, script: &str, args: Value) -> Value {
        self.post("/execute/sync", json!({"script": script, "args": args}))
            .unwrap_or_else(|e| panic!("script failed: {e}"))
    }

    /// Waits until the text of `css` contains `needle`.
    pub fn wait_text(&self, css: &str, needle: &str) {
        self.wait(&format!("{css} to show {needle:?}"), || {
            self.find_all(css).iter().find_map(|el| {
                request("GET", &format!("{}/element/{el}/text", self.base), None)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .filter(|t| t.contains(needle))
            })
        });
    }

    pub fn page_text(&self) -> String {
        self.script("return document.body.innerText;", json!([]))
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    pub fn resize(&self, width: u32, height: u32) {
        let _ = self.post("/window/rect", json!({"width": width, "height": height}));
        std::thread::sleep(Duration::from_millis(300));
    }

    pub fn wait<T>(&self, what: &str, mut f: impl FnMut() -> Option<T>) -> T {
        let start = Instant::now();
        loop {
            if let Some(v) = f() {
                return v;
            }
            if start.elapsed() > Duration::from_secs(30) {
                panic!(
                    "timed out waiting for {what}; the page says:\n{}",
                    self.page_text()
                );
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Presses and releases keys on whatever has the focus, as a keyboard
    /// does (WebDriver key actions: `"\u{E004}"` is Tab, `"\u{E007}"` Enter).
    pub fn keys(&self, text: &str) {
        let mut actions = Vec::new();
        for c in text.chars() {
            actions.push(json!({"type": "keyDown", "value": c.to_string()}));
            actions.push(json!({"type": "keyUp", "value": c.to_string()}));
        }
        self.post(
            "/actions",
            json!({"actions": [{"type": "key", "id": "keyboard", "actions": actions}]}),
        )
        .unwrap_or_else(|e| panic!("pressing keys: {e}"));
    }

    /// The id (or, without one, the text) of the element that has the focus.
    pub fn focused(&self) -> String {
        self.script(
            "const e = document.activeElement; return e ? (e.id || e.innerText || e.tagName) : '';",
            json!([]),
        )
        .as_str()
        .unwrap_or_default()
        .to_owned()
    }

    /// Presses Tab until the element matching `css` has the focus (at most
    /// `max` times), checking at each stop that the focus is visible (an
    /// outline).
    pub fn tab_to(&self, css: &str, max: usize) {
        for _ in 0..max {
            self.keys("\u{E004}");
            let outline = self.script(
                "const e = document.activeElement;
                 return e && e !== document.body ? getComputedStyle(e).outlineStyle : 'body';",
                json!([]),
            );
            let outline = outline.as_str().unwrap_or_default();
            assert!(
                outline != "none",
                "the focus on {:?} is not visible",
                self.focused()
            );
            if self
                .script(
                    "return !!document.activeElement && document.activeElement.matches(arguments[0]);",
                    json!([css]),
                )
                .as_bool()
                .unwrap_or(false)
            {
                return;
            }
        }
        panic!(
            "{css} not reached by Tab in {max} presses (the focus is on {:?})",
            self.focused()
        );
    }

    /// Runs axe-core (its source, `axe.min.js`) on the page as it is; returns
    /// the violations of impact "serious" or "critical", each as
    /// `{id, impact, help, nodes}`.
    pub fn audit(&self, axe: &str) -> Vec<Value> {
        if self
            .script("return typeof window.axe === 'undefined';", json!([]))
            .as_bool()
            .unwrap_or(true)
        {
            self.script(&format!("{axe}\n;return true;"), json!([]));
        }
        self.script(
            "window.__audit = null;
             axe.run(document, {resultTypes: ['violations']}).then(r => {
               window.__audit = r.violations
                 .filter(v => v.impact === 'serious' || v.impact === 'critical')
                 .map(v => ({id: v.id, impact: v.impact, help: v.help,
                             nodes: v.nodes.slice(0, 5).map(n => n.target.join(' '))}));
             }, e => { window.__audit = [{id: 'axe-failed', impact: 'critical', help: String(e), nodes: []}]; });
             return true;",
            json!([]),
        );
        let found = self.wait("the accessibility audit", || {
            let v = self.script("return window.__audit;", json!([]));
            (!v.is_null()).then_some(v)
        });
        found.as_array().cloned().unwrap_or_default()
    }

    pub fn quit(self) {
        let _ = request("DELETE", &self.base, None);
    }
}

/// A private D-Bus session bus (Debian's `dbus-daemon`) and a `dbus-monitor`
/// on it: what the app asks the platform's notification service to show is
/// logged there, whether or not a notification daemon answers.
#[derive(Debug)]
pub struct SessionBus {
    daemon: Child,
    monitor: Child,
    pub address: String,
    log: PathBuf,
}

impl SessionBus {
    pub fn start(dir: &Path) -> SessionBus {
        use std::io::BufRead;
        let mut daemon = Command::new("dbus-daemon")
            .args(["--session", "--print-address=1", "--nofork"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("dbus-daemon (Debian package dbus)");
        let mut address = String::new();
        std::io::BufReader::new(daemon.stdout.take().unwrap())
            .read_line(&mut address)
            .unwrap();
        let address = address.trim().to_owned();
        let log = dir.join("dbus-monitor.log");
        let monitor = Command::new("dbus-monitor")
            .args([
                "--address",
                &address,
                "interface='org.freedesktop.Notifications'",
            ])
            .stdout(std::fs::File::create(&log).unwrap())
            .stderr(Stdio::null())
            .spawn()
            .expect("dbus-monitor (Debian package dbus-bin)");
        SessionBus {
            daemon,
            monitor,
            address,
            log,
        }
    }

    /// What the monitor saw so far.
    pub fn seen(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for SessionBus {
    fn drop(&mut self) {
        let _ = self.monitor.kill();
        let _ = self.daemon.kill();
        let _ = self.monitor.wait();
        let _ = self.daemon.wait();
    }
}
