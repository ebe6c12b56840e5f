//! `branch-protect`: make the branch protection of one or more repositories match a declared
//! policy, idempotently, so the test gate is binding rather than advisory.
//!
//! The policy ([`policy`]) is parsed and checked before any request. For each repository
//! ([`reconcile`]) the live protection, classic ([`classic`]) or rulesets ([`rulesets`]), is
//! read, normalised and compared field by field ([`diff`]); only what differs is written, and
//! it is read back to confirm. Required check names that nothing has reported on recent commits
//! are warned about, closest seen names first ([`checks`]). All HTTP goes through [`github`].

pub mod checks;
pub mod classic;
pub mod diff;
pub mod github;
pub mod policy;
pub mod reconcile;
pub mod rulesets;

use std::process::ExitCode;

use action_kit::{ActionSpec, InputSpec, OutputSpec, Runner};
use anyhow::{Context as _, anyhow, bail};
use serde_json::json;

use crate::github::{GitHub, Repo};
use crate::policy::{Backend, Policy};
use crate::reconcile::{Options, Outcome, RepoReport};

/// The most commits (and pull requests) `check-lookback-commits` may ask for.
const MAX_LOOKBACK: u64 = 100;

/// The action's inputs.
const INPUTS: &[InputSpec] = &[
    InputSpec::required(
        "policy",
        "The protection to apply: inline YAML, or the path of a YAML file in the workspace. See the README for its keys.",
    ),
    InputSpec::with_default(
        "backend",
        "`classic` (branch protection) or `rulesets` (repository rulesets, matched by name).",
        "classic",
    ),
    InputSpec::optional(
        "repositories",
        "Repositories to protect, `owner/name`, one a line. Default: the repository of the workflow.",
    ),
    InputSpec::required(
        "token",
        "A token that can administer the repositories: a fine-grained PAT or GitHub App token with \"Administration: Read and write\". The workflow's GITHUB_TOKEN cannot.",
    ),
    InputSpec::with_default(
        "dry-run",
        "Only show the differences; write nothing.",
        "false",
    ),
    InputSpec::with_default(
        "fail-on-unseen-checks",
        "Fail (before writing) when a required check name has never been reported, instead of warning.",
        "false",
    ),
    InputSpec::with_default(
        "check-lookback-commits",
        "How many recent commits and pull requests of each branch to search for required check names (0 to skip, at most 100).",
        "20",
    ),
];

/// Inputs and outputs of `branch-protect`.
pub static SPEC: ActionSpec = ActionSpec {
    name: "branch-protect",
    description: "Make branch protection (classic or rulesets) match a declared policy, idempotently, and warn about required checks that never ran.",
    input_groups: &[INPUTS],
    outputs: &[
        OutputSpec {
            name: "changed",
            description: "`true` when protection was written in at least one repository.",
        },
        OutputSpec {
            name: "differences",
            description: "`true` when some protection differed from the policy before this run (also in a dry run).",
        },
        OutputSpec {
            name: "report",
            description: "JSON: per repository its result, error, and per branch the differences and never-seen checks.",
        },
        OutputSpec {
            name: "unseen-checks",
            description: "JSON list of required check names nothing has reported: repository, branch, check, closest seen names.",
        },
    ],
    dynamic_outputs: false,
};

/// The action's entry point: `args` are the command-line arguments after its name.
pub fn main(args: Vec<String>) -> ExitCode {
    action_kit::run_async(&SPEC, args, run)
}

/// Runs the action.
pub async fn run(runner: &Runner) -> anyhow::Result<()> {
    let inputs = runner.inputs();
    let backend = inputs
        .one_of("backend", &Backend::NAMES)?
        .and_then(|name| Backend::from_name(&name))
        .unwrap_or(Backend::Classic);
    let policy = read_policy(runner, backend)?;
    let repositories = repositories(runner)?;
    let lookback = inputs.number("check-lookback-commits")?.unwrap_or(20);
    if lookback > MAX_LOOKBACK {
        bail!("input 'check-lookback-commits': expected at most {MAX_LOOKBACK}, got {lookback}");
    }
    let options = Options {
        backend,
        dry_run: inputs.bool("dry-run")?,
        fail_on_unseen_checks: inputs.bool("fail-on-unseen-checks")?,
        lookback,
    };
    let token = action_github::token(runner)?
        .ok_or_else(|| anyhow!("input 'token' is required but was not given"))?;
    runner.console().add_mask(&token);
    let github = GitHub::new(&runner.github().api_url, token, runner.console())?;

    let mut reports = Vec::new();
    for repo in &repositories {
        let report = {
            let _group = runner
                .console()
                .group(&format!("{repo} ({})", backend.name()));
            let report =
                reconcile::reconcile(&github, runner.console(), repo, &policy, options).await;
            match &report.error {
                Some(error) => runner.console().info(&format!("{repo}: failed: {error}")),
                None => runner
                    .console()
                    .info(&format!("{repo}: {}", report.result.as_str())),
            }
            report
        };
        reports.push(report);
    }

    write_outputs(runner, &reports)?;
    runner.append_summary(&summary(&reports, backend, options.dry_run))?;
    let failed: Vec<String> = reports
        .iter()
        .filter_map(|r| Some(format!("{}: {}", r.repository, r.error.as_deref()?)))
        .collect();
    match failed.len() {
        0 => Ok(()),
        1 if reports.len() == 1 => Err(anyhow!("{}", failed.join(""))),
        n => Err(anyhow!(
            "{n} of {} repositories failed: {}",
            reports.len(),
            failed.join("; ")
        )),
    }
}

