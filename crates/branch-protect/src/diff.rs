//! The field-by-field difference between the protection a branch has and the one the policy
//! declares.
//!
//! Both back ends flatten their state into [`Fields`] (a dotted field name → a display value)
//! after normalising it, so one comparison decides whether to write, and the same list is what
//! the job summary and the `report` output show.

use std::collections::{BTreeMap, BTreeSet};

use action_kit::Table;
use serde::Serialize;

/// A protection, flattened: field name → value as shown to people. A field that is not there is
/// unset.
pub type Fields = BTreeMap<String, String>;

/// One field whose value differs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    /// The dotted field name, e.g. `required_status_checks.strict`.
    pub field: String,
    /// What the branch has now (`None`: unset).
    pub current: Option<String>,
    /// What the policy wants (`None`: unset).
    pub desired: Option<String>,
}

/// Every field whose value differs between `current` and `desired`, in field-name order.
pub fn diff(current: &Fields, desired: &Fields) -> Vec<Change> {
    let mut names: Vec<&String> = current.keys().chain(desired.keys()).collect();
    names.sort();
    names.dedup();
    names
        .into_iter()
        .filter(|name| current.get(*name) != desired.get(*name))
        .map(|name| Change {
            field: name.clone(),
            current: current.get(name).cloned(),
            desired: desired.get(name).cloned(),
        })
        .collect()
}

/// The changes as a Markdown table (field, current, desired); unset shows as `—`.
pub fn table(changes: &[Change]) -> String {
    let mut table = Table::new(["Field", "Current", "Desired"]);
    let show = |value: &Option<String>| {
        value
            .as_deref()
            .map_or_else(|| "—".to_owned(), |v| format!("`{v}`"))
    };
    for change in changes {
        table.row([
            format!("`{}`", change.field),
            show(&change.current),
            show(&change.desired),
        ]);
    }
    table.to_markdown()
}

/// A list of required checks as one value: names sorted, each with its app where the policy
/// pins one (`pinned`). Where the policy leaves the app to GitHub, the app GitHub picked is not
/// compared (that would be a difference on every run); `-1` and no app both mean any app.
pub fn check_list<'a>(
    checks: impl IntoIterator<Item = (&'a str, Option<i64>)>,
    pinned: &BTreeSet<&str>,
) -> String {
    let mut shown: Vec<String> = checks
        .into_iter()
        .map(|(name, app)| match (pinned.contains(name), app) {
            (false, _) => name.to_owned(),
            (true, None | Some(-1)) => format!("{name} (any app)"),
            (true, Some(app)) => format!("{name} (app {app})"),
        })
        .collect();
    shown.sort();
    shown.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(pairs: &[(&str, &str)]) -> Fields {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn lists_changed_added_and_removed_fields_only() {
        let current = fields(&[("a", "1"), ("b", "same"), ("c", "gone")]);
        let desired = fields(&[("a", "2"), ("b", "same"), ("d", "new")]);
        let changes = diff(&current, &desired);
        let names: Vec<_> = changes.iter().map(|c| c.field.as_str()).collect();
        assert_eq!(names, ["a", "c", "d"]);
        assert_eq!(changes[1].desired, None);
        assert_eq!(changes[2].current, None);
        assert!(diff(&desired, &desired).is_empty());
    }

    #[test]
    fn apps_are_compared_only_where_the_policy_pins_one() {
        let pinned: BTreeSet<&str> = ["build", "lint"].into();
        assert_eq!(
            check_list(
                [("test", Some(15368)), ("lint", None), ("build", Some(7))],
                &pinned
            ),
            "build (app 7), lint (any app), test"
        );
        assert_eq!(
            check_list([("lint", Some(-1))], &pinned),
            check_list([("lint", None)], &pinned)
        );
    }

    #[test]
    fn the_table_shows_unset_as_a_dash() {
        let changes = diff(&fields(&[]), &fields(&[("enforce_admins", "true")]));
        assert_eq!(
            table(&changes),
            "| Field | Current | Desired |\n|---|---|---|\n| `enforce_admins` | — | `true` |\n"
        );
    }
}
