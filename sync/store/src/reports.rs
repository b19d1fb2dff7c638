//! Reports to a group's moderators (schema 18): sealing one into the group's
//! log for the moderators the reporter's device knows, and keeping those this
//! device opened (`sealed::open_logs` opens them with the local personas'
//! keys, as it opens grants). Who the moderators are, and what may be
//! reported, is `rally-service`'s to say.

use rally_core::moderation::report::Report;
use rally_core::sealed::{self as core_sealed, Envelope, log_id};
use rally_core::{DocId, PersonaId};
use rusqlite::{Connection, params};

use crate::{Ctx, LocalPersona, Store, StoreError};

/// A report this device opened.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct GroupReport {
    /// Hex of its envelope's hash.
    pub id: String,
    pub group: DocId,
    pub reporter: PersonaId,
    /// event, comment, group or persona.
    pub target_kind: String,
    pub target: String,
    pub reason: String,
    pub text: String,
    /// The reporter's clock, seconds.
    pub at: i64,
}

pub(crate) fn save(
    tx: &Connection,
    hash: &[u8; 32],
    reporter: &PersonaId,
    report: &Report,
) -> Result<(), StoreError> {
    tx.prepare_cached(
        "INSERT OR IGNORE INTO group_reports
         (hash, grp, reporter, target_kind, target, reason, text, at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )
    .ctx("keeping a report")?
    .execute(params![
        hash,
        report.group,
        reporter.0,
        report.target.kind(),
        report.target.id(),
        report.reason,
        report.text,
        report.at
    ])
    .ctx("keeping a report")?;
    Ok(())
}

impl Store {
    /// Seals `report` by `persona` into its group's log for `moderators` (their
    /// persona ids); returns the report's id.
    pub fn send_report(
        &mut self,
        persona: &LocalPersona,
        report: &Report,
        moderators: &[PersonaId],
    ) -> Result<String, StoreError> {
        let group = DocId(report.group);
        let sealing = |reason: String| StoreError::Sealing {
            group: group.to_hex(),
            reason,
        };
        let recipients: Vec<[u8; 32]> = moderators
            .iter()
            .map(|m| {
                core_sealed::recipient_key(m).ok_or_else(|| sealing(format!("{m} is no valid key")))
            })
            .collect::<Result<_, _>>()?;
        let tx = self.write().ctx("sending a report")?;
        crate::sealed::register_log(&tx, &group)?;
        let log = log_id(&group);
        let signed = Envelope::report(
            &log,
            &persona.persona,
            crate::sealed::log_heads(&tx, &log)?,
            report,
            &recipients,
        )
        .map_err(|e| sealing(e.to_string()))?;
        let hash = crate::sealed::append(&tx, signed.clone())?;
        crate::sealed::open_own_report(&tx, &hash, &signed)?;
        tx.commit().ctx("sending a report")?;
        Ok(hex::encode(hash))
    }

    /// The reports to `group`'s moderators this device opened, newest first.
    pub fn group_reports(&self, group: DocId) -> Result<Vec<GroupReport>, StoreError> {
        let mut stmt = self
            .conn()
            .prepare_cached(
                "SELECT hash, reporter, target_kind, target, reason, text, at
                 FROM group_reports WHERE grp = ?1 ORDER BY at DESC, hash",
            )
            .ctx("reading reports")?;
        let rows = stmt
            .query_map([group.0], |r| {
                let hash: Vec<u8> = r.get(0)?;
                let reporter: Vec<u8> = r.get(1)?;
                Ok((
                    hash,
                    reporter,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                    r.get(6)?,
                ))
            })
            .ctx("reading reports")?;
        let mut out = Vec::new();
        for row in rows {
            let (hash, reporter, target_kind, target, reason, text, at) =
                row.ctx("reading reports")?;
            let Ok(reporter) = <[u8; 32]>::try_from(reporter) else {
                continue;
            };
            out.push(GroupReport {
                id: hex::encode(hash),
                group,
                reporter: PersonaId(reporter),
                target_kind,
                target,
                reason,
                text,
                at,
            });
        }
        Ok(out)
    }
}
