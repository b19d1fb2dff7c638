//! Reports: someone tells a group's moderators (sealed to them in the group's
//! log, see [`rally_core::moderation::report`]) and/or their server's admins
//! (kept until the device next syncs with its server, which takes it into its
//! admins' queue) that an event, a comment, a group or a persona breaks the
//! rules; moderators read the reports their device opened.

use std::collections::BTreeSet;

use rally_core::moderation::Reason;
use rally_core::moderation::report::{Report, Target};
use rally_core::protocol::ServerReport;
use rally_core::{DocId, DocKind, PersonaId, Role};
use rally_store::GroupReport;

use crate::{Result, Service, ServiceError};

/// What a report is about, as people name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetKind {
    Event,
    /// `EVENT/COMMENT` (ids or their starts).
    Comment,
    Group,
    /// A persona, named within the group (`--group`).
    Persona,
}

/// Who a report goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct To {
    /// The group's admins and moderators, sealed to each.
    pub moderators: bool,
    /// The admins of the server this device syncs with, as it next syncs.
    pub admins: bool,
}

/// What reporting did.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Reported {
    /// The report sealed to the group's moderators, and to how many.
    pub to_moderators: Option<(String, usize)>,
    /// The report kept for the server's admins.
    pub to_admins: Option<String>,
}

impl Service {
    /// Reports `id` (of `kind`) to the moderators of its group (`group` names
    /// it for a persona, or for an event of no group) and/or to the admins of
    /// the device's server. Those it is about never receive it from here; the
    /// server's admins see who reported.
    pub fn report(
        &mut self,
        kind: TargetKind,
        id: &str,
        group: Option<&str>,
        reason: Reason,
        text: &str,
        to: To,
    ) -> Result<Reported> {
        let now = self.now();
        self.transaction(|s| {
            let me = s.me()?;
            let named_group = group.map(|g| s.resolve(g, DocKind::Group)).transpose()?;
            let (target, group, about) = s.report_target(kind, id, named_group)?;
            let mut done = Reported::default();
            if to.moderators {
                let group = group.ok_or(ServiceError::Missing("--group (it is in no group)"))?;
                let view = s.store.load(group)?.group()?;
                let moderators: Vec<PersonaId> = view
                    .members
                    .values()
                    .filter(|m| m.role.can_moderate() && !about.contains(&m.persona))
                    .map(|m| m.persona)
                    .collect();
                if moderators.is_empty() {
                    return Err(ServiceError::NoModerator);
                }
                let report = Report::new(group, target.clone(), reason, text, now.as_second());
                report.check()?;
                let id = s.store.send_report(&me, &report, &moderators)?;
                done.to_moderators = Some((id, moderators.len()));
            }
            if to.admins {
                let report = ServerReport {
                    id: rally_core::ids::random_bytes(),
                    kind: target.kind().to_owned(),
                    target: target.id(),
                    reason: reason.as_str().to_owned(),
                    text: text.trim().to_owned(),
                };
                if !report.is_sane() {
                    return Err(rally_core::InvalidInput::TooLong {
                        what: "report",
                        len: report.text.chars().count(),
                        max: rally_core::moderation::report::MAX_REPORT_CHARS,
                    }
                    .into());
                }
                s.store.queue_report(&me.id(), &report, now.as_second())?;
                done.to_admins = Some(hex::encode(report.id));
            }
            Ok(done)
        })
    }

    /// What is reported, the group it belongs to (if any), and the personas it
    /// is about (who must not receive it).
    fn report_target(
        &self,
        kind: TargetKind,
        id: &str,
        group: Option<DocId>,
    ) -> Result<(Target, Option<DocId>, BTreeSet<PersonaId>)> {
        Ok(match kind {
            TargetKind::Event => {
                let e = self.resolve(id, DocKind::Event)?;
                let view = self.store.load(e)?.event()?;
                let about = view.organisers.keys().copied().collect();
                (Target::Event(e.0), view.group.or(group), about)
            }
            TargetKind::Comment => {
                let (event, comment) = id
                    .split_once('/')
                    .ok_or(ServiceError::Missing("EVENT/COMMENT"))?;
                let e = self.resolve(event, DocKind::Event)?;
                let cid = self.comment_id(e, comment)?;
                let view = self.store.load(e)?.event()?;
                let about = view
                    .comments
                    .iter()
                    .filter(|c| c.id == cid)
                    .map(|c| c.author)
                    .collect();
                (Target::Comment(e.0, cid), view.group.or(group), about)
            }
            TargetKind::Group => {
                let g = self.resolve(id, DocKind::Group)?;
                (Target::Group(g.0), Some(g), BTreeSet::new())
            }
            TargetKind::Persona => {
                let p = match group {
                    Some(g) => self.member_of(g, id)?,
                    None => id
                        .parse::<PersonaId>()
                        .map_err(|_| ServiceError::Missing("--group, or the persona's whole id"))?,
                };
                (Target::Persona(p.0), group, BTreeSet::from([p]))
            }
        })
    }

    /// The reports to a group's moderators this device holds (newest first),
    /// for its admins and moderators.
    pub fn group_reports(&self, group: &str) -> Result<Vec<GroupReport>> {
        let g = self.resolve(group, DocKind::Group)?;
        let me = self.acting()?.ok_or(ServiceError::NoPersona)?;
        let view = self.store.load(g)?.group()?;
        if !view.role_of(&me.id()).is_some_and(Role::can_moderate) {
            return Err(ServiceError::NotReportReader);
        }
        Ok(self.store.group_reports(g)?)
    }
}
