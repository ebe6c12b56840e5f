//! `ecs-deploy`: register a task definition, roll it out to a service, wait on what ECS says,
//! smoke-check, and roll back to the last good revision when anything fails.
//!
//! The decisions are free of I/O and tested without a server: how a rollout stands from
//! DescribeServices answers ([`rollout`]), when to poll next ([`backoff`]), what smoke checks
//! ask and whether an answer passes ([`smoke`]). The deploy ([`deploy`]) and its waiter
//! ([`wait`]) call ECS through the [`services::Services`] trait, which the SDK implements and
//! the tests script, and run smoke checks through [`smoke_http::SmokeRunner`].
//!
//! Around the rollout: one-off tasks before the update ([`tasks`]), drain settings, revision
//! cleanup ([`cleanup`]), services deployed by CodeDeploy ([`codedeploy`]), and several
//! services in one step ([`fleet`]).
//!
//! Several versions of one app behind one load balancer, each its own service, with affinity
//! rules, drain states and a reaper: [`versions`] (the `ecs-deploy-version` and `ecs-versions`
//! actions).

pub use action_kit::backoff;
pub mod cleanup;
pub mod codedeploy;
pub mod deploy;
pub mod fleet;
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
pub mod versions;
pub mod wait;

use std::process::ExitCode;

use action_kit::Runner;

use crate::services::SdkServices;
use crate::smoke_http::HttpSmoke;
use crate::wait::Progress;

pub use crate::spec::{IAM_ACTIONS, SPEC};

/// The action's entry point.
pub fn main(args: Vec<String>) -> ExitCode {
    action_kit::run_async(&SPEC, args, run)
}

/// Runs the action.
pub async fn run(runner: &Runner) -> anyhow::Result<()> {
    let deploys = inputs::deploys(runner)?;
    let config = action_aws::load_config(runner).await?;
    let services = SdkServices::new(&config);
    let smoke = HttpSmoke::new()?;
    let console = runner.console();
    let several = deploys.plans.len() > 1;
    let started = std::time::Instant::now();
    let results = {
        let _group = console.group("Deploying");
        let progress = |service: &str, progress: Progress| {
            let prefix = if several {
                format!("[{service}] ")
            } else {
                String::new()
            };
            match progress {
                Progress::Event(event) => {
                    console.info(&format!("{prefix}event: {}", event.message))
                }
                Progress::Counts {
                    running,
                    desired,
                    pending,
                } => console.info(&format!(
                    "{prefix}running {running}/{desired}, pending {pending}"
                )),
                Progress::PollFailed(error) => console.warning(&format!(
                    "{prefix}reading the service failed, trying again: {error}"
                )),
                Progress::Step(step) => console.info(&format!("{prefix}{step}")),
            }
        };
        fleet::deploy_all(
            &services,
            &smoke,
            deploys.plans,
            deploys.all_or_nothing,
            tokio::time::sleep,
            &progress,
        )
        .await
    };
    report::set_outputs(runner, &results)?;
    runner.append_summary(&report::summary(&results, started.elapsed()))?;
    report::verdict(&results)
}
