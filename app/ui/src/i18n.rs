//! French and English, as Project Fluent messages (`locales/<lang>.ftl`, one
//! file per language: adding a language is adding a file and a `Lang`). The
//! system language is followed unless the person chose one in the settings
//! (kept in the webview's local storage). A test in the app shell checks that
//! every message exists in every language and that every id the UI asks for
//! exists.

use fluent_bundle::{FluentArgs, FluentBundle, FluentResource};
use unic_langid::LanguageIdentifier;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    En,
    Fr,
}

impl Lang {
    pub fn detect() -> Lang {
        let window = web_sys::window();
        let chosen = window
            .as_ref()
            .and_then(|w| w.local_storage().ok().flatten())
            .and_then(|s| s.get_item("lang").ok().flatten());
        let tag = chosen.or_else(|| window.and_then(|w| w.navigator().language()));
        match tag {
            Some(t) if t.starts_with("fr") => Lang::Fr,
            _ => Lang::En,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Fr => "fr",
        }
    }

    /// The same language, as the shell knows it.
    pub fn ipc(self) -> rally_ipc::Language {
        match self {
            Lang::En => rally_ipc::Language::En,
            Lang::Fr => rally_ipc::Language::Fr,
        }
    }

    pub fn remember(self) {
        if let Some(s) = web_sys::window().and_then(|w| w.local_storage().ok().flatten()) {
            let _ = s.set_item("lang", self.code());
        }
    }
}

/// The messages of each language, as shipped.
pub const FTL: &[(Lang, &str)] = &[
    (Lang::En, include_str!("../locales/en.ftl")),
    (Lang::Fr, include_str!("../locales/fr.ftl")),
];

type Bundle = FluentBundle<FluentResource>;

fn bundle(lang: Lang) -> Bundle {
    let ftl = FTL
        .iter()
        .find(|(l, _)| *l == lang)
        .map(|(_, f)| *f)
        .unwrap_or_default();
    let id: LanguageIdentifier = lang.code().parse().expect("a valid language tag");
    let mut bundle = FluentBundle::new(vec![id]);
    // Plain text in the page: no bidi isolation marks around values.
    bundle.set_use_isolating(false);
    let resource = FluentResource::try_new(ftl.to_owned()).unwrap_or_else(|(r, _)| r);
    let _ = bundle.add_resource(resource);
    bundle
}

thread_local! {
    static BUNDLES: Vec<(Lang, Bundle)> = [Lang::En, Lang::Fr].into_iter().map(|l| (l, bundle(l))).collect();
}

/// The message `id` in `lang`, with `args`; the id itself when it is missing
/// (which the shell's test forbids).
pub fn message(lang: Lang, id: &str, args: Option<&FluentArgs<'_>>) -> String {
    BUNDLES.with(|bundles| {
        let Some((_, bundle)) = bundles.iter().find(|(l, _)| *l == lang) else {
            return id.to_owned();
        };
        let Some(pattern) = bundle.get_message(id).and_then(|m| m.value()) else {
            return id.to_owned();
        };
        let mut errors = Vec::new();
        bundle
            .format_pattern(pattern, args, &mut errors)
            .into_owned()
    })
}
