//! A snapshot of the process environment that every reader of the contract takes.

use std::collections::BTreeMap;

/// The environment variables an action was started with.
///
/// Actions read from a snapshot, never from `std::env` directly, so tests can hand them any
/// environment without mutating the process (`set_var` is unsafe in edition 2024).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RunnerEnv {
    vars: BTreeMap<String, String>,
}

impl RunnerEnv {
    /// The current process environment (variables that are not valid UTF-8 are left out).
    pub fn from_process() -> Self {
        let vars = std::env::vars_os()
            .filter_map(|(name, value)| Some((name.into_string().ok()?, value.into_string().ok()?)))
            .collect();
        Self { vars }
    }

    /// An environment made of the given pairs.
    pub fn from_pairs<I, K, V>(pairs: I) -> Self
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<String>,
        V: Into<String>,
    {
        let vars = pairs
            .into_iter()
            .map(|(k, v)| (k.into(), v.into()))
            .collect();
        Self { vars }
    }

    /// This environment with one more variable.
    #[must_use]
    pub fn with(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.vars.insert(name.into(), value.into());
        self
    }

    /// The raw value of a variable.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.vars.get(name).map(String::as_str)
    }

    /// The value of a variable, trimmed, or `None` when it is unset or blank.
    pub fn non_empty(&self, name: &str) -> Option<&str> {
        self.get(name).map(str::trim).filter(|v| !v.is_empty())
    }

    /// All variables whose name starts with `prefix`.
    pub fn with_prefix<'a>(&'a self, prefix: &'a str) -> impl Iterator<Item = (&'a str, &'a str)> {
        self.vars
            .range(prefix.to_owned()..)
            .take_while(move |(k, _)| k.starts_with(prefix))
            .map(|(k, v)| (k.as_str(), v.as_str()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blank_values_count_as_unset() {
        let env = RunnerEnv::from_pairs([("A", "  "), ("B", " x ")]);
        assert_eq!(env.non_empty("A"), None);
        assert_eq!(env.non_empty("B"), Some("x"));
        assert_eq!(env.get("A"), Some("  "));
        assert_eq!(env.non_empty("C"), None);
    }

    #[test]
    fn prefix_listing_stops_at_the_prefix() {
        let env = RunnerEnv::from_pairs([
            ("INPUT_A", "1"),
            ("INPUT_B", "2"),
            ("INPUTX", "3"),
            ("HOME", "/"),
        ]);
        let names: Vec<_> = env.with_prefix("INPUT_").map(|(k, _)| k).collect();
        assert_eq!(names, ["INPUT_A", "INPUT_B"]);
    }
}
