//! A picture from the store: shown once its bytes are here (the shell hands them
//! over as a `data:` URL, the only images the webview's CSP allows), a
//! placeholder of the same shape until then — a picture may arrive after its
//! event. Screen readers get the alt text either way.

use crate::prelude::*;

#[component]
pub fn Picture(
    picture: ipc::PictureRef,
    class: String,
    /// Beside a name that says it all (an avatar): screen readers skip it.
    #[props(default)]
    decorative: bool,
) -> Element {
    let revision = use_context::<Revision>().0;
    let hash = picture.hash.clone();
    let data = use_resource(move || {
        let id = hash.clone();
        async move {
            let _ = revision();
            api::invoke::<cmd::Picture>(&ipc::IdArgs { id }).await
        }
    });
    let ratio = format!("aspect-ratio: {} / {}", picture.width, picture.height);
    let alt = if decorative {
        String::new()
    } else {
        picture.alt.clone()
    };
    match &*data.read() {
        Some(Ok(Some(url))) => rsx! {
            img {
                class: "picture {class}",
                src: "{url}",
                alt: "{alt}",
                width: "{picture.width}",
                height: "{picture.height}",
                "data-hash": "{picture.hash}",
            }
        },
        _ => rsx! {
            span {
                class: "picture placeholder {class}",
                role: if decorative { "presentation" } else { "img" },
                "aria-label": if decorative { String::new() } else if alt.is_empty() { t("picture-on-its-way") } else { alt.clone() },
                style: "{ratio}",
                "data-hash": "{picture.hash}",
            }
        },
    }
}
