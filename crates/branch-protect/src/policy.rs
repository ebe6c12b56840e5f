//! The declared policy: what protection each branch must have, parsed from YAML and checked
//! before any request is made.
//!
//! Keys are GitHub's own field names (`required_status_checks`, `enforce_admins`, …), so a
//! policy reads like the API it drives. Every mapping refuses unknown keys, and every check after
//! parsing names the branch and the key at fault. What a branch entry leaves out is off: the
//! policy is the whole protection of that branch, not a patch over what is there.

use std::collections::BTreeSet;
use std::fmt;

use serde::Deserialize;
use serde::de::{MapAccess, Visitor};

/// Which GitHub feature carries the protection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// Classic branch protection (`/branches/{branch}/protection`).
    Classic,
    /// Repository rulesets (`/rulesets`).
    Rulesets,
}

impl Backend {
    /// The input values, in the order `--help` lists them.
    pub const NAMES: [&'static str; 2] = ["classic", "rulesets"];

    /// The backend an input value names.
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "classic" => Some(Self::Classic),
            "rulesets" => Some(Self::Rulesets),
            _ => None,
        }
    }

    /// The input value naming this backend.
    pub fn name(self) -> &'static str {
        match self {
            Self::Classic => "classic",
            Self::Rulesets => "rulesets",
        }
    }
}

/// A whole policy file.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    /// Branch name (or, with rulesets, a pattern) → its protection, in declaration order.
    pub branches: Branches,
}

/// The `branches` mapping, kept in declaration order.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Branches(pub Vec<(String, BranchPolicy)>);

/// The protection of one branch or pattern.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BranchPolicy {
    /// Checks that must pass before merging.
    #[serde(default)]
    pub required_status_checks: Option<StatusChecks>,
    /// Reviews a pull request needs before merging.
    #[serde(default)]
    pub required_pull_request_reviews: Option<Reviews>,
    /// Administrators are bound too.
    #[serde(default)]
    pub enforce_admins: bool,
    /// No merge commits.
    #[serde(default)]
    pub required_linear_history: bool,
    /// Force pushes are allowed.
    #[serde(default)]
    pub allow_force_pushes: bool,
    /// The branch may be deleted.
    #[serde(default)]
    pub allow_deletions: bool,
    /// Creating matching branches is blocked (classic: only with `restrictions`).
    #[serde(default)]
    pub block_creations: bool,
    /// Every review conversation must be resolved before merging.
    #[serde(default)]
    pub required_conversation_resolution: bool,
    /// Commits must be signed.
    #[serde(default)]
    pub required_signatures: bool,
    /// The branch is read-only.
    #[serde(default)]
    pub lock_branch: bool,
    /// With `lock_branch`, forks may still sync from it.
    #[serde(default)]
    pub allow_fork_syncing: bool,
    /// Who may push (classic, organisation repositories only).
    #[serde(default)]
    pub restrictions: Option<Restrictions>,
    /// Rulesets: the ruleset's name (default `branch-protect: <branch>`).
    #[serde(default)]
    pub ruleset_name: Option<String>,
    /// Rulesets: `active` (default), `disabled`, or `evaluate` (GitHub Enterprise only).
    #[serde(default)]
    pub enforcement: Option<Enforcement>,
}

impl BranchPolicy {
    /// The names of the required checks whose app the policy names (an id, or `-1` for any
    /// app): only for those is the app compared.
    pub fn pinned_checks(&self) -> BTreeSet<&str> {
        self.required_status_checks
            .iter()
            .flat_map(|checks| &checks.checks)
            .filter(|check| check.app_id.is_some())
            .map(|check| check.context.as_str())
            .collect()
    }
}

/// `required_status_checks`.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatusChecks {
    /// The branch must be up to date with the base before merging.
    #[serde(default)]
    pub strict: bool,
    /// The checks, by the name they report under.
    #[serde(default)]
    pub checks: Vec<Check>,
}

/// One required check: a bare name, or `{context, app_id}`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
#[serde(try_from = "serde_yaml::Value")]
pub struct Check {
    /// The name the check reports under (a job's `name:`, else its id).
    pub context: String,
    /// The GitHub App that must report it; `-1` any app; absent lets GitHub choose.
    pub app_id: Option<i64>,
}

/// The long form of a check.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CheckFields {
    context: String,
    #[serde(default)]
    app_id: Option<i64>,
}

impl TryFrom<serde_yaml::Value> for Check {
    type Error = String;

