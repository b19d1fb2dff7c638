//! `rally`: the headless client of the Rally engine.
//!
//! Every command opens the store in `--data`, does one thing through the engine
//! (which judges every change) and prints either text for people or, with `--json`,
//! one JSON document on stdout. Errors go to stderr with a non-zero exit code, and
//! leave the store as it was.

mod args;
mod feed;
mod maps;
mod moderation;
mod reminders;
mod render;

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, anyhow, bail};
use clap::Parser;
use rally_core::jiff::Timestamp;
use rally_core::{
    DocKind, GroupVisibility, InviteLimits, ParticipationStatus, PersonaId, Role, parse_civil,
};
use rally_service::discover::{DiscoverSearch, Near};
use rally_service::events::{EventEdit, EventFilter, EventSearch, NewEvent, Rsvp, optional_text};
use rally_service::groups::Joined;
use rally_service::occurrences::Scope;
use rally_service::pictures::PictureInput;
use rally_service::{Clock, Service, ServiceError};
use rally_store::BBox;
use serde_json::json;
use zeroize::Zeroizing;

use args::{
    BlobCmd, BundleCmd, Cli, Command, DiscoverArgs, EventCmd, EventFields, GroupCmd, MessageCmd,
    PersonaCmd, StoreCmd, SyncArgs, WipeArgs,
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

pub(crate) struct Ctx {
    pub(crate) svc: Service,
    pub(crate) out: Out,
}

type Passphrase = Option<Zeroizing<String>>;

/// The passphrases given: from standard input (`--passphrase-stdin`) and
/// from `RALLY_PASSPHRASE`.
fn passphrases(cli: &Cli) -> Result<(Passphrase, Passphrase)> {
    let stdin = if cli.passphrase_stdin {
        let mut line = Zeroizing::new(String::new());
        std::io::stdin()
            .read_line(&mut line)
            .context("reading the passphrase from standard input")?;
        let trimmed = Zeroizing::new(line.trim_end_matches(['\n', '\r']).to_owned());
        if trimmed.is_empty() {
            anyhow::bail!("the passphrase on standard input is empty");
        }
        Some(trimmed)
    } else {
        None
    };
    let env = std::env::var("RALLY_PASSPHRASE")
        .ok()
        .filter(|p| !p.is_empty())
        .map(Zeroizing::new);
    Ok((stdin, env))
}

/// Opens the device's store, encrypted at rest. `store encrypt` takes its new
/// passphrase from standard input and unlocks with `RALLY_PASSPHRASE`.
fn open(cli: &Cli, dir: &std::path::Path) -> Result<Service> {
    let (stdin, env) = passphrases(cli)?;
    let encrypt = matches!(cli.command, Command::Store(StoreCmd::Encrypt));
    let unlock = if encrypt {
        env.as_deref().or_else(|| {
            // A store not yet encrypted is sealed by the new one directly.
            let fresh = rally_store::at_rest::protection(dir, None).is_ok_and(|p| !p.encrypted());
            if fresh { stdin.as_deref() } else { None }
        })
    } else {
        stdin.as_deref().or(env.as_deref())
    };
    let (mut svc, _) = match Service::open_device(dir, unlock.map(String::as_str)) {
        Ok(opened) => opened,
        Err(e) if e.is_locked() && matches!(cli.command, Command::Store(StoreCmd::Info)) => {
            // Where the key is kept says something even while it is locked.
            let (protection, _) = rally_service::at_rest::keeping(dir)?;
            Out { json: cli.json }.message(
                &format!(
                    "{}\n{}\nLocked: give the passphrase (RALLY_PASSPHRASE or --passphrase-stdin) to see what it holds",
                    dir.join(rally_store::DB_FILE).display(),
                    protection_text(&protection)
                ),
                json!({"path": dir.join(rally_store::DB_FILE), "encrypted": protection.encrypted(), "key": protection, "locked": true}),
            );
            let _ = std::io::Write::flush(&mut std::io::stdout());
            std::process::exit(0);
        }
        Err(e) if e.needs_passphrase() => {
            bail!(
                "this store is locked by a passphrase: set RALLY_PASSPHRASE or pass --passphrase-stdin"
            )
        }
        Err(e) => return Err(e.into()),
    };
    if encrypt {
        let sealed_now = stdin.is_some() && unlock == stdin.as_deref();
        if !sealed_now {
            svc.protect(stdin.as_deref().map(String::as_str))?;
        }
    }
    Ok(svc)
}

fn run(cli: Cli) -> Result<()> {
    let dir = data_dir(&cli)?;
    // A wipe is decided before the store opens: it needs no passphrase.
    if let Command::Wipe(WipeArgs { yes }) = cli.command {
        return wipe_device(&cli, &dir, yes);
    }
    let mut svc = open(&cli, &dir)?;
    svc.act_as(cli.as_persona);
    // One run acts at one instant.
    svc.set_clock(Clock::Fixed(Timestamp::now()));
    let mut ctx = Ctx {
        svc,
        out: Out { json: cli.json },
    };
    match cli.command {
        Command::Persona(c) => persona(&mut ctx, c),
        Command::Group(c) => group(&mut ctx, c),
        Command::Event(c) => event(&mut ctx, c),
        Command::Message(c) => message(&mut ctx, c),
        Command::Bundle(c) => bundle_cmd(&mut ctx, c),
        Command::Store(c) => store_cmd(&mut ctx, c),
        Command::Sync(args) => sync_cmd(ctx, args),
        Command::Discover(args) => discover(&ctx, args),
        Command::Place(cmd) => maps::place(&ctx, cmd),
        Command::Map(cmd) => maps::map(&mut ctx, cmd),
        Command::Feed(args) => feed::feed(&ctx, args),
        Command::Reminders(cmd) => reminders::reminders(&mut ctx, cmd),
        Command::Report(args) => moderation::report(&mut ctx, args),
        Command::Wipe(_) => unreachable!("a wipe is handled before the store opens"),
        Command::Blob(BlobCmd::Export { hash, out }) => {
            let bytes = ctx.svc.blob(&hash)?;
            std::fs::write(&out, &bytes).with_context(|| format!("writing {}", out.display()))?;
            ctx.out.message(
                &format!("Wrote {} bytes to {}", bytes.len(), out.display()),
                json!({"hash": hash, "bytes": bytes.len(), "out": out}),
            );
            Ok(())
        }
    }
}

/// Panic wipe (`rally wipe --yes`), keys first, then the files: the store
/// opened if it can be; one nobody can open (no passphrase given) has its key
/// destroyed, then its files.
fn wipe_device(cli: &Cli, dir: &std::path::Path, yes: bool) -> Result<()> {
    if !yes {
        bail!(
            "this destroys every persona, key, group, event and message on this device, for good: run `rally wipe --yes`"
        );
    }
    let (stdin, env) = passphrases(cli)?;
    let given = stdin.as_deref().or(env.as_deref()).map(String::as_str);
    let wiped = match Service::open_device(dir, given) {
        Ok((mut svc, _)) => svc.wipe()?,
        Err(e) if e.is_locked() => Service::wipe_locked(dir)?,
        Err(e) => return Err(e.into()),
    };
    report_wiped(&Out { json: cli.json }, &wiped);
    Ok(())
}

fn report_wiped(out: &Out, dir: &std::path::Path) {
    out.message(
        &format!(
            "Wiped {}: the keys destroyed, then every file",
            dir.display()
        ),
        json!({"wiped": dir}),
    );
}

fn discover(ctx: &Ctx, args: DiscoverArgs) -> Result<()> {
    let near = args.near.map(|n| parse_near(&n)).transpose()?;
    let from = args
        .from
        .map(|d| -> Result<Timestamp> {
            let date: rally_core::jiff::civil::Date = d
                .parse()
                .with_context(|| format!("--from takes a date like 2027-05-01, got {d:?}"))?;
            Ok(rally_core::jiff::tz::TimeZone::system()
                .to_timestamp(date.to_datetime(rally_core::jiff::civil::Time::midnight()))?)
        })
        .transpose()?;
    let found = ctx.svc.discover(&DiscoverSearch {
        text: args.search,
        near,
        from,
        limit: args.limit,
    })?;
    ctx.out.found(&found);
    Ok(())
}

fn parse_near(text: &str) -> Result<Near> {
    let usage = "--near takes three numbers: LAT,LON,KM";
    let v: Vec<f64> = text
        .split(',')
        .map(|p| p.trim().parse::<f64>())
        .collect::<Result<_, _>>()
        .context(usage)?;
    let [latitude, longitude, km] = v[..] else {
        bail!(usage);
    };
    if !(-90.0..=90.0).contains(&latitude)
        || !(-180.0..=180.0).contains(&longitude)
        || !km.is_finite()
        || km <= 0.0
    {
        bail!("{usage} (latitude within -90..90, longitude within -180..180, a positive distance)");
    }
    Ok(Near {
        latitude,
        longitude,
        km,
    })
}

fn sync_cmd(ctx: Ctx, args: SyncArgs) -> Result<()> {
    use std::io::IsTerminal;
    use std::time::Duration;

    let me = ctx.svc.current_persona()?.ok_or(ServiceError::NoPersona)?;
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
    let max_frame = args.max_frame;
    if config.once && config.peers.is_empty() && config.servers.is_empty() && !mdns {
        bail!("--once needs a --peer or --server to sync with, or mDNS to find one");
    }
    let json = ctx.out.json;
    let name = me.name.clone();
    let store = ctx.svc.into_store();
    let store_file = store.path().to_owned();
    let data_dir = store_file
        .parent()
        .map(std::path::Path::to_owned)
        .unwrap_or_default();
    let repo = rally_store::SyncRepo::new(store, me);
    let policies_in = data_dir.clone();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let tty = std::io::stderr().is_terminal();
    let result = runtime.block_on(async move {
        let mut transport = rally_net::Transport::device(mdns);
        transport.limits.max_frame = max_frame;
        let mut node = rally_net::Node::new(repo, transport)?;
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
            rally_net::NodeEvent::Progress { docs_wanted, bytes_received, changes_received, .. } => {
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
    // A server's policy, the first time it is told (and when it changes).
    let mut store = rally_store::Store::open(&policies_in)?;
    for p in store.take_new_policies()? {
        eprintln!("\nThe rules of the server {}:\n", &p.server.to_hex()[..12]);
        eprintln!("{}", p.rules.trim());
        if !p.contact.is_empty() {
            eprintln!("\nIts admins: {}", p.contact);
        }
    }
    Ok(())
}

fn persona(ctx: &mut Ctx, cmd: PersonaCmd) -> Result<()> {
    match cmd {
        PersonaCmd::New { name } => {
            let p = ctx.svc.create_persona(&name)?;
            ctx.out.created("persona", &p.name, &p.id().to_hex());
        }
        PersonaCmd::List => {
            let personas = ctx.svc.personas()?;
            ctx.out.personas(&personas.list, personas.current);
        }
        PersonaCmd::Use { name } => {
            let p = ctx.svc.switch_persona(&name)?;
            ctx.out.message(
                &format!("Now acting as {}", p.name),
                json!({"persona": p.name, "id": p.id()}),
            );
        }
        PersonaCmd::Edit {
            name,
            avatar,
            avatar_alt,
            no_avatar,
        } => {
            let input = match (avatar, avatar_alt) {
                (Some(file), Some(alt)) => Some(PictureInput {
                    bytes: read_picture(&file)?,
                    alt,
                }),
                _ if no_avatar => None,
                _ => bail!("give --avatar FILE --avatar-alt TEXT, or --no-avatar"),
            };
            let picture = ctx.svc.set_persona_avatar(&name, input)?;
            ctx.out.message(
                "Persona updated",
                json!({"persona": name, "avatar": picture}),
            );
        }
    }
    Ok(())
}

fn message(ctx: &mut Ctx, cmd: MessageCmd) -> Result<()> {
    match cmd {
        MessageCmd::Send {
            group,
            text,
            reply_to,
        } => {
            let id = ctx.svc.send_message(&group, &text, reply_to.as_deref())?;
            let group = ctx.svc.resolve(&group, DocKind::Group)?;
            ctx.out.message(&id, json!({"id": id, "group": group}));
        }
        MessageCmd::List { group } => {
            let messages = ctx.svc.messages(&group)?;
            ctx.out.messages(&messages);
        }
        MessageCmd::Edit { group, id, text } => {
            let id = ctx.svc.edit_message(&group, &id, &text)?;
            ctx.out
                .message("Message edited", json!({"id": id, "edited": true}));
        }
        MessageCmd::Delete { group, id } => {
            let id = ctx.svc.delete_message(&group, &id)?;
            ctx.out
                .message("Message deleted", json!({"id": id, "deleted": true}));
        }
        MessageCmd::Older { group } => {
            let forgotten = ctx.svc.fetch_older(&group)?;
            ctx.out.message(
                &format!(
                    "{forgotten} older messages forgotten here come back with the next sync with a peer that keeps them"
                ),
                json!({"forgotten": forgotten, "fetching": true}),
            );
        }
    }
    Ok(())
}

fn group(ctx: &mut Ctx, cmd: GroupCmd) -> Result<()> {
    match cmd {
        cmd @ (GroupCmd::Ban { .. }
        | GroupCmd::Unban { .. }
        | GroupCmd::Unlist { .. }
        | GroupCmd::Relist { .. }
        | GroupCmd::Moderation { .. }
        | GroupCmd::Reports { .. }
        | GroupCmd::Request { .. }
        | GroupCmd::Approve { .. }
        | GroupCmd::Decline { .. }) => return moderation::group(ctx, cmd),
        GroupCmd::Create {
            name,
            members_only,
            summary,
        } => {
            let visibility = if members_only {
                GroupVisibility::MembersOnly
            } else {
                GroupVisibility::Public
            };
            let (id, profile) = ctx.svc.create_group(&name, &summary, visibility)?;
            ctx.out.created("group", &profile.name, &id.to_hex());
        }
        GroupCmd::List => {
            let groups = ctx.svc.groups()?;
            ctx.out.groups(&groups);
        }
        GroupCmd::Show { id } => {
            let page = ctx.svc.group(&id)?;
            ctx.out
                .group(page.id, &page.view, &page.events, page.handle.as_deref());
        }
        GroupCmd::Invite {
            id,
            single_use,
            expires_in,
        } => {
            let expires_at = expires_in
                .map(|days| ctx.svc.now().as_second() + i64::from(days.max(1)) * 24 * 3600);
            let invitation = ctx.svc.invite(
                &id,
                InviteLimits {
                    single_use,
                    expires_at,
                },
            )?;
            let text = invitation.token.encode();
            if ctx.out.json {
                render::print_json(
                    &json!({"token": text, "link": invitation.token.link(), "invite": invitation.token.invite_id(), "group": invitation.group}),
                );
            } else {
                println!("{text}");
                eprintln!(
                    "Share this token, or the link {} that opens the app on it, with the person you invite; it works until you revoke it{}{}.",
                    invitation.token.link(),
                    if single_use { ", for one person" } else { "" },
                    match expires_in {
                        Some(d) => format!(", for {} day(s)", d.max(1)),
                        None => String::new(),
                    }
                );
            }
        }
        GroupCmd::Revoke { id, invite } => {
            let revoked = ctx.svc.revoke_invitation(&id, &invite)?;
            ctx.out
                .message("Invitation revoked", json!({"revoked": revoked}));
        }
        GroupCmd::Join { token } => {
            let (token, joined) = ctx.svc.join_group(&token)?;
            let name = ctx
                .svc
                .current_persona()?
                .map(|p| p.name)
                .unwrap_or_default();
            match joined {
                Joined::Now => ctx.out.message(
                    &format!("{name} joined the group {}", token.group),
                    json!({"group": token.group, "joined": true}),
                ),
                Joined::WhenItArrives => ctx.out.message(
                    &format!("The group {} is not on this device yet; {name} will join it as soon as it arrives (sync or bundle import).", token.group),
                    json!({"group": token.group, "joined": false, "pending": true}),
                ),
            }
        }
        GroupCmd::Follow { id } => {
            let id = ctx.svc.follow_group(&id, true)?;
            ctx.out.message(
                "Following the group",
                json!({"group": id, "followed": true}),
            );
        }
        GroupCmd::Unfollow { id } => {
            let id = ctx.svc.follow_group(&id, false)?;
            ctx.out.message(
                "No longer following the group",
                json!({"group": id, "followed": false}),
            );
        }
        GroupCmd::Leave { id } => {
            let id = ctx.svc.leave_group(&id)?;
            ctx.out
                .message("You left the group", json!({"group": id, "left": true}));
        }
        GroupCmd::Add {
            id,
            persona,
            role,
            name,
        } => {
            let role: Role = role.parse()?;
            let who: PersonaId = persona.parse()?;
            ctx.svc.add_member(&id, who, &name, role)?;
            ctx.out.message(
                &format!("{who} added as {role}"),
                json!({"member": who, "role": role}),
            );
        }
        GroupCmd::Role { id, member, role } => {
            let role: Role = role.parse()?;
            let who = ctx.svc.set_role(&id, &member, role)?;
            ctx.out.message(
                &format!("{who} is now {role}"),
                json!({"member": who, "role": role}),
            );
        }
        GroupCmd::Remove { id, member } => {
            let who = ctx.svc.remove_member(&id, &member)?;
            ctx.out.message(
                &format!("{who} was removed"),
                json!({"member": who, "removed": true}),
            );
        }
        GroupCmd::ShareHistory { id, member } => {
            let (who, epochs) = ctx.svc.share_history(&id, &member)?;
            ctx.out.message(
                &format!("{who} can read the chat's history ({epochs} key epochs) once they sync"),
                json!({"member": who, "epochs": epochs}),
            );
        }
        GroupCmd::Link { id, title, url } => {
            let link = ctx.svc.put_link(&id, &title, &url)?;
            ctx.out
                .message(&format!("Link {link} saved"), json!({"link": link}));
        }
        GroupCmd::Unlink { id, link } => {
            ctx.svc.remove_link(&id, &link)?;
            ctx.out
                .message("Link removed", json!({"link": link, "removed": true}));
        }
        GroupCmd::Edit {
            id,
            name,
            summary,
            avatar,
            avatar_alt,
            no_avatar,
            disappearing,
        } => {
            let id = if name.is_none() && summary.is_none() {
                ctx.svc.resolve(&id, rally_core::DocKind::Group)?
            } else {
                ctx.svc
                    .edit_group(&id, name.as_deref(), summary.as_deref())?
            }
            .to_string();
            let mut out = json!({"group": id});
            if let (Some(file), Some(alt)) = (avatar, avatar_alt) {
                let bytes = read_picture(&file)?;
                out["avatar"] = json!(
                    ctx.svc
                        .set_group_avatar(&id, Some(PictureInput { bytes, alt }))?
                );
            } else if no_avatar {
                ctx.svc.set_group_avatar(&id, None)?;
                out["avatar"] = serde_json::Value::Null;
            }
            if let Some(args::Timer(timer)) = disappearing {
                ctx.svc.set_disappearing(&id, timer)?;
                out["disappearing"] = json!(timer.map(|t| t.label()));
            }
            ctx.out.message("Group updated", out);
        }
    }
    Ok(())
}

/// The flags given, as an edit: an empty value clears an optional field; on a new
/// event a capacity of 0 is refused, on an edit it removes the limit.
fn edit_from(f: EventFields, creating: bool) -> Result<EventEdit> {
    let civil = |what, text: &str| parse_civil(what, text);
    let mut tags = (!f.tags.is_empty()).then_some(f.tags);
    if f.no_tags {
        tags = Some(Vec::new());
    }
    Ok(EventEdit {
        title: f.title,
        description: f.description,
        starts: f.starts.as_deref().map(|s| civil("start", s)).transpose()?,
        ends: f
            .ends
            .map(|e| optional_text(&e).map(|e| civil("end", &e)).transpose())
            .transpose()?,
        time_zone: f.tz,
        place: f.place.map(|p| optional_text(&p)),
        address: f.address.map(|a| optional_text(&a)),
        coordinates: match (f.lat, f.lon, f.no_coordinates) {
            (_, _, true) => Some(None),
            (Some(lat), Some(lon), false) => Some(Some((lat, lon))),
            _ => None,
        },
        online: f.online.map(|o| optional_text(&o)),
        capacity: f.capacity.map(|c| {
            if creating {
                Some(c)
            } else {
                (c > 0).then_some(c)
            }
        }),
        join_mode: f.join_mode.map(|m| m.parse()).transpose()?,
        visibility: f.visibility.map(|v| v.parse()).transpose()?,
        status: f.status.map(|v| v.parse()).transpose()?,
        tags,
        repeat: f.repeat.map(|r| optional_text(&r)),
        repeat_until: f
            .until
            .map(|u| {
                u.trim()
                    .parse()
                    .map_err(|_| anyhow!("--until takes a date such as 2027-06-30, got {u:?}"))
            })
            .transpose()?,
        ..EventEdit::default()
    })
}

/// A day given to `--from`/`--to`, as the instant it starts (or, for `end`, the
/// last second of it) in `zone`; an RFC 3339 instant is taken as it is.
fn day_bound(text: &str, zone: &rally_core::jiff::tz::TimeZone, end: bool) -> Result<Timestamp> {
    if let Ok(t) = text.trim().parse::<Timestamp>() {
        return Ok(t);
    }
    let day: rally_core::jiff::civil::Date = text
        .trim()
        .parse()
        .map_err(|_| anyhow!("{text:?} is not a date such as 2027-05-14"))?;
    let at = if end {
        day.at(23, 59, 59, 0)
    } else {
        day.at(0, 0, 0, 0)
    };
    Ok(at.to_zoned_datetime(zone.clone())?.timestamp())
}

fn event(ctx: &mut Ctx, cmd: EventCmd) -> Result<()> {
    match cmd {
        EventCmd::Create { fields, group } => {
            if fields.title.is_none() {
                bail!("--title is required");
            }
            if fields.starts.is_none() {
                bail!("--starts is required (e.g. 2026-12-05T14:00)");
            }
            let fields = edit_from(fields, true)?;
            let title = fields.title.clone().unwrap_or_default();
            let id = ctx.svc.create_event(NewEvent { fields, group })?;
            ctx.out.created("event", title.trim(), &id.to_hex());
        }
        EventCmd::Edit {
            id,
            fields,
            banner,
            banner_alt,
            no_banner,
            route,
            no_route,
            point,
            clear_points,
            occurrence,
            following,
        } => {
            let mut edit = edit_from(fields, false)?;
            if let Some(occurrence) = occurrence {
                if banner.is_some()
                    || banner_alt.is_some()
                    || no_banner
                    || route.is_some()
                    || no_route
                    || !point.is_empty()
                    || clear_points
                {
                    bail!(
                        "--occurrence changes one occurrence's title, description, times, place, online link or status; edit the series for the rest"
                    );
                }
                let scope = if following {
                    Scope::Following
                } else {
                    Scope::This
                };
                let name = ctx.svc.edit_occurrence(&id, &occurrence, scope, edit)?;
                ctx.out.message(
                    "Occurrence updated",
                    json!({"id": ctx.svc.resolve(&id, rally_core::DocKind::Event)?, "occurrence": name, "following": following}),
                );
                return Ok(());
            }
            if let Some(file) = route {
                let text = std::fs::read_to_string(&file)
                    .with_context(|| format!("reading {}", file.display()))?;
                edit.route = Some(rally_mapfile::route_from_geojson(&text)?);
            } else if no_route {
                edit.route = Some(Vec::new());
            }
            edit.clear_points = clear_points;
            for triple in point.chunks(3) {
                let [label, lat, lon] = triple else {
                    bail!("--point takes LABEL LAT LON");
                };
                let number = |v: &str| -> Result<f64> {
                    v.parse()
                        .map_err(|_| anyhow!("{v:?} is not a latitude or longitude"))
                };
                edit.add_points.push((
                    label.clone(),
                    rally_core::march_map::LatLon {
                        lat: number(lat)?,
                        lon: number(lon)?,
                    },
                ));
            }
            let id = if edit == EventEdit::default() {
                ctx.svc.resolve(&id, rally_core::DocKind::Event)?
            } else {
                ctx.svc.edit_event(&id, edit)?
            };
            let id = id.to_string();
            let mut out = json!({"id": id, "updated": true});
            match (banner, banner_alt, no_banner) {
                (Some(file), Some(alt), _) => {
                    let bytes = read_picture(&file)?;
                    let picture = ctx
                        .svc
                        .set_event_banner(&id, Some(PictureInput { bytes, alt }))?;
                    out["banner"] = json!(picture);
                }
                (None, Some(alt), _) => {
                    out["banner"] = json!(ctx.svc.set_event_banner_alt(&id, &alt)?);
                }
                (_, _, true) => {
                    ctx.svc.set_event_banner(&id, None)?;
                    out["banner"] = serde_json::Value::Null;
                }
                _ => {}
            }
            ctx.out.message("Event updated", out);
        }
        EventCmd::Export {
            id,
            gpx,
            geojson: _,
            out,
        } => {
            let page = ctx.svc.event(&id)?;
            let d = &page.view.details;
            let text = if gpx {
                rally_mapfile::to_gpx(&d.title, &d.route, &d.points)?
            } else {
                rally_mapfile::to_geojson(&d.title, &d.route, &d.points)
            };
            match out {
                Some(file) => {
                    std::fs::write(&file, &text)
                        .with_context(|| format!("writing {}", file.display()))?;
                    ctx.out.message(
                        &format!("Wrote {}", file.display()),
                        json!({"out": file, "bytes": text.len()}),
                    );
                }
                None => println!("{text}"),
            }
        }
        EventCmd::Cancel {
            id,
            occurrence: Some(occurrence),
            following,
        } => {
            let scope = if following {
                Scope::Following
            } else {
                Scope::This
            };
            let name = ctx.svc.cancel_occurrence(&id, &occurrence, scope)?;
            ctx.out.message(
                "Occurrence cancelled",
                json!({"id": ctx.svc.resolve(&id, rally_core::DocKind::Event)?, "occurrence": name, "status": "cancelled", "following": following}),
            );
        }
        EventCmd::Cancel { id, .. } => {
            let id = ctx.svc.cancel_event(&id)?;
            ctx.out
                .message("Event cancelled", json!({"id": id, "status": "cancelled"}));
        }
        EventCmd::Occurrences {
            id,
            from,
            to,
            limit,
        } => {
            let zone = ctx.svc.event(&id)?.view.details.zone();
            let from = from.map(|f| day_bound(&f, &zone, false)).transpose()?;
            let to = to.map(|t| day_bound(&t, &zone, true)).transpose()?;
            let list = ctx.svc.occurrences(&id, from, to, limit)?;
            ctx.out.occurrences(&list, &zone);
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
            let bbox = bbox.map(|b| parse_bbox(&b)).transpose()?;
            let filter = match (mine, followed) {
                (_, true) => EventFilter::Followed,
                (true, false) => EventFilter::Mine,
                (false, false) => EventFilter::All,
            };
            let events = ctx.svc.events(&EventSearch {
                filter,
                upcoming,
                text: search,
                group,
                bbox,
                limit,
                after: None,
            })?;
            ctx.out.events(&events);
        }
        EventCmd::Show { id } => {
            let page = ctx.svc.event(&id)?;
            ctx.out.event(
                page.id,
                &page.view,
                page.group_name.as_deref(),
                page.url.as_deref(),
            );
        }
        EventCmd::Join { id, occurrence } => {
            let (id, status) = ctx.svc.rsvp_at(&id, occurrence.as_deref(), Rsvp::Join)?;
            let text = match status {
                Some(ParticipationStatus::Pending) => {
                    "Asked to join; an organiser must approve".to_owned()
                }
                Some(s) => format!("You are {s}"),
                None => "You left the event".to_owned(),
            };
            ctx.out.message(
                &text,
                json!({"id": id, "status": status, "occurrence": occurrence}),
            );
        }
        EventCmd::Interested { id, occurrence } => {
            let (id, _) = ctx
                .svc
                .rsvp_at(&id, occurrence.as_deref(), Rsvp::Interested)?;
            ctx.out.message(
                "Marked as interested",
                json!({"id": id, "status": "interested"}),
            );
        }
        EventCmd::Leave { id, occurrence } => {
            let (id, _) = ctx.svc.rsvp_at(&id, occurrence.as_deref(), Rsvp::Leave)?;
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
            let (id, who, name) = ctx.svc.add_organiser(&id, &persona, Some(&name))?;
            ctx.out.message(
                &format!("{name} is now an organiser"),
                json!({"id": id, "organiser": who}),
            );
        }
        EventCmd::Invite { id, persona } => {
            let (id, who) = ctx.svc.invite_to_event(&id, &persona)?;
            ctx.out
                .message("Invited", json!({"id": id, "invited": who}));
        }
        EventCmd::Comment { id, text, reply_to } => {
            let cid = ctx.svc.comment(&id, &text, reply_to.as_deref())?;
            ctx.out.created("comment", &text, &cid);
        }
        EventCmd::CommentEdit { id, comment, text } => {
            let cid = ctx.svc.edit_comment(&id, &comment, &text)?;
            let id = ctx.svc.resolve(&id, DocKind::Event)?;
            ctx.out
                .message("Comment edited", json!({"id": id, "comment": cid}));
        }
        EventCmd::CommentDelete { id, comment } => {
            let cid = ctx.svc.delete_comment(&id, &comment)?;
            let id = ctx.svc.resolve(&id, DocKind::Event)?;
            ctx.out.message(
                "Comment deleted",
                json!({"id": id, "comment": cid, "deleted": true}),
            );
        }
        EventCmd::CommentHide { id, comment, show } => {
            let cid = ctx.svc.hide_comment(&id, &comment, !show)?;
            let id = ctx.svc.resolve(&id, DocKind::Event)?;
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

fn parse_bbox(text: &str) -> Result<BBox> {
    let usage = "--bbox takes four numbers: MIN_LAT,MIN_LON,MAX_LAT,MAX_LON";
    let v: Vec<f64> = text
        .split(',')
        .map(|x| x.trim().parse::<f64>())
        .collect::<Result<_, _>>()
        .map_err(|_| anyhow!(usage))?;
    let [min_lat, min_lon, max_lat, max_lon] = v.as_slice() else {
        bail!(usage)
    };
    Ok(BBox {
        min_lat: *min_lat,
        min_lon: *min_lon,
        max_lat: *max_lat,
        max_lon: *max_lon,
    })
}

fn decide(ctx: &mut Ctx, id: &str, participant: &str, status: ParticipationStatus) -> Result<()> {
    let (id, who) = ctx.svc.decide(id, participant, status)?;
    ctx.out.message(
        &format!("{who} is now {status}"),
        json!({"id": id, "participant": who, "status": status}),
    );
    Ok(())
}

fn bundle_cmd(ctx: &mut Ctx, cmd: BundleCmd) -> Result<()> {
    match cmd {
        BundleCmd::Export { ids, out } => {
            let (bytes, changes) = ctx.svc.export_bundle(&ids)?;
            std::fs::write(&out, &bytes).with_context(|| format!("writing {}", out.display()))?;
            ctx.out.message(
                &format!(
                    "Wrote {changes} changes ({} bytes) to {}",
                    bytes.len(),
                    out.display()
                ),
                json!({"changes": changes, "bytes": bytes.len(), "file": out}),
            );
        }
        BundleCmd::Import { file } => {
            let bytes =
                std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
            let report = ctx
                .svc
                .import_bundle(&bytes)
                .with_context(|| format!("reading {}", file.display()))?;
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
            let n = ctx.svc.reindex()?;
            ctx.out.message(
                &format!("Rebuilt the indexes of {n} documents"),
                json!({"documents": n}),
            );
        }
        StoreCmd::Info => {
            let info = ctx.svc.store_info()?;
            ctx.out.message(
                &format!(
                    "{}\n{} personas, {} documents, {} events\n{}",
                    info.path.display(),
                    info.personas,
                    info.documents,
                    info.events,
                    protection_text(&info.protection)
                ),
                json!({"path": info.path, "personas": info.personas, "documents": info.documents, "events": info.events, "encrypted": info.protection.encrypted(), "key": info.protection, "keep_months": info.keep_months, "forgotten": info.forgotten}),
            );
        }
        StoreCmd::Encrypt => {
            let p = ctx.svc.protection()?;
            ctx.out.message(
                &protection_text(&p),
                json!({"encrypted": p.encrypted(), "key": p}),
            );
        }
        StoreCmd::Keep { months, all: _ } => {
            let forgot = ctx.svc.set_keep_months(months)?;
            let kept = months.map_or("every event".to_owned(), |m| {
                format!("the events of the last {m} months")
            });
            ctx.out.message(
                &format!(
                    "This device keeps {kept}; {} older events and {} older messages forgotten now",
                    forgot.events.len(),
                    forgot.messages
                ),
                json!({"keep_months": months, "forgotten": forgot.events, "forgotten_messages": forgot.messages}),
            );
        }
        StoreCmd::Forgotten => {
            let list = ctx.svc.forgotten()?;
            if ctx.out.json {
                render::print_json(&list);
            } else if list.is_empty() {
                println!("No forgotten events.");
            } else {
                for f in list {
                    println!("{}  ended {}", f.id, render::local(f.ended));
                }
            }
        }
        StoreCmd::Fetch { id } => {
            let id = ctx.svc.fetch_again(&id)?;
            ctx.out.message(
                &format!("{id} comes back with the next sync with a peer that keeps it"),
                json!({"id": id, "fetching": true}),
            );
        }
    }
    Ok(())
}

fn protection_text(p: &rally_store::at_rest::Protection) -> String {
    use rally_store::at_rest::Protection;
    match p {
        Protection::None => "Not encrypted".into(),
        Protection::Keystore { keystore } => format!("Encrypted; its key is kept in the {keystore}"),
        Protection::Passphrase => "Encrypted; its key is sealed by a passphrase".into(),
        Protection::File => "Encrypted, but its key lies beside it in store.key (this system has no keystore): seal it with a passphrase, `rally store encrypt --passphrase-stdin`".into(),
    }
}

/// A picture file's bytes; a file over the size a picture may have is refused
/// before it is read.
fn read_picture(file: &std::path::Path) -> Result<Vec<u8>> {
    let len = std::fs::metadata(file)
        .with_context(|| format!("reading {}", file.display()))?
        .len();
    if len > rally_picture::MAX_INPUT as u64 {
        return Err(rally_picture::PictureError::TooLarge(len as usize).into());
    }
    std::fs::read(file).with_context(|| format!("reading {}", file.display()))
}
