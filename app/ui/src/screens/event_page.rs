//! One event: details, answers, participants, comments.

use crate::prelude::*;

#[component]
pub fn EventPage(id: String) -> Element {
    let revision = use_context::<Revision>().0;
    let mut error = use_signal(|| None::<String>);
    let mut notice = use_signal(|| None::<String>);
    let mut body = use_signal(String::new);
    let mut reply_to = use_signal(|| None::<(String, String)>);
    let page_id = id.clone();
    let page = use_resource(move || {
        let id = page_id.clone();
        async move {
            let _ = revision();
            api::invoke::<cmd::Event>(&ipc::IdArgs { id }).await
        }
    });
    // Opened: its comments and participants are seen.
    use_effect(move || {
        if let Some(Ok(e)) = &*page.read() {
            mark_seen(e.id.clone());
        }
    });
    let guard = page.read();
    let e = match &*guard {
        None => return rsx! { p { class: "muted", {t("loading")} } },
        Some(Err(err)) => return rsx! { p { class: "error", role: "alert", "{err}" } },
        Some(Ok(e)) => e.clone(),
    };
    drop(guard);
    let going = e.my_status.is_some();
    let id_rsvp = e.id.clone();
    let rsvp = move |_| {
        let id = id_rsvp.clone();
        async move {
            match api::invoke::<cmd::Rsvp>(&ipc::RsvpArgs {
                id,
                going: !going,
                occurrence: None,
            })
            .await
            {
                Ok(_) => error.set(None),
                Err(err) => error.set(Some(err)),
            }
        }
    };
    let id_ics = e.id.clone();
    let ics = move |_| {
        let id = id_ics.clone();
        async move {
            match api::invoke::<cmd::ExportIcs>(&ipc::IdArgs { id }).await {
                Ok(saved) => notice.set(saved.path),
                Err(err) => error.set(Some(err)),
            }
        }
    };
    let id_comment = e.id.clone();
    let send_comment = on_submit(move || {
        let id = id_comment.clone();
        async move {
            let args = ipc::CommentArgs {
                id,
                body: body(),
                reply_to: reply_to().map(|(id, _)| id),
            };
            match api::invoke::<cmd::Comment>(&args).await {
                Ok(_) => {
                    body.set(String::new());
                    reply_to.set(None);
                    error.set(None);
                }
                Err(err) => error.set(Some(err)),
            }
        }
    });
    let id_cancel = e.id.clone();
    let cancel = move |_| {
        let id = id_cancel.clone();
        async move {
            if let Err(err) = api::invoke::<cmd::CancelEvent>(&ipc::IdArgs { id }).await {
                error.set(Some(err));
            }
        }
    };
    let edit_id = e.id.clone();
    rsx! {
        article { class: "event",
            button { class: "link back", onclick: move |_| back(), "← " {t("back")} }
            if let Some(banner) = e.banner.clone() {
                Picture { picture: banner, class: "banner" }
            }
            h1 { id: "event-title", "{e.title}" }
            if e.status == ipc::EventStatus::Cancelled { p { class: "badge", {t("cancelled")} } }
            p { class: "when", id: "event-when", "{e.when_local}" }
            if let Some(sentence) = &e.repeat_sentence {
                p { class: "repeat", id: "event-repeat", "↻ {sentence}" }
            }
            if !e.same_zone {
                p { class: "muted", {t("in-the-events-time-zone")} ": {e.when_event}" }
            }
            if let Some(place) = &e.place {
                p { class: "place",
                    "{place}"
                    if let Some(address) = &e.address { br {} "{address}" }
                }
            }
            if let Some(url) = &e.map_url {
                p { a { href: "{url}", target: "_blank", rel: "noopener noreferrer", {t("open-map")} } }
            }
            if let Some(url) = &e.online {
                p { a { href: "{url}", target: "_blank", rel: "noopener noreferrer", "{url}" } }
            }
            if let Some(group) = &e.group { p { class: "muted", {t("group")} ": {group}" } }
            if let Some(url) = &e.origin {
                p { id: "event-origin", class: "muted",
                    {t("from-the-fediverse")} ": "
                    a { href: "{url}", target: "_blank", rel: "noopener noreferrer", "{url}" }
                }
            }
            div { class: "description", dangerous_inner_html: "{e.description_html}" }
            if e.origin.is_none() {
                EventMap { key: "{e.id}", id: e.id.clone(), map: e.map.clone(), can_edit: e.can_edit }
            }
            div { class: "actions",
                button { id: "rsvp", class: "primary", onclick: rsvp,
                    match (going, e.repeat.is_some()) {
                        (true, false) => t("leave"),
                        (false, false) => t("join"),
                        (true, true) => t("leave-series"),
                        (false, true) => t("join-series"),
                    }
                }
                button { id: "ics", onclick: ics, {t("add-to-calendar")} }
                if e.can_edit {
                    button { id: "edit-event", onclick: move |_| go(Screen::EditEvent(Some(edit_id.clone()))), {t("edit")} }
                    if e.status != ipc::EventStatus::Cancelled {
                        button { class: "danger", onclick: cancel, {t("cancel-event")} }
                    }
                }
            }
            if let (Some(listed), Some(group)) = (e.listed, e.group_id.clone()) {
                button {
                    id: "group-listing",
                    class: "link",
                    onclick: {
                        let event = e.id.clone();
                        move |_| {
                            let args = ipc::ListingArgs { group: group.clone(), event: event.clone(), listed: !listed };
                            async move {
                                match api::invoke::<cmd::ListInGroup>(&args).await {
                                    Ok(()) => bump(),
                                    Err(err) => error.set(Some(err)),
                                }
                            }
                        }
                    },
                    if listed { {t("unlist-from-group")} } else { {t("list-in-group")} }
                }
            }
            if !e.can_edit {
                ReportButton {
                    kind: ipc::ReportKind::Event,
                    target: e.id.clone(),
                    group: e.group_id.clone(),
                    label: format!("{} — {}", t("report"), e.title),
                }
            }
            EventReminders { key: "{e.id}", id: e.id.clone(), current: e.reminders.clone() }
            if !e.occurrences.is_empty() {
                Occurrences { id: e.id.clone(), title: e.title.clone(), items: e.occurrences.clone(), can_edit: e.can_edit }
            }
            if e.can_edit && e.origin.is_none() {
                PictureEditor { key: "{e.id}", of: ipc::PictureOf::Event, id: e.id.clone(), current: e.banner.clone() }
            }
            if let Some(status) = &e.my_status { p { id: "my-status", {tv("you-are", "status", t(status_label(*status)))} } }
            if let Some(path) = notice() { p { class: "notice", role: "status", {tv("saved-to", "path", path)} } }
            if let Some(err) = error() { p { class: "error", role: "alert", "{err}" } }
            h2 { {t("organisers")} }
            p { {e.organisers.join(", ")} }
            h2 { {t("participants")} " ({e.participants.len()})" }
            ul { class: "people", id: "participants",
                for person in e.participants.iter() {
                    li { class: "person",
                        Avatar { name: person.name.clone(), picture: person.avatar.clone() }
                        "{person.name}"
                        span { class: "muted", " · " {t(status_label(person.status))} }
                    }
                }
            }
            h2 { {t("comments")} }
            ul { class: "comments", id: "comments",
                for c in e.comments.iter().cloned() {
                    li { key: "{c.id}", class: "comment",
                        p { class: "meta person", Avatar { name: c.author.clone(), picture: c.avatar.clone() } strong { "{c.author}" } " · {c.when}" }
                        if c.hidden {
                            p { class: "body muted", {t("comment-hidden")} }
                        } else {
                            p { class: "body", "{c.body}" }
                        }
                        button {
                            class: "link",
                            onclick: {
                                let (cid, author) = (c.id.clone(), c.author.clone());
                                move |_| reply_to.set(Some((cid.clone(), author.clone())))
                            },
                            {t("reply")}
                        }
                        if !c.hidden && !c.body.is_empty() {
                            ReportButton {
                                kind: ipc::ReportKind::Comment,
                                target: format!("{}/{}", e.id, c.id),
                                group: e.group_id.clone(),
                                label: tv("report-comment-by", "name", c.author.clone()),
                            }
                        }
                        if !c.replies.is_empty() {
                            ul { class: "replies",
                                for r in c.replies.iter() {
                                    li { class: "comment",
                                        p { class: "meta", strong { "{r.author}" } " · {r.when}" }
                                        p { class: "body", "{r.body}" }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            form { class: "comment-form", onsubmit: send_comment,
                if let Some((_, who)) = reply_to() {
                    p { class: "muted", {tv("replying-to", "name", who.clone())} " "
                        button { r#type: "button", class: "link", onclick: move |_| reply_to.set(None), {t("cancel")} }
                    }
                }
                label { r#for: "comment-body", {t("write-a-comment")} }
                textarea { id: "comment-body", value: "{body}", oninput: move |ev| body.set(ev.value()) }
                button { r#type: "submit", id: "send-comment", class: "primary", {t("comment")} }
            }
        }
    }
}

pub fn status_label(s: ipc::ParticipationStatus) -> &'static str {
    match s {
        ipc::ParticipationStatus::Going => "going",
        _ => "pending",
    }
}
