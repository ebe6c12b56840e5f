//! Every case recorded from dorny/paths-filter v3 (tests/fixtures/paths-filter-cases.json), run
//! through our binary on a real git repository built as the case describes.

mod common;

use common::{Change, Scenario, ZEROS};
use serde_json::Value;

fn text_map(value: &Value) -> Vec<(String, String)> {
    value
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
                .collect()
        })
        .unwrap_or_default()
}

fn run_case(case: &Value) -> Result<(), String> {
    let name = case["name"].as_str().unwrap_or("?");
    let base_files = text_map(&case["base"]["write"]);
    let base_files: Vec<(&str, &str)> = base_files
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let scenario = Scenario::new(&base_files);
    let before = scenario.clone.head().expect("head");
    let branch = case["branch"].as_str().unwrap_or("main");
    if branch != "main" {
        scenario
            .clone
            .git(&["checkout", "--quiet", "-b", branch])
            .expect("branch");
    }
    for commit in case["commits"].as_array().into_iter().flatten() {
        let writes = text_map(&commit["write"]);
        let deletes: Vec<&str> = commit["delete"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        let renames: Vec<(&str, &str)> = commit["rename"]
            .as_object()
            .map(|m| {
                m.iter()
                    .filter_map(|(k, v)| Some((k.as_str(), v.as_str()?)))
                    .collect()
            })
            .unwrap_or_default();
        scenario.commit(&Change {
            write: writes
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect(),
            delete: deletes,
            rename: renames,
        });
    }
    scenario.push(branch);
    let before = if case["new_branch"].as_bool() == Some(true) {
        ZEROS.to_owned()
    } else {
        before
    };
    let filters = case["filters"].as_str().unwrap_or_default();
    let event = case["event"].as_str().unwrap_or("push");
    let mut run = if event == "push" {
        scenario.push_run(branch, &before, filters)
    } else {
        let payload = serde_json::json!({"repository": {"default_branch": "main"}, "ref": format!("refs/heads/{branch}")});
        scenario.run(event, &payload, branch, filters)
    };
    for (input, value) in text_map(&case["inputs"]) {
        run = run.input(&input, &value);
    }
    let result = run.run().expect("run");
    let expected_code = case["expect"]["exit_code"].as_i64().unwrap_or(0) as i32;
    if result.code != expected_code {
        return Err(format!(
            "{name}: exit code {} instead of {expected_code}\n{}",
            result.code,
            result.log()
        ));
    }
    if expected_code != 0 && result.errors().len() != 1 {
        return Err(format!(
            "{name}: expected one ::error:: line\n{}",
            result.log()
        ));
    }
    for (key, value) in text_map(&case["expect"]["outputs"]) {
        match result.outputs.get(&key) {
            Some(ours) if *ours == value => {}
            ours => {
                return Err(format!(
                    "{name}: output {key} = {ours:?}, dorny wrote {value:?}\n{}",
                    result.log()
                ));
            }
        }
    }
    Ok(())
}

#[test]
fn every_recorded_dorny_case_gives_the_same_outputs() {
    let cases: Vec<Value> = serde_json::from_str(include_str!("fixtures/paths-filter-cases.json"))
        .expect("cases parse");
    assert_eq!(cases.len(), 22, "the fixture holds 22 cases");
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|case| run_case(case).err())
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} cases differ:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n\n")
    );
}
