//! One connection, to an SQLite file or a PostgreSQL schema.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Mutex;
use std::time::Duration;

use super::value::{Row, Value};

#[derive(Debug, thiserror::Error)]
pub enum SqlError {
    #[error(transparent)]
    Sqlite(#[from] rusqlite::Error),
    #[error("PostgreSQL: {}", pg_text(.0))]
    Postgres(#[from] postgres::Error),
    #[error("column {column} is not a {wanted}")]
    Type { column: usize, wanted: &'static str },
    #[error("{0:?} is not a database URL (postgres://… or sqlite:DIR)")]
    BadUrl(String),
    #[error("the data directory's database setting: {0}")]
    Io(std::io::Error),
}

fn pg_text(e: &postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => format!("{} ({})", db.message(), db.code().code()),
        None => e.to_string(),
    }
}

impl SqlError {
    /// The file is not an SQLite database (or is damaged).
    pub fn is_not_a_database(&self) -> bool {
        matches!(self, SqlError::Sqlite(e) if matches!(
            e.sqlite_error_code(),
            Some(rusqlite::ErrorCode::NotADatabase | rusqlite::ErrorCode::DatabaseCorrupt)
        ))
    }
}

/// Where the SQL of the two engines differs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

pub struct Conn {
    inner: Inner,
}

enum Inner {
    Sqlite(rusqlite::Connection),
    /// `None` only while the connection is dropped (see `Drop for Conn`).
    Postgres(Option<Box<Mutex<Pg>>>),
}

impl Drop for Conn {
    /// Closing a PostgreSQL client blocks on its runtime too.
    fn drop(&mut self) {
        if let Inner::Postgres(pg) = &mut self.inner
            && let Some(pg) = pg.take()
        {
            off_runtime(move || drop(pg));
        }
    }
}

struct Pg {
    client: postgres::Client,
    /// Statements prepared on this connection, by their `?N` text.
    prepared: HashMap<String, postgres::Statement>,
}

impl std::fmt::Debug for Conn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Conn")
            .field("dialect", &self.dialect())
            .finish()
    }
}

/// Runs `f` where the blocking PostgreSQL client may block: on this thread,
/// unless it drives (or is entered in) a tokio runtime, whose thread the
/// client's own runtime may not block; then on a short-lived thread of its
/// own. The server's calls run on threads of their own (see `Handle`), so this
/// is the path of startup and of admin commands only.
fn off_runtime<R: Send>(f: impl FnOnce() -> R + Send) -> R {
    if tokio::runtime::Handle::try_current().is_ok() {
        std::thread::scope(|s| match s.spawn(f).join() {
            Ok(r) => r,
            Err(panic) => std::panic::resume_unwind(panic),
        })
    } else {
        f()
    }
}

/// `?1` → `$1`: PostgreSQL's parameters.
fn dollar_params(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '?' && chars.peek().is_some_and(char::is_ascii_digit) {
            out.push('$');
        } else {
            out.push(c);
        }
    }
    out
}

fn to_sqlite(v: &Value) -> rusqlite::types::Value {
    use rusqlite::types::Value as V;
    match v {
        Value::Null => V::Null,
        Value::Int(i) => V::Integer(*i),
        Value::Text(s) => V::Text(s.clone()),
        Value::Blob(b) => V::Blob(b.clone()),
    }
}

fn sqlite_row(row: &rusqlite::Row<'_>, columns: usize) -> rusqlite::Result<Row> {
    use rusqlite::types::ValueRef;
    let mut out = Vec::with_capacity(columns);
    for i in 0..columns {
        out.push(match row.get_ref(i)? {
            ValueRef::Null => Value::Null,
            ValueRef::Integer(n) => Value::Int(n),
            ValueRef::Real(f) => Value::Text(f.to_string()),
            ValueRef::Text(t) => Value::Text(String::from_utf8_lossy(t).into_owned()),
            ValueRef::Blob(b) => Value::Blob(b.to_vec()),
        });
    }
    Ok(Row(out))
}

impl Conn {
    /// An SQLite file (made if missing), in WAL mode with full syncs and a
    /// 15-second wait for another process' writes.
    pub fn sqlite(path: &Path) -> Result<Conn, SqlError> {
        let conn = rusqlite::Connection::open(path)?;
        conn.busy_timeout(Duration::from_secs(15))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        Ok(Conn {
            inner: Inner::Sqlite(conn),
        })
    }

    /// A PostgreSQL connection whose tables are those of `schema` (made if missing).
    pub fn postgres(url: &str, schema: &str) -> Result<Conn, SqlError> {
        let client = off_runtime(|| {
            let mut client = postgres::Client::connect(url, postgres::NoTls)?;
            // The schema is one of ours (`migrations::Store::name`), never a user's text.
            client.batch_execute(&format!(
                "SET search_path TO {schema}; SET client_min_messages TO warning"
            ))?;
            Ok::<_, postgres::Error>(client)
        })?;
        Ok(Conn {
            inner: Inner::Postgres(Some(Box::new(Mutex::new(Pg {
                client,
                prepared: HashMap::new(),
            })))),
        })
    }

