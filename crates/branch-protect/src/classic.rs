//! Classic branch protection: the body `PUT …/branches/{branch}/protection` takes, the shape
//! `GET` answers in, and both flattened into the same [`Fields`] so they compare.
//!
//! The PUT body always carries the four keys GitHub requires (`required_status_checks`,
//! `enforce_admins`, `required_pull_request_reviews`, `restrictions`, each possibly null) and
//! names checks with `checks[{context, app_id}]`, not the deprecated `contexts`. GET wraps
//! booleans in `{enabled}`, lists users, teams and apps as objects, and answers 404 for an
//! unprotected branch. Signed commits are not part of the PUT body: they have their own
//! endpoint, and are compared here with the rest.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::diff::{Fields, check_list};
use crate::policy::BranchPolicy;

/// The body of `PUT /repos/{owner}/{repo}/branches/{branch}/protection`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProtectionRequest {
    /// Required checks, or null.
    pub required_status_checks: Option<StatusChecksBody>,
    /// Whether administrators are bound.
    pub enforce_admins: bool,
    /// Required reviews, or null.
    pub required_pull_request_reviews: Option<ReviewsBody>,
    /// Push restrictions, or null.
    pub restrictions: Option<RestrictionsBody>,
    /// No merge commits.
    pub required_linear_history: bool,
    /// Force pushes allowed.
    pub allow_force_pushes: bool,
    /// Deletion allowed.
    pub allow_deletions: bool,
    /// Creating matching branches blocked.
    pub block_creations: bool,
    /// Conversations must be resolved.
    pub required_conversation_resolution: bool,
    /// Read-only branch.
    pub lock_branch: bool,
    /// Forks may sync a locked branch.
    pub allow_fork_syncing: bool,
}

/// `required_status_checks` of the PUT body.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StatusChecksBody {
    /// Up to date before merging.
    pub strict: bool,
    /// The checks.
    pub checks: Vec<CheckBody>,
}

/// One check of the PUT body.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CheckBody {
    /// Its name.
    pub context: String,
    /// The app that must report it; left out to let GitHub choose.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub app_id: Option<i64>,
}

/// `required_pull_request_reviews` of the PUT body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReviewsBody {
    /// Dismiss approvals on a new push.
    pub dismiss_stale_reviews: bool,
    /// A code owner must approve.
    pub require_code_owner_reviews: bool,
    /// Approvals needed.
    pub required_approving_review_count: u8,
    /// The last pusher cannot be the approver.
    pub require_last_push_approval: bool,
}

/// `restrictions` of the PUT body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RestrictionsBody {
    /// User logins.
    pub users: Vec<String>,
    /// Team slugs.
    pub teams: Vec<String>,
    /// App slugs.
    pub apps: Vec<String>,
}

/// A classic protection as this action compares it: the PUT body plus signed commits.
#[derive(Debug, Clone, PartialEq)]
pub struct Protection {
    /// Everything the PUT endpoint sets.
    pub request: ProtectionRequest,
    /// Whether signed commits are required (their own endpoint).
    pub required_signatures: bool,
}

