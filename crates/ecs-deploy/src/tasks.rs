//! One-off tasks run from the new revision before the service update (the anchor's `run-task`,
//! and database migrations): what to run, and whether a stopped task succeeded, from what
//! DescribeTasks reports.

use serde::Deserialize;

/// What RunTask starts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OneOffTask {
    /// The cluster.
    pub cluster: String,
    /// The task definition ARN (the new revision).
    pub task_definition: String,
    /// Container overrides: `run-task-container-overrides`, and the pre-deploy command.
    pub overrides: Vec<ContainerOverride>,
    /// The container whose exit code decides; without one, every container must exit with 0.
    pub judged_by: Option<String>,
    /// `FARGATE`, `EC2` or `EXTERNAL`; not sent with a capacity provider strategy.
    pub launch_type: String,
    /// `run-task-capacity-provider-strategy`.
    pub capacity_provider_strategy: Vec<CapacityProviderItem>,
    /// awsvpc subnets.
    pub subnets: Vec<String>,
    /// awsvpc security groups.
    pub security_groups: Vec<String>,
    /// Give the task a public IP.
    pub assign_public_ip: bool,
    /// `startedBy`.
    pub started_by: String,
    /// `enableECSManagedTags`.
    pub enable_ecs_managed_tags: Option<bool>,
    /// Tags of the task.
    pub tags: Vec<Tag>,
}

/// One entry of `run-task-container-overrides`, in RunTask's JSON shape.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ContainerOverride {
    /// The container.
    pub name: String,
    /// Its command.
    pub command: Option<Vec<String>>,
    /// Environment variables added or replaced.
    pub environment: Option<Vec<KeyValue>>,
    /// CPU units.
    pub cpu: Option<i32>,
    /// Hard memory limit (MiB).
    pub memory: Option<i32>,
    /// Soft memory limit (MiB).
    pub memory_reservation: Option<i32>,
}

/// A `{name, value}` pair.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyValue {
    /// The name.
    pub name: String,
    /// The value.
    pub value: String,
}

/// A `{key, value}` tag.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tag {
    /// The key.
    pub key: String,
    /// The value.
    pub value: String,
}

/// One entry of `run-task-capacity-provider-strategy`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CapacityProviderItem {
    /// E.g. `FARGATE_SPOT`.
    pub capacity_provider: String,
    /// Relative weight.
    pub weight: Option<i32>,
    /// Tasks placed on this provider first.
    pub base: Option<i32>,
}

/// Parses a JSON array input (`run-task-container-overrides`, …) into its entries; the error
/// names the input and what serde found wrong.
pub fn parse_json_list<T: serde::de::DeserializeOwned>(
    input: &str,
    text: Option<&str>,
) -> anyhow::Result<Vec<T>> {
    match text {
        None => Ok(Vec::new()),
        Some(text) => serde_json::from_str(text)
            .map_err(|e| anyhow::anyhow!("input '{input}': expected a JSON array: {e}")),
    }
}

/// A container of a task, as DescribeTasks reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContainerState {
    /// Its name.
    pub name: String,
    /// Its exit code, once it stopped.
    pub exit_code: Option<i32>,
    /// Why it stopped, when ECS says.
    pub reason: Option<String>,
}

/// A task, as DescribeTasks reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskState {
    /// `PROVISIONING` … `RUNNING` … `STOPPED`.
    pub last_status: String,
    /// Why the task stopped.
    pub stopped_reason: Option<String>,
    /// Its containers.
    pub containers: Vec<ContainerState>,
}

/// How a one-off task ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TaskResult {
    /// Not stopped yet.
    Running,
    /// The container exited with 0.
    Succeeded,
    /// It did not.
    Failed {
        /// The container's exit code, if it ran.
        exit_code: Option<i32>,
        /// What happened, with ECS's reasons.
        message: String,
    },
}

