//! Rally's app shell (Tauri 2): the engine runs here, the Dioxus UI (`app/ui`,
//! wasm) runs in the webview and calls the commands below with the types of
//! `rally-ipc`.
//!
//! How the parts connect:
//! - the commands are async: each sends its work to the service's thread
//!   ([`rally_service::ServiceHandle`], which owns the store's connection), where
//!   [`engine`] runs the use case and makes the IPC result, and awaits it — so
//!   neither the UI thread nor an async worker ever waits on SQLite;
//! - a sync node (`rally-net`) for the current persona runs on a thread of its
//!   own with its own store connection (mDNS on the local network, and the server
//!   chosen in the settings), and is restarted when the persona changes; a task on
//!   the async runtime follows its events into the sync status;
//! - a watcher polls the store's change cursor and emits [`rally_ipc::CHANGED`]
//!   whenever anything wrote to the store — a command, the node, or another
//!   process on the same data directory (`rally sync`, the CLI) — so screens
//!   update live;
//! - the node pauses while the app is in the background (the UI reports its
//!   visibility, command `set_foreground`) and starts again on return; on
//!   Android the `rally-lan` plugin holds the multicast lock mDNS needs only
//!   while the node runs;
//! - devices that cannot find each other by mDNS pair by QR code
//!   ([`pairing`]): the node also dials the addresses of the devices paired
//!   since the app started;
//! - [`run`] is also the mobile entry point.

pub mod dates;
pub mod engine;
pub mod links;
pub mod maps;
pub mod moderation;
pub mod pairing;
pub mod reminders;
pub mod repeat;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rally_core::jiff::Timestamp;
use rally_ipc::{self as ipc, Command, cmd};
use rally_net::{Node, NodeConfig, NodeEvent, Transport};
use rally_service::{Service, ServiceHandle};
use rally_store::{Store, SyncRepo};
use serde::{Deserialize, Serialize};
use tauri::{Emitter, Manager, State};

/// Settings kept beside the store (`app.json` in the data directory).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Settings {
    pub server: String,
    pub invite: String,
    /// A tile server chosen here (a URL with {z}, {x}, {y}); empty: the one
    /// the user's server offers.
    #[serde(default)]
    pub tiles: String,
    /// The credit that tile server's terms require.
    #[serde(default)]
    pub tiles_attribution: String,
    /// Who answers address searches (default: the user's server).
    #[serde(default)]
    pub geocoder: Option<ipc::GeocoderMode>,
    /// With a direct geocoder: its kind and address.
    #[serde(default)]
    pub provider: Option<ipc::GeocoderKind>,
    #[serde(default)]
    pub provider_url: String,
}

impl Settings {
    /// The tile server chosen here, if any (shown, never kept offline: its
    /// terms are unknown).
    pub fn tile_source(&self) -> Option<rally_webclient::tiles::TileSource> {
        let t = self.tiles.trim();
        (!t.is_empty()).then(|| rally_webclient::tiles::TileSource {
            template: t.to_owned(),
            attribution: self.tiles_attribution.trim().to_owned(),
            max_zoom: 19,
            keep: false,
        })
    }
}

/// The shell's state: the service the commands use, and the sync node's status.
pub struct App {
    pub dir: PathBuf,
    /// The service on the open store; empty while the store waits for its
    /// passphrase (the lock screen's `unlock` fills it).
    service: std::sync::RwLock<Option<ServiceHandle>>,
    /// Bumped each time the store is locked: the watcher of the store as it
    /// was unlocked stops.
    opened: Arc<std::sync::atomic::AtomicU64>,
    /// The reminder task runs once for the app's life (it waits while locked).
    reminding: AtomicBool,
    /// When the app went to the background.
    hidden_since: Mutex<Option<std::time::Instant>>,
    pub sync: Arc<Mutex<ipc::SyncStatus>>,
    node: Mutex<Option<tauri::async_runtime::JoinHandle<()>>>,
    /// No sync node (tests, or `--no-sync`).
    offline: bool,
    /// Local discovery (off with `--no-mdns`).
    mdns: bool,
    /// The app is on screen; the node runs only then.
    foreground: AtomicBool,
    /// Devices paired by QR code since the app started: dialled by the node.
    paired: Mutex<Vec<rally_net::Address>>,
    /// The node's transport key while the app runs (a new one at each launch,
    /// so runs cannot be linked), and the ports it last listened on (QUIC,
    /// TCP; 0 for any).
    transport_key: rally_net::Keypair,
    ports: Arc<Mutex<(u16, u16)>>,
    /// Told when the node starts (`true`) and stops: the platform's
    /// local-network glue (the `rally-lan` plugin).
    on_sync: Mutex<Option<SyncHook>>,
    /// Geocoders and tile servers.
    pub web: maps::Web,
}

/// See [`App::on_sync`].
type SyncHook = Box<dyn Fn(bool) + Send + Sync>;

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App")
            .field("dir", &self.dir)
            .field("offline", &self.offline)
            .field("mdns", &self.mdns)
            .finish_non_exhaustive()
    }
}

/// The service's own thread, on an open store.
fn spawn_service(dir: &Path, svc: Service) -> Result<ServiceHandle, rally_service::ServiceError> {
    ServiceHandle::spawn(svc, "rally-service").map_err(|source| {
        rally_service::ServiceError::from(rally_store::StoreError::Io {
            path: dir.to_owned(),
            source,
        })
    })
}

/// Whether the app, back on screen after `hidden_for` in the background,
/// locks itself under a lock that says `after` seconds.
fn locks_on_return(after: Option<u32>, hidden_for: Option<Duration>) -> bool {
    match (after, hidden_for) {
        (Some(after), Some(hidden)) => hidden >= Duration::from_secs(after.into()),
        _ => false,
    }
}

/// The store is sealed by a passphrase nobody gave yet (or gave wrong).
fn is_waiting_for_passphrase(e: &rally_service::ServiceError) -> bool {
    matches!(
        e,
        rally_service::ServiceError::Store(s) if matches!(
            **s,
            rally_store::StoreError::PassphraseNeeded | rally_store::StoreError::WrongPassphrase
        )
    )
}

