//! Reading an action's inputs from `INPUT_<NAME>` variables, as the runner sets them.

use crate::env::RunnerEnv;
use crate::spec::ActionSpec;

/// The variable the runner sets for an input: `INPUT_` and the name upper-cased, spaces turned
/// into `_`, hyphens kept (`role-to-assume` → `INPUT_ROLE-TO-ASSUME`).
pub fn input_env_name(name: &str) -> String {
    format!("INPUT_{}", name.replace(' ', "_").to_uppercase())
}

/// A bad or missing input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InputError {
    /// A required input is missing or blank.
    #[error("input '{name}' is required but was not given")]
    Missing {
        /// The input.
        name: String,
    },
    /// A boolean input holds something other than true/false.
    #[error("input '{name}': expected true or false, got '{value}'")]
    NotBoolean {
        /// The input.
        name: String,
        /// What it held.
        value: String,
    },
    /// An input holds a value outside its allowed set.
    #[error("input '{name}': expected one of {expected}, got '{value}'")]
    NotOneOf {
        /// The input.
        name: String,
        /// The allowed values, joined for display.
        expected: String,
        /// What it held.
        value: String,
    },
    /// An input holds something that is not the number expected.
    #[error("input '{name}': expected {expected}, got '{value}'")]
    NotANumber {
        /// The input.
        name: String,
        /// What kind of number.
        expected: &'static str,
        /// What it held.
        value: String,
    },
    /// The code asked for an input the action does not declare (a bug).
    #[error("internal error: input '{name}' is not declared by this action")]
    Undeclared {
        /// The input.
        name: String,
    },
}

/// The inputs of one action run.
#[derive(Debug, Clone, Copy)]
pub struct Inputs<'a> {
    env: &'a RunnerEnv,
    spec: &'a ActionSpec,
}

impl<'a> Inputs<'a> {
    /// The inputs `spec` declares, read from `env`.
    pub fn new(env: &'a RunnerEnv, spec: &'a ActionSpec) -> Self {
        Self { env, spec }
    }

    /// The trimmed value, or the declared default, or `None` when neither is there (the runner,
    /// like the toolkit, treats an empty input as a missing one).
    pub fn get(&self, name: &str) -> Result<Option<String>, InputError> {
        let spec = self
            .spec
            .input(name)
            .ok_or_else(|| InputError::Undeclared { name: name.into() })?;
        let given = self.env.non_empty(&input_env_name(name)).map(str::to_owned);
        Ok(given.or_else(|| spec.literal_default().map(str::to_owned)))
    }

    /// The value of an input that must be there.
    pub fn required(&self, name: &str) -> Result<String, InputError> {
        self.get(name)?
            .ok_or_else(|| InputError::Missing { name: name.into() })
    }

    /// A boolean input: `true` or `false` in any letter case; a missing one without a default is
    /// `false`.
    pub fn bool(&self, name: &str) -> Result<bool, InputError> {
        match self.get(name)? {
            None => Ok(false),
            Some(value) if value.eq_ignore_ascii_case("true") => Ok(true),
            Some(value) if value.eq_ignore_ascii_case("false") => Ok(false),
            Some(value) => Err(InputError::NotBoolean {
                name: name.into(),
                value,
            }),
        }
    }

