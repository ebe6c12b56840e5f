//! The filter configuration: YAML as dorny reads it, checked more strictly.
//!
//! ```yaml
//! shared: &shared
//!   - docker/**
//!   - infra/**
//! backend:
//!   - *shared                  # anchors and nested lists are flattened
//!   - backend/**
//! docs:
//!   - added|modified: docs/**  # change types, '|'-separated
//! ```
//!
//! Every problem is an error that starts like dorny's (`Invalid filter YAML format: …`) and
//! names the filter; change types and patterns dorny would accept but never match are refused.

use anyhow::{Context as _, bail};
use serde_yaml::Value;

use crate::changes::ChangeStatus;
use crate::pattern::{Pattern, translate};

/// One rule: patterns (any may match) and optionally the change types a file must have.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    /// `None`: any change type.
    pub statuses: Option<Vec<ChangeStatus>>,
    /// The rule matches a path when any of these does.
    pub patterns: Vec<Pattern>,
}

/// A named filter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filter {
    /// Its name: the output's name.
    pub name: String,
    /// Its rules, in order.
    pub rules: Vec<Rule>,
}

const PREFIX: &str = "Invalid filter YAML format";

/// Parses the filter YAML.
pub fn parse_filters(yaml: &str) -> anyhow::Result<Vec<Filter>> {
    let doc: Value =
        serde_yaml::from_str(yaml).with_context(|| format!("{PREFIX}: the YAML does not parse"))?;
    let Value::Mapping(root) = doc else {
        bail!(
            "{PREFIX}: Root element is not an object (expected `name: pattern(s)` entries, got {}).",
            kind(&doc)
        );
    };
    let mut filters = Vec::with_capacity(root.len());
    for (key, value) in root {
        let name = match key {
            Value::String(s) => s,
            Value::Number(n) => n.to_string(),
            Value::Bool(b) => b.to_string(),
            other => bail!(
                "{PREFIX}: a filter name must be a string, got {}.",
                kind(&other)
            ),
        };
        let mut rules = Vec::new();
        collect_rules(&name, &value, &mut rules)?;
        filters.push(Filter { name, rules });
    }
    Ok(filters)
}

/// Appends the rules of one filter item (a pattern, a `change-types: patterns` mapping, or a
/// possibly nested list of those).
fn collect_rules(filter: &str, item: &Value, rules: &mut Vec<Rule>) -> anyhow::Result<()> {
    match item {
        Value::String(pattern) => rules.push(Rule {
            statuses: None,
            patterns: vec![pattern_of(filter, pattern)?],
        }),
        Value::Sequence(items) => {
            for item in items {
                collect_rules(filter, item, rules)?;
            }
        }
        Value::Mapping(entries) => {
            for (key, value) in entries {
                let Value::String(key) = key else {
                    bail!(
                        "{PREFIX}: filter '{filter}': a change-type key must be a string, got {}.",
                        kind(key)
                    );
                };
                let patterns = match value {
                    Value::String(p) => vec![pattern_of(filter, p)?],
                    Value::Sequence(items) => items
                        .iter()
                        .map(|p| match p {
                            Value::String(p) => pattern_of(filter, p),
                            other => bail!(
                                "{PREFIX}: filter '{filter}': '{key}' must map to a pattern or a list of patterns, found {} in the list.",
                                kind(other)
                            ),
                        })
                        .collect::<anyhow::Result<_>>()?,
                    other => bail!(
                        "{PREFIX}: filter '{filter}': Expected [key:string]= pattern:string | string[], but [{key}:string]= {} found.",
                        kind(other)
                    ),
                };
                rules.push(Rule {
                    statuses: Some(statuses_of(filter, key)?),
                    patterns,
                });
            }
        }
        Value::Tagged(tagged) => collect_rules(filter, &tagged.value, rules)?,
        other => bail!(
            "{PREFIX}: filter '{filter}': Unexpected element type '{}'.",
            kind(other)
        ),
    }
    Ok(())
}

fn pattern_of(filter: &str, source: &str) -> anyhow::Result<Pattern> {
    translate(source).with_context(|| format!("{PREFIX}: filter '{filter}'"))
}

/// `added|modified` → the statuses; an unknown change type is an error (dorny ignores it and
/// the rule silently never matches).
fn statuses_of(filter: &str, key: &str) -> anyhow::Result<Vec<ChangeStatus>> {
    let names: Vec<String> = key
        .split('|')
        .map(|s| s.trim().to_lowercase())
        .filter(|s| !s.is_empty())
        .collect();
    if names.is_empty() {
        bail!("{PREFIX}: filter '{filter}': the change-type key '{key}' names no change type.");
    }
    names
        .iter()
        .map(|name| {
            ChangeStatus::from_name(name).with_context(|| {
                let valid: Vec<&str> = ChangeStatus::NAMEABLE.iter().map(|s| s.as_str()).collect();
                format!(
                    "{PREFIX}: filter '{filter}': unknown change type '{name}' (valid: {})",
                    valid.join(", ")
                )
            })
        })
        .collect()
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "nothing (null)",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Sequence(_) => "a list",
        Value::Mapping(_) => "a mapping",
        Value::Tagged(_) => "a tagged value",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn globs(filter: &Filter) -> Vec<Vec<&str>> {
        filter
            .rules
            .iter()
            .map(|r| r.patterns.iter().map(|p| p.source.as_str()).collect())
            .collect()
    }

    #[test]
    fn strings_lists_anchors_and_change_types() {
        let yaml = "shared: &shared\n  - common/**\n  - config/**\nsrc:\n  - *shared\n  - src/**\n  - added|Modified: [a/**, b/**]\none: single/**\n";
        let filters = parse_filters(yaml).expect("valid");
        let names: Vec<&str> = filters.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["shared", "src", "one"]);
        assert_eq!(
            globs(&filters[1]),
            [
                vec!["common/**"],
                vec!["config/**"],
                vec!["src/**"],
                vec!["a/**", "b/**"]
            ]
        );
        assert_eq!(
            filters[1].rules[3].statuses,
            Some(vec![ChangeStatus::Added, ChangeStatus::Modified])
        );
        assert_eq!(globs(&filters[2]), [vec!["single/**"]]);
    }

    #[test]
    fn malformed_configurations_are_named_errors() {
        let cases = [
            ("- a\n- b\n", "Root element is not an object"),
            ("a: [b\n", "the YAML does not parse"),
            (
                "src:\n  - 42\n",
                "filter 'src': Unexpected element type 'a number'",
            ),
            (
                "src:\n  - changed: src/**\n",
                "filter 'src': unknown change type 'changed'",
            ),
            (
                "src:\n  - added: {x: y}\n",
                "filter 'src': Expected [key:string]= pattern:string | string[]",
            ),
            ("src:\n  - ' | ': a\n", "names no change type"),
            ("src: 'x/+(a|b)'\n", "filter 'src': pattern 'x/+(a|b)'"),
            ("src:\n  - added: [a, 1]\n", "found a number in the list"),
            (
                "src:\n",
                "filter 'src': Unexpected element type 'nothing (null)'",
            ),
        ];
        for (yaml, expected) in cases {
            let err = format!("{:#}", parse_filters(yaml).expect_err(yaml));
            assert!(err.starts_with("Invalid filter YAML format"), "{err}");
            assert!(err.contains(expected), "{yaml:?}: {err}");
        }
    }
}
