//! A confirm dialog: a question, a button that does it and one that does not.
//! Modal (the page behind is inert to pointer and screen reader), the action
//! button takes the focus when it opens, Escape answers "no".

use crate::prelude::*;

#[component]
pub fn Confirm(
    title: String,
    text: String,
    /// The action's label ("Join", "Cancel the event").
    yes: String,
    no: String,
    /// Whether the action destroys or ends something (drawn in red).
    #[props(default)]
    danger: bool,
    on_yes: EventHandler<()>,
    on_no: EventHandler<()>,
) -> Element {
    rsx! {
        div { class: "scrim",
            div {
                class: "dialog",
                role: "dialog",
                "aria-modal": "true",
                "aria-labelledby": "dialog-title",
                "aria-describedby": "dialog-text",
                onkeydown: move |e: KeyboardEvent| {
                    if e.key() == Key::Escape {
                        e.stop_propagation();
                        on_no.call(());
                    }
                },
                h2 { id: "dialog-title", "{title}" }
                p { id: "dialog-text", "{text}" }
                div { class: "actions",
                    button {
                        id: "dialog-yes",
                        class: if danger { "primary danger-fill" } else { "primary" },
                        onmounted: move |e: MountedEvent| async move {
                            let _ = e.set_focus(true).await;
                        },
                        onclick: move |_| on_yes.call(()),
                        "{yes}"
                    }
                    button { id: "dialog-no", onclick: move |_| on_no.call(()), "{no}" }
                }
            }
        }
    }
}
