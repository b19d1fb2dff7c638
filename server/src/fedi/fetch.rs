//! Every request the server makes to another server goes through [`Fetcher`]:
//! https only (plain http only to loopback, when the server itself runs on a
//! local http URL, as in tests), never to a private, loopback or link-local
//! address (checked on the URL and again on every address DNS gives, so a name
//! cannot point the server inside its own network), a timeout, a size limit,
//! at most three redirects (each checked the same way), and blocked domains refused.
//! Fetches and deliveries are signed by one of the server's actors.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use rally_core::jiff::Timestamp;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use serde_json::Value;

use super::keys::ActorKey;
use super::sig;

pub const MAX_BODY: usize = 1024 * 1024;
pub const TIMEOUT: Duration = Duration::from_secs(10);
const ACCEPT: &str = "application/activity+json, application/ld+json; profile=\"https://www.w3.org/ns/activitystreams\"";

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum FetchError {
    #[error("not a usable URL: {0}")]
    BadUrl(String),
    #[error("refusing {0}: only https, and never private or local addresses")]
    Forbidden(String),
    #[error("the domain {0} is blocked")]
    Blocked(String),
    #[error("{url} answered {status}")]
    Status { url: String, status: u16 },
    #[error("{0} answered with more than 1 MiB")]
    TooLarge(String),
    #[error("{url}: {why}")]
    Network { url: String, why: String },
    #[error("{0} did not answer with JSON")]
    NotJson(String),
}

/// Whether an address is one the server may connect to.
pub fn is_public(ip: IpAddr, allow_loopback: bool) -> bool {
    let ip = match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    };
    if ip.is_loopback() {
        return allow_loopback;
    }
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            !(v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4.is_documentation()
                || a == 0
                || (a == 100 && (64..128).contains(&b))
                || (a == 198 && (b == 18 || b == 19))
                || a >= 240)
        }
        IpAddr::V6(v6) => {
            let s = v6.segments();
            !(v6.is_unspecified()
                || v6.is_multicast()
                || v6.is_unique_local()
                || v6.is_unicast_link_local()
                // Documentation.
                || (s[0] == 0x2001 && s[1] == 0xdb8)
                // Addresses that carry an IPv4 address another hop unwraps:
                // NAT64 (64:ff9b::/96 and the local-use 64:ff9b:1::/48),
                // IPv4-compatible (::a.b.c.d), 6to4 (2002::/16), Teredo (2001::/32).
                || (s[0] == 0x64 && s[1] == 0xff9b && (s[2..6] == [0; 4] || s[2] == 1))
                || s[..6] == [0; 6]
                || s[0] == 0x2002
                || (s[0] == 0x2001 && s[1] == 0)
                // Deprecated site-local (fec0::/10).
                || (s[0] & 0xffc0) == 0xfec0)
        }
    }
}

#[derive(Debug)]
struct GuardedResolver {
    allow_loopback: bool,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let allow = self.allow_loopback;
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let found: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await?
                .filter(|a| is_public(a.ip(), allow))
                .collect();
            if found.is_empty() {
                return Err(format!("{host} has no public address").into());
            }
            let addrs: Addrs = Box::new(found.into_iter());
            Ok(addrs)
        })
    }
}

/// Signs a request as one of the server's actors.
#[derive(Debug, Clone, Copy)]
pub struct Signer<'a> {
    pub key: &'a ActorKey,
    pub key_id: &'a str,
}

#[derive(Clone)]
pub struct Fetcher {
    client: reqwest::Client,
    allow_loopback: bool,
    blocked: Arc<dyn Fn(&str) -> bool + Send + Sync>,
}

impl std::fmt::Debug for Fetcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fetcher")
            .field("allow_loopback", &self.allow_loopback)
            .finish_non_exhaustive()
    }
}

impl Fetcher {
    /// `allow_loopback` lets the server talk to loopback peers over plain http
    /// (only when its own public URL is a local http one).
    pub fn new(allow_loopback: bool, blocked: Arc<dyn Fn(&str) -> bool + Send + Sync>) -> Fetcher {
        let check = blocked.clone();
        let policy = reqwest::redirect::Policy::custom(move |attempt| {
            if attempt.previous().len() >= 3 {
                return attempt.error("too many redirects");
            }
            match check_url(attempt.url().as_str(), allow_loopback, check.as_ref()) {
                Ok(_) => attempt.follow(),
                Err(e) => attempt.error(e.to_string()),
            }
        });
        let client = reqwest::Client::builder()
            .dns_resolver(GuardedResolver { allow_loopback })
            .redirect(policy)
            .no_proxy()
            .timeout(TIMEOUT)
            .connect_timeout(Duration::from_secs(5))
            .user_agent(concat!("rally-server/", env!("CARGO_PKG_VERSION")))
            .build()
            .unwrap_or_default();
        Fetcher {
            client,
            allow_loopback,
            blocked,
        }
    }

