//! Reports to a server's admins (schema 19). On a device: the reports its
//! personas made, kept until their server takes them (sent as they sync, see
//! `sync.rs`). On a server: the admins' queue, from its devices and from the
//! Fediverse's `Flag`s, with its state and the admins' notes. What the admins
//! do about a report is `rally-server`'s.

use rally_core::PersonaId;
use rally_core::protocol::ServerReport;
use rusqlite::{Connection, OptionalExtension, params};

use crate::{Ctx, Store, StoreError};

/// The longest report text kept, in characters (a `Flag`'s content is cut).
pub const MAX_REPORT_TEXT: usize = 4_000;
/// The most objects one report names.
pub const MAX_REPORT_OBJECTS: usize = 50;

/// A report in the admins' queue.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AdminReport {
    pub id: i64,
    pub source: String,
    pub reporter: String,
    pub activity: Option<String>,
    pub objects: Vec<String>,
    pub reason: Option<String>,
    pub text: String,
    pub received_at: i64,
    pub state: String,
    pub notes: Vec<ReportNote>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ReportNote {
    pub at: i64,
    pub text: String,
}

/// A report as received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewReport<'a> {
    pub source: &'a str,
    pub reporter: &'a str,
    pub activity: Option<&'a str>,
    pub objects: &'a [String],
    pub reason: Option<&'a str>,
    pub text: &'a str,
}

impl NewReport<'_> {
    /// The report as the queue keeps it: its text and objects clipped
    /// ([`MAX_REPORT_TEXT`], [`MAX_REPORT_OBJECTS`]), open, no notes, no id yet.
    pub fn to_report(&self, now: i64) -> AdminReport {
        AdminReport {
            id: 0,
            source: self.source.to_owned(),
            reporter: self.reporter.to_owned(),
            activity: self.activity.map(str::to_owned),
            objects: self
                .objects
                .iter()
                .take(MAX_REPORT_OBJECTS)
                .cloned()
                .collect(),
            reason: self.reason.map(str::to_owned),
            text: self.text.chars().take(MAX_REPORT_TEXT).collect(),
            received_at: now,
            state: "open".to_owned(),
            notes: Vec::new(),
        }
    }
}

impl AdminReport {
    /// Adds an admin's note (none when it is blank).
    pub fn add_note(&mut self, at: i64, note: Option<&str>) {
        if let Some(text) = note.filter(|n| !n.trim().is_empty()) {
            self.notes.push(ReportNote {
                at,
                text: text.trim().to_owned(),
            });
        }
    }
}

