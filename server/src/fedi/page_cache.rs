//! Rendered public pages (the listings, event and group pages), kept while
//! the store has not changed (and for a minute at most, as events end and
//! "upcoming" moves on): a busy instance renders each page once per change
//! instead of once per reader. Keyed by the reader's language, the path and
//! the query ([`crate::lang::Reader::key`]); bounded in number, emptied when
//! full.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::{FediError, Local};

/// A page's parts, as [`crate::html::public`] puts them together.
#[derive(Debug, Clone, Default)]
pub struct Page {
    pub title: String,
    /// Extra `<head>` markup (escaped).
    pub head: String,
    /// The content (escaped).
    pub body: String,
}

#[derive(Debug, Default)]
pub struct PageCache {
    pages: Mutex<HashMap<String, Kept>>,
}

/// A kept page: the store's change cursor it was made at, when, the page.
type Kept = (i64, Instant, Arc<Page>);

/// Pages kept at most.
const CACHED_PAGES: usize = 512;
/// How long a page is kept at most.
const FRESH: Duration = Duration::from_secs(60);

impl PageCache {
    /// The page for `key`, made by `make` unless one made since the store's
    /// last change (and within the minute) is kept.
    pub fn page(
        &self,
        l: &Local,
        key: String,
        make: impl FnOnce() -> Result<Page, FediError>,
    ) -> Result<Arc<Page>, FediError> {
        let cursor = l.store().change_cursor()?;
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
