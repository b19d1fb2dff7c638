//! An event's public page (what a browser gets at `/events/{id}`; a server
//! asking for ActivityPub gets the `Event`, see [`super::routes`]): banner,
//! title, time in the event's zone and, on request, the reader's, place and
//! map link, organisers, participants, description, tags, "add to calendar",
//! "open in the Rally app", joining from a Fediverse account
//! ([`super::interact`]), and the comments with their replies, nested.

use std::collections::HashMap;
use std::sync::LazyLock;

use rally_core::model::Comment;

use super::page_cache::Page;
use super::vocab::Urls;
use super::{PublicEvent, when};
use crate::html::escape;
use crate::lang::{Reader, Words};

/// Replies deeper than this are shown at this depth.
const MAX_DEPTH: usize = 6;

/// What the page shows besides the event.
#[derive(Debug)]
pub struct Extra {
    /// The organising group's name.
    pub group_name: String,
}

/// A series' next dates (in its zone; a cancelled one marked), or nothing
/// for a single event.
fn series_dates(
    lang: crate::lang::Lang,
    view: &rally_core::model::EventView,
    now: rally_core::jiff::Timestamp,
) -> String {
    if view.details.repeat.is_none() {
        return String::new();
    }
    let zone = view.details.zone();
    let items: String = super::series::next(view, now)
        .iter()
        .map(|o| {
            let start = o.starts_at.to_zoned_datetime(zone.clone());
            let end = o.ends_at.map(|e| e.to_zoned_datetime(zone.clone()));
            let cancelled = if o.status == rally_core::model::EventStatus::Cancelled {
                format!("<strong>{}</strong> – ", escape(&lang.t("when-cancelled")))
            } else {
                String::new()
            };
            format!(
                "<li>{cancelled}<time datetime=\"{}\">{}</time></li>",
                o.starts_at,
                escape(&when::span(lang, &start, end.as_ref()))
            )
        })
        .collect();
    format!(
        "<h2>{}</h2><ul class=dates>{items}</ul>",
        escape(&lang.t("event-next-dates"))
    )
}

