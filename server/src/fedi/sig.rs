//! HTTP signatures, both ways.
//!
//! Outgoing requests are signed the way Mobilizon verifies them:
//! draft-cavage-http-signatures-12, `rsa-sha256`, over `(request-target) host date
//! digest` for a POST and `(request-target) host date` for a GET, never
//! `(created)`/`(expires)`; `Digest: SHA-256=…`. Incoming requests may be signed
//! with draft-cavage or with RFC 9421 (`Signature-Input`/`Signature`, as Fedify and
//! Mastodon send them). Either way the signed base is rebuilt from the request as
//! received, the body's digest is recomputed, and the time must be within
//! [`WINDOW`] of ours. [`Claim`] names the key; the caller fetches it and calls
//! [`Claim::verify`].

use axum::http::HeaderMap;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use rally_core::jiff::{SignedDuration, Timestamp};
use sha2::Digest as _;

use super::keys::{ActorKey, KeyError, PublicKey};

/// How far a request's date may be from ours, either way: a captured request can
/// be replayed within it (ids already seen are refused besides).
pub const WINDOW: SignedDuration = SignedDuration::from_hours(1);

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SigError {
    #[error("the request is not signed")]
    Unsigned,
    #[error("malformed signature header: {0}")]
    Malformed(String),
    #[error("the signature does not cover {0}")]
    NotCovered(&'static str),
    #[error("the algorithm {0:?} is not supported")]
    Algorithm(String),
    #[error("the signature's date is outside the accepted window")]
    Stale,
    #[error("the request was signed for another host ({0})")]
    WrongHost(String),
    #[error("the body does not match its digest")]
    Digest,
    #[error("the signature does not verify")]
    Invalid,
}

/// Which specification a request was signed with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    Cavage,
    Rfc9421,
}

/// A request as received, for verification.
#[derive(Debug)]
pub struct Received<'a> {
    pub method: &'a str,
    /// Path and query as received.
    pub target: &'a str,
    pub headers: &'a HeaderMap,
    pub body: &'a [u8],
    /// `scheme://authority` the server is reached at (for `@target-uri`).
    pub origin: &'a str,
}

/// A signature read off a request: who claims to have signed, and what.
#[derive(Debug)]
pub struct Claim {
    pub scheme: Scheme,
    pub key_id: String,
    base: Vec<u8>,
    signature: Vec<u8>,
}

impl Claim {
    pub fn verify(&self, key: &PublicKey) -> Result<(), SigError> {
        if key.verifies(&self.base, &self.signature) {
            Ok(())
        } else {
            Err(SigError::Invalid)
        }
    }
}

fn header(headers: &HeaderMap, name: &str) -> Option<String> {
    let values: Vec<&str> = headers
        .get_all(name)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .map(str::trim)
        .collect();
    (!values.is_empty()).then(|| values.join(", "))
}

/// Whether a signed `Host` names this server (`origin` is `scheme://authority`).
/// Ports are not compared: servers sign `host` with or without one (Gancio
/// leaves it out).
fn same_host(host: &str, origin: &str) -> bool {
    let name = |authority: &str| {
        let a = authority.trim().to_ascii_lowercase();
        match a.strip_prefix('[') {
            Some(v6) => v6.split(']').next().unwrap_or_default().to_owned(),
            None => a.split(':').next().unwrap_or_default().to_owned(),
        }
    };
    let ours = origin.split_once("://").map_or(origin, |(_, a)| a);
    let ours = ours.split('/').next().unwrap_or_default();
    !host.is_empty() && name(host) == name(ours)
}

fn check_time(at: Timestamp, now: Timestamp) -> Result<(), SigError> {
    if at.duration_since(now).abs() > WINDOW {
        return Err(SigError::Stale);
    }
    Ok(())
}

