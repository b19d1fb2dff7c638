//! What the federation did with an activity it received: the inbox's answer to
//! its callers, tests and logs, whichever module handled the activity.

use rally_core::DocId;
use rally_core::model::ParticipationStatus;

/// What the inbox did with an activity (also what tests and logs see).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Followed {
        local: String,
        state: String,
    },
    Unfollowed,
    FollowAnswered {
        state: String,
    },
    Commented {
        event: DocId,
        comment: String,
    },
    CommentEdited,
    CommentDeleted,
    Joined {
        event: DocId,
        status: ParticipationStatus,
    },
    JoinRejected {
        event: DocId,
        why: String,
    },
    Left {
        event: DocId,
    },
    /// A followed event kept (or brought up to date) as a read-only copy.
    EventCopied {
        event: DocId,
        new: bool,
    },
    EventCancelled {
        event: DocId,
    },
    /// The organiser answered a join sent from here.
    JoinAnswered {
        event: DocId,
        status: ParticipationStatus,
    },
    /// A remote actor's profile (or key) was read again.
    ActorUpdated,
    Duplicate,
    /// A `Flag` queued for the admins, as this report.
    Reported(i64),
    Ignored(String),
}
