//! "Since you last looked": the chats with unread messages and the events with
//! new comments or participants, each a way in. Shown above the events list
//! whenever there is something; opening one marks it seen.

use crate::prelude::*;

#[component]
pub fn SinceYouLooked() -> Element {
    let news = use_context::<Resource<ipc::News>>();
    let Some(news) = news
        .read()
        .clone()
        .filter(|n| !n.chats.is_empty() || !n.events.is_empty())
    else {
        return rsx! {};
    };
    rsx! {
        section { class: "card news", id: "news", "aria-labelledby": "news-title",
            h2 { id: "news-title", {t("since-you-last-looked")} }
            ul { class: "list",
                for c in news.chats.iter().cloned() {
                    li { key: "{c.id}",
                        button { class: "row-link", onclick: move |_| go(Screen::Group(c.id.clone())),
                            Icon { name: "message-circle" }
                            span { class: "title", "{c.name}" }
                            span { class: "meta", {tv("unread-messages", "count", c.unread)} }
                        }
                    }
                }
                for e in news.events.iter().cloned() {
                    li { key: "{e.id}",
                        button { class: "row-link", onclick: move |_| go(Screen::Event(e.id.clone())),
                            Icon { name: "calendar" }
                            span { class: "title", "{e.title}" }
                            span { class: "meta",
                                if e.comments > 0 { {tv("new-comments", "count", e.comments)} }
                                if e.comments > 0 && e.people > 0 { " · " }
                                if e.people > 0 { {tv("new-participants", "count", e.people)} }
                            }
                        }
                    }
                }
            }
        }
    }
}
