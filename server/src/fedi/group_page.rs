//! A group's public page (what a browser gets at `/groups/{id}`; a server
//! asking for ActivityPub gets the `Group`, see [`super::routes`]): its name,
//! handle and about text, its links (to its pad, forum…), its member
//! count, its upcoming and recent past events, following it from a Fediverse
//! account ([`super::interact`]), its feeds, and the snippet to embed its
//! upcoming events elsewhere ([`super::listing::embed`]).

use rally_core::jiff::Timestamp;

use super::page_cache::Page;
use super::vocab::Urls;
use super::{PublicEvent, PublicGroup, when};
use crate::html::escape;
use crate::lang::{Reader, Words};

/// Past events shown at most (the most recent first).
const PAST: usize = 20;

/// Whether `e` has ended by `now`.
pub fn ended(e: &PublicEvent, now: Timestamp) -> bool {
    let d = &e.view.details;
    d.ends_at().unwrap_or_else(|| d.starts_at()).timestamp() < now
}

fn list(urls: &Urls, reader: &Reader, events: &[&PublicEvent]) -> String {
    let items: String = events
        .iter()
        .map(|e| {
            format!(
                "<li><a href=\"{}\">{}</a><br><span class=meta>{}</span></li>",
                escape(&urls.event(&e.id)),
                escape(&e.view.details.title),
                when::summary(reader.lang, &e.view),
            )
        })
        .collect();
    format!("<ul class=events>{items}</ul>")
}

/// The page's parts (kept by [`super::page_cache`]).
pub fn page(
    urls: &Urls,
    reader: &Reader,
    g: &PublicGroup,
    mut events: Vec<PublicEvent>,
    now: Timestamp,
) -> Page {
    let lang = reader.lang;
    let actor = urls.group(&g.id);
    // A series shows at its next date (past once it has none left).
    for e in &mut events {
        if let Some(next) = super::series::at_next(e.view.clone(), now) {
            e.view = next;
        }
    }
    events.sort_by_key(|e| (e.view.details.starts_at().timestamp(), e.id));
    let (past, upcoming): (Vec<&PublicEvent>, Vec<&PublicEvent>) =
        events.iter().partition(|e| ended(e, now));
    let past: Vec<&PublicEvent> = past.into_iter().rev().take(PAST).collect();
    let handle = format!("@{}@{}", g.username, urls.host());
    let summary = if g.view.profile.summary.trim().is_empty() {
        String::new()
    } else {
        rally_core::text::markdown_to_html(&g.view.profile.summary)
    };
    let upcoming_html = if upcoming.is_empty() {
        format!("<p>{}</p>", escape(&lang.t("group-no-upcoming")))
    } else {
        list(urls, reader, &upcoming)
    };
    let past_html = if past.is_empty() {
        String::new()
    } else {
        format!(
            "<h2>{}</h2>{}",
            escape(&lang.t("group-past")),
            list(urls, reader, &past)
        )
    };
    let links: String = g
        .view
        .links
        .iter()
        .filter(|l| l.url.starts_with("https://") || l.url.starts_with("http://"))
        .map(|l| {
            format!(
                "<li><a href=\"{}\" rel=\"noopener nofollow\">{}</a></li>",
                escape(&l.url),
                escape(&l.title)
            )
        })
        .collect();
    let links = if links.is_empty() {
        String::new()
    } else {
        format!(
            "<h2>{}</h2><ul>{links}</ul>",
            escape(&lang.t("group-links"))
        )
    };
    let embed = format!(
        "<iframe src=\"{}/embed\" title=\"{}\" width=\"100%\" height=\"400\" style=\"border:0\"></iframe>",
        actor,
        g.view.profile.name.replace('"', "&quot;")
    );
    let body = format!(
        r#"<h1>{name}</h1><p class=meta>{handle} · {members}</p>{summary}{links}
<h2>{upcoming_heading}</h2>{upcoming_html}{past_html}
<p class=meta>{subscribe} <a href="{ics}">{calendar}</a> · <a href="{atom}">{news}</a></p>
<h2>{follow}</h2><p>{follow_help}</p>{interact}
<p class=meta><label for=embed>{embed_label}</label><br><textarea id=embed readonly rows=3 cols=60>{embed}</textarea></p>"#,
        name = escape(&g.view.profile.name),
        handle = escape(&handle),
        members = escape(&lang.ta("group-members", &[("count", g.view.members.len().into())])),
        upcoming_heading = escape(&lang.t("group-upcoming")),
        subscribe = escape(&lang.t("subscribe")),
        ics = escape(&format!("{actor}/events.ics")),
        calendar = escape(&lang.t("feed-calendar")),
        atom = escape(&format!("{actor}/feed.atom")),
        news = escape(&lang.t("feed-news")),
        follow = escape(&lang.t("group-follow-heading")),
        follow_help = escape(&lang.ta("group-follow-help", &[("handle", handle.clone().into())])),
        interact = super::interact::form(lang, &actor),
        embed_label = escape(&lang.t("group-embed")),
        embed = escape(&embed),
    );
    let head = format!(
        r#"<link rel="alternate" type="application/activity+json" href="{}">{}{}"#,
        escape(&actor),
        super::feeds::alternates(
            &format!("{actor}/events.ics"),
            Some(&format!("{actor}/feed.atom")),
        ),
        super::seo::preview(
            &g.view.profile.name,
            &super::seo::excerpt(&g.view.profile.summary),
            &actor,
            None,
            "profile",
        ),
    );
    Page {
        title: g.view.profile.name.clone(),
        head,
        body,
    }
}
