//! The policies of the servers a device syncs with (rules in Markdown and how
//! to reach their admins), as each told it when it admitted the persona; kept
//! in `meta` by server, with a mark when one is new or changed so the device
//! shows it once ([`Store::take_new_policies`]).

use rally_core::PersonaId;
use rusqlite::Connection;

use crate::{Ctx, Store, StoreError};

fn key(server: &PersonaId) -> String {
    format!("policy:{}", server.to_hex())
}

pub(crate) fn take(
    tx: &Connection,
    server: &PersonaId,
    rules: &str,
    contact: &str,
) -> Result<(), StoreError> {
    let value = serde_json::json!({"rules": rules, "contact": contact}).to_string();
    if crate::meta::read(tx, &key(server))?.as_deref() == Some(value.as_str()) {
        return Ok(());
    }
    crate::meta::write(tx, &key(server), Some(&value))?;
    crate::meta::write(tx, &format!("policy-new:{}", server.to_hex()), Some("1"))
}

/// A server's policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerPolicy {
    pub server: PersonaId,
    pub rules: String,
    pub contact: String,
}

impl Store {
    /// Every server's policy this device was told, whether shown or not.
    pub fn policies(&self) -> Result<Vec<ServerPolicy>, StoreError> {
        let mut stmt = self
            .conn()
            .prepare("SELECT key, value FROM meta WHERE key LIKE 'policy:%' ORDER BY key")
            .ctx("reading servers' policies")?;
        let rows = stmt
            .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))
            .ctx("reading servers' policies")?;
        Ok(rows
            .filter_map(Result::ok)
            .filter_map(|(k, value)| {
                let server = k.strip_prefix("policy:")?.parse().ok()?;
                Some(policy_of(server, &value))
            })
            .collect())
    }

    /// The policies that arrived or changed since last asked.
    pub fn take_new_policies(&mut self) -> Result<Vec<ServerPolicy>, StoreError> {
        let news: Vec<String> = {
            let mut stmt = self
                .conn()
                .prepare("SELECT key FROM meta WHERE key LIKE 'policy-new:%'")
                .ctx("reading servers' policies")?;
            let rows = stmt
                .query_map([], |r| r.get::<_, String>(0))
                .ctx("reading servers' policies")?;
            rows.filter_map(Result::ok).collect()
        };
        let mut out = Vec::new();
        for new in news {
            let Some(server) = new
                .strip_prefix("policy-new:")
                .and_then(|h| h.parse::<PersonaId>().ok())
            else {
                continue;
            };
            crate::meta::write(self.conn(), &new, None)?;
            let Some(value) = crate::meta::read(self.conn(), &key(&server))? else {
                continue;
            };
            out.push(policy_of(server, &value));
        }
        Ok(out)
    }
}

fn policy_of(server: PersonaId, value: &str) -> ServerPolicy {
    let v: serde_json::Value = serde_json::from_str(value).unwrap_or_default();
    ServerPolicy {
        server,
        rules: v["rules"].as_str().unwrap_or_default().to_owned(),
        contact: v["contact"].as_str().unwrap_or_default().to_owned(),
    }
}
