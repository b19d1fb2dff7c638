//! The store encrypted at rest, on real SQLCipher files: nothing readable on
//! disk, keys from a keystore or a passphrase, plaintext stores migrated, and
//! every state a crash can leave a migration in.

use std::path::Path;

use rally_core::jiff::Timestamp;
use rally_core::{Document, EventDetails};

use super::{MemoryKeystore, Protection, Unlock, forget};
use crate::{DB_FILE, EventQuery, Store, StoreError};

const TITLE: &str = "Secret assembly at the old bakery";

fn in_keystore(keystore: &MemoryKeystore) -> Unlock<'_> {
    Unlock {
        passphrase: None,
        keystore: Some(keystore),
    }
}

fn sealed_by(passphrase: &str) -> Unlock<'_> {
    Unlock {
        passphrase: Some(passphrase),
        keystore: None,
    }
}

fn t(secs: i64) -> Timestamp {
    Timestamp::from_second(1_780_000_000 + secs).unwrap()
}

/// A persona and an event in `store`; the persona's secret key.
fn fill(store: &mut Store) -> [u8; 32] {
    let alice = store.create_persona("alice-undercover", t(0)).unwrap();
    let details = EventDetails::new(TITLE, "2027-03-05T14:00".parse().unwrap(), "Europe/Paris");
    let (doc, _) = Document::create_event(&alice.persona, "alice", &details, None, t(0)).unwrap();
    store.insert_new(&doc).unwrap();
    alice.persona.secret_bytes()
}

fn titles(dir: &Path) -> Vec<String> {
    let store = Store::open(dir).unwrap();
    let mut q = EventQuery::upcoming(t(0));
    q.upcoming = false;
    store
        .events(&q)
        .unwrap()
        .into_iter()
        .map(|e| e.title)
        .collect()
}

/// Every byte of every file under `dir`.
fn all_bytes(dir: &Path) -> Vec<u8> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            out.extend(std::fs::read(path).unwrap());
        }
    }
    out
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

fn assert_unreadable(dir: &Path, secret: &[u8; 32]) {
    let bytes = all_bytes(dir);
    assert!(!bytes.is_empty());
    for needle in [
        TITLE.as_bytes(),
        b"alice-undercover",
        b"SQLite format 3",
        b"CREATE TABLE",
    ] {
        assert!(
            !contains(&bytes, needle),
            "{:?} readable on disk",
            String::from_utf8_lossy(needle)
        );
    }
    assert!(!contains(&bytes, secret), "a persona's secret key on disk");
}

#[test]
fn a_new_store_is_encrypted_with_its_key_in_the_keystore() {
    let dir = tempfile::tempdir().unwrap();
    let keystore = MemoryKeystore::default();
    let unlock = in_keystore(&keystore);
    let done = super::unlock(dir.path(), unlock).unwrap();
    assert_eq!(
        done.protection,
        Protection::Keystore {
            keystore: "memory keystore".into()
        }
    );
    assert_eq!(keystore.len(), 1);
    let secret = {
        let mut store = Store::open(dir.path()).unwrap();
        fill(&mut store)
    };
    assert_unreadable(dir.path(), &secret);
    assert!(
        !contains(&all_bytes(dir.path()), &keystore.get_first()),
        "the key kept beside the store"
    );

    // A new process: without the keystore the store stays shut.
    forget(dir.path());
    assert!(matches!(
        Store::open(dir.path()),
        Err(StoreError::KeyUnavailable { .. })
    ));
    let empty = MemoryKeystore::default();
    let err = super::unlock(dir.path(), in_keystore(&empty)).unwrap_err();
    assert!(matches!(err, StoreError::KeyUnavailable { .. }), "{err}");
    super::unlock(dir.path(), unlock).unwrap();
    assert_eq!(titles(dir.path()), [TITLE]);
}

