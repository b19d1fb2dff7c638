//! Pictures' blobs between real stores through the real protocol
//! (`rally_core::protocol::Session` over the stores' sync repos, frames passed in
//! memory): a blob a document names is fetched after the document; a blob
//! nobody asked for is not kept; a blob whose bytes are not its hash's drops
//! the peer and is not kept.

use rally_core::picture::{BlobHash, Picture, blob_hash};
use rally_core::protocol::{Message, Session, SessionError};
use rally_core::{Document, EventDetails};
use rally_store::{BlobTaken, Store, SyncRepo, Timestamp};

fn device(name: &str) -> (tempfile::TempDir, SyncRepo) {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    let me = store.create_persona(name, Timestamp::now()).unwrap();
    (dir, SyncRepo::new(store, me))
}

/// A device with one public event whose banner names `bytes` (one blob for
/// both sizes; the store does not look inside a blob).
fn organiser(bytes: &[u8]) -> (tempfile::TempDir, SyncRepo, BlobHash) {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    let me = store.create_persona("ana", Timestamp::now()).unwrap();
    let hash = blob_hash(bytes);
    let mut d = EventDetails::new(
        "Repair café",
        "2027-05-01T10:00".parse().unwrap(),
        "Europe/Paris",
    );
    d.banner = Some(Picture {
        hash,
        width: 640,
        height: 320,
        size: bytes.len() as u32,
        card: hash,
        card_width: 640,
        card_height: 320,
        alt: "Tools on a table".into(),
    });
    let (doc, _) = Document::create_event(&me.persona, "ana", &d, None, Timestamp::now()).unwrap();
    store.insert_new_batch(&[doc]).unwrap();
    assert_eq!(
        store.put_blob(hash, bytes, false).unwrap(),
        BlobTaken::Stored
    );
    (dir, SyncRepo::new(store, me), hash)
}

/// Runs a session until it settles; `tamper` may rewrite what `a` sends.
fn sync(
    ra: &mut SyncRepo,
    rb: &mut SyncRepo,
    tamper: impl Fn(Vec<u8>) -> Vec<u8>,
) -> Result<(), SessionError> {
    let (mut sa, to_b) = Session::new(
        ra.persona().persona.clone(),
        ra.store().epoch().unwrap(),
        b"a".to_vec(),
        b"b".to_vec(),
    );
    let (mut sb, to_a) = Session::new(
        rb.persona().persona.clone(),
        rb.store().epoch().unwrap(),
        b"b".to_vec(),
        b"a".to_vec(),
    );
    let (mut to_a, mut to_b) = (to_a, to_b);
    for round in 1..1000 {
        if to_a.is_empty() && to_b.is_empty() {
            return Ok(());
        }
        let mut next_a = Vec::new();
        for f in to_b.drain(..) {
            next_a.extend(sb.handle(rb, &tamper(f), round)?);
        }
        let mut next_b = Vec::new();
        for f in to_a.drain(..) {
            next_b.extend(sa.handle(ra, &f, round).unwrap());
        }
        to_a = next_a;
        to_b = next_b;
    }
    panic!("the sync does not settle");
}

#[test]
fn a_named_blob_follows_its_document() {
    let bytes = b"the page size of a banner".repeat(100);
    let (_a, mut ra, hash) = organiser(&bytes);
    let (_b, mut rb) = device("ben");
    assert_eq!(rb.store().blob(hash).unwrap(), None);
    sync(&mut ra, &mut rb, |f| f).unwrap();
    assert_eq!(rb.store().blob(hash).unwrap(), Some(bytes));
}

#[test]
fn a_blob_nobody_asked_for_is_not_kept() {
    let (_a, mut ra, _) = organiser(b"banner");
    let (_b, mut rb) = device("ben");
    let stray = b"forty megabytes of something".to_vec();
    let stray_hash = blob_hash(&stray);
    // Slipped in after each of the peer's frames.
    let (mut sa, to_b) = Session::new(
        ra.persona().persona.clone(),
        ra.store().epoch().unwrap(),
        b"a".to_vec(),
        b"b".to_vec(),
    );
    let (mut sb, to_a) = Session::new(
        rb.persona().persona.clone(),
        rb.store().epoch().unwrap(),
        b"b".to_vec(),
        b"a".to_vec(),
    );
    let (mut to_a, mut to_b) = (to_a, to_b);
    let unasked = Message::Blob {
        hash: stray_hash.0,
        bytes: stray.clone(),
    }
    .encode();
    for round in 1..100 {
        let mut next_a = Vec::new();
        for f in to_b.drain(..) {
            next_a.extend(sb.handle(&mut rb, &f, round).unwrap());
            next_a.extend(sb.handle(&mut rb, &unasked, round).unwrap());
        }
        let mut next_b = Vec::new();
        for f in to_a.drain(..) {
            next_b.extend(sa.handle(&mut ra, &f, round).unwrap());
        }
        to_a = next_a;
        to_b = next_b;
    }
    assert_eq!(rb.store().blob(stray_hash).unwrap(), None);
    // And the store itself refuses it when offered directly.
    assert_eq!(
        rb.store().take_blob(stray_hash, &stray).unwrap(),
        BlobTaken::Unwanted
    );
    assert_eq!(
        rb.store().take_blob(stray_hash, b"other bytes").unwrap(),
        BlobTaken::Corrupt
    );
}

#[test]
fn a_blob_that_is_not_what_its_hash_says_drops_the_peer() {
    let bytes = b"banner bytes".to_vec();
    let (_a, mut ra, hash) = organiser(&bytes);
    let (_b, mut rb) = device("ben");
    let outcome = sync(&mut ra, &mut rb, |f| match Message::decode(&f) {
        Ok(Message::Blob { hash, bytes }) if !bytes.is_empty() => Message::Blob {
            hash,
            bytes: b"swapped for something else".to_vec(),
        }
        .encode(),
        _ => f,
    });
    let err = outcome.unwrap_err();
    assert!(err.is_misbehaviour(), "{err}");
    assert_eq!(rb.store().blob(hash).unwrap(), None);
}