impl Protection {
    /// What a branch entry of the policy declares.
    pub fn desired(policy: &BranchPolicy) -> Self {
        let request = ProtectionRequest {
            required_status_checks: policy.required_status_checks.as_ref().map(|checks| {
                StatusChecksBody {
                    strict: checks.strict,
                    checks: checks
                        .checks
                        .iter()
                        .map(|check| CheckBody {
                            context: check.context.clone(),
                            app_id: check.app_id,
                        })
                        .collect(),
                }
            }),
            enforce_admins: policy.enforce_admins,
            required_pull_request_reviews: policy.required_pull_request_reviews.as_ref().map(
                |reviews| ReviewsBody {
                    dismiss_stale_reviews: reviews.dismiss_stale_reviews,
                    require_code_owner_reviews: reviews.require_code_owner_reviews,
                    required_approving_review_count: reviews.required_approving_review_count,
                    require_last_push_approval: reviews.require_last_push_approval,
                },
            ),
            restrictions: policy
                .restrictions
                .as_ref()
                .map(|restrictions| RestrictionsBody {
                    users: restrictions.users.clone(),
                    teams: restrictions.teams.clone(),
                    apps: restrictions.apps.clone(),
                }),
            required_linear_history: policy.required_linear_history,
            allow_force_pushes: policy.allow_force_pushes,
            allow_deletions: policy.allow_deletions,
            block_creations: policy.block_creations,
            required_conversation_resolution: policy.required_conversation_resolution,
            lock_branch: policy.lock_branch,
            allow_fork_syncing: policy.allow_fork_syncing,
        };
        Self {
            request,
            required_signatures: policy.required_signatures,
        }
    }

    /// A GET answer, normalised into the PUT shape. A wrapper GitHub leaves out is off.
    pub fn from_response(response: &ProtectionResponse) -> Self {
        let enabled = |flag: &Option<Enabled>| flag.as_ref().is_some_and(|f| f.enabled);
        let request = ProtectionRequest {
            required_status_checks: response.required_status_checks.as_ref().map(|checks| {
                // Older servers answer with `contexts` only.
                let listed = checks.checks.clone().unwrap_or_else(|| {
                    checks
                        .contexts
                        .iter()
                        .map(|context| CheckResponse {
                            context: context.clone(),
                            app_id: None,
                        })
                        .collect()
                });
                StatusChecksBody {
                    strict: checks.strict.unwrap_or(false),
                    checks: listed
                        .into_iter()
                        .map(|check| CheckBody {
                            context: check.context,
                            app_id: check.app_id,
                        })
                        .collect(),
                }
            }),
            enforce_admins: enabled(&response.enforce_admins),
            required_pull_request_reviews: response.required_pull_request_reviews.as_ref().map(
                |reviews| ReviewsBody {
                    dismiss_stale_reviews: reviews.dismiss_stale_reviews,
                    require_code_owner_reviews: reviews.require_code_owner_reviews,
                    required_approving_review_count: reviews.required_approving_review_count,
                    require_last_push_approval: reviews.require_last_push_approval,
                },
            ),
            restrictions: response
                .restrictions
                .as_ref()
                .map(|restrictions| RestrictionsBody {
                    users: restrictions.users.iter().map(|u| u.login.clone()).collect(),
                    teams: restrictions.teams.iter().map(|t| t.slug.clone()).collect(),
                    apps: restrictions.apps.iter().map(|a| a.slug.clone()).collect(),
                }),
            required_linear_history: enabled(&response.required_linear_history),
            allow_force_pushes: enabled(&response.allow_force_pushes),
            allow_deletions: enabled(&response.allow_deletions),
            block_creations: enabled(&response.block_creations),
            required_conversation_resolution: enabled(&response.required_conversation_resolution),
            lock_branch: enabled(&response.lock_branch),
            allow_fork_syncing: enabled(&response.allow_fork_syncing),
        };
        Self {
            request,
            required_signatures: enabled(&response.required_signatures),
        }
    }
}

