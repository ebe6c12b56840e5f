//! What a deploy tells the person reading the run: the step's verdict (an error naming both
//! revisions of every service that failed), the outputs, and the job summary table.

use std::time::Duration;

use action_kit::{Runner, Table};
use serde_json::json;

use crate::deploy::{Outcome, Plan};
use crate::fleet::ServiceResult;
use crate::rollout::{AfterRollout, Assessment};
use crate::tasks::TaskResult;

/// `family:revision` of a task definition ARN.
fn revision(arn: &str) -> &str {
    arn.rsplit('/').next().unwrap_or(arn)
}

/// The step's result: Ok when every service ended on its new revision, else one error naming
/// each failed service and both of its revisions.
pub(crate) fn verdict(results: &[ServiceResult]) -> anyhow::Result<()> {
    let failures: Vec<String> = results.iter().filter_map(failure).collect();
    match failures.as_slice() {
        [] => Ok(()),
        [one] => Err(anyhow::anyhow!("{one}")),
        many => Err(anyhow::anyhow!(
            "{} of {} services failed: {}",
            many.len(),
            results.len(),
            many.join("; ")
        )),
    }
}

/// Why one service's deploy failed, or `None` when it did not.
fn failure(result: &ServiceResult) -> Option<String> {
    let service = result.plan.service.as_deref().unwrap_or_default();
    let outcome = match &result.outcome {
        Ok(outcome) => outcome,
        Err(error) => return Some(format!("{error:#}")),
    };
    let new = revision(&outcome.task_definition_arn);
    let back = || match &outcome.rollback {
        Some(Assessment::Completed) => "it is stable again".to_owned(),
        Some(other) => format!("the rollback's own rollout did not complete: {other:?}"),
        None => "the rollback was not waited for".to_owned(),
    };
    match &outcome.after {
        AfterRollout::Done => None,
        AfterRollout::RollBackTo(to) if result.undone => Some(format!(
            "service {service} was deployed ({new}), then rolled back to {} because another service failed (all-or-nothing): {}",
            revision(to),
            back()
        )),
        AfterRollout::RollBackTo(to) => Some(format!(
            "deploying {new} to service {service} failed ({}); rolled back to {}: {}",
            why(outcome),
            revision(to),
            back()
        )),
        AfterRollout::AlreadyRolledBack(to) => Some(format!(
            "deploying {new} to service {service} failed ({}); ECS's circuit breaker already rolled it back to {}",
            why(outcome),
            revision(to)
        )),
        AfterRollout::FailInPlace(message) => Some(format!(
            "deploying {new} to service {service} failed: {message}"
        )),
    }
}

/// The reason a rollout or its smoke checks failed.
fn why(outcome: &Outcome) -> String {
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
}

/// Writes the outputs: those of the anchor action for the first (usually only) service, and
/// `results` for all.
pub(crate) fn set_outputs(runner: &Runner, results: &[ServiceResult]) -> anyhow::Result<()> {
    let rolled_back = results.iter().any(|r| {
        r.outcome
            .as_ref()
            .is_ok_and(|o| matches!(o.after, AfterRollout::RollBackTo(_)))
    });
    runner.set_output("rolled-back", if rolled_back { "true" } else { "false" })?;
    let summary: Vec<serde_json::Value> = results
        .iter()
        .map(|r| {
            let outcome = r.outcome.as_ref().ok();
            json!({
                "cluster": r.plan.cluster,
                "service": r.plan.service,
                "task-definition-arn": outcome.map(|o| o.task_definition_arn.as_str()),
                "previous-task-definition-arn": outcome.and_then(|o| o.previous.as_deref()),
                "succeeded": r.succeeded(),
                "error": failure(r),
            })
        })
        .collect();
    runner.set_output("results", &serde_json::Value::Array(summary).to_string())?;
    let Some(Ok(outcome)) = results.first().map(|r| &r.outcome) else {
        return Ok(());
    };
    runner.set_output("task-definition-arn", &outcome.task_definition_arn)?;
    if let Some(id) = &outcome.codedeploy_deployment {
        runner.set_output("codedeploy-deployment-id", id)?;
    }
    runner.set_output(
        "previous-task-definition-arn",
        outcome.previous.as_deref().unwrap_or_default(),
    )?;
    if let Some(task) = &outcome.task {
        runner.set_output("run-task-arn", &json!([task.task_arn]).to_string())?;
        match &task.result {
            Some(TaskResult::Succeeded) => runner.set_output("run-task-exit-code", "0")?,
            Some(TaskResult::Failed {
                exit_code: Some(code),
                ..
            }) => runner.set_output("run-task-exit-code", &code.to_string())?,
            _ => {}
        }
    }
    Ok(())
}

