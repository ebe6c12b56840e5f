//! The anchor's 39 recorded cases (fixtures/render-taskdef-cases.json), through the real binary
//! and the runner contract. Where this action deliberately differs (listed in its README), the
//! case's expectation is replaced by ours, named in `DIFFERENCES`.

use serde_json::{Value, json};
use test_harness::{ActionRun, Emulator, FaultProxy, unique_name};

const BIN: &str = env!("CARGO_BIN_EXE_render-taskdef");

/// Case name → what this action does instead (`Ok` rendered definition or `Err` message part).
fn difference(name: &str) -> Option<Result<Value, &'static str>> {
    Some(match name {
        // Labels' error names labels, not log options.
        "docker label line without '=' (error message mistakenly says logConfiguration option)" => {
            Err("Can't parse docker label key2. Must be in key=value format, one per line")
        }
        // Split at the first '=', and a logConfiguration needs its logDriver.
        "log options / docker labels with a second '=' keep only the text between 1st and 2nd '=' (upstream quirk)" => {
            Err("containerDefinitions[0].logConfiguration.logDriver: required field is missing")
        }
        // The command is split like a shell: no empty arguments.
        "command replaces existing command; consecutive spaces produce empty args (upstream quirk)" => {
            Ok(json!(null))
        }
        _ => return None,
    })
}

fn run_file_case(case: &Value) -> Result<(), String> {
    let name = case["name"].as_str().unwrap_or("?");
    let workspace = tempfile::tempdir().map_err(|e| e.to_string())?;
    let mut run = ActionRun::new(BIN)
        .map_err(|e| e.to_string())?
        .workspace(workspace.path());
    for (input, value) in case["params"].as_object().into_iter().flatten() {
        let mut value = value.as_str().unwrap_or_default().to_owned();
        if input == "task-definition" {
            // Absolute paths go under the workspace too (tests own no other directory).
            let relative = value.trim_start_matches('/').to_owned();
            if !case["input_taskdef"].is_null() && !value.starts_with("does-not-exist") {
                let file = workspace.path().join(&relative);
                std::fs::create_dir_all(file.parent().expect("parent"))
                    .map_err(|e| e.to_string())?;
                std::fs::write(&file, case["input_taskdef"].to_string())
                    .map_err(|e| e.to_string())?;
            }
            if value.starts_with('/') {
                value = workspace
                    .path()
                    .join(&relative)
                    .to_string_lossy()
                    .into_owned();
            }
        }
        run = run.input(input, &value);
    }
    let result = run.run().map_err(|e| e.to_string())?;
    let expected = match difference(name) {
        Some(Err(message)) => Err(message.to_owned()),
        Some(Ok(_)) => return check_shell_split(name, &result),
        None => match case.get("expect_error").and_then(Value::as_str) {
            Some(message) => Err(message.to_owned()),
            None => Ok(case["expect_taskdef"].clone()),
        },
    };
    match expected {
        Err(message) => {
            if result.code != 1 || !result.errors().iter().any(|e| e.contains(&message)) {
                return Err(format!(
                    "{name}: expected the error {message:?}\n{}",
                    result.log()
                ));
            }
        }
        Ok(definition) => {
            if result.code != 0 {
                return Err(format!("{name}: failed\n{}", result.log()));
            }
            let written = result.output_json("task-definition");
            // Same keys, same values, same order (`Value` equality ignores the order).
            let (ours, anchor) = (
                serde_json::to_string(&written).ok(),
                serde_json::to_string(&definition).ok(),
            );
            if ours != anchor {
                return Err(format!(
                    "{name}:\n ours:   {written}\n anchor: {definition}"
                ));
            }
        }
    }
    Ok(())
}

fn check_shell_split(name: &str, result: &test_harness::ActionResult) -> Result<(), String> {
    if result.code != 0 {
        return Err(format!("{name}: failed\n{}", result.log()));
    }
    let written = result.output_json("task-definition");
    let command = &written["containerDefinitions"][0]["command"];
    if command.as_array().is_none_or(|c| c.iter().any(|a| a == "")) {
        return Err(format!(
            "{name}: the command has empty arguments: {command}"
        ));
    }
    Ok(())
}