impl App {
    /// Opens the device's store in `dir` (encrypted at rest; see
    /// `rally_service::at_rest`). A store sealed by a passphrase stays locked
    /// until the `unlock` command is given it (`RALLY_PASSPHRASE` opens it at
    /// once).
    pub fn open(dir: &Path, offline: bool) -> Result<App, rally_service::ServiceError> {
        let passphrase = std::env::var("RALLY_PASSPHRASE").ok();
        let mut service = None;
        match Service::open_device(dir, passphrase.as_deref()) {
            Ok((svc, _)) => service = Some(spawn_service(dir, svc)?),
            Err(e) if is_waiting_for_passphrase(&e) => {}
            Err(e) => return Err(e),
        }
        Ok(App {
            dir: dir.to_owned(),
            service: std::sync::RwLock::new(service),
            opened: Arc::default(),
            reminding: AtomicBool::new(false),
            hidden_since: Mutex::new(None),
            sync: Arc::new(Mutex::new(ipc::SyncStatus {
                running: false,
                listening: Vec::new(),
                peers: Vec::new(),
                server: None,
                last_sync: None,
                pending: 0,
                error: None,
                relayed: Vec::new(),
                paired: 0,
            })),
            node: Mutex::new(None),
            offline,
            mdns: true,
            foreground: AtomicBool::new(true),
            paired: Mutex::new(Vec::new()),
            transport_key: rally_net::Keypair::generate_ed25519(),
            ports: Arc::new(Mutex::new((0, 0))),
            on_sync: Mutex::new(None),
            web: maps::Web::default(),
        })
    }

    /// Without local discovery (`--no-mdns`): peers come from the server and
    /// from pairing only.
    pub fn without_mdns(mut self) -> App {
        self.mdns = false;
        self
    }

    /// `hook` is told when the node starts and stops.
    pub fn on_sync(&self, hook: impl Fn(bool) + Send + Sync + 'static) {
        *self.on_sync.lock().unwrap_or_else(|e| e.into_inner()) = Some(Box::new(hook));
    }

    fn tell_sync(&self, running: bool) {
        if let Some(hook) = &*self.on_sync.lock().unwrap_or_else(|e| e.into_inner()) {
            hook(running);
        }
    }

    /// The app went to the background (`false`) or came back: the node stops
    /// and starts again. Whatever the OS does to a background app, the store
    /// stays consistent: every write is one SQLite transaction.
    /// The app is on screen or not. Back on screen after longer in the
    /// background than the lock allows, a store sealed by a passphrase locks
    /// itself (whether it did is returned).
    pub fn set_foreground(&self, visible: bool) -> bool {
        if self.foreground.swap(visible, Ordering::SeqCst) == visible {
            return false;
        }
        let hidden_since = {
            let mut since = self.hidden_since.lock().unwrap_or_else(|e| e.into_inner());
            if visible {
                since.take()
            } else {
                *since = Some(std::time::Instant::now());
                None
            }
        };
        if visible {
            let after = rally_store::at_rest::lock_info(&self.dir)
                .ok()
                .and_then(|l| l.lock_after_hidden);
            if !self.is_locked()
                && locks_on_return(after, hidden_since.map(|t| t.elapsed()))
                && self.lock().is_ok()
            {
                return true;
            }
            self.restart_node();
        } else {
            self.stop_node();
            let mut status = self.sync.lock().unwrap_or_else(|e| e.into_inner());
            status.running = false;
            status.peers.clear();
        }
        false
    }

    /// Adds the devices a pairing code names and dials them (the node starts
    /// again with them); how many addresses it dials.
    pub fn pair(&self, text: &str) -> CmdResult<usize> {
        let addresses = pairing::addresses(text)?;
        let count = addresses.len();
        {
            let mut paired = self.paired.lock().unwrap_or_else(|e| e.into_inner());
            for a in addresses {
                if !paired.contains(&a) {
                    paired.push(a);
                }
            }
            // Old pairings go first when one device is paired again and again.
            let excess = paired.len().saturating_sub(4 * ipc::MAX_PAIR_ADDRESSES);
            paired.drain(..excess);
        }
        self.restart_node();
        Ok(count)
    }

    /// This device's pairing code and its QR code, once the node listens.
    pub fn pairing(&self) -> CmdResult<Option<ipc::Pairing>> {
        let (listening, relayed) = {
            let s = self.sync.lock().unwrap_or_else(|e| e.into_inner());
            (s.listening.clone(), s.relayed.clone())
        };
        let Some(link) = pairing::link(&listening, &relayed) else {
            return Ok(None);
        };
        let text = link.to_string();
        Ok(Some(ipc::Pairing {
            qr_svg: pairing::qr_svg(&text)?,
            text,
        }))
    }

    fn stop_node(&self) {
        if let Some(old) = self.node.lock().unwrap_or_else(|e| e.into_inner()).take() {
            old.abort();
            self.tell_sync(false);
        }
    }

    /// The user's server's web address (learnt when syncing with it).
    async fn server_url(&self) -> Option<String> {
        self.service()
            .ok()?
            .call(|s| s.store().server_url())
            .await
            .ok()?
            .ok()?
    }

    /// Who answers address searches, as the settings say.
    async fn geocoder(&self) -> rally_webclient::places::Geocoder {
        use rally_webclient::places::Geocoder;
        let settings = self.settings();
        match settings.geocoder.unwrap_or(ipc::GeocoderMode::Server) {
            ipc::GeocoderMode::Offline => Geocoder::Offline,
            ipc::GeocoderMode::Direct => {
                match settings.provider.and_then(|k| k.as_str().parse().ok()) {
                    Some(provider) => Geocoder::Direct {
                        provider,
                        url: settings.provider_url,
                    },
                    None => Geocoder::Offline,
                }
            }
            ipc::GeocoderMode::Server => self
                .server_url()
                .await
                .map_or(Geocoder::Offline, Geocoder::Server),
        }
    }

    fn save_settings(&self, settings: &Settings) -> CmdResult<()> {
        let path = self.dir.join("app.json");
        std::fs::write(
            &path,
            serde_json::to_vec_pretty(settings).expect("settings serialise"),
        )
        .map_err(|source| engine::EngineError::File {
            path: path.display().to_string(),
            source,
        })?;
        Ok(())
    }

    fn settings(&self) -> Settings {
        std::fs::read(self.dir.join("app.json"))
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or_default()
    }

