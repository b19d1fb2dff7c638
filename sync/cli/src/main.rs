//! `rally`: the headless client of the Rally engine.
//!
//! Every command opens the store in `--data`, does one thing through the engine
//! (which judges every change) and prints either text for people or, with `--json`,
//! one JSON document on stdout. Errors go to stderr with a non-zero exit code, and
//! leave the store as it was.

mod args;
mod fediverse;
mod render;

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, anyhow, bail};
use clap::Parser;
use rally_core::jiff::Timestamp;
use rally_core::{
    DocId, DocKind, Document, EventDetails, EventStatus, GroupLink, GroupProfile, GroupVisibility,
    InviteToken, ParticipationStatus, PersonaId, Role, bundle, normalise_tag, parse_civil,
};
use rally_store::{BBox, EventQuery, LocalPersona, Store};
use serde_json::json;

use args::{
    BundleCmd, Cli, Command, EventCmd, EventFields, GroupCmd, MessageCmd, PersonaCmd, StoreCmd,
    SyncArgs,
};
use render::Out;

fn main() -> ExitCode {
    quiet_on_closed_stdout();
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// `rally … | head` closes stdout early: end quietly, as other command-line tools
/// do, instead of reporting a panic.
fn quiet_on_closed_stdout() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let text = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or("");
        if text.contains("failed printing to stdout") {
            std::process::exit(141);
        }
        default(info);
    }));
}

fn data_dir(cli: &Cli) -> Result<PathBuf> {
    if let Some(d) = &cli.data {
        return Ok(d.clone());
    }
    directories::ProjectDirs::from("org", "Rally", "rally")
        .map(|p| p.data_dir().to_owned())
        .ok_or_else(|| anyhow!("no home directory to keep data in; pass --data DIR"))
}

struct Ctx {
    store: Store,
    as_persona: Option<String>,
    out: Out,
    now: Timestamp,
}

impl Ctx {
    /// The acting persona: `--as NAME`, else the one used last.
    fn persona(&mut self) -> Result<LocalPersona> {
        let p = match &self.as_persona {
            Some(name) => self
                .store
                .persona(name)?
                .ok_or_else(|| anyhow!("no persona named {name:?} (see `rally persona list`)"))?,
            None => self.store.last_used_persona()?.ok_or_else(|| {
                anyhow!("no persona yet: create one with `rally persona new NAME`")
            })?,
        };
        self.store.touch_persona(&p, self.now)?;
        Ok(p)
    }

    fn resolve(&self, id: &str, kind: DocKind) -> Result<DocId> {
        Ok(self.store.resolve(id, Some(kind))?)
    }
}

fn run(cli: Cli) -> Result<()> {
    let dir = data_dir(&cli)?;
    let store = Store::open(&dir)?;
    let mut ctx = Ctx {
        store,
        as_persona: cli.as_persona,
        out: Out { json: cli.json },
        now: Timestamp::now(),
    };
    match cli.command {
        Command::Persona(c) => persona(&mut ctx, c),
        Command::Group(c) => group(&mut ctx, c),
        Command::Event(c) => event(&mut ctx, c),
        Command::Message(c) => message(&mut ctx, c),
        Command::Bundle(c) => bundle_cmd(&mut ctx, c),
        Command::Store(c) => store_cmd(&mut ctx, c),
        Command::Sync(args) => sync_cmd(ctx, args),
    }
}

