//! Putting an activity in the delivery queue (`fedi.db`), which the outbox's
//! delivery loop works through with retries; and where the answer to a received
//! `Join` is recorded, so it is sent once.

use rally_core::jiff::Timestamp;
use serde_json::Value;

use super::db::{DbError, FediDb};
use super::vocab::RemoteActor;

/// Queues `activity` from our actor `from` for the inbox of `to`: a step of a
/// call on the federation's thread ([`Fedi::local`](super::Fedi::local)); the
/// caller wakes the delivery worker (`fedi.queued`) once the call is done.
pub fn enqueue(db: &FediDb, from: &str, to: &RemoteActor, activity: &Value) -> Result<(), DbError> {
    db.enqueue(
        &to.inbox,
        from,
        &activity.to_string(),
        Timestamp::now().as_second(),
    )
}

/// Where the answer sent to a received `Join` is recorded (in `published`).
pub fn answered_key(join_id: &str) -> String {
    format!("{join_id}#answer")
}
