//! Reads and checks the inputs of `ecs-deploy-version` and `ecs-versions` before any AWS call:
//! every problem is one error naming the input.

use std::time::Duration;

use action_kit::Runner;
use anyhow::bail;

use crate::backoff::Backoff;
use crate::inputs::{comma_list, load_source};
use crate::versions::deploy::VersionPlan;
use crate::versions::lease::LeaseSettings;
use crate::versions::operations::ReapSettings;
use crate::versions::reap::Policy;
use crate::versions::survey::Scope;
use crate::versions::{clock, names, routing};

/// Cluster, listener and name.
pub(crate) fn scope(runner: &Runner) -> anyhow::Result<Scope> {
    let inputs = runner.inputs();
    let name = inputs.required("deployment-name")?;
    names::check_name("deployment-name", &name)?;
    let listener = inputs.required("listener-arn")?;
    if !listener.starts_with("arn:") || !listener.contains(":listener/") {
        bail!(
            "input 'listener-arn': '{listener}' is not the ARN of a load balancer listener (arn:aws:elasticloadbalancing:<region>:<account>:listener/app/…)"
        );
    }
    Ok(Scope {
        cluster: inputs.required("cluster")?,
        listener,
        name,
    })
}

/// A whole number input within `range`.
fn bounded(
    runner: &Runner,
    name: &str,
    range: std::ops::RangeInclusive<u64>,
) -> anyhow::Result<Option<u64>> {
    match runner.inputs().number(name)? {
        Some(n) if !range.contains(&n) => bail!(
            "input '{name}': expected {} to {}, got {n}",
            range.start(),
            range.end()
        ),
        other => Ok(other),
    }
}

/// The reaper's settings.
pub(crate) fn reap(runner: &Runner) -> anyhow::Result<ReapSettings> {
    let day = 7 * 86_400;
    let min_age = bounded(runner, "min-drain-age-seconds", 0..=day)?.unwrap_or(60);
    let max_age = bounded(runner, "max-drain-age-seconds", 0..=day)?.unwrap_or(3600);
    if max_age < min_age {
        bail!(
            "input 'max-drain-age-seconds': {max_age} is less than min-drain-age-seconds ({min_age})"
        );
    }
    Ok(ReapSettings {
        policy: Policy {
            min_age: i64::try_from(min_age).unwrap_or(i64::MAX),
            max_age: i64::try_from(max_age).unwrap_or(i64::MAX),
        },
        namespace: runner.inputs().required("drain-metric-namespace")?,
    })
}

/// The lease of `name`, held by `holder` in this workflow run.
pub(crate) fn lease(runner: &Runner, name: &str, holder: &str) -> anyhow::Result<LeaseSettings> {
    let ttl = bounded(runner, "lease-ttl-seconds", 60..=86_400)?.unwrap_or(3600);
    let wait = bounded(runner, "lease-wait-seconds", 0..=21_600)?.unwrap_or(300);
    let run = runner.env().non_empty("GITHUB_RUN_ID").unwrap_or("local");
    Ok(LeaseSettings {
        parameter: names::lease_parameter(name),
        holder: format!("{holder} (run {run})"),
        ttl_seconds: i64::try_from(ttl).unwrap_or(3600),
        wait: Duration::from_secs(wait),
    })
}

/// A list input, one a line or comma-separated.
fn items(runner: &Runner, name: &str) -> anyhow::Result<Vec<String>> {
    Ok(comma_list(Some(runner.inputs().list(name)?.join(","))))
}

