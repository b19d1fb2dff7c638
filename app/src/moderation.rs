//! Reports and a group's moderation for the UI: the commands' adapters over
//! `rally-service`'s `reports` and `moderation` (IPC types in, a use case, IPC
//! types out; names put on personas, events and comments as the device knows
//! them).

use std::collections::HashMap;

use rally_core::moderation::{ModAction, Reason};
use rally_core::{DocKind, PersonaId};
use rally_ipc as ipc;
use rally_service::moderation::Moderation;
use rally_service::reports::{TargetKind, To};
use rally_service::{Service, ServiceError};

use crate::engine::{Result, show_secs};

fn reason(r: ipc::ReportReason) -> Reason {
    match r {
        ipc::ReportReason::Spam => Reason::Spam,
        ipc::ReportReason::Harassment => Reason::Harassment,
        ipc::ReportReason::Illegal => Reason::Illegal,
        ipc::ReportReason::Other => Reason::Other,
    }
}

fn reason_back(r: Reason) -> ipc::ReportReason {
    match r {
        Reason::Spam => ipc::ReportReason::Spam,
        Reason::Harassment => ipc::ReportReason::Harassment,
        Reason::Illegal => ipc::ReportReason::Illegal,
        Reason::Other => ipc::ReportReason::Other,
    }
}

pub fn report(svc: &mut Service, a: &ipc::ReportArgs) -> Result<ipc::ReportSent> {
    let kind = match a.kind {
        ipc::ReportKind::Event => TargetKind::Event,
        ipc::ReportKind::Comment => TargetKind::Comment,
        ipc::ReportKind::Group => TargetKind::Group,
        ipc::ReportKind::Persona => TargetKind::Persona,
    };
    let to = To {
        moderators: a.moderators,
        admins: a.admins,
    };
    if !to.moderators && !to.admins {
        return Err(ServiceError::Missing("someone to send it to").into());
    }
    let done = svc.report(
        kind,
        &a.id,
        a.group.as_deref(),
        reason(a.reason),
        &a.text,
        to,
    )?;
    Ok(ipc::ReportSent {
        moderators: done.to_moderators.map(|(_, n)| n as u32),
        admins: done.to_admins.is_some(),
    })
}

pub fn ban(svc: &mut Service, a: &ipc::BanArgs) -> Result<()> {
    let grounds = rally_core::moderation::Grounds {
        reason: a.reason.map(reason),
        note: Some(a.note.trim().to_owned()).filter(|n| !n.is_empty()),
    };
    if a.banned {
        svc.ban(&a.group, &a.persona, grounds)?;
    } else {
        svc.unban(&a.group, &a.persona, grounds)?;
    }
    Ok(())
}

/// Names of the personas a group's page may mention: members, and those who
/// answered or commented in its events.
fn names(svc: &Service, group: rally_core::DocId) -> HashMap<PersonaId, String> {
    let mut out = HashMap::new();
    let Ok(page) = svc.group(&group.to_hex()) else {
        return out;
    };
    for (_, e) in &page.events {
        for p in e.participants.values() {
            out.insert(p.persona, p.name.clone());
        }
        for c in &e.comments {
            out.insert(c.author, c.author_name.clone());
        }
    }
    for m in page.view.members.values() {
        out.insert(m.persona, m.name.clone());
    }
    out
}

fn action(a: ModAction) -> ipc::ModAction {
    match a {
        ModAction::Ban => ipc::ModAction::Ban,
        ModAction::Unban => ipc::ModAction::Unban,
        ModAction::UnlistEvent => ipc::ModAction::UnlistEvent,
        ModAction::ListEvent => ipc::ModAction::ListEvent,
        ModAction::HideComment => ipc::ModAction::HideComment,
        ModAction::ShowComment => ipc::ModAction::ShowComment,
        ModAction::ApproveMember => ipc::ModAction::ApproveMember,
        ModAction::DeclineMember => ipc::ModAction::DeclineMember,
    }
}