#[test]
fn a_passphrase_seals_the_key_and_a_wrong_one_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let done = super::unlock(dir.path(), sealed_by("correct horse")).unwrap();
    assert_eq!(done.protection, Protection::Passphrase);
    let secret = {
        let mut store = Store::open(dir.path()).unwrap();
        fill(&mut store)
    };
    assert_unreadable(dir.path(), &secret);
    forget(dir.path());
    assert!(matches!(
        Store::open(dir.path()),
        Err(StoreError::PassphraseNeeded)
    ));
    let before = all_bytes(dir.path());
    let err = super::unlock(dir.path(), sealed_by("battery staple")).unwrap_err();
    assert!(matches!(err, StoreError::WrongPassphrase), "{err}");
    assert!(matches!(
        super::unlock(dir.path(), Unlock::default()).unwrap_err(),
        StoreError::PassphraseNeeded
    ));
    assert_eq!(
        all_bytes(dir.path()),
        before,
        "a wrong passphrase changed files"
    );
    super::unlock(dir.path(), sealed_by("correct horse")).unwrap();
    assert_eq!(titles(dir.path()), [TITLE]);
}

#[test]
fn without_keystore_or_passphrase_the_key_is_kept_in_the_file_and_said_so() {
    let dir = tempfile::tempdir().unwrap();
    let done = super::unlock(dir.path(), Unlock::default()).unwrap();
    assert_eq!(done.protection, Protection::File);
    let secret = {
        let mut store = Store::open(dir.path()).unwrap();
        fill(&mut store)
    };
    assert_unreadable(dir.path(), &secret);
    forget(dir.path());
    // The key in the file opens it without unlocking.
    assert_eq!(titles(dir.path()), [TITLE]);
    assert_eq!(
        super::protection(dir.path(), None).unwrap(),
        Protection::File
    );
}

#[test]
fn a_plaintext_store_is_encrypted_in_place_with_everything_in_it() {
    let dir = tempfile::tempdir().unwrap();
    let secret = {
        let mut store = Store::open(dir.path()).unwrap();
        fill(&mut store)
    };
    assert!(super::is_plaintext(&dir.path().join(DB_FILE)).unwrap());
    assert_eq!(
        super::protection(dir.path(), None).unwrap(),
        Protection::None
    );
    let keystore = MemoryKeystore::default();
    let done = super::unlock(dir.path(), in_keystore(&keystore)).unwrap();
    assert!(done.encrypted_now);
    assert_unreadable(dir.path(), &secret);
    assert_eq!(titles(dir.path()), [TITLE]);
    let store = Store::open(dir.path()).unwrap();
    assert_eq!(
        store
            .persona("alice-undercover")
            .unwrap()
            .unwrap()
            .persona
            .secret_bytes(),
        secret
    );
    // Writes go on after the swap.
    drop(store);
    let mut store = Store::open(dir.path()).unwrap();
    store.create_persona("bob", t(1)).unwrap();
    drop(store);
    forget(dir.path());
    let again = super::unlock(dir.path(), in_keystore(&keystore)).unwrap();
    assert!(!again.encrypted_now);
    assert!(
        Store::open(dir.path())
            .unwrap()
            .persona("bob")
            .unwrap()
            .is_some()
    );
}

#[test]
fn a_migration_killed_before_the_swap_starts_again_and_loses_nothing() {
    let plain = tempfile::tempdir().unwrap();
    {
        let mut store = Store::open(plain.path()).unwrap();
        fill(&mut store);
    }
    let dir = tempfile::tempdir().unwrap();
    // The plaintext database, a key file, a half-written copy and a link to
    // the plaintext (killed between the link and the rename).
    std::fs::copy(plain.path().join(DB_FILE), dir.path().join(DB_FILE)).unwrap();
    let key = super::DataKey::generate();
    super::key_file::KeyFile {
        version: 1,
        lock: None,
        kept_in: super::key_file::KeptIn::File {
            key: key.hex().to_string(),
        },
    }
    .write(dir.path())
    .unwrap();
    std::fs::write(dir.path().join("rally.db.encrypting"), b"half a copy").unwrap();
    std::fs::hard_link(
        dir.path().join(DB_FILE),
        dir.path().join("rally.db.plaintext"),
    )
    .unwrap();
    // Opening finishes the job (the key is in the file), keeping the data.
    assert_eq!(titles(dir.path()), [TITLE]);
    assert!(!super::is_plaintext(&dir.path().join(DB_FILE)).unwrap());
    assert!(!dir.path().join("rally.db.plaintext").exists());
    assert!(!dir.path().join("rally.db.encrypting").exists());
}