    /// The service, once the store is open.
    pub fn service(&self) -> Result<ServiceHandle, engine::EngineError> {
        self.service
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
            .ok_or(engine::EngineError::Locked)
    }

    /// Locks a store sealed by a passphrase now: the sync node stops, the
    /// service and the watcher close their connections, and the key is
    /// forgotten; the lock screen asks for the passphrase again.
    pub fn lock(&self) -> Result<(), engine::EngineError> {
        let (protection, _) =
            rally_service::at_rest::keeping(&self.dir).map_err(engine::EngineError::from)?;
        if protection != rally_store::at_rest::Protection::Passphrase {
            return Err(engine::EngineError::Refused(
                "set a passphrase first: without one, nothing asks for it".into(),
            ));
        }
        self.stop_node();
        *self.service.write().unwrap_or_else(|e| e.into_inner()) = None;
        self.opened.fetch_add(1, Ordering::SeqCst);
        rally_store::at_rest::forget(&self.dir);
        Ok(())
    }

    /// Whether the store waits for its passphrase.
    pub fn is_locked(&self) -> bool {
        self.service
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .is_none()
    }

    /// Runs `f` on the service's thread and awaits its answer.
    async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Service) -> engine::Result<T> + Send + 'static,
    ) -> CmdResult<T> {
        Ok(self
            .service()?
            .call(f)
            .await
            .map_err(engine::EngineError::from)??)
    }

    /// (Re)starts the sync node for the current persona.
    pub fn restart_node(&self) {
        if self.offline || !self.foreground.load(Ordering::SeqCst) {
            return;
        }
        self.stop_node();
        let settings = self.settings();
        let paired = self
            .paired
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        let mdns = self.mdns;
        let (key, ports) = (self.transport_key.clone(), self.ports.clone());
        let status = self.sync.clone();
        let dir = self.dir.clone();
        let Ok(service) = self.service() else {
            return;
        };
        let handle = tauri::async_runtime::spawn(async move {
            let me = match service.call(|s| s.current_persona()).await {
                Ok(Ok(Some(p))) => p,
                _ => return,
            };
            let set = |f: &dyn Fn(&mut ipc::SyncStatus)| {
                f(&mut status.lock().unwrap_or_else(|e| e.into_inner()));
            };
            let servers: Vec<_> = settings
                .server
                .split_whitespace()
                .filter_map(|a| a.parse().ok())
                .collect();
            set(&|s| {
                *s = ipc::SyncStatus {
                    running: true,
                    listening: Vec::new(),
                    peers: Vec::new(),
                    server: (!settings.server.is_empty()).then(|| settings.server.clone()),
                    last_sync: None,
                    pending: 0,
                    error: None,
                    relayed: Vec::new(),
                    paired: paired.len(),
                }
            });
            // The same transport key and, when they are free, the same ports
            // as the last run of the node since the app started: a device
            // paired by QR code finds this one again after a pause.
            let remembered = *ports.lock().unwrap_or_else(|e| e.into_inner());
            let mut result = Ok(Default::default());
            for attempt in 0..4 {
                let (quic, tcp) = if attempt < 3 { remembered } else { (0, 0) };
                let config = NodeConfig {
                    listen: [
                        format!("/ip4/0.0.0.0/udp/{quic}/quic-v1"),
                        format!("/ip4/0.0.0.0/tcp/{tcp}"),
                    ]
                    .iter()
                    .filter_map(|a| a.parse().ok())
                    .collect(),
                    servers: servers.clone(),
                    peers: paired.clone(),
                    invite: (!settings.invite.is_empty()).then(|| settings.invite.clone()),
                    ..NodeConfig::default()
                };
                // The node and its store connection on a thread of their own; this
                // task only follows its events. Dropping the task (a restart) drops
                // the handle, which stops the node between two events.
                let (events, mut from_node) = tokio::sync::mpsc::unbounded_channel();
                let (dir, key) = (dir.clone(), key.clone());
                let me = me.clone();
                let make = move || {
                    let store =
                        Store::open(&dir).map_err(|e| rally_net::NetError::Store(Box::new(e)))?;
                    let transport = Transport {
                        identity: Some(key),
                        ..Transport::device(mdns)
                    };
                    Node::new(SyncRepo::new(store, me), transport)
                };
                let mut node = match rally_net::thread::spawn("rally-node", make, config, events) {
                    Ok(n) => n,
                    Err(e) => return set(&|s| s.error = Some(e.to_string())),
                };
                let on_event = |event| match event {
                    NodeEvent::Listening(a) => {
                        remember_port(&ports, &a);
                        set(&|s| s.listening.push(a.to_string()))
                    }
                    NodeEvent::Relayed(a) => set(&|s| s.relayed.push(a.to_string())),
                    NodeEvent::PeerAuthenticated { peer, persona } => set(&|s| {
                        s.peers.retain(|p| p.peer != peer.to_string());
                        s.peers.push(ipc::Peer {
                            peer: peer.to_string(),
                            persona: persona.clone(),
                        });
                    }),
                    NodeEvent::PeerDropped { peer, .. } => {
                        set(&|s| s.peers.retain(|p| p.peer != peer.to_string()))
                    }
                    NodeEvent::RefusedBy { reason, .. } => {
                        set(&|s| s.error = Some(format!("the server refused: {reason}")))
                    }
                    NodeEvent::Progress { docs_wanted, .. } => set(&|s| s.pending = docs_wanted),
                    NodeEvent::ServerUrl { url, .. } => {
                        let _ = service.call_blocking(move |s| s.store().set_server_url(&url));
                    }
                    NodeEvent::Synced { .. } => set(&|s| {
                        s.last_sync = Some(
                            Timestamp::now()
                                .to_zoned_datetime(rally_core::jiff::tz::TimeZone::system())
                                .strftime("%H:%M:%S")
                                .to_string(),
                        )
                    }),
                    _ => {}
                };
                result = loop {
                    tokio::select! {
                        Some(event) = from_node.recv() => on_event(event),
                        r = node.finished() => break r,
                    }
                };
                // The last run's ports may still be held for a moment by its
                // thread, or taken since: try again, then take any.
                if matches!(result, Err(rally_net::NetError::Listen { .. })) && attempt < 3 {
                    tokio::time::sleep(Duration::from_millis(250)).await;
                    continue;
                }
                break;
            }
            if let Err(e) = result {
                set(&|s| {
                    s.running = false;
                    s.error = Some(e.to_string());
                });
            }
        });
        *self.node.lock().unwrap_or_else(|e| e.into_inner()) = Some(handle);
        self.tell_sync(true);
    }
}

