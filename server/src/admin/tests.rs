use super::*;

use axum::body::Body;
use axum::http::Request;
use tower::ServiceExt as _;

fn state(dir: &std::path::Path) -> (Arc<AdminState>, String) {
    let mut registry = SqliteRegistry::open(dir).unwrap();
    let token = new_token(&mut registry).unwrap();
    let http = Arc::new(crate::http::State {
        registry: rally_service::Handle::spawn(registry, "test-registry").unwrap(),
        p2p: std::sync::Mutex::new(Vec::new()),
        public_url: "https://rally.example".into(),
        federates: false,
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

    let (status, headers, _) = send(&state, post("/admin/login", "token=nope", None, None)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(headers.get(header::SET_COOKIE).is_none());

    let (status, headers, _) = send(
        &state,
        post(
            "/admin/login",
            &format!("token={token}"),
            None,
            Some("https://rally.example"),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let cookie = headers[header::SET_COOKIE].to_str().unwrap();
    for part in ["HttpOnly", "SameSite=Strict", "Secure", "Path=/admin"] {
        assert!(cookie.contains(part), "{cookie}");
    }

    let set = |cookie, origin| post("/admin/registrations", "mode=closed", cookie, origin);
    let (status, _, _) = send(&state, set(None, None)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _, _) = send(&state, set(Some("wrong"), None)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _, _) = send(&state, set(Some(&token), Some("https://evil.example"))).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_ne!(mode(&state).await, Mode::Closed);

    let (status, _, page) = send(&state, set(Some(&token), Some("https://rally.example"))).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains("Registrations are now closed."), "{page}");
    assert_eq!(mode(&state).await, Mode::Closed);

    let mut registry = SqliteRegistry::open(dir.path()).unwrap();
    let newer = new_token(&mut registry).unwrap();
    let (status, _, _) = send(&state, set(Some(&token), None)).await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "the old token stopped working"
    );
    let (status, _, page) = send(
        &state,
        post("/admin/registrations", "mode=sideways", Some(&newer), None),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("role=\"alert\""), "{page}");
}
