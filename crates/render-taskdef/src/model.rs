//! The RegisterTaskDefinition input, as a model every task definition is checked against before
//! it is written: every field of every nested object, with its type (`model.json`).
//!
//! The AWS SDK's types cannot be read from JSON, and a typed round trip would drop or reorder
//! what it does not know; so the document stays JSON, and this model says what ECS accepts.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::OnceLock;

use anyhow::Context as _;
use serde_json::Value;

/// The model's source, kept beside this file.
const MODEL: &str = include_str!("model.json");

/// A field's type.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Type {
    String,
    Integer,
    Boolean,
    /// A string-to-string map.
    Map,
    List(Box<Type>),
    Enum(Vec<String>),
    Shape(String),
}

impl Type {
    fn parse(text: &str) -> Self {
        if let Some(inner) = text.strip_prefix('[').and_then(|t| t.strip_suffix(']')) {
            return Type::List(Box::new(Type::parse(inner)));
        }
        if let Some(values) = text.strip_prefix("enum:") {
            return Type::Enum(values.split('|').map(str::to_owned).collect());
        }
        match text {
            "string" => Type::String,
            "integer" => Type::Integer,
            "boolean" => Type::Boolean,
            "map" => Type::Map,
            shape => Type::Shape(shape.to_owned()),
        }
    }

    fn describe(&self) -> String {
        match self {
            Type::String => "a string".into(),
            Type::Integer => "an integer".into(),
            Type::Boolean => "true or false".into(),
            Type::Map => "an object of strings".into(),
            Type::List(inner) => format!("a list of {}", inner.describe_plural()),
            Type::Enum(values) => format!("one of {}", values.join(", ")),
            Type::Shape(name) => format!("an object ({name})"),
        }
    }

    fn describe_plural(&self) -> String {
        match self {
            Type::String => "strings".into(),
            Type::Integer => "integers".into(),
            Type::Shape(name) => format!("objects ({name})"),
            other => other.describe(),
        }
    }
}

#[derive(Debug)]
struct Shape {
    required: Vec<String>,
    fields: Vec<(String, Type)>,
}

/// The whole model.
#[derive(Debug)]
pub struct Model {
    root: String,
    shapes: BTreeMap<String, Shape>,
}

/// One thing ECS would refuse, with where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// JSON path, e.g. `containerDefinitions[1].portMappings`.
    pub path: String,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "{}: {}", self.path, self.message)
        }
    }
}

fn describe_value(value: &Value) -> String {
    let text = value.to_string();
    let short: String = text.chars().take(40).collect();
    let ellipsis = if short.len() < text.len() { "…" } else { "" };
    let kind = match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    };
    format!("{kind} ({short}{ellipsis})")
}

