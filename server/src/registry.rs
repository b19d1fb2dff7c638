//! Who may sync with the server: the registration mode the admin chose, the
//! invitation codes, the registered personas, and the server's transport key.
//!
//! [`Registry`] is the storage interface (one implementation, [`SqlRegistry`], on
//! SQLite or PostgreSQL through [`crate::db`]); [`admit`] is the policy on top,
//! the same whatever the backend. A persona registers by proving its key in the
//! sync handshake (see `rally_core::protocol`), presenting an invitation code when
//! the mode asks for one. The mode is read on every admission, so changing it with
//! `rally-server admin` takes effect while the server runs.

use std::path::{Path, PathBuf};
use std::str::FromStr;

use crate::db::{Conn, Database, SqlError, migrations::Store};
use crate::vals;
use rally_core::PersonaId;
use rally_core::jiff::Timestamp;
use rally_core::protocol::Admission;
use serde::Serialize;

pub const REGISTRY_FILE: &str = "server.db";

/// Whether new personas may register.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Any persona that proves its key.
    Open,
    /// Only with an invitation code from the admin.
    Invite,
    /// Nobody new; registered personas keep syncing.
    Closed,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Open => "open",
            Mode::Invite => "invite",
            Mode::Closed => "closed",
        }
    }
}

impl FromStr for Mode {
    type Err = RegistryError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "open" => Ok(Mode::Open),
            "invite" => Ok(Mode::Invite),
            "closed" => Ok(Mode::Closed),
            other => Err(RegistryError::BadMode(other.to_owned())),
        }
    }
}

impl std::fmt::Display for Mode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    #[error("{0:?} is not a registration mode (open, invite or closed)")]
    BadMode(String),
    #[error("cannot use the data directory {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} is not a Rally server file (not an SQLite database, or damaged)")]
    NotADatabase { path: PathBuf },
    #[error("database error while {context}: {source}")]
    Db {
        context: &'static str,
        source: SqlError,
    },
}

trait Ctx<T> {
    fn ctx(self, context: &'static str) -> Result<T, RegistryError>;
}

impl<T> Ctx<T> for Result<T, SqlError> {
    fn ctx(self, context: &'static str) -> Result<T, RegistryError> {
        self.map_err(|source| RegistryError::Db { context, source })
    }
}

/// An invitation code and what is left of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Invite {
    pub code: String,
    pub uses_left: u32,
    pub created_at: String,
    pub revoked: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Registered {
    pub persona: String,
    pub registered_at: String,
}

/// The storage of registrations.
pub trait Registry: Send + std::fmt::Debug {
    fn mode(&self) -> Result<Mode, RegistryError>;
    fn set_mode(&mut self, mode: Mode) -> Result<(), RegistryError>;
    fn is_registered(&self, persona: &PersonaId) -> Result<bool, RegistryError>;
    fn add_registration(
        &mut self,
        persona: &PersonaId,
        now: Timestamp,
    ) -> Result<(), RegistryError>;
    fn remove_registration(&mut self, persona: &PersonaId) -> Result<bool, RegistryError>;
    fn registrations(&self) -> Result<Vec<Registered>, RegistryError>;
    fn create_invite(&mut self, uses: u32, now: Timestamp) -> Result<Invite, RegistryError>;
    /// Uses the code once; `false` when it is unknown, used up or revoked.
    fn consume_invite(&mut self, code: &str) -> Result<bool, RegistryError>;
    fn revoke_invite(&mut self, code: &str) -> Result<bool, RegistryError>;
    fn invites(&self) -> Result<Vec<Invite>, RegistryError>;
    /// The server's libp2p key (protobuf encoding), made on first use: its peer id
    /// stays the same across restarts, so the addresses given to users keep working.
    fn transport_key(&mut self) -> Result<Vec<u8>, RegistryError>;
    /// Stores the key made by the caller when [`Registry::transport_key`] had none.
    fn set_transport_key(&mut self, key: &[u8]) -> Result<(), RegistryError>;
    /// The SHA-256 of the admin page's token, once one was made.
    fn admin_token_hash(&self) -> Result<Option<Vec<u8>>, RegistryError>;
    /// Sets the admin token's hash; every admin session ends (a new token signs
    /// everyone out).
    fn set_admin_token_hash(&mut self, hash: &[u8]) -> Result<(), RegistryError>;
    /// Keeps an admin session (the SHA-256 of its random id) until `expires_at`.
    fn add_admin_session(&mut self, hash: &[u8], expires_at: i64) -> Result<(), RegistryError>;
    /// Whether a session is open at `now` (expired ones are forgotten).
    fn admin_session_open(&mut self, hash: &[u8], now: i64) -> Result<bool, RegistryError>;
    fn end_admin_session(&mut self, hash: &[u8]) -> Result<(), RegistryError>;
    /// Suspends a persona registered here (or not yet): it is refused at
    /// admission, and nothing it wrote is published (see `fedi::moderation`);
    /// `false` when it already was.
    fn suspend(&mut self, persona: &PersonaId, now: Timestamp) -> Result<bool, RegistryError>;
    fn unsuspend(&mut self, persona: &PersonaId) -> Result<bool, RegistryError>;
    fn is_suspended(&self, persona: &PersonaId) -> Result<bool, RegistryError>;
    /// Every suspended persona, with when.
    fn suspended(&self) -> Result<Vec<(PersonaId, i64)>, RegistryError>;
    /// The instance's policy as the admins set it (`admin policy set`):
    /// its rules in Markdown, and how to reach the admins.
    fn policy(&self) -> Result<Policy, RegistryError>;
    fn set_policy(&mut self, policy: &Policy) -> Result<(), RegistryError>;
    /// Records where this process' sync node listens (several processes on
    /// one PostgreSQL database: each finds the others there and syncs with
    /// them, see [`crate::siblings`]).
    fn announce_node(
        &mut self,
        persona: &PersonaId,
        addrs: &[String],
        now: Timestamp,
    ) -> Result<(), RegistryError>;
    /// The processes that announced themselves.
    fn nodes(&self) -> Result<Vec<Node>, RegistryError>;
    /// Whether `persona` is one of them (a sibling process).
    fn is_node(&self, persona: &PersonaId) -> Result<bool, RegistryError>;
}

/// A server process that shares the database.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Node {
    pub persona: PersonaId,
    pub addrs: Vec<String>,
    pub seen_at: i64,
}

