//! The server's log: events as lines on standard error (which systemd's
//! journal keeps), each with its level, time and fields, as text
//! (`key=value`) or one JSON object per line (`--log-format json`, for a log
//! collector). The server's own events from INFO up; its libraries' from WARN.

use tracing::Level;
use tracing_subscriber::filter::Targets;
use tracing_subscriber::prelude::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

/// Sends the process' events to standard error in `format` (once; later calls
/// change nothing).
pub fn init(format: LogFormat) {
    let filter = Targets::new()
        .with_target("rally_server", Level::INFO)
        .with_default(Level::WARN);
    let layer = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_ansi(false);
    let _ = match format {
        LogFormat::Text => tracing_subscriber::registry()
            .with(layer.with_filter(filter))
            .try_init(),
        LogFormat::Json => tracing_subscriber::registry()
            .with(layer.json().flatten_event(true).with_filter(filter))
            .try_init(),
    };
}
