//! What changed since a position, read once for every peer a round of
//! announcements goes to. A server announces to each of its peers the
//! documents they may read that changed since it last did; reading that with
//! each peer's reading rules is a query per peer per round, and on a busy
//! server most of what changed is offered to everyone anyway (the instance's
//! upcoming public events). So the changed documents are read once, each
//! marked whether every peer is offered and may read it; only the others are
//! still checked peer by peer.
//!
//! The list is kept only inside one transaction (a round of announcements is
//! one, see `rally_net`), where nothing but this connection's own writes can
//! change what it says, and [`crate::SyncRepo`] drops it whenever it stores a
//! change or a transaction begins or ends.

use rusqlite::{Connection, params};

use rally_core::{ChangeHash, DocId};

use crate::{Ctx, StoreError, heads_from_blob};

/// Readable by every peer: a public group, or a public or unlisted event
/// (the peer-independent part of the reading rule, `READABLE` in `sync.rs`).
const PUBLIC: &str = "(
    EXISTS (SELECT 1 FROM groups g WHERE g.doc = d.id AND g.visibility = 'public')
    OR EXISTS (SELECT 1 FROM events e WHERE e.doc = d.id AND e.visibility IN ('public', 'unlisted')))";

/// On a relay, offered to every peer: the peer-independent part of
/// `SHARED_WITH_PEER` in `sync.rs`.
const OFFERED_TO_ALL: &str = "(NOT EXISTS (SELECT 1 FROM hidden_docs h WHERE h.doc = d.id) AND (
    EXISTS (SELECT 1 FROM shared_docs sd WHERE sd.doc = d.id)
    OR d.id IN (SELECT e.doc FROM events e WHERE e.visibility = 'public' AND e.until >= unixepoch()
                ORDER BY e.starts LIMIT 1000)))";

/// The documents changed after `from`, as of change cursor `upto`.
#[derive(Debug)]
pub(crate) struct ChangedSince {
    pub from: u64,
    pub upto: i64,
    /// Each with its heads, and whether every peer is offered it and may read it.
    pub docs: Vec<(DocId, Vec<ChangeHash>, bool)>,
}

impl ChangedSince {
    /// Reads them, on a relay ([`crate::Scope::Relay`]; a device has a few
    /// peers and reads with each one's rules).
    pub fn read(conn: &Connection, from: u64, upto: i64) -> Result<Self, StoreError> {
        let sql = format!(
            "WITH changed(doc) AS (SELECT DISTINCT doc FROM changes INDEXED BY changes_since WHERE id > ?1),
                  affected(doc) AS (SELECT doc FROM changed
                                    UNION SELECT ge.event FROM group_events ge WHERE ge.grp IN (SELECT doc FROM changed))
             SELECT d.id, d.heads, ({OFFERED_TO_ALL} AND {PUBLIC}) FROM docs d
             WHERE d.id IN (SELECT doc FROM affected)"
        );
        let mut stmt = conn.prepare_cached(&sql).ctx("listing changed documents")?;
        let rows = stmt
            .query_map(params![from as i64], |r| {
                Ok((
                    r.get::<_, Vec<u8>>(0)?,
                    r.get::<_, Vec<u8>>(1)?,
                    r.get::<_, bool>(2)?,
                ))
            })
            .ctx("listing changed documents")?;
        let mut docs = Vec::new();
        for row in rows {
            let (id, heads, all) = row.ctx("listing changed documents")?;
            if let Ok(id) = <[u8; 32]>::try_from(id.as_slice()) {
                docs.push((DocId(id), heads_from_blob(&heads), all));
            }
        }
        Ok(ChangedSince { from, upto, docs })
    }
}

#[cfg(test)]
mod tests {
    use rally_core::jiff::Timestamp;
    use rally_core::protocol::{Admission, Answer, Repo};
    use rally_core::{
        Document, EventDetails, GroupProfile, GroupVisibility, Persona, PersonaId, Visibility,
    };

    use crate::{Admit, LocalPersona, Store, SyncRepo};

    #[derive(Debug)]
    struct Everyone;

    impl Admit for Everyone {
        fn admit(
            &mut self,
            _: &PersonaId,
            _: Option<&str>,
        ) -> Result<Admission, Box<dyn std::error::Error + Send + Sync>> {
            Ok(Admission::Admitted)
        }
    }

    fn event(by: &Persona, title: &str, starts: &str, visibility: Visibility) -> Document {
        let mut d = EventDetails::new(title, starts.parse().unwrap(), "Europe/Paris");
        d.visibility = visibility;
        Document::create_event(by, title, &d, None, Timestamp::now())
            .unwrap()
            .0
    }

    fn sorted(mut docs: Vec<(rally_core::DocId, Vec<rally_core::ChangeHash>)>) -> Vec<String> {
        docs.sort();
        docs.iter().map(|(d, _)| d.to_hex()).collect()
    }