    /// A list input: one item a line, trimmed; blank lines and `#` comments are skipped.
    pub fn list(&self, name: &str) -> Result<Vec<String>, InputError> {
        Ok(self
            .get(name)?
            .map(|value| {
                value
                    .lines()
                    .map(str::trim)
                    .filter(|line| !line.is_empty() && !line.starts_with('#'))
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default())
    }

    /// An input that must be one of `allowed` (compared exactly).
    pub fn one_of(&self, name: &str, allowed: &[&str]) -> Result<Option<String>, InputError> {
        match self.get(name)? {
            Some(value) if !allowed.contains(&value.as_str()) => Err(InputError::NotOneOf {
                name: name.into(),
                expected: allowed.join(", "),
                value,
            }),
            other => Ok(other),
        }
    }

    /// A non-negative whole number.
    pub fn number(&self, name: &str) -> Result<Option<u64>, InputError> {
        self.get(name)?
            .map(|value| {
                value.parse().map_err(|_| InputError::NotANumber {
                    name: name.into(),
                    expected: "a non-negative whole number",
                    value,
                })
            })
            .transpose()
    }

    /// Fails on the first required input that is missing.
    pub fn check_required(&self) -> Result<(), InputError> {
        for input in self.spec.inputs().filter(|input| input.required) {
            self.required(input.name)?;
        }
        Ok(())
    }

    /// `INPUT_*` variables this action does not declare (most often a typo in `with:`).
    pub fn unknown(&self) -> Vec<String> {
        self.env
            .with_prefix("INPUT_")
            .map(|(name, _)| name)
            .filter(|name| {
                !self
                    .spec
                    .inputs()
                    .any(|input| input_env_name(input.name) == *name)
            })
            .map(str::to_owned)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::InputSpec;

    const INPUTS: &[InputSpec] = &[
        InputSpec::required("role-to-assume", "Role."),
        InputSpec::optional("wait for it", "Spaces in a name."),
        InputSpec::with_default("delete", "Delete.", "true"),
        InputSpec::optional("paths", "A list."),
        InputSpec::optional("mode", "A choice."),
        InputSpec::optional("count", "A number."),
    ];
    const SPEC: ActionSpec = ActionSpec {
        name: "t",
        description: "t",
        input_groups: &[INPUTS],
        outputs: &[],
        dynamic_outputs: false,
    };

    fn with(pairs: &[(&str, &str)]) -> RunnerEnv {
        RunnerEnv::from_pairs(pairs.iter().copied())
    }

    #[test]
    fn env_names_keep_hyphens_and_turn_spaces_into_underscores() {
        assert_eq!(input_env_name("role-to-assume"), "INPUT_ROLE-TO-ASSUME");
        assert_eq!(input_env_name("wait for it"), "INPUT_WAIT_FOR_IT");
    }

    #[test]
    fn values_are_trimmed_and_blank_means_missing() {
        let env = with(&[
            ("INPUT_ROLE-TO-ASSUME", "  arn:x \n"),
            ("INPUT_WAIT_FOR_IT", "   "),
        ]);
        let inputs = Inputs::new(&env, &SPEC);
        assert_eq!(inputs.get("role-to-assume"), Ok(Some("arn:x".into())));
        assert_eq!(inputs.get("wait for it"), Ok(None));
    }

    #[test]
    fn missing_required_input_is_named() {
        let env = RunnerEnv::default();
        let err = Inputs::new(&env, &SPEC)
            .check_required()
            .expect_err("missing");
        assert_eq!(
            err.to_string(),
            "input 'role-to-assume' is required but was not given"
        );
    }

    #[test]
    fn booleans_accept_true_and_false_in_any_case_only() {
        for (value, expected) in [
            ("true", true),
            ("True", true),
            ("TRUE", true),
            ("false", false),
            ("FALSE", false),
        ] {
            let env = with(&[("INPUT_DELETE", value)]);
            assert_eq!(
                Inputs::new(&env, &SPEC).bool("delete"),
                Ok(expected),
                "{value}"
            );
        }
        for value in ["yes", "1", "on", "t"] {
            let env = with(&[("INPUT_DELETE", value)]);
            let err = Inputs::new(&env, &SPEC).bool("delete").expect_err(value);
            assert_eq!(
                err.to_string(),
                format!("input 'delete': expected true or false, got '{value}'")
            );
        }
    }

    #[test]
    fn declared_default_applies_when_missing() {
        let env = RunnerEnv::default();
        assert_eq!(Inputs::new(&env, &SPEC).bool("delete"), Ok(true));
    }

    #[test]
    fn lists_skip_blank_lines_and_comments() {
        let env = with(&[("INPUT_PATHS", "a/**\n\n  # a comment\n  b/*.rs  \n#c\n")]);
        assert_eq!(
            Inputs::new(&env, &SPEC).list("paths"),
            Ok(vec!["a/**".into(), "b/*.rs".into()])
        );
    }

    #[test]
    fn choices_and_numbers_are_checked() {
        let env = with(&[("INPUT_MODE", "csv"), ("INPUT_COUNT", "-3")]);
        let inputs = Inputs::new(&env, &SPEC);
        assert_eq!(
            inputs.one_of("mode", &["csv", "json"]),
            Ok(Some("csv".into()))
        );
        let err = inputs
            .one_of("mode", &["none", "json"])
            .expect_err("not allowed");
        assert_eq!(
            err.to_string(),
            "input 'mode': expected one of none, json, got 'csv'"
        );
        let err = inputs.number("count").expect_err("negative");
        assert_eq!(
            err.to_string(),
            "input 'count': expected a non-negative whole number, got '-3'"
        );
    }

    #[test]
    fn undeclared_and_unknown_inputs_are_reported() {
        let env = with(&[("INPUT_DELET", "true"), ("INPUT_DELETE", "true")]);
        let inputs = Inputs::new(&env, &SPEC);
        assert_eq!(inputs.unknown(), ["INPUT_DELET"]);
        assert!(matches!(
            inputs.get("nope"),
            Err(InputError::Undeclared { .. })
        ));
    }
}