/// The protection of a branch flattened for comparison (`None`: the branch is not protected).
/// `pinned` names the checks whose app is compared (see [`check_list`]).
pub fn fields(protection: Option<&Protection>, pinned: &BTreeSet<&str>) -> Fields {
    let mut fields = Fields::new();
    let Some(protection) = protection else {
        fields.insert("protected".into(), "false".into());
        return fields;
    };
    let mut set = |name: &str, value: String| {
        fields.insert(name.to_owned(), value);
    };
    set("protected", "true".into());
    let request = &protection.request;
    match &request.required_status_checks {
        None => set("required_status_checks", "off".into()),
        Some(checks) => {
            set("required_status_checks", "on".into());
            set("required_status_checks.strict", checks.strict.to_string());
            set(
                "required_status_checks.checks",
                check_list(
                    checks.checks.iter().map(|c| (c.context.as_str(), c.app_id)),
                    pinned,
                ),
            );
        }
    }
    match &request.required_pull_request_reviews {
        None => set("required_pull_request_reviews", "off".into()),
        Some(reviews) => {
            let prefix = "required_pull_request_reviews";
            set(prefix, "on".into());
            for (name, value) in [
                (
                    "required_approving_review_count",
                    reviews.required_approving_review_count.to_string(),
                ),
                (
                    "require_code_owner_reviews",
                    reviews.require_code_owner_reviews.to_string(),
                ),
                (
                    "dismiss_stale_reviews",
                    reviews.dismiss_stale_reviews.to_string(),
                ),
                (
                    "require_last_push_approval",
                    reviews.require_last_push_approval.to_string(),
                ),
            ] {
                set(&format!("{prefix}.{name}"), value);
            }
        }
    }
    match &request.restrictions {
        None => set("restrictions", "off".into()),
        Some(restrictions) => {
            set("restrictions", "on".into());
            for (name, list) in [
                ("users", &restrictions.users),
                ("teams", &restrictions.teams),
                ("apps", &restrictions.apps),
            ] {
                let mut sorted = list.clone();
                sorted.sort();
                set(&format!("restrictions.{name}"), sorted.join(", "));
            }
        }
    }
    for (name, value) in [
        ("enforce_admins", request.enforce_admins),
        ("required_linear_history", request.required_linear_history),
        ("allow_force_pushes", request.allow_force_pushes),
        ("allow_deletions", request.allow_deletions),
        ("block_creations", request.block_creations),
        (
            "required_conversation_resolution",
            request.required_conversation_resolution,
        ),
        ("lock_branch", request.lock_branch),
        ("allow_fork_syncing", request.allow_fork_syncing),
        ("required_signatures", protection.required_signatures),
    ] {
        set(name, value.to_string());
    }
    fields
}

/// The answer of `GET …/branches/{branch}/protection` (what this action reads of it).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ProtectionResponse {
    #[serde(default)]
    required_status_checks: Option<StatusChecksResponse>,
    #[serde(default)]
    enforce_admins: Option<Enabled>,
    #[serde(default)]
    required_pull_request_reviews: Option<ReviewsResponse>,
    #[serde(default)]
    restrictions: Option<RestrictionsResponse>,
    #[serde(default)]
    required_linear_history: Option<Enabled>,
    #[serde(default)]
    allow_force_pushes: Option<Enabled>,
    #[serde(default)]
    allow_deletions: Option<Enabled>,
    #[serde(default)]
    block_creations: Option<Enabled>,
    #[serde(default)]
    required_conversation_resolution: Option<Enabled>,
    #[serde(default)]
    lock_branch: Option<Enabled>,
    #[serde(default)]
    allow_fork_syncing: Option<Enabled>,
    #[serde(default)]
    required_signatures: Option<Enabled>,
}

/// GET's `{enabled}` wrapper.
#[derive(Debug, Clone, Deserialize)]
struct Enabled {
    #[serde(default)]
    enabled: bool,
}

#[derive(Debug, Clone, Deserialize)]
struct StatusChecksResponse {
    #[serde(default)]
    strict: Option<bool>,
    #[serde(default)]
    contexts: Vec<String>,
    #[serde(default)]
    checks: Option<Vec<CheckResponse>>,
}

#[derive(Debug, Clone, Deserialize)]
struct CheckResponse {
    context: String,
    #[serde(default)]
    app_id: Option<i64>,
}

#[derive(Debug, Clone, Deserialize)]
struct ReviewsResponse {
    #[serde(default)]
    dismiss_stale_reviews: bool,
    #[serde(default)]
    require_code_owner_reviews: bool,
    #[serde(default)]
    required_approving_review_count: u8,
    #[serde(default)]
    require_last_push_approval: bool,
}

