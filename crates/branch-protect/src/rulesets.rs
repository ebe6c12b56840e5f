//! Repository rulesets: the body `POST`/`PUT …/rulesets` take, built from a branch entry of the
//! policy, the answers of the list and of `GET …/rulesets/{id}`, and both flattened into the
//! same [`Fields`].
//!
//! A branch entry becomes one ruleset, found again by its name among the repository's own
//! rulesets (the list also holds organisation rulesets, which are left alone). The list omits
//! the rules, so a match is read again by id. How the classic settings map onto rules:
//! checks → `required_status_checks`, reviews and conversation resolution → `pull_request`,
//! forbidden force pushes → `non_fast_forward`, forbidden deletion → `deletion`,
//! `lock_branch` → `update`, `block_creations` → `creation`, linear history and signatures →
//! their rules, and `enforce_admins: false` → the repository admin role may bypass.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::diff::{Fields, check_list};
use crate::policy::{BranchPolicy, Enforcement, ruleset_name};

/// The id of the built-in repository admin role, as a bypass actor.
const ADMIN_ROLE_ID: i64 = 5;

/// The body of `POST /repos/{owner}/{repo}/rulesets` and `PUT …/rulesets/{id}`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RulesetRequest {
    /// Matched by name on later runs.
    pub name: String,
    /// Always `branch`.
    pub target: String,
    /// `active`, `disabled` or `evaluate`.
    pub enforcement: String,
    /// Who may bypass.
    pub bypass_actors: Vec<BypassActor>,
    /// Which branches.
    pub conditions: Conditions,
    /// The rules.
    pub rules: Vec<Rule>,
}

/// A bypass actor.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct BypassActor {
    /// The role, team, app or user id.
    #[serde(default)]
    pub actor_id: Option<i64>,
    /// `RepositoryRole`, `Team`, `Integration`, ….
    pub actor_type: String,
    /// `always` or `pull_request`.
    #[serde(default)]
    pub bypass_mode: Option<String>,
}

/// `conditions`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Conditions {
    /// The branches it targets.
    #[serde(default)]
    pub ref_name: RefName,
}

/// `conditions.ref_name`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct RefName {
    /// `refs/heads/…` patterns, `~DEFAULT_BRANCH` or `~ALL`.
    #[serde(default)]
    pub include: Vec<String>,
    /// Patterns left out.
    #[serde(default)]
    pub exclude: Vec<String>,
}

/// The rules this action writes.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Rule {
    /// Only bypass actors may create matching branches.
    Creation,
    /// Only bypass actors may push (a locked branch).
    Update {
        /// Its parameters.
        parameters: UpdateParameters,
    },
    /// Only bypass actors may delete.
    Deletion,
    /// No merge commits.
    RequiredLinearHistory,
    /// Signed commits.
    RequiredSignatures,
    /// No force pushes.
    NonFastForward,
    /// Changes through a pull request.
    PullRequest {
        /// Its parameters.
        parameters: PullRequestParameters,
    },
    /// Checks must pass.
    RequiredStatusChecks {
        /// Its parameters.
        parameters: StatusCheckParameters,
    },
}

/// `update` rule parameters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UpdateParameters {
    /// Forks may still sync.
    pub update_allows_fetch_and_merge: bool,
}

/// `pull_request` rule parameters (the five GitHub requires).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PullRequestParameters {
    /// Dismiss approvals on push.
    pub dismiss_stale_reviews_on_push: bool,
    /// A code owner must approve.
    pub require_code_owner_review: bool,
    /// The last pusher cannot approve.
    pub require_last_push_approval: bool,
    /// Approvals needed.
    pub required_approving_review_count: u8,
    /// Conversations must be resolved.
    pub required_review_thread_resolution: bool,
}

/// `required_status_checks` rule parameters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StatusCheckParameters {
    /// The checks.
    pub required_status_checks: Vec<StatusCheck>,
    /// Up to date before merging.
    pub strict_required_status_checks_policy: bool,
}

