//! The smoke check after publishing: `GET` the site until it answers 200, retrying with
//! backoff (a fresh invalidation or a slow origin can take a moment).

use std::time::{Duration, Instant};

use action_kit::Console;
use anyhow::bail;

use action_kit::backoff::Backoff;

/// Gets `url` until it answers 200 or `timeout` has passed; returns the number of attempts.
pub async fn check(url: &str, timeout: Duration, console: &Console) -> anyhow::Result<u32> {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()?;
    let started = Instant::now();
    let mut attempt = 0u32;
    loop {
        let failure = match client.get(url).send().await {
            Ok(answer) if answer.status() == reqwest::StatusCode::OK => return Ok(attempt + 1),
            Ok(answer) => format!("answered {}", answer.status()),
            Err(error) => format!("failed: {error}"),
        };
        let pause = Backoff {
            first: Duration::from_secs(1),
            ceiling: Duration::from_secs(10),
        }
        .delay(attempt);
        if started.elapsed() + pause > timeout {
            bail!(
                "smoke check failed: GET {url} {failure} (attempt {}, {}s)",
                attempt + 1,
                started.elapsed().as_secs()
            );
        }
        console.info(&format!(
            "smoke check: GET {url} {failure}; retrying in {}s",
            pause.as_secs()
        ));
        tokio::time::sleep(pause).await;
        attempt += 1;
    }
}
