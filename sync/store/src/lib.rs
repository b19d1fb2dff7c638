//! Rally's local store: personas, signed documents and query indexes in one SQLite
//! database (`rally.db` in the data directory, WAL mode, `synchronous = FULL`).
//!
//! How the parts connect:
//! - the **truth** is the set of signed changes per document (`changes`), plus the
//!   refused (`rejected`) and waiting (`pending`) ones; a [`Document`] is rebuilt from
//!   them on demand and every write goes through it, so the engine's rule judges
//!   every change before it is stored;
//! - every write is one `BEGIN IMMEDIATE` transaction that re-reads the document
//!   inside the lock, so several processes (the CLI, the app, a sync node) can share
//!   a data directory; a write is acknowledged only once committed (and synced);
//! - the **indexes** ([`index`]) are derived from documents in the same transaction
//!   and can be rebuilt from scratch ([`Store::rebuild_indexes`]).

mod admin_reports;
mod answers;
pub mod at_rest;
mod blobs;
mod changed;
mod expiry;
mod index;
mod journal_outbox;
mod maps;
mod meta;
mod policy;
mod relay_state;
mod reminders;
mod reports;
mod retention;
mod sealed;
mod seen;
mod sync;
mod wipe;

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::time::Duration;

use rally_core::persona::ACTOR_SUFFIX_LEN;
use rally_core::{
    DocId, DocKind, Document, EditError, InviteToken, LoadError, Persona, PersonaId, SignedChange,
};
use rusqlite::{Connection, TransactionBehavior, params};

pub use admin_reports::{AdminReport, NewReport, ReportNote};
pub use blobs::BlobTaken;
pub use expiry::{STUB_CLOCK_SKEW_MS, Swept};
pub use index::{BBox, EventQuery, EventSummary, GroupSummary};
pub use journal_outbox::Outgoing;
pub use maps::{KeptMap, TileBytes};
pub use policy::ServerPolicy;
pub use rally_core::jiff::Timestamp;
pub use relay_state::{RelayFact, RelayTable};
pub use reminders::DEFAULT_BEFORE;
pub use reports::GroupReport;
pub use retention::{Forgot, Forgotten};
pub use seen::Seen;
pub use sync::{Admit, DISCOVER_BUDGET, Scope, SyncRepo};

/// The base schema, at version [`BASE_VERSION`]; the migrations above it follow.
const SCHEMA: &str = include_str!("schema.sql");
const BASE_VERSION: i64 = 2;
const SCHEMA_VERSION: i64 = 24;
/// The steps from each older schema version to the next, in order: the SQL that
/// takes version `n - 1` to `n`.
const MIGRATIONS: &[(i64, &str)] = &[
    (
        2,
        "CREATE TABLE relayed_docs (remote BLOB NOT NULL, doc BLOB NOT NULL, PRIMARY KEY (remote, doc)) WITHOUT ROWID;",
    ),
    (3, include_str!("migrations/3-group-logs.sql")),
    (4, include_str!("migrations/4-follows.sql")),
    (5, include_str!("migrations/5-shared-docs.sql")),
    (6, include_str!("migrations/6-copies.sql")),
    (7, include_str!("migrations/7-invitations.sql")),
    (8, include_str!("migrations/8-waiting-envelopes.sql")),
    (9, include_str!("migrations/9-peer-seen.sql")),
    (10, include_str!("migrations/10-waiting-sender.sql")),
    (11, include_str!("migrations/11-pending-hash.sql")),
    (12, include_str!("migrations/12-seen.sql")),
    (13, include_str!("migrations/13-blobs.sql")),
    (14, include_str!("migrations/14-kept-maps.sql")),
    (15, include_str!("migrations/15-changes-since.sql")),
    (16, include_str!("migrations/16-occurrences.sql")),
    (17, include_str!("migrations/17-reminders.sql")),
    (18, include_str!("migrations/18-reports.sql")),
    (19, include_str!("migrations/19-admin-reports.sql")),
    (20, include_str!("migrations/20-hidden-docs.sql")),
    (21, include_str!("migrations/21-disappearing.sql")),
    (22, include_str!("migrations/22-forgotten.sql")),
    (23, include_str!("migrations/23-reports-signed.sql")),
    (24, include_str!("migrations/24-journal-outbox.sql")),
];
pub const DB_FILE: &str = "rally.db";

/// What went wrong in the store. The database is left as it was.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{path} is not a Rally data file (it is not an SQLite database, or it is damaged)")]
    NotADatabase { path: PathBuf },
    #[error(
        "the data in {path} was written by a newer Rally (schema {found}, this one reads {supported})"
    )]
    NewerSchema {
        path: PathBuf,
        found: i64,
        supported: i64,
    },
    #[error("cannot use the data directory {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("database error while {context}: {source}")]
    Sqlite {
        context: &'static str,
        source: rusqlite::Error,
    },
    #[error("no {what} {id}")]
    NotFound { what: &'static str, id: String },
    #[error("{prefix:?} matches {count} {what}s; give more of the id")]
    Ambiguous {
        what: &'static str,
        prefix: String,
        count: usize,
    },
    #[error("a persona named {0:?} already exists")]
    PersonaExists(String),
    #[error("the persona name is empty")]
    EmptyPersonaName,
    #[error(transparent)]
    Load(#[from] LoadError),
    #[error(transparent)]
    Edit(#[from] EditError),
    #[error("cannot seal for the group {group}: {reason}")]
    Sealing { group: String, reason: String },
    #[error("not a member of the group {0}")]
    NotAMember(String),
    #[error("only the group's admins may do this ({0})")]
    NotAnAdmin(String),
    #[error("no message {0} in this group")]
    NoMessage(String),
    #[error(
        "the message is empty or longer than {} characters",
        rally_core::sealed::MAX_MESSAGE_CHARS
    )]
    BadMessage,
    #[error("cannot decide whether to admit a peer: {0}")]
    Admission(Box<dyn std::error::Error + Send + Sync>),
    #[error("damaged data in the store: {0}")]
    Corrupt(String),
    #[error("the store's key file {path} cannot be used: {reason}")]
    BadKeyFile { path: PathBuf, reason: String },
    #[error("this store is locked by a passphrase; give it to open the store")]
    PassphraseNeeded,
    #[error("wrong passphrase; nothing was changed")]
    WrongPassphrase,
    #[error("the store's key is kept in {keystore}, which cannot give it: {reason}")]
    KeyUnavailable { keystore: String, reason: String },
    #[error("this store is not encrypted")]
    NotEncrypted,
    #[error("the store's key is not sealed by a passphrase: set one first")]
    NoPassphrase,
    #[error("{0}")]
    BadLock(String),
    #[error("the device was wiped")]
    Wiped,
    #[error("{0}")]
    Busy(String),
}

trait Ctx<T> {
    fn ctx(self, context: &'static str) -> Result<T, StoreError>;
}

impl<T> Ctx<T> for Result<T, rusqlite::Error> {
    fn ctx(self, context: &'static str) -> Result<T, StoreError> {
        self.map_err(|source| StoreError::Sqlite { context, source })
    }
}

/// A persona held on this device.
#[derive(Debug, Clone)]
pub struct LocalPersona {
    pub row: i64,
    pub name: String,
    pub persona: Persona,
    pub created_at: i64,
    pub last_used_at: i64,
}

impl LocalPersona {
    pub fn id(&self) -> PersonaId {
        self.persona.id()
    }
}

/// What an import or a sync round did.
#[derive(Debug, Default, Clone, serde::Serialize)]
pub struct IngestReport {
    pub accepted: usize,
    pub rejected: usize,
    pub duplicates: usize,
    pub pending: usize,
    pub retracted: usize,
    /// Documents that changed.
    pub documents: Vec<DocId>,
    /// Why changes were refused, one line each.
    pub reasons: Vec<String>,
    /// Joins made on arrival of a group asked for earlier with a token.
    pub joined: Vec<DocId>,
    /// Some document still waits for changes it depends on.
    pub waiting: bool,
    /// Set when the policy voided the batch: nothing was stored.
    pub misbehaviour: Option<String>,
}

/// A chat message, as read from a group's log.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ChatMessage {
    /// Hex of the message's envelope hash.
    pub id: String,
    pub author: PersonaId,
    /// The author's name in the group, when they are a member.
    pub author_name: Option<String>,
    /// Empty once deleted.
    pub text: String,
    pub reply_to: Option<String>,
    /// The author's clock when sent, ms since the epoch.
    pub at: i64,
    pub edited_at: Option<i64>,
    pub deleted: bool,
    /// When it disappears, ms since the epoch (`None`: it stays).
    pub expires: Option<i64>,
}