/// One required check of a ruleset.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StatusCheck {
    /// Its name.
    pub context: String,
    /// The app that must report it; left out for any app.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub integration_id: Option<i64>,
}

impl RulesetRequest {
    /// The ruleset a branch entry of the policy declares.
    pub fn desired(branch: &str, policy: &BranchPolicy) -> Self {
        let target = if branch.starts_with('~') {
            branch.to_owned()
        } else {
            format!("refs/heads/{branch}")
        };
        let mut rules = Vec::new();
        if policy.block_creations {
            rules.push(Rule::Creation);
        }
        if policy.lock_branch {
            rules.push(Rule::Update {
                parameters: UpdateParameters {
                    update_allows_fetch_and_merge: policy.allow_fork_syncing,
                },
            });
        }
        if !policy.allow_deletions {
            rules.push(Rule::Deletion);
        }
        if policy.required_linear_history {
            rules.push(Rule::RequiredLinearHistory);
        }
        if policy.required_signatures {
            rules.push(Rule::RequiredSignatures);
        }
        if !policy.allow_force_pushes {
            rules.push(Rule::NonFastForward);
        }
        let reviews = policy.required_pull_request_reviews.as_ref();
        if reviews.is_some() || policy.required_conversation_resolution {
            rules.push(Rule::PullRequest {
                parameters: PullRequestParameters {
                    dismiss_stale_reviews_on_push: reviews.is_some_and(|r| r.dismiss_stale_reviews),
                    require_code_owner_review: reviews
                        .is_some_and(|r| r.require_code_owner_reviews),
                    require_last_push_approval: reviews
                        .is_some_and(|r| r.require_last_push_approval),
                    required_approving_review_count: reviews
                        .map_or(0, |r| r.required_approving_review_count),
                    required_review_thread_resolution: policy.required_conversation_resolution,
                },
            });
        }
        if let Some(checks) = &policy.required_status_checks {
            rules.push(Rule::RequiredStatusChecks {
                parameters: StatusCheckParameters {
                    required_status_checks: checks
                        .checks
                        .iter()
                        .map(|check| StatusCheck {
                            context: check.context.clone(),
                            // Rulesets say "any app" by leaving the id out.
                            integration_id: check.app_id.filter(|id| *id > 0),
                        })
                        .collect(),
                    strict_required_status_checks_policy: checks.strict,
                },
            });
        }
        let bypass_actors = if policy.enforce_admins {
            Vec::new()
        } else {
            vec![BypassActor {
                actor_id: Some(ADMIN_ROLE_ID),
                actor_type: "RepositoryRole".into(),
                bypass_mode: Some("always".into()),
            }]
        };
        Self {
            name: ruleset_name(branch, policy),
            target: "branch".into(),
            enforcement: policy
                .enforcement
                .unwrap_or(Enforcement::Active)
                .as_str()
                .into(),
            bypass_actors,
            conditions: Conditions {
                ref_name: RefName {
                    include: vec![target],
                    exclude: Vec::new(),
                },
            },
            rules,
        }
    }

    /// The ruleset as compared.
    pub fn view(&self) -> RulesetView {
        RulesetView {
            target: self.target.clone(),
            enforcement: self.enforcement.clone(),
            bypass_actors: self.bypass_actors.clone(),
            conditions: self.conditions.clone(),
            rules: self
                .rules
                .iter()
                .filter_map(|rule| serde_json::to_value(rule).ok())
                .collect(),
        }
    }
}

/// One entry of `GET /repos/{owner}/{repo}/rulesets`.
#[derive(Debug, Clone, Deserialize)]
pub struct RulesetSummary {
    /// Its id.
    pub id: u64,
    /// Its name.
    pub name: String,
    /// `Repository` or `Organization`.
    #[serde(default)]
    pub source_type: Option<String>,
}

