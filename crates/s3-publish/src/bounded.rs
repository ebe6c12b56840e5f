//! Running many S3 calls at once, at most a given number in flight; the first failure stops
//! the rest (calls not started are never started, calls in flight are cancelled).

use std::future::Future;

use tokio::task::JoinSet;

/// Runs `work` on every item with at most `limit` running at a time; the results come in the
/// order the calls finished.
pub async fn run_all<T, R, F, Fut>(items: Vec<T>, limit: usize, work: F) -> anyhow::Result<Vec<R>>
where
    F: Fn(T) -> Fut,
    Fut: Future<Output = anyhow::Result<R>> + Send + 'static,
    R: Send + 'static,
{
    let limit = limit.max(1);
    let mut running = JoinSet::new();
    let mut results = Vec::with_capacity(items.len());
    let mut items = items.into_iter();
    loop {
        while running.len() < limit {
            let Some(item) = items.next() else { break };
            running.spawn(work(item));
        }
        let Some(finished) = running.join_next().await else {
            return Ok(results);
        };
        // Dropping `running` on an early return aborts the calls still in flight.
        results.push(finished??);
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    use super::*;

    #[tokio::test]
    async fn never_more_than_the_limit_in_flight() {
        let in_flight = Arc::new(AtomicUsize::new(0));
        let peak = Arc::new(AtomicUsize::new(0));
        let results = run_all((0..20).collect(), 3, |n: u32| {
            let (in_flight, peak) = (in_flight.clone(), peak.clone());
            async move {
                let now = in_flight.fetch_add(1, Ordering::SeqCst) + 1;
                peak.fetch_max(now, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(5)).await;
                in_flight.fetch_sub(1, Ordering::SeqCst);
                Ok(n * 2)
            }
        })
        .await
        .expect("all succeed");
        let mut sorted = results;
        sorted.sort_unstable();
        assert_eq!(sorted, (0..20).map(|n| n * 2).collect::<Vec<_>>());
        assert_eq!(peak.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn the_first_failure_stops_the_rest() {
        let started = Arc::new(AtomicUsize::new(0));
        let error = run_all((0..100).collect(), 2, |n: u32| {
            let started = started.clone();
            async move {
                started.fetch_add(1, Ordering::SeqCst);
                if n == 3 {
                    anyhow::bail!("item {n} failed");
                }
                tokio::time::sleep(Duration::from_millis(2)).await;
                Ok(n)
            }
        })
        .await
        .expect_err("fails");
        assert_eq!(error.to_string(), "item 3 failed");
        assert!(started.load(Ordering::SeqCst) < 10);
    }
}
