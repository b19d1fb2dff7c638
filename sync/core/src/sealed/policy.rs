//! The rules of a group's log that every member applies the same way, with no
//! storage in them: which epoch to seal with, which epochs may carry chat, whose
//! messages an edit or deletion may change, and which documents travel sealed.
//! The store (`rally-store`'s `sealed.rs`) reads the facts from its tables and
//! asks these functions.

use crate::model::{GroupVisibility, Visibility};
use crate::{DocId, DocKind, Document, PersonaId};

/// What a member knows of one epoch of a group's log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EpochFacts {
    /// Whether this device holds the epoch's secret (not only its document key).
    pub has_secret: bool,
    /// Who made (granted) it, when known.
    pub author: Option<PersonaId>,
    /// The members it was granted to (sorted).
    pub members: Vec<PersonaId>,
    /// Its grant's depth in the log, then the grant's hash: what orders epochs.
    pub depth: i64,
    pub grant: Option<[u8; 32]>,
}

/// Which epoch a member seals with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SealWith {
    /// The epoch at this index of the list given.
    Epoch(usize),
    /// None fits: make a new one and grant it to every current member first.
    NewEpoch,
    /// The sealer is not a member and holds no epoch: nothing may be sealed.
    Nothing,
}

/// The epoch `sealer` seals with in a group whose current members are `members`
/// (sorted): the newest (by depth, then grant hash) made by a current member for
/// exactly the current members; a new one when none is. Someone who is no longer a
/// member (who just left) seals that last change under the newest epoch they hold.
pub fn seal_with(epochs: &[EpochFacts], members: &[PersonaId], sealer: &PersonaId) -> SealWith {
    let newest = |keep: &dyn Fn(&EpochFacts) -> bool| {
        epochs
            .iter()
            .enumerate()
            .filter(|(_, e)| e.has_secret && keep(e))
            .max_by_key(|(_, e)| (e.depth, e.grant))
            .map(|(i, _)| i)
    };
    if !members.contains(sealer) {
        return newest(&|_| true).map_or(SealWith::Nothing, SealWith::Epoch);
    }
    newest(&|e| e.members == members && may_carry_chat(e, members))
        .map_or(SealWith::NewEpoch, SealWith::Epoch)
}

/// Whether an epoch may carry chat: made by someone who is a member now (a
/// stranger who makes up an epoch gets nothing shown).
pub fn may_carry_chat(epoch: &EpochFacts, members: &[PersonaId]) -> bool {
    epoch.author.is_some_and(|a| members.contains(&a))
}

/// Whether an edit or deletion by `author` may change a message by `owner`: only
/// its own author changes a message.
pub fn may_change_message(owner: &PersonaId, author: &PersonaId) -> bool {
    owner == author
}

/// Whether a later edit (at `at`, by the author's clock) replaces the text of a
/// message last edited at `edited_at`: the latest edit wins; a deleted message
/// stays deleted.
pub fn edit_wins(deleted: bool, edited_at: Option<i64>, at: i64) -> bool {
    !deleted && edited_at.is_none_or(|e| e < at)
}

/// Which group's log a document's changes are sealed into, if they are: a
/// members-only group's own, and a members-only event's in its group.
pub fn sealed_group(doc: &Document) -> Option<DocId> {
    match doc.kind()? {
        DocKind::Group => {
            let g = doc.group().ok()?;
            (g.profile.visibility == GroupVisibility::MembersOnly).then(|| doc.id())
        }
        DocKind::Event => {
            let e = doc.event().ok()?;
            (e.details.visibility == Visibility::MembersOnly)
                .then_some(e.group)
                .flatten()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(n: u8) -> PersonaId {
        PersonaId([n; 32])
    }

    fn epoch(author: u8, members: &[u8], depth: i64) -> EpochFacts {
        EpochFacts {
            has_secret: true,
            author: Some(p(author)),
            members: members.iter().map(|m| p(*m)).collect(),
            depth,
            grant: Some([depth as u8; 32]),
        }
    }

    #[test]
    fn members_seal_with_the_newest_epoch_made_for_exactly_them() {
        let members = [p(1), p(2)];
        let epochs = [
            epoch(1, &[1, 2], 3),
            epoch(2, &[1, 2], 7),
            epoch(1, &[1, 2, 3], 9),
        ];
        assert_eq!(seal_with(&epochs, &members, &p(1)), SealWith::Epoch(1));
    }

    #[test]
    fn a_change_of_members_makes_a_new_epoch() {
        // 3 was removed: the newest epoch still names 3, so it does not fit.
        let members = [p(1), p(2)];
        let epochs = [epoch(1, &[1, 2, 3], 9)];
        assert_eq!(seal_with(&epochs, &members, &p(2)), SealWith::NewEpoch);
        assert_eq!(seal_with(&[], &members, &p(2)), SealWith::NewEpoch);
    }

    #[test]
    fn an_epoch_made_by_a_stranger_is_never_used() {
        let members = [p(1), p(2)];
        let epochs = [epoch(9, &[1, 2], 20), epoch(1, &[1, 2], 5)];
        assert_eq!(seal_with(&epochs, &members, &p(1)), SealWith::Epoch(1));
        assert!(!may_carry_chat(&epochs[0], &members));
        assert!(may_carry_chat(&epochs[1], &members));
        let unknown = EpochFacts {
            author: None,
            ..epochs[1].clone()
        };
        assert!(!may_carry_chat(&unknown, &members));
    }

    #[test]
    fn one_who_left_seals_the_leaving_under_the_newest_epoch_held() {
        let members = [p(1)];
        let mut epochs = vec![epoch(1, &[1, 2], 3), epoch(2, &[1, 2], 8)];
        assert_eq!(seal_with(&epochs, &members, &p(2)), SealWith::Epoch(1));
        for e in &mut epochs {
            e.has_secret = false;
        }
        assert_eq!(seal_with(&epochs, &members, &p(2)), SealWith::Nothing);
    }

    #[test]
    fn only_the_author_changes_a_message_and_the_latest_edit_wins() {
        assert!(may_change_message(&p(1), &p(1)));
        assert!(!may_change_message(&p(1), &p(2)));
        assert!(edit_wins(false, None, 5));
        assert!(edit_wins(false, Some(4), 5));
        assert!(!edit_wins(false, Some(6), 5));
        assert!(!edit_wins(true, None, 5));
    }
}