/// Keeps the port of a wildcard listening address (QUIC or TCP) for the next
/// run of the node.
fn remember_port(ports: &Mutex<(u16, u16)>, address: &rally_net::Address) {
    use rally_net::Protocol;
    let parts: Vec<_> = address.iter().collect();
    let mut ports = ports.lock().unwrap_or_else(|e| e.into_inner());
    match parts.as_slice() {
        [Protocol::Ip4(_), Protocol::Udp(p), Protocol::QuicV1, ..] => ports.0 = *p,
        [Protocol::Ip4(_), Protocol::Tcp(p), ..] => ports.1 = *p,
        _ => {}
    }
}

type CmdResult<T> = Result<T, ipc::AppError>;
/// A command's argument and result, as [`ipc::cmd`] declares them.
type Args<C> = <C as Command>::Args;
type Out<C> = CmdResult<<C as Command>::Output>;

#[tauri::command]
async fn state(app: State<'_, App>) -> Out<cmd::State> {
    let dir = app.dir.display().to_string();
    app.run(move |s| engine::state(s, &dir)).await
}

#[tauri::command]
async fn create_persona(
    app: State<'_, App>,
    args: Args<cmd::CreatePersona>,
) -> Out<cmd::CreatePersona> {
    app.run(move |s| engine::create_persona(s, &args.name))
        .await?;
    app.restart_node();
    Ok(())
}

#[tauri::command]
async fn switch_persona(
    app: State<'_, App>,
    args: Args<cmd::SwitchPersona>,
) -> Out<cmd::SwitchPersona> {
    app.run(move |s| engine::switch_persona(s, &args.id))
        .await?;
    app.restart_node();
    Ok(())
}

#[tauri::command]
async fn events(app: State<'_, App>, args: Args<cmd::Events>) -> Out<cmd::Events> {
    app.run(move |s| engine::events(s, &args)).await
}

#[tauri::command]
async fn event(app: State<'_, App>, args: Args<cmd::Event>) -> Out<cmd::Event> {
    app.run(move |s| engine::event(s, &args.id)).await
}

#[tauri::command]
async fn save_event(app: State<'_, App>, args: Args<cmd::SaveEvent>) -> Out<cmd::SaveEvent> {
    app.run(move |s| engine::save_event(s, &args)).await
}

#[tauri::command]
async fn cancel_event(app: State<'_, App>, args: Args<cmd::CancelEvent>) -> Out<cmd::CancelEvent> {
    app.run(move |s| engine::cancel_event(s, &args.id)).await
}

#[tauri::command]
async fn rsvp(app: State<'_, App>, args: Args<cmd::Rsvp>) -> Out<cmd::Rsvp> {
    app.run(move |s| engine::rsvp(s, &args)).await
}

#[tauri::command]
async fn comment(app: State<'_, App>, args: Args<cmd::Comment>) -> Out<cmd::Comment> {
    app.run(move |s| engine::comment(s, &args)).await
}

/// Writes the event's .ics file to the Downloads folder (or the data directory).
#[tauri::command]
async fn export_ics(app: State<'_, App>, args: Args<cmd::ExportIcs>) -> Out<cmd::ExportIcs> {
    let id = args.id.clone();
    let (name, text) = app.run(move |s| engine::ics(s, &id)).await?;
    let dir = directories::UserDirs::new()
        .and_then(|u| u.download_dir().map(Path::to_owned))
        .filter(|d| d.is_dir())
        .unwrap_or_else(|| app.dir.clone());
    let path = dir.join(name);
    std::fs::write(&path, text).map_err(|source| engine::EngineError::File {
        path: path.display().to_string(),
        source,
    })?;
    Ok(ipc::Saved {
        id: args.id,
        path: Some(path.display().to_string()),
    })
}

#[tauri::command]
async fn groups(app: State<'_, App>) -> Out<cmd::Groups> {
    app.run(|s| engine::groups(s)).await
}

#[tauri::command]
async fn group(app: State<'_, App>, args: Args<cmd::Group>) -> Out<cmd::Group> {
    app.run(move |s| engine::group(s, &args.id)).await
}

#[tauri::command]
async fn create_group(app: State<'_, App>, args: Args<cmd::CreateGroup>) -> Out<cmd::CreateGroup> {
    app.run(move |s| engine::create_group(s, &args)).await
}

#[tauri::command]
async fn invite(app: State<'_, App>, args: Args<cmd::Invite>) -> Out<cmd::Invite> {
    app.run(move |s| engine::invite(s, &args.id)).await
}

#[tauri::command]
async fn join_group(app: State<'_, App>, args: Args<cmd::JoinGroup>) -> Out<cmd::JoinGroup> {
    app.run(move |s| engine::join_group(s, &args.token)).await
}

#[tauri::command]
async fn send_message(app: State<'_, App>, args: Args<cmd::SendMessage>) -> Out<cmd::SendMessage> {
    app.run(move |s| engine::send_message(s, &args)).await
}

#[tauri::command]
async fn set_disappearing(
    app: State<'_, App>,
    args: Args<cmd::SetDisappearing>,
) -> Out<cmd::SetDisappearing> {
    app.run(move |s| engine::set_disappearing(s, &args)).await
}

#[tauri::command]
async fn follow_group(app: State<'_, App>, args: Args<cmd::FollowGroup>) -> Out<cmd::FollowGroup> {
    app.run(move |s| engine::follow_group(s, &args)).await
}

#[tauri::command]
async fn set_role(app: State<'_, App>, args: Args<cmd::SetRole>) -> Out<cmd::SetRole> {
    app.run(move |s| engine::set_role(s, &args)).await
}

#[tauri::command]
async fn remove_member(
    app: State<'_, App>,
    args: Args<cmd::RemoveMember>,
) -> Out<cmd::RemoveMember> {
    app.run(move |s| engine::remove_member(s, &args)).await
}

#[tauri::command]
async fn add_link(app: State<'_, App>, args: Args<cmd::AddLink>) -> Out<cmd::AddLink> {
    app.run(move |s| engine::add_link(s, &args)).await
}

