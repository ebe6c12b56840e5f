//! `cargo xtask demo`: the suite's main job, run locally on the embedded default.
//!
//! It starts the AWS emulator (moto) on loopback, makes a workspace that is a real git
//! repository, and runs the pipeline's steps through the real action binary with a runner-like
//! environment (`INPUT_*`, `GITHUB_OUTPUT`, `GITHUB_STEP_SUMMARY`, an event payload), printing
//! what each step did. It grows with the suite: each action joins the pipeline when it exists.

use std::path::Path;

use test_harness::{
    ActionResult, ActionRun, Emulator, Fault, FaultProxy, GitRepo, Rewriter, Rule, StubResponse,
    StubServer, aws_fixtures,
};

use crate::cmd;
use crate::tools::Tools;

/// The ECR repository of the demo's backend service.
const REPOSITORY: &str = "demo-backend";
/// The backend's task definition family.
const FAMILY: &str = "demo-backend";
/// The demo's ECS cluster.
const CLUSTER: &str = "demo";

/// Registers the backend's task definition and runs it as service `backend` in cluster
/// `demo`, as the infrastructure code would have.
async fn register_live_family(endpoint: &str) -> anyhow::Result<()> {
    let config = Emulator::sdk_config(endpoint).await;
    let definition = serde_json::json!({
        "family": FAMILY,
        "networkMode": "awsvpc",
        "requiresCompatibilities": ["FARGATE"],
        "cpu": "512",
        "memory": "1024",
        "executionRoleArn": "arn:aws:iam::123456789012:role/demo-backend-execution",
        "containerDefinitions": [{
            "name": "api",
            "image": "placeholder",
            "essential": true,
            "memoryReservation": 512,
            "portMappings": [{"containerPort": 8000, "protocol": "tcp"}],
            "environment": [{"name": "DATABASE_HOST", "value": "db.internal"}],
            "secrets": [{"name": "DATABASE_PASSWORD", "valueFrom": "/demo/backend/database-password"}],
            "logConfiguration": {"logDriver": "awslogs", "options": {
                "awslogs-group": "/ecs/demo-backend", "awslogs-region": "us-east-1", "awslogs-stream-prefix": "api"}}
        }]
    });
    let ecs = aws_sdk_ecs::Client::new(&config);
    let arn = render_taskdef::ecs::register(&ecs, &definition).await?;
    ecs.create_cluster().cluster_name(CLUSTER).send().await?;
    ecs.create_service()
        .cluster(CLUSTER)
        .service_name("backend")
        .task_definition(arn)
        .desired_count(2)
        .send()
        .await?;
    Ok(())
}

/// The monorepo's filters, as the user's pipeline gates its deploys: shared paths deploy both.
const FILTERS: &str = "\
backend:
  - 'backend/**'
  - &shared 'docker/**'
  - &infra 'infra/**'
frontend:
  - 'frontend/**'
  - *shared
  - *infra
";

