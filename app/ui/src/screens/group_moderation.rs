//! A group's moderation on its page: for its admins and moderators, the
//! reports that reached this device (with a button to ban whom a report is
//! about); for every member, the bans (moderators lift them) and the
//! moderation log. The shell's `group_moderation` and `ban`.

use crate::prelude::*;

fn action_label(a: ipc::ModAction) -> &'static str {
    match a {
        ipc::ModAction::Ban => "mod-ban",
        ipc::ModAction::Unban => "mod-unban",
        ipc::ModAction::UnlistEvent => "mod-unlist-event",
        ipc::ModAction::ListEvent => "mod-list-event",
        ipc::ModAction::HideComment => "mod-hide-comment",
        ipc::ModAction::ShowComment => "mod-show-comment",
        ipc::ModAction::ApproveMember => "mod-approve-member",
        ipc::ModAction::DeclineMember => "mod-decline-member",
    }
}

fn reason_label(r: ipc::ReportReason) -> &'static str {
    match r {
        ipc::ReportReason::Spam => "reason-spam",
        ipc::ReportReason::Harassment => "reason-harassment",
        ipc::ReportReason::Illegal => "reason-illegal",
        ipc::ReportReason::Other => "reason-other",
    }
}

#[component]
pub fn GroupModeration(group: String, moderator: bool) -> Element {
    let revision = use_context::<Revision>().0;
    let mut error = use_signal(|| None::<String>);
    let gid = group.clone();
    let data = use_resource(move || {
        let id = gid.clone();
        async move {
            let _ = revision();
            api::invoke::<cmd::GroupModeration>(&ipc::IdArgs { id }).await
        }
    });
    let guard = data.read();
    let m = match &*guard {
        Some(Ok(m)) => m.clone(),
        Some(Err(e)) => return rsx! { p { class: "error", role: "alert", "{e}" } },
        None => return rsx! {},
    };
    drop(guard);
    let group_a = group.clone();
    let ban = move |persona: String, reason: Option<ipc::ReportReason>, banned: bool| {
        let args = ipc::BanArgs {
            group: group.clone(),
            persona,
            reason,
            note: String::new(),
            banned,
        };
        spawn(async move {
            match api::invoke::<cmd::Ban>(&args).await {
                Ok(()) => {
                    error.set(None);
                    bump();
                }
                Err(e) => error.set(Some(e)),
            }
        });
    };
    let answer = move |persona: String, accept: bool| {
        let args = ipc::AnswerArgs {
            group: group_a.clone(),
            persona,
            accept,
        };
        spawn(async move {
            match api::invoke::<cmd::AnswerRequest>(&args).await {
                Ok(()) => {
                    error.set(None);
                    bump();
                }
                Err(e) => error.set(Some(e)),
            }
        });
    };
    rsx! {
        section { class: "moderation", "aria-labelledby": "moderation-title",
            h2 { id: "moderation-title", {t("moderation")} }
            if moderator && !m.requests.is_empty() {
                h3 { {t("join-requests")} }
                ul { id: "join-requests",
                    for r in m.requests.iter().cloned() {
                        li { key: "{r.persona}",
                            strong { "{r.name}" } " · {r.when}"
                            if let Some(n) = r.note.clone() { " — {n}" }
                            " "
                            button {
                                class: "approve",
                                "aria-label": tv("approve-name", "name", r.name.clone()),
                                onclick: {
                                    let (answer, p) = (answer.clone(), r.persona.clone());
                                    move |_| answer(p.clone(), true)
                                },
                                {t("approve")}
                            }
                            " "
                            button {
                                class: "link decline",
                                "aria-label": tv("decline-name", "name", r.name.clone()),
                                onclick: {
                                    let (answer, p) = (answer.clone(), r.persona.clone());
                                    move |_| answer(p.clone(), false)
                                },
                                {t("decline")}
                            }
                        }
                    }
                }
            }
            if moderator {
                h3 { {t("reports")} }
                if m.reports.is_empty() {
                    p { id: "no-reports", class: "muted", {t("no-reports")} }
                }
                ul { id: "reports", class: "reports",
                    for r in m.reports.iter().cloned() {
                        li { key: "{r.id}", class: "report-item",
                            p { class: "meta", strong { {t(reason_label(r.reason))} } " · {r.when} · " {tv("reported-by", "name", r.reporter.clone())} }
                            p { class: "about", "{r.about}" }
                            if !r.text.is_empty() { blockquote { "{r.text}" } }
                            if let Some((persona, name)) = r.author.clone() {
                                button {
                                    class: "danger ban-author",
                                    onclick: {
                                        let ban = ban.clone();
                                        move |_| ban(persona.clone(), Some(r.reason), true)
                                    },
                                    {tv("ban-name", "name", name)}
                                }
                            }
                        }
                    }
                }
            }
            h3 { {t("bans")} }
            if m.bans.is_empty() {
                p { class: "muted", {t("nobody-banned")} }
            }
            ul { id: "bans",
                for b in m.bans.iter().cloned() {
                    li { key: "{b.persona}",
                        "{b.name} · {b.since}"
                        if let Some(r) = b.reason { " · " {t(reason_label(r))} }
                        if moderator {
                            " "
                            button {
                                class: "link lift-ban",
                                "aria-label": tv("lift-ban-of", "name", b.name.clone()),
                                onclick: {
                                    let ban = ban.clone();
                                    move |_| ban(b.persona.clone(), None, false)
                                },
                                {t("lift-ban")}
                            }
                        }
                    }
                }
            }
            h3 { {t("moderation-log")} }
            if m.log.is_empty() {
                p { class: "muted", {t("nothing-yet")} }
            }
            ol { id: "moderation-log",
                for (i, e) in m.log.iter().cloned().enumerate() {
                    li { key: "{i}",
                        "{e.when} · {e.by} " {t(action_label(e.action))} " {e.target}"
                        if let Some(n) = e.note { " — {n}" }
                    }
                }
            }
            if let Some(e) = error() { p { class: "error", role: "alert", "{e}" } }
        }
    }
}