fn sync_cmd(mut ctx: Ctx, args: SyncArgs) -> Result<()> {
    use std::io::IsTerminal;
    use std::time::Duration;

    let me = ctx.persona()?;
    let parse = |list: &[String]| -> Result<Vec<rally_net::Address>> {
        list.iter()
            .map(|a| {
                a.parse::<rally_net::Address>().with_context(|| {
                    format!(
                        "{a:?} is not a multiaddr (e.g. /ip4/192.168.1.20/udp/4001/quic-v1/p2p/…)"
                    )
                })
            })
            .collect()
    };
    let mut listen = parse(&args.listen)?;
    if listen.is_empty() && !args.once {
        listen = parse(&[
            "/ip4/0.0.0.0/udp/0/quic-v1".into(),
            "/ip4/0.0.0.0/tcp/0".into(),
        ])?;
    }
    let servers = parse(&args.server)?;
    if let Some(s) = servers
        .iter()
        .find(|s| !s.iter().any(|p| matches!(p, rally_net::Protocol::P2p(_))))
    {
        bail!(
            "the server address {s} does not end in /p2p/<peer id>: use the `p2p` line the server printed"
        );
    }
    let config = rally_net::NodeConfig {
        listen,
        peers: parse(&args.peer)?,
        servers,
        invite: args.invite.clone(),
        once: args.once,
        timeout: Some(Duration::from_secs(args.timeout)),
    };
    let mdns = !args.no_mdns;
    if config.once && config.peers.is_empty() && config.servers.is_empty() && !mdns {
        bail!("--once needs a --peer or --server to sync with, or mDNS to find one");
    }
    let json = ctx.out.json;
    let name = me.name.clone();
    let store_file = ctx.store.path().to_owned();
    let data_dir = store_file
        .parent()
        .map(std::path::Path::to_owned)
        .unwrap_or_default();
    let repo = rally_store::SyncRepo::new(ctx.store, me);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let tty = std::io::stderr().is_terminal();
    let result = runtime.block_on(async move {
        let mut node = rally_net::Node::new(repo, rally_net::Transport::device(mdns))?;
        eprintln!("Syncing as {name} (transport id {})", node.peer_id());
        let mut progress_shown = false;
        let on_event = |event: rally_net::NodeEvent| match event {
            rally_net::NodeEvent::Listening(addr) => {
                // A reader may stop after the first line; the node keeps running.
                use std::io::Write;
                let line = if json { json!({"multiaddr": addr.to_string()}).to_string() } else { addr.to_string() };
                let mut out = std::io::stdout();
                let _ = writeln!(out, "{line}").and_then(|()| out.flush());
            }
            rally_net::NodeEvent::PeerAuthenticated { peer, persona } => eprintln!("connected: {peer} speaks for {}", &persona[..12]),
            rally_net::NodeEvent::PeerDropped { peer, reason } => eprintln!("dropped {peer}: {reason}"),
            rally_net::NodeEvent::RefusedBy { peer, reason } => eprintln!("{peer} refused to sync: {reason}"),
            rally_net::NodeEvent::Refused { .. } => {}
            rally_net::NodeEvent::Relayed(addr) => eprintln!("reachable through a relay at {addr}"),
            rally_net::NodeEvent::Progress { docs_wanted, bytes_received, changes_received } => {
                if tty && (docs_wanted > 0 || progress_shown) {
                    progress_shown = docs_wanted > 0;
                    eprint!("\r{docs_wanted} documents to go · {changes_received} changes · {} kB received   ", bytes_received / 1000);
                }
            }
            rally_net::NodeEvent::Synced { peers } => eprintln!("{}in sync with {peers} peer(s)", if tty { "\n" } else { "" }),
            rally_net::NodeEvent::ServerUrl { url, .. } => {
                if let Err(e) = rally_store::Store::open(&data_dir).and_then(|s| s.set_server_url(&url)) {
                    eprintln!("cannot remember the server's URL: {e}");
                }
            }
        };
        let outcome = tokio::select! {
            r = node.run(&config, on_event) => Some(r),
            _ = rally_net::shutdown_signal() => None,
        };
        let stats = node.finish()?;
        if let Some(r) = outcome {
            r?;
        }
        anyhow::Ok(stats)
    })?;
    if json && args.once {
        println!(
            "{}",
            json!({"bytes_sent": result.bytes_sent, "bytes_received": result.bytes_received, "changes_received": result.changes_received, "changes_sent": result.changes_sent})
        );
    }
    eprintln!(
        "{} changes received, {} sent",
        result.changes_received, result.changes_sent
    );
    Ok(())
}

fn persona(ctx: &mut Ctx, cmd: PersonaCmd) -> Result<()> {
    match cmd {
        PersonaCmd::New { name } => {
            let p = ctx.store.create_persona(&name, ctx.now)?;
            ctx.out.created("persona", &p.name, &p.id().to_hex());
        }
        PersonaCmd::List => {
            let current = ctx.store.last_used_persona()?.map(|p| p.row);
            let list = ctx.store.personas()?;
            ctx.out.personas(&list, current);
        }
        PersonaCmd::Use { name } => {
            ctx.as_persona = Some(name);
            let p = ctx.persona()?;
            ctx.out.message(
                &format!("Now acting as {}", p.name),
                json!({"persona": p.name, "id": p.id()}),
            );
        }
    }
    Ok(())
}

