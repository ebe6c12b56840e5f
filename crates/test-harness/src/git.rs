//! Real git repositories for tests and the demo, made with the `git` program.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context as _, bail};

/// A git repository in a directory the caller owns.
#[derive(Debug, Clone)]
pub struct GitRepo {
    dir: PathBuf,
}

impl GitRepo {
    /// `git init` with `main` as the first branch and a fixed identity.
    pub fn init(dir: &Path) -> anyhow::Result<Self> {
        std::fs::create_dir_all(dir)?;
        let repo = Self {
            dir: dir.to_path_buf(),
        };
        repo.git(&["init", "--quiet", "--initial-branch=main"])?;
        repo.git(&["config", "user.name", "Suite Tests"])?;
        repo.git(&["config", "user.email", "tests@example.invalid"])?;
        repo.git(&["config", "commit.gpgsign", "false"])?;
        Ok(repo)
    }

    /// A repository that already exists at `dir` (or one about to be made with [`GitRepo::git`]).
    pub fn at(dir: &Path) -> Self {
        Self {
            dir: dir.to_path_buf(),
        }
    }

    /// The working tree.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Writes a file (creating its directories).
    pub fn write(&self, path: &str, content: &str) -> anyhow::Result<()> {
        let file = self.dir.join(path);
        if let Some(parent) = file.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(&file, content).with_context(|| format!("write {}", file.display()))
    }

    /// Stages everything and commits; returns the new commit's SHA.
    pub fn commit_all(&self, message: &str) -> anyhow::Result<String> {
        self.git(&["add", "--all"])?;
        self.git(&["commit", "--quiet", "--allow-empty", "-m", message])?;
        self.head()
    }

    /// The SHA of `HEAD`.
    pub fn head(&self) -> anyhow::Result<String> {
        Ok(self.git(&["rev-parse", "HEAD"])?.trim().to_owned())
    }

    /// Runs git in the repository and returns its stdout.
    pub fn git(&self, args: &[&str]) -> anyhow::Result<String> {
        let output = Command::new("git")
            .args(args)
            .current_dir(&self.dir)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .output()
            .with_context(|| format!("cannot run git {}", args.join(" ")))?;
        if !output.status.success() {
            bail!(
                "git {} failed: {}",
                args.join(" "),
                String::from_utf8_lossy(&output.stderr)
            );
        }
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    }
}
