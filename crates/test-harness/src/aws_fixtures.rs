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

/// A subnet of the emulator's default VPC in the test region (see [`DefaultNetwork`]).
pub async fn default_subnet(endpoint: &str) -> anyhow::Result<String> {
    Ok(DefaultNetwork::of(endpoint, crate::TEST_REGION)
        .await?
        .subnet)
}

/// The id of the emulator's default VPC in the test region (see [`DefaultNetwork`]).
pub async fn default_vpc(endpoint: &str) -> anyhow::Result<String> {
    Ok(DefaultNetwork::of(endpoint, crate::TEST_REGION).await?.vpc)
}

/// The emulator's default VPC of a region, one of its subnets and its default security group
/// (EC2 queries sent by hand: the suite has no EC2 client, and the emulator routes by the
/// credential scope without checking signatures).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DefaultNetwork {
    /// The VPC id.
    pub vpc: String,
    /// A subnet id.
    pub subnet: String,
    /// The default security group's id.
    pub security_group: String,
}

impl DefaultNetwork {
    /// The default network of `region`.
    pub async fn of(endpoint: &str, region: &str) -> anyhow::Result<Self> {
        Ok(Self {
            vpc: ec2_first(endpoint, region, "DescribeVpcs", "vpcId").await?,
            subnet: ec2_first(endpoint, region, "DescribeSubnets", "subnetId").await?,
            security_group: ec2_first(endpoint, region, "DescribeSecurityGroups", "groupId")
                .await?,
        })
    }
}

/// The first `<element>` of an EC2 `action`'s answer in `region`.
async fn ec2_first(
    endpoint: &str,
    region: &str,
    action: &str,
    element: &str,
) -> anyhow::Result<String> {
    let auth = format!(
        "AWS4-HMAC-SHA256 Credential=testing/20260101/{region}/ec2/aws4_request, SignedHeaders=host, Signature=0"
    );
    let (_, body) = post(
        &format!("{endpoint}/"),
        &[
            ("content-type", "application/x-www-form-urlencoded"),
            ("authorization", &auth),
        ],
        &format!("Action={action}&Version=2016-11-15"),
    )
    .await
    .context("EC2 query to the emulator")?;
    body.split(&format!("<{element}>"))
        .nth(1)
        .and_then(|rest| rest.split(&format!("</{element}>")).next())
        .map(str::to_owned)
        .with_context(|| format!("no {element} in the emulator's answer: {body}"))
}

/// Makes the emulator's ECS tasks reach their final state (STOPPED) at the first look, where it
/// otherwise advances them one state per DescribeTasks.
pub async fn stop_tasks_at_once(endpoint: &str) -> anyhow::Result<()> {
    let (status, body) = post(
        &format!("{endpoint}/moto-api/state-manager/set-transition"),
        &[("content-type", "application/json")],
        r#"{"model_name": "ecs::task", "transition": {"progression": "immediate"}}"#,
    )
    .await
    .context("state manager of the emulator")?;
    anyhow::ensure!(
        status.is_success(),
        "the emulator refused the transition: {body}"
    );
    Ok(())
}

/// A POST to the emulator outside the SDK; returns the status and the body as text.
async fn post(
    url: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> anyhow::Result<(hyper::StatusCode, String)> {
    use http_body_util::{BodyExt as _, Full};
    use hyper_util::client::legacy::Client;
    use hyper_util::rt::TokioExecutor;
    let client: Client<_, Full<bytes::Bytes>> = Client::builder(TokioExecutor::new()).build_http();
    let mut request = hyper::Request::post(url);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let answer = client
        .request(request.body(Full::new(bytes::Bytes::from(body.to_owned())))?)
        .await?;
    let status = answer.status();
    let bytes = answer.into_body().collect().await?.to_bytes();
    Ok((status, String::from_utf8_lossy(&bytes).into_owned()))
}

fn hex_of(text: &str) -> String {
    text.bytes()
        .map(|b| format!("{b:02x}"))
        .collect::<String>()
        .chars()
        .take(64)
        .collect()
}

/// A DescribeServices answer edited as if ECS had finished rolling out each service's task
/// definition: the emulator never moves a deployment by itself (UpdateService leaves the
/// PRIMARY deployment on the old revision). For [`crate::Fault::Rewrite`]; whoever uses it says
/// the rollout is simulated.
pub fn finish_ecs_rollouts(answer: &mut serde_json::Value) {
    let Some(services) = answer["services"].as_array_mut() else {
        return;
    };
    for service in services {
        let task_definition = service["taskDefinition"].clone();
        let desired = service["desiredCount"].clone();
        let Some(deployments) = service["deployments"].as_array_mut() else {
            continue;
        };
        for deployment in deployments.iter_mut().filter(|d| d["status"] == "PRIMARY") {
            deployment["taskDefinition"] = task_definition.clone();
            deployment["rolloutState"] = "COMPLETED".into();
            deployment["runningCount"] = desired.clone();
            deployment["desiredCount"] = desired.clone();
            deployment["pendingCount"] = 0.into();
        }
    }
}

/// A new S3 bucket in the configuration's region.
pub async fn create_bucket(config: &SdkConfig, name: &str) -> anyhow::Result<()> {
    use aws_sdk_s3::types::{BucketLocationConstraint, CreateBucketConfiguration};
    // us-east-1 is the one region whose buckets take no location constraint.
    let location = config
        .region()
        .map(|r| r.as_ref())
        .filter(|r| *r != "us-east-1")
        .map(|r| {
            CreateBucketConfiguration::builder()
                .location_constraint(BucketLocationConstraint::from(r))
                .build()
        });
    aws_sdk_s3::Client::new(config)
        .create_bucket()
        .bucket(name)
        .set_create_bucket_configuration(location)
        .send()
        .await
        .with_context(|| format!("create bucket {name}"))?;
    Ok(())
}

/// A CloudFront distribution in front of `bucket` (its objects under `origin_path`); returns
/// its id.
pub async fn create_distribution(
    config: &SdkConfig,
    bucket: &str,
    origin_path: &str,
) -> anyhow::Result<String> {
    use aws_sdk_cloudfront::types::{
        DefaultCacheBehavior, DistributionConfig, Origin, Origins, S3OriginConfig,
        ViewerProtocolPolicy,
    };
    let origin = Origin::builder()
        .id("site")
        .domain_name(format!("{bucket}.s3.amazonaws.com"))
        .origin_path(origin_path)
        .s3_origin_config(S3OriginConfig::builder().origin_access_identity("").build())
        .build()?;
    let distribution = DistributionConfig::builder()
        .caller_reference(crate::unique_name("ref"))
        .origins(Origins::builder().quantity(1).items(origin).build()?)
        .default_cache_behavior(
            DefaultCacheBehavior::builder()
                .target_origin_id("site")
                .viewer_protocol_policy(ViewerProtocolPolicy::RedirectToHttps)
                .build()?,
        )
        .comment(format!("in front of {bucket}"))
        .enabled(true)
        .build()?;
    let created = aws_sdk_cloudfront::Client::new(config)
        .create_distribution()
        .distribution_config(distribution)
        .send()
        .await
        .context("create distribution")?;
    created
        .distribution()
        .map(|d| d.id().to_owned())
        .context("CloudFront returned no distribution")
}