fn checked_message(text: &str) -> Result<String, StoreError> {
    let text = text.trim();
    if text.is_empty() || text.chars().count() > rally_core::sealed::MAX_MESSAGE_CHARS {
        return Err(StoreError::BadMessage);
    }
    Ok(text.to_owned())
}

/// How [`Store::ingest_with`] treats a batch.
#[derive(Debug, Clone, Copy, Default)]
pub struct IngestPolicy {
    /// The local persona (row id) that comes to know the documents.
    pub attach_to: Option<i64>,
    /// On a server: the remote persona that comes to know them (the one that sent
    /// them); the server shares them back with it.
    pub relayed_for: Option<PersonaId>,
    /// Store nothing of the batch if any change in it is one only a misbehaving
    /// sender makes (forged, tampered, not permitted).
    pub void_on_misbehaviour: bool,
    /// The peer that sent the batch: its waiting envelopes are counted against
    /// it, and forgotten when it misbehaves.
    pub sender: Option<PersonaId>,
}

#[derive(Debug)]
pub struct Store {
    conn: Connection,
    path: PathBuf,
    docs: DocCache,
    /// [`MAX_PENDING_PER_DOC`] and [`MAX_PENDING_PER_PEER`] unless a test sets
    /// others ([`Store::set_pending_caps`]).
    pending_caps: (usize, usize),
    /// Signatures of the current batch checked ahead of time ([`Store::prefetch`]).
    verdicts: rally_core::signed::Verdicts,
    /// The write-ahead log is to be emptied once the batch commits (SQLite
    /// refuses it inside a transaction; see `expiry::scrub_after`).
    scrub_due: std::cell::Cell<bool>,
}

/// What a document was loaded from: its heads and how many waiting and refused
/// changes the database holds for it. Those grow or change with every write to
/// the document, by this process or another, and come back to what they were when
/// a write is rolled back.
type DocKey = (Vec<u8>, i64, i64);

/// Documents recently written by [`Store::ingest_with`], reused while their
/// [`DocKey`] in the database is unchanged, so a document that receives many
/// small batches is not rebuilt from all its changes for each.
#[derive(Default)]
struct DocCache(HashMap<DocId, (DocKey, Document)>);

impl std::fmt::Debug for DocCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "DocCache({} documents)", self.0.len())
    }
}

/// Documents kept in [`DocCache`] at most.
const DOC_CACHE: usize = 256;

impl DocCache {
    fn key(conn: &Connection, id: DocId) -> Result<DocKey, StoreError> {
        conn.prepare_cached(
            "SELECT (SELECT heads FROM docs WHERE id = ?1),
                    (SELECT count(*) FROM pending WHERE doc = ?1)
                        + (SELECT count(*) FROM waiting_envelopes WHERE log = ?1),
                    (SELECT count(*) FROM rejected WHERE doc = ?1)",
        )
        .ctx("reading a document")?
        .query_row([id.0], |r| {
            Ok((
                r.get::<_, Option<Vec<u8>>>(0)?.unwrap_or_default(),
                r.get(1)?,
                r.get(2)?,
            ))
        })
        .ctx("reading a document")
    }

    /// The document as the database holds it: from the cache when it is current.
    fn take(&mut self, conn: &Connection, id: DocId) -> Result<Option<Document>, StoreError> {
        if let Some((key, doc)) = self.0.remove(&id)
            && key == DocCache::key(conn, id)?
        {
            return Ok(Some(doc));
        }
        Store::load_in(conn, id)
    }

    /// The document as the database holds it, if the cache has it current.
    fn current(&self, conn: &Connection, id: DocId) -> Result<Option<&Document>, StoreError> {
        match self.0.get(&id) {
            Some((key, doc)) if *key == DocCache::key(conn, id)? => Ok(Some(doc)),
            _ => Ok(None),
        }
    }

    fn keep(&mut self, conn: &Connection, doc: Document) -> Result<(), StoreError> {
        let key = DocCache::key(conn, doc.id())?;
        if self.0.len() >= DOC_CACHE {
            self.0.clear();
        }
        self.0.insert(doc.id(), (key, doc));
        Ok(())
    }
}

fn row_to_signed(row: &rusqlite::Row<'_>) -> rusqlite::Result<SignedChange> {
    let doc: Vec<u8> = row.get(0)?;
    let author: Vec<u8> = row.get(1)?;
    let signature: Vec<u8> = row.get(2)?;
    let bad = |i| {
        rusqlite::Error::InvalidColumnType(i, "fixed-size blob".into(), rusqlite::types::Type::Blob)
    };
    Ok(SignedChange {
        doc: DocId(doc.try_into().map_err(|_| bad(0))?),
        author: PersonaId(author.try_into().map_err(|_| bad(1))?),
        signature: signature.try_into().map_err(|_| bad(2))?,
        bytes: row.get(3)?,
    })
}

