//! Deploying one version next to the others: check everything, take the lease, then register,
//! create the target group and the service, wait until they are healthy, add the affinity
//! rules, move the default action, mark the states, reap, release. Every step looks at what
//! exists first, so a re-run with the same id and task definition resumes an interrupted one.

use super::ec2::Kind;
use std::collections::BTreeSet;
use std::future::Future;
use std::time::Duration;

use anyhow::{Context as _, bail};

use crate::backoff::Backoff;
use crate::deploy::Source;
use crate::rollout::Assessment;
use crate::services::Services;
use crate::versions::aws::{ListenerInfo, NewService, NewTargetGroup, VersionsAws, tag};
use crate::versions::document::{self, Prepared};
use crate::versions::inventory::{ACTIVE, Inventory, PENDING, Version};
use crate::versions::lease::{self, LeaseSettings};
use crate::versions::operations::{self, ReapReport, ReapSettings};
use crate::versions::routing::{self, Action, Condition};
use crate::versions::survey::{Scope, survey, version_tags};
use crate::versions::{clock, names};
use crate::wait::{Progress, Watch, wait_for_rollout};

/// Attempts at a free rule priority before giving up.
const PRIORITY_ATTEMPTS: u32 = 8;

/// What to deploy and how.
#[derive(Debug, Clone)]
pub struct VersionPlan {
    /// Cluster, listener and deployment name.
    pub scope: Scope,
    /// The deployment id.
    pub id: String,
    /// The task definition.
    pub source: Source,
    /// The container that receives traffic (default: the first).
    pub container: Option<String>,
    /// Its port (default: its first port mapping).
    pub port: Option<i32>,
    /// Desired tasks.
    pub desired: i32,
    /// awsvpc subnets.
    pub subnets: Vec<String>,
    /// awsvpc security groups.
    pub security_groups: Vec<String>,
    /// A public IP for each task.
    pub public_ip: bool,
    /// Launch type.
    pub launch_type: String,
    /// Health check grace period of the service.
    pub grace_seconds: Option<i32>,
    /// Target group health check path.
    pub health_check_path: String,
    /// Target group health check matcher.
    pub matcher: String,
    /// Target group deregistration delay.
    pub deregistration_delay: Option<u32>,
    /// The affinity header.
    pub header: String,
    /// The affinity query parameter, for WebSockets.
    pub query_param: Option<String>,
    /// Rules allowed on the load balancer.
    pub rule_quota: usize,
    /// Live versions allowed.
    pub max_live: Option<usize>,
    /// Traffic steps in percent, ending at 100.
    pub steps: Vec<u32>,
    /// Bake time at each step.
    pub bake: Duration,
    /// Alarms checked at each step.
    pub alarms: Vec<String>,
    /// Poll delays while waiting.
    pub backoff: Backoff,
    /// How long to wait for the service and its targets.
    pub timeout: Duration,
    /// Healthy targets needed.
    pub min_healthy: usize,
    /// The lease.
    pub lease: LeaseSettings,
    /// Reap after the deploy.
    pub reap: Option<ReapSettings>,
}

/// What a deploy did.
#[derive(Debug, Clone)]
pub struct VersionOutcome {
    /// The service.
    pub service: String,
    /// The target group.
    pub target_group: String,
    /// The affinity rules.
    pub rule_arns: Vec<String>,
    /// Whether an earlier run of the same version was resumed.
    pub resumed: bool,
    /// The reap after the deploy.
    pub reaped: Option<ReapReport>,
    /// Everything of the name afterwards.
    pub inventory: Inventory,
}

/// What was checked before the first change.
struct Checked {
    listener: ListenerInfo,
    inventory: Inventory,
    prepared: Prepared,
    existing: Version,
    conditions: Vec<Condition>,
}