/// The page's parts (kept by [`super::page_cache`]).
pub fn page(urls: &Urls, reader: &Reader, ev: &PublicEvent, extra: &Extra) -> Page {
    let lang = reader.lang;
    // A series shows at its next date, with its next dates listed.
    let now = rally_core::jiff::Timestamp::now();
    let next = super::series::at_next(ev.view.clone(), now);
    let d = &next.as_ref().unwrap_or(&ev.view).details;
    let dates = series_dates(lang, &ev.view, now);
    let url = urls.event(&ev.id);
    let banner = d.banner.as_ref().map_or(String::new(), |b| {
        format!(
            "<img src=\"{}\" alt=\"{}\" width={} height={}>",
            escape(&urls.media(&b.hash)),
            escape(&b.alt),
            b.width,
            b.height
        )
    });
    let cancelled = if d.status == rally_core::model::EventStatus::Cancelled {
        format!("<strong>{}</strong> – ", escape(&lang.t("when-cancelled")))
    } else {
        String::new()
    };
    let zone = reader.param("tz");
    let yours = match zone.map(|z| (z, when::in_zone(lang, d, z))) {
        Some((_, Some(t))) => format!("<p class=meta>{}</p>", escape(&t)),
        Some((z, None)) if z != d.time_zone => format!(
            "<p class=error>{}</p>",
            escape(&lang.ta("tz-unknown", &[("zone", z.to_owned().into())]))
        ),
        _ => String::new(),
    };
    let place_words: Vec<&str> = [d.place.name.as_deref(), d.place.address.as_deref()]
        .into_iter()
        .flatten()
        .filter(|p| !p.trim().is_empty())
        .collect();
    let map = match (d.place.latitude, d.place.longitude) {
        (Some(lat), Some(lon)) => format!(
            " · <a href=\"{}\">{}</a>",
            escape(&format!(
                "https://www.openstreetmap.org/?mlat={lat}&mlon={lon}#map=17/{lat}/{lon}"
            )),
            escape(&lang.t("event-map"))
        ),
        _ => String::new(),
    };
    let place = if place_words.is_empty() && map.is_empty() {
        String::new()
    } else {
        format!(
            "<p><strong>{}:</strong> {}{map}</p>",
            escape(&lang.t("event-place")),
            escape(&place_words.join(", "))
        )
    };
    let online = d
        .online_url
        .as_deref()
        .filter(|u| u.starts_with("https://") || u.starts_with("http://"))
        .map_or(String::new(), |u| {
            format!(
                "<p><a href=\"{0}\" rel=\"noopener nofollow\">{0}</a></p>",
                escape(u)
            )
        });
    let tags = if d.tags.is_empty() {
        String::new()
    } else {
        format!(
            "<p class=meta>{}</p>",
            d.tags
                .iter()
                .map(|t| format!(
                    "<a href=\"/tags/{}\">#{}</a>",
                    escape(&url::form_urlencoded::byte_serialize(t.as_bytes()).collect::<String>()),
                    escape(t)
                ))
                .collect::<Vec<_>>()
                .join(" ")
        )
    };
    let comments = comments_html(reader, &ev.view.comments);
    let body = format!(
        r#"{banner}<h1>{title}</h1>
<p class=meta>{cancelled}<time datetime="{instant}">{time}</time></p>{yours}{dates}
<p class=meta>{organised} · {going}</p>
{place}{online}{description}{tags}
<p><a href="{ics}">{add}</a> · <a href="{app}">{open}</a></p>
<form method=get action="{path}"><label for=tz>{tz_label}</label> <input id=tz name=tz list=zones value="{tz}" autocomplete=off><datalist id=zones>{zones}</datalist> <button type=submit>{tz_submit}</button></form>
<h2>{join}</h2><p>{join_help}</p>{interact}
<h2>{comments_heading}</h2>{comments}"#,
        title = escape(&d.title),
        instant = d.starts_at().timestamp(),
        time = escape(&when::in_its_zone(lang, d)),
        organised = lang.ta(
            "event-organised-by",
            &[(
                "group",
                format!(
                    "<a href=\"{}\">{}</a>",
                    escape(&urls.group(&ev.group)),
                    escape(&extra.group_name)
                )
                .into()
            )]
        ),
        going = escape(&lang.ta("going", &[("count", ev.view.going_count().into())])),
        description = rally_core::text::markdown_to_html(&d.description),
        ics = escape(&format!("{url}/event.ics")),
        add = escape(&lang.t("event-add-calendar")),
        app = escape(&format!("rally://event/{}", ev.id.to_hex())),
        open = escape(&lang.t("event-open-app")),
        path = escape(&reader.path),
        tz_label = escape(&lang.t("tz-label")),
        tz = escape(zone.unwrap_or_default()),
        zones = &*ZONES,
        tz_submit = escape(&lang.t("tz-submit")),
        join = escape(&lang.t("event-join-heading")),
        join_help = escape(&lang.t("event-join-help")),
        interact = super::interact::form(lang, &url),
        comments_heading = escape(&lang.t("event-comments")),
    );
    let head = format!(
        r#"<link rel="alternate" type="application/activity+json" href="{}">{}{}{}"#,
        escape(&url),
        super::feeds::alternates(&format!("{url}/event.ics"), None),
        super::seo::preview(
            &d.title,
            &super::seo::excerpt(&d.description),
            &url,
            d.banner
                .as_ref()
                .map(|b| (urls.media(&b.hash), b.alt.clone()))
                .as_ref()
                .map(|(src, alt)| (src.as_str(), alt.as_str())),
            "website",
        ),
        super::seo::event_json_ld(urls, &ev.id, &ev.view, None),
    );
    Page {
        title: d.title.clone(),
        head,
        body,
    }
}

/// The zones a reader may pick (the tz database's Area/City names).
static ZONES: LazyLock<String> = LazyLock::new(|| {
    const AREAS: [&str; 9] = [
        "Africa/",
        "America/",
        "Antarctica/",
        "Asia/",
        "Atlantic/",
        "Australia/",
        "Europe/",
        "Indian/",
        "Pacific/",
    ];
    let mut names: Vec<String> = rally_core::jiff::tz::db()
        .available()
        .map(|n| n.to_string())
        .filter(|n| AREAS.iter().any(|a| n.starts_with(a)))
        .collect();
    names.sort();
    names
        .iter()
        .map(|n| format!("<option value=\"{}\">", escape(n)))
        .collect()
});