impl Store {
    /// Opens (or creates) the store in `dir`.
    pub fn open(dir: &Path) -> Result<Store, StoreError> {
        let io = |source| StoreError::Io {
            path: dir.to_owned(),
            source,
        };
        std::fs::create_dir_all(dir).map_err(io)?;
        restrict_permissions(dir, 0o700).map_err(io)?;
        let path = dir.join(DB_FILE);
        let db_path = path.clone();
        let not_db = move |e: rusqlite::Error| match e.sqlite_error_code() {
            Some(rusqlite::ErrorCode::NotADatabase | rusqlite::ErrorCode::DatabaseCorrupt) => {
                StoreError::NotADatabase {
                    path: db_path.clone(),
                }
            }
            _ => StoreError::Sqlite {
                context: "opening the database",
                source: e,
            },
        };
        let key = at_rest::key_for(dir)?;
        if let Some(key) = &key
            && at_rest::is_plaintext(&path)?
        {
            at_rest::finish_encrypting(dir, key)?;
        }
        let conn = Connection::open(&path).map_err(&not_db)?;
        if let Some(key) = &key {
            at_rest::apply_key(&conn, key).map_err(&not_db)?;
        }
        conn.busy_timeout(Duration::from_secs(15))
            .map_err(&not_db)?;
        // Every statement the store runs stays prepared (rusqlite keeps 16 by
        // default, and a sync runs many more in turn, re-preparing each).
        conn.set_prepared_statement_cache_capacity(256);
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(&not_db)?;
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(&not_db)?;
        conn.pragma_update(None, "foreign_keys", "ON")
            .map_err(&not_db)?;
        // 16 MiB of pages kept decoded (SQLite's default is 2): an encrypted
        // store decrypts every page it reads again, so a search over the text
        // index costs 4x the plaintext's with the default (store benchmark).
        conn.pragma_update(None, "cache_size", -16_384)
            .map_err(&not_db)?;
        // Deleted content is overwritten, not left in free space: a message
        // that disappeared is gone from the file, not only from the tables.
        conn.pragma_update(None, "secure_delete", "ON")
            .map_err(&not_db)?;
        // Plans do not depend on bound values: without this, SQLite re-prepares
        // some cached statements on every new binding.
        conn.set_db_config(
            rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG,
            true,
        )
        .map_err(&not_db)?;
        restrict_permissions(&path, 0o600).map_err(io)?;
        let mut store = Store {
            conn,
            path,
            docs: DocCache::default(),
            pending_caps: (MAX_PENDING_PER_DOC, MAX_PENDING_PER_PEER),
            verdicts: rally_core::signed::Verdicts::default(),
            scrub_due: std::cell::Cell::new(false),
        };
        let upgraded_from = store.migrate().map_err(|e| match e {
            StoreError::Sqlite { source, .. } => not_db(source),
            other => other,
        })?;
        // Version 6 added an index (`copies`) that existing documents fill.
        if upgraded_from.is_some_and(|v| v < 6) {
            store.rebuild_indexes()?;
        }
        // Version 11 finds waiting changes by hash: those from before get theirs.
        if upgraded_from.is_some_and(|v| v < 11) {
            store.hash_pending()?;
        }
        // Occurrences are indexed over a window that moves with the clock.
        store.refresh_occurrences(Timestamp::now())?;
        // What expired while the store was closed goes before anyone reads it,
        // and events older than the device keeps.
        store.sweep_if_due(Timestamp::now())?;
        store.forget_old(Timestamp::now())?;
        Ok(store)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Gives each waiting change without one its hash (once, after the upgrade
    /// to version 11); one that cannot be decoded goes (it never could apply).
    fn hash_pending(&mut self) -> Result<(), StoreError> {
        let tx = self.write().ctx("upgrading waiting changes")?;
        let rows: Vec<(i64, Vec<u8>)> = {
            let mut stmt = tx
                .prepare("SELECT id, bytes FROM pending WHERE hash IS NULL")
                .ctx("upgrading waiting changes")?;
            stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
                .ctx("upgrading waiting changes")?
                .collect::<Result<_, _>>()
                .ctx("upgrading waiting changes")?
        };
        for (row, bytes) in rows {
            match automerge::Change::try_from(bytes.as_slice()) {
                Ok(c) => tx
                    .prepare_cached("UPDATE pending SET hash = ?2 WHERE id = ?1")
                    .and_then(|mut s| s.execute(params![row, c.hash().0])),
                Err(_) => tx
                    .prepare_cached("DELETE FROM pending WHERE id = ?1")
                    .and_then(|mut s| s.execute([row])),
            }
            .ctx("upgrading waiting changes")?;
        }
        tx.commit().ctx("upgrading waiting changes")
    }

    /// A random id of this store, made when it was created: peers that see it
    /// change know this side may have lost what they synced with it.
    pub fn epoch(&self) -> Result<[u8; 16], StoreError> {
        let text: String = self
            .conn
            .prepare_cached("SELECT value FROM meta WHERE key = 'epoch'")
            .and_then(|mut s| s.query_row([], |r| r.get(0)))
            .ctx("reading the store epoch")?;
        let bytes = hex::decode(text).unwrap_or_default();
        Ok(bytes.try_into().unwrap_or([0; 16]))
    }

    /// Creates or upgrades the schema; returns the version an existing store was
    /// upgraded from.
    fn migrate(&mut self) -> Result<Option<i64>, StoreError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .ctx("opening the database")?;
        let has_meta: bool = tx
            .prepare_cached(
                "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'meta'",
            )
            .and_then(|mut s| s.query_row([], |r| r.get::<_, i64>(0)))
            .ctx("reading the schema")?
            > 0;
        let mut upgraded_from = None;
        if !has_meta {
            tx.execute_batch(SCHEMA).ctx("creating the schema")?;
            for (_, sql) in MIGRATIONS.iter().filter(|(v, _)| *v > BASE_VERSION) {
                tx.execute_batch(sql).ctx("creating the schema")?;
            }
            tx.prepare_cached("INSERT INTO meta (key, value) VALUES ('epoch', ?1)")
                .and_then(|mut s| s.execute([hex::encode(rally_core::ids::random_bytes::<16>())]))
                .ctx("creating the schema")?;
            tx.prepare_cached("INSERT INTO meta (key, value) VALUES ('schema', ?1)")
                .and_then(|mut s| s.execute([SCHEMA_VERSION.to_string()]))
                .ctx("creating the schema")?;
        } else {
            let found: i64 = tx
                .prepare_cached("SELECT value FROM meta WHERE key = 'schema'")
                .and_then(|mut s| s.query_row([], |r| r.get::<_, String>(0)))
                .ctx("reading the schema version")?
                .parse()
                .unwrap_or(i64::MAX);
            if found > SCHEMA_VERSION {
                return Err(StoreError::NewerSchema {
                    path: self.path.clone(),
                    found,
                    supported: SCHEMA_VERSION,
                });
            }
            if found < SCHEMA_VERSION {
                upgraded_from = Some(found);
            }
            for (version, sql) in MIGRATIONS.iter().filter(|(v, _)| *v > found) {
                tx.execute_batch(sql).ctx("upgrading the schema")?;
                if *version == 23 {
                    sealed::retry_passed_over_reports(&tx)?;
                }
                tx.prepare_cached("UPDATE meta SET value = ?1 WHERE key = 'schema'")
                    .and_then(|mut s| s.execute([version.to_string()]))
                    .ctx("upgrading the schema")?;
            }
        }
        tx.commit().ctx("creating the schema")?;
        Ok(upgraded_from)
    }

    // ----- personas -----

    pub fn create_persona(
        &mut self,
        name: &str,
        now: Timestamp,
    ) -> Result<LocalPersona, StoreError> {
        self.adopt_persona(name, &Persona::generate(), now)
    }

    /// Keeps `keys` as the persona `name` (one whose keys were made elsewhere:
    /// a server's persona for a remote actor, made by another of its processes).
    pub fn adopt_persona(
        &mut self,
        name: &str,
        keys: &Persona,
        now: Timestamp,
    ) -> Result<LocalPersona, StoreError> {
        let name = name.trim();
        if name.is_empty() {
            return Err(StoreError::EmptyPersonaName);
        }
        if self.persona(name)?.is_some() {
            return Err(StoreError::PersonaExists(name.to_owned()));
        }
        let secret = zeroize::Zeroizing::new(keys.secret_bytes());
        let persona = Persona::from_parts(*secret, keys.actor_suffix());
        let secs = now.as_second();
        self.conn
            .prepare_cached("INSERT INTO personas (name, public_key, secret_key, actor_suffix, created_at, last_used_at) VALUES (?1, ?2, ?3, ?4, ?5, ?5)").and_then(|mut s| s.execute(params![name, persona.id().0, persona.secret_bytes(), persona.actor_suffix(), secs]))
            .ctx("saving the persona")?;
        Ok(LocalPersona {
            row: self.conn.last_insert_rowid(),
            name: name.to_owned(),
            persona,
            created_at: secs,
            last_used_at: secs,
        })
    }

    fn persona_rows(
        &self,
        filter: &str,
        arg: Option<&str>,
    ) -> Result<Vec<LocalPersona>, StoreError> {
        let sql = format!(
            "SELECT id, name, secret_key, actor_suffix, created_at, last_used_at FROM personas {filter}"
        );
        let mut stmt = self.conn.prepare(&sql).ctx("reading personas")?;
        let map = |r: &rusqlite::Row<'_>| -> rusqlite::Result<LocalPersona> {
            // The key's bytes as read are zeroed once the persona holds it
            // (its signing key zeroes itself when dropped).
            let secret = zeroize::Zeroizing::new(r.get::<_, Vec<u8>>(2)?);
            let suffix: Vec<u8> = r.get(3)?;
            let bad = |i| {
                rusqlite::Error::InvalidColumnType(i, "key".into(), rusqlite::types::Type::Blob)
            };
            let secret = zeroize::Zeroizing::new(
                <[u8; 32]>::try_from(secret.as_slice()).map_err(|_| bad(2))?,
            );
            let suffix: [u8; ACTOR_SUFFIX_LEN] = suffix.try_into().map_err(|_| bad(3))?;
            Ok(LocalPersona {
                row: r.get(0)?,
                name: r.get(1)?,
                persona: Persona::from_parts(*secret, suffix),
                created_at: r.get(4)?,
                last_used_at: r.get(5)?,
            })
        };
        let rows = match arg {
            Some(a) => stmt.query_map([a], map),
            None => stmt.query_map([], map),
        }
        .ctx("reading personas")?;
        rows.collect::<Result<_, _>>().ctx("reading personas")
    }