/// Deploys the version.
pub async fn deploy_version<S, Sleep, F>(
    services: &S,
    aws: &VersionsAws,
    plan: &VersionPlan,
    mut sleep: Sleep,
    progress: &mut impl FnMut(Progress),
) -> anyhow::Result<VersionOutcome>
where
    S: Services,
    Sleep: FnMut(Duration) -> F,
    F: Future<Output = ()>,
{
    let mut checked = check(aws, plan).await?;
    let contended = lease::acquire(aws, &plan.lease, plan.backoff.first, &mut sleep).await?;
    progress(Progress::Step(format!(
        "took the lease {}",
        plan.lease.parameter
    )));
    if contended {
        // Another run went first: check again against what it left.
        match check(aws, plan).await {
            Ok(again) => checked = again,
            Err(error) => {
                lease::release(aws, &plan.lease).await?;
                return Err(error);
            }
        }
    }
    let result = apply(services, aws, plan, &checked, &mut sleep, progress).await;
    let released = lease::release(aws, &plan.lease).await;
    let outcome = result?;
    released?;
    Ok(outcome)
}

/// Everything checked before the first change: the listener is an ALB's, the cluster, the
/// subnets and the security groups are there, the id is new or the same deploy again, the rules fit, the shift can be made.
async fn check(aws: &VersionsAws, plan: &VersionPlan) -> anyhow::Result<Checked> {
    let scope = &plan.scope;
    let listener = aws.listener(&scope.listener).await?;
    if listener.load_balancer_type != "application" {
        bail!(
            "input 'listener-arn': the listener belongs to a {} load balancer; header and query rules need an Application Load Balancer",
            listener.load_balancer_type
        );
    }
    if !aws.cluster_is_active(&scope.cluster).await? {
        bail!(
            "input 'cluster': ECS cluster '{}' does not exist or is not ACTIVE",
            scope.cluster
        );
    }
    for (kind, input, ids) in [
        (Kind::Subnet, "subnets", &plan.subnets),
        (
            Kind::SecurityGroup,
            "security-groups",
            &plan.security_groups,
        ),
    ] {
        let missing = aws.missing(kind, ids).await?;
        if !missing.is_empty() {
            bail!("input '{input}': {} does not exist", missing.join(", "));
        }
    }
    let source = match &plan.source {
        Source::Document(document) => document.clone(),
        Source::Registered(arn) => aws.task_definition(arn).await?,
    };
    let prepared = document::prepare(
        &source,
        plan.container.as_deref(),
        plan.port,
        &scope.name,
        &plan.id,
    )?;
    let inventory = survey(aws, scope, &listener).await?;
    let existing = inventory
        .versions
        .get(&plan.id)
        .cloned()
        .unwrap_or_else(|| Version {
            id: plan.id.clone(),
            ..Version::default()
        });
    if existing.foreign_service || existing.foreign_target_group {
        bail!(
            "input 'deployment-id': a service or target group named for version '{}' exists without the managed-by tag; choose another id",
            plan.id
        );
    }
    if let Some(fingerprint) = &existing.fingerprint
        && *fingerprint != prepared.fingerprint
    {
        bail!(
            "input 'deployment-id': version '{}' already exists with another task definition; a re-run must deploy the same one (to resume), a new deploy needs a new id",
            plan.id
        );
    }
    if existing.state.as_ref().is_some_and(|s| s.value != PENDING) && existing.service.is_none() {
        bail!(
            "input 'deployment-id': version '{}' was deployed before and is being reaped; choose a new id",
            plan.id
        );
    }
    let mut conditions = vec![Condition::Header {
        name: plan.header.clone(),
        values: vec![plan.id.clone()],
    }];
    if let Some(key) = &plan.query_param {
        conditions.push(Condition::Query {
            pairs: vec![(Some(key.clone()), plan.id.clone())],
        });
    }
    let needed = conditions
        .iter()
        .filter(|c| own_rule(&inventory, &existing, c).is_none())
        .count();
    let max_live = plan.max_live.filter(|_| !existing.is_live());
    inventory.check_budget(needed, plan.rule_quota, max_live)?;
    if !plan.alarms.is_empty() {
        aws.alarm_states(&plan.alarms).await?;
    }
    for step in &plan.steps {
        routing::shifted(inventory.listener.default.as_ref(), "new", *step)
            .context("input 'traffic-steps'")?;
    }
    Ok(Checked {
        listener,
        inventory,
        prepared,
        existing,
        conditions,
    })
}

/// The version's own rule with `condition`, if it has one.
fn own_rule<'a>(
    inventory: &'a Inventory,
    version: &Version,
    condition: &Condition,
) -> Option<&'a routing::Rule> {
    inventory.listener.rules.iter().find(|r| {
        version.rules.iter().any(|own| own.arn == r.arn) && r.conditions == [condition.clone()]
    })
}

