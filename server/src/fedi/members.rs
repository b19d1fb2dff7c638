//! Who speaks for a remote group: the group's own members collection, read from
//! the group's origin. Mobilizon sends a group's events from the member who
//! wrote them (`actor` a Person, `attributedTo` the Group); following the group
//! trusts those members, as the group itself lists them — never what the
//! activity claims.

use serde_json::Value;

use super::fetch::Signer;
use super::vocab::{self, RemoteActor, Urls, same_origin};
use super::{Fedi, FediError};

/// Pages of a members collection read at most.
const MAX_PAGES: usize = 5;

/// The roles that speak for a group (Mobilizon's; "invited", "not_approved" and
/// "rejected" do not).
const SPEAKING_ROLES: &[&str] = &["member", "moderator", "administrator", "creator"];

/// What one page (or the collection itself) says of `actor`.
#[derive(Debug, PartialEq, Eq)]
pub enum Listed {
    /// Listed, with a role that speaks for the group (or none given).
    Yes,
    /// Listed without such a role.
    No,
    /// Not on this page; the next page, if any.
    NotHere(Option<String>),
}

/// Looks for `actor` in a collection or collection page (items inline, the first
/// page embedded or named).
pub fn listed(page: &Value, actor: &str) -> Listed {
    if let Some(first) = page.get("first").filter(|f| f.is_object()) {
        return match listed(first, actor) {
            Listed::NotHere(None) => Listed::NotHere(None),
            found => found,
        };
    }
    let items = page
        .get("orderedItems")
        .or_else(|| page.get("items"))
        .and_then(Value::as_array);
    for item in items.into_iter().flatten() {
        let who = item
            .get("actor")
            .and_then(vocab::id_of)
            .or_else(|| vocab::id_of(item));
        if who.as_deref() == Some(actor) {
            return match item.get("role").and_then(Value::as_str) {
                Some(role) if !SPEAKING_ROLES.contains(&role) => Listed::No,
                _ => Listed::Yes,
            };
        }
    }
    let next = page
        .get("next")
        .or_else(|| page.get("first"))
        .and_then(vocab::id_of);
    Listed::NotHere(next)
}

/// Whether `group`'s members collection, fetched from the group's origin, lists
/// `actor` with a role that speaks for it.
pub async fn speaks_for_group(
    fedi: &Fedi,
    group: &RemoteActor,
    actor: &str,
) -> Result<bool, FediError> {
    let Some(mut url) = group.members.clone() else {
        return Ok(false);
    };
    let instance = fedi.urls.instance();
    let key = fedi.key(&instance).await?;
    let key_id = Urls::key_id(&instance);
    for _ in 0..MAX_PAGES {
        if !same_origin(&url, &group.id) {
            return Ok(false);
        }
        fedi.may_fetch(&url)?;
        let page = fedi
            .fetcher
            .get_json(
                &url,
                Some(Signer {
                    key: &key,
                    key_id: &key_id,
                }),
            )
            .await?;
        match listed(&page, actor) {
            Listed::Yes => return Ok(true),
            Listed::No | Listed::NotHere(None) => return Ok(false),
            Listed::NotHere(Some(next)) if next == url => return Ok(false),
            Listed::NotHere(Some(next)) => url = next,
        }
    }
    Ok(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mobilizons_members_collection_lists_its_members_with_their_roles() {
        let path = vocab::fixture("mobilizon-group-members-collection.json");
        let page: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        assert_eq!(listed(&page, "http://mobilizon.test/@tcit"), Listed::Yes);
        assert_eq!(listed(&page, "http://mobilizon2.com/@tcit"), Listed::Yes);
        assert_eq!(
            listed(&page, "http://mobilizon.test/@stranger"),
            Listed::NotHere(None)
        );
        let mut invited = page.clone();
        invited["first"]["orderedItems"][1]["role"] = "invited".into();
        assert_eq!(listed(&invited, "http://mobilizon2.com/@tcit"), Listed::No);
        // A collection that names its first page: read next.
        let named = serde_json::json!({"type": "OrderedCollection",
            "first": "http://mobilizon.test/@demo/members?page=1"});
        assert_eq!(
            listed(&named, "http://mobilizon.test/@tcit"),
            Listed::NotHere(Some("http://mobilizon.test/@demo/members?page=1".into()))
        );
    }
}
