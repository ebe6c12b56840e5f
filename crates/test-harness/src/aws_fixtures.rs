//! AWS state that tests and the demo need before an action runs, made through the real SDK.

use anyhow::Context as _;
use aws_config::SdkConfig;

/// Creates an ECR repository and puts a synthetic image in it under `tag` (the emulator has no
/// registry for `docker push`, so the manifest is made up; `seed` varies its digest). Returns
/// the image digest.
pub async fn push_synthetic_image(
    config: &SdkConfig,
    repository: &str,
    tag: &str,
    seed: &str,
) -> anyhow::Result<String> {
    let ecr = aws_sdk_ecr::Client::new(config);
    let exists = ecr
        .describe_repositories()
        .repository_names(repository)
        .send()
        .await
        .is_ok();
    if !exists {
        ecr.create_repository()
            .repository_name(repository)
            .send()
            .await
            .with_context(|| format!("create ECR repository {repository}"))?;
    }
    let manifest = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
        "config": {
            "mediaType": "application/vnd.docker.container.image.v1+json",
            "size": 1469,
            "digest": format!("sha256:{:0>64}", hex_of(seed)),
        },
        "layers": [{
            "mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
            "size": 2811,
            "digest": format!("sha256:{:0>64}", hex_of(&format!("layer-{seed}"))),
        }],
    });
    let answer = ecr
        .put_image()
        .repository_name(repository)
        .image_manifest(manifest.to_string())
        .image_manifest_media_type("application/vnd.docker.distribution.manifest.v2+json")
        .image_tag(tag)
        .send()
        .await
        .with_context(|| format!("put image {repository}:{tag}"))?;
    answer
        .image()
        .and_then(|i| i.image_id())
        .and_then(|id| id.image_digest())
        .map(str::to_owned)
        .context("the emulator returned no digest")
}

/// The tags of the image with `digest`.
pub async fn tags_of(
    config: &SdkConfig,
    repository: &str,
    digest: &str,
) -> anyhow::Result<Vec<String>> {
    let ecr = aws_sdk_ecr::Client::new(config);
    let answer = ecr
        .describe_images()
        .repository_name(repository)
        .image_ids(
            aws_sdk_ecr::types::ImageIdentifier::builder()
                .image_digest(digest)
                .build(),
        )
        .send()
        .await
        .with_context(|| format!("describe {repository}@{digest}"))?;
    let mut tags: Vec<String> = answer
        .image_details()
        .iter()
        .flat_map(|d| d.image_tags().iter().cloned())
        .collect();
    tags.sort();
    Ok(tags)
}

fn hex_of(text: &str) -> String {
    text.bytes()
        .map(|b| format!("{b:02x}"))
        .collect::<String>()
        .chars()
        .take(64)
        .collect()
}
