//! Several services in one step (`services`): the services and task definitions the input
//! names, deployed concurrently, each with its own rollback; with `all-or-nothing`, one failure
//! also rolls back the services that succeeded.

use std::future::Future;
use std::time::Duration;

use anyhow::bail;
use futures_util::future::join_all;

use crate::deploy::{Outcome, Plan, deploy, roll_back};
use crate::rollout::AfterRollout;
use crate::services::Services;
use crate::smoke_http::SmokeRunner;
use crate::wait::Progress;

/// One line of `services`: `[cluster/]service=task-definition`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The cluster, when the line names one (else the `cluster` input).
    pub cluster: Option<String>,
    /// The service.
    pub service: String,
    /// A task definition file in the workspace, or a registered ARN.
    pub task_definition: String,
}

/// Parses `services`, one `[cluster/]service=task-definition` a line; a service named twice is
/// an error.
pub fn parse_entries(lines: &[String]) -> anyhow::Result<Vec<Entry>> {
    let mut entries: Vec<Entry> = Vec::new();
    for (number, line) in lines.iter().enumerate() {
        let expected = || {
            anyhow::anyhow!(
                "input 'services': line {}: expected '[cluster/]service=task-definition', got '{line}'",
                number + 1
            )
        };
        let (target, definition) = line.split_once('=').ok_or_else(expected)?;
        let (cluster, service) = match target.trim().split_once('/') {
            Some((cluster, service)) => (Some(cluster.trim().to_owned()), service.trim()),
            None => (None, target.trim()),
        };
        let definition = definition.trim();
        if service.is_empty()
            || definition.is_empty()
            || cluster.as_deref().is_some_and(str::is_empty)
        {
            return Err(expected());
        }
        if entries
            .iter()
            .any(|e| e.service == service && e.cluster == cluster)
        {
            bail!(
                "input 'services': line {}: service '{service}' is named twice",
                number + 1
            );
        }
        entries.push(Entry {
            cluster,
            service: service.to_owned(),
            task_definition: definition.to_owned(),
        });
    }
    Ok(entries)
}

/// How one service's deploy ended.
#[derive(Debug)]
pub struct ServiceResult {
    /// Its plan.
    pub plan: Plan,
    /// Its outcome, or the error that stopped it.
    pub outcome: anyhow::Result<Outcome>,
    /// Rolled back because another service failed (`all-or-nothing`).
    pub undone: bool,
}

impl ServiceResult {
    /// Whether the service ended on its new revision.
    pub fn succeeded(&self) -> bool {
        !self.undone
            && self
                .outcome
                .as_ref()
                .is_ok_and(|o| o.after == AfterRollout::Done)
    }
}

