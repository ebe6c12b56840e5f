//! Runs an action binary the way a runner starts a Docker action, and reads back its results.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::Context as _;

use crate::file_commands::parse_file_commands;

/// One run of an action binary, being set up.
///
/// The child gets a clean environment: `PATH`, `HOME` (a temporary directory, like
/// `/github/home`), `GITHUB_ACTIONS=true`, `CI=true`, the file-command files, the workspace,
/// and what the test adds. It is started directly, never through `sh` (dash drops variables
/// whose names contain hyphens, such as `INPUT_ROLE-TO-ASSUME`).
#[derive(Debug)]
pub struct ActionRun {
    program: PathBuf,
    args: Vec<String>,
    env: BTreeMap<String, String>,
    dir: tempfile::TempDir,
    workspace: PathBuf,
}

/// What an action run did.
#[derive(Debug, Clone)]
pub struct ActionResult {
    /// The exit code (-1 when killed by a signal).
    pub code: i32,
    /// Everything it printed on stdout (workflow commands included).
    pub stdout: String,
    /// Everything it printed on stderr.
    pub stderr: String,
    /// `GITHUB_OUTPUT`.
    pub outputs: BTreeMap<String, String>,
    /// `GITHUB_ENV`.
    pub exported: BTreeMap<String, String>,
    /// `GITHUB_STATE`.
    pub state: BTreeMap<String, String>,
    /// `GITHUB_STEP_SUMMARY`.
    pub summary: String,
    /// The workspace it ran in.
    pub workspace: PathBuf,
}

impl ActionRun {
    /// A run of `program` (e.g. `env!("CARGO_BIN_EXE_ecr-tag")`).
    pub fn new(program: impl AsRef<Path>) -> anyhow::Result<Self> {
        let dir = tempfile::tempdir().context("temporary runner directory")?;
        let workspace = dir.path().join("workspace");
        for sub in ["home", "file_commands", "workflow", "workspace"] {
            std::fs::create_dir_all(dir.path().join(sub))?;
        }
        let path = |sub: &str| dir.path().join(sub).to_string_lossy().into_owned();
        let mut env = BTreeMap::new();
        env.insert("PATH".into(), std::env::var("PATH").unwrap_or_default());
        env.insert("HOME".into(), path("home"));
        env.insert("GITHUB_ACTIONS".into(), "true".into());
        env.insert("CI".into(), "true".into());
        for (var, file) in [
            ("GITHUB_OUTPUT", "set_output"),
            ("GITHUB_ENV", "set_env"),
            ("GITHUB_STATE", "save_state"),
            ("GITHUB_STEP_SUMMARY", "step_summary"),
        ] {
            env.insert(var.into(), path(&format!("file_commands/{file}")));
        }
        env.insert(
            "GITHUB_WORKSPACE".into(),
            workspace.to_string_lossy().into_owned(),
        );
        env.insert("GITHUB_EVENT_NAME".into(), "workflow_dispatch".into());
        Ok(Self {
            program: program.as_ref().to_path_buf(),
            args: Vec::new(),
            env,
            dir,
            workspace,
        })
    }

    /// Sets an input, as `with: {name: value}` would.
    #[must_use]
    pub fn input(mut self, name: &str, value: &str) -> Self {
        self.env
            .insert(action_kit::input_env_name(name), value.to_owned());
        self
    }

    /// Sets an environment variable.
    #[must_use]
    pub fn env(mut self, name: &str, value: &str) -> Self {
        self.env.insert(name.to_owned(), value.to_owned());
        self
    }

    /// Sets several environment variables.
    #[must_use]
    pub fn envs(mut self, vars: impl IntoIterator<Item = (String, String)>) -> Self {
        self.env.extend(vars);
        self
    }

    /// Removes an environment variable the run would otherwise get.
    #[must_use]
    pub fn without_env(mut self, name: &str) -> Self {
        self.env.remove(name);
        self
    }

    /// Adds a command-line argument.
    #[must_use]
    pub fn arg(mut self, arg: &str) -> Self {
        self.args.push(arg.to_owned());
        self
    }