fn http_date(value: &str) -> Result<Timestamp, SigError> {
    let t = httpdate::parse_http_date(value).map_err(|_| SigError::Malformed("Date".into()))?;
    Timestamp::try_from(t).map_err(|_| SigError::Malformed("Date".into()))
}

fn sha256_b64(body: &[u8]) -> String {
    B64.encode(sha2::Sha256::digest(body))
}

/// Reads and checks the signature of a received request (all but the key).
pub fn read(req: &Received<'_>, now: Timestamp) -> Result<Claim, SigError> {
    if req.headers.contains_key("signature-input") {
        read_rfc9421(req, now)
    } else if let Some(sig) = header(req.headers, "signature") {
        read_cavage(req, &sig, now)
    } else if let Some(auth) = header(req.headers, "authorization")
        .and_then(|a| a.strip_prefix("Signature ").map(str::to_owned))
    {
        read_cavage(req, &auth, now)
    } else {
        Err(SigError::Unsigned)
    }
}

fn cavage_params(value: &str) -> Result<Vec<(String, String)>, SigError> {
    let mut out = Vec::new();
    let mut rest = value.trim();
    while !rest.is_empty() {
        let (key, after) = rest
            .split_once('=')
            .ok_or_else(|| SigError::Malformed("Signature".into()))?;
        let after = after.trim_start();
        let (val, tail) = if let Some(quoted) = after.strip_prefix('"') {
            let end = quoted
                .find('"')
                .ok_or_else(|| SigError::Malformed("Signature".into()))?;
            (&quoted[..end], &quoted[end + 1..])
        } else {
            after.split_once(',').map_or((after, ""), |(v, t)| (v, t))
        };
        out.push((key.trim().to_ascii_lowercase(), val.to_owned()));
        rest = tail.trim_start().trim_start_matches(',').trim_start();
    }
    Ok(out)
}

fn read_cavage(req: &Received<'_>, value: &str, now: Timestamp) -> Result<Claim, SigError> {
    let params = cavage_params(value)?;
    let get = |k: &str| params.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    let key_id = get("keyid").ok_or_else(|| SigError::Malformed("no keyId".into()))?;
    let signature = B64
        .decode(get("signature").ok_or_else(|| SigError::Malformed("no signature".into()))?)
        .map_err(|_| SigError::Malformed("signature is not base64".into()))?;
    if let Some(alg) = get("algorithm")
        && !matches!(alg.as_str(), "rsa-sha256" | "hs2019")
    {
        return Err(SigError::Algorithm(alg));
    }
    let names: Vec<String> = get("headers")
        .unwrap_or_else(|| "date".into())
        .split_whitespace()
        .map(str::to_ascii_lowercase)
        .collect();
    let covers = |n: &str| names.iter().any(|h| h == n);
    if !covers("(request-target)") {
        return Err(SigError::NotCovered("(request-target)"));
    }
    if !covers("host") {
        return Err(SigError::NotCovered("host"));
    }
    if !covers("date") {
        return Err(SigError::NotCovered("date"));
    }
    let host = header(req.headers, "host").ok_or(SigError::NotCovered("host"))?;
    if !same_host(&host, req.origin) {
        return Err(SigError::WrongHost(host));
    }
    let date = header(req.headers, "date").ok_or(SigError::NotCovered("date"))?;
    check_time(http_date(&date)?, now)?;
    if req.method != "GET" && req.method != "HEAD" {
        if !covers("digest") {
            return Err(SigError::NotCovered("digest"));
        }
        let digest = header(req.headers, "digest").ok_or(SigError::NotCovered("digest"))?;
        let ok = digest.split(',').any(|d| {
            d.trim().split_once('=').is_some_and(|(alg, v)| {
                alg.eq_ignore_ascii_case("sha-256") && v == sha256_b64(req.body)
            })
        });
        if !ok {
            return Err(SigError::Digest);
        }
    }
    let mut lines = Vec::with_capacity(names.len());
    for name in &names {
        let value = match name.as_str() {
            "(request-target)" => format!("{} {}", req.method.to_ascii_lowercase(), req.target),
            "(created)" | "(expires)" => {
                let v = get(&name[1..name.len() - 1])
                    .ok_or_else(|| SigError::Malformed(format!("{name} without its value")))?;
                if name == "(created)" {
                    let secs: i64 = v.parse().map_err(|_| SigError::Malformed(name.clone()))?;
                    check_time(
                        Timestamp::from_second(secs).map_err(|_| SigError::Stale)?,
                        now,
                    )?;
                }
                v
            }
            other => header(req.headers, other)
                .ok_or_else(|| SigError::Malformed(format!("signed header {other} is missing")))?,
        };
        lines.push(format!("{name}: {value}"));
    }
    Ok(Claim {
        scheme: Scheme::Cavage,
        key_id,
        base: lines.join("\n").into_bytes(),
        signature,
    })
}