#[tauri::command]
fn sync_status(app: State<'_, App>) -> Out<cmd::SyncStatus> {
    Ok(app.sync.lock().unwrap_or_else(|e| e.into_inner()).clone())
}

#[tauri::command]
async fn news(app: State<'_, App>) -> Out<cmd::News> {
    app.run(|s| engine::news(s)).await
}

#[tauri::command]
async fn mark_seen(app: State<'_, App>, args: Args<cmd::MarkSeen>) -> Out<cmd::MarkSeen> {
    app.run(move |s| engine::mark_seen(s, &args.id)).await
}

#[tauri::command]
async fn picture(app: State<'_, App>, args: Args<cmd::Picture>) -> Out<cmd::Picture> {
    app.run(move |s| engine::picture(s, &args.id)).await
}

#[tauri::command]
async fn set_picture(app: State<'_, App>, args: Args<cmd::SetPicture>) -> Out<cmd::SetPicture> {
    app.run(move |s| engine::set_picture(s, &args)).await
}

#[tauri::command]
fn take_link(links: State<'_, links::Links>) -> Out<cmd::TakeLink> {
    Ok(links.take())
}

#[tauri::command]
fn set_language(args: Args<cmd::SetLanguage>) -> Out<cmd::SetLanguage> {
    dates::set_language(args);
    Ok(())
}

#[tauri::command]
fn set_server(app: State<'_, App>, args: Args<cmd::SetServer>) -> Out<cmd::SetServer> {
    let address = args.address.trim().to_owned();
    if !address.is_empty() && address.parse::<rally_net::Address>().is_err() {
        return Err(ipc::AppError {
            message: format!(
                "{address:?} is not a server address (it looks like /ip4/…/p2p/12D3…)"
            ),
        });
    }
    let settings = Settings {
        server: address,
        invite: args.invite.trim().to_owned(),
        ..app.settings()
    };
    app.save_settings(&settings)?;
    app.restart_node();
    Ok(())
}

/// What runs once the store is open: the watch for changes, reminders, and
/// the sync node.
fn start<R: tauri::Runtime>(handle: &tauri::AppHandle<R>) {
    let app: State<'_, App> = handle.state();
    watch(handle.clone(), app.dir.clone(), app.opened.clone());
    if !app.reminding.swap(true, Ordering::SeqCst) {
        reminders::watch(handle.clone());
    }
    app.restart_node();
}

/// Emits [`ipc::CHANGED`] whenever the store's change cursor moves (or a
/// persona or a picture arrives, or disappearing messages went), on its own
/// thread and connection.
fn watch<R: tauri::Runtime>(
    handle: tauri::AppHandle<R>,
    dir: PathBuf,
    opened: Arc<std::sync::atomic::AtomicU64>,
) {
    let generation = opened.load(Ordering::SeqCst);
    std::thread::spawn(move || {
        let Ok(mut store) = Store::open(&dir) else {
            return;
        };
        let mut last = store.change_cursor().unwrap_or(0);
        let mut personas = store.personas().map(|p| p.len()).unwrap_or(0);
        let mut pictures = store.blob_cursor().unwrap_or(0);
        loop {
            std::thread::sleep(Duration::from_millis(250));
            if opened.load(Ordering::SeqCst) != generation {
                // Locked: this connection, and its key, go.
                return;
            }
            // Disappearing messages go on time, synced or not; the chat
            // shown is read again.
            let swept = store
                .sweep_if_due(Timestamp::now())
                .ok()
                .flatten()
                .is_some_and(|s| s.messages > 0);
            let cursor = store.change_cursor().unwrap_or(last);
            let now_personas = store.personas().map(|p| p.len()).unwrap_or(personas);
            let now_pictures = store.blob_cursor().unwrap_or(pictures);
            if swept || cursor != last || now_personas != personas || now_pictures != pictures {
                last = cursor;
                personas = now_personas;
                pictures = now_pictures;
                let _ = handle.emit(ipc::CHANGED, ipc::Changed { cursor });
            }
        }
    });
}

/// The data directory: `--data DIR` (or `RALLY_DATA`), else the user's data dir.
pub fn data_dir(args: &[String]) -> PathBuf {
    let mut it = args.iter();
    while let Some(a) = it.next() {
        if a == "--data"
            && let Some(d) = it.next()
        {
            return PathBuf::from(d);
        }
        if let Some(d) = a.strip_prefix("--data=") {
            return PathBuf::from(d);
        }
    }
    if let Some(d) = std::env::var_os("RALLY_DATA") {
        return PathBuf::from(d);
    }
    directories::ProjectDirs::from("org", "Rally", "rally")
        .map(|p| p.data_dir().to_owned())
        .unwrap_or_else(|| PathBuf::from("rally-data"))
}

/// `builder` with the commands the UI may call.
pub fn with_commands<R: tauri::Runtime>(builder: tauri::Builder<R>) -> tauri::Builder<R> {
    builder.invoke_handler(tauri::generate_handler![
        state,
        lock_state,
        unlock,
        lock,
        set_lock,
        create_persona,
        switch_persona,
        events,
        event,
        save_event,
        cancel_event,
        rsvp,
        comment,
        export_ics,
        groups,
        group,
        create_group,
        invite,
        join_group,
        send_message,
        sync_status,
        set_server,
        set_language,
        follow_group,
        set_disappearing,
        set_role,
        remove_member,
        add_link,
        take_link,
        news,
        mark_seen,
        picture,
        set_picture,
        place_search,
        place_reverse,
        set_map,
        keep_map,
        map_tiles,
        map_events,
        map_settings,
        set_map_settings,
        calendar_feed,
        describe_repeat,
        set_occurrence,
        edit_occurrence,
        reminders,
        retention,
        set_keep_months,
        fetch_again,
        fetch_older,
        set_reminders,
        set_event_reminders,
        report,
        group_moderation,
        ban,
        request_to_join,
        answer_request,
        list_in_group,
        pairing,
        pair,
        set_foreground,
        server_policies,
        wipe,
    ])
}

