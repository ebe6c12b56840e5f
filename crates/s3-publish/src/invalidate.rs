//! CloudFront: the distribution's origin path (and a check that the distribution exists, before
//! anything is published), creating an invalidation, and waiting for it by polling ourselves:
//! the status is compared without regard to case, since emulators say `COMPLETED` where
//! CloudFront says `Completed` and the SDK's generated waiter would never finish on them.

use std::time::{Duration, Instant};

use action_kit::Console;
use anyhow::Context as _;
use aws_sdk_cloudfront::Client;
use aws_sdk_cloudfront::types::{InvalidationBatch, Paths};

use action_kit::backoff::Backoff;

/// How long to wait for an invalidation before going on with a warning (real ones can take
/// over ten minutes).
pub const WAIT_LIMIT: Duration = Duration::from_secs(20 * 60);

/// One CloudFront distribution.
#[derive(Debug, Clone)]
pub struct Distribution {
    client: Client,
    id: String,
}

impl Distribution {
    /// The distribution `id`, through `config`.
    pub fn new(config: &action_aws::SdkConfig, id: &str) -> Self {
        Self {
            client: Client::new(config),
            id: id.to_owned(),
        }
    }

    /// The origin path of the distribution's origin for `bucket` (`""` when it has none), or
    /// `None` when no origin is that bucket; an error when the distribution does not exist.
    pub async fn origin_path(&self, bucket: &str) -> anyhow::Result<Option<String>> {
        let answer = self
            .client
            .get_distribution()
            .id(&self.id)
            .send()
            .await
            .map_err(|e| {
                let e = e.into_service_error();
                if e.is_no_such_distribution() {
                    anyhow::anyhow!(
                        "input 'distribution-id': CloudFront distribution '{}' does not exist",
                        self.id
                    )
                } else {
                    anyhow::Error::new(e)
                        .context(format!("cannot read CloudFront distribution '{}'", self.id))
                }
            })?;
        let origins = answer
            .distribution()
            .and_then(|d| d.distribution_config())
            .and_then(|c| c.origins())
            .map(|o| o.items())
            .unwrap_or_default();
        let bucket_host = format!("{bucket}.s3");
        Ok(origins
            .iter()
            .find(|origin| origin.domain_name().starts_with(&bucket_host))
            .map(|origin| origin.origin_path().unwrap_or_default().to_owned()))
    }

    /// Invalidates `paths`; returns the invalidation's id.
    pub async fn invalidate(&self, paths: &[String]) -> anyhow::Result<String> {
        let quantity = i32::try_from(paths.len()).context("too many paths")?;
        let batch = InvalidationBatch::builder()
            .paths(
                Paths::builder()
                    .quantity(quantity)
                    .set_items(Some(paths.to_vec()))
                    .build()?,
            )
            .caller_reference(uuid::Uuid::new_v4().to_string())
            .build()?;
        let answer = self
            .client
            .create_invalidation()
            .distribution_id(&self.id)
            .invalidation_batch(batch)
            .send()
            .await
            .map_err(|e| anyhow::Error::new(e.into_service_error()))
            .with_context(|| {
                format!(
                    "cannot invalidate {} paths of distribution '{}'",
                    paths.len(),
                    self.id
                )
            })?;
        answer
            .invalidation()
            .map(|i| i.id().to_owned())
            .context("CloudFront returned no invalidation id")
    }

    /// Polls the invalidation until it completes (`true`) or `limit` has passed (`false`),
    /// printing its progress.
    pub async fn wait(
        &self,
        invalidation: &str,
        limit: Duration,
        console: &Console,
    ) -> anyhow::Result<bool> {
        let started = Instant::now();
        for attempt in 0u32.. {
            let answer = self
                .client
                .get_invalidation()
                .distribution_id(&self.id)
                .id(invalidation)
                .send()
                .await
                .map_err(|e| anyhow::Error::new(e.into_service_error()))
                .with_context(|| format!("cannot read invalidation {invalidation}"))?;
            let status = answer
                .invalidation()
                .map(|i| i.status().to_owned())
                .unwrap_or_default();
            console.info(&format!(
                "invalidation {invalidation}: {status} after {}s",
                started.elapsed().as_secs()
            ));
            if status.eq_ignore_ascii_case("completed") {
                return Ok(true);
            }
            let pause = Backoff {
                first: Duration::from_secs(5),
                ceiling: Duration::from_secs(20),
            }
            .delay(attempt);
            if started.elapsed() + pause > limit {
                break;
            }
            tokio::time::sleep(pause).await;
        }
        Ok(false)
    }
}
