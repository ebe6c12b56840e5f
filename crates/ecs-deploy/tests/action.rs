//! The `ecs-deploy` binary through the runner contract, against the emulator.
//!
//! The emulator registers task definitions and updates services, but creates no new deployment
//! on UpdateService and moves no rollout by itself; the rollout paths (COMPLETED, FAILED, ECS's
//! own rollback) are tested with scripted ECS answers in `src/deploy.rs`. Here: registration,
//! the update, the previous revision, deploying an existing ARN, bad inputs before any call,
//! and, driven by that emulator limitation, the automatic rollback's calls.

use serde_json::json;
use test_harness::{ActionRun, Emulator, FaultProxy, StubResponse, StubServer};

mod common;

const BIN: &str = env!("CARGO_BIN_EXE_ecs-deploy");

struct Setup {
    cluster: String,
    family: String,
    old_arn: String,
    workspace: tempfile::TempDir,
}

/// A cluster with service `api` on revision 1 of a new family, and revision 2's file in a
/// workspace as `td.json`.
async fn setup(endpoint: &str) -> Setup {
    let common::ApiService {
        cluster,
        family,
        arn: old_arn,
    } = common::api_service(endpoint, 1).await;
    let workspace = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        workspace.path().join("td.json"),
        common::definition(&family, "api:2").to_string(),
    )
    .expect("file");
    Setup {
        cluster,
        family,
        old_arn,
        workspace,
    }
}

fn action(endpoint: &str, setup: &Setup) -> ActionRun {
    ActionRun::new(BIN)
        .expect("runner")
        .workspace(setup.workspace.path())
        .envs(Emulator::aws_env(endpoint))
        .input("task-definition", "td.json")
        .input("cluster", &setup.cluster)
}

async fn service_task_definition(endpoint: &str, cluster: &str) -> String {
    let ecs = aws_sdk_ecs::Client::new(&Emulator::sdk_config(endpoint).await);
    let answer = ecs
        .describe_services()
        .cluster(cluster)
        .services("api")
        .send()
        .await
        .expect("describe");
    answer.services()[0]
        .task_definition()
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test]
async fn registers_and_updates_the_service_recording_the_previous_revision() {
    let emulator = Emulator::shared();
    let setup = setup(emulator.endpoint()).await;
    let result = action(emulator.endpoint(), &setup)
        .input("service", "api")
        .run()
        .expect("run");
    result.assert_success();
    let new_arn = result.output("task-definition-arn").to_owned();
    assert!(
        new_arn.ends_with(&format!("task-definition/{}:2", setup.family)),
        "{new_arn}"
    );
    assert_eq!(result.output("previous-task-definition-arn"), setup.old_arn);
    assert_eq!(result.output("rolled-back"), "false");
    assert_eq!(
        service_task_definition(emulator.endpoint(), &setup.cluster).await,
        new_arn
    );
    assert!(result.summary.contains("| api | "), "{}", result.summary);
    assert!(
        result
            .summary
            .contains(&format!("{}:1 → {}:2", setup.family, setup.family)),
        "{}",
        result.summary
    );
}

#[tokio::test]
async fn registers_only_without_a_service_and_deploys_an_arn_without_registering() {
    let emulator = Emulator::shared();
    let setup = setup(emulator.endpoint()).await;
    let registered = action(emulator.endpoint(), &setup).run().expect("run");
    registered.assert_success();
    assert!(registered.output("task-definition-arn").ends_with(":2"));

    let proxy = FaultProxy::start(emulator.addr(), Vec::new()).expect("proxy");
    let by_arn = action(&proxy.endpoint(), &setup)
        .input("task-definition", &setup.old_arn)
        .input("service", "api")
        .run()
        .expect("run");
    by_arn.assert_success();
    assert_eq!(
        proxy.count("RegisterTaskDefinition"),
        0,
        "an ARN is deployed as it is"
    );
    assert_eq!(proxy.count("UpdateService"), 1);
}