    /// A relay with what each kind of reading rule decides: upcoming public
    /// events (offered to all), a hidden one, a past one, an unlisted one shared
    /// with everyone, members-only groups and the event of one, and `extra`
    /// more past events (past [`super::super::sync`]'s one-by-one limit).
    fn relay(extra: usize) -> (tempfile::TempDir, SyncRepo, LocalPersona, Vec<String>) {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path()).unwrap();
        let me = store.create_persona("relay", Timestamp::now()).unwrap();
        let local = store.create_persona("alice", Timestamp::now()).unwrap();
        let alice = &local.persona;
        let mut titles = Vec::new();
        let mut add = |store: &mut Store, doc: Document, title: &str| {
            store.insert_new(&doc).unwrap();
            titles.push(format!("{title} {}", doc.id().to_hex()));
            doc.id()
        };
        add(
            &mut store,
            event(alice, "soon", "2055-06-01T18:00", Visibility::Public),
            "soon",
        );
        let hidden = add(
            &mut store,
            event(alice, "hidden", "2055-06-02T18:00", Visibility::Public),
            "hidden",
        );
        store.hide_doc(&hidden, 1).unwrap();
        add(
            &mut store,
            event(alice, "past", "2020-01-01T10:00", Visibility::Public),
            "past",
        );
        let unlisted = add(
            &mut store,
            event(alice, "unlisted", "2055-06-03T18:00", Visibility::Unlisted),
            "unlisted",
        );
        store.share_with_everyone(unlisted).unwrap();
        for i in 0..extra {
            add(
                &mut store,
                event(
                    alice,
                    "old",
                    &format!("2019-01-{:02}T10:00", i % 28 + 1),
                    Visibility::Public,
                ),
                "old",
            );
        }
        for visibility in [GroupVisibility::MembersOnly, GroupVisibility::Public] {
            let profile = GroupProfile {
                name: "Tenants".into(),
                summary: String::new(),
                visibility,
                avatar: None,
            };
            let (group, _) =
                Document::create_group(alice, "alice", &profile, Timestamp::now()).unwrap();
            let gid = add(&mut store, group, "group");
            let mut d = EventDetails::new(
                "members",
                "2055-07-01T18:00".parse().unwrap(),
                "Europe/Paris",
            );
            d.visibility = Visibility::MembersOnly;
            let (e, _) =
                Document::create_event(alice, "alice", &d, Some(gid), Timestamp::now()).unwrap();
            let eid = add(&mut store, e, "members");
            store
                .update(gid, |g| {
                    g.set_group_event(alice, eid, true, Timestamp::now())
                })
                .unwrap();
        }
        let repo = SyncRepo::relay(store, me, Box::new(Everyone));
        (dir, repo, local, titles)
    }

    /// Inside a round's transaction the changed documents are read once for
    /// every peer; each peer must still get exactly what its own reading
    /// rules give, from every position.
    #[test]
    fn a_round_gives_each_peer_what_its_own_rules_give() {
        for extra in [0, 20] {
            let (_dir, mut repo, alice, titles) = relay(extra);
            let peers = [alice.persona.id(), Persona::generate().id()];
            let end = repo.log_position().unwrap();
            for position in [0, 2, 4, end - 1, end] {
                let each: Vec<Vec<String>> = peers
                    .iter()
                    .map(|p| sorted(repo.readable_changed_since_each(p, position).unwrap()))
                    .collect();
                repo.begin_batch().unwrap();
                for (peer, each) in peers.iter().zip(&each) {
                    let once = sorted(repo.readable_changed_since(peer, position).unwrap());
                    assert_eq!(&once, each, "extra {extra}, from {position}: {titles:?}");
                }
                repo.commit_batch().unwrap();
            }
            // What each rule decides, from the start, for a stranger and the
            // member: the stranger never gets the hidden, past, members-only
            // or group documents; the member gets its groups and their events.
            repo.begin_batch().unwrap();
            let name = |hex: &String| {
                titles
                    .iter()
                    .find(|t| t.ends_with(hex.as_str()))
                    .map(|t| t.split(' ').next().unwrap().to_owned())
                    .unwrap()
            };
            let names = |repo: &mut SyncRepo, p: &PersonaId| {
                let mut n: Vec<String> = sorted(repo.readable_changed_since(p, 0).unwrap())
                    .iter()
                    .map(name)
                    .collect();
                n.sort();
                n
            };
            assert_eq!(names(&mut repo, &peers[1]), ["soon", "unlisted"]);
            let mut member = vec![
                "group", "group", "members", "members", "soon", "unlisted", "past",
            ];
            member.extend(std::iter::repeat_n("old", extra));
            member.sort();
            assert_eq!(names(&mut repo, &peers[0]), member);
            repo.commit_batch().unwrap();
        }
    }

    /// A kept answer is served only while the document is unchanged, for the
    /// same `have` and frame size.
    #[test]
    fn a_kept_answer_ends_with_a_change() {
        let (_dir, mut repo, alice, _) = relay(0);
        let (doc, _) = repo
            .readable_changed_since_each(&alice.persona.id(), 0)
            .unwrap()
            .into_iter()
            .find(|(d, _)| repo.store().load(*d).unwrap().event().is_ok())
            .unwrap();
        let answer = Answer {
            frames: vec![vec![7; 10]],
            changes: 1,
        };
        assert_eq!(repo.kept_answer(&doc, &[], 4096).unwrap(), None);
        repo.keep_answer(&doc, &[], 4096, answer.clone());
        assert_eq!(
            repo.kept_answer(&doc, &[], 4096).unwrap(),
            None,
            "not read first"
        );
        assert!(!repo.changes_since(&doc, &[]).unwrap().is_empty());
        repo.keep_answer(&doc, &[], 4096, answer.clone());
        assert_eq!(repo.kept_answer(&doc, &[], 4096).unwrap(), Some(answer));
        assert_eq!(repo.kept_answer(&doc, &[], 1024).unwrap(), None);
        let heads = repo.heads(&doc).unwrap().unwrap();
        assert_eq!(repo.kept_answer(&doc, &heads, 4096).unwrap(), None);
        // Any change to it, by any connection, ends it.
        let mut other = Store::open(_dir.path()).unwrap();
        other
            .update(doc, |d| {
                let mut details = d.event()?.details;
                details.title = "moved".into();
                d.update_event(&alice.persona, &details, Timestamp::now())
            })
            .unwrap();
        assert_eq!(repo.kept_answer(&doc, &[], 4096).unwrap(), None);
    }
}
