//! The public pages' language: French or English, as the reader chose with the
//! pages' switch (`?lang=fr`, then remembered in a `lang` cookie), else as their
//! browser asks (`Accept-Language`, by its q-values), else English. The words
//! are Project Fluent messages (`server/locales/<lang>.ftl`, one file per
//! language); dates and clocks are written by `rally-dates` for the same
//! language. A test checks that both files have the same messages and that
//! every message the pages ask for exists.

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::LazyLock;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
pub use rally_dates::Lang;

/// The messages of each language, as shipped.
pub const FTL: &[(Lang, &str)] = &[
    (Lang::En, include_str!("../locales/en.ftl")),
    (Lang::Fr, include_str!("../locales/fr.ftl")),
];

static BUNDLES: LazyLock<HashMap<Lang, FluentBundle<FluentResource>>> = LazyLock::new(|| {
    FTL.iter()
        .map(|(lang, ftl)| {
            let mut bundle =
                FluentBundle::new_concurrent(vec![lang.code().parse().expect("a language tag")]);
            // The values go into HTML that is escaped after: no bidi marks.
            bundle.set_use_isolating(false);
            let resource = FluentResource::try_new((*ftl).to_owned())
                .expect("the shipped messages parse (checked by a test)");
            bundle
                .add_resource(resource)
                .expect("no message is defined twice (checked by a test)");
            (*lang, bundle)
        })
        .collect()
});