#[tokio::test]
async fn the_rollback_puts_the_previous_revision_back() {
    // The emulator keeps the service's deployment on the old revision after UpdateService (it
    // creates no new deployment): the waiter sees no deployment of the new revision, the
    // action treats the rollout as failed and rolls back. Only the calls are real here.
    let emulator =
        Emulator::start_with_env(&[("MOTO_ECS_SERVICE_RUNNING", "1")]).expect("emulator");
    let setup = setup(emulator.endpoint()).await;
    let proxy = FaultProxy::start(emulator.addr(), Vec::new()).expect("proxy");
    let result = action(&proxy.endpoint(), &setup)
        .input("service", "api")
        .input("wait-for-service-stability", "true")
        .input("wait-for-minutes", "1")
        .run()
        .expect("run");
    let errors = result.assert_failure();
    assert!(
        errors[0].contains(&format!(
            "deploying {}:2 to service api failed",
            setup.family
        )) && errors[0].contains(&format!(
            "rolled back to {}:1: it is stable again",
            setup.family
        )),
        "{errors:?}"
    );
    assert_eq!(result.output("rolled-back"), "true");
    assert_eq!(
        service_task_definition(emulator.endpoint(), &setup.cluster).await,
        setup.old_arn
    );
    assert_calls_allowed(
        &proxy,
        &[
            "ecs:DescribeServices",
            "ecs:RegisterTaskDefinition",
            "ecs:UpdateService",
        ],
    );
}

/// The calls made through `proxy` are `expected`, and the documented policy allows them.
fn assert_calls_allowed(proxy: &FaultProxy, expected: &[&str]) {
    assert_eq!(test_harness::iam::calls_made(proxy), expected);
    test_harness::iam::assert_calls_within(proxy, ecs_deploy::IAM_ACTIONS);
}

#[test]
fn the_documented_policy_grants_exactly_what_the_action_calls() {
    test_harness::iam::assert_policy_grants_exactly("ecs-deploy", ecs_deploy::IAM_ACTIONS);
}

