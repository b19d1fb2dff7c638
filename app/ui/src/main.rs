//! Rally's UI. Every screen reads through the app shell's commands (the local
//! store; nothing waits on the network) and reloads when the shell says the store
//! changed. Errors are shown where they happened, in plain words.

mod api;
mod i18n;

use dioxus::prelude::*;
use futures_util::StreamExt;
use i18n::{Lang, tr};
use rally_ipc::{self as ipc, cmd};

fn main() {
    dioxus::launch(App);
}

#[derive(Debug, Clone, PartialEq)]
enum Screen {
    Events,
    Event(String),
    EditEvent(Option<String>),
    Groups,
    Group(String),
    Personas,
    Sync,
    Settings,
}

/// Bumped whenever the store changed: resources that read it reload.
#[derive(Clone, Copy)]
struct Revision(Signal<u64>);

#[derive(Clone, Copy)]
struct Nav(Signal<Screen>);

#[derive(Clone, Copy)]
struct Language(Signal<Lang>);

// Context is read with `consume_context`, not the `use_context` hook: these
// helpers are called in branches and handlers, where hooks may not be.
fn lang() -> Lang {
    consume_context::<Language>().0()
}

fn t(en: &'static str) -> &'static str {
    tr(lang(), en)
}

/// A form's submit handler: the page must not reload; the work runs async.
fn on_submit<F: std::future::Future<Output = ()> + 'static>(
    mut work: impl FnMut() -> F + 'static,
) -> impl FnMut(FormEvent) + 'static {
    move |e: FormEvent| {
        e.prevent_default();
        spawn(work());
    }
}

fn go(screen: Screen) {
    let mut nav = consume_context::<Nav>().0;
    nav.set(screen);
}

fn bump() {
    let mut r = consume_context::<Revision>().0;
    r += 1;
}

#[component]
fn App() -> Element {
    let revision = use_context_provider(|| Revision(Signal::new(0)));
    let nav = use_context_provider(|| Nav(Signal::new(Screen::Events)));
    let language = use_context_provider(|| Language(Signal::new(Lang::detect())));
    use_coroutine(move |mut rx: UnboundedReceiver<()>| async move {
        let mut rev = revision.0;
        while rx.next().await.is_some() {
            rev += 1;
        }
    });
    let changes = use_coroutine_handle::<()>();
    use_hook(move || {
        spawn(async move {
            api::listen(ipc::CHANGED, move || changes.send(())).await;
        });
    });
    let state = use_resource(move || async move {
        let _ = (revision.0)();
        api::invoke::<cmd::State>(&()).await
    });
    let html_lang = language.0().code();
    let body = match &*state.read() {
        None => rsx! { p { class: "muted", {t("Loading…")} } },
        Some(Err(e)) => rsx! { p { class: "error", role: "alert", "{e}" } },
        Some(Ok(s)) if s.personas.is_empty() => rsx! { Welcome {} },
        Some(Ok(s)) => {
            let current = s.personas.iter().find(|p| p.current).cloned();
            rsx! {
                Header { current: current.map(|p| p.name).unwrap_or_default() }
                main { id: "content",
                    {match nav.0() {
                        Screen::Events => rsx! { Events {} },
                        Screen::Event(id) => rsx! { EventPage { id } },
                        Screen::EditEvent(id) => rsx! { EventForm { id } },
                        Screen::Groups => rsx! { Groups {} },
                        Screen::Group(id) => rsx! { GroupPage { id } },
                        Screen::Personas => rsx! { Personas { state: s.clone() } },
                        Screen::Sync => rsx! { SyncScreen {} },
                        Screen::Settings => rsx! { SettingsScreen {} },
                    }}
                }
            }
        }
    };
    rsx! {
        div { class: "app", lang: "{html_lang}", {body} }
    }
}

