//! `rally-server admin reports|suspend|unsuspend|policy|log`: the admins'
//! moderation from the command line (`rally_server::fedi::moderation` does
//! the work; this prints it). Works while the server runs: the deliveries it
//! queues (a `Delete`, a forwarded `Flag`) go out from the running server.

use std::path::Path;

use anyhow::{Context, Result, bail};
use clap::Subcommand;
use rally_core::PersonaId;
use rally_core::jiff::Timestamp;
use rally_server::fedi::moderation;
use rally_server::registry::{Policy as PolicyText, Registry, SqlRegistry};

use crate::Admin;

#[derive(Debug, Subcommand)]
pub enum Reports {
    /// The open reports, newest first (--all: every report).
    List {
        #[arg(long)]
        all: bool,
        #[arg(long)]
        json: bool,
    },
    /// One report: who sent it, what it names, its text and notes.
    Show {
        id: i64,
        #[arg(long)]
        json: bool,
    },
    /// Nothing to do about it.
    Dismiss {
        id: i64,
        #[arg(long)]
        note: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Take what it names on this server off the public pages and out of
    /// federation (a published event is withdrawn with a Delete).
    Hide {
        id: i64,
        #[arg(long)]
        note: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Send it, from the instance actor and without the reporter's name, to
    /// the server of whoever it is about.
    Forward {
        id: i64,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum Policy {
    /// Set the rules from a Markdown file (and how to reach the admins).
    Set {
        file: std::path::PathBuf,
        #[arg(long)]
        contact: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Print the rules and contact.
    Show {
        #[arg(long)]
        json: bool,
    },
}

fn when(secs: i64) -> String {
    Timestamp::from_second(secs)
        .map(|t| t.strftime("%Y-%m-%d %H:%M UTC").to_string())
        .unwrap_or_default()
}

/// A line for people, or the JSON for scripts.
fn say(json: bool, text: &str, value: serde_json::Value) {
    if json {
        println!("{value}");
    } else {
        println!("{text}");
    }
}

fn persona(text: &str) -> Result<PersonaId> {
    text.parse()
        .with_context(|| format!("{text:?} is not a persona id (64 hex digits)"))
}

pub fn run(data: &Path, cmd: Admin) -> Result<()> {
    let cmd = match cmd {
        Admin::Policy(cmd) => return policy(data, cmd),
        Admin::Reports(Reports::List { all, json }) => return list(data, all, json),
        Admin::Reports(Reports::Show { id, json }) => return show(data, id, json),
        cmd => cmd,
    };
    let (fedi, runtime) = crate::fedi_of(data)?;
    runtime.block_on(async {
        match cmd {
            Admin::Reports(Reports::Dismiss { id, note, json }) => {
                moderation::dismiss(&fedi, id, note).await?;
                say(
                    json,
                    "dismissed",
                    serde_json::json!({"report": id, "state": "dismissed"}),
                );
            }
            Admin::Reports(Reports::Hide { id, note, json }) => {
                let hidden = moderation::hide_report(&fedi, id, note).await?;
                if json {
                    say(
                        true,
                        "",
                        serde_json::json!({"report": id, "hidden": hidden}),
                    );
                    return anyhow::Ok(());
                }
                if hidden.is_empty() {
                    println!("report {id} names nothing of this server's to hide");
                }
                for h in hidden {
                    println!("hidden: {h}");
                }
            }
            Admin::Reports(Reports::Forward { id, json }) => {
                let to = moderation::forward(&fedi, id).await?;
                if json {
                    say(
                        true,
                        "",
                        serde_json::json!({"report": id, "forwarded_to": to}),
                    );
                }
                for actor in to.iter().filter(|_| !json) {
                    println!("forwarded to {actor}");
                }
            }
            Admin::Suspend {
                persona: p,
                note,
                json,
            } => {
                let queued = moderation::suspend(&fedi, persona(&p)?, note).await?;
                say(
                    json,
                    &format!("suspended ({queued} deliveries queued)"),
                    serde_json::json!({"persona": p, "suspended": true, "deliveries": queued}),
                );
            }
            Admin::Unsuspend { persona: p, json } => {
                if !moderation::unsuspend(&fedi, persona(&p)?).await? {
                    bail!("{p} was not suspended");
                }
                say(
                    json,
                    "no longer suspended",
                    serde_json::json!({"persona": p, "suspended": false}),
                );
            }
            Admin::Log { json } => {
                let log = fedi.db(|db| db.moderation_log(200)).await?;
                if json {
                    println!("{}", serde_json::to_string_pretty(&log)?);
                } else {
                    for e in log {
                        let note = e.note.map(|n| format!(" — {n}")).unwrap_or_default();
                        println!("{}  {} {}{note}", when(e.at), e.action, e.target);
                    }
                }
            }
            _ => bail!("not a moderation command"),
        }
        anyhow::Ok(())
    })
}

/// The queue (the open reports, or all): in the database the server's
/// processes share, or else in its store (federating or not: devices' reports
/// arrive as they sync).
fn queue(data: &Path, all: bool) -> Result<Vec<rally_store::AdminReport>> {
    if rally_server::db::Database::for_data(data)?.is_postgres() {
        // What this process' store received and has not moved yet, first.
        let db = rally_server::fedi::db::FediDb::open(data)?;
        db.gather_reports(&mut rally_store::Store::open(data)?)?;
        Ok(db.admin_reports(all)?)
    } else {
        Ok(rally_store::Store::open(data)?.admin_reports(all)?)
    }
}

/// The queue, as a list.
fn list(data: &Path, all: bool, json: bool) -> Result<()> {
    let list = queue(data, all)?;
    if json {
        println!("{}", serde_json::to_string_pretty(&list)?);
        return Ok(());
    }
    if list.is_empty() {
        println!("no reports");
    }
    for r in list {
        println!(
            "#{}  {}  {}  from {}: {}",
            r.id,
            when(r.received_at),
            r.state,
            r.reporter,
            r.objects.join(" ")
        );
    }
    Ok(())
}

fn show(data: &Path, id: i64, json: bool) -> Result<()> {
    let all = queue(data, true)?;
    let Some(r) = all.iter().find(|r| r.id == id).cloned() else {
        bail!("no report {id}");
    };
    let (fedi, runtime) = crate::fedi_of(data)?;
    let log = runtime.block_on(fedi.db(|db| db.moderation_log(1000)))?;
    let history = moderation::history(&fedi.urls, &r, &all, &log);
    if json {
        let mut value = serde_json::to_value(&r)?;
        value["history"] = serde_json::to_value(&history)?;
        println!("{}", serde_json::to_string_pretty(&value)?);
        return Ok(());
    }
    println!("report #{} ({}), {}", r.id, r.state, when(r.received_at));
    println!("from {} ({})", r.reporter, r.source);
    if let Some(reason) = &r.reason {
        println!("reason: {reason}");
    }
    for o in &r.objects {
        println!("about {o}");
    }
    println!("\n{}\n", r.text);
    for n in &r.notes {
        println!("note, {}: {}", when(n.at), n.text);
    }
    for e in &history.reports {
        println!(
            "earlier: report #{} ({}), {}: {}",
            e.id,
            e.reason.as_deref().unwrap_or("no reason given"),
            when(e.received_at),
            e.state
        );
    }
    for e in &history.actions {
        let note = e
            .note
            .as_ref()
            .map(|n| format!(" — {n}"))
            .unwrap_or_default();
        println!("done: {} {} {}{note}", when(e.at), e.action, e.target);
    }
    Ok(())
}

fn policy(data: &Path, cmd: Policy) -> Result<()> {
    let mut registry = SqlRegistry::open(data)?;
    match cmd {
        Policy::Set {
            file,
            contact,
            json,
        } => {
            let rules = std::fs::read_to_string(&file)
                .with_context(|| format!("reading {}", file.display()))?;
            if rules.len() > 64 * 1024 {
                bail!("the rules are longer than 64 KiB");
            }
            let old = registry.policy()?;
            registry.set_policy(&PolicyText {
                rules: Some(rules).filter(|r| !r.trim().is_empty()),
                contact: contact.or(old.contact),
            })?;
            say(
                json,
                "policy set",
                serde_json::json!({"policy": registry.policy()?}),
            );
        }
        Policy::Show { json } => {
            let p = registry.policy()?;
            if json {
                say(true, "", serde_json::json!(p));
                return Ok(());
            }
            println!("{}", p.rules.as_deref().unwrap_or("(no rules set)"));
            if let Some(c) = p.contact {
                println!("\ncontact: {c}");
            }
        }
    }
    Ok(())
}
