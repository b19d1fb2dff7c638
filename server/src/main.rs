//! The `rally-server` binary: runs the server, or administers its data directory.

mod moderation_admin;

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand};
use rally_core::PersonaId;
use rally_core::jiff::Timestamp;
use rally_core::protocol::FrameLimit;
use rally_server::registry::{Mode, Registry, SqlRegistry};
use rally_server::{ServerConfig, ServerEvent};

/// Rally's server: an always-on sync peer and relay for Rally devices.
#[derive(Debug, Parser)]
#[command(name = "rally-server", version)]
struct Cli {
    /// The server's data directory (created if missing).
    #[arg(long, env = "RALLY_SERVER_DATA", global = true)]
    data: Option<PathBuf>,
    /// Keep registrations and the federation's state (its delivery queue among
    /// them) in this PostgreSQL database (`postgres://user@host/name`), so
    /// several server processes, each with its own --data, serve one instance.
    /// Kept in the data directory for later runs and `admin` commands;
    /// `sqlite:DIR` goes back to the SQLite files (the default).
    #[arg(long, env = "RALLY_SERVER_DATABASE", value_name = "URL", global = true)]
    database: Option<String>,
    /// How long a delivery to a Fediverse inbox taken by this process stays
    /// its own: if the process dies, another on the same database makes it
    /// after this.
    #[arg(long, value_name = "SECONDS", default_value_t = rally_server::fedi::DELIVERY_LEASE.as_secs())]
    delivery_lease: u64,
    /// How the log on standard error is written: text (key=value) or json
    /// (one object per line).
    #[arg(long, value_enum, default_value = "text", global = true)]
    log_format: rally_server::logs::LogFormat,
    /// Serve HTTP on this address (port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:8080")]
    http: SocketAddr,
    /// Listen for Rally peers on this libp2p address (repeat for several; port 0
    /// picks a free port). Default: QUIC and TCP on port 4001.
    #[arg(long, value_name = "MULTIADDR")]
    p2p: Vec<String>,
    /// The URL people reach this server at (https; http only for localhost).
    #[arg(long, value_name = "URL")]
    public_url: Option<String>,
    /// Who may register: open, invite (default) or closed. Kept for later runs.
    #[arg(long, value_name = "MODE")]
    registrations: Option<String>,
    /// Spam caps: Joins, Follows and Creates one remote actor may send per hour.
    #[arg(long, value_name = "N", default_value_t = rally_server::fedi::budget::ActivityCaps::default().per_actor)]
    fedi_per_actor_hour: u32,
    /// Spam caps: the same for all the actors of one remote domain.
    #[arg(long, value_name = "N", default_value_t = rally_server::fedi::budget::ActivityCaps::default().per_domain)]
    fedi_per_domain_hour: u32,
    /// Spam caps: new events one persona syncing here may make per hour (past
    /// it, its sync is refused with the reason; its changes wait on its device).
    #[arg(long, value_name = "N", default_value_t = rally_core::moderation::caps::Caps::default().events)]
    cap_events_per_hour: u32,
    /// Spam caps: comments one persona may make per hour.
    #[arg(long, value_name = "N", default_value_t = rally_core::moderation::caps::Caps::default().comments)]
    cap_comments_per_hour: u32,
    /// Spam caps: joins one persona may make per hour.
    #[arg(long, value_name = "N", default_value_t = rally_core::moderation::caps::Caps::default().joins)]
    cap_joins_per_hour: u32,
    /// The largest sync frame, in bytes, the server sends or accepts (default and
    /// most 4194304). Devices syncing with it use the same `--max-frame`.
    #[arg(long, value_name = "BYTES", default_value_t = FrameLimit::default())]
    max_frame: FrameLimit,
    /// The geocoder devices search addresses through (the provider sees this
    /// server, not them): nominatim, photon, addok or pelias.
    #[arg(long, value_name = "PROVIDER")]
    geocoder: Option<rally_geocode::Provider>,
    /// The geocoder's address (default for nominatim: the public
    /// https://nominatim.openstreetmap.org, at most one request a second).
    #[arg(long, value_name = "URL", requires = "geocoder")]
    geocoder_url: Option<String>,
    /// The tile server devices' maps use through this server (the provider sees
    /// this server, not them): a URL with {z}, {x} and {y}.
    #[arg(long, value_name = "URL-TEMPLATE")]
    tiles: Option<String>,
    /// The credit the tile provider's terms require under every map.
    #[arg(
        long,
        value_name = "TEXT",
        requires = "tiles",
        default_value = "© OpenStreetMap contributors"
    )]
    tiles_attribution: String,
    /// The deepest zoom the tile provider serves.
    #[arg(long, value_name = "Z", requires = "tiles", default_value_t = 19)]
    tiles_max_zoom: u8,
    /// Let devices keep a march's area offline: only for a tile provider whose
    /// terms allow it (public OpenStreetMap tiles forbid bulk downloads).
    #[arg(long, requires = "tiles")]
    tiles_keep: bool,
    /// Serve this file as `/robots.txt` instead of the default (which allows
    /// the public pages and keeps crawlers off the admin page).
    #[arg(long, value_name = "FILE")]
    robots: Option<std::path::PathBuf>,
    /// The instance's rules (a Markdown file), shown on its about page.
    #[arg(long, value_name = "FILE")]
    rules: Option<std::path::PathBuf>,
    /// How to reach the admins (an email address, a URL or a Fediverse
    /// handle), shown on the about page.
    #[arg(long, value_name = "TEXT")]
    contact: Option<String>,
    /// An admin's name or handle, shown on the about page (repeatable).
    #[arg(long = "admin", value_name = "NAME")]
    admins: Vec<String>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Administer the server (works while it runs).
    #[command(subcommand)]
    Admin(Admin),
    /// Copy a server's registry and federation state from its SQLite files
    /// into an empty PostgreSQL database, check every table by its count and
    /// a checksum, and make the data directory use PostgreSQL from then on
    /// (stop the server first; its documents stay in the directory's store).
    Migrate {
        /// The data directory: sqlite:DIR.
        #[arg(long, value_name = "sqlite:DIR")]
        from: String,
        /// The PostgreSQL database: postgres://user@host/name.
        #[arg(long, value_name = "URL")]
        to: String,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum Admin {
    /// Show the registration mode, or set it: open, invite or closed.
    Registrations { mode: Option<String> },
    /// Make an invitation code.
    Invite {
        /// How many personas may register with it.
        #[arg(long, default_value_t = 1)]
        uses: u32,
    },
    /// List invitation codes.
    Invites,
    /// Revoke an invitation code.
    Revoke { code: String },
    /// List registered personas.
    Registered,
    /// Remove a persona's registration (it may register again only as the mode allows).
    Unregister { persona: String },
    /// Instances this one follows and that follow it (Fediverse).
    #[command(subcommand)]
    Instances(Instances),
    /// Make a new token for the admin web page (/admin); the previous one stops working.
    Token,
    /// The reports queue: from the Fediverse (Flag) and from devices.
    #[command(subcommand)]
    Reports(moderation_admin::Reports),
    /// Suspend a persona: refused when it syncs, nothing it wrote published
    /// (its published events are withdrawn from the Fediverse).
    Suspend {
        persona: String,
        #[arg(long)]
        note: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Lift a suspension.
    Unsuspend {
        persona: String,
        #[arg(long)]
        json: bool,
    },
    /// The instance's rules and contact (Markdown), shown on the about page, in
    /// NodeInfo and to devices as they register.
    #[command(subcommand)]
    Policy(moderation_admin::Policy),
    /// What the admins did: hidden content, suspensions, dismissed and
    /// forwarded reports.
    Log {
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
enum Instances {
    /// List instances: whether we follow them and whether they follow us.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Follow an instance (by domain, e.g. mobilizon.example) or one of its
    /// groups (by handle, e.g. climate@mobilizon.example): their public events
    /// become read-only copies every device syncing here can browse and join.
    Follow { domain: String },
    /// Stop following an instance (domain or actor URL).
    Unfollow { instance: String },
    /// Accept an instance that asked to follow this one (domain or actor URL).
    Accept { instance: String },
    /// Reject an instance that asked to follow this one (domain or actor URL).
    Reject { instance: String },
    /// Refuse everything from a domain and its subdomains.
    Block { domain: String },
    /// Stop refusing a domain.
    Unblock { domain: String },
    /// List blocked domains and actors.
    Blocked,
    /// Refuse everything from one remote actor (its URL); its domain stays welcome.
    BlockActor { actor: String },
    /// Stop refusing an actor.
    UnblockActor { actor: String },
}

fn main() {
    if let Err(e) = real_main() {
        eprintln!("error: {e:#}");
        std::process::exit(1);
    }
}

fn real_main() -> Result<()> {
    let cli = Cli::parse();
    rally_server::logs::init(cli.log_format);
    if let Some(Command::Migrate { from, to, json }) = &cli.command {
        return migrate(from, to, *json);
    }
    let Some(data) = cli.data.clone() else {
        bail!("give the data directory with --data DIR (or RALLY_SERVER_DATA)");
    };
    if let Some(url) = &cli.database {
        rally_server::db::Database::parse(Some(url), &data)?.remember(&data)?;
    }
    match cli.command {
        Some(Command::Admin(cmd)) => admin(&data, cmd),
        Some(Command::Migrate { .. }) => unreachable!("handled above"),
        None => serve(cli, data),
    }
}

fn migrate(from: &str, to: &str, json: bool) -> Result<()> {
    use rally_server::db::{Database, copy, migrations::Store};
    use rally_server::fedi::db::FEDI_FILE;
    use rally_server::journal::{Checksum, Journal};
    use rally_server::registry::REGISTRY_FILE;
    let dir = PathBuf::from(
        from.strip_prefix("sqlite:")
            .context("--from names the server's data directory as sqlite:DIR")?,
    );
    if !dir.join(REGISTRY_FILE).exists() {
        bail!("{} holds no Rally server on SQLite", dir.display());
    }
    let source = Database::Sqlite(dir.clone());
    let target = Database::parse(Some(to), &dir)?;
    if !target.is_postgres() {
        bail!("--to names a PostgreSQL database (postgres://…)");
    }
    // The node's key stays the same: devices reach the server by its peer id.
    let key = SqlRegistry::open_in(&source, &dir)?.transport_key()?;
    // The documents go into the shared journal (see `journal.rs`), as this
    // process' own: checked empty first, like every other table.
    let mut store = rally_store::Store::open(&dir)?;
    let me = store
        .persona(rally_server::SERVER_PERSONA)?
        .context("the server's store holds no server persona")?;
    let journal = Journal::open(&target, &me.id())?;
    if !journal.is_empty()? {
        bail!("the target's journal already holds documents: copy into an empty database");
    }
    let mut report = serde_json::Map::new();
    for (file, store) in [(REGISTRY_FILE, Store::Registry), (FEDI_FILE, Store::Fedi)] {
        if !dir.join(file).exists() {
            continue;
        }
        let from = source.open(file, store)?;
        let to = target.open(file, store)?;
        let copied = copy::copy(&from, &to).with_context(|| format!("copying {file}"))?;
        if !json {
            for c in &copied {
                println!(
                    "{}.{}: {} rows, checksum {}",
                    store.name(),
                    c.table,
                    c.rows,
                    c.checksum
                );
            }
        }
        report.insert(store.name().to_owned(), serde_json::to_value(&copied)?);
    }
    // Everything the store holds is listed (and what its relay learned from
    // its peers), then copied, then read back from both sides and compared.
    // Listed afresh (a migrate stopped half way leaves its lists behind).
    store.stop_sharing_through_journal()?;
    store.share_through_journal()?;
    let listed = Checksum::of_outbox(&store)?;
    let facts = store.relay_facts_after(0, usize::MAX)?.1.len() as u64;
    journal.publish(&store)?;
    journal.mark_all_taken()?;
    let (count, sum) = listed.finish();
    let (there, there_sum) = journal.checksum()?.finish();
    if (count, &sum) != (there, &there_sum) {
        bail!(
            "the documents differ after the copy: {count} changes and pictures (checksum {sum}) here, {there} ({there_sum}) in PostgreSQL"
        );
    }
    let facts_there = journal.facts()?;
    if facts != facts_there {
        bail!("the relay's facts differ after the copy: {facts} here, {facts_there} in PostgreSQL");
    }
    let copied = vec![
        copy::Copied {
            table: "entries".into(),
            rows: count,
            checksum: sum,
        },
        copy::Copied {
            table: "relay_facts".into(),
            rows: facts,
            checksum: String::new(),
        },
    ];
    if !json {
        for c in &copied {
            println!(
                "journal.{}: {} rows, checksum {}",
                c.table, c.rows, c.checksum
            );
        }
    }
    report.insert("journal".into(), serde_json::to_value(&copied)?);
    if !key.is_empty() {
        SqlRegistry::open_in(&target, &dir)?.set_transport_key(&key)?;
    }
    target.remember(&dir)?;
    if json {
        println!("{}", serde_json::Value::Object(report));
    } else {
        println!(
            "{} now keeps its registry, federation state and documents in PostgreSQL; start the server on it as before",
            dir.display()
        );
    }
    Ok(())
}

fn parse_mode(mode: &str) -> Result<Mode> {
    Ok(mode.parse::<Mode>()?)
}

fn admin(data: &std::path::Path, cmd: Admin) -> Result<()> {
    if !data.join(rally_server::registry::REGISTRY_FILE).exists()
        && !data.join(rally_server::db::DATABASE_FILE).exists()
    {
        bail!(
            "{} holds no Rally server (start one there first)",
            data.display()
        );
    }
    let cmd = match cmd {
        Admin::Instances(cmd) => return instances(data, cmd),
        cmd @ (Admin::Reports(_)
        | Admin::Suspend { .. }
        | Admin::Unsuspend { .. }
        | Admin::Policy(_)
        | Admin::Log { .. }) => return moderation_admin::run(data, cmd),
        cmd => cmd,
    };
    let mut registry = SqlRegistry::open(data)?;
    match cmd {
        Admin::Instances(_)
        | Admin::Reports(_)
        | Admin::Suspend { .. }
        | Admin::Unsuspend { .. }
        | Admin::Policy(_)
        | Admin::Log { .. } => unreachable!("handled above"),
        Admin::Token => {
            let token = rally_server::admin::new_token(&mut registry)?;
            println!("{token}");
            eprintln!("Sign in at /admin on this server's HTTP address with this token.");
        }
        Admin::Registrations { mode: None } => println!("{}", registry.mode()?),
        Admin::Registrations { mode: Some(m) } => {
            let mode = parse_mode(&m)?;
            registry.set_mode(mode)?;
            println!("registrations: {mode}");
        }
        Admin::Invite { uses } => {
            if uses == 0 {
                bail!("--uses must be at least 1");
            }
            let invite = registry.create_invite(uses, Timestamp::now())?;
            println!("{}", invite.code);
        }
        Admin::Invites => {
            for i in registry.invites()? {
                let state = if i.revoked {
                    "revoked".to_owned()
                } else {
                    format!("{} uses left", i.uses_left)
                };
                println!("{}  {state}  made {}", i.code, i.created_at);
            }
        }
        Admin::Revoke { code } => {
            if !registry.revoke_invite(&code)? {
                bail!("no active invitation {code:?}");
            }
            println!("revoked");
        }
        Admin::Registered => {
            for r in registry.registrations()? {
                println!("{}  since {}", r.persona, r.registered_at);
            }
        }
        Admin::Unregister { persona } => {
            let id: PersonaId = persona
                .parse()
                .with_context(|| format!("{persona:?} is not a persona id (64 hex digits)"))?;
            if !registry.remove_registration(&id)? {
                bail!("{persona} is not registered");
            }
            println!("unregistered");
        }
    }
    Ok(())
}

/// The federation of the server in `data` (as it last ran), and a runtime for
/// an admin command to act on it while the server runs.
pub(crate) fn fedi_of(
    data: &std::path::Path,
) -> Result<(rally_server::fedi::Fedi, tokio::runtime::Runtime)> {
    use rally_server::fedi;
    let url = fedi::db::FediDb::open(data)?
        .public_url()?
        .context("this server has not federated yet: start it with --public-url first")?;
    let fedi = fedi::Fedi::open(data, &url)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    Ok((fedi, runtime))
}

fn instances(data: &std::path::Path, cmd: Instances) -> Result<()> {
    use rally_server::fedi::instances;
    let (fedi, runtime) = fedi_of(data)?;
    runtime.block_on(async {
        match cmd {
            Instances::List { json } => {
                let list = instances::list(&fedi).await?;
                if json {
                    println!("{}", serde_json::to_string_pretty(&list)?);
                } else if list.is_empty() {
                    println!("no instances");
                } else {
                    for i in list {
                        println!(
                            "{}  we follow: {}  they follow: {}  ({})",
                            i.domain,
                            i.we_follow.as_deref().unwrap_or("no"),
                            i.they_follow.as_deref().unwrap_or("no"),
                            i.actor
                        );
                    }
                }
            }
            Instances::Follow { domain } => {
                let actor = instances::follow(&fedi, &domain).await?;
                println!("asked to follow {} (pending until it accepts)", actor.id);
            }
            Instances::Unfollow { instance } => {
                instances::unfollow(&fedi, &instance).await?;
                println!("unfollowed");
            }
            Instances::Accept { instance } => {
                instances::answer(&fedi, &instance, true).await?;
                println!("accepted");
            }
            Instances::Reject { instance } => {
                instances::answer(&fedi, &instance, false).await?;
                println!("rejected");
            }
            Instances::Block { domain } => {
                println!("blocked {}", instances::block(&fedi, &domain).await?);
            }
            Instances::Unblock { domain } => {
                if !instances::unblock(&fedi, &domain).await? {
                    bail!("{domain} was not blocked");
                }
                println!("unblocked");
            }
            Instances::Blocked => {
                for d in instances::blocked(&fedi).await? {
                    println!("{d}");
                }
                for a in instances::blocked_actors(&fedi).await? {
                    println!("actor {a}");
                }
            }
            Instances::BlockActor { actor } => {
                println!("blocked {}", instances::block_actor(&fedi, &actor).await?);
            }
            Instances::UnblockActor { actor } => {
                if !instances::unblock_actor(&fedi, &actor).await? {
                    bail!("{actor} was not blocked");
                }
                println!("unblocked");
            }
        }
        anyhow::Ok(())
    })
}

fn serve(cli: Cli, data: PathBuf) -> Result<()> {
    let p2p = if cli.p2p.is_empty() {
        vec![
            "/ip4/0.0.0.0/udp/4001/quic-v1".to_owned(),
            "/ip4/0.0.0.0/tcp/4001".to_owned(),
        ]
    } else {
        cli.p2p.clone()
    };
    let p2p = p2p
        .iter()
        .map(|a| {
            a.parse().with_context(|| {
                format!("{a:?} is not a multiaddr (e.g. /ip4/0.0.0.0/udp/4001/quic-v1)")
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let config = ServerConfig {
        data,
        http: cli.http,
        p2p,
        public_url: cli.public_url.clone(),
        registrations: cli.registrations.as_deref().map(parse_mode).transpose()?,
        fedi_caps: rally_server::fedi::budget::ActivityCaps {
            per_actor: cli.fedi_per_actor_hour,
            per_domain: cli.fedi_per_domain_hour,
        },
        persona_caps: rally_core::moderation::caps::Caps {
            events: cli.cap_events_per_hour,
            comments: cli.cap_comments_per_hour,
            joins: cli.cap_joins_per_hour,
        },
        max_frame: cli.max_frame,
        delivery_lease: std::time::Duration::from_secs(cli.delivery_lease),
        geocoder: match (cli.geocoder, cli.geocoder_url.clone()) {
            (Some(p), Some(url)) => Some((p, url)),
            (Some(rally_geocode::Provider::Nominatim), None) => Some((
                rally_geocode::Provider::Nominatim,
                "https://nominatim.openstreetmap.org".to_owned(),
            )),
            (Some(p), None) => bail!("--geocoder {} needs --geocoder-url", p.name()),
            (None, _) => None,
        },
        robots: match &cli.robots {
            Some(path) => Some(
                std::fs::read_to_string(path)
                    .with_context(|| format!("reading {}", path.display()))?,
            ),
            None => None,
        },
        about: rally_server::about::About {
            rules: match &cli.rules {
                Some(path) => Some(
                    std::fs::read_to_string(path)
                        .with_context(|| format!("reading {}", path.display()))?,
                ),
                None => None,
            },
            contact: cli.contact.clone(),
            admins: cli.admins.clone(),
        },
        tiles: cli
            .tiles
            .clone()
            .map(|template| rally_server::tiles::TileConfig {
                template,
                attribution: cli.tiles_attribution.clone(),
                max_zoom: cli.tiles_max_zoom,
                keep: cli.tiles_keep,
            }),
    };
    // HTTP, the federation's inbox, publisher and deliveries share two workers;
    // the sync node runs on a thread of its own (see `rally_server::run`), and so
    // do the federation's and the pages' SQLite connections (`rally-fedi`,
    // `rally-registry`), which the workers await.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("rally-server")
        .enable_all()
        .build()?;
    // The SIGTERM handler is installed inside the runtime, before anything is printed.
    runtime.block_on(async {
        rally_server::run(config, rally_net::shutdown_signal(), |event| {
            let mut out = std::io::stdout();
            match event {
                ServerEvent::Http(url) => {
                    tracing::info!(http = %url, "serving HTTP");
                    let _ = writeln!(out, "http {url}").and_then(|()| out.flush());
                }
                ServerEvent::P2p(addr) => {
                    tracing::info!(p2p = %addr, "listening for peers");
                    let _ = writeln!(out, "p2p {addr}").and_then(|()| out.flush());
                }
                ServerEvent::Dropped { peer, reason } => {
                    tracing::warn!(peer = %peer, reason = %reason, "dropped a peer");
                }
                ServerEvent::Refused { peer, reason } => {
                    tracing::info!(peer = %peer, reason = %reason, "refused a peer");
                }
            }
        })
        .await
    })?;
    tracing::info!("stopped");
    Ok(())
}
