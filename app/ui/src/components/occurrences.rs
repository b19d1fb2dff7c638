//! A series' next occurrences on its page: when each is, whether it is
//! cancelled or changed, who goes; joining or leaving one occurrence; an
//! organiser cancels one or puts it back, or opens [`OccurrenceForm`] on it
//! to move, retitle or re-place it (or it and the following ones).

use crate::prelude::*;

#[component]
pub fn Occurrences(
    id: String,
    title: String,
    items: Vec<ipc::OccurrenceItem>,
    can_edit: bool,
) -> Element {
    let mut error = use_signal(|| None::<String>);
    let mut editing = use_signal(|| None::<String>);
    rsx! {
        section { class: "occurrences", "aria-labelledby": "occurrences-title",
            h2 { id: "occurrences-title", {t("next-occurrences")} }
            ul {
                for o in items {
                    li { key: "{o.name}", class: "occurrence", "data-occurrence": "{o.name}",
                        span { class: "when", "{o.when}" }
                        if o.status == ipc::EventStatus::Cancelled {
                            " "
                            span { class: "badge", {t("cancelled")} }
                        } else if o.changed {
                            " "
                            span { class: "badge", {t("changed")} }
                        }
                        if o.title != title {
                            " · "
                            span { class: "occurrence-title", "{o.title}" }
                        }
                        if let Some(place) = &o.place { " · {place}" }
                        " · " {tv("going-count", "count", o.going)}
                        if o.status != ipc::EventStatus::Cancelled {
                            {
                                let (id, name, going) = (id.clone(), o.name.clone(), o.mine.is_some());
                                let label = format!("{} — {}", if going { t("leave") } else { t("join") }, o.when);
                                rsx! {
                                    button {
                                        class: "occurrence-rsvp",
                                        "aria-label": "{label}",
                                        onclick: move |_| {
                                            let args = ipc::RsvpArgs { id: id.clone(), going: !going, occurrence: Some(name.clone()) };
                                            async move {
                                                match api::invoke::<cmd::Rsvp>(&args).await {
                                                    Ok(_) => { error.set(None); bump(); }
                                                    Err(err) => error.set(Some(err)),
                                                }
                                            }
                                        },
                                        if going { {t("leave")} } else { {t("join")} }
                                    }
                                }
                            }
                        }
                        if can_edit {
                            {
                                let (id, name) = (id.clone(), o.name.clone());
                                let cancelled = o.status == ipc::EventStatus::Cancelled;
                                let label = format!(
                                    "{} — {}",
                                    if cancelled { t("restore-occurrence") } else { t("cancel-occurrence") },
                                    o.when
                                );
                                rsx! {
                                    button {
                                        class: "link occurrence-cancel",
                                        "aria-label": "{label}",
                                        onclick: move |_| {
                                            let args = ipc::OccurrenceArgs { id: id.clone(), occurrence: name.clone(), cancelled: !cancelled };
                                            async move {
                                                match api::invoke::<cmd::SetOccurrence>(&args).await {
                                                    Ok(()) => { error.set(None); bump(); }
                                                    Err(err) => error.set(Some(err)),
                                                }
                                            }
                                        },
                                        if cancelled { {t("restore-occurrence")} } else { {t("cancel-occurrence")} }
                                    }
                                }
                            }
                            {
                                let name = o.name.clone();
                                let open = editing() == Some(o.name.clone());
                                let label = format!("{} — {}", t("change-occurrence"), o.when);
                                rsx! {
                                    button {
                                        class: "link occurrence-edit",
                                        "aria-label": "{label}",
                                        "aria-expanded": "{open}",
                                        onclick: move |_| {
                                            editing.set(if open { None } else { Some(name.clone()) });
                                        },
                                        {t("change-occurrence")}
                                    }
                                }
                            }
                            if editing() == Some(o.name.clone()) {
                                OccurrenceForm {
                                    id: id.clone(),
                                    item: o.clone(),
                                    series_title: title.clone(),
                                    on_done: move |_| editing.set(None),
                                }
                            }
                        }
                    }
                }
            }
            if let Some(e) = error() { p { class: "error", role: "alert", "{e}" } }
        }
    }
}
