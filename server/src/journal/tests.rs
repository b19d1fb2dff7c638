//! The journal on both backends: what one process' store took in reaches
//! another's, a process started empty gets everything, nothing is sent back,
//! pictures and relay facts go too, and an envelope's body goes at its time.

use rally_core::sealed::{Content, Envelope, EpochSecret, log_id};
use rally_core::{DocId, Document, EventDetails, Persona};

use super::*;
use crate::db::tests::each;

fn t(secs: i64) -> Timestamp {
    Timestamp::from_second(2_700_000_000 + secs).unwrap()
}

fn event(store: &mut Store, who: &str, title: &str) -> DocId {
    let me = match store.persona(who).unwrap() {
        Some(p) => p,
        None => store.create_persona(who, t(0)).unwrap(),
    };
    let d = EventDetails::new(title, "2055-05-01T18:00".parse().unwrap(), "Europe/Paris");
    let (doc, _) = Document::create_event(&me.persona, who, &d, None, t(0)).unwrap();
    store.insert_new(&doc).unwrap();
    doc.id()
}

fn node() -> PersonaId {
    Persona::generate().id()
}

/// A process' store, listing what it takes in, and its view of the journal.
fn process(database: &Database) -> (tempfile::TempDir, Store, Journal) {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    store.share_through_journal().unwrap();
    (dir, store, Journal::open(database, &node()).unwrap())
}

#[test]
fn processes_share_their_documents_through_the_journal() {
    for (_dir, database) in each() {
        let (_a, mut a, ja) = process(&database);
        let (_b, mut b, jb) = process(&database);
        let picnic = event(&mut a, "ana", "Picnic");
        assert_eq!(ja.publish(&a).unwrap().changes, 1, "{database:?}");
        assert_eq!(ja.publish(&a).unwrap(), Moved::default(), "nothing new");

        // B takes it, writes its own, and sends only its own.
        assert_eq!(jb.take(&mut b, t(1)).unwrap().changes, 1);
        assert_eq!(
            b.load(picnic).unwrap().heads(),
            a.load(picnic).unwrap().heads(),
            "{database:?}"
        );
        let march = event(&mut b, "ben", "March");
        let sent = jb.publish(&b).unwrap();
        assert_eq!(sent.changes, 1, "only B's own is new");
        assert_eq!(
            b.outgoing_after(0, 10).unwrap().0,
            None,
            "what B took is not listed to be sent back"
        );
        // A reads its own back too, and B's.
        assert_eq!(ja.take(&mut a, t(2)).unwrap().changes, 2);
        assert!(a.load(march).is_ok(), "{database:?}");
        assert_eq!(ja.take(&mut a, t(2)).unwrap(), Moved::default());
        // A writes again after its list was emptied: still sent.
        let third = event(&mut a, "ana", "Soup kitchen");
        assert_eq!(ja.publish(&a).unwrap().changes, 1, "{database:?}");

        // A process started on an empty directory gets everything.
        let (_c, mut c, jc) = process(&database);
        assert_eq!(jc.take(&mut c, t(3)).unwrap().changes, 3);
        for doc in [picnic, march, third] {
            assert_eq!(c.load(doc).unwrap().heads(), a.load(doc).unwrap().heads());
        }
        assert_eq!(
            jc.publish(&c).unwrap(),
            Moved::default(),
            "nothing sent back"
        );
        assert_eq!(ja.checksum().unwrap().finish().0, 3);
    }
}

#[test]
fn pictures_go_through_the_journal_after_what_names_them() {
    for (_dir, database) in each() {
        let (_a, a, ja) = process(&database);
        let (_b, mut b, jb) = process(&database);
        let bytes = b"not really a picture, but bytes with a hash".to_vec();
        let hash = BlobHash(Sha256::digest(&bytes).into());
        a.put_blob(hash, &bytes, true).unwrap();
        assert_eq!(ja.publish(&a).unwrap().blobs, 1, "{database:?}");
        assert_eq!(jb.take(&mut b, t(1)).unwrap().blobs, 1);
        assert_eq!(b.blob(hash).unwrap(), Some(bytes), "{database:?}");
        assert_eq!(jb.publish(&b).unwrap(), Moved::default());
        // A picture whose bytes do not match its hash is not kept.
        let forged = BlobHash([9; 32]);
        ja.conn
            .exec(
                "INSERT INTO entries (key, kind, bytes) VALUES (?1, 2, ?2)",
                vals![&forged.0, b"other bytes".as_slice()],
            )
            .unwrap();
        jb.take(&mut b, t(2)).unwrap();
        assert_eq!(b.blob(forged).unwrap(), None, "{database:?}");
    }
}

#[test]
fn a_change_the_document_refuses_is_not_taken() {
    for (_dir, database) in each() {
        let (_a, mut a, ja) = process(&database);
        let (_b, mut b, jb) = process(&database);
        let picnic = event(&mut a, "ana", "Picnic");
        let forged = match a.outgoing_after(0, 10).unwrap().1.remove(0) {
            Outgoing::Change(mut c) => {
                c.signature[0] ^= 1;
                c
            }
            other => panic!("{other:?}"),
        };
        ja.publish(&a).unwrap();
        // A forged entry: Ana's change under a signature she did not make.
        ja.conn
            .exec(
                "INSERT INTO entries (key, kind, doc, author, bytes) VALUES (?1, 0, ?2, ?3, ?4)",
                vals![
                    forged.signature.as_slice(),
                    &forged.doc.0,
                    &forged.author.0,
                    forged.bytes.as_slice()
                ],
            )
            .unwrap();
        assert_eq!(jb.take(&mut b, t(1)).unwrap().changes, 2);
        let accepted = b.export(&[picnic]).unwrap();
        assert_eq!(
            accepted.len(),
            1,
            "{database:?}: the forged copy is not stored"
        );
        assert_ne!(accepted[0].signature, forged.signature);
    }
}

