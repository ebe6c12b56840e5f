//! `ecs-deploy`: register a task definition, roll it out to a service, wait on what ECS says,
//! smoke-check, and roll back to the last good revision when anything fails.
//!
//! The decisions are free of I/O and tested without a server: how a rollout stands from
//! DescribeServices answers ([`rollout`]), when to poll next ([`backoff`]), what smoke checks
//! ask and whether an answer passes ([`smoke`]). The deploy ([`deploy`]) and its waiter
//! ([`wait`]) call ECS through the [`services::Services`] trait, which the SDK implements and
//! the tests script, and run smoke checks through [`smoke_http::SmokeRunner`].
//!
//! Not yet here (see the README): CodeDeploy, drain settings, several services in one step,
//! revision cleanup.

pub mod backoff;
pub mod cleanup;
pub mod deploy;
pub mod rollout;
#[cfg(test)]
mod scripted;
pub mod services;
pub mod smoke;
pub mod smoke_http;
pub mod tasks;
pub mod wait;

use std::process::ExitCode;
use std::time::Duration;

use action_kit::{ActionSpec, InputSpec, OutputSpec, Runner, Table};
use anyhow::{Context as _, bail};

use crate::deploy::{Outcome, Plan, Source, TaskStep};
use crate::rollout::{AfterRollout, Assessment};
use crate::services::{SdkServices, ServiceUpdate};
use crate::smoke_http::HttpSmoke;
use crate::wait::Progress;

const INPUTS: &[InputSpec] = &[
    InputSpec::required(
        "task-definition",
        "Task definition JSON file in the workspace (e.g. render-taskdef's output), or the ARN of a registered revision to deploy as it is.",
    ),
    InputSpec::optional(
        "service",
        "ECS service to update; without it the task definition is only registered.",
    ),
    InputSpec::with_default("cluster", "ECS cluster of the service.", "default"),
    InputSpec::with_default(
        "wait-for-service-stability",
        "Wait until the rollout completes (following the deployment's rolloutState), smoke-check, and roll back on failure.",
        "false",
    ),
    InputSpec::with_default(
        "wait-for-minutes",
        "How long to wait for the rollout (at most 360).",
        "30",
    ),
    InputSpec::with_default(
        "force-new-deployment",
        "Start new tasks even when the task definition did not change.",
        "false",
    ),
    InputSpec::optional("desired-count", "New desired task count of the service."),
    InputSpec::optional(
        "enable-ecs-managed-tags",
        "Turn ECS managed tags on or off for the service's tasks.",
    ),
    InputSpec::optional(
        "propagate-tags",
        "Propagate tags to tasks from SERVICE, TASK_DEFINITION, or NONE.",
    ),
    InputSpec::optional(
        "smoke-checks",
        "Checks after the rollout, one `METHOD URL STATUS [text]` a line, e.g. `GET https://api.example.com/healthz 200`.",
    ),
    InputSpec::with_default(
        "smoke-timeout-seconds",
        "How long the smoke checks may take, retries included.",
        "300",
    ),
    InputSpec::optional(
        "deregistration-delay-seconds",
        "Graceful drain: make every target group of the service deregister targets after this many seconds (0 to 3600) before the update.",
    ),
    InputSpec::optional(
        "keep-revisions",
        "After a good deploy, deregister all but this many newest revisions of the family; a revision any service of the cluster still uses is never deregistered.",
    ),
    InputSpec::with_default(
        "rollback",
        "Roll back to the previous task definition when the rollout or a smoke check fails.",
        "true",
    ),
    InputSpec::with_default(
        "run-task",
        "Run the new revision as a one-off task before the service update.",
        "false",
    ),
    InputSpec::with_default(
        "wait-for-task-stopped",
        "Wait for the one-off task to stop; unless every container (or pre-deploy-container) exits with 0, stop without touching the service.",
        "false",
    ),
    InputSpec::optional(
        "pre-deploy-command",
        "A migration: runs a one-off task from the new revision with this command (e.g. `alembic upgrade head`) and waits for it; a non-zero exit stops the deploy without touching the service. Implies run-task and wait-for-task-stopped.",
    ),
    InputSpec::optional(
        "pre-deploy-container",
        "Container that runs pre-deploy-command, and whose exit code decides; defaults to the task definition's first container.",
    ),
    InputSpec::optional(
        "run-task-container-overrides",
        "Container overrides of the one-off task, a JSON array as RunTask takes it: `[{\"name\": \"app\", \"command\": [...], \"environment\": [...]}]`.",
    ),
    InputSpec::with_default(
        "run-task-launch-type",
        "Launch type of the one-off task: FARGATE, EC2 or EXTERNAL (not sent with a capacity provider strategy).",
        "FARGATE",
    ),
    InputSpec::optional(
        "run-task-capacity-provider-strategy",
        "Capacity provider strategy of the one-off task, a JSON array: `[{\"capacityProvider\": \"FARGATE_SPOT\", \"weight\": 1}]`.",
    ),
    InputSpec::optional(
        "run-task-subnets",
        "Subnets of the one-off task (awsvpc), comma-separated.",
    ),
    InputSpec::optional(
        "run-task-security-groups",
        "Security groups of the one-off task (awsvpc), comma-separated.",
    ),
    InputSpec::with_default(
        "run-task-assign-public-IP",
        "ENABLED or DISABLED: a public IP for the one-off task.",
        "DISABLED",
    ),
    InputSpec::with_default(
        "run-task-started-by",
        "The one-off task's startedBy.",
        "GitHub-Actions",
    ),
    InputSpec::optional(
        "run-task-tags",
        "Tags of the one-off task, a JSON array: `[{\"key\": \"purpose\", \"value\": \"migration\"}]`.",
    ),
];

