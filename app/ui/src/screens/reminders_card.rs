//! Reminders, in the settings: on or off, and how long before each event this
//! device reminds (a day, an hour, a quarter of an hour). Each event's page
//! may choose its own ([`EventReminders`]). Nothing about them leaves the device.

use crate::prelude::*;

/// The choices offered, minutes before, and their words.
const CHOICES: [(u32, &str); 3] = [
    (1440, "remind-day-before"),
    (60, "remind-hour-before"),
    (15, "remind-quarter-before"),
];

#[component]
pub fn RemindersCard() -> Element {
    let mut settings = use_signal(|| None::<ipc::Reminders>);
    let mut error = use_signal(|| None::<String>);
    use_hook(move || {
        spawn(async move {
            match api::invoke::<cmd::Reminders>(&()).await {
                Ok(r) => settings.set(Some(r)),
                Err(e) => error.set(Some(e)),
            }
        });
    });
    let mut save = move |r: ipc::Reminders| {
        settings.set(Some(r.clone()));
        spawn(async move {
            match api::invoke::<cmd::SetReminders>(&r).await {
                Ok(()) => error.set(None),
                Err(e) => error.set(Some(e)),
            }
        });
    };
    rsx! {
        section { class: "card", id: "reminders",
            h2 { {t("reminders")} }
            p { class: "meta", {t("reminders-help")} }
            if let Some(r) = settings() {
                label { class: "check",
                    input {
                        id: "reminders-on",
                        r#type: "checkbox",
                        checked: r.on,
                        onchange: {
                            let r = r.clone();
                            move |e: Event<FormData>| save(ipc::Reminders { on: e.checked(), ..r.clone() })
                        },
                    }
                    {t("reminders-on")}
                }
                if r.on {
                    for (minutes, words) in CHOICES {
                        label { class: "check",
                            input {
                                id: "remind-{minutes}",
                                r#type: "checkbox",
                                checked: r.before.contains(&minutes),
                                onchange: {
                                    let r = r.clone();
                                    move |e: Event<FormData>| {
                                        let mut before: Vec<u32> =
                                            r.before.iter().copied().filter(|b| *b != minutes).collect();
                                        if e.checked() {
                                            before.push(minutes);
                                        }
                                        save(ipc::Reminders { on: r.on, before });
                                    }
                                },
                            }
                            {t(words)}
                        }
                    }
                }
            }
            if let Some(e) = error() { p { class: "error", role: "alert", "{e}" } }
        }
    }
}

/// An event's own reminders, on its page: as the device does, never, or a
/// choice of its own.
#[component]
pub fn EventReminders(id: String, current: Option<Vec<u32>>) -> Element {
    let mut error = use_signal(|| None::<String>);
    let value = match current.as_deref() {
        None => String::from("default"),
        Some([]) => String::from("never"),
        Some(list) => list
            .iter()
            .map(u32::to_string)
            .collect::<Vec<_>>()
            .join(","),
    };
    rsx! {
        div { class: "event-reminders",
            label { r#for: "event-reminders", {t("remind-me")} }
            select {
                id: "event-reminders",
                value: "{value}",
                onchange: move |e| {
                    let choice = e.value();
                    let before = match choice.as_str() {
                        "default" => None,
                        "never" => Some(Vec::new()),
                        list => Some(list.split(',').filter_map(|m| m.parse().ok()).collect()),
                    };
                    let args = ipc::EventRemindersArgs { id: id.clone(), before };
                    async move {
                        match api::invoke::<cmd::SetEventReminders>(&args).await {
                            Ok(()) => { error.set(None); bump(); }
                            Err(err) => error.set(Some(err)),
                        }
                    }
                },
                option { value: "default", {t("remind-as-settings")} }
                option { value: "never", {t("remind-never")} }
                option { value: "15", {t("remind-quarter-before")} }
                option { value: "60", {t("remind-hour-before")} }
                option { value: "1440", {t("remind-day-before")} }
                option { value: "60,1440", {t("remind-hour-and-day-before")} }
            }
            if let Some(e) = error() { p { class: "error", role: "alert", "{e}" } }
        }
    }
}
