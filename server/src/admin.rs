//! The admin web page (`/admin`): registrations, and with federation the
//! instances this server follows and that follow it (accept, reject, follow,
//! unfollow), blocked domains, and moderation (`admin/reports.rs`: the reports
//! queue, suspensions, the log) — the same operations as `rally-server admin`,
//! through the same functions.
//!
//! Access: `rally-server admin token` makes a new token (only its SHA-256 is kept,
//! in `server.db`; the previous token stops working) and the admin pastes it into
//! the login form. Signing in opens a session: a random id (only its SHA-256 is
//! kept, with an expiry of [`SESSION_HOURS`]) in a cookie, `HttpOnly`,
//! `SameSite=Strict`, `Secure` over https, limited to `/admin`; signing out ends
//! it, and a new token ends them all. Every action is a POST that must carry the
//! cookie and an `Origin` (or, failing that, a `Referer`) of this server's own
//! site, so another site cannot act through an admin's browser.

use std::sync::Arc;

use axum::Form;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use sha2::Digest as _;

use crate::fedi::{Fedi, instances};
use crate::html::{self, escape};
use crate::registry::{Mode, Registry, RegistryError, SqlRegistry};

const COOKIE: &str = "rally_admin";
/// How long an admin session lasts.
pub const SESSION_HOURS: i64 = 12;

#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    #[error(transparent)]
    Registry(#[from] RegistryError),
    #[error("no random numbers: {0}")]
    Random(String),
}

/// Makes a new admin token; the one before stops working.
pub fn new_token(registry: &mut SqlRegistry) -> Result<String, AdminError> {
    let mut bytes = [0u8; 24];
    getrandom::fill(&mut bytes).map_err(|e| AdminError::Random(e.to_string()))?;
    let token = hex::encode(bytes);
    registry.set_admin_token_hash(&sha2::Sha256::digest(token.as_bytes()))?;
    Ok(token)
}

#[derive(Debug)]
pub struct AdminState {
    pub http: Arc<crate::http::State>,
    pub fedi: Option<Arc<Fedi>>,
}

pub fn router(state: Arc<AdminState>) -> Router {
    Router::new()
        .route("/admin", get(overview))
        .route("/admin/login", post(login))
        .route("/admin/logout", post(logout))
        .route("/admin/registrations", post(set_registrations))
        .route("/admin/instances", post(instance_action))
        .route("/admin/blocks", post(block_action))
        .route("/admin/reports", post(reports::report_action))
        .route("/admin/suspensions", post(reports::suspension_action))
        .with_state(state)
}

fn cookie_token(headers: &HeaderMap) -> Option<String> {
    html::cookie(headers, COOKIE)
}

async fn token_matches(state: &AdminState, token: &str) -> bool {
    let Ok(Ok(Some(stored))) = state.http.registry.call(|r| r.admin_token_hash()).await else {
        return false;
    };
    let given = sha2::Sha256::digest(token.trim().as_bytes());
    aws_lc_rs::constant_time::verify_slices_are_equal(&given, &stored).is_ok()
}

fn session_hash(id: &str) -> Vec<u8> {
    sha2::Sha256::digest(id.trim().as_bytes()).to_vec()
}

async fn signed_in(state: &AdminState, headers: &HeaderMap) -> bool {
    let Some(id) = cookie_token(headers) else {
        return false;
    };
    let (hash, now) = (session_hash(&id), now_secs());
    matches!(
        state
            .http
            .registry
            .call(move |r| r.admin_session_open(&hash, now))
            .await,
        Ok(Ok(true))
    )
}

fn now_secs() -> i64 {
    rally_core::jiff::Timestamp::now().as_second()
}

/// A POST from this server's own site: its `Origin` (or, when a browser sends
/// none, its `Referer`) is ours. A request with neither is refused.
fn from_this_site(state: &AdminState, headers: &HeaderMap) -> bool {
    let text = |h| headers.get(h).and_then(|v| v.to_str().ok());
    let origin = match (text(header::ORIGIN), text(header::REFERER)) {
        (Some(o), _) => o.to_owned(),
        (None, Some(r)) => match url::Url::parse(r) {
            Ok(u) => u.origin().ascii_serialization(),
            Err(_) => return false,
        },
        (None, None) => return false,
    };
    let ours = url::Url::parse(&state.http.public_url)
        .map(|u| u.origin().ascii_serialization())
        .unwrap_or_default();
    let host = text(header::HOST).unwrap_or_default();
    origin == ours || origin.split_once("://").is_some_and(|(_, h)| h == host)
}