#[tokio::test]
async fn bad_inputs_fail_before_any_change() {
    let emulator = Emulator::shared();
    let setup = setup(emulator.endpoint()).await;
    let proxy = FaultProxy::start(emulator.addr(), Vec::new()).expect("proxy");
    std::fs::write(setup.workspace.path().join("typo.json"), json!({"family": "x", "containerDefinitions": [{"name": "a", "image": "b", "portMapings": []}]}).to_string()).expect("file");
    std::fs::write(setup.workspace.path().join("broken.json"), "{").expect("file");
    std::fs::write(
        setup.workspace.path().join("no-resources.yaml"),
        "version: 0.0\n",
    )
    .expect("file");
    let cases = [
        (
            vec![("task-definition", "nope.json")],
            "input 'task-definition': the file nope.json does not exist",
        ),
        (
            vec![("task-definition", "typo.json")],
            "containerDefinitions[0].portMapings: unknown field; did you mean portMappings?",
        ),
        (
            vec![("task-definition", "broken.json")],
            "is not valid JSON",
        ),
        (
            vec![("smoke-checks", "GET https://x/healthz 200")],
            "input 'smoke-checks' needs a 'service' and 'wait-for-service-stability: true'",
        ),
        (
            vec![
                ("service", "api"),
                ("wait-for-service-stability", "true"),
                ("smoke-checks", "GET https://x/healthz"),
            ],
            "input 'smoke-checks': line 1: expected 'METHOD URL STATUS [text]'",
        ),
        (
            vec![("wait-for-minutes", "0")],
            "input 'wait-for-minutes': expected 1 to 360 minutes",
        ),
        (
            vec![("wait-for-minutes", "soon")],
            "input 'wait-for-minutes': expected a non-negative whole number",
        ),
        (
            vec![("propagate-tags", "ALL")],
            "input 'propagate-tags': expected one of SERVICE, TASK_DEFINITION, NONE",
        ),
        (
            vec![("desired-count", "-1")],
            "input 'desired-count': expected a non-negative whole number",
        ),
        (
            vec![("wait-for-service-stability", "yes")],
            "input 'wait-for-service-stability': expected true or false",
        ),
        (
            vec![("rollback", "maybe")],
            "input 'rollback': expected true or false",
        ),
        (vec![("service", "missing")], "service 'missing' in cluster"),
        (
            vec![("service", "api"), ("cluster", "no-such-cluster")],
            "ECS cluster 'no-such-cluster' does not exist",
        ),
        (
            vec![("task-definition", "")],
            "input 'task-definition' is required",
        ),
        (
            vec![("pre-deploy-command", "alembic upgrade head")],
            "input 'run-task-subnets' is required for the one-off task",
        ),
        (
            vec![("pre-deploy-command", "migrate 'now")],
            "input 'pre-deploy-command': unbalanced quotes",
        ),
        (
            vec![
                ("pre-deploy-command", "migrate"),
                ("pre-deploy-container", "worker"),
                ("run-task-subnets", "subnet-1"),
            ],
            "input 'pre-deploy-container': the task definition has no container 'worker' (it has: api)",
        ),
        (
            vec![
                ("run-task", "true"),
                ("run-task-subnets", "subnet-1"),
                (
                    "run-task-container-overrides",
                    r#"[{"name": "api", "comand": []}]"#,
                ),
            ],
            "input 'run-task-container-overrides': expected a JSON array: unknown field `comand`",
        ),
        (
            vec![
                ("run-task", "true"),
                ("run-task-subnets", "subnet-1"),
                ("run-task-container-overrides", r#"[{"name": "web"}]"#),
            ],
            "input 'run-task-container-overrides': the task definition has no container 'web'",
        ),
        (
            vec![
                ("run-task", "true"),
                ("run-task-capacity-provider-strategy", "FARGATE_SPOT"),
            ],
            "input 'run-task-capacity-provider-strategy': expected a JSON array",
        ),
        (
            vec![("run-task", "true"), ("run-task-launch-type", "LAMBDA")],
            "input 'run-task-launch-type': expected one of FARGATE, EC2, EXTERNAL",
        ),
        (
            vec![("service", "api"), ("deregistration-delay-seconds", "4000")],
            "input 'deregistration-delay-seconds': expected 0 to 3600 seconds",
        ),
        (
            vec![("task-definition", ""), ("services", "api")],
            "input 'services': line 1: expected '[cluster/]service=task-definition', got 'api'",
        ),
        (
            vec![
                ("task-definition", ""),
                ("services", "api=td.json"),
                ("service", "api"),
            ],
            "input 'service' cannot be combined with 'services'",
        ),
        (
            vec![("task-definition", ""), ("services", "api=nope.json")],
            "input 'services': the file nope.json does not exist",
        ),
        (
            vec![("all-or-nothing", "true")],
            "input 'all-or-nothing' needs 'services'",
        ),
        (
            vec![("service", "api"), ("deployment-strategy", "blue-green")],
            "input 'deployment-strategy': expected one of ROLLING, BLUE_GREEN, LINEAR, CANARY",
        ),
        (
            vec![
                ("service", "api"),
                ("codedeploy-appspec", "no-resources.yaml"),
            ],
            "input 'codedeploy-appspec': no-resources.yaml has no 'Resources' list",
        ),
        (
            vec![("role-to-assume", "deployer")],
            "input 'role-to-assume': expected an IAM role ARN",
        ),
    ];
    for (inputs, expected) in cases {
        let mut run = action(&proxy.endpoint(), &setup);
        for (input, value) in &inputs {
            run = run.input(input, value);
        }
        let result = run.run().expect("run");
        let errors = result.assert_failure();
        assert!(errors[0].contains(expected), "{inputs:?}: {errors:?}");
    }
    let mutating: Vec<String> = proxy
        .calls()
        .into_iter()
        .map(|c| c.operation)
        .filter(|op| op != "DescribeServices")
        .collect();
    assert!(mutating.is_empty(), "no change on bad input: {mutating:?}");
}

#[test]
fn smoke_checks_retry_until_the_deadline() {
    let healthy = StubServer::start(|r| match r.path() {
        "/healthz" => StubResponse::text(200, "ok"),
        "/api/v1/experts" => StubResponse::text(401, "unauthorized"),
        _ => StubResponse::text(500, "boom"),
    })
    .expect("stub");
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let runner = ecs_deploy::smoke_http::HttpSmoke::new().expect("client");
    let checks = ecs_deploy::smoke::parse_checks(&[
        format!("GET {}/healthz 200 ok", healthy.url()),
        format!("GET {}/api/v1/experts 401", healthy.url()),
    ])
    .expect("checks");
    use ecs_deploy::smoke_http::SmokeRunner as _;
    assert_eq!(
        runtime.block_on(runner.run(&checks, std::time::Duration::from_secs(5))),
        None
    );
    let failing = ecs_deploy::smoke::parse_checks(&[format!("GET {}/broken 200", healthy.url())])
        .expect("checks");
    let started = std::time::Instant::now();
    let failure = runtime.block_on(runner.run(&failing, std::time::Duration::from_secs(3)));
    assert_eq!(
        failure,
        Some(format!(
            "GET {}/broken: status 500, expected 200",
            healthy.url()
        ))
    );
    assert!(
        started.elapsed() < std::time::Duration::from_secs(4),
        "the deadline holds"
    );
    assert!(
        healthy
            .requests()
            .iter()
            .filter(|r| r.path() == "/broken")
            .count()
            >= 2,
        "retried"
    );
}

#[test]
fn manifest_matches_the_code() {
    let manifest = test_harness::workspace_root().join("actions/ecs-deploy/action.yml");
    test_harness::check_manifest(&ecs_deploy::SPEC, &manifest)
        .expect("action.yml matches the code");
}

#[tokio::test]
async fn a_migration_runs_before_the_update() {
    // The emulator runs no container and reports exit code 0 for every task it stops; it is
    // told to stop tasks at once (its state manager), so the action's polling ends on its first
    // look. Non-zero exits and stopped reasons are tested with scripted answers.
    let emulator = Emulator::start().expect("emulator");
    test_harness::aws_fixtures::stop_tasks_at_once(emulator.endpoint())
        .await
        .expect("transition");
    let subnet = test_harness::aws_fixtures::default_subnet(emulator.endpoint())
        .await
        .expect("subnet");
    let setup = setup(emulator.endpoint()).await;
    let proxy = FaultProxy::start(emulator.addr(), Vec::new()).expect("proxy");
    let result = action(&proxy.endpoint(), &setup)
        .input("service", "api")
        .input("pre-deploy-command", "alembic upgrade head")
        .input("run-task-subnets", &subnet)
        .run()
        .expect("run");
    result.assert_success();
    let arns = result.output_as_json("run-task-arn");
    assert!(
        arns[0].as_str().unwrap_or_default().contains(":task/"),
        "{}",
        result.log()
    );
    assert_eq!(result.output("run-task-exit-code"), "0");
    let calls: Vec<String> = proxy.calls().into_iter().map(|c| c.operation).collect();
    let run_task = calls.iter().position(|c| c == "RunTask").expect("RunTask");
    let update = calls
        .iter()
        .position(|c| c == "UpdateService")
        .expect("UpdateService");
    assert!(
        run_task < update,
        "the migration runs before the update: {calls:?}"
    );
    let request = proxy.first_json_body("RunTask").expect("RunTask");
    assert_eq!(
        request["overrides"]["containerOverrides"][0]["command"],
        json!(["alembic", "upgrade", "head"])
    );
    assert!(
        request["taskDefinition"]
            .as_str()
            .unwrap_or_default()
            .ends_with(":2"),
        "{request}"
    );
    assert_calls_allowed(
        &proxy,
        &[
            "ecs:DescribeServices",
            "ecs:DescribeTasks",
            "ecs:RegisterTaskDefinition",
            "ecs:RunTask",
            "ecs:UpdateService",
        ],
    );

    // The anchor's run-task: its overrides, tags and capacity provider strategy are sent as
    // given, the launch type is not, and without wait-for-task-stopped nothing waits.
    let proxy = FaultProxy::start(emulator.addr(), Vec::new()).expect("proxy");
    let result = action(&proxy.endpoint(), &setup)
        .input("run-task", "true")
        .input(
            "run-task-container-overrides",
            r#"[{"name": "api", "command": ["seed", "--demo"], "environment": [{"name": "MODE", "value": "seed"}]}]"#,
        )
        .input(
            "run-task-capacity-provider-strategy",
            r#"[{"capacityProvider": "FARGATE", "weight": 1}]"#,
        )
        .input("run-task-tags", r#"[{"key": "purpose", "value": "seed"}]"#)
        .input("run-task-subnets", &subnet)
        .run()
        .expect("run");
    result.assert_success();
    let arns = result.output_as_json("run-task-arn");
    assert_eq!(arns.as_array().map(Vec::len), Some(1));
    assert!(!result.outputs.contains_key("run-task-exit-code"));
    assert_eq!(proxy.count("DescribeTasks"), 0, "not waited for");
    let request = proxy.first_json_body("RunTask").expect("RunTask");
    assert_eq!(
        request["overrides"]["containerOverrides"][0],
        json!({"name": "api", "command": ["seed", "--demo"], "environment": [{"name": "MODE", "value": "seed"}]})
    );
    assert_eq!(
        request["capacityProviderStrategy"],
        json!([{"capacityProvider": "FARGATE", "weight": 1}])
    );
    assert_eq!(
        request["tags"],
        json!([{"key": "purpose", "value": "seed"}])
    );
    assert!(request.get("launchType").is_none(), "{request}");
}

#[tokio::test]
async fn the_drain_setting_of_the_services_target_groups_is_converged() {
    let emulator = Emulator::shared();
    let config = Emulator::sdk_config(emulator.endpoint()).await;
    let elb = aws_sdk_elasticloadbalancingv2::Client::new(&config);
    let vpc = test_harness::aws_fixtures::default_vpc(emulator.endpoint())
        .await
        .expect("vpc");
    let target_group = elb
        .create_target_group()
        .name(test_harness::unique_name("tg"))
        .protocol(aws_sdk_elasticloadbalancingv2::types::ProtocolEnum::Http)
        .port(80)
        .vpc_id(vpc)
        .target_type(aws_sdk_elasticloadbalancingv2::types::TargetTypeEnum::Ip)
        .send()
        .await
        .expect("target group")
        .target_groups()[0]
        .target_group_arn()
        .unwrap_or_default()
        .to_owned();
    let setup = setup(emulator.endpoint()).await;
    aws_sdk_ecs::Client::new(&config)
        .create_service()
        .cluster(&setup.cluster)
        .service_name("web")
        .task_definition(&setup.old_arn)
        .desired_count(1)
        .load_balancers(
            aws_sdk_ecs::types::LoadBalancer::builder()
                .target_group_arn(&target_group)
                .container_name("api")
                .container_port(80)
                .build(),
        )
        .send()
        .await
        .expect("service behind a target group");
    let delay = || async {
        elb.describe_target_group_attributes()
            .target_group_arn(&target_group)
            .send()
            .await
            .expect("attributes")
            .attributes()
            .iter()
            .find(|a| a.key() == Some("deregistration_delay.timeout_seconds"))
            .and_then(|a| a.value())
            .map(str::to_owned)
    };
    assert_eq!(delay().await.as_deref(), Some("300"), "the default");

    for (run, expected_modifications) in [(1, 1), (2, 0)] {
        let proxy = FaultProxy::start(emulator.addr(), Vec::new()).expect("proxy");
        let result = action(&proxy.endpoint(), &setup)
            .input("service", "web")
            .input("deregistration-delay-seconds", "30")
            .run()
            .expect("run");
        result.assert_success();
        assert_eq!(
            proxy.count("ModifyTargetGroupAttributes"),
            expected_modifications,
            "run {run}: {}",
            result.log()
        );
        assert_eq!(
            result.log().contains("deregistration delay of"),
            expected_modifications == 1,
            "run {run} says what it changed: {}",
            result.log()
        );
        let calls = [
            "ecs:DescribeServices",
            "ecs:RegisterTaskDefinition",
            "ecs:UpdateService",
            "elasticloadbalancing:DescribeTargetGroupAttributes",
            "elasticloadbalancing:ModifyTargetGroupAttributes",
        ];
        assert_calls_allowed(&proxy, &calls[..4 + expected_modifications]);
    }
    assert_eq!(delay().await.as_deref(), Some("30"));
}

#[tokio::test]
async fn keep_revisions_deregisters_only_old_revisions_no_service_uses() {
    let emulator = Emulator::shared();
    let setup = setup(emulator.endpoint()).await;
    let ecs = aws_sdk_ecs::Client::new(&Emulator::sdk_config(emulator.endpoint()).await);
    let mut registered = vec![setup.old_arn.clone()];
    for image in ["api:2", "api:3", "api:4"] {
        let arn = render_taskdef::ecs::register(&ecs, &common::definition(&setup.family, image))
            .await
            .expect("revision");
        registered.push(arn);
    }
    ecs.create_service()
        .cluster(&setup.cluster)
        .service_name("worker")
        .task_definition(&registered[1])
        .desired_count(1)
        .send()
        .await
        .expect("a second service on revision 2");
    let proxy = FaultProxy::start(emulator.addr(), Vec::new()).expect("proxy");
    let result = action(&proxy.endpoint(), &setup)
        .input("service", "api")
        .input("keep-revisions", "2")
        .run()
        .expect("run");
    result.assert_success();
    assert!(result.output("task-definition-arn").ends_with(":5"));
    // Kept: 5 (deployed) and 4 (newest two); 2 (worker runs it); 1 (the emulator keeps the
    // service's old deployment, so it is still in use there). Deregistered: 3.
    let active: Vec<String> = ecs
        .list_task_definitions()
        .family_prefix(&setup.family)
        .status(aws_sdk_ecs::types::TaskDefinitionStatus::Active)
        .send()
        .await
        .expect("list")
        .task_definition_arns()
        .to_vec();
    let revisions: std::collections::BTreeSet<&str> =
        active.iter().filter_map(|a| a.rsplit(':').next()).collect();
    assert_eq!(
        revisions,
        ["1", "2", "4", "5"].into_iter().collect(),
        "{}",
        result.log()
    );
    assert!(
        result
            .log()
            .contains(&format!("deregistered {}", registered[2]))
    );
    assert_calls_allowed(
        &proxy,
        &[
            "ecs:DeregisterTaskDefinition",
            "ecs:DescribeServices",
            "ecs:ListServices",
            "ecs:ListTaskDefinitions",
            "ecs:RegisterTaskDefinition",
            "ecs:UpdateService",
        ],
    );
}

#[tokio::test]
async fn several_services_deploy_in_one_step_and_all_or_nothing_undoes_the_good_ones() {
    let emulator = Emulator::shared();
    let setup = setup(emulator.endpoint()).await;
    let ecs = aws_sdk_ecs::Client::new(&Emulator::sdk_config(emulator.endpoint()).await);
    ecs.create_service()
        .cluster(&setup.cluster)
        .service_name("web")
        .task_definition(&setup.old_arn)
        .desired_count(1)
        .send()
        .await
        .expect("second service");
    std::fs::write(
        setup.workspace.path().join("web.json"),
        common::definition(&setup.family, "web:2").to_string(),
    )
    .expect("file");
    let result = ActionRun::new(BIN)
        .expect("runner")
        .workspace(setup.workspace.path())
        .envs(Emulator::aws_env(emulator.endpoint()))
        .input("cluster", &setup.cluster)
        .input("services", "api=td.json\nweb=web.json")
        .run()
        .expect("run");
    result.assert_success();
    let results = result.output_as_json("results");
    assert_eq!(results.as_array().map(Vec::len), Some(2), "{results}");
    assert!(
        results
            .as_array()
            .into_iter()
            .flatten()
            .all(|r| r["succeeded"] == true)
    );
    assert_ne!(
        service_task_definition(emulator.endpoint(), &setup.cluster).await,
        setup.old_arn
    );
    assert!(
        result.log().contains("[web] updated service web"),
        "{}",
        result.log()
    );

    // One service cannot be deployed (it does not exist): with all-or-nothing, api, which was
    // updated, goes back to the revision it ran.
    let before = service_task_definition(emulator.endpoint(), &setup.cluster).await;
    let result = ActionRun::new(BIN)
        .expect("runner")
        .workspace(setup.workspace.path())
        .envs(Emulator::aws_env(emulator.endpoint()))
        .input("cluster", &setup.cluster)
        .input("services", "api=td.json\nmissing=web.json")
        .input("all-or-nothing", "true")
        .run()
        .expect("run");
    let errors = result.assert_failure();
    assert!(
        errors[0].contains("service 'missing' in cluster")
            && errors[0].contains("rolled back to")
            && errors[0].contains("because another service failed (all-or-nothing)"),
        "{errors:?}"
    );
    assert_eq!(result.output("rolled-back"), "true");
    assert_eq!(
        service_task_definition(emulator.endpoint(), &setup.cluster).await,
        before
    );
    assert!(
        result.summary.contains("(another service failed)"),
        "{}",
        result.summary
    );
}

#[tokio::test]
async fn ecs_native_strategies_are_chosen_on_the_update() {
    let emulator = Emulator::shared();
    let setup = setup(emulator.endpoint()).await;
    let ecs = aws_sdk_ecs::Client::new(&Emulator::sdk_config(emulator.endpoint()).await);
    ecs.create_service()
        .cluster(&setup.cluster)
        .service_name("canary")
        .task_definition(&setup.old_arn)
        .desired_count(1)
        .deployment_configuration(
            aws_sdk_ecs::types::DeploymentConfiguration::builder()
                .maximum_percent(150)
                .deployment_circuit_breaker(
                    aws_sdk_ecs::types::DeploymentCircuitBreaker::builder()
                        .enable(true)
                        .rollback(true)
                        .build(),
                )
                .build(),
        )
        .send()
        .await
        .expect("service");
    let proxy = FaultProxy::start(emulator.addr(), Vec::new()).expect("proxy");
    let result = action(&proxy.endpoint(), &setup)
        .input("service", "canary")
        .input("deployment-strategy", "BLUE_GREEN")
        .input("bake-time-minutes", "5")
        .run()
        .expect("run");
    result.assert_success();
    let update = proxy
        .first_json_body("UpdateService")
        .expect("UpdateService");
    let configuration = &update["deploymentConfiguration"];
    assert_eq!(configuration["strategy"], "BLUE_GREEN", "{update}");
    assert_eq!(configuration["bakeTimeInMinutes"], 5);
    // The emulator does not return a service's deployment configuration, so what the merge
    // keeps is tested in `services.rs` with SDK values.
}

#[tokio::test]
async fn a_code_deploy_service_gets_a_code_deploy_deployment() {
    // The emulator creates CodeDeploy deployments but never moves them past `Created`, so
    // this run does not wait; following a deployment is tested with scripted answers.
    let emulator = Emulator::shared();
    let config = Emulator::sdk_config(emulator.endpoint()).await;
    let setup = setup(emulator.endpoint()).await;
    aws_sdk_ecs::Client::new(&config)
        .create_service()
        .cluster(&setup.cluster)
        .service_name("blue-green")
        .task_definition(&setup.old_arn)
        .desired_count(1)
        .deployment_controller(
            aws_sdk_ecs::types::DeploymentController::builder()
                .r#type(aws_sdk_ecs::types::DeploymentControllerType::CodeDeploy)
                .build()
                .expect("controller"),
        )
        .send()
        .await
        .expect("service");
    let codedeploy = aws_sdk_codedeploy::Client::new(&config);
    let application = format!("AppECS-{}-blue-green", setup.cluster);
    codedeploy
        .create_application()
        .application_name(&application)
        .compute_platform(aws_sdk_codedeploy::types::ComputePlatform::Ecs)
        .send()
        .await
        .expect("application");
    codedeploy
        .create_deployment_group()
        .application_name(&application)
        .deployment_group_name(format!("DgpECS-{}-blue-green", setup.cluster))
        .service_role_arn("arn:aws:iam::123456789012:role/codedeploy")
        .send()
        .await
        .expect("group");
    std::fs::write(
        setup.workspace.path().join("appspec.yaml"),
        "version: 0.0\nResources:\n  - TargetService:\n      Type: AWS::ECS::Service\n      Properties:\n        TaskDefinition: <TASK_DEFINITION>\n        LoadBalancerInfo:\n          ContainerName: api\n          ContainerPort: 80\n",
    )
    .expect("appspec");
    let proxy = FaultProxy::start(emulator.addr(), Vec::new()).expect("proxy");
    let result = action(&proxy.endpoint(), &setup)
        .input("service", "blue-green")
        .run()
        .expect("run");
    result.assert_success();
    let id = result.output("codedeploy-deployment-id");
    let deployment = codedeploy
        .get_deployment()
        .deployment_id(id)
        .send()
        .await
        .expect("deployment");
    let info = deployment.deployment_info().expect("info");
    assert_eq!(info.application_name(), Some(application.as_str()));
    let request = proxy
        .first_json_body("CreateDeployment")
        .expect("CreateDeployment");
    let appspec: serde_json::Value = serde_json::from_str(
        request["revision"]["appSpecContent"]["content"]
            .as_str()
            .expect("content"),
    )
    .expect("appspec json");
    assert_eq!(
        appspec["Resources"][0]["TargetService"]["Properties"]["TaskDefinition"],
        result.output("task-definition-arn")
    );
    assert_calls_allowed(
        &proxy,
        &[
            "codedeploy:CreateDeployment",
            "ecs:DescribeServices",
            "ecs:RegisterTaskDefinition",
        ],
    );
}

#[tokio::test]
async fn a_waited_deploy_is_smoke_checked_and_rolled_back_when_a_check_fails() {
    // The emulator never moves a rollout: the proxy rewrites its DescribeServices answers as
    // if ECS had finished rolling out the service's task definition (simulated). Every call
    // is still the real SDK call to the emulator.
    let emulator = Emulator::shared();
    let setup = setup(emulator.endpoint()).await;
    let rollout = test_harness::Rewriter(test_harness::aws_fixtures::finish_ecs_rollouts);
    let proxy = FaultProxy::start(
        emulator.addr(),
        vec![test_harness::Rule::every(
            "DescribeServices",
            test_harness::Fault::Rewrite(rollout),
        )],
    )
    .expect("proxy");
    let site = StubServer::start(|r| match r.path() {
        "/healthz" => StubResponse::text(200, "ok"),
        _ => StubResponse::text(500, "broken"),
    })
    .expect("site");
    let good = action(&proxy.endpoint(), &setup)
        .input("service", "api")
        .input("wait-for-service-stability", "true")
        .input(
            "smoke-checks",
            &format!("GET {}/healthz 200 ok", site.url()),
        )
        .run()
        .expect("run");
    good.assert_success();
    assert_eq!(good.output("rolled-back"), "false");
    let deployed = good.output("task-definition-arn").to_owned();
    assert_eq!(
        service_task_definition(emulator.endpoint(), &setup.cluster).await,
        deployed
    );
    assert!(good.summary.contains("1 passed"), "{}", good.summary);

    std::fs::write(
        setup.workspace.path().join("td.json"),
        common::definition(&setup.family, "api:3").to_string(),
    )
    .expect("file");
    let bad = action(&proxy.endpoint(), &setup)
        .input("service", "api")
        .input("wait-for-service-stability", "true")
        .input(
            "smoke-checks",
            &format!("GET {}/openapi.json 200", site.url()),
        )
        .input("smoke-timeout-seconds", "2")
        .run()
        .expect("run");
    let errors = bad.assert_failure();
    let new = bad.output("task-definition-arn");
    let revision = |arn: &str| arn.rsplit('/').next().unwrap_or_default().to_owned();
    assert!(
        errors[0].contains(&format!(
            "deploying {} to service api failed",
            revision(new)
        )) && errors[0].contains(&format!(
            "rolled back to {}: it is stable again",
            revision(&deployed)
        )),
        "{errors:?}"
    );
    assert_eq!(bad.output("rolled-back"), "true");
    assert_eq!(bad.output("previous-task-definition-arn"), deployed);
    assert_eq!(
        service_task_definition(emulator.endpoint(), &setup.cluster).await,
        deployed
    );
}

#[tokio::test]
async fn throttling_errors_and_a_dropped_update_are_survived() {
    // Rollouts simulated as in the test above; on top, the proxy throttles and fails reads
    // during the wait and drops the connection of the first UpdateService.
    use test_harness::{Fault, Rule};
    let emulator = Emulator::shared();
    let setup = setup(emulator.endpoint()).await;
    let rollout = test_harness::Rewriter(test_harness::aws_fixtures::finish_ecs_rollouts);
    let proxy = FaultProxy::start(
        emulator.addr(),
        vec![
            Rule::every("DescribeServices", Fault::Throttle).nth(2),
            Rule::every("DescribeServices", Fault::ServerError).nth(3),
            Rule::every("UpdateService", Fault::DropConnection).nth(1),
            Rule::every("DescribeServices", Fault::Rewrite(rollout)),
        ],
    )
    .expect("proxy");
    let result = action(&proxy.endpoint(), &setup)
        .input("service", "api")
        .input("wait-for-service-stability", "true")
        .run()
        .expect("run");
    result.assert_success();
    let faults: Vec<Fault> = proxy
        .calls()
        .into_iter()
        .filter_map(|c| c.fault)
        .filter(|f| !matches!(f, Fault::Rewrite(_)))
        .collect();
    // In call order: the update (after the first read), then the reads of the wait.
    assert_eq!(
        faults,
        [Fault::DropConnection, Fault::Throttle, Fault::ServerError]
    );
    assert_eq!(
        proxy.count("UpdateService"),
        2,
        "the dropped update was sent again"
    );
    assert_eq!(
        service_task_definition(emulator.endpoint(), &setup.cluster).await,
        result.output("task-definition-arn")
    );
}

#[tokio::test]
async fn a_yaml_task_definition_is_registered_like_its_json() {
    let emulator = Emulator::shared();
    let setup = setup(emulator.endpoint()).await;
    std::fs::write(
        setup.workspace.path().join("td.yaml"),
        format!(
            "family: {}\ncontainerDefinitions:\n  - name: api\n    image: api:yaml\n    memory: 256\n",
            setup.family
        ),
    )
    .expect("file");
    let result = action(emulator.endpoint(), &setup)
        .input("task-definition", "td.yaml")
        .run()
        .expect("run");
    result.assert_success();
    let ecs = aws_sdk_ecs::Client::new(&Emulator::sdk_config(emulator.endpoint()).await);
    let registered = ecs
        .describe_task_definition()
        .task_definition(result.output("task-definition-arn"))
        .send()
        .await
        .expect("describe");
    let container = &registered
        .task_definition()
        .expect("definition")
        .container_definitions()[0];
    assert_eq!(container.image(), Some("api:yaml"));
    assert_eq!(container.memory(), Some(256));
}