#[test]
fn a_migration_killed_after_the_swap_scrubs_the_old_plaintext() {
    let dir = tempfile::tempdir().unwrap();
    let secret = {
        let mut store = Store::open(dir.path()).unwrap();
        fill(&mut store)
    };
    let old_copy = dir.path().join("plain-copy");
    std::fs::copy(dir.path().join(DB_FILE), &old_copy).unwrap();
    super::unlock(dir.path(), Unlock::default()).unwrap();
    // Killed after the rename, before the scrub: the old plaintext is still
    // linked beside the encrypted store.
    std::fs::rename(&old_copy, dir.path().join("rally.db.plaintext")).unwrap();
    forget(dir.path());
    super::unlock(dir.path(), Unlock::default()).unwrap();
    assert!(!dir.path().join("rally.db.plaintext").exists());
    assert_unreadable(dir.path(), &secret);
    assert_eq!(titles(dir.path()), [TITLE]);
}

#[test]
fn the_key_moves_from_keystore_to_passphrase_without_touching_the_data() {
    let dir = tempfile::tempdir().unwrap();
    let keystore = MemoryKeystore::default();
    super::unlock(dir.path(), in_keystore(&keystore)).unwrap();
    let secret = {
        let mut store = Store::open(dir.path()).unwrap();
        fill(&mut store)
    };
    let db_before = std::fs::read(dir.path().join(DB_FILE)).unwrap();
    let p = super::reprotect(
        dir.path(),
        Unlock {
            passphrase: Some("new passphrase"),
            keystore: Some(&keystore),
        },
    )
    .unwrap();
    assert_eq!(p, Protection::Passphrase);
    assert!(keystore.is_empty(), "the old keystore entry stays");
    assert_eq!(std::fs::read(dir.path().join(DB_FILE)).unwrap(), db_before);
    forget(dir.path());
    super::unlock(dir.path(), sealed_by("new passphrase")).unwrap();
    assert_eq!(titles(dir.path()), [TITLE]);
    assert_unreadable(dir.path(), &secret);
}

#[test]
fn destroying_the_key_leaves_nothing_that_opens_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let keystore = MemoryKeystore::default();
    super::unlock(dir.path(), in_keystore(&keystore)).unwrap();
    {
        let mut store = Store::open(dir.path()).unwrap();
        fill(&mut store);
    }
    super::destroy_key(dir.path(), Some(&keystore)).unwrap();
    assert!(keystore.is_empty());
    assert!(!dir.path().join(super::KEY_FILE).exists());
    assert!(matches!(
        Store::open(dir.path()),
        Err(StoreError::NotADatabase { .. })
    ));
}

#[test]
fn a_damaged_or_hostile_key_file_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    super::unlock(dir.path(), Unlock::default()).unwrap();
    forget(dir.path());
    let path = dir.path().join(super::KEY_FILE);
    for (bytes, what) in [
        (b"not json".to_vec(), "garbage"),
        (vec![0u8; 200], "zeros"),
        (vec![b' '; 20_000], "huge"),
        (
            br#"{"version":1,"kept_in":"passphrase","m_kib":4294967295,"t":1,"p":1,"salt":"00","nonce":"00","sealed":"00"}"#.to_vec(),
            "costs out of bounds",
        ),
    ] {
        std::fs::write(&path, &bytes).unwrap();
        let err = super::unlock(
            dir.path(),
            sealed_by("x"),
        )
        .unwrap_err();
        assert!(matches!(err, StoreError::BadKeyFile { .. }), "{what}: {err}");
    }
}

impl MemoryKeystore {
    fn get_first(&self) -> Vec<u8> {
        self.entries
            .lock()
            .unwrap()
            .values()
            .next()
            .unwrap()
            .to_vec()
    }
}

