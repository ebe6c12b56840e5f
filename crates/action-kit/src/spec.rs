//! The declaration of an action's inputs and outputs, shared by `--help`, input reading and the
//! check of each `action.yml`.

use std::fmt::Write as _;

/// One input of an action.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InputSpec {
    /// The input's name, as in `with:` (hyphens allowed).
    pub name: &'static str,
    /// One sentence for `--help` and `action.yml`.
    pub description: &'static str,
    /// Whether a run without it is an error.
    pub required: bool,
    /// The default the runner applies (and [`crate::Inputs`] applies when run by hand).
    pub default: Option<&'static str>,
}

impl InputSpec {
    /// An optional input without a default.
    pub const fn optional(name: &'static str, description: &'static str) -> Self {
        Self {
            name,
            description,
            required: false,
            default: None,
        }
    }

    /// A required input.
    pub const fn required(name: &'static str, description: &'static str) -> Self {
        Self {
            name,
            description,
            required: true,
            default: None,
        }
    }

    /// An optional input with a default.
    pub const fn with_default(
        name: &'static str,
        description: &'static str,
        default: &'static str,
    ) -> Self {
        Self {
            name,
            description,
            required: false,
            default: Some(default),
        }
    }

    /// The default that applies outside a runner: expressions such as `${{ github.token }}` are
    /// evaluated by the runner only, so they do not count there.
    pub fn literal_default(&self) -> Option<&'static str> {
        self.default.filter(|d| !d.contains("${{"))
    }
}

/// One output of an action.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OutputSpec {
    /// The output's name.
    pub name: &'static str,
    /// One sentence for `--help` and `action.yml`.
    pub description: &'static str,
}

/// What an action reads and writes.
#[derive(Clone, Copy, Debug)]
pub struct ActionSpec {
    /// The action's name, as in `actions/<name>`.
    pub name: &'static str,
    /// One line saying what it does.
    pub description: &'static str,
    /// Groups of inputs: the action's own, then shared ones (AWS, GitHub).
    pub input_groups: &'static [&'static [InputSpec]],
    /// Outputs.
    pub outputs: &'static [OutputSpec],
    /// Whether the action also writes outputs named at run time (e.g. one per filter).
    pub dynamic_outputs: bool,
}

impl ActionSpec {
    /// Every input, in declaration order.
    pub fn inputs(&self) -> impl Iterator<Item = &'static InputSpec> + '_ {
        self.input_groups.iter().flat_map(|group| group.iter())
    }

    /// The input called `name`.
    pub fn input(&self, name: &str) -> Option<&'static InputSpec> {
        self.inputs().find(|input| input.name == name)
    }

    /// The `--help` text.
    pub fn help(&self) -> String {
        let mut text = format!("{}: {}\n\n", self.name, self.description);
        text.push_str(
            "Run by a GitHub Actions runner, which passes inputs as INPUT_<NAME> variables.\n",
        );
        text.push_str("By hand: INPUT_<NAME>=value ... ");
        text.push_str(self.name);
        text.push_str("\n\nInputs:\n");
        let width = self.inputs().map(|i| i.name.len()).max().unwrap_or(0);
        for input in self.inputs() {
            let mut notes = Vec::new();
            if input.required {
                notes.push("required".to_owned());
            }
            if let Some(default) = input.default {
                notes.push(format!("default: {default}"));
            }
            let notes = if notes.is_empty() {
                String::new()
            } else {
                format!(" [{}]", notes.join("; "))
            };
            let _ = writeln!(
                text,
                "  {:width$}  {}{notes}",
                input.name, input.description
            );
        }
        if !self.outputs.is_empty() {
            text.push_str("\nOutputs:\n");
            let width = self.outputs.iter().map(|o| o.name.len()).max().unwrap_or(0);
            for output in self.outputs {
                let _ = writeln!(text, "  {:width$}  {}", output.name, output.description);
            }
        }
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OWN: &[InputSpec] = &[
        InputSpec::required("cluster", "The ECS cluster."),
        InputSpec::with_default("wait", "Wait for it.", "true"),
    ];
    const SHARED: &[InputSpec] = &[InputSpec::with_default(
        "token",
        "GitHub token.",
        "${{ github.token }}",
    )];
    const SPEC: ActionSpec = ActionSpec {
        name: "demo",
        description: "Does a thing.",
        input_groups: &[OWN, SHARED],
        outputs: &[OutputSpec {
            name: "result",
            description: "What happened.",
        }],
        dynamic_outputs: false,
    };

    #[test]
    fn help_lists_every_input_and_output() {
        let help = SPEC.help();
        assert!(
            help.contains("  cluster  The ECS cluster. [required]"),
            "{help}"
        );
        assert!(
            help.contains("  wait     Wait for it. [default: true]"),
            "{help}"
        );
        assert!(
            help.contains("  token    GitHub token. [default: ${{ github.token }}]"),
            "{help}"
        );
        assert!(help.contains("  result  What happened."), "{help}");
    }

    #[test]
    fn expression_defaults_do_not_apply_by_hand() {
        assert_eq!(
            SPEC.input("token").and_then(InputSpec::literal_default),
            None
        );
        assert_eq!(
            SPEC.input("wait").and_then(InputSpec::literal_default),
            Some("true")
        );
        assert!(SPEC.input("nope").is_none());
    }
}
