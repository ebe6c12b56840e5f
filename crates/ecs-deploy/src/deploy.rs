//! One deploy, start to end: record the running revision, register the new one, update the
//! service, wait on the rollout, smoke-check, and roll back when anything failed. Generic over
//! the ECS calls and the smoke runner, so every path is tested with scripted answers.

use std::future::Future;
use std::time::Duration;

use anyhow::bail;
use serde_json::Value;

use crate::backoff::Backoff;
use crate::cleanup::{family_and_revision, stale_revisions};
use crate::codedeploy::{CodeDeployRequest, CodeDeploySettings, DeploymentStatus};
use crate::rollout::{AfterRollout, Assessment, after_rollout};
use crate::services::{ServiceUpdate, Services};
use crate::smoke::SmokeCheck;
use crate::smoke_http::SmokeRunner;
use crate::tasks::{OneOffTask, TaskResult, task_result};
use crate::wait::{Progress, Watch, wait_for_rollout};

/// The task definition to roll out.
#[derive(Debug, Clone, PartialEq)]
pub enum Source {
    /// A RegisterTaskDefinition input, registered first.
    Document(Value),
    /// A registered revision, deployed as it is.
    Registered(String),
}

/// What to deploy and how.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The cluster.
    pub cluster: String,
    /// The service; without one, the task definition is only registered.
    pub service: Option<String>,
    /// The task definition to roll out.
    pub source: Source,
    /// Update options (the task definition is filled in).
    pub update: ServiceUpdate,
    /// Wait for the rollout, with this backoff and timeout.
    pub wait: Option<(Backoff, Duration)>,
    /// Smoke checks after the rollout completed.
    pub checks: Vec<SmokeCheck>,
    /// Deadline of all smoke checks together.
    pub smoke_deadline: Duration,
    /// Roll back automatically.
    pub rollback: bool,
    /// A one-off task (`run-task`, a migration) run from the new revision before the update.
    pub task: Option<TaskStep>,
    /// The deregistration delay (seconds) every target group of the service must have.
    pub deregistration_delay: Option<u32>,
    /// After a good deploy, deregister all but this many newest revisions of the family.
    pub keep_revisions: Option<usize>,
    /// For services whose deployment controller is CODE_DEPLOY.
    pub codedeploy: Option<CodeDeploySettings>,
}

/// A target group whose deregistration delay the deploy changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DrainChange {
    /// The target group ARN.
    pub target_group: String,
    /// The delay it had.
    pub from: Option<u32>,
    /// The delay it has now.
    pub to: u32,
}

/// A one-off task to run before the service update.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskStep {
    /// What to run (cluster and task definition are filled in by the deploy).
    pub task: OneOffTask,
    /// Wait until it stopped, and stop the deploy unless it succeeded.
    pub wait: bool,
}

/// How the one-off task went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskReport {
    /// Its task ARN.
    pub task_arn: String,
    /// How it ended, when waited for.
    pub result: Option<TaskResult>,
}

/// What happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// The registered task definition.
    pub task_definition_arn: String,
    /// What the service ran before.
    pub previous: Option<String>,
    /// How the rollout ended (when waited for).
    pub assessment: Option<Assessment>,
    /// The failed smoke check, if any.
    pub smoke_failure: Option<String>,
    /// The decision after the rollout.
    pub after: AfterRollout,
    /// How the rollback's own rollout ended, when there was one.
    pub rollback: Option<Assessment>,
    /// The one-off task, when there was one.
    pub task: Option<TaskReport>,
    /// Target groups whose deregistration delay was changed.
    pub drain_changes: Vec<DrainChange>,
    /// Old revisions deregistered by `keep-revisions`.
    pub deregistered: Vec<String>,
    /// The CodeDeploy deployment, for a CODE_DEPLOY service.
    pub codedeploy_deployment: Option<String>,
}