/// Resources this run created, removed again when the version does not become healthy.
#[derive(Debug, Default)]
struct Created {
    target_group: Option<String>,
    service: Option<String>,
}

async fn apply<S, Sleep, F>(
    services: &S,
    aws: &VersionsAws,
    plan: &VersionPlan,
    checked: &Checked,
    sleep: &mut Sleep,
    progress: &mut impl FnMut(Progress),
) -> anyhow::Result<VersionOutcome>
where
    S: Services,
    Sleep: FnMut(Duration) -> F,
    F: Future<Output = ()>,
{
    let scope = &plan.scope;
    let existing = &checked.existing;
    let resumed = existing.target_group.is_some() || existing.service.is_some();
    if resumed {
        progress(Progress::Step(format!(
            "version {} exists with the same task definition: resuming",
            plan.id
        )));
    }
    let service_name = names::service_name(&scope.name, &plan.id);
    let deployed_at = existing.deployed_at.unwrap_or_else(clock::now);
    let tags = version_tags(
        &scope.name,
        &plan.id,
        PENDING,
        deployed_at,
        &checked.prepared.fingerprint,
    );
    let task_definition = match &existing.service {
        Some(service) => service.task_definition.clone(),
        None => {
            let arn = services.register(&checked.prepared.document).await?;
            progress(Progress::Step(format!("registered {arn}")));
            arn
        }
    };
    let mut created = Created::default();
    let target_group = match &existing.target_group {
        Some(arn) => arn.clone(),
        None => {
            let name = names::target_group_name(&scope.name, &plan.id);
            let mut group_tags = tags.clone();
            group_tags.insert(
                tag::FULL_NAME.to_owned(),
                format!("tg-{}-{}", scope.name, plan.id),
            );
            let arn = aws
                .create_target_group(&NewTargetGroup {
                    name: &name,
                    vpc: &checked.listener.vpc,
                    port: checked.prepared.port,
                    health_check_path: &plan.health_check_path,
                    matcher: &plan.matcher,
                    tags: &group_tags,
                })
                .await?
                .with_context(|| format!("target group name {name} is taken by a target group that is not this version's"))?;
            progress(Progress::Step(format!("created target group {name}")));
            created.target_group = Some(arn.clone());
            arn
        }
    };
    if let Some(seconds) = plan.deregistration_delay {
        services
            .set_deregistration_delay(&target_group, seconds)
            .await?;
    }
    if existing.service.is_none() {
        let created_service = aws
            .create_service(&NewService {
                cluster: &scope.cluster,
                name: &service_name,
                task_definition: &task_definition,
                target_group: &target_group,
                container: &checked.prepared.container,
                port: checked.prepared.port,
                desired: plan.desired,
                subnets: &plan.subnets,
                security_groups: &plan.security_groups,
                public_ip: plan.public_ip,
                launch_type: &plan.launch_type,
                grace_seconds: plan.grace_seconds,
                tags: &tags,
            })
            .await;
        match created_service {
            Ok(_) => created.service = Some(service_name.clone()),
            Err(error) => return Err(undo(aws, scope, &created, error).await),
        }
        progress(Progress::Step(format!("created service {service_name}")));
    }
    if let Err(error) = wait_healthy(
        services,
        aws,
        plan,
        &service_name,
        &task_definition,
        &target_group,
        sleep,
        progress,
    )
    .await
    {
        return Err(undo(aws, scope, &created, error).await);
    }
    let mut rule_arns = Vec::new();
    for condition in &checked.conditions {
        let arn = match own_rule(&checked.inventory, existing, condition) {
            Some(rule) => rule.arn.clone(),
            None => {
                add_rule(
                    aws,
                    plan,
                    &checked.inventory,
                    condition,
                    &target_group,
                    &tags,
                    sleep,
                    progress,
                )
                .await?
            }
        };
        rule_arns.push(arn);
    }
    shift_traffic(
        aws,
        plan,
        &checked.inventory,
        &target_group,
        sleep,
        progress,
    )
    .await?;
    mark_states(aws, plan, &checked.inventory, &service_name, progress).await?;
    let reaped = match &plan.reap {
        Some(settings) => {
            Some(operations::reap_pass(aws, scope, &checked.listener, settings, progress).await?)
        }
        None => None,
    };
    let inventory = survey(aws, scope, &checked.listener).await?;
    Ok(VersionOutcome {
        service: service_name,
        target_group,
        rule_arns,
        resumed,
        reaped,
        inventory,
    })
}

