//! How a rollout stands, decided from what ECS reports (DescribeServices), not from counts
//! alone: the deployment running our task definition, its `rolloutState` (IN_PROGRESS →
//! COMPLETED or FAILED), and whether ECS's circuit breaker already rolled it back.

use std::collections::HashSet;

/// A deployment's rollout state, as ECS reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RolloutState {
    /// Tasks are being replaced.
    InProgress,
    /// Steady state reached.
    Completed,
    /// The circuit breaker (or an alarm) stopped it.
    Failed,
}

impl RolloutState {
    /// From ECS's value.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "IN_PROGRESS" => Some(RolloutState::InProgress),
            "COMPLETED" => Some(RolloutState::Completed),
            "FAILED" => Some(RolloutState::Failed),
            _ => None,
        }
    }
}

/// One of the service's deployments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deployment {
    /// `ecs-svc/…`.
    pub id: String,
    /// `PRIMARY`, `ACTIVE` or `INACTIVE`.
    pub status: String,
    /// Its task definition ARN.
    pub task_definition: String,
    /// Its rollout state (absent without the deployment circuit breaker on older services).
    pub rollout_state: Option<RolloutState>,
    /// Why, when ECS says.
    pub rollout_state_reason: Option<String>,
    /// Desired tasks.
    pub desired: i32,
    /// Running tasks.
    pub running: i32,
    /// Pending tasks.
    pub pending: i32,
    /// Tasks that failed to start.
    pub failed_tasks: i32,
}

/// A service event (ECS returns the newest first).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceEvent {
    /// Its id.
    pub id: String,
    /// Its message.
    pub message: String,
}

/// What DescribeServices says about one service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceState {
    /// `ACTIVE`, `DRAINING` or `INACTIVE`.
    pub status: String,
    /// The task definition the service is set to.
    pub task_definition: String,
    /// The deployments.
    pub deployments: Vec<Deployment>,
    /// Recent events, newest first.
    pub events: Vec<ServiceEvent>,
    /// Whether the deployment circuit breaker rolls back by itself.
    pub circuit_breaker_rollback: bool,
    /// ARNs of the target groups the service is attached to.
    pub target_groups: Vec<String>,
    /// `ECS`, `CODE_DEPLOY` or `EXTERNAL`.
    pub deployment_controller: String,
}

/// How the rollout of a task definition stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Assessment {
    /// Still going: the counts of the deployment.
    InProgress {
        /// Running tasks of the new deployment.
        running: i32,
        /// Desired tasks.
        desired: i32,
        /// Pending tasks.
        pending: i32,
    },
    /// Steady state on the new task definition.
    Completed,
    /// It failed and nothing has been rolled back yet.
    Failed {
        /// Why.
        reason: String,
    },
    /// ECS's circuit breaker already moved the service back.
    RolledBackByEcs {
        /// The task definition the service runs now.
        to: String,
        /// Why the rollout failed.
        reason: String,
    },
}

/// Assesses the rollout of `target` (a task definition ARN) from one DescribeServices answer.
pub fn assess(target: &str, state: &ServiceState) -> Assessment {
    if state.status != "ACTIVE" {
        return Assessment::Failed {
            reason: format!("the service is {}", state.status),
        };
    }
    let primary = state.deployments.iter().find(|d| d.status == "PRIMARY");
    let ours = state
        .deployments
        .iter()
        .find(|d| d.task_definition == target);
    let reason_of = |d: Option<&Deployment>| {
        d.and_then(|d| d.rollout_state_reason.clone())
            .unwrap_or_else(|| "ECS gave no reason".to_owned())
    };
    match (ours, primary) {
        (None, Some(primary)) => {
            if state.circuit_breaker_rollback {
                Assessment::RolledBackByEcs {
                    to: primary.task_definition.clone(),
                    reason: "the deployment is gone: the circuit breaker rolled it back".into(),
                }
            } else {
                Assessment::Failed {
                    reason: format!(
                        "no deployment runs {target}; the service runs {}",
                        primary.task_definition
                    ),
                }
            }
        }
        (None, None) => Assessment::Failed {
            reason: "the service has no deployment".into(),
        },
        (Some(ours), primary) if ours.status != "PRIMARY" => match (ours.rollout_state, primary) {
            (Some(RolloutState::Failed), Some(primary)) => Assessment::RolledBackByEcs {
                to: primary.task_definition.clone(),
                reason: reason_of(Some(ours)),
            },
            _ => Assessment::Failed {
                reason: format!("the deployment of {target} is {}, not PRIMARY", ours.status),
            },
        },
        (Some(ours), _) => match ours.rollout_state {
            Some(RolloutState::Completed) => Assessment::Completed,
            Some(RolloutState::Failed) => Assessment::Failed {
                reason: reason_of(Some(ours)),
            },
            Some(RolloutState::InProgress) => in_progress(ours),
            None if state.deployments.len() == 1
                && ours.running == ours.desired
                && ours.pending == 0 =>
            {
                Assessment::Completed
            }
            None => in_progress(ours),
        },
    }
}

