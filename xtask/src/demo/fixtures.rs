//! The live infrastructure the reference workflow deploys into, made in the emulator as the
//! infrastructure code would have made it, and what the workflow's other steps leave behind
//! (an image pushed by the build step, a site built by npm), simulated.

use std::collections::BTreeMap;
use std::path::PathBuf;

use test_harness::Emulator;
use test_harness::aws_fixtures::{self, DefaultNetwork};
use workflow_model::Step;

/// What the workflow's variables point at.
#[derive(Debug)]
pub(crate) struct Infrastructure {
    /// The frontend's bucket.
    pub(crate) bucket: String,
    /// The CloudFront distribution in front of it.
    pub(crate) distribution: String,
    /// A subnet for one-off tasks.
    pub(crate) subnet: String,
    /// Their security group.
    pub(crate) security_group: String,
}

/// An SDK configuration for the emulator in `region`.
async fn config(endpoint: &str, region: &str) -> aws_config::SdkConfig {
    Emulator::sdk_config(endpoint)
        .await
        .into_builder()
        .region(aws_config::Region::new(region.to_owned()))
        .build()
}

/// A Fargate task definition of `family` whose one container is `container`.
fn definition(family: &str, container: &str, port: u16) -> serde_json::Value {
    serde_json::json!({
        "family": family,
        "networkMode": "awsvpc",
        "requiresCompatibilities": ["FARGATE"],
        "cpu": "512",
        "memory": "1024",
        "executionRoleArn": format!("arn:aws:iam::123456789012:role/{family}-execution"),
        "containerDefinitions": [{
            "name": container,
            "image": "placeholder",
            "essential": true,
            "memoryReservation": 512,
            "portMappings": [{"containerPort": port, "protocol": "tcp"}],
            "environment": [{"name": "DATABASE_HOST", "value": "db.internal"}],
            "logConfiguration": {"logDriver": "awslogs", "options": {
                "awslogs-group": format!("/ecs/{family}"), "awslogs-region": "us-east-1", "awslogs-stream-prefix": container}}
        }]
    })
}

impl Infrastructure {
    /// Cluster `cluster` with services `backend` (container `api`) and `mcp` on their first
    /// revisions, the frontend's bucket and distribution, in `region`.
    pub(crate) async fn create(
        endpoint: &str,
        region: &str,
        cluster: &str,
    ) -> anyhow::Result<Self> {
        let config = config(endpoint, region).await;
        let ecs = aws_sdk_ecs::Client::new(&config);
        ecs.create_cluster().cluster_name(cluster).send().await?;
        for (service, container, port) in [("backend", "api", 8000), ("mcp", "mcp", 8080)] {
            let arn =
                render_taskdef::ecs::register(&ecs, &definition(service, container, port)).await?;
            ecs.create_service()
                .cluster(cluster)
                .service_name(service)
                .task_definition(arn)
                .desired_count(2)
                .send()
                .await?;
        }
        aws_fixtures::stop_tasks_at_once(endpoint).await?;
        let network = DefaultNetwork::of(endpoint, region).await?;
        let bucket = "demo-frontend".to_owned();
        aws_fixtures::create_bucket(&config, &bucket).await?;
        let distribution = aws_fixtures::create_distribution(&config, &bucket, "").await?;
        Ok(Self {
            bucket,
            distribution,
            subnet: network.subnet,
            security_group: network.security_group,
        })
    }
}

/// What the steps the demo does not run would have left behind.
#[derive(Debug)]
pub(crate) struct Simulated {
    /// The emulator.
    pub(crate) endpoint: String,
    /// The workflow's region.
    pub(crate) region: String,
    /// The workspace.
    pub(crate) workspace: PathBuf,
}

impl Simulated {
    /// `docker/build-push-action` pushed its tags: the emulator has no registry to push to,
    /// so a synthetic manifest goes to ECR under each tag (`<registry>/<repository>:<tag>`).
    fn pushed(&self, tags: &str) -> anyhow::Result<String> {
        let runtime = tokio::runtime::Runtime::new()?;
        let mut pushed = Vec::new();
        for tag in tags
            .lines()
            .flat_map(|l| l.split(','))
            .map(str::trim)
            .filter(|t| !t.is_empty())
        {
            let path = tag.split_once('/').map_or(tag, |(_, path)| path);
            let (repository, tag_name) = path.rsplit_once(':').unwrap_or((path, "latest"));
            let digest = runtime.block_on(async {
                let config = config(&self.endpoint, &self.region).await;
                aws_fixtures::push_synthetic_image(&config, repository, tag_name, tag).await
            })?;
            pushed.push(format!("{repository}:{tag_name} ({digest})"));
        }
        Ok(format!("pushed {}", pushed.join(", ")))
    }

    /// `npm run build` wrote the site: an entry page and a fingerprinted bundle.
    fn built(&self) -> anyhow::Result<String> {
        let dist = self.workspace.join("frontend/dist");
        std::fs::create_dir_all(dist.join("assets"))?;
        let source = std::fs::read_to_string(self.workspace.join("frontend/src/main.ts"))?;
        let hash = format!(
            "{:08x}",
            source
                .bytes()
                .fold(0u32, |h, b| h.wrapping_mul(31).wrapping_add(u32::from(b)))
        );
        std::fs::write(dist.join(format!("assets/app-{hash}.js")), &source)?;
        std::fs::write(
            dist.join("index.html"),
            format!(
                "<!doctype html><script type=\"module\" src=\"/assets/app-{hash}.js\"></script>\n"
            ),
        )?;
        Ok(format!(
            "frontend/dist with index.html and assets/app-{hash}.js"
        ))
    }
}

impl super::runner::Simulator for Simulated {
    fn simulate(
        &self,
        step: &Step,
        with: &BTreeMap<String, String>,
    ) -> anyhow::Result<Option<String>> {
        let uses = step.uses.as_deref().unwrap_or_default();
        if uses.starts_with("docker/build-push-action@")
            && with.get("push").is_some_and(|p| p == "true")
        {
            return Ok(Some(
                self.pushed(with.get("tags").map_or("", String::as_str))?,
            ));
        }
        if step
            .run
            .as_deref()
            .is_some_and(|r| r.contains("npm run build"))
        {
            return Ok(Some(self.built()?));
        }
        Ok(None)
    }
}