    /// Uses `path` as the workspace (`GITHUB_WORKSPACE`, and the working directory).
    #[must_use]
    pub fn workspace(mut self, path: &Path) -> Self {
        self.workspace = path.to_path_buf();
        self.env.insert(
            "GITHUB_WORKSPACE".into(),
            path.to_string_lossy().into_owned(),
        );
        self
    }

    /// Sets the event name and writes its payload to `GITHUB_EVENT_PATH`.
    pub fn event(mut self, name: &str, payload: &serde_json::Value) -> anyhow::Result<Self> {
        let path = self.dir.path().join("workflow/event.json");
        std::fs::write(&path, payload.to_string())?;
        self.env.insert("GITHUB_EVENT_NAME".into(), name.to_owned());
        self.env.insert(
            "GITHUB_EVENT_PATH".into(),
            path.to_string_lossy().into_owned(),
        );
        Ok(self)
    }

    /// The workspace directory.
    pub fn workspace_dir(&self) -> &Path {
        &self.workspace
    }

    /// Runs the binary to completion.
    pub fn run(&self) -> anyhow::Result<ActionResult> {
        let output = Command::new(&self.program)
            .args(&self.args)
            .env_clear()
            .envs(&self.env)
            .current_dir(&self.workspace)
            .output()
            .with_context(|| format!("cannot run {}", self.program.display()))?;
        let read = |var: &str| {
            self.env
                .get(var)
                .map(|path| std::fs::read_to_string(path).unwrap_or_default())
                .unwrap_or_default()
        };
        Ok(ActionResult {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
            outputs: parse_file_commands(&read("GITHUB_OUTPUT")).context("GITHUB_OUTPUT")?,
            exported: parse_file_commands(&read("GITHUB_ENV")).context("GITHUB_ENV")?,
            state: parse_file_commands(&read("GITHUB_STATE")).context("GITHUB_STATE")?,
            summary: read("GITHUB_STEP_SUMMARY"),
            workspace: self.workspace.clone(),
        })
    }
}

impl ActionResult {
    /// Panics, showing the whole log, unless the run succeeded.
    #[track_caller]
    pub fn assert_success(&self) -> &Self {
        assert_eq!(self.code, 0, "the action failed:\n{}", self.log());
        self
    }

    /// Panics unless the run failed with exit code 1; returns the `::error::` messages.
    #[track_caller]
    pub fn assert_failure(&self) -> Vec<String> {
        assert_eq!(self.code, 1, "expected exit code 1:\n{}", self.log());
        let errors = self.errors();
        assert_eq!(
            errors.len(),
            1,
            "expected exactly one ::error:: line:\n{}",
            self.log()
        );
        errors
    }

    /// The messages of the `::error` lines, unescaped.
    pub fn errors(&self) -> Vec<String> {
        self.stdout
            .lines()
            .filter(|line| line.starts_with("::error"))
            .filter_map(|line| line.splitn(3, "::").nth(2))
            .map(|message| {
                message
                    .replace("%0A", "\n")
                    .replace("%0D", "\r")
                    .replace("%25", "%")
            })
            .collect()
    }

    /// An output that must exist.
    #[track_caller]
    pub fn output(&self, name: &str) -> &str {
        match self.outputs.get(name) {
            Some(value) => value,
            None => panic!("no output '{name}':\n{}", self.log()),
        }
    }

    /// The JSON file an output names, relative to the workspace (e.g. a rendered task
    /// definition).
    #[track_caller]
    pub fn output_json(&self, name: &str) -> serde_json::Value {
        let path = self.workspace.join(self.output(name));
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}\n{}", path.display(), self.log()));
        serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()))
    }

    /// The output `name`, itself JSON (e.g. a JSON array), parsed.
    pub fn output_as_json(&self, name: &str) -> serde_json::Value {
        serde_json::from_str(self.output(name))
            .unwrap_or_else(|e| panic!("output '{name}' is not JSON: {e}\n{}", self.log()))
    }

    /// stdout and stderr, for failure messages.
    pub fn log(&self) -> String {
        format!("--- stdout\n{}--- stderr\n{}", self.stdout, self.stderr)
    }
}
