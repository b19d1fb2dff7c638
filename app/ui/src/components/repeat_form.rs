//! The event form's recurrence section: off, or how often (daily, weekly on
//! chosen days, monthly on the same date or the same weekday rank, yearly),
//! every how many, until a day or a number of times — and the sentence the
//! shell writes for it in the reader's language, as it is set.

use crate::prelude::*;

const DAYS: [(ipc::Weekday, &str); 7] = [
    (ipc::Weekday::Monday, "weekday-monday"),
    (ipc::Weekday::Tuesday, "weekday-tuesday"),
    (ipc::Weekday::Wednesday, "weekday-wednesday"),
    (ipc::Weekday::Thursday, "weekday-thursday"),
    (ipc::Weekday::Friday, "weekday-friday"),
    (ipc::Weekday::Saturday, "weekday-saturday"),
    (ipc::Weekday::Sunday, "weekday-sunday"),
];

#[component]
pub fn RepeatForm(form: Signal<ipc::EventForm>) -> Element {
    let mut form = form;
    let sentence = use_resource(move || async move {
        let f = form();
        let repeat = f.repeat?;
        let args = ipc::RepeatArgs {
            repeat,
            starts: f.starts,
            time_zone: f.time_zone,
        };
        Some(api::invoke::<cmd::DescribeRepeat>(&args).await)
    });
    let repeat = form().repeat;
    let mut set = move |change: &dyn Fn(&mut ipc::RepeatForm)| {
        let mut f = form.write();
        if let Some(r) = f.repeat.as_mut() {
            change(r);
        }
    };
    rsx! {
        fieldset { class: "repeat",
            legend { {t("repeats")} }
            label { class: "check",
                input {
                    id: "f-repeats",
                    r#type: "checkbox",
                    checked: repeat.is_some(),
                    onchange: move |e| {
                        form.write().repeat = e.checked().then(ipc::RepeatForm::default);
                    },
                }
                {t("repeats-check")}
            }
            if let Some(r) = repeat.clone() {
                div { class: "row",
                    div {
                        label { r#for: "f-freq", {t("repeat-frequency")} }
                        select {
                            id: "f-freq",
                            value: r.freq.as_str(),
                            onchange: move |e| {
                                if let Some(f) = ipc::Frequency::parse(&e.value()) {
                                    set(&|r| r.freq = f);
                                }
                            },
                            option { value: "daily", {t("freq-daily")} }
                            option { value: "weekly", {t("freq-weekly")} }
                            option { value: "monthly", {t("freq-monthly")} }
                            option { value: "yearly", {t("freq-yearly")} }
                        }
                    }
                    div {
                        label { r#for: "f-interval", {t("repeat-interval")} }
                        input {
                            id: "f-interval",
                            r#type: "number",
                            min: "1",
                            max: "99",
                            value: "{r.interval}",
                            oninput: move |e| {
                                let n = e.value().parse().unwrap_or(1u16).clamp(1, 99);
                                set(&|r| r.interval = n);
                            },
                        }
                    }
                }
                if r.freq == ipc::Frequency::Weekly {
                    div { class: "weekdays", role: "group", "aria-label": t("repeat-on-days"),
                        for (day, name) in DAYS {
                            label { class: "check",
                                input {
                                    r#type: "checkbox",
                                    id: "f-day-{day.as_str()}",
                                    checked: r.weekdays.contains(&day),
                                    onchange: move |e| {
                                        let on = e.checked();
                                        set(&|r| {
                                            r.weekdays.retain(|d| *d != day);
                                            if on {
                                                r.weekdays.push(day);
                                            }
                                        });
                                    },
                                }
                                {t(name)}
                            }
                        }
                    }
                }
                if r.freq == ipc::Frequency::Monthly {
                    label { r#for: "f-monthly-by", {t("repeat-monthly-by")} }
                    select {
                        id: "f-monthly-by",
                        value: if r.by_weekday { "weekday" } else { "date" },
                        onchange: move |e| {
                            let by = e.value() == "weekday";
                            set(&|r| r.by_weekday = by);
                        },
                        option { value: "date", {t("repeat-by-date")} }
                        option { value: "weekday", {t("repeat-by-weekday")} }
                    }
                }
                div { class: "row",
                    div {
                        label { r#for: "f-until", {t("repeat-until-label")} }
                        input {
                            id: "f-until",
                            r#type: "date",
                            value: "{r.until.clone().unwrap_or_default()}",
                            oninput: move |e| {
                                let v = e.value();
                                set(&|r| r.until = (!v.is_empty()).then(|| v.clone()));
                            },
                        }
                    }
                    div {
                        label { r#for: "f-count", {t("repeat-count-label")} }
                        input {
                            id: "f-count",
                            r#type: "number",
                            min: "1",
                            max: "1000",
                            value: "{r.count.map(|c| c.to_string()).unwrap_or_default()}",
                            oninput: move |e| {
                                let n = e.value().parse().ok();
                                set(&|r| r.count = n);
                            },
                        }
                    }
                }
                match &*sentence.read() {
                    Some(Some(Ok(text))) => rsx! { p { id: "repeat-sentence", class: "muted", "{text}" } },
                    Some(Some(Err(err))) => rsx! { p { id: "repeat-sentence", class: "error", role: "alert", "{err}" } },
                    _ => rsx! {},
                }
            }
        }
    }
}