/// Panic wipe: the node stops, the service destroys the keys and then the
/// files, and the app quits (nothing is left for it to show).
#[tauri::command]
async fn wipe<R: tauri::Runtime>(
    app: State<'_, App>,
    handle: tauri::AppHandle<R>,
    args: Args<cmd::Wipe>,
) -> Out<cmd::Wipe> {
    if !args.yes {
        return Err(engine::EngineError::Refused("a wipe must be confirmed".into()).into());
    }
    app.stop_node();
    app.run(|s| Ok(s.wipe().map(|_| ())?)).await?;
    handle.exit(0);
    Ok(())
}

fn lock_state_of(app: &App) -> CmdResult<ipc::LockState> {
    use rally_store::at_rest::Protection;
    let (protection, lock) =
        rally_service::at_rest::keeping(&app.dir).map_err(engine::EngineError::from)?;
    Ok(ipc::LockState {
        locked: app.is_locked(),
        keeping: match protection {
            Protection::None => ipc::KeyKeeping::None,
            Protection::Keystore { keystore } => ipc::KeyKeeping::Keystore(keystore),
            Protection::Passphrase => ipc::KeyKeeping::Passphrase,
            Protection::File => ipc::KeyKeeping::File,
        },
        wipe_after: lock.wipe_after,
        failed: lock.failed,
        duress: lock.duress,
        lock_after_hidden: lock.lock_after_hidden,
    })
}

#[tauri::command]
async fn lock_state(app: State<'_, App>) -> Out<cmd::LockState> {
    lock_state_of(&app)
}

#[tauri::command]
async fn unlock<R: tauri::Runtime>(
    app: State<'_, App>,
    handle: tauri::AppHandle<R>,
    args: Args<cmd::Unlock>,
) -> Out<cmd::Unlock> {
    if !app.is_locked() {
        return Ok(());
    }
    let dir = app.dir.clone();
    let passphrase = zeroize::Zeroizing::new(args.passphrase);
    // Argon2id and SQLite: off the async workers.
    let opened = tauri::async_runtime::spawn_blocking(move || {
        match Service::open_device(&dir, Some(passphrase.as_str())) {
            // Wiped (the duress passphrase, or one wrong passphrase too
            // many): a new, empty store, as on a new phone.
            Err(rally_service::ServiceError::Store(e))
                if matches!(*e, rally_store::StoreError::Wiped) =>
            {
                Service::open_device(&dir, None)
            }
            other => other,
        }
    })
    .await
    .map_err(|e| engine::EngineError::Refused(e.to_string()))?
    .map_err(engine::EngineError::from)?;
    let service = spawn_service(&app.dir, opened.0).map_err(engine::EngineError::from)?;
    let fresh = {
        let mut slot = app.service.write().unwrap_or_else(|e| e.into_inner());
        let fresh = slot.is_none();
        if fresh {
            *slot = Some(service);
        }
        fresh
    };
    if fresh {
        start(&handle);
    }
    let _ = handle.emit(ipc::CHANGED, ipc::Changed { cursor: 0 });
    Ok(())
}

#[tauri::command]
async fn lock<R: tauri::Runtime>(
    app: State<'_, App>,
    handle: tauri::AppHandle<R>,
) -> Out<cmd::Lock> {
    app.lock()?;
    let _ = handle.emit(ipc::CHANGED, ipc::Changed { cursor: 0 });
    Ok(())
}

#[tauri::command]
async fn set_lock(app: State<'_, App>, args: Args<cmd::SetLock>) -> Out<cmd::SetLock> {
    app.run(move |s| {
        match &args {
            ipc::LockChange::Set {
                passphrase,
                wipe_after,
                duress,
                lock_after_hidden,
            } => s.seal(
                passphrase,
                rally_store::at_rest::LockRules {
                    wipe_after: *wipe_after,
                    duress: duress.as_deref(),
                    lock_after_hidden: *lock_after_hidden,
                },
            )?,
            ipc::LockChange::Remove => s.protect(None)?,
        };
        Ok(())
    })
    .await?;
    lock_state_of(&app)
}

#[tauri::command]
async fn server_policies(app: State<'_, App>) -> Out<cmd::ServerPolicies> {
    app.run(|s| engine::server_policies(s)).await
}

#[tauri::command]
async fn pairing(app: State<'_, App>) -> Out<cmd::Pairing> {
    app.pairing()
}

#[tauri::command]
async fn pair(app: State<'_, App>, args: Args<cmd::Pair>) -> Out<cmd::Pair> {
    app.pair(&args.text)
}

#[tauri::command]
async fn set_foreground<R: tauri::Runtime>(
    app: State<'_, App>,
    handle: tauri::AppHandle<R>,
    args: Args<cmd::SetForeground>,
) -> Out<cmd::SetForeground> {
    if app.set_foreground(args.visible) {
        let _ = handle.emit(ipc::CHANGED, ipc::Changed { cursor: 0 });
    }
    Ok(())
}

#[tauri::command]
async fn retention(app: State<'_, App>) -> Out<cmd::Retention> {
    app.run(engine::retention).await
}

#[tauri::command]
async fn set_keep_months(
    app: State<'_, App>,
    args: Args<cmd::SetKeepMonths>,
) -> Out<cmd::SetKeepMonths> {
    app.run(move |s| {
        s.set_keep_months(args.months)?;
        engine::retention(s)
    })
    .await
}

#[tauri::command]
async fn fetch_again(app: State<'_, App>, args: Args<cmd::FetchAgain>) -> Out<cmd::FetchAgain> {
    app.run(move |s| {
        s.fetch_again(&args.id)?;
        Ok(())
    })
    .await
}

#[tauri::command]
async fn fetch_older(app: State<'_, App>, args: Args<cmd::FetchOlder>) -> Out<cmd::FetchOlder> {
    app.run(move |s| {
        s.fetch_older(&args.id)?;
        Ok(())
    })
    .await
}

#[tauri::command]
async fn reminders(app: State<'_, App>) -> Out<cmd::Reminders> {
    app.run(|s| {
        let r = s.reminder_settings()?;
        Ok(ipc::Reminders {
            on: r.on,
            before: r.before,
        })
    })
    .await
}

#[tauri::command]
async fn set_reminders(
    app: State<'_, App>,
    args: Args<cmd::SetReminders>,
) -> Out<cmd::SetReminders> {
    app.run(move |s| {
        s.set_reminder_settings(&rally_service::reminders::ReminderSettings {
            on: args.on,
            before: args.before.clone(),
        })?;
        Ok(())
    })
    .await
}