/// The job summary: a row a service.
pub(crate) fn summary(results: &[ServiceResult], took: Duration) -> String {
    let mut table = Table::new([
        "Service",
        "Cluster",
        "Revision",
        "Image",
        "Rollout",
        "Smoke checks",
        "Rollback",
    ]);
    for result in results {
        table.row(row(&result.plan, result.outcome.as_ref(), result.undone));
    }
    format!(
        "### ecs-deploy\n\n{}\nTook {} s.\n",
        table.to_markdown(),
        took.as_secs()
    )
}

fn row(plan: &Plan, outcome: Result<&Outcome, &anyhow::Error>, undone: bool) -> [String; 7] {
    let service = plan.service.clone().unwrap_or_else(|| "-".into());
    let image = images(plan);
    let outcome = match outcome {
        Ok(outcome) => outcome,
        Err(error) => {
            return [
                service,
                plan.cluster.clone(),
                "-".into(),
                image,
                format!("error: {error}"),
                "-".into(),
                "no".into(),
            ];
        }
    };
    let rollout = match &outcome.assessment {
        None if plan.service.is_none() => "registered only".to_owned(),
        None => match &outcome.after {
            AfterRollout::FailInPlace(message) => message.clone(),
            _ => "not waited for".to_owned(),
        },
        Some(Assessment::Completed) => "completed".to_owned(),
        Some(Assessment::Failed { reason }) => format!("failed: {reason}"),
        Some(Assessment::RolledBackByEcs { reason, .. }) => format!("rolled back by ECS: {reason}"),
        Some(Assessment::InProgress { .. }) => "timed out".to_owned(),
    };
    let smoke = match (&outcome.smoke_failure, plan.checks.len()) {
        (_, 0) => "none".to_owned(),
        (None, n) if outcome.assessment == Some(Assessment::Completed) => format!("{n} passed"),
        (None, _) => "not run".to_owned(),
        (Some(failure), _) => format!("failed: {failure}"),
    };
    let rollback = match &outcome.after {
        AfterRollout::RollBackTo(to) if undone => {
            format!("to {} (another service failed)", revision(to))
        }
        AfterRollout::RollBackTo(to) => format!("to {}", revision(to)),
        AfterRollout::AlreadyRolledBack(to) => format!("by ECS, to {}", revision(to)),
        _ => "no".to_owned(),
    };
    [
        service,
        plan.cluster.clone(),
        format!(
            "{} → {}",
            outcome.previous.as_deref().map(revision).unwrap_or("-"),
            revision(&outcome.task_definition_arn)
        ),
        image,
        rollout,
        smoke,
        rollback,
    ]
}

/// The images of a task definition file's containers, or `-` for a registered ARN.
fn images(plan: &Plan) -> String {
    match &plan.source {
        crate::deploy::Source::Document(document) => document["containerDefinitions"]
            .as_array()
            .map(|containers| {
                containers
                    .iter()
                    .filter_map(|c| c["image"].as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            })
            .unwrap_or_default(),
        crate::deploy::Source::Registered(_) => "-".to_owned(),
    }
}
