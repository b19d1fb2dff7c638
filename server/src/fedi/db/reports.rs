//! The admins' reports queue in the shared database, when several server
//! processes serve one instance (`siblings`): each process' store receives
//! reports (from its devices as they sync, from the Fediverse's `Flag`s) and
//! they are moved here, so the admins see one queue whichever process they
//! ask. On a single server the queue stays in the store.

use rally_store::{AdminReport, Store};

use super::{Ctx, DbError, FediDb};
use crate::db::{Row, SqlError};
use crate::vals;

const COLUMNS: &str =
    "id, source, reporter, activity, objects, reason, text, received_at, state, notes";

fn report(r: &Row) -> Result<AdminReport, SqlError> {
    let objects: String = r.get(4)?;
    let notes: String = r.get(9)?;
    Ok(AdminReport {
        id: r.get(0)?,
        source: r.get(1)?,
        reporter: r.get(2)?,
        activity: r.get(3)?,
        objects: serde_json::from_str(&objects).unwrap_or_default(),
        reason: r.get(5)?,
        text: r.get(6)?,
        received_at: r.get(7)?,
        state: r.get(8)?,
        notes: serde_json::from_str(&notes).unwrap_or_default(),
    })
}

impl FediDb {
    /// Moves the reports `store` received (devices', `Flag`s) into the shared
    /// queue: each process' upkeep does it every second, and the admin page
    /// and CLI before they read the queue.
    pub fn gather_reports(&self, store: &mut Store) -> Result<(), crate::fedi::FediError> {
        for report in store.drain_admin_reports()? {
            self.add_admin_report(&report)?;
        }
        Ok(())
    }

    /// Queues a report as received (its state and notes too); `None` when a
    /// report with its activity id is queued already (the same `Flag`
    /// received by two processes).
    pub fn add_admin_report(&self, r: &AdminReport) -> Result<Option<i64>, DbError> {
        let objects = serde_json::to_string(&r.objects).unwrap_or_else(|_| "[]".into());
        let notes = serde_json::to_string(&r.notes).unwrap_or_else(|_| "[]".into());
        self.conn
            .one::<i64>(
                "INSERT INTO admin_reports (source, reporter, activity, objects, reason, text, received_at, state, notes)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
                 ON CONFLICT (activity) DO NOTHING RETURNING id",
                vals![
                    &r.source,
                    &r.reporter,
                    r.activity.as_deref(),
                    objects,
                    r.reason.as_deref(),
                    &r.text,
                    r.received_at,
                    &r.state,
                    notes
                ],
            )
            .ctx("queueing a report")
    }

    /// The reports, newest first: the open ones, or all.
    pub fn admin_reports(&self, all: bool) -> Result<Vec<AdminReport>, DbError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM admin_reports {} ORDER BY received_at DESC, id DESC LIMIT 1000",
            if all { "" } else { "WHERE state = 'open'" }
        );
        self.conn
            .rows(&sql, &[])
            .and_then(|rows| rows.iter().map(report).collect())
            .ctx("reading reports")
    }

    pub fn admin_report(&self, id: i64) -> Result<Option<AdminReport>, DbError> {
        self.conn
            .row(
                &format!("SELECT {COLUMNS} FROM admin_reports WHERE id = ?1"),
                vals![id],
            )
            .and_then(|r| r.map(|r| report(&r)).transpose())
            .ctx("reading a report")
    }

    /// Sets a report's state, adding the admin's note if any; `false` when
    /// there is no such report.
    pub fn settle_admin_report(
        &self,
        id: i64,
        state: &str,
        note: Option<&str>,
        now: i64,
    ) -> Result<bool, DbError> {
        let Some(mut r) = self.admin_report(id)? else {
            return Ok(false);
        };
        r.add_note(now, note);
        let notes = serde_json::to_string(&r.notes).unwrap_or_else(|_| "[]".into());
        self.conn
            .exec(
                "UPDATE admin_reports SET state = ?2, notes = ?3 WHERE id = ?1",
                vals![id, state, notes],
            )
            .ctx("settling a report")?;
        Ok(true)
    }
}
