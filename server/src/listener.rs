//! The HTTP listener: accepts connections for the pages, the API and the
//! Fediverse, with limits a public server needs against slow or numerous
//! clients — a connection must send its request headers within
//! [`HEADER_TIMEOUT`], a request (body included) is answered or dropped within
//! [`REQUEST_TIMEOUT`], and one IP address holds at most [`Limits::per_ip`]
//! connections at once (past it, a new one is closed at once), so thousands of
//! half-open connections from one host leave room for everyone else (loopback
//! is not counted: a reverse proxy there limits its own clients). On shutdown
//! it stops accepting and lets the requests under way finish.

use std::collections::HashMap;
use std::future::Future;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;

/// How long a client has to send its request headers.
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a whole request may take (reading its body included).
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// Connection limits.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Connections open at once from one IP address.
    pub per_ip: usize,
    pub header_timeout: Duration,
    /// Loopback addresses are not counted: a reverse proxy on the same machine
    /// (the usual way to serve https) speaks for all its clients and limits them
    /// itself.
    pub exempt_loopback: bool,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            per_ip: 64,
            header_timeout: HEADER_TIMEOUT,
            exempt_loopback: true,
        }
    }
}

/// Counts open connections per address; a slot is given back when dropped.
#[derive(Debug, Default, Clone)]
struct PerIp(Arc<Mutex<HashMap<IpAddr, usize>>>);

struct Slot(PerIp, IpAddr);

impl Drop for Slot {
    fn drop(&mut self) {
        if let Ok(mut m) = (self.0).0.lock()
            && let Some(n) = m.get_mut(&self.1)
        {
            *n -= 1;
            if *n == 0 {
                m.remove(&self.1);
            }
        }
    }
}

impl PerIp {
    fn take(&self, ip: IpAddr, max: usize) -> Option<Slot> {
        let mut m = self.0.lock().ok()?;
        let n = m.entry(ip).or_insert(0);
        if *n >= max {
            return None;
        }
        *n += 1;
        Some(Slot(self.clone(), ip))
    }
}

/// Serves `app` on `listener` until `shutdown` completes, then waits for the
/// requests under way.
pub async fn serve(
    listener: tokio::net::TcpListener,
    app: Router,
    limits: Limits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = app.layer(tower_http::timeout::TimeoutLayer::with_status_code(
        axum::http::StatusCode::REQUEST_TIMEOUT,
        REQUEST_TIMEOUT,
    ));
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let per_ip = PerIp::default();
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                // Out of file descriptors and the like: wait a little, go on.
                Err(_) => {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let slot = if limits.exempt_loopback && peer.ip().is_loopback() {
            None
        } else {
            match per_ip.take(peer.ip(), limits.per_ip) {
                Some(slot) => Some(slot),
                None => {
                    drop(stream);
                    continue;
                }
            }
        };
        let service = TowerToHyperService::new(app.clone());
        let mut builder = hyper::server::conn::http1::Builder::new();
        builder
            .timer(TokioTimer::new())
            .header_read_timeout(limits.header_timeout);
        let conn = builder.serve_connection(TokioIo::new(stream), service);
        let conn = graceful.watch(conn);
        tokio::spawn(async move {
            let _ = conn.await;
            drop(slot);
        });
    }
    drop(listener);
    graceful.shutdown().await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_are_per_address_and_come_back() {
        let p = PerIp::default();
        let a: IpAddr = "127.0.0.2".parse().unwrap();
        let b: IpAddr = "127.0.0.3".parse().unwrap();
        let first = p.take(a, 2).unwrap();
        let _second = p.take(a, 2).unwrap();
        assert!(p.take(a, 2).is_none());
        assert!(p.take(b, 2).is_some());
        drop(first);
        assert!(p.take(a, 2).is_some());
    }

    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    async fn connect_from(from: &str, to: std::net::SocketAddr) -> tokio::net::TcpStream {
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        socket.bind(format!("{from}:0").parse().unwrap()).unwrap();
        socket.connect(to).await.unwrap()
    }

    /// Whether the server closed `stream` within `wait` (a read returns 0).
    async fn closed_within(stream: &mut tokio::net::TcpStream, wait: Duration) -> bool {
        let mut buf = [0u8; 64];
        matches!(
            tokio::time::timeout(wait, stream.read(&mut buf)).await,
            Ok(Ok(0)) | Ok(Err(_))
        )
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn slow_and_numerous_clients_leave_room_for_others() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let app = Router::new().route("/healthz", axum::routing::get(|| async { "ok" }));
        let limits = Limits {
            per_ip: 8,
            header_timeout: Duration::from_secs(1),
            exempt_loopback: false,
        };
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(serve(listener, app, limits, async {
            let _ = stopped.await;
        }));
        // One host opens 300 connections and sends nothing.
        let mut idle = Vec::new();
        for _ in 0..300 {
            idle.push(connect_from("127.0.0.2", addr).await);
        }
        // Past its eighth, each is closed at once.
        assert!(closed_within(idle.last_mut().unwrap(), Duration::from_millis(500)).await);
        // Someone else is answered meanwhile.
        let mut other = connect_from("127.0.0.1", addr).await;
        other
            .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .await
            .unwrap();
        let mut answer = String::new();
        tokio::time::timeout(Duration::from_secs(2), other.read_to_string(&mut answer))
            .await
            .expect("no answer while one host held its connections")
            .unwrap();
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
        // A connection that never sends its headers is closed after the timeout.
        let mut slow = connect_from("127.0.0.3", addr).await;
        slow.write_all(b"GET /healthz HTTP/1.1\r\nHo")
            .await
            .unwrap();
        assert!(closed_within(&mut slow, Duration::from_secs(3)).await);
        let _ = stop.send(());
        tokio::time::timeout(Duration::from_secs(5), server)
            .await
            .expect("the listener did not stop")
            .unwrap()
            .unwrap();
    }
}
