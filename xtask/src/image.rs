//! The release binary and the runtime image, built and checked without a Docker engine.
//!
//! `dist` builds the multi-call binary for the musl target (static, rustls only). `build` puts
//! it into the image of `packaging/Dockerfile` with buildah (vfs storage, chroot isolation), on
//! a Debian bookworm base made here with debootstrap, since no container registry is reachable.
//! `smoke_test` runs actions inside that image the way a runner would (a direct entrypoint,
//! `INPUT_*`, mounted file commands and workspace): ecr-tag against the AWS emulator on
//! loopback, and paths-filter on a workspace owned by another user, as a runner mounts it.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context as _, bail, ensure};
use test_harness::{Emulator, GitRepo, aws_fixtures, parse_file_commands, unique_name};

use crate::cmd;
use crate::tools::{MUSL_TARGET, Tools};

/// The local image's name.
const IMAGE: &str = "localhost/shipwright-suite:dev";
/// The local stand-in for `debian:bookworm-slim`.
const BASE: &str = "localhost/debian-bookworm-minbase:local";
/// The uid GitHub's hosted runners check out the workspace as (the container runs as root).
const RUNNER_UID: &str = "1001";

/// Builds the static release binary into `target/dist/`; returns its path.
pub(crate) fn dist(root: &Path) -> anyhow::Result<PathBuf> {
    Tools::new(root)?.musl()?;
    cmd::step(&format!("release build for {MUSL_TARGET}"));
    cmd::run(cmd::cargo(root).args([
        "build",
        "--release",
        "--locked",
        "--package",
        "suite",
        "--target",
        MUSL_TARGET,
    ]))?;
    let built = root.join(format!("target/{MUSL_TARGET}/release/suite"));
    let dist = root.join("target/dist");
    std::fs::create_dir_all(&dist)?;
    let target = dist.join(format!("suite-{MUSL_TARGET}"));
    std::fs::copy(&built, &target).with_context(|| format!("copy {}", built.display()))?;
    let size = std::fs::metadata(&target)?.len();
    println!(
        "{}: {:.1} MiB",
        target.display(),
        size as f64 / (1024.0 * 1024.0)
    );
    Ok(target)
}

fn buildah() -> Command {
    let mut command = Command::new("buildah");
    command.args(["--storage-driver", "vfs"]);
    command
}

/// Builds the runtime image, then runs actions inside it.
pub(crate) fn build_and_check(root: &Path, tools: &Tools) -> anyhow::Result<()> {
    build(root, tools)?;
    smoke_test(root, tools)
}

/// A Debian bookworm base image, made once with debootstrap from Debian's own packages.
fn base_image(root: &Path, tools: &Tools) -> anyhow::Result<()> {
    let present = buildah()
        .args(["inspect", "--type", "image", BASE])
        .output()
        .is_ok_and(|o| o.status.success());
    if present {
        return Ok(());
    }
    tools.debootstrap()?;
    cmd::step("Debian bookworm base image (debootstrap)");
    let context = crate::scratch_dir(root, "image-base")?;
    let rootfs = context.join("rootfs");
    cmd::run(
        Command::new("debootstrap")
            .args(["--variant=minbase", "bookworm"])
            .arg(&rootfs),
    )?;
    cmd::run(
        Command::new("tar")
            .arg("-C")
            .arg(&rootfs)
            .args(["--exclude=./dev/*", "-cf"])
            .arg(context.join("rootfs.tar"))
            .arg("."),
    )?;
    std::fs::remove_dir_all(&rootfs)?;
    std::fs::write(
        context.join("Dockerfile"),
        "FROM scratch\nADD rootfs.tar /\nENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n",
    )?;
    cmd::run(
        buildah()
            .args(["bud", "--isolation", "chroot", "--quiet", "-t", BASE])
            .arg(&context),
    )?;
    std::fs::remove_dir_all(&context)?;
    Ok(())
}

/// Builds the runtime image from `packaging/Dockerfile`.
fn build(root: &Path, tools: &Tools) -> anyhow::Result<()> {
    let binary = dist(root)?;
    tools.buildah()?;
    base_image(root, tools)?;
    let context = crate::scratch_dir(root, "image-context")?;
    std::fs::create_dir_all(context.join("dist/amd64"))?;
    std::fs::copy(&binary, context.join("dist/amd64/suite"))?;
    cmd::step("runtime image (buildah)");
    cmd::run(
        buildah()
            .args(["bud", "--isolation", "chroot", "--quiet", "--pull=false"])
            .args(["--build-arg", &format!("BASE={BASE}"), "-t", IMAGE, "-f"])
            .arg(root.join("packaging/Dockerfile"))
            .arg(&context),
    )?;
    let size = cmd::output(buildah().args(["images", "--format", "{{.Size}}", IMAGE]))?;
    println!("image {IMAGE}: {} (uncompressed)", size.trim());
    // The previous build's image lost its name to this one: free its space (vfs keeps full copies).
    let _ = cmd::output(buildah().args(["rmi", "--prune"]));
    Ok(())
}

