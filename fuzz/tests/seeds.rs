//! Writes seed inputs for the fuzz targets into `fuzz/corpus/<target>/`: valid
//! frames, messages, envelopes, bundles and invitation codes, so the fuzzers
//! start past each format's magic bytes and checks. Run once, by hand:
//! `cargo test -p rally-fuzz --test seeds -- --ignored`.

use std::path::Path;

use rally_core::protocol::{DocHeads, Message, PROTOCOL_VERSION, WireChange};
use rally_core::sealed::{Content, Envelope, EpochSecret, Grant, log_id};
use rally_core::{Document, EventDetails, InviteToken, Persona, bundle};

fn write(target: &str, name: &str, bytes: &[u8]) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("corpus")
        .join(target);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(format!("seed-{name}")), bytes).unwrap();
}

#[test]
#[ignore = "writes the seed corpus; run by hand"]
fn write_seeds() {
    let alice = Persona::generate();
    let now = "2027-01-01T10:00:00Z".parse().unwrap();
    let details = EventDetails::new("Assembly", "2027-05-01T10:00".parse().unwrap(), "UTC");
    let (event, _) = Document::create_event(&alice, "alice", &details, None, now).unwrap();
    let changes = event.signed_changes();

    let messages = [
        Message::Hello {
            version: PROTOCOL_VERSION,
            persona: alice.id().0,
            nonce: [1; 32],
            epoch: [2; 16],
        },
        Message::Auth {
            signature: vec![3; 64],
            invite: Some("rally-invite:abc".into()),
        },
        Message::Heads {
            docs: vec![DocHeads {
                doc: event.id().0,
                heads: event.heads().iter().map(|h| h.0).collect(),
            }],
            ack: false,
            seq: 1,
        },
        Message::Want {
            doc: event.id().0,
            have: Vec::new(),
        },
        Message::Changes {
            doc: event.id().0,
            changes: changes.iter().map(WireChange::from_signed).collect(),
            last: true,
        },
        Message::Synced { heard: true },
    ];
    let mut batch = Vec::new();
    batch.extend_from_slice(&7u64.to_le_bytes());
    batch.extend_from_slice(&0u64.to_le_bytes());
    batch.extend_from_slice(&(messages.len() as u32).to_le_bytes());
    for (i, m) in messages.iter().enumerate() {
        let bytes = m.encode();
        write("message", &i.to_string(), &bytes);
        batch.extend_from_slice(&(bytes.len() as u32).to_le_bytes());
        batch.extend_from_slice(&bytes);
    }
    write("frame", "batch", &batch);

    let log = log_id(&event.id());
    let epoch = EpochSecret::generate();
    let sealed = Envelope::seal(
        &log,
        &alice,
        Vec::new(),
        &epoch,
        &Content::Message {
            text: "See you at the square".into(),
            reply_to: None,
            at: 1,
        },
    )
    .unwrap();
    write("envelope", "sealed", &sealed.sign(&alice).bytes);
    let grant = Grant {
        group: event.id().0,
        epoch: Some([4; 32]),
        members: vec![alice.id().0],
        document_keys: Vec::new(),
        history: Vec::new(),
    };
    let granted = Envelope::grant(
        &log,
        &alice,
        Vec::new(),
        &grant,
        &[rally_core::sealed::recipient_key(&alice.id()).unwrap()],
    )
    .unwrap();
    write("envelope", "grant", &granted.sign(&alice).bytes);

    write("bundle", "event", &bundle::encode(&changes));
    write(
        "invite",
        "token",
        InviteToken::generate(event.id()).encode().as_bytes(),
    );
}
