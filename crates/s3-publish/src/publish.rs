//! Carries a [`Plan`] out: each phase's uploads run concurrently (at most `concurrency` at a
//! time) and a phase starts only when the one before it finished; large files go in parts with
//! the SHA-256 in their metadata; header-only changes are `CopyObject` onto the object itself
//! with `MetadataDirective=REPLACE`; stale objects are deleted last, 1,000 a `DeleteObjects`,
//! pages before the rest. The first failure stops the run before the next phase. The ETag S3
//! answers for each write is kept for the [`Manifest`], written last.

use std::collections::BTreeMap;

use anyhow::{Context as _, bail};
use aws_sdk_s3::Client;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{
    CompletedMultipartUpload, CompletedPart, Delete, MetadataDirective, ObjectIdentifier,
};
use sha2::{Digest as _, Sha256};
use tokio::io::AsyncReadExt as _;

use action_kit::Console;

use crate::bounded;
use crate::headers::{NO_CACHE, is_html};
use crate::manifest::Manifest;
use crate::plan::{Deletion, Phase, Plan, Step, Transfer};
use crate::remote::SHA256_METADATA;
use crate::url::encode_path;

/// Keys a `DeleteObjects` call takes at most.
const DELETE_BATCH: usize = 1000;
/// S3's smallest part (but the last) and largest number of parts.
const MIN_PART: u64 = 5 * 1024 * 1024;
const MAX_PARTS: u64 = 10_000;

/// Sets the headers and the SHA-256 metadata of a step on an S3 request that takes them
/// (`PutObject`, `CreateMultipartUpload`, `CopyObject`: three builder types, one set of calls).
macro_rules! with_headers {
    ($request:expr, $step:expr) => {
        $request
            .content_type(&$step.headers.content_type)
            .cache_control(&$step.headers.cache_control)
            .set_content_encoding($step.headers.content_encoding.clone())
            .metadata(SHA256_METADATA, &$step.file.sha256)
    };
}

/// What a publish did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Outcome {
    /// Files uploaded.
    pub uploaded: usize,
    /// Objects whose headers were replaced.
    pub updated: usize,
    /// Objects deleted.
    pub deleted: usize,
    /// Bytes uploaded.
    pub bytes: u64,
    /// The ETag (without quotes) S3 answered for each object written, by key.
    pub etags: BTreeMap<String, String>,
}

/// Publishes to one bucket.
#[derive(Debug, Clone)]
pub struct Publisher {
    client: Client,
    bucket: String,
    concurrency: usize,
    part_size: u64,
}

impl Publisher {
    /// A publisher for `bucket`, uploading files above `part_size` bytes in parts of that size.
    pub fn new(client: Client, bucket: &str, concurrency: usize, part_size: u64) -> Self {
        Self {
            client,
            bucket: bucket.to_owned(),
            concurrency,
            part_size: part_size.max(MIN_PART),
        }
    }

    /// Carries the plan out, logging each change.
    pub async fn execute(&self, plan: &Plan, console: &Console) -> anyhow::Result<Outcome> {
        let mut outcome = Outcome::default();
        for phase in Phase::ALL {
            let steps: Vec<Step> = plan.phase(phase).cloned().collect();
            if steps.is_empty() {
                continue;
            }
            let total = steps.len();
            let done = bounded::run_all(steps, self.concurrency, |step| {
                let publisher = self.clone();
                async move { publisher.publish(&step).await.map(|etag| (step, etag)) }
            })
            .await
            .with_context(|| {
                format!(
                    "publishing stopped while uploading {} ({total} in this phase); nothing was deleted, and the pages not yet uploaded still reference what was there before",
                    phase.label()
                )
            })?;
            for (step, etag) in done {
                if let Some(etag) = etag {
                    outcome
                        .etags
                        .insert(step.key.clone(), etag.trim_matches('"').to_owned());
                }
                if step.uploads() {
                    outcome.uploaded += 1;
                    outcome.bytes += step.file.size;
                } else {
                    outcome.updated += 1;
                }
            }
            console.info(&format!("{}: {total} published", phase.label()));
        }
        let (pages, others): (Vec<&Deletion>, Vec<&Deletion>) =
            plan.deletions.iter().partition(|d| is_html(&d.path));
        for group in [pages, others] {
            for batch in group.chunks(DELETE_BATCH) {
                self.delete(batch).await.context(
                    "publishing stopped while deleting stale objects; every upload had succeeded",
                )?;
                outcome.deleted += batch.len();
            }
        }
        if outcome.deleted > 0 {
            console.info(&format!("stale objects: {} deleted", outcome.deleted));
        }
        Ok(outcome)
    }

    /// Writes the manifest (a small JSON object nobody caches).
    pub async fn write_manifest(&self, key: &str, manifest: &Manifest) -> anyhow::Result<()> {
        self.client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .body(ByteStream::from(manifest.to_json()))
            .content_type("application/json")
            .cache_control(NO_CACHE)
            .send()
            .await
            .map_err(|e| anyhow::Error::new(e.into_service_error()))
            .with_context(|| format!("cannot write s3://{}/{key}", self.bucket))?;
        Ok(())
    }

    /// Deletes the manifest (when nothing is published under the prefix any more).
    pub async fn remove_manifest(&self, key: &str) -> anyhow::Result<()> {
        let manifest = Deletion {
            key: key.to_owned(),
            path: crate::manifest::NAME.to_owned(),
        };
        self.delete(&[&manifest]).await
    }

    /// Publishes one step; the ETag S3 answered, if any.
    async fn publish(&self, step: &Step) -> anyhow::Result<Option<String>> {
        let result = match step.transfer {
            Transfer::Put => self.put(step).await,
            Transfer::Multipart => self.multipart(step).await,
            Transfer::CopyHeaders => self.copy_headers(step).await,
        };
        result.with_context(|| {
            format!(
                "cannot publish {} to s3://{}/{}",
                step.file.path, self.bucket, step.key
            )
        })
    }