/// Runs `suite <action>` in a container of the image with `env`, the runner's file-command
/// directory and, if given, a workspace mounted where the runner mounts them.
fn run_in_image(
    action: &str,
    env: &[(String, String)],
    file_commands: &Path,
    workspace: Option<&Path>,
) -> anyhow::Result<()> {
    let container = cmd::output(buildah().args(["from", "--quiet", "--pull=false", IMAGE]))?
        .trim()
        .to_owned();
    let mut run = buildah();
    run.args(["run", "--isolation", "chroot", "--network", "host"]);
    for (name, value) in env {
        run.arg("--env").arg(format!("{name}={value}"));
    }
    run.arg("-v")
        .arg(format!("{}:/github/file_commands", file_commands.display()));
    if let Some(workspace) = workspace {
        run.arg("-v")
            .arg(format!("{}:/github/workspace", workspace.display()))
            .args(["--workingdir", "/github/workspace"]);
    }
    run.args([container.as_str(), "--", "/suite", action]);
    let result = cmd::run(&mut run);
    let _ = cmd::output(buildah().args(["rm", &container]));
    result
}

fn runner_env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut env: Vec<(String, String)> = [
        ("GITHUB_OUTPUT", "/github/file_commands/set_output"),
        ("GITHUB_STEP_SUMMARY", "/github/file_commands/step_summary"),
        ("GITHUB_ACTIONS", "true"),
        ("HOME", "/github/home"),
    ]
    .iter()
    .chain(pairs)
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect();
    env.sort();
    env
}

fn outputs(file_commands: &Path) -> anyhow::Result<std::collections::BTreeMap<String, String>> {
    parse_file_commands(&std::fs::read_to_string(file_commands.join("set_output"))?)
}

/// Runs `ecr-tag` and `paths-filter` inside the image and checks what they wrote.
fn smoke_test(root: &Path, tools: &Tools) -> anyhow::Result<()> {
    // The emulator launcher looks for SUITE_PYTHON or the checkout's venv.
    tools.python_venv()?;
    let emulator = Emulator::start()?;
    let runtime = tokio::runtime::Runtime::new()?;
    let repository = unique_name("image-smoke");
    let digest = runtime.block_on(async {
        let config = Emulator::sdk_config(emulator.endpoint()).await;
        aws_fixtures::push_synthetic_image(&config, &repository, "abc123", "image smoke test").await
    })?;

    let file_commands = crate::scratch_dir(root, "image-smoke")?;
    let mut env = Emulator::aws_env(emulator.endpoint());
    env.extend(runner_env(&[
        ("INPUT_REPOSITORY", &repository),
        ("INPUT_SOURCE-TAG", "abc123"),
        ("INPUT_TAGS", "latest"),
    ]));
    run_in_image("ecr-tag", &env, &file_commands, None)?;
    let tagged = outputs(&file_commands)?;
    ensure!(
        tagged.get("digest") == Some(&digest),
        "ecr-tag in the image wrote digest {:?}, expected {digest}",
        tagged.get("digest")
    );
    let tags = runtime.block_on(async {
        let config = Emulator::sdk_config(emulator.endpoint()).await;
        aws_fixtures::tags_of(&config, &repository, &digest).await
    })?;
    if tags != ["abc123", "latest"] {
        bail!("after ecr-tag ran in the image, the image has tags {tags:?}");
    }
    println!("ecr-tag ran inside {IMAGE}: digest {digest}, tags {tags:?}");

    // paths-filter runs git in the container, on a workspace that belongs to the runner's
    // user, not to the container's root: git refuses it unless it is trusted explicitly.
    let scratch = crate::scratch_dir(root, "image-smoke-git")?;
    let repo = GitRepo::init(&scratch.join("workspace"))?;
    repo.write("backend/app.py", "v1\n")?;
    repo.write("frontend/main.ts", "v1\n")?;
    let before = repo.commit_all("base")?;
    repo.write("backend/app.py", "v2\n")?;
    let after = repo.commit_all("backend change")?;
    let event = scratch.join("event.json");
    std::fs::write(
        &event,
        serde_json::json!({"ref": "refs/heads/main", "before": before, "after": after,
                           "repository": {"default_branch": "main"}})
        .to_string(),
    )?;
    std::fs::copy(&event, file_commands.join("event.json"))?;
    cmd::run(
        Command::new("chown")
            .args(["-R", &format!("{RUNNER_UID}:{RUNNER_UID}")])
            .arg(repo.dir()),
    )?;
    std::fs::write(file_commands.join("set_output"), "")?;
    let env = runner_env(&[
        ("GITHUB_EVENT_NAME", "push"),
        ("GITHUB_EVENT_PATH", "/github/file_commands/event.json"),
        ("GITHUB_REF", "refs/heads/main"),
        ("GITHUB_WORKSPACE", "/github/workspace"),
        (
            "INPUT_FILTERS",
            "backend: 'backend/**'\nfrontend: 'frontend/**'\n",
        ),
        ("INPUT_LIST-FILES", "json"),
    ]);
    run_in_image("paths-filter", &env, &file_commands, Some(repo.dir()))?;
    let filtered = outputs(&file_commands)?;
    ensure!(
        filtered.get("changes").map(String::as_str) == Some("[\"backend\"]")
            && filtered.get("backend_files").map(String::as_str) == Some("[\"backend/app.py\"]"),
        "paths-filter in the image wrote {filtered:?}"
    );
    println!(
        "paths-filter ran inside {IMAGE}: changes {}",
        filtered["changes"]
    );
    Ok(())
}