#[test]
fn an_envelopes_body_goes_from_the_journal_at_its_time() {
    for (_dir, database) in each() {
        let alice = Persona::generate();
        let log = log_id(&DocId([7; 32]));
        let message = Content::Message {
            text: "gone by noon".into(),
            reply_to: None,
            at: 1,
        };
        let env = Envelope::seal_expiring(
            &log,
            &alice,
            vec![],
            &EpochSecret::generate(),
            &message,
            Some(5_000),
        )
        .unwrap();
        let signed = env.sign(&alice);
        assert_eq!(expiry(&signed), Some(5_000), "publish keeps the expiry");
        let j = Journal::open(&database, &node()).unwrap();
        j.conn
            .exec(
                "INSERT INTO entries (key, kind, doc, author, bytes, expires)
                 VALUES (?1, 0, ?2, ?3, ?4, ?5)",
                vals![
                    signed.signature.as_slice(),
                    &signed.doc.0,
                    &signed.author.0,
                    signed.bytes.as_slice(),
                    5_000i64
                ],
            )
            .unwrap();
        assert_eq!(j.sweep(4_999).unwrap(), 0);
        assert_eq!(j.sweep(5_000).unwrap(), 1);
        assert_eq!(j.sweep(6_000).unwrap(), 0, "once");
        let held: Vec<u8> = j
            .conn
            .one("SELECT bytes FROM entries", &[])
            .unwrap()
            .unwrap();
        assert_eq!(
            held,
            rally_core::sealed::stub_of(&signed.bytes).unwrap(),
            "{database:?}"
        );
        let stub = SignedChange {
            bytes: held,
            ..signed
        };
        assert!(Envelope::verify(&stub).unwrap().is_stub(), "still signed");
    }
}

/// What one relay learned from its peers reaches the others in the journal's
/// order; a fact taken is not listed again; a server that ran alone sends
/// what it holds when it joins; a row changed here since the last send keeps
/// its own state until its fact comes back.
#[test]
fn what_a_relay_learned_reaches_the_other_processes() {
    for (_dir, database) in each() {
        let dirs: Vec<tempfile::TempDir> = (0..3).map(|_| tempfile::tempdir().unwrap()).collect();
        let raw = |i: usize| rally_store::at_rest::connect(dirs[i].path()).unwrap();
        let mut stores: Vec<Store> = dirs
            .iter()
            .map(|d| Store::open(d.path()).unwrap())
            .collect();
        let (log, remote, doc) = ([1u8; 32], [2u8; 32], [3u8; 32]);
        let held = |i: usize, table: &str| -> i64 {
            raw(i)
                .query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
                .unwrap()
        };
        let invite = |i: usize, invite: u8, open: bool| {
            let sql = if open {
                "INSERT INTO open_invites (log, invite) VALUES (?1, ?2)"
            } else {
                "DELETE FROM open_invites WHERE log = ?1 AND invite = ?2"
            };
            raw(i)
                .execute(sql, rusqlite::params![log, [invite; 32]])
                .unwrap();
        };
        // C ran alone before: what it holds is sent when it joins.
        raw(2)
            .execute("INSERT INTO shared_docs (doc) VALUES (?1)", [doc])
            .unwrap();
        for s in &mut stores {
            s.share_through_journal().unwrap();
        }
        let journals: Vec<Journal> = (0..3)
            .map(|_| Journal::open(&database, &node()).unwrap())
            .collect();
        // A's relay hears of two open invitations and shares a document.
        invite(0, 4, true);
        invite(0, 5, true);
        raw(0)
            .execute(
                "INSERT INTO relayed_docs (remote, doc) VALUES (?1, ?2)",
                rusqlite::params![remote, doc],
            )
            .unwrap();
        assert_eq!(journals[0].publish(&stores[0]).unwrap().facts, 3);
        assert_eq!(journals[2].publish(&stores[2]).unwrap().facts, 1);
        // Again, after its list was emptied: still sent.
        invite(0, 6, true);
        assert_eq!(
            journals[0].publish(&stores[0]).unwrap().facts,
            1,
            "{database:?}"
        );
        // B takes them (and lists nothing), then closes one invitation.
        assert_eq!(journals[1].take(&mut stores[1], t(1)).unwrap().facts, 5);
        assert_eq!(held(1, "open_invites"), 3, "{database:?}");
        assert_eq!(held(1, "relayed_docs"), 1);
        assert_eq!(held(1, "shared_docs"), 1);
        assert_eq!(
            stores[1].relay_facts_after(0, 10).unwrap().0,
            None,
            "not sent back"
        );
        invite(1, 4, false);
        assert_eq!(journals[1].publish(&stores[1]).unwrap().facts, 1);
        // A closes invitation 5 and takes before sending: its own older fact
        // (5 open) does not open it again.
        invite(0, 5, false);
        journals[0].take(&mut stores[0], t(2)).unwrap();
        assert_eq!(held(0, "open_invites"), 1, "only 6: {database:?}");
        journals[0].publish(&stores[0]).unwrap();
        // Every process ends the same, its own facts applied in order too.
        for (i, j) in journals.iter().enumerate() {
            j.take(&mut stores[i], t(3)).unwrap();
            assert_eq!(held(i, "open_invites"), 1, "{i} {database:?}");
            assert_eq!(held(i, "relayed_docs"), 1, "{i}");
            assert_eq!(held(i, "shared_docs"), 1, "{i}");
            assert_eq!(stores[i].relay_facts_after(0, 10).unwrap().0, None, "{i}");
        }
    }
}
