//! What the bucket holds under the prefix: the listing (key, size, ETag; paginated), the
//! [`Manifest`] of the last publish, and, for the keys that also exist locally and that the
//! manifest does not vouch for, the headers and metadata only `HeadObject` returns.

use std::collections::BTreeMap;

use anyhow::Context as _;
use aws_sdk_s3::Client;
use aws_sdk_s3::error::ProvideErrorMetadata as _;
use aws_smithy_types::DateTime;

use crate::bounded;
use crate::manifest::Manifest;

/// The metadata key holding the hex SHA-256 of the body (`x-amz-meta-sha256`).
pub const SHA256_METADATA: &str = "sha256";

/// One object of the listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteObject {
    /// Its full key.
    pub key: String,
    /// Its size.
    pub size: u64,
    /// Its ETag without quotes (the hex MD5 of the body for single-part uploads).
    pub etag: String,
    /// When it was last written (whole seconds on S3).
    pub last_modified: Option<DateTime>,
}

/// What `HeadObject` tells about an object.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RemoteHead {
    /// `Content-Type`.
    pub content_type: Option<String>,
    /// `Cache-Control`.
    pub cache_control: Option<String>,
    /// `Content-Encoding`.
    pub content_encoding: Option<String>,
    /// The SHA-256 we stored in its metadata.
    pub sha256: Option<String>,
}

/// Every object whose key starts with `prefix`.
pub async fn list(
    client: &Client,
    bucket: &str,
    prefix: &str,
) -> anyhow::Result<Vec<RemoteObject>> {
    let mut pages = client
        .list_objects_v2()
        .bucket(bucket)
        .set_prefix((!prefix.is_empty()).then(|| prefix.to_owned()))
        .into_paginator()
        .send();
    let mut objects = Vec::new();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| {
            let e = e.into_service_error();
            if e.is_no_such_bucket() {
                anyhow::anyhow!("input 'bucket': S3 bucket '{bucket}' does not exist")
            } else {
                let code = e.code().unwrap_or("error").to_owned();
                anyhow::Error::new(e)
                    .context(format!("cannot list s3://{bucket}/{prefix} ({code})"))
            }
        })?;
        for object in page.contents() {
            let Some(key) = object.key() else { continue };
            objects.push(RemoteObject {
                key: key.to_owned(),
                size: object
                    .size()
                    .and_then(|s| u64::try_from(s).ok())
                    .unwrap_or(0),
                etag: object
                    .e_tag()
                    .unwrap_or_default()
                    .trim_matches('"')
                    .to_owned(),
                last_modified: object.last_modified().copied(),
            });
        }
    }
    Ok(objects)
}

/// The headers of each of `keys`, `concurrency` requests at a time; a key that vanished since
/// the listing is left out.
pub async fn head_all(
    client: &Client,
    bucket: &str,
    keys: Vec<String>,
    concurrency: usize,
) -> anyhow::Result<BTreeMap<String, RemoteHead>> {
    let heads = bounded::run_all(keys, concurrency, |key| {
        let client = client.clone();
        let bucket = bucket.to_owned();
        async move {
            let answer = client.head_object().bucket(&bucket).key(&key).send().await;
            match answer {
                Ok(head) => Ok(Some((
                    key,
                    RemoteHead {
                        content_type: head.content_type().map(str::to_owned),
                        cache_control: head.cache_control().map(str::to_owned),
                        content_encoding: head.content_encoding().map(str::to_owned),
                        sha256: head
                            .metadata()
                            .and_then(|m| m.get(SHA256_METADATA))
                            .cloned(),
                    },
                ))),
                Err(e) if e.as_service_error().is_some_and(|e| e.is_not_found()) => Ok(None),
                Err(e) => Err(anyhow::Error::new(e.into_service_error()))
                    .with_context(|| format!("cannot read s3://{bucket}/{key}")),
            }
        }
    })
    .await?;
    Ok(heads.into_iter().flatten().collect())
}

/// The manifest at `key` and when it was written; an error says why it cannot be used.
pub async fn manifest(
    client: &Client,
    bucket: &str,
    key: &str,
) -> anyhow::Result<(Manifest, DateTime)> {
    let answer = client
        .get_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .map_err(|e| anyhow::Error::new(e.into_service_error()))?;
    let written = answer
        .last_modified()
        .copied()
        .context("no Last-Modified")?;
    let body = answer.body.collect().await?.into_bytes();
    Ok((Manifest::parse(&body)?, written))
}
