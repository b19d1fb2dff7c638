//! Indexes for the queries the apps need, derived from documents.
//!
//! `reindex` replaces a document's rows in the same transaction that stores its
//! changes; `clear_all` + `reindex` of every document rebuilds them from scratch.
//! Queries: upcoming events (all, a persona's, a group's), full-text search (FTS5,
//! contentless), events in a bounding box (R*Tree).

use rally_core::jiff::Timestamp;
use rally_core::{
    DocId, DocView, Document, EventStatus, EventView, GroupView, PersonaId, Visibility,
};
use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

use crate::{Ctx, Store, StoreError};

/// How long an event without an end counts as happening.
const OPEN_ENDED_SECS: i64 = 2 * 3600;

pub(crate) fn clear_all(conn: &Connection) -> Result<(), StoreError> {
    conn.execute_batch(
        "DELETE FROM events; DELETE FROM occurrences; DELETE FROM events_fts; DELETE FROM events_geo; DELETE FROM events_time; DELETE FROM event_people;
         DELETE FROM groups; DELETE FROM group_members; DELETE FROM group_events; DELETE FROM copies;
         DELETE FROM blob_refs;",
    )
    .ctx("clearing indexes")
}

pub(crate) fn clear_doc(conn: &Connection, id: DocId) -> Result<(), StoreError> {
    let ctx = "updating indexes";
    conn.prepare_cached("DELETE FROM blob_refs WHERE doc = ?1")
        .ctx(ctx)?
        .execute([id.0])
        .ctx(ctx)?;
    if let Some(row) = conn
        .prepare_cached("SELECT id FROM events WHERE doc = ?1")
        .and_then(|mut s| s.query_row([id.0], |r| r.get::<_, i64>(0)))
        .optional()
        .ctx(ctx)?
    {
        conn.prepare_cached("DELETE FROM events_fts WHERE rowid = ?1")
            .and_then(|mut s| s.execute([row]))
            .ctx(ctx)?;
        conn.prepare_cached("DELETE FROM events_geo WHERE id = ?1")
            .and_then(|mut s| s.execute([row]))
            .ctx(ctx)?;
        conn.prepare_cached("DELETE FROM events_time WHERE id = ?1")
            .and_then(|mut s| s.execute([row]))
            .ctx(ctx)?;
        conn.prepare_cached("DELETE FROM event_people WHERE event = ?1")
            .and_then(|mut s| s.execute([row]))
            .ctx(ctx)?;
        conn.prepare_cached("DELETE FROM occurrences WHERE event = ?1")
            .and_then(|mut s| s.execute([row]))
            .ctx(ctx)?;
        conn.prepare_cached("DELETE FROM events WHERE id = ?1")
            .and_then(|mut s| s.execute([row]))
            .ctx(ctx)?;
    }
    if let Some(row) = conn
        .prepare_cached("SELECT id FROM groups WHERE doc = ?1")
        .and_then(|mut s| s.query_row([id.0], |r| r.get::<_, i64>(0)))
        .optional()
        .ctx(ctx)?
    {
        conn.prepare_cached("DELETE FROM group_members WHERE grp = ?1")
            .and_then(|mut s| s.execute([row]))
            .ctx(ctx)?;
        conn.prepare_cached("DELETE FROM group_events WHERE grp = ?1")
            .and_then(|mut s| s.execute([id.0]))
            .ctx(ctx)?;
        conn.prepare_cached("DELETE FROM groups WHERE id = ?1")
            .and_then(|mut s| s.execute([row]))
            .ctx(ctx)?;
    }
    Ok(())
}

/// How far back and ahead of the window's anchor a series' occurrences are
/// indexed (see [`occurrence_window`]).
const WINDOW_BACK_SECS: i64 = 31 * 86_400;
const WINDOW_AHEAD_SECS: i64 = 2 * 366 * 86_400;
/// The anchor moves (and every series is indexed again) when the clock is this
/// far from it.
const WINDOW_STALE_SECS: i64 = 7 * 86_400;
/// The longest any indexed occurrence lasts (`meta.occurrence_longest`, only
/// ever raised): "happening now" looks back that far among occurrence starts.
fn longest_occurrence(conn: &Connection) -> Result<i64, StoreError> {
    Ok(crate::meta::read(conn, "occurrence_longest")?
        .and_then(|l| l.parse().ok())
        .unwrap_or(0))
}

