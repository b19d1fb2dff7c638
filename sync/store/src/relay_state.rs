//! What a relay learned from its peers, beyond the documents: which personas a
//! group log goes to (`log_members`), which invitations are open
//! (`open_invites`), who showed one (`invited`), which documents each remote
//! persona came to know through it (`relayed_docs`), and what it offers to
//! everyone (`shared_docs`). On a server process that shares its instance with
//! others ([`Store::share_through_journal`]), every row added, removed or
//! changed there, by any connection, is also listed in `relay_outbox`
//! (triggers, schema 24). The server copies those facts to the instance's
//! journal ([`Store::relay_facts_after`]) and applies the ones every process
//! wrote, in the journal's order, its own included, with
//! [`Store::apply_relay_facts`] inside [`Store::quietly`]; so every process
//! ends with the same state, whichever one a device spoke to.

use rusqlite::params;

use crate::{Ctx, Store, StoreError};

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
    pub(crate) fn columns(self) -> &'static [&'static str] {
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
    /// Up to `limit` facts listed after `after`: the last number read (none
    /// when there is nothing after it) and the facts.
    pub fn relay_facts_after(
        &self,
        after: i64,
        limit: usize,
    ) -> Result<(Option<i64>, Vec<RelayFact>), StoreError> {
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
        let (mut last, mut out) = (None, Vec::new());
        for row in rows {
            let (id, table, added, values) = row.ctx(ctx)?;
            last = Some(id);
            let Some(table) = RelayTable::from_name(&table) else {
                continue;
            };
            let values: Vec<Vec<u8>> = values.into_iter().flatten().collect();
            if values.len() == table.columns().len() {
                out.push(RelayFact {
                    table,
                    added,
                    values,
                });
            }
        }
        Ok((last, out))
    }

    /// Forgets the facts up to `upto` (copied to the journal).
    pub fn forget_relay_facts(&self, upto: i64) -> Result<(), StoreError> {
        self.conn()
            .prepare_cached("DELETE FROM relay_outbox WHERE id <= ?1")
            .and_then(|mut s| s.execute([upto]))
            .ctx("forgetting what the relay reported")?;
        Ok(())
    }

    /// Applies facts every process of the instance listed, in order, in one
    /// transaction; inside [`Store::quietly`], so they are not listed again.
    /// A row this store changed since it last sent its facts is left as it
    /// is: its own fact comes later in the journal. A document a remote
    /// persona newly came to know makes its next session announce
    /// everything, as when this relay learned it itself.
    pub fn apply_relay_facts(&mut self, facts: &[RelayFact]) -> Result<(), StoreError> {
        let ctx = "applying what the other processes' relays learned";
        self.quietly(|store| {
            let tx = store.conn();
            for f in facts {
                let cols = f.table.columns();
                if f.values.len() != cols.len() {
                    continue;
                }
                // `invited` is keyed by its first two columns, the others by
                // their whole row.
                let key = if f.table == RelayTable::Invited {
                    2
                } else {
                    cols.len()
                };
                let letters = ["a", "b", "c", "d"];
                let wheres: Vec<String> = (0..key)
                    .map(|i| format!("{} = ?{}", letters[i], i + 2))
                    .collect();
                let pending: bool = tx
                    .prepare_cached(&format!(
                        "SELECT EXISTS (SELECT 1 FROM relay_outbox WHERE tbl = ?1 AND {})",
                        wheres.join(" AND ")
                    ))
                    .and_then(|mut s| {
                        let name = f.table.name();
                        let mut args: Vec<&dyn rusqlite::ToSql> = vec![&name];
                        args.extend(f.values[..key].iter().map(|v| v as &dyn rusqlite::ToSql));
                        s.query_row(args.as_slice(), |r| r.get(0))
                    })
                    .ctx(ctx)?;
                if pending {
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
                            tx,
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
            Ok(())
        })
    }
}
