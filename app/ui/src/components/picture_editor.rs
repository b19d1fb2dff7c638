//! Choosing an event's or a group's picture: a file from the device (the system's file
//! chooser, or the photo picker on phones), what it shows (required: screen
//! readers say it instead), and removing it. The shell cleans the picture (no
//! place, camera or time survives) before anything is stored.

use base64::Engine as _;

use crate::prelude::*;

#[component]
pub fn PictureEditor(of: ipc::PictureOf, id: String, current: Option<ipc::PictureRef>) -> Element {
    let mut alt = use_signal(|| current.as_ref().map(|c| c.alt.clone()).unwrap_or_default());
    let mut chosen = use_signal(|| None::<(String, String)>);
    let mut error = use_signal(|| None::<String>);
    let mut busy = use_signal(|| false);
    let choose = move |evt: FormEvent| {
        let files = evt.files();
        async move {
            let Some(file) = files.into_iter().next() else {
                return;
            };
            if file.size() > ipc::MAX_PICTURE_FILE {
                error.set(Some(t("picture-too-large")));
                return;
            }
            match file.read_bytes().await {
                Ok(bytes) => {
                    error.set(None);
                    chosen.set(Some((
                        file.name(),
                        base64::engine::general_purpose::STANDARD.encode(&bytes),
                    )));
                }
                Err(e) => error.set(Some(e.to_string())),
            }
        }
    };
    let has_picture = current.is_some();
    let id_save = id.clone();
    let save = on_submit(move || {
        let id = id_save.clone();
        async move {
            let description = alt().trim().to_owned();
            if description.is_empty() {
                error.set(Some(t("picture-needs-alt")));
                return;
            }
            busy.set(true);
            let args = ipc::PictureArgs {
                of,
                id,
                base64: chosen().map(|(_, data)| data),
                alt: Some(description),
            };
            match api::invoke::<cmd::SetPicture>(&args).await {
                Ok(_) => {
                    chosen.set(None);
                    error.set(None);
                    toast(t("picture-saved"));
                }
                Err(e) => error.set(Some(e)),
            }
            busy.set(false);
        }
    });
    let remove = move |_| {
        let id = id.clone();
        async move {
            let args = ipc::PictureArgs {
                of,
                id,
                base64: None,
                alt: None,
            };
            match api::invoke::<cmd::SetPicture>(&args).await {
                Ok(_) => {
                    alt.set(String::new());
                    toast(t("picture-removed"));
                }
                Err(e) => error.set(Some(e)),
            }
        }
    };
    rsx! {
        form { class: "picture-editor", id: "picture-editor", onsubmit: save,
            h2 { {t("picture")} }
            label { r#for: "picture-file", {t("choose-picture")} }
            input {
                id: "picture-file",
                r#type: "file",
                accept: "image/jpeg,image/png,image/webp,image/gif",
                onchange: choose,
            }
            if let Some((name, data)) = chosen() {
                // A preview of the file as chosen (the stored picture is the
                // cleaned one); decorative: the description below says it.
                img {
                    class: "picture preview",
                    src: "data:{media_type(&name)};base64,{data}",
                    alt: "",
                }
                p { class: "muted", "{name}" }
            }
            label { r#for: "picture-alt-text", {t("picture-alt")} }
            input {
                id: "picture-alt-text",
                value: "{alt}",
                oninput: move |ev| alt.set(ev.value()),
            }
            p { class: "muted", {t("picture-is-cleaned")} }
            if let Some(err) = error() { p { class: "error", role: "alert", "{err}" } }
            div { class: "actions",
                button {
                    r#type: "submit",
                    id: "save-picture",
                    class: "primary",
                    disabled: busy() || (chosen().is_none() && !has_picture),
                    {t("save-picture")}
                }
                if has_picture {
                    button { r#type: "button", id: "remove-picture", class: "danger", onclick: remove, {t("remove-picture")} }
                }
            }
        }
    }
}

/// The media type a file's name suggests, for its preview (the shell reads the
/// bytes themselves, never the name).
fn media_type(name: &str) -> &'static str {
    let lower = name.to_ascii_lowercase();
    if lower.ends_with(".png") {
        "image/png"
    } else if lower.ends_with(".webp") {
        "image/webp"
    } else if lower.ends_with(".gif") {
        "image/gif"
    } else {
        "image/jpeg"
    }
}