/// The clock time series are indexed around (`meta.occurrences_at`, set by
/// [`Store::refresh_occurrences`]).
fn window_anchor(conn: &Connection) -> Result<Timestamp, StoreError> {
    Ok(crate::meta::read(conn, "occurrences_at")?
        .and_then(|a| a.parse::<i64>().ok())
        .and_then(|a| Timestamp::from_second(a).ok())
        .unwrap_or_else(Timestamp::now))
}

/// The span a series' occurrences are indexed over: from a month before the
/// anchor (or the series' start, when later) to two years after that, at most
/// [`rally_core::recurrence::MAX_OCCURRENCES`] occurrences. Lists further ahead
/// expand the series' rule themselves.
pub fn occurrence_window(anchor: Timestamp, first: Timestamp) -> (Timestamp, Timestamp) {
    let from = (anchor.as_second() - WINDOW_BACK_SECS).max(first.as_second());
    let to = from + WINDOW_AHEAD_SECS;
    let t = |s: i64| Timestamp::from_second(s).unwrap_or(anchor);
    (t(from), t(to))
}

fn index_occurrences(
    conn: &Connection,
    row: i64,
    id: DocId,
    e: &EventView,
) -> Result<(), StoreError> {
    let ctx = "indexing occurrences";
    let d = &e.details;
    let (from, to) = occurrence_window(window_anchor(conn)?, d.starts_at().timestamp());
    let mut insert = conn
        .prepare_cached(
            "INSERT OR REPLACE INTO occurrences (event, doc, name, title, starts, ends, until, status) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        )
        .ctx(ctx)?;
    let mut longest = 0;
    for o in d.occurrences(&e.exceptions, from, to, usize::MAX) {
        let until = rally_core::recurrence::current_at(&o).as_second();
        longest = longest.max(until - o.starts_at.as_second());
        insert
            .execute(params![
                row,
                id.0,
                o.name.to_string(),
                o.title,
                o.starts_at.as_second(),
                o.ends_at.map(|t| t.as_second()),
                until,
                o.status.as_str()
            ])
            .ctx(ctx)?;
    }
    if longest > longest_occurrence(conn)? {
        crate::meta::write(conn, "occurrence_longest", Some(&longest.to_string()))?;
    }
    Ok(())
}

impl Store {
    /// Every series here (events with a repeat rule).
    pub fn series(&self) -> Result<Vec<DocId>, StoreError> {
        let mut stmt = self
            .conn()
            .prepare_cached("SELECT doc FROM events WHERE series = 1 ORDER BY id")
            .ctx("listing series")?;
        let rows = stmt
            .query_map([], |r| r.get::<_, Vec<u8>>(0))
            .ctx("listing series")?;
        let mut out = Vec::new();
        for row in rows {
            if let Ok(id) = <[u8; 32]>::try_from(row.ctx("listing series")?.as_slice()) {
                out.push(DocId(id));
            }
        }
        Ok(out)
    }

    /// Moves the occurrence window's anchor to `now` and indexes every series
    /// again, when the anchor is more than a week off (a store opened after a
    /// while, or never).
    pub fn refresh_occurrences(&mut self, now: Timestamp) -> Result<(), StoreError> {
        let at: Option<i64> =
            crate::meta::read(self.conn(), "occurrences_at")?.and_then(|a| a.parse().ok());
        if at.is_some_and(|a| (now.as_second() - a).abs() < WINDOW_STALE_SECS) {
            return Ok(());
        }
        let mut docs = Vec::new();
        for id in self.series()? {
            docs.push(self.load(id)?);
        }
        let tx = self.write().ctx("moving the occurrence window")?;
        crate::meta::write(&tx, "occurrences_at", Some(&now.as_second().to_string()))?;
        for doc in &docs {
            reindex(&tx, doc)?;
        }
        tx.commit().ctx("moving the occurrence window")
    }
}

pub(crate) fn reindex(conn: &Connection, doc: &Document) -> Result<(), StoreError> {
    clear_doc(conn, doc.id())?;
    match doc.view() {
        Ok(DocView::Event(e)) => index_event(conn, doc.id(), &e),
        Ok(DocView::Group(g)) => index_group(conn, doc.id(), &g),
        Err(_) => Ok(()),
    }
}

fn index_event(conn: &Connection, id: DocId, e: &EventView) -> Result<(), StoreError> {
    let ctx = "indexing an event";
    let d = &e.details;
    let starts = d.starts_at().timestamp().as_second();
    let ends = d.ends_at().map(|z| z.timestamp().as_second());
    let until = ends.unwrap_or(starts + OPEN_ENDED_SECS);
    conn.prepare_cached(
        "INSERT INTO events (doc, title, starts, ends, until, status, visibility, grp, series) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )
    .ctx(ctx)?
    .execute(params![
        id.0,
        d.title,
        starts,
        ends,
        until,
        d.status.as_str(),
        d.visibility.as_str(),
        e.group.map(|g| g.0.to_vec()),
        d.repeat.is_some()
    ])
    .ctx(ctx)?;
    let row = conn.last_insert_rowid();
    if d.repeat.is_some() {
        index_occurrences(conn, row, id, e)?;
    }
    for hash in e.blobs() {
        conn.prepare_cached("INSERT OR IGNORE INTO blob_refs (doc, hash) VALUES (?1, ?2)")
            .ctx(ctx)?
            .execute(params![id.0, hash.0])
            .ctx(ctx)?;
    }
    if let Some(origin) = &e.origin {
        // The origin never changes (the rule keeps it): the first copy keeps it.
        conn.prepare_cached("INSERT OR IGNORE INTO copies (origin, doc) VALUES (?1, ?2)")
            .ctx(ctx)?
            .execute(params![origin, id.0])
            .ctx(ctx)?;
    }
    conn.prepare_cached(
        "INSERT INTO events_time (id, from_minute, until_minute) VALUES (?1, ?2, ?3)",
    )
    .ctx(ctx)?
    .execute(params![
        row,
        starts.div_euclid(60),
        until.div_euclid(60) + 1
    ])
    .ctx(ctx)?;
    let body = [
        d.description.as_str(),
        d.place.name.as_deref().unwrap_or(""),
        d.place.address.as_deref().unwrap_or(""),
        &d.tags.join(" "),
    ]
    .join("\n");
    conn.prepare_cached("INSERT INTO events_fts (rowid, title, body) VALUES (?1, ?2, ?3)")
        .ctx(ctx)?
        .execute(params![row, d.title, body])
        .ctx(ctx)?;
    if let (Some(lat), Some(lon)) = (d.place.latitude, d.place.longitude) {
        conn.prepare_cached("INSERT INTO events_geo (id, min_lat, max_lat, min_lon, max_lon) VALUES (?1, ?2, ?2, ?3, ?3)")
            .ctx(ctx)?
            .execute(params![row, lat, lon])
            .ctx(ctx)?;
    }
    let mut people = conn
        .prepare_cached(
            "INSERT OR REPLACE INTO event_people (event, persona, relation) VALUES (?1, ?2, ?3)",
        )
        .ctx(ctx)?;
    for p in e.participants.values() {
        people
            .execute(params![row, p.persona.0, p.status.as_str()])
            .ctx(ctx)?;
    }
    for o in e.organisers.keys() {
        people.execute(params![row, o.0, "organiser"]).ctx(ctx)?;
    }
    // Those who answered one occurrence of a series are involved too (their
    // answer to the whole series, if any, is the one kept).
    let mut one = conn
        .prepare_cached(
            "INSERT OR IGNORE INTO event_people (event, persona, relation) VALUES (?1, ?2, ?3)",
        )
        .ctx(ctx)?;
    for p in e.occurrence_participants.values().flat_map(|m| m.values()) {
        one.execute(params![row, p.persona.0, p.status.as_str()])
            .ctx(ctx)?;
    }
    let mut others = conn
        .prepare_cached(
            "INSERT OR IGNORE INTO event_people (event, persona, relation) VALUES (?1, ?2, ?3)",
        )
        .ctx(ctx)?;
    for p in &e.invited {
        others.execute(params![row, p.0, "invited"]).ctx(ctx)?;
    }
    for c in &e.comments {
        others
            .execute(params![row, c.author.0, "commented"])
            .ctx(ctx)?;
    }
    Ok(())
}

fn index_group(conn: &Connection, id: DocId, g: &GroupView) -> Result<(), StoreError> {
    let ctx = "indexing a group";
    conn.prepare_cached("INSERT INTO groups (doc, name, visibility) VALUES (?1, ?2, ?3)")
        .ctx(ctx)?
        .execute(params![id.0, g.profile.name, g.profile.visibility.as_str()])
        .ctx(ctx)?;
    let row = conn.last_insert_rowid();
    for hash in g.blobs() {
        conn.prepare_cached("INSERT OR IGNORE INTO blob_refs (doc, hash) VALUES (?1, ?2)")
            .ctx(ctx)?
            .execute(params![id.0, hash.0])
            .ctx(ctx)?;
    }
    for m in g.members.values() {
        conn.prepare_cached("INSERT INTO group_members (grp, persona, role) VALUES (?1, ?2, ?3)")
            .ctx(ctx)?
            .execute(params![row, m.persona.0, m.role.as_str()])
            .ctx(ctx)?;
    }
    for e in &g.events {
        conn.prepare_cached("INSERT INTO group_events (grp, event) VALUES (?1, ?2)")
            .ctx(ctx)?
            .execute(params![id.0, e.0])
            .ctx(ctx)?;
    }
    Ok(())
}

/// A rectangle of latitudes and longitudes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BBox {
    pub min_lat: f64,
    pub min_lon: f64,
    pub max_lat: f64,
    pub max_lon: f64,
}

/// Which events to list.
#[derive(Debug, Clone)]
pub struct EventQuery {
    pub now: Timestamp,
    /// Only events that have not ended.
    pub upcoming: bool,
    /// Only events a persona organises or answered.
    pub involving: Vec<PersonaId>,
    /// Only events a group lists.
    pub group: Option<DocId>,
    /// Full-text search over title, description, place and tags.
    pub text: Option<String>,
    pub bbox: Option<BBox>,
    pub limit: usize,
    /// Only events after this one in the list's order (its start, then its
    /// id): the next page after a page that ended with it.
    pub after: Option<(i64, DocId)>,
}

impl EventQuery {
    pub fn upcoming(now: Timestamp) -> Self {
        EventQuery {
            now,
            upcoming: true,
            involving: Vec::new(),
            group: None,
            text: None,
            bbox: None,
            limit: 50,
            after: None,
        }
    }
}

/// One row of an event list.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EventSummary {
    pub id: DocId,
    pub title: String,
    /// Unix seconds.
    pub starts: i64,
    pub ends: Option<i64>,
    pub status: EventStatus,
    pub visibility: Visibility,
    pub group: Option<DocId>,
    /// Where its place is (latitude, longitude), when it has coordinates (from
    /// the area index: single precision, within a metre).
    pub at: Option<(f64, f64)>,
    /// In an upcoming list, the occurrence of a series this row is (its name:
    /// the local start its rule gave it); `id` is the series.
    pub occurrence: Option<String>,
}