impl RulesetSummary {
    /// Whether the repository owns it (organisation rulesets show up in the list too).
    pub fn is_repository_owned(&self) -> bool {
        self.source_type
            .as_deref()
            .is_none_or(|t| t == "Repository")
    }
}

/// The repository's own ruleset called `name`, if any.
pub fn find_by_name<'a>(list: &'a [RulesetSummary], name: &str) -> Option<&'a RulesetSummary> {
    list.iter()
        .find(|ruleset| ruleset.is_repository_owned() && ruleset.name == name)
}

/// The answer of `GET /repos/{owner}/{repo}/rulesets/{id}`.
#[derive(Debug, Clone, Deserialize)]
pub struct RulesetResponse {
    /// Its id.
    pub id: u64,
    /// Its name.
    pub name: String,
    #[serde(default)]
    target: Option<String>,
    #[serde(default)]
    enforcement: String,
    #[serde(default)]
    bypass_actors: Option<Vec<BypassActor>>,
    #[serde(default)]
    conditions: Option<Conditions>,
    #[serde(default)]
    rules: Vec<Value>,
}

impl RulesetResponse {
    /// The ruleset as compared.
    pub fn view(&self) -> RulesetView {
        RulesetView {
            target: self.target.clone().unwrap_or_else(|| "branch".into()),
            enforcement: self.enforcement.clone(),
            bypass_actors: self.bypass_actors.clone().unwrap_or_default(),
            conditions: self.conditions.clone().unwrap_or_default(),
            rules: self.rules.clone(),
        }
    }
}

/// What is compared of a ruleset, the same for a request and an answer.
#[derive(Debug, Clone, PartialEq)]
pub struct RulesetView {
    target: String,
    enforcement: String,
    bypass_actors: Vec<BypassActor>,
    conditions: Conditions,
    rules: Vec<Value>,
}

/// The parameters of each rule this action compares; others GitHub adds (such as
/// `allowed_merge_methods`) are left as they are.
const COMPARED_PARAMETERS: &[(&str, &[&str])] = &[
    (
        "pull_request",
        &[
            "dismiss_stale_reviews_on_push",
            "require_code_owner_review",
            "require_last_push_approval",
            "required_approving_review_count",
            "required_review_thread_resolution",
        ],
    ),
    (
        "required_status_checks",
        &["strict_required_status_checks_policy"],
    ),
    ("update", &["update_allows_fetch_and_merge"]),
];

/// A ruleset flattened for comparison (`None`: the repository has no ruleset of that name).
pub fn fields(ruleset: Option<&RulesetView>, pinned: &BTreeSet<&str>) -> Fields {
    let mut fields = Fields::new();
    let Some(ruleset) = ruleset else {
        fields.insert("exists".into(), "false".into());
        return fields;
    };
    let sorted = |list: &[String]| {
        let mut list = list.to_vec();
        list.sort();
        list.join(", ")
    };
    fields.insert("exists".into(), "true".into());
    fields.insert("target".into(), ruleset.target.clone());
    fields.insert("enforcement".into(), ruleset.enforcement.clone());
    fields.insert(
        "conditions.ref_name.include".into(),
        sorted(&ruleset.conditions.ref_name.include),
    );
    fields.insert(
        "conditions.ref_name.exclude".into(),
        sorted(&ruleset.conditions.ref_name.exclude),
    );
    let mut actors = ruleset.bypass_actors.clone();
    actors.sort();
    let actors: Vec<String> = actors
        .iter()
        .map(|a| {
            format!(
                "{} {} ({})",
                a.actor_type,
                a.actor_id.map_or_else(|| "-".into(), |id| id.to_string()),
                a.bypass_mode.as_deref().unwrap_or("always")
            )
        })
        .collect();
    fields.insert("bypass_actors".into(), actors.join(", "));
    for rule in &ruleset.rules {
        let kind = rule
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or("unknown");
        fields.insert(format!("rules.{kind}"), "on".into());
        let parameters = rule.get("parameters");
        let compared = COMPARED_PARAMETERS
            .iter()
            .find(|(name, _)| *name == kind)
            .map_or(&[][..], |(_, params)| *params);
        for name in compared {
            let value = parameters
                .and_then(|p| p.get(*name))
                .map_or_else(|| "—".to_owned(), scalar);
            fields.insert(format!("rules.{kind}.{name}"), value);
        }
        if kind == "required_status_checks" {
            let checks = parameters
                .and_then(|p| p.get("required_status_checks"))
                .and_then(Value::as_array)
                .map(Vec::as_slice)
                .unwrap_or_default();
            let list = check_list(
                checks.iter().map(|check| {
                    (
                        check.get("context").and_then(Value::as_str).unwrap_or(""),
                        check.get("integration_id").and_then(Value::as_i64),
                    )
                }),
                pinned,
            );
            fields.insert(format!("rules.{kind}.required_status_checks"), list);
        }
    }
    fields
}