/// Finds a persona among `candidates` (id, display name) by id prefix or exact name.
fn pick_persona(ctx: &Ctx, text: &str, candidates: &[(PersonaId, String)]) -> Result<PersonaId> {
    if let Ok(Some(local)) = ctx.store.persona(text) {
        return Ok(local.id());
    }
    let lower = text.to_ascii_lowercase();
    let by_id: Vec<_> = candidates
        .iter()
        .filter(|(id, _)| id.to_hex().starts_with(&lower) && lower.len() >= 4)
        .collect();
    let by_name: Vec<_> = candidates.iter().filter(|(_, name)| name == text).collect();
    match (by_id.as_slice(), by_name.as_slice()) {
        ([one], _) | ([], [one]) => Ok(one.0),
        ([], []) => {
            if let Ok(id) = text.parse::<PersonaId>() {
                return Ok(id);
            }
            bail!("no persona {text:?} here (give a name or the start of a persona id)")
        }
        _ => bail!("{text:?} matches several personas; give more of the id"),
    }
}

fn message(ctx: &mut Ctx, cmd: MessageCmd) -> Result<()> {
    match cmd {
        MessageCmd::Send {
            group,
            text,
            reply_to,
        } => {
            let me = ctx.persona()?;
            let group = ctx.resolve(&group, DocKind::Group)?;
            let id = ctx
                .store
                .send_message(&me, group, &text, reply_to.as_deref(), ctx.now)?;
            ctx.out.message(&id, json!({"id": id, "group": group}));
        }
        MessageCmd::List { group } => {
            let group = ctx.resolve(&group, DocKind::Group)?;
            let messages = ctx.store.messages(group)?;
            ctx.out.messages(&messages);
        }
        MessageCmd::Edit { group, id, text } => {
            let me = ctx.persona()?;
            let group = ctx.resolve(&group, DocKind::Group)?;
            let id = ctx.store.edit_message(&me, group, &id, &text, ctx.now)?;
            ctx.out
                .message("Message edited", json!({"id": id, "edited": true}));
        }
        MessageCmd::Delete { group, id } => {
            let me = ctx.persona()?;
            let group = ctx.resolve(&group, DocKind::Group)?;
            let id = ctx.store.delete_message(&me, group, &id, ctx.now)?;
            ctx.out
                .message("Message deleted", json!({"id": id, "deleted": true}));
        }
    }
    Ok(())
}

