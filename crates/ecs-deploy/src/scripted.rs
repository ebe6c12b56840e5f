//! Scripted ECS answers for the unit tests: DescribeServices answers played in order, shaped as
//! the ECS API reference documents them, and every update and registration recorded.

use std::collections::{BTreeSet, VecDeque};
use std::sync::{Mutex, PoisonError};

use serde_json::Value;

use crate::codedeploy::{CodeDeployRequest, DeploymentStatus};
use crate::rollout::{Deployment, RolloutState, ServiceState};
use crate::services::{ServiceUpdate, Services};
use crate::tasks::{OneOffTask, TaskState};

pub(crate) const OLD: &str = "arn:aws:ecs:eu-west-1:123456789012:task-definition/api:7";
pub(crate) const NEW: &str = "arn:aws:ecs:eu-west-1:123456789012:task-definition/api:8";

/// The scripted ECS.
#[derive(Debug, Default)]
pub(crate) struct ScriptedEcs {
    pub(crate) answers: Mutex<VecDeque<anyhow::Result<ServiceState>>>,
    pub(crate) updates: Mutex<Vec<ServiceUpdate>>,
    pub(crate) registered: Mutex<Vec<Value>>,
    /// How many updates fail before one goes through (a dropped connection).
    pub(crate) failing_updates: Mutex<u32>,
    /// DescribeTasks answers, in order.
    pub(crate) tasks: Mutex<VecDeque<TaskState>>,
    /// One-off tasks started.
    pub(crate) started: Mutex<Vec<OneOffTask>>,
    /// Deregistration delays of target groups, by ARN; changes are recorded here.
    pub(crate) delays: Mutex<std::collections::BTreeMap<String, u32>>,
    /// ACTIVE revisions; deregistering removes them.
    pub(crate) revisions: Mutex<Vec<String>>,
    /// Task definitions the cluster's services use.
    pub(crate) in_use: BTreeSet<String>,
    /// CodeDeploy deployments created.
    pub(crate) code_deployments: Mutex<Vec<CodeDeployRequest>>,
    /// GetDeployment statuses, in order.
    pub(crate) code_statuses: Mutex<VecDeque<DeploymentStatus>>,
}

impl ScriptedEcs {
    pub(crate) fn new(answers: Vec<anyhow::Result<ServiceState>>) -> Self {
        Self {
            answers: Mutex::new(answers.into()),
            ..Self::default()
        }
    }

    pub(crate) fn updates(&self) -> Vec<String> {
        self.updates
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .map(|u| u.task_definition.clone())
            .collect()
    }
}

impl Services for ScriptedEcs {
    async fn describe(&self, _: &str, _: &str) -> anyhow::Result<ServiceState> {
        let mut answers = self.answers.lock().unwrap_or_else(PoisonError::into_inner);
        answers
            .pop_front()
            .unwrap_or_else(|| Err(anyhow::anyhow!("the script has no more answers")))
    }

    async fn update(&self, _: &str, _: &str, update: &ServiceUpdate) -> anyhow::Result<()> {
        self.updates
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(update.clone());
        let mut failing = self
            .failing_updates
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if *failing > 0 {
            *failing -= 1;
            anyhow::bail!("connection closed before an answer");
        }
        Ok(())
    }

    async fn run_task(&self, task: &OneOffTask) -> anyhow::Result<String> {
        self.started
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(task.clone());
        Ok("arn:aws:ecs:eu-west-1:123456789012:task/prod/migrate".to_owned())
    }

    async fn describe_task(&self, _: &str, _: &str) -> anyhow::Result<TaskState> {
        let mut tasks = self.tasks.lock().unwrap_or_else(PoisonError::into_inner);
        tasks
            .pop_front()
            .ok_or_else(|| anyhow::anyhow!("the script has no more task answers"))
    }

    async fn create_code_deployment(&self, request: &CodeDeployRequest) -> anyhow::Result<String> {
        let mut created = self
            .code_deployments
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        created.push(request.clone());
        Ok(format!("d-{}", created.len()))
    }

    async fn code_deployment(&self, _: &str) -> anyhow::Result<DeploymentStatus> {
        self.code_statuses
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop_front()
            .ok_or_else(|| anyhow::anyhow!("the script has no more CodeDeploy answers"))
    }

    async fn active_revisions(&self, _: &str) -> anyhow::Result<Vec<String>> {
        Ok(self
            .revisions
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone())
    }

    async fn task_definitions_in_use(&self, _: &str) -> anyhow::Result<BTreeSet<String>> {
        Ok(self.in_use.clone())
    }

    async fn deregister(&self, arn: &str) -> anyhow::Result<()> {
        self.revisions
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .retain(|r| r != arn);
        Ok(())
    }

    async fn deregistration_delay(&self, target_group: &str) -> anyhow::Result<Option<u32>> {
        Ok(self
            .delays
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(target_group)
            .copied())
    }

    async fn set_deregistration_delay(
        &self,
        target_group: &str,
        seconds: u32,
    ) -> anyhow::Result<()> {
        self.delays
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(target_group.to_owned(), seconds);
        Ok(())
    }

    async fn register(&self, document: &Value) -> anyhow::Result<String> {
        self.registered
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(document.clone());
        Ok(NEW.to_owned())
    }
}

/// A service set to `task_definition`, whose PRIMARY deployment runs `primary` in `state`.
pub(crate) fn service(
    task_definition: &str,
    primary: &str,
    state: Option<RolloutState>,
    running: i32,
) -> ServiceState {
    ServiceState {
        status: "ACTIVE".into(),
        task_definition: task_definition.into(),
        deployments: vec![Deployment {
            id: format!("ecs-svc/{primary}"),
            status: "PRIMARY".into(),
            task_definition: primary.into(),
            rollout_state: state,
            rollout_state_reason: (state == Some(RolloutState::Failed))
                .then(|| "tasks failed to start".into()),
            desired: 2,
            running,
            pending: 2 - running,
            failed_tasks: 0,
        }],
        events: Vec::new(),
        circuit_breaker_rollback: false,
        target_groups: Vec::new(),
        deployment_controller: "ECS".into(),
    }
}

/// The plan the unit tests deploy: service `service` in cluster `prod`, revision NEW from a
/// document, waited for, one smoke check, rollback on.
pub(crate) fn plan(service: Option<&str>) -> crate::deploy::Plan {
    crate::deploy::Plan {
        cluster: "prod".into(),
        service: service.map(str::to_owned),
        source: crate::deploy::Source::Document(
            serde_json::json!({"family": "api", "containerDefinitions": [{"name": "api", "image": "x"}]}),
        ),
        update: ServiceUpdate::default(),
        wait: Some((
            crate::backoff::Backoff::default(),
            std::time::Duration::from_secs(600),
        )),
        checks: crate::smoke::parse_checks(&["GET https://api.example.com/healthz 200".to_owned()])
            .unwrap_or_default(),
        smoke_deadline: std::time::Duration::from_secs(60),
        rollback: true,
        task: None,
        deregistration_delay: None,
        keep_revisions: None,
        codedeploy: None,
    }
}
