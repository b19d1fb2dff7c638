use super::*;

use axum::body::Body;
use axum::http::Request;
use tower::ServiceExt as _;

fn state(dir: &std::path::Path) -> (Arc<AdminState>, String) {
    let mut registry = SqlRegistry::open(dir).unwrap();
    let token = new_token(&mut registry).unwrap();
    let http = Arc::new(crate::http::State {
        registry: rally_service::Handle::spawn(registry, "test-registry").unwrap(),
        p2p: std::sync::Mutex::new(Vec::new()),
        public_url: "https://rally.example".into(),
        federates: false,
        about: crate::about::About::default(),
    });
    (Arc::new(AdminState { http, fedi: None }), token)
}

/// The registration mode, as the pages' registry connection reads it.
async fn mode(state: &AdminState) -> Mode {
    state
        .http
        .registry
        .call(|r| r.mode())
        .await
        .unwrap()
        .unwrap()
}

async fn send(state: &Arc<AdminState>, req: Request<Body>) -> (StatusCode, HeaderMap, String) {
    let r = router(state.clone()).oneshot(req).await.unwrap();
    let status = r.status();
    let headers = r.headers().clone();
    let body = axum::body::to_bytes(r.into_body(), 1 << 20).await.unwrap();
    (status, headers, String::from_utf8(body.to_vec()).unwrap())
}

fn post(path: &str, body: &str, cookie: Option<&str>, origin: Option<&str>) -> Request<Body> {
    let mut b = Request::post(path)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::HOST, "rally.example");
    if let Some(c) = cookie {
        b = b.header(header::COOKIE, format!("other=1; {COOKIE}={c}"));
    }
    if let Some(o) = origin {
        b = b.header(header::ORIGIN, o);
    }
    b.body(Body::from(body.to_owned())).unwrap()
}

#[tokio::test]
async fn only_the_token_signs_in_and_only_from_this_site() {
    let dir = tempfile::tempdir().unwrap();
    let (state, token) = state(dir.path());

    let (status, _, page) = send(&state, Request::get("/admin").body(Body::empty()).unwrap()).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Admin token") && !page.contains("Registrations"));

    let here = Some("https://rally.example");
    let (status, headers, _) = send(&state, post("/admin/login", "token=nope", None, here)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(headers.get(header::SET_COOKIE).is_none());
    let login = format!("token={token}");
    let (status, headers, _) = send(&state, post("/admin/login", &login, None, None)).await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "a login with no Origin or Referer"
    );
    assert!(headers.get(header::SET_COOKIE).is_none());

    let site = Some("https://rally.example");
    let (status, headers, _) = send(
        &state,
        post("/admin/login", &format!("token={token}"), None, site),
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let cookie = headers[header::SET_COOKIE].to_str().unwrap();
    for part in [
        "HttpOnly",
        "SameSite=Strict",
        "Secure",
        "Path=/admin",
        "Max-Age=",
    ] {
        assert!(cookie.contains(part), "{cookie}");
    }
    // The cookie holds a session id, never the token itself.
    let session = session_of(cookie);
    assert!(!cookie.contains(&token) && session.len() == 64, "{cookie}");

    let set = |cookie, origin| post("/admin/registrations", "mode=closed", cookie, origin);
    let (status, _, _) = send(&state, set(None, site)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _, _) = send(&state, set(Some("wrong"), site)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _, _) = send(&state, set(Some(&token), site)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "the token is no session");
    let (status, _, _) = send(&state, set(Some(&session), Some("https://evil.example"))).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, _) = send(&state, set(Some(&session), None)).await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "a POST with no Origin or Referer"
    );
    assert_ne!(mode(&state).await, Mode::Closed);

    let (status, _, page) = send(&state, set(Some(&session), site)).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains("Registrations are now closed."), "{page}");
    assert_eq!(mode(&state).await, Mode::Closed);
    // A Referer of this site will do when a browser sends no Origin.
    let mut by_referer = post("/admin/registrations", "mode=invite", Some(&session), None);
    by_referer.headers_mut().insert(
        header::REFERER,
        "https://rally.example/admin".parse().unwrap(),
    );
    let (status, _, _) = send(&state, by_referer).await;
    assert_eq!(status, StatusCode::OK);

    // Signing out ends the session; a new token ends every session.
    let (status, _, _) = send(&state, post("/admin/logout", "", Some(&session), site)).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (status, _, _) = send(&state, set(Some(&session), site)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "signed out");
    let (_, headers, _) = send(
        &state,
        post("/admin/login", &format!("token={token}"), None, site),
    )
    .await;
    let second = session_of(headers[header::SET_COOKIE].to_str().unwrap());
    let mut registry = SqlRegistry::open(dir.path()).unwrap();
    let newer = new_token(&mut registry).unwrap();
    let (status, _, _) = send(&state, set(Some(&second), site)).await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "a new token ended the session"
    );
    let (_, headers, _) = send(
        &state,
        post("/admin/login", &format!("token={newer}"), None, site),
    )
    .await;
    let third = session_of(headers[header::SET_COOKIE].to_str().unwrap());
    let (status, _, page) = send(
        &state,
        post("/admin/registrations", "mode=sideways", Some(&third), site),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("role=\"alert\""), "{page}");
}

/// The session id a `Set-Cookie` carries.
fn session_of(cookie: &str) -> String {
    cookie
        .split(';')
        .next()
        .and_then(|c| c.split_once('='))
        .map(|(_, v)| v.to_owned())
        .unwrap()
}