fn read_rfc9421(req: &Received<'_>, now: Timestamp) -> Result<Claim, SigError> {
    use sfv::{BareItem, Dictionary, FieldType, List, ListEntry, Parser};
    let malformed = |what: &str| SigError::Malformed(what.to_owned());
    let inputs: Dictionary =
        Parser::new(&header(req.headers, "signature-input").unwrap_or_default())
            .parse()
            .map_err(|_| malformed("Signature-Input"))?;
    let signatures: Dictionary =
        Parser::new(&header(req.headers, "signature").ok_or_else(|| malformed("no Signature"))?)
            .parse()
            .map_err(|_| malformed("Signature"))?;
    let (label, entry) = inputs
        .iter()
        .next()
        .ok_or_else(|| malformed("Signature-Input"))?;
    let ListEntry::InnerList(list) = entry else {
        return Err(malformed("Signature-Input"));
    };
    let signature = match signatures.iter().find(|(k, _)| *k == label) {
        Some((_, ListEntry::Item(item))) => item
            .bare_item
            .as_byte_sequence()
            .ok_or_else(|| malformed("Signature"))?
            .to_vec(),
        _ => return Err(malformed("no signature for its input")),
    };
    let param = |name: &str| {
        list.params
            .iter()
            .find(|(k, _)| k.as_str() == name)
            .map(|(_, v)| v)
    };
    let key_id = param("keyid")
        .and_then(BareItem::as_string)
        .ok_or_else(|| malformed("no keyid"))?
        .as_str()
        .to_owned();
    if let Some(alg) = param("alg").and_then(BareItem::as_string)
        && alg.as_str() != "rsa-v1_5-sha256"
    {
        return Err(SigError::Algorithm(alg.as_str().to_owned()));
    }
    let created = param("created")
        .and_then(BareItem::as_integer)
        .ok_or(SigError::NotCovered("created"))?;
    let created = Timestamp::from_second(i64::from(created)).map_err(|_| SigError::Stale)?;
    check_time(created, now)?;
    if let Some(expires) = param("expires").and_then(BareItem::as_integer)
        && i64::from(expires) < now.as_second()
    {
        return Err(SigError::Stale);
    }
    let mut names = Vec::new();
    for item in &list.items {
        let name = item
            .bare_item
            .as_string()
            .ok_or_else(|| malformed("component"))?
            .as_str()
            .to_owned();
        if !item.params.is_empty() {
            return Err(malformed("component parameters are not supported"));
        }
        names.push(name);
    }
    let covers = |n: &str| names.iter().any(|h| h == n);
    if !covers("@method") {
        return Err(SigError::NotCovered("@method"));
    }
    if !(covers("@target-uri") || (covers("@path") && (covers("@authority") || covers("host")))) {
        return Err(SigError::NotCovered("@target-uri"));
    }
    if req.method != "GET" && req.method != "HEAD" {
        if !covers("content-digest") {
            return Err(SigError::NotCovered("content-digest"));
        }
        let digests: Dictionary =
            Parser::new(&header(req.headers, "content-digest").unwrap_or_default())
                .parse()
                .map_err(|_| malformed("Content-Digest"))?;
        let ok = digests.iter().any(|(alg, v)| match v {
            ListEntry::Item(item) => {
                let got = item.bare_item.as_byte_sequence();
                match alg.as_str() {
                    "sha-256" => got == Some(sha2::Sha256::digest(req.body).as_slice()),
                    "sha-512" => got == Some(sha2::Sha512::digest(req.body).as_slice()),
                    _ => false,
                }
            }
            ListEntry::InnerList(_) => false,
        });
        if !ok {
            return Err(SigError::Digest);
        }
    }
    let (path, query) = req
        .target
        .split_once('?')
        .map_or((req.target, None), |(p, q)| (p, Some(q)));
    let authority = req.origin.split_once("://").map_or(req.origin, |(_, a)| a);
    let scheme = req.origin.split_once("://").map_or("https", |(s, _)| s);
    let mut base = String::new();
    for name in &names {
        let value = match name.as_str() {
            "@method" => req.method.to_owned(),
            "@target-uri" => format!("{}{}", req.origin, req.target),
            "@authority" => authority.to_ascii_lowercase(),
            "@scheme" => scheme.to_owned(),
            "@request-target" => req.target.to_owned(),
            "@path" => path.to_owned(),
            "@query" => format!("?{}", query.unwrap_or_default()),
            n if n.starts_with('@') => return Err(malformed(n)),
            n => header(req.headers, n)
                .ok_or_else(|| SigError::Malformed(format!("signed header {n} is missing")))?,
        };
        base.push_str(&format!("\"{name}\": {value}\n"));
    }
    let params = List::from([ListEntry::InnerList(list.clone())])
        .serialize()
        .ok_or_else(|| malformed("Signature-Input"))?;
    base.push_str(&format!("\"@signature-params\": {params}"));
    Ok(Claim {
        scheme: Scheme::Rfc9421,
        key_id,
        base: base.into_bytes(),
        signature,
    })
}