fn refuse(status: StatusCode, why: &str) -> Response {
    (
        status,
        html::page(
            "Rally server — administration",
            "",
            &format!(
                r#"<p class="error" role="alert">{}</p><p><a href="/admin">Back</a></p>"#,
                escape(why)
            ),
        ),
    )
        .into_response()
}

/// Why a POST may not act: it came from another site, or nobody signed in.
async fn refused(state: &AdminState, headers: &HeaderMap) -> Option<Response> {
    if !from_this_site(state, headers) {
        return Some(refuse(
            StatusCode::FORBIDDEN,
            "This request came from another site.",
        ));
    }
    if !signed_in(state, headers).await {
        return Some(refuse(StatusCode::UNAUTHORIZED, "Sign in first."));
    }
    None
}

/// The federation side, for an action a signed-in admin of this site may take.
async fn federation(state: &AdminState, headers: &HeaderMap) -> Result<Arc<Fedi>, Box<Response>> {
    let Some(fedi) = state.fedi.clone() else {
        return Err(Box::new(refuse(
            StatusCode::NOT_FOUND,
            "This server does not federate.",
        )));
    };
    match refused(state, headers).await {
        Some(r) => Err(Box::new(r)),
        None => Ok(fedi),
    }
}

/// The page again, with what the action did.
async fn after(state: &AdminState, result: Result<String, String>) -> Response {
    match result {
        Ok(n) => render(state, Some(&n), None).await,
        Err(e) => render(state, None, Some(&e)).await,
    }
}

async fn overview(State(state): State<Arc<AdminState>>, headers: HeaderMap) -> Response {
    if signed_in(&state, &headers).await {
        render(&state, None, None).await
    } else {
        login_page(None)
    }
}

