//! Copying a server's SQLite stores into PostgreSQL (`rally-server migrate`):
//! every table of each store, row for row, in one transaction per store, into
//! an empty database; then each table is read back from both and compared by
//! its count and a checksum of its rows.

use sha2::{Digest, Sha256};

use super::{Conn, Dialect, SqlError, Value};

#[derive(Debug, thiserror::Error)]
pub enum CopyError {
    #[error(transparent)]
    Sql(#[from] SqlError),
    #[error("the target's {0} table already holds rows: copy into an empty database")]
    NotEmpty(String),
    #[error("{table}: {from} rows in SQLite, {to} in PostgreSQL after the copy")]
    Count { table: String, from: u64, to: u64 },
    #[error("{table}: the rows differ after the copy (checksums {from} and {to})")]
    Checksum {
        table: String,
        from: String,
        to: String,
    },
}

/// One table copied and checked.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Copied {
    pub table: String,
    pub rows: u64,
    /// SHA-256 over the sorted SHA-256 of each row (the same on both sides).
    pub checksum: String,
}

/// The tables of an SQLite store (not SQLite's own, nor the migrations').
fn tables(sqlite: &Conn) -> Result<Vec<String>, SqlError> {
    sqlite.column(
        "SELECT name FROM sqlite_master WHERE type = 'table'
           AND name NOT LIKE 'sqlite_%' AND name <> 'schema_migrations' ORDER BY name",
        &[],
    )
}

fn columns(sqlite: &Conn, table: &str) -> Result<Vec<String>, SqlError> {
    sqlite.column(
        "SELECT name FROM pragma_table_info(?1) ORDER BY cid",
        crate::vals![table],
    )
}

/// A row's digest: text and bytes alike (SQLite may keep either in a column
/// PostgreSQL types as one of them).
fn row_digest(values: &[Value]) -> [u8; 32] {
    let mut h = Sha256::new();
    for v in values {
        match v {
            Value::Null => h.update(b"n"),
            Value::Int(i) => {
                h.update(b"i");
                h.update(i.to_be_bytes());
            }
            Value::Text(t) => {
                h.update(b"b");
                h.update((t.len() as u64).to_be_bytes());
                h.update(t.as_bytes());
            }
            Value::Blob(b) => {
                h.update(b"b");
                h.update((b.len() as u64).to_be_bytes());
                h.update(b);
            }
        }
    }
    h.finalize().into()
}

fn checksum(conn: &Conn, table: &str, cols: &str) -> Result<(u64, String), SqlError> {
    let rows = conn.rows(&format!("SELECT {cols} FROM {table}"), &[])?;
    let mut digests: Vec<[u8; 32]> = rows.iter().map(|r| row_digest(&r.0)).collect();
    digests.sort_unstable();
    let mut h = Sha256::new();
    for d in &digests {
        h.update(d);
    }
    Ok((digests.len() as u64, hex::encode(h.finalize())))
}

/// Copies every table of the SQLite store `from` into the same store on
/// PostgreSQL `to` (its schema made by the migrations), then checks each.
pub fn copy(from: &Conn, to: &Conn) -> Result<Vec<Copied>, CopyError> {
    assert_eq!(from.dialect(), Dialect::Sqlite, "copies from SQLite");
    assert_eq!(to.dialect(), Dialect::Postgres, "copies to PostgreSQL");
    let tables = tables(from)?;
    let mut plan = Vec::new();
    for table in &tables {
        let cols = columns(from, table)?;
        let n: i64 = to
            .one(&format!("SELECT count(*) FROM {table}"), &[])?
            .unwrap_or(0);
        if n > 0 {
            return Err(CopyError::NotEmpty(table.clone()));
        }
        plan.push((table.clone(), cols));
    }
    to.transaction(|to| {
        for (table, cols) in &plan {
            let list = cols.join(", ");
            let marks: Vec<String> = (1..=cols.len()).map(|i| format!("?{i}")).collect();
            let insert = format!("INSERT INTO {table} ({list}) VALUES ({})", marks.join(", "));
            for row in from.rows(&format!("SELECT {list} FROM {table}"), &[])? {
                to.exec(&insert, &row.0)?;
            }
            // Identity columns continue after the copied ids.
            let sequence: Option<String> = if cols.iter().any(|c| c == "id") {
                to.one(
                    "SELECT pg_get_serial_sequence(?1, 'id')",
                    crate::vals![table.as_str()],
                )?
                .flatten()
            } else {
                None
            };
            if let Some(sequence) = sequence {
                to.batch(&format!(
                    "SELECT setval('{sequence}', max(id)) FROM {table} HAVING max(id) IS NOT NULL"
                ))?;
            }
        }
        Ok::<_, CopyError>(())
    })?;
    let mut copied = Vec::new();
    for (table, cols) in &plan {
        let list = cols.join(", ");
        let (n_from, sum_from) = checksum(from, table, &list)?;
        let (n_to, sum_to) = checksum(to, table, &list)?;
        if n_from != n_to {
            return Err(CopyError::Count {
                table: table.clone(),
                from: n_from,
                to: n_to,
            });
        }
        if sum_from != sum_to {
            return Err(CopyError::Checksum {
                table: table.clone(),
                from: sum_from,
                to: sum_to,
            });
        }
        copied.push(Copied {
            table: table.clone(),
            rows: n_from,
            checksum: sum_from,
        });
    }
    Ok(copied)
}