fn group(ctx: &mut Ctx, cmd: GroupCmd) -> Result<()> {
    match cmd {
        GroupCmd::Create {
            name,
            members_only,
            summary,
        } => {
            let me = ctx.persona()?;
            let visibility = if members_only {
                GroupVisibility::MembersOnly
            } else {
                GroupVisibility::Public
            };
            let profile = GroupProfile {
                name,
                summary,
                visibility,
            };
            let (doc, _) = Document::create_group(&me.persona, &me.name, &profile, ctx.now)?;
            ctx.store.insert_new(&doc)?;
            ctx.out.created("group", &profile.name, &doc.id().to_hex());
        }
        GroupCmd::List => {
            let groups = ctx.store.groups()?;
            ctx.out.groups(&groups);
        }
        GroupCmd::Show { id } => {
            let id = ctx.resolve(&id, DocKind::Group)?;
            let g = ctx.store.load(id)?.group()?;
            let mut events = Vec::new();
            for e in &g.events {
                if let Ok(doc) = ctx.store.load(*e)
                    && let Ok(view) = doc.event()
                    && view.group == Some(id)
                {
                    events.push((*e, view));
                }
            }
            let handle = fediverse::group_handle(&ctx.store, id, &g)?;
            ctx.out.group(id, &g, &events, handle.as_deref());
        }
        GroupCmd::Invite { id } => {
            let me = ctx.persona()?;
            let id = ctx.resolve(&id, DocKind::Group)?;
            let (_, token) = ctx
                .store
                .update(id, |g| g.create_invite(&me.persona, ctx.now))?;
            let text = token.encode();
            if ctx.out.json {
                render::print_json(
                    &json!({"token": text, "invite": token.invite_id(), "group": id}),
                );
            } else {
                println!("{text}");
                eprintln!(
                    "Share this token with the person you invite; it works until you revoke it."
                );
            }
        }
        GroupCmd::Revoke { id, invite } => {
            let me = ctx.persona()?;
            let id = ctx.resolve(&id, DocKind::Group)?;
            let g = ctx.store.load(id)?.group()?;
            let found: Vec<_> = g
                .invites
                .iter()
                .filter(|i| i.id.starts_with(&invite.to_ascii_lowercase()))
                .collect();
            let [inv] = found.as_slice() else {
                bail!("no single invitation starts with {invite:?}")
            };
            let inv_id = inv.id.clone();
            ctx.store
                .update(id, |g| g.revoke_invite(&me.persona, &inv_id, ctx.now))?;
            ctx.out
                .message("Invitation revoked", json!({"revoked": inv_id}));
        }
        GroupCmd::Join { token } => {
            let me = ctx.persona()?;
            let token = InviteToken::decode(&token)?;
            let now = ctx.store.join_group(&me, &token, ctx.now)?;
            if now {
                ctx.out.message(
                    &format!("{} joined the group {}", me.name, token.group),
                    json!({"group": token.group, "joined": true}),
                );
            } else {
                ctx.out.message(
                    &format!("The group {} is not on this device yet; {} will join it as soon as it arrives (sync or bundle import).", token.group, me.name),
                    json!({"group": token.group, "joined": false, "pending": true}),
                );
            }
        }
        GroupCmd::Follow { id } => {
            let me = ctx.persona()?;
            let id = ctx.resolve(&id, DocKind::Group)?;
            ctx.store.follow_group(&me, id, true)?;
            ctx.out.message(
                "Following the group",
                json!({"group": id, "followed": true}),
            );
        }
        GroupCmd::Unfollow { id } => {
            let me = ctx.persona()?;
            let id = ctx.resolve(&id, DocKind::Group)?;
            ctx.store.follow_group(&me, id, false)?;
            ctx.out.message(
                "No longer following the group",
                json!({"group": id, "followed": false}),
            );
        }
        GroupCmd::Leave { id } => {
            let me = ctx.persona()?;
            let id = ctx.resolve(&id, DocKind::Group)?;
            ctx.store
                .update(id, |g| g.remove_member(&me.persona, me.id(), ctx.now))?;
            ctx.out
                .message("You left the group", json!({"group": id, "left": true}));
        }
        GroupCmd::Add {
            id,
            persona,
            role,
            name,
        } => {
            let me = ctx.persona()?;
            let id = ctx.resolve(&id, DocKind::Group)?;
            let role: Role = role.parse()?;
            let who: PersonaId = persona.parse()?;
            ctx.store
                .update(id, |g| g.add_member(&me.persona, who, &name, role, ctx.now))?;
            ctx.out.message(
                &format!("{who} added as {role}"),
                json!({"member": who, "role": role}),
            );
        }
        GroupCmd::Role { id, member, role } => {
            let me = ctx.persona()?;
            let id = ctx.resolve(&id, DocKind::Group)?;
            let role: Role = role.parse()?;
            let who = member_of(ctx, id, &member)?;
            ctx.store
                .update(id, |g| g.set_role(&me.persona, who, role, ctx.now))?;
            ctx.out.message(
                &format!("{who} is now {role}"),
                json!({"member": who, "role": role}),
            );
        }
        GroupCmd::Remove { id, member } => {
            let me = ctx.persona()?;
            let id = ctx.resolve(&id, DocKind::Group)?;
            let who = member_of(ctx, id, &member)?;
            ctx.store
                .update(id, |g| g.remove_member(&me.persona, who, ctx.now))?;
            ctx.out.message(
                &format!("{who} was removed"),
                json!({"member": who, "removed": true}),
            );
        }
        GroupCmd::ShareHistory { id, member } => {
            let me = ctx.persona()?;
            let id = ctx.resolve(&id, DocKind::Group)?;
            let who = member_of(ctx, id, &member)?;
            let epochs = ctx.store.share_history(&me, id, who)?;
            ctx.out.message(
                &format!("{who} can read the chat's history ({epochs} key epochs) once they sync"),
                json!({"member": who, "epochs": epochs}),
            );
        }
        GroupCmd::Link { id, title, url } => {
            let me = ctx.persona()?;
            let id = ctx.resolve(&id, DocKind::Group)?;
            let g = ctx.store.load(id)?.group()?;
            let link = GroupLink {
                id: g.link_id_for(&title),
                title,
                url,
            };
            ctx.store
                .update(id, |g| g.put_link(&me.persona, &link, ctx.now))?;
            ctx.out
                .message(&format!("Link {} saved", link.id), json!({"link": link.id}));
        }
        GroupCmd::Unlink { id, link } => {
            let me = ctx.persona()?;
            let id = ctx.resolve(&id, DocKind::Group)?;
            ctx.store
                .update(id, |g| g.remove_link(&me.persona, &link, ctx.now))?;
            ctx.out
                .message("Link removed", json!({"link": link, "removed": true}));
        }
        GroupCmd::Edit { id, name, summary } => {
            let me = ctx.persona()?;
            let id = ctx.resolve(&id, DocKind::Group)?;
            let mut profile = ctx.store.load(id)?.group()?.profile;
            if let Some(n) = name {
                profile.name = n;
            }
            if let Some(s) = summary {
                profile.summary = s;
            }
            ctx.store.update(id, |g| {
                g.update_group_profile(&me.persona, &profile, ctx.now)
            })?;
            ctx.out.message("Group updated", json!({"group": id}));
        }
    }
    Ok(())
}

