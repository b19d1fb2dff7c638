//! Links that open the app on a screen: `rally://event/ID`,
//! `rally://invite/CODE`, `rally://pair?a=ADDRESS&a=…` (another device's
//! addresses, from its pairing QR code), and the first two as `https://` links on a Rally server
//! (`https://HOST/events/ID`, the page the server already serves, and
//! `https://HOST/invite#CODE`, whose code stays in the fragment, which browsers
//! never send to the server). The shell reads them from the command line, from
//! a second launch forwarded to the running app, or from the OS (the deep-link
//! plugin), and emits [`OPEN_LINK`](crate::OPEN_LINK) with a [`Link`].

use serde::{Deserialize, Serialize};

/// Links longer than this are refused before any parsing.
pub const MAX_LINK: usize = 2048;

/// Where a link leads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "to", rename_all = "snake_case")]
pub enum Link {
    /// An event, by its document id (hex).
    Event { id: String },
    /// An invitation to a group; `token` is the text as given (a token or a
    /// link), which the engine reads.
    Invite { token: String },
    /// Another device to sync with directly: its addresses, each ending in
    /// `/p2p/<peer id>` (what its pairing QR code holds).
    Pair { addresses: Vec<String> },
}

/// A pairing link holds at most this many addresses.
pub const MAX_PAIR_ADDRESSES: usize = 8;

impl Link {
    /// Reads a link, or `None` when it is not one of Rally's.
    pub fn parse(text: &str) -> Option<Link> {
        let text = text.trim();
        if text.len() > MAX_LINK {
            return None;
        }
        if let Some(rest) = text.strip_prefix("rally://pair?") {
            return pair(rest);
        }
        if let Some(rest) = text.strip_prefix("rally-invite:") {
            return code(rest).map(|_| Link::Invite {
                token: text.to_owned(),
            });
        }
        // rally://event/ID, rally://invite/CODE; https://HOST/events/ID,
        // https://HOST/invite#CODE (the host is whatever server the link names).
        let (rest, event, invite) = if let Some(rest) = text.strip_prefix("rally://") {
            (rest, "event/", "invite/")
        } else {
            let rest = text.strip_prefix("https://")?;
            (&rest[rest.find('/')? + 1..], "events/", "invite#")
        };
        if let Some(id) = rest.strip_prefix(event) {
            let id = id.trim_end_matches('/');
            return (id.len() == 64 && id.bytes().all(|b| b.is_ascii_hexdigit())).then(|| {
                Link::Event {
                    id: id.to_ascii_lowercase(),
                }
            });
        }
        rest.strip_prefix(invite)
            .and_then(code)
            .map(|_| Link::Invite {
                token: text.to_owned(),
            })
    }
}

/// A pairing link's addresses: `a=ADDRESS` pairs, each a multiaddr that ends
/// with the device's peer id; anything else makes the whole link unreadable.
fn pair(query: &str) -> Option<Link> {
    let addresses = query
        .split('&')
        .map(|pair| {
            let address = pair.strip_prefix("a=")?;
            (address.starts_with('/')
                && address.len() <= 256
                && address.contains("/p2p/")
                && address
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"./:-_".contains(&b)))
            .then(|| address.to_owned())
        })
        .collect::<Option<Vec<_>>>()?;
    (!addresses.is_empty() && addresses.len() <= MAX_PAIR_ADDRESSES)
        .then_some(Link::Pair { addresses })
}

/// An invitation's code: base64url, of a sensible length.
fn code(text: &str) -> Option<&str> {
    (!text.is_empty()
        && text.len() <= 200
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'))
    .then_some(text)
}

impl std::fmt::Display for Link {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Link::Event { id } => write!(f, "rally://event/{id}"),
            Link::Invite { token } => f.write_str(token),
            Link::Pair { addresses } => {
                f.write_str("rally://pair?")?;
                for (i, a) in addresses.iter().enumerate() {
                    write!(f, "{}a={a}", if i == 0 { "" } else { "&" })?;
                }
                Ok(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    #[test]
    fn each_form_leads_where_it_says() {
        let event = Some(Link::Event { id: ID.into() });
        assert_eq!(Link::parse(&format!("rally://event/{ID}")), event);
        assert_eq!(
            Link::parse(&format!(" https://rally.example/events/{ID}/ ")),
            event
        );
        assert_eq!(
            Link::parse(&format!("rally://event/{}", ID.to_uppercase())),
            event
        );
        for invite in [
            "rally://invite/AbC-_9",
            "https://rally.example/invite#AbC-_9",
            "rally-invite:AbC-_9",
        ] {
            assert_eq!(
                Link::parse(invite),
                Some(Link::Invite {
                    token: invite.into()
                })
            );
        }
        assert_eq!(
            Link::parse(&format!("rally://event/{ID}"))
                .unwrap()
                .to_string(),
            format!("rally://event/{ID}")
        );
    }

    const PEER: &str = "12D3KooWQYhTNQdmr3ArTeUHRYzFg94BKyTkoWBDWez9kSCVe2Xo";

    #[test]
    fn a_pairing_link_holds_the_device_s_addresses_and_reads_back() {
        let quic = format!("/ip4/192.168.1.20/udp/41234/quic-v1/p2p/{PEER}");
        let tcp = format!("/ip6/fe80::1/tcp/4001/p2p/{PEER}");
        let text = format!("rally://pair?a={quic}&a={tcp}");
        let link = Link::parse(&text).expect("a pairing link");
        assert_eq!(
            link,
            Link::Pair {
                addresses: vec![quic, tcp]
            }
        );
        assert_eq!(link.to_string(), text);
    }

    #[test]
    fn a_pairing_link_with_anything_odd_is_refused_whole() {
        let ok = format!("/ip4/10.0.0.2/tcp/4001/p2p/{PEER}");
        let nine = vec![format!("a={ok}"); MAX_PAIR_ADDRESSES + 1].join("&");
        for text in [
            "rally://pair?".to_owned(),
            format!("rally://pair?b={ok}"),
            format!("rally://pair?a={ok}&"),
            "rally://pair?a=/ip4/10.0.0.2/tcp/4001".to_owned(),
            format!("rally://pair?a=ip4/10.0.0.2/tcp/4001/p2p/{PEER}"),
            format!("rally://pair?a={ok}<script>"),
            format!("rally://pair?a={ok}%20"),
            format!("rally://pair?a=/dns4/{}/p2p/{PEER}", "a".repeat(300)),
            format!("rally://pair?{nine}"),
        ] {
            assert_eq!(Link::parse(&text), None, "{text}");
        }
    }

    #[test]
    fn anything_else_is_not_a_link() {
        for text in [
            String::new(),
            "rally://event/123".into(),
            format!("rally://event/{ID}x"),
            format!("rally://events/{ID}"),
            format!("https://rally.example/event/{ID}"),
            format!("http://rally.example/events/{ID}"),
            "https://rally.example/invite/AbC".into(),
            "rally://invite/".into(),
            "rally://invite/a b".into(),
            "rally://invite/<script>".into(),
            "https://rally.example".into(),
            format!("rally://invite/{}", "A".repeat(MAX_LINK)),
            "javascript:alert(1)".into(),
        ] {
            assert_eq!(Link::parse(&text), None, "{text}");
        }
    }
}
