//! `cargo xtask bench paths-filter`: the action against bare `git diff` on the same commits.
//!
//! A repository gets one commit that changes 20,000 files; 30 filters of mixed globs (prefixes,
//! extensions, braces, classes, change types, negations) are matched against it. The release
//! binary runs through the runner contract, and `git diff --no-renames --name-status -z` runs
//! bare, alternately, in the same process; the medians and their ratio are printed.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context as _, ensure};
use test_harness::{ActionRun, GitRepo};

use crate::cmd;

const FILES: usize = 20_000;
const RUNS: usize = 15;

pub(crate) fn run(root: &Path, what: &str) -> anyhow::Result<()> {
    ensure!(
        what == "paths-filter",
        "unknown benchmark '{what}' (there is: paths-filter)"
    );
    cmd::step("release build of paths-filter");
    cmd::run(cmd::cargo(root).args([
        "build",
        "--release",
        "--quiet",
        "--package",
        "paths-filter",
    ]))?;
    let binary = root.join("target/release/paths-filter");

    cmd::step(&format!("a repository with {FILES} changed files"));
    let scratch = crate::scratch_dir(root, "bench-paths-filter")?;
    let repo = GitRepo::init(&scratch.join("repo"))?;
    repo.write("README.md", "base\n")?;
    let before = repo.commit_all("base")?;
    for i in 0..FILES {
        repo.write(&file_path(i), "changed\n")?;
    }
    let after = repo.commit_all("20k files")?;
    let filters = filters();

    let action = ActionRun::new(&binary)?
        .workspace(repo.dir())
        .event(
            "push",
            &serde_json::json!({"ref": "refs/heads/main", "before": before, "after": after, "repository": {"default_branch": "main"}}),
        )?
        .env("GITHUB_REF", "refs/heads/main")
        .input("filters", &filters)
        .input("token", "");
    let check = action.run()?;
    ensure!(check.code == 0, "the action failed:\n{}", check.log());
    ensure!(check.outputs.contains_key("changes"), "no changes output");

    let range = format!("{before}..{after}");
    let git_diff = || -> anyhow::Result<()> {
        let status = Command::new("git")
            .args(["diff", "--no-renames", "--name-status", "-z", &range])
            .current_dir(repo.dir())
            .stdout(Stdio::null())
            .status()
            .context("git diff")?;
        ensure!(status.success(), "git diff failed");
        Ok(())
    };
    let mut git_times = Vec::with_capacity(RUNS);
    let mut action_times = Vec::with_capacity(RUNS);
    for _ in 0..RUNS {
        git_times.push(time(git_diff)?);
        action_times.push(time(|| {
            let result = action.run()?;
            ensure!(result.code == 0, "the action failed");
            Ok(())
        })?);
    }
    let git = median(&mut git_times);
    let ours = median(&mut action_times);
    println!("\nmedian of {RUNS} runs, {FILES} changed files, 30 filters:");
    println!("  git diff --name-status  {:>8.1} ms", ms(git));
    println!("  paths-filter (action)   {:>8.1} ms", ms(ours));
    println!(
        "  ratio                   {:>8.2}x  (target: at most 1.30x)",
        ms(ours) / ms(git)
    );
    Ok(())
}

/// Paths spread over services, folders and file types.
fn file_path(i: usize) -> String {
    let ext = ["py", "ts", "tsx", "md", "json", "tf", "yml", "css"][i % 8];
    format!(
        "services/s{:02}/src/m{:02}/f{i:05}.{ext}",
        i % 25,
        (i / 25) % 40
    )
}

/// 30 filters of mixed patterns.
fn filters() -> String {
    let mut yaml = String::new();
    for s in 0..20 {
        yaml.push_str(&format!("svc{s:02}:\n  - 'services/s{s:02}/**'\n  - 'shared/**'\n  - added|modified: 'docker/s{s:02}.Dockerfile'\n"));
    }
    yaml.push_str("python:\n  - '**/*.py'\n  - 'requirements*.txt'\n  - 'pyproject.toml'\n");
    yaml.push_str("web:\n  - '**/*.{ts,tsx,css}'\n  - 'package.json'\n  - 'frontend/**'\n");
    yaml.push_str("docs:\n  - '**/*.md'\n  - 'docs/**'\n  - '*.md'\n");
    yaml.push_str("infra:\n  - '**/*.tf'\n  - 'infra/**'\n  - '.github/**'\n");
    yaml.push_str(
        "config:\n  - '**/*.{json,yml,yaml}'\n  - '!**/package*.json'\n  - 'config/**'\n",
    );
    yaml.push_str("deleted:\n  - deleted: '**'\n  - deleted: 'services/**'\n  - deleted: '*.md'\n");
    yaml.push_str(
        "early:\n  - 'services/s0[0-4]/**'\n  - 'services/s1[0-4]/src/m0?/**'\n  - 'lib/**'\n",
    );
    yaml.push_str("module:\n  - 'services/*/src/m1{0,1,2}/**'\n  - 'services/*/src/m3*/*.py'\n  - 'tools/**'\n");
    yaml.push_str("tests:\n  - '**/test_*.py'\n  - '**/*.spec.ts'\n  - 'tests/**'\n");
    yaml.push_str("root:\n  - '*'\n  - '.*'\n  - 'Makefile'\n");
    yaml
}

fn time(mut f: impl FnMut() -> anyhow::Result<()>) -> anyhow::Result<Duration> {
    let started = Instant::now();
    f()?;
    Ok(started.elapsed())
}

fn median(times: &mut [Duration]) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
