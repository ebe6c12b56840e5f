//! Property tests: no input makes the parser, the model check, the checks or the edits panic.
//! Generated JSON leans on the model's own field names, so the checks go deep.

use proptest::prelude::*;
use render_taskdef::{checks, document, edits, model::Model};
use serde_json::{Map, Value};

const NAMES: [&str; 14] = [
    "family",
    "containerDefinitions",
    "name",
    "image",
    "cpu",
    "memory",
    "essential",
    "logConfiguration",
    "logDriver",
    "options",
    "secrets",
    "valueFrom",
    "requiresCompatibilities",
    "environment",
];

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(|f| serde_json::Number::from_f64(f)
            .map(Value::Number)
            .unwrap_or(Value::Null)),
        prop_oneof![
            Just("FARGATE".to_owned()),
            Just("awslogs".to_owned()),
            ".{0,12}"
        ]
        .prop_map(Value::String),
    ];
    leaf.prop_recursive(5, 64, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::vec((prop::sample::select(&NAMES[..]), inner), 0..6).prop_map(
                |entries| {
                    Value::Object(
                        entries
                            .into_iter()
                            .map(|(k, v)| (k.to_owned(), v))
                            .collect::<Map<_, _>>(),
                    )
                }
            ),
        ]
    })
}

proptest! {
    // 2,000 cases a run; PROPTEST_CASES sets more for a long run.
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(2000),
        ..ProptestConfig::default()
    })]

    #[test]
    fn no_document_panics(value in json_value()) {
        let model = Model::get().expect("model");
        let _ = model.validate(&value);
        let _ = checks::check(&value);
        if let Ok(loaded) = document::prepare(value, None) {
            let mut doc = loaded.document;
            let edit = edits::Edits {
                images: vec![("name".into(), "image".into())],
                environment: vec![("A".into(), "1".into())],
                secrets: vec![("S".into(), "x".into())],
                log_options: vec![("k".into(), "v".into())],
                docker_labels: vec![("l".into(), "v".into())],
                ..edits::Edits::default()
            };
            let _ = edit.apply(&mut doc);
            let _ = model.validate(&doc);
            let _ = checks::check(&doc);
        }
    }

    #[test]
    fn no_text_panics(text in "\\PC{0,200}") {
        let _ = document::parse_file(&text, "td.json");
        let _ = edits::parse_command(&text);
        let _ = edits::parse_container_names(&text);
        let _ = edits::check_role_arn("task-role-arn", &text);
        let lines: Vec<String> = text.lines().map(str::to_owned).collect();
        let _ = edits::parse_pairs(&lines, |l| l.to_owned());
    }
}