    async fn put(&self, step: &Step) -> anyhow::Result<Option<String>> {
        let body = tokio::fs::read(&step.file.source)
            .await
            .with_context(|| format!("cannot read {}", step.file.source.display()))?;
        let md5 = hex_to_bytes(&step.file.md5).context("bad MD5")?;
        let request = self
            .client
            .put_object()
            .bucket(&self.bucket)
            .key(&step.key)
            .body(ByteStream::from(body))
            .content_md5(aws_smithy_types::base64::encode(md5));
        let answer = with_headers!(request, step)
            .send()
            .await
            .map_err(|e| anyhow::Error::new(e.into_service_error()))?;
        Ok(answer.e_tag().map(str::to_owned))
    }

    /// The part size for a file: the configured one, larger when S3's 10,000 parts need it.
    fn part_size_for(&self, size: u64) -> u64 {
        self.part_size.max(size.div_ceil(MAX_PARTS))
    }

    async fn multipart(&self, step: &Step) -> anyhow::Result<Option<String>> {
        let request = self
            .client
            .create_multipart_upload()
            .bucket(&self.bucket)
            .key(&step.key);
        let upload = with_headers!(request, step)
            .send()
            .await
            .map_err(|e| anyhow::Error::new(e.into_service_error()))?;
        let upload_id = upload
            .upload_id()
            .context("S3 returned no upload id")?
            .to_owned();
        let result = self.upload_parts(step, &upload_id).await;
        if result.is_err() {
            // Best effort: an unfinished upload costs storage until a lifecycle rule removes it.
            let _ = self
                .client
                .abort_multipart_upload()
                .bucket(&self.bucket)
                .key(&step.key)
                .upload_id(&upload_id)
                .send()
                .await;
        }
        result
    }

    async fn upload_parts(&self, step: &Step, upload_id: &str) -> anyhow::Result<Option<String>> {
        let part_size = usize::try_from(self.part_size_for(step.file.size)).context("part size")?;
        let mut file = tokio::fs::File::open(&step.file.source)
            .await
            .with_context(|| format!("cannot read {}", step.file.source.display()))?;
        let mut sha256 = Sha256::new();
        let mut parts = Vec::new();
        for number in 1.. {
            let mut buffer = Vec::with_capacity(part_size);
            (&mut file)
                .take(part_size as u64)
                .read_to_end(&mut buffer)
                .await
                .with_context(|| format!("cannot read {}", step.file.source.display()))?;
            if buffer.is_empty() && number > 1 {
                break;
            }
            sha256.update(&buffer);
            let answer = self
                .client
                .upload_part()
                .bucket(&self.bucket)
                .key(&step.key)
                .upload_id(upload_id)
                .part_number(number)
                .body(ByteStream::from(buffer))
                .send()
                .await
                .map_err(|e| anyhow::Error::new(e.into_service_error()))?;
            parts.push(
                CompletedPart::builder()
                    .part_number(number)
                    .set_e_tag(answer.e_tag().map(str::to_owned))
                    .build(),
            );
        }
        if format!("{:x}", sha256.finalize()) != step.file.sha256 {
            bail!(
                "{} changed while it was being uploaded",
                step.file.source.display()
            );
        }
        let answer = self
            .client
            .complete_multipart_upload()
            .bucket(&self.bucket)
            .key(&step.key)
            .upload_id(upload_id)
            .multipart_upload(
                CompletedMultipartUpload::builder()
                    .set_parts(Some(parts))
                    .build(),
            )
            .send()
            .await
            .map_err(|e| anyhow::Error::new(e.into_service_error()))?;
        Ok(answer.e_tag().map(str::to_owned))
    }

    async fn copy_headers(&self, step: &Step) -> anyhow::Result<Option<String>> {
        let request = self
            .client
            .copy_object()
            .bucket(&self.bucket)
            .key(&step.key)
            .copy_source(format!("{}/{}", self.bucket, encode_path(&step.key)))
            .metadata_directive(MetadataDirective::Replace);
        let answer = with_headers!(request, step)
            .send()
            .await
            .map_err(|e| anyhow::Error::new(e.into_service_error()))?;
        Ok(answer
            .copy_object_result()
            .and_then(|r| r.e_tag())
            .map(str::to_owned))
    }

    async fn delete(&self, batch: &[&Deletion]) -> anyhow::Result<()> {
        let objects = batch
            .iter()
            .map(|d| ObjectIdentifier::builder().key(&d.key).build())
            .collect::<Result<Vec<_>, _>>()?;
        let answer = self
            .client
            .delete_objects()
            .bucket(&self.bucket)
            .delete(
                Delete::builder()
                    .set_objects(Some(objects))
                    .quiet(true)
                    .build()?,
            )
            .send()
            .await
            .map_err(|e| anyhow::Error::new(e.into_service_error()))?;
        if let Some(error) = answer.errors().first() {
            bail!(
                "cannot delete s3://{}/{}: {} {}",
                self.bucket,
                error.key().unwrap_or_default(),
                error.code().unwrap_or("error"),
                error.message().unwrap_or_default()
            );
        }
        Ok(())
    }
}

/// The bytes of a hex string.
fn hex_to_bytes(hex: &str) -> Option<Vec<u8>> {
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_decodes() {
        assert_eq!(hex_to_bytes("00ff10"), Some(vec![0, 255, 16]));
        assert_eq!(hex_to_bytes("0g"), None);
        assert_eq!(hex_to_bytes("abc"), None);
    }
}
