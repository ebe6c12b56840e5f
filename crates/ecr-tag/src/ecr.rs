//! The ECR calls `ecr-tag` makes: read an image by tag, read where tags point, put a tag.

use std::collections::BTreeMap;

use anyhow::{Context as _, bail};
use aws_sdk_ecr::Client;
use aws_sdk_ecr::error::ProvideErrorMetadata as _;
use aws_sdk_ecr::types::{ImageFailureCode, ImageIdentifier};

/// Manifest types we accept, so ECR returns the manifest as it was pushed.
const MEDIA_TYPES: [&str; 4] = [
    "application/vnd.docker.distribution.manifest.v2+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.oci.image.index.v1+json",
];

/// An image found in ECR.
#[derive(Debug, Clone)]
pub struct SourceImage {
    /// `sha256:…`.
    pub digest: String,
    /// The manifest, byte for byte.
    pub manifest: String,
    /// Its media type, if ECR reported one.
    pub media_type: Option<String>,
    /// The registry (account) it lives in.
    pub registry_id: String,
}

/// One registry, as seen through the SDK.
#[derive(Debug, Clone)]
pub struct Registry {
    client: Client,
    region: String,
    registry_id: Option<String>,
}

impl Registry {
    /// A registry client for the configuration; `registry_id` defaults to the caller's account.
    pub fn new(config: &action_aws::SdkConfig, registry_id: Option<String>) -> Self {
        Self {
            client: Client::new(config),
            region: config.region().map(ToString::to_string).unwrap_or_default(),
            registry_id,
        }
    }

    /// The registry host for image references.
    pub fn host(&self, registry_id: &str) -> String {
        format!("{registry_id}.dkr.ecr.{}.amazonaws.com", self.region)
    }

    /// The image tagged `tag`; an error names the repository and tag when it is not there.
    pub async fn find_image(&self, repository: &str, tag: &str) -> anyhow::Result<SourceImage> {
        let answer = self
            .client
            .batch_get_image()
            .set_registry_id(self.registry_id.clone())
            .repository_name(repository)
            .image_ids(ImageIdentifier::builder().image_tag(tag).build())
            .set_accepted_media_types(Some(MEDIA_TYPES.iter().map(ToString::to_string).collect()))
            .send()
            .await
            .map_err(|e| {
                let e = e.into_service_error();
                if e.is_repository_not_found_exception() {
                    anyhow::anyhow!("ECR repository '{repository}' does not exist")
                } else {
                    anyhow::Error::new(e)
                }
            })?;
        if let Some(failure) = answer.failures().first() {
            if failure.failure_code() == Some(&ImageFailureCode::ImageTagDoesNotMatchDigest)
                || failure.failure_code() == Some(&ImageFailureCode::ImageNotFound)
            {
                bail!("image tag '{tag}' does not exist in ECR repository '{repository}'");
            }
            bail!(
                "ECR could not return {repository}:{tag}: {}",
                failure.failure_reason().unwrap_or("no reason given")
            );
        }
        let Some(image) = answer.images().first() else {
            bail!("image tag '{tag}' does not exist in ECR repository '{repository}'");
        };
        Ok(SourceImage {
            digest: image
                .image_id()
                .and_then(|id| id.image_digest())
                .context("ECR returned the image without a digest")?
                .to_owned(),
            manifest: image
                .image_manifest()
                .context("ECR returned the image without a manifest")?
                .to_owned(),
            media_type: image.image_manifest_media_type().map(str::to_owned),
            registry_id: image.registry_id().unwrap_or_default().to_owned(),
        })
    }

    /// The digest each of `tags` points at, for those that exist (one `DescribeImages` a tag:
    /// it fails as a whole when any tag of a batch is missing).
    pub async fn tag_digests(
        &self,
        repository: &str,
        tags: &[String],
    ) -> anyhow::Result<BTreeMap<String, String>> {
        let mut digests = BTreeMap::new();
        for tag in tags {
            let answer = self
                .client
                .describe_images()
                .set_registry_id(self.registry_id.clone())
                .repository_name(repository)
                .image_ids(ImageIdentifier::builder().image_tag(tag).build())
                .send()
                .await;
            match answer {
                Ok(answer) => {
                    if let Some(digest) = answer
                        .image_details()
                        .first()
                        .and_then(|d| d.image_digest())
                    {
                        digests.insert(tag.clone(), digest.to_owned());
                    }
                }
                Err(e)
                    if e.as_service_error()
                        .is_some_and(|e| e.is_image_not_found_exception()) => {}
                Err(e) => {
                    return Err(anyhow::Error::new(e.into_service_error())).with_context(|| {
                        format!("cannot read tag '{tag}' of ECR repository '{repository}'")
                    });
                }
            }
        }
        Ok(digests)
    }

    /// Puts `tag` on the image's manifest.
    pub async fn put_tag(
        &self,
        repository: &str,
        image: &SourceImage,
        tag: &str,
    ) -> anyhow::Result<()> {
        let result = self
            .client
            .put_image()
            .set_registry_id(self.registry_id.clone())
            .repository_name(repository)
            .image_manifest(&image.manifest)
            .set_image_manifest_media_type(image.media_type.clone())
            .image_digest(&image.digest)
            .image_tag(tag)
            .send()
            .await;
        let Err(error) = result else {
            return Ok(());
        };
        let error = error.into_service_error();
        if error.is_image_already_exists_exception() {
            // The tag already points at this digest (tagged since we looked): nothing to do.
            return Ok(());
        }
        if error.code() == Some("ImageTagAlreadyExistsException") {
            bail!(
                "tag '{tag}' already points at another image and ECR repository '{repository}' has immutable tags"
            );
        }
        Err(anyhow::Error::new(error))
            .with_context(|| format!("cannot tag {repository}@{} as '{tag}'", image.digest))
    }
}