/// Deploys every plan concurrently; `progress` hears each plan's progress with its service's
/// name. With `all_or_nothing`, when one fails, the others that succeeded go back to their
/// previous revisions.
pub async fn deploy_all<S, K, Sleep, F>(
    services: &S,
    smoke: &K,
    plans: Vec<Plan>,
    all_or_nothing: bool,
    sleep: Sleep,
    progress: &(impl Fn(&str, Progress) + Sync),
) -> Vec<ServiceResult>
where
    S: Services + Sync,
    K: SmokeRunner + Sync,
    Sleep: FnMut(Duration) -> F + Clone,
    F: Future<Output = ()>,
{
    let runs = plans.iter().map(|plan| {
        let name = plan.service.clone().unwrap_or_default();
        let sleep = sleep.clone();
        async move { deploy(services, smoke, plan, sleep, |p| progress(&name, p)).await }
    });
    let outcomes = join_all(runs).await;
    let mut results: Vec<ServiceResult> = plans
        .into_iter()
        .zip(outcomes)
        .map(|(plan, outcome)| ServiceResult {
            plan,
            outcome,
            undone: false,
        })
        .collect();
    if !all_or_nothing || results.iter().all(ServiceResult::succeeded) {
        return results;
    }
    let undo = results.iter_mut().filter(|r| r.succeeded()).map(|result| {
        let mut sleep = sleep.clone();
        async move {
            let name = result.plan.service.clone().unwrap_or_default();
            let Ok(outcome) = &mut result.outcome else {
                return;
            };
            let Some(previous) = outcome.previous.clone() else {
                return;
            };
            let mut report = |p| progress(&name, p);
            report(Progress::Step(
                "another service failed and all-or-nothing is on".to_owned(),
            ));
            match roll_back(services, &result.plan, &previous, &mut sleep, &mut report).await {
                Ok(assessment) => {
                    outcome.after = AfterRollout::RollBackTo(previous);
                    outcome.rollback = assessment;
                    result.undone = true;
                }
                Err(error) => {
                    result.outcome = Err(error.context("the all-or-nothing rollback failed"))
                }
            }
        }
    });
    join_all(undo).await;
    results
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rollout::RolloutState::{Completed, Failed};
    use crate::scripted::{self, NEW, OLD, ScriptedEcs, service};

    #[test]
    fn parses_service_lines() {
        let lines = [
            "prod/api=backend/td.json",
            "web = arn:aws:ecs:eu-west-1:1:task-definition/web:3",
        ]
        .map(str::to_owned);
        assert_eq!(
            parse_entries(&lines).expect("valid"),
            [
                Entry {
                    cluster: Some("prod".into()),
                    service: "api".into(),
                    task_definition: "backend/td.json".into()
                },
                Entry {
                    cluster: None,
                    service: "web".into(),
                    task_definition: "arn:aws:ecs:eu-west-1:1:task-definition/web:3".into()
                }
            ]
        );
    }

    #[test]
    fn malformed_lines_are_named() {
        for (line, expected) in [
            (
                "api",
                "line 1: expected '[cluster/]service=task-definition', got 'api'",
            ),
            ("api=", "line 1: expected"),
            ("/api=td.json", "line 1: expected"),
        ] {
            let error = parse_entries(&[line.to_owned()]).expect_err(line);
            assert!(error.to_string().contains(expected), "{line}: {error}");
        }
        let twice = ["api=a.json", "api=b.json"].map(str::to_owned);
        assert_eq!(
            parse_entries(&twice).expect_err("twice").to_string(),
            "input 'services': line 2: service 'api' is named twice"
        );
    }

    /// The unit tests' plan for service `name`, without smoke checks.
    fn plan(name: &str) -> Plan {
        Plan {
            checks: Vec::new(),
            ..scripted::plan(Some(name))
        }
    }

    struct NoSmoke;

    impl SmokeRunner for NoSmoke {
        async fn run(&self, _: &[crate::smoke::SmokeCheck], _: Duration) -> Option<String> {
            None
        }
    }

    #[tokio::test]
    async fn one_failure_rolls_back_only_itself_unless_all_or_nothing() {
        // The scripted deploys finish on their first poll, so they run one after the other:
        // api (completes), then web (fails, rolls itself back).
        let script = || {
            ScriptedEcs::new(vec![
                Ok(service(OLD, OLD, Some(Completed), 2)),
                Ok(service(NEW, NEW, Some(Completed), 2)),
                Ok(service(OLD, OLD, Some(Completed), 2)),
                Ok(service(NEW, NEW, Some(Failed), 0)),
                Ok(service(OLD, OLD, Some(Completed), 2)),
                // all-or-nothing: api's way back.
                Ok(service(OLD, OLD, Some(Completed), 2)),
            ])
        };
        let ecs = script();
        let plans = vec![plan("api"), plan("web")];
        let results = deploy_all(
            &ecs,
            &NoSmoke,
            plans.clone(),
            false,
            |_| async {},
            &|_, _| {},
        )
        .await;
        assert!(results[0].succeeded());
        assert!(!results[1].succeeded());
        assert_eq!(ecs.updates(), [NEW, NEW, OLD]);

        let ecs = script();
        let heard = std::sync::Mutex::new(Vec::new());
        let results = deploy_all(&ecs, &NoSmoke, plans, true, |_| async {}, &|name, p| {
            if let Progress::Step(step) = p {
                heard
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .push(format!("{name}: {step}"));
            }
        })
        .await;
        assert!(results[0].undone && !results[0].succeeded());
        assert!(matches!(
            &results[0].outcome,
            Ok(o) if o.after == AfterRollout::RollBackTo(OLD.into()) && o.rollback == Some(crate::rollout::Assessment::Completed)
        ));
        assert_eq!(ecs.updates(), [NEW, NEW, OLD, OLD]);
        let heard = heard
            .into_inner()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        assert!(
            heard.contains(&"api: another service failed and all-or-nothing is on".to_owned()),
            "{heard:?}"
        );
    }
}
