//! Less on the device: a device may keep only the events and the group chat
//! of the last N months (`meta.keep_months`, never synced).
//!
//! Older chat items are forgotten (`sealed::forget_chat_before`): the
//! messages deleted, their envelopes' bytes emptied — the envelopes stay in
//! the log's DAG, so later ones still fit, but are offered to no peer.
//! [`Store::fetch_older`] asks every peer for the group's whole log at the next
//! sync; what comes back is opened again, and that group's chat is kept whole
//! from then on (until the months kept are chosen again). The epoch keys stay
//! (the group's documents need them).
//!
//! Older events are **forgotten**: the
//! document, its changes (waiting and refused ones too), its index rows, its
//! reminders, the map kept for it, what peers are believed to hold of it and
//! the pictures only it named — all deleted in one transaction, under
//! `secure_delete`, then the write-ahead log emptied. What stays is a row of
//! `forgotten`: the id, when it ended, its group.
//!
//! Sync does not bring a forgotten event back: the sync repo says it holds
//! those heads and knows whatever a peer has of it, and an import drops its
//! changes. [`Store::fetch_again`] removes the row; the next sync with any
//! peer that keeps the event brings it back whole (a members-only event is
//! opened again from the group's log, which stays).
//!
//! Kept whatever their age: events a persona of this device organises (it may
//! be the only copy), series (their dates go on), events asked for again
//! (`asked_for`), and groups.

use rusqlite::{Connection, OptionalExtension, params};

use crate::{Ctx, DocId, Store, StoreError, Timestamp, meta};

const KEEP_MONTHS: &str = "keep_months";

/// What [`Store::forget_old`] forgot.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Forgot {
    pub events: Vec<DocId>,
    /// Chat items (messages, edits, deletions).
    pub messages: usize,
}

/// A forgotten event: its id and when it ended (Unix seconds).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Forgotten {
    pub id: DocId,
    pub ended: i64,
}

impl Store {
    /// How many months of events this device keeps (`None`: all).
    pub fn keep_months(&self) -> Result<Option<u32>, StoreError> {
        Ok(meta::read(self.conn(), KEEP_MONTHS)?.and_then(|v| v.parse().ok()))
    }

    /// Keeps only the last `months` of events from now on (`None`: all).
    pub fn set_keep_months(&mut self, months: Option<u32>) -> Result<(), StoreError> {
        let value = months.map(|m| m.max(1).to_string());
        meta::write(self.conn(), KEEP_MONTHS, value.as_deref())?;
        // Group chats asked for again are kept whole only until the next choice.
        self.conn()
            .prepare_cached("DELETE FROM asked_for WHERE doc IN (SELECT log FROM logs)")
            .and_then(|mut s| s.execute([]))
            .ctx("saving a setting")?;
        Ok(())
    }

    /// Forgets the events that ended before the kept months, if the device
    /// keeps only some.
    pub fn forget_old(&mut self, now: Timestamp) -> Result<Forgot, StoreError> {
        let Some(months) = self.keep_months()? else {
            return Ok(Forgot::default());
        };
        let span = rally_core::jiff::Span::new().months(i64::from(months));
        let cutoff = now
            .to_zoned_datetime(rally_core::jiff::tz::TimeZone::UTC)
            .checked_sub(span)
            .map_or(i64::MIN, |z| z.timestamp().as_second());
        let tx = self.write().ctx("forgetting old events")?;
        let old: Vec<(Vec<u8>, i64)> = tx
            .prepare_cached(
                "SELECT e.doc, e.until FROM events e
                 WHERE e.until < ?1 AND e.series = 0
                   AND e.doc NOT IN (SELECT doc FROM asked_for)
                   AND NOT EXISTS (SELECT 1 FROM event_people p JOIN personas l ON l.public_key = p.persona
                                   WHERE p.event = e.id AND p.relation = 'organiser')",
            )
            .and_then(|mut s| s.query_map([cutoff], |r| Ok((r.get(0)?, r.get(1)?)))?.collect())
            .ctx("forgetting old events")?;
        let mut forgot = Forgot::default();
        for (doc, ended) in old {
            let Ok(id) = <[u8; 32]>::try_from(doc.as_slice()).map(DocId) else {
                continue;
            };
            forget(&tx, id, ended, now.as_second())?;
            forgot.events.push(id);
        }
        if !forgot.events.is_empty() {
            crate::blobs::forget_unnamed(&tx)?;
        }
        forgot.messages = crate::sealed::forget_chat_before(&tx, cutoff.saturating_mul(1000))?;
        tx.commit().ctx("forgetting old events")?;
        for id in &forgot.events {
            self.docs.0.remove(id);
        }
        if forgot != Forgot::default() {
            self.scrub_log()?;
        }
        Ok(forgot)
    }

    /// The events this device forgot, most recent first.
    pub fn forgotten(&self) -> Result<Vec<Forgotten>, StoreError> {
        self.conn()
            .prepare_cached("SELECT doc, ended FROM forgotten ORDER BY ended DESC")
            .and_then(|mut s| {
                s.query_map([], |r| Ok((r.get::<_, Vec<u8>>(0)?, r.get(1)?)))?
                    .collect::<Result<Vec<_>, _>>()
            })
            .ctx("reading forgotten events")
            .map(|rows| {
                rows.into_iter()
                    .filter_map(|(d, ended)| {
                        Some(Forgotten {
                            id: DocId(d.try_into().ok()?),
                            ended,
                        })
                    })
                    .collect()
            })
    }

