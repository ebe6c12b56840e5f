//! Running smoke checks over HTTP: each check is retried with backoff until it passes or the
//! deadline passes (a new deployment can take a moment to serve behind its load balancer).

use std::future::Future;
use std::time::{Duration, Instant};

use crate::backoff::Backoff;
use crate::smoke::SmokeCheck;

/// Runs smoke checks; `None` when all pass, else what failed last.
pub trait SmokeRunner {
    /// Runs every check until it passes or `deadline` (for all checks together) passes.
    fn run(
        &self,
        checks: &[SmokeCheck],
        deadline: Duration,
    ) -> impl Future<Output = Option<String>> + Send;
}

/// Smoke checks over real HTTP.
#[derive(Debug, Clone)]
pub struct HttpSmoke {
    client: reqwest::Client,
    backoff: Backoff,
}

impl HttpSmoke {
    /// A runner with a per-request timeout of 10 s, retrying from 2 s up to 15 s apart.
    pub fn new() -> anyhow::Result<Self> {
        Ok(Self {
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(10))
                .build()?,
            backoff: Backoff {
                first: Duration::from_secs(2),
                ceiling: Duration::from_secs(15),
            },
        })
    }

    async fn attempt(&self, check: &SmokeCheck) -> Result<(), String> {
        let method =
            reqwest::Method::from_bytes(check.method.as_bytes()).map_err(|e| e.to_string())?;
        let answer = self
            .client
            .request(method, &check.url)
            .send()
            .await
            .map_err(|e| format!("{} {}: {e}", check.method, check.url))?;
        let status = answer.status().as_u16();
        let body = answer.text().await.unwrap_or_default();
        check.evaluate(status, &body)
    }
}

impl SmokeRunner for HttpSmoke {
    async fn run(&self, checks: &[SmokeCheck], deadline: Duration) -> Option<String> {
        let started = Instant::now();
        for check in checks {
            let mut attempt = 0;
            loop {
                match self.attempt(check).await {
                    Ok(()) => break,
                    Err(failure) => {
                        let delay = self.backoff.delay(attempt);
                        if started.elapsed() + delay > deadline {
                            return Some(failure);
                        }
                        tokio::time::sleep(delay).await;
                        attempt += 1;
                    }
                }
            }
        }
        None
    }
}