/// The headers to add to an outgoing request: `Date`, `Digest` (with a body) and
/// a draft-cavage `Signature` over `(request-target) host date [digest]`.
/// `host` is sent as signed (with the port when the URL has one).
pub fn sign(
    key: &ActorKey,
    key_id: &str,
    method: &str,
    url: &url::Url,
    body: Option<&[u8]>,
    now: Timestamp,
) -> Result<Vec<(&'static str, String)>, KeyError> {
    let host = match url.port() {
        Some(port) => format!("{}:{port}", url.host_str().unwrap_or_default()),
        None => url.host_str().unwrap_or_default().to_owned(),
    };
    let mut target = url.path().to_owned();
    if let Some(q) = url.query() {
        target.push('?');
        target.push_str(q);
    }
    let date = httpdate::fmt_http_date(
        std::time::UNIX_EPOCH + std::time::Duration::from_secs(now.as_second().max(0) as u64),
    );
    let mut names = vec!["(request-target)", "host", "date"];
    let mut lines = vec![
        format!("(request-target): {} {target}", method.to_ascii_lowercase()),
        format!("host: {host}"),
        format!("date: {date}"),
    ];
    let mut headers = vec![("host", host), ("date", date)];
    if let Some(body) = body {
        let digest = format!("SHA-256={}", sha256_b64(body));
        names.push("digest");
        lines.push(format!("digest: {digest}"));
        headers.push(("digest", digest));
    }
    let signature = B64.encode(key.sign(lines.join("\n").as_bytes())?);
    headers.push((
        "signature",
        format!(
            "keyId=\"{key_id}\",algorithm=\"rsa-sha256\",headers=\"{}\",signature=\"{signature}\"",
            names.join(" ")
        ),
    ));
    Ok(headers)
}

#[cfg(test)]
mod tests;
