//! `rally reminders`: what this device will remind you of, and when
//! (`rally-service`'s reminders; nothing leaves the device).

use anyhow::{Result, anyhow};
use rally_core::jiff::{SignedDuration, Timestamp};
use rally_service::reminders::parse_before;
use serde_json::json;

use crate::Ctx;
use crate::args::RemindersCmd;

fn before_list(text: &str) -> Result<Vec<u32>> {
    text.split(',')
        .filter(|p| !p.trim().is_empty())
        .map(|p| {
            parse_before(p)
                .ok_or_else(|| anyhow!("{p:?} is not a time before, such as 30m, 1h, 1d or 1w"))
        })
        .collect()
}

pub fn reminders(ctx: &mut Ctx, cmd: RemindersCmd) -> Result<()> {
    match cmd {
        RemindersCmd::List { days } => {
            let now = ctx.svc.now();
            let to = now
                .checked_add(SignedDuration::from_hours(i64::from(days.min(366)) * 24))
                .unwrap_or(Timestamp::MAX);
            let list = ctx.svc.reminders(now, to)?;
            if ctx.out.json {
                let rows: Vec<_> = list
                    .iter()
                    .map(|r| {
                        json!({
                            "event": r.event,
                            "occurrence": r.occurrence.map(|o| o.to_string()),
                            "title": r.title,
                            "starts": r.starts_at.to_string(),
                            "due": r.due_at.to_string(),
                            "before_minutes": r.before,
                        })
                    })
                    .collect();
                println!("{}", serde_json::to_string_pretty(&rows)?);
            } else if list.is_empty() {
                println!("No reminders to come.");
            } else {
                for r in &list {
                    println!("{}  {} (starts {})", r.due_at, r.title, r.starts_at);
                }
            }
        }
        RemindersCmd::Set { before, off, on } => {
            let mut s = ctx.svc.reminder_settings()?;
            if let Some(b) = before {
                s.before = before_list(&b)?;
            }
            if off {
                s.on = false;
            } else if on {
                s.on = true;
            }
            ctx.svc.set_reminder_settings(&s)?;
            ctx.out.message(
                if s.on {
                    "Reminders on"
                } else {
                    "Reminders off"
                },
                json!({"on": s.on, "before_minutes": s.before}),
            );
        }
        RemindersCmd::Event { id, before } => {
            let choice = match before.trim() {
                "default" => None,
                "off" | "never" => Some(Vec::new()),
                list => Some(before_list(list)?),
            };
            let id = ctx.svc.set_event_reminders(&id, choice.clone())?;
            ctx.out.message(
                "Reminders set for this event",
                json!({"id": id, "before_minutes": choice}),
            );
        }
    }
    Ok(())
}