    /// Forgets (at most `limit` of) the personas whose name starts with `prefix`,
    /// made before `created_before` (Unix seconds), that never wrote anything
    /// this store holds (no change, stored, waiting or refused): their keys sign
    /// nothing here. Returns them.
    pub fn forget_silent_personas(
        &mut self,
        prefix: &str,
        created_before: i64,
        limit: usize,
    ) -> Result<Vec<PersonaId>, StoreError> {
        let tx = self.write().ctx("forgetting unused personas")?;
        let silent: Vec<(i64, Vec<u8>)> = {
            let mut stmt = tx
                .prepare(
                    "SELECT p.id, p.public_key FROM personas p
                     WHERE substr(p.name, 1, length(?1)) = ?1 AND p.created_at < ?2
                       AND NOT EXISTS (SELECT 1 FROM changes c WHERE c.author = p.public_key)
                       AND NOT EXISTS (SELECT 1 FROM pending c WHERE c.author = p.public_key)
                       AND NOT EXISTS (SELECT 1 FROM rejected c WHERE c.author = p.public_key)
                     LIMIT ?3",
                )
                .ctx("finding unused personas")?;
            stmt.query_map(params![prefix, created_before, limit as i64], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .ctx("finding unused personas")?
            .collect::<Result<_, _>>()
            .ctx("finding unused personas")?
        };
        let mut gone = Vec::new();
        for (row, key) in silent {
            tx.prepare_cached("DELETE FROM personas WHERE id = ?1")
                .and_then(|mut s| s.execute([row]))
                .ctx("forgetting unused personas")?;
            if let Ok(key) = <[u8; 32]>::try_from(key.as_slice()) {
                gone.push(PersonaId(key));
            }
        }
        tx.commit().ctx("forgetting unused personas")?;
        Ok(gone)
    }

    pub fn personas(&self) -> Result<Vec<LocalPersona>, StoreError> {
        self.persona_rows("ORDER BY created_at, id", None)
    }

    pub fn persona(&self, name: &str) -> Result<Option<LocalPersona>, StoreError> {
        Ok(self.persona_rows("WHERE name = ?1", Some(name))?.pop())
    }

    /// The persona used last, if any.
    pub fn last_used_persona(&self) -> Result<Option<LocalPersona>, StoreError> {
        Ok(self
            .persona_rows("ORDER BY last_used_at DESC, id DESC LIMIT 1", None)?
            .pop())
    }

    pub fn touch_persona(
        &mut self,
        persona: &LocalPersona,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        self.conn
            .prepare_cached(
                "UPDATE personas SET last_used_at = max(last_used_at, ?1) WHERE id = ?2",
            )
            .and_then(|mut s| s.execute(params![now.as_second(), persona.row]))
            .ctx("recording the persona in use")?;
        Ok(())
    }

    // ----- documents -----

    /// Finds the document whose id starts with `prefix` (hex).
    pub fn resolve(&self, prefix: &str, kind: Option<DocKind>) -> Result<DocId, StoreError> {
        let what = kind.map_or("document", DocKind::as_str);
        let clean = prefix.trim().to_ascii_lowercase();
        let not_found = || StoreError::NotFound {
            what,
            id: prefix.to_owned(),
        };
        if clean.is_empty() || clean.len() > 64 || !clean.chars().all(|c| c.is_ascii_hexdigit()) {
            return Err(not_found());
        }
        let low = hex::decode(format!("{clean:0<64}")).map_err(|_| not_found())?;
        let high = hex::decode(format!("{clean:f<64}")).map_err(|_| not_found())?;
        let mut stmt = self
            .conn
            .prepare("SELECT id FROM docs WHERE id BETWEEN ?1 AND ?2 AND (?3 IS NULL OR kind = ?3) LIMIT 2")
            .ctx("looking up a document")?;
        let ids: Vec<Vec<u8>> = stmt
            .query_map(params![low, high, kind.map(DocKind::as_str)], |r| r.get(0))
            .ctx("looking up a document")?
            .collect::<Result<_, _>>()
            .ctx("looking up a document")?;
        match ids.as_slice() {
            [one] => Ok(DocId(one.clone().try_into().map_err(|_| not_found())?)),
            [] => Err(not_found()),
            _ => Err(StoreError::Ambiguous {
                what,
                prefix: prefix.to_owned(),
                count: ids.len(),
            }),
        }
    }

    fn load_in(conn: &Connection, id: DocId) -> Result<Option<Document>, StoreError> {
        let read = |table: &str| -> Result<Vec<SignedChange>, StoreError> {
            let mut stmt = conn
                .prepare_cached(&format!(
                    "SELECT doc, author, signature, bytes FROM {table} WHERE doc = ?1 ORDER BY id"
                ))
                .ctx("reading a document")?;
            let rows = stmt
                .query_map([id.0], row_to_signed)
                .ctx("reading a document")?;
            rows.collect::<Result<_, _>>().ctx("reading a document")
        };
        let changes = read("changes")?;
        let pending = read("pending")?;
        if changes.is_empty() && pending.is_empty() {
            return Ok(None);
        }
        let rejected = read("rejected")?;
        let mut doc = Document::from_trusted(id, changes, rejected)?;
        if !pending.is_empty() {
            doc.receive(pending);
        }
        Ok(Some(doc))
    }

    /// The document as [`Store::load`] reads it, copied from what the last
    /// import left in memory when that is still current (no parsing).
    pub fn load_from_memory(&self, id: DocId) -> Result<Document, StoreError> {
        match self.docs.current(&self.conn, id)? {
            Some(doc) if doc.kind().is_some() => Ok(doc.clone()),
            _ => self.load(id),
        }
    }

    pub fn load(&self, id: DocId) -> Result<Document, StoreError> {
        Store::load_in(&self.conn, id)?
            .filter(|d| d.kind().is_some())
            .ok_or_else(|| StoreError::NotFound {
                what: "document",
                id: id.to_hex(),
            })
    }

    /// Stores a document created on this device (all of its changes).
    pub fn insert_new(&mut self, doc: &Document) -> Result<(), StoreError> {
        self.insert_new_batch(std::slice::from_ref(doc))
    }

    /// Stores documents created on this device, in one transaction.
    pub fn insert_new_batch(&mut self, docs: &[Document]) -> Result<(), StoreError> {
        let tx = self.write().ctx("saving a new document")?;
        for doc in docs {
            let changes = doc.signed_changes();
            persist_doc(&tx, doc, &changes)?;
            sealed::seal_local_changes(&tx, doc, &changes)?;
        }
        tx.commit().ctx("saving a new document")
    }

    /// Edits a stored document: re-reads it inside the write lock, runs `f` (which
    /// makes local, judged edits), stores the new changes and indexes, commits.
    pub fn update<T>(
        &mut self,
        id: DocId,
        f: impl FnOnce(&mut Document) -> Result<T, EditError>,
    ) -> Result<T, StoreError> {
        let tx = self.write().ctx("starting a write")?;
        let mut doc = Store::load_in(&tx, id)?
            .filter(|d| d.kind().is_some())
            .ok_or_else(|| StoreError::NotFound {
                what: "document",
                id: id.to_hex(),
            })?;
        let heads = doc.heads();
        let invites = doc.group().map(|g| g.invites).unwrap_or_default();
        let invites_before: Vec<String> = invites.iter().map(|i| i.id.clone()).collect();
        let revoked_before: Vec<String> = invites
            .into_iter()
            .filter(|i| i.revoked)
            .map(|i| i.id)
            .collect();
        let out = f(&mut doc)?;
        let new = doc.changes_since(&heads);
        persist_doc(&tx, &doc, &new)?;
        // The revocation itself is sealed under the keys the invitation had (its
        // holder learns it is revoked), what follows under new ones.
        sealed::seal_local_changes(&tx, &doc, &new)?;
        if let Some(author) = new.first().map(|c| c.author) {
            sealed::rotate_after_revocation(&tx, &revoked_before, &doc, &author)?;
        }
        if let Some(author) = new.first().map(|c| c.author) {
            sealed::grant_to_invitations(&tx, &invites_before, &doc, &author)?;
        }
        tx.commit().ctx("committing a write")?;
        Ok(out)
    }

    /// Takes changes from elsewhere (an import, a peer): each document judges them,
    /// and what it accepts, refuses or keeps waiting is stored in one transaction.
    pub fn ingest(
        &mut self,
        changes: Vec<SignedChange>,
        now: Timestamp,
    ) -> Result<IngestReport, StoreError> {
        self.ingest_with(changes, now, IngestPolicy::default())
    }

    /// [`Store::ingest`] with a policy: which persona comes to know the documents,
    /// and whether a change only a misbehaving sender makes voids the whole batch.
    pub fn ingest_with(
        &mut self,
        changes: Vec<SignedChange>,
        now: Timestamp,
        policy: IngestPolicy,
    ) -> Result<IngestReport, StoreError> {
        let (envelopes, changes): (Vec<_>, Vec<_>) = changes
            .into_iter()
            .partition(|c| rally_core::sealed::is_envelope(&c.bytes));
        let mut report = IngestReport::default();
        let tx = write_on(&mut self.conn).ctx("starting an import")?;
        let voided = |why: String| IngestReport {
            misbehaviour: Some(why),
            ..IngestReport::default()
        };
        if !envelopes.is_empty() {
            let sender = policy.sender.as_ref();
            match sealed::store_envelopes(&tx, envelopes, sender, now.as_millisecond())? {
                Err(sealed::Misbehaviour(why)) => {
                    if policy.void_on_misbehaviour {
                        drop(tx);
                        self.forget_waiting_from(policy.sender.as_ref())?;
                        return Ok(voided(why));
                    }
                    report.reasons.push(why);
                }
                Ok(stored) => {
                    report.accepted += stored.accepted;
                    report.duplicates += stored.duplicates;
                    report.pending += stored.waiting;
                    if stored.early_stubs > 0 {
                        report.reasons.push(format!(
                            "{} stubs of messages not expired yet by this device's clock were not kept",
                            stored.early_stubs
                        ));
                    }
                    report.waiting |= stored.waiting > 0;
                    for log in stored.logs {
                        attach(&tx, &log, policy, false)?;
                        report.documents.push(log);
                    }
                }
            }
        }
        let caps = self.pending_caps;
        if let Some(why) = receive_changes(
            &tx,
            &mut self.docs,
            &mut self.verdicts,
            changes,
            now,
            policy,
            caps,
            &mut report,
        )? {
            drop(tx);
            self.forget_waiting_from(policy.sender.as_ref())?;
            return Ok(voided(why));
        }
        // Open what the new envelopes (or keys, or groups) made readable; a
        // member's sealed change is judged like any other, but what one member
        // sealed does not void what the peer sent.
        let lenient = IngestPolicy {
            void_on_misbehaviour: false,
            relayed_for: None,
            ..policy
        };
        loop {
            let opened = sealed::open_logs(&tx)?;
            if opened.is_empty() {
                break;
            }
            receive_changes(
                &tx,
                &mut self.docs,
                &mut self.verdicts,
                opened,
                now,
                lenient,
                caps,
                &mut report,
            )?;
        }
        // Envelopes that woke from waiting may have expired meanwhile.
        let swept = sealed::sweep(&tx, now.as_millisecond())?;
        tx.commit().ctx("committing an import")?;
        self.scrub_after(swept)?;
        Ok(report)
    }

    /// Other caps on changes waiting for their past (per document, per peer) than
    /// the shipped ones, for tests.
    pub fn set_pending_caps(&mut self, per_doc: usize, per_peer: usize) {
        self.pending_caps = (per_doc, per_peer);
    }

    /// A peer misbehaved: the envelopes and changes it sent that still wait for
    /// their predecessors are forgotten (an honest peer offers them again).
    fn forget_waiting_from(&mut self, sender: Option<&PersonaId>) -> Result<(), StoreError> {
        let Some(sender) = sender else {
            return Ok(());
        };
        let tx = write_on(&mut self.conn).ctx("forgetting a peer's waiting envelopes")?;
        sealed::forget_waiting_from(&tx, sender)?;
        tx.prepare_cached("DELETE FROM pending WHERE sender = ?1")
            .and_then(|mut s| s.execute([sender.0]))
            .ctx("forgetting a peer's waiting changes")?;
        tx.commit().ctx("forgetting a peer's waiting envelopes")
    }

    /// Joins a group with a token. If the group's document is not here yet, the join
    /// is remembered and made when the document arrives; returns whether it was made now.
    pub fn join_group(
        &mut self,
        persona: &LocalPersona,
        token: &InviteToken,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        let known: bool = self
            .conn
            .prepare_cached("SELECT count(*) FROM docs WHERE id = ?1")
            .and_then(|mut s| s.query_row([token.group.0], |r| r.get::<_, i64>(0)))
            .ctx("looking up a group")?
            > 0;
        if known {
            self.update(token.group, |doc| {
                doc.join_group(&persona.persona, &persona.name, token, now)
            })?;
            Ok(true)
        } else {
            let tx = self.write().ctx("remembering a join")?;
            tx.prepare_cached(
                "INSERT OR REPLACE INTO pending_joins (grp, persona, token) VALUES (?1, ?2, ?3)",
            )
            .and_then(|mut s| s.execute(params![token.group.0, persona.row, token.encode()]))
            .ctx("remembering a join")?;
            // A members-only group comes through its log: ask for it, and open
            // what it grants to the invitation.
            sealed::register_log(&tx, &token.group)?;
            sealed::retry_grants(&tx)?;
            tx.commit().ctx("remembering a join")?;
            Ok(false)
        }
    }

    // ----- chat -----

    /// Sends a message to a group's chat, sealed for its members. `reply_to` is
    /// the id (or the start of it) of a message of the same group.
    pub fn send_message(
        &mut self,
        persona: &LocalPersona,
        group: DocId,
        text: &str,
        reply_to: Option<&str>,
        now: Timestamp,
    ) -> Result<String, StoreError> {
        let text = checked_message(text)?;
        let reply_to = match reply_to {
            Some(prefix) => Some(self.resolve_message(group, prefix)?),
            None => None,
        };
        let content = rally_core::sealed::Content::Message {
            text,
            reply_to,
            at: now.as_millisecond(),
        };
        self.chat(persona, group, content)
    }

    /// Replaces the text of one of `persona`'s own messages.
    pub fn edit_message(
        &mut self,
        persona: &LocalPersona,
        group: DocId,
        message: &str,
        text: &str,
        now: Timestamp,
    ) -> Result<String, StoreError> {
        let text = checked_message(text)?;
        let target = self.own_message(persona, group, message)?;
        let content = rally_core::sealed::Content::Edit {
            target,
            text,
            at: now.as_millisecond(),
        };
        self.chat(persona, group, content)?;
        Ok(hex::encode(target))
    }

    /// Deletes one of `persona`'s own messages (for everyone who reads the chat).
    pub fn delete_message(
        &mut self,
        persona: &LocalPersona,
        group: DocId,
        message: &str,
        now: Timestamp,
    ) -> Result<String, StoreError> {
        let target = self.own_message(persona, group, message)?;
        let content = rally_core::sealed::Content::Delete {
            target,
            at: now.as_millisecond(),
        };
        self.chat(persona, group, content)?;
        Ok(hex::encode(target))
    }

    /// Gives a member the chat's history (every epoch this device holds), which a
    /// member does not read by default from before they joined. Admins only.
    pub fn share_history(
        &mut self,
        admin: &LocalPersona,
        group: DocId,
        member: PersonaId,
    ) -> Result<usize, StoreError> {
        let tx = self.write().ctx("sharing history")?;
        let view = Store::load_in(&tx, group)?
            .and_then(|d| d.group().ok())
            .ok_or_else(|| StoreError::NotFound {
                what: "group",
                id: group.to_hex(),
            })?;
        if view.role_of(&admin.id()) != Some(rally_core::Role::Admin) {
            return Err(StoreError::NotAnAdmin(group.to_hex()));
        }
        if !view.members.contains_key(&member) {
            return Err(StoreError::NotAMember(format!("{group} (for {member})")));
        }
        let n = sealed::share_history(&tx, &group, &admin.persona, &member)?;
        tx.commit().ctx("sharing history")?;
        Ok(n)
    }

    fn chat(
        &mut self,
        persona: &LocalPersona,
        group: DocId,
        content: rally_core::sealed::Content,
    ) -> Result<String, StoreError> {
        let tx = self.write().ctx("sending a message")?;
        if !sealed::is_member(&tx, &group, &persona.id())? {
            return Err(StoreError::NotAMember(group.to_hex()));
        }
        let id = sealed::send(&tx, &group, &persona.persona, content)?;
        tx.commit().ctx("sending a message")?;
        Ok(hex::encode(id))
    }

    fn resolve_message(&self, group: DocId, prefix: &str) -> Result<[u8; 32], StoreError> {
        let clean = prefix.trim().to_ascii_lowercase();
        let not_found = || StoreError::NoMessage(prefix.to_owned());
        if clean.len() < 4 || clean.len() > 64 || !clean.chars().all(|c| c.is_ascii_hexdigit()) {
            return Err(not_found());
        }
        let low = hex::decode(format!("{clean:0<64}")).map_err(|_| not_found())?;
        let high = hex::decode(format!("{clean:f<64}")).map_err(|_| not_found())?;
        let mut stmt = self
            .conn
            .prepare("SELECT id FROM messages WHERE grp = ?1 AND id BETWEEN ?2 AND ?3 LIMIT 2")
            .ctx("looking up a message")?;
        let ids: Vec<Vec<u8>> = stmt
            .query_map(params![group.0, low, high], |r| r.get(0))
            .ctx("looking up a message")?
            .collect::<Result<_, _>>()
            .ctx("looking up a message")?;
        match ids.as_slice() {
            [one] => one.clone().try_into().map_err(|_| not_found()),
            [] => Err(not_found()),
            _ => Err(StoreError::Ambiguous {
                what: "message",
                prefix: prefix.to_owned(),
                count: ids.len(),
            }),
        }
    }

    fn own_message(
        &self,
        persona: &LocalPersona,
        group: DocId,
        prefix: &str,
    ) -> Result<[u8; 32], StoreError> {
        let id = self.resolve_message(group, prefix)?;
        let (author, deleted): (Vec<u8>, bool) = self
            .conn
            .prepare_cached("SELECT author, deleted FROM messages WHERE id = ?1")
            .and_then(|mut s| s.query_row([id], |r| Ok((r.get(0)?, r.get(1)?))))
            .ctx("looking up a message")?;
        if author != persona.id().0 || deleted {
            return Err(StoreError::NoMessage(format!(
                "{prefix} (only your own messages can be edited or deleted)"
            )));
        }
        Ok(id)
    }

    /// A group's chat as this device can read it, oldest first (causal order,
    /// then the authors' clocks).
    pub fn messages(&self, group: DocId) -> Result<Vec<ChatMessage>, StoreError> {
        let names: HashMap<PersonaId, String> = self
            .load(group)
            .ok()
            .and_then(|d| d.group().ok())
            .map(|g| g.members.into_iter().map(|(k, m)| (k, m.name)).collect())
            .unwrap_or_default();
        let mut stmt = self
            .conn
            .prepare(
                "SELECT id, author, body, reply_to, at, edited_at, deleted, expires FROM messages
                 WHERE grp = ?1 ORDER BY depth, at, id",
            )
            .ctx("reading messages")?;
        let rows = stmt
            .query_map([group.0], |r| {
                Ok((
                    r.get::<_, Vec<u8>>(0)?,
                    r.get::<_, Vec<u8>>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, Option<Vec<u8>>>(3)?,
                    r.get::<_, i64>(4)?,
                    r.get::<_, Option<i64>>(5)?,
                    r.get::<_, bool>(6)?,
                    r.get::<_, Option<i64>>(7)?,
                ))
            })
            .ctx("reading messages")?;
        let mut out = Vec::new();
        for row in rows {
            let (id, author, text, reply_to, at, edited_at, deleted, expires) =
                row.ctx("reading messages")?;
            let Ok(author) = <[u8; 32]>::try_from(author.as_slice()).map(PersonaId) else {
                continue;
            };
            out.push(ChatMessage {
                id: hex::encode(id),
                author_name: names.get(&author).cloned(),
                author,
                text,
                reply_to: reply_to.map(hex::encode),
                at,
                edited_at,
                deleted,
                expires,
            });
        }
        Ok(out)
    }

    /// Offers a document to every peer a relay admits (see [`Scope::Relay`]).
    pub fn share_with_everyone(&mut self, doc: DocId) -> Result<(), StoreError> {
        self.conn
            .prepare_cached("INSERT OR IGNORE INTO shared_docs (doc) VALUES (?1)")
            .and_then(|mut s| s.execute(params![doc.0]))
            .ctx("sharing a document with every peer")?;
        Ok(())
    }

    /// The copy of the event published elsewhere at `origin`, if there is one.
    pub fn copy_of(&self, origin: &str) -> Result<Option<DocId>, StoreError> {
        use rusqlite::OptionalExtension;
        self.conn
            .prepare_cached("SELECT doc FROM copies WHERE origin = ?1")
            .and_then(|mut s| s.query_row([origin], |r| r.get::<_, Vec<u8>>(0)))
            .optional()
            .ctx("looking up a copy")?
            .map(|b| {
                <[u8; 32]>::try_from(b.as_slice())
                    .map(DocId)
                    .map_err(|_| StoreError::NotFound {
                        what: "copy",
                        id: origin.to_owned(),
                    })
            })
            .transpose()
    }

    /// Follows (or stops following) a group, for `persona` on this device.
    pub fn follow_group(
        &mut self,
        persona: &LocalPersona,
        group: DocId,
        follow: bool,
    ) -> Result<(), StoreError> {
        let sql = if follow {
            "INSERT OR IGNORE INTO follows (persona, grp) VALUES (?1, ?2)"
        } else {
            "DELETE FROM follows WHERE persona = ?1 AND grp = ?2"
        };
        self.conn
            .execute(sql, params![persona.row, group.0])
            .ctx("following a group")?;
        Ok(())
    }

    /// The groups `persona` follows.
    pub fn followed_groups(&self, persona: &LocalPersona) -> Result<Vec<DocId>, StoreError> {
        let mut stmt = self
            .conn
            .prepare("SELECT grp FROM follows WHERE persona = ?1 ORDER BY grp")
            .ctx("reading follows")?;
        let rows = stmt
            .query_map([persona.row], |r| r.get::<_, Vec<u8>>(0))
            .ctx("reading follows")?;
        let mut out = Vec::new();
        for r in rows {
            if let Ok(id) = <[u8; 32]>::try_from(r.ctx("reading follows")?.as_slice()) {
                out.push(DocId(id));
            }
        }
        Ok(out)
    }

    /// Every envelope of a group log held here, oldest first.
    pub fn export_log(&self, log: &DocId) -> Result<Vec<SignedChange>, StoreError> {
        sealed::envelopes_since(&self.conn, log, &[], Timestamp::now().as_millisecond())
    }

    /// All changes of the given documents (all documents when empty), and the
    /// envelopes of the groups' logs, for export.
    pub fn export(&self, ids: &[DocId]) -> Result<Vec<SignedChange>, StoreError> {
        let ids: Vec<DocId> = if ids.is_empty() {
            self.doc_ids()?
        } else {
            ids.to_vec()
        };
        let mut out = Vec::new();
        for id in &ids {
            out.extend(self.load(*id)?.signed_changes());
        }
        // A group's log goes with it (its chat, its members-only documents and
        // reports, sealed as they travel anywhere else).
        for id in &ids {
            let log = rally_core::sealed::log_id(id);
            if sealed::is_log(&self.conn, &log)? {
                out.extend(self.export_log(&log)?);
            }
        }
        Ok(out)
    }

    pub fn doc_ids(&self) -> Result<Vec<DocId>, StoreError> {
        let mut stmt = self
            .conn
            .prepare("SELECT id FROM docs WHERE kind <> 'log' ORDER BY id")
            .ctx("listing documents")?;
        let rows = stmt
            .query_map([], |r| r.get::<_, Vec<u8>>(0))
            .ctx("listing documents")?;
        let mut ids = Vec::new();
        for r in rows {
            let bytes = r.ctx("listing documents")?;
            if let Ok(a) = <[u8; 32]>::try_from(bytes.as_slice()) {
                ids.push(DocId(a));
            }
        }
        Ok(ids)
    }

    /// The position of the newest stored change: it grows whenever any process
    /// stores a change, so a reader can tell that something arrived.
    pub fn change_cursor(&self) -> Result<i64, StoreError> {
        self.conn
            .prepare_cached("SELECT coalesce(max(id), 0) FROM changes")
            .and_then(|mut s| s.query_row([], |r| r.get(0)))
            .ctx("reading the change cursor")
    }

    /// Remembers the public URL of the server this device syncs with (it says so
    /// when it connects), so the device can name what the server publishes.
    pub fn set_server_url(&self, url: &str) -> Result<(), StoreError> {
        self.conn
            .prepare_cached(
                "INSERT INTO meta (key, value) VALUES ('server_url', ?1)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            )
            .and_then(|mut s| s.execute([url.trim_end_matches('/')]))
            .ctx("saving the server's URL")?;
        Ok(())
    }

    pub fn server_url(&self) -> Result<Option<String>, StoreError> {
        self.conn
            .prepare_cached("SELECT value FROM meta WHERE key = 'server_url'")
            .and_then(|mut s| s.query_row([], |r| r.get(0)))
            .map(Some)
            .or_else(|e| match e {
                rusqlite::Error::QueryReturnedNoRows => Ok(None),
                e => Err(e),
            })
            .ctx("reading the server's URL")
    }

    /// The documents (not logs) that gained a change after `cursor` (see
    /// [`Store::change_cursor`]).
    pub fn docs_changed_since(&self, cursor: i64) -> Result<Vec<DocId>, StoreError> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT DISTINCT c.doc FROM changes c JOIN docs d ON d.id = c.doc
                 WHERE c.id > ?1 AND d.kind <> 'log'",
            )
            .ctx("listing changed documents")?;
        let rows = stmt
            .query_map([cursor], |r| r.get::<_, Vec<u8>>(0))
            .ctx("listing changed documents")?;
        let mut ids = Vec::new();
        for r in rows {
            let bytes = r.ctx("listing changed documents")?;
            if let Ok(a) = <[u8; 32]>::try_from(bytes.as_slice()) {
                ids.push(DocId(a));
            }
        }
        Ok(ids)
    }

