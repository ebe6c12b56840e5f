//! Reading a task definition: from a JSON file (never executed) or from ECS's
//! DescribeTaskDefinition answer, made registrable: the describe wrapper unwrapped, the fields
//! ECS returns but refuses on registration removed, nulls removed (and reported).

use anyhow::{Context as _, bail};
use serde_json::{Map, Value};

/// What DescribeTaskDefinition returns and RegisterTaskDefinition refuses.
pub const READ_ONLY_FIELDS: [&str; 8] = [
    "compatibilities",
    "taskDefinitionArn",
    "requiresAttributes",
    "revision",
    "status",
    "registeredAt",
    "deregisteredAt",
    "registeredBy",
];

/// A task definition ready for editing, and what was removed on the way.
#[derive(Debug, Clone, PartialEq)]
pub struct Loaded {
    /// The definition.
    pub document: Value,
    /// Read-only fields removed.
    pub removed_read_only: Vec<String>,
    /// Paths of null values removed (old console exports are full of them).
    pub removed_nulls: Vec<String>,
}

/// Parses a task definition file's text: YAML for a `.yaml`/`.yml` file (as the deploy anchor
/// accepts), JSON otherwise; a syntax error names the line and column.
pub fn parse_file(text: &str, path: &str) -> anyhow::Result<Loaded> {
    if path.ends_with(".yaml") || path.ends_with(".yml") {
        let value: Value = serde_yaml::from_str(text)
            .map_err(|e| anyhow::anyhow!("task definition file {path} is not valid YAML: {e}"))?;
        return prepare(value, None);
    }
    let value: Value = serde_json::from_str(text).map_err(|e| {
        anyhow::anyhow!(
            "task definition file {path} is not valid JSON: {} at line {}, column {}",
            strip_position(&e.to_string()),
            e.line(),
            e.column()
        )
    })?;
    prepare(value, None)
}

/// serde_json appends "at line X column Y" to its messages; we say it our way.
fn strip_position(message: &str) -> &str {
    message.split(" at line ").next().unwrap_or(message)
}

/// Prepares a DescribeTaskDefinition answer (`{"taskDefinition": …, "tags": […]}`): its tags
/// become the definition's, as the anchor action does.
pub fn from_describe(answer: Value) -> anyhow::Result<Loaded> {
    let tags = answer.get("tags").cloned();
    let Some(definition) = answer.get("taskDefinition").cloned() else {
        bail!("ECS answered DescribeTaskDefinition without a taskDefinition");
    };
    prepare(definition, tags)
}

/// Makes a parsed definition registrable (see [`parse_file`]).
pub fn prepare(value: Value, tags: Option<Value>) -> anyhow::Result<Loaded> {
    let Value::Object(mut map) = value else {
        bail!(
            "Invalid task definition format: containerDefinitions section is not present or is not an array"
        );
    };
    // Saved `aws ecs describe-task-definition` output: the definition is wrapped.
    if !map.contains_key("containerDefinitions")
        && let Some(Value::Object(inner)) = map.get("taskDefinition").cloned()
    {
        let wrapped_tags = map.get("tags").cloned();
        map = inner;
        if let Some(tags) = wrapped_tags.filter(|t| t.as_array().is_some_and(|a| !a.is_empty())) {
            map.insert("tags".into(), tags);
        }
    }
    if !map.get("containerDefinitions").is_some_and(Value::is_array) {
        bail!(
            "Invalid task definition format: containerDefinitions section is not present or is not an array"
        );
    }
    let removed_read_only = READ_ONLY_FIELDS
        .iter()
        .filter(|field| map.shift_remove(**field).is_some())
        .map(|f| (*f).to_owned())
        .collect();
    if let Some(tags) = tags {
        map.insert("tags".into(), tags);
    }
    let mut removed_nulls = Vec::new();
    remove_nulls(&mut map, "", &mut removed_nulls);
    Ok(Loaded {
        document: Value::Object(map),
        removed_read_only,
        removed_nulls,
    })
}

fn remove_nulls(map: &mut Map<String, Value>, path: &str, removed: &mut Vec<String>) {
    let nulls: Vec<String> = map
        .iter()
        .filter(|(_, v)| v.is_null())
        .map(|(k, _)| k.clone())
        .collect();
    for key in nulls {
        map.shift_remove(&key);
        removed.push(join(path, &key));
    }
    for (key, value) in map.iter_mut() {
        remove_nulls_in(value, &join(path, key), removed);
    }
}

fn remove_nulls_in(value: &mut Value, path: &str, removed: &mut Vec<String>) {
    match value {
        Value::Object(map) => remove_nulls(map, path, removed),
        Value::Array(items) => {
            for (i, item) in items.iter_mut().enumerate() {
                remove_nulls_in(item, &format!("{path}[{i}]"), removed);
            }
        }
        _ => {}
    }
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

/// The definition as the anchor writes it: two-space indented JSON, keys in their order.
pub fn render(document: &Value) -> anyhow::Result<String> {
    serde_json::to_string_pretty(document).context("cannot serialise the task definition")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn syntax_errors_name_line_and_column() {
        let err = parse_file("{\n  \"family\": \"x\",\n  oops\n}", "td.json").expect_err("invalid");
        assert_eq!(
            err.to_string(),
            "task definition file td.json is not valid JSON: key must be a string at line 3, column 3"
        );
    }

    #[test]
    fn describe_output_is_unwrapped_and_made_registrable() {
        let text = r#"{"taskDefinition": {"taskDefinitionArn": "arn", "revision": 3, "status": "ACTIVE",
            "family": "f", "containerDefinitions": [{"name": "a", "image": "x", "user": null}],
            "pidMode": null}, "tags": [{"key": "k", "value": "v"}]}"#;
        let loaded = parse_file(text, "td.json").expect("valid");
        assert_eq!(
            loaded.document,
            serde_json::json!({"family": "f", "containerDefinitions": [{"name": "a", "image": "x"}], "tags": [{"key": "k", "value": "v"}]})
        );
        assert_eq!(
            loaded.removed_read_only,
            ["taskDefinitionArn", "revision", "status"]
        );
        assert_eq!(
            loaded.removed_nulls,
            ["pidMode", "containerDefinitions[0].user"]
        );
    }

    #[test]
    fn not_a_definition_is_the_anchors_error() {
        for text in ["\"just a string\"", "{\"containerDefinitions\": {}}", "{}"] {
            let err = parse_file(text, "td.json").expect_err(text);
            assert!(
                err.to_string()
                    .starts_with("Invalid task definition format"),
                "{err}"
            );
        }
    }
}
