//! Work spread over tasks, and the one way the run takes a lock.

use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard};

/// Locks `m`; a panic elsewhere while it was held does not hide the data
/// (a panic is re-raised where the task is joined).
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Runs `work` on every item, at most `concurrency` at a time (spawned
/// tasks taking the next item as they finish one); results in no set order.
pub async fn concurrently<T, Fut, F>(items: Vec<T>, concurrency: usize, work: F) -> Vec<Fut::Output>
where
    T: Send + 'static,
    Fut: Future + Send,
    Fut::Output: Send + 'static,
    F: Fn(T) -> Fut + Send + Sync + 'static,
{
    let items = Arc::new(Mutex::new(items.into_iter()));
    let work = Arc::new(work);
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..concurrency.max(1) {
        let (items, work) = (items.clone(), work.clone());
        workers.spawn(async move {
            let mut done = Vec::new();
            loop {
                let next = lock(&items).next();
                let Some(item) = next else { return done };
                done.push(work(item).await);
            }
        });
    }
    let mut results = Vec::new();
    while let Some(done) = workers.join_next().await {
        match done {
            Ok(done) => results.extend(done),
            // A panic is a bug: never let it pass as fewer results.
            Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
            Err(_) => {}
        }
    }
    results
}
