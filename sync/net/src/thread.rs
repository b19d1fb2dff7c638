//! A node on a thread of its own: a current-thread runtime there drives the swarm
//! and the node's storage calls, so a batch being judged and committed blocks
//! only the node — never an app's async workers, nor a server's HTTP side. Events
//! come back over a channel; stopping it lets the node finish between two events
//! (a batch is stored whole or not at all) and write what it holds in memory.

use tokio::sync::{mpsc, oneshot};

use crate::{NetError, Node, NodeConfig, NodeEvent, NodeStore, RunStats};

/// A node running on its own thread.
#[derive(Debug)]
pub struct NodeThread {
    stop: Option<oneshot::Sender<()>>,
    done: oneshot::Receiver<Result<RunStats, NetError>>,
}

/// Starts a node on a thread named `name`: `make` builds it there (so nothing of
/// it needs to cross threads), then it runs with `config` until stopped or, with
/// `once`, until in sync. Its events are sent to `events`.
pub fn spawn<R, F>(
    name: &str,
    make: F,
    config: NodeConfig,
    events: mpsc::UnboundedSender<NodeEvent>,
) -> std::io::Result<NodeThread>
where
    R: NodeStore + 'static,
    F: FnOnce() -> Result<Node<R>, NetError> + Send + 'static,
{
    let (stop, stopped) = oneshot::channel::<()>();
    let (finished, done) = oneshot::channel();
    std::thread::Builder::new()
        .name(name.to_owned())
        .spawn(move || {
            let outcome = (|| {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .map_err(|e| NetError::Setup(e.to_string()))?;
                runtime.block_on(async move {
                    let mut node = make()?;
                    let outcome = tokio::select! {
                        r = node.run(&config, |e| { let _ = events.send(e); }) => Some(r),
                        _ = stopped => None,
                    };
                    // Stopped between two events: whatever batch was received is stored.
                    let stats = node.finish()?;
                    match outcome {
                        Some(r) => r.map(|_| stats),
                        None => Ok(stats),
                    }
                })
            })();
            let _ = finished.send(outcome);
        })?;
    Ok(NodeThread {
        stop: Some(stop),
        done,
    })
}

impl NodeThread {
    /// Waits for the node to end on its own (an error, or `once` in sync).
    pub async fn finished(&mut self) -> Result<RunStats, NetError> {
        (&mut self.done)
            .await
            .unwrap_or_else(|_| Err(NetError::Setup("the node's thread ended".into())))
    }

    /// Stops the node and waits for it to have finished.
    pub async fn stop(mut self) -> Result<RunStats, NetError> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        self.finished().await
    }

    /// Asks the node to stop without waiting (it finishes on its thread).
    pub fn stop_soon(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}