impl Model {
    /// The model (parsed once).
    pub fn get() -> anyhow::Result<&'static Model> {
        static MODEL_CELL: OnceLock<Result<Model, String>> = OnceLock::new();
        MODEL_CELL
            .get_or_init(|| Model::parse(MODEL).map_err(|e| format!("{e:#}")))
            .as_ref()
            .map_err(|e| {
                anyhow::anyhow!("internal error: the task definition model is invalid: {e}")
            })
    }

    fn parse(text: &str) -> anyhow::Result<Model> {
        let doc: Value = serde_json::from_str(text).context("model.json")?;
        let root = doc["root"].as_str().context("model.json: root")?.to_owned();
        let mut shapes = BTreeMap::new();
        for (name, shape) in doc["shapes"].as_object().context("model.json: shapes")? {
            let required = shape["required"]
                .as_array()
                .map(|r| {
                    r.iter()
                        .filter_map(|v| v.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default();
            let fields = shape["fields"]
                .as_object()
                .with_context(|| format!("model.json: {name}.fields"))?
                .iter()
                .map(|(field, ty)| (field.clone(), Type::parse(ty.as_str().unwrap_or_default())))
                .collect();
            shapes.insert(name.clone(), Shape { required, fields });
        }
        Ok(Model { root, shapes })
    }

    /// Every problem of `document` as a RegisterTaskDefinition input.
    pub fn validate(&self, document: &Value) -> Vec<Problem> {
        let mut problems = Vec::new();
        self.check(document, &Type::Shape(self.root.clone()), "", &mut problems);
        problems
    }

    fn check(&self, value: &Value, ty: &Type, path: &str, problems: &mut Vec<Problem>) {
        let mut wrong = |expected: String| {
            problems.push(Problem {
                path: path.to_owned(),
                message: format!("expected {expected}, got {}", describe_value(value)),
            });
        };
        match (ty, value) {
            (Type::String, Value::String(_)) | (Type::Boolean, Value::Bool(_)) => {}
            (Type::Integer, Value::Number(n)) if n.is_i64() || n.is_u64() => {}
            (Type::Enum(values), Value::String(s)) if values.contains(s) => {}
            (Type::Map, Value::Object(map)) => {
                for (key, entry) in map {
                    if !entry.is_string() {
                        self.check(entry, &Type::String, &join(path, key), problems);
                    }
                }
            }
            (Type::List(inner), Value::Array(items)) => {
                for (i, item) in items.iter().enumerate() {
                    self.check(item, inner, &format!("{path}[{i}]"), problems);
                }
            }
            (Type::Shape(name), Value::Object(map)) => {
                let Some(shape) = self.shapes.get(name) else {
                    wrong(format!("a known shape (internal error: no shape {name})"));
                    return;
                };
                for (key, entry) in map {
                    match shape.fields.iter().find(|(field, _)| field == key) {
                        Some((_, field_type)) => {
                            self.check(entry, field_type, &join(path, key), problems)
                        }
                        None => problems.push(Problem {
                            path: join(path, key),
                            message: unknown_field_message(key, shape),
                        }),
                    }
                }
                for required in &shape.required {
                    if !map.contains_key(required) {
                        problems.push(Problem {
                            path: join(path, required),
                            message: "required field is missing".into(),
                        });
                    }
                }
            }
            (ty, _) => wrong(ty.describe()),
        }
    }
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

/// "unknown field; did you mean portMappings?" when a field name is close enough.
fn unknown_field_message(key: &str, shape: &Shape) -> String {
    let closest = shape
        .fields
        .iter()
        .map(|(field, _)| {
            (
                strsim::jaro_winkler(&key.to_lowercase(), &field.to_lowercase()),
                field,
            )
        })
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .filter(|(score, _)| *score >= 0.85);
    match closest {
        Some((_, field)) => format!("unknown field; did you mean {field}?"),
        None => "unknown field (RegisterTaskDefinition does not accept it)".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problems(doc: Value) -> Vec<String> {
        Model::get()
            .expect("model")
            .validate(&doc)
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    #[test]
    fn the_model_parses_and_covers_every_shape_it_names() {
        let model = Model::get().expect("model");
        assert_eq!(model.shapes.len(), 35);
        for shape in model.shapes.values() {
            for (_, ty) in &shape.fields {
                let mut ty = ty;
                while let Type::List(inner) = ty {
                    ty = inner;
                }
                if let Type::Shape(name) = ty {
                    assert!(model.shapes.contains_key(name), "{name} is not defined");
                }
            }
        }
    }

    #[test]
    fn a_valid_definition_has_no_problem() {
        let doc = serde_json::json!({
            "family": "web", "networkMode": "awsvpc", "cpu": "256", "memory": "512",
            "requiresCompatibilities": ["FARGATE"],
            "containerDefinitions": [{
                "name": "app", "image": "nginx", "essential": true,
                "portMappings": [{"containerPort": 80, "protocol": "tcp"}],
                "environment": [{"name": "A", "value": "1"}],
                "dockerLabels": {"a": "b"},
                "logConfiguration": {"logDriver": "awslogs", "options": {"awslogs-group": "/ecs/web"}},
                "linuxParameters": {"initProcessEnabled": true, "capabilities": {"add": ["SYS_PTRACE"]}}
            }],
            "enableFaultInjection": false
        });
        assert_eq!(problems(doc), Vec::<String>::new());
    }

    #[test]
    fn problems_name_the_path_and_what_was_expected() {
        let doc = serde_json::json!({
            "family": "web", "networkMode": "awsvcp",
            "containerDefinitions": [
                {"name": "a", "image": "x"},
                {"name": "b", "image": "y", "portMapings": [], "cpu": "256", "dockerLabels": {"k": 1}}
            ],
            "volumes": [{"name": "v", "efsVolumeConfiguration": {}}]
        });
        assert_eq!(
            problems(doc),
            [
                "networkMode: expected one of bridge, host, awsvpc, none, got a string (\"awsvcp\")",
                "containerDefinitions[1].portMapings: unknown field; did you mean portMappings?",
                "containerDefinitions[1].cpu: expected an integer, got a string (\"256\")",
                "containerDefinitions[1].dockerLabels.k: expected a string, got a number (1)",
                "volumes[0].efsVolumeConfiguration.fileSystemId: required field is missing",
            ]
        );
    }

    #[test]
    fn missing_required_fields_and_far_off_names() {
        let doc = serde_json::json!({"containerDefinitions": [{"name": "a"}], "xyzzy": 1});
        assert_eq!(
            problems(doc),
            [
                "containerDefinitions[0].image: required field is missing",
                "xyzzy: unknown field (RegisterTaskDefinition does not accept it)",
                "family: required field is missing",
            ]
        );
    }
}
