//! `rally group ban|unban|unlist|relist|moderation|reports` and `rally
//! report`: a group's moderation (`rally-service`'s moderation and reports;
//! each action is one change to the group, its log entry included; a report
//! is sealed to the group's moderators).

use anyhow::{Result, bail};
use rally_core::jiff::Timestamp;
use rally_core::moderation::{Grounds, Reason};
use serde_json::json;

use crate::Ctx;
use crate::args::{GroupCmd, ReportArgs, ReportKind, ReportTo};
use rally_service::reports::TargetKind;

fn grounds(reason: Option<String>, note: Option<String>) -> Result<Grounds> {
    Ok(Grounds {
        reason: reason.map(|r| r.parse::<Reason>()).transpose()?,
        note: note.filter(|n| !n.trim().is_empty()),
    })
}

fn when(secs: i64) -> String {
    Timestamp::from_second(secs)
        .map(|t| t.strftime("%Y-%m-%d %H:%M UTC").to_string())
        .unwrap_or_default()
}

pub fn group(ctx: &mut Ctx, cmd: GroupCmd) -> Result<()> {
    match cmd {
        GroupCmd::Ban {
            id,
            persona,
            reason,
            note,
        } => {
            let who = ctx.svc.ban(&id, &persona, grounds(reason, note)?)?;
            ctx.out.message(
                &format!("{who} is banned from the group"),
                json!({"persona": who, "banned": true}),
            );
        }
        GroupCmd::Unban { id, persona, note } => {
            let who = ctx.svc.unban(&id, &persona, grounds(None, note)?)?;
            ctx.out.message(
                &format!("{who} is no longer banned"),
                json!({"persona": who, "banned": false}),
            );
        }
        GroupCmd::Unlist {
            id,
            event,
            reason,
            note,
        } => {
            let event = ctx
                .svc
                .list_in_group(&id, &event, false, grounds(reason, note)?)?;
            ctx.out.message(
                &format!("{event} is off the group's page"),
                json!({"event": event, "listed": false}),
            );
        }
        GroupCmd::Relist { id, event, note } => {
            let event = ctx
                .svc
                .list_in_group(&id, &event, true, grounds(None, note)?)?;
            ctx.out.message(
                &format!("{event} is on the group's page again"),
                json!({"event": event, "listed": true}),
            );
        }
        GroupCmd::Moderation { id } => {
            let m = ctx.svc.moderation(&id)?;
            if ctx.out.json {
                let bans: Vec<_> = m
                    .bans
                    .iter()
                    .map(|(p, name, b)| {
                        json!({"persona": p, "name": name, "by": b.by, "at": b.at,
                               "reason": b.reason, "note": b.note})
                    })
                    .collect();
                let requests: Vec<_> = m
                    .requests
                    .iter()
                    .map(|(p, r)| json!({"persona": p, "name": r.name, "at": r.at, "note": r.note}))
                    .collect();
                crate::render::print_json(
                    &json!({"group": m.group, "bans": bans, "log": m.log, "requests": requests}),
                );
                return Ok(());
            }
            for (p, r) in &m.requests {
                let note = r
                    .note
                    .as_deref()
                    .map(|n| format!(" — {n}"))
                    .unwrap_or_default();
                println!("asks to join: {} ({}){note}", r.name, &p.to_hex()[..12]);
            }
            if m.bans.is_empty() {
                println!("Nobody is banned.");
            }
            for (p, name, b) in &m.bans {
                let who = name.clone().unwrap_or_else(|| p.to_hex()[..12].to_owned());
                let why = b.reason.map(|r| format!(" ({r})")).unwrap_or_default();
                println!("banned: {who}{why} since {}", when(b.at));
            }
            for e in &m.log {
                let note = e
                    .note
                    .as_deref()
                    .map(|n| format!(" — {n}"))
                    .unwrap_or_default();
                println!(
                    "{}  {}  {} {}{}",
                    when(e.at),
                    &e.by.to_hex()[..12],
                    e.action,
                    e.target,
                    note
                );
            }
        }
        GroupCmd::Reports { id } => {
            let reports = ctx.svc.group_reports(&id)?;
            if ctx.out.json {
                crate::render::print_json(&reports);
                return Ok(());
            }
            if reports.is_empty() {
                println!("No reports.");
            }
            for r in &reports {
                let text = if r.text.is_empty() {
                    String::new()
                } else {
                    format!(" — {}", r.text)
                };
                println!(
                    "{}  {}  {} {} ({}){}",
                    &r.id[..12],
                    when(r.at),
                    r.target_kind,
                    r.target,
                    r.reason,
                    text
                );
            }
        }
        GroupCmd::Request { id, note } => {
            let group = ctx.svc.request_to_join(&id, note.as_deref())?;
            ctx.out.message(
                "Asked to join: the group's moderators answer",
                json!({"group": group, "requested": true}),
            );
        }
        GroupCmd::Approve { id, persona } => {
            let who = ctx.svc.answer_request(&id, &persona, true)?;
            ctx.out.message(
                &format!("{who} is a member now"),
                json!({"persona": who, "member": true}),
            );
        }
        GroupCmd::Decline { id, persona } => {
            let who = ctx.svc.answer_request(&id, &persona, false)?;
            ctx.out.message(
                &format!("{who}'s request was declined"),
                json!({"persona": who, "member": false}),
            );
        }
        _ => bail!("not a moderation command"),
    }
    Ok(())
}

pub fn report(ctx: &mut Ctx, args: ReportArgs) -> Result<()> {
    let kind = match args.kind {
        ReportKind::Event => TargetKind::Event,
        ReportKind::Comment => TargetKind::Comment,
        ReportKind::Group => TargetKind::Group,
        ReportKind::Persona => TargetKind::Persona,
    };
    let reason: Reason = args.reason.parse()?;
    let to = rally_service::reports::To {
        moderators: matches!(args.to, ReportTo::Moderators | ReportTo::Both),
        admins: matches!(args.to, ReportTo::Admins | ReportTo::Both),
    };
    let done = ctx.svc.report(
        kind,
        &args.id,
        args.group.as_deref(),
        reason,
        &args.text,
        to,
    )?;
    let mut said = Vec::new();
    if let Some((_, n)) = &done.to_moderators {
        said.push(format!(
            "to the group's {n} moderators (end to end encrypted; it reaches them as they sync)"
        ));
    }
    if done.to_admins.is_some() {
        said.push("to your server's admins (sent as you next sync with it)".to_owned());
    }
    ctx.out.message(
        &format!("Reported {}", said.join(" and ")),
        json!({
            "moderators": done.to_moderators.as_ref().map(|(_, n)| n),
            "moderators_report": done.to_moderators.as_ref().map(|(id, _)| id),
            "admins_report": done.to_admins,
        }),
    );
    Ok(())
}