#[test]
fn the_lock_wipes_after_too_many_wrong_passphrases_and_resets_on_the_right_one() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("device");
    super::unlock(&data, sealed_by("right one")).unwrap();
    {
        let mut store = Store::open(&data).unwrap();
        fill(&mut store);
    }
    super::set_lock(
        &data,
        super::LockRules {
            wipe_after: Some(3),
            ..Default::default()
        },
    )
    .unwrap();
    forget(&data);
    for _ in 0..2 {
        assert!(matches!(
            super::unlock(&data, sealed_by("wrong")),
            Err(StoreError::WrongPassphrase)
        ));
    }
    assert_eq!(super::lock_info(&data).unwrap().failed, 2);
    // The right one resets the count.
    super::unlock(&data, sealed_by("right one")).unwrap();
    assert_eq!(super::lock_info(&data).unwrap().failed, 0);
    forget(&data);
    for _ in 0..2 {
        assert!(matches!(
            super::unlock(&data, sealed_by("wrong")),
            Err(StoreError::WrongPassphrase)
        ));
    }
    assert!(matches!(
        super::unlock(&data, sealed_by("wrong")),
        Err(StoreError::Wiped)
    ));
    assert!(!data.exists(), "the third wrong passphrase left the data");
}

#[test]
fn the_duress_passphrase_wipes_instead_of_opening() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("device");
    super::unlock(&data, sealed_by("right one")).unwrap();
    {
        let mut store = Store::open(&data).unwrap();
        fill(&mut store);
    }
    assert!(matches!(
        super::set_lock(
            &data,
            super::LockRules {
                duress: Some("right one"),
                ..Default::default()
            }
        ),
        Err(StoreError::BadLock(_))
    ));
    super::set_lock(
        &data,
        super::LockRules {
            duress: Some("1234"),
            lock_after_hidden: Some(60),
            ..Default::default()
        },
    )
    .unwrap();
    let info = super::lock_info(&data).unwrap();
    assert!(info.duress && info.wipe_after.is_none());
    assert_eq!(info.lock_after_hidden, Some(60));
    let key_file = std::fs::read_to_string(data.join(super::KEY_FILE)).unwrap();
    assert!(
        !key_file.contains("1234"),
        "the duress passphrase in the clear"
    );
    forget(&data);
    // Without a wipe-after rule, a wrong passphrase changes nothing.
    let before = all_bytes(&data);
    assert!(matches!(
        super::unlock(&data, sealed_by("wrong")),
        Err(StoreError::WrongPassphrase)
    ));
    assert_eq!(all_bytes(&data), before);
    assert!(matches!(
        super::unlock(&data, sealed_by("1234")),
        Err(StoreError::Wiped)
    ));
    assert!(!data.exists());
}

/// A process killed in the middle of a write to the encrypted store leaves a
/// hot rollback journal beside it (before the store is in WAL mode, as right
/// after the migration): the next start checks the key with a connection that
/// may roll it back, instead of failing to open the store ("attempt to write
/// a readonly database").
#[test]
fn a_store_left_with_a_hot_journal_opens_again() {
    let live = tempfile::tempdir().unwrap();
    let key = super::DataKey::generate();
    let db = live.path().join(DB_FILE);
    let conn = rusqlite::Connection::open(&db).unwrap();
    super::apply_key(&conn, &key).unwrap();
    conn.execute_batch(
        "PRAGMA journal_mode = DELETE;
         CREATE TABLE t (n INTEGER, pad BLOB);
         WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 200)
         INSERT INTO t SELECT i, zeroblob(500) FROM c;",
    )
    .unwrap();
    // A write under way that no longer fits the page cache: the journal (the
    // pages' old contents) is synced, with its header, before pages are
    // written to the file, as in a commit that is cut short.
    conn.execute_batch(
        "PRAGMA cache_size = 1;
         BEGIN; DELETE FROM t; INSERT INTO t SELECT 0, zeroblob(2000) FROM (SELECT 1 UNION ALL SELECT 2);",
    )
    .unwrap();
    let journal = live.path().join(format!("{DB_FILE}-journal"));
    assert!(journal.exists(), "the write has a journal");
    // What a kill leaves: the file and its journal, nobody holding them.
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(&db, dir.path().join(DB_FILE)).unwrap();
    std::fs::copy(&journal, dir.path().join(format!("{DB_FILE}-journal"))).unwrap();
    drop(conn);

    super::encrypt::check_key(&dir.path().join(DB_FILE), &key).unwrap();
    let conn = rusqlite::Connection::open(dir.path().join(DB_FILE)).unwrap();
    super::apply_key(&conn, &key).unwrap();
    let n: i64 = conn
        .query_row("SELECT count(*) FROM t", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 200, "the interrupted write was rolled back");
}
