//! Instance following, both ways (Mobilizon's "relay" model). The admin follows
//! another instance (or one of its actors, a group, by `name@host`): its actor is found through NodeInfo's FEP-2677
//! `Application` link (or WebFinger `relay@domain`), and the instance actor sends
//! it a `Follow`; its public posts then come to the shared inbox. Instances that
//! follow this one wait until the admin accepts (or rejects) them; accepted ones
//! receive every public event this server publishes. Everything goes through
//! `fedi.db` and the delivery queue, so `rally-server admin instances …` works
//! while the server runs.

use rally_core::jiff::Timestamp;
use serde::Serialize;
use serde_json::Value;

use super::db::Follow;
use super::queue::enqueue;
use super::vocab::{self, RemoteActor};
use super::{Fedi, FediError};

/// Another instance and where each side's follow stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Instance {
    pub actor: String,
    pub domain: String,
    /// Our follow of them: pending, accepted or rejected.
    pub we_follow: Option<String>,
    /// Their follow of us: pending, accepted or rejected.
    pub they_follow: Option<String>,
}

fn domain_of(url: &str) -> String {
    url::Url::parse(url)
        .ok()
        .and_then(|u| {
            u.host_str()
                .map(|h| u.port().map_or(h.to_owned(), |p| format!("{h}:{p}")))
        })
        .unwrap_or_default()
}

pub async fn list(fedi: &Fedi) -> Result<Vec<Instance>, FediError> {
    let me = fedi.urls.instance();
    let (following, followers) = fedi
        .db(move |db| Ok::<_, FediError>((db.following(&me)?, db.followers(&me)?)))
        .await?;
    let mut out: Vec<Instance> = Vec::new();
    for f in following {
        out.push(Instance {
            domain: domain_of(&f.remote),
            actor: f.remote,
            we_follow: Some(f.state),
            they_follow: None,
        });
    }
    for f in followers {
        match out.iter_mut().find(|i| i.actor == f.remote) {
            Some(i) => i.they_follow = Some(f.state),
            None => out.push(Instance {
                domain: domain_of(&f.remote),
                actor: f.remote,
                we_follow: None,
                they_follow: Some(f.state),
            }),
        }
    }
    out.sort_by(|a, b| a.domain.cmp(&b.domain));
    Ok(out)
}

/// The base URL of a domain as the server may reach it.
pub(super) fn base_of(fedi: &Fedi, domain: &str) -> String {
    let domain = domain.trim().trim_end_matches('/');
    if domain.starts_with("https://") || domain.starts_with("http://") {
        return domain.to_owned();
    }
    let local = domain.starts_with("localhost") || domain.starts_with("127.0.0.1");
    if local && fedi.urls.base.starts_with("http://") {
        format!("http://{domain}")
    } else {
        format!("https://{domain}")
    }
}

/// Finds the actor to follow: for `name@host` (a group, say), the one WebFinger
/// names; for a domain, its instance actor — NodeInfo's Application link, else
/// `relay@domain`.
pub async fn discover(fedi: &Fedi, target: &str) -> Result<String, FediError> {
    let target = target.trim().trim_start_matches('@');
    if !target.contains("://")
        && let Some((_, host)) = target.split_once('@')
    {
        return webfinger(fedi, &base_of(fedi, host), target).await;
    }
    let base = base_of(fedi, target);
    if let Ok(links) = fedi
        .fetcher
        .get_plain_json(&format!("{base}/.well-known/nodeinfo"))
        .await
        && let Some(actor) = vocab::nodeinfo_application(&links)
    {
        return Ok(actor);
    }
    let host = domain_of(&base);
    webfinger(fedi, &base, &format!("relay@{host}")).await
}

async fn webfinger(fedi: &Fedi, base: &str, acct: &str) -> Result<String, FediError> {
    let jrd = fedi
        .fetcher
        .get_plain_json(&format!(
            "{base}/.well-known/webfinger?resource=acct:{acct}"
        ))
        .await?;
    vocab::webfinger_actor(&jrd)
        .ok_or_else(|| FediError::Refused(format!("WebFinger names no actor for {acct}")))
}