    /// Drops every index and rebuilds it from the documents.
    pub fn rebuild_indexes(&mut self) -> Result<usize, StoreError> {
        let ids = self.doc_ids()?;
        let tx = self.write().ctx("rebuilding indexes")?;
        index::clear_all(&tx)?;
        for id in &ids {
            if let Some(doc) = Store::load_in(&tx, *id)? {
                index::reindex(&tx, &doc)?;
            }
        }
        tx.commit().ctx("rebuilding indexes")?;
        Ok(ids.len())
    }

    pub(crate) fn conn(&self) -> &Connection {
        &self.conn
    }

    pub(crate) fn write(&mut self) -> rusqlite::Result<Write<'_>> {
        write_on(&mut self.conn)
    }

    /// Opens one transaction for many writes (e.g. all the changes a peer sent in
    /// one batch): one commit, one sync to disk. Writes inside it are savepoints.
    /// Checks ahead of time the signatures of changes about to be ingested in
    /// this batch (see [`rally_core::signed::Verdicts`]).
    pub fn prefetch(&mut self, changes: Vec<SignedChange>) {
        self.verdicts.check(changes);
    }

    pub fn begin_batch(&mut self) -> Result<(), StoreError> {
        if self.conn.is_autocommit() {
            self.conn
                .execute_batch("BEGIN IMMEDIATE")
                .ctx("starting a batch")?;
        }
        Ok(())
    }

    /// Commits the batch; nothing in it is acknowledged before this returns.
    pub fn commit_batch(&mut self) -> Result<(), StoreError> {
        self.verdicts.clear();
        if !self.conn.is_autocommit() {
            self.conn
                .execute_batch("COMMIT")
                .ctx("committing a batch")?;
        }
        if self.scrub_due.take() {
            self.scrub_log()?;
        }
        Ok(())
    }

    /// Drops a batch that failed part way.
    pub fn abort_batch(&mut self) {
        self.verdicts.clear();
        self.scrub_due.set(false);
        // What the batch's imports left in memory may never have been stored.
        self.docs.0.clear();
        if !self.conn.is_autocommit() {
            let _ = self.conn.execute_batch("ROLLBACK");
        }
    }
}