/// The instance's rules and contact.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Policy {
    pub rules: Option<String>,
    pub contact: Option<String>,
}

/// Decides whether `persona`, which proved its key, may sync; registers it when
/// the mode lets it in.
pub fn admit(
    registry: &mut dyn Registry,
    persona: &PersonaId,
    invite: Option<&str>,
    now: Timestamp,
) -> Result<Admission, RegistryError> {
    if registry.is_suspended(persona)? {
        return Ok(Admission::Refused(
            "this server's admins suspended this persona: it no longer syncs here".into(),
        ));
    }
    if registry.is_registered(persona)? {
        return Ok(Admission::Admitted);
    }
    let mode = registry.mode()?;
    let admitted = match mode {
        Mode::Open => true,
        Mode::Closed => {
            return Ok(Admission::Refused(
                "this server does not accept new registrations".into(),
            ));
        }
        Mode::Invite => match invite {
            None => {
                return Ok(Admission::Refused(
                    "this server registers new personas by invitation: ask its admin for a code and pass it with --invite".into(),
                ));
            }
            Some(code) => registry.consume_invite(code)?,
        },
    };
    if !admitted {
        return Ok(Admission::Refused(
            "the invitation code is not valid (unknown, used up or revoked)".into(),
        ));
    }
    registry.add_registration(persona, now)?;
    Ok(Admission::Admitted)
}

