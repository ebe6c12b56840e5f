//! The pitfall of required checks: a name that no check run or commit status has ever reported
//! blocks every pull request for good, and GitHub accepts any name without a word.
//!
//! Given the names seen on a branch's recent commits and pull requests, this finds each
//! required name never seen and the seen names closest to it, so the warning shows the likely
//! intended one first. A matrix job is the usual culprit: its runs report as `job (values)`,
//! never as the plain job name.

use std::collections::BTreeSet;

use serde::Serialize;

/// How many seen names a warning lists.
const SHOWN: usize = 8;

/// A required check name nothing has reported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Unseen {
    /// The required name.
    pub check: String,
    /// The names seen, closest first (at most eight).
    pub closest: Vec<String>,
    /// How many names were seen in all.
    pub seen: usize,
    /// Seen names of the form `<check> (…)`: the runs of a matrix job.
    pub matrix_runs: Vec<String>,
}

/// Every required name that is not among `seen`, each with the seen names ordered by
/// closeness (Jaro–Winkler, ignoring case; ties by name).
pub fn unseen<'a>(
    required: impl IntoIterator<Item = &'a str>,
    seen: &BTreeSet<String>,
) -> Vec<Unseen> {
    required
        .into_iter()
        .filter(|name| !seen.contains(*name))
        .map(|name| {
            let lower = name.to_lowercase();
            let mut closest: Vec<(f64, &String)> = seen
                .iter()
                .map(|other| (strsim::jaro_winkler(&lower, &other.to_lowercase()), other))
                .collect();
            closest.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(b.1)));
            let prefix = format!("{name} (");
            Unseen {
                check: name.to_owned(),
                closest: closest
                    .into_iter()
                    .take(SHOWN)
                    .map(|(_, n)| n.clone())
                    .collect(),
                seen: seen.len(),
                matrix_runs: seen
                    .iter()
                    .filter(|other| other.starts_with(&prefix) && other.ends_with(')'))
                    .cloned()
                    .collect(),
            }
        })
        .collect()
}

impl Unseen {
    /// The warning (or error) text; `place` says where the names were looked for.
    pub fn message(&self, place: &str) -> String {
        let mut text = format!(
            "required check '{}' has never been reported on {place}: a pull request would wait for it forever.",
            self.check
        );
        if !self.matrix_runs.is_empty() {
            text.push_str(&format!(
                " It looks like a matrix job, whose runs report as '{}': require those names, or add one job with a fixed name that `needs` the matrix.",
                self.matrix_runs.join("', '")
            ));
        }
        if self.closest.is_empty() {
            text.push_str(" No check has reported there yet: run the workflow once first.");
        } else {
            let more = self.seen.saturating_sub(self.closest.len());
            text.push_str(&format!(
                " Seen (closest first): {}",
                self.closest.join(", ")
            ));
            if more > 0 {
                text.push_str(&format!(" and {more} more"));
            }
        }
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seen(names: &[&str]) -> BTreeSet<String> {
        names.iter().map(|n| (*n).to_owned()).collect()
    }

    #[test]
    fn a_typo_lists_the_intended_name_first() {
        let found = unseen(
            ["test", "lnit"],
            &seen(&["test", "lint", "build", "deploy preview"]),
        );
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].check, "lnit");
        assert_eq!(found[0].closest[0], "lint");
        assert!(found[0].matrix_runs.is_empty());
        let message = found[0].message("the last 20 commits of main");
        assert!(
            message.starts_with(
                "required check 'lnit' has never been reported on the last 20 commits of main"
            ),
            "{message}"
        );
        assert!(
            message.contains("Seen (closest first): lint, "),
            "{message}"
        );
    }

    #[test]
    fn a_matrix_job_name_is_recognised() {
        let found = unseen(
            ["test"],
            &seen(&[
                "test (ubuntu-latest, stable)",
                "test (macos-latest, stable)",
                "lint",
            ]),
        );
        assert_eq!(
            found[0].matrix_runs,
            [
                "test (macos-latest, stable)",
                "test (ubuntu-latest, stable)"
            ]
        );
        assert!(found[0].closest[0].starts_with("test ("));
        assert!(
            found[0]
                .message("main")
                .contains("It looks like a matrix job")
        );
    }

    #[test]
    fn long_lists_are_cut_and_counted() {
        let names: Vec<String> = (0..20).map(|i| format!("job {i}")).collect();
        let found = unseen(["deploy"], &names.into_iter().collect());
        assert_eq!(found[0].closest.len(), 8);
        assert_eq!(found[0].seen, 20);
        assert!(found[0].message("main").ends_with(" and 12 more"));
    }

    #[test]
    fn nothing_seen_says_to_run_the_workflow_first() {
        let found = unseen(["test"], &BTreeSet::new());
        assert!(
            found[0]
                .message("main")
                .ends_with("run the workflow once first.")
        );
    }
}