fn in_progress(deployment: &Deployment) -> Assessment {
    Assessment::InProgress {
        running: deployment.running,
        desired: deployment.desired,
        pending: deployment.pending,
    }
}

/// The events not seen before, oldest first; `seen` is updated.
pub fn new_events<'a>(
    state: &'a ServiceState,
    seen: &mut HashSet<String>,
) -> Vec<&'a ServiceEvent> {
    let mut fresh: Vec<&ServiceEvent> = state
        .events
        .iter()
        .filter(|e| seen.insert(e.id.clone()))
        .collect();
    fresh.reverse();
    fresh
}

/// What to do after a rollout ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AfterRollout {
    /// Nothing: it worked.
    Done,
    /// Update the service back to this task definition.
    RollBackTo(String),
    /// ECS already runs this one again: say so, do not roll back twice.
    AlreadyRolledBack(String),
    /// Fail without rolling back (turned off, or nothing to go back to).
    FailInPlace(String),
}

/// Decides the rollback after a rollout (and, when it completed, the smoke checks).
pub fn after_rollout(
    assessment: &Assessment,
    smoke_failure: Option<&str>,
    previous: Option<&str>,
    rollback_enabled: bool,
) -> AfterRollout {
    let failure = match (assessment, smoke_failure) {
        (Assessment::RolledBackByEcs { to, .. }, _) => {
            return AfterRollout::AlreadyRolledBack(to.clone());
        }
        (Assessment::Completed, None) => return AfterRollout::Done,
        (Assessment::Completed, Some(smoke)) => format!("smoke checks failed: {smoke}"),
        (Assessment::Failed { reason }, _) => reason.clone(),
        (Assessment::InProgress { .. }, _) => "the rollout did not finish in time".to_owned(),
    };
    match previous {
        Some(previous) if rollback_enabled => AfterRollout::RollBackTo(previous.to_owned()),
        Some(_) => AfterRollout::FailInPlace(format!("{failure} (automatic rollback is off)")),
        None => AfterRollout::FailInPlace(format!(
            "{failure} (no previous task definition to roll back to)"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NEW: &str = "arn:aws:ecs:eu-west-1:123456789012:task-definition/api:8";
    const OLD: &str = "arn:aws:ecs:eu-west-1:123456789012:task-definition/api:7";

    fn deployment(status: &str, td: &str, state: Option<RolloutState>, running: i32) -> Deployment {
        Deployment {
            id: format!("ecs-svc/{status}-{td}"),
            status: status.into(),
            task_definition: td.into(),
            rollout_state: state,
            rollout_state_reason: state
                .filter(|s| *s == RolloutState::Failed)
                .map(|_| "ECS deployment circuit breaker: tasks failed to start.".into()),
            desired: 2,
            running,
            pending: 2 - running,
            failed_tasks: 0,
        }
    }

    fn service(deployments: Vec<Deployment>, rollback: bool) -> ServiceState {
        ServiceState {
            status: "ACTIVE".into(),
            task_definition: NEW.into(),
            deployments,
            events: Vec::new(),
            circuit_breaker_rollback: rollback,
            target_groups: Vec::new(),
            deployment_controller: "ECS".into(),
        }
    }

    #[test]
    fn follows_the_rollout_state() {
        let going = service(
            vec![
                deployment("PRIMARY", NEW, Some(RolloutState::InProgress), 1),
                deployment("ACTIVE", OLD, Some(RolloutState::Completed), 2),
            ],
            true,
        );
        assert_eq!(
            assess(NEW, &going),
            Assessment::InProgress {
                running: 1,
                desired: 2,
                pending: 1
            }
        );
        let done = service(
            vec![deployment("PRIMARY", NEW, Some(RolloutState::Completed), 2)],
            true,
        );
        assert_eq!(assess(NEW, &done), Assessment::Completed);
    }

    #[test]
    fn a_failed_rollout_is_seen_at_once() {
        let failed = service(
            vec![
                deployment("PRIMARY", NEW, Some(RolloutState::Failed), 0),
                deployment("ACTIVE", OLD, Some(RolloutState::Completed), 2),
            ],
            false,
        );
        assert_eq!(
            assess(NEW, &failed),
            Assessment::Failed {
                reason: "ECS deployment circuit breaker: tasks failed to start.".into()
            }
        );
    }

    #[test]
    fn a_circuit_breaker_rollback_is_not_reported_as_success() {
        // ECS made a new PRIMARY deployment back to the old revision; ours is ACTIVE and FAILED.
        let rolling_back = service(
            vec![
                deployment("PRIMARY", OLD, Some(RolloutState::InProgress), 1),
                deployment("ACTIVE", NEW, Some(RolloutState::Failed), 0),
            ],
            true,
        );
        assert!(
            matches!(assess(NEW, &rolling_back), Assessment::RolledBackByEcs { to, .. } if to == OLD)
        );
        // Later ours is gone altogether.
        let back = service(
            vec![deployment("PRIMARY", OLD, Some(RolloutState::Completed), 2)],
            true,
        );
        assert!(matches!(assess(NEW, &back), Assessment::RolledBackByEcs { to, .. } if to == OLD));
        let replaced = service(
            vec![deployment("PRIMARY", OLD, Some(RolloutState::Completed), 2)],
            false,
        );
        assert!(matches!(assess(NEW, &replaced), Assessment::Failed { .. }));
    }

    #[test]
    fn without_rollout_states_counts_decide() {
        let steady = service(vec![deployment("PRIMARY", NEW, None, 2)], false);
        assert_eq!(assess(NEW, &steady), Assessment::Completed);
        let two = service(
            vec![
                deployment("PRIMARY", NEW, None, 2),
                deployment("ACTIVE", OLD, None, 1),
            ],
            false,
        );
        assert!(matches!(assess(NEW, &two), Assessment::InProgress { .. }));
        let mut draining = steady.clone();
        draining.status = "DRAINING".into();
        assert_eq!(
            assess(NEW, &draining),
            Assessment::Failed {
                reason: "the service is DRAINING".into()
            }
        );
    }

    #[test]
    fn rollback_decisions() {
        let failed = Assessment::Failed {
            reason: "tasks failed".into(),
        };
        assert_eq!(
            after_rollout(&Assessment::Completed, None, Some(OLD), true),
            AfterRollout::Done
        );
        assert_eq!(
            after_rollout(&failed, None, Some(OLD), true),
            AfterRollout::RollBackTo(OLD.into())
        );
        assert_eq!(
            after_rollout(
                &Assessment::Completed,
                Some("GET /healthz: 500"),
                Some(OLD),
                true
            ),
            AfterRollout::RollBackTo(OLD.into())
        );
        let ecs = Assessment::RolledBackByEcs {
            to: OLD.into(),
            reason: "x".into(),
        };
        assert_eq!(
            after_rollout(&ecs, None, Some(OLD), true),
            AfterRollout::AlreadyRolledBack(OLD.into())
        );
        assert!(
            matches!(after_rollout(&failed, None, Some(OLD), false), AfterRollout::FailInPlace(m) if m.ends_with("(automatic rollback is off)"))
        );
        assert!(
            matches!(after_rollout(&failed, None, None, true), AfterRollout::FailInPlace(m) if m.contains("no previous task definition"))
        );
        let late = Assessment::InProgress {
            running: 0,
            desired: 2,
            pending: 2,
        };
        assert_eq!(
            after_rollout(&late, None, Some(OLD), true),
            AfterRollout::RollBackTo(OLD.into())
        );
    }

    #[test]
    fn events_are_printed_once_oldest_first() {
        let mut state = service(Vec::new(), true);
        state.events = vec![
            ServiceEvent {
                id: "3".into(),
                message: "c".into(),
            },
            ServiceEvent {
                id: "2".into(),
                message: "b".into(),
            },
        ];
        let mut seen = HashSet::from(["1".to_owned()]);
        let first: Vec<&str> = new_events(&state, &mut seen)
            .iter()
            .map(|e| e.message.as_str())
            .collect();
        assert_eq!(first, ["b", "c"]);
        assert!(new_events(&state, &mut seen).is_empty());
    }
}
