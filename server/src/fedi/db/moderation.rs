//! The server's moderation state in `fedi.db`: what the admins hid from this
//! server's pages and federation, the remote actors they block, and the log of
//! what they did (the reports
//! queue is in the store, `rally_store::AdminReport`, where the devices' reports
//! arrive as they sync).

use rusqlite::params;

use super::{Ctx, DbError, FediDb};

pub(super) const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS hidden_content (
    -- A document's id, or `event/comment`.
    target TEXT PRIMARY KEY,
    at     INTEGER NOT NULL,
    report INTEGER
);
CREATE TABLE IF NOT EXISTS blocked_actors (
    actor TEXT PRIMARY KEY,
    at    INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS moderation_log (
    id     INTEGER PRIMARY KEY,
    at     INTEGER NOT NULL,
    action TEXT NOT NULL,
    target TEXT NOT NULL,
    note   TEXT
);
";

/// One entry of the admins' log.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct LogEntry {
    pub at: i64,
    pub action: String,
    pub target: String,
    pub note: Option<String>,
}

impl FediDb {
    pub fn hide(&self, target: &str, report: Option<i64>, now: i64) -> Result<bool, DbError> {
        Ok(self
            .conn
            .execute(
                "INSERT OR IGNORE INTO hidden_content (target, at, report) VALUES (?1, ?2, ?3)",
                params![target, now, report],
            )
            .ctx("hiding content")?
            > 0)
    }

    pub fn unhide(&self, target: &str) -> Result<bool, DbError> {
        Ok(self
            .conn
            .execute("DELETE FROM hidden_content WHERE target = ?1", [target])
            .ctx("showing content again")?
            > 0)
    }

    /// Everything hidden: documents' ids and `event/comment`s.
    pub fn hidden(&self) -> Result<Vec<String>, DbError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT target FROM hidden_content")
            .ctx("reading hidden content")?;
        let rows = stmt
            .query_map([], |r| r.get(0))
            .ctx("reading hidden content")?;
        rows.collect::<Result<_, _>>().ctx("reading hidden content")
    }

    pub fn log_moderation(
        &self,
        action: &str,
        target: &str,
        note: Option<&str>,
        now: i64,
    ) -> Result<(), DbError> {
        self.conn
            .execute(
                "INSERT INTO moderation_log (at, action, target, note) VALUES (?1, ?2, ?3, ?4)",
                params![now, action, target, note],
            )
            .ctx("writing the moderation log")?;
        Ok(())
    }

    /// Refuses everything from one remote actor (its domain stays welcome).
    pub fn block_actor(&self, actor: &str, now: i64) -> Result<bool, DbError> {
        Ok(self
            .conn
            .execute(
                "INSERT OR IGNORE INTO blocked_actors (actor, at) VALUES (?1, ?2)",
                params![actor, now],
            )
            .ctx("blocking an actor")?
            > 0)
    }

    pub fn unblock_actor(&self, actor: &str) -> Result<bool, DbError> {
        Ok(self
            .conn
            .execute("DELETE FROM blocked_actors WHERE actor = ?1", [actor])
            .ctx("unblocking an actor")?
            > 0)
    }

    pub fn is_actor_blocked(&self, actor: &str) -> Result<bool, DbError> {
        self.conn
            .prepare_cached("SELECT EXISTS (SELECT 1 FROM blocked_actors WHERE actor = ?1)")
            .and_then(|mut s| s.query_row([actor], |r| r.get(0)))
            .ctx("reading blocks")
    }

    pub fn blocked_actors(&self) -> Result<Vec<String>, DbError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT actor FROM blocked_actors ORDER BY actor")
            .ctx("reading blocks")?;
        let rows = stmt.query_map([], |r| r.get(0)).ctx("reading blocks")?;
        rows.collect::<Result<_, _>>().ctx("reading blocks")
    }

    /// The id of the admins' latest action (what public pages were made at).
    pub fn moderation_generation(&self) -> Result<i64, DbError> {
        self.conn
            .prepare_cached("SELECT coalesce(max(id), 0) FROM moderation_log")
            .and_then(|mut s| s.query_row([], |r| r.get(0)))
            .ctx("reading the moderation log")
    }

    /// The admins' log, newest first.
    pub fn moderation_log(&self, limit: usize) -> Result<Vec<LogEntry>, DbError> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT at, action, target, note FROM moderation_log ORDER BY id DESC LIMIT ?1",
            )
            .ctx("reading the moderation log")?;
        let rows = stmt
            .query_map([limit as i64], |r| {
                Ok(LogEntry {
                    at: r.get(0)?,
                    action: r.get(1)?,
                    target: r.get(2)?,
                    note: r.get(3)?,
                })
            })
            .ctx("reading the moderation log")?;
        rows.collect::<Result<_, _>>()
            .ctx("reading the moderation log")
    }
}