fn member_of(ctx: &Ctx, group: DocId, text: &str) -> Result<PersonaId> {
    let g = ctx.store.load(group)?.group()?;
    let candidates: Vec<_> = g
        .members
        .values()
        .map(|m| (m.persona, m.name.clone()))
        .collect();
    pick_persona(ctx, text, &candidates)
}

fn participant_of(ctx: &Ctx, event: DocId, text: &str) -> Result<PersonaId> {
    let e = ctx.store.load(event)?.event()?;
    let candidates: Vec<_> = e
        .participants
        .values()
        .map(|p| (p.persona, p.name.clone()))
        .collect();
    pick_persona(ctx, text, &candidates)
}

fn default_zone() -> String {
    rally_core::jiff::tz::TimeZone::system()
        .iana_name()
        .unwrap_or("UTC")
        .to_owned()
}

/// Applies the flags given to `details` (all of them for a new event).
fn apply_fields(details: &mut EventDetails, f: EventFields) -> Result<()> {
    fn opt(v: String) -> Option<String> {
        let v = v.trim().to_owned();
        (!v.is_empty()).then_some(v)
    }
    if let Some(t) = f.title {
        details.title = t;
    }
    if let Some(d) = f.description {
        details.description = d;
    }
    if let Some(s) = f.starts {
        details.starts = parse_civil("start", &s)?;
    }
    if let Some(e) = f.ends {
        details.ends = opt(e).map(|e| parse_civil("end", &e)).transpose()?;
    }
    if let Some(tz) = f.tz {
        details.time_zone = tz;
    }
    if let Some(p) = f.place {
        details.place.name = opt(p);
    }
    if let Some(a) = f.address {
        details.place.address = opt(a);
    }
    if let (Some(lat), Some(lon)) = (f.lat, f.lon) {
        details.place.latitude = Some(lat);
        details.place.longitude = Some(lon);
    }
    if f.no_coordinates {
        details.place.latitude = None;
        details.place.longitude = None;
    }
    if let Some(o) = f.online {
        details.online_url = opt(o);
    }
    if let Some(c) = f.capacity {
        details.capacity = (c > 0).then_some(c);
    }
    if let Some(m) = f.join_mode {
        details.join_mode = m.parse()?;
    }
    if let Some(v) = f.visibility {
        details.visibility = v.parse()?;
    }
    if let Some(s) = f.status {
        details.status = s.parse()?;
    }
    if !f.tags.is_empty() {
        let mut tags = Vec::new();
        for t in &f.tags {
            let t = normalise_tag(t)?;
            if !tags.contains(&t) {
                tags.push(t);
            }
        }
        details.tags = tags;
    }
    if f.no_tags {
        details.tags.clear();
    }
    details.validate()?;
    Ok(())
}

