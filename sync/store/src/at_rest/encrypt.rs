//! Encrypting a plaintext store in place, crash-safe.
//!
//! The plaintext database stays whole and in place until an encrypted copy is
//! complete, checked and synced; one rename then swaps them. A process killed
//! at any point leaves either the plaintext store (the next start begins
//! again, with the key already kept) or the encrypted one (the next start
//! scrubs what is left of the plaintext). Steps:
//! 1. fold the write-ahead log into the file (`wal_checkpoint(TRUNCATE)`) and,
//!    in one write transaction, export everything into `rally.db.encrypting`
//!    with SQLCipher's `sqlcipher_export`, schema version included;
//! 2. check the copy: it opens with the key, passes SQLCipher's and SQLite's
//!    integrity checks, and holds as many rows in every table as the original;
//!    sync it;
//! 3. hard-link the plaintext as `rally.db.plaintext`, rename the copy over
//!    `rally.db`, sync the directory;
//! 4. overwrite the old plaintext with zeros, sync, remove it (best effort
//!    against what the flash's wear levelling keeps; the file system's blocks
//!    no longer hold it).
//!
//! It runs at the device's first start after the upgrade, before anything else
//! opens the store; another process writing meanwhile leaves the plaintext's
//! log non-empty, and the migration then stops (nothing lost) to run again at
//! the next start.

use std::io::{Seek, Write};
use std::path::{Path, PathBuf};

use rusqlite::{Connection, OpenFlags};

use super::DataKey;
use super::key_file::sync_dir;
use crate::{DB_FILE, StoreError};

const COPY: &str = "rally.db.encrypting";
const OLD: &str = "rally.db.plaintext";

fn io(path: &Path) -> impl Fn(std::io::Error) -> StoreError + '_ {
    move |source| StoreError::Io {
        path: path.to_owned(),
        source,
    }
}

fn sql(context: &'static str) -> impl Fn(rusqlite::Error) -> StoreError {
    move |source| StoreError::Sqlite { context, source }
}

fn remove_if_there(path: &Path) -> Result<(), StoreError> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(io(path)(e)),
    }
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// Cleans up after an interrupted migration and, if the database is still
/// plaintext, encrypts it under `key`. Whether it encrypted it now.
pub(super) fn finish_or_start(dir: &Path, key: &DataKey) -> Result<bool, StoreError> {
    let db = dir.join(DB_FILE);
    let copy = dir.join(COPY);
    let old = dir.join(OLD);
    for path in [
        copy.clone(),
        with_suffix(&copy, "-journal"),
        with_suffix(&copy, "-wal"),
        with_suffix(&copy, "-shm"),
    ] {
        remove_if_there(&path)?;
    }
    let plaintext = super::is_plaintext(&db)?;
    if old.exists() {
        if plaintext || same_file(&db, &old) {
            // Killed before the swap: the link is the live database.
            remove_if_there(&old)?;
        } else {
            scrub(&old)?;
        }
        sync_dir(dir)?;
    }
    if !plaintext {
        return Ok(false);
    }
    export(&db, &copy, key)?;
    check_copy(&db, &copy, key)?;
    std::fs::File::open(&copy)
        .and_then(|f| f.sync_all())
        .map_err(io(&copy))?;
    // The plaintext's log was folded in and is empty; a non-empty one means
    // another process wrote meanwhile: stop rather than lose its write.
    let wal = with_suffix(&db, "-wal");
    if std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0) > 0 {
        remove_if_there(&copy)?;
        return Err(StoreError::Busy(
            "another Rally process is using the store: close it and start again".into(),
        ));
    }
    remove_if_there(&wal)?;
    remove_if_there(&with_suffix(&db, "-shm"))?;
    std::fs::hard_link(&db, &old).map_err(io(&old))?;
    std::fs::rename(&copy, &db).map_err(io(&db))?;
    sync_dir(dir)?;
    scrub(&old)?;
    sync_dir(dir)?;
    Ok(true)
}

fn same_file(a: &Path, b: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        match (std::fs::metadata(a), std::fs::metadata(b)) {
            (Ok(a), Ok(b)) => a.ino() == b.ino() && a.dev() == b.dev(),
            _ => false,
        }
    }
    #[cfg(not(unix))]
    {
        let _ = (a, b);
        false
    }
}

