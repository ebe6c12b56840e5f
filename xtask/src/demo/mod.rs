//! `cargo xtask demo`: the suite's main job, run locally on the embedded default.
//!
//! It reads the reference workflow `workflows-examples/monorepo-deploy.yml` and runs it (see
//! [`runner`]): a real git repository as the workspace, the AWS emulator (moto) on loopback
//! with the live infrastructure the workflow expects, a local HTTP server for the smoke
//! checks, and every step that uses one of the suite's actions run through the real binary
//! with the workflow's own inputs. Then a second merge whose release fails its smoke check is
//! deployed by the same workflow and rolled back. Last, two versions of one app are deployed
//! behind one load balancer and the first is reaped ([`versions`]). A change that makes the
//! workflow and the actions disagree fails the demo, and `cargo xtask test` runs it.

mod fixtures;
mod runner;
mod versions;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use test_harness::{
    ActionResult, Emulator, Fault, FaultProxy, GitRepo, Rewriter, Rule, StubResponse, StubServer,
    aws_fixtures,
};

use crate::cmd;
use crate::tools::Tools;
use runner::{JobResult, RunContext};

/// The reference workflow the demo runs.
const WORKFLOW: &str = "workflows-examples/monorepo-deploy.yml";

pub(crate) fn run(root: &Path) -> anyhow::Result<()> {
    Tools::new(root)?.python_venv()?;
    cmd::step("build the action binary");
    cmd::run(cmd::cargo(root).args(["build", "--quiet", "--package", "suite"]))?;
    let workflow = runner::load(&root.join(WORKFLOW))?;
    let region = workflow
        .env
        .iter()
        .find(|(name, _)| name == "AWS_REGION")
        .map(|(_, value)| value.clone())
        .unwrap_or_else(|| "us-east-1".to_owned());
    let cluster = workflow
        .env
        .iter()
        .find(|(name, _)| name == "ECS_CLUSTER")
        .map(|(_, value)| value.clone())
        .unwrap_or_else(|| "default".to_owned());

    let emulator = Emulator::start()?;
    println!("AWS emulator (moto) listening on {}", emulator.endpoint());
    let runtime = tokio::runtime::Runtime::new()?;
    let infra = runtime.block_on(fixtures::Infrastructure::create(
        emulator.endpoint(),
        &region,
        &cluster,
    ))?;
    println!(
        "Live infrastructure in {region}: cluster {cluster} with services backend and mcp, ECR repositories, bucket {}, CloudFront distribution {}",
        infra.bucket, infra.distribution
    );
    let broken = Arc::new(AtomicBool::new(false));
    let site = smoke_server(broken.clone())?;
    println!(
        "Smoke checks answer from a local HTTP server: {}",
        site.url()
    );
    // The emulator never moves an ECS rollout: this proxy reports each one finished.
    let rollouts = FaultProxy::start(
        emulator.addr(),
        vec![Rule::every(
            "DescribeServices",
            Fault::Rewrite(Rewriter(aws_fixtures::finish_ecs_rollouts)),
        )],
    )?;
    println!("(Simulated: the emulator runs no container, so one-off tasks stop at once with exit");
    println!(
        "code 0, and it never moves a rollout, so a proxy in front of it reports each rollout"
    );
    println!("finished. Everything else is the actions' real calls.)");

    let scratch = crate::scratch_dir(root, "demo")?;
    let repo = monorepo(&scratch.join("workspace"))?;
    let vars = BTreeMap::from([
        (
            "AWS_DEPLOY_ROLE_ARN".to_owned(),
            "arn:aws:iam::123456789012:role/deploy".to_owned(),
        ),
        (
            "ECR_REGISTRY".to_owned(),
            format!("123456789012.dkr.ecr.{region}.amazonaws.com"),
        ),
        ("API_URL".to_owned(), site.url()),
        ("MCP_URL".to_owned(), format!("{}/mcp", site.url())),
        ("SITE_URL".to_owned(), format!("{}/site", site.url())),
        ("FRONTEND_BUCKET".to_owned(), infra.bucket.clone()),
        (
            "CLOUDFRONT_DISTRIBUTION_ID".to_owned(),
            infra.distribution.clone(),
        ),
        ("PRIVATE_SUBNETS".to_owned(), infra.subnet.clone()),
        (
            "TASK_SECURITY_GROUP".to_owned(),
            infra.security_group.clone(),
        ),
        // The broken release's smoke check fails for good: no need to retry for minutes.
        ("SMOKE_TIMEOUT_SECONDS".to_owned(), "5".to_owned()),
    ]);
    let simulator = fixtures::Simulated {
        endpoint: emulator.endpoint().to_owned(),
        region: region.clone(),
        workspace: repo.dir().to_path_buf(),
    };

    cmd::step("merge 1: the backend and the frontend change");
    let before = repo.head()?;
    repo.write("backend/app/main.py", "print('backend v2')\n")?;
    repo.write("frontend/src/main.ts", "console.log('frontend v2');\n")?;
    let first = merge(&repo, &before, "Backend endpoint and frontend page")?;
    let context = run_context(root, &repo, &first, &before, &vars, &rollouts)?;
    let report = runner::run_workflow(&workflow, &context, &simulator, &show)?;
    for job in ["test", "changes", "backend", "frontend"] {
        anyhow::ensure!(
            report.job(job) == Some(&JobResult::Succeeded),
            "job {job}: expected it to succeed, got {:?}",
            report.job(job)
        );
    }
    anyhow::ensure!(
        matches!(report.job("mcp"), Some(JobResult::Skipped(_))),
        "the mcp service did not change and must not be deployed"
    );
    let good = report
        .step("backend", "deploy")
        .map(|s| s.output("task-definition-arn").to_owned())
        .ok_or_else(|| anyhow::anyhow!("the backend deploy did not run"))?;

    cmd::step("merge 2: a backend release whose smoke check fails is rolled back");
    broken.store(true, Ordering::SeqCst);
    println!("(From now on the release answers /api/v1/experts with 500 instead of 401.)");
    repo.write("backend/app/main.py", "print('backend v3, broken')\n")?;
    let second = merge(&repo, &first, "Backend change that breaks auth")?;
    let context = run_context(root, &repo, &second, &first, &vars, &rollouts)?;
    let report = runner::run_workflow(&workflow, &context, &simulator, &show)?;
    anyhow::ensure!(
        matches!(report.job("backend"), Some(JobResult::Failed(_))),
        "the broken release must fail the backend job"
    );
    let deploy = report
        .step("backend", "deploy")
        .ok_or_else(|| anyhow::anyhow!("the backend deploy did not run"))?;
    anyhow::ensure!(
        deploy.output("rolled-back") == "true"
            && deploy.output("previous-task-definition-arn") == good,
        "the failed deploy was not rolled back to {good}"
    );
    println!("As expected: the backend job failed and the service is back on {good}.");

    versions::run(&root.join("target/debug/suite"), &show)?;
    println!("\nDemo finished: {WORKFLOW} ran through the runner contract against the emulator.");
    Ok(())
}