#[component]
fn Header(current: String) -> Element {
    let nav = use_context::<Nav>().0;
    let tab = |screen: Screen, label: &'static str| {
        let active = std::mem::discriminant(&nav()) == std::mem::discriminant(&screen);
        rsx! {
            button {
                class: if active { "tab active" } else { "tab" },
                "aria-current": if active { "page" } else { "false" },
                onclick: move |_| go(screen.clone()),
                {t(label)}
            }
        }
    };
    rsx! {
        header {
            div { class: "brand",
                span { class: "logo", "Rally" }
                button {
                    class: "persona",
                    title: t("Personas"),
                    onclick: move |_| go(Screen::Personas),
                    "{current}"
                }
            }
            nav { "aria-label": "Rally",
                {tab(Screen::Events, "Events")}
                {tab(Screen::Groups, "Groups")}
                {tab(Screen::Personas, "Personas")}
                {tab(Screen::Sync, "Sync")}
                {tab(Screen::Settings, "Settings")}
            }
        }
    }
}

#[component]
fn Welcome() -> Element {
    let mut name = use_signal(String::new);
    let mut error = use_signal(|| None::<String>);
    let create = on_submit(move || async move {
        let args = ipc::NameArgs { name: name() };
        match api::invoke::<cmd::CreatePersona>(&args).await {
            Ok(()) => bump(),
            Err(e) => error.set(Some(e)),
        }
    });
    rsx! {
        section { class: "welcome card",
            h1 { {t("Welcome to Rally")} }
            p { {t("Your events and groups stay on this device and sync with people nearby, with or without internet.")} }
            p { {t("Choose a name for your first persona. You can create others later; nobody can link them.")} }
            form {
                onsubmit: create,
                label { r#for: "persona-name", {t("Name")} }
                input {
                    id: "persona-name",
                    value: "{name}",
                    autofocus: true,
                    oninput: move |e| name.set(e.value()),
                }
                button { r#type: "submit", id: "create-persona", class: "primary", {t("Create")} }
            }
            if let Some(e) = error() { p { class: "error", role: "alert", "{e}" } }
        }
    }
}

fn filter_label(f: ipc::EventFilter) -> &'static str {
    match f {
        ipc::EventFilter::Upcoming => "Upcoming",
        ipc::EventFilter::Mine => "Mine",
        ipc::EventFilter::MyGroups => "My groups",
        ipc::EventFilter::Followed => "Followed",
        ipc::EventFilter::All => "All",
        ipc::EventFilter::Discover => "Discover",
    }
}

#[component]
fn Events() -> Element {
    let revision = use_context::<Revision>().0;
    let mut filter = use_signal(|| ipc::EventFilter::Upcoming);
    let mut text = use_signal(String::new);
    let list = use_resource(move || async move {
        let _ = revision();
        let args = ipc::EventsArgs {
            filter: filter(),
            text: text(),
        };
        api::invoke::<cmd::Events>(&args).await
    });
    rsx! {
        section {
            div { class: "toolbar",
                input {
                    id: "search",
                    r#type: "search",
                    "aria-label": t("Search events"),
                    placeholder: t("Search events"),
                    value: "{text}",
                    oninput: move |e| text.set(e.value()),
                }
                button { id: "new-event", class: "primary", onclick: move |_| go(Screen::EditEvent(None)), {t("New event")} }
            }
            div { class: "filters", role: "tablist",
                for f in [ipc::EventFilter::Upcoming, ipc::EventFilter::Mine, ipc::EventFilter::MyGroups, ipc::EventFilter::Followed, ipc::EventFilter::Discover, ipc::EventFilter::All] {
                    button {
                        role: "tab",
                        "aria-selected": if filter() == f { "true" } else { "false" },
                        class: if filter() == f { "chip active" } else { "chip" },
                        onclick: move |_| filter.set(f),
                        {t(filter_label(f))}
                    }
                }
            }
            {match &*list.read() {
                None => rsx! { p { class: "muted", {t("Loading…")} } },
                Some(Err(e)) => rsx! { p { class: "error", role: "alert", "{e}" } },
                Some(Ok(items)) if items.is_empty() && filter() == ipc::EventFilter::Discover => rsx! { p { class: "muted", {t("No public events to discover yet. Sync with a server to get its public events.")} } },
                Some(Ok(items)) if items.is_empty() => rsx! { p { class: "muted", {t("No events here yet.")} } },
                Some(Ok(items)) => rsx! {
                    ul { class: "list", id: "event-list",
                        for (target, item) in items.iter().map(|i| (i.id.clone(), i.clone())) {
                            li { key: "{item.id}",
                                button {
                                    class: "item event-item",
                                    "data-id": "{item.id}",
                                    onclick: move |_| go(Screen::Event(target.clone())),
                                    span { class: "title", "{item.title}" }
                                    span { class: "meta",
                                        "{item.when}"
                                        if let Some(place) = &item.place { " · {place}" }
                                        if let Some(group) = &item.group { " · {group}" }
                                        if item.status == ipc::EventStatus::Cancelled { " · " strong { {t("cancelled")} } }
                                    }
                                }
                            }
                        }
                    }
                },
            }}
        }
    }
}

#[component]
fn EventPage(id: String) -> Element {
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
    let guard = page.read();
    let e = match &*guard {
        None => return rsx! { p { class: "muted", {t("Loading…")} } },
        Some(Err(err)) => return rsx! { p { class: "error", role: "alert", "{err}" } },
        Some(Ok(e)) => e.clone(),
    };
    drop(guard);
    let going = e.my_status.is_some();
    let id_rsvp = e.id.clone();
    let rsvp = move |_| {
        let id = id_rsvp.clone();
        async move {
            match api::invoke::<cmd::Rsvp>(&ipc::RsvpArgs { id, going: !going }).await {
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
            button { class: "link back", onclick: move |_| go(Screen::Events), "← " {t("Back")} }
            h1 { id: "event-title", "{e.title}" }
            if e.status == ipc::EventStatus::Cancelled { p { class: "badge", {t("cancelled")} } }
            p { class: "when", id: "event-when", "{e.when_local}" }
            if !e.same_zone {
                p { class: "muted", {t("In the event's time zone")} ": {e.when_event}" }
            }
            if let Some(place) = &e.place {
                p { class: "place",
                    "{place}"
                    if let Some(address) = &e.address { br {} "{address}" }
                }
            }
            if let Some(url) = &e.map_url {
                p { a { href: "{url}", target: "_blank", rel: "noopener noreferrer", {t("Open map")} } }
            }
            if let Some(url) = &e.online {
                p { a { href: "{url}", target: "_blank", rel: "noopener noreferrer", "{url}" } }
            }
            if let Some(group) = &e.group { p { class: "muted", {t("Group")} ": {group}" } }
            if let Some(url) = &e.origin {
                p { id: "event-origin", class: "muted",
                    {t("From the Fediverse")} ": "
                    a { href: "{url}", target: "_blank", rel: "noopener noreferrer", "{url}" }
                }
            }
            div { class: "description", dangerous_inner_html: "{e.description_html}" }
            div { class: "actions",
                button { id: "rsvp", class: "primary", onclick: rsvp,
                    if going { {t("Leave")} } else { {t("Join")} }
                }
                button { id: "ics", onclick: ics, {t("Add to calendar")} }
                if e.can_edit {
                    button { id: "edit-event", onclick: move |_| go(Screen::EditEvent(Some(edit_id.clone()))), {t("Edit")} }
                    if e.status != ipc::EventStatus::Cancelled {
                        button { class: "danger", onclick: cancel, {t("Cancel event")} }
                    }
                }
            }
            if let Some(status) = &e.my_status { p { id: "my-status", {t("You are")} " " {t(status_label(*status))} } }
            if let Some(path) = notice() { p { class: "notice", role: "status", {t("Saved to")} " {path}" } }
            if let Some(err) = error() { p { class: "error", role: "alert", "{err}" } }
            h2 { {t("Organisers")} }
            p { {e.organisers.join(", ")} }
            h2 { {t("Participants")} " ({e.participants.len()})" }
            ul { class: "people", id: "participants",
                for person in e.participants.iter() {
                    li { "{person.name}" span { class: "muted", " · " {t(status_label(person.status))} } }
                }
            }
            h2 { {t("Comments")} }
            ul { class: "comments", id: "comments",
                for c in e.comments.iter().cloned() {
                    li { key: "{c.id}", class: "comment",
                        p { class: "meta", strong { "{c.author}" } " · {c.when}" }
                        p { class: "body", "{c.body}" }
                        button {
                            class: "link",
                            onclick: {
                                let (cid, author) = (c.id.clone(), c.author.clone());
                                move |_| reply_to.set(Some((cid.clone(), author.clone())))
                            },
                            {t("Reply")}
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
                    p { class: "muted", {t("Replying to")} " {who} "
                        button { r#type: "button", class: "link", onclick: move |_| reply_to.set(None), {t("Cancel")} }
                    }
                }
                label { r#for: "comment-body", {t("Write a comment")} }
                textarea { id: "comment-body", value: "{body}", oninput: move |ev| body.set(ev.value()) }
                button { r#type: "submit", id: "send-comment", class: "primary", {t("Comment")} }
            }
        }
    }
}

fn status_label(s: ipc::ParticipationStatus) -> &'static str {
    match s {
        ipc::ParticipationStatus::Going => "going",
        _ => "pending",
    }
}

#[component]
fn EventForm(id: Option<String>) -> Element {
    let mut form = use_signal(ipc::EventForm::default);
    let mut error = use_signal(|| None::<String>);
    let editing = id.clone();
    let groups = use_resource(|| async { api::invoke::<cmd::Groups>(&()).await });
    use_hook(move || {
        spawn(async move {
            if let Some(id) = editing {
                if let Ok(e) = api::invoke::<cmd::Event>(&ipc::IdArgs { id: id.clone() }).await {
                    form.set(ipc::EventForm {
                        id: Some(id),
                        title: e.title,
                        description: e.description,
                        starts: e.starts,
                        ends: e.ends.unwrap_or_default(),
                        time_zone: e.time_zone,
                        place: e.place.unwrap_or_default(),
                        address: e.address.unwrap_or_default(),
                        online: e.online.unwrap_or_default(),
                        visibility: Some(e.visibility),
                        group: None,
                    });
                }
            } else if let Ok(s) = api::invoke::<cmd::State>(&()).await {
                form.write().time_zone = s.time_zone;
                form.write().visibility = Some(ipc::Visibility::Public);
            }
        });
    });
    let save = on_submit(move || async move {
        match api::invoke::<cmd::SaveEvent>(&form()).await {
            Ok(saved) => go(Screen::Event(saved.id)),
            Err(e) => error.set(Some(e)),
        }
    });
    let field = move |key: &'static str, label: &'static str, kind: &'static str| {
        let mut form = form;
        let value = match key {
            "title" => form().title,
            "starts" => form().starts,
            "ends" => form().ends,
            "time_zone" => form().time_zone,
            "place" => form().place,
            "address" => form().address,
            _ => form().online,
        };
        rsx! {
            label { r#for: "f-{key}", {t(label)} }
            input {
                id: "f-{key}",
                r#type: kind,
                value: "{value}",
                oninput: move |e| {
                    let v = e.value();
                    let mut f = form.write();
                    match key {
                        "title" => f.title = v,
                        "starts" => f.starts = v,
                        "ends" => f.ends = v,
                        "time_zone" => f.time_zone = v,
                        "place" => f.place = v,
                        "address" => f.address = v,
                        _ => f.online = v,
                    }
                },
            }
        }
    };
    let can_list: Vec<ipc::GroupItem> = match &*groups.read() {
        Some(Ok(g)) => g
            .iter()
            .filter(|g| g.my_role.is_some_and(ipc::Role::can_moderate))
            .cloned()
            .collect(),
        _ => Vec::new(),
    };
    rsx! {
        form { class: "card event-form", onsubmit: save,
            h1 { if form().id.is_some() { {t("Edit")} } else { {t("New event")} } }
            {field("title", "Title", "text")}
            label { r#for: "f-description", {t("Description (Markdown)")} }
            textarea {
                id: "f-description",
                value: "{form().description}",
                oninput: move |e| form.write().description = e.value(),
            }
            div { class: "row",
                div { {field("starts", "Starts", "datetime-local")} }
                div { {field("ends", "Ends", "datetime-local")} }
            }
            {field("time_zone", "Time zone", "text")}
            {field("place", "Place", "text")}
            {field("address", "Address", "text")}
            {field("online", "Online link", "url")}
            label { r#for: "f-visibility", {t("Visibility")} }
            select {
                id: "f-visibility",
                value: form().visibility.unwrap_or(ipc::Visibility::Public).as_str(),
                onchange: move |e| form.write().visibility = ipc::Visibility::parse(&e.value()),
                option { value: "public", {t("Public")} }
                option { value: "unlisted", {t("Unlisted")} }
                option { value: "members-only", {t("Members only")} }
            }
            if form().id.is_none() && !can_list.is_empty() {
                label { r#for: "f-group", {t("Group")} }
                select {
                    id: "f-group",
                    onchange: move |e| {
                        let v = e.value();
                        form.write().group = (!v.is_empty()).then_some(v);
                    },
                    option { value: "", {t("None")} }
                    for g in can_list {
                        option { value: "{g.id}", "{g.name}" }
                    }
                }
            }
            if let Some(e) = error() { p { class: "error", role: "alert", "{e}" } }
            div { class: "actions",
                button { r#type: "submit", id: "save-event", class: "primary", {t("Save")} }
                button { r#type: "button", onclick: move |_| go(Screen::Events), {t("Cancel")} }
            }
        }
    }
}

#[component]
fn Groups() -> Element {
    let revision = use_context::<Revision>().0;
    let list = use_resource(move || async move {
        let _ = revision();
        api::invoke::<cmd::Groups>(&()).await
    });
    let mut name = use_signal(String::new);
    let mut summary = use_signal(String::new);
    let mut members_only = use_signal(|| false);
    let mut token = use_signal(String::new);
    let mut error = use_signal(|| None::<String>);
    let mut notice = use_signal(|| None::<&'static str>);
    let create = on_submit(move || async move {
        let args = ipc::NewGroup {
            name: name(),
            summary: summary(),
            members_only: members_only(),
        };
        match api::invoke::<cmd::CreateGroup>(&args).await {
            Ok(id) => go(Screen::Group(id)),
            Err(e) => error.set(Some(e)),
        }
    });
    let join = on_submit(move || async move {
        match api::invoke::<cmd::JoinGroup>(&ipc::TokenArgs { token: token() }).await {
            Ok(now) => {
                token.set(String::new());
                error.set(None);
                notice.set(Some(if now {
                    "Joined."
                } else {
                    "You will join as soon as the group reaches this device."
                }));
            }
            Err(e) => error.set(Some(e)),
        }
    });
    rsx! {
        section {
            h1 { {t("Groups")} }
            {match &*list.read() {
                None => rsx! { p { class: "muted", {t("Loading…")} } },
                Some(Err(e)) => rsx! { p { class: "error", role: "alert", "{e}" } },
                Some(Ok(items)) => rsx! {
                    ul { class: "list", id: "group-list",
                        for (target, g) in items.iter().map(|g| (g.id.clone(), g.clone())) {
                            li { key: "{g.id}",
                                button { class: "item", onclick: move |_| go(Screen::Group(target.clone())),
                                    span { class: "title", "{g.name}" }
                                    span { class: "meta", "{g.members} " {t("members")}
                                        if g.members_only { " · " {t("Members only")} }
                                        if let Some(role) = &g.my_role { " · {role}" }
                                    }
                                }
                            }
                        }
                    }
                },
            }}
            if let Some(e) = error() { p { class: "error", role: "alert", "{e}" } }
            if let Some(n) = notice() { p { class: "notice", role: "status", {t(n)} } }
            form { class: "card", onsubmit: join,
                h2 { {t("Join a group with a token")} }
                label { r#for: "join-token", {t("Invitation token")} }
                input { id: "join-token", value: "{token}", oninput: move |e| token.set(e.value()) }
                button { r#type: "submit", class: "primary", {t("Join")} }
            }
            form { class: "card", onsubmit: create,
                h2 { {t("Create a group")} }
                label { r#for: "group-name", {t("Name")} }
                input { id: "group-name", value: "{name}", oninput: move |e| name.set(e.value()) }
                label { r#for: "group-summary", {t("Summary")} }
                input { id: "group-summary", value: "{summary}", oninput: move |e| summary.set(e.value()) }
                label { class: "check",
                    input { r#type: "checkbox", checked: members_only(), onchange: move |e| members_only.set(e.checked()) }
                    {t("Members only")}
                }
                button { r#type: "submit", class: "primary", {t("Create")} }
            }
        }
    }
}

#[component]
fn GroupPage(id: String) -> Element {
    let revision = use_context::<Revision>().0;
    let page_id = id.clone();
    let page = use_resource(move || {
        let id = page_id.clone();
        async move {
            let _ = revision();
            api::invoke::<cmd::Group>(&ipc::IdArgs { id }).await
        }
    });
    let mut invitation = use_signal(|| None::<ipc::Invitation>);
    let mut text = use_signal(String::new);
    let mut error = use_signal(|| None::<String>);
    let guard = page.read();
    let g = match &*guard {
        None => return rsx! { p { class: "muted", {t("Loading…")} } },
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
            button { class: "link back", onclick: move |_| go(Screen::Groups), "← " {t("Back")} }
            h1 { "{g.name}" }
            if g.members_only { p { class: "badge", {t("Members only")} } }
            if !g.summary.is_empty() { p { "{g.summary}" } }
            button { id: "follow", onclick: follow,
                if g.followed { {t("Unfollow")} } else { {t("Follow")} }
            }
            h2 { {t("Members")} " ({g.members.len()})" }
            ul { class: "people", id: "members",
                for (group, m) in g.members.iter().map(|m| (g.id.clone(), m.clone())) {
                    li { class: "member-row",
                        span { "{m.name}" }
                        if is_admin {
                            select {
                                "aria-label": t("Role"),
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
                                {t("Remove")}
                            }
                        } else {
                            span { class: "muted", " · {m.role}" }
                        }
                    }
                }
            }
            if can_invite {
                button { id: "invite", onclick: invite, {t("Invite")} }
            }
            if let Some(i) = invitation() {
                div { class: "card invitation",
                    p { {t("Share this token or QR code with the person you invite.")} }
                    code { class: "token", id: "invite-token", "{i.token}" }
                    div { class: "qr", dangerous_inner_html: "{i.qr_svg}" }
                }
            }
            if !g.links.is_empty() || can_invite {
                h2 { {t("Links")} }
                ul {
                    for l in g.links.iter() {
                        li { a { href: "{l.url}", target: "_blank", rel: "noopener noreferrer", "{l.title}" } }
                    }
                }
            }
            if can_invite {
                form { class: "card", onsubmit: add_link,
                    h2 { {t("Add a link")} }
                    label { r#for: "link-title", {t("Title")} }
                    input { id: "link-title", value: "{link_title}", oninput: move |e| link_title.set(e.value()) }
                    label { r#for: "link-url", "URL" }
                    input { id: "link-url", r#type: "url", value: "{link_url}", oninput: move |e| link_url.set(e.value()) }
                    button { r#type: "submit", class: "primary", {t("Save")} }
                }
            }
            h2 { {t("Events")} }
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
                h2 { {t("Chat")} }
                p { class: "muted", {t("Only members can read this chat; it is end-to-end encrypted.")} }
                ul { class: "chat", id: "chat",
                    for m in g.messages.iter() {
                        li { class: if m.mine { "message mine" } else { "message" },
                            p { class: "meta", strong { "{m.author}" } " · {m.when}" }
                            p { class: "body", "{m.text}" }
                        }
                    }
                }
                form { class: "chat-form", onsubmit: send,
                    label { r#for: "chat-text", class: "visually-hidden", {t("Write a message")} }
                    input { id: "chat-text", placeholder: t("Write a message"), value: "{text}", oninput: move |e| text.set(e.value()) }
                    button { r#type: "submit", class: "primary", {t("Send")} }
                }
            }
            if let Some(e) = error() { p { class: "error", role: "alert", "{e}" } }
        }
    }
}

#[component]
fn Personas(state: ipc::AppState) -> Element {
    let mut name = use_signal(String::new);
    let mut error = use_signal(|| None::<String>);
    let create = on_submit(move || async move {
        match api::invoke::<cmd::CreatePersona>(&ipc::NameArgs { name: name() }).await {
            Ok(()) => {
                name.set(String::new());
                bump();
            }
            Err(e) => error.set(Some(e)),
        }
    });
    rsx! {
        section {
            h1 { {t("Personas")} }
            ul { class: "list",
                for (target, persona) in state.personas.iter().map(|p| (p.id.clone(), p.clone())) {
                    li { key: "{persona.id}", class: "persona-row",
                        div {
                            strong { "{persona.name}" }
                            p { class: "meta",
                                if persona.groups.is_empty() { {t("no group")} } else { {t("in")} " " {persona.groups.join(", ")} }
                            }
                        }
                        if persona.current {
                            span { class: "badge", {t("Current")} }
                        } else {
                            button {
                                onclick: move |_| {
                                    let id = target.clone();
                                    async move {
                                        match api::invoke::<cmd::SwitchPersona>(&ipc::IdArgs { id }).await {
                                            Ok(()) => bump(),
                                            Err(e) => error.set(Some(e)),
                                        }
                                    }
                                },
                                {t("Switch")}
                            }
                        }
                    }
                }
            }
            form { class: "card", onsubmit: create,
                h2 { {t("New persona")} }
                label { r#for: "new-persona", {t("Name")} }
                input { id: "new-persona", value: "{name}", oninput: move |e| name.set(e.value()) }
                button { r#type: "submit", class: "primary", {t("Create")} }
            }
            if let Some(e) = error() { p { class: "error", role: "alert", "{e}" } }
        }
    }
}

#[component]
fn SyncScreen() -> Element {
    let revision = use_context::<Revision>().0;
    let mut tick = use_signal(|| 0u32);
    use_hook(move || {
        spawn(async move {
            loop {
                sleep_ms(2000).await;
                tick += 1;
            }
        });
    });
    let status = use_resource(move || async move {
        let _ = (revision(), tick());
        api::invoke::<cmd::SyncStatus>(&()).await
    });
    rsx! {
        section {
            h1 { {t("Sync")} }
            {match &*status.read() {
                None => rsx! { p { class: "muted", {t("Loading…")} } },
                Some(Err(e)) => rsx! { p { class: "error", role: "alert", "{e}" } },
                Some(Ok(s)) => rsx! {
                    p { strong { if s.running { {t("Running")} } else { {t("Stopped")} } } }
                    if let Some(e) = &s.error { p { class: "error", role: "alert", "{e}" } }
                    h2 { {t("Connected peers")} }
                    if s.peers.is_empty() { p { class: "muted", {t("Nobody nearby right now.")} } }
                    ul { for peer in s.peers.iter() { li { code { "{peer.persona}" } } } }
                    p { {t("Last complete sync")} ": " {s.last_sync.clone().unwrap_or_else(|| t("never").to_owned())} }
                    p { {t("Documents on their way")} ": {s.pending}" }
                    if let Some(server) = &s.server { p { {t("Server")} ": " code { class: "token", "{server}" } } }
                    h2 { {t("Listening on")} }
                    ul { for a in s.listening.iter() { li { code { class: "token", "{a}" } } } }
                },
            }}
        }
    }
}

async fn sleep_ms(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        if let Some(w) = web_sys::window() {
            let _ = w.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
        }
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}

#[component]
fn SettingsScreen() -> Element {
    let mut language = use_context::<Language>().0;
    let mut server = use_signal(String::new);
    let mut invite = use_signal(String::new);
    let mut error = use_signal(|| None::<String>);
    let mut saved = use_signal(|| false);
    use_hook(move || {
        spawn(async move {
            if let Ok(s) = api::invoke::<cmd::SyncStatus>(&()).await {
                server.set(s.server.unwrap_or_default());
            }
        });
    });
    let save = on_submit(move || async move {
        let args = ipc::ServerArgs {
            address: server(),
            invite: invite(),
        };
        match api::invoke::<cmd::SetServer>(&args).await {
            Ok(()) => {
                saved.set(true);
                error.set(None);
            }
            Err(e) => error.set(Some(e)),
        }
    });
    rsx! {
        section {
            h1 { {t("Settings")} }
            label { r#for: "language", {t("Language")} }
            select {
                id: "language",
                value: language().code(),
                onchange: move |e| {
                    let l = if e.value() == "fr" { Lang::Fr } else { Lang::En };
                    l.remember();
                    language.set(l);
                },
                option { value: "en", "English" }
                option { value: "fr", "Français" }
            }
            form { class: "card", onsubmit: save,
                h2 { {t("Server")} }
                label { r#for: "server", {t("Server address")} }
                input { id: "server", value: "{server}", placeholder: "/ip4/…/udp/4001/quic-v1/p2p/12D3…", oninput: move |e| server.set(e.value()) }
                label { r#for: "server-invite", {t("Invitation code (if the server asks for one)")} }
                input { id: "server-invite", value: "{invite}", oninput: move |e| invite.set(e.value()) }
                button { r#type: "submit", class: "primary", {t("Save")} }
                if saved() { p { class: "notice", role: "status", {t("Saved.")} } }
                if let Some(e) = error() { p { class: "error", role: "alert", "{e}" } }
            }
        }
    }
}
