//! Rendered public pages (the listings, event and group pages), kept while
//! the store has not changed (and for a minute at most, as events end and
//! "upcoming" moves on): a busy instance renders each page once per change
//! instead of once per reader. Keyed by the reader's language, the path and
//! the query ([`crate::lang::Reader::key`]); bounded in number, emptied when
//! full.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::http::HeaderMap;
use axum::response::Response;

use super::vocab::Urls;
use super::{FediError, Local};
use crate::html;
use crate::lang::Reader;

/// A page's parts, as [`crate::html::public`] puts them together.
#[derive(Debug, Clone, Default)]
pub struct Page {
    pub title: String,
    /// Extra `<head>` markup (escaped).
    pub head: String,
    /// The content (escaped).
    pub body: String,
}

impl Page {
    /// The page for `reader`, in the public pages' shell ([`html::public`]);
    /// `interacts` for a page with the remote-interaction form, whose policy
    /// lets it send the reader to their own server.
    pub fn respond(
        &self,
        urls: &Urls,
        reader: &Reader,
        headers: &HeaderMap,
        interacts: bool,
    ) -> Response {
        html::public(
            reader,
            headers,
            html::Public {
                host: urls.host(),
                listings: true,
                title: &self.title,
                head: &self.head,
                body: &self.body,
                csp: interacts.then(|| html::interact_csp(&urls.base)),
            },
        )
    }
}

#[derive(Debug, Default)]
pub struct PageCache {
    pages: Mutex<HashMap<String, Kept>>,
}

/// A kept page: the store's change cursor and the admins' last moderation
/// action it was made at (the admin CLI acts from another process), when, the
/// page.
type Kept = ((i64, i64), Instant, Arc<Page>);

/// Pages kept at most.
const CACHED_PAGES: usize = 512;
/// How long a page is kept at most.
const FRESH: Duration = Duration::from_secs(60);

impl PageCache {
    /// Forgets every kept page (moderation changed what the public may read,
    /// which the store's change cursor does not see).
    pub fn clear(&self) {
        self.pages.lock().unwrap_or_else(|e| e.into_inner()).clear();
    }

    /// The page for `key`, made by `make` unless one made since the store's
    /// last change (and within the minute) is kept.
    pub fn page(
        &self,
        l: &Local,
        key: String,
        make: impl FnOnce() -> Result<Page, FediError>,
    ) -> Result<Arc<Page>, FediError> {
        let cursor = (l.store().change_cursor()?, l.db.moderation_generation()?);
        let pages = self.pages.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((at, made, page)) = pages.get(&key)
            && *at == cursor
            && made.elapsed() < FRESH
        {
            return Ok(page.clone());
        }
        drop(pages);
        let page = Arc::new(make()?);
        let mut pages = self.pages.lock().unwrap_or_else(|e| e.into_inner());
        if pages.len() >= CACHED_PAGES {
            pages.clear();
        }
        pages.insert(key, (cursor, Instant::now(), page.clone()));
        Ok(page)
    }
}
