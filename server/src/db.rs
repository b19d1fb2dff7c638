//! Where the server keeps what it keeps besides the documents: the registry
//! (`registry.rs`) and the federation's state (`fedi/db.rs`), on SQLite files in
//! the data directory (the default) or in one PostgreSQL database shared by
//! several server processes (`--database postgres://…`).
//!
//! [`Database`] says which; [`Conn`] is one connection to it, with the few calls
//! the two stores make (`exec`, `rows`, `one`, `transaction`), parameters and
//! results as [`Value`]s. The SQL is written once with `?N` parameters in the
//! dialect both engines share (`ON CONFLICT … DO …`, `RETURNING`, no
//! `INSERT OR …`); where they differ the caller asks [`Conn::dialect`].
//! [`migrations`] holds the versioned schemas of both backends side by side.
//! On PostgreSQL each store lives in its own schema (`registry`, `fedi`), so the
//! same unqualified table names serve both.
//!
//! Every call blocks: it runs where SQLite calls run, on the federation's thread
//! or a blocking task, never on an async worker.

mod conn;
pub mod copy;
pub mod migrations;
mod pg;
mod value;

pub use conn::{Conn, Dialect, SqlError};
pub use value::{FromValue, Row, Value};

use std::path::{Path, PathBuf};

/// Where the data directory names its database when it is not SQLite in it.
pub const DATABASE_FILE: &str = "database";

fn write_private(path: &Path, text: &str) -> Result<(), SqlError> {
    std::fs::write(path, text).map_err(SqlError::Io)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
            .map_err(SqlError::Io)?;
    }
    Ok(())
}

/// Which database the server's registry and federation state live in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Database {
    /// SQLite files in the data directory (`server.db`, `fedi.db`).
    Sqlite(PathBuf),
    /// A PostgreSQL database, by its connection URL
    /// (`postgres://user@host:port/name`, or `host=… user=…`).
    Postgres(String),
}

impl Database {
    /// `postgres://…`/`postgresql://…` (or `sqlite:DIR`); none: the data directory.
    pub fn parse(url: Option<&str>, data: &Path) -> Result<Database, SqlError> {
        match url {
            None => Ok(Database::Sqlite(data.to_owned())),
            Some(u) if u.starts_with("postgres://") || u.starts_with("postgresql://") => {
                Ok(Database::Postgres(u.to_owned()))
            }
            Some(u) if u.starts_with("sqlite:") => {
                Ok(Database::Sqlite(PathBuf::from(&u["sqlite:".len()..])))
            }
            Some(other) => Err(SqlError::BadUrl(other.to_owned())),
        }
    }

    /// Opens a connection to one store: `file` in the directory for SQLite, the
    /// schema `schema` for PostgreSQL; then brings the store's schema up to date.
    pub fn open(&self, file: &str, schema: migrations::Store) -> Result<Conn, SqlError> {
        let conn = match self {
            Database::Sqlite(dir) => Conn::sqlite(&dir.join(file))?,
            Database::Postgres(url) => Conn::postgres(url, schema.name())?,
        };
        migrations::apply(&conn, schema)?;
        Ok(conn)
    }

    /// The database the server in `data` uses: the one `--database` named when
    /// it was last given (kept in the directory, see [`Database::remember`]),
    /// else SQLite files in `data`. So `rally-server admin` and every part of
    /// the server find it from the data directory alone.
    pub fn for_data(data: &Path) -> Result<Database, SqlError> {
        match std::fs::read_to_string(data.join(DATABASE_FILE)) {
            Ok(url) => Database::parse(Some(url.trim()), data),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                Ok(Database::Sqlite(data.to_owned()))
            }
            Err(e) => Err(SqlError::Io(e)),
        }
    }

    /// Makes `self` the database of the server in `data` (kept readable by its
    /// owner only: the URL may hold a password).
    pub fn remember(&self, data: &Path) -> Result<(), SqlError> {
        std::fs::create_dir_all(data).map_err(SqlError::Io)?;
        let path = data.join(DATABASE_FILE);
        match self {
            Database::Sqlite(dir) if dir == data => match std::fs::remove_file(&path) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(SqlError::Io(e)),
                _ => Ok(()),
            },
            Database::Sqlite(dir) => write_private(&path, &format!("sqlite:{}", dir.display())),
            Database::Postgres(url) => write_private(&path, url),
        }
    }

    pub fn is_postgres(&self) -> bool {
        matches!(self, Database::Postgres(_))
    }
}

#[cfg(test)]
pub(crate) mod tests;
