//! What a device asks of the web over HTTP, written once for the CLI and the
//! app (both call these from their async runtime, never from the service's
//! thread):
//!
//! - [`places`]: address search and reverse search through the device's server
//!   (the provider sees the server, not the person), a provider the user chose
//!   to ask directly, or the bundled gazetteer — asked on purpose (offline), or
//!   as the fallback whenever the others fail, labelled approximate;
//! - [`tiles`]: map tiles from the tile server the user or their server's admin
//!   chose, for the map and for keeping a march's area offline;
//! - [`feeds`]: a persona's private calendar feed URL on its server.
//!
//! Every request carries Rally's User-Agent and a timeout; answers are size
//! capped before they are read.

pub mod feeds;
pub mod places;
pub mod tiles;

use std::time::Duration;

/// How long a device waits for a geocoder or a tile.
pub const TIMEOUT: Duration = Duration::from_secs(10);

/// The HTTP client a device asks with: its User-Agent names Rally and its
/// version, as providers' usage policies ask.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .user_agent(concat!("rally/", env!("CARGO_PKG_VERSION")))
        .timeout(TIMEOUT)
        .build()
        .expect("a client with a timeout and a User-Agent builds")
}

/// Reads a body of at most `max` bytes.
async fn capped(mut resp: reqwest::Response, max: usize) -> Result<Vec<u8>, String> {
    let mut body = Vec::new();
    while let Some(chunk) = resp
        .chunk()
        .await
        .map_err(|e| e.without_url().to_string())?
    {
        if body.len() + chunk.len() > max {
            return Err(format!("an answer over {} kB", max / 1000));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}