/// Removes what this run created (service, then target group) and returns `error`, with what
/// could not be removed added.
async fn undo(
    aws: &VersionsAws,
    scope: &Scope,
    created: &Created,
    error: anyhow::Error,
) -> anyhow::Error {
    let mut left = Vec::new();
    if let Some(service) = &created.service
        && let Err(e) = aws.delete_service(&scope.cluster, service).await
    {
        left.push(format!("service {service} ({e:#})"));
    }
    if let Some(tg) = &created.target_group {
        match aws.delete_target_group(tg).await {
            Ok(true) => {}
            Ok(false) => left.push(format!("target group {tg} (still in use)")),
            Err(e) => left.push(format!("target group {tg} ({e:#})")),
        }
    }
    if left.is_empty() {
        error.context(
            "the version's new service and target group were deleted; traffic was not touched",
        )
    } else {
        error.context(format!(
            "traffic was not touched; could not delete {}",
            left.join(", ")
        ))
    }
}

/// Waits for the service's rollout, then for enough healthy targets; fails with the service
/// events and the stopped tasks' reasons.
#[allow(clippy::too_many_arguments)]
async fn wait_healthy<S, Sleep, F>(
    services: &S,
    aws: &VersionsAws,
    plan: &VersionPlan,
    service: &str,
    task_definition: &str,
    target_group: &str,
    sleep: &mut Sleep,
    progress: &mut impl FnMut(Progress),
) -> anyhow::Result<()>
where
    S: Services,
    Sleep: FnMut(Duration) -> F,
    F: Future<Output = ()>,
{
    let watch = Watch {
        cluster: &plan.scope.cluster,
        service,
        target: task_definition,
        backoff: plan.backoff,
        timeout: plan.timeout,
    };
    let mut events = Vec::new();
    let assessment = wait_for_rollout(services, &watch, &mut *sleep, |p| {
        if let Progress::Event(event) = &p {
            events.push(event.message.clone());
        }
        progress(p);
    })
    .await?;
    let failure = match assessment {
        Assessment::Completed => None,
        Assessment::InProgress {
            running, desired, ..
        } => Some(format!(
            "the service did not become stable within {} s ({running}/{desired} tasks running)",
            plan.timeout.as_secs()
        )),
        Assessment::Failed { reason } | Assessment::RolledBackByEcs { reason, .. } => {
            Some(format!("the service's rollout failed: {reason}"))
        }
    };
    let failure = match failure {
        Some(failure) => Some(failure),
        None => wait_targets(aws, plan, target_group, sleep, progress).await?,
    };
    let Some(failure) = failure else {
        return Ok(());
    };
    let reasons = aws
        .stopped_reasons(&plan.scope.cluster, service)
        .await
        .unwrap_or_default();
    let recent: Vec<&String> = events.iter().rev().take(5).collect();
    bail!(
        "version {} did not become healthy: {failure}; recent service events: [{}]; stopped tasks: [{}]",
        plan.id,
        recent
            .iter()
            .map(|e| e.as_str())
            .collect::<Vec<_>>()
            .join("; "),
        reasons.join("; ")
    )
}

/// Polls the target group until `min_healthy` targets are healthy; `Some(why)` when they are
/// not in time.
async fn wait_targets<Sleep, F>(
    aws: &VersionsAws,
    plan: &VersionPlan,
    target_group: &str,
    sleep: &mut Sleep,
    progress: &mut impl FnMut(Progress),
) -> anyhow::Result<Option<String>>
where
    Sleep: FnMut(Duration) -> F,
    F: Future<Output = ()>,
{
    let mut delays = plan.backoff.delays_within(plan.timeout);
    loop {
        let healthy = aws.healthy_targets(target_group).await?;
        if healthy >= plan.min_healthy {
            progress(Progress::Step(format!("{healthy} healthy targets")));
            return Ok(None);
        }
        progress(Progress::Step(format!(
            "{healthy}/{} healthy targets",
            plan.min_healthy
        )));
        let Some(delay) = delays.next() else {
            return Ok(Some(format!(
                "{healthy} of {} targets healthy after {} s",
                plan.min_healthy,
                plan.timeout.as_secs()
            )));
        };
        sleep(delay).await;
    }
}