/// Inputs and outputs of `ecs-deploy`.
pub static SPEC: ActionSpec = ActionSpec {
    name: "ecs-deploy",
    description: "Register a task definition, roll it out to an ECS service, wait, smoke-check, and roll back on failure.",
    input_groups: &[INPUTS, action_aws::INPUTS],
    outputs: &[
        OutputSpec {
            name: "task-definition-arn",
            description: "ARN of the task definition deployed.",
        },
        OutputSpec {
            name: "previous-task-definition-arn",
            description: "ARN of the task definition the service ran before.",
        },
        OutputSpec {
            name: "rolled-back",
            description: "true when the service was rolled back to the previous task definition.",
        },
        OutputSpec {
            name: "run-task-arn",
            description: "ARNs of the one-off task as a JSON array (as the anchor action writes it), when one ran.",
        },
        OutputSpec {
            name: "run-task-exit-code",
            description: "Exit code of the one-off task's deciding container, when it was waited for and exited.",
        },
    ],
    dynamic_outputs: false,
};

/// The action's entry point.
pub fn main(args: Vec<String>) -> ExitCode {
    action_kit::run_async(&SPEC, args, run)
}

fn plan(runner: &Runner) -> anyhow::Result<Plan> {
    let inputs = runner.inputs();
    let definition = inputs.required("task-definition")?;
    let source = if definition.starts_with("arn:") && definition.contains(":task-definition/") {
        Source::Registered(definition)
    } else {
        let path = runner.github().workspace_path(&definition);
        let text = std::fs::read_to_string(&path).map_err(|_| {
            anyhow::anyhow!(
                "input 'task-definition': the file {definition} does not exist in the workspace"
            )
        })?;
        let loaded = render_taskdef::document::parse_file(&text, &definition)?;
        for field in &loaded.removed_read_only {
            runner.console().warning(&format!("Ignoring property '{field}' in the task definition file: ECS does not accept it on registration."));
        }
        render_taskdef::ensure_registrable(&loaded.document)
            .with_context(|| format!("input 'task-definition': {definition}"))?;
        Source::Document(loaded.document)
    };
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
    let checks = smoke::parse_checks(&inputs.list("smoke-checks")?)?;
    let task = task_step(runner, &source)?;
    let service = inputs.get("service")?;
    if !checks.is_empty() && (!wait || service.is_none()) {
        bail!(
            "input 'smoke-checks' needs a 'service' and 'wait-for-service-stability: true' (checks run after the rollout)"
        );
    }
    Ok(Plan {
        cluster: inputs.required("cluster")?,
        service,
        source,
        update: ServiceUpdate {
            force_new_deployment: inputs.bool("force-new-deployment")?,
            desired_count,
            enable_ecs_managed_tags,
            propagate_tags,
            ..ServiceUpdate::default()
        },
        wait: wait.then(|| {
            (
                backoff::Backoff::default(),
                Duration::from_secs(minutes * 60),
            )
        }),
        checks,
        smoke_deadline: Duration::from_secs(inputs.number("smoke-timeout-seconds")?.unwrap_or(300)),
        rollback: inputs.bool("rollback")?,
        task,
        deregistration_delay: deregistration_delay(runner)?,
        keep_revisions: match inputs.number("keep-revisions")? {
            Some(0) => bail!("input 'keep-revisions': expected at least 1 (the revision deployed)"),
            Some(n) => Some(usize::try_from(n).unwrap_or(usize::MAX)),
            None => None,
        },
    })
}

