//! Rally's UI. Every screen reads through the app shell's commands (the local
//! store; nothing waits on the network) and reloads when the shell says the store
//! changed. Errors are shown where they happened, in plain words.

mod api;
mod components;
mod i18n;
mod screens;
mod theme;

use prelude::*;

/// What every screen and component uses.
mod prelude {
    pub(crate) use crate::api;
    pub use crate::components::*;
    pub use crate::i18n::Lang;
    pub use crate::screens::*;
    pub use crate::theme::Theme;
    pub use crate::{
        Language, Nav, Revision, Screen, back, bump, go, go_tab, mark_seen, on_submit, t, toast, tv,
    };
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
    /// An invitation opened from a link: confirm, then join.
    Join(String),
}

/// Bumped whenever the store changed: resources that read it reload.
#[derive(Clone, Copy)]
pub struct Revision(pub Signal<u64>);

/// The screen shown, and the ones before it (what back returns to).
#[derive(Clone, Copy)]
pub struct Nav(pub Signal<Screen>, pub Signal<Vec<Screen>>);

/// Bumped when the persona marked something seen: what counts news reloads.
#[derive(Clone, Copy)]
pub struct Seen(pub Signal<u64>);

/// The persona has seen `id` (a group's chat, an event) as it is now.
pub fn mark_seen(id: String) {
    let mut seen = consume_context::<Seen>().0;
    spawn(async move {
        if api::invoke::<cmd::MarkSeen>(&ipc::IdArgs { id })
            .await
            .is_ok()
        {
            seen += 1;
        }
    });
}

/// Short messages shown for a few seconds in a live region.
#[derive(Clone, Copy)]
pub struct Toasts(pub Signal<Vec<(u64, String)>>);

/// How far back the history goes.
const HISTORY: usize = 50;

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

/// Opens `screen`; back returns to the one shown now.
pub fn go(screen: Screen) {
    let Nav(mut now, mut history) = consume_context::<Nav>();
    let current = now();
    if current == screen {
        return;
    }
    let mut h = history.write();
    h.push(current);
    if h.len() > HISTORY {
        h.remove(0);
    }
    drop(h);
    now.set(screen);
}

/// Opens one of the tabs: a fresh start, nothing to go back to.
pub fn go_tab(screen: Screen) {
    let Nav(mut now, mut history) = consume_context::<Nav>();
    history.write().clear();
    now.set(screen);
}

/// Returns to the screen before (the events list when there is none).
pub fn back() {
    let Nav(mut now, mut history) = consume_context::<Nav>();
    let previous = history.write().pop().unwrap_or(Screen::Events);
    now.set(previous);
}

/// Shows `text` for a few seconds.
pub fn toast(text: String) {
    let Toasts(mut list) = consume_context::<Toasts>();
    let id = list.peek().last().map(|(id, _)| id + 1).unwrap_or(0);
    list.write().push((id, text));
    spawn(async move {
        api::sleep_ms(5000).await;
        list.write().retain(|(i, _)| *i != id);
    });
}

/// Where a link leads.
fn open_link(link: ipc::Link) {
    match link {
        ipc::Link::Event { id } => go(Screen::Event(id)),
        ipc::Link::Invite { token } => go(Screen::Join(token)),
        // Another device's pairing code (its QR code, scanned by the system
        // camera): dial it, and show how sync goes.
        link @ ipc::Link::Pair { .. } => {
            go(Screen::Sync);
            spawn(async move {
                let args = ipc::PairArgs {
                    text: link.to_string(),
                };
                match api::invoke::<cmd::Pair>(&args).await {
                    Ok(n) => toast(tv("pair-dialling", "count", n)),
                    Err(e) => toast(e),
                }
            });
        }
    }
}

pub fn bump() {
    let mut r = consume_context::<Revision>().0;
    r += 1;
}

#[component]
fn App() -> Element {
    let revision = use_context_provider(|| Revision(Signal::new(0)));
    let nav = use_context_provider(|| Nav(Signal::new(Screen::Events), Signal::new(Vec::new())));
    let toasts = use_context_provider(|| Toasts(Signal::new(Vec::new())));
    let seen = use_context_provider(|| Seen(Signal::new(0)));
    let news = use_resource(move || async move {
        let _ = ((revision.0)(), (seen.0)());
        api::invoke::<cmd::News>(&()).await.unwrap_or_default()
    });
    // The screens read it too ("since you last looked").
    use_context_provider(|| news);
    let news_now = news.read().clone().unwrap_or_default();
    let language = use_context_provider(|| Language(Signal::new(Lang::detect())));
    use_coroutine(move |mut rx: UnboundedReceiver<()>| async move {
        let mut rev = revision.0;
        while rx.next().await.is_some() {
            rev += 1;
        }
    });
    let changes = use_coroutine_handle::<()>();
    // Links: the one the app started with, then each one the shell forwards.
    let links = use_coroutine(move |mut rx: UnboundedReceiver<ipc::Link>| async move {
        while let Some(link) = rx.next().await {
            open_link(link);
        }
    });
    use_hook(move || {
        Theme::saved().apply();
        api::follow_visibility();
        spawn(async move {
            api::listen(ipc::CHANGED, move || changes.send(())).await;
        });
        spawn(async move {
            if let Ok(Some(link)) = api::invoke::<cmd::TakeLink>(&()).await {
                links.send(link);
            }
            api::listen_with::<ipc::Link>(ipc::OPEN_LINK, move |link| links.send(link)).await;
        });
    });
    // A store sealed by a passphrase shows the lock screen first.
    let mut lock = use_resource(move || async move {
        let _ = (revision.0)();
        api::invoke::<cmd::LockState>(&()).await
    });
    let state = use_resource(move || async move {
        let _ = (revision.0)();
        // The shell writes dates in the UI's language.
        let _ = api::invoke::<cmd::SetLanguage>(&(language.0)().ipc()).await;
        api::invoke::<cmd::State>(&()).await
    });
    let html_lang = language.0().code();
    // The page's language is the UI's (screen readers pick their voice by it).
    use_effect(move || {
        let code = (language.0)().code();
        if let Some(root) = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.document_element())
        {
            let _ = root.set_attribute("lang", code);
        }
    });
    let locked = matches!(&*lock.read(), Some(Ok(l)) if l.locked);
    let body = match &*state.read() {
        _ if locked => rsx! {
            LockScreen {
                on_open: move |_| {
                    lock.restart();
                    bump();
                },
            }
        },
        None => rsx! { p { class: "muted", {t("loading")} } },
        Some(Err(e)) => rsx! { p { class: "error", role: "alert", "{e}" } },
        Some(Ok(s)) if s.personas.is_empty() => rsx! { Welcome {} },
        Some(Ok(s)) => {
            let current = s.personas.iter().find(|p| p.current).cloned();
            rsx! {
                Header { current: current.map(|p| p.name).unwrap_or_default(), news: news_now.clone() }
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
                        Screen::Join(token) => rsx! { JoinScreen { token } },
                    }}
                }
            }
        }
    };
    rsx! {
        div {
            class: "app",
            lang: "{html_lang}",
            // Alt+← (and the keyboard's Back key) go back, as in a browser.
            onkeydown: move |e: KeyboardEvent| {
                let alt_left = e.modifiers().alt() && e.key() == Key::ArrowLeft;
                if alt_left || e.key() == Key::BrowserBack {
                    e.prevent_default();
                    back();
                }
            },
            {body}
            div { class: "toasts", role: "status", "aria-live": "polite",
                for (id, text) in toasts.0() {
                    p { key: "{id}", class: "toast", "{text}" }
                }
            }
        }
    }
}
