//! Bad inputs, each one named error with exit code 1 and nothing written; and the features
//! beyond the anchor: several containers, digest pinning, the live family as the source.

use serde_json::{Value, json};
use test_harness::{ActionRun, Emulator, FaultProxy, aws_fixtures, unique_name};

const BIN: &str = env!("CARGO_BIN_EXE_render-taskdef");

fn base_definition() -> Value {
    json!({
        "family": "web", "networkMode": "awsvpc", "requiresCompatibilities": ["FARGATE"],
        "cpu": "256", "memory": "512",
        "containerDefinitions": [
            {"name": "app", "image": "old", "essential": true,
             "environment": [{"name": "MODE", "value": "prod"}],
             "logConfiguration": {"logDriver": "awslogs", "options": {"awslogs-group": "/ecs/web", "awslogs-region": "us-east-1", "awslogs-stream-prefix": "app"}}},
            {"name": "sidecar", "image": "envoy", "essential": false}
        ]
    })
}

/// A run on a workspace holding `definition` as td.json.
fn run_with(definition: &str) -> (tempfile::TempDir, ActionRun) {
    let workspace = tempfile::tempdir().expect("tempdir");
    std::fs::write(workspace.path().join("td.json"), definition).expect("write");
    let run = ActionRun::new(BIN)
        .expect("runner")
        .workspace(workspace.path())
        .input("task-definition", "td.json")
        .input("container-name", "app")
        .input("image", "nginx:1.27");
    (workspace, run)
}

fn modified(change: impl Fn(&mut Value)) -> String {
    let mut definition = base_definition();
    change(&mut definition);
    definition.to_string()
}

/// What is tried, the definition file, the inputs changed, and the error expected.
type BadInput = (
    &'static str,
    String,
    Vec<(&'static str, &'static str)>,
    &'static str,
);

#[test]
fn bad_inputs_are_named_errors_and_write_nothing() {
    let base = base_definition().to_string();
    let cases: Vec<BadInput> = vec![
        (
            "invalid JSON",
            "{\n  \"family\": \"web\",\n}".into(),
            vec![],
            "is not valid JSON: trailing comma at line 3, column 1",
        ),
        (
            "unknown container",
            base.clone(),
            vec![("container-name", "api")],
            "Could not find container definition with matching name 'api' (the definition has: app, sidecar)",
        ),
        (
            "unknown field",
            modified(|d| d["containerDefinitions"][0]["portMapings"] = json!([])),
            vec![],
            "containerDefinitions[0].portMapings: unknown field; did you mean portMappings?",
        ),
        (
            "wrong type",
            modified(|d| d["containerDefinitions"][0]["memory"] = json!("512")),
            vec![],
            "containerDefinitions[0].memory: expected an integer, got a string (\"512\")",
        ),
        (
            "malformed env line",
            base.clone(),
            vec![("environment-variables", "A=1\nNOVALUE")],
            "Cannot parse the environment variable 'NOVALUE'",
        ),
        (
            "malformed log option",
            base.clone(),
            vec![("log-configuration-options", "justkey")],
            "Can't parse logConfiguration option justkey",
        ),
        (
            "bad log driver",
            base.clone(),
            vec![("log-configuration-log-driver", "cloudwatch")],
            "'cloudwatch' is invalid logConfigurationLogDriver",
        ),
        (
            "bad role ARN",
            base.clone(),
            vec![("execution-role-arn", "arn:aws:iam::123:role/x")],
            "Invalid ARN format for execution-role-arn",
        ),
        (
            "bad enum",
            modified(|d| d["networkMode"] = json!("awsvcp")),
            vec![],
            "networkMode: expected one of bridge, host, awsvpc, none",
        ),
        (
            "missing file",
            base.clone(),
            vec![("task-definition", "nope.json")],
            "Task definition file does not exist: nope.json",
        ),
        (
            "Fargate size",
            modified(|d| d["memory"] = json!("8192")),
            vec![],
            "memory: Fargate does not run 256 cpu units with 8192 MiB",
        ),
        (
            "awslogs without group",
            base.clone(),
            vec![("log-configuration-options", "awslogs-group=")],
            "the awslogs log driver needs the option awslogs-group",
        ),
        (
            "duplicate containers",
            modified(|d| d["containerDefinitions"][1]["name"] = json!("app")),
            vec![],
            "duplicate container name 'app'",
        ),
        (
            "no essential container",
            modified(|d| d["containerDefinitions"][0]["essential"] = json!(false)),
            vec![],
            "no essential container",
        ),
        (
            "plain and secret",
            base.clone(),
            vec![("secrets", "MODE=/prod/mode")],
            "'MODE' is both a plain variable and a secret",
        ),
        (
            "bad secret reference",
            base.clone(),
            vec![("secrets", "TOKEN=https://vault.example/token")],
            "'https://vault.example/token' is neither an SSM parameter",
        ),
        (
            "unbalanced command",
            base.clone(),
            vec![("command", "sh -c 'echo")],
            "input 'command': unbalanced quotes",
        ),
        (
            "container list",
            base.clone(),
            vec![("container-name", "app,")],
            "Invalid format for container name",
        ),
        (
            "bad containers line",
            base.clone(),
            vec![("containers", "sidecar")],
            "input 'containers': cannot parse 'sidecar': expected name=image",
        ),
        (
            "revision alone",
            base.clone(),
            vec![("task-definition", ""), ("task-definition-revision", "3")],
            "You can't fetch task definition with just revision",
        ),
        (
            "bad revision",
            base.clone(),
            vec![
                ("task-definition", ""),
                ("task-definition-family", "web"),
                ("task-definition-revision", "latest"),
            ],
            "input 'task-definition-revision': expected a positive whole number",
        ),
    ];
    assert!(cases.len() >= 15);
    for (what, definition, inputs, expected) in cases {
        let (workspace, mut run) = run_with(&definition);
        for (input, value) in inputs {
            run = run.input(input, value);
        }
        let result = run.run().expect("run");
        let errors = result.assert_failure();
        assert!(errors[0].contains(expected), "{what}: {errors:?}");
        assert!(result.outputs.is_empty(), "{what}: no output on failure");
        assert!(
            !workspace.path().join(".task-definitions").exists(),
            "{what}: nothing written"
        );
    }
}

