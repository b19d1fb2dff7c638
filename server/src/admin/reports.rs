//! The admin page's moderation: the reports queue (each report with who sent
//! it, what it names, its words and notes, and a form to note, hide what it
//! names, forward it to where that lives, or dismiss it), suspending a persona
//! and lifting a suspension, and the log of what the admins did — the same
//! functions as `rally-server admin reports|suspend|unsuspend|log`. Plain forms
//! and buttons: every action is reachable by keyboard.

use std::sync::Arc;

use axum::Form;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use rally_core::PersonaId;
use rally_core::jiff::Timestamp;
use serde::Deserialize;

use super::{AdminState, after, federation};
use crate::fedi::{Fedi, moderation};
use crate::html::escape;
use crate::registry::Registry;

fn when(secs: i64) -> String {
    Timestamp::from_second(secs)
        .map(|t| t.strftime("%Y-%m-%d %H:%M UTC").to_string())
        .unwrap_or_default()
}

/// What a report names, as a link where it has an address.
fn object_html(fedi: &Fedi, object: &str) -> String {
    let url = match moderation::named(&fedi.urls, object) {
        Some(moderation::Named::Event(e)) => Some(fedi.urls.event(&e)),
        Some(moderation::Named::Group(g)) => Some(fedi.urls.group(&g)),
        Some(moderation::Named::Comment(e, _)) => Some(fedi.urls.event(&e)),
        _ if object.starts_with("https://") || object.starts_with("http://") => {
            Some(object.to_owned())
        }
        _ => None,
    };
    match url {
        Some(u) => format!(
            r#"<a href="{}" rel="noopener">{}</a>"#,
            escape(&u),
            escape(object)
        ),
        None => escape(object),
    }
}

/// Earlier reports about the same thing and what the admins did about it, folded.
fn history_html(h: &moderation::History) -> String {
    if h.is_empty() {
        return String::new();
    }
    let reports: String = h
        .reports
        .iter()
        .map(|e| {
            format!(
                "<li>Report {} ({}), {}: {}</li>",
                e.id,
                escape(e.reason.as_deref().unwrap_or("no reason given")),
                when(e.received_at),
                escape(&e.state)
            )
        })
        .collect();
    let actions: String = h
        .actions
        .iter()
        .map(|e| {
            let note = e
                .note
                .as_ref()
                .map(|n| format!(" — {}", escape(n)))
                .unwrap_or_default();
            format!(
                "<li>{} <strong>{}</strong> {}{note}</li>",
                when(e.at),
                escape(&e.action),
                escape(&e.target)
            )
        })
        .collect();
    format!(
        r#"<details class="history"><summary>History: {} other report(s), {} action(s)</summary><ul class="earlier">{reports}</ul><ul class="actions">{actions}</ul></details>"#,
        h.reports.len(),
        h.actions.len()
    )
}

