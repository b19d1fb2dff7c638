//! The federation's own state, in `fedi.db` beside the store: the server's actor
//! keys, remote actors seen, followers, follows between instances, what has been
//! published, which remote objects became which comments and participations, and
//! the delivery queue. The documents themselves stay in the store; this is only
//! the mapping between them and the Fediverse; and the admins' moderation
//! (`moderation.rs`: reports, hidden content, their log).

use std::path::Path;

use crate::db::{Conn, Database, Row, SqlError, migrations::Store};
use crate::vals;

use super::keys::{ActorKey, KeyError};

pub mod moderation;
pub mod reports;
use super::vocab::RemoteActor;

pub const FEDI_FILE: &str = "fedi.db";

/// How long an activity id is remembered as seen.
pub const SEEN_RETENTION_SECS: i64 = 14 * 24 * 3600;
/// How long a fetched actor is kept (it is fetched again after a day anyway).
pub const ACTOR_RETENTION_SECS: i64 = 30 * 24 * 3600;
/// How long an activity sent once to an inbox is remembered: long enough for
/// the queues that may race to queue it (seconds), short enough that an
/// instance following again the next day is sent its backfill again.
pub const SENT_ONCE_RETENTION_SECS: i64 = 24 * 3600;
/// A proxy persona (the persona kept for a remote actor) that wrote nothing the
/// store holds is forgotten this long after it was made; one that wrote
/// something is kept as long as what it wrote (its key is the actor's voice in
/// the documents: editing or deleting a comment needs it).
pub const SILENT_PROXY_RETENTION_SECS: i64 = 30 * 24 * 3600;

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("federation database: {context}: {source}")]
    Db {
        context: &'static str,
        source: SqlError,
    },
    #[error(transparent)]
    Key(#[from] KeyError),
    #[error("federation database: the feed secret: {0}")]
    Random(String),
}

