//! The release binary and the runtime image, built and checked without a Docker engine.
//!
//! `dist` builds the multi-call binary for the musl target (static, rustls only). `build` puts
//! it with the CA bundle into a `FROM scratch` image with buildah (vfs storage, chroot
//! isolation). `smoke_test` runs an action inside that image the way a runner would, against
//! the AWS emulator on loopback, and checks its outputs file.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context as _, bail, ensure};
use test_harness::{Emulator, aws_fixtures, parse_file_commands, unique_name};

use crate::cmd;
use crate::tools::{MUSL_TARGET, Tools};

/// The local image's name.
const IMAGE: &str = "localhost/shipwright-suite:dev";

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

/// Builds the runtime image, then runs an action inside it.
pub(crate) fn build_and_check(root: &Path, tools: &Tools) -> anyhow::Result<()> {
    build(root, tools)?;
    smoke_test(root, tools)
}

/// Builds the runtime image from `packaging/Dockerfile`.
fn build(root: &Path, tools: &Tools) -> anyhow::Result<()> {
    let binary = dist(root)?;
    tools.buildah()?;
    let context = root.join("target/image-context");
    if context.exists() {
        std::fs::remove_dir_all(&context)?;
    }
    std::fs::create_dir_all(context.join("dist/amd64"))?;
    std::fs::create_dir_all(context.join("tmp"))?;
    std::fs::copy(&binary, context.join("dist/amd64/suite"))?;
    std::fs::copy(
        "/etc/ssl/certs/ca-certificates.crt",
        context.join("ca-certificates.crt"),
    )
    .context("copy the CA bundle (apt-get install ca-certificates)")?;
    cmd::step("runtime image (buildah)");
    cmd::run(
        buildah()
            .args(["bud", "--isolation", "chroot", "--quiet", "-t", IMAGE, "-f"])
            .arg(root.join("packaging/Dockerfile"))
            .arg(&context),
    )?;
    let size = cmd::output(buildah().args(["images", "--format", "{{.Size}}", IMAGE]))?;
    println!("image {IMAGE}: {}", size.trim());
    Ok(())
}

/// Runs `ecr-tag` inside the image against the emulator and checks what it wrote.
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
    let container = cmd::output(buildah().args(["from", "--quiet", IMAGE]))?
        .trim()
        .to_owned();
    let mut run = buildah();
    run.args(["run", "--isolation", "chroot", "--network", "host"]);
    let mut env = Emulator::aws_env(emulator.endpoint());
    env.extend(
        [
            ("INPUT_REPOSITORY", repository.as_str()),
            ("INPUT_SOURCE-TAG", "abc123"),
            ("INPUT_TAGS", "latest"),
            ("GITHUB_OUTPUT", "/github/file_commands/set_output"),
            ("GITHUB_STEP_SUMMARY", "/github/file_commands/step_summary"),
            ("GITHUB_ACTIONS", "true"),
            ("HOME", "/tmp"),
        ]
        .map(|(k, v)| (k.to_owned(), v.to_owned())),
    );
    for (name, value) in &env {
        run.arg("--env").arg(format!("{name}={value}"));
    }
    run.arg("-v")
        .arg(format!("{}:/github/file_commands", file_commands.display()))
        .args([container.as_str(), "--", "/suite", "ecr-tag"]);
    let result = cmd::run(&mut run);
    let _ = cmd::output(buildah().args(["rm", &container]));
    result?;

    let outputs = parse_file_commands(&std::fs::read_to_string(file_commands.join("set_output"))?)?;
    ensure!(
        outputs.get("digest") == Some(&digest),
        "the action in the image wrote digest {:?}, expected {digest}",
        outputs.get("digest")
    );
    let tags = runtime.block_on(async {
        let config = Emulator::sdk_config(emulator.endpoint()).await;
        aws_fixtures::tags_of(&config, &repository, &digest).await
    })?;
    if tags != ["abc123", "latest"] {
        bail!("after the run in the image, the image has tags {tags:?}");
    }
    println!("ecr-tag ran inside {IMAGE}: outputs {outputs:?}, tags {tags:?}");
    Ok(())
}
