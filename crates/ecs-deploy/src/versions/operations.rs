//! The operations on the versions of a name besides deploying one: reap the finished draining
//! versions, promote an older live version back to default (instant rollback), tear every
//! version down, and the states they share with a deploy.

use std::collections::BTreeMap;

use anyhow::{Context as _, bail};

use crate::versions::aws::{ListenerInfo, VersionsAws};
use crate::versions::inventory::{ACTIVE, DRAINING, Inventory, Version};
use crate::versions::reap::{self, Decision, Policy};
use crate::versions::survey::{Scope, survey};
use crate::versions::{clock, names};
use crate::wait::Progress;

/// How to reap.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReapSettings {
    /// Drain ages.
    pub policy: Policy,
    /// CloudWatch namespace of `ShutdownReady` (`App/Drain`).
    pub namespace: String,
}

/// What a reap pass did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReapReport {
    /// Versions removed, and why they were finished.
    pub reaped: Vec<(String, String)>,
    /// Versions removed in part: what is left for the next pass.
    pub unfinished: Vec<(String, String)>,
    /// Versions left, and why (draining ones and the rest).
    pub kept: Vec<(String, String)>,
}

/// One reap pass over the versions of `scope.name`.
pub async fn reap_pass(
    aws: &VersionsAws,
    scope: &Scope,
    listener: &ListenerInfo,
    settings: &ReapSettings,
    progress: &mut impl FnMut(Progress),
) -> anyhow::Result<ReapReport> {
    let inventory = survey(aws, scope, listener).await?;
    let now = clock::now();
    let mut decisions: BTreeMap<String, Decision> = inventory
        .versions
        .values()
        .map(|v| {
            (
                v.id.clone(),
                reap::decide(&inventory, v, now, settings.policy),
            )
        })
        .collect();
    let asking: Vec<&Version> = inventory
        .versions
        .values()
        .filter(|v| decisions.get(&v.id) == Some(&Decision::AskTasks))
        .collect();
    let mut tasks: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for version in &asking {
        if let Some(service) = &version.service {
            tasks.insert(
                version.id.clone(),
                aws.running_tasks(&scope.cluster, &service.name).await?,
            );
        }
    }
    let pairs: Vec<(String, String)> = tasks
        .iter()
        .flat_map(|(id, ids)| ids.iter().map(move |t| (id.clone(), t.clone())))
        .collect();
    let latest = if pairs.is_empty() {
        BTreeMap::new()
    } else {
        let since = asking
            .iter()
            .filter_map(|v| v.state.as_ref().map(|s| s.since))
            .min()
            .unwrap_or(now);
        aws.shutdown_ready(&settings.namespace, &scope.name, &pairs, since, now)
            .await?
    };
    for (id, ids) in &tasks {
        let readings: Vec<(String, Option<f64>)> = ids
            .iter()
            .map(|t| (t.clone(), latest.get(&(id.clone(), t.clone())).copied()))
            .collect();
        decisions.insert(id.clone(), reap::decide_on_tasks(&readings));
    }
    let mut report = ReapReport::default();
    for version in inventory.ordered() {
        match decisions.remove(&version.id) {
            Some(Decision::Reap(why)) => {
                progress(Progress::Step(format!(
                    "reaping version {}: {why}",
                    version.id
                )));
                match remove_version(aws, scope, version).await? {
                    None => report.reaped.push((version.id.clone(), why)),
                    Some(left) => report.unfinished.push((version.id.clone(), left)),
                }
            }
            Some(Decision::Keep(why)) => report.kept.push((version.id.clone(), why)),
            Some(Decision::AskTasks) | None => {}
        }
    }
    Ok(report)
}

/// Removes a version in the safe order: rules, service (scaled to 0, deleted), target group
/// once nothing uses it, state parameter last (so a target group still in use is found again
/// by the next pass). Returns what is left, if anything.
pub async fn remove_version(
    aws: &VersionsAws,
    scope: &Scope,
    version: &Version,
) -> anyhow::Result<Option<String>> {
    for rule in &version.rules {
        aws.delete_rule(&rule.arn).await?;
    }
    if let Some(service) = &version.service {
        aws.delete_service(&scope.cluster, &service.name).await?;
    }
    if let Some(tg) = &version.target_group
        && !aws.delete_target_group(tg).await?
    {
        return Ok(Some(format!(
            "target group {tg} is still in use (ECS has not released it yet): the next pass deletes it"
        )));
    }
    aws.delete_parameter(&names::state_parameter(&scope.name, &version.id))
        .await?;
    Ok(None)
}