/// Runs the deploy.
pub async fn deploy<S, K, Sleep, F>(
    services: &S,
    smoke: &K,
    plan: &Plan,
    mut sleep: Sleep,
    mut progress: impl FnMut(Progress),
) -> anyhow::Result<Outcome>
where
    S: Services,
    K: SmokeRunner,
    Sleep: FnMut(Duration) -> F,
    F: Future<Output = ()>,
{
    let cluster = plan.cluster.as_str();
    let (previous, target_groups, controller) = match &plan.service {
        Some(service) => {
            let state = services.describe(cluster, service).await?;
            if state.status != "ACTIVE" {
                bail!("service '{service}' is {}, not ACTIVE", state.status);
            }
            match (state.deployment_controller.as_str(), &plan.codedeploy) {
                ("ECS", _) | ("CODE_DEPLOY", Some(_)) => {}
                ("CODE_DEPLOY", None) => bail!(
                    "service '{service}' is deployed by CodeDeploy (deployment controller CODE_DEPLOY): input 'codedeploy-appspec' must name an AppSpec file in the workspace"
                ),
                (other, _) => bail!(
                    "service '{service}' has deployment controller {other}: only ECS and CODE_DEPLOY are supported"
                ),
            }
            let previous = Some(state.task_definition).filter(|td| !td.is_empty());
            (previous, state.target_groups, state.deployment_controller)
        }
        None => (None, Vec::new(), String::new()),
    };
    let arn = match &plan.source {
        Source::Document(document) => {
            let arn = services.register(document).await?;
            progress(Progress::Step(format!("registered {arn}")));
            arn
        }
        Source::Registered(arn) => arn.clone(),
    };
    let mut outcome = Outcome {
        task_definition_arn: arn.clone(),
        previous: previous.clone(),
        assessment: None,
        smoke_failure: None,
        after: AfterRollout::Done,
        rollback: None,
        task: None,
        drain_changes: Vec::new(),
        deregistered: Vec::new(),
        codedeploy_deployment: None,
    };
    if let Some(step) = &plan.task {
        let task = OneOffTask {
            cluster: cluster.to_owned(),
            task_definition: arn.clone(),
            ..step.task.clone()
        };
        let (report, failure) =
            run_one_off(services, plan, &task, step.wait, &mut sleep, &mut progress).await?;
        outcome.task = Some(report);
        if let Some(failure) = failure {
            outcome.after = AfterRollout::FailInPlace(format!(
                "the task run before the update failed: {failure}; the service was not changed"
            ));
            return Ok(outcome);
        }
    }
    let Some(service) = &plan.service else {
        outcome.deregistered = clean_up(services, plan, &arn, &mut progress).await?;
        return Ok(outcome);
    };
    if let Some(seconds) = plan.deregistration_delay {
        outcome.drain_changes =
            converge_drain(services, &target_groups, seconds, &mut progress).await?;
    }
    if let (Some(settings), "CODE_DEPLOY") = (&plan.codedeploy, controller.as_str()) {
        let request = settings.request(cluster, service, &arn)?;
        code_deploy(
            services,
            smoke,
            plan,
            &request,
            &mut outcome,
            &mut sleep,
            &mut progress,
        )
        .await?;
        if outcome.after == AfterRollout::Done {
            outcome.deregistered = clean_up(services, plan, &arn, &mut progress).await?;
        }
        return Ok(outcome);
    }
    let update = ServiceUpdate {
        task_definition: arn.clone(),
        ..plan.update.clone()
    };
    if let Err(error) = services.update(cluster, service, &update).await {
        // The call may have been applied before the connection broke: look before deciding.
        let state = services.describe(cluster, service).await?;
        if state.task_definition != arn {
            return Err(error);
        }
    }
    progress(Progress::Step(format!(
        "updated service {service} in cluster {cluster} to {arn}"
    )));
    let Some((backoff, timeout)) = plan.wait else {
        outcome.deregistered = clean_up(services, plan, &arn, &mut progress).await?;
        return Ok(outcome);
    };
    let watch = Watch {
        cluster,
        service,
        target: &arn,
        backoff,
        timeout,
    };
    let assessment = wait_for_rollout(services, &watch, &mut sleep, &mut progress).await?;
    if assessment == Assessment::Completed && !plan.checks.is_empty() {
        outcome.smoke_failure = smoke.run(&plan.checks, plan.smoke_deadline).await;
        progress(Progress::Step(match &outcome.smoke_failure {
            None => format!(
                "rollout completed; {} smoke checks passed",
                plan.checks.len()
            ),
            Some(failure) => format!("rollout completed; smoke check failed: {failure}"),
        }));
    }
    outcome.after = after_rollout(
        &assessment,
        outcome.smoke_failure.as_deref(),
        previous.as_deref(),
        plan.rollback,
    );
    outcome.assessment = Some(assessment);
    if let AfterRollout::RollBackTo(to) = &outcome.after {
        outcome.rollback = roll_back(services, plan, to, &mut sleep, &mut progress).await?;
    }
    if outcome.after == AfterRollout::Done {
        outcome.deregistered = clean_up(services, plan, &arn, &mut progress).await?;
    }
    Ok(outcome)
}

