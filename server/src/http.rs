//! The server's HTTP side: the about page ([`crate::about`]: what this server
//! is, its rules, how to sync with it), the same facts as JSON for scripts and
//! apps, and a health check; with a
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

use crate::registry::{Registry, SqlRegistry};

/// The name of the thread that owns the pages' registry connection.
pub const REGISTRY_THREAD: &str = "rally-registry";

#[derive(Debug)]
pub struct State {
    /// The registry (`server.db`), on its own thread ([`REGISTRY_THREAD`]).
    pub registry: Handle<SqlRegistry>,
    /// The p2p addresses the server listens on.
    pub p2p: Mutex<Vec<String>>,
    pub public_url: String,
    /// Whether the server federates (it has a public URL): then its home page
    /// is the public event listing ([`crate::fedi::listing`]), else the about page.
    pub federates: bool,
    /// The admin's words for the about page.
    pub about: crate::about::About,
}

#[derive(Debug, Serialize)]
pub struct ServerInfo {
    pub software: &'static str,
    pub version: &'static str,
    pub public_url: String,
    pub p2p: Vec<String>,
    pub registrations: String,
}

pub(crate) async fn info(state: &State) -> Result<ServerInfo, String> {
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

pub(crate) fn unavailable(reason: String) -> Response {
    (StatusCode::SERVICE_UNAVAILABLE, reason).into_response()
}

async fn info_json(extract::State(state): extract::State<Arc<State>>) -> Response {
    match info(&state).await {
        Ok(i) => axum::Json(i).into_response(),
        Err(e) => unavailable(e),
    }
}

/// `/healthz`: `ok` when the server answers and its database does (503
/// otherwise), for load balancers and service managers.
async fn health(extract::State(state): extract::State<Arc<State>>) -> Response {
    use crate::registry::Registry as _;
    match state.registry.call(|r| r.mode()).await {
        Ok(Ok(_)) => ([(header::CONTENT_TYPE, "text/plain")], "ok\n").into_response(),
        _ => unavailable("the database is unavailable\n".into()),
    }
}

/// The about page (also the home page when the server does not federate),
/// the server's info as JSON and the health check.
pub fn router(state: Arc<State>) -> Router {
    let home = (!state.federates).then(|| get(crate::about::about));
    let mut router = Router::new();
    if let Some(home) = home {
        router = router.route("/", home);
    }
    router
        .route("/about", get(crate::about::about))
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
