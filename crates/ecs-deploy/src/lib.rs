//! `ecs-deploy`: register a task definition, roll it out to a service, wait on what ECS says,
//! smoke-check, and roll back to the last good revision when anything fails.
//!
//! The decisions are free of I/O and tested without a server: how a rollout stands from
//! DescribeServices answers ([`rollout`]), when to poll next ([`backoff`]), what smoke checks
//! ask and whether an answer passes ([`smoke`]). The deploy ([`deploy`]) and its waiter
//! ([`wait`]) call ECS through the [`services::Services`] trait, which the SDK implements and
//! the tests script, and run smoke checks through [`smoke_http::SmokeRunner`].
//!
//! Not yet here (see the README): CodeDeploy.

pub mod backoff;
pub mod cleanup;
pub mod deploy;
mod inputs;
mod report;
pub mod rollout;
#[cfg(test)]
mod scripted;
pub mod services;
pub mod smoke;
pub mod smoke_http;
mod spec;
pub mod tasks;
pub mod wait;

use std::process::ExitCode;

use action_kit::Runner;

use crate::rollout::AfterRollout;
use crate::services::SdkServices;
use crate::smoke_http::HttpSmoke;
use crate::wait::Progress;

pub use crate::spec::SPEC;

/// The action's entry point.
pub fn main(args: Vec<String>) -> ExitCode {
    action_kit::run_async(&SPEC, args, run)
}

/// Runs the action.
pub async fn run(runner: &Runner) -> anyhow::Result<()> {
    let plan = inputs::plan(runner)?;
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
    runner.append_summary(&report::summary(&plan, &outcome, started.elapsed()))?;
    report::verdict(&plan, &outcome)
}
