//! An HTTP load balancer for tests: a TCP proxy on a loopback port that hands
//! each connection to the next backend in turn (as any round-robin balancer in
//! front of several server processes does).

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

#[derive(Debug)]
pub struct Balancer {
    pub port: u16,
    /// How many connections went to each backend.
    pub sent: Arc<Vec<AtomicUsize>>,
}

fn pipe(mut from: TcpStream, mut to: TcpStream) {
    let mut buf = [0u8; 16 * 1024];
    loop {
        match from.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                if to.write_all(&buf[..n]).is_err() {
                    break;
                }
            }
        }
    }
    let _ = to.shutdown(Shutdown::Write);
}

impl Balancer {
    /// Balances over the loopback ports `backends`; a backend that does not
    /// answer is skipped for that connection.
    pub fn start(backends: Vec<u16>) -> Balancer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let sent: Arc<Vec<AtomicUsize>> =
            Arc::new(backends.iter().map(|_| AtomicUsize::new(0)).collect());
        let counts = sent.clone();
        std::thread::spawn(move || {
            let next = AtomicUsize::new(0);
            for client in listener.incoming() {
                let Ok(client) = client else { continue };
                let start = next.fetch_add(1, Ordering::Relaxed);
                let upstream = (0..backends.len()).find_map(|i| {
                    let k = (start + i) % backends.len();
                    TcpStream::connect(("127.0.0.1", backends[k]))
                        .ok()
                        .map(|s| (k, s))
                });
                let Some((k, upstream)) = upstream else {
                    continue;
                };
                counts[k].fetch_add(1, Ordering::Relaxed);
                let (c2, u2) = (client.try_clone().unwrap(), upstream.try_clone().unwrap());
                std::thread::spawn(move || pipe(client, upstream));
                std::thread::spawn(move || pipe(u2, c2));
            }
        });
        Balancer { port, sent }
    }
}