/// One row of a group list.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GroupSummary {
    pub id: DocId,
    pub name: String,
    pub visibility: String,
    pub members: i64,
    /// The roles of this device's personas in the group, as (persona name, role).
    pub my_roles: Vec<(String, String)>,
}

/// Turns what a person typed into an FTS5 query: every word must match, as a prefix.
fn fts_query(text: &str) -> Option<String> {
    let words: Vec<String> = text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| format!("\"{}\"*", w.replace('"', "\"\"")))
        .collect();
    (!words.is_empty()).then(|| words.join(" "))
}

fn blob32(v: Vec<u8>) -> rusqlite::Result<[u8; 32]> {
    v.try_into().map_err(|_| {
        rusqlite::Error::InvalidColumnType(0, "id".into(), rusqlite::types::Type::Blob)
    })
}

impl Store {
    /// Events matching a query, soonest first.
    /// [`Store::events`] for events listed by any of `groups` (`q.group` is
    /// ignored), soonest first, each once, at most `q.limit`.
    pub fn events_in_groups(
        &self,
        q: &EventQuery,
        groups: &[DocId],
    ) -> Result<Vec<EventSummary>, StoreError> {
        let mut out = Vec::new();
        for g in groups {
            let mut q = q.clone();
            q.group = Some(*g);
            out.extend(self.events(&q)?);
        }
        out.sort_by(|a, b| (a.starts, a.id, &a.occurrence).cmp(&(b.starts, b.id, &b.occurrence)));
        out.dedup_by(|a, b| a.id == b.id && a.occurrence == b.occurrence);
        out.truncate(q.limit);
        Ok(out)
    }