fn event(ctx: &mut Ctx, cmd: EventCmd) -> Result<()> {
    match cmd {
        EventCmd::Create { fields, group } => {
            let me = ctx.persona()?;
            let title = fields.title.clone().context("--title is required")?;
            let starts = fields
                .starts
                .clone()
                .context("--starts is required (e.g. 2026-12-05T14:00)")?;
            let mut details = EventDetails::new(
                title,
                parse_civil("start", &starts)?,
                fields.tz.clone().unwrap_or_else(default_zone),
            );
            if fields.capacity == Some(0) {
                bail!("the capacity must be at least 1");
            }
            apply_fields(&mut details, fields)?;
            let group = group.map(|g| ctx.resolve(&g, DocKind::Group)).transpose()?;
            if let Some(g) = group {
                let view = ctx.store.load(g)?.group()?;
                if !view.role_of(&me.id()).is_some_and(Role::can_moderate) {
                    bail!("only the group's admins and moderators create its events");
                }
            }
            let (doc, _) = Document::create_event(&me.persona, &me.name, &details, group, ctx.now)?;
            let id = doc.id();
            if let Some(g) = group {
                // One transaction for the group's listing, then the event itself.
                ctx.store.insert_new(&doc)?;
                ctx.store
                    .update(g, |gd| gd.set_group_event(&me.persona, id, true, ctx.now))?;
            } else {
                ctx.store.insert_new(&doc)?;
            }
            ctx.out.created("event", &details.title, &id.to_hex());
        }
        EventCmd::Edit { id, fields } => {
            let me = ctx.persona()?;
            let id = ctx.resolve(&id, DocKind::Event)?;
            let mut details = ctx.store.load(id)?.event()?.details;
            apply_fields(&mut details, fields)?;
            ctx.store
                .update(id, |d| d.update_event(&me.persona, &details, ctx.now))?;
            ctx.out
                .message("Event updated", json!({"id": id, "updated": true}));
        }
        EventCmd::Cancel { id } => {
            let me = ctx.persona()?;
            let id = ctx.resolve(&id, DocKind::Event)?;
            let mut details = ctx.store.load(id)?.event()?.details;
            details.status = EventStatus::Cancelled;
            ctx.store
                .update(id, |d| d.update_event(&me.persona, &details, ctx.now))?;
            ctx.out
                .message("Event cancelled", json!({"id": id, "status": "cancelled"}));
        }
        EventCmd::List {
            upcoming,
            group,
            search,
            mine,
            followed,
            bbox,
            limit,
        } => {
            let mut q = EventQuery::upcoming(ctx.now);
            q.upcoming = upcoming;
            q.limit = limit;
            q.text = search;
            q.group = group.map(|g| ctx.resolve(&g, DocKind::Group)).transpose()?;
            if mine {
                q.involving = ctx.store.personas()?.iter().map(LocalPersona::id).collect();
            }
            if let Some(b) = bbox {
                let v: Vec<f64> = b
                    .split(',')
                    .map(|x| x.trim().parse::<f64>())
                    .collect::<Result<_, _>>()
                    .map_err(|_| {
                        anyhow!("--bbox takes four numbers: MIN_LAT,MIN_LON,MAX_LAT,MAX_LON")
                    })?;
                let [min_lat, min_lon, max_lat, max_lon] = v.as_slice() else {
                    bail!("--bbox takes four numbers: MIN_LAT,MIN_LON,MAX_LAT,MAX_LON")
                };
                q.bbox = Some(BBox {
                    min_lat: *min_lat,
                    min_lon: *min_lon,
                    max_lat: *max_lat,
                    max_lon: *max_lon,
                });
            }
            let events = if followed {
                let me = ctx.persona()?;
                let groups = ctx.store.followed_groups(&me)?;
                ctx.store.events_in_groups(&q, &groups)?
            } else {
                ctx.store.events(&q)?
            };
            ctx.out.events(&events);
        }
        EventCmd::Show { id } => {
            let id = ctx.resolve(&id, DocKind::Event)?;
            let e = ctx.store.load(id)?.event()?;
            let group_name = e
                .group
                .and_then(|g| ctx.store.load(g).ok())
                .and_then(|d| d.group().ok())
                .map(|g| g.profile.name);
            let url = fediverse::event_url(&ctx.store, id, &e)?;
            ctx.out.event(id, &e, group_name.as_deref(), url.as_deref());
        }
        EventCmd::Join { id } => {
            let me = ctx.persona()?;
            let id = ctx.resolve(&id, DocKind::Event)?;
            let (_, status) = ctx
                .store
                .update(id, |d| d.join_event(&me.persona, &me.name, ctx.now))?;
            let text = match status {
                ParticipationStatus::Pending => {
                    "Asked to join; an organiser must approve".to_owned()
                }
                s => format!("You are {s}"),
            };
            ctx.out.message(&text, json!({"id": id, "status": status}));
        }
        EventCmd::Interested { id } => {
            let me = ctx.persona()?;
            let id = ctx.resolve(&id, DocKind::Event)?;
            ctx.store.update(id, |d| {
                d.set_participation(
                    &me.persona,
                    &me.name,
                    ParticipationStatus::Interested,
                    ctx.now,
                )
            })?;
            ctx.out.message(
                "Marked as interested",
                json!({"id": id, "status": "interested"}),
            );
        }
        EventCmd::Leave { id } => {
            let me = ctx.persona()?;
            let id = ctx.resolve(&id, DocKind::Event)?;
            ctx.store
                .update(id, |d| d.leave_event(&me.persona, ctx.now))?;
            ctx.out
                .message("You left the event", json!({"id": id, "left": true}));
        }
        EventCmd::Approve { id, participant } => {
            decide(ctx, &id, &participant, ParticipationStatus::Going)?
        }
        EventCmd::Reject { id, participant } => {
            decide(ctx, &id, &participant, ParticipationStatus::Rejected)?
        }
        EventCmd::AddOrganiser { id, persona, name } => {
            let me = ctx.persona()?;
            let id = ctx.resolve(&id, DocKind::Event)?;
            let who = participant_of(ctx, id, &persona)?;
            let name = if name.is_empty() {
                ctx.store
                    .load(id)?
                    .event()?
                    .participants
                    .get(&who)
                    .map(|p| p.name.clone())
                    .unwrap_or_else(|| "organiser".into())
            } else {
                name
            };
            ctx.store
                .update(id, |d| d.add_organiser(&me.persona, who, &name, ctx.now))?;
            ctx.out.message(
                &format!("{name} is now an organiser"),
                json!({"id": id, "organiser": who}),
            );
        }
        EventCmd::Invite { id, persona } => {
            let me = ctx.persona()?;
            let id = ctx.resolve(&id, DocKind::Event)?;
            let who = pick_persona(ctx, &persona, &[])?;
            ctx.store
                .update(id, |d| d.invite_to_event(&me.persona, who, ctx.now))?;
            ctx.out
                .message("Invited", json!({"id": id, "invited": who}));
        }
        EventCmd::Comment { id, text, reply_to } => {
            let me = ctx.persona()?;
            let id = ctx.resolve(&id, DocKind::Event)?;
            let reply_to = reply_to.map(|r| comment_id(ctx, id, &r)).transpose()?;
            let (_, cid) = ctx.store.update(id, |d| {
                d.comment(&me.persona, &me.name, &text, reply_to.as_deref(), ctx.now)
            })?;
            ctx.out.created("comment", &text, &cid);
        }
        EventCmd::CommentEdit { id, comment, text } => {
            let me = ctx.persona()?;
            let id = ctx.resolve(&id, DocKind::Event)?;
            let cid = comment_id(ctx, id, &comment)?;
            ctx.store
                .update(id, |d| d.edit_comment(&me.persona, &cid, &text, ctx.now))?;
            ctx.out
                .message("Comment edited", json!({"id": id, "comment": cid}));
        }
        EventCmd::CommentDelete { id, comment } => {
            let me = ctx.persona()?;
            let id = ctx.resolve(&id, DocKind::Event)?;
            let cid = comment_id(ctx, id, &comment)?;
            ctx.store
                .update(id, |d| d.delete_comment(&me.persona, &cid, ctx.now))?;
            ctx.out.message(
                "Comment deleted",
                json!({"id": id, "comment": cid, "deleted": true}),
            );
        }
        EventCmd::CommentHide { id, comment, show } => {
            let me = ctx.persona()?;
            let id = ctx.resolve(&id, DocKind::Event)?;
            let cid = comment_id(ctx, id, &comment)?;
            ctx.store
                .update(id, |d| d.hide_comment(&me.persona, &cid, !show, ctx.now))?;
            ctx.out.message(
                if show {
                    "Comment shown"
                } else {
                    "Comment hidden"
                },
                json!({"id": id, "comment": cid, "hidden": !show}),
            );
        }
    }
    Ok(())
}

