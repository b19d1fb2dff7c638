//! The federation's own state, in `fedi.db` beside the store: the server's actor
//! keys, remote actors seen, followers, follows between instances, what has been
//! published, which remote objects became which comments and participations, and
//! the delivery queue. The documents themselves stay in the store; this is only
//! the mapping between them and the Fediverse; and the admins' moderation
//! (`moderation.rs`: reports, hidden content, their log).

use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, OptionalExtension, params};

use super::keys::{ActorKey, KeyError};

pub mod moderation;
use super::vocab::RemoteActor;

pub const FEDI_FILE: &str = "fedi.db";

/// How long an activity id is remembered as seen.
pub const SEEN_RETENTION_SECS: i64 = 14 * 24 * 3600;
/// How long a fetched actor is kept (it is fetched again after a day anyway).
pub const ACTOR_RETENTION_SECS: i64 = 30 * 24 * 3600;
/// A proxy persona (the persona kept for a remote actor) that wrote nothing the
/// store holds is forgotten this long after it was made; one that wrote
/// something is kept as long as what it wrote (its key is the actor's voice in
/// the documents: editing or deleting a comment needs it).
pub const SILENT_PROXY_RETENTION_SECS: i64 = 30 * 24 * 3600;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS meta (
    key     TEXT PRIMARY KEY,
    value   TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS keys (
    actor   TEXT PRIMARY KEY,
    pkcs8   BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS remote_actors (
    id           TEXT PRIMARY KEY,
    json         TEXT NOT NULL,
    fetched_at   INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS followers (
    local      TEXT NOT NULL,
    remote     TEXT NOT NULL,
    follow_id  TEXT NOT NULL,
    state      TEXT NOT NULL,
    at         INTEGER NOT NULL,
    PRIMARY KEY (local, remote)
);
CREATE TABLE IF NOT EXISTS following (
    local      TEXT NOT NULL,
    remote     TEXT NOT NULL,
    follow_id  TEXT NOT NULL,
    state      TEXT NOT NULL,
    at         INTEGER NOT NULL,
    PRIMARY KEY (local, remote)
);
CREATE TABLE IF NOT EXISTS published (
    object     TEXT PRIMARY KEY,
    actor      TEXT NOT NULL,
    digest     TEXT NOT NULL,
    deleted    INTEGER NOT NULL DEFAULT 0,
    at         INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS usernames (
    username   TEXT PRIMARY KEY,
    grp        TEXT NOT NULL UNIQUE
);
CREATE TABLE IF NOT EXISTS proxies (
    remote     TEXT PRIMARY KEY,
    persona    TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS remote_objects (
    id         TEXT PRIMARY KEY,
    kind       TEXT NOT NULL,
    doc        TEXT NOT NULL,
    local      TEXT,
    actor      TEXT NOT NULL,
    at         INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS seen_activities (
    id         TEXT PRIMARY KEY,
    at         INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS deliveries (
    id         INTEGER PRIMARY KEY,
    inbox      TEXT NOT NULL,
    actor      TEXT NOT NULL,
    body       TEXT NOT NULL,
    attempts   INTEGER NOT NULL DEFAULT 0,
    next_at    INTEGER NOT NULL,
    last_error TEXT,
    created_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS deliveries_due ON deliveries (next_at);
CREATE TABLE IF NOT EXISTS failed_deliveries (
    id         INTEGER PRIMARY KEY,
    inbox      TEXT NOT NULL,
    body       TEXT NOT NULL,
    attempts   INTEGER NOT NULL,
    last_error TEXT,
    failed_at  INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS blocked_domains (
    domain     TEXT PRIMARY KEY
);
CREATE TABLE IF NOT EXISTS private_feeds (
    persona    TEXT PRIMARY KEY,
    generation INTEGER NOT NULL,
    token_hash BLOB NOT NULL UNIQUE,
    at         INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS remote_media (
    url        TEXT PRIMARY KEY,
    picture    TEXT NOT NULL,
    at         INTEGER NOT NULL
);
";

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("federation database: {context}: {source}")]
    Sqlite {
        context: &'static str,
        source: rusqlite::Error,
    },
    #[error(transparent)]
    Key(#[from] KeyError),
    #[error("federation database: the feed secret: {0}")]
    Random(String),
}

trait Ctx<T> {
    fn ctx(self, context: &'static str) -> Result<T, DbError>;
}

impl<T> Ctx<T> for rusqlite::Result<T> {
    fn ctx(self, context: &'static str) -> Result<T, DbError> {
        self.map_err(|source| DbError::Sqlite { context, source })
    }
}

/// A follow relation and its state.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Follow {
    pub local: String,
    pub remote: String,
    pub follow_id: String,
    pub state: String,
    pub at: i64,
}

/// A delivery waiting in the queue.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub id: i64,
    pub inbox: String,
    pub actor: String,
    pub body: String,
    pub attempts: i64,
}

/// Where a remote object went in the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteObject {
    pub kind: String,
    pub doc: String,
    pub local: Option<String>,
    pub actor: String,
}

#[derive(Debug)]
pub struct FediDb {
    conn: Connection,
}

impl FediDb {
    pub fn open(dir: &Path) -> Result<FediDb, DbError> {
        let conn = Connection::open(dir.join(FEDI_FILE)).ctx("opening")?;
        conn.busy_timeout(Duration::from_secs(15)).ctx("opening")?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .ctx("opening")?;
        conn.pragma_update(None, "synchronous", "FULL")
            .ctx("opening")?;
        conn.execute_batch(SCHEMA).ctx("creating the schema")?;
        conn.execute_batch(moderation::SCHEMA)
            .ctx("creating the schema")?;
        Ok(FediDb { conn })
    }

    /// The public URL the server last ran with (so `rally-server admin` can act
    /// for it while it runs).
    pub fn public_url(&self) -> Result<Option<String>, DbError> {
        self.conn
            .query_row("SELECT value FROM meta WHERE key = 'public_url'", [], |r| {
                r.get(0)
            })
            .optional()
            .ctx("reading the public URL")
    }

    pub fn set_public_url(&self, url: &str) -> Result<(), DbError> {
        self.conn
            .execute(
                "INSERT INTO meta (key, value) VALUES ('public_url', ?1)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                [url],
            )
            .ctx("saving the public URL")?;
        Ok(())
    }

    /// The secret private feed tokens are made from (random, made on first use).
    pub fn feed_secret(&self) -> Result<Vec<u8>, DbError> {
        let stored: Option<String> = self
            .conn
            .query_row(
                "SELECT value FROM meta WHERE key = 'feed_secret'",
                [],
                |r| r.get(0),
            )
            .optional()
            .ctx("reading the feed secret")?;
        if let Some(secret) = stored.and_then(|s| hex::decode(s).ok()) {
            return Ok(secret);
        }
        let mut secret = [0u8; 32];
        getrandom::fill(&mut secret).map_err(|e| DbError::Random(e.to_string()))?;
        self.conn
            .execute(
                "INSERT INTO meta (key, value) VALUES ('feed_secret', ?1)
                 ON CONFLICT (key) DO NOTHING",
                [hex::encode(secret)],
            )
            .ctx("saving the feed secret")?;
        // Another connection may have made one first: use the stored one.
        let stored: String = self
            .conn
            .query_row(
                "SELECT value FROM meta WHERE key = 'feed_secret'",
                [],
                |r| r.get(0),
            )
            .ctx("reading the feed secret")?;
        hex::decode(stored).map_err(|e| DbError::Random(e.to_string()))
    }

    /// A persona's private feed generation (0 before its first reset).
    pub fn feed_generation(&self, persona: &str) -> Result<i64, DbError> {
        Ok(self
            .conn
            .query_row(
                "SELECT generation FROM private_feeds WHERE persona = ?1",
                [persona],
                |r| r.get(0),
            )
            .optional()
            .ctx("reading a feed generation")?
            .unwrap_or(0))
    }

    /// Makes `token_hash` (of generation `generation`) the persona's only
    /// feed token.
    pub fn set_feed_token(
        &self,
        persona: &str,
        generation: i64,
        token_hash: &[u8],
        now: i64,
    ) -> Result<(), DbError> {
        self.conn
            .execute(
                "INSERT INTO private_feeds (persona, generation, token_hash, at) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (persona) DO UPDATE SET generation = excluded.generation,
                     token_hash = excluded.token_hash, at = excluded.at",
                params![persona, generation, token_hash, now],
            )
            .ctx("saving a feed token")?;
        Ok(())
    }

    /// The persona whose current feed token hashes to `token_hash`.
    pub fn feed_persona(&self, token_hash: &[u8]) -> Result<Option<String>, DbError> {
        self.conn
            .query_row(
                "SELECT persona FROM private_feeds WHERE token_hash = ?1",
                [token_hash],
                |r| r.get(0),
            )
            .optional()
            .ctx("finding a feed token")
    }

    /// The key of one of this server's actors, made on first use.
    pub fn actor_key(&self, actor: &str) -> Result<ActorKey, DbError> {
        let stored: Option<Vec<u8>> = self
            .conn
            .query_row("SELECT pkcs8 FROM keys WHERE actor = ?1", [actor], |r| {
                r.get(0)
            })
            .optional()
            .ctx("reading a key")?;
        if let Some(der) = stored {
            return Ok(ActorKey::from_pkcs8(&der)?);
        }
        let key = ActorKey::generate()?;
        self.conn
            .execute(
                "INSERT OR IGNORE INTO keys (actor, pkcs8) VALUES (?1, ?2)",
                params![actor, key.pkcs8()],
            )
            .ctx("saving a key")?;
        let der: Vec<u8> = self
            .conn
            .query_row("SELECT pkcs8 FROM keys WHERE actor = ?1", [actor], |r| {
                r.get(0)
            })
            .ctx("reading a key")?;
        Ok(ActorKey::from_pkcs8(&der)?)
    }

    // ----- remote actors -----

    pub fn remote_actor(&self, id: &str) -> Result<Option<(RemoteActor, i64)>, DbError> {
        let row: Option<(String, i64)> = self
            .conn
            .query_row(
                "SELECT json, fetched_at FROM remote_actors WHERE id = ?1",
                [id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .ctx("reading an actor")?;
        Ok(row.and_then(|(json, at)| {
            let v = serde_json::from_str(&json).ok()?;
            Some((RemoteActor::parse(&v).ok()?, at))
        }))
    }

    pub fn save_remote_actor(&self, id: &str, json: &str, now: i64) -> Result<(), DbError> {
        self.conn
            .execute(
                "INSERT INTO remote_actors (id, json, fetched_at) VALUES (?1, ?2, ?3)
                 ON CONFLICT (id) DO UPDATE SET json = excluded.json, fetched_at = excluded.fetched_at",
                params![id, json, now],
            )
            .ctx("saving an actor")?;
        Ok(())
    }

    // ----- follows -----

    fn follow_rows(&self, table: &str, filter: &str, arg: &str) -> Result<Vec<Follow>, DbError> {
        let sql = format!(
            "SELECT local, remote, follow_id, state, at FROM {table} WHERE {filter} ORDER BY at, remote"
        );
        let mut stmt = self.conn.prepare(&sql).ctx("reading follows")?;
        let rows = stmt
            .query_map([arg], |r| {
                Ok(Follow {
                    local: r.get(0)?,
                    remote: r.get(1)?,
                    follow_id: r.get(2)?,
                    state: r.get(3)?,
                    at: r.get(4)?,
                })
            })
            .ctx("reading follows")?;
        rows.collect::<Result<_, _>>().ctx("reading follows")
    }

    fn upsert_follow(&self, table: &str, f: &Follow) -> Result<(), DbError> {
        let sql = format!(
            "INSERT INTO {table} (local, remote, follow_id, state, at) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (local, remote) DO UPDATE SET follow_id = excluded.follow_id, state = excluded.state, at = excluded.at"
        );
        self.conn
            .execute(&sql, params![f.local, f.remote, f.follow_id, f.state, f.at])
            .ctx("saving a follow")?;
        Ok(())
    }

    fn delete_follow(&self, table: &str, local: &str, remote: &str) -> Result<bool, DbError> {
        let sql = format!("DELETE FROM {table} WHERE local = ?1 AND remote = ?2");
        Ok(self
            .conn
            .execute(&sql, params![local, remote])
            .ctx("removing a follow")?
            > 0)
    }

    pub fn set_follower(&self, f: &Follow) -> Result<(), DbError> {
        self.upsert_follow("followers", f)
    }

    pub fn remove_follower(&self, local: &str, remote: &str) -> Result<bool, DbError> {
        self.delete_follow("followers", local, remote)
    }

    /// Followers of a local actor (every state).
    pub fn followers(&self, local: &str) -> Result<Vec<Follow>, DbError> {
        self.follow_rows("followers", "local = ?1", local)
    }

    pub fn follower(&self, local: &str, remote: &str) -> Result<Option<Follow>, DbError> {
        Ok(self
            .followers(local)?
            .into_iter()
            .find(|f| f.remote == remote))
    }

    pub fn set_following(&self, f: &Follow) -> Result<(), DbError> {
        self.upsert_follow("following", f)
    }

    pub fn remove_following(&self, local: &str, remote: &str) -> Result<bool, DbError> {
        self.delete_follow("following", local, remote)
    }

    pub fn following(&self, local: &str) -> Result<Vec<Follow>, DbError> {
        self.follow_rows("following", "local = ?1", local)
    }

    // ----- publication -----

    pub fn published(&self, object: &str) -> Result<Option<(String, bool)>, DbError> {
        self.conn
            .query_row(
                "SELECT digest, deleted FROM published WHERE object = ?1",
                [object],
                |r| Ok((r.get(0)?, r.get::<_, i64>(1)? != 0)),
            )
            .optional()
            .ctx("reading what was published")
    }

    /// What was published under `prefix` (a series' occurrences): each
    /// object's id and whether it was deleted.
    pub fn published_under(&self, prefix: &str) -> Result<Vec<(String, bool)>, DbError> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT object, deleted FROM published WHERE substr(object, 1, length(?1)) = ?1",
            )
            .ctx("reading what was published")?;
        let rows = stmt
            .query_map([prefix], |r| Ok((r.get(0)?, r.get::<_, i64>(1)? != 0)))
            .ctx("reading what was published")?;
        rows.collect::<Result<_, _>>()
            .ctx("reading what was published")
    }

    pub fn set_published(
        &self,
        object: &str,
        actor: &str,
        digest: &str,
        deleted: bool,
        now: i64,
    ) -> Result<(), DbError> {
        self.conn
            .execute(
                "INSERT INTO published (object, actor, digest, deleted, at) VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (object) DO UPDATE SET digest = excluded.digest, deleted = excluded.deleted, at = excluded.at",
                params![object, actor, digest, deleted, now],
            )
            .ctx("recording a publication")?;
        Ok(())
    }

    /// The group a username belongs to; the first group to claim a username keeps it.
    pub fn claim_username(&self, username: &str, group: &str) -> Result<String, DbError> {
        self.conn
            .execute(
                "INSERT OR IGNORE INTO usernames (username, grp) VALUES (?1, ?2)",
                params![username, group],
            )
            .ctx("claiming a username")?;
        self.conn
            .query_row(
                "SELECT grp FROM usernames WHERE username = ?1",
                [username],
                |r| r.get(0),
            )
            .ctx("claiming a username")
    }

    // ----- remote objects -----

    pub fn proxy_persona(&self, remote: &str) -> Result<Option<String>, DbError> {
        self.conn
            .query_row(
                "SELECT persona FROM proxies WHERE remote = ?1",
                [remote],
                |r| r.get(0),
            )
            .optional()
            .ctx("reading a proxy")
    }

    /// A proxy persona was forgotten (see `Local::prune_proxies`).
    pub fn forget_proxy(&self, persona: &str) -> Result<(), DbError> {
        self.conn
            .execute("DELETE FROM proxies WHERE persona = ?1", [persona])
            .ctx("forgetting a proxy")?;
        Ok(())
    }

    pub fn set_proxy_persona(&self, remote: &str, persona: &str) -> Result<(), DbError> {
        self.conn
            .execute(
                "INSERT OR REPLACE INTO proxies (remote, persona) VALUES (?1, ?2)",
                params![remote, persona],
            )
            .ctx("saving a proxy")?;
        Ok(())
    }

    pub fn remote_object(&self, id: &str) -> Result<Option<RemoteObject>, DbError> {
        self.conn
            .query_row(
                "SELECT kind, doc, local, actor FROM remote_objects WHERE id = ?1",
                [id],
                |r| {
                    Ok(RemoteObject {
                        kind: r.get(0)?,
                        doc: r.get(1)?,
                        local: r.get(2)?,
                        actor: r.get(3)?,
                    })
                },
            )
            .optional()
            .ctx("reading a remote object")
    }

    /// Records a remote object; `false` (nothing written) when the id is already
    /// another actor's record, or one of another kind: an id names one thing of
    /// one sender, and reusing it overwrites nothing.
    pub fn set_remote_object(&self, id: &str, o: &RemoteObject, now: i64) -> Result<bool, DbError> {
        Ok(self
            .conn
            .execute(
                "INSERT INTO remote_objects (id, kind, doc, local, actor, at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT (id) DO UPDATE SET doc = excluded.doc, local = excluded.local, at = excluded.at
                 WHERE remote_objects.actor = excluded.actor AND remote_objects.kind = excluded.kind",
                params![id, o.kind, o.doc, o.local, o.actor, now],
            )
            .ctx("saving a remote object")?
            > 0)
    }

    /// The picture a remote picture's URL was cleaned into (see
    /// `copies::banner_of`), as a document keeps it.
    pub fn remote_media(&self, url: &str) -> Result<Option<String>, DbError> {
        self.conn
            .prepare_cached("SELECT picture FROM remote_media WHERE url = ?1")
            .ctx("reading remote pictures")?
            .query_row([url], |r| r.get(0))
            .optional()
            .ctx("reading remote pictures")
    }

    pub fn set_remote_media(&self, url: &str, picture: &str, now: i64) -> Result<(), DbError> {
        self.conn
            .execute(
                "INSERT OR REPLACE INTO remote_media (url, picture, at) VALUES (?1, ?2, ?3)",
                params![url, picture, now],
            )
            .ctx("keeping a remote picture")?;
        Ok(())
    }

    /// Whether an activity id was handled already (see [`FediDb::first_sight`]).
    pub fn seen(&self, id: &str) -> Result<bool, DbError> {
        self.conn
            .prepare_cached("SELECT EXISTS (SELECT 1 FROM seen_activities WHERE id = ?1)")
            .ctx("reading seen activities")?
            .query_row([id], |r| r.get(0))
            .ctx("reading seen activities")
    }

    /// The remote objects of one kind recorded for a document, with their ids.
    pub fn remote_objects_of(
        &self,
        kind: &str,
        doc: &str,
    ) -> Result<Vec<(String, RemoteObject)>, DbError> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT id, kind, doc, local, actor FROM remote_objects WHERE kind = ?1 AND doc = ?2 ORDER BY at, id",
            )
            .ctx("listing remote objects")?;
        let rows = stmt
            .query_map([kind, doc], |r| {
                Ok((
                    r.get(0)?,
                    RemoteObject {
                        kind: r.get(1)?,
                        doc: r.get(2)?,
                        local: r.get(3)?,
                        actor: r.get(4)?,
                    },
                ))
            })
            .ctx("listing remote objects")?;
        rows.collect::<Result<_, _>>().ctx("listing remote objects")
    }

    /// The documents of the joins sent for a local persona (hex).
    pub fn joins_of(&self, persona: &str) -> Result<Vec<String>, DbError> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT DISTINCT doc FROM remote_objects WHERE kind = 'sent-join' AND local = ?1",
            )
            .ctx("listing joins")?;
        let rows = stmt
            .query_map([persona], |r| r.get(0))
            .ctx("listing joins")?;
        rows.collect::<Result<_, _>>().ctx("listing joins")
    }

    pub fn remove_remote_object(&self, id: &str) -> Result<(), DbError> {
        self.conn
            .execute("DELETE FROM remote_objects WHERE id = ?1", [id])
            .ctx("forgetting a remote object")?;
        Ok(())
    }

    /// Whether the remote actor (or its instance, by origin) is followed here with
    /// its answer `accepted`: its events are then welcome.
    /// Whom this server follows (accepted), with whether each is an instance's own
    /// actor (`Application` or `Service`: a whole-instance follow), as last fetched.
    pub fn trust(&self) -> Result<super::copies::Trust, DbError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT remote FROM following WHERE state = 'accepted'")
            .ctx("reading follows")?;
        let remotes = stmt
            .query_map([], |r| r.get::<_, String>(0))
            .ctx("reading follows")?
            .collect::<Result<Vec<_>, _>>()
            .ctx("reading follows")?;
        let mut follows = Vec::new();
        for remote in remotes {
            let instance = self
                .remote_actor(&remote)?
                .is_some_and(|(a, _)| matches!(a.kind.as_str(), "Application" | "Service"));
            follows.push((remote, instance));
        }
        Ok(super::copies::Trust { follows })
    }

    /// Forgets what is kept only for a while: activity ids seen more than
    /// [`SEEN_RETENTION_SECS`] ago (far beyond the hour a signature is accepted
    /// for, so a replay is refused by its date), and cached actors fetched more
    /// than [`ACTOR_RETENTION_SECS`] ago (fetched again when needed). Returns how
    /// many rows went.
    pub fn prune(&self, now: i64) -> Result<usize, DbError> {
        let seen = self
            .conn
            .execute(
                "DELETE FROM seen_activities WHERE at < ?1",
                [now - SEEN_RETENTION_SECS],
            )
            .ctx("forgetting seen activities")?;
        let actors = self
            .conn
            .execute(
                "DELETE FROM remote_actors WHERE fetched_at < ?1",
                [now - ACTOR_RETENTION_SECS],
            )
            .ctx("forgetting cached actors")?;
        Ok(seen + actors)
    }

    /// Records an activity id; false when it was seen before (a redelivery).
    pub fn first_sight(&self, id: &str, now: i64) -> Result<bool, DbError> {
        Ok(self
            .conn
            .execute(
                "INSERT OR IGNORE INTO seen_activities (id, at) VALUES (?1, ?2)",
                params![id, now],
            )
            .ctx("recording an activity")?
            > 0)
    }

    pub fn is_blocked(&self, domain: &str) -> Result<bool, DbError> {
        let domain = domain.to_ascii_lowercase();
        let mut stmt = self
            .conn
            .prepare("SELECT domain FROM blocked_domains")
            .ctx("reading blocks")?;
        let blocked: Vec<String> = stmt
            .query_map([], |r| r.get(0))
            .ctx("reading blocks")?
            .collect::<Result<_, _>>()
            .ctx("reading blocks")?;
        Ok(blocked
            .iter()
            .any(|b| domain == *b || domain.ends_with(&format!(".{b}"))))
    }

    pub fn block_domain(&self, domain: &str) -> Result<(), DbError> {
        self.conn
            .execute(
                "INSERT OR IGNORE INTO blocked_domains (domain) VALUES (?1)",
                [domain.to_ascii_lowercase()],
            )
            .ctx("blocking a domain")?;
        Ok(())
    }

    pub fn unblock_domain(&self, domain: &str) -> Result<bool, DbError> {
        Ok(self
            .conn
            .execute(
                "DELETE FROM blocked_domains WHERE domain = ?1",
                [domain.to_ascii_lowercase()],
            )
            .ctx("unblocking a domain")?
            > 0)
    }

    pub fn blocked_domains(&self) -> Result<Vec<String>, DbError> {
        let mut stmt = self
            .conn
            .prepare("SELECT domain FROM blocked_domains ORDER BY domain")
            .ctx("reading blocks")?;
        let rows = stmt.query_map([], |r| r.get(0)).ctx("reading blocks")?;
        rows.collect::<Result<_, _>>().ctx("reading blocks")
    }

    // ----- delivery queue -----

    pub fn enqueue(&self, inbox: &str, actor: &str, body: &str, now: i64) -> Result<(), DbError> {
        self.conn
            .execute(
                "INSERT INTO deliveries (inbox, actor, body, next_at, created_at) VALUES (?1, ?2, ?3, ?4, ?4)",
                params![inbox, actor, body, now],
            )
            .ctx("queueing a delivery")?;
        Ok(())
    }

    /// How many deliveries wait in the queue.
    pub fn queue_depth(&self) -> Result<i64, DbError> {
        self.conn
            .query_row("SELECT count(*) FROM deliveries", [], |r| r.get(0))
            .ctx("reading the queue")
    }

    pub fn due(&self, now: i64, limit: usize) -> Result<Vec<Delivery>, DbError> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT id, inbox, actor, body, attempts FROM deliveries WHERE next_at <= ?1 ORDER BY next_at, id LIMIT ?2",
            )
            .ctx("reading the queue")?;
        let rows = stmt
            .query_map(params![now, limit as i64], |r| {
                Ok(Delivery {
                    id: r.get(0)?,
                    inbox: r.get(1)?,
                    actor: r.get(2)?,
                    body: r.get(3)?,
                    attempts: r.get(4)?,
                })
            })
            .ctx("reading the queue")?;
        rows.collect::<Result<_, _>>().ctx("reading the queue")
    }

    pub fn queue_len(&self) -> Result<i64, DbError> {
        self.conn
            .query_row("SELECT count(*) FROM deliveries", [], |r| r.get(0))
            .ctx("reading the queue")
    }

    pub fn delivered(&self, id: i64) -> Result<(), DbError> {
        self.conn
            .execute("DELETE FROM deliveries WHERE id = ?1", [id])
            .ctx("finishing a delivery")?;
        Ok(())
    }

    /// Schedules another attempt, or gives up after `max_attempts`.
    pub fn retry(
        &self,
        d: &Delivery,
        error: &str,
        next_at: i64,
        max_attempts: i64,
        now: i64,
    ) -> Result<(), DbError> {
        if d.attempts + 1 >= max_attempts {
            self.conn
                .execute(
                    "INSERT INTO failed_deliveries (inbox, body, attempts, last_error, failed_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                    params![d.inbox, d.body, d.attempts + 1, error, now],
                )
                .ctx("giving up a delivery")?;
            return self.delivered(d.id);
        }
        self.conn
            .execute(
                "UPDATE deliveries SET attempts = attempts + 1, next_at = ?2, last_error = ?3 WHERE id = ?1",
                params![d.id, next_at, error],
            )
            .ctx("rescheduling a delivery")?;
        Ok(())
    }

    /// Sets every waiting delivery due now (after a restart, or for tests).
    pub fn wake_queue(&self, now: i64) -> Result<(), DbError> {
        self.conn
            .execute("UPDATE deliveries SET next_at = min(next_at, ?1)", [now])
            .ctx("waking the queue")?;
        Ok(())
    }
}