#[tauri::command]
async fn report(app: State<'_, App>, args: Args<cmd::Report>) -> Out<cmd::Report> {
    app.run(move |s| moderation::report(s, &args)).await
}

#[tauri::command]
async fn group_moderation(
    app: State<'_, App>,
    args: Args<cmd::GroupModeration>,
) -> Out<cmd::GroupModeration> {
    app.run(move |s| moderation::group_moderation(s, &args.id))
        .await
}

#[tauri::command]
async fn ban(app: State<'_, App>, args: Args<cmd::Ban>) -> Out<cmd::Ban> {
    app.run(move |s| moderation::ban(s, &args)).await
}

#[tauri::command]
async fn list_in_group(app: State<'_, App>, args: Args<cmd::ListInGroup>) -> Out<cmd::ListInGroup> {
    app.run(move |s| {
        s.list_in_group(
            &args.group,
            &args.event,
            args.listed,
            rally_core::moderation::Grounds::default(),
        )?;
        Ok(())
    })
    .await
}

#[tauri::command]
async fn request_to_join(
    app: State<'_, App>,
    args: Args<cmd::RequestToJoin>,
) -> Out<cmd::RequestToJoin> {
    app.run(move |s| {
        s.request_to_join(&args.id, None)?;
        Ok(())
    })
    .await
}

#[tauri::command]
async fn answer_request(
    app: State<'_, App>,
    args: Args<cmd::AnswerRequest>,
) -> Out<cmd::AnswerRequest> {
    app.run(move |s| moderation::answer_request(s, &args)).await
}

#[tauri::command]
async fn set_event_reminders(
    app: State<'_, App>,
    args: Args<cmd::SetEventReminders>,
) -> Out<cmd::SetEventReminders> {
    app.run(move |s| {
        s.set_event_reminders(&args.id, args.before.clone())?;
        Ok(())
    })
    .await
}

#[tauri::command]
async fn describe_repeat(
    app: State<'_, App>,
    args: Args<cmd::DescribeRepeat>,
) -> Out<cmd::DescribeRepeat> {
    app.run(move |_| Ok(repeat::describe(&args)?)).await
}

#[tauri::command]
async fn set_occurrence(
    app: State<'_, App>,
    args: Args<cmd::SetOccurrence>,
) -> Out<cmd::SetOccurrence> {
    app.run(move |s| engine::set_occurrence(s, &args)).await
}

#[tauri::command]
async fn edit_occurrence(
    app: State<'_, App>,
    args: Args<cmd::EditOccurrence>,
) -> Out<cmd::EditOccurrence> {
    app.run(move |s| engine::edit_occurrence(s, &args)).await
}

#[tauri::command]
async fn calendar_feed(
    app: State<'_, App>,
    args: Args<cmd::CalendarFeed>,
) -> Out<cmd::CalendarFeed> {
    use rally_webclient::feeds;
    let refused = |message: String| ipc::AppError { message };
    let Some(server) = app.server_url().await else {
        return Err(refused(
            "Sync with a server first: your calendar feed lives on your server.".into(),
        ));
    };
    let host = feeds::host_of(&server).map_err(|e| refused(e.to_string()))?;
    let action = if args.reset {
        rally_core::private_feed::FeedAction::Reset
    } else {
        rally_core::private_feed::FeedAction::Get
    };
    let request = app
        .run(move |s| Ok(s.private_feed_request(action, &host)?))
        .await?;
    let urls = feeds::ask(&server, &request)
        .await
        .map_err(|e| refused(e.to_string()))?;
    Ok(ipc::CalendarFeed {
        ics: urls.ics,
        atom: urls.atom,
    })
}

#[tauri::command]
async fn place_search(app: State<'_, App>, args: Args<cmd::PlaceSearch>) -> Out<cmd::PlaceSearch> {
    let geocoder = app.geocoder().await;
    Ok(app.web.search(&geocoder, &args).await?)
}

#[tauri::command]
async fn place_reverse(
    app: State<'_, App>,
    args: Args<cmd::PlaceReverse>,
) -> Out<cmd::PlaceReverse> {
    let geocoder = app.geocoder().await;
    Ok(app.web.reverse(&geocoder, &args).await?)
}

#[tauri::command]
fn map_settings(app: State<'_, App>) -> Out<cmd::MapSettings> {
    let s = app.settings();
    Ok(ipc::MapSettings {
        geocoder: s.geocoder.unwrap_or(ipc::GeocoderMode::Server),
        provider: s.provider,
        provider_url: s.provider_url,
        tiles: s.tiles,
        tiles_attribution: s.tiles_attribution,
    })
}

#[tauri::command]
fn set_map_settings(
    app: State<'_, App>,
    args: Args<cmd::SetMapSettings>,
) -> Out<cmd::SetMapSettings> {
    let refuse = |message: String| Err(ipc::AppError { message });
    let tiles = args.tiles.trim().to_owned();
    if !tiles.is_empty()
        && (!(tiles.starts_with("https://") || tiles.starts_with("http://"))
            || !["{z}", "{x}", "{y}"].iter().all(|p| tiles.contains(p)))
    {
        return refuse(format!(
            "{tiles:?} is not a tile server's address: an http(s) URL with {{z}}, {{x}} and {{y}}"
        ));
    }
    let provider_url = args.provider_url.trim().to_owned();
    if args.geocoder == ipc::GeocoderMode::Direct {
        let Some(kind) = args.provider else {
            return refuse("choose which kind of geocoder to ask".into());
        };
        let checked = kind
            .as_str()
            .parse::<rally_geocode::Provider>()
            .and_then(|p| p.search_url(&provider_url, "check", 1));
        if let Err(e) = checked {
            return refuse(e.to_string());
        }
    }
    app.web.forget_tiles();
    app.save_settings(&Settings {
        geocoder: Some(args.geocoder),
        provider: args.provider,
        provider_url,
        tiles,
        tiles_attribution: args.tiles_attribution.trim().to_owned(),
        ..app.settings()
    })
}

#[tauri::command]
async fn set_map(app: State<'_, App>, args: Args<cmd::SetMap>) -> Out<cmd::SetMap> {
    app.run(move |s| maps::set_map(s, &args)).await
}

#[tauri::command]
async fn map_events(app: State<'_, App>, args: Args<cmd::MapEvents>) -> Out<cmd::MapEvents> {
    app.run(move |s| maps::markers(s, &args)).await
}

