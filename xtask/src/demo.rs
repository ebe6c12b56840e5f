//! `cargo xtask demo`: the suite's main job, run locally on the embedded default.
//!
//! It starts the AWS emulator (moto) on loopback, makes a workspace that is a real git
//! repository, and runs the pipeline's steps through the real action binary with a runner-like
//! environment (`INPUT_*`, `GITHUB_OUTPUT`, `GITHUB_STEP_SUMMARY`, an event payload), printing
//! what each step did. It grows with the suite: each action joins the pipeline when it exists.

use std::path::Path;

use test_harness::{ActionResult, ActionRun, Emulator, GitRepo, aws_fixtures};

use crate::cmd;
use crate::tools::Tools;

/// The ECR repository of the demo's backend service.
const REPOSITORY: &str = "demo-backend";

pub(crate) fn run(root: &Path) -> anyhow::Result<()> {
    Tools::new(root)?.python_venv()?;
    cmd::step("build the action binary");
    cmd::run(cmd::cargo(root).args(["build", "--quiet", "--package", "suite"]))?;
    let suite = root.join("target/debug/suite");

    let emulator = Emulator::start()?;
    println!("AWS emulator (moto) listening on {}", emulator.endpoint());
    let scratch = crate::scratch_dir(root, "demo")?;
    let repo = monorepo(&scratch.join("workspace"))?;
    let sha = repo.head()?;
    println!(
        "workspace: git repository at {} (HEAD {sha})",
        repo.dir().display()
    );

    cmd::step("build and push the backend image (simulated)");
    let runtime = tokio::runtime::Runtime::new()?;
    let digest = runtime.block_on(async {
        let config = Emulator::sdk_config(emulator.endpoint()).await;
        aws_fixtures::push_synthetic_image(&config, REPOSITORY, &sha, "demo backend").await
    })?;
    println!(
        "The emulator has no registry to `docker push` to: the demo puts a synthetic manifest"
    );
    println!("as {REPOSITORY}:{sha} ({digest}), which is what a push leaves in ECR.");

    cmd::step("ecr-tag: add `latest` to the image built from this commit");
    let payload = serde_json::json!({
        "ref": "refs/heads/main",
        "after": sha,
        "repository": { "default_branch": "main", "full_name": "demo/monorepo" },
    });
    let step = ActionRun::new(&suite)?
        .arg("ecr-tag")
        .workspace(repo.dir())
        .event("push", &payload)?
        .env("GITHUB_SHA", &sha)
        .env("GITHUB_REF", "refs/heads/main")
        .envs(Emulator::aws_env(emulator.endpoint()))
        .input("repository", REPOSITORY)
        .input("source-tag", &sha)
        .input("tags", "latest")
        .run()?;
    report(&step)?;

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
