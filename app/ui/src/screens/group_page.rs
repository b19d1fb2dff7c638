//! One group: profile, members, links, invitations, the chat.

use crate::prelude::*;

#[component]
pub fn GroupPage(id: String) -> Element {
    let revision = use_context::<Revision>().0;
    let page_id = id.clone();
    let page = use_resource(move || {
        let id = page_id.clone();
        async move {
            let _ = revision();
            api::invoke::<cmd::Group>(&ipc::IdArgs { id }).await
        }
    });
    // The chat is open: what it shows is seen; a message from someone else that
    // arrives while it is open is announced.
    let mut shown = use_signal(|| None::<usize>);
    use_effect(move || {
        if let Some(Ok(g)) = &*page.read() {
            if g.my_role.is_some() {
                mark_seen(g.id.clone());
            }
            let count = g.messages.len();
            if let Some(before) = *shown.peek()
                && count > before
                && let Some(m) = g.messages.last().filter(|m| !m.mine)
            {
                toast(tv("new-message-from", "author", m.author.clone()));
            }
            shown.set(Some(count));
        }
    });
    let mut invitation = use_signal(|| None::<ipc::Invitation>);
    let mut text = use_signal(String::new);
    let mut error = use_signal(|| None::<String>);
    let guard = page.read();
    let g = match &*guard {
        None => return rsx! { p { class: "muted", {t("loading")} } },
        Some(Err(e)) => return rsx! { p { class: "error", role: "alert", "{e}" } },
        Some(Ok(g)) => g.clone(),
    };
    drop(guard);
    let gid = g.id.clone();
    let invite = move |_| {
        let id = gid.clone();
        async move {
            match api::invoke::<cmd::Invite>(&ipc::IdArgs { id }).await {
                Ok(i) => invitation.set(Some(i)),
                Err(e) => error.set(Some(e)),
            }
        }
    };
    let gid = g.id.clone();
    let send = on_submit(move || {
        let group = gid.clone();
        async move {
            let args = ipc::MessageArgs {
                group,
                text: text(),
                reply_to: None,
            };
            match api::invoke::<cmd::SendMessage>(&args).await {
                Ok(_) => {
                    text.set(String::new());
                    error.set(None);
                }
                Err(e) => error.set(Some(e)),
            }
        }
    });
    let is_member = g.my_role.is_some();
    let me = g.me.clone();
    let can_invite = g.my_role.is_some_and(ipc::Role::can_moderate);
    let is_admin = g.my_role == Some(ipc::Role::Admin);
    let gid = g.id.clone();
    let followed = g.followed;
    let follow = move |_| {
        let id = gid.clone();
        async move {
            let args = ipc::FollowArgs {
                id,
                follow: !followed,
            };
            match api::invoke::<cmd::FollowGroup>(&args).await {
                Ok(()) => bump(),
                Err(e) => error.set(Some(e)),
            }
        }
    };
    let mut link_title = use_signal(String::new);
    let mut link_url = use_signal(String::new);
    let gid = g.id.clone();
    let add_link = on_submit(move || {
        let group = gid.clone();
        async move {
            let args = ipc::LinkArgs {
                group,
                title: link_title(),
                url: link_url(),
            };
            match api::invoke::<cmd::AddLink>(&args).await {
                Ok(()) => {
                    link_title.set(String::new());
                    link_url.set(String::new());
                    error.set(None);
                }
                Err(e) => error.set(Some(e)),
            }
        }
    });
    rsx! {
        article { class: "group",
            button { class: "link back", onclick: move |_| back(), "← " {t("back")} }
            if let Some(avatar) = g.avatar.clone() {
                Picture { picture: avatar, class: "group-avatar" }
            }
            h1 { "{g.name}" }
            if g.members_only { p { class: "badge", {t("members-only")} } }
            if !g.summary.is_empty() { p { "{g.summary}" } }
            button { id: "follow", onclick: follow,
                if g.followed { {t("unfollow")} } else { {t("follow")} }
            }
            if !is_member && g.public {
                if g.requested {
                    p { id: "requested", class: "muted", {t("asked-to-join")} }
                } else {
                    button {
                        id: "ask-to-join",
                        onclick: {
                            let id = g.id.clone();
                            move |_| {
                                let id = id.clone();
                                async move {
                                    match api::invoke::<cmd::RequestToJoin>(&ipc::IdArgs { id }).await {
                                        Ok(()) => bump(),
                                        Err(e) => error.set(Some(e)),
                                    }
                                }
                            }
                        },
                        {t("ask-to-join")}
                    }
                }
            }
            if is_admin {
                PictureEditor { key: "{g.id}", of: ipc::PictureOf::Group, id: g.id.clone(), current: g.avatar.clone() }
            }
            h2 { {t("members")} " ({g.members.len()})" }
            ul { class: "people", id: "members",
                for (group, m) in g.members.iter().map(|m| (g.id.clone(), m.clone())) {
                    li { class: "member-row",
                        span { class: "person", Avatar { name: m.name.clone(), picture: m.avatar.clone() } "{m.name}" }
                        if is_admin {
                            select {
                                "aria-label": t("role"),
                                value: "{m.role}",
                                onchange: {
                                    let (group, member) = (group.clone(), m.id.clone());
                                    move |e: FormEvent| {
                                        let Some(role) = ipc::Role::parse(&e.value()) else { return };
                                        let args = ipc::RoleArgs { group: group.clone(), member: member.clone(), role };
                                        spawn(async move {
                                            if let Err(err) = api::invoke::<cmd::SetRole>(&args).await {
                                                error.set(Some(err));
                                            }
                                        });
                                    }
                                },
                                option { value: "admin", "admin" }
                                option { value: "moderator", "moderator" }
                                option { value: "member", "member" }
                            }
                            button {
                                class: "danger",
                                onclick: {
                                    let args = ipc::MemberArgs { group: group.clone(), member: m.id.clone() };
                                    move |_| {
                                        let args = args.clone();
                                        async move {
                                            if let Err(err) = api::invoke::<cmd::RemoveMember>(&args).await {
                                                error.set(Some(err));
                                            }
                                        }
                                    }
                                },
                                {t("remove")}
                            }
                        } else {
                            span { class: "muted", " · {m.role}" }
                            if can_invite && m.role == ipc::Role::Member && Some(m.id.clone()) != me {
                                button {
                                    class: "danger ban-member",
                                    "aria-label": tv("ban-name", "name", m.name.clone()),
                                    onclick: {
                                        let args = ipc::BanArgs { group: group.clone(), persona: m.id.clone(), reason: None, note: String::new(), banned: true };
                                        move |_| {
                                            let args = args.clone();
                                            async move {
                                                match api::invoke::<cmd::Ban>(&args).await {
                                                    Ok(()) => bump(),
                                                    Err(err) => error.set(Some(err)),
                                                }
                                            }
                                        }
                                    },
                                    {t("ban")}
                                }
                            }
                        }
                        if is_member && Some(m.id.clone()) != me {
                            ReportButton {
                                kind: ipc::ReportKind::Persona,
                                target: m.id.clone(),
                                group: Some(group.clone()),
                                label: tv("report-name", "name", m.name.clone()),
                            }
                        }
                    }
                }
            }
            if can_invite {
                button { id: "invite", onclick: invite, {t("invite")} }
            }
            if let Some(i) = invitation() {
                div { class: "card invitation",
                    p { {t("share-this-token-or-qr-code")} }
                    p { class: "field-label", {t("invitation-link")} }
                    code { class: "token", id: "invite-link", "{i.link}" }
                    p { class: "field-label", {t("invitation-token")} }
                    code { class: "token", id: "invite-token", "{i.token}" }
                    div { class: "qr", dangerous_inner_html: "{i.qr_svg}" }
                }
            }
            if !g.links.is_empty() || can_invite {
                h2 { {t("links")} }
                ul {
                    for l in g.links.iter() {
                        li { a { href: "{l.url}", target: "_blank", rel: "noopener noreferrer", "{l.title}" } }
                    }
                }
            }
            if can_invite {
                form { class: "card", onsubmit: add_link,
                    h2 { {t("add-a-link")} }
                    label { r#for: "link-title", {t("title")} }
                    input { id: "link-title", value: "{link_title}", oninput: move |e| link_title.set(e.value()) }
                    label { r#for: "link-url", "URL" }
                    input { id: "link-url", r#type: "url", value: "{link_url}", oninput: move |e| link_url.set(e.value()) }
                    button { r#type: "submit", class: "primary", {t("save")} }
                }
            }
            if is_member {
                GroupModeration { key: "{g.id}", group: g.id.clone(), moderator: can_invite }
            }
            h2 { {t("events")} }
            ul { class: "list",
                for (target, e) in g.events.iter().map(|e| (e.id.clone(), e.clone())) {
                    li { key: "{e.id}",
                        button { class: "item", onclick: move |_| go(Screen::Event(target.clone())),
                            span { class: "title", "{e.title}" }
                            span { class: "meta", "{e.when}" }
                        }
                    }
                }
            }
            if is_member {
                h2 { {t("chat")} }
                p { class: "muted", {t("only-members-can-read-this-chat")} }
                ChatTimer { group: g.id.clone(), timer: g.disappearing, admin: is_admin }
                if g.forgotten_messages > 0 {
                    OlderMessages { group: g.id.clone(), count: g.forgotten_messages }
                }
                ul { class: "chat", id: "chat",
                    for m in g.messages.iter() {
                        li { class: if m.mine { "message mine" } else { "message" },
                            p { class: "meta person", Avatar { name: m.author.clone(), picture: m.avatar.clone() } strong { "{m.author}" } " · {m.when}" }
                            p { class: "body", "{m.text}" }
                            if let Some(when) = m.expires.clone() {
                                p { class: "meta expires", Icon { name: "clock" } " " {tv("disappears-at", "time", when)} }
                            }
                        }
                    }
                }
                form { class: "chat-form", onsubmit: send,
                    label { r#for: "chat-text", class: "visually-hidden", {t("write-a-message")} }
                    input { id: "chat-text", placeholder: t("write-a-message"), value: "{text}", oninput: move |e| text.set(e.value()) }
                    button { r#type: "submit", class: "primary", {t("send")} }
                }
            }
            if let Some(e) = error() { p { class: "error", role: "alert", "{e}" } }
        }
    }
}
