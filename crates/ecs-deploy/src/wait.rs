//! Waiting on a rollout: poll DescribeServices with backoff, report new service events and
//! counts, and stop as soon as ECS says COMPLETED, FAILED or rolled back, or at the timeout.

use std::collections::HashSet;
use std::future::Future;
use std::time::Duration;

use crate::backoff::Backoff;
use crate::rollout::{Assessment, ServiceEvent, assess, new_events};
use crate::services::Services;

/// Consecutive failed DescribeServices calls (after the SDK's own retries) tolerated.
const TOLERATED_ERRORS: u32 = 3;

/// What the waiter tells while it waits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Progress {
    /// A service event not shown before.
    Event(ServiceEvent),
    /// The rollout's counts at a poll.
    Counts {
        /// Running tasks.
        running: i32,
        /// Desired tasks.
        desired: i32,
        /// Pending tasks.
        pending: i32,
    },
    /// A poll failed; the waiter tries again.
    PollFailed(String),
    /// A step of the deploy was done (registered, updated, rolling back).
    Step(String),
}

/// Where the waiter looks and how long it waits.
#[derive(Debug, Clone)]
pub struct Watch<'a> {
    /// Cluster.
    pub cluster: &'a str,
    /// Service.
    pub service: &'a str,
    /// The task definition being rolled out.
    pub target: &'a str,
    /// Delays between polls.
    pub backoff: Backoff,
    /// When to give up (an `InProgress` assessment is then returned).
    pub timeout: Duration,
}

/// Waits until the rollout of `watch.target` ends or the timeout passes.
pub async fn wait_for_rollout<S, Sleep, F>(
    services: &S,
    watch: &Watch<'_>,
    mut sleep: Sleep,
    mut progress: impl FnMut(Progress),
) -> anyhow::Result<Assessment>
where
    S: Services,
    Sleep: FnMut(Duration) -> F,
    F: Future<Output = ()>,
{
    let mut seen: HashSet<String> = HashSet::new();
    let mut delays = watch.backoff.delays_within(watch.timeout);
    let mut errors = 0;
    let mut last = Assessment::InProgress {
        running: 0,
        desired: 0,
        pending: 0,
    };
    loop {
        match services.describe(watch.cluster, watch.service).await {
            Ok(state) => {
                errors = 0;
                for event in new_events(&state, &mut seen) {
                    progress(Progress::Event(event.clone()));
                }
                last = assess(watch.target, &state);
                match &last {
                    Assessment::InProgress {
                        running,
                        desired,
                        pending,
                    } => progress(Progress::Counts {
                        running: *running,
                        desired: *desired,
                        pending: *pending,
                    }),
                    _ => return Ok(last),
                }
            }
            Err(error) => {
                errors += 1;
                if errors > TOLERATED_ERRORS {
                    return Err(error.context(format!("gave up after {errors} failed polls")));
                }
                progress(Progress::PollFailed(format!("{error:#}")));
            }
        }
        let Some(delay) = delays.next() else {
            return Ok(last);
        };
        sleep(delay).await;
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Mutex, PoisonError};

    use super::*;
    use crate::rollout::{RolloutState, ServiceState};
    use crate::scripted::{NEW, ScriptedEcs, service};

    fn state(rollout: RolloutState, running: i32, events: &[(&str, &str)]) -> ServiceState {
        let mut state = service(NEW, NEW, Some(rollout), running);
        state.events = events
            .iter()
            .map(|(id, m)| ServiceEvent {
                id: (*id).into(),
                message: (*m).into(),
            })
            .collect();
        state
    }

    fn watch() -> Watch<'static> {
        Watch {
            cluster: "prod",
            service: "api",
            target: NEW,
            backoff: Backoff {
                first: Duration::from_secs(5),
                ceiling: Duration::from_secs(20),
            },
            timeout: Duration::from_secs(60),
        }
    }

    async fn run(
        answers: Vec<anyhow::Result<ServiceState>>,
    ) -> (anyhow::Result<Assessment>, Vec<Progress>, Vec<Duration>) {
        let services = ScriptedEcs::new(answers);
        let slept = Mutex::new(Vec::new());
        let mut seen = Vec::new();
        let result = wait_for_rollout(
            &services,
            &watch(),
            |d| {
                slept.lock().unwrap_or_else(PoisonError::into_inner).push(d);
                async {}
            },
            |p| seen.push(p),
        )
        .await;
        (result, seen, slept.into_inner().unwrap_or_default())
    }

    #[tokio::test]
    async fn a_failure_is_seen_on_the_next_poll() {
        let (result, progress, slept) = run(vec![
            Ok(state(
                RolloutState::InProgress,
                0,
                &[("e1", "started 2 tasks")],
            )),
            Ok(state(
                RolloutState::Failed,
                0,
                &[("e2", "task stopped: exit 1"), ("e1", "started 2 tasks")],
            )),
        ])
        .await;
        assert_eq!(
            result.expect("assessed"),
            Assessment::Failed {
                reason: "tasks failed to start".into()
            }
        );
        assert_eq!(
            slept,
            [Duration::from_secs(5)],
            "one wait between the two polls"
        );
        let events: Vec<String> = progress
            .iter()
            .filter_map(|p| match p {
                Progress::Event(e) => Some(e.message.clone()),
                _ => None,
            })
            .collect();
        assert_eq!(events, ["started 2 tasks", "task stopped: exit 1"]);
    }

    #[tokio::test]
    async fn completes_and_survives_transient_errors() {
        let (result, progress, _) = run(vec![
            Ok(state(RolloutState::InProgress, 1, &[])),
            Err(anyhow::anyhow!("Rate exceeded")),
            Ok(state(RolloutState::Completed, 2, &[])),
        ])
        .await;
        assert_eq!(result.expect("assessed"), Assessment::Completed);
        assert!(progress.contains(&Progress::PollFailed("Rate exceeded".into())));
        assert!(progress.contains(&Progress::Counts {
            running: 1,
            desired: 2,
            pending: 1
        }));
    }

    #[tokio::test]
    async fn times_out_in_progress_and_gives_up_on_repeated_errors() {
        let going: Vec<_> = (0..20)
            .map(|_| Ok(state(RolloutState::InProgress, 1, &[])))
            .collect();
        let (result, _, slept) = run(going).await;
        assert!(matches!(
            result.expect("assessed"),
            Assessment::InProgress { .. }
        ));
        assert_eq!(
            slept.iter().sum::<Duration>(),
            Duration::from_secs(55),
            "5 + 10 + 20 + 20 fits in 60 s"
        );
        let failing: Vec<_> = (0..5).map(|_| Err(anyhow::anyhow!("boom"))).collect();
        let (result, _, _) = run(failing).await;
        assert!(
            result
                .expect_err("gives up")
                .to_string()
                .starts_with("gave up after 4 failed polls")
        );
    }
}
