//! Opening the app on a link (`rally://event/ID`, `rally://invite/CODE` and their
//! `https://` forms; see [`rally_ipc::Link`]).
//!
//! How a link arrives:
//! - as an argument when the app starts (the OS launches `rally-app URL` for a
//!   `rally://` link on Linux and Windows, from the bundle's URL-scheme entry):
//!   the UI takes it once it is up ([`Links::take`], command `take_link`);
//! - to an app that is already running on the same data directory: the second
//!   launch finds the first one's local socket (`app.sock` in the data
//!   directory; a named pipe on Windows), hands it the link and exits
//!   ([`forward`]); the first one emits [`rally_ipc::OPEN_LINK`] and comes to the
//!   front ([`serve`]). One app per data directory, not per user: people who
//!   keep unlinkable identities in separate directories run one app for each;
//! - from the OS through the deep-link plugin (macOS, Android, iOS).
//!
//! The socket lives in the data directory, so only its owner can reach it; a
//! connection may send one line of at most [`rally_ipc::MAX_LINK`] bytes, read
//! with a deadline, and anything that is not a Rally link is dropped.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use interprocess::local_socket::{ListenerOptions, Name, Stream, prelude::*};
use rally_ipc::{Link, MAX_LINK, OPEN_LINK};
use tauri::Emitter;
#[cfg(desktop)]
use tauri::Manager;

/// The link the app was started with, until the UI takes it.
#[derive(Debug, Default)]
pub struct Links(Mutex<Option<Link>>);

impl Links {
    /// The first argument that is a Rally link.
    pub fn from_args(args: &[String]) -> Links {
        Links(Mutex::new(args.iter().skip(1).find_map(|a| Link::parse(a))))
    }

    pub fn take(&self) -> Option<Link> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).take()
    }

    pub fn peek(&self) -> Option<Link> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

fn name(dir: &Path) -> std::io::Result<Name<'static>> {
    #[cfg(unix)]
    {
        use interprocess::local_socket::GenericFilePath;
        dir.join("app.sock")
            .into_os_string()
            .to_fs_name::<GenericFilePath>()
    }
    #[cfg(not(unix))]
    {
        use interprocess::local_socket::GenericNamespaced;
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        dir.hash(&mut h);
        format!("rally-app-{:016x}", h.finish()).to_ns_name::<GenericNamespaced>()
    }
}

/// Hands `link` to the app running on `dir`; false when none answers.
pub fn forward(dir: &Path, link: &Link) -> bool {
    let Ok(name) = name(dir) else { return false };
    let Ok(mut stream) = Stream::connect(name) else {
        return false;
    };
    let sent = stream.write_all(format!("{link}\n").as_bytes()).is_ok();
    // Wait for the other side's "ok", so the caller exits after delivery.
    let mut answer = String::new();
    sent && BufReader::new(stream)
        .take(16)
        .read_line(&mut answer)
        .is_ok()
        && answer.trim() == "ok"
}

/// Connections being read at once; more are turned away.
const MAX_READERS: usize = 8;

/// Listens on `dir` for links from later launches, on a thread of its own.
pub fn serve<R: tauri::Runtime>(handle: tauri::AppHandle<R>, dir: &Path) {
    let listener = match name(dir).and_then(|n| {
        ListenerOptions::new()
            .name(n)
            .try_overwrite(true)
            .create_sync()
    }) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("rally-app: links from other launches will not arrive: {e}");
            return;
        }
    };
    static READERS: AtomicUsize = AtomicUsize::new(0);
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            if READERS.fetch_add(1, Ordering::SeqCst) >= MAX_READERS {
                READERS.fetch_sub(1, Ordering::SeqCst);
                continue;
            }
            let handle = handle.clone();
            std::thread::spawn(move || {
                if let Some(link) = read_link(stream) {
                    open(&handle, link);
                }
                READERS.fetch_sub(1, Ordering::SeqCst);
            });
        }
    });
}

/// One line, at most [`MAX_LINK`] bytes, within a few seconds.
fn read_link(stream: Stream) -> Option<Link> {
    let _ = stream.set_recv_timeout(Some(std::time::Duration::from_secs(3)));
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    (&mut reader)
        .take(MAX_LINK as u64 + 1)
        .read_line(&mut line)
        .ok()?;
    let link = Link::parse(&line)?;
    let _ = reader.get_mut().write_all(b"ok\n");
    Some(link)
}

/// Shows `link` in the UI and, on the desktop, brings the window to the front
/// (on phones the OS has already brought the app up to open the link).
pub fn open<R: tauri::Runtime>(handle: &tauri::AppHandle<R>, link: Link) {
    let _ = handle.emit(OPEN_LINK, link);
    #[cfg(desktop)]
    if let Some(window) = handle.get_webview_window("main") {
        let _ = window.unminimize();
        let _ = window.set_focus();
    }
}