    /// Asks every peer for a group's whole chat again at the next sync (what
    /// this device forgot of it comes back, and is kept).
    pub fn fetch_older(&mut self, group: DocId) -> Result<(), StoreError> {
        ask_for(self.conn(), &rally_core::sealed::log_id(&group))
    }

    /// How many chat items of `group` this device forgot.
    pub fn forgotten_messages(&self, group: DocId) -> Result<usize, StoreError> {
        let log = rally_core::sealed::log_id(&group);
        self.conn()
            .prepare_cached("SELECT count(*) FROM envelopes WHERE log = ?1 AND opened = 6")
            .and_then(|mut s| s.query_row([log.0], |r| r.get::<_, i64>(0)))
            .ctx("reading forgotten messages")
            .map(|n| n as usize)
    }

    /// Asks for a forgotten event again: the next sync with a peer that keeps
    /// it brings it back. `false` if it was not forgotten.
    pub fn fetch_again(&mut self, id: DocId) -> Result<bool, StoreError> {
        let tx = self.write().ctx("fetching an event again")?;
        let group: Option<Option<Vec<u8>>> = tx
            .prepare_cached("SELECT grp FROM forgotten WHERE doc = ?1")
            .and_then(|mut s| s.query_row([id.0], |r| r.get(0)).optional())
            .ctx("fetching an event again")?;
        let n = tx
            .prepare_cached("DELETE FROM forgotten WHERE doc = ?1")
            .and_then(|mut s| s.execute([id.0]))
            .ctx("fetching an event again")?;
        if n > 0 {
            ask_for(&tx, &id)?;
        }
        if let Some(Some(group)) = group {
            // A members-only event travelled sealed: its group's log opens again
            // what it carried (what is still here, the chat included, is
            // applied again idempotently).
            tx.prepare_cached(
                "UPDATE envelopes SET opened = 0 WHERE opened = 1
                   AND log = (SELECT log FROM logs WHERE grp = ?1)
                   AND EXISTS (SELECT 1 FROM sealed_docs WHERE doc = ?2)",
            )
            .and_then(|mut s| s.execute(params![group, id.0]))
            .ctx("fetching an event again")?;
        }
        tx.commit().ctx("fetching an event again")?;
        Ok(n > 0)
    }
}

/// What is asked for again and not here whole yet: forgotten events, and
/// group logs with forgotten chat items.
pub(crate) fn asked_for(conn: &Connection) -> Result<Vec<DocId>, StoreError> {
    let rows: Vec<Vec<u8>> = conn
        .prepare_cached(
            "SELECT doc FROM asked_for WHERE doc NOT IN (SELECT id FROM docs)
                OR doc IN (SELECT log FROM envelopes WHERE opened = 6)",
        )
        .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect())
        .ctx("reading what is asked for")?;
    Ok(rows
        .into_iter()
        .filter_map(|d| Some(DocId(d.try_into().ok()?)))
        .collect())
}

/// Whether this device forgot `id`.
pub(crate) fn is_forgotten(conn: &Connection, id: &DocId) -> Result<bool, StoreError> {
    conn.prepare_cached("SELECT EXISTS (SELECT 1 FROM forgotten WHERE doc = ?1)")
        .and_then(|mut s| s.query_row([id.0], |r| r.get(0)))
        .ctx("reading forgotten events")
}

/// Asks every peer for `doc` (an event, a group log) at the next sync.
fn ask_for(conn: &Connection, doc: &DocId) -> Result<(), StoreError> {
    conn.prepare_cached("INSERT OR REPLACE INTO asked_for (doc, at) VALUES (?1, ?2)")
        .and_then(|mut s| s.execute(params![doc.0, Timestamp::now().as_second()]))
        .ctx("asking for it again")?;
    Ok(())
}

/// Forgets one event document, in the caller's transaction.
fn forget(tx: &Connection, id: DocId, ended: i64, now: i64) -> Result<(), StoreError> {
    let ctx = "forgetting old events";
    let group: Option<Vec<u8>> = tx
        .prepare_cached("SELECT grp FROM events WHERE doc = ?1")
        .and_then(|mut s| s.query_row([id.0], |r| r.get(0)).optional())
        .ctx(ctx)?
        .flatten();
    tx.prepare_cached(
        "INSERT OR REPLACE INTO forgotten (doc, ended, grp, at) VALUES (?1, ?2, ?3, ?4)",
    )
    .and_then(|mut s| s.execute(params![id.0, ended, group, now]))
    .ctx(ctx)?;
    crate::index::clear_doc(tx, id)?;
    for sql in [
        "DELETE FROM changes WHERE doc = ?1",
        "DELETE FROM pending WHERE doc = ?1",
        "DELETE FROM rejected WHERE doc = ?1",
        "DELETE FROM beliefs WHERE doc = ?1",
        "DELETE FROM persona_docs WHERE doc = ?1",
        "DELETE FROM relayed_docs WHERE doc = ?1",
        "DELETE FROM shared_docs WHERE doc = ?1",
        "DELETE FROM seen WHERE doc = ?1",
        "DELETE FROM event_reminders WHERE event = ?1",
        "DELETE FROM reminders_shown WHERE event = ?1",
        "DELETE FROM kept_maps WHERE event = ?1",
        "DELETE FROM docs WHERE id = ?1",
    ] {
        tx.prepare_cached(sql)
            .and_then(|mut s| s.execute([id.0]))
            .ctx(ctx)?;
    }
    Ok(())
}
