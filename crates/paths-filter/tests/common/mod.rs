//! Git scenarios for the paths-filter tests: an `origin` bare repository and a clone, built with
//! real git, and a run of the binary through the runner contract.

#![allow(dead_code, unreachable_pub)]

use std::collections::BTreeMap;

use test_harness::{ActionRun, GitRepo};

pub const BIN: &str = env!("CARGO_BIN_EXE_paths-filter");
pub const ZEROS: &str = "0000000000000000000000000000000000000000";

/// A clone of a bare `origin`, with `main` pushed.
pub struct Scenario {
    pub dir: tempfile::TempDir,
    pub origin: GitRepo,
    pub clone: GitRepo,
}

/// One commit's changes.
#[derive(Default)]
pub struct Change<'a> {
    pub write: Vec<(&'a str, &'a str)>,
    pub delete: Vec<&'a str>,
    pub rename: Vec<(&'a str, &'a str)>,
}

impl Scenario {
    /// `origin` with one commit on `main` holding `files`, and a clone of it.
    pub fn new(files: &[(&str, &str)]) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let origin_dir = dir.path().join("origin.git");
        std::fs::create_dir_all(&origin_dir).expect("mkdir");
        let origin = GitRepo::at(&origin_dir);
        origin
            .git(&["init", "--quiet", "--bare", "--initial-branch=main"])
            .expect("bare");
        let clone = GitRepo::init(&dir.path().join("work")).expect("init");
        clone
            .git(&[
                "remote",
                "add",
                "origin",
                origin_dir.to_str().expect("utf-8"),
            ])
            .expect("remote");
        for (path, content) in files {
            clone.write(path, content).expect("write");
        }
        clone.commit_all("base").expect("commit");
        clone
            .git(&["push", "--quiet", "origin", "main"])
            .expect("push");
        clone.git(&["fetch", "--quiet", "origin"]).expect("fetch");
        Self { dir, origin, clone }
    }

    /// Applies a change as one commit; returns its SHA.
    pub fn commit(&self, change: &Change<'_>) -> String {
        for (path, content) in &change.write {
            self.clone.write(path, content).expect("write");
        }
        for path in &change.delete {
            self.clone.git(&["rm", "--quiet", path]).expect("rm");
        }
        for (from, to) in &change.rename {
            if let Some(parent) = std::path::Path::new(to).parent() {
                std::fs::create_dir_all(self.clone.dir().join(parent)).expect("mkdir");
            }
            self.clone.git(&["mv", from, to]).expect("mv");
        }
        self.clone.commit_all("change").expect("commit")
    }

    pub fn push(&self, branch: &str) {
        self.clone
            .git(&[
                "push",
                "--quiet",
                "--force",
                "origin",
                &format!("HEAD:refs/heads/{branch}"),
            ])
            .expect("push");
        self.clone
            .git(&["fetch", "--quiet", "origin"])
            .expect("fetch");
    }

    /// A run of the binary in the clone, as on a `push` of `branch` from `before` to HEAD.
    pub fn push_run(&self, branch: &str, before: &str, filters: &str) -> ActionRun {
        let head = self.clone.head().expect("head");
        let payload = serde_json::json!({
            "repository": {"default_branch": "main"},
            "ref": format!("refs/heads/{branch}"),
            "before": before,
            "after": head,
        });
        self.run("push", &payload, branch, filters)
    }

    pub fn run(
        &self,
        event: &str,
        payload: &serde_json::Value,
        branch: &str,
        filters: &str,
    ) -> ActionRun {
        let head = self.clone.head().expect("head");
        ActionRun::new(BIN)
            .expect("runner")
            .workspace(self.clone.dir())
            .event(event, payload)
            .expect("event")
            .env("GITHUB_REF", &format!("refs/heads/{branch}"))
            .env("GITHUB_SHA", &head)
            .env("GITHUB_REPOSITORY", "octo/monorepo")
            .input("filters", filters)
            .input("token", "")
            .input("initial-fetch-depth", "100")
    }
}

/// The outputs expected, as a sorted map for readable failures.
pub fn subset<'a>(
    outputs: &'a BTreeMap<String, String>,
    keys: &[&str],
) -> BTreeMap<&'a str, &'a str> {
    keys.iter()
        .filter_map(|k| {
            outputs
                .get_key_value(*k)
                .map(|(k, v)| (k.as_str(), v.as_str()))
        })
        .collect()
}