pub(crate) fn heads_blob(heads: &[rally_core::ChangeHash]) -> Vec<u8> {
    let mut sorted: Vec<_> = heads.iter().map(|h| h.0).collect();
    sorted.sort();
    sorted.concat()
}

pub(crate) fn heads_from_blob(blob: &[u8]) -> Vec<rally_core::ChangeHash> {
    blob.chunks_exact(32)
        .map(|c| rally_core::ChangeHash(c.try_into().expect("32 bytes")))
        .collect()
}

/// Hands changes to their documents (each judges them) and stores what they
/// accepted, refused or keep waiting. Returns why, when the policy voids the batch.
/// The most changes of one document that may wait for their past, and the most
/// one peer may have waiting over all documents: past either, the batch is
/// refused (and, with it, the peer), and what that peer left waiting goes.
pub const MAX_PENDING_PER_DOC: usize = 20_000;
pub const MAX_PENDING_PER_PEER: usize = 40_000;

fn pending_from(tx: &Connection, sender: &PersonaId) -> Result<usize, StoreError> {
    let n: i64 = tx
        .prepare_cached("SELECT count(*) FROM pending WHERE sender = ?1")
        .ctx("counting waiting changes")?
        .query_row([sender.0], |r| r.get(0))
        .ctx("counting waiting changes")?;
    Ok(n as usize)
}