/// Follows another instance (or an actor by `name@host`); returns its actor.
pub async fn follow(fedi: &Fedi, domain: &str) -> Result<RemoteActor, FediError> {
    let actor_url = discover(fedi, domain).await?;
    let actor = fedi.remote_actor(&actor_url, true).await?;
    let me = fedi.urls.instance();
    let id = fedi.urls.activity("follow");
    let following = Follow {
        local: me.clone(),
        remote: actor.id.clone(),
        follow_id: id.clone(),
        state: "pending".into(),
        at: Timestamp::now().as_second(),
    };
    let mut follow = super::vocab::follow(&id, &me, &actor.id);
    follow["@context"] = vocab::context();
    let to = actor.clone();
    fedi.db(move |db| {
        db.set_following(&following)?;
        enqueue(db, &me, &to, &follow)
    })
    .await?;
    fedi.queued.notify_one();
    Ok(actor)
}

/// Stops following another instance.
pub async fn unfollow(fedi: &Fedi, actor: &str) -> Result<(), FediError> {
    let me = fedi.urls.instance();
    let mine = me.clone();
    let Some(f) = fedi
        .db(move |db| db.following(&mine))
        .await?
        .into_iter()
        .find(|f| f.remote == actor || domain_of(&f.remote) == actor)
    else {
        return Err(FediError::Refused(format!(
            "this instance does not follow {actor}"
        )));
    };
    let remote = fedi.remote_actor(&f.remote, false).await?;
    let undo = vocab::activity(
        &format!("{}/undo", f.follow_id),
        "Undo",
        &me,
        super::vocab::follow(&f.follow_id, &me, &f.remote),
        std::slice::from_ref(&f.remote),
        &[],
    );
    fedi.db(move |db| {
        enqueue(db, &me, &remote, &undo)?;
        db.remove_following(&me, &f.remote)
    })
    .await?;
    fedi.queued.notify_one();
    Ok(())
}

/// Accepts or rejects an instance that follows this one.
pub async fn answer(fedi: &Fedi, actor: &str, accept: bool) -> Result<(), FediError> {
    let me = fedi.urls.instance();
    let mine = me.clone();
    let Some(mut f) = fedi
        .db(move |db| db.followers(&mine))
        .await?
        .into_iter()
        .find(|f| f.remote == actor || domain_of(&f.remote) == actor)
    else {
        return Err(FediError::Refused(format!(
            "{actor} does not follow this instance"
        )));
    };
    let remote = fedi.remote_actor(&f.remote, false).await?;
    let kind = if accept { "Accept" } else { "Reject" };
    let activity: Value = vocab::activity(
        &fedi.urls.activity(&kind.to_lowercase()),
        kind,
        &me,
        super::vocab::follow(&f.follow_id, &f.remote, &me),
        std::slice::from_ref(&f.remote),
        &[],
    );
    f.state = if accept { "accepted" } else { "rejected" }.into();
    let urls = fedi.urls.clone();
    let inbox = remote.delivery_inbox().to_owned();
    fedi.local(move |l| {
        // The new follower fills itself in: the upcoming public events, each as
        // the Announce it would have had (the outbox has the rest). An event
        // being published right now may be announced live too; the same
        // Announce goes to an inbox once.
        let now = rally_core::jiff::Timestamp::now();
        let mut backfill = Vec::new();
        if accept {
            let upcoming = l.store().events(&rally_store::EventQuery {
                limit: BACKFILL,
                ..rally_store::EventQuery::upcoming(now)
            })?;
            for e in upcoming {
                if let Some(ev) = l.public_event(&e.id)? {
                    let object = vocab::event_object(&urls, &e.id, &ev.view, Some(&ev.group), now);
                    backfill.push(super::outbox::announce(&urls, &object));
                }
            }
        }
        l.db.transaction(|db| {
            enqueue(db, &me, &remote, &activity)?;
            db.set_follower(&f)?;
            for a in &backfill {
                let id = a["id"].as_str().unwrap_or_default();
                db.enqueue_once(&inbox, &me, &a.to_string(), id, now.as_second())?;
            }
            Ok(())
        })?;
        Ok(())
    })
    .await?;
    fedi.queued.notify_one();
    Ok(())
}