/// The comments as nested lists: each under the one it answers; a hidden or
/// deleted comment that has answers stays as a placeholder so they keep their
/// place.
fn comments_html(reader: &Reader, comments: &[Comment]) -> String {
    let lang = reader.lang;
    let known: std::collections::HashSet<&str> = comments.iter().map(|c| c.id.as_str()).collect();
    let mut children: HashMap<Option<&str>, Vec<&Comment>> = HashMap::new();
    for c in comments {
        // An answer to a comment this copy does not have is shown at the top.
        let parent = c.reply_to.as_deref().filter(|p| known.contains(p));
        children.entry(parent).or_default().push(c);
    }
    for list in children.values_mut() {
        list.sort_by_key(|c| (c.created_at, c.id.clone()));
    }
    fn has_visible(c: &Comment, children: &HashMap<Option<&str>, Vec<&Comment>>) -> bool {
        (!c.deleted && !c.hidden)
            || children
                .get(&Some(c.id.as_str()))
                .is_some_and(|k| k.iter().any(|k| has_visible(k, children)))
    }
    fn list(
        parent: Option<&str>,
        depth: usize,
        children: &HashMap<Option<&str>, Vec<&Comment>>,
        lang: crate::lang::Lang,
        out: &mut String,
    ) {
        let Some(items) = children.get(&parent) else {
            return;
        };
        let shown: Vec<&&Comment> = items.iter().filter(|c| has_visible(c, children)).collect();
        if shown.is_empty() {
            return;
        }
        out.push_str("<ul class=comments>");
        for c in shown {
            out.push_str("<li>");
            if c.deleted || c.hidden {
                out.push_str(&format!(
                    "<p class=meta>{}</p>",
                    escape(&lang.t("event-comment-hidden"))
                ));
            } else {
                out.push_str(&format!(
                    "<p class=meta><strong>{}</strong></p>{}",
                    escape(&lang.ta(
                        "event-comment-by",
                        &[("name", c.author_name.clone().into())]
                    )),
                    rally_core::text::markdown_to_html(&c.body)
                ));
            }
            if depth + 1 < MAX_DEPTH {
                list(Some(&c.id), depth + 1, children, lang, out);
            }
            out.push_str("</li>");
            if depth + 1 >= MAX_DEPTH {
                // Too deep to nest further: the answers follow at this depth.
                let mut flat = String::new();
                list(Some(&c.id), depth, children, lang, &mut flat);
                out.push_str(
                    flat.strip_prefix("<ul class=comments>")
                        .and_then(|f| f.strip_suffix("</ul>"))
                        .unwrap_or(""),
                );
            }
        }
        out.push_str("</ul>");
    }
    let mut out = String::new();
    list(None, 0, &children, lang, &mut out);
    if out.is_empty() {
        format!("<p>{}</p>", escape(&lang.t("event-no-comments")))
    } else {
        out
    }
}

#[cfg(test)]
mod tests {
    use rally_core::PersonaId;

    use super::*;
    use crate::lang::Lang;

    fn comment(id: &str, reply_to: Option<&str>, body: &str, hidden: bool) -> Comment {
        Comment {
            id: id.into(),
            author: PersonaId([7; 32]),
            author_name: format!("<b>{id}</b>"),
            body: body.into(),
            reply_to: reply_to.map(Into::into),
            created_at: 0,
            edited_at: None,
            deleted: false,
            hidden,
        }
    }

    #[test]
    fn replies_nest_under_what_they_answer_and_hidden_ones_keep_their_answers_place() {
        let reader = Reader::of(&"/events/x".parse().unwrap(), &axum::http::HeaderMap::new());
        let html = comments_html(
            &reader,
            &[
                comment("a", None, "first", false),
                comment("b", Some("a"), "answer to a", false),
                comment("c", Some("b"), "answer to b", false),
                comment("h", None, "<script>hidden</script>", true),
                comment("d", Some("h"), "answer to hidden", false),
                comment("e", Some("gone"), "answer to a missing one", false),
                comment("x", None, "hidden, no answers", true),
            ],
        );
        assert!(
            !html.contains("hidden</script>") && !html.contains("<script"),
            "{html}"
        );
        assert!(!html.contains("<b>a</b>"), "names are escaped: {html}");
        let nested = html.find("first").unwrap() < html.find("answer to a").unwrap()
            && html.contains("<ul class=comments><li><p class=meta><strong>&lt;b&gt;b");
        assert!(nested, "{html}");
        assert_eq!(
            html.matches(&Lang::En.t("event-comment-hidden")).count(),
            1,
            "{html}"
        );
        assert!(html.contains("answer to hidden") && html.contains("answer to a missing one"));
        // Ten levels deep: nesting stops at MAX_DEPTH, every answer is shown.
        let mut deep = vec![comment("0", None, "level 0", false)];
        for i in 1..10 {
            deep.push(comment(
                &i.to_string(),
                Some(&(i - 1).to_string()),
                &format!("level {i}"),
                false,
            ));
        }
        let html = comments_html(&reader, &deep);
        for i in 0..10 {
            assert!(html.contains(&format!("level {i}")), "{html}");
        }
        assert_eq!(html.matches("<ul").count(), MAX_DEPTH, "{html}");
        assert_eq!(html.matches("<ul").count(), html.matches("</ul>").count());
    }
}