    pub fn dialect(&self) -> Dialect {
        match self.inner {
            Inner::Sqlite(_) => Dialect::Sqlite,
            Inner::Postgres(_) => Dialect::Postgres,
        }
    }

    fn pg<R: Send>(
        &self,
        sql: &str,
        f: impl FnOnce(&mut postgres::Client, &postgres::Statement) -> Result<R, postgres::Error> + Send,
    ) -> Result<R, SqlError> {
        let Inner::Postgres(Some(pg)) = &self.inner else {
            unreachable!("called on an open PostgreSQL connection only")
        };
        let mut pg = pg.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let Pg { client, prepared } = &mut *pg;
        off_runtime(|| {
            let statement = match prepared.get(sql) {
                Some(s) => s.clone(),
                None => {
                    let s = client.prepare(&dollar_params(sql))?;
                    prepared.insert(sql.to_owned(), s.clone());
                    s
                }
            };
            Ok(f(client, &statement)?)
        })
    }

    /// Runs a statement; how many rows it changed.
    pub fn exec(&self, sql: &str, params: &[Value]) -> Result<u64, SqlError> {
        match &self.inner {
            Inner::Sqlite(c) => {
                let n = c
                    .prepare_cached(sql)?
                    .execute(rusqlite::params_from_iter(params.iter().map(to_sqlite)))?;
                Ok(n as u64)
            }
            Inner::Postgres(_) => self.pg(sql, |client, st| {
                client.execute(st, &super::pg::params(params))
            }),
        }
    }

    /// Runs several statements without parameters (schemas).
    pub fn batch(&self, sql: &str) -> Result<(), SqlError> {
        match &self.inner {
            Inner::Sqlite(c) => Ok(c.execute_batch(sql)?),
            Inner::Postgres(None) => unreachable!("a connection being dropped"),
            Inner::Postgres(Some(pg)) => {
                let mut pg = pg.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                let client = &mut pg.client;
                Ok(off_runtime(|| client.batch_execute(sql))?)
            }
        }
    }

    /// Every row of a query.
    pub fn rows(&self, sql: &str, params: &[Value]) -> Result<Vec<Row>, SqlError> {
        match &self.inner {
            Inner::Sqlite(c) => {
                let mut st = c.prepare_cached(sql)?;
                let columns = st.column_count();
                let rows = st
                    .query_map(
                        rusqlite::params_from_iter(params.iter().map(to_sqlite)),
                        |r| sqlite_row(r, columns),
                    )?
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(rows)
            }
            Inner::Postgres(_) => {
                let rows = self.pg(sql, |client, st| {
                    client.query(st, &super::pg::params(params))
                })?;
                rows.iter().map(super::pg::row).collect()
            }
        }
    }

    /// The first row, if any.
    pub fn row(&self, sql: &str, params: &[Value]) -> Result<Option<Row>, SqlError> {
        Ok(self.rows(sql, params)?.into_iter().next())
    }

    /// The first column of the first row, if any.
    pub fn one<T: super::FromValue>(
        &self,
        sql: &str,
        params: &[Value],
    ) -> Result<Option<T>, SqlError> {
        self.row(sql, params)?.map(|r| r.get(0)).transpose()
    }

    /// The first column of every row.
    pub fn column<T: super::FromValue>(
        &self,
        sql: &str,
        params: &[Value],
    ) -> Result<Vec<T>, SqlError> {
        self.rows(sql, params)?.iter().map(|r| r.get(0)).collect()
    }

    /// Runs `f` in one transaction (on SQLite, one that takes the write lock
    /// first), committed when `f` succeeds and rolled back otherwise.
    pub fn transaction<R, E: From<SqlError>>(
        &self,
        f: impl FnOnce(&Conn) -> Result<R, E>,
    ) -> Result<R, E> {
        self.batch(match self.dialect() {
            Dialect::Sqlite => "BEGIN IMMEDIATE",
            Dialect::Postgres => "BEGIN",
        })?;
        match f(self) {
            Ok(r) => {
                self.batch("COMMIT")?;
                Ok(r)
            }
            Err(e) => {
                let _ = self.batch("ROLLBACK");
                Err(e)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn parameters_become_dollars() {
        assert_eq!(
            super::dollar_params("SELECT a FROM t WHERE b = ?1 AND c = ?12 OR d = '?'"),
            "SELECT a FROM t WHERE b = $1 AND c = $12 OR d = '?'"
        );
    }
}