    pub fn events(&self, q: &EventQuery) -> Result<Vec<EventSummary>, StoreError> {
        // Each branch selects the row's columns and the event's row id; where
        // it is (the area index) is read for the rows kept only, after the
        // list is sorted and cut (not for every row a sort goes through).
        let columns = "e.doc AS doc, e.title AS title, e.starts AS starts, e.ends AS ends, \
            e.status AS status, e.visibility AS visibility, e.grp AS grp, e.id AS rid, NULL AS occurrence";
        // A series' occurrences (see `index_occurrences`): the same columns, the
        // occurrence's own title, times and status, and its name.
        let occurrence_columns = "e.doc AS doc, o.title AS title, o.starts AS starts, o.ends AS ends, \
            o.status AS status, e.visibility AS visibility, e.grp AS grp, e.id AS rid, o.name AS occurrence";
        let with_place = |list: String| {
            format!(
                "SELECT u.doc, u.title, u.starts, u.ends, u.status, u.visibility, u.grp,
                        (SELECT min_lat FROM events_geo g WHERE g.id = u.rid),
                        (SELECT min_lon FROM events_geo g WHERE g.id = u.rid), u.occurrence
                 FROM ({list}) u ORDER BY u.starts, u.doc"
            )
        };
        let mut filters: Vec<String> = Vec::new();
        let mut args: Vec<rusqlite::types::Value> = Vec::new();
        let arg = |v: rusqlite::types::Value, args: &mut Vec<rusqlite::types::Value>| {
            args.push(v);
            format!("?{}", args.len())
        };
        if let Some(text) = &q.text {
            let Some(m) = fts_query(text) else {
                return Ok(Vec::new());
            };
            let p = arg(m.into(), &mut args);
            filters.push(format!(
                "e.id IN (SELECT rowid FROM events_fts WHERE events_fts MATCH {p})"
            ));
        }
        if let Some(b) = q.bbox {
            let (a, bb, c, d) = (
                arg(b.min_lat.into(), &mut args),
                arg(b.max_lat.into(), &mut args),
                arg(b.min_lon.into(), &mut args),
                arg(b.max_lon.into(), &mut args),
            );
            filters.push(format!(
                "e.id IN (SELECT id FROM events_geo WHERE max_lat >= {a} AND min_lat <= {bb} AND max_lon >= {c} AND min_lon <= {d})"
            ));
        }
        if !q.involving.is_empty() {
            let ps: Vec<String> = q
                .involving
                .iter()
                .map(|p| arg(p.0.to_vec().into(), &mut args))
                .collect();
            filters.push(format!(
                "e.id IN (SELECT event FROM event_people WHERE persona IN ({}) AND relation IN ('organiser', 'going', 'interested', 'pending'))",
                ps.join(", ")
            ));
        }
        if let Some(g) = q.group {
            let p = arg(g.0.to_vec().into(), &mut args);
            filters.push(format!(
                "e.grp = {p} AND e.doc IN (SELECT event FROM group_events WHERE grp = {p})"
            ));
        }
        if let Some((starts, doc)) = q.after {
            let (s, d) = (
                arg(starts.into(), &mut args),
                arg(doc.0.to_vec().into(), &mut args),
            );
            filters.push(format!("(STARTS, DOC) > ({s}, {d})"));
        }
        let limit = arg((q.limit as i64).into(), &mut args);
        // The paging cursor names the start and document columns of each branch.
        let and_filters = |starts: &str, doc: &str| {
            filters
                .iter()
                .map(|f| format!(" AND {}", f.replace("STARTS", starts).replace("DOC", doc)))
                .collect::<String>()
        };
        let sql = if q.upcoming {
            // Starting from now on (the starts index, in order), plus what is happening
            // now (the time R*Tree): two cheap branches instead of one scan. A series
            // is listed by its occurrences, the same two ways.
            let now = arg(q.now.as_second().into(), &mut args);
            let now_minute = arg(q.now.as_second().div_euclid(60).into(), &mut args);
            let longest = longest_occurrence(self.conn())?;
            let recent = arg((q.now.as_second() - longest).into(), &mut args);
            let (single, occ) = (
                and_filters("e.starts", "e.doc"),
                and_filters("o.starts", "o.doc"),
            );
            with_place(format!(
                "SELECT * FROM (SELECT {columns} FROM events e WHERE e.starts >= {now} AND e.series = 0{single} ORDER BY e.starts, e.doc LIMIT {limit})
                 UNION ALL
                 SELECT * FROM (SELECT {columns} FROM events e WHERE e.id IN (SELECT id FROM events_time WHERE from_minute <= {now_minute} AND until_minute >= {now_minute})
                                AND e.starts < {now} AND e.until > {now} AND e.series = 0{single})
                 UNION ALL
                 SELECT * FROM (SELECT {occurrence_columns} FROM occurrences o JOIN events e ON e.id = o.event
                                WHERE o.starts >= {now}{occ} ORDER BY o.starts, o.doc LIMIT {limit})
                 UNION ALL
                 SELECT * FROM (SELECT {occurrence_columns} FROM occurrences o JOIN events e ON e.id = o.event
                                WHERE o.starts >= {recent} AND o.starts < {now} AND o.until > {now}{occ})
                 ORDER BY 3, 1 LIMIT {limit}"
            ))
        } else {
            let where_clause = if filters.is_empty() {
                String::new()
            } else {
                format!(
                    " WHERE {}",
                    filters
                        .join(" AND ")
                        .replace("STARTS", "e.starts")
                        .replace("DOC", "e.doc")
                )
            };
            with_place(format!(
                "SELECT {columns} FROM events e{where_clause} ORDER BY e.starts, e.doc LIMIT {limit}"
            ))
        };
        let mut stmt = self.conn().prepare_cached(&sql).ctx("listing events")?;
        let rows = stmt
            .query_map(rusqlite::params_from_iter(args), |r| {
                Ok(EventSummary {
                    id: DocId(blob32(r.get(0)?)?),
                    title: r.get(1)?,
                    starts: r.get(2)?,
                    ends: r.get(3)?,
                    status: r
                        .get::<_, String>(4)?
                        .parse()
                        .unwrap_or(EventStatus::Confirmed),
                    visibility: r.get::<_, String>(5)?.parse().unwrap_or(Visibility::Public),
                    group: r
                        .get::<_, Option<Vec<u8>>>(6)?
                        .map(blob32)
                        .transpose()?
                        .map(DocId),
                    at: match (r.get::<_, Option<f64>>(7)?, r.get::<_, Option<f64>>(8)?) {
                        (Some(lat), Some(lon)) => Some((lat, lon)),
                        _ => None,
                    },
                    occurrence: r.get(9)?,
                })
            })
            .ctx("listing events")?;
        rows.collect::<Result<_, _>>().ctx("listing events")
    }

