//! What a deploy tells the person reading the run: the step's verdict (an error naming both
//! revisions when it failed) and the job summary table.

use std::time::Duration;

use action_kit::Table;
use anyhow::bail;

use crate::deploy::{Outcome, Plan};
use crate::rollout::{AfterRollout, Assessment};

fn revision(arn: &str) -> &str {
    arn.rsplit('/').next().unwrap_or(arn)
}

/// The step's result: an error naming both revisions unless the deploy succeeded.
pub(crate) fn verdict(plan: &Plan, outcome: &Outcome) -> anyhow::Result<()> {
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

pub(crate) fn summary(plan: &Plan, outcome: &Outcome, took: Duration) -> String {
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
