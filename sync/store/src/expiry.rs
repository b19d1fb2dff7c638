//! Disappearing messages on this device: what expired is dropped by the
//! device's own clock, offline too (see [`rally_core::disappearing`]).
//!
//! [`sealed::sweep`](crate::sealed) deletes expired messages and keeps only
//! the stubs of expired envelopes. It runs when the store opens, after each
//! import, and from the sync node's tick whenever the next expiry has come
//! ([`Store::sweep_if_due`]); reads of the chat leave out what expired since
//! ([`Store::messages`] returns each message's expiry for that).

use crate::{Ctx, Store, StoreError, Timestamp, sealed};

pub use sealed::{STUB_CLOCK_SKEW_MS, Swept};

impl Store {
    /// Drops what expired by `now`, in one transaction.
    pub fn sweep_expired(&mut self, now: Timestamp) -> Result<Swept, StoreError> {
        let tx = self.write().ctx("removing expired messages")?;
        let swept = sealed::sweep(&tx, now.as_millisecond())?;
        tx.commit().ctx("removing expired messages")?;
        self.scrub_after(swept)?;
        Ok(swept)
    }

    /// After a sweep that dropped something: see [`Store::scrub_log`].
    pub(crate) fn scrub_after(&self, swept: Swept) -> Result<(), StoreError> {
        if swept == Swept::default() {
            return Ok(());
        }
        // Inside a batch (a server taking from its journal): once it commits.
        if !self.conn().is_autocommit() {
            self.scrub_due.set(true);
            return Ok(());
        }
        self.scrub_log()
    }

    /// After deleting what must not stay (expired or forgotten): the pages
    /// `secure_delete` overwrote are copied into the database file and the
    /// write-ahead log is emptied, so neither file holds the old content any
    /// more. Best effort: a reader holding an old snapshot delays it to the
    /// next time.
    pub(crate) fn scrub_log(&self) -> Result<(), StoreError> {
        self.conn()
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
            .ctx("emptying the write-ahead log")
    }

    /// When the next message or envelope held here expires, if any does.
    pub fn next_expiry(&self) -> Result<Option<Timestamp>, StoreError> {
        Ok(sealed::next_expiry(self.conn())?.and_then(|ms| Timestamp::from_millisecond(ms).ok()))
    }

    /// [`Store::sweep_expired`] if something has expired by `now` (a cheap
    /// read otherwise, for periodic callers).
    pub fn sweep_if_due(&mut self, now: Timestamp) -> Result<Option<Swept>, StoreError> {
        match self.next_expiry()? {
            Some(t) if t <= now => self.sweep_expired(now).map(Some),
            _ => Ok(None),
        }
    }
}