    fn try_from(value: serde_yaml::Value) -> Result<Self, String> {
        match value {
            serde_yaml::Value::String(context) => Ok(Self {
                context,
                app_id: None,
            }),
            mapping @ serde_yaml::Value::Mapping(_) => {
                let CheckFields { context, app_id } =
                    serde_yaml::from_value(mapping).map_err(|e| format!("a check: {e}"))?;
                Ok(Self { context, app_id })
            }
            _ => {
                Err("a check is a name, or a mapping with `context` and optionally `app_id`".into())
            }
        }
    }
}

/// `required_pull_request_reviews`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reviews {
    /// Approvals needed (classic 0–6, rulesets 0–10).
    #[serde(default = "one")]
    pub required_approving_review_count: u8,
    /// A code owner must approve.
    #[serde(default)]
    pub require_code_owner_reviews: bool,
    /// A new push dismisses earlier approvals.
    #[serde(default)]
    pub dismiss_stale_reviews: bool,
    /// Someone other than the last pusher must approve.
    #[serde(default)]
    pub require_last_push_approval: bool,
}

fn one() -> u8 {
    1
}

/// `restrictions`: who may push.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Restrictions {
    /// User logins.
    #[serde(default)]
    pub users: Vec<String>,
    /// Team slugs.
    #[serde(default)]
    pub teams: Vec<String>,
    /// App slugs.
    #[serde(default)]
    pub apps: Vec<String>,
}

/// A ruleset's enforcement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Enforcement {
    /// Enforced.
    Active,
    /// Kept but not enforced.
    Disabled,
    /// Reported, not enforced (GitHub Enterprise only).
    Evaluate,
}

impl Enforcement {
    /// The API's word for it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Disabled => "disabled",
            Self::Evaluate => "evaluate",
        }
    }
}

impl<'de> Deserialize<'de> for Branches {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct InOrder;
        impl<'de> Visitor<'de> for InOrder {
            type Value = Branches;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a mapping of branch names to their protection")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Branches, A::Error> {
                let mut branches: Vec<(String, BranchPolicy)> = Vec::new();
                while let Some(name) = map.next_key::<String>()? {
                    if branches.iter().any(|(seen, _)| *seen == name) {
                        return Err(serde::de::Error::custom(format!(
                            "branch '{name}' is declared twice"
                        )));
                    }
                    // `main:` with nothing under it: protected with every default.
                    let policy = map.next_value::<Option<BranchPolicy>>()?;
                    branches.push((name, policy.unwrap_or_default()));
                }
                Ok(Branches(branches))
            }
        }
        deserializer.deserialize_map(InOrder)
    }
}

/// The most approvals each backend accepts.
fn max_approvals(backend: Backend) -> u8 {
    match backend {
        Backend::Classic => 6,
        Backend::Rulesets => 10,
    }
}

/// Whether a branch key is a pattern or a ruleset target rather than one branch's name.
pub fn is_pattern(branch: &str) -> bool {
    branch.starts_with('~') || branch.contains(['*', '?', '[', ']'])
}

/// Parses and checks a policy for `backend`. The error names the key and branch at fault.
pub fn parse(text: &str, backend: Backend) -> Result<Policy, String> {
    let policy: Policy = serde_yaml::from_str(text).map_err(|e| e.to_string())?;
    validate(&policy, backend)?;
    Ok(policy)
}

