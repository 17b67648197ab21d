//! The one way the executor carries out independent jobs at once: a `Semaphore`
//! of `limit` permits and a `JoinSet` (mini-redis `server.rs`). Container actions
//! (`apply.rs`), pulls and builds (`images.rs`) go through [`bounded`]; `run.rs`
//! walks its plan with the same pair, each step spawned once the steps it waits
//! for are done.

use std::future::Future;
use std::sync::Arc;

use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

/// Runs `job` on every item, at most `limit` at a time, and returns the results in
/// the items' order. With a limit of one, the jobs run one after the other in
/// that order. Once `shutdown` is cancelled no further job starts; a job not
/// started, or whose task panicked, has no result (`None`).
pub(crate) async fn bounded<T, R, F, Fut>(
    items: Vec<T>,
    limit: usize,
    shutdown: Option<&CancellationToken>,
    job: F,
) -> Vec<Option<R>>
where
    T: Send + 'static,
    R: Send + 'static,
    F: Fn(T) -> Fut,
    Fut: Future<Output = R> + Send + 'static,
{
    let cancelled = || shutdown.is_some_and(CancellationToken::is_cancelled);
    let mut results: Vec<Option<R>> = Vec::with_capacity(items.len());
    if limit <= 1 {
        for item in items {
            if cancelled() {
                results.push(None);
                continue;
            }
            results.push(Some(job(item).await));
        }
        return results;
    }
    results.resize_with(items.len(), || None);
    let permits = Arc::new(Semaphore::new(limit));
    let mut tasks = JoinSet::new();
    for (index, item) in items.into_iter().enumerate() {
        let permits = Arc::clone(&permits);
        let shutdown = shutdown.cloned();
        let work = job(item);
        tasks.spawn(async move {
            let _permit = permits.acquire_owned().await;
            if shutdown.is_some_and(|token| token.is_cancelled()) {
                return (index, None);
            }
            (index, Some(work.await))
        });
    }
    while let Some(joined) = tasks.join_next().await {
        if let Ok((index, result)) = joined
            && let Some(slot) = results.get_mut(index)
        {
            *slot = result;
        }
    }
    results
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn results_come_back_in_the_items_order() {
        for limit in [1, 3] {
            let results = bounded(vec![30_u64, 10, 20], limit, None, |delay| async move {
                tokio::time::sleep(std::time::Duration::from_millis(delay)).await;
                delay
            })
            .await;
            assert_eq!(results, [Some(30), Some(10), Some(20)], "limit {limit}");
        }
    }

    #[tokio::test]
    async fn nothing_starts_after_the_shutdown() {
        let token = CancellationToken::new();
        token.cancel();
        let results = bounded(vec![1, 2], 2, Some(&token), |n| async move { n }).await;
        assert_eq!(results, [None, None]);
    }
}