pub fn group_moderation(svc: &Service, id: &str) -> Result<ipc::GroupModeration> {
    let gid = svc.resolve(id, DocKind::Group)?;
    let Moderation {
        bans,
        log,
        requests,
        ..
    } = svc.moderation(id)?;
    let names = names(svc, gid);
    let name_of = |p: &PersonaId| {
        names
            .get(p)
            .cloned()
            .unwrap_or_else(|| p.to_hex()[..12].to_owned())
    };
    let title_of = |hex: &str| {
        svc.event(hex)
            .map(|e| e.view.details.title)
            .unwrap_or_else(|_| hex.chars().take(12).collect())
    };
    let comment_of = |target: &str| -> Option<(String, PersonaId)> {
        let (event, comment) = target.split_once('/')?;
        let e = svc.event(event).ok()?;
        let c = e.view.comments.iter().find(|c| c.id == comment)?;
        Some((c.body.chars().take(120).collect(), c.author))
    };
    // Reports are for moderators only (the service says so); members see the
    // bans and the log.
    let reports = match svc.group_reports(id) {
        Ok(list) => list,
        Err(ServiceError::NotReportReader) => Vec::new(),
        Err(e) => return Err(e.into()),
    };
    let reports = reports
        .into_iter()
        .map(|r| {
            let kind = ipc::ReportKind::parse(&r.target_kind).unwrap_or(ipc::ReportKind::Event);
            let (about, author) = match kind {
                ipc::ReportKind::Event => (title_of(&r.target), None),
                ipc::ReportKind::Group => (page_name(svc, &r.target), None),
                ipc::ReportKind::Persona => {
                    let p: Option<PersonaId> = r.target.parse().ok();
                    let name = p.as_ref().map(name_of).unwrap_or_else(|| r.target.clone());
                    (name.clone(), p.map(|p| (p.to_hex(), name)))
                }
                ipc::ReportKind::Comment => match comment_of(&r.target) {
                    Some((body, author)) => (body, Some((author.to_hex(), name_of(&author)))),
                    None => (r.target.clone(), None),
                },
            };
            ipc::ReportItem {
                id: r.id.clone(),
                when: show_secs(r.at),
                reporter: name_of(&r.reporter),
                kind,
                about,
                reason: ipc::ReportReason::parse(&r.reason).unwrap_or(ipc::ReportReason::Other),
                text: r.text,
                author,
            }
        })
        .collect();
    Ok(ipc::GroupModeration {
        reports,
        bans: bans
            .into_iter()
            .map(|(p, name, b)| ipc::BanItem {
                persona: p.to_hex(),
                name: name
                    .or_else(|| names.get(&p).cloned())
                    .unwrap_or_else(|| p.to_hex()[..12].to_owned()),
                since: show_secs(b.at),
                reason: b.reason.map(reason_back),
                note: b.note,
            })
            .collect(),
        log: log
            .into_iter()
            .rev()
            .map(|e| ipc::LogItem {
                when: show_secs(e.at),
                by: name_of(&e.by),
                action: action(e.action),
                target: match e.action {
                    ModAction::Ban
                    | ModAction::Unban
                    | ModAction::ApproveMember
                    | ModAction::DeclineMember => e
                        .target
                        .parse::<PersonaId>()
                        .map(|p| name_of(&p))
                        .unwrap_or(e.target),
                    ModAction::UnlistEvent | ModAction::ListEvent => title_of(&e.target),
                    ModAction::HideComment | ModAction::ShowComment => comment_of(&e.target)
                        .map(|(body, _)| body)
                        .unwrap_or(e.target),
                },
                note: e.note,
            })
            .collect(),
        requests: requests
            .into_iter()
            .map(|(p, r)| ipc::RequestItem {
                persona: p.to_hex(),
                name: r.name,
                when: show_secs(r.at),
                note: r.note,
            })
            .collect(),
    })
}

pub fn answer_request(svc: &mut Service, a: &ipc::AnswerArgs) -> Result<()> {
    svc.answer_request(&a.group, &a.persona, a.accept)?;
    Ok(())
}

fn page_name(svc: &Service, hex: &str) -> String {
    svc.group(hex)
        .map(|g| g.view.profile.name)
        .unwrap_or_else(|_| hex.chars().take(12).collect())
}