#[allow(clippy::too_many_arguments)]
fn receive_changes(
    tx: &Connection,
    docs: &mut DocCache,
    verdicts: &mut rally_core::signed::Verdicts,
    changes: Vec<SignedChange>,
    now: Timestamp,
    policy: IngestPolicy,
    (per_doc, per_peer): (usize, usize),
    report: &mut IngestReport,
) -> Result<Option<String>, StoreError> {
    // Every signature of the batch checked at once; then each document judges
    // its own changes.
    let mut by_doc: BTreeMap<DocId, Vec<rally_core::signed::Checked>> = BTreeMap::new();
    for c in verdicts.verify_all(changes) {
        let doc = match &c {
            Ok(v) => v.doc(),
            Err((signed, _)) => signed.doc,
        };
        by_doc.entry(doc).or_default().push(c);
    }
    for (id, incoming) in by_doc {
        // A document this device forgot comes back only when asked for.
        if retention::is_forgotten(tx, &id)? {
            continue;
        }
        if sealed::is_log(tx, &id)? {
            let why = format!("{}: a change for a group log", id.to_hex());
            if policy.void_on_misbehaviour {
                return Ok(Some(why));
            }
            report.reasons.push(why);
            continue;
        }
        let mut doc = docs.take(tx, id)?.unwrap_or_else(|| Document::empty(id));
        let receipt = doc.receive_checked(incoming);
        report.accepted += receipt.accepted.len();
        report.duplicates += receipt.duplicates;
        report.rejected += receipt.rejected.len();
        report.retracted += receipt.retracted.len();
        if policy.void_on_misbehaviour
            && let Some((_, _, why)) = receipt.rejected.iter().find(|r| r.2.is_misbehaviour())
        {
            return Ok(Some(format!("{}: {why}", id.to_hex())));
        }
        if doc.kind().is_some() {
            attach(tx, &id, policy, receipt.accepted.is_empty())?;
        }
        report.waiting |= doc.pending_count() > 0;
        for (_, signed, why) in &receipt.rejected {
            tx.prepare_cached("INSERT INTO rejected (doc, author, signature, bytes, reason) VALUES (?1, ?2, ?3, ?4, ?5)").and_then(|mut s| s.execute(params![signed.doc.0, signed.author.0, signed.signature, signed.bytes, why.to_string()]))
                .ctx("recording a refused change")?;
            report.reasons.push(format!("{}: {why}", id.to_hex()));
        }
        if !receipt.retracted.is_empty() {
            // Keep what the document still holds; the withdrawn changes become refused ones.
            let kept: std::collections::HashSet<Vec<u8>> =
                doc.signed_changes().into_iter().map(|c| c.bytes).collect();
            let stored = {
                let mut stmt = tx
                    .prepare("SELECT doc, author, signature, bytes FROM changes WHERE doc = ?1")
                    .ctx("withdrawing changes")?;
                let rows = stmt
                    .query_map([id.0], row_to_signed)
                    .ctx("withdrawing changes")?;
                rows.collect::<Result<Vec<_>, _>>()
                    .ctx("withdrawing changes")?
            };
            for gone in stored.into_iter().filter(|c| !kept.contains(&c.bytes)) {
                tx.prepare_cached("DELETE FROM changes WHERE doc = ?1 AND bytes = ?2")
                    .and_then(|mut s| s.execute(params![id.0, gone.bytes]))
                    .ctx("withdrawing changes")?;
                tx.prepare_cached("INSERT INTO rejected (doc, author, signature, bytes, reason) VALUES (?1, ?2, ?3, ?4, ?5)").and_then(|mut s| s.execute(params![gone.doc.0, gone.author.0, gone.signature, gone.bytes, "withdrawn: its author equivocated"]))
                    .ctx("withdrawing changes")?;
            }
        }
        // Only what starts or stops waiting is written.
        for hash in &receipt.no_longer_pending {
            tx.prepare_cached("DELETE FROM pending WHERE hash = ?1")
                .ctx("storing waiting changes")?
                .execute([hash.0])
                .ctx("storing waiting changes")?;
        }
        let written = &receipt.now_pending;
        for (hash, c) in written {
            tx.prepare_cached(
                "INSERT INTO pending (doc, author, signature, bytes, hash, sender) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )
            .ctx("storing waiting changes")?
            .execute(params![
                c.doc.0,
                c.author.0,
                c.signature,
                c.bytes,
                hash.0,
                policy.sender.map(|p| p.0)
            ])
            .ctx("storing waiting changes")?;
        }
        if !written.is_empty() {
            let too_many = if doc.pending_count() > per_doc {
                Some(format!(
                    "{}: more than {per_doc} changes waiting for their past",
                    id.to_hex()
                ))
            } else if let Some(sender) = &policy.sender
                && pending_from(tx, sender)? > per_peer
            {
                Some(format!(
                    "more than {per_peer} changes waiting for their past from one peer"
                ))
            } else {
                None
            };
            if let Some(why) = too_many {
                if policy.void_on_misbehaviour {
                    return Ok(Some(why));
                }
                report.reasons.push(why);
            }
        }
        report.pending += doc.pending_count();
        if !receipt.accepted.is_empty() || !receipt.retracted.is_empty() {
            persist_doc(tx, &doc, &receipt.accepted)?;
            report.documents.push(id);
            if doc.kind() == Some(DocKind::Group) && complete_pending_joins(tx, &mut doc, now)? {
                report.joined.push(id);
            }
        }
        docs.keep(tx, doc)?;
    }
    Ok(None)
}

/// Records who comes to know a document: a local persona (shared by it from now
/// on) or, on a server, the remote persona that sent it.
fn attach(
    tx: &Connection,
    id: &DocId,
    policy: IngestPolicy,
    nothing_new: bool,
) -> Result<(), StoreError> {
    if let Some(persona) = policy.attach_to {
        let newly_known = tx
            .prepare_cached("INSERT OR IGNORE INTO persona_docs (persona, doc) VALUES (?1, ?2)")
            .ctx("recording a document")?
            .execute(params![persona, id.0])
            .ctx("recording a document")?;
        if newly_known > 0 && nothing_new {
            // Shared from now on without a change to show for it: the next
            // sessions of this persona announce everything, not what changed.
            tx.prepare_cached("UPDATE peers SET synced = NULL WHERE persona = ?1")
                .and_then(|mut s| s.execute([persona]))
                .ctx("recording a document")?;
        }
    }
    if let Some(remote) = policy.relayed_for {
        relay_to(tx, &remote, id, nothing_new)?;
    }
    Ok(())
}

/// On a server: shares `doc` with the remote persona from now on. With
/// `announce_all`, a newly shared document makes the remote's next session
/// announce everything (it came without a change to show for it).
pub(crate) fn relay_to(
    tx: &Connection,
    remote: &PersonaId,
    doc: &DocId,
    announce_all: bool,
) -> Result<(), StoreError> {
    let newly_known = tx
        .prepare_cached("INSERT OR IGNORE INTO relayed_docs (remote, doc) VALUES (?1, ?2)")
        .ctx("recording a document")?
        .execute(params![remote.0, doc.0])
        .ctx("recording a document")?;
    if newly_known > 0 && announce_all {
        tx.prepare_cached("UPDATE peers SET synced = NULL WHERE remote = ?1")
            .ctx("recording a document")?
            .execute([remote.0])
            .ctx("recording a document")?;
    }
    Ok(())
}

fn persist_doc(tx: &Connection, doc: &Document, new: &[SignedChange]) -> Result<(), StoreError> {
    let Some(kind) = doc.kind() else {
        return Ok(());
    };
    tx.prepare_cached(
        "INSERT INTO docs (id, kind, heads) VALUES (?1, ?2, ?3) ON CONFLICT (id) DO UPDATE SET heads = excluded.heads",
    )
    .ctx("saving a document")?
    .execute(params![doc.id().0, kind.as_str(), heads_blob(&doc.heads())])
    .ctx("saving a document")?;
    let mut insert = tx
        .prepare_cached(
            "INSERT INTO changes (doc, author, signature, bytes) VALUES (?1, ?2, ?3, ?4)",
        )
        .ctx("saving changes")?;
    for c in new {
        insert
            .execute(params![c.doc.0, c.author.0, c.signature, c.bytes])
            .ctx("saving changes")?;
    }
    if kind == DocKind::Group {
        sealed::register_log(tx, &doc.id())?;
    }
    index::reindex(tx, doc)
}

fn complete_pending_joins(
    tx: &Connection,
    doc: &mut Document,
    now: Timestamp,
) -> Result<bool, StoreError> {
    struct PendingJoin {
        row: i64,
        name: String,
        token: String,
        secret: Vec<u8>,
        suffix: Vec<u8>,
    }
    let joins: Vec<PendingJoin> = {
        let mut stmt = tx
            .prepare("SELECT p.id, p.name, j.token, p.secret_key, p.actor_suffix FROM pending_joins j JOIN personas p ON p.id = j.persona WHERE j.grp = ?1")
            .ctx("reading pending joins")?;
        let rows = stmt
            .query_map([doc.id().0], |r| {
                Ok(PendingJoin {
                    row: r.get(0)?,
                    name: r.get(1)?,
                    token: r.get(2)?,
                    secret: r.get(3)?,
                    suffix: r.get(4)?,
                })
            })
            .ctx("reading pending joins")?;
        rows.collect::<Result<_, _>>()
            .ctx("reading pending joins")?
    };
    let mut joined = false;
    for PendingJoin {
        row,
        name,
        token,
        secret,
        suffix,
    } in joins
    {
        let (Ok(secret), Ok(suffix), Ok(token)) = (
            <[u8; 32]>::try_from(secret.as_slice()),
            <[u8; ACTOR_SUFFIX_LEN]>::try_from(suffix.as_slice()),
            InviteToken::decode(&token),
        ) else {
            continue;
        };
        // The group may have arrived without the invitation yet (an older copy):
        // the join waits for it.
        let Ok(view) = doc.group() else {
            continue;
        };
        if view.invite(&token.invite_id()).is_none() {
            continue;
        }
        let persona = Persona::from_parts(secret, suffix);
        let heads = doc.heads();
        if doc.join_group(&persona, &name, &token, now).is_ok() {
            // The member's own picture comes with its membership.
            if let Some(picture) = blobs::persona_picture_in(tx, &persona.id())? {
                let _ = doc.set_own_avatar(&persona, Some(&picture), now);
            }
            let new = doc.changes_since(&heads);
            persist_doc(tx, doc, &new)?;
            sealed::seal_local_changes(tx, doc, &new)?;
            joined = true;
        }
        tx.prepare_cached("DELETE FROM pending_joins WHERE grp = ?1 AND persona = ?2")
            .and_then(|mut s| s.execute(params![doc.id().0, row]))
            .ctx("clearing a pending join")?;
    }
    Ok(joined)
}

/// A write: its own `BEGIN IMMEDIATE` transaction, or a savepoint when a batch
/// ([`Store::begin_batch`]) is already open.
pub(crate) enum Write<'a> {
    Own(rusqlite::Transaction<'a>),
    Nested(rusqlite::Savepoint<'a>),
}

impl std::ops::Deref for Write<'_> {
    type Target = Connection;
    fn deref(&self) -> &Connection {
        match self {
            Write::Own(t) => t,
            Write::Nested(s) => s,
        }
    }
}

impl Write<'_> {
    pub(crate) fn commit(self) -> rusqlite::Result<()> {
        match self {
            Write::Own(t) => t.commit(),
            Write::Nested(s) => s.commit(),
        }
    }
}

/// One write: a transaction, or a savepoint inside the batch under way.
fn write_on(conn: &mut Connection) -> rusqlite::Result<Write<'_>> {
    if conn.is_autocommit() {
        conn.transaction_with_behavior(TransactionBehavior::Immediate)
            .map(Write::Own)
    } else {
        conn.savepoint().map(Write::Nested)
    }
}

#[cfg(unix)]
fn restrict_permissions(path: &Path, mode: u32) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
}

#[cfg(not(unix))]
fn restrict_permissions(_path: &Path, _mode: u32) -> std::io::Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests;
