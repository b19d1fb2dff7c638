//! Light, dark, or as the system says: kept in the webview's storage and set
//! as `data-theme` on the page's root, which `style.css` reads before falling
//! back to `prefers-color-scheme`.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Theme {
    System,
    Light,
    Dark,
}

impl Theme {
    pub const ALL: [Theme; 3] = [Theme::System, Theme::Light, Theme::Dark];

    /// As stored and as `data-theme` says it.
    pub fn code(self) -> &'static str {
        ["system", "light", "dark"][self as usize]
    }

    /// The message that names it.
    pub fn label(self) -> &'static str {
        match self {
            Theme::System => "theme-system",
            Theme::Light => "theme-light",
            Theme::Dark => "theme-dark",
        }
    }

    pub fn parse(code: &str) -> Theme {
        Theme::ALL
            .into_iter()
            .find(|t| t.code() == code)
            .unwrap_or(Theme::System)
    }

    /// The one chosen before (as the system, at first).
    pub fn saved() -> Theme {
        web_sys::window()
            .and_then(|w| w.local_storage().ok().flatten())
            .and_then(|s| s.get_item("theme").ok().flatten())
            .map(|c| Theme::parse(&c))
            .unwrap_or(Theme::System)
    }

    /// Shows the page in this theme and keeps the choice.
    pub fn apply(self) {
        let Some(window) = web_sys::window() else {
            return;
        };
        if let Ok(Some(s)) = window.local_storage() {
            let _ = s.set_item("theme", self.code());
        }
        if let Some(root) = window.document().and_then(|d| d.document_element()) {
            let _ = match self {
                Theme::System => root.remove_attribute("data-theme"),
                other => root.set_attribute("data-theme", other.code()),
            };
        }
    }
}
