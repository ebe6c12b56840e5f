//! Reads everything of one deployment name into an [`Inventory`]: the listener's rules and
//! default action, the rule count of the load balancer, the cluster's services, the SSM
//! states, and the tags that say which rules and target groups are the versions'.

use std::collections::BTreeMap;

use crate::versions::aws::{self, ListenerInfo, VersionsAws, managed, tag};
use crate::versions::inventory::{Inventory, RuleRef, Version, VersionService};
use crate::versions::names;
use crate::versions::routing::Action;

/// Where the versions of a name live.
#[derive(Debug, Clone)]
pub struct Scope {
    /// ECS cluster.
    pub cluster: String,
    /// The listener's ARN.
    pub listener: String,
    /// The deployment name.
    pub name: String,
}

/// Reads the inventory of `scope.name`.
pub async fn survey(
    aws: &VersionsAws,
    scope: &Scope,
    listener: &ListenerInfo,
) -> anyhow::Result<Inventory> {
    let mut inventory = Inventory::default();
    let rules = aws.rules(&scope.listener).await?;
    let (defaults, rules): (Vec<_>, Vec<_>) = rules.into_iter().partition(|r| r.priority.is_none());
    inventory.listener.default = defaults
        .into_iter()
        .next()
        .map(|r| r.action)
        .or_else(|| listener.default.clone());
    inventory.load_balancer_rules = rules.len();
    for other in aws.listeners_of(&listener.load_balancer).await? {
        if other != scope.listener {
            inventory.load_balancer_rules += aws
                .rules(&other)
                .await?
                .iter()
                .filter(|r| r.priority.is_some())
                .count();
        }
    }
    let versions = &mut inventory.versions;
    // Services: ours by tag; one with a version's name but without the tag is foreign.
    let prefix = format!("svc-{}-", scope.name);
    for service in aws.services(&scope.cluster).await? {
        let id = match (
            managed(&service.tags, &scope.name),
            service.tags.get(tag::ID),
        ) {
            (true, Some(id)) => id.clone(),
            _ => {
                if let Some(id) = service.name.strip_prefix(&prefix) {
                    versions_entry(versions, id).foreign_service = true;
                }
                continue;
            }
        };
        let version = versions_entry(versions, &id);
        version.deployed_at = service
            .tags
            .get(tag::DEPLOYED_AT)
            .and_then(|t| t.parse().ok());
        version.fingerprint = service.tags.get(tag::FINGERPRINT).cloned();
        version.target_group = service.target_groups.first().cloned();
        version.service = Some(VersionService {
            arn: service.arn,
            name: service.name,
            status: service.status,
            tag_state: service.tags.get(tag::STATE).cloned(),
            task_definition: service.task_definition,
            running: service.running,
            desired: service.desired,
        });
    }
    for (parameter, state) in aws.parameters(&names::apps_path(&scope.name)).await? {
        if let Some(id) = names::id_of_state_parameter(&scope.name, &parameter) {
            versions_entry(versions, id).state = Some(state);
        }
    }
    // Rules: ours by tag.
    let arns: Vec<String> = rules.iter().map(|r| r.arn.clone()).collect();
    let rule_tags = aws.elb_tags(&arns).await?;
    for rule in &rules {
        let Some(tags) = rule_tags.get(&rule.arn).filter(|t| managed(t, &scope.name)) else {
            continue;
        };
        let (Some(id), Some(priority)) = (tags.get(tag::ID), rule.priority) else {
            continue;
        };
        let version = versions_entry(versions, id);
        version.rules.push(RuleRef {
            arn: rule.arn.clone(),
            priority,
        });
        if version.target_group.is_none()
            && let Action::Forward(targets) = &rule.action
        {
            version.target_group = targets.first().map(|(tg, _)| tg.clone());
        }
    }
    inventory.listener.rules = rules;
    // Target groups: the service's or the rule's, else looked up by the version's name.
    for version in inventory.versions.values_mut() {
        if version.target_group.is_none() {
            version.target_group = aws
                .target_group_named(&names::target_group_name(&scope.name, &version.id))
                .await?;
        }
    }
    let groups: Vec<String> = inventory
        .versions
        .values()
        .filter_map(|v| v.target_group.clone())
        .collect();
    let group_tags = aws.elb_tags(&groups).await?;
    for version in inventory.versions.values_mut() {
        let Some(tg) = version.target_group.clone() else {
            continue;
        };
        match group_tags.get(&tg) {
            Some(tags) if managed(tags, &scope.name) && tags.get(tag::ID) == Some(&version.id) => {
                version.deployed_at = version
                    .deployed_at
                    .or_else(|| tags.get(tag::DEPLOYED_AT).and_then(|t| t.parse().ok()));
                version.fingerprint = version
                    .fingerprint
                    .clone()
                    .or_else(|| tags.get(tag::FINGERPRINT).cloned());
            }
            _ => {
                version.target_group = None;
                version.foreign_target_group = true;
            }
        }
    }
    Ok(inventory)
}

/// The version `id`, added when it is not there yet.
fn versions_entry<'a>(versions: &'a mut BTreeMap<String, Version>, id: &str) -> &'a mut Version {
    versions.entry(id.to_owned()).or_insert_with(|| Version {
        id: id.to_owned(),
        ..Version::default()
    })
}

/// Tags every resource of a version carries.
pub fn version_tags(
    name: &str,
    id: &str,
    state: &str,
    deployed_at: i64,
    fingerprint: &str,
) -> aws::Tags {
    [
        (tag::MANAGED_BY, tag::MANAGER.to_owned()),
        (tag::NAME, name.to_owned()),
        (tag::ID, id.to_owned()),
        (tag::STATE, state.to_owned()),
        (tag::DEPLOYED_AT, deployed_at.to_string()),
        (tag::FINGERPRINT, fingerprint.to_owned()),
        (tag::SERVICE, names::service_name(name, id)),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect()
}