fn decide(ctx: &mut Ctx, id: &str, participant: &str, status: ParticipationStatus) -> Result<()> {
    let me = ctx.persona()?;
    let id = ctx.resolve(id, DocKind::Event)?;
    let who = participant_of(ctx, id, participant)?;
    ctx.store.update(id, |d| {
        d.decide_participation(&me.persona, who, status, ctx.now)
    })?;
    ctx.out.message(
        &format!("{who} is now {status}"),
        json!({"id": id, "participant": who, "status": status}),
    );
    Ok(())
}

fn comment_id(ctx: &Ctx, event: DocId, prefix: &str) -> Result<String> {
    let e = ctx.store.load(event)?.event()?;
    let found: Vec<_> = e
        .comments
        .iter()
        .filter(|c| c.id.starts_with(&prefix.to_ascii_lowercase()))
        .collect();
    match found.as_slice() {
        [one] => Ok(one.id.clone()),
        [] => bail!("no comment {prefix:?} on this event"),
        _ => bail!("{prefix:?} matches several comments; give more of the id"),
    }
}

fn bundle_cmd(ctx: &mut Ctx, cmd: BundleCmd) -> Result<()> {
    match cmd {
        BundleCmd::Export { ids, out } => {
            let ids: Vec<DocId> = ids
                .iter()
                .map(|i| ctx.store.resolve(i, None))
                .collect::<Result<_, _>>()?;
            let changes = ctx.store.export(&ids)?;
            let bytes = bundle::encode(&changes);
            std::fs::write(&out, &bytes).with_context(|| format!("writing {}", out.display()))?;
            ctx.out.message(
                &format!(
                    "Wrote {} changes ({} bytes) to {}",
                    changes.len(),
                    bytes.len(),
                    out.display()
                ),
                json!({"changes": changes.len(), "bytes": bytes.len(), "file": out}),
            );
        }
        BundleCmd::Import { file } => {
            let bytes =
                std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
            let changes =
                bundle::decode(&bytes).with_context(|| format!("reading {}", file.display()))?;
            let report = ctx.store.ingest(changes, ctx.now)?;
            if ctx.out.json {
                render::print_json(&report);
            } else {
                println!(
                    "{} new changes, {} already here, {} refused, {} waiting for earlier changes",
                    report.accepted, report.duplicates, report.rejected, report.pending
                );
                for r in &report.reasons {
                    eprintln!("refused: {r}");
                }
                for g in &report.joined {
                    println!("joined group {g}");
                }
            }
        }
    }
    Ok(())
}

fn store_cmd(ctx: &mut Ctx, cmd: StoreCmd) -> Result<()> {
    match cmd {
        StoreCmd::Reindex => {
            let n = ctx.store.rebuild_indexes()?;
            ctx.out.message(
                &format!("Rebuilt the indexes of {n} documents"),
                json!({"documents": n}),
            );
        }
        StoreCmd::Info => {
            let path = ctx.store.path().to_owned();
            let docs = ctx.store.doc_ids()?.len();
            let events = ctx.store.event_count()?;
            let personas = ctx.store.personas()?.len();
            ctx.out.message(
                &format!(
                    "{}\n{personas} personas, {docs} documents, {events} events",
                    path.display()
                ),
                json!({"path": path, "personas": personas, "documents": docs, "events": events}),
            );
        }
    }
    Ok(())
}
