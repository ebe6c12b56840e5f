//! The ECS and ECR calls: DescribeTaskDefinition and RegisterTaskDefinition carried as raw
//! JSON, and image digests from ECR.
//!
//! A task definition travels as the JSON document itself, so a field the SDK version does not
//! know (ECS adds some every year) is neither dropped nor refused. The calls stay the SDK's own
//! (endpoint, signing, retries): RegisterTaskDefinition is built with its required members and
//! its body replaced by the document before signing; DescribeTaskDefinition's answer is read as
//! the bytes ECS sent (the SDK keeps them after parsing its own types out of them).

use std::sync::{Arc, Mutex, PoisonError};

use anyhow::{Context as _, bail};
use aws_sdk_ecs::config::interceptors::AfterDeserializationInterceptorContextRef;
use aws_sdk_ecs::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_ecs::types::TaskDefinitionField;
use aws_smithy_types::body::SdkBody;
use serde_json::Value;

/// Keeps the raw body of an operation's answer.
#[derive(Debug, Clone, Default)]
struct RawAnswer(Arc<Mutex<Option<Vec<u8>>>>);

impl Intercept for RawAnswer {
    fn name(&self) -> &'static str {
        "RawAnswer"
    }

    fn read_after_deserialization(
        &self,
        context: &AfterDeserializationInterceptorContextRef<'_>,
        _: &RuntimeComponents,
        _: &mut ConfigBag,
    ) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        let body = context.response().body().bytes().map(<[u8]>::to_vec);
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) = body;
        Ok(())
    }
}

/// DescribeTaskDefinition with its tags, as the JSON ECS answered
/// (`{"taskDefinition": {…}, "tags": […]}`).
pub async fn describe(
    client: &aws_sdk_ecs::Client,
    task_definition: &str,
) -> anyhow::Result<Value> {
    let raw = RawAnswer::default();
    client
        .describe_task_definition()
        .task_definition(task_definition)
        .include(TaskDefinitionField::Tags)
        .customize()
        .interceptor(raw.clone())
        .send()
        .await
        .map_err(|e| {
            let e = e.into_service_error();
            if e.is_client_exception() || e.is_invalid_parameter_exception() {
                anyhow::anyhow!("task definition '{task_definition}' was not found in ECS ({e})")
            } else {
                anyhow::Error::new(e).context(format!(
                    "cannot describe task definition '{task_definition}'"
                ))
            }
        })?;
    let body = raw
        .0
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .take()
        .context("the DescribeTaskDefinition answer was not kept")?;
    serde_json::from_slice(&body)
        .context("ECS answered DescribeTaskDefinition with something that is not JSON")
}

/// RegisterTaskDefinition of `document` (a RegisterTaskDefinition input); returns the new ARN.
pub async fn register(client: &aws_sdk_ecs::Client, document: &Value) -> anyhow::Result<String> {
    let family = document["family"]
        .as_str()
        .context("the task definition has no family")?;
    let body = serde_json::to_vec(document)?;
    let answer = client
        .register_task_definition()
        .family(family)
        .customize()
        .mutate_request(move |request| {
            let length = body.len().to_string();
            *request.body_mut() = SdkBody::from(body.clone());
            request.headers_mut().insert("content-length", length);
        })
        .send()
        .await
        .map_err(|e| anyhow::Error::new(e.into_service_error()))
        .with_context(|| format!("Failed to register task definition {family} in ECS"))?;
    answer
        .task_definition()
        .and_then(|t| t.task_definition_arn())
        .map(str::to_owned)
        .context("ECS registered the task definition but returned no ARN")
}

/// An image reference in ECR: `<account>.dkr.ecr.<region>.amazonaws.com/<repository>:<tag>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EcrImage {
    /// Registry host.
    pub registry: String,
    /// Account (registry id).
    pub account: String,
    /// Region.
    pub region: String,
    /// Repository.
    pub repository: String,
    /// Tag (`latest` when none is given).
    pub tag: String,
}

impl EcrImage {
    /// Parses an ECR image reference; `None` for any other registry or a digest reference.
    pub fn parse(image: &str) -> Option<Self> {
        let (registry, rest) = image.split_once('/')?;
        let mut host = registry.split('.');
        let (account, dkr, ecr, region) = (host.next()?, host.next()?, host.next()?, host.next()?);
        if dkr != "dkr" || !ecr.starts_with("ecr") || account.len() != 12 || rest.contains('@') {
            return None;
        }
        let (repository, tag) = match rest.rsplit_once(':') {
            Some((repo, tag)) => (repo, tag),
            None => (rest, "latest"),
        };
        Some(Self {
            registry: registry.to_owned(),
            account: account.to_owned(),
            region: region.to_owned(),
            repository: repository.to_owned(),
            tag: tag.to_owned(),
        })
    }

    /// The same image pinned by digest.
    pub fn pinned(&self, digest: &str) -> String {
        format!("{}/{}@{digest}", self.registry, self.repository)
    }
}

/// The digest of an ECR image tag; an error names the repository and the tag when it is not there.
pub async fn digest(client: &aws_sdk_ecr::Client, image: &EcrImage) -> anyhow::Result<String> {
    let answer = client
        .describe_images()
        .registry_id(&image.account)
        .repository_name(&image.repository)
        .image_ids(
            aws_sdk_ecr::types::ImageIdentifier::builder()
                .image_tag(&image.tag)
                .build(),
        )
        .send()
        .await
        .map_err(|e| {
            let e = e.into_service_error();
            if e.is_image_not_found_exception() {
                anyhow::anyhow!(
                    "image tag '{}' does not exist in ECR repository '{}'",
                    image.tag,
                    image.repository
                )
            } else if e.is_repository_not_found_exception() {
                anyhow::anyhow!("ECR repository '{}' does not exist", image.repository)
            } else {
                anyhow::Error::new(e).context(format!(
                    "cannot read {}:{} in ECR",
                    image.repository, image.tag
                ))
            }
        })?;
    let Some(digest) = answer
        .image_details()
        .first()
        .and_then(|d| d.image_digest())
    else {
        bail!(
            "image tag '{}' does not exist in ECR repository '{}'",
            image.tag,
            image.repository
        );
    };
    Ok(digest.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ecr_references() {
        let image = EcrImage::parse("123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/api:abc123")
            .expect("ecr");
        assert_eq!(image.repository, "team/api");
        assert_eq!(image.tag, "abc123");
        assert_eq!(image.region, "eu-west-1");
        assert_eq!(
            image.pinned("sha256:00"),
            "123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/api@sha256:00"
        );
        assert_eq!(
            EcrImage::parse("123456789012.dkr.ecr.eu-west-1.amazonaws.com/api")
                .expect("ecr")
                .tag,
            "latest"
        );
        for other in [
            "nginx:latest",
            "ghcr.io/o/r:1",
            "123456789012.dkr.ecr.eu-west-1.amazonaws.com/api@sha256:00",
        ] {
            assert_eq!(EcrImage::parse(other), None, "{other}");
        }
    }
}
