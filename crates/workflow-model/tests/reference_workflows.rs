//! Every workflow of the repository (`workflows-examples/`, `.github/workflows/`) passes the
//! checks: inputs the actions declare, outputs that exist, third-party actions pinned.

use std::path::{Path, PathBuf};

use workflow_model::{check, workflow};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn yaml_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|e| e == "yml" || e == "yaml"))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}

fn manifest(name: &str) -> Option<workflow::ActionManifest> {
    let text =
        std::fs::read_to_string(root().join("actions").join(name).join("action.yml")).ok()?;
    workflow::parse_manifest(&text).ok()
}

#[test]
fn every_workflow_uses_the_actions_as_they_are_declared() {
    let files: Vec<PathBuf> = yaml_files(&root().join("workflows-examples"))
        .into_iter()
        .chain(yaml_files(&root().join(".github/workflows")))
        .collect();
    assert!(files.len() >= 3, "workflows found: {files:?}");
    let mut problems = Vec::new();
    for file in &files {
        let source = std::fs::read_to_string(file).expect("readable");
        match workflow::parse(&source) {
            Ok(parsed) => problems.extend(
                check::check(&source, &parsed, &manifest)
                    .into_iter()
                    .map(|p| format!("{}: {p}", file.display())),
            ),
            Err(error) => problems.push(format!("{}: {error:#}", file.display())),
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_monorepo_workflow_uses_every_deploy_action() {
    let source = std::fs::read_to_string(root().join("workflows-examples/monorepo-deploy.yml"))
        .expect("readable");
    let parsed = workflow::parse(&source).expect("valid");
    let used: std::collections::BTreeSet<&str> = parsed
        .jobs
        .iter()
        .flat_map(|j| &j.steps)
        .filter_map(|s| s.suite_action())
        .collect();
    for action in [
        "paths-filter",
        "ecr-tag",
        "render-taskdef",
        "ecs-deploy",
        "s3-publish",
    ] {
        assert!(used.contains(action), "{action} is not used: {used:?}");
    }
}
