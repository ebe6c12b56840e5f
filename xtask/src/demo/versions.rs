//! The multi-version part of the demo: two versions of one app deployed behind one load
//! balancer by `ecs-deploy-version`, the versions and routing tables shown by `ecs-versions`,
//! and the first version reaped once its last task said it was ready to shut down.

use std::path::Path;

use ecs_deploy::versions::names;
use test_harness::aws_fixtures::DefaultNetwork;
use test_harness::{ActionResult, ActionRun, Emulator, alb_fixtures, unique_name};

use crate::cmd;

/// The deployment name of the demo's app.
const NAME: &str = "pulse";

/// Where the versions run.
struct Stage {
    emulator: Emulator,
    config: aws_config::SdkConfig,
    cluster: String,
    listener: String,
    subnet: String,
    workspace: tempfile::TempDir,
}

impl Stage {
    async fn new() -> anyhow::Result<Self> {
        // A new service reports its tasks running (the emulator runs none).
        let emulator = Emulator::start_with_env(&[("MOTO_ECS_SERVICE_RUNNING", "1")])?;
        let config = Emulator::sdk_config(emulator.endpoint()).await;
        let network = DefaultNetwork::of(emulator.endpoint(), test_harness::TEST_REGION).await?;
        let cluster = unique_name("versions");
        aws_sdk_ecs::Client::new(&config)
            .create_cluster()
            .cluster_name(&cluster)
            .send()
            .await?;
        let listener =
            alb_fixtures::application_listener(&config, "pulse-alb", &network.subnet).await?;
        let workspace = tempfile::tempdir()?;
        let definition = serde_json::json!({
            "family": NAME,
            "networkMode": "awsvpc",
            "requiresCompatibilities": ["FARGATE"],
            "cpu": "256",
            "memory": "512",
            "containerDefinitions": [{"name": "app", "image": "pulse:1", "memory": 256,
                "portMappings": [{"containerPort": 8000}]}]
        });
        std::fs::write(workspace.path().join("td.json"), definition.to_string())?;
        Ok(Self {
            emulator,
            config,
            cluster,
            listener,
            subnet: network.subnet,
            workspace,
        })
    }

    fn action(&self, suite: &Path, action: &str) -> anyhow::Result<ActionRun> {
        Ok(ActionRun::new(suite)?
            .arg(action)
            .workspace(self.workspace.path())
            .envs(Emulator::aws_env(self.emulator.endpoint()))
            .input("deployment-name", NAME)
            .input("cluster", &self.cluster)
            .input("listener-arn", &self.listener))
    }

    /// Deploys version `id`; meanwhile its target registers as soon as its target group
    /// exists (simulated: the emulator's ECS registers none).
    async fn deploy(&self, suite: &Path, id: &str) -> anyhow::Result<ActionResult> {
        let run = self
            .action(suite, "ecs-deploy-version")?
            .input("deployment-id", id)
            .input("task-definition", "td.json")
            .input("subnets", &self.subnet)
            .input("poll-seconds", "1")
            .input("wait-for-minutes", "1");
        let registrar = tokio::spawn(alb_fixtures::register_target_when_created(
            self.config.clone(),
            names::target_group_name(NAME, id),
        ));
        let result = tokio::task::spawn_blocking(move || run.run()).await??;
        registrar.abort();
        Ok(result)
    }
}

/// Runs the multi-version part; `show` prints a step.
pub(crate) fn run(suite: &Path, show: &dyn Fn(&ActionResult)) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async {
        let stage = Stage::new().await?;
        println!(
            "A second emulator with a load balancer, listener {} and cluster {}",
            stage.listener, stage.cluster
        );
        for id in ["v1", "v2"] {
            cmd::step(&format!("multi-version: ecs-deploy-version deploys {id}"));
            let deployed = stage.deploy(suite, id).await?;
            show(&deployed);
            anyhow::ensure!(
                deployed.code == 0,
                "deploying {id} failed:\n{}",
                deployed.log()
            );
        }

        cmd::step("multi-version: the last task of v1 closes its last session");
        let task = alb_fixtures::run_service_task(
            &stage.config,
            &stage.cluster,
            &names::service_name(NAME, "v1"),
            &stage.subnet,
        )
        .await?;
        alb_fixtures::put_shutdown_ready(&stage.config, NAME, "v1", &task, 1.0).await?;
        println!(
            "(Simulated: task {task} of v1 runs, and publishes ShutdownReady = 1 as the app would.)"
        );

        cmd::step("multi-version: ecs-versions reaps the finished version");
        let reap = stage
            .action(suite, "ecs-versions")?
            .input("operation", "reap")
            .input("min-drain-age-seconds", "0");
        let reaped = tokio::task::spawn_blocking(move || reap.run()).await??;
        show(&reaped);
        anyhow::ensure!(reaped.code == 0, "the reaper failed:\n{}", reaped.log());
        anyhow::ensure!(
            reaped.output("reaped").contains("v1"),
            "v1 was not reaped: {}",
            reaped.output("reaped")
        );

        cmd::step("multi-version: ecs-versions shows what is left");
        let status = stage
            .action(suite, "ecs-versions")?
            .input("operation", "status");
        let status = tokio::task::spawn_blocking(move || status.run()).await??;
        show(&status);
        anyhow::ensure!(status.code == 0, "status failed:\n{}", status.log());
        Ok(())
    })
}