/// The policy from the input: inline YAML, or a file in the workspace when the input is a
/// single line without a colon.
fn read_policy(runner: &Runner, backend: Backend) -> anyhow::Result<Policy> {
    let value = runner.inputs().required("policy")?;
    if value.contains('\n') || value.contains(':') {
        return policy::parse(&value, backend).map_err(|e| anyhow!("input 'policy': {e}"));
    }
    let path = runner.github().workspace_path(&value);
    let text = std::fs::read_to_string(&path).with_context(|| {
        format!(
            "input 'policy': cannot read the policy file '{value}' ({})",
            path.display()
        )
    })?;
    policy::parse(&text, backend).map_err(|e| anyhow!("policy file '{value}': {e}"))
}

/// The repositories to protect, each `owner/name`.
fn repositories(runner: &Runner) -> anyhow::Result<Vec<Repo>> {
    let mut listed = runner.inputs().list("repositories")?;
    if listed.is_empty() {
        listed.extend(runner.github().repository.clone());
    }
    if listed.is_empty() {
        bail!(
            "input 'repositories' is empty and GITHUB_REPOSITORY is not set: name the repositories, `owner/name` one a line"
        );
    }
    let mut repos: Vec<Repo> = Vec::new();
    for line in &listed {
        let repo = Repo::parse(line)
            .ok_or_else(|| anyhow!("input 'repositories': expected `owner/name`, got '{line}'"))?;
        if !repos.contains(&repo) {
            repos.push(repo);
        }
    }
    Ok(repos)
}

fn write_outputs(runner: &Runner, reports: &[RepoReport]) -> anyhow::Result<()> {
    let changed = reports.iter().any(|r| r.result == Outcome::Changed);
    let differences = reports
        .iter()
        .any(|r| r.branches.iter().any(|b| !b.changes.is_empty()));
    let unseen: Vec<serde_json::Value> = reports
        .iter()
        .flat_map(|r| {
            r.branches.iter().flat_map(move |b| {
                b.unseen_checks.iter().map(move |u| {
                    json!({
                        "repository": r.repository,
                        "branch": b.branch,
                        "check": u.check,
                        "closest": u.closest.iter().take(3).collect::<Vec<_>>(),
                    })
                })
            })
        })
        .collect();
    runner.set_outputs(&[
        ("changed".into(), changed.to_string()),
        ("differences".into(), differences.to_string()),
        ("report".into(), serde_json::to_string(reports)?),
        ("unseen-checks".into(), serde_json::to_string(&unseen)?),
    ])
}

/// The job summary: per repository its result, per branch a table of the differences.
fn summary(reports: &[RepoReport], backend: Backend, dry_run: bool) -> String {
    let mut text = format!(
        "### branch-protect ({}{})\n\n",
        backend.name(),
        if dry_run { ", dry run" } else { "" }
    );
    for report in reports {
        text.push_str(&format!(
            "#### `{}`: {}\n\n",
            report.repository,
            report.result.as_str()
        ));
        if let Some(error) = &report.error {
            text.push_str(&format!("> {}\n\n", error.replace('\n', " ")));
        }
        for branch in &report.branches {
            let name = match &branch.ruleset {
                Some(ruleset) => format!("`{}` (ruleset `{ruleset}`)", branch.branch),
                None => format!("`{}`", branch.branch),
            };
            if branch.changes.is_empty() {
                text.push_str(&format!("{name}: matches the policy.\n\n"));
            } else {
                text.push_str(&format!(
                    "{name}: {} difference(s)\n\n{}\n",
                    branch.changes.len(),
                    diff::table(&branch.changes)
                ));
            }
            for unseen in &branch.unseen_checks {
                text.push_str(&format!(
                    "> ⚠ required check `{}` has never been reported; closest seen: {}\n\n",
                    unseen.check,
                    if unseen.closest.is_empty() {
                        "none".to_owned()
                    } else {
                        unseen
                            .closest
                            .iter()
                            .take(3)
                            .map(|n| format!("`{n}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    }
                ));
            }
        }
    }
    text
}