fn scalar(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diff::diff;
    use crate::policy::{Backend, parse};

    fn entry(yaml: &str) -> (String, BranchPolicy) {
        let policy = parse(yaml, Backend::Rulesets).expect("policy");
        policy.branches.0[0].clone()
    }

    #[test]
    fn classic_settings_map_onto_rules() {
        let (branch, policy) = entry(
            "branches:\n  main:\n    required_status_checks: {strict: true, checks: [test, {context: lint, app_id: -1}]}\n    required_conversation_resolution: true\n    enforce_admins: true\n",
        );
        let body = serde_json::to_value(RulesetRequest::desired(&branch, &policy)).expect("json");
        assert_eq!(body["name"], "branch-protect: main");
        assert_eq!(
            body["conditions"]["ref_name"]["include"][0],
            "refs/heads/main"
        );
        assert_eq!(body["bypass_actors"], serde_json::json!([]));
        let kinds: Vec<&str> = body["rules"]
            .as_array()
            .expect("rules")
            .iter()
            .filter_map(|r| r["type"].as_str())
            .collect();
        assert_eq!(
            kinds,
            [
                "deletion",
                "non_fast_forward",
                "pull_request",
                "required_status_checks"
            ]
        );
        assert_eq!(
            body["rules"][2]["parameters"]["required_approving_review_count"],
            0
        );
        assert_eq!(
            body["rules"][3]["parameters"]["required_status_checks"],
            serde_json::json!([{"context": "test"}, {"context": "lint"}])
        );
    }

    #[test]
    fn parameters_github_adds_are_not_differences() {
        let (branch, policy) = entry(
            "branches:\n  '~DEFAULT_BRANCH':\n    required_pull_request_reviews: {required_approving_review_count: 2}\n",
        );
        let request = RulesetRequest::desired(&branch, &policy);
        let mut answer = serde_json::to_value(&request).expect("json");
        answer["id"] = 7.into();
        answer["source_type"] = "Repository".into();
        answer["rules"][2]["parameters"]["allowed_merge_methods"] =
            serde_json::json!(["merge", "squash", "rebase"]);
        let answer: RulesetResponse = serde_json::from_value(answer).expect("answer");
        let pinned = policy.pinned_checks();
        assert_eq!(
            diff(
                &fields(Some(&answer.view()), &pinned),
                &fields(Some(&request.view()), &pinned)
            ),
            []
        );
        assert_eq!(request.conditions.ref_name.include, ["~DEFAULT_BRANCH"]);
    }

    #[test]
    fn organisation_rulesets_never_match() {
        let list: Vec<RulesetSummary> = serde_json::from_value(serde_json::json!([
            {"id": 1, "name": "branch-protect: main", "source_type": "Organization"},
            {"id": 2, "name": "branch-protect: main", "source_type": "Repository"}
        ]))
        .expect("list");
        assert_eq!(
            find_by_name(&list, "branch-protect: main").map(|r| r.id),
            Some(2)
        );
        assert!(find_by_name(&list[..1], "branch-protect: main").is_none());
    }
}