pub(crate) fn run(root: &Path) -> anyhow::Result<()> {
    Tools::new(root)?.python_venv()?;
    cmd::step("build the action binary");
    cmd::run(cmd::cargo(root).args(["build", "--quiet", "--package", "suite"]))?;
    let suite = root.join("target/debug/suite");

    let emulator = Emulator::start()?;
    println!("AWS emulator (moto) listening on {}", emulator.endpoint());
    let scratch = crate::scratch_dir(root, "demo")?;
    let repo = monorepo(&scratch.join("workspace"))?;
    let before = repo.head()?;
    repo.write("backend/app/main.py", "print('backend v2')\n")?;
    let sha = repo.commit_all("Backend: new endpoint")?;
    println!("workspace: git repository at {}", repo.dir().display());
    println!("push to main: {before} -> {sha} (changes backend/app/main.py)");
    let payload = serde_json::json!({
        "ref": "refs/heads/main",
        "before": before,
        "after": sha,
        "repository": { "default_branch": "main", "full_name": "demo/monorepo" },
    });
    let action = |name: &str| -> anyhow::Result<ActionRun> {
        Ok(ActionRun::new(&suite)?
            .arg(name)
            .workspace(repo.dir())
            .event("push", &payload)?
            .env("GITHUB_SHA", &sha)
            .env("GITHUB_REF", "refs/heads/main")
            .env("GITHUB_REPOSITORY", "demo/monorepo")
            .envs(Emulator::aws_env(emulator.endpoint())))
    };

    cmd::step("changes: paths-filter decides which services to deploy");
    let changes = action("paths-filter")?
        .input("filters", FILTERS)
        .input("token", "")
        .input("list-files", "json")
        .run()?;
    report(&changes)?;

    for service in ["frontend", "backend"] {
        if changes.output(service) != "true" {
            println!("\n==> {service}: skipped, no change under its paths");
        }
    }
    if changes.output("backend") == "true" {
        cmd::step("backend: build and push the image (simulated)");
        let runtime = tokio::runtime::Runtime::new()?;
        let digest = runtime.block_on(async {
            let config = Emulator::sdk_config(emulator.endpoint()).await;
            aws_fixtures::push_synthetic_image(&config, REPOSITORY, &sha, "demo backend").await
        })?;
        println!(
            "The emulator has no registry to `docker push` to: the demo puts a synthetic manifest"
        );
        println!("as {REPOSITORY}:{sha} ({digest}), which is what a push leaves in ECR.");

        cmd::step("backend: ecr-tag adds `latest` to the image built from this commit");
        let tagged = action("ecr-tag")?
            .input("repository", REPOSITORY)
            .input("source-tag", &sha)
            .input("tags", "latest")
            .run()?;
        report(&tagged)?;

        cmd::step(
            "backend: render-taskdef renders the live task definition with this image, pinned by digest",
        );
        runtime.block_on(register_live_family(emulator.endpoint()))?;
        println!(
            "(The live family {FAMILY} and service `backend` stand for what the infrastructure code made.)"
        );
        let rendered = action("render-taskdef")?
            .input("task-definition-family", FAMILY)
            .input("container-name", "api")
            .input(
                "image",
                &format!("123456789012.dkr.ecr.us-east-1.amazonaws.com/{REPOSITORY}:{sha}"),
            )
            .input("pin-image-digest", "true")
            .input("environment-variables", &format!("GIT_SHA={sha}"))
            .run()?;
        report(&rendered)?;

        cmd::step(
            "backend: ecs-deploy runs the migration, updates the service, waits, smoke-checks",
        );
        let subnet = runtime.block_on(async {
            aws_fixtures::stop_tasks_at_once(emulator.endpoint()).await?;
            aws_fixtures::default_subnet(emulator.endpoint()).await
        })?;
        let site = StubServer::start(|request| match request.path() {
            "/healthz" => StubResponse::text(200, "ok"),
            "/openapi.json" => StubResponse::json(200, &serde_json::json!({"openapi": "3.1.0"})),
            "/api/v1/experts" => StubResponse::text(401, "unauthorized"),
            _ => StubResponse::text(500, "internal error"),
        })?;
        let rollouts = FaultProxy::start(
            emulator.addr(),
            vec![Rule::every(
                "DescribeServices",
                Fault::Rewrite(Rewriter(aws_fixtures::finish_ecs_rollouts)),
            )],
        )?;
        println!("(Simulated: the emulator runs no container, so the migration task stops at once");
        println!(
            "with exit code 0; and it never moves a rollout, so a proxy in front of it reports"
        );
        println!(
            "each rollout finished. The smoke checks ask a local HTTP server: {})",
            site.url()
        );
        let deploy = |smoke_checks: &str| -> anyhow::Result<ActionResult> {
            action("ecs-deploy")?
                .envs(Emulator::aws_env(&rollouts.endpoint()))
                .input("task-definition", rendered.output("task-definition"))
                .input("cluster", CLUSTER)
                .input("service", "backend")
                .input("pre-deploy-command", "alembic upgrade head")
                .input("run-task-subnets", &subnet)
                .input("wait-for-service-stability", "true")
                .input("smoke-checks", smoke_checks)
                .input("smoke-timeout-seconds", "3")
                .run()
        };
        let url = site.url();
        let deployed = deploy(&format!(
            "GET {url}/healthz 200\nGET {url}/openapi.json 200\nGET {url}/api/v1/experts 401"
        ))?;
        report(&deployed)?;

        cmd::step("backend: a second deploy whose smoke check fails is rolled back");
        println!("(Its check asks for /api/v2/experts, which this release answers with 500.)");
        let failed = deploy(&format!("GET {url}/api/v2/experts 401"))?;
        report_expected_failure(&failed)?;
        anyhow::ensure!(
            failed.output("rolled-back") == "true"
                && failed.output("previous-task-definition-arn")
                    == deployed.output("task-definition-arn"),
            "the failed deploy was not rolled back to the good revision"
        );
        println!("As expected: the step failed and the service is back on the good revision.");
    }

    println!("\nDemo finished: every step ran through the runner contract against the emulator.");
    Ok(())
}

/// Prints a step's log, outputs and summary; fails when the step did.
fn report(step: &ActionResult) -> anyhow::Result<()> {
    println!("--- log");
    print!("{}", step.stdout);
    println!("--- outputs");
    for (name, value) in &step.outputs {
        println!("{name} = {value}");
    }
    println!("--- job summary");
    print!("{}", step.summary);
    anyhow::ensure!(
        step.code == 0,
        "the step failed with exit code {}:\n{}",
        step.code,
        step.stderr
    );
    Ok(())
}

/// Prints a step that must fail; fails when it did not.
fn report_expected_failure(step: &ActionResult) -> anyhow::Result<()> {
    anyhow::ensure!(
        step.code == 1,
        "the step should have failed:\n{}",
        step.stdout
    );
    println!("--- log");
    print!("{}", step.stdout);
    println!("--- job summary");
    print!("{}", step.summary);
    Ok(())
}

/// A small monorepo in the shape of the user's: backend, frontend, infrastructure.
fn monorepo(dir: &Path) -> anyhow::Result<GitRepo> {
    let repo = GitRepo::init(dir)?;
    repo.write("backend/app/main.py", "print('backend')\n")?;
    repo.write("frontend/src/main.ts", "console.log('frontend');\n")?;
    repo.write("infra/main.tf", "# infrastructure\n")?;
    repo.write("docker/backend.Dockerfile", "FROM python:3.12-slim\n")?;
    repo.commit_all("Initial monorepo")?;
    Ok(repo)
}
