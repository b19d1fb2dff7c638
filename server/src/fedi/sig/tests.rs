use axum::http::{HeaderMap, HeaderName, HeaderValue};

use super::*;
use crate::fedi::vocab::fixture;

fn headers(pairs: &[(&str, String)]) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (k, v) in pairs {
        map.append(
            HeaderName::from_bytes(k.as_bytes()).unwrap(),
            HeaderValue::from_str(v).unwrap(),
        );
    }
    map
}

fn received<'a>(
    method: &'a str,
    target: &'a str,
    h: &'a HeaderMap,
    body: &'a [u8],
) -> Received<'a> {
    Received {
        method,
        target,
        headers: h,
        body,
        origin: "http://localhost:8080",
    }
}

fn now() -> Timestamp {
    "2026-11-27T10:00:00Z".parse().unwrap()
}

#[test]
fn cavage_round_trip_and_what_breaks_it() {
    let key = ActorKey::generate().unwrap();
    let public = PublicKey::from_pem(&key.public_pem().unwrap()).unwrap();
    let url = url::Url::parse("http://localhost:8080/inbox").unwrap();
    let body = br#"{"type":"Follow"}"#;
    let signed = sign(
        &key,
        "http://a.example/actor#main-key",
        "POST",
        &url,
        Some(body),
        now(),
    )
    .unwrap();
    let h = headers(&signed);
    let claim = read(&received("POST", "/inbox", &h, body), now()).unwrap();
    assert_eq!(claim.scheme, Scheme::Cavage);
    assert_eq!(claim.key_id, "http://a.example/actor#main-key");
    claim.verify(&public).unwrap();

    let tampered = br#"{"type":"Follox"}"#;
    assert_eq!(
        read(&received("POST", "/inbox", &h, tampered), now()).unwrap_err(),
        SigError::Digest
    );
    let other_path = read(&received("POST", "/groups/x/inbox", &h, body), now()).unwrap();
    assert_eq!(other_path.verify(&public), Err(SigError::Invalid));
    for off in [61, -61] {
        let at = now() + SignedDuration::from_mins(off);
        assert_eq!(
            read(&received("POST", "/inbox", &h, body), at).unwrap_err(),
            SigError::Stale,
            "{off} minutes away"
        );
    }
    let near = now() + SignedDuration::from_mins(59);
    assert!(read(&received("POST", "/inbox", &h, body), near).is_ok());
    // Signed for another server: refused even though the signature verifies.
    let elsewhere = Received {
        origin: "https://rally.example",
        ..received("POST", "/inbox", &h, body)
    };
    assert_eq!(
        read(&elsewhere, now()).unwrap_err(),
        SigError::WrongHost("localhost:8080".into())
    );
    let other_key =
        PublicKey::from_pem(&ActorKey::generate().unwrap().public_pem().unwrap()).unwrap();
    assert_eq!(claim.verify(&other_key), Err(SigError::Invalid));
}

#[test]
fn a_post_must_sign_its_digest() {
    let key = ActorKey::generate().unwrap();
    let url = url::Url::parse("http://localhost:8080/inbox").unwrap();
    let signed = sign(&key, "k", "GET", &url, None, now()).unwrap();
    let h = headers(&signed);
    assert_eq!(
        read(&received("POST", "/inbox", &h, b"{}"), now()).unwrap_err(),
        SigError::NotCovered("digest")
    );
    assert_eq!(
        read(&received("POST", "/inbox", &HeaderMap::new(), b"{}"), now()).unwrap_err(),
        SigError::Unsigned
    );
}

