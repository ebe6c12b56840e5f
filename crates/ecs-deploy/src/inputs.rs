//! The deploy plans the inputs ask for, every input checked before the first AWS call.

use std::time::Duration;

use action_kit::Runner;
use anyhow::{Context as _, bail};

use crate::codedeploy::{self, CodeDeploySettings};
use crate::deploy::{Plan, Source, TaskStep};
use crate::services::ServiceUpdate;
use crate::{backoff, fleet, smoke, tasks};

/// The deploys the inputs ask for: one plan, or one a line of `services`.
#[derive(Debug)]
pub(crate) struct Deploys {
    /// The plans, deployed concurrently.
    pub(crate) plans: Vec<Plan>,
    /// Roll every service back when one fails.
    pub(crate) all_or_nothing: bool,
}

/// Reads and checks every input.
pub(crate) fn deploys(runner: &Runner) -> anyhow::Result<Deploys> {
    let inputs = runner.inputs();
    let entries = fleet::parse_entries(&inputs.list("services")?)?;
    let all_or_nothing = inputs.bool("all-or-nothing")?;
    if entries.is_empty() {
        if all_or_nothing {
            bail!("input 'all-or-nothing' needs 'services' (several services in one step)");
        }
        let definition = inputs
            .get("task-definition")?
            .context("input 'task-definition' is required (or 'services', for several services)")?;
        let source = load_source(runner, "task-definition", &definition)?;
        let mut plan = common_plan(runner, source)?;
        plan.task = task_step(runner, &plan.source)?;
        if !plan.checks.is_empty() && (plan.wait.is_none() || plan.service.is_none()) {
            bail!(
                "input 'smoke-checks' needs a 'service' and 'wait-for-service-stability: true' (checks run after the rollout)"
            );
        }
        return Ok(Deploys {
            plans: vec![plan],
            all_or_nothing,
        });
    }
    for alone in [
        "service",
        "task-definition",
        "smoke-checks",
        "pre-deploy-command",
        "run-task",
    ] {
        if inputs.get(alone)?.is_some_and(|v| v != "false") {
            bail!(
                "input '{alone}' cannot be combined with 'services': it belongs to a single-service deploy"
            );
        }
    }
    let cluster = inputs.required("cluster")?;
    let plans = entries
        .into_iter()
        .map(|entry| {
            let source = load_source(runner, "services", &entry.task_definition)?;
            Ok(Plan {
                cluster: entry.cluster.unwrap_or_else(|| cluster.clone()),
                service: Some(entry.service),
                ..common_plan(runner, source)?
            })
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    Ok(Deploys {
        plans,
        all_or_nothing,
    })
}

/// A task definition input: a registered ARN, or a file in the workspace, checked.
pub(crate) fn load_source(
    runner: &Runner,
    input: &str,
    definition: &str,
) -> anyhow::Result<Source> {
    if definition.starts_with("arn:") && definition.contains(":task-definition/") {
        return Ok(Source::Registered(definition.to_owned()));
    }
    let path = runner.github().workspace_path(definition);
    let text = std::fs::read_to_string(&path).map_err(|_| {
        anyhow::anyhow!("input '{input}': the file {definition} does not exist in the workspace")
    })?;
    let loaded = render_taskdef::document::parse_file(&text, definition)?;
    for field in &loaded.removed_read_only {
        runner.console().warning(&format!("Ignoring property '{field}' in the task definition file {definition}: ECS does not accept it on registration."));
    }
    render_taskdef::ensure_registrable(&loaded.document)
        .with_context(|| format!("input '{input}': {definition}"))?;
    Ok(Source::Document(loaded.document))
}

/// The plan every deploy of the step shares, for `source` (service from the `service` input,
/// no one-off task).
fn common_plan(runner: &Runner, source: Source) -> anyhow::Result<Plan> {
    let inputs = runner.inputs();
    let wait = inputs.bool("wait-for-service-stability")?;
    let minutes = inputs.number("wait-for-minutes")?.unwrap_or(30);
    if !(1..=360).contains(&minutes) {
        bail!("input 'wait-for-minutes': expected 1 to 360 minutes, got {minutes}");
    }
    let desired_count = inputs
        .number("desired-count")?
        .map(|n| {
            i32::try_from(n).map_err(|_| anyhow::anyhow!("input 'desired-count': {n} is too large"))
        })
        .transpose()?;
    let enable_ecs_managed_tags = optional_bool(runner, "enable-ecs-managed-tags")?;
    let propagate_tags =
        inputs.one_of("propagate-tags", &["SERVICE", "TASK_DEFINITION", "NONE"])?;
    Ok(Plan {
        cluster: inputs.required("cluster")?,
        service: inputs.get("service")?,
        source,
        update: ServiceUpdate {
            force_new_deployment: inputs.bool("force-new-deployment")?,
            desired_count,
            enable_ecs_managed_tags,
            propagate_tags,
            strategy: inputs.one_of(
                "deployment-strategy",
                &["ROLLING", "BLUE_GREEN", "LINEAR", "CANARY"],
            )?,
            bake_time_minutes: match inputs.number("bake-time-minutes")? {
                Some(minutes) if minutes > 1440 => {
                    bail!("input 'bake-time-minutes': expected 0 to 1440 minutes, got {minutes}")
                }
                minutes => minutes.and_then(|m| i32::try_from(m).ok()),
            },
            ..ServiceUpdate::default()
        },
        wait: wait.then(|| {
            (
                backoff::Backoff::default(),
                Duration::from_secs(minutes * 60),
            )
        }),
        checks: smoke::parse_checks(&inputs.list("smoke-checks")?)?,
        smoke_deadline: Duration::from_secs(inputs.number("smoke-timeout-seconds")?.unwrap_or(300)),
        rollback: inputs.bool("rollback")?,
        task: None,
        deregistration_delay: deregistration_delay(runner)?,
        codedeploy: codedeploy(runner)?,
        keep_revisions: match inputs.number("keep-revisions")? {
            Some(0) => bail!("input 'keep-revisions': expected at least 1 (the revision deployed)"),
            Some(n) => Some(usize::try_from(n).unwrap_or(usize::MAX)),
            None => None,
        },
    })
}

pub(crate) fn comma_list(value: Option<String>) -> Vec<String> {
    value
        .map(|v| {
            v.split(',')
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty())
                .collect()
        })
        .unwrap_or_default()
}

/// The one-off task of `run-task` or `pre-deploy-command`, checked: containers that exist, and
/// network settings when the task needs them (awsvpc, which Fargate always uses).
fn task_step(runner: &Runner, source: &Source) -> anyhow::Result<Option<TaskStep>> {
    let inputs = runner.inputs();
    let command = inputs.get("pre-deploy-command")?;
    if command.is_none() && !inputs.bool("run-task")? {
        return Ok(None);
    }
    let document = match source {
        Source::Document(document) => Some(document),
        Source::Registered(_) => None,
    };
    let names: Vec<&str> = document
        .and_then(|d| d["containerDefinitions"].as_array())
        .map(|c| c.iter().filter_map(|c| c["name"].as_str()).collect())
        .unwrap_or_default();
    let check_container = |input: &str, name: &str| {
        if names.is_empty() || names.contains(&name) {
            Ok(())
        } else {
            Err(anyhow::anyhow!(
                "input '{input}': the task definition has no container '{name}' (it has: {})",
                names.join(", ")
            ))
        }
    };
    let mut overrides: Vec<tasks::ContainerOverride> = tasks::parse_json_list(
        "run-task-container-overrides",
        inputs.get("run-task-container-overrides")?.as_deref(),
    )?;
    for entry in &overrides {
        check_container("run-task-container-overrides", &entry.name)?;
    }
    let judged_by = match &command {
        None => inputs.get("pre-deploy-container")?,
        Some(command) => {
            let command = render_taskdef::edits::parse_command(command)
                .map_err(|_| anyhow::anyhow!("input 'pre-deploy-command': unbalanced quotes"))?;
            let container = match (inputs.get("pre-deploy-container")?, names.first()) {
                (Some(name), _) => name,
                (None, Some(first)) => (*first).to_owned(),
                (None, None) => bail!(
                    "input 'pre-deploy-container' is required when deploying a task definition ARN"
                ),
            };
            match overrides.iter_mut().find(|o| o.name == container) {
                Some(entry) => entry.command = Some(command),
                None => overrides.push(tasks::ContainerOverride {
                    name: container.clone(),
                    command: Some(command),
                    ..Default::default()
                }),
            }
            Some(container)
        }
    };
    if let Some(name) = &judged_by {
        check_container("pre-deploy-container", name)?;
    }
    let capacity_provider_strategy = tasks::parse_json_list(
        "run-task-capacity-provider-strategy",
        inputs
            .get("run-task-capacity-provider-strategy")?
            .as_deref(),
    )?;
    let launch_type = inputs
        .one_of("run-task-launch-type", &["FARGATE", "EC2", "EXTERNAL"])?
        .unwrap_or_else(|| "FARGATE".into());
    let subnets = comma_list(inputs.get("run-task-subnets")?);
    let fargate = launch_type == "FARGATE" && capacity_provider_strategy.is_empty();
    let awsvpc = document.is_some_and(|d| d["networkMode"] == "awsvpc") || fargate;
    if awsvpc && subnets.is_empty() {
        bail!(
            "input 'run-task-subnets' is required for the one-off task: it uses awsvpc networking (Fargate always does)"
        );
    }
    let public_ip = inputs.one_of("run-task-assign-public-IP", &["ENABLED", "DISABLED"])?;
    let enable_ecs_managed_tags = optional_bool(runner, "enable-ecs-managed-tags")?;
    Ok(Some(TaskStep {
        wait: command.is_some() || inputs.bool("wait-for-task-stopped")?,
        task: tasks::OneOffTask {
            overrides,
            judged_by,
            launch_type,
            capacity_provider_strategy,
            subnets,
            security_groups: comma_list(inputs.get("run-task-security-groups")?),
            assign_public_ip: public_ip.as_deref() == Some("ENABLED"),
            started_by: inputs.required("run-task-started-by")?,
            enable_ecs_managed_tags,
            tags: tasks::parse_json_list("run-task-tags", inputs.get("run-task-tags")?.as_deref())?,
            ..tasks::OneOffTask::default()
        },
    }))
}

/// The CodeDeploy inputs, when the AppSpec file (`codedeploy-appspec`, default `appspec.yaml`)
/// exists; whether the service needs them is known once it is described.
fn codedeploy(runner: &Runner) -> anyhow::Result<Option<CodeDeploySettings>> {
    let inputs = runner.inputs();
    let file = inputs
        .get("codedeploy-appspec")?
        .unwrap_or_else(|| "appspec.yaml".to_owned());
    let Ok(text) = std::fs::read_to_string(runner.github().workspace_path(&file)) else {
        return Ok(None);
    };
    Ok(Some(CodeDeploySettings {
        appspec: codedeploy::parse_appspec(&text, &file)?,
        application: inputs.get("codedeploy-application")?,
        deployment_group: inputs.get("codedeploy-deployment-group")?,
        config: inputs.get("codedeploy-deployment-config")?,
        description: inputs.get("codedeploy-deployment-description")?,
    }))
}

/// `deregistration-delay-seconds`: 0 to 3600, as Elastic Load Balancing allows.
fn deregistration_delay(runner: &Runner) -> anyhow::Result<Option<u32>> {
    let inputs = runner.inputs();
    let Some(seconds) = inputs.number("deregistration-delay-seconds")? else {
        return Ok(None);
    };
    if seconds > 3600 || (inputs.get("service")?.is_none() && inputs.get("services")?.is_none()) {
        bail!(
            "input 'deregistration-delay-seconds': expected 0 to 3600 seconds for the target groups of a 'service', got {seconds}"
        );
    }
    Ok(u32::try_from(seconds).ok())
}

/// A boolean input that may be left out.
fn optional_bool(runner: &Runner, name: &str) -> anyhow::Result<Option<bool>> {
    let inputs = runner.inputs();
    match inputs.get(name)? {
        Some(_) => Ok(Some(inputs.bool(name)?)),
        None => Ok(None),
    }
}
