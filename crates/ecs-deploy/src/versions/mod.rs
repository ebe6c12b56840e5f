//! Several versions of one app live at once behind one Application Load Balancer listener,
//! without Lambda: `ecs-deploy-version` deploys one version as its own ECS service and target
//! group with an affinity rule (an open browser tab keeps reaching the version that served it),
//! moves the listener's default action (new tabs get the newest), marks the older versions
//! draining and reaps the finished ones; `ecs-versions` shows the versions and the routing
//! table, reaps, promotes an older version back (instant rollback) or tears everything down.
//!
//! Pure and tested without servers: resource names ([`names`]), the listener's routing, rule
//! priorities and weights ([`routing`]), the inventory's facts ([`inventory`]), the reap
//! decisions ([`reap`]), the lease's judgement ([`lease`]), the task definition's changes
//! ([`document`]). The AWS calls are in [`aws`] and [`survey`]; the flows in [`deploy`] and
//! [`operations`]. Registering, waiting on the rollout and the drain delay reuse the
//! single-service deploy's [`crate::services::Services`] and [`crate::wait`].

pub mod aws;
pub mod clock;
pub mod deploy;
pub mod document;
pub mod ec2;
mod inputs;
pub mod inventory;
pub mod lease;
pub mod names;
pub mod operations;
pub mod reap;
mod report;
pub mod routing;
mod spec;
pub mod survey;

use std::process::ExitCode;

use action_kit::Runner;

use crate::services::SdkServices;
use crate::versions::aws::VersionsAws;
use crate::versions::inputs::Operation;
use crate::wait::Progress;

pub use spec::{DEPLOY_IAM_ACTIONS, DEPLOY_SPEC, VERSIONS_IAM_ACTIONS, VERSIONS_SPEC};

/// Entry point of `ecs-deploy-version`.
pub fn deploy_main(args: Vec<String>) -> ExitCode {
    action_kit::run_async(&DEPLOY_SPEC, args, run_deploy)
}

/// Entry point of `ecs-versions`.
pub fn versions_main(args: Vec<String>) -> ExitCode {
    action_kit::run_async(&VERSIONS_SPEC, args, run_versions)
}

/// Prints a progress report.
fn show(runner: &Runner) -> impl FnMut(Progress) + '_ {
    let console = runner.console();
    move |progress| match progress {
        Progress::Event(event) => console.info(&format!("event: {}", event.message)),
        Progress::Counts {
            running,
            desired,
            pending,
        } => console.info(&format!("running {running}/{desired}, pending {pending}")),
        Progress::PollFailed(error) => console.warning(&format!(
            "reading the service failed, trying again: {error}"
        )),
        Progress::Step(step) => console.info(&step),
    }
}

/// Runs `ecs-deploy-version`.
pub async fn run_deploy(runner: &Runner) -> anyhow::Result<()> {
    let plan = inputs::version_plan(runner)?;
    let config = action_aws::load_config(runner).await?;
    let services = SdkServices::new(&config);
    let aws = VersionsAws::new(&config);
    let started = std::time::Instant::now();
    let outcome = {
        let _group = runner.console().group(&format!(
            "Deploying version {} of {}",
            plan.id, plan.scope.name
        ));
        deploy::deploy_version(
            &services,
            &aws,
            &plan,
            tokio::time::sleep,
            &mut show(runner),
        )
        .await?
    };
    report::deployed(runner, &plan, &outcome, started.elapsed())
}

/// Runs `ecs-versions`.
pub async fn run_versions(runner: &Runner) -> anyhow::Result<()> {
    let scope = inputs::scope(runner)?;
    let operation = inputs::operation(runner, &scope)?;
    let config = action_aws::load_config(runner).await?;
    let aws = VersionsAws::new(&config);
    let listener = aws.listener(&scope.listener).await?;
    let mut progress = show(runner);
    if operation == Operation::Status {
        let inventory = survey::survey(&aws, &scope, &listener).await?;
        return report::operated(runner, "status", &inventory, None);
    }
    let holder = match &operation {
        Operation::Promote(id) => format!("promote {id}"),
        Operation::Reap(_) => "reap".to_owned(),
        _ => "teardown".to_owned(),
    };
    let lease = inputs::lease(runner, &scope.name, &holder)?;
    lease::acquire(
        &aws,
        &lease,
        std::time::Duration::from_secs(5),
        tokio::time::sleep,
    )
    .await?;
    let result = match &operation {
        Operation::Reap(settings) => {
            operations::reap_pass(&aws, &scope, &listener, settings, &mut progress)
                .await
                .map(|report| ("reap", Some(report)))
        }
        Operation::Promote(id) => operations::promote(&aws, &scope, &listener, id, &mut progress)
            .await
            .map(|_| ("promote", None)),
        _ => operations::teardown(&aws, &scope, &listener, &mut progress)
            .await
            .map(|report| ("teardown", Some(report))),
    };
    let released = lease::release(&aws, &lease).await;
    let (name, report) = result?;
    released?;
    let inventory = survey::survey(&aws, &scope, &listener).await?;
    report::operated(runner, name, &inventory, report.as_ref())
}
