//! Creating and editing an event.

use crate::prelude::*;

#[component]
pub fn EventForm(id: Option<String>) -> Element {
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
                        at: e.map.at,
                        online: e.online.unwrap_or_default(),
                        visibility: Some(e.visibility),
                        group: None,
                        repeat: e.repeat,
                    });
                }
            } else if let Ok(s) = api::invoke::<cmd::State>(&()).await {
                let mut f = form.write();
                f.time_zone = s.time_zone;
                f.visibility = Some(ipc::Visibility::Public);
                // A start to adjust rather than type from nothing: tomorrow
                // evening, in the device's time.
                f.starts = tomorrow_evening();
            }
        });
    });
    let save = on_submit(move || async move {
        match api::invoke::<cmd::SaveEvent>(&form()).await {
            Ok(saved) => {
                // The form is done with: back leads where it was opened from.
                back();
                go(Screen::Event(saved.id));
            }
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
            h1 { if form().id.is_some() { {t("edit")} } else { {t("new-event")} } }
            {field("title", "title", "text")}
            label { r#for: "f-description", {t("description-markdown")} }
            textarea {
                id: "f-description",
                value: "{form().description}",
                oninput: move |e| form.write().description = e.value(),
            }
            div { class: "row",
                div { {field("starts", "starts", "datetime-local")} }
                div { {field("ends", "ends", "datetime-local")} }
            }
            {field("time_zone", "time-zone", "text")}
            RepeatForm { form }
            PlaceSearch { form }
            {field("place", "place", "text")}
            {field("address", "address", "text")}
            {field("online", "online-link", "url")}
            label { r#for: "f-visibility", {t("visibility")} }
            select {
                id: "f-visibility",
                value: form().visibility.unwrap_or(ipc::Visibility::Public).as_str(),
                onchange: move |e| form.write().visibility = ipc::Visibility::parse(&e.value()),
                option { value: "public", {t("public")} }
                option { value: "unlisted", {t("unlisted")} }
                option { value: "members-only", {t("members-only")} }
            }
            if form().id.is_none() && !can_list.is_empty() {
                label { r#for: "f-group", {t("group")} }
                select {
                    id: "f-group",
                    onchange: move |e| {
                        let v = e.value();
                        form.write().group = (!v.is_empty()).then_some(v);
                    },
                    option { value: "", {t("none")} }
                    for g in can_list {
                        option { value: "{g.id}", "{g.name}" }
                    }
                }
            }
            if let Some(e) = error() { p { class: "error", role: "alert", "{e}" } }
            div { class: "actions",
                button { r#type: "submit", id: "save-event", class: "primary", {t("save")} }
                button { r#type: "button", onclick: move |_| back(), {t("cancel")} }
            }
        }
    }
}

/// Tomorrow at 18:00 on the device's clock, as a `datetime-local` value.
fn tomorrow_evening() -> String {
    let d = js_sys::Date::new_0();
    d.set_date(d.get_date() + 1);
    format!(
        "{:04}-{:02}-{:02}T18:00",
        d.get_full_year(),
        d.get_month() + 1,
        d.get_date()
    )
}
