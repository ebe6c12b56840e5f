//! One-off tasks before the service update (database migrations): what to run, and whether a
//! stopped task succeeded, from what DescribeTasks reports.

/// What RunTask starts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OneOffTask {
    /// The cluster.
    pub cluster: String,
    /// The task definition ARN (the new revision).
    pub task_definition: String,
    /// The container whose command is replaced.
    pub container: String,
    /// The command, e.g. `alembic upgrade head`.
    pub command: Vec<String>,
    /// `FARGATE`, `EC2` or `EXTERNAL`.
    pub launch_type: String,
    /// awsvpc subnets.
    pub subnets: Vec<String>,
    /// awsvpc security groups.
    pub security_groups: Vec<String>,
    /// Give the task a public IP.
    pub assign_public_ip: bool,
    /// `startedBy`.
    pub started_by: String,
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

/// Decides how the task ended, judging by `container` (the one that ran the command).
pub fn task_result(task: &TaskState, container: &str) -> TaskResult {
    if task.last_status != "STOPPED" {
        return TaskResult::Running;
    }
    let reasons = |c: Option<&ContainerState>| {
        let mut parts = Vec::new();
        if let Some(reason) = &task.stopped_reason {
            parts.push(format!("task: {reason}"));
        }
        if let Some(reason) = c.and_then(|c| c.reason.as_ref()) {
            parts.push(format!("container: {reason}"));
        }
        if parts.is_empty() {
            String::new()
        } else {
            format!(" ({})", parts.join("; "))
        }
    };
    let found = task.containers.iter().find(|c| c.name == container);
    match found.and_then(|c| c.exit_code) {
        Some(0) => TaskResult::Succeeded,
        Some(code) => TaskResult::Failed {
            exit_code: Some(code),
            message: format!(
                "container {container} exited with code {code}{}",
                reasons(found)
            ),
        },
        None => TaskResult::Failed {
            exit_code: None,
            message: format!(
                "the task stopped before container {container} finished{}",
                reasons(found)
            ),
        },
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
            task_result(&task("RUNNING", None, None, None), "api"),
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
                "api"
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
                "api"
            ),
            TaskResult::Failed {
                exit_code: Some(1),
                message:
                    "container api exited with code 1 (task: Essential container in task exited)"
                        .into()
            }
        );
        assert_eq!(
            task_result(&task("STOPPED", None, Some("CannotPullContainerError"), Some("pull access denied")), "api"),
            TaskResult::Failed {
                exit_code: None,
                message: "the task stopped before container api finished (task: CannotPullContainerError; container: pull access denied)".into()
            }
        );
    }
}
