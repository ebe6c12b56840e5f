//! The workflow run's context: event name and payload, commit, ref, workspace, API URLs.

use std::path::{Path, PathBuf};

use anyhow::Context as _;

use crate::env::RunnerEnv;

/// Where the runner mounts the workspace inside a Docker action.
const CONTAINER_WORKSPACE: &str = "/github/workspace";

/// The `GITHUB_*` variables an action reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GithubContext {
    /// `GITHUB_EVENT_NAME`, e.g. `push`.
    pub event_name: Option<String>,
    /// `GITHUB_EVENT_PATH`: the webhook payload as JSON.
    pub event_path: Option<PathBuf>,
    /// `GITHUB_SHA`: the commit the run is for.
    pub sha: Option<String>,
    /// `GITHUB_REF`, e.g. `refs/heads/main`.
    pub git_ref: Option<String>,
    /// `GITHUB_REPOSITORY`: `owner/name`.
    pub repository: Option<String>,
    /// `GITHUB_WORKSPACE`, else the current directory (`/github/workspace` in a container).
    pub workspace: PathBuf,
    /// `GITHUB_API_URL`, default `https://api.github.com`.
    pub api_url: String,
    /// `GITHUB_SERVER_URL`, default `https://github.com`.
    pub server_url: String,
    /// `GITHUB_RUN_ID`.
    pub run_id: Option<String>,
}

impl GithubContext {
    /// The context named by the environment.
    pub fn from_env(env: &RunnerEnv) -> Self {
        let owned = |name: &str| env.non_empty(name).map(str::to_owned);
        let workspace = owned("GITHUB_WORKSPACE")
            .map(PathBuf::from)
            .or_else(|| std::env::current_dir().ok())
            .unwrap_or_else(|| PathBuf::from(CONTAINER_WORKSPACE));
        Self {
            event_name: owned("GITHUB_EVENT_NAME"),
            event_path: owned("GITHUB_EVENT_PATH").map(PathBuf::from),
            sha: owned("GITHUB_SHA"),
            git_ref: owned("GITHUB_REF"),
            repository: owned("GITHUB_REPOSITORY"),
            workspace,
            api_url: owned("GITHUB_API_URL").unwrap_or_else(|| "https://api.github.com".into()),
            server_url: owned("GITHUB_SERVER_URL").unwrap_or_else(|| "https://github.com".into()),
            run_id: owned("GITHUB_RUN_ID"),
        }
    }

    /// The event payload; an empty object when there is none (a run by hand).
    pub fn event(&self) -> anyhow::Result<serde_json::Value> {
        let Some(path) = &self.event_path else {
            return Ok(serde_json::Value::Object(serde_json::Map::new()));
        };
        let text = std::fs::read_to_string(path).with_context(|| {
            format!(
                "cannot read the event payload GITHUB_EVENT_PATH={}",
                path.display()
            )
        })?;
        serde_json::from_str(&text)
            .with_context(|| format!("the event payload {} is not valid JSON", path.display()))
    }

    /// A path in the workspace: relative paths are taken from the workspace root.
    pub fn workspace_path(&self, path: impl AsRef<Path>) -> PathBuf {
        self.workspace.join(path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_runner_variables_and_payload() {
        let dir = tempfile::tempdir().expect("tempdir");
        let event = dir.path().join("event.json");
        std::fs::write(
            &event,
            r#"{"before":"abc","repository":{"default_branch":"main"}}"#,
        )
        .expect("write");
        let env = RunnerEnv::from_pairs([
            ("GITHUB_EVENT_NAME", "push"),
            ("GITHUB_EVENT_PATH", event.to_str().expect("utf-8")),
            ("GITHUB_SHA", "0123"),
            ("GITHUB_REF", "refs/heads/main"),
            ("GITHUB_WORKSPACE", "/github/workspace"),
        ]);
        let ctx = GithubContext::from_env(&env);
        assert_eq!(ctx.event_name.as_deref(), Some("push"));
        assert_eq!(ctx.git_ref.as_deref(), Some("refs/heads/main"));
        assert_eq!(ctx.api_url, "https://api.github.com");
        assert_eq!(
            ctx.event().expect("payload")["repository"]["default_branch"],
            "main"
        );
        assert_eq!(
            ctx.workspace_path("infra/td.json"),
            Path::new("/github/workspace/infra/td.json")
        );
    }

    #[test]
    fn unreadable_payload_is_a_named_error() {
        let env = RunnerEnv::from_pairs([("GITHUB_EVENT_PATH", "/nonexistent/event.json")]);
        let err = GithubContext::from_env(&env)
            .event()
            .expect_err("missing file");
        assert!(format!("{err:#}").contains("GITHUB_EVENT_PATH=/nonexistent/event.json"));
    }

    #[test]
    fn no_payload_outside_a_runner() {
        let ctx = GithubContext::from_env(&RunnerEnv::default());
        assert_eq!(ctx.event().expect("empty"), serde_json::json!({}));
    }
}