#[test]
fn reads_gancio_as_captured() {
    let capture: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(fixture("gancio-1.21-delivery-http-headers.json")).unwrap(),
    )
    .unwrap();
    let body = std::fs::read(fixture("gancio-1.21-delivery-body.bin")).unwrap();
    let pairs: Vec<(&str, String)> = capture["headers"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str().unwrap().to_owned()))
        .collect();
    let h = headers(&pairs);
    let at: Timestamp = "2026-11-27T10:22:40Z".parse().unwrap();
    let claim = read(&received("POST", "/inbox", &h, &body), at).unwrap();
    assert_eq!(
        claim.key_id,
        "http://localhost:13120/federation/u/relay#main-key"
    );
    let base = String::from_utf8(claim.base).unwrap();
    assert_eq!(
        base,
        "(request-target): post /inbox\nhost: localhost\ndate: Fri, 27 Nov 2026 10:22:34 GMT\ndigest: SHA-256=jum9Gw9VNIEGTGETmi388w0whLin2PcVzgw/XO43+xU="
    );
}

/// Signs like an RFC 9421 client would (the independent check is the Fedify
/// peer in `tests/federation.rs`).
fn sign_9421(
    key: &ActorKey,
    components: &[&str],
    created: i64,
    h: &mut Vec<(&'static str, String)>,
    body: &[u8],
) {
    let digest = format!("sha-256=:{}:", B64.encode(sha2::Sha256::digest(body)));
    h.push(("content-digest", digest.clone()));
    h.push(("date", "Fri, 27 Nov 2026 10:00:00 GMT".into()));
    let list = components
        .iter()
        .map(|c| format!("\"{c}\""))
        .collect::<Vec<_>>()
        .join(" ");
    let params = format!(
        "({list});alg=\"rsa-v1_5-sha256\";keyid=\"http://a.example/actor#main-key\";created={created}"
    );
    let mut base = String::new();
    for c in components {
        let v = match *c {
            "@method" => "POST".to_owned(),
            "@target-uri" => "http://localhost:8080/inbox".to_owned(),
            "@authority" => "localhost:8080".to_owned(),
            "content-digest" => digest.clone(),
            "date" => "Fri, 27 Nov 2026 10:00:00 GMT".to_owned(),
            _ => unreachable!(),
        };
        base.push_str(&format!("\"{c}\": {v}\n"));
    }
    base.push_str(&format!("\"@signature-params\": {params}"));
    let sig = B64.encode(key.sign(base.as_bytes()).unwrap());
    h.push(("signature-input", format!("sig1={params}")));
    h.push(("signature", format!("sig1=:{sig}:")));
}

#[test]
fn rfc9421_round_trip_and_what_breaks_it() {
    let key = ActorKey::generate().unwrap();
    let public = PublicKey::from_pem(&key.public_pem().unwrap()).unwrap();
    let body = br#"{"type":"Create"}"#;
    let mut pairs = Vec::new();
    sign_9421(
        &key,
        &[
            "@method",
            "@target-uri",
            "@authority",
            "content-digest",
            "date",
        ],
        now().as_second(),
        &mut pairs,
        body,
    );
    let h = headers(&pairs);
    let claim = read(&received("POST", "/inbox", &h, body), now()).unwrap();
    assert_eq!(claim.scheme, Scheme::Rfc9421);
    assert_eq!(claim.key_id, "http://a.example/actor#main-key");
    claim.verify(&public).unwrap();
    assert_eq!(
        read(&received("POST", "/inbox", &h, b"{}"), now()).unwrap_err(),
        SigError::Digest
    );
    let moved = read(&received("POST", "/elsewhere", &h, body), now()).unwrap();
    assert_eq!(moved.verify(&public), Err(SigError::Invalid));

    let mut no_digest = Vec::new();
    sign_9421(
        &key,
        &["@method", "@target-uri"],
        now().as_second(),
        &mut no_digest,
        body,
    );
    let h = headers(&no_digest);
    assert_eq!(
        read(&received("POST", "/inbox", &h, body), now()).unwrap_err(),
        SigError::NotCovered("content-digest")
    );
    let mut old = Vec::new();
    sign_9421(
        &key,
        &["@method", "@target-uri", "content-digest"],
        now().as_second() - 13 * 3600,
        &mut old,
        body,
    );
    let h = headers(&old);
    assert_eq!(
        read(&received("POST", "/inbox", &h, body), now()).unwrap_err(),
        SigError::Stale
    );
}
