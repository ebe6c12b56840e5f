//! Everything live of one deployment name, as read from ECS, Elastic Load Balancing and SSM,
//! and the facts derived from it without I/O: which version is newest, who forwards to whom,
//! the rule budget, the versions table.

use std::collections::{BTreeMap, BTreeSet};

use anyhow::bail;
use serde_json::json;

use crate::versions::clock;
use crate::versions::routing::{self, Action, Listener};

/// The `state` values.
pub const ACTIVE: &str = "active";
/// A version that new sessions no longer reach.
pub const DRAINING: &str = "draining";
/// A version being deployed (service created, traffic not yet switched).
pub const PENDING: &str = "pending";

/// A version's ECS service (one tagged `managed-by`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionService {
    /// Its ARN.
    pub arn: String,
    /// Its name.
    pub name: String,
    /// `ACTIVE` or `DRAINING`.
    pub status: String,
    /// Its `state` tag.
    pub tag_state: Option<String>,
    /// Its task definition.
    pub task_definition: String,
    /// Running tasks.
    pub running: i32,
    /// Desired tasks.
    pub desired: i32,
}

/// A version's listener rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleRef {
    /// Its ARN.
    pub arn: String,
    /// Its priority.
    pub priority: u32,
}

/// The SSM state parameter of a version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateParam {
    /// `active`, `draining`, …
    pub value: String,
    /// When it was last written (epoch seconds): for `draining`, when draining began.
    pub since: i64,
}

/// One version and what exists of it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Version {
    /// The deployment id.
    pub id: String,
    /// Its managed service, when it exists (not INACTIVE).
    pub service: Option<VersionService>,
    /// A service with the version's name exists without the `managed-by` tag.
    pub foreign_service: bool,
    /// Its managed target group's ARN.
    pub target_group: Option<String>,
    /// A target group with the version's name exists without the `managed-by` tag.
    pub foreign_target_group: bool,
    /// Its managed listener rules.
    pub rules: Vec<RuleRef>,
    /// Its SSM state.
    pub state: Option<StateParam>,
    /// When it was deployed (epoch seconds, from the `deployed-at` tag).
    pub deployed_at: Option<i64>,
    /// Fingerprint of the task definition it was deployed with (`task-definition` tag).
    pub fingerprint: Option<String>,
}

impl Version {
    /// Whether it has a service that runs.
    pub fn is_live(&self) -> bool {
        self.service.as_ref().is_some_and(|s| s.status == "ACTIVE")
    }

    /// The state shown: SSM's, else the service tag's, else `-`.
    pub fn state_text(&self) -> String {
        self.state
            .as_ref()
            .map(|s| s.value.clone())
            .or_else(|| self.service.as_ref().and_then(|s| s.tag_state.clone()))
            .unwrap_or_else(|| "-".to_owned())
    }
}

/// Everything of one deployment name.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Inventory {
    /// The versions by id.
    pub versions: BTreeMap<String, Version>,
    /// The listener's rules and default action.
    pub listener: Listener,
    /// Non-default rules on every listener of the load balancer (the quota counts those).
    pub load_balancer_rules: usize,
}

impl Inventory {
    /// Target group ARN → version id.
    pub fn version_of(&self) -> BTreeMap<String, String> {
        self.versions
            .values()
            .filter_map(|v| v.target_group.clone().map(|tg| (tg, v.id.clone())))
            .collect()
    }

    /// ARNs of the versions' own rules.
    pub fn affinity_rules(&self) -> BTreeSet<String> {
        self.versions
            .values()
            .flat_map(|v| v.rules.iter().map(|r| r.arn.clone()))
            .collect()
    }

    /// The routing table of the listener.
    pub fn routing_table(&self) -> Vec<routing::Route> {
        routing::routing_table(&self.listener, &self.affinity_rules(), &self.version_of())
    }

    /// The newest version: the latest `deployed-at`, ties broken by id.
    pub fn newest(&self) -> Option<&Version> {
        self.versions
            .values()
            .filter(|v| v.service.is_some() || v.target_group.is_some())
            .max_by(|a, b| (a.deployed_at, &a.id).cmp(&(b.deployed_at, &b.id)))
    }

    /// The percentage of the default action that goes to `id`.
    pub fn default_weight(&self, id: &str) -> u32 {
        let Some(tg) = self
            .versions
            .get(id)
            .and_then(|v| v.target_group.as_deref())
        else {
            return 0;
        };
        match &self.listener.default {
            Some(Action::Forward(targets)) => {
                let total: u32 = targets.iter().map(|(_, w)| *w).sum();
                let ours: u32 = targets
                    .iter()
                    .filter(|(t, _)| t == tg)
                    .map(|(_, w)| *w)
                    .sum();
                routing::percent(ours, total)
            }
            _ => 0,
        }
    }