fn cases() -> Vec<Value> {
    serde_json::from_str(include_str!("fixtures/render-taskdef-cases.json")).expect("cases parse")
}

#[test]
fn every_file_case_matches_the_anchor_or_a_listed_difference() {
    let cases = cases();
    assert_eq!(cases.len(), 39);
    let file_cases: Vec<&Value> = cases
        .iter()
        .filter(|c| c.get("expect_describe_call").is_none() || c["expect_describe_call"].is_null())
        .collect();
    let failures: Vec<String> = file_cases
        .iter()
        .filter_map(|c| run_file_case(c).err())
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} cases differ:\n{}",
        failures.len(),
        file_cases.len(),
        failures.join("\n\n")
    );
}

/// The describe cases: which DescribeTaskDefinition call a source makes (seen through the fault
/// proxy in front of the emulator), and the fetched definition rendered with its tags.
#[tokio::test]
async fn describe_cases_make_the_anchors_call() {
    let emulator = Emulator::shared();
    let proxy = FaultProxy::start(emulator.addr(), Vec::new()).expect("proxy");
    for case in cases()
        .iter()
        .filter(|c| c["expect_describe_call"].is_object())
    {
        let name = case["name"].as_str().unwrap_or("?");
        let workspace = tempfile::tempdir().expect("tempdir");
        let mut run = ActionRun::new(BIN)
            .expect("runner")
            .workspace(workspace.path())
            .envs(Emulator::aws_env(&proxy.endpoint()))
            // Required inputs are checked before any call here; the anchor checks them after.
            .input("container-name", "web")
            .input("image", "nginx:latest");
        for (input, value) in case["params"].as_object().into_iter().flatten() {
            run = run.input(input, value.as_str().unwrap_or_default());
        }
        let before = proxy.count("DescribeTaskDefinition");
        let _ = run.run().expect("run");
        let calls: Vec<_> = proxy
            .calls()
            .into_iter()
            .filter(|c| c.operation == "DescribeTaskDefinition")
            .collect();
        assert_eq!(
            calls.len(),
            before + 1,
            "{name}: one DescribeTaskDefinition call"
        );
        let body: Value = serde_json::from_str(&calls[before].body).expect("JSON body");
        assert_eq!(body, case["expect_describe_call"], "{name}");
    }
    test_harness::iam::assert_calls_within(&proxy, render_taskdef::IAM_ACTIONS);
}

#[test]
fn the_documented_policy_grants_exactly_what_the_action_calls() {
    test_harness::iam::assert_policy_grants_exactly("render-taskdef", render_taskdef::IAM_ACTIONS);
}

#[tokio::test]
async fn a_fetched_definition_keeps_its_tags_and_loses_read_only_fields() {
    let emulator = Emulator::shared();
    let config = Emulator::sdk_config(emulator.endpoint()).await;
    let family = unique_name("fetched");
    let document = json!({
        "family": family,
        "containerDefinitions": [{"name": "web", "image": "some-other-image", "memory": 256}, {"name": "sidecar", "image": "hello", "memory": 128}],
        "tags": [{"key": "project", "value": "mytaskdef"}],
    });
    let arn = render_taskdef::ecs::register(&aws_sdk_ecs::Client::new(&config), &document)
        .await
        .expect("register");
    let workspace = tempfile::tempdir().expect("tempdir");
    let result = ActionRun::new(BIN)
        .expect("runner")
        .workspace(workspace.path())
        .envs(Emulator::aws_env(emulator.endpoint()))
        .input("task-definition-arn", &arn)
        .input("container-name", "web")
        .input("image", "nginx:latest")
        .run()
        .expect("run");
    result.assert_success();
    let written = result.output_json("task-definition");
    assert_eq!(written["containerDefinitions"][0]["image"], "nginx:latest");
    assert_eq!(written["containerDefinitions"][1]["image"], "hello");
    assert_eq!(
        written["tags"],
        json!([{"key": "project", "value": "mytaskdef"}])
    );
    for read_only in render_taskdef::document::READ_ONLY_FIELDS {
        assert!(
            written.get(read_only).is_none(),
            "{read_only} must be removed"
        );
    }
    assert!(result.stdout.contains("Removed fields ECS does not accept on registration: compatibilities, taskDefinitionArn, revision, status"), "{}", result.stdout);
}
