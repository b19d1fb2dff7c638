//! A [`Service`] on its own thread. Async code (the app's commands, the server's
//! HTTP handlers) sends it work and awaits the answer, so no async worker and no
//! UI thread ever waits on SQLite: a request that finds the database busy (a sync
//! batch being committed) waits in the queue, not on a worker.

use std::sync::mpsc;

use crate::{Result, Service, ServiceError};

type Job = Box<dyn FnOnce(&mut Service) + Send>;

/// Sends work to the thread that owns a [`Service`]. Cheap to clone; the thread
/// ends when the last handle is dropped.
#[derive(Debug, Clone)]
pub struct ServiceHandle {
    jobs: mpsc::Sender<Job>,
}

impl ServiceHandle {
    /// Moves `service` onto a new thread named `name`.
    pub fn spawn(service: Service, name: &str) -> std::io::Result<ServiceHandle> {
        let (jobs, queue) = mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name(name.to_owned())
            .spawn(move || {
                let mut service = service;
                while let Ok(job) = queue.recv() {
                    job(&mut service);
                }
            })?;
        Ok(ServiceHandle { jobs })
    }

    /// Runs `f` on the service's thread and awaits its result.
    pub async fn call<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Service) -> T + Send + 'static,
    {
        let (answer, answered) = tokio::sync::oneshot::channel();
        self.jobs
            .send(Box::new(move |s: &mut Service| {
                let _ = answer.send(f(s));
            }))
            .map_err(|_| ServiceError::Stopped)?;
        answered.await.map_err(|_| ServiceError::Stopped)
    }

    /// Runs `f` on the service's thread and waits for it (for threads that may
    /// block, never from async code).
    pub fn call_blocking<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Service) -> T + Send + 'static,
    {
        let (answer, answered) = mpsc::channel();
        self.jobs
            .send(Box::new(move |s: &mut Service| {
                let _ = answer.send(f(s));
            }))
            .map_err(|_| ServiceError::Stopped)?;
        answered.recv().map_err(|_| ServiceError::Stopped)
    }
}