/// What a re-read of the listener says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reread {
    /// Priorities in use.
    pub used: BTreeSet<u32>,
    /// Our rule, when it exists already (an earlier attempt went through).
    pub ours: Option<(u32, String)>,
}

/// Creates a rule at a free priority. There is no compare-and-swap on priorities: when
/// `create` finds the priority taken (`Ok(None)`) or fails, the listener is re-read (our rule
/// may exist already) and another priority tried after a jittered pause.
pub async fn claim_priority<C, CF, R, RF, Sleep, F>(
    mut used: BTreeSet<u32>,
    mut create: C,
    mut reread: R,
    sleep: &mut Sleep,
) -> anyhow::Result<(u32, String)>
where
    C: FnMut(u32) -> CF,
    CF: Future<Output = anyhow::Result<Option<String>>>,
    R: FnMut() -> RF,
    RF: Future<Output = anyhow::Result<Reread>>,
    Sleep: FnMut(Duration) -> F,
    F: Future<Output = ()>,
{
    let mut last_error = None;
    for attempt in 0..PRIORITY_ATTEMPTS {
        let priority = routing::free_priority(&used)
            .context("the listener has no free rule priority (1 to 50000)")?;
        match create(priority).await {
            Ok(Some(arn)) => return Ok((priority, arn)),
            Ok(None) => {}
            Err(error) => last_error = Some(error),
        }
        let now = reread().await?;
        if let Some(ours) = now.ours {
            return Ok(ours);
        }
        used = now.used;
        used.insert(priority);
        sleep(jitter(attempt)).await;
    }
    Err(last_error.unwrap_or_else(|| {
        anyhow::anyhow!(
            "every free priority tried was taken by someone else ({PRIORITY_ATTEMPTS} attempts)"
        )
    }))
}

/// A pause of 50 to 550 ms, varied by the clock.
fn jitter(attempt: u32) -> Duration {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(attempt * 7_919);
    Duration::from_millis(50 + u64::from(nanos % 500))
}

#[allow(clippy::too_many_arguments)]
async fn add_rule<Sleep, F>(
    aws: &VersionsAws,
    plan: &VersionPlan,
    inventory: &Inventory,
    condition: &Condition,
    target_group: &str,
    tags: &crate::versions::aws::Tags,
    sleep: &mut Sleep,
    progress: &mut impl FnMut(Progress),
) -> anyhow::Result<String>
where
    Sleep: FnMut(Duration) -> F,
    F: Future<Output = ()>,
{
    let listener = &plan.scope.listener;
    let (priority, arn) = claim_priority(
        inventory.used_priorities(),
        |priority| aws.create_rule(listener, priority, condition, target_group, tags),
        || async {
            let rules = aws.rules(listener).await?;
            let ours = rules.iter().find(|r| {
                r.conditions == [condition.clone()]
                    && routing::weighted_targets(&r.action) == [target_group]
            });
            Ok(Reread {
                used: rules.iter().filter_map(|r| r.priority).collect(),
                ours: ours.and_then(|r| Some((r.priority?, r.arn.clone()))),
            })
        },
        sleep,
    )
    .await?;
    progress(Progress::Step(format!(
        "added rule at priority {priority}: {condition:?}"
    )));
    Ok(arn)
}

