//! What each fuzz target feeds hostile bytes to: one function per target, used by
//! the cargo-fuzz targets in `libfuzzer/` (nightly, run outside CI) and by
//! `tests/replay.rs`, which runs every kept input (`corpus/<target>/` and
//! `crashers/<target>/`) through the same function on every CI run.
//!
//! Each function must return — whatever the bytes — without panicking, and
//! within bounded time and memory; where a format has an encoder, what decodes
//! must encode back to the same value.

use axum::http::{HeaderMap, HeaderName, HeaderValue};
use jiff::Timestamp;
use rally_core::protocol::Message;
use rally_core::sealed::Envelope;
use rally_core::{InviteToken, bundle, text};
use rally_server::fedi::{sig, vocab};
use serde_json::Value;

/// What a target does with one input.
pub type Target = fn(&[u8]);

/// The targets, by name (the directories of kept inputs are named alike).
pub const TARGETS: &[(&str, Target)] = &[
    ("frame", frame),
    ("message", message),
    ("envelope", envelope),
    ("bundle", bundle),
    ("invite", invite),
    ("activity", activity),
    ("signature", signature),
    ("discovery", discovery),
    ("cleaners", cleaners),
];

/// A batch of frames as a peer's stream carries it, read as each protocol
/// reads it (plain, and as the bytes after a packed batch's encoding byte say),
/// then each frame as a message.
pub fn frame(data: &[u8]) {
    let plain = futures::executor::block_on(rally_net::read_batch(
        &mut futures::io::Cursor::new(data),
        Default::default(),
    ));
    let packed = futures::executor::block_on(rally_net::read_packed_batch(
        &mut futures::io::Cursor::new(data),
        Default::default(),
    ));
    for batch in [plain, packed].into_iter().flatten() {
        for f in &batch.frames {
            message(f);
        }
    }
}

/// A sync message: what decodes encodes back to itself.
pub fn message(data: &[u8]) {
    let _ = Message::is_pre_auth(data);
    if let Ok(m) = Message::decode(data) {
        let again = Message::decode(&m.encode()).expect("an encoded message decodes");
        assert_eq!(again, m, "a message changed on its way through the codec");
    }
}

/// A group log's envelope, opened with keys that are not its own.
pub fn envelope(data: &[u8]) {
    if let Ok(e) = Envelope::decode(data) {
        let _ = e.open(&[7; 32]);
        let _ = e.open_grant(&[7; 32]);
    }
}

/// A bundle file.
pub fn bundle(data: &[u8]) {
    if let Ok(changes) = bundle::decode(data) {
        let again = bundle::decode(&bundle::encode(&changes)).expect("an encoded bundle decodes");
        assert_eq!(again.len(), changes.len());
    }
}

/// An invitation code as pasted: what decodes encodes back to itself.
pub fn invite(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    if let Ok(token) = InviteToken::decode(&text) {
        let again = InviteToken::decode(&token.encode()).expect("an encoded invitation decodes");
        assert_eq!(again.encode(), token.encode());
    }
}

/// An ActivityPub document read as each thing the inbox reads.
pub fn activity(data: &[u8]) {
    let Ok(v) = serde_json::from_slice::<Value>(data) else {
        return;
    };
    for v in [&v, &v["object"]] {
        if let Ok(a) = vocab::Activity::parse(v) {
            let _ = (a.object_id(), a.object_type());
        }
        let _ = vocab::RemoteActor::parse(v).map(|a| (a.handle(), a.display()));
        let _ = vocab::RemoteNote::parse(v);
        let _ = vocab::RemoteEvent::parse(v);
        let _ = (vocab::id_of(v), vocab::ids_of(Some(v)), vocab::type_of(v));
    }
}

/// HTTP headers (one `name: value` per line, then the body after a blank line)
/// read as a signed request, in either scheme.
pub fn signature(data: &[u8]) {
    let (head, body) = match data.windows(2).position(|w| w == b"\n\n") {
        Some(i) => (&data[..i], &data[i + 2..]),
        None => (data, &[][..]),
    };
    let mut headers = HeaderMap::new();
    for line in head.split(|b| *b == b'\n') {
        let Some(colon) = line.iter().position(|b| *b == b':') else {
            continue;
        };
        let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(&line[..colon]),
            HeaderValue::from_bytes(line[colon + 1..].trim_ascii()),
        ) else {
            continue;
        };
        headers.append(name, value);
    }
    let req = sig::Received {
        method: "POST",
        target: "/inbox",
        headers: &headers,
        body,
        origin: "https://rally.example",
    };
    let now = Timestamp::from_second(1_790_000_000).expect("a valid time");
    let _ = sig::read(&req, now);
}

/// A WebFinger answer and a NodeInfo discovery document.
pub fn discovery(data: &[u8]) {
    if let Ok(v) = serde_json::from_slice::<Value>(data) {
        let _ = vocab::webfinger_actor(&v);
        let _ = vocab::nodeinfo_application(&v);
    }
}

/// Markdown rendered and cleaned; HTML from elsewhere turned into text.
pub fn cleaners(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let html = text::markdown_to_html(&text);
    assert!(!html.to_ascii_lowercase().contains("<script"), "{html}");
    let _ = text::html_to_text(&text);
}
