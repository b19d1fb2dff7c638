//! Answers to peers' `Want`s kept for the next peer asking the same (see
//! [`rally_core::protocol::Repo::kept_answer`]). A server's [`crate::SyncRepo`] keeps
//! them per document, with the document's heads at the time: an answer is
//! served again only while the stored heads are still those, so a change
//! stored by any connection ends it. Group logs are never kept (what they
//! answer depends on the time: expired messages go as stubs).
//!
//! Bounded by entries and bytes; past either, everything kept is dropped and
//! the cache fills again with what is asked.

use std::collections::HashMap;

use rally_core::protocol::Answer;
use rally_core::{ChangeHash, DocId};

use crate::heads_blob;

/// Answers kept at most.
const MAX_ENTRIES: usize = 4_096;
/// Bytes of kept answers at most.
const MAX_BYTES: usize = 16 << 20;

type Key = (DocId, Vec<u8>, usize);

#[derive(Debug, Default)]
pub(crate) struct KeptAnswers {
    kept: HashMap<Key, (Vec<u8>, Answer)>,
    bytes: usize,
    /// The document whose changes were last read to answer a `Want`, and its
    /// heads then: the heads an answer made from them is kept under.
    read: Option<(DocId, Vec<u8>)>,
}

impl KeptAnswers {
    /// Whether an answer is kept for `doc` from `have` in `chunk`-byte frames
    /// (whether it is still current is [`KeptAnswers::get`]'s to say).
    pub fn has(&self, doc: &DocId, have: &[ChangeHash], chunk: usize) -> bool {
        self.kept.contains_key(&(*doc, heads_blob(have), chunk))
    }

    /// The answer kept for `doc` from `have` in `chunk`-byte frames, if `doc`'s
    /// heads are still `heads`.
    pub fn get(
        &self,
        doc: &DocId,
        have: &[ChangeHash],
        chunk: usize,
        heads: &[ChangeHash],
    ) -> Option<Answer> {
        let (at, answer) = self.kept.get(&(*doc, heads_blob(have), chunk))?;
        (*at == heads_blob(heads)).then(|| answer.clone())
    }

    /// The changes of `doc` were read at `heads` to answer a `Want`.
    pub fn read(&mut self, doc: &DocId, heads: &[ChangeHash]) {
        self.read = Some((*doc, heads_blob(heads)));
    }

    /// Keeps an answer made from the last read, if it was of `doc`.
    pub fn keep(&mut self, doc: &DocId, have: &[ChangeHash], chunk: usize, answer: Answer) {
        let Some((read, heads)) = self.read.take() else {
            return;
        };
        if read != *doc {
            return;
        }
        let size = answer.size();
        if size > MAX_BYTES / 4 {
            return;
        }
        if self.kept.len() >= MAX_ENTRIES || self.bytes + size > MAX_BYTES {
            self.clear();
        }
        self.bytes += size;
        if let Some((_, old)) = self
            .kept
            .insert((*doc, heads_blob(have), chunk), (heads, answer))
        {
            self.bytes -= old.size();
        }
    }

    pub fn clear(&mut self) {
        self.kept.clear();
        self.bytes = 0;
        self.read = None;
    }
}