    /// Groups known on this device, with the roles this device's personas hold.
    pub fn groups(&self) -> Result<Vec<GroupSummary>, StoreError> {
        let mut stmt = self
            .conn()
            .prepare(
                "SELECT g.doc, g.name, g.visibility, (SELECT count(*) FROM group_members m WHERE m.grp = g.id),
                        (SELECT group_concat(p.name || '=' || m.role, char(31)) FROM group_members m JOIN personas p ON p.public_key = m.persona WHERE m.grp = g.id)
                 FROM groups g ORDER BY g.name, g.doc",
            )
            .ctx("listing groups")?;
        let rows = stmt
            .query_map([], |r| {
                let roles: Option<String> = r.get(4)?;
                Ok(GroupSummary {
                    id: DocId(blob32(r.get(0)?)?),
                    name: r.get(1)?,
                    visibility: r.get(2)?,
                    members: r.get(3)?,
                    my_roles: roles
                        .unwrap_or_default()
                        .split('\u{1f}')
                        .filter_map(|s| s.split_once('='))
                        .map(|(a, b)| (a.to_owned(), b.to_owned()))
                        .collect(),
                })
            })
            .ctx("listing groups")?;
        rows.collect::<Result<_, _>>().ctx("listing groups")
    }

    /// How many events are indexed.
    pub fn event_count(&self) -> Result<i64, StoreError> {
        self.conn()
            .prepare_cached("SELECT count(*) FROM events")
            .and_then(|mut s| s.query_row([], |r| r.get(0)))
            .ctx("counting events")
    }

    /// The events `persona` organises (it made them, or was made organiser).
    pub fn events_organised_by(&self, persona: &PersonaId) -> Result<Vec<DocId>, StoreError> {
        let mut stmt = self
            .conn()
            .prepare_cached(
                "SELECT e.doc FROM event_people ep JOIN events e ON e.id = ep.event
                 WHERE ep.persona = ?1 AND ep.relation = 'organiser' ORDER BY e.id",
            )
            .ctx("listing an organiser's events")?;
        let rows = stmt
            .query_map([persona.0], |r| r.get::<_, Vec<u8>>(0))
            .ctx("listing an organiser's events")?;
        let mut out = Vec::new();
        for r in rows {
            if let Ok(a) = <[u8; 32]>::try_from(r.ctx("listing an organiser's events")?) {
                out.push(DocId(a));
            }
        }
        Ok(out)
    }
}
