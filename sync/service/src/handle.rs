//! A value on its own thread: a [`Service`] (the app's commands), or whatever
//! else owns SQLite connections (the server's federation state, its registry).
//! Async code (the app's commands, the server's HTTP handlers and loops) sends it
//! work and awaits the answer, so no async worker and no UI thread ever waits on
//! SQLite: a request that finds the database busy (a sync batch being committed)
//! waits in the queue, not on a worker. The thread runs the work it is sent one
//! job at a time, in order.

use std::sync::mpsc;

use crate::{Result, Service, ServiceError};

type Job<T> = Box<dyn FnOnce(&mut T) + Send>;

/// Sends work to the thread that owns a `T`. Cheap to clone; the thread ends
/// when the last handle is dropped.
pub struct Handle<T> {
    jobs: mpsc::Sender<Job<T>>,
}

/// The [`Service`] on its own thread (the app's `rally-service`).
pub type ServiceHandle = Handle<Service>;

impl<T> Clone for Handle<T> {
    fn clone(&self) -> Self {
        Handle {
            jobs: self.jobs.clone(),
        }
    }
}

impl<T> std::fmt::Debug for Handle<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Handle")
            .field("of", &std::any::type_name::<T>())
            .finish_non_exhaustive()
    }
}

impl<T: Send + 'static> Handle<T> {
    /// Moves `value` onto a new thread named `name`.
    pub fn spawn(value: T, name: &str) -> std::io::Result<Handle<T>> {
        let (jobs, queue) = mpsc::channel::<Job<T>>();
        std::thread::Builder::new()
            .name(name.to_owned())
            .spawn(move || {
                let mut value = value;
                while let Ok(job) = queue.recv() {
                    job(&mut value);
                }
            })?;
        Ok(Handle { jobs })
    }

    /// Runs `f` on the value's thread and awaits its result
    /// ([`ServiceError::Stopped`] if the thread has ended).
    pub async fn call<R, F>(&self, f: F) -> Result<R>
    where
        R: Send + 'static,
        F: FnOnce(&mut T) -> R + Send + 'static,
    {
        let (answer, answered) = tokio::sync::oneshot::channel();
        self.jobs
            .send(Box::new(move |v: &mut T| {
                let _ = answer.send(f(v));
            }))
            .map_err(|_| ServiceError::Stopped)?;
        answered.await.map_err(|_| ServiceError::Stopped)
    }

    /// Runs `f` on the value's thread and waits for it (for threads that may
    /// block, never from async code).
    pub fn call_blocking<R, F>(&self, f: F) -> Result<R>
    where
        R: Send + 'static,
        F: FnOnce(&mut T) -> R + Send + 'static,
    {
        let (answer, answered) = mpsc::channel();
        self.jobs
            .send(Box::new(move |v: &mut T| {
                let _ = answer.send(f(v));
            }))
            .map_err(|_| ServiceError::Stopped)?;
        answered.recv().map_err(|_| ServiceError::Stopped)
    }
}