/// Deploys through CodeDeploy: creates the deployment and, when the plan waits, follows it and
/// runs the smoke checks. CodeDeploy rolls back as its deployment group says; this action
/// does not roll a CodeDeploy service back itself.
async fn code_deploy<S, K, Sleep, F>(
    services: &S,
    smoke: &K,
    plan: &Plan,
    request: &CodeDeployRequest,
    outcome: &mut Outcome,
    sleep: &mut Sleep,
    progress: &mut impl FnMut(Progress),
) -> anyhow::Result<()>
where
    S: Services,
    K: SmokeRunner,
    Sleep: FnMut(Duration) -> F,
    F: Future<Output = ()>,
{
    let id = services.create_code_deployment(request).await?;
    progress(Progress::Step(format!(
        "created CodeDeploy deployment {id} in {}/{}",
        request.application, request.deployment_group
    )));
    outcome.codedeploy_deployment = Some(id.clone());
    let Some((backoff, timeout)) = plan.wait else {
        return Ok(());
    };
    let mut delays = backoff.delays_within(timeout);
    let mut last = String::new();
    loop {
        match services.code_deployment(&id).await? {
            DeploymentStatus::Succeeded => break,
            DeploymentStatus::Failed(message) => {
                outcome.after = AfterRollout::FailInPlace(format!(
                    "{message}; CodeDeploy rolls back as its deployment group is configured to"
                ));
                return Ok(());
            }
            DeploymentStatus::Going(status) => {
                if status != last {
                    progress(Progress::Step(format!(
                        "CodeDeploy deployment {id}: {status}"
                    )));
                    last = status;
                }
            }
        }
        let Some(delay) = delays.next() else {
            outcome.after = AfterRollout::FailInPlace(format!(
                "CodeDeploy deployment {id} did not finish within {} minutes",
                timeout.as_secs() / 60
            ));
            return Ok(());
        };
        sleep(delay).await;
    }
    outcome.assessment = Some(Assessment::Completed);
    if !plan.checks.is_empty() {
        outcome.smoke_failure = smoke.run(&plan.checks, plan.smoke_deadline).await;
        if let Some(failure) = &outcome.smoke_failure {
            outcome.after = AfterRollout::FailInPlace(format!(
                "smoke check failed: {failure}; a CodeDeploy service is not rolled back by this action"
            ));
        }
    }
    Ok(())
}

/// Updates the plan's service back to `to` and, when the plan waits, waits for that rollout.
pub async fn roll_back<S, Sleep, F>(
    services: &S,
    plan: &Plan,
    to: &str,
    sleep: &mut Sleep,
    progress: &mut impl FnMut(Progress),
) -> anyhow::Result<Option<Assessment>>
where
    S: Services,
    Sleep: FnMut(Duration) -> F,
    F: Future<Output = ()>,
{
    let Some(service) = &plan.service else {
        return Ok(None);
    };
    let back = ServiceUpdate {
        task_definition: to.to_owned(),
        ..ServiceUpdate::default()
    };
    progress(Progress::Step(format!(
        "rolling back service {service} to {to}"
    )));
    services.update(&plan.cluster, service, &back).await?;
    let Some((backoff, timeout)) = plan.wait else {
        return Ok(None);
    };
    let watch = Watch {
        cluster: &plan.cluster,
        service,
        target: to,
        backoff,
        timeout,
    };
    Ok(Some(
        wait_for_rollout(services, &watch, sleep, progress).await?,
    ))
}

/// `keep-revisions`: deregisters the family's old revisions that no service of the cluster uses.
async fn clean_up<S: Services>(
    services: &S,
    plan: &Plan,
    deployed: &str,
    progress: &mut impl FnMut(Progress),
) -> anyhow::Result<Vec<String>> {
    let (Some(keep), Some((family, _))) = (plan.keep_revisions, family_and_revision(deployed))
    else {
        return Ok(Vec::new());
    };
    let active = services.active_revisions(family).await?;
    let mut in_use = services.task_definitions_in_use(&plan.cluster).await?;
    in_use.insert(deployed.to_owned());
    let stale = stale_revisions(family, &active, keep, &in_use);
    for arn in &stale {
        services.deregister(arn).await?;
        progress(Progress::Step(format!("deregistered {arn}")));
    }
    Ok(stale)
}