/// Moves the default action to the new target group, step by step; at each step after the
/// bake time an alarm in ALARM puts the earlier default back and fails.
async fn shift_traffic<Sleep, F>(
    aws: &VersionsAws,
    plan: &VersionPlan,
    inventory: &Inventory,
    target_group: &str,
    sleep: &mut Sleep,
    progress: &mut impl FnMut(Progress),
) -> anyhow::Result<()>
where
    Sleep: FnMut(Duration) -> F,
    F: Future<Output = ()>,
{
    let before = inventory.listener.default.as_ref();
    if before == Some(&Action::Forward(vec![(target_group.to_owned(), 1)])) {
        return Ok(());
    }
    let listener = &plan.scope.listener;
    for step in &plan.steps {
        let weights = routing::shifted(before, target_group, *step)?;
        aws.set_default_forward(listener, &weights).await?;
        progress(Progress::Step(format!(
            "default action: {step}% to version {}",
            plan.id
        )));
        if plan.alarms.is_empty() {
            continue;
        }
        sleep(plan.bake).await;
        let states = aws.alarm_states(&plan.alarms).await?;
        let firing: Vec<&String> = states
            .iter()
            .filter(|(_, s)| *s == "ALARM")
            .map(|(n, _)| n)
            .collect();
        if !firing.is_empty() {
            match before {
                Some(action) => aws.restore_default(listener, action).await?,
                None => aws.set_default_unavailable(listener).await?,
            }
            bail!(
                "traffic step {step}% to version {}: alarm {} is in ALARM; the default action was put back as it was (the version stays deployed, not active)",
                plan.id,
                firing
                    .iter()
                    .map(|n| n.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
    }
    Ok(())
}

/// The new version `active`, every other live one `draining`, in SSM and in the service tag;
/// only what differs is written (a draining version's drain time stays).
async fn mark_states(
    aws: &VersionsAws,
    plan: &VersionPlan,
    inventory: &Inventory,
    service: &str,
    progress: &mut impl FnMut(Progress),
) -> anyhow::Result<()> {
    let name = &plan.scope.name;
    let new_arn = match inventory
        .versions
        .get(&plan.id)
        .and_then(|v| v.service.as_ref())
    {
        Some(service) => service.arn.clone(),
        None => aws
            .describe_services(&plan.scope.cluster, &[service.to_owned()])
            .await?
            .first()
            .map(|s| s.arn.clone())
            .with_context(|| format!("service {service} is gone"))?,
    };
    let current = inventory.versions.get(&plan.id);
    if current
        .and_then(|v| v.state.as_ref())
        .map(|s| s.value.as_str())
        != Some(ACTIVE)
    {
        aws.put_parameter(&names::state_parameter(name, &plan.id), ACTIVE)
            .await?;
    }
    if current
        .and_then(|v| v.service.as_ref())
        .and_then(|s| s.tag_state.as_deref())
        != Some(ACTIVE)
    {
        aws.tag_service_state(&new_arn, ACTIVE).await?;
    }
    operations::mark_others_draining(aws, name, inventory, &plan.id, progress).await?;
    progress(Progress::Step(format!("version {} is active", plan.id)));
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;

    use super::*;

    #[tokio::test]
    async fn a_taken_priority_is_retried_and_our_own_earlier_rule_adopted() {
        // Someone takes 1 between our read and our create; 2 is free.
        let tried = RefCell::new(Vec::new());
        let mut sleep = |_| async {};
        let claimed = claim_priority(
            BTreeSet::new(),
            |p| {
                tried.borrow_mut().push(p);
                async move { Ok((p == 2).then(|| "rule/2".to_owned())) }
            },
            || async {
                Ok(Reread {
                    used: [1].into(),
                    ours: None,
                })
            },
            &mut sleep,
        )
        .await
        .expect("claimed");
        assert_eq!(claimed, (2, "rule/2".to_owned()));
        assert_eq!(*tried.borrow(), [1, 2]);
        // The create went through but its answer was lost: the re-read finds our rule.
        let claimed = claim_priority(
            [1, 2].into(),
            |_| async { Err(anyhow::anyhow!("connection closed")) },
            || async {
                Ok(Reread {
                    used: [1, 2, 3].into(),
                    ours: Some((3, "rule/3".to_owned())),
                })
            },
            &mut sleep,
        )
        .await
        .expect("adopted");
        assert_eq!(claimed, (3, "rule/3".to_owned()));
        // Always taken: gives up.
        let error = claim_priority(
            BTreeSet::new(),
            |_| async { Ok(None) },
            || async {
                Ok(Reread {
                    used: BTreeSet::new(),
                    ours: None,
                })
            },
            &mut sleep,
        )
        .await
        .expect_err("gives up");
        assert!(error.to_string().contains("8 attempts"), "{error}");
    }
}
