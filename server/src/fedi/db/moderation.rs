//! The server's moderation state in `fedi.db`: what the admins hid from this
//! server's pages and federation, the remote actors they block, and the log of
//! what they did (the reports
//! queue is in the store, `rally_store::AdminReport`, where the devices' reports
//! arrive as they sync).

use super::{Ctx, DbError, FediDb};
use crate::vals;

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
            .exec(
                "INSERT INTO hidden_content (target, at, report) VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING",
                vals![target, now, report],
            )
            .ctx("hiding content")?
            > 0)
    }

    pub fn unhide(&self, target: &str) -> Result<bool, DbError> {
        Ok(self
            .conn
            .exec(
                "DELETE FROM hidden_content WHERE target = ?1",
                vals![target],
            )
            .ctx("showing content again")?
            > 0)
    }

    /// Everything hidden: documents' ids and `event/comment`s.
    pub fn hidden(&self) -> Result<Vec<String>, DbError> {
        self.conn
            .column("SELECT target FROM hidden_content", &[])
            .ctx("reading hidden content")
    }

    pub fn log_moderation(
        &self,
        action: &str,
        target: &str,
        note: Option<&str>,
        now: i64,
    ) -> Result<(), DbError> {
        self.conn
            .exec(
                "INSERT INTO moderation_log (at, action, target, note) VALUES (?1, ?2, ?3, ?4)",
                vals![now, action, target, note],
            )
            .ctx("writing the moderation log")?;
        Ok(())
    }

    /// Refuses everything from one remote actor (its domain stays welcome).
    pub fn block_actor(&self, actor: &str, now: i64) -> Result<bool, DbError> {
        Ok(self
            .conn
            .exec(
                "INSERT INTO blocked_actors (actor, at) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
                vals![actor, now],
            )
            .ctx("blocking an actor")?
            > 0)
    }

    pub fn unblock_actor(&self, actor: &str) -> Result<bool, DbError> {
        Ok(self
            .conn
            .exec("DELETE FROM blocked_actors WHERE actor = ?1", vals![actor])
            .ctx("unblocking an actor")?
            > 0)
    }

    pub fn is_actor_blocked(&self, actor: &str) -> Result<bool, DbError> {
        Ok(self
            .conn
            .one::<i64>(
                "SELECT count(*) FROM blocked_actors WHERE actor = ?1",
                vals![actor],
            )
            .ctx("reading blocks")?
            .unwrap_or(0)
            > 0)
    }

    pub fn blocked_actors(&self) -> Result<Vec<String>, DbError> {
        self.conn
            .column("SELECT actor FROM blocked_actors ORDER BY actor", &[])
            .ctx("reading blocks")
    }

    /// The id of the admins' latest action (what public pages were made at).
    pub fn moderation_generation(&self) -> Result<i64, DbError> {
        Ok(self
            .conn
            .one("SELECT coalesce(max(id), 0) FROM moderation_log", &[])
            .ctx("reading the moderation log")?
            .unwrap_or(0))
    }

    /// The admins' log, newest first.
    pub fn moderation_log(&self, limit: usize) -> Result<Vec<LogEntry>, DbError> {
        self.conn
            .rows(
                "SELECT at, action, target, note FROM moderation_log ORDER BY id DESC LIMIT ?1",
                vals![limit as i64],
            )
            .and_then(|rows| {
                rows.iter()
                    .map(|r| {
                        Ok(LogEntry {
                            at: r.get(0)?,
                            action: r.get(1)?,
                            target: r.get(2)?,
                            note: r.get(3)?,
                        })
                    })
                    .collect()
            })
            .ctx("reading the moderation log")
    }
}