/// Sets the deregistration delay of every target group that has another one, so old tasks
/// drain for as long as asked while the rollout replaces them.
async fn converge_drain<S: Services>(
    services: &S,
    target_groups: &[String],
    seconds: u32,
    progress: &mut impl FnMut(Progress),
) -> anyhow::Result<Vec<DrainChange>> {
    let mut changes = Vec::new();
    for target_group in target_groups {
        let from = services.deregistration_delay(target_group).await?;
        if from == Some(seconds) {
            continue;
        }
        services
            .set_deregistration_delay(target_group, seconds)
            .await?;
        progress(Progress::Step(format!(
            "deregistration delay of {target_group}: {} s → {seconds} s",
            from.map_or_else(|| "unset".to_owned(), |s| s.to_string())
        )));
        changes.push(DrainChange {
            target_group: target_group.clone(),
            from,
            to: seconds,
        });
    }
    Ok(changes)
}

/// Runs the one-off task and, when asked, waits for it; returns its report and, when it did not
/// succeed, why.
async fn run_one_off<S, Sleep, F>(
    services: &S,
    plan: &Plan,
    task: &OneOffTask,
    wait: bool,
    sleep: &mut Sleep,
    progress: &mut impl FnMut(Progress),
) -> anyhow::Result<(TaskReport, Option<String>)>
where
    S: Services,
    Sleep: FnMut(Duration) -> F,
    F: Future<Output = ()>,
{
    let what = task
        .overrides
        .iter()
        .find_map(|o| o.command.as_ref())
        .map(|command| command.join(" "))
        .unwrap_or_else(|| "the task definition's own command".to_owned());
    progress(Progress::Step(format!("running a one-off task: {what}")));
    let task_arn = services.run_task(task).await?;
    if !wait {
        progress(Progress::Step(format!(
            "started {task_arn} (not waited for)"
        )));
        return Ok((
            TaskReport {
                task_arn,
                result: None,
            },
            None,
        ));
    }
    let (backoff, timeout) = plan
        .wait
        .unwrap_or((Backoff::default(), Duration::from_secs(1800)));
    let result = wait_for_task(services, task, &task_arn, backoff, timeout, sleep).await?;
    let failure = match &result {
        TaskResult::Succeeded => None,
        TaskResult::Failed { message, .. } => Some(message.clone()),
        TaskResult::Running => Some(format!(
            "it did not stop within {} minutes",
            timeout.as_secs() / 60
        )),
    };
    progress(Progress::Step(format!(
        "one-off task {task_arn}: {}",
        failure.as_deref().unwrap_or("exit code 0")
    )));
    Ok((
        TaskReport {
            task_arn,
            result: Some(result),
        },
        failure,
    ))
}

