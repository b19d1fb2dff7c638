//! A persona's private calendar feed on its server: the device sends the
//! request the persona signed ([`rally_core::private_feed::FeedRequest`]) to
//! `POST {server}/feeds/private` and gets the feed's URLs back.

use rally_core::private_feed::{FeedRequest, FeedUrls};

/// The largest answer read.
const MAX_ANSWER: usize = 16 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum FeedError {
    #[error("{0} is not a server address")]
    BadServer(String),
    #[error("the server could not be reached: {0}")]
    Unreachable(String),
    #[error("this server has no calendar feeds (it does not publish: it has no public URL)")]
    NoFeeds,
    #[error("the server refused: {0}")]
    Refused(String),
    #[error("the server's answer is not a feed: {0}")]
    BadAnswer(String),
}

/// The host a request for `server` names (with the port, if any).
pub fn host_of(server: &str) -> Result<String, FeedError> {
    let url = url::Url::parse(server).map_err(|_| FeedError::BadServer(server.to_owned()))?;
    let host = url
        .host_str()
        .ok_or_else(|| FeedError::BadServer(server.to_owned()))?;
    Ok(match url.port() {
        Some(p) => format!("{host}:{p}"),
        None => host.to_owned(),
    })
}

/// Sends `request` to `server` and reads the feed's URLs.
pub async fn ask(server: &str, request: &FeedRequest) -> Result<FeedUrls, FeedError> {
    let url = format!("{}/feeds/private", server.trim_end_matches('/'));
    let resp = crate::client()
        .post(&url)
        .json(request)
        .send()
        .await
        .map_err(|e| FeedError::Unreachable(e.without_url().to_string()))?;
    let status = resp.status();
    let body = crate::capped(resp, MAX_ANSWER)
        .await
        .map_err(FeedError::Unreachable)?;
    let text = String::from_utf8_lossy(&body).trim().to_owned();
    match status.as_u16() {
        200 => serde_json::from_slice(&body).map_err(|e| FeedError::BadAnswer(e.to_string())),
        404 | 405 => Err(FeedError::NoFeeds),
        _ => Err(FeedError::Refused(if text.is_empty() {
            status.to_string()
        } else {
            text.chars().take(300).collect()
        })),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_host_keeps_its_port() {
        assert_eq!(host_of("https://rally.example/").unwrap(), "rally.example");
        assert_eq!(host_of("http://localhost:8080").unwrap(), "localhost:8080");
        assert!(host_of("not a url").is_err());
    }
}
