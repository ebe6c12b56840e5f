//! Real task definitions from public repositories (fixtures/taskdefs, see SOURCES.md): each
//! renders, or fails with a named error when ECS would refuse it as written; each rendered one
//! registers with the emulator through the SDK, and DescribeTaskDefinition gives back every
//! field it had, compared field by field.

use serde_json::Value;
use test_harness::{ActionRun, Emulator, unique_name};

const BIN: &str = env!("CARGO_BIN_EXE_render-taskdef");

/// Files that ECS refuses as written, and the problem named.
const REFUSED: [(&str, &str); 2] = [
    (
        "04-fargate-nulls-string-port.json",
        "containerDefinitions[0].portMappings[0].containerPort: expected an integer, got a string (\"3000\")",
    ),
    (
        "06-fargate-minimal-string-port.json",
        "containerDefinitions[0].portMappings[0].containerPort: expected an integer, got a string (\"80\")",
    ),
];

/// Every field of `expected` is in `actual` with the same value (`actual` may hold more:
/// defaults ECS fills in). Returns the paths that differ.
fn missing_fields(expected: &Value, actual: &Value, path: &str, out: &mut Vec<String>) {
    match (expected, actual) {
        (Value::Object(e), Value::Object(a)) => {
            for (key, value) in e {
                let sub = format!("{path}.{key}");
                match a.get(key) {
                    Some(found) => missing_fields(value, found, &sub, out),
                    None => out.push(format!("{sub} is missing")),
                }
            }
        }
        (Value::Array(e), Value::Array(a)) if e.len() == a.len() => {
            for (i, (x, y)) in e.iter().zip(a).enumerate() {
                missing_fields(x, y, &format!("{path}[{i}]"), out);
            }
        }
        (e, a) if e == a => {}
        (e, a) => out.push(format!("{path}: sent {e}, got back {a}")),
    }
}

#[tokio::test]
async fn every_corpus_definition_renders_registers_and_round_trips() {
    let emulator = Emulator::shared();
    let ecs = aws_sdk_ecs::Client::new(&Emulator::sdk_config(emulator.endpoint()).await);
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/taskdefs");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("corpus")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    files.retain(|p| p.extension().is_some_and(|e| e == "json"));
    files.sort();
    assert_eq!(files.len(), 16);
    let mut failures = Vec::new();
    for file in &files {
        let name = file
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_owned();
        let source: Value =
            serde_json::from_str(&std::fs::read_to_string(file).expect("read")).expect("json");
        let definition = source.get("taskDefinition").unwrap_or(&source);
        let container = definition["containerDefinitions"][0]["name"]
            .as_str()
            .expect("a container");
        let workspace = tempfile::tempdir().expect("tempdir");
        std::fs::copy(file, workspace.path().join("td.json")).expect("copy");
        let result = ActionRun::new(BIN)
            .expect("runner")
            .workspace(workspace.path())
            .input("task-definition", "td.json")
            .input("container-name", container)
            .input("image", "public.ecr.aws/nginx/nginx:1.27")
            .run()
            .expect("run");
        if let Some((_, problem)) = REFUSED.iter().find(|(f, _)| *f == name) {
            if result.code != 1 || !result.errors().iter().any(|e| e.contains(problem)) {
                failures.push(format!(
                    "{name}: expected the error {problem}\n{}",
                    result.log()
                ));
            }
            continue;
        }
        if result.code != 0 {
            failures.push(format!("{name}: failed\n{}", result.log()));
            continue;
        }
        let mut rendered = result.output_json("task-definition");
        // One family per run, so revisions of earlier runs do not interfere.
        rendered["family"] = Value::String(unique_name("corpus"));
        let arn = match render_taskdef::ecs::register(&ecs, &rendered).await {
            Ok(arn) => arn,
            Err(error) => {
                failures.push(format!("{name}: registration failed: {error:#}"));
                continue;
            }
        };
        let described = render_taskdef::ecs::describe(&ecs, &arn)
            .await
            .expect("describe");
        let mut expected = rendered.clone();
        let tags = expected
            .as_object_mut()
            .and_then(|m| m.shift_remove("tags"));
        let mut differences = Vec::new();
        missing_fields(
            &expected,
            &described["taskDefinition"],
            "",
            &mut differences,
        );
        if let Some(tags) = tags {
            missing_fields(&tags, &described["tags"], ".tags", &mut differences);
        }
        if !differences.is_empty() {
            failures.push(format!("{name}: {}", differences.join("; ")));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of 16 corpus files:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