    /// What, other than the version's own rules, forwards to its target group by weight > 0:
    /// `default action` or `rule priority N`.
    pub fn forwarded_by(&self, id: &str) -> Option<String> {
        let version = self.versions.get(id)?;
        let tg = version.target_group.as_deref()?;
        if self
            .listener
            .default
            .as_ref()
            .is_some_and(|a| routing::weighted_targets(a).contains(&tg))
        {
            return Some("the default action".to_owned());
        }
        let own: BTreeSet<&str> = version.rules.iter().map(|r| r.arn.as_str()).collect();
        self.listener
            .rules
            .iter()
            .filter(|r| !own.contains(r.arn.as_str()))
            .find(|r| routing::weighted_targets(&r.action).contains(&tg))
            .map(|r| match r.priority {
                Some(p) => format!("rule priority {p}"),
                None => "the default rule".to_owned(),
            })
    }

    /// The priorities in use on the listener.
    pub fn used_priorities(&self) -> BTreeSet<u32> {
        self.listener
            .rules
            .iter()
            .filter_map(|r| r.priority)
            .collect()
    }

    /// Refuses a new version that would not fit: `needed` more rules against the `quota` of
    /// the load balancer, and one more live version against `max_live`. The error names the
    /// oldest draining versions, which a reap could remove.
    pub fn check_budget(
        &self,
        needed: usize,
        quota: usize,
        max_live: Option<usize>,
    ) -> anyhow::Result<()> {
        let live = self.versions.values().filter(|v| v.is_live()).count();
        let over_rules = self.load_balancer_rules + needed > quota;
        let over_live = max_live.is_some_and(|max| live + 1 > max);
        if !over_rules && !over_live {
            return Ok(());
        }
        let mut draining: Vec<&Version> = self
            .versions
            .values()
            .filter(|v| v.state.as_ref().is_some_and(|s| s.value == DRAINING))
            .collect();
        draining.sort_by_key(|v| (v.state.as_ref().map(|s| s.since), v.id.clone()));
        let reapable = if draining.is_empty() {
            "no version is draining".to_owned()
        } else {
            format!(
                "the oldest draining versions, which a reap (or promote/teardown) could remove: {}",
                draining
                    .iter()
                    .take(5)
                    .map(|v| v.id.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        };
        if over_rules {
            bail!(
                "input 'rule-quota': the load balancer has {} rules and this version needs {needed} more, over the quota of {quota}; {reapable}",
                self.load_balancer_rules
            );
        }
        bail!(
            "input 'max-live-versions': {live} versions are live and the limit is {}; {reapable}",
            max_live.unwrap_or_default()
        )
    }

    /// The `versions` output: one object a version, newest first.
    pub fn versions_json(&self, now: i64) -> serde_json::Value {
        let rows: Vec<serde_json::Value> = self
            .ordered()
            .into_iter()
            .map(|v| {
                json!({
                    "id": v.id,
                    "state": v.state_text(),
                    "service": v.service.as_ref().map(|s| s.name.clone()),
                    "target-group": v.target_group,
                    "rule-priorities": v.rules.iter().map(|r| r.priority).collect::<Vec<_>>(),
                    "default-weight": self.default_weight(&v.id),
                    "running": v.service.as_ref().map(|s| s.running),
                    "desired": v.service.as_ref().map(|s| s.desired),
                    "age-seconds": v.deployed_at.map(|t| now.saturating_sub(t)),
                })
            })
            .collect();
        serde_json::Value::Array(rows)
    }

    /// The versions, newest first.
    pub fn ordered(&self) -> Vec<&Version> {
        let mut versions: Vec<&Version> = self.versions.values().collect();
        versions.sort_by(|a, b| (b.deployed_at, &b.id).cmp(&(a.deployed_at, &a.id)));
        versions
    }

    /// The versions table and the routing table, in Markdown.
    pub fn tables(&self, now: i64) -> String {
        let mut versions = action_kit::Table::new([
            "Version",
            "State",
            "Service",
            "Target group",
            "Rules",
            "Default weight",
            "Tasks",
            "Age",
        ]);
        for v in self.ordered() {
            versions.row([
                v.id.clone(),
                v.state_text(),
                v.service
                    .as_ref()
                    .map_or_else(|| "-".to_owned(), |s| s.name.clone()),
                v.target_group.as_deref().map_or_else(
                    || "-".to_owned(),
                    |tg| tg.rsplit(':').next().unwrap_or(tg).to_owned(),
                ),
                v.rules
                    .iter()
                    .map(|r| r.priority.to_string())
                    .collect::<Vec<_>>()
                    .join(", "),
                format!("{}%", self.default_weight(&v.id)),
                v.service.as_ref().map_or_else(
                    || "-".to_owned(),
                    |s| format!("{}/{}", s.running, s.desired),
                ),
                v.deployed_at
                    .map_or_else(|| "-".to_owned(), |t| clock::age(now.saturating_sub(t))),
            ]);
        }
        let mut routes = action_kit::Table::new(["Request", "Rule", "Lands on"]);
        for route in self.routing_table() {
            routes.row([route.request, route.rule, route.lands_on]);
        }
        format!(
            "#### Versions\n\n{}\n#### Routing\n\n{}",
            versions.to_markdown(),
            routes.to_markdown()
        )
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::versions::routing::{Condition, Rule};

    pub(crate) fn version(id: &str, deployed_at: i64, state: &str, since: i64) -> Version {
        Version {
            id: id.into(),
            service: Some(VersionService {
                arn: format!("arn/svc-{id}"),
                name: format!("svc-p-{id}"),
                status: "ACTIVE".into(),
                tag_state: Some(state.into()),
                task_definition: "td".into(),
                running: 1,
                desired: 1,
            }),
            target_group: Some(format!("tg/{id}")),
            rules: vec![RuleRef {
                arn: format!("rule/{id}"),
                priority: deployed_at as u32,
            }],
            state: Some(StateParam {
                value: state.into(),
                since,
            }),
            deployed_at: Some(deployed_at),
            ..Version::default()
        }
    }

    pub(crate) fn inventory(versions: Vec<Version>, default: &str) -> Inventory {
        let rules = versions
            .iter()
            .flat_map(|v| {
                v.rules.iter().map(|r| Rule {
                    arn: r.arn.clone(),
                    priority: Some(r.priority),
                    conditions: vec![Condition::Header {
                        name: "X-A".into(),
                        values: vec![v.id.clone()],
                    }],
                    action: Action::Forward(vec![(format!("tg/{}", v.id), 1)]),
                })
            })
            .collect::<Vec<_>>();
        Inventory {
            load_balancer_rules: rules.len(),
            listener: Listener {
                rules,
                default: Some(Action::Forward(vec![(format!("tg/{default}"), 1)])),
            },
            versions: versions.into_iter().map(|v| (v.id.clone(), v)).collect(),
        }
    }

    #[test]
    fn newest_weights_and_who_forwards() {
        let inv = inventory(
            vec![
                version("a", 1, DRAINING, 10),
                version("b", 2, DRAINING, 20),
                version("c", 3, ACTIVE, 30),
            ],
            "c",
        );
        assert_eq!(inv.newest().map(|v| v.id.as_str()), Some("c"));
        assert_eq!(inv.default_weight("c"), 100);
        assert_eq!(inv.default_weight("a"), 0);
        assert_eq!(inv.forwarded_by("c").as_deref(), Some("the default action"));
        assert_eq!(inv.forwarded_by("a"), None, "its own rule does not count");
        let json = inv.versions_json(100);
        assert_eq!(json[0]["id"], "c");
        assert_eq!(json[0]["default-weight"], 100);
        assert_eq!(json[2]["age-seconds"], 99);
        let tables = inv.tables(100);
        assert!(
            tables.contains("| no affinity header | default | c |"),
            "{tables}"
        );
        assert!(
            tables.contains("| header X-A: a | priority 1 | a |"),
            "{tables}"
        );
    }

    #[test]
    fn the_budget_names_the_oldest_draining_versions() {
        let inv = inventory(
            vec![
                version("a", 1, DRAINING, 50),
                version("b", 2, DRAINING, 20),
                version("c", 3, ACTIVE, 30),
            ],
            "c",
        );
        assert!(inv.check_budget(1, 4, None).is_ok());
        let error = inv.check_budget(2, 4, None).expect_err("over");
        assert!(
            error.to_string().contains("3 rules and this version needs 2 more, over the quota of 4; the oldest draining versions, which a reap (or promote/teardown) could remove: b, a"),
            "{error}"
        );
        let error = inv.check_budget(1, 100, Some(3)).expect_err("over");
        assert!(
            error
                .to_string()
                .starts_with("input 'max-live-versions': 3 versions are live"),
            "{error}"
        );
    }
}
