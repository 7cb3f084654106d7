//! The bounded pools blocking work runs on (drawing, ingestion, the
//! series filter): never on the async workers, never without bound.

use std::sync::atomic::{AtomicUsize, Ordering};

use crate::error::{AppError, AppResult};

/// A bounded pool for blocking work: `threads` at once, at most `queue`
/// waiting; beyond that, [`AppError::Busy`].
#[derive(Debug)]
pub struct Pool {
    slots: std::sync::Arc<tokio::sync::Semaphore>,
    waiting: AtomicUsize,
    queue: usize,
}

impl Pool {
    /// A pool of `threads` running and `queue` waiting.
    pub fn new(threads: usize, queue: usize) -> Pool {
        Pool {
            slots: std::sync::Arc::new(tokio::sync::Semaphore::new(threads)),
            waiting: AtomicUsize::new(0),
            queue,
        }
    }

    /// Runs `f` on tokio's blocking threads when a slot is free.
    pub async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> AppResult<T> {
        if self.waiting.fetch_add(1, Ordering::SeqCst) >= self.queue {
            self.waiting.fetch_sub(1, Ordering::SeqCst);
            return Err(AppError::Busy);
        }
        let permit = self.slots.clone().acquire_owned().await;
        self.waiting.fetch_sub(1, Ordering::SeqCst);
        let permit = permit.map_err(|e| AppError::Internal(e.into()))?;
        // the permit goes with the work: a client that hangs up drops this
        // future, not the running work, and the slot stays taken until it ends
        Ok(tokio::task::spawn_blocking(move || {
            let _permit = permit;
            f()
        })
        .await?)
    }
}
