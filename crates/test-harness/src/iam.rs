//! The IAM side of an action: the actions its documented policy (`actions/<name>/iam-policy.json`)
//! grants, and a check that the calls a proxy saw are among them.

use std::collections::BTreeSet;

use anyhow::Context as _;

use crate::{Call, FaultProxy};

/// The IAM actions (`ecs:UpdateService`, …) the policy document of action `name` grants.
pub fn policy_actions(name: &str) -> anyhow::Result<BTreeSet<String>> {
    let path = crate::workspace_root()
        .join("actions")
        .join(name)
        .join("iam-policy.json");
    let text =
        std::fs::read_to_string(&path).with_context(|| format!("read {}", path.display()))?;
    let policy: serde_json::Value =
        serde_json::from_str(&text).with_context(|| format!("{} is not JSON", path.display()))?;
    let statements = policy["Statement"]
        .as_array()
        .with_context(|| format!("{} has no Statement list", path.display()))?;
    let mut actions = BTreeSet::new();
    for statement in statements {
        match &statement["Action"] {
            serde_json::Value::String(one) => {
                actions.insert(one.clone());
            }
            serde_json::Value::Array(many) => {
                actions.extend(many.iter().filter_map(|a| a.as_str().map(str::to_owned)));
            }
            other => anyhow::bail!("{}: a statement's Action is {other}", path.display()),
        }
    }
    Ok(actions)
}

/// The IAM actions one call needs: `service:Operation` for most services; S3's operations
/// map to the object and bucket actions, and CloudWatch signs as `monitoring`.
pub fn iam_actions_of(call: &Call) -> Vec<String> {
    let s3 = |actions: &[&str]| actions.iter().map(|a| format!("s3:{a}")).collect();
    match (call.service.as_str(), call.operation.as_str()) {
        ("s3", "ListObjectsV2") => s3(&["ListBucket"]),
        ("s3", "HeadObject" | "GetObject") => s3(&["GetObject"]),
        (
            "s3",
            "PutObject" | "CreateMultipartUpload" | "UploadPart" | "CompleteMultipartUpload",
        ) => s3(&["PutObject"]),
        ("s3", "CopyObject") => s3(&["GetObject", "PutObject"]),
        ("s3", "DeleteObjects" | "DeleteObject") => s3(&["DeleteObject"]),
        ("monitoring", operation) => vec![format!("cloudwatch:{operation}")],
        (service, operation) => vec![format!("{service}:{operation}")],
    }
}

/// The IAM actions the calls `proxy` saw need, sorted and without repeats.
pub fn calls_made(proxy: &FaultProxy) -> Vec<String> {
    proxy
        .calls()
        .iter()
        .flat_map(iam_actions_of)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect()
}

/// Panics unless every call `proxy` saw needs only IAM actions among `allowed` (an action's
/// `IAM_ACTIONS`).
pub fn assert_calls_within(proxy: &FaultProxy, allowed: &[&str]) {
    for action in calls_made(proxy) {
        assert!(
            allowed.contains(&action.as_str()),
            "{action} is not among the action's documented IAM actions {allowed:?}"
        );
    }
}

/// Panics unless the policy document of action `name` grants exactly `actions`.
pub fn assert_policy_grants_exactly(name: &str, actions: &[&str]) {
    let granted = policy_actions(name).unwrap_or_else(|e| panic!("{e:#}"));
    let expected: BTreeSet<String> = actions.iter().map(|a| (*a).to_owned()).collect();
    assert_eq!(
        granted, expected,
        "actions/{name}/iam-policy.json must grant exactly the actions the action calls"
    );
}
