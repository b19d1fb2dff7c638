//! The store's own settings and markers (`meta`: key, text value), read and
//! written on whatever connection or transaction the caller holds.

use rusqlite::{Connection, OptionalExtension, params};

use crate::{Ctx, StoreError};

pub(crate) fn read(conn: &Connection, key: &str) -> Result<Option<String>, StoreError> {
    conn.prepare_cached("SELECT value FROM meta WHERE key = ?1")
        .and_then(|mut s| s.query_row([key], |r| r.get(0)).optional())
        .ctx("reading a setting")
}

/// Sets `key` to `value`, or removes it (`None`).
pub(crate) fn write(conn: &Connection, key: &str, value: Option<&str>) -> Result<(), StoreError> {
    match value {
        Some(v) => conn
            .prepare_cached("INSERT OR REPLACE INTO meta (key, value) VALUES (?1, ?2)")
            .and_then(|mut s| s.execute(params![key, v])),
        None => conn
            .prepare_cached("DELETE FROM meta WHERE key = ?1")
            .and_then(|mut s| s.execute([key])),
    }
    .ctx("saving a setting")?;
    Ok(())
}
