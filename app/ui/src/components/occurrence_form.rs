//! The form an organiser opens on one date of a series: another title, start,
//! end or place for that date only, or for it and the following ones (their
//! start shifts by as much). Blank fields are the series' own. The shell's
//! `edit_occurrence` writes it, as one change.

use crate::prelude::*;

#[component]
pub fn OccurrenceForm(
    id: String,
    item: ipc::OccurrenceItem,
    /// The series' title, shown as the blank title's placeholder.
    series_title: String,
    on_done: EventHandler<()>,
) -> Element {
    let mut form = use_signal(|| ipc::OccurrenceEdit {
        id: id.clone(),
        occurrence: item.name.clone(),
        following: false,
        title: if item.title == series_title {
            String::new()
        } else {
            item.title.clone()
        },
        starts: item.starts.clone(),
        ends: item.ends.clone().unwrap_or_default(),
        place: item.place.clone().unwrap_or_default(),
    });
    let mut error = use_signal(|| None::<String>);
    let field = move |key: &'static str, label: &'static str, kind: &'static str| {
        let value = match key {
            "title" => form().title,
            "starts" => form().starts,
            "ends" => form().ends,
            _ => form().place,
        };
        let placeholder = if key == "title" {
            series_title.clone()
        } else {
            String::new()
        };
        rsx! {
            div {
                label { r#for: "o-{key}", {t(label)} }
                input {
                    id: "o-{key}",
                    r#type: kind,
                    value: "{value}",
                    placeholder: "{placeholder}",
                    oninput: move |e| {
                        let v = e.value();
                        let mut f = form.write();
                        match key {
                            "title" => f.title = v,
                            "starts" => f.starts = v,
                            "ends" => f.ends = v,
                            _ => f.place = v,
                        }
                    },
                }
            }
        }
    };
    rsx! {
        form {
            class: "occurrence-form",
            "aria-label": "{t(\"change-occurrence\")} — {item.when}",
            onsubmit: move |e| {
                e.prevent_default();
                async move {
                    match api::invoke::<cmd::EditOccurrence>(&form()).await {
                        Ok(()) => {
                            error.set(None);
                            bump();
                            on_done.call(());
                        }
                        Err(err) => error.set(Some(err)),
                    }
                }
            },
            p { class: "muted", {t("occurrence-blank-help")} }
            {field("title", "title", "text")}
            div { class: "row",
                {field("starts", "starts", "datetime-local")}
                {field("ends", "ends", "datetime-local")}
            }
            {field("place", "place", "text")}
            fieldset {
                legend { {t("occurrence-scope")} }
                label { class: "check",
                    input {
                        id: "o-this",
                        r#type: "radio",
                        name: "o-scope",
                        checked: !form().following,
                        onchange: move |_| form.write().following = false,
                    }
                    {t("occurrence-this")}
                }
                label { class: "check",
                    input {
                        id: "o-following",
                        r#type: "radio",
                        name: "o-scope",
                        checked: form().following,
                        onchange: move |_| form.write().following = true,
                    }
                    {t("occurrence-following")}
                }
            }
            div { class: "actions",
                button { id: "save-occurrence", class: "primary", r#type: "submit", {t("save")} }
                button {
                    r#type: "button",
                    onclick: move |_| on_done.call(()),
                    {t("cancel")}
                }
            }
            if let Some(e) = error() { p { class: "error", role: "alert", "{e}" } }
        }
    }
}
