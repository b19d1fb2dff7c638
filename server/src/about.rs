//! The instance's about page (`/about`; also the home page of a server that
//! does not federate): what the server is, its rules and who runs it (as the
//! admin wrote them: `rally-server admin policy set FILE.md [--contact]`, else
//! `--rules FILE` in Markdown and `--contact`; `--admin`), how
//! registration works, how to sync with it and whether it federates. In the
//! reader's language ([`crate::lang`]); the rules are the admin's words, shown
//! as written.

use std::sync::Arc;

use axum::extract;
use axum::http::HeaderMap;
use axum::response::Response;

use crate::html::{self, escape};
use crate::http::{State, info, unavailable};
use crate::lang::{Reader, Words};

/// What the admin says about the instance.
#[derive(Debug, Clone, Default)]
pub struct About {
    /// The rules, in Markdown.
    pub rules: Option<String>,
    /// How to reach the admins: an email address, a URL or a Fediverse handle.
    pub contact: Option<String>,
    /// The admins' names or handles.
    pub admins: Vec<String>,
}

/// The contact as a link when it is an address or URL.
fn contact_html(contact: &str) -> String {
    let c = contact.trim();
    if c.starts_with("https://") || c.starts_with("http://") {
        format!("<a href=\"{0}\" rel=\"noopener\">{0}</a>", escape(c))
    } else if c.contains('@') && !c.starts_with('@') && !c.contains([' ', '<', '>', '"']) {
        format!("<a href=\"mailto:{0}\">{0}</a>", escape(c))
    } else {
        escape(c)
    }
}

pub async fn about(
    extract::State(state): extract::State<Arc<State>>,
    reader: Reader,
    headers: HeaderMap,
) -> Response {
    let info = match info(&state).await {
        Ok(i) => i,
        Err(e) => return unavailable(e),
    };
    let lang = reader.lang;
    let host = url::Url::parse(&state.public_url)
        .ok()
        .and_then(|u| {
            u.host_str()
                .map(|h| u.port().map_or(h.to_owned(), |p| format!("{h}:{p}")))
        })
        .unwrap_or_else(|| state.public_url.clone());
    let about = &state.about;
    // The policy the admins set (`admin policy set`) comes before the flags.
    let policy = state
        .registry
        .call(|r| crate::registry::Registry::policy(r))
        .await
        .ok()
        .and_then(Result::ok)
        .unwrap_or_default();
    let rules = match policy
        .rules
        .as_deref()
        .or(about.rules.as_deref())
        .filter(|r| !r.trim().is_empty())
    {
        Some(r) => rally_core::text::markdown_to_html(r),
        None => format!("<p>{}</p>", escape(&lang.t("about-no-rules"))),
    };
    let mut contact = String::new();
    if let Some(c) = policy
        .contact
        .as_deref()
        .or(about.contact.as_deref())
        .filter(|c| !c.trim().is_empty())
    {
        contact.push_str(&format!(
            "<p><strong>{}:</strong> {}</p>",
            escape(&lang.t("about-contact")),
            contact_html(c)
        ));
    }
    if !about.admins.is_empty() {
        let admins: Vec<String> = about.admins.iter().map(|a| escape(a)).collect();
        contact.push_str(&format!(
            "<p><strong>{}:</strong> {}</p>",
            escape(&lang.t("about-admins")),
            admins.join(", ")
        ));
    }
    if contact.is_empty() {
        contact = format!("<p>{}</p>", escape(&lang.t("about-no-contact")));
    }
    let registration = match info.registrations.as_str() {
        "open" => lang.t("about-registrations-open"),
        "invite" => lang.t("about-registrations-invite"),
        _ => lang.t("about-registrations-closed"),
    };
    let example = info.p2p.first().map(String::as_str).unwrap_or("ADDRESS");
    let addresses: String = info
        .p2p
        .iter()
        .map(|a| format!("<li><code>{}</code></li>", escape(a)))
        .collect();
    let federation = if state.federates {
        lang.ta(
            "about-federates",
            &[("actor", format!("@relay@{host}").into())],
        )
    } else {
        lang.t("about-no-federation")
    };
    let title = lang.ta("about-title", &[("host", host.clone().into())]);
    let body = format!(
        r#"<h1>{title}</h1><p>{intro}</p>
<h2>{rules_heading}</h2>{rules}
<h2>{contact_heading}</h2>{contact}
<h2>{registrations_heading}</h2><p>{registration}</p>
<h2>{sync_heading}</h2><p><code>rally sync --server {example}</code></p>
<h3>{addresses_heading}</h3><ul>{addresses}</ul>
<h2>{federation_heading}</h2><p>{federation}</p>
<p class=meta>{software}</p>"#,
        title = escape(&title),
        intro = escape(&lang.t("about-intro")),
        rules_heading = escape(&lang.t("about-rules")),
        contact_heading = escape(&lang.t("about-contact")),
        registrations_heading = escape(&lang.t("about-registrations")),
        registration = escape(&registration),
        sync_heading = escape(&lang.t("about-sync")),
        example = escape(example),
        addresses_heading = escape(&lang.t("about-addresses")),
        federation_heading = escape(&lang.t("about-federation")),
        federation = escape(&federation),
        software = escape(&lang.ta("about-software", &[("version", info.version.into())])),
    );
    html::public(
        &reader,
        &headers,
        html::Public {
            host: &host,
            listings: state.federates,
            title: &title,
            head: "",
            body: &body,
            csp: None,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_contact_is_a_link_only_when_it_is_an_address() {
        assert_eq!(
            contact_html("admins@rally.example"),
            "<a href=\"mailto:admins@rally.example\">admins@rally.example</a>"
        );
        assert!(contact_html("https://rally.example/contact").starts_with("<a href=\"https://"));
        assert_eq!(contact_html("@admin@rally.example"), "@admin@rally.example");
        assert_eq!(
            contact_html("javascript:alert(1)"),
            "javascript:alert(1)",
            "not a link"
        );
        assert_eq!(contact_html("\"><script>@x"), "&quot;&gt;&lt;script&gt;@x");
    }
}
