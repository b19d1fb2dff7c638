//! What a relay learned from its peers, beyond the documents: which personas a
//! group log goes to (`log_members`), which invitations are open
//! (`open_invites`), who showed one (`invited`), which documents each remote
//! persona came to know through it (`relayed_docs`), and what it offers to
//! everyone (`shared_docs`). A server process that shares its instance with
//! others turns on [`Store::record_relay_state`]: from then on every row
//! added or removed there, by any connection, is also written to
//! `relay_outbox` (triggers, schema 24). The server copies those facts to the
//! instance's journal ([`Store::relay_facts_after`]) and applies the ones
//! every process wrote, in the journal's order, with
//! [`Store::apply_relay_facts`], which records nothing again; so every
//! process ends with the same state, whichever one a device spoke to.

use rusqlite::params;

use crate::{Ctx, Store, StoreError};

const KEY: &str = "relay_outbox";

/// One of the relay's own tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RelayTable {
    LogMembers,
    OpenInvites,
    Invited,
    RelayedDocs,
    SharedDocs,
}

impl RelayTable {
    pub fn name(self) -> &'static str {
        match self {
            RelayTable::LogMembers => "log_members",
            RelayTable::OpenInvites => "open_invites",
            RelayTable::Invited => "invited",
            RelayTable::RelayedDocs => "relayed_docs",
            RelayTable::SharedDocs => "shared_docs",
        }
    }

    pub const ALL: [RelayTable; 5] = [
        RelayTable::LogMembers,
        RelayTable::OpenInvites,
        RelayTable::Invited,
        RelayTable::RelayedDocs,
        RelayTable::SharedDocs,
    ];

    pub fn from_name(name: &str) -> Option<RelayTable> {
        RelayTable::ALL.into_iter().find(|t| t.name() == name)
    }

    /// The table's columns, in the order a fact holds them.
    fn columns(self) -> &'static [&'static str] {
        match self {
            RelayTable::LogMembers => &["log", "persona"],
            RelayTable::OpenInvites => &["log", "invite"],
            RelayTable::Invited => &["remote", "log", "grp", "invite"],
            RelayTable::RelayedDocs => &["remote", "doc"],
            RelayTable::SharedDocs => &["doc"],
        }
    }
}

/// A row added to or removed from one of the relay's tables.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RelayFact {
    pub table: RelayTable,
    pub added: bool,
    /// The row's columns, all of them, in the table's order.
    pub values: Vec<Vec<u8>>,
}

impl Store {
    /// From now on, records every change to the relay's own tables for the
    /// other processes of the instance (kept across restarts). The first time,
    /// everything they hold is recorded as added (a server that ran alone, or
    /// was copied with `rally-server migrate`, joining a shared instance).
    pub fn record_relay_state(&mut self) -> Result<(), StoreError> {
        let ctx = "recording what the relay learned";
        let tx = self.write().ctx(ctx)?;
        if crate::meta::read(&tx, KEY)?.is_none() {
            for table in RelayTable::ALL {
                let cols = table.columns();
                let letters = &["a", "b", "c", "d"][..cols.len()];
                tx.execute(
                    &format!(
                        "INSERT INTO relay_outbox (tbl, added, {}) SELECT ?1, 1, {} FROM {}",
                        letters.join(", "),
                        cols.join(", "),
                        table.name()
                    ),
                    [table.name()],
                )
                .ctx(ctx)?;
            }
            crate::meta::write(&tx, KEY, Some("1"))?;
        }
        tx.commit().ctx(ctx)
    }

    /// Up to `limit` facts recorded after `after`, each with its row.
    pub fn relay_facts_after(
        &self,
        after: i64,
        limit: usize,
    ) -> Result<Vec<(i64, RelayFact)>, StoreError> {
        let ctx = "reading what the relay learned";
        let mut stmt = self
            .conn()
            .prepare_cached(
                "SELECT id, tbl, added, a, b, c, d FROM relay_outbox
                 WHERE id > ?1 ORDER BY id LIMIT ?2",
            )
            .ctx(ctx)?;
        let rows = stmt
            .query_map(params![after, limit as i64], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, bool>(2)?,
                    [
                        r.get::<_, Option<Vec<u8>>>(3)?,
                        r.get::<_, Option<Vec<u8>>>(4)?,
                        r.get::<_, Option<Vec<u8>>>(5)?,
                        r.get::<_, Option<Vec<u8>>>(6)?,
                    ],
                ))
            })
            .ctx(ctx)?;
        let mut out = Vec::new();
        for row in rows {
            let (id, table, added, values) = row.ctx(ctx)?;
            let Some(table) = RelayTable::from_name(&table) else {
                continue;
            };
            let values: Vec<Vec<u8>> = values.into_iter().flatten().collect();
            if values.len() == table.columns().len() {
                out.push((
                    id,
                    RelayFact {
                        table,
                        added,
                        values,
                    },
                ));
            }
        }
        Ok(out)
    }

    /// Forgets the facts up to `upto` (copied to the journal).
    pub fn forget_relay_facts(&self, upto: i64) -> Result<(), StoreError> {
        self.conn()
            .prepare_cached("DELETE FROM relay_outbox WHERE id <= ?1")
            .and_then(|mut s| s.execute([upto]))
            .ctx("forgetting what the relay reported")?;
        Ok(())
    }

    /// Applies facts every process of the instance recorded, in order, in one
    /// transaction, without recording them again. A document a remote persona
    /// newly came to know makes its next session announce everything, as when
    /// this relay learned it itself.
    pub fn apply_relay_facts(&mut self, facts: &[RelayFact]) -> Result<(), StoreError> {
        let ctx = "applying what the other processes' relays learned";
        let tx = self.write().ctx(ctx)?;
        let recording = crate::meta::read(&tx, KEY)?;
        crate::meta::write(&tx, KEY, None)?;
        for f in facts {
            let cols = f.table.columns();
            if f.values.len() != cols.len() {
                continue;
            }
            let table = f.table.name();
            let values = rusqlite::params_from_iter(f.values.iter());
            if f.added {
                if f.table == RelayTable::RelayedDocs
                    && let (Ok(remote), Ok(doc)) = (
                        <[u8; 32]>::try_from(f.values[0].as_slice()),
                        <[u8; 32]>::try_from(f.values[1].as_slice()),
                    )
                {
                    crate::relay_to(
                        &tx,
                        &rally_core::PersonaId(remote),
                        &rally_core::DocId(doc),
                        true,
                    )?;
                    continue;
                }
                let marks: Vec<String> = (1..=cols.len()).map(|i| format!("?{i}")).collect();
                tx.prepare_cached(&format!(
                    "INSERT OR REPLACE INTO {table} ({}) VALUES ({})",
                    cols.join(", "),
                    marks.join(", ")
                ))
                .and_then(|mut s| s.execute(values))
                .ctx(ctx)?;
            } else {
                let wheres: Vec<String> = cols
                    .iter()
                    .enumerate()
                    .map(|(i, c)| format!("{c} = ?{}", i + 1))
                    .collect();
                tx.prepare_cached(&format!(
                    "DELETE FROM {table} WHERE {}",
                    wheres.join(" AND ")
                ))
                .and_then(|mut s| s.execute(values))
                .ctx(ctx)?;
            }
        }
        crate::meta::write(&tx, KEY, recording.as_deref())?;
        tx.commit().ctx(ctx)?;
        Ok(())
    }
}
