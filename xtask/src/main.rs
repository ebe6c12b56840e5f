//! The project's tasks: `cargo xtask <task>`.
//!
//! - `test`: installs what the tests need, then formatting, clippy, every test (unit and against
//!   the AWS emulator), the workflow linters, and an action run inside the built image.
//! - `demo`: the suite's main job, run locally through the real action binaries against the
//!   AWS emulator on loopback.
//! - `dist`: static release binaries (musl) in `target/dist`.
//! - `image`: the suite's runtime image, built with buildah (no Docker engine needed), and an
//!   action run inside it.
//! - `lint-workflows`: action-validator and actionlint over every action.yml and workflow.
//! - `bench paths-filter`: the action's speed against bare `git diff` on the same commits.
//! - `pin-image <ref@sha256:…>`: points every `action.yml` at a published image digest.
#![allow(clippy::print_stdout, clippy::print_stderr)]

mod bench;
mod cmd;
mod demo;
mod image;
mod lint;
mod pin;
mod tools;

use std::path::PathBuf;
use std::process::ExitCode;

const USAGE: &str =
    "usage: cargo xtask <test | demo | dist | image | lint-workflows | pin-image <ref@sha256:…>>";

/// The workspace root (xtask lives one level below it).
fn root() -> PathBuf {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().map(PathBuf::from).unwrap_or(manifest)
}

/// `target/<name>`, emptied: a scratch directory for one task run.
fn scratch_dir(root: &std::path::Path, name: &str) -> anyhow::Result<PathBuf> {
    use anyhow::Context as _;
    let dir = root.join("target").join(name);
    if dir.exists() {
        std::fs::remove_dir_all(&dir).with_context(|| format!("clean {}", dir.display()))?;
    }
    std::fs::create_dir_all(&dir).with_context(|| format!("create {}", dir.display()))?;
    Ok(dir)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let root = root();
    let result = match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["test"] => test(&root),
        ["demo"] => demo::run(&root),
        ["dist"] => image::dist(&root).map(|_| ()),
        ["image"] => tools::Tools::new(&root).and_then(|t| image::build_and_check(&root, &t)),
        ["lint-workflows"] => tools::Tools::new(&root).and_then(|t| lint::run(&root, &t)),
        ["pin-image", reference] => pin::run(&root, reference),
        ["bench", what] => bench::run(&root, what),
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::FAILURE;
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("xtask: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// Everything CI checks, in order of cost.
fn test(root: &std::path::Path) -> anyhow::Result<()> {
    let tools = tools::Tools::new(root)?;
    let python = tools.python_venv()?;
    cmd::step("cargo fmt --check");
    cmd::run(cmd::cargo(root).args(["fmt", "--all", "--check"]))?;
    cmd::step("cargo clippy");
    cmd::run(cmd::cargo(root).args([
        "clippy",
        "--workspace",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ]))?;
    cmd::step("cargo test");
    let counts = cmd::run_tests(
        cmd::cargo(root)
            .args(["test", "--workspace"])
            .env("SUITE_PYTHON", &python),
    )?;
    cmd::step("the demo");
    demo::run(root)?;
    cmd::step("workflow linters");
    lint::run(root, &tools)?;
    cmd::step("an action inside the runtime image");
    image::build_and_check(root, &tools)?;
    println!("\nxtask test: all checks passed");
    println!("tests: {} passed, {} failed", counts.passed, counts.failed);
    Ok(())
}