    pub fn check(&self, url: &str) -> Result<url::Url, FetchError> {
        check_url(url, self.allow_loopback, self.blocked.as_ref())
    }

    async fn body(url: &str, resp: reqwest::Response) -> Result<Vec<u8>, FetchError> {
        Self::body_within(url, resp, MAX_BODY).await
    }

    async fn body_within(
        url: &str,
        mut resp: reqwest::Response,
        limit: usize,
    ) -> Result<Vec<u8>, FetchError> {
        let status = resp.status().as_u16();
        if !resp.status().is_success() {
            return Err(FetchError::Status {
                url: url.to_owned(),
                status,
            });
        }
        if resp.content_length().is_some_and(|l| l > limit as u64) {
            return Err(FetchError::TooLarge(url.to_owned()));
        }
        let mut body = Vec::new();
        while let Some(chunk) = resp.chunk().await.map_err(|e| network(url, &e))? {
            body.extend_from_slice(&chunk);
            if body.len() > limit {
                return Err(FetchError::TooLarge(url.to_owned()));
            }
        }
        Ok(body)
    }

    /// GETs an ActivityPub document (signed when a signer is given).
    pub async fn get_json(
        &self,
        url: &str,
        signer: Option<Signer<'_>>,
    ) -> Result<Value, FetchError> {
        let parsed = self.check(url)?;
        let mut req = self.client.get(parsed.clone()).header("accept", ACCEPT);
        if let Some(s) = signer {
            let headers = sig::sign(s.key, s.key_id, "GET", &parsed, None, Timestamp::now())
                .map_err(|e| network(url, &e))?;
            for (k, v) in headers {
                req = req.header(k, v);
            }
        }
        let resp = req.send().await.map_err(|e| network(url, &e))?;
        let body = Self::body(url, resp).await?;
        serde_json::from_slice(&body).map_err(|_| FetchError::NotJson(url.to_owned()))
    }

    /// GETs a picture (a remote event's banner): at most the size a picture may
    /// have ([`rally_picture::MAX_INPUT`]); what it is, the cleaner decides.
    pub async fn get_picture(&self, url: &str) -> Result<Vec<u8>, FetchError> {
        let parsed = self.check(url)?;
        let resp = self
            .client
            .get(parsed)
            .header("accept", "image/jpeg, image/png, image/webp, image/gif")
            .send()
            .await
            .map_err(|e| network(url, &e))?;
        Self::body_within(url, resp, rally_picture::MAX_INPUT).await
    }

    /// GETs a JSON document that is not ActivityPub (WebFinger, NodeInfo).
    pub async fn get_plain_json(&self, url: &str) -> Result<Value, FetchError> {
        let parsed = self.check(url)?;
        let resp = self
            .client
            .get(parsed)
            .header("accept", "application/jrd+json, application/json")
            .send()
            .await
            .map_err(|e| network(url, &e))?;
        let body = Self::body(url, resp).await?;
        serde_json::from_slice(&body).map_err(|_| FetchError::NotJson(url.to_owned()))
    }

    /// POSTs an activity, signed; Ok when the inbox answered 2xx.
    pub async fn post(&self, url: &str, body: &str, signer: Signer<'_>) -> Result<(), FetchError> {
        let parsed = self.check(url)?;
        let headers = sig::sign(
            signer.key,
            signer.key_id,
            "POST",
            &parsed,
            Some(body.as_bytes()),
            Timestamp::now(),
        )
        .map_err(|e| network(url, &e))?;
        let mut req = self
            .client
            .post(parsed)
            .header("content-type", super::vocab::CONTENT_TYPE)
            .header("accept", ACCEPT)
            .body(body.to_owned());
        for (k, v) in headers {
            req = req.header(k, v);
        }
        let resp = req.send().await.map_err(|e| network(url, &e))?;
        if resp.status().is_success() {
            Ok(())
        } else {
            Err(FetchError::Status {
                url: url.to_owned(),
                status: resp.status().as_u16(),
            })
        }
    }
}