/// Commits the workspace as a merge to main; prints the push.
fn merge(repo: &GitRepo, before: &str, message: &str) -> anyhow::Result<String> {
    let sha = repo.commit_all(message)?;
    println!("push to main: {before} -> {sha} ({message})");
    Ok(sha)
}

/// The runner context of a push of `sha` over `before`.
fn run_context(
    root: &Path,
    repo: &GitRepo,
    sha: &str,
    before: &str,
    vars: &BTreeMap<String, String>,
    proxy: &FaultProxy,
) -> anyhow::Result<RunContext> {
    let payload = serde_json::json!({
        "ref": "refs/heads/main",
        "before": before,
        "after": sha,
        "repository": { "default_branch": "main", "full_name": "demo/monorepo" },
    });
    Ok(RunContext {
        suite: root.join("target/debug/suite"),
        workspace: repo.dir().to_path_buf(),
        event: ("push".to_owned(), payload.clone()),
        github: serde_json::json!({
            "sha": sha,
            "ref": "refs/heads/main",
            "repository": "demo/monorepo",
            "event_name": "push",
            "event": payload,
        }),
        vars: vars.clone(),
        secrets: BTreeMap::new(),
        base_env: Emulator::aws_env(&proxy.endpoint()),
    })
}

/// The services' public URLs as a local server: the API (`/…`), the MCP service (`/mcp/…`)
/// and the site (`/site/`). When `broken`, the API answers its auth check with 500.
fn smoke_server(broken: Arc<AtomicBool>) -> anyhow::Result<StubServer> {
    StubServer::start(move |request| match request.path() {
        "/healthz" | "/mcp/healthz" => StubResponse::text(200, "ok"),
        "/openapi.json" => StubResponse::json(200, &serde_json::json!({"openapi": "3.1.0"})),
        "/api/v1/experts" if broken.load(Ordering::SeqCst) => {
            StubResponse::text(500, "internal error")
        }
        "/api/v1/experts" => StubResponse::text(401, "unauthorized"),
        "/site/" => StubResponse::text(200, "<!doctype html><title>demo</title>"),
        _ => StubResponse::text(404, "not found"),
    })
}

/// Prints a step's log, outputs and summary.
fn show(step: &ActionResult) {
    print!("{}", step.stdout);
    for (name, value) in &step.outputs {
        println!("output {name} = {value}");
    }
    if !step.summary.is_empty() {
        println!("--- job summary");
        print!("{}", step.summary);
    }
}

/// A small monorepo in the shape of the user's: backend, MCP service, frontend, infrastructure.
fn monorepo(dir: &Path) -> anyhow::Result<GitRepo> {
    let repo = GitRepo::init(dir)?;
    repo.write(".gitignore", "frontend/dist/\nnode_modules/\n")?;
    repo.write("backend/app/main.py", "print('backend')\n")?;
    repo.write("mcp/server.py", "print('mcp')\n")?;
    repo.write("frontend/src/main.ts", "console.log('frontend');\n")?;
    repo.write(
        "frontend/package.json",
        "{\"name\": \"frontend\", \"scripts\": {\"build\": \"vite build\"}}\n",
    )?;
    repo.write("infra/main.tf", "# infrastructure\n")?;
    repo.write("docker/backend.Dockerfile", "FROM python:3.12-slim\n")?;
    repo.commit_all("Initial monorepo")?;
    Ok(repo)
}