fn login_page(error: Option<&str>) -> Response {
    let error = error
        .map(|e| format!(r#"<p class="error" role="alert">{}</p>"#, escape(e)))
        .unwrap_or_default();
    html::page(
        "Rally server — administration",
        "",
        &format!(
            r#"<h1>Administration</h1>{error}
<form method="post" action="/admin/login">
<p><label for="token">Admin token</label><br>
<input id="token" name="token" type="password" autocomplete="current-password" required size="50"></p>
<p><button id="sign-in" type="submit">Sign in</button></p>
</form>
<p class="meta">Get a token on the server with <code>rally-server --data DIR admin token</code>.</p>"#
        ),
    )
    .into_response()
}

#[derive(Debug, Deserialize)]
struct Login {
    token: String,
}

async fn login(
    State(state): State<Arc<AdminState>>,
    headers: HeaderMap,
    Form(form): Form<Login>,
) -> Response {
    if !from_this_site(&state, &headers) {
        return refuse(
            StatusCode::FORBIDDEN,
            "This request came from another site.",
        );
    }
    if !token_matches(&state, &form.token).await {
        let mut r = login_page(Some("That token is not this server's admin token."));
        *r.status_mut() = StatusCode::UNAUTHORIZED;
        return r;
    }
    let secure = if state.http.public_url.starts_with("https://") {
        "; Secure"
    } else {
        ""
    };
    let mut bytes = [0u8; 32];
    if getrandom::fill(&mut bytes).is_err() {
        return refuse(StatusCode::SERVICE_UNAVAILABLE, "No random numbers.");
    }
    let id = hex::encode(bytes);
    let (hash, expires_at) = (session_hash(&id), now_secs() + SESSION_HOURS * 3600);
    if !matches!(
        state
            .http
            .registry
            .call(move |r| r.add_admin_session(&hash, expires_at))
            .await,
        Ok(Ok(()))
    ) {
        return refuse(
            StatusCode::SERVICE_UNAVAILABLE,
            "The session could not be kept.",
        );
    }
    let cookie = format!(
        "{COOKIE}={id}; Path=/admin; HttpOnly; SameSite=Strict; Max-Age={}{secure}",
        SESSION_HOURS * 3600
    );
    ([(header::SET_COOKIE, cookie)], Redirect::to("/admin")).into_response()
}

async fn logout(State(state): State<Arc<AdminState>>, headers: HeaderMap) -> Response {
    if !from_this_site(&state, &headers) {
        return refuse(
            StatusCode::FORBIDDEN,
            "This request came from another site.",
        );
    }
    if let Some(id) = cookie_token(&headers) {
        let hash = session_hash(&id);
        let _ = state
            .http
            .registry
            .call(move |r| r.end_admin_session(&hash))
            .await;
    }
    let cookie = format!("{COOKIE}=; Path=/admin; HttpOnly; SameSite=Strict; Max-Age=0");
    ([(header::SET_COOKIE, cookie)], Redirect::to("/admin")).into_response()
}

#[derive(Debug, Deserialize)]
struct Registrations {
    mode: String,
}

async fn set_registrations(
    State(state): State<Arc<AdminState>>,
    headers: HeaderMap,
    Form(form): Form<Registrations>,
) -> Response {
    if let Some(r) = refused(&state, &headers).await {
        return r;
    }
    let result = match form.mode.parse::<Mode>() {
        Err(e) => Err(e.to_string()),
        Ok(mode) => match state.http.registry.call(move |r| r.set_mode(mode)).await {
            Err(_) => Err("the registry is unavailable".to_owned()),
            Ok(Err(e)) => Err(e.to_string()),
            Ok(Ok(())) => Ok(format!("Registrations are now {mode}.")),
        },
    };
    after(&state, result).await
}

#[derive(Debug, Deserialize)]
struct InstanceAction {
    action: String,
    target: String,
}

async fn instance_action(
    State(state): State<Arc<AdminState>>,
    headers: HeaderMap,
    Form(form): Form<InstanceAction>,
) -> Response {
    let fedi = match federation(&state, &headers).await {
        Ok(f) => f,
        Err(r) => return *r,
    };
    let target = form.target.trim();
    if target.is_empty() {
        return after(
            &state,
            Err("Give a domain (mobilizon.example) or a handle (group@mobilizon.example).".into()),
        )
        .await;
    }
    let result = match form.action.as_str() {
        "follow" => instances::follow(&fedi, target)
            .await
            .map(|a| format!("Asked to follow {}; it is pending until they accept.", a.id)),
        "unfollow" => instances::unfollow(&fedi, target)
            .await
            .map(|()| format!("No longer following {target}.")),
        "accept" => instances::answer(&fedi, target, true)
            .await
            .map(|()| format!("{target} now follows this server.")),
        "reject" => instances::answer(&fedi, target, false)
            .await
            .map(|()| format!("{target} was refused.")),
        other => Err(crate::fedi::FediError::Refused(format!(
            "unknown action {other:?}"
        ))),
    };
    after(&state, result.map_err(|e| e.to_string())).await
}

#[derive(Debug, Deserialize)]
struct BlockAction {
    action: String,
    domain: String,
}

async fn block_action(
    State(state): State<Arc<AdminState>>,
    headers: HeaderMap,
    Form(form): Form<BlockAction>,
) -> Response {
    let fedi = match federation(&state, &headers).await {
        Ok(f) => f,
        Err(r) => return *r,
    };
    let result = match form.action.as_str() {
        "block" => instances::block(&fedi, &form.domain)
            .await
            .map(|d| format!("{d} is blocked."))
            .map_err(|e| e.to_string()),
        "unblock" => instances::unblock(&fedi, &form.domain)
            .await
            .map(|_| format!("{} is no longer blocked.", form.domain.trim()))
            .map_err(|e| e.to_string()),
        other => Err(format!("unknown action {other:?}")),
    };
    after(&state, result).await
}

fn button(action: &str, target: &str, label: &str, field: &str, path: &str) -> String {
    format!(
        r#"<form class="inline" method="post" action="{path}"><input type="hidden" name="action" value="{action}"><input type="hidden" name="{field}" value="{target}"><button type="submit" data-action="{action}" data-target="{target}">{label}</button></form>"#,
        target = escape(target),
    )
}

async fn render(state: &AdminState, notice: Option<&str>, error: Option<&str>) -> Response {
    let mut body = String::from(
        r#"<h1>Administration</h1>
<form class="inline" method="post" action="/admin/logout"><button id="sign-out" type="submit">Sign out</button></form>"#,
    );
    if let Some(n) = notice.filter(|n| !n.is_empty()) {
        body.push_str(&format!(
            r#"<p id="notice" class="notice" role="status">{}</p>"#,
            escape(n)
        ));
    }
    if let Some(e) = error {
        body.push_str(&format!(
            r#"<p id="error" class="error" role="alert">{}</p>"#,
            escape(e)
        ));
    }
    let mode = state
        .http
        .registry
        .call(|r| r.mode())
        .await
        .ok()
        .and_then(Result::ok)
        .map_or("unknown", Mode::as_str);
    let options: String = ["open", "invite", "closed"]
        .iter()
        .map(|m| {
            format!(
                r#"<option value="{m}"{}>{m}</option>"#,
                if *m == mode { " selected" } else { "" }
            )
        })
        .collect();
    body.push_str(&format!(
        r#"<h2>Registrations</h2>
<form method="post" action="/admin/registrations"><label for="mode">Who may register</label>
<select id="mode" name="mode">{options}</select> <button id="set-mode" type="submit">Save</button></form>"#
    ));
    match &state.fedi {
        None => body.push_str(
            r#"<h2>Federation</h2><p class="meta">This server does not federate: start it with <code>--public-url</code>.</p>"#,
        ),
        Some(fedi) => body.push_str(&federation_section(fedi).await),
    }
    html::page("Rally server — administration", "", &body).into_response()
}

async fn federation_section(fedi: &Fedi) -> String {
    let mut out = String::from(
        r#"<h2>Instances</h2>
<form method="post" action="/admin/instances"><input type="hidden" name="action" value="follow">
<label for="follow-target">Follow an instance (domain) or one of its groups (name@domain)</label><br>
<input id="follow-target" name="target" size="40" placeholder="mobilizon.example"> <button id="follow" type="submit">Follow</button></form>"#,
    );
    match instances::list(fedi).await {
        Err(e) => out.push_str(&format!(
            r#"<p class="error" role="alert">{}</p>"#,
            escape(&e.to_string())
        )),
        Ok(list) if list.is_empty() => {
            out.push_str(r#"<p id="no-instances" class="meta">No instances yet.</p>"#)
        }
        Ok(list) => {
            out.push_str(
                r#"<table id="instances"><thead><tr><th>Instance</th><th>We follow them</th><th>They follow us</th><th></th></tr></thead><tbody>"#,
            );
            for i in list {
                let mut actions = String::new();
                if i.they_follow.as_deref() == Some("pending") {
                    actions.push_str(&button(
                        "accept",
                        &i.actor,
                        "Accept",
                        "target",
                        "/admin/instances",
                    ));
                }
                if matches!(i.they_follow.as_deref(), Some("pending" | "accepted")) {
                    actions.push_str(&button(
                        "reject",
                        &i.actor,
                        "Reject",
                        "target",
                        "/admin/instances",
                    ));
                }
                if i.we_follow.is_some() {
                    actions.push_str(&button(
                        "unfollow",
                        &i.actor,
                        "Unfollow",
                        "target",
                        "/admin/instances",
                    ));
                }
                out.push_str(&format!(
                    r#"<tr data-actor="{actor}"><td>{domain}<br><small class="meta">{actor}</small></td><td class="we-follow">{we}</td><td class="they-follow">{they}</td><td>{actions}</td></tr>"#,
                    actor = escape(&i.actor),
                    domain = escape(&i.domain),
                    we = escape(i.we_follow.as_deref().unwrap_or("no")),
                    they = escape(i.they_follow.as_deref().unwrap_or("no")),
                ));
            }
            out.push_str("</tbody></table>");
        }
    }
    out.push_str(
        r#"<h2>Blocked domains</h2>
<form method="post" action="/admin/blocks"><input type="hidden" name="action" value="block">
<label for="block-domain">Refuse everything from a domain and its subdomains</label><br>
<input id="block-domain" name="domain" size="40" placeholder="spam.example"> <button id="block" type="submit">Block</button></form>"#,
    );
    match instances::blocked(fedi).await {
        Ok(list) if !list.is_empty() => {
            out.push_str(r#"<ul id="blocked">"#);
            for d in list {
                out.push_str(&format!(
                    "<li>{} {}</li>",
                    escape(&d),
                    button("unblock", &d, "Unblock", "domain", "/admin/blocks")
                ));
            }
            out.push_str("</ul>");
        }
        Ok(_) => out.push_str(r#"<p class="meta">None.</p>"#),
        Err(e) => out.push_str(&format!(
            r#"<p class="error" role="alert">{}</p>"#,
            escape(&e.to_string())
        )),
    }
    out.push_str(&spam_caps(fedi));
    out.push_str(&reports::section(fedi).await);
    out
}

/// The spam caps and the busiest domains this hour.
fn spam_caps(fedi: &Fedi) -> String {
    let (caps, busiest) = fedi.activity_report(10);
    let mut out = format!(
        r#"<h2>Spam caps</h2>
<p id="spam-caps">Joins, follows and new events accepted per hour: {} from one account, {} from one domain (<code>--fedi-per-actor-hour</code>, <code>--fedi-per-domain-hour</code>); past them, a sender is asked to wait (429).</p>"#,
        caps.per_actor, caps.per_domain
    );
    if busiest.is_empty() {
        out.push_str(r#"<p class="meta">Nothing counted this hour.</p>"#);
    } else {
        out.push_str(
            r#"<table id="busiest"><thead><tr><th>Domain</th><th>This hour</th></tr></thead><tbody>"#,
        );
        for (domain, n) in busiest {
            out.push_str(&format!(
                "<tr><td>{}</td><td>{n}</td></tr>",
                escape(&domain)
            ));
        }
        out.push_str("</tbody></table>");
    }
    out
}

mod reports;
#[cfg(test)]
mod tests;