fn comma_list(value: Option<String>) -> Vec<String> {
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

/// `deregistration-delay-seconds`: 0 to 3600, as Elastic Load Balancing allows.
fn deregistration_delay(runner: &Runner) -> anyhow::Result<Option<u32>> {
    let inputs = runner.inputs();
    let Some(seconds) = inputs.number("deregistration-delay-seconds")? else {
        return Ok(None);
    };
    if seconds > 3600 || inputs.get("service")?.is_none() {
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

/// Runs the action.
pub async fn run(runner: &Runner) -> anyhow::Result<()> {
    let plan = plan(runner)?;
    let config = action_aws::load_config(runner).await?;
    let services = SdkServices::new(&config);
    let smoke = HttpSmoke::new()?;
    let console = runner.console();
    let started = std::time::Instant::now();
    let outcome = {
        let _group = console.group("Deploying");
        deploy::deploy(
            &services,
            &smoke,
            &plan,
            tokio::time::sleep,
            |progress| match progress {
                Progress::Event(event) => console.info(&format!("event: {}", event.message)),
                Progress::Counts {
                    running,
                    desired,
                    pending,
                } => {
                    console.info(&format!("running {running}/{desired}, pending {pending}"));
                }
                Progress::PollFailed(error) => console.warning(&format!(
                    "reading the service failed, trying again: {error}"
                )),
                Progress::Step(step) => console.info(&step),
            },
        )
        .await?
    };
    runner.set_output("task-definition-arn", &outcome.task_definition_arn)?;
    runner.set_output(
        "previous-task-definition-arn",
        outcome.previous.as_deref().unwrap_or_default(),
    )?;
    let rolled_back = matches!(outcome.after, AfterRollout::RollBackTo(_));
    runner.set_output("rolled-back", if rolled_back { "true" } else { "false" })?;
    if let Some(task) = &outcome.task {
        runner.set_output(
            "run-task-arn",
            &serde_json::json!([task.task_arn]).to_string(),
        )?;
        match &task.result {
            Some(tasks::TaskResult::Succeeded) => runner.set_output("run-task-exit-code", "0")?,
            Some(tasks::TaskResult::Failed {
                exit_code: Some(code),
                ..
            }) => runner.set_output("run-task-exit-code", &code.to_string())?,
            _ => {}
        }
    }
    runner.append_summary(&summary(&plan, &outcome, started.elapsed()))?;
    verdict(&plan, &outcome)
}

fn revision(arn: &str) -> &str {
    arn.rsplit('/').next().unwrap_or(arn)
}

/// The step's result: an error naming both revisions unless the deploy succeeded.
fn verdict(plan: &Plan, outcome: &Outcome) -> anyhow::Result<()> {
    let service = plan.service.as_deref().unwrap_or_default();
    let new = revision(&outcome.task_definition_arn);
    let why = || {
        outcome
            .smoke_failure
            .clone()
            .or_else(|| match &outcome.assessment {
                Some(Assessment::Failed { reason })
                | Some(Assessment::RolledBackByEcs { reason, .. }) => Some(reason.clone()),
                Some(Assessment::InProgress { .. }) => {
                    Some("the rollout did not finish in time".into())
                }
                _ => None,
            })
            .unwrap_or_else(|| "unknown".into())
    };
    match &outcome.after {
        AfterRollout::Done => Ok(()),
        AfterRollout::RollBackTo(to) => {
            let back = match &outcome.rollback {
                Some(Assessment::Completed) => "it is stable again".to_owned(),
                Some(other) => format!("the rollback's own rollout did not complete: {other:?}"),
                None => "the rollback was not waited for".to_owned(),
            };
            bail!(
                "deploying {new} to service {service} failed ({}); rolled back to {}: {back}",
                why(),
                revision(to)
            )
        }
        AfterRollout::AlreadyRolledBack(to) => bail!(
            "deploying {new} to service {service} failed ({}); ECS's circuit breaker already rolled it back to {}",
            why(),
            revision(to)
        ),
        AfterRollout::FailInPlace(message) => {
            bail!("deploying {new} to service {service} failed: {message}")
        }
    }
}

fn summary(plan: &Plan, outcome: &Outcome, took: Duration) -> String {
    let mut table = Table::new([
        "Service",
        "Cluster",
        "Revision",
        "Rollout",
        "Smoke checks",
        "Rollback",
        "Took",
    ]);
    let rollout = match &outcome.assessment {
        None if plan.service.is_none() => "registered only".to_owned(),
        None => "not waited for".to_owned(),
        Some(Assessment::Completed) => "completed".to_owned(),
        Some(Assessment::Failed { reason }) => format!("failed: {reason}"),
        Some(Assessment::RolledBackByEcs { reason, .. }) => format!("rolled back by ECS: {reason}"),
        Some(Assessment::InProgress { .. }) => "timed out".to_owned(),
    };
    let smoke = match (&outcome.smoke_failure, plan.checks.len()) {
        (_, 0) => "none".to_owned(),
        (None, n) => format!("{n} passed"),
        (Some(failure), _) => format!("failed: {failure}"),
    };
    let rollback = match &outcome.after {
        AfterRollout::RollBackTo(to) => format!("to {}", revision(to)),
        AfterRollout::AlreadyRolledBack(to) => format!("by ECS, to {}", revision(to)),
        _ => "no".to_owned(),
    };
    table.row([
        plan.service.clone().unwrap_or_else(|| "-".into()),
        plan.cluster.clone(),
        format!(
            "{} → {}",
            outcome.previous.as_deref().map(revision).unwrap_or("-"),
            revision(&outcome.task_definition_arn)
        ),
        rollout,
        smoke,
        rollback,
        format!("{} s", took.as_secs()),
    ]);
    format!("### ecs-deploy\n\n{}\n", table.to_markdown())
}