fn network(url: &str, e: &dyn std::fmt::Display) -> FetchError {
    FetchError::Network {
        url: url.to_owned(),
        why: e.to_string(),
    }
}

fn check_url(
    url: &str,
    allow_loopback: bool,
    blocked: &(dyn Fn(&str) -> bool + Send + Sync),
) -> Result<url::Url, FetchError> {
    let parsed = url::Url::parse(url).map_err(|_| FetchError::BadUrl(url.to_owned()))?;
    let host = parsed
        .host()
        .ok_or_else(|| FetchError::BadUrl(url.to_owned()))?;
    let literal = match host {
        url::Host::Ipv4(ip) => Some(IpAddr::V4(ip)),
        url::Host::Ipv6(ip) => Some(IpAddr::V6(ip)),
        url::Host::Domain(_) => None,
    };
    let name = parsed.host_str().unwrap_or_default().to_ascii_lowercase();
    let loopback_host = name == "localhost" || literal.is_some_and(|ip| ip.is_loopback());
    match parsed.scheme() {
        "https" => {}
        "http" if allow_loopback && loopback_host => {}
        _ => return Err(FetchError::Forbidden(url.to_owned())),
    }
    if let Some(ip) = literal
        && !is_public(ip, allow_loopback)
    {
        return Err(FetchError::Forbidden(url.to_owned()));
    }
    if name == "localhost" && !allow_loopback {
        return Err(FetchError::Forbidden(url.to_owned()));
    }
    if blocked(&name) {
        return Err(FetchError::Blocked(name));
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(FetchError::BadUrl(url.to_owned()));
    }
    Ok(parsed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn none(_: &str) -> bool {
        false
    }

    #[test]
    fn refuses_private_and_local_addresses() {
        for url in [
            "http://example.org/actor",
            "https://127.0.0.1/actor",
            "https://10.1.2.3/a",
            "https://192.168.1.1/a",
            "https://172.16.0.1/a",
            "https://169.254.169.254/latest/meta-data",
            "https://[::1]/a",
            "https://[fe80::1]/a",
            "https://[fd00::1]/a",
            "https://[::ffff:10.0.0.1]/a",
            "https://[64:ff9b::a00:1]/a",
            "https://[64:ff9b:1::a00:1]/a",
            "https://[::10.0.0.1]/a",
            "https://[::7f00:1]/a",
            "https://[2002:a00:1::]/a",
            "https://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/a",
            "https://[fec0::1]/a",
            "https://[feff::1]/a",
            "https://0.0.0.0/a",
            "https://100.64.0.1/a",
            "https://localhost/a",
            "ftp://example.org/a",
            "file:///etc/passwd",
        ] {
            assert!(
                check_url(url, false, &none).is_err(),
                "{url} should be refused"
            );
        }
        assert!(check_url("https://example.org/actor", false, &none).is_ok());
        assert!(check_url("https://93.184.215.14/a", false, &none).is_ok());
        // A global IPv6 address stays allowed.
        assert!(
            check_url(
                "https://[2606:2800:220:1:248:1893:25c8:1946]/a",
                false,
                &none
            )
            .is_ok()
        );
    }

    #[test]
    fn loopback_only_when_allowed_and_only_loopback_over_http() {
        assert!(check_url("http://localhost:8080/a", true, &none).is_ok());
        assert!(check_url("http://127.0.0.1:8080/a", true, &none).is_ok());
        assert!(check_url("http://example.org/a", true, &none).is_err());
        assert!(check_url("https://10.0.0.1/a", true, &none).is_err());
        let blocked = |d: &str| d == "bad.example";
        assert_eq!(
            check_url("https://bad.example/a", false, &blocked).unwrap_err(),
            FetchError::Blocked("bad.example".into())
        );
    }

    #[tokio::test]
    async fn a_name_that_resolves_to_loopback_is_refused() {
        let fetcher = Fetcher::new(false, Arc::new(none));
        let err = fetcher.client.get("https://localtest.me/").send().await;
        // Whatever the name resolves to here (loopback, or nothing offline), no
        // connection is made to a loopback address.
        assert!(err.is_err());
        let resolved = GuardedResolver {
            allow_loopback: false,
        }
        .resolve("localhost".parse().unwrap())
        .await;
        assert!(resolved.is_err());
    }
}