/// The reports, suspensions and log sections.
pub(super) async fn section(fedi: &Fedi) -> String {
    let base = format!("{}/", fedi.urls.base);
    let found = fedi
        .local(|l| {
            Ok((
                l.reports(true)?,
                l.registry.suspended()?,
                l.db.moderation_log(1000)?,
            ))
        })
        .await;
    let (all, suspended, full_log) = match found {
        Ok(f) => f,
        Err(e) => {
            return format!(
                r#"<h2>Reports</h2><p class="error" role="alert">{}</p>"#,
                escape(&e.to_string())
            );
        }
    };
    let reports: Vec<_> = all.iter().filter(|r| r.state == "open").collect();
    let log: Vec<_> = full_log.iter().take(20).cloned().collect();
    let mut out = String::from(
        r#"<h2 id="reports-heading">Reports</h2>
<p class="meta">From the devices that sync here and from the Fediverse (<code>Flag</code>). Hiding takes what a report names off this server's pages and out of federation; forwarding sends it to the server of whoever it is about, from this instance and without the reporter's name.</p>"#,
    );
    if reports.is_empty() {
        out.push_str(r#"<p id="no-reports" class="meta">No open reports.</p>"#);
    }
    for r in reports.iter().take(50) {
        let objects: String = r
            .objects
            .iter()
            .map(|o| format!("<li>{}</li>", object_html(fedi, o)))
            .collect();
        let notes: String = r
            .notes
            .iter()
            .map(|n| format!("<li>{}: {}</li>", when(n.at), escape(&n.text)))
            .collect();
        let remote = r
            .objects
            .iter()
            .any(|o| o.starts_with("http") && !o.starts_with(&base));
        let forward = if remote {
            r#" <button type="submit" name="action" value="forward" data-action="forward">Forward to its origin</button>"#
        } else {
            ""
        };
        let history = history_html(&moderation::history(&fedi.urls, r, &all, &full_log));
        out.push_str(&format!(
            r#"<article class="report" data-report="{id}" aria-labelledby="report-{id}-title">
<h3 id="report-{id}-title">Report {id}: {reason}</h3>
<p class="meta">From {reporter} ({source}), {received}</p>
<ul class="objects">{objects}</ul>
<blockquote>{text}</blockquote>{notes}{history}
<form method="post" action="/admin/reports"><input type="hidden" name="id" value="{id}">
<label for="note-{id}">Note (kept with the report)</label><br>
<textarea id="note-{id}" name="note" rows="2" cols="50"></textarea><br>
<button type="submit" name="action" value="hide" data-action="hide">Hide what it names</button>{forward} <button type="submit" name="action" value="dismiss" data-action="dismiss">Dismiss</button></form>
</article>"#,
            id = r.id,
            reason = escape(r.reason.as_deref().unwrap_or("no reason given")),
            reporter = escape(&r.reporter),
            source = escape(&r.source),
            received = when(r.received_at),
            text = escape(&r.text),
            notes = if notes.is_empty() {
                String::new()
            } else {
                format!(r#"<ul class="notes">{notes}</ul>"#)
            },
        ));
    }
    out.push_str(
        r#"<h2>Suspended personas</h2>
<form method="post" action="/admin/suspensions"><input type="hidden" name="action" value="suspend">
<label for="suspend-persona">Suspend a persona (its id): it no longer syncs here, and nothing it wrote is published</label><br>
<input id="suspend-persona" name="persona" size="64"> <label for="suspend-note">Note</label> <input id="suspend-note" name="note" size="30"> <button id="suspend" type="submit">Suspend</button></form>"#,
    );
    if suspended.is_empty() {
        out.push_str(r#"<p class="meta">None.</p>"#);
    } else {
        out.push_str(r#"<ul id="suspended">"#);
        for (p, at) in suspended {
            out.push_str(&format!(
                r#"<li>{p} since {at} <form class="inline" method="post" action="/admin/suspensions"><input type="hidden" name="action" value="unsuspend"><input type="hidden" name="persona" value="{p}"><button type="submit" data-action="unsuspend">Lift the suspension</button></form></li>"#,
                at = when(at),
            ));
        }
        out.push_str("</ul>");
    }
    out.push_str(r#"<h2>Moderation log</h2>"#);
    if log.is_empty() {
        out.push_str(r#"<p class="meta">Nothing yet.</p>"#);
    } else {
        out.push_str(r#"<ol id="moderation-log" reversed>"#);
        for e in log {
            let note = e
                .note
                .map(|n| format!(" — {}", escape(&n)))
                .unwrap_or_default();
            out.push_str(&format!(
                "<li>{} <strong>{}</strong> {}{note}</li>",
                when(e.at),
                escape(&e.action),
                escape(&e.target)
            ));
        }
        out.push_str("</ol>");
    }
    out
}

#[derive(Debug, Deserialize)]
pub(super) struct ReportAction {
    action: String,
    id: i64,
    #[serde(default)]
    note: String,
}

pub(super) async fn report_action(
    State(state): State<Arc<AdminState>>,
    headers: HeaderMap,
    Form(form): Form<ReportAction>,
) -> Response {
    let fedi = match federation(&state, &headers).await {
        Ok(f) => f,
        Err(r) => return *r,
    };
    let note = Some(form.note.trim().to_owned()).filter(|n| !n.is_empty());
    let id = form.id;
    let result = match form.action.as_str() {
        "hide" => moderation::hide_report(&fedi, id, note)
            .await
            .map(|hidden| {
                if hidden.is_empty() {
                    format!("Report {id} names nothing of this server's to hide.")
                } else {
                    format!("Report {id}: hidden {}.", hidden.join(", "))
                }
            }),
        "dismiss" => moderation::dismiss(&fedi, id, note)
            .await
            .map(|()| format!("Report {id} dismissed.")),
        "forward" => moderation::forward(&fedi, id)
            .await
            .map(|to| format!("Report {id} forwarded to {}.", to.join(", "))),
        other => Err(crate::fedi::FediError::Refused(format!(
            "unknown action {other:?}"
        ))),
    };
    after(&state, result.map_err(|e| e.to_string())).await
}

#[derive(Debug, Deserialize)]
pub(super) struct SuspensionAction {
    action: String,
    persona: String,
    #[serde(default)]
    note: String,
}

pub(super) async fn suspension_action(
    State(state): State<Arc<AdminState>>,
    headers: HeaderMap,
    Form(form): Form<SuspensionAction>,
) -> Response {
    let fedi = match federation(&state, &headers).await {
        Ok(f) => f,
        Err(r) => return *r,
    };
    let Ok(persona) = form.persona.trim().parse::<PersonaId>() else {
        return after(
            &state,
            Err("Give the persona's id: 64 hexadecimal digits.".into()),
        )
        .await;
    };
    let note = Some(form.note.trim().to_owned()).filter(|n| !n.is_empty());
    let result = match form.action.as_str() {
        "suspend" => moderation::suspend(&fedi, persona, note)
            .await
            .map(|_| format!("{persona} is suspended.")),
        "unsuspend" => moderation::unsuspend(&fedi, persona)
            .await
            .map(|_| format!("{persona} is no longer suspended.")),
        other => Err(crate::fedi::FediError::Refused(format!(
            "unknown action {other:?}"
        ))),
    };
    after(&state, result.map_err(|e| e.to_string())).await
}