/// The words of the pages in a language.
pub trait Words {
    /// The message `id`, or the id itself if it is missing.
    fn t(&self, id: &str) -> String {
        self.ta(id, &[])
    }
    /// The message `id` with its arguments (numbers choose plural forms).
    fn ta(&self, id: &str, args: &[(&str, FluentValue<'_>)]) -> String;
}

impl Words for Lang {
    fn ta(&self, id: &str, args: &[(&str, FluentValue<'_>)]) -> String {
        let Some(bundle) = BUNDLES.get(self) else {
            return id.to_owned();
        };
        let Some(pattern) = bundle.get_message(id).and_then(|m| m.value()) else {
            return id.to_owned();
        };
        let mut fluent_args = FluentArgs::new();
        for (k, v) in args {
            fluent_args.set(*k, v.clone());
        }
        let mut errors = Vec::new();
        bundle
            .format_pattern(pattern, Some(&fluent_args), &mut errors)
            .into_owned()
    }
}

/// The cookie that remembers the reader's choice.
pub const COOKIE: &str = "lang";

/// Who reads a page: their language, whether they just chose it (the answer
/// then sets the cookie), and the page's path and query (for the switch).
#[derive(Debug, Clone)]
pub struct Reader {
    pub lang: Lang,
    pub chose: bool,
    pub path: String,
    pub query: Vec<(String, String)>,
}

impl Reader {
    /// The language a request asks for.
    pub fn of(uri: &axum::http::Uri, headers: &HeaderMap) -> Reader {
        let query: Vec<(String, String)> = uri
            .query()
            .map(|q| {
                url::form_urlencoded::parse(q.as_bytes())
                    .into_owned()
                    .collect()
            })
            .unwrap_or_default();
        let asked = query
            .iter()
            .find(|(k, _)| k == "lang")
            .and_then(|(_, v)| Lang::of(v));
        let lang = asked
            .or_else(|| cookie(headers))
            .or_else(|| accept_language(headers))
            .unwrap_or(Lang::En);
        Reader {
            lang,
            chose: asked.is_some(),
            path: uri.path().to_owned(),
            query: query.into_iter().filter(|(k, _)| k != "lang").collect(),
        }
    }

    /// The query's `name` parameter, if given and not empty.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, v)| k == name && !v.trim().is_empty())
            .map(|(_, v)| v.trim())
    }

    /// This page in `lang`: its path and query with `lang=` set.
    pub fn switch_to(&self, lang: Lang) -> String {
        let mut q = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in &self.query {
            q.append_pair(k, v);
        }
        q.append_pair("lang", lang.code());
        format!("{}?{}", self.path, q.finish())
    }

    /// A key for a page made for this reader (the language and the query).
    pub fn key(&self) -> String {
        let mut q = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in &self.query {
            q.append_pair(k, v);
        }
        format!("{}:{}?{}", self.lang.code(), self.path, q.finish())
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Reader {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Reader::of(&parts.uri, &parts.headers))
    }
}

fn cookie(headers: &HeaderMap) -> Option<Lang> {
    crate::html::cookie(headers, COOKIE).and_then(|v| Lang::of(&v))
}

/// The language the browser prefers most among Rally's (RFC 9110's
/// `Accept-Language`: tags with optional `q` weights; `q=0` refuses).
pub fn accept_language(headers: &HeaderMap) -> Option<Lang> {
    let mut best: Option<(f32, usize, Lang)> = None;
    let value = headers.get(header::ACCEPT_LANGUAGE)?.to_str().ok()?;
    for (i, item) in value.split(',').enumerate() {
        let mut parts = item.split(';');
        let tag = parts.next().unwrap_or_default();
        let q = parts
            .filter_map(|p| p.trim().strip_prefix("q="))
            .find_map(|q| q.trim().parse::<f32>().ok())
            .unwrap_or(1.0);
        let Some(lang) = Lang::of(tag) else { continue };
        if q <= 0.0 {
            continue;
        }
        // The highest weight wins; among equals, the first listed.
        if best.is_none_or(|(bq, bi, _)| q > bq || (q == bq && i < bi)) {
            best = Some((q, i, lang));
        }
    }
    best.map(|(_, _, l)| l)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use axum::http::HeaderValue;

    use super::*;

    fn ids(ftl: &str) -> BTreeSet<String> {
        let resource = FluentResource::try_new(ftl.to_owned()).expect("the messages parse");
        resource
            .entries()
            .filter_map(|e| match e {
                fluent_syntax::ast::Entry::Message(m) => Some(m.id.name.to_owned()),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn every_language_has_every_message_the_pages_ask_for() {
        let en = ids(FTL[0].1);
        for (lang, ftl) in FTL {
            assert_eq!(ids(ftl), en, "{lang:?} has the same messages as English");
        }
        assert!(LazyLock::force(&BUNDLES).len() == FTL.len());
        // Every `.t(…)` and `.ta(…)` in the server's code (but this file's
        // examples) names a message.
        let mut asked = BTreeSet::new();
        let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut dirs = vec![src];
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    dirs.push(path);
                } else if path.extension().is_some_and(|e| e == "rs") && !path.ends_with("lang.rs")
                {
                    let code = std::fs::read_to_string(&path).unwrap();
                    for call in [".t(\"", ".ta(\""] {
                        for (at, _) in code.match_indices(call) {
                            let rest = &code[at + call.len()..];
                            let id = &rest[..rest.find('"').unwrap()];
                            asked.insert(id.to_owned());
                        }
                    }
                }
            }
        }
        assert!(asked.len() > 20, "the pages ask for their words: {asked:?}");
        let missing: Vec<_> = asked.difference(&en).collect();
        assert!(
            missing.is_empty(),
            "messages missing from the .ftl files: {missing:?}"
        );
    }

    fn headers(pairs: &[(header::HeaderName, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(k.clone(), HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn the_choice_then_the_cookie_then_the_browser_then_english() {
        let uri: axum::http::Uri = "/events?q=v%C3%A9lo&lang=fr".parse().unwrap();
        let r = Reader::of(&uri, &headers(&[(header::ACCEPT_LANGUAGE, "en")]));
        assert_eq!((r.lang, r.chose), (Lang::Fr, true));
        assert_eq!(r.switch_to(Lang::En), "/events?q=v%C3%A9lo&lang=en");
        assert_eq!(r.key(), "fr:/events?q=v%C3%A9lo");

        let uri: axum::http::Uri = "/events".parse().unwrap();
        let both = headers(&[
            (header::COOKIE, "a=b; lang=fr"),
            (header::ACCEPT_LANGUAGE, "en"),
        ]);
        assert_eq!(Reader::of(&uri, &both).lang, Lang::Fr);
        for (accept, lang) in [
            ("fr-CH, fr;q=0.9, en;q=0.8, de;q=0.7, *;q=0.5", Lang::Fr),
            ("de-DE, en-GB;q=0.8, fr;q=0.7", Lang::En),
            ("en;q=0.1, fr;q=0.4", Lang::Fr),
            ("fr;q=0, en;q=0.2", Lang::En),
            ("de", Lang::En),
            ("garbage;;q=x,,", Lang::En),
        ] {
            let r = Reader::of(&uri, &headers(&[(header::ACCEPT_LANGUAGE, accept)]));
            assert_eq!(r.lang, lang, "{accept}");
            assert!(!r.chose);
        }
    }

    #[test]
    fn numbers_choose_the_plural_form() {
        assert_eq!(Lang::En.ta("going", &[("count", 1.into())]), "1 going");
        assert_eq!(
            Lang::Fr.ta("going", &[("count", 2.into())]),
            "2 participants"
        );
        assert_eq!(Lang::Fr.t("no-such-message"), "no-such-message");
    }
}
