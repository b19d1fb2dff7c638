//! Putting an activity in the delivery queue (`fedi.db`), which the outbox's
//! delivery loop works through with retries; and where the answer to a received
//! `Join` is recorded, so it is sent once.

use rally_core::jiff::Timestamp;
use serde_json::Value;

use super::vocab::RemoteActor;
use super::{Fedi, FediError};

/// Queues `activity` from our actor `from` for the inbox of `to`.
pub fn send(fedi: &Fedi, from: &str, to: &RemoteActor, activity: &Value) -> Result<(), FediError> {
    let now = Timestamp::now().as_second();
    fedi.db()?
        .enqueue(&to.inbox, from, &activity.to_string(), now)?;
    fedi.queued.notify_one();
    Ok(())
}

/// Where the answer sent to a received `Join` is recorded (in `published`).
pub fn answered_key(join_id: &str) -> String {
    format!("{join_id}#answer")
}
