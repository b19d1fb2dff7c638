//! The server's HTTP side: a page that says what this server is and how to sync
//! with it, the same as JSON for scripts and apps, and a health check; with a
//! public URL, the Fediverse's endpoints ([`crate::fedi::routes`]) join it.

use std::future::Future;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Serialize;

use rally_service::Handle;

use crate::html::{self, escape};
use crate::registry::{Registry, SqliteRegistry};

/// The name of the thread that owns the pages' registry connection.
pub const REGISTRY_THREAD: &str = "rally-registry";

#[derive(Debug)]
pub struct State {
    /// The registry (`server.db`), on its own thread ([`REGISTRY_THREAD`]).
    pub registry: Handle<SqliteRegistry>,
    /// The p2p addresses the server listens on.
    pub p2p: Mutex<Vec<String>>,
    pub public_url: String,
    /// Whether the server federates (it has a public URL).
    pub federates: bool,
}

#[derive(Debug, Serialize)]
pub struct ServerInfo {
    pub software: &'static str,
    pub version: &'static str,
    pub public_url: String,
    pub p2p: Vec<String>,
    pub registrations: String,
}

async fn info(state: &State) -> Result<ServerInfo, String> {
    let registrations = state
        .registry
        .call(|r| r.mode())
        .await
        .map_err(|_| "the registry is unavailable".to_owned())?
        .map_err(|e| e.to_string())?
        .to_string();
    Ok(ServerInfo {
        software: "rally-server",
        version: env!("CARGO_PKG_VERSION"),
        public_url: state.public_url.clone(),
        p2p: state.p2p.lock().map(|l| l.clone()).unwrap_or_default(),
        registrations,
    })
}

fn unavailable(reason: String) -> Response {
    (StatusCode::SERVICE_UNAVAILABLE, reason).into_response()
}

async fn info_json(extract::State(state): extract::State<Arc<State>>) -> Response {
    match info(&state).await {
        Ok(i) => axum::Json(i).into_response(),
        Err(e) => unavailable(e),
    }
}

async fn home(extract::State(state): extract::State<Arc<State>>) -> Response {
    let info = match info(&state).await {
        Ok(i) => i,
        Err(e) => return unavailable(e),
    };
    let addresses: String = info
        .p2p
        .iter()
        .map(|a| format!("<li><code>{}</code></li>", escape(a)))
        .collect();
    let registration = match info.registrations.as_str() {
        "open" => "Anyone may register: syncing with this server registers your persona.",
        "invite" => {
            "Registration is by invitation: ask the admin for a code and pass it with <code>--invite</code>."
        }
        _ => "Registration is closed.",
    };
    let example = info.p2p.first().map(String::as_str).unwrap_or("ADDRESS");
    html::page(
        "Rally server",
        "",
        &format!(
            r#"<h1>Rally server</h1>
<p>This server keeps events and groups for the people who sync with it, so their devices meet here even when they are never online together. It holds only what they share, and shows nobody what they may not read.</p>
{events}<h2>Sync with it</h2>
<p>{registration}</p>
<p><code>rally sync --server {example}</code></p>
<h2>Addresses</h2>
<ul>{addresses}</ul>
<p><small>rally-server {version}</small></p>"#,
            example = escape(example),
            version = info.version,
            events = if state.federates {
                "<p><a href=\"/events\">Upcoming public events</a> · <a href=\"/events.ics\">calendar</a> · <a href=\"/feed.atom\">news feed</a></p>"
            } else {
                ""
            },
        ),
    )
    .into_response()
}

async fn health() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/plain")], "ok\n")
}

/// The info page, its JSON and the health check.
pub fn router(state: Arc<State>) -> Router {
    Router::new()
        .route("/", get(home))
        .route("/api/v1/server", get(info_json))
        .route("/healthz", get(health))
        .with_state(state)
}

/// Serves `app` until `shutdown` completes, then finishes the requests under way
/// (with the listener's limits, see [`crate::listener`]).
pub async fn serve(
    listener: tokio::net::TcpListener,
    app: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    crate::listener::serve(listener, app, crate::listener::Limits::default(), shutdown).await
}
