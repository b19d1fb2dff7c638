//! Devices with real stores syncing through the real protocol
//! (`rally_core::protocol::Session`) over their own sync repos, frames passed
//! in memory; shared by the store's integration tests.
#![allow(dead_code)]

use std::path::Path;

use rally_core::jiff::Timestamp;
use rally_core::protocol::Session;
use rally_core::{Document, GroupProfile, GroupVisibility, PersonaId, Role};
use rally_store::{LocalPersona, Store, SyncRepo};

pub fn t(secs: i64) -> Timestamp {
    Timestamp::from_second(1_780_000_000 + secs).unwrap()
}

pub struct Device {
    pub dir: tempfile::TempDir,
    pub repo: Option<SyncRepo>,
}

impl Device {
    pub fn new(name: &str) -> Device {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path()).unwrap();
        let me = store.create_persona(name, t(0)).unwrap();
        Device {
            dir,
            repo: Some(SyncRepo::new(store, me)),
        }
    }

    pub fn store(&mut self) -> &mut Store {
        self.repo.as_mut().unwrap().store_mut()
    }

    pub fn me(&self) -> LocalPersona {
        self.repo.as_ref().unwrap().persona().clone()
    }

    pub fn id(&self) -> PersonaId {
        self.me().id()
    }

    /// Runs `f` on this device's store as its persona.
    pub fn as_me<T>(&mut self, f: impl FnOnce(&mut Store, &LocalPersona) -> T) -> T {
        let me = self.me();
        f(self.store(), &me)
    }

    pub fn send(
        &mut self,
        group: rally_core::DocId,
        text: &str,
        reply_to: Option<&str>,
        now: Timestamp,
    ) -> Result<String, rally_store::StoreError> {
        self.as_me(|s, me| s.send_message(me, group, text, reply_to, now))
    }

    pub fn edit(
        &mut self,
        group: rally_core::DocId,
        id: &str,
        text: &str,
        now: Timestamp,
    ) -> Result<String, rally_store::StoreError> {
        self.as_me(|s, me| s.edit_message(me, group, id, text, now))
    }

    pub fn delete(
        &mut self,
        group: rally_core::DocId,
        id: &str,
        now: Timestamp,
    ) -> Result<String, rally_store::StoreError> {
        self.as_me(|s, me| s.delete_message(me, group, id, now))
    }

    pub fn texts(&mut self, group: rally_core::DocId) -> Vec<String> {
        self.store()
            .messages(group)
            .unwrap()
            .into_iter()
            .map(|m| m.text)
            .collect()
    }
}

/// Runs one sync session between two devices until neither has anything to say.
pub fn sync(a: &mut Device, b: &mut Device) {
    let mut ra = a.repo.take().unwrap();
    let mut rb = b.repo.take().unwrap();
    let (mut sa, out_a) = Session::new(
        ra.persona().persona.clone(),
        ra.store().epoch().unwrap(),
        b"a".to_vec(),
        b"b".to_vec(),
    );
    let (mut sb, out_b) = Session::new(
        rb.persona().persona.clone(),
        rb.store().epoch().unwrap(),
        b"b".to_vec(),
        b"a".to_vec(),
    );
    let (mut to_b, mut to_a) = (out_a, out_b);
    let mut rounds = 0;
    while !(to_a.is_empty() && to_b.is_empty()) {
        rounds += 1;
        assert!(rounds < 1000, "the sync does not settle");
        let mut next_a = Vec::new();
        for f in to_b.drain(..) {
            next_a.extend(sb.handle(&mut rb, &f, rounds).unwrap());
        }
        let mut next_b = Vec::new();
        for f in to_a.drain(..) {
            next_b.extend(sa.handle(&mut ra, &f, rounds).unwrap());
        }
        to_a = next_a;
        to_b = next_b;
    }
    ra.flush().unwrap();
    rb.flush().unwrap();
    a.repo = Some(ra);
    b.repo = Some(rb);
}

/// Every byte under `dir`, as text (lossy), to search for plaintext.
pub fn all_bytes(dir: &Path) -> String {
    let mut out = String::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            out.push_str(&String::from_utf8_lossy(&std::fs::read(&path).unwrap()));
        }
    }
    out
}

/// The store is closed and reopened from disk on the way, so the searched files
/// hold everything (the WAL is checkpointed on close).
pub fn reopen(dev: &mut Device) {
    let repo = dev.repo.take().unwrap();
    let me = repo.persona().clone();
    drop(repo);
    let store = Store::open(dev.dir.path()).unwrap();
    dev.repo = Some(SyncRepo::new(store, me));
}

pub fn members_only_group(admin: &mut Device, name: &str) -> rally_core::DocId {
    let me = admin.me();
    let profile = GroupProfile {
        name: name.into(),
        summary: "Only for us".into(),
        visibility: GroupVisibility::MembersOnly,
        avatar: None,
    };
    let (doc, _) = Document::create_group(&me.persona, &me.name, &profile, t(1)).unwrap();
    admin.store().insert_new(&doc).unwrap();
    doc.id()
}

pub fn add(admin: &mut Device, group: rally_core::DocId, who: PersonaId, name: &str) {
    let me = admin.me();
    admin
        .store()
        .update(group, |g| {
            g.add_member(&me.persona, who, name, Role::Member, t(2))
        })
        .unwrap();
}

/// Whether any file directly in `dir` holds these bytes.
pub fn holds_bytes(dir: &Path, needle: &[u8]) -> bool {
    std::fs::read_dir(dir).unwrap().any(|e| {
        std::fs::read(e.unwrap().path()).is_ok_and(|b| b.windows(needle.len()).any(|w| w == needle))
    })
}