/// Decides how the task ended: by the `judged_by` container (the one that ran the command), or
/// without one, as the anchor does, by every container.
pub fn task_result(task: &TaskState, judged_by: Option<&str>) -> TaskResult {
    if task.last_status != "STOPPED" {
        return TaskResult::Running;
    }
    let judged: Vec<&ContainerState> = match judged_by {
        Some(name) => task.containers.iter().filter(|c| c.name == name).collect(),
        None => task.containers.iter().collect(),
    };
    let failed = judged.iter().find(|c| c.exit_code != Some(0)).copied();
    let who = match (failed, judged_by) {
        (Some(c), _) => format!("container {}", c.name),
        (None, _) if !judged.is_empty() => return TaskResult::Succeeded,
        (None, Some(name)) => format!("container {name}"),
        (None, None) => "its containers".to_owned(),
    };
    let reasons = reasons(task, failed);
    match failed.and_then(|c| c.exit_code) {
        Some(code) => TaskResult::Failed {
            exit_code: Some(code),
            message: format!("{who} exited with code {code}{reasons}"),
        },
        None => TaskResult::Failed {
            exit_code: None,
            message: format!("the task stopped before {who} finished{reasons}"),
        },
    }
}

/// ECS's reasons for a stop, ` (task: …; container: …)`, or nothing.
fn reasons(task: &TaskState, container: Option<&ContainerState>) -> String {
    let mut parts = Vec::new();
    if let Some(reason) = &task.stopped_reason {
        parts.push(format!("task: {reason}"));
    }
    if let Some(reason) = container.and_then(|c| c.reason.as_ref()) {
        parts.push(format!("container: {reason}"));
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!(" ({})", parts.join("; "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn task(
        status: &str,
        exit: Option<i32>,
        stopped: Option<&str>,
        reason: Option<&str>,
    ) -> TaskState {
        TaskState {
            last_status: status.into(),
            stopped_reason: stopped.map(Into::into),
            containers: vec![
                ContainerState {
                    name: "envoy".into(),
                    exit_code: Some(137),
                    reason: None,
                },
                ContainerState {
                    name: "api".into(),
                    exit_code: exit,
                    reason: reason.map(Into::into),
                },
            ],
        }
    }

    #[test]
    fn judged_by_the_command_container() {
        assert_eq!(
            task_result(&task("RUNNING", None, None, None), Some("api")),
            TaskResult::Running
        );
        assert_eq!(
            task_result(
                &task(
                    "STOPPED",
                    Some(0),
                    Some("Essential container in task exited"),
                    None
                ),
                Some("api")
            ),
            TaskResult::Succeeded
        );
        assert_eq!(
            task_result(
                &task(
                    "STOPPED",
                    Some(1),
                    Some("Essential container in task exited"),
                    None
                ),
                Some("api")
            ),
            TaskResult::Failed {
                exit_code: Some(1),
                message:
                    "container api exited with code 1 (task: Essential container in task exited)"
                        .into()
            }
        );
        assert_eq!(
            task_result(&task("STOPPED", None, Some("CannotPullContainerError"), Some("pull access denied")), Some("api")),
            TaskResult::Failed {
                exit_code: None,
                message: "the task stopped before container api finished (task: CannotPullContainerError; container: pull access denied)".into()
            }
        );
    }

    #[test]
    fn without_a_named_container_every_container_must_exit_with_zero() {
        let stopped = task("STOPPED", Some(0), None, None);
        assert_eq!(
            task_result(&stopped, None),
            TaskResult::Failed {
                exit_code: Some(137),
                message: "container envoy exited with code 137".into()
            }
        );
        let mut clean = stopped.clone();
        clean.containers[0].exit_code = Some(0);
        assert_eq!(task_result(&clean, None), TaskResult::Succeeded);
        assert!(matches!(
            task_result(&clean, Some("worker")),
            TaskResult::Failed { exit_code: None, ref message } if message == "the task stopped before container worker finished"
        ));
    }

    #[test]
    fn json_list_inputs_name_the_input_and_the_unknown_field() {
        let overrides: Vec<ContainerOverride> = parse_json_list(
            "run-task-container-overrides",
            Some(r#"[{"name": "api", "command": ["migrate"], "environment": [{"name": "A", "value": "1"}]}]"#),
        )
        .expect("valid");
        assert_eq!(
            overrides[0].command.as_deref(),
            Some(&["migrate".to_owned()][..])
        );
        let error = parse_json_list::<ContainerOverride>(
            "run-task-container-overrides",
            Some(r#"[{"name": "api", "comand": []}]"#),
        )
        .expect_err("typo");
        assert!(
            error.to_string().starts_with("input 'run-task-container-overrides': expected a JSON array: unknown field `comand`"),
            "{error}"
        );
    }
}