/// Polls a one-off task until it stopped or the timeout passed.
async fn wait_for_task<S, Sleep, F>(
    services: &S,
    task: &OneOffTask,
    task_arn: &str,
    backoff: Backoff,
    timeout: Duration,
    sleep: &mut Sleep,
) -> anyhow::Result<TaskResult>
where
    S: Services,
    Sleep: FnMut(Duration) -> F,
    F: Future<Output = ()>,
{
    let mut delays = backoff.delays_within(timeout);
    loop {
        let state = services.describe_task(&task.cluster, task_arn).await?;
        let result = task_result(&state, task.judged_by.as_deref());
        if result != TaskResult::Running {
            return Ok(result);
        }
        let Some(delay) = delays.next() else {
            return Ok(TaskResult::Running);
        };
        sleep(delay).await;
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;
    use crate::rollout::RolloutState::{Completed, Failed, InProgress};
    use crate::scripted::{NEW, OLD, ScriptedEcs, plan, service};

    /// Smoke checks that answer as told.
    struct FixedSmoke(Option<&'static str>);

    impl SmokeRunner for FixedSmoke {
        async fn run(&self, _: &[SmokeCheck], _: Duration) -> Option<String> {
            self.0.map(str::to_owned)
        }
    }

    async fn run(
        ecs: &ScriptedEcs,
        smoke: Option<&'static str>,
        plan: &Plan,
    ) -> anyhow::Result<Outcome> {
        deploy(ecs, &FixedSmoke(smoke), plan, |_| async {}, |_| {}).await
    }

    #[tokio::test]
    async fn a_good_deploy_records_the_previous_revision() {
        let ecs = ScriptedEcs::new(vec![
            Ok(service(OLD, OLD, Some(Completed), 2)),
            Ok(service(NEW, NEW, Some(InProgress), 1)),
            Ok(service(NEW, NEW, Some(Completed), 2)),
        ]);
        let outcome = run(&ecs, None, &plan(Some("api"))).await.expect("deployed");
        assert_eq!(outcome.previous.as_deref(), Some(OLD));
        assert_eq!(outcome.task_definition_arn, NEW);
        assert_eq!(outcome.after, AfterRollout::Done);
        assert_eq!(ecs.updates(), [NEW]);
    }

    #[tokio::test]
    async fn a_failed_rollout_is_rolled_back_and_waited_for() {
        let ecs = ScriptedEcs::new(vec![
            Ok(service(OLD, OLD, Some(Completed), 2)),
            Ok(service(NEW, NEW, Some(Failed), 0)),
            Ok(service(OLD, OLD, Some(Completed), 2)),
        ]);
        let outcome = run(&ecs, None, &plan(Some("api"))).await.expect("deployed");
        assert_eq!(outcome.after, AfterRollout::RollBackTo(OLD.into()));
        assert_eq!(outcome.rollback, Some(Assessment::Completed));
        assert_eq!(ecs.updates(), [NEW, OLD]);
    }

    #[tokio::test]
    async fn a_failed_smoke_check_rolls_back() {
        let ecs = ScriptedEcs::new(vec![
            Ok(service(OLD, OLD, Some(Completed), 2)),
            Ok(service(NEW, NEW, Some(Completed), 2)),
            Ok(service(OLD, OLD, Some(Completed), 2)),
        ]);
        let outcome = run(
            &ecs,
            Some("GET https://api.example.com/healthz: status 500, expected 200"),
            &plan(Some("api")),
        )
        .await
        .expect("deployed");
        assert_eq!(
            outcome.smoke_failure.as_deref(),
            Some("GET https://api.example.com/healthz: status 500, expected 200")
        );
        assert_eq!(ecs.updates(), [NEW, OLD]);
    }

    #[tokio::test]
    async fn an_ecs_rollback_is_not_repeated() {
        let mut rolled_back = service(OLD, OLD, Some(InProgress), 1);
        rolled_back.circuit_breaker_rollback = true;
        let ecs = ScriptedEcs::new(vec![
            Ok(service(OLD, OLD, Some(Completed), 2)),
            Ok(rolled_back),
        ]);
        let outcome = run(&ecs, None, &plan(Some("api"))).await.expect("deployed");
        assert_eq!(outcome.after, AfterRollout::AlreadyRolledBack(OLD.into()));
        assert_eq!(ecs.updates(), [NEW], "no second rollback");
    }

    #[tokio::test]
    async fn a_dropped_update_is_checked_before_deciding() {
        // The update went through before the connection broke: the re-read shows it.
        let ecs = ScriptedEcs::new(vec![
            Ok(service(OLD, OLD, Some(Completed), 2)),
            Ok(service(NEW, NEW, Some(InProgress), 0)),
            Ok(service(NEW, NEW, Some(Completed), 2)),
        ]);
        *ecs.failing_updates
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = 1;
        let outcome = run(&ecs, None, &plan(Some("api"))).await.expect("deployed");
        assert_eq!(outcome.after, AfterRollout::Done);
        // It did not: the error stands, nothing else is done.
        let ecs = ScriptedEcs::new(vec![
            Ok(service(OLD, OLD, Some(Completed), 2)),
            Ok(service(OLD, OLD, Some(Completed), 2)),
        ]);
        *ecs.failing_updates
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = 1;
        let error = run(&ecs, None, &plan(Some("api")))
            .await
            .expect_err("not applied");
        assert!(error.to_string().contains("connection closed"), "{error}");
        assert_eq!(ecs.updates(), [NEW]);
    }

    fn migration() -> TaskStep {
        TaskStep {
            task: OneOffTask {
                overrides: vec![crate::tasks::ContainerOverride {
                    name: "api".into(),
                    command: Some(vec!["alembic".into(), "upgrade".into(), "head".into()]),
                    ..Default::default()
                }],
                judged_by: Some("api".into()),
                launch_type: "FARGATE".into(),
                subnets: vec!["subnet-1".into()],
                ..OneOffTask::default()
            },
            wait: true,
        }
    }

    fn stopped(exit: Option<i32>, reason: Option<&str>) -> crate::tasks::TaskState {
        crate::tasks::TaskState {
            last_status: "STOPPED".into(),
            stopped_reason: reason.map(Into::into),
            containers: vec![crate::tasks::ContainerState {
                name: "api".into(),
                exit_code: exit,
                reason: None,
            }],
        }
    }

    #[tokio::test]
    async fn a_migration_runs_from_the_new_revision_before_the_update() {
        let ecs = ScriptedEcs::new(vec![
            Ok(service(OLD, OLD, Some(Completed), 2)),
            Ok(service(NEW, NEW, Some(Completed), 2)),
        ]);
        let running = crate::tasks::TaskState {
            last_status: "RUNNING".into(),
            stopped_reason: None,
            containers: Vec::new(),
        };
        *ecs.tasks
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) =
            vec![running, stopped(Some(0), None)].into();
        let mut with_migration = plan(Some("api"));
        with_migration.task = Some(migration());
        let outcome = run(&ecs, None, &with_migration).await.expect("deployed");
        assert_eq!(outcome.after, AfterRollout::Done);
        let started = ecs
            .started
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone();
        assert_eq!(started[0].task_definition, NEW);
        assert_eq!(started[0].cluster, "prod");
        assert_eq!(ecs.updates(), [NEW]);
    }

    #[tokio::test]
    async fn a_failed_migration_leaves_the_service_alone() {
        let ecs = ScriptedEcs::new(vec![Ok(service(OLD, OLD, Some(Completed), 2))]);
        *ecs.tasks
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) =
            vec![stopped(Some(3), Some("Essential container in task exited"))].into();
        let mut with_migration = plan(Some("api"));
        with_migration.task = Some(migration());
        let outcome = run(&ecs, None, &with_migration).await.expect("ran");
        assert!(matches!(&outcome.after, AfterRollout::FailInPlace(m)
            if m == "the task run before the update failed: container api exited with code 3 (task: Essential container in task exited); the service was not changed"));
        assert!(matches!(
            outcome.task.as_ref().and_then(|p| p.result.as_ref()),
            Some(TaskResult::Failed {
                exit_code: Some(3),
                ..
            })
        ));
        assert!(ecs.updates().is_empty(), "the service is not touched");
    }

    #[tokio::test]
    async fn without_a_service_it_only_registers_and_rollback_can_be_off() {
        let ecs = ScriptedEcs::new(Vec::new());
        let outcome = run(&ecs, None, &plan(None)).await.expect("registered");
        assert_eq!(outcome.task_definition_arn, NEW);
        assert!(ecs.updates().is_empty());

        let ecs = ScriptedEcs::new(vec![
            Ok(service(OLD, OLD, Some(Completed), 2)),
            Ok(service(NEW, NEW, Some(Failed), 0)),
        ]);
        let mut no_rollback = plan(Some("api"));
        no_rollback.rollback = false;
        let outcome = run(&ecs, None, &no_rollback).await.expect("deployed");
        assert!(
            matches!(outcome.after, AfterRollout::FailInPlace(ref m) if m.contains("automatic rollback is off"))
        );
        assert_eq!(ecs.updates(), [NEW]);
    }

    #[tokio::test]
    async fn the_drain_setting_is_converged_before_the_update() {
        let mut attached = service(OLD, OLD, Some(Completed), 2);
        attached.target_groups = vec!["tg/a".into(), "tg/b".into()];
        let ecs = ScriptedEcs::new(vec![
            Ok(attached),
            Ok(service(NEW, NEW, Some(Completed), 2)),
        ]);
        ecs.delays
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .extend([("tg/a".to_owned(), 300), ("tg/b".to_owned(), 30)]);
        let mut with_drain = plan(Some("api"));
        with_drain.deregistration_delay = Some(30);
        let outcome = run(&ecs, None, &with_drain).await.expect("deployed");
        assert_eq!(
            outcome.drain_changes,
            [DrainChange {
                target_group: "tg/a".into(),
                from: Some(300),
                to: 30
            }]
        );
        let delays = ecs
            .delays
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone();
        assert_eq!(delays.get("tg/a"), Some(&30));
    }

    #[tokio::test]
    async fn old_revisions_are_cleaned_up_after_a_good_deploy_only() {
        let revision =
            |n: u32| format!("arn:aws:ecs:eu-west-1:123456789012:task-definition/api:{n}");
        let good = || {
            let mut ecs = ScriptedEcs::new(vec![
                Ok(service(OLD, OLD, Some(Completed), 2)),
                Ok(service(NEW, NEW, Some(Completed), 2)),
                Ok(service(OLD, OLD, Some(Completed), 2)),
            ]);
            *ecs.revisions
                .get_mut()
                .unwrap_or_else(std::sync::PoisonError::into_inner) =
                (3..=8).map(revision).collect();
            ecs.in_use = BTreeSet::from([revision(4)]);
            ecs
        };
        let mut keeping = plan(Some("api"));
        keeping.keep_revisions = Some(2);
        let ecs = good();
        let outcome = run(&ecs, None, &keeping).await.expect("deployed");
        assert_eq!(
            outcome.deregistered,
            [revision(3), revision(5), revision(6)]
        );
        // A failed deploy keeps everything: the rollback target must stay registered.
        let ecs = good();
        let outcome = run(&ecs, Some("smoke failed"), &keeping)
            .await
            .expect("ran");
        assert!(matches!(outcome.after, AfterRollout::RollBackTo(_)));
        assert!(outcome.deregistered.is_empty());
    }

    fn code_deploy_service() -> crate::rollout::ServiceState {
        let mut state = service(OLD, OLD, Some(Completed), 2);
        state.deployment_controller = "CODE_DEPLOY".into();
        state
    }

    fn with_appspec() -> Plan {
        let mut plan = plan(Some("api"));
        plan.codedeploy = Some(CodeDeploySettings {
            appspec: serde_json::json!({"Resources": [{"TargetService": {"Type": "AWS::ECS::Service", "Properties": {"TaskDefinition": "x"}}}]}),
            application: None,
            deployment_group: None,
            config: None,
            description: None,
        });
        plan
    }

    #[tokio::test]
    async fn a_code_deploy_service_is_deployed_through_code_deploy() {
        let ecs = ScriptedEcs::new(vec![Ok(code_deploy_service())]);
        ecs.code_statuses
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .extend([
                DeploymentStatus::Going("InProgress".into()),
                DeploymentStatus::Succeeded,
            ]);
        let outcome = run(&ecs, None, &with_appspec()).await.expect("deployed");
        assert_eq!(outcome.after, AfterRollout::Done);
        assert_eq!(outcome.codedeploy_deployment.as_deref(), Some("d-1"));
        assert!(ecs.updates().is_empty(), "no UpdateService");
        let created = ecs
            .code_deployments
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone();
        assert_eq!(created[0].application, "AppECS-prod-api");
        assert!(created[0].appspec.contains(NEW), "{}", created[0].appspec);

        let ecs = ScriptedEcs::new(vec![Ok(code_deploy_service())]);
        ecs.code_statuses
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push_back(DeploymentStatus::Failed(
                "CodeDeploy deployment failed: health checks".into(),
            ));
        let outcome = run(&ecs, None, &with_appspec()).await.expect("ran");
        assert!(
            matches!(&outcome.after, AfterRollout::FailInPlace(m) if m.starts_with("CodeDeploy deployment failed: health checks; CodeDeploy rolls back")),
            "{:?}",
            outcome.after
        );
    }

    #[tokio::test]
    async fn a_controller_it_cannot_drive_is_refused_before_registering() {
        let ecs = ScriptedEcs::new(vec![Ok(code_deploy_service())]);
        let error = run(&ecs, None, &plan(Some("api")))
            .await
            .expect_err("no appspec");
        assert!(
            error
                .to_string()
                .contains("input 'codedeploy-appspec' must name an AppSpec file"),
            "{error}"
        );
        let mut external = service(OLD, OLD, Some(Completed), 2);
        external.deployment_controller = "EXTERNAL".into();
        let ecs = ScriptedEcs::new(vec![Ok(external)]);
        let error = run(&ecs, None, &with_appspec())
            .await
            .expect_err("external");
        assert!(
            error.to_string().contains("deployment controller EXTERNAL"),
            "{error}"
        );
        assert!(
            ecs.registered
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .is_empty()
        );
    }
}
