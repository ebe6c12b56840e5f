//! One repository, start to end: read its protection, compare it with the policy, look for the
//! required check names on recent commits, then (unless it is a dry run, nothing differs, or a
//! never-seen check is an error) write what differs and read it back to confirm.
//!
//! Everything is read and compared before the first write, so a repository is either brought
//! to the policy or left as it was; the result is one [`RepoReport`] either way.

use std::collections::BTreeSet;

use action_kit::Console;
use anyhow::{Context as _, bail};
use serde::Serialize;

use crate::checks::{self, Unseen};
use crate::classic::{self, Protection};
use crate::diff::{self, Change, Fields};
use crate::github::{GitHub, PERMISSION_HINT, Repo, RepoInfo};
use crate::policy::{Backend, BranchPolicy, Policy, is_pattern};
use crate::rulesets::{self, RulesetRequest, RulesetSummary};

/// How a run treats every repository.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// Classic protection or rulesets.
    pub backend: Backend,
    /// Compare and report only.
    pub dry_run: bool,
    /// A required check name never reported is an error rather than a warning.
    pub fail_on_unseen_checks: bool,
    /// How many recent commits (and pull requests) to look at for check names; 0: none.
    pub lookback: u64,
}

/// What happened to a repository.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    /// It already matched the policy.
    Unchanged,
    /// Its protection was written and read back.
    Changed,
    /// A dry run found differences.
    WouldChange,
    /// It could not be read or written; nothing was written.
    Failed,
}

impl Outcome {
    /// The word in the log and the summary.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unchanged => "unchanged",
            Self::Changed => "changed",
            Self::WouldChange => "would change",
            Self::Failed => "failed",
        }
    }
}

/// The result for one repository (an element of the `report` output).
#[derive(Debug, Clone, Serialize)]
pub struct RepoReport {
    /// `owner/name`.
    pub repository: String,
    /// What happened.
    pub result: Outcome,
    /// Why it failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Each branch of the policy, as far as the run got.
    pub branches: Vec<BranchReport>,
}

/// The result for one branch.
#[derive(Debug, Clone, Serialize)]
pub struct BranchReport {
    /// The branch or pattern, as in the policy.
    pub branch: String,
    /// With rulesets, the ruleset's name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ruleset: Option<String>,
    /// The differences found before writing.
    pub changes: Vec<Change>,
    /// Required checks nothing has reported.
    pub unseen_checks: Vec<Unseen>,
}

/// What is there and what is wanted for one branch.
#[derive(Debug)]
enum Plan {
    Classic {
        live: Option<Protection>,
        desired: Protection,
    },
    Ruleset {
        id: Option<u64>,
        desired: RulesetRequest,
    },
}

/// Brings one repository to the policy; never fails, the report says what went wrong.
pub async fn reconcile(
    github: &GitHub<'_>,
    console: &Console,
    repo: &Repo,
    policy: &Policy,
    options: Options,
) -> RepoReport {
    let mut branches = Vec::new();
    let result = run(github, console, repo, policy, options, &mut branches).await;
    let (result, error) = match result {
        Ok(outcome) => (outcome, None),
        Err(error) => (Outcome::Failed, Some(format!("{error:#}"))),
    };
    RepoReport {
        repository: repo.to_string(),
        result,
        error,
        branches,
    }
}

async fn run(
    github: &GitHub<'_>,
    console: &Console,
    repo: &Repo,
    policy: &Policy,
    options: Options,
    reports: &mut Vec<BranchReport>,
) -> anyhow::Result<Outcome> {
    let info = github.repository(repo).await?;
    check_repository(repo, &info, policy, options.backend)?;
    let listed = match options.backend {
        Backend::Rulesets => github.rulesets(repo).await?,
        Backend::Classic => Vec::new(),
    };

    let mut plans = Vec::new();
    let mut unseen_errors = Vec::new();
    for (branch, rules) in &policy.branches.0 {
        let (plan, changes) = read_branch(github, repo, branch, rules, options.backend, &listed)
            .await
            .with_context(|| format!("branch '{branch}'"))?;
        console.info(&match changes.len() {
            0 => format!("{branch}: matches the policy"),
            1 => format!("{branch}: 1 difference"),
            n => format!("{branch}: {n} differences"),
        });
        let unseen = unseen_checks(github, repo, &info, branch, rules, options.lookback)
            .await
            .with_context(|| format!("branch '{branch}': looking for its required checks"))?;
        for (check, place) in &unseen {
            let message = format!("{repo}: {}", check.message(place));
            if options.fail_on_unseen_checks {
                unseen_errors.push(message);
            } else {
                console.warning(&message);
            }
        }
        reports.push(BranchReport {
            branch: branch.clone(),
            ruleset: match &plan {
                Plan::Ruleset { desired, .. } => Some(desired.name.clone()),
                Plan::Classic { .. } => None,
            },
            changes,
            unseen_checks: unseen.into_iter().map(|(check, _)| check).collect(),
        });
        plans.push((branch, rules, plan));
    }
    if !unseen_errors.is_empty() {
        bail!(
            "{} (fail-on-unseen-checks is true, so nothing was written)",
            unseen_errors.join("; ")
        );
    }
    let differs = reports.iter().any(|r| !r.changes.is_empty());
    if !differs {
        return Ok(Outcome::Unchanged);
    }
    if options.dry_run {
        return Ok(Outcome::WouldChange);
    }
    for ((branch, rules, plan), report) in plans.iter().zip(reports.iter()) {
        if report.changes.is_empty() {
            continue;
        }
        write_branch(github, repo, branch, rules, plan, &report.changes)
            .await
            .with_context(|| format!("branch '{branch}'"))?;
        console.info(&format!("{branch}: written and read back"));
    }
    Ok(Outcome::Changed)
}