trait Ctx<T> {
    fn ctx(self, context: &'static str) -> Result<T, DbError>;
}

impl<T> Ctx<T> for Result<T, SqlError> {
    fn ctx(self, context: &'static str) -> Result<T, DbError> {
        self.map_err(|source| DbError::Db { context, source })
    }
}

impl From<SqlError> for DbError {
    fn from(source: SqlError) -> Self {
        DbError::Db {
            context: "a transaction",
            source,
        }
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

/// A delivery to queue: to `inbox`, signed by our actor `from`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outgoing {
    pub inbox: String,
    pub from: String,
    pub body: String,
    /// The activity's id when it goes to this inbox once only, however many
    /// times it is queued (the relay's Announce of an event: live, and on a new
    /// follower's backfill, which may race). See [`FediDb::enqueue_once`].
    pub once: Option<String>,
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

/// The federation's state: `fedi.db` in the data directory, or the `fedi`
/// schema of the PostgreSQL database (see [`crate::db`]).
#[derive(Debug)]
pub struct FediDb {
    conn: Conn,
}

fn follow(r: &Row) -> Result<Follow, SqlError> {
    Ok(Follow {
        local: r.get(0)?,
        remote: r.get(1)?,
        follow_id: r.get(2)?,
        state: r.get(3)?,
        at: r.get(4)?,
    })
}

fn remote_object(r: &Row, from: usize) -> Result<RemoteObject, SqlError> {
    Ok(RemoteObject {
        kind: r.get(from)?,
        doc: r.get(from + 1)?,
        local: r.get(from + 2)?,
        actor: r.get(from + 3)?,
    })
}

impl FediDb {
    /// The federation state of the server whose data directory is `dir` (see
    /// [`Database::for_data`]).
    pub fn open(dir: &Path) -> Result<FediDb, DbError> {
        Self::open_in(&Database::for_data(dir).ctx("finding the database")?)
    }

    pub fn open_in(database: &Database) -> Result<FediDb, DbError> {
        let conn = database.open(FEDI_FILE, Store::Fedi).ctx("opening")?;
        Ok(FediDb { conn })
    }

    fn meta(&self, key: &str) -> Result<Option<String>, SqlError> {
        self.conn
            .one("SELECT value FROM meta WHERE key = ?1", vals![key])
    }

    /// The public URL the server last ran with (so `rally-server admin` can act
    /// for it while it runs).
    pub fn public_url(&self) -> Result<Option<String>, DbError> {
        self.meta("public_url").ctx("reading the public URL")
    }

    pub fn set_public_url(&self, url: &str) -> Result<(), DbError> {
        self.conn
            .exec(
                "INSERT INTO meta (key, value) VALUES ('public_url', ?1)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                vals![url],
            )
            .ctx("saving the public URL")?;
        Ok(())
    }

    /// The secret private feed tokens are made from (random, made on first use).
    pub fn feed_secret(&self) -> Result<Vec<u8>, DbError> {
        let stored = self.meta("feed_secret").ctx("reading the feed secret")?;
        if let Some(secret) = stored.and_then(|s| hex::decode(s).ok()) {
            return Ok(secret);
        }
        let mut secret = [0u8; 32];
        getrandom::fill(&mut secret).map_err(|e| DbError::Random(e.to_string()))?;
        self.conn
            .exec(
                "INSERT INTO meta (key, value) VALUES ('feed_secret', ?1)
                 ON CONFLICT (key) DO NOTHING",
                vals![hex::encode(secret)],
            )
            .ctx("saving the feed secret")?;
        // Another connection may have made one first: use the stored one.
        let stored = self
            .meta("feed_secret")
            .ctx("reading the feed secret")?
            .unwrap_or_default();
        hex::decode(stored).map_err(|e| DbError::Random(e.to_string()))
    }

    /// A persona's private feed generation (0 before its first reset).
    pub fn feed_generation(&self, persona: &str) -> Result<i64, DbError> {
        Ok(self
            .conn
            .one(
                "SELECT generation FROM private_feeds WHERE persona = ?1",
                vals![persona],
            )
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
            .exec(
                "INSERT INTO private_feeds (persona, generation, token_hash, at) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (persona) DO UPDATE SET generation = excluded.generation,
                     token_hash = excluded.token_hash, at = excluded.at",
                vals![persona, generation, token_hash, now],
            )
            .ctx("saving a feed token")?;
        Ok(())
    }

    /// The persona whose current feed token hashes to `token_hash`.
    pub fn feed_persona(&self, token_hash: &[u8]) -> Result<Option<String>, DbError> {
        self.conn
            .one(
                "SELECT persona FROM private_feeds WHERE token_hash = ?1",
                vals![token_hash],
            )
            .ctx("finding a feed token")
    }

    /// The key of one of this server's actors, made on first use (the first
    /// process to make it wins; every process then signs with that one).
    pub fn actor_key(&self, actor: &str) -> Result<ActorKey, DbError> {
        let read = || {
            self.conn
                .one::<Vec<u8>>("SELECT pkcs8 FROM keys WHERE actor = ?1", vals![actor])
                .ctx("reading a key")
        };
        if let Some(der) = read()? {
            return Ok(ActorKey::from_pkcs8(&der)?);
        }
        let key = ActorKey::generate()?;
        self.conn
            .exec(
                "INSERT INTO keys (actor, pkcs8) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
                vals![actor, key.pkcs8()],
            )
            .ctx("saving a key")?;
        let der = read()?.unwrap_or_default();
        Ok(ActorKey::from_pkcs8(&der)?)
    }

    // ----- remote actors -----

    pub fn remote_actor(&self, id: &str) -> Result<Option<(RemoteActor, i64)>, DbError> {
        let row = self
            .conn
            .row(
                "SELECT json, fetched_at FROM remote_actors WHERE id = ?1",
                vals![id],
            )
            .ctx("reading an actor")?;
        let Some(row) = row else { return Ok(None) };
        let json: String = row.get(0).ctx("reading an actor")?;
        let at: i64 = row.get(1).ctx("reading an actor")?;
        Ok(serde_json::from_str(&json)
            .ok()
            .and_then(|v| RemoteActor::parse(&v).ok())
            .map(|a| (a, at)))
    }

    pub fn save_remote_actor(&self, id: &str, json: &str, now: i64) -> Result<(), DbError> {
        self.conn
            .exec(
                "INSERT INTO remote_actors (id, json, fetched_at) VALUES (?1, ?2, ?3)
                 ON CONFLICT (id) DO UPDATE SET json = excluded.json, fetched_at = excluded.fetched_at",
                vals![id, json, now],
            )
            .ctx("saving an actor")?;
        Ok(())
    }

    // ----- follows -----

    fn follow_rows(&self, table: &str, local: &str) -> Result<Vec<Follow>, DbError> {
        let sql = format!(
            "SELECT local, remote, follow_id, state, at FROM {table} WHERE local = ?1 ORDER BY at, remote"
        );
        self.conn
            .rows(&sql, vals![local])
            .and_then(|rows| rows.iter().map(follow).collect())
            .ctx("reading follows")
    }

    fn upsert_follow(&self, table: &str, f: &Follow) -> Result<(), DbError> {
        let sql = format!(
            "INSERT INTO {table} (local, remote, follow_id, state, at) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (local, remote) DO UPDATE SET follow_id = excluded.follow_id, state = excluded.state, at = excluded.at"
        );
        self.conn
            .exec(
                &sql,
                vals![&f.local, &f.remote, &f.follow_id, &f.state, f.at],
            )
            .ctx("saving a follow")?;
        Ok(())
    }

    fn delete_follow(&self, table: &str, local: &str, remote: &str) -> Result<bool, DbError> {
        let sql = format!("DELETE FROM {table} WHERE local = ?1 AND remote = ?2");
        Ok(self
            .conn
            .exec(&sql, vals![local, remote])
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
        self.follow_rows("followers", local)
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
        self.follow_rows("following", local)
    }

    // ----- publication -----

    pub fn published(&self, object: &str) -> Result<Option<(String, bool)>, DbError> {
        self.conn
            .row(
                "SELECT digest, deleted FROM published WHERE object = ?1",
                vals![object],
            )
            .and_then(|r| r.map(|r| Ok((r.get(0)?, r.get(1)?))).transpose())
            .ctx("reading what was published")
    }

    /// What was published under `prefix` (a series' occurrences): each
    /// object's id and whether it was deleted.
    pub fn published_under(&self, prefix: &str) -> Result<Vec<(String, bool)>, DbError> {
        self.conn
            .rows(
                "SELECT object, deleted FROM published
                 WHERE substr(object, 1, length(CAST(?1 AS TEXT))) = ?1",
                vals![prefix],
            )
            .and_then(|rows| rows.iter().map(|r| Ok((r.get(0)?, r.get(1)?))).collect())
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
            .exec(
                "INSERT INTO published (object, actor, digest, deleted, at) VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (object) DO UPDATE SET digest = excluded.digest, deleted = excluded.deleted, at = excluded.at",
                vals![object, actor, digest, deleted, now],
            )
            .ctx("recording a publication")?;
        Ok(())
    }

    /// Records that `object` is now published as `digest`, unless it already
    /// was: `false` when it was (another server process on the same database
    /// saw the same change first and sends it), so each change goes out once.
    pub fn claim_publication(
        &self,
        object: &str,
        actor: &str,
        digest: &str,
        deleted: bool,
        now: i64,
    ) -> Result<bool, DbError> {
        Ok(self
            .conn
            .exec(
                "INSERT INTO published (object, actor, digest, deleted, at) VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (object) DO UPDATE SET digest = excluded.digest, deleted = excluded.deleted, at = excluded.at
                 WHERE published.digest <> excluded.digest OR published.deleted <> excluded.deleted",
                vals![object, actor, digest, deleted, now],
            )
            .ctx("recording a publication")?
            > 0)
    }

    /// The newest object `actor` published here and has not withdrawn.
    pub fn last_published_by(&self, actor: &str) -> Result<Option<String>, DbError> {
        self.conn
            .one(
                "SELECT object FROM published WHERE actor = ?1 AND deleted = 0
                 ORDER BY at DESC LIMIT 1",
                vals![actor],
            )
            .ctx("reading what an actor published")
    }

    /// Publishes `object` (of `actor`) as `digest` once: in one transaction,
    /// records it ([`FediDb::claim_publication`]) and, unless it was already
    /// recorded so, queues each of `deliveries` (inbox, from, body). How many
    /// were queued (none when another process published the same change first).
    pub fn publish_once(
        &self,
        object: &str,
        actor: &str,
        digest: &str,
        deleted: bool,
        now: i64,
        deliveries: &[Outgoing],
    ) -> Result<usize, DbError> {
        self.conn.transaction(|_| {
            if !self.claim_publication(object, actor, digest, deleted, now)? {
                return Ok(0);
            }
            let mut queued = 0;
            for d in deliveries {
                let fresh = match &d.once {
                    Some(id) => self.enqueue_once(&d.inbox, &d.from, &d.body, id, now)?,
                    None => {
                        self.enqueue(&d.inbox, &d.from, &d.body, now)?;
                        true
                    }
                };
                queued += usize::from(fresh);
            }
            Ok(queued)
        })
    }

    /// Public events published here, newest first (`limit` from `offset`): each
    /// object's URL and when it was last published (for the relay's outbox).
    pub fn published_events(
        &self,
        prefix: &str,
        limit: usize,
        offset: usize,
    ) -> Result<(Vec<(String, i64)>, i64), DbError> {
        let total: i64 = self
            .conn
            .one(
                "SELECT count(*) FROM published WHERE deleted = 0
                 AND substr(object, 1, length(CAST(?1 AS TEXT))) = ?1 AND object NOT LIKE '%#%'",
                vals![prefix],
            )
            .ctx("reading what was published")?
            .unwrap_or(0);
        let rows = self
            .conn
            .rows(
                "SELECT object, at FROM published WHERE deleted = 0
                 AND substr(object, 1, length(CAST(?1 AS TEXT))) = ?1 AND object NOT LIKE '%#%'
                 ORDER BY at DESC, object LIMIT ?2 OFFSET ?3",
                vals![prefix, limit as i64, offset as i64],
            )
            .and_then(|rows| rows.iter().map(|r| Ok((r.get(0)?, r.get(1)?))).collect())
            .ctx("reading what was published")?;
        Ok((rows, total))
    }

    /// The group a username belongs to; the first group to claim a username keeps it.
    pub fn claim_username(&self, username: &str, group: &str) -> Result<String, DbError> {
        self.conn
            .exec(
                "INSERT INTO usernames (username, grp) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
                vals![username, group],
            )
            .ctx("claiming a username")?;
        Ok(self
            .conn
            .one(
                "SELECT grp FROM usernames WHERE username = ?1",
                vals![username],
            )
            .ctx("claiming a username")?
            .unwrap_or_default())
    }

    // ----- remote objects -----

    pub fn proxy_persona(&self, remote: &str) -> Result<Option<String>, DbError> {
        self.conn
            .one(
                "SELECT persona FROM proxies WHERE remote = ?1",
                vals![remote],
            )
            .ctx("reading a proxy")
    }

    /// A proxy persona was forgotten (see `Local::prune_proxies`).
    pub fn forget_proxy(&self, persona: &str) -> Result<(), DbError> {
        self.conn
            .exec("DELETE FROM proxies WHERE persona = ?1", vals![persona])
            .ctx("forgetting a proxy")?;
        Ok(())
    }

    /// The keys of the persona the instance keeps for `remote`: the first
    /// offered, by whichever process needed one first (see
    /// `Local::proxy_persona`); `offer` is this process' candidate.
    pub fn claim_proxy(
        &self,
        remote: &str,
        offer: &rally_core::Persona,
    ) -> Result<Option<rally_core::Persona>, DbError> {
        let secret = zeroize::Zeroizing::new(offer.secret_bytes());
        self.conn
            .exec(
                "INSERT INTO proxies (remote, persona, secret, suffix) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (remote) DO UPDATE
                 SET persona = excluded.persona, secret = excluded.secret, suffix = excluded.suffix
                 WHERE proxies.secret IS NULL AND proxies.persona = excluded.persona",
                vals![
                    remote,
                    offer.id().to_hex(),
                    &secret[..],
                    &offer.actor_suffix()[..]
                ],
            )
            .ctx("claiming a proxy")?;
        self.shared_proxy(remote)
    }

    /// The keys of the persona the instance keeps for `remote`, if one was
    /// claimed.
    pub fn shared_proxy(&self, remote: &str) -> Result<Option<rally_core::Persona>, DbError> {
        let row = self
            .conn
            .row(
                "SELECT secret, suffix FROM proxies WHERE remote = ?1 AND secret IS NOT NULL",
                vals![remote],
            )
            .ctx("reading a proxy")?;
        let Some(row) = row else { return Ok(None) };
        let secret = zeroize::Zeroizing::new(row.get::<Vec<u8>>(0).ctx("reading a proxy")?);
        let suffix: Vec<u8> = row.get(1).ctx("reading a proxy")?;
        let (Ok(secret), Ok(suffix)) = (
            <[u8; 32]>::try_from(secret.as_slice()).map(zeroize::Zeroizing::new),
            <[u8; rally_core::persona::ACTOR_SUFFIX_LEN]>::try_from(suffix.as_slice()),
        ) else {
            return Ok(None);
        };
        Ok(Some(rally_core::Persona::from_parts(*secret, suffix)))
    }

    /// Whether `persona` (hex) is one the instance keeps for a remote actor.
    pub fn is_proxy_persona(&self, persona: &str) -> Result<bool, DbError> {
        Ok(self
            .conn
            .one::<i64>(
                "SELECT count(*) FROM proxies WHERE persona = ?1",
                vals![persona],
            )
            .ctx("reading a proxy")?
            .unwrap_or(0)
            > 0)
    }

    pub fn set_proxy_persona(&self, remote: &str, persona: &str) -> Result<(), DbError> {
        self.conn
            .exec(
                "INSERT INTO proxies (remote, persona) VALUES (?1, ?2)
                 ON CONFLICT (remote) DO UPDATE SET persona = excluded.persona",
                vals![remote, persona],
            )
            .ctx("saving a proxy")?;
        Ok(())
    }

    pub fn remote_object(&self, id: &str) -> Result<Option<RemoteObject>, DbError> {
        self.conn
            .row(
                "SELECT kind, doc, local, actor FROM remote_objects WHERE id = ?1",
                vals![id],
            )
            .and_then(|r| r.map(|r| remote_object(&r, 0)).transpose())
            .ctx("reading a remote object")
    }

    /// Records a remote object; `false` (nothing written) when the id is already
    /// another actor's record, or one of another kind: an id names one thing of
    /// one sender, and reusing it overwrites nothing.
    pub fn set_remote_object(&self, id: &str, o: &RemoteObject, now: i64) -> Result<bool, DbError> {
        Ok(self
            .conn
            .exec(
                "INSERT INTO remote_objects (id, kind, doc, local, actor, at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT (id) DO UPDATE SET doc = excluded.doc, local = excluded.local, at = excluded.at
                 WHERE remote_objects.actor = excluded.actor AND remote_objects.kind = excluded.kind",
                vals![id, &o.kind, &o.doc, o.local.as_deref(), &o.actor, now],
            )
            .ctx("saving a remote object")?
            > 0)
    }

    /// The picture a remote picture's URL was cleaned into (see
    /// `copies::banner_of`), as a document keeps it.
    pub fn remote_media(&self, url: &str) -> Result<Option<String>, DbError> {
        self.conn
            .one(
                "SELECT picture FROM remote_media WHERE url = ?1",
                vals![url],
            )
            .ctx("reading remote pictures")
    }

    pub fn set_remote_media(&self, url: &str, picture: &str, now: i64) -> Result<(), DbError> {
        self.conn
            .exec(
                "INSERT INTO remote_media (url, picture, at) VALUES (?1, ?2, ?3)
                 ON CONFLICT (url) DO UPDATE SET picture = excluded.picture, at = excluded.at",
                vals![url, picture, now],
            )
            .ctx("keeping a remote picture")?;
        Ok(())
    }

    /// Whether an activity id was handled already (see [`FediDb::first_sight`]).
    pub fn seen(&self, id: &str) -> Result<bool, DbError> {
        Ok(self
            .conn
            .one::<i64>(
                "SELECT count(*) FROM seen_activities WHERE id = ?1",
                vals![id],
            )
            .ctx("reading seen activities")?
            .unwrap_or(0)
            > 0)
    }

    /// The remote objects of one kind recorded for a document, with their ids.
    pub fn remote_objects_of(
        &self,
        kind: &str,
        doc: &str,
    ) -> Result<Vec<(String, RemoteObject)>, DbError> {
        self.conn
            .rows(
                "SELECT id, kind, doc, local, actor FROM remote_objects WHERE kind = ?1 AND doc = ?2 ORDER BY at, id",
                vals![kind, doc],
            )
            .and_then(|rows| {
                rows.iter()
                    .map(|r| Ok((r.get(0)?, remote_object(r, 1)?)))
                    .collect()
            })
            .ctx("listing remote objects")
    }

    /// The documents of the joins sent for a local persona (hex).
    pub fn joins_of(&self, persona: &str) -> Result<Vec<String>, DbError> {
        self.conn
            .column(
                "SELECT DISTINCT doc FROM remote_objects WHERE kind = 'sent-join' AND local = ?1",
                vals![persona],
            )
            .ctx("listing joins")
    }

    pub fn remove_remote_object(&self, id: &str) -> Result<(), DbError> {
        self.conn
            .exec("DELETE FROM remote_objects WHERE id = ?1", vals![id])
            .ctx("forgetting a remote object")?;
        Ok(())
    }

    /// Whom this server follows (accepted), with whether each is an instance's own
    /// actor (`Application` or `Service`: a whole-instance follow), as last fetched.
    pub fn trust(&self) -> Result<super::copies::Trust, DbError> {
        let remotes: Vec<String> = self
            .conn
            .column("SELECT remote FROM following WHERE state = 'accepted'", &[])
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
            .exec(
                "DELETE FROM seen_activities WHERE at < ?1",
                vals![now - SEEN_RETENTION_SECS],
            )
            .ctx("forgetting seen activities")?;
        let actors = self
            .conn
            .exec(
                "DELETE FROM remote_actors WHERE fetched_at < ?1",
                vals![now - ACTOR_RETENTION_SECS],
            )
            .ctx("forgetting cached actors")?;
        let sent = self
            .conn
            .exec(
                "DELETE FROM sent_once WHERE at < ?1",
                vals![now - SENT_ONCE_RETENTION_SECS],
            )
            .ctx("forgetting deliveries made once")?;
        Ok((seen + actors + sent) as usize)
    }

    /// Records an activity id; false when it was seen before (a redelivery, or
    /// the same delivery handled by another server process on the database).
    pub fn first_sight(&self, id: &str, now: i64) -> Result<bool, DbError> {
        Ok(self
            .conn
            .exec(
                "INSERT INTO seen_activities (id, at) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
                vals![id, now],
            )
            .ctx("recording an activity")?
            > 0)
    }

    pub fn is_blocked(&self, domain: &str) -> Result<bool, DbError> {
        let domain = domain.to_ascii_lowercase();
        let blocked = self.blocked_domains()?;
        Ok(blocked
            .iter()
            .any(|b| domain == *b || domain.ends_with(&format!(".{b}"))))
    }

    pub fn block_domain(&self, domain: &str) -> Result<(), DbError> {
        self.conn
            .exec(
                "INSERT INTO blocked_domains (domain) VALUES (?1) ON CONFLICT DO NOTHING",
                vals![domain.to_ascii_lowercase()],
            )
            .ctx("blocking a domain")?;
        Ok(())
    }

    pub fn unblock_domain(&self, domain: &str) -> Result<bool, DbError> {
        Ok(self
            .conn
            .exec(
                "DELETE FROM blocked_domains WHERE domain = ?1",
                vals![domain.to_ascii_lowercase()],
            )
            .ctx("unblocking a domain")?
            > 0)
    }

    pub fn blocked_domains(&self) -> Result<Vec<String>, DbError> {
        self.conn
            .column("SELECT domain FROM blocked_domains ORDER BY domain", &[])
            .ctx("reading blocks")
    }

    // ----- delivery queue -----

    pub fn enqueue(&self, inbox: &str, actor: &str, body: &str, now: i64) -> Result<(), DbError> {
        self.conn
            .exec(
                "INSERT INTO deliveries (inbox, actor, body, next_at, created_at) VALUES (?1, ?2, ?3, ?4, ?4)",
                vals![inbox, actor, body, now],
            )
            .ctx("queueing a delivery")?;
        Ok(())
    }

    /// Queues `body` (the activity `activity`) for `inbox` unless it was
    /// queued for it before; true when queued now. Both writes go together when
    /// called inside [`FediDb::transaction`] (as [`FediDb::publish_once`] does).
    pub fn enqueue_once(
        &self,
        inbox: &str,
        actor: &str,
        body: &str,
        activity: &str,
        now: i64,
    ) -> Result<bool, DbError> {
        let first = self
            .conn
            .exec(
                "INSERT INTO sent_once (inbox, activity, at) VALUES (?1, ?2, ?3)
                 ON CONFLICT DO NOTHING",
                vals![inbox, activity, now],
            )
            .ctx("recording a delivery made once")?
            == 1;
        if first {
            self.enqueue(inbox, actor, body, now)?;
        }
        Ok(first)
    }

    /// Runs `f` in one transaction.
    pub fn transaction<R>(
        &self,
        f: impl FnOnce(&Self) -> Result<R, DbError>,
    ) -> Result<R, DbError> {
        self.conn.transaction(|_| f(self))
    }

    /// How many deliveries wait in the queue.
    pub fn queue_depth(&self) -> Result<i64, DbError> {
        Ok(self
            .conn
            .one("SELECT count(*) FROM deliveries", &[])
            .ctx("reading the queue")?
            .unwrap_or(0))
    }

    /// Takes up to `limit` due deliveries for this process: each is put off by
    /// `lease` seconds in the same statement, so another process on the same
    /// database does not take it while this one delivers (on PostgreSQL, rows
    /// another process is taking are skipped, `FOR UPDATE SKIP LOCKED`). A
    /// delivery this process took and did not settle (it was killed) is due
    /// again when its lease ends, and another process delivers it then.
    pub fn claim(&self, now: i64, limit: usize, lease: i64) -> Result<Vec<Delivery>, DbError> {
        let lock = match self.conn.dialect() {
            crate::db::Dialect::Postgres => "FOR UPDATE SKIP LOCKED",
            crate::db::Dialect::Sqlite => "",
        };
        let sql = format!(
            "UPDATE deliveries SET next_at = ?2 WHERE next_at <= ?1 AND id IN (
                 SELECT id FROM deliveries WHERE next_at <= ?1 ORDER BY next_at, id LIMIT ?3 {lock})
             RETURNING id, inbox, actor, body, attempts"
        );
        self.conn
            .transaction(|c| {
                let rows = c.rows(&sql, vals![now, now + lease, limit as i64])?;
                rows.iter()
                    .map(|r| {
                        Ok(Delivery {
                            id: r.get(0)?,
                            inbox: r.get(1)?,
                            actor: r.get(2)?,
                            body: r.get(3)?,
                            attempts: r.get(4)?,
                        })
                    })
                    .collect::<Result<Vec<_>, SqlError>>()
            })
            .ctx("taking deliveries")
            .map(|mut due| {
                due.sort_by_key(|d| d.id);
                due
            })
    }

    pub fn delivered(&self, id: i64) -> Result<(), DbError> {
        self.conn
            .exec("DELETE FROM deliveries WHERE id = ?1", vals![id])
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
                .exec(
                    "INSERT INTO failed_deliveries (inbox, body, attempts, last_error, failed_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                    vals![&d.inbox, &d.body, d.attempts + 1, error, now],
                )
                .ctx("giving up a delivery")?;
            return self.delivered(d.id);
        }
        self.conn
            .exec(
                "UPDATE deliveries SET attempts = attempts + 1, next_at = ?2, last_error = ?3 WHERE id = ?1",
                vals![d.id, next_at, error],
            )
            .ctx("rescheduling a delivery")?;
        Ok(())
    }

    /// Sets every waiting delivery due now (after a restart, or for tests).
    pub fn wake_queue(&self, now: i64) -> Result<(), DbError> {
        self.conn
            .exec(
                "UPDATE deliveries SET next_at = ?1 WHERE next_at > ?1",
                vals![now],
            )
            .ctx("waking the queue")?;
        Ok(())
    }
}

#[cfg(test)]
mod tests;
