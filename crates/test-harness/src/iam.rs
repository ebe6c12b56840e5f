//! The IAM side of an action: the actions its documented policy (`actions/<name>/iam-policy.json`)
//! grants, and a check that the calls a proxy saw are among them.

use std::collections::BTreeSet;

use anyhow::Context as _;

use crate::FaultProxy;

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

/// The calls `proxy` saw, as `service:Operation`, sorted and without repeats.
pub fn calls_made(proxy: &FaultProxy) -> Vec<String> {
    proxy
        .calls()
        .iter()
        .map(|c| format!("{}:{}", c.service, c.operation))
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect()
}

/// Panics unless every call `proxy` saw is one of `allowed` (an action's `IAM_ACTIONS`).
pub fn assert_calls_within(proxy: &FaultProxy, allowed: &[&str]) {
    for call in calls_made(proxy) {
        assert!(
            allowed.contains(&call.as_str()),
            "{call} is not among the action's documented IAM actions {allowed:?}"
        );
    }
}
