//! Checks that an `action.yml` declares the same inputs and outputs as the action's code.

use std::collections::BTreeMap;
use std::path::Path;

use action_kit::ActionSpec;
use anyhow::{Context as _, bail};

/// Compares the `inputs` (names, `required`, `default`) and `outputs` of the `action.yml` at
/// `path` with `spec`; the error lists every difference.
pub fn check_manifest(spec: &ActionSpec, path: &Path) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(path).with_context(|| format!("read {}", path.display()))?;
    let doc: serde_yaml::Value =
        serde_yaml::from_str(&text).with_context(|| format!("parse {}", path.display()))?;
    let mut problems = Vec::new();
    let section = |name: &str| -> BTreeMap<String, serde_yaml::Value> {
        doc.get(name)
            .and_then(|v| v.as_mapping())
            .map(|m| {
                m.iter()
                    .filter_map(|(k, v)| Some((k.as_str()?.to_owned(), v.clone())))
                    .collect()
            })
            .unwrap_or_default()
    };
    let inputs = section("inputs");
    for input in spec.inputs() {
        let Some(declared) = inputs.get(input.name) else {
            problems.push(format!("input '{}' is missing", input.name));
            continue;
        };
        let required = declared
            .get("required")
            .and_then(serde_yaml::Value::as_bool)
            .unwrap_or(false);
        if required != input.required {
            problems.push(format!(
                "input '{}': required is {required}, the code says {}",
                input.name, input.required
            ));
        }
        let default = declared.get("default").map(yaml_scalar);
        if default.as_deref() != input.default {
            problems.push(format!(
                "input '{}': default is {default:?}, the code says {:?}",
                input.name, input.default
            ));
        }
        if declared
            .get("description")
            .and_then(serde_yaml::Value::as_str)
            .is_none()
        {
            problems.push(format!("input '{}' has no description", input.name));
        }
    }
    for name in inputs.keys().filter(|name| spec.input(name).is_none()) {
        problems.push(format!("input '{name}' is not read by the code"));
    }
    let outputs = section("outputs");
    for output in spec.outputs {
        if !outputs.contains_key(output.name) {
            problems.push(format!("output '{}' is missing", output.name));
        }
    }
    for name in outputs
        .keys()
        .filter(|name| !spec.outputs.iter().any(|o| o.name == name.as_str()))
    {
        problems.push(format!("output '{name}' is not written by the code"));
    }
    if !problems.is_empty() {
        bail!(
            "{} disagrees with the code:\n  {}",
            path.display(),
            problems.join("\n  ")
        );
    }
    Ok(())
}

fn yaml_scalar(value: &serde_yaml::Value) -> String {
    match value {
        serde_yaml::Value::String(s) => s.clone(),
        serde_yaml::Value::Bool(b) => b.to_string(),
        serde_yaml::Value::Number(n) => n.to_string(),
        other => serde_yaml::to_string(other)
            .unwrap_or_default()
            .trim()
            .to_owned(),
    }
}