fn export(db: &Path, copy: &Path, key: &DataKey) -> Result<(), StoreError> {
    // Read-write and allowed to create: the attached copy is opened with the
    // main database's flags.
    let conn = Connection::open(db).map_err(sql("opening the plaintext store"))?;
    conn.execute_batch("PRAGMA cipher_log_level = NONE;")
        .map_err(sql("opening the plaintext store"))?;
    conn.busy_timeout(std::time::Duration::from_secs(15))
        .map_err(sql("opening the plaintext store"))?;
    conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")
        .map_err(sql("folding the plaintext store's log"))?;
    let version: i64 = conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .map_err(sql("reading the schema version"))?;
    let copy_text = copy.to_str().ok_or_else(|| StoreError::Io {
        path: copy.to_owned(),
        source: std::io::Error::other("the data directory's path is not UTF-8"),
    })?;
    conn.execute(
        "ATTACH DATABASE ?1 AS encrypted KEY ?2",
        rusqlite::params![copy_text, key.sqlcipher_literal().as_str()],
    )
    .map_err(sql("creating the encrypted copy"))?;
    conn.execute_batch("BEGIN IMMEDIATE;")
        .map_err(sql("locking the plaintext store"))?;
    conn.query_row("SELECT sqlcipher_export('encrypted')", [], |_| Ok(()))
        .map_err(sql("copying the store into its encrypted copy"))?;
    conn.pragma_update(Some("encrypted"), "user_version", version)
        .map_err(sql("copying the schema version"))?;
    conn.execute_batch("COMMIT; DETACH DATABASE encrypted;")
        .map_err(sql("closing the encrypted copy"))?;
    drop(conn);
    Ok(())
}

/// Opens `path` with `key` and checks SQLCipher's page authentication and
/// SQLite's structure.
fn open_checked(path: &Path, key: &DataKey) -> Result<Connection, StoreError> {
    let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .map_err(sql("opening the encrypted copy"))?;
    super::apply_key(&conn, key).map_err(sql("keying the encrypted copy"))?;
    let problems: Vec<String> = conn
        .prepare("PRAGMA cipher_integrity_check")
        .and_then(|mut s| {
            s.query_map([], |r| r.get::<_, String>(0))?
                .collect::<Result<_, _>>()
        })
        .map_err(sql("checking the encrypted copy"))?;
    let quick: String = conn
        .query_row("PRAGMA quick_check", [], |r| r.get(0))
        .map_err(sql("checking the encrypted copy"))?;
    if !problems.is_empty() || quick != "ok" {
        return Err(StoreError::Corrupt(format!(
            "the encrypted copy failed its check: {} {quick}",
            problems.join("; ")
        )));
    }
    Ok(conn)
}

fn check_copy(db: &Path, copy: &Path, key: &DataKey) -> Result<(), StoreError> {
    let enc = open_checked(copy, key)?;
    let plain = Connection::open_with_flags(db, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .map_err(sql("opening the plaintext store"))?;
    let tables: Vec<String> = plain
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
        .and_then(|mut s| {
            s.query_map([], |r| r.get::<_, String>(0))?
                .collect::<Result<_, _>>()
        })
        .map_err(sql("listing the store's tables"))?;
    for table in tables {
        let count = |c: &Connection| -> Result<i64, StoreError> {
            c.query_row(
                &format!("SELECT count(*) FROM \"{}\"", table.replace('"', "\"\"")),
                [],
                |r| r.get(0),
            )
            .map_err(sql("counting rows in the encrypted copy"))
        };
        let (a, b) = (count(&plain)?, count(&enc)?);
        if a != b {
            return Err(StoreError::Corrupt(format!(
                "the encrypted copy has {b} rows in {table}, the store {a}"
            )));
        }
    }
    let version = |c: &Connection| -> Result<i64, StoreError> {
        c.pragma_query_value(None, "user_version", |r| r.get(0))
            .map_err(sql("reading the schema version"))
    };
    if version(&plain)? != version(&enc)? {
        return Err(StoreError::Corrupt(
            "the encrypted copy lost the schema version".into(),
        ));
    }
    Ok(())
}

/// Checks that `key` opens the database at `path` (absent or empty: nothing
/// to check). A wrong key is reported as such.
pub(super) fn check_key(path: &Path, key: &DataKey) -> Result<(), StoreError> {
    if std::fs::metadata(path).map(|m| m.len()).unwrap_or(0) == 0 {
        return Ok(());
    }
    // Read-write (never creating): a process killed mid-write leaves a hot
    // journal, which the first reader must roll back.
    let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_WRITE)
        .map_err(sql("opening the store"))?;
    super::apply_key(&conn, key).map_err(sql("keying the store"))?;
    conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| {
        r.get::<_, i64>(0)
    })
    .map_err(|e| match e.sqlite_error_code() {
        Some(rusqlite::ErrorCode::NotADatabase) => StoreError::NotADatabase {
            path: path.to_owned(),
        },
        _ => sql("opening the store")(e),
    })?;
    Ok(())
}

/// Overwrites a file with zeros, syncs it, and removes it.
pub(super) fn scrub(path: &Path) -> Result<(), StoreError> {
    let len = match std::fs::metadata(path) {
        Ok(m) => m.len(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(io(path)(e)),
    };
    {
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .open(path)
            .map_err(io(path))?;
        f.rewind().map_err(io(path))?;
        let zeros = vec![0u8; 1 << 16];
        let mut left = len;
        while left > 0 {
            let n = left.min(zeros.len() as u64) as usize;
            f.write_all(&zeros[..n]).map_err(io(path))?;
            left -= n as u64;
        }
        f.sync_all().map_err(io(path))?;
    }
    remove_if_there(path)
}