#[test]
fn several_containers_each_get_their_image() {
    let (_workspace, run) = run_with(&base_definition().to_string());
    let result = run
        .input("container-name", "")
        .input("image", "")
        .input(
            "containers",
            "app=registry/app:abc\nsidecar = registry/envoy:1.30",
        )
        .input("command", "gunicorn --bind '0.0.0.0:80' app:main")
        .run()
        .expect("run");
    result.assert_success();
    let written = result.output_json("task-definition");
    assert_eq!(
        written["containerDefinitions"][0]["image"],
        "registry/app:abc"
    );
    assert_eq!(
        written["containerDefinitions"][1]["image"],
        "registry/envoy:1.30"
    );
    assert_eq!(
        written["containerDefinitions"][0]["command"],
        json!(["gunicorn", "--bind", "0.0.0.0:80", "app:main"])
    );
    assert!(
        result
            .summary
            .contains("| `sidecar` | `registry/envoy:1.30` |"),
        "{}",
        result.summary
    );
    assert!(
        result
            .stdout
            .contains("::group::Rendered task definition .task-definitions/web-"),
        "{}",
        result.stdout
    );
}

#[tokio::test]
async fn live_family_with_the_image_pinned_by_digest() {
    let emulator = Emulator::shared();
    let config = Emulator::sdk_config(emulator.endpoint()).await;
    let repository = unique_name("api");
    let digest = aws_fixtures::push_synthetic_image(&config, &repository, "abc123", &repository)
        .await
        .expect("image");
    let family = unique_name("live");
    let mut live = base_definition();
    live["family"] = json!(family);
    live["containerDefinitions"][0]["memory"] = json!(512);
    let ecs = aws_sdk_ecs::Client::new(&config);
    render_taskdef::ecs::register(&ecs, &live)
        .await
        .expect("revision 1");
    // Infrastructure changes the live definition: the render must start from revision 2.
    live["containerDefinitions"][0]["environment"] =
        json!([{"name": "MODE", "value": "prod"}, {"name": "FROM_INFRA", "value": "yes"}]);
    render_taskdef::ecs::register(&ecs, &live)
        .await
        .expect("revision 2");

    let proxy = FaultProxy::start(emulator.addr(), Vec::new()).expect("proxy");
    let image = format!("123456789012.dkr.ecr.us-east-1.amazonaws.com/{repository}:abc123");
    let workspace = tempfile::tempdir().expect("tempdir");
    let result = ActionRun::new(BIN)
        .expect("runner")
        .workspace(workspace.path())
        .envs(Emulator::aws_env(&proxy.endpoint()))
        .input("task-definition-family", &family)
        .input("container-name", "app")
        .input("image", &image)
        .input("pin-image-digest", "true")
        .run()
        .expect("run");
    result.assert_success();
    let written = result.output_json("task-definition");
    assert_eq!(
        written["containerDefinitions"][0]["image"],
        format!("123456789012.dkr.ecr.us-east-1.amazonaws.com/{repository}@{digest}")
    );
    assert_eq!(
        written["containerDefinitions"][0]["environment"][1]["name"],
        "FROM_INFRA"
    );
    assert_eq!(
        result.output("image-digests"),
        json!({"app": digest}).to_string()
    );
    let operations: Vec<String> = proxy.calls().into_iter().map(|c| c.operation).collect();
    assert_eq!(operations, ["DescribeTaskDefinition", "DescribeImages"]);

    let missing = ActionRun::new(BIN)
        .expect("runner")
        .workspace(workspace.path())
        .envs(Emulator::aws_env(emulator.endpoint()))
        .input("task-definition-family", &family)
        .input("container-name", "app")
        .input("image", &image.replace("abc123", "nope"))
        .input("pin-image-digest", "true")
        .run()
        .expect("run");
    let errors = missing.assert_failure();
    assert!(
        errors[0].contains(&format!(
            "image tag 'nope' does not exist in ECR repository '{repository}'"
        )),
        "{errors:?}"
    );

    let no_family = ActionRun::new(BIN)
        .expect("runner")
        .workspace(workspace.path())
        .envs(Emulator::aws_env(emulator.endpoint()))
        .input("task-definition-family", "no-such-family")
        .input("container-name", "app")
        .input("image", "x")
        .run()
        .expect("run");
    let errors = no_family.assert_failure();
    assert!(
        errors[0].contains("task definition 'no-such-family' was not found in ECS"),
        "{errors:?}"
    );
}

#[test]
fn manifest_matches_the_code() {
    let manifest = test_harness::workspace_root().join("actions/render-taskdef/action.yml");
    test_harness::check_manifest(&render_taskdef::SPEC, &manifest)
        .expect("action.yml matches the code");
}
