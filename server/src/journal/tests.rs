//! The journal on both backends: what one process' store took in reaches
//! another's, a process started empty gets everything, nothing is written
//! twice, and an envelope's body goes at its time.

use rally_core::sealed::{Content, Envelope, EpochSecret, log_id};
use rally_core::{DocId, Document, EventDetails, Persona};

use super::*;
use crate::db::tests::each;

fn t(secs: i64) -> Timestamp {
    Timestamp::from_second(2_700_000_000 + secs).unwrap()
}

fn event(store: &mut Store, who: &str, title: &str) -> DocId {
    let me = store.create_persona(who, t(0)).unwrap();
    let d = EventDetails::new(title, "2055-05-01T18:00".parse().unwrap(), "Europe/Paris");
    let (doc, _) = Document::create_event(&me.persona, who, &d, None, t(0)).unwrap();
    store.insert_new(&doc).unwrap();
    doc.id()
}

fn node() -> PersonaId {
    Persona::generate().id()
}

#[test]
fn processes_share_their_documents_through_the_journal() {
    for (_dir, database) in each() {
        let (dir_a, dir_b, dir_c) = (
            tempfile::tempdir().unwrap(),
            tempfile::tempdir().unwrap(),
            tempfile::tempdir().unwrap(),
        );
        let mut a = Store::open(dir_a.path()).unwrap();
        let mut b = Store::open(dir_b.path()).unwrap();
        let (ja, jb) = (
            Journal::open(&database, &node()).unwrap(),
            Journal::open(&database, &node()).unwrap(),
        );
        let picnic = event(&mut a, "ana", "Picnic");
        let sent = ja.publish(&a).unwrap();
        assert_eq!(sent.changes, 1, "{database:?}");
        assert_eq!(ja.publish(&a).unwrap(), Moved::default(), "nothing new");

        // B takes it, writes its own, and sends back only its own.
        assert_eq!(jb.take(&mut b, t(1)).unwrap().changes, 1);
        assert_eq!(
            b.load(picnic).unwrap().heads(),
            a.load(picnic).unwrap().heads(),
            "{database:?}"
        );
        let march = event(&mut b, "ben", "March");
        assert_eq!(jb.publish(&b).unwrap().changes, 1, "only B's own is new");
        // A reads its own back too (taking in journal order is what makes
        // every process end the same), and B's.
        assert_eq!(ja.take(&mut a, t(2)).unwrap().changes, 2);
        assert!(a.load(march).is_ok(), "{database:?}");
        assert_eq!(ja.take(&mut a, t(2)).unwrap(), Moved::default());

        // A process started on an empty directory gets everything.
        let mut c = Store::open(dir_c.path()).unwrap();
        let jc = Journal::open(&database, &node()).unwrap();
        assert_eq!(jc.take(&mut c, t(3)).unwrap().changes, 2);
        for doc in [picnic, march] {
            assert_eq!(c.load(doc).unwrap().heads(), a.load(doc).unwrap().heads());
        }
        let all = ja.checksum().unwrap();
        assert_eq!(all.count(), 2);
        for store in [&a, &b, &c] {
            let sum = Checksum::of_store(store).unwrap();
            assert_eq!((sum.count(), sum.hex()), (all.count(), all.hex()));
        }
        assert_eq!(
            jc.publish(&c).unwrap().changes,
            0,
            "what it took is already there"
        );
    }
}

#[test]
fn a_change_the_document_refuses_is_not_taken() {
    for (_dir, database) in each() {
        let (dir_a, dir_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let mut a = Store::open(dir_a.path()).unwrap();
        let mut b = Store::open(dir_b.path()).unwrap();
        let picnic = event(&mut a, "ana", "Picnic");
        let ja = Journal::open(&database, &node()).unwrap();
        ja.publish(&a).unwrap();
        // A forged row: another persona's signature over Ana's change.
        let mut forged = a.changes_after(0, 10).unwrap().remove(0).1;
        forged.signature[0] ^= 1;
        ja.conn
            .exec(
                "INSERT INTO changes (doc, author, signature, bytes) VALUES (?1, ?2, ?3, ?4)",
                vals![
                    &forged.doc.0,
                    &forged.author.0,
                    forged.signature.as_slice(),
                    forged.bytes.as_slice()
                ],
            )
            .unwrap();
        let jb = Journal::open(&database, &node()).unwrap();
        assert_eq!(jb.take(&mut b, t(1)).unwrap().changes, 2);
        assert_eq!(
            Checksum::of_store(&b).unwrap().count(),
            1,
            "{database:?}: the forged copy is not stored"
        );
        assert!(b.load(picnic).is_ok());
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
                "INSERT INTO changes (doc, author, signature, bytes, expires)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                vals![
                    &signed.doc.0,
                    &signed.author.0,
                    signed.signature.as_slice(),
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
            .one("SELECT bytes FROM changes", &[])
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
/// order; a fact taken is not recorded again; a server that ran alone sends
/// what it holds when it joins.
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
        // C ran alone before: what it holds is sent when it joins.
        raw(2)
            .execute("INSERT INTO shared_docs (doc) VALUES (?1)", [doc])
            .unwrap();
        for s in &mut stores {
            s.record_relay_state().unwrap();
        }
        let journals: Vec<Journal> = (0..3)
            .map(|_| Journal::open(&database, &node()).unwrap())
            .collect();
        // A's relay hears of two open invitations and shares a document.
        let a = raw(0);
        for invite in [[4u8; 32], [5u8; 32]] {
            a.execute(
                "INSERT INTO open_invites (log, invite) VALUES (?1, ?2)",
                rusqlite::params![log, invite],
            )
            .unwrap();
        }
        a.execute(
            "INSERT INTO relayed_docs (remote, doc) VALUES (?1, ?2)",
            rusqlite::params![remote, doc],
        )
        .unwrap();
        assert_eq!(journals[0].publish(&stores[0]).unwrap().facts, 3);
        assert_eq!(journals[2].publish(&stores[2]).unwrap().facts, 1);
        assert!(
            stores[0].relay_facts_after(0, 10).unwrap().is_empty(),
            "sent, forgotten"
        );
        // B takes them (and records nothing), then closes one invitation.
        assert_eq!(journals[1].take(&mut stores[1], t(1)).unwrap().facts, 4);
        assert_eq!(held(1, "open_invites"), 2, "{database:?}");
        assert_eq!(held(1, "relayed_docs"), 1);
        assert_eq!(held(1, "shared_docs"), 1);
        assert!(
            stores[1].relay_facts_after(0, 10).unwrap().is_empty(),
            "taken facts are not sent back"
        );
        raw(1)
            .execute("DELETE FROM open_invites WHERE invite = ?1", [[4u8; 32]])
            .unwrap();
        assert_eq!(journals[1].publish(&stores[1]).unwrap().facts, 1);
        // Every process ends the same, its own facts applied in order too.
        for (i, j) in journals.iter().enumerate() {
            j.take(&mut stores[i], t(2)).unwrap();
            assert_eq!(held(i, "open_invites"), 1, "{i} {database:?}");
            assert_eq!(held(i, "relayed_docs"), 1, "{i}");
            assert_eq!(held(i, "shared_docs"), 1, "{i}");
            assert!(
                stores[i].relay_facts_after(0, 10).unwrap().is_empty(),
                "{i}"
            );
        }
    }
}