/// The plan of `ecs-deploy-version`.
pub(crate) fn version_plan(runner: &Runner) -> anyhow::Result<VersionPlan> {
    let inputs = runner.inputs();
    let scope = scope(runner)?;
    let id = match inputs.get("deployment-id")? {
        Some(id) => id,
        None => clock::timestamp_id(clock::now()),
    };
    names::check_id("deployment-id", &id)?;
    let header = inputs.required("affinity-header")?;
    names::check_header("affinity-header", &header)?;
    let query_param = inputs.get("affinity-query-param")?;
    if let Some(key) = &query_param {
        names::check_query_key("affinity-query-param", key)?;
    }
    let subnets = items(runner, "subnets")?;
    if subnets.is_empty() {
        bail!("input 'subnets' is required: the tasks use awsvpc networking");
    }
    for (input, list, prefix) in [
        ("subnets", &subnets, "subnet-"),
        ("security-groups", &items(runner, "security-groups")?, "sg-"),
    ] {
        if let Some(bad) = list.iter().find(|s| !s.starts_with(prefix)) {
            bail!("input '{input}': '{bad}' is not a {prefix}… id");
        }
    }
    let minutes = bounded(runner, "wait-for-minutes", 1..=360)?.unwrap_or(15);
    let poll = bounded(runner, "poll-seconds", 1..=30)?.unwrap_or(5);
    let steps = routing::parse_steps("traffic-steps", &inputs.required("traffic-steps")?)?;
    let alarms = items(runner, "alarm-names")?;
    let to_i32 = |name: &str, n: Option<u64>| {
        n.map(|n| i32::try_from(n).map_err(|_| anyhow::anyhow!("input '{name}': {n} is too large")))
            .transpose()
    };
    let definition = inputs.required("task-definition")?;
    let holder = id.clone();
    Ok(VersionPlan {
        lease: lease(runner, &scope.name, &holder)?,
        source: load_source(runner, "task-definition", &definition)?,
        id,
        container: inputs.get("container-name")?,
        port: to_i32(
            "container-port",
            bounded(runner, "container-port", 1..=65_535)?,
        )?,
        desired: to_i32("desired-count", bounded(runner, "desired-count", 1..=5000)?)?.unwrap_or(1),
        security_groups: items(runner, "security-groups")?,
        subnets,
        public_ip: inputs.bool("assign-public-ip")?,
        launch_type: inputs
            .one_of("launch-type", &["FARGATE", "EC2", "EXTERNAL"])?
            .unwrap_or_else(|| "FARGATE".into()),
        grace_seconds: to_i32(
            "health-check-grace-period-seconds",
            bounded(
                runner,
                "health-check-grace-period-seconds",
                0..=2_147_483_647,
            )?,
        )?,
        health_check_path: match inputs.required("health-check-path")? {
            path if path.starts_with('/') && path.len() <= 1024 => path,
            path => {
                bail!("input 'health-check-path': expected a path starting with '/', got '{path}'")
            }
        },
        matcher: match inputs.required("health-check-matcher")? {
            m if !m.is_empty()
                && m.chars()
                    .all(|c| c.is_ascii_digit() || c == ',' || c == '-') =>
            {
                m
            }
            m => bail!(
                "input 'health-check-matcher': expected HTTP codes such as 200 or 200-399, got '{m}'"
            ),
        },
        deregistration_delay: bounded(runner, "deregistration-delay-seconds", 0..=3600)?
            .and_then(|n| u32::try_from(n).ok()),
        header,
        query_param,
        rule_quota: bounded(runner, "rule-quota", 1..=1000)?
            .and_then(|n| usize::try_from(n).ok())
            .unwrap_or(100),
        max_live: bounded(runner, "max-live-versions", 1..=1000)?
            .and_then(|n| usize::try_from(n).ok()),
        steps,
        bake: Duration::from_secs(
            bounded(runner, "traffic-step-bake-seconds", 0..=86_400)?.unwrap_or(300),
        ),
        alarms,
        backoff: Backoff {
            first: Duration::from_secs(poll),
            ceiling: Duration::from_secs(30),
        },
        timeout: Duration::from_secs(minutes * 60),
        min_healthy: bounded(runner, "min-healthy-targets", 0..=5000)?
            .and_then(|n| usize::try_from(n).ok())
            .unwrap_or(1),
        reap: if inputs.bool("reap")? {
            Some(reap(runner)?)
        } else {
            None
        },
        scope,
    })
}

/// An `ecs-versions` operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Operation {
    /// The tables only.
    Status,
    /// One reap pass.
    Reap(ReapSettings),
    /// Make this version the default again.
    Promote(String),
    /// Remove every version.
    Teardown,
}

/// The operation the inputs ask for.
pub(crate) fn operation(runner: &Runner, scope: &Scope) -> anyhow::Result<Operation> {
    let inputs = runner.inputs();
    let operation = inputs
        .one_of("operation", &["status", "reap", "promote", "teardown"])?
        .unwrap_or_default();
    let id = inputs.get("deployment-id")?;
    let confirm = inputs.get("confirm")?;
    if id.is_some() && operation != "promote" {
        bail!("input 'deployment-id' is only for operation promote");
    }
    if confirm.is_some() && operation != "teardown" {
        bail!("input 'confirm' is only for operation teardown");
    }
    Ok(match operation.as_str() {
        "reap" => Operation::Reap(reap(runner)?),
        "promote" => {
            let Some(id) = id else {
                bail!(
                    "input 'deployment-id' is required for operation promote: the version to make the default"
                );
            };
            names::check_id("deployment-id", &id)?;
            Operation::Promote(id)
        }
        "teardown" => {
            if confirm.as_deref() != Some(scope.name.as_str()) {
                bail!(
                    "input 'confirm' must repeat the deployment name '{}' to tear down every version of it",
                    scope.name
                );
            }
            Operation::Teardown
        }
        _ => Operation::Status,
    })
}