fn validate(policy: &Policy, backend: Backend) -> Result<(), String> {
    if policy.branches.0.is_empty() {
        return Err("`branches` is empty: declare at least one branch".into());
    }
    let mut ruleset_names = BTreeSet::new();
    for (branch, rules) in &policy.branches.0 {
        let fail = |key: &str, why: String| Err(format!("branch '{branch}': {key}: {why}"));
        if branch.trim().is_empty() || branch.trim() != branch {
            return Err(format!(
                "branch '{branch}': a branch name must not be blank or start or end with spaces"
            ));
        }
        if branch.starts_with("refs/") {
            return Err(format!(
                "branch '{branch}': write the branch name without `refs/heads/`"
            ));
        }
        if backend == Backend::Classic && is_pattern(branch) {
            return Err(format!(
                "branch '{branch}': classic protection takes one existing branch name; patterns and `~DEFAULT_BRANCH`/`~ALL` need `backend: rulesets`"
            ));
        }
        if branch.starts_with('~') && !matches!(branch.as_str(), "~DEFAULT_BRANCH" | "~ALL") {
            return Err(format!(
                "branch '{branch}': the only special targets are `~DEFAULT_BRANCH` and `~ALL`"
            ));
        }
        if let Some(checks) = &rules.required_status_checks {
            if checks.checks.is_empty() {
                return fail(
                    "required_status_checks.checks",
                    "is empty: list at least one check name, or leave required_status_checks out"
                        .into(),
                );
            }
            let mut seen = BTreeSet::new();
            for check in &checks.checks {
                if check.context.trim().is_empty() {
                    return fail(
                        "required_status_checks.checks",
                        "a check name is blank".into(),
                    );
                }
                if !seen.insert(check.context.as_str()) {
                    return fail(
                        "required_status_checks.checks",
                        format!("'{}' is listed twice", check.context),
                    );
                }
                if let Some(app_id) = check.app_id
                    && (app_id == 0 || app_id < -1)
                {
                    return fail(
                        "required_status_checks.checks",
                        format!(
                            "'{}': app_id {app_id} is not an app; use a GitHub App's id, or -1 for any app",
                            check.context
                        ),
                    );
                }
            }
        }
        if let Some(reviews) = &rules.required_pull_request_reviews
            && reviews.required_approving_review_count > max_approvals(backend)
        {
            return fail(
                "required_pull_request_reviews.required_approving_review_count",
                format!(
                    "{} is more than {} allows ({})",
                    reviews.required_approving_review_count,
                    backend.name(),
                    max_approvals(backend)
                ),
            );
        }
        match backend {
            Backend::Classic => {
                for (key, given) in [
                    ("ruleset_name", rules.ruleset_name.is_some()),
                    ("enforcement", rules.enforcement.is_some()),
                ] {
                    if given {
                        return fail(key, "applies to `backend: rulesets` only".into());
                    }
                }
                if rules.block_creations && rules.restrictions.is_none() {
                    return fail(
                        "block_creations",
                        "classic protection blocks creations only together with `restrictions`"
                            .into(),
                    );
                }
            }
            Backend::Rulesets => {
                if rules.restrictions.is_some() {
                    return fail(
                        "restrictions",
                        "push restrictions are classic protection only; with rulesets, use `lock_branch` or the backend `classic`".into(),
                    );
                }
                let name = ruleset_name(branch, rules);
                if name.trim().is_empty() {
                    return fail("ruleset_name", "is blank".into());
                }
                if !ruleset_names.insert(name.clone()) {
                    return fail(
                        "ruleset_name",
                        format!("'{name}' is used by another branch of the policy"),
                    );
                }
            }
        }
    }
    Ok(())
}

/// The name of the ruleset a branch entry maps to.
pub fn ruleset_name(branch: &str, rules: &BranchPolicy) -> String {
    rules
        .ruleset_name
        .clone()
        .unwrap_or_else(|| format!("branch-protect: {branch}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_branch_entry_parses_in_order() {
        let policy = parse(
            "branches:\n  main:\n    required_status_checks:\n      strict: true\n      checks: [test, {context: build, app_id: 15368}]\n    required_pull_request_reviews:\n      required_approving_review_count: 2\n      require_code_owner_reviews: true\n    enforce_admins: true\n  develop:\n",
            Backend::Classic,
        )
        .expect("valid");
        let names: Vec<_> = policy.branches.0.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["main", "develop"]);
        let main = &policy.branches.0[0].1;
        let checks = main.required_status_checks.as_ref().expect("checks");
        assert!(checks.strict);
        assert_eq!(
            checks.checks,
            [
                Check {
                    context: "test".into(),
                    app_id: None
                },
                Check {
                    context: "build".into(),
                    app_id: Some(15368)
                }
            ]
        );
        assert_eq!(
            main.required_pull_request_reviews
                .as_ref()
                .map(|r| r.required_approving_review_count),
            Some(2)
        );
        assert_eq!(policy.branches.0[1].1, BranchPolicy::default());
    }

    #[test]
    fn patterns_are_for_rulesets_only() {
        let text = "branches:\n  'release/*':\n    allow_deletions: false\n";
        assert!(parse(text, Backend::Rulesets).is_ok());
        let err = parse(text, Backend::Classic).expect_err("pattern");
        assert!(
            err.starts_with("branch 'release/*': classic protection"),
            "{err}"
        );
    }

    #[test]
    fn default_ruleset_names_follow_the_branch() {
        assert_eq!(
            ruleset_name("main", &BranchPolicy::default()),
            "branch-protect: main"
        );
    }
}