fn report_of(r: &rusqlite::Row<'_>) -> rusqlite::Result<AdminReport> {
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

const COLUMNS: &str =
    "id, source, reporter, activity, objects, reason, text, received_at, state, notes";

/// Queues a report; `None` when it was already received.
pub(crate) fn add(tx: &Connection, r: &NewReport<'_>, now: i64) -> Result<Option<i64>, StoreError> {
    let AdminReport { text, objects, .. } = r.to_report(now);
    let n = tx
        .prepare_cached(
            "INSERT OR IGNORE INTO admin_reports (source, reporter, activity, objects, reason, text, received_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )
        .ctx("queueing a report")?
        .execute(params![
            r.source,
            r.reporter,
            r.activity,
            serde_json::to_string(&objects).expect("strings serialise"),
            r.reason,
            text,
            now
        ])
        .ctx("queueing a report")?;
    Ok((n > 0).then(|| tx.last_insert_rowid()))
}

/// A device's report, as a server takes it: its target as `kind:id`.
pub(crate) fn take(
    tx: &Connection,
    from: &PersonaId,
    r: &ServerReport,
    now: i64,
) -> Result<(), StoreError> {
    add(
        tx,
        &NewReport {
            source: "device",
            reporter: &from.to_hex(),
            activity: Some(&hex::encode(r.id)),
            objects: &[format!("{}:{}", r.kind, r.target)],
            reason: Some(&r.reason),
            text: &r.text,
        },
        now,
    )?;
    Ok(())
}

/// The reports `persona` made that its server has not taken.
pub(crate) fn outgoing(
    tx: &Connection,
    persona: &PersonaId,
) -> Result<Vec<ServerReport>, StoreError> {
    let mut stmt = tx
        .prepare_cached(
            "SELECT id, kind, target, reason, text FROM outgoing_reports
             WHERE persona = ?1 ORDER BY made_at LIMIT 100",
        )
        .ctx("reading reports to send")?;
    let rows = stmt
        .query_map([persona.0], |r| {
            Ok((
                r.get::<_, Vec<u8>>(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
            ))
        })
        .ctx("reading reports to send")?;
    let mut out = Vec::new();
    for row in rows {
        let (id, kind, target, reason, text) = row.ctx("reading reports to send")?;
        if let Ok(id) = <[u8; 32]>::try_from(id) {
            out.push(ServerReport {
                id,
                kind,
                target,
                reason,
                text,
            });
        }
    }
    Ok(out)
}

pub(crate) fn taken(tx: &Connection, id: &[u8; 32]) -> Result<(), StoreError> {
    tx.prepare_cached("DELETE FROM outgoing_reports WHERE id = ?1")
        .ctx("forgetting a sent report")?
        .execute([id])
        .ctx("forgetting a sent report")?;
    Ok(())
}

impl Store {
    /// Keeps a report by `persona` for its server's admins, sent as it syncs.
    pub fn queue_report(
        &mut self,
        persona: &PersonaId,
        report: &ServerReport,
        now: i64,
    ) -> Result<(), StoreError> {
        self.conn()
            .prepare_cached(
                "INSERT INTO outgoing_reports (id, persona, kind, target, reason, text, made_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )
            .ctx("keeping a report")?
            .execute(params![
                report.id,
                persona.0,
                report.kind,
                report.target,
                report.reason,
                report.text,
                now
            ])
            .ctx("keeping a report")?;
        Ok(())
    }

    /// How many reports of `persona` wait for its server.
    pub fn reports_waiting(&self, persona: &PersonaId) -> Result<usize, StoreError> {
        Ok(outgoing(self.conn(), persona)?.len())
    }

    /// Queues a report for this server's admins (a `Flag`); `None` when its
    /// activity was already received.
    pub fn add_admin_report(
        &mut self,
        r: &NewReport<'_>,
        now: i64,
    ) -> Result<Option<i64>, StoreError> {
        add(self.conn(), r, now)
    }

    /// Takes every report out of the queue (oldest first): a server whose
    /// admins keep their queue elsewhere (several processes on one database)
    /// moves them there as they arrive.
    pub fn drain_admin_reports(&mut self) -> Result<Vec<AdminReport>, StoreError> {
        let tx = self.write().ctx("taking reports")?;
        let taken = {
            let mut stmt = tx
                .prepare(&format!("SELECT {COLUMNS} FROM admin_reports ORDER BY id"))
                .ctx("taking reports")?;
            let rows = stmt.query_map([], report_of).ctx("taking reports")?;
            rows.collect::<Result<Vec<_>, _>>().ctx("taking reports")?
        };
        tx.execute("DELETE FROM admin_reports", [])
            .ctx("taking reports")?;
        tx.commit().ctx("taking reports")?;
        Ok(taken)
    }

    /// The admins' reports, newest first: the open ones, or all.
    pub fn admin_reports(&self, all: bool) -> Result<Vec<AdminReport>, StoreError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM admin_reports {} ORDER BY received_at DESC, id DESC LIMIT 1000",
            if all { "" } else { "WHERE state = 'open'" }
        );
        let mut stmt = self.conn().prepare(&sql).ctx("reading reports")?;
        let rows = stmt.query_map([], report_of).ctx("reading reports")?;
        rows.collect::<Result<_, _>>().ctx("reading reports")
    }

    pub fn admin_report(&self, id: i64) -> Result<Option<AdminReport>, StoreError> {
        self.conn()
            .query_row(
                &format!("SELECT {COLUMNS} FROM admin_reports WHERE id = ?1"),
                [id],
                report_of,
            )
            .optional()
            .ctx("reading a report")
    }

    /// Sets a report's state, adding the admin's note if any; `false` when
    /// there is no such report.
    pub fn settle_admin_report(
        &mut self,
        id: i64,
        state: &str,
        note: Option<&str>,
        now: i64,
    ) -> Result<bool, StoreError> {
        let Some(mut report) = self.admin_report(id)? else {
            return Ok(false);
        };
        report.add_note(now, note);
        self.conn()
            .execute(
                "UPDATE admin_reports SET state = ?2, notes = ?3 WHERE id = ?1",
                params![
                    id,
                    state,
                    serde_json::to_string(&report.notes).expect("notes serialise")
                ],
            )
            .ctx("settling a report")?;
        Ok(true)
    }

    /// On a server: stops sharing `doc` with devices (the admins hid it).
    pub fn hide_doc(&mut self, doc: &rally_core::DocId, now: i64) -> Result<(), StoreError> {
        self.conn()
            .prepare_cached("INSERT OR IGNORE INTO hidden_docs (doc, at) VALUES (?1, ?2)")
            .ctx("hiding a document")?
            .execute(params![doc.0, now])
            .ctx("hiding a document")?;
        Ok(())
    }

    /// The documents the admins hid from devices.
    pub fn hidden_docs(&self) -> Result<Vec<rally_core::DocId>, StoreError> {
        let mut stmt = self
            .conn()
            .prepare_cached("SELECT doc FROM hidden_docs ORDER BY doc")
            .ctx("reading hidden documents")?;
        let rows = stmt
            .query_map([], |r| r.get::<_, [u8; 32]>(0))
            .ctx("reading hidden documents")?;
        rows.map(|r| r.map(rally_core::DocId))
            .collect::<Result<_, _>>()
            .ctx("reading hidden documents")
    }

    /// Shares `doc` again. Every peer's next session announces everything
    /// (its last sync position is forgotten): a device that synced while the
    /// document was hidden was never told of it, and the document did not
    /// change since.
    pub fn unhide_doc(&mut self, doc: &rally_core::DocId) -> Result<(), StoreError> {
        let tx = self.write().ctx("showing a document again")?;
        let shown = tx
            .prepare_cached("DELETE FROM hidden_docs WHERE doc = ?1")
            .ctx("showing a document again")?
            .execute([doc.0])
            .ctx("showing a document again")?;
        if shown > 0 {
            tx.execute("UPDATE peers SET synced = NULL", [])
                .ctx("showing a document again")?;
        }
        tx.commit().ctx("showing a document again")?;
        Ok(())
    }
}