/// Codes are shown in groups of four; case, spaces and dashes do not matter.
pub fn normalise_code(code: &str) -> String {
    code.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

fn new_code() -> String {
    let bytes: [u8; 12] = rally_core::ids::random_bytes();
    let hex = hex::encode(bytes);
    hex.as_bytes()
        .chunks(4)
        .map(|c| std::str::from_utf8(c).expect("hex is ASCII"))
        .collect::<Vec<_>>()
        .join("-")
}

/// The registry: `server.db` in the data directory, or the `registry` schema
/// of the PostgreSQL database (see [`crate::db`]).
#[derive(Debug)]
pub struct SqlRegistry {
    conn: Conn,
    /// On PostgreSQL, where this process keeps its own transport key: each
    /// process sharing the database is a peer of its own, with its own peer id.
    node_key: Option<PathBuf>,
}

fn time_text(seconds: i64) -> String {
    Timestamp::from_second(seconds)
        .map(|t| t.to_string())
        .unwrap_or_default()
}

/// The file a process on a shared database keeps its transport key in.
pub const NODE_KEY_FILE: &str = "node.key";

impl SqlRegistry {
    /// The registry of the server whose data directory is `dir` (see
    /// [`Database::for_data`]).
    pub fn open(dir: &Path) -> Result<Self, RegistryError> {
        let database = Database::for_data(dir).map_err(|source| RegistryError::Db {
            context: "finding the database",
            source,
        })?;
        Self::open_in(&database, dir)
    }

    /// The registry in `database`; `data` is this process' own directory.
    pub fn open_in(database: &Database, data: &Path) -> Result<Self, RegistryError> {
        let path = match database {
            Database::Sqlite(dir) => dir.join(REGISTRY_FILE),
            Database::Postgres(_) => data.join(NODE_KEY_FILE),
        };
        let io = |source| RegistryError::Io {
            path: path.clone(),
            source,
        };
        std::fs::create_dir_all(data).map_err(io)?;
        if let Database::Sqlite(dir) = database {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        let conn = database.open(REGISTRY_FILE, Store::Registry).map_err(|e| {
            if e.is_not_a_database() {
                RegistryError::NotADatabase { path: path.clone() }
            } else {
                RegistryError::Db {
                    context: "opening the registry",
                    source: e,
                }
            }
        })?;
        #[cfg(unix)]
        if !database.is_postgres() {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).map_err(io)?;
        }
        Ok(SqlRegistry {
            conn,
            node_key: database.is_postgres().then_some(path),
        })
    }

    /// Whether the registry is on a database other processes may share.
    pub fn is_shared(&self) -> bool {
        self.node_key.is_some()
    }

    fn setting(&self, key: &str) -> Result<Option<Vec<u8>>, RegistryError> {
        self.conn
            .one("SELECT value FROM settings WHERE key = ?1", vals![key])
            .ctx("reading a setting")
    }

    fn set_setting(&self, key: &str, value: &[u8]) -> Result<(), RegistryError> {
        self.conn
            .exec(
                "INSERT INTO settings (key, value) VALUES (?1, ?2)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                vals![key, value],
            )
            .ctx("writing a setting")?;
        Ok(())
    }

    fn count(
        &self,
        sql: &str,
        persona: &PersonaId,
        context: &'static str,
    ) -> Result<bool, RegistryError> {
        let n: i64 = self
            .conn
            .one(sql, vals![&persona.0])
            .ctx(context)?
            .unwrap_or(0);
        Ok(n > 0)
    }
}

impl Registry for SqlRegistry {
    fn announce_node(
        &mut self,
        persona: &PersonaId,
        addrs: &[String],
        now: Timestamp,
    ) -> Result<(), RegistryError> {
        self.conn
            .exec(
                "INSERT INTO nodes (persona, addrs, seen_at) VALUES (?1, ?2, ?3)
                 ON CONFLICT (persona) DO UPDATE SET addrs = excluded.addrs, seen_at = excluded.seen_at",
                vals![&persona.0, addrs.join("\n"), now.as_second()],
            )
            .ctx("announcing this process")?;
        Ok(())
    }

    fn nodes(&self) -> Result<Vec<Node>, RegistryError> {
        let rows = self
            .conn
            .rows(
                "SELECT persona, addrs, seen_at FROM nodes ORDER BY seen_at",
                &[],
            )
            .ctx("reading the server's processes")?;
        let mut out = Vec::new();
        for r in rows {
            let persona: Vec<u8> = r.get(0).ctx("reading the server's processes")?;
            let addrs: String = r.get(1).ctx("reading the server's processes")?;
            if let Ok(p) = <[u8; 32]>::try_from(persona) {
                out.push(Node {
                    persona: PersonaId(p),
                    addrs: addrs.lines().map(str::to_owned).collect(),
                    seen_at: r.get(2).ctx("reading the server's processes")?,
                });
            }
        }
        Ok(out)
    }

    fn is_node(&self, persona: &PersonaId) -> Result<bool, RegistryError> {
        self.count(
            "SELECT count(*) FROM nodes WHERE persona = ?1",
            persona,
            "reading the server's processes",
        )
    }

    fn policy(&self) -> Result<Policy, RegistryError> {
        let text = |v: Option<Vec<u8>>| v.map(|b| String::from_utf8_lossy(&b).into_owned());
        Ok(Policy {
            rules: text(self.setting("policy_rules")?),
            contact: text(self.setting("policy_contact")?),
        })
    }

    fn set_policy(&mut self, policy: &Policy) -> Result<(), RegistryError> {
        for (key, value) in [
            ("policy_rules", &policy.rules),
            ("policy_contact", &policy.contact),
        ] {
            match value {
                Some(v) => self.set_setting(key, v.as_bytes())?,
                None => {
                    self.conn
                        .exec("DELETE FROM settings WHERE key = ?1", vals![key])
                        .ctx("writing a setting")?;
                }
            }
        }
        Ok(())
    }

    fn suspend(&mut self, persona: &PersonaId, now: Timestamp) -> Result<bool, RegistryError> {
        let n = self
            .conn
            .exec(
                "INSERT INTO suspended (persona, at) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
                vals![&persona.0, now.as_second()],
            )
            .ctx("suspending a persona")?;
        Ok(n > 0)
    }

    fn unsuspend(&mut self, persona: &PersonaId) -> Result<bool, RegistryError> {
        let n = self
            .conn
            .exec(
                "DELETE FROM suspended WHERE persona = ?1",
                vals![&persona.0],
            )
            .ctx("lifting a suspension")?;
        Ok(n > 0)
    }

    fn is_suspended(&self, persona: &PersonaId) -> Result<bool, RegistryError> {
        self.count(
            "SELECT count(*) FROM suspended WHERE persona = ?1",
            persona,
            "reading suspensions",
        )
    }

    fn suspended(&self) -> Result<Vec<(PersonaId, i64)>, RegistryError> {
        let rows = self
            .conn
            .rows("SELECT persona, at FROM suspended ORDER BY at", &[])
            .ctx("reading suspensions")?;
        let mut out = Vec::new();
        for row in rows {
            let p: Vec<u8> = row.get(0).ctx("reading suspensions")?;
            let at: i64 = row.get(1).ctx("reading suspensions")?;
            if let Ok(p) = <[u8; 32]>::try_from(p) {
                out.push((PersonaId(p), at));
            }
        }
        Ok(out)
    }

    fn mode(&self) -> Result<Mode, RegistryError> {
        match self.setting("registrations")? {
            Some(v) => String::from_utf8_lossy(&v).parse(),
            None => Ok(Mode::Invite),
        }
    }

    fn set_mode(&mut self, mode: Mode) -> Result<(), RegistryError> {
        self.set_setting("registrations", mode.as_str().as_bytes())
    }

    fn is_registered(&self, persona: &PersonaId) -> Result<bool, RegistryError> {
        self.count(
            "SELECT count(*) FROM registrations WHERE persona = ?1",
            persona,
            "reading registrations",
        )
    }

    fn add_registration(
        &mut self,
        persona: &PersonaId,
        now: Timestamp,
    ) -> Result<(), RegistryError> {
        self.conn
            .exec(
                "INSERT INTO registrations (persona, registered_at) VALUES (?1, ?2)
                 ON CONFLICT DO NOTHING",
                vals![&persona.0, now.as_second()],
            )
            .ctx("registering a persona")?;
        Ok(())
    }

    fn remove_registration(&mut self, persona: &PersonaId) -> Result<bool, RegistryError> {
        let n = self
            .conn
            .exec(
                "DELETE FROM registrations WHERE persona = ?1",
                vals![&persona.0],
            )
            .ctx("removing a registration")?;
        Ok(n > 0)
    }

    fn registrations(&self) -> Result<Vec<Registered>, RegistryError> {
        let rows = self
            .conn
            .rows(
                "SELECT persona, registered_at FROM registrations ORDER BY registered_at",
                &[],
            )
            .ctx("reading registrations")?;
        rows.iter()
            .map(|r| {
                Ok(Registered {
                    persona: hex::encode(r.get::<Vec<u8>>(0)?),
                    registered_at: time_text(r.get(1)?),
                })
            })
            .collect::<Result<_, SqlError>>()
            .ctx("reading registrations")
    }

    fn create_invite(&mut self, uses: u32, now: Timestamp) -> Result<Invite, RegistryError> {
        let shown = new_code();
        self.conn
            .exec(
                "INSERT INTO invites (code, shown, uses_left, created_at) VALUES (?1, ?2, ?3, ?4)",
                vals![normalise_code(&shown), &shown, uses, now.as_second()],
            )
            .ctx("creating an invitation")?;
        Ok(Invite {
            code: shown,
            uses_left: uses,
            created_at: time_text(now.as_second()),
            revoked: false,
        })
    }

    fn consume_invite(&mut self, code: &str) -> Result<bool, RegistryError> {
        // One statement: the row is locked while it is checked and counted down,
        // so two servers on one database cannot both use its last use.
        let n = self
            .conn
            .exec(
                "UPDATE invites SET uses_left = uses_left - 1 WHERE code = ?1 AND uses_left > 0 AND revoked = 0",
                vals![normalise_code(code)],
            )
            .ctx("using an invitation")?;
        Ok(n == 1)
    }

    fn revoke_invite(&mut self, code: &str) -> Result<bool, RegistryError> {
        let n = self
            .conn
            .exec(
                "UPDATE invites SET revoked = 1 WHERE code = ?1 AND revoked = 0",
                vals![normalise_code(code)],
            )
            .ctx("revoking an invitation")?;
        Ok(n > 0)
    }

    fn invites(&self) -> Result<Vec<Invite>, RegistryError> {
        let rows = self
            .conn
            .rows(
                "SELECT shown, uses_left, created_at, revoked FROM invites ORDER BY created_at",
                &[],
            )
            .ctx("reading invitations")?;
        rows.iter()
            .map(|r| {
                Ok(Invite {
                    code: r.get(0)?,
                    uses_left: r.get(1)?,
                    created_at: time_text(r.get(2)?),
                    revoked: r.get(3)?,
                })
            })
            .collect::<Result<_, SqlError>>()
            .ctx("reading invitations")
    }

    fn transport_key(&mut self) -> Result<Vec<u8>, RegistryError> {
        match &self.node_key {
            None => Ok(self.setting("transport_key")?.unwrap_or_default()),
            Some(path) => match std::fs::read(path) {
                Ok(key) => Ok(key),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
                Err(source) => Err(RegistryError::Io {
                    path: path.clone(),
                    source,
                }),
            },
        }
    }

    fn set_transport_key(&mut self, key: &[u8]) -> Result<(), RegistryError> {
        match &self.node_key {
            None => self.set_setting("transport_key", key),
            Some(path) => {
                let io = |source| RegistryError::Io {
                    path: path.clone(),
                    source,
                };
                std::fs::write(path, key).map_err(io)?;
                #[cfg(unix)]
                {
                    use std::os::unix::fs::PermissionsExt;
                    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
                        .map_err(io)?;
                }
                Ok(())
            }
        }
    }

    fn admin_token_hash(&self) -> Result<Option<Vec<u8>>, RegistryError> {
        self.setting("admin_token_sha256")
    }

    fn set_admin_token_hash(&mut self, hash: &[u8]) -> Result<(), RegistryError> {
        self.conn
            .transaction(|c| {
                c.exec(
                    "INSERT INTO settings (key, value) VALUES ('admin_token_sha256', ?1)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    vals![hash],
                )?;
                c.exec("DELETE FROM admin_sessions", &[])?;
                Ok::<_, SqlError>(())
            })
            .ctx("setting the admin token")
    }

    fn add_admin_session(&mut self, hash: &[u8], expires_at: i64) -> Result<(), RegistryError> {
        self.conn
            .exec(
                "INSERT INTO admin_sessions (hash, expires_at) VALUES (?1, ?2)
                 ON CONFLICT (hash) DO UPDATE SET expires_at = excluded.expires_at",
                vals![hash, expires_at],
            )
            .ctx("opening an admin session")?;
        Ok(())
    }

    fn admin_session_open(&mut self, hash: &[u8], now: i64) -> Result<bool, RegistryError> {
        self.conn
            .exec(
                "DELETE FROM admin_sessions WHERE expires_at <= ?1",
                vals![now],
            )
            .ctx("ending expired admin sessions")?;
        Ok(self
            .conn
            .one::<i64>(
                "SELECT count(*) FROM admin_sessions WHERE hash = ?1",
                vals![hash],
            )
            .ctx("reading an admin session")?
            .unwrap_or(0)
            > 0)
    }

    fn end_admin_session(&mut self, hash: &[u8]) -> Result<(), RegistryError> {
        self.conn
            .exec("DELETE FROM admin_sessions WHERE hash = ?1", vals![hash])
            .ctx("ending an admin session")?;
        Ok(())
    }
}

#[cfg(test)]
mod tests;