#[tauri::command]
async fn keep_map(app: State<'_, App>, args: Args<cmd::KeepMap>) -> Out<cmd::KeepMap> {
    let server = app.server_url().await;
    Ok(app
        .web
        .keep(
            &app.service()?,
            args.id,
            app.settings().tile_source(),
            server,
        )
        .await?)
}

#[tauri::command]
async fn map_tiles(app: State<'_, App>) -> Out<cmd::MapTiles> {
    let server = app.server_url().await;
    let source = app.web.tiles(app.settings().tile_source(), server).await;
    Ok(ipc::MapTiles {
        online: source.is_some(),
        attribution: source
            .as_ref()
            .map(|s| s.attribution.clone())
            .unwrap_or_default(),
        keep: source.is_some_and(|s| s.keep),
    })
}

/// Answers the map's `rallytile://localhost/{z}/{x}/{y}` requests: a tile kept
/// offline first, else from the tile server, else 404 (the map shows its route
/// and points on a blank ground).
fn serve_tile<R: tauri::Runtime>(
    ctx: tauri::UriSchemeContext<'_, R>,
    request: tauri::http::Request<Vec<u8>>,
    responder: tauri::UriSchemeResponder,
) {
    let handle = ctx.app_handle().clone();
    let path = request.uri().path().to_owned();
    tauri::async_runtime::spawn(async move {
        let app: State<'_, App> = handle.state();
        let response = |status: u16, body: Vec<u8>| {
            let kind = if body.starts_with(b"\x89PNG") {
                "image/png"
            } else {
                "image/jpeg"
            };
            tauri::http::Response::builder()
                .status(status)
                .header("content-type", kind)
                .header("access-control-allow-origin", "*")
                .body(body)
                .expect("a response of status, headers and bytes")
        };
        let Some(t) = maps::tile_of_path(&path) else {
            return responder.respond(response(404, Vec::new()));
        };
        let server = app.server_url().await;
        let chosen = app.settings().tile_source();
        let source = chosen.clone().map(|s| s.template).unwrap_or_default();
        let kept = match app.service().ok() {
            Some(service) => service
                .call(move |s| s.tile(&source, t.z, t.x, t.y))
                .await
                .ok()
                .and_then(|r| r.ok())
                .flatten(),
            None => None,
        };
        if let Some(bytes) = kept {
            return responder.respond(response(200, bytes));
        }
        let fetched = match app.web.tiles(chosen, server).await {
            Some(source) => app.web.tile(&source, t).await,
            None => None,
        };
        match fetched {
            Some(bytes) => responder.respond(response(200, bytes)),
            None => responder.respond(response(404, Vec::new())),
        }
    });
}

#[cfg_attr(mobile, tauri::mobile_entry_point)]
pub fn run() {
    let args: Vec<String> = std::env::args().collect();
    let offline = args.iter().any(|a| a == "--no-sync");
    // Local discovery off (`--no-mdns`, or RALLY_NO_MDNS=1): a device then
    // meets others through its server and by pairing.
    let no_mdns = args.iter().any(|a| a == "--no-mdns")
        || std::env::var_os("RALLY_NO_MDNS").is_some_and(|v| v == "1");
    let started_with = links::Links::from_args(&args);
    // A link for an app already running on this data directory goes to it.
    #[cfg(desktop)]
    if let Some(link) = started_with.peek()
        && links::forward(&data_dir(&args), &link)
    {
        return;
    }
    let builder = with_commands(tauri::Builder::<tauri::Wry>::new())
        .register_asynchronous_uri_scheme_protocol("rallytile", serve_tile)
        .plugin(tauri_plugin_deep_link::init())
        .plugin(tauri_plugin_notification::init())
        .plugin(tauri_plugin_rally_lan::init());
    // Pairing by QR code: the camera scanner (the UI calls it on phones only).
    #[cfg(mobile)]
    let builder = builder.plugin(tauri_plugin_barcode_scanner::init());
    builder
        .manage(started_with)
        .setup(move |tauri_app| {
            // Desktop: `--data`, `RALLY_DATA` or the XDG directory; mobile: the
            // app's own data directory.
            #[cfg(desktop)]
            let dir = data_dir(&args);
            #[cfg(mobile)]
            let dir = tauri_app.path().app_data_dir()?;
            let mut app = App::open(&dir, offline)?;
            if no_mdns {
                app = app.without_mdns();
            }
            {
                use tauri_plugin_rally_lan::Lan;
                let handle = tauri_app.handle().clone();
                app.on_sync(move |running| {
                    let lan = handle.state::<Lan<tauri::Wry>>();
                    let told = if running {
                        lan.sync_started()
                    } else {
                        lan.sync_stopped()
                    };
                    if let Err(e) = told {
                        eprintln!("rally-app: {e}");
                    }
                });
            }
            let locked = app.is_locked();
            tauri_app.manage(app);
            if !locked {
                start(tauri_app.handle());
            }
            #[cfg(desktop)]
            links::serve(tauri_app.handle().clone(), &dir);
            // Links the OS hands over (macOS, Android, iOS).
            {
                use tauri_plugin_deep_link::DeepLinkExt;
                let handle = tauri_app.handle().clone();
                tauri_app.deep_link().on_open_url(move |event| {
                    for url in event.urls() {
                        if let Some(link) = ipc::Link::parse(url.as_str()) {
                            links::open(&handle, link);
                        }
                    }
                });
            }
            Ok(())
        })
        .run(tauri::generate_context!())
        .unwrap_or_else(|e| {
            eprintln!("rally-app: {e}");
            std::process::exit(1);
        });
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod translations;

#[cfg(test)]
mod lock_tests {
    use std::time::Duration;

    #[test]
    fn the_app_locks_on_return_only_after_the_time_the_lock_says() {
        let secs = Duration::from_secs;
        assert!(super::locks_on_return(Some(0), Some(secs(0))));
        assert!(super::locks_on_return(Some(300), Some(secs(300))));
        assert!(!super::locks_on_return(Some(300), Some(secs(299))));
        assert!(
            !super::locks_on_return(None, Some(secs(86_400))),
            "no rule, no lock"
        );
        assert!(!super::locks_on_return(Some(0), None), "never hidden");
    }
}
