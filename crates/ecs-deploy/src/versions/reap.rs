//! Which draining versions are finished, decided without I/O: state `draining` in SSM and in
//! the service's tag, never the newest, never one that traffic still reaches by weight, past
//! `min-drain-age`; then finished when every running task's latest `ShutdownReady` is 1, when
//! no task runs, or when `max-drain-age` has passed.

use crate::versions::inventory::{DRAINING, Inventory, Version};

/// The drain ages, in seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    /// A version drains at least this long.
    pub min_age: i64,
    /// After this long it is reaped whatever its tasks say (the seed's backstop).
    pub max_age: i64,
}

/// What to do with one version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Leave it, for this reason.
    Keep(String),
    /// Reap it, for this reason.
    Reap(String),
    /// Its tasks decide: read them and their `ShutdownReady` datapoints.
    AskTasks,
}

/// The decision on `version` before looking at its tasks.
pub fn decide(inventory: &Inventory, version: &Version, now: i64, policy: Policy) -> Decision {
    if version.foreign_service {
        return Decision::Keep(
            "a service of that name exists without the managed-by tag: not ours to touch".into(),
        );
    }
    let ssm = version.state.as_ref().map(|s| s.value.as_str());
    if ssm != Some(DRAINING) {
        return Decision::Keep(format!("its SSM state is {}", ssm.unwrap_or("missing")));
    }
    if let Some(service) = &version.service {
        let tag = service.tag_state.as_deref();
        if tag != Some(DRAINING) {
            return Decision::Keep(format!(
                "its service's state tag is {}",
                tag.unwrap_or("missing")
            ));
        }
    }
    if inventory.newest().is_some_and(|n| n.id == version.id) {
        return Decision::Keep("it is the newest version".into());
    }
    if let Some(by) = inventory.forwarded_by(&version.id) {
        return Decision::Keep(format!("{by} still forwards to it"));
    }
    let since = version.state.as_ref().map_or(now, |s| s.since);
    let drained = now.saturating_sub(since);
    if drained < policy.min_age {
        return Decision::Keep(format!(
            "draining for {drained} s, less than min-drain-age ({} s)",
            policy.min_age
        ));
    }
    if version.service.is_none() {
        return Decision::Reap("its service is already gone: finishing the cleanup".into());
    }
    if drained >= policy.max_age {
        return Decision::Reap(format!(
            "draining for {drained} s, past max-drain-age ({} s)",
            policy.max_age
        ));
    }
    Decision::AskTasks
}

/// The decision from the running tasks and each one's latest `ShutdownReady` value.
pub fn decide_on_tasks(tasks: &[(String, Option<f64>)]) -> Decision {
    if tasks.is_empty() {
        return Decision::Reap("no task is running".into());
    }
    let waiting: Vec<String> = tasks
        .iter()
        .filter(|(_, latest)| *latest != Some(1.0))
        .map(|(task, latest)| match latest {
            Some(value) => format!("{task} (ShutdownReady {value})"),
            None => format!("{task} (no ShutdownReady datapoint)"),
        })
        .collect();
    if waiting.is_empty() {
        Decision::Reap(format!(
            "all {} running tasks published ShutdownReady 1",
            tasks.len()
        ))
    } else {
        Decision::Keep(format!("tasks not ready: {}", waiting.join(", ")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::versions::inventory::tests::{inventory, version};
    use crate::versions::inventory::{ACTIVE, StateParam};

    const POLICY: Policy = Policy {
        min_age: 60,
        max_age: 3600,
    };

    fn three() -> Inventory {
        inventory(
            vec![
                version("a", 1, DRAINING, 1000),
                version("b", 2, DRAINING, 1000),
                version("c", 3, ACTIVE, 1000),
            ],
            "c",
        )
    }

    fn decide_on(inv: &Inventory, id: &str, now: i64) -> Decision {
        decide(inv, &inv.versions[id], now, POLICY)
    }

    #[test]
    fn min_age_newest_and_weights_keep_a_version() {
        let inv = three();
        assert!(
            matches!(decide_on(&inv, "a", 1030), Decision::Keep(w) if w.contains("min-drain-age"))
        );
        assert_eq!(decide_on(&inv, "a", 1060), Decision::AskTasks);
        assert!(
            matches!(decide_on(&inv, "c", 9999), Decision::Keep(w) if w == "its SSM state is active")
        );
        assert!(
            matches!(decide_on(&inv, "a", 1000 + 3600), Decision::Reap(w) if w.contains("max-drain-age"))
        );
        // The default action weighs a draining version: kept.
        let mut weighted = three();
        weighted.listener.default = Some(crate::versions::routing::Action::Forward(vec![
            ("tg/c".into(), 90),
            ("tg/b".into(), 10),
        ]));
        assert!(
            matches!(decide_on(&weighted, "b", 9999), Decision::Keep(w) if w == "the default action still forwards to it")
        );
        // The newest is never reaped, even draining.
        let mut newest_draining = three();
        if let Some(v) = newest_draining.versions.get_mut("c") {
            v.state = Some(StateParam {
                value: DRAINING.into(),
                since: 0,
            });
            if let Some(s) = v.service.as_mut() {
                s.tag_state = Some(DRAINING.into());
            }
        }
        newest_draining.listener.default = None;
        assert!(
            matches!(decide_on(&newest_draining, "c", 9999), Decision::Keep(w) if w == "it is the newest version")
        );
    }

    #[test]
    fn both_states_must_say_draining_and_foreign_services_are_left() {
        let mut inv = three();
        if let Some(s) = inv.versions.get_mut("a").and_then(|v| v.service.as_mut()) {
            s.tag_state = Some(ACTIVE.into());
        }
        assert!(
            matches!(decide_on(&inv, "a", 9999), Decision::Keep(w) if w.contains("state tag is active"))
        );
        let mut inv = three();
        if let Some(v) = inv.versions.get_mut("b") {
            v.service = None;
            v.foreign_service = true;
        }
        assert!(
            matches!(decide_on(&inv, "b", 9999), Decision::Keep(w) if w.contains("managed-by"))
        );
        let mut inv = three();
        if let Some(v) = inv.versions.get_mut("b") {
            v.service = None;
        }
        assert!(
            matches!(decide_on(&inv, "b", 1100), Decision::Reap(w) if w.contains("already gone"))
        );
    }

    #[test]
    fn tasks_decide() {
        assert!(matches!(decide_on_tasks(&[]), Decision::Reap(_)));
        assert!(matches!(
            decide_on_tasks(&[("t1".into(), Some(1.0)), ("t2".into(), Some(1.0))]),
            Decision::Reap(w) if w == "all 2 running tasks published ShutdownReady 1"
        ));
        assert_eq!(
            decide_on_tasks(&[
                ("t1".into(), Some(1.0)),
                ("t2".into(), Some(0.0)),
                ("t3".into(), None)
            ]),
            Decision::Keep(
                "tasks not ready: t2 (ShutdownReady 0), t3 (no ShutdownReady datapoint)".into()
            )
        );
    }
}
