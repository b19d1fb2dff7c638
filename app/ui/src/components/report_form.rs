//! "Report": a small form under what is reported (an event, a comment, a
//! persona) — why, in the reporter's words, and to whom: the group's
//! moderators (end to end encrypted to each) and/or the server's admins (as
//! the device next syncs). The shell's `report` does it.

use crate::prelude::*;

const REASONS: [(ipc::ReportReason, &str); 4] = [
    (ipc::ReportReason::Spam, "reason-spam"),
    (ipc::ReportReason::Harassment, "reason-harassment"),
    (ipc::ReportReason::Illegal, "reason-illegal"),
    (ipc::ReportReason::Other, "reason-other"),
];

#[component]
pub fn ReportButton(
    kind: ipc::ReportKind,
    /// The target's id (`event/comment` for a comment).
    target: String,
    /// Its group, when it has one (then the moderators are a choice).
    group: Option<String>,
    /// What the button names for screen readers ("Report — the comment by …").
    label: String,
) -> Element {
    let mut open = use_signal(|| false);
    let mut reason = use_signal(|| ipc::ReportReason::Spam);
    let mut text = use_signal(String::new);
    let in_group = group.is_some();
    let mut moderators = use_signal(move || in_group);
    let mut admins = use_signal(move || !in_group);
    let mut status = use_signal(|| None::<Result<String, String>>);
    // Ids unique on the page: the target's last characters.
    let key: String = target
        .chars()
        .rev()
        .take(10)
        .collect::<String>()
        .chars()
        .rev()
        .collect();
    let (target_c, group_c) = (target.clone(), group.clone());
    let send = on_submit(move || {
        let args = ipc::ReportArgs {
            kind,
            id: target_c.clone(),
            group: group_c.clone(),
            reason: reason(),
            text: text(),
            moderators: moderators(),
            admins: admins(),
        };
        async move {
            match api::invoke::<cmd::Report>(&args).await {
                Ok(sent) => {
                    let mut said = Vec::new();
                    if let Some(n) = sent.moderators {
                        said.push(tv("report-sent-moderators", "count", n));
                    }
                    if sent.admins {
                        said.push(t("report-sent-admins"));
                    }
                    status.set(Some(Ok(said.join(" "))));
                    text.set(String::new());
                    open.set(false);
                }
                Err(e) => status.set(Some(Err(e))),
            }
        }
    });
    rsx! {
        span { class: "report",
            button {
                class: "link report-open",
                "aria-expanded": "{open()}",
                "aria-label": "{label}",
                onclick: move |_| open.set(!open()),
                {t("report")}
            }
            if open() {
                form { class: "report-form card", onsubmit: send,
                    label { r#for: "report-reason-{key}", {t("report-reason")} }
                    select {
                        id: "report-reason-{key}",
                        value: reason().as_str(),
                        onchange: move |e| {
                            if let Some(r) = ipc::ReportReason::parse(&e.value()) {
                                reason.set(r);
                            }
                        },
                        for (r, msg) in REASONS {
                            option { value: r.as_str(), {t(msg)} }
                        }
                    }
                    label { r#for: "report-text-{key}", {t("report-details")} }
                    textarea {
                        id: "report-text-{key}",
                        value: "{text}",
                        oninput: move |e| text.set(e.value()),
                    }
                    fieldset {
                        legend { {t("report-to")} }
                        if in_group {
                            label { class: "check",
                                input {
                                    id: "report-mods-{key}",
                                    r#type: "checkbox",
                                    checked: moderators(),
                                    onchange: move |e| moderators.set(e.checked()),
                                }
                                {t("report-to-moderators")}
                            }
                        }
                        label { class: "check",
                            input {
                                id: "report-admins-{key}",
                                r#type: "checkbox",
                                checked: admins(),
                                onchange: move |e| admins.set(e.checked()),
                            }
                            {t("report-to-admins")}
                        }
                    }
                    div { class: "actions",
                        button { id: "send-report-{key}", class: "primary", r#type: "submit", {t("send-report")} }
                        button { r#type: "button", onclick: move |_| open.set(false), {t("cancel")} }
                    }
                }
            }
            match status() {
                Some(Ok(said)) => rsx! { span { class: "notice", role: "status", " {said}" } },
                Some(Err(e)) => rsx! { span { class: "error", role: "alert", " {e}" } },
                None => rsx! {},
            }
        }
    }
}
