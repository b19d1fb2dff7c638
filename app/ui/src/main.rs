//! Rally's UI. Every screen reads through the app shell's commands (the local
//! store; nothing waits on the network) and reloads when the shell says the store
//! changed. Errors are shown where they happened, in plain words.

mod api;
mod components;
mod i18n;
mod screens;

use prelude::*;

/// What every screen and component uses.
mod prelude {
    pub(crate) use crate::api;
    pub use crate::components::*;
    pub use crate::i18n::Lang;
    pub use crate::screens::*;
    pub use crate::{Language, Nav, Revision, Screen, bump, go, on_submit, t, tv};
    pub use dioxus::prelude::*;
    pub use futures_util::StreamExt;
    pub use rally_ipc::{self as ipc, cmd};
}

fn main() {
    dioxus::launch(App);
}

#[derive(Debug, Clone, PartialEq)]
pub enum Screen {
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
pub struct Revision(pub Signal<u64>);

#[derive(Clone, Copy)]
pub struct Nav(pub Signal<Screen>);

#[derive(Clone, Copy)]
pub struct Language(pub Signal<Lang>);

// Context is read with `consume_context`, not the `use_context` hook: these
// helpers are called in branches and handlers, where hooks may not be.
pub fn lang() -> Lang {
    consume_context::<Language>().0()
}

/// The message `id` in the current language.
pub fn t(id: &str) -> String {
    i18n::message(lang(), id, None)
}

/// The message `id` with one value.
pub fn tv(id: &str, name: &str, value: impl Into<fluent_bundle::FluentValue<'static>>) -> String {
    let mut args = fluent_bundle::FluentArgs::new();
    args.set(name.to_owned(), value.into());
    i18n::message(lang(), id, Some(&args))
}

/// A form's submit handler: the page must not reload; the work runs async.
pub fn on_submit<F: std::future::Future<Output = ()> + 'static>(
    mut work: impl FnMut() -> F + 'static,
) -> impl FnMut(FormEvent) + 'static {
    move |e: FormEvent| {
        e.prevent_default();
        spawn(work());
    }
}

pub fn go(screen: Screen) {
    let mut nav = consume_context::<Nav>().0;
    nav.set(screen);
}

pub fn bump() {
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
        // The shell writes dates in the UI's language.
        let _ = api::invoke::<cmd::SetLanguage>(&(language.0)().ipc()).await;
        api::invoke::<cmd::State>(&()).await
    });
    let html_lang = language.0().code();
    let body = match &*state.read() {
        None => rsx! { p { class: "muted", {t("loading")} } },
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