/// Refuses, before any write, what the repository itself rules out.
fn check_repository(
    repo: &Repo,
    info: &RepoInfo,
    policy: &Policy,
    backend: Backend,
) -> anyhow::Result<()> {
    if info.permissions.as_ref().is_some_and(|p| !p.admin) {
        bail!(
            "the token cannot administer {repo} (GitHub reports that its user is not an admin of the repository); {PERMISSION_HINT}"
        );
    }
    if backend == Backend::Classic && info.owner.kind != "Organization" {
        let restricted = policy
            .branches
            .0
            .iter()
            .find(|(_, rules)| rules.restrictions.is_some());
        if let Some((branch, _)) = restricted {
            bail!(
                "branch '{branch}': restrictions: push restrictions exist only in organisation repositories, and {repo} belongs to a user"
            );
        }
    }
    Ok(())
}

/// Reads one branch's protection and compares it with the policy.
async fn read_branch(
    github: &GitHub<'_>,
    repo: &Repo,
    branch: &str,
    rules: &BranchPolicy,
    backend: Backend,
    listed: &[RulesetSummary],
) -> anyhow::Result<(Plan, Vec<Change>)> {
    let (current, wanted, plan) = match backend {
        Backend::Classic => {
            if !github.branch_exists(repo, branch).await? {
                bail!("the branch does not exist in {repo}");
            }
            let (live, desired) = read_classic(github, repo, branch, rules).await?;
            let pinned = rules.pinned_checks();
            (
                classic::fields(live.as_ref(), &pinned),
                classic::fields(Some(&desired), &pinned),
                Plan::Classic { live, desired },
            )
        }
        Backend::Rulesets => {
            let desired = RulesetRequest::desired(branch, rules);
            let found = rulesets::find_by_name(listed, &desired.name).map(|r| r.id);
            let (current, wanted) = ruleset_fields(github, repo, found, &desired, rules).await?;
            (current, wanted, Plan::Ruleset { id: found, desired })
        }
    };
    Ok((plan, diff::diff(&current, &wanted)))
}

async fn read_classic(
    github: &GitHub<'_>,
    repo: &Repo,
    branch: &str,
    rules: &BranchPolicy,
) -> anyhow::Result<(Option<Protection>, Protection)> {
    let live = github
        .protection(repo, branch)
        .await?
        .map(|answer| Protection::from_response(&answer));
    Ok((live, Protection::desired(rules)))
}

/// The live and wanted fields of a ruleset (`id`: the repository's ruleset of that name).
async fn ruleset_fields(
    github: &GitHub<'_>,
    repo: &Repo,
    id: Option<u64>,
    desired: &RulesetRequest,
    rules: &BranchPolicy,
) -> anyhow::Result<(Fields, Fields)> {
    let live = match id {
        Some(id) => Some(github.ruleset(repo, id).await?.view()),
        None => None,
    };
    let pinned = rules.pinned_checks();
    Ok((
        rulesets::fields(live.as_ref(), &pinned),
        rulesets::fields(Some(&desired.view()), &pinned),
    ))
}

/// Writes one branch's protection and reads it back.
async fn write_branch(
    github: &GitHub<'_>,
    repo: &Repo,
    branch: &str,
    rules: &BranchPolicy,
    plan: &Plan,
    changes: &[Change],
) -> anyhow::Result<()> {
    let left = match plan {
        Plan::Classic { live, desired } => {
            if changes.iter().any(|c| c.field != "required_signatures") {
                github
                    .put_protection(repo, branch, &desired.request)
                    .await?;
            }
            let signed = live.as_ref().is_some_and(|l| l.required_signatures);
            if signed != desired.required_signatures {
                github
                    .set_signatures(repo, branch, desired.required_signatures)
                    .await?;
            }
            let (after, desired) = read_classic(github, repo, branch, rules).await?;
            let pinned = rules.pinned_checks();
            diff::diff(
                &classic::fields(after.as_ref(), &pinned),
                &classic::fields(Some(&desired), &pinned),
            )
        }
        Plan::Ruleset { id, desired } => {
            github.save_ruleset(repo, *id, desired).await?;
            let listed = github.rulesets(repo).await?;
            let found = rulesets::find_by_name(&listed, &desired.name).map(|r| r.id);
            let (current, wanted) = ruleset_fields(github, repo, found, desired, rules).await?;
            diff::diff(&current, &wanted)
        }
    };
    if !left.is_empty() {
        let fields: Vec<&str> = left.iter().map(|c| c.field.as_str()).collect();
        bail!(
            "GitHub accepted the write but reading it back still differs in: {}",
            fields.join(", ")
        );
    }
    Ok(())
}

/// The required checks of a branch that nothing reported lately, each with where it was looked
/// for. Patterns are looked up on the default branch.
async fn unseen_checks(
    github: &GitHub<'_>,
    repo: &Repo,
    info: &RepoInfo,
    branch: &str,
    rules: &BranchPolicy,
    lookback: u64,
) -> anyhow::Result<Vec<(Unseen, String)>> {
    let Some(required) = &rules.required_status_checks else {
        return Ok(Vec::new());
    };
    if lookback == 0 {
        return Ok(Vec::new());
    }
    let looked_at = if is_pattern(branch) {
        info.default_branch.as_str()
    } else {
        branch
    };
    let (seen, commits): (BTreeSet<String>, usize) = github
        .reported_check_names(repo, looked_at, lookback)
        .await?;
    let place = format!("the last {commits} commits and pull-request heads of {looked_at}");
    Ok(
        checks::unseen(required.checks.iter().map(|c| c.context.as_str()), &seen)
            .into_iter()
            .map(|check| (check, place.clone()))
            .collect(),
    )
}