#[derive(Debug, Clone, Deserialize)]
struct RestrictionsResponse {
    #[serde(default)]
    users: Vec<Login>,
    #[serde(default)]
    teams: Vec<Slug>,
    #[serde(default)]
    apps: Vec<Slug>,
}

#[derive(Debug, Clone, Deserialize)]
struct Login {
    login: String,
}

#[derive(Debug, Clone, Deserialize)]
struct Slug {
    slug: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diff::diff;
    use crate::policy::{Backend, parse};

    fn entry(yaml: &str) -> BranchPolicy {
        let policy = parse(yaml, Backend::Classic).expect("policy");
        policy.branches.0[0].1.clone()
    }

    #[test]
    fn the_put_body_always_has_the_four_required_keys() {
        let desired = Protection::desired(&entry("branches: {main: {}}"));
        let body = serde_json::to_value(&desired.request).expect("json");
        for key in [
            "required_status_checks",
            "enforce_admins",
            "required_pull_request_reviews",
            "restrictions",
        ] {
            assert!(body.get(key).is_some(), "{key} missing from {body}");
        }
        assert_eq!(body["required_status_checks"], serde_json::Value::Null);
    }

    #[test]
    fn a_get_answer_normalises_to_what_was_put() {
        let policy = entry(
            "branches:\n  main:\n    required_status_checks: {strict: true, checks: [test, {context: lint, app_id: -1}]}\n    required_pull_request_reviews: {required_approving_review_count: 2}\n    restrictions: {users: [octocat], teams: [core]}\n    enforce_admins: true\n    required_signatures: true\n",
        );
        let want = Protection::desired(&policy);
        let answer: ProtectionResponse = serde_json::from_value(serde_json::json!({
            "url": "u",
            "required_status_checks": {"url": "u", "strict": true, "contexts": ["test", "lint"],
                "checks": [{"context": "test", "app_id": 15368}, {"context": "lint", "app_id": null}],
                "contexts_url": "u", "enforcement_level": "everyone"},
            "enforce_admins": {"url": "u", "enabled": true},
            "required_pull_request_reviews": {"url": "u", "dismiss_stale_reviews": false,
                "require_code_owner_reviews": false, "required_approving_review_count": 2,
                "require_last_push_approval": false},
            "restrictions": {"url": "u", "users_url": "u", "teams_url": "u", "apps_url": "u",
                "users": [{"login": "octocat", "id": 1}], "teams": [{"slug": "core", "id": 2}], "apps": []},
            "required_linear_history": {"enabled": false},
            "allow_force_pushes": {"enabled": false},
            "allow_deletions": {"enabled": false},
            "required_conversation_resolution": {"enabled": false},
            "lock_branch": {"enabled": false},
            "allow_fork_syncing": {"enabled": false},
            "required_signatures": {"url": "u", "enabled": true}
        }))
        .expect("GET shape");
        let live = Protection::from_response(&answer);
        let pinned = policy.pinned_checks();
        let changes = diff(&fields(Some(&live), &pinned), &fields(Some(&want), &pinned));
        assert_eq!(
            changes,
            [],
            "GitHub's choice of app for `test` is not a difference"
        );
    }

    #[test]
    fn an_unprotected_branch_differs_in_every_declared_field() {
        let policy = entry("branches: {main: {enforce_admins: true}}");
        let want = Protection::desired(&policy);
        let pinned = policy.pinned_checks();
        let changes = diff(&fields(None, &pinned), &fields(Some(&want), &pinned));
        assert_eq!(changes[0].field, "allow_deletions");
        let protected = changes
            .iter()
            .find(|c| c.field == "protected")
            .expect("protected");
        assert_eq!(protected.current.as_deref(), Some("false"));
        assert_eq!(protected.desired.as_deref(), Some("true"));
    }
}