/// The most upcoming public events announced to an instance that starts
/// following this one.
const BACKFILL: usize = 200;

/// The host a domain, handle or URL names, lower case, without port.
pub fn host_of(target: &str) -> Result<String, FediError> {
    let t = target.trim().trim_start_matches('@');
    let t = t.split_once("://").map_or(t, |(_, rest)| rest);
    let t = t.rsplit_once('@').map_or(t, |(_, host)| host);
    let host = t
        .split(['/', '?', '#'])
        .next()
        .unwrap_or_default()
        .rsplit_once(':')
        .map_or(
            t.split(['/', '?', '#']).next().unwrap_or_default(),
            |(h, _)| h,
        )
        .to_ascii_lowercase();
    let valid = !host.is_empty()
        && host.len() <= 253
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
        && !host.starts_with('.')
        && !host.ends_with('.');
    if valid {
        Ok(host)
    } else {
        Err(FediError::Refused(format!("{target:?} is not a domain")))
    }
}

/// Refuses everything from a domain and its subdomains: inbox posts, fetches and
/// deliveries (the fetcher's list in memory changes with `fedi.db`'s).
pub async fn block(fedi: &Fedi, target: &str) -> Result<String, FediError> {
    let host = host_of(target)?;
    let (domain, list) = (host.clone(), fedi.blocklist().clone());
    fedi.db(move |db| {
        db.block_domain(&domain)?;
        list.set(db.blocked_domains()?);
        Ok::<_, FediError>(())
    })
    .await?;
    Ok(host)
}

pub async fn unblock(fedi: &Fedi, target: &str) -> Result<bool, FediError> {
    let host = host_of(target)?;
    let list = fedi.blocklist().clone();
    fedi.db(move |db| {
        let was = db.unblock_domain(&host)?;
        list.set(db.blocked_domains()?);
        Ok::<_, FediError>(was)
    })
    .await
}

pub async fn blocked(fedi: &Fedi) -> Result<Vec<String>, FediError> {
    fedi.db(|db| db.blocked_domains()).await
}

/// Refuses everything from one remote actor (by its URL), and logs it.
pub async fn block_actor(fedi: &Fedi, actor: &str) -> Result<String, FediError> {
    let actor = actor.trim().to_owned();
    let url = url::Url::parse(&actor)
        .ok()
        .filter(|u| matches!(u.scheme(), "https" | "http") && u.host_str().is_some())
        .ok_or_else(|| FediError::Refused(format!("{actor:?} is not an actor's URL")))?;
    let actor = url.to_string();
    let at = rally_core::jiff::Timestamp::now().as_second();
    let a = actor.clone();
    fedi.db(move |db| {
        db.block_actor(&a, at)?;
        db.log_moderation("block-actor", &a, None, at)
    })
    .await?;
    Ok(actor)
}

pub async fn unblock_actor(fedi: &Fedi, actor: &str) -> Result<bool, FediError> {
    let actor = url::Url::parse(actor.trim())
        .map(|u| u.to_string())
        .unwrap_or_else(|_| actor.trim().to_owned());
    let at = rally_core::jiff::Timestamp::now().as_second();
    fedi.db(move |db| {
        let was = db.unblock_actor(&actor)?;
        if was {
            db.log_moderation("unblock-actor", &actor, None, at)?;
        }
        Ok::<_, FediError>(was)
    })
    .await
}

pub async fn blocked_actors(fedi: &Fedi) -> Result<Vec<String>, FediError> {
    fedi.db(|db| db.blocked_actors()).await
}
