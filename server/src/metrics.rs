//! `/metrics`: the server's figures in the Prometheus (OpenMetrics) text
//! format, through the Prometheus project's own client (`prometheus-client`),
//! for whoever runs the instance: connected peers and changes received (from
//! the p2p node's progress), the federation's delivery queue and deliveries,
//! inbox activities by outcome, and how long a database round trip takes.
//!
//! Counters are bumped where things happen (the node's events in `run`, the
//! delivery loop, the inbox); the queue depth and the database's latency are
//! read when `/metrics` is asked for. Nothing in it names a persona, a peer or
//! a remote actor.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use prometheus_client::encoding::{EncodeLabelSet, EncodeLabelValue};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

/// How a delivery to a remote inbox ended.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelValue)]
pub enum Delivery {
    Delivered,
    Failed,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct DeliveryLabels {
    outcome: Delivery,
}

/// What became of an activity posted to the inbox.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelValue)]
pub enum Inbox {
    /// Verified and acted on.
    Accepted,
    /// Verified, and left alone (nothing to do with it here).
    Ignored,
    /// Refused: a bad signature, a blocked domain, a malformed body, a cap.
    Refused,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct InboxLabels {
    outcome: Inbox,
}

/// The server's figures.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    peers: Gauge,
    changes_received: Counter,
    /// The node's cumulative count at its last progress report.
    changes_seen: AtomicU64,
    deliveries: Family<DeliveryLabels, Counter>,
    inbox: Family<InboxLabels, Counter>,
    queue: Gauge,
    database_seconds: Gauge<f64, AtomicU64>,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("rally");
        let m = Metrics {
            registry: Registry::default(),
            peers: Gauge::default(),
            changes_received: Counter::default(),
            changes_seen: AtomicU64::new(0),
            deliveries: Family::default(),
            inbox: Family::default(),
            queue: Gauge::default(),
            database_seconds: Gauge::default(),
        };
        registry.register(
            "peers_connected",
            "Peers (devices and servers) connected to the p2p node",
            m.peers.clone(),
        );
        registry.register(
            "changes_received",
            "Changes and envelopes received from peers",
            m.changes_received.clone(),
        );
        registry.register(
            "federation_deliveries",
            "Activities delivered to remote inboxes, by outcome (a failure is retried later)",
            m.deliveries.clone(),
        );
        registry.register(
            "federation_inbox_activities",
            "Activities posted to the inbox, by outcome",
            m.inbox.clone(),
        );
        registry.register(
            "federation_queue_depth",
            "Deliveries waiting in the queue",
            m.queue.clone(),
        );
        registry.register(
            "database_seconds",
            "How long one round trip to the database took when these figures were read",
            m.database_seconds.clone(),
        );
        Metrics { registry, ..m }
    }
}

impl Metrics {
    /// The node's progress: peers connected now, changes received since it
    /// started.
    pub fn node_progress(&self, peers: usize, changes_received: u64) {
        self.peers.set(i64::try_from(peers).unwrap_or(i64::MAX));
        let before = self.changes_seen.swap(changes_received, Ordering::Relaxed);
        self.changes_received
            .inc_by(changes_received.saturating_sub(before));
    }

    pub fn delivered(&self, outcome: Delivery) {
        self.deliveries
            .get_or_create(&DeliveryLabels { outcome })
            .inc();
    }

    pub fn inbox(&self, outcome: Inbox) {
        self.inbox.get_or_create(&InboxLabels { outcome }).inc();
    }

    /// The text Prometheus scrapes.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &self.registry)
            .expect("writing to a String does not fail");
        out
    }
}

/// What `/metrics` reads besides the counters.
#[derive(Debug, Clone)]
pub struct MetricsState {
    pub metrics: Arc<Metrics>,
    pub http: Arc<crate::http::State>,
    pub fedi: Option<Arc<crate::fedi::Fedi>>,
}

/// `/metrics`.
pub fn router(state: MetricsState) -> axum::Router {
    axum::Router::new()
        .route("/metrics", axum::routing::get(metrics))
        .with_state(state)
}

async fn metrics(State(s): State<MetricsState>) -> Response {
    let start = Instant::now();
    use crate::registry::Registry as _;
    if !matches!(s.http.registry.call(|r| r.mode()).await, Ok(Ok(_))) {
        return crate::http::unavailable("the database is unavailable".into());
    }
    s.metrics
        .database_seconds
        .set(start.elapsed().as_secs_f64());
    if let Some(f) = &s.fedi
        && let Ok(depth) = f.db(|db| db.queue_depth()).await
    {
        s.metrics.queue.set(depth);
    }
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        s.metrics.encode(),
    )
        .into_response()
}