/// Marks every live version but `except` draining, in SSM and in its service tag, writing only
/// what differs.
pub async fn mark_others_draining(
    aws: &VersionsAws,
    name: &str,
    inventory: &Inventory,
    except: &str,
    progress: &mut impl FnMut(Progress),
) -> anyhow::Result<()> {
    for version in inventory
        .versions
        .values()
        .filter(|v| v.id != except && v.is_live())
    {
        let Some(service) = &version.service else {
            continue;
        };
        let mut changed = false;
        if version.state.as_ref().map(|s| s.value.as_str()) != Some(DRAINING) {
            aws.put_parameter(&names::state_parameter(name, &version.id), DRAINING)
                .await?;
            changed = true;
        }
        if service.tag_state.as_deref() != Some(DRAINING) {
            aws.tag_service_state(&service.arn, DRAINING).await?;
            changed = true;
        }
        if changed {
            progress(Progress::Step(format!(
                "version {} is draining",
                version.id
            )));
        }
    }
    Ok(())
}

/// Makes the live version `id` the default again (weights, states, tags): an instant rollback,
/// nothing built or registered.
pub async fn promote(
    aws: &VersionsAws,
    scope: &Scope,
    listener: &ListenerInfo,
    id: &str,
    progress: &mut impl FnMut(Progress),
) -> anyhow::Result<()> {
    let inventory = survey(aws, scope, listener).await?;
    let version = inventory
        .versions
        .get(id)
        .filter(|v| v.is_live() && v.target_group.is_some())
        .with_context(|| {
            format!(
                "input 'deployment-id': version '{id}' is not live (live: {})",
                live_ids(&inventory)
            )
        })?;
    let (Some(tg), Some(service)) = (&version.target_group, &version.service) else {
        bail!("input 'deployment-id': version '{id}' has no target group");
    };
    aws.set_default_forward(&scope.listener, &[(tg.clone(), 1)])
        .await?;
    progress(Progress::Step(format!(
        "default action: 100% to version {id}"
    )));
    if version.state.as_ref().map(|s| s.value.as_str()) != Some(ACTIVE) {
        aws.put_parameter(&names::state_parameter(&scope.name, id), ACTIVE)
            .await?;
    }
    if service.tag_state.as_deref() != Some(ACTIVE) {
        aws.tag_service_state(&service.arn, ACTIVE).await?;
    }
    mark_others_draining(aws, &scope.name, &inventory, id, progress).await
}

/// The live versions' ids, for messages.
fn live_ids(inventory: &Inventory) -> String {
    let ids: Vec<&str> = inventory
        .versions
        .values()
        .filter(|v| v.is_live())
        .map(|v| v.id.as_str())
        .collect();
    if ids.is_empty() {
        "none".to_owned()
    } else {
        ids.join(", ")
    }
}

/// Removes every version of the name; the default action answers 503 first when it forwards
/// to one of them. Returns the ids removed and those left in part.
pub async fn teardown(
    aws: &VersionsAws,
    scope: &Scope,
    listener: &ListenerInfo,
    progress: &mut impl FnMut(Progress),
) -> anyhow::Result<ReapReport> {
    let inventory = survey(aws, scope, listener).await?;
    let ours: Vec<String> = inventory.version_of().into_keys().collect();
    let default_is_ours = inventory.listener.default.as_ref().is_some_and(|a| {
        crate::versions::routing::weighted_targets(a)
            .iter()
            .any(|tg| ours.iter().any(|o| o == tg))
    });
    if default_is_ours {
        aws.set_default_unavailable(&scope.listener).await?;
        progress(Progress::Step("default action: fixed response 503".into()));
    }
    let mut report = ReapReport::default();
    for version in inventory.ordered() {
        if version.foreign_service {
            report.kept.push((
                version.id.clone(),
                "its service has no managed-by tag".into(),
            ));
            continue;
        }
        match remove_version(aws, scope, version).await? {
            None => report.reaped.push((version.id.clone(), "teardown".into())),
            Some(left) => report.unfinished.push((version.id.clone(), left)),
        }
        progress(Progress::Step(format!("removed version {}", version.id)));
    }
    Ok(report)
}
