//! `ecs-deploy-version` and `ecs-versions` through the runner contract, against the emulator
//! through the real SDK.
//!
//! What the emulator cannot do is simulated, and said where it is: its ECS runs no tasks for a
//! service, so the emulator is started with `MOTO_ECS_SERVICE_RUNNING=1` (services report one
//! running task and a COMPLETED rollout); it registers no targets, so the tests register one
//! in each new target group (`register_targets`) as ECS would; a task the reaper must look at is
//! started with `run_task` in the service's group, and its `ShutdownReady` datapoints are put
//! by the test, as the app would.

mod setup;

use serde_json::Value;
use setup::{Env, MUTATING, emulator};
use test_harness::{Fault, FaultProxy, Rule};

#[tokio::test]
async fn three_deploys_keep_each_tab_on_its_version_and_new_tabs_on_the_newest() {
    let env = Env::new(emulator()).await;
    let proxy = FaultProxy::start(emulator().addr(), Vec::new()).expect("proxy");
    for id in ["v1", "v2", "v3"] {
        let result = env.deploy(&proxy.endpoint(), id, &[]).await;
        result.assert_success();
        assert_eq!(result.output("deployment-id"), id);
        assert_eq!(result.output("service"), format!("svc-{}-{id}", env.name));
        assert_eq!(result.output("resumed"), "false");
    }
    setup::assert_calls_allowed(&proxy, "ecs-deploy-version");
    let status = env.versions(&env.endpoint(), "status", &[]).await;
    status.assert_success();
    let routes = env.routes(&status);
    assert_eq!(
        routes,
        [
            ("no affinity header".to_owned(), "v3".to_owned()),
            (
                "header X-Pulse-Render-Affinity: v1".to_owned(),
                "v1".to_owned()
            ),
            (
                "header X-Pulse-Render-Affinity: v2".to_owned(),
                "v2".to_owned()
            ),
            (
                "header X-Pulse-Render-Affinity: v3".to_owned(),
                "v3".to_owned()
            ),
        ]
    );
    let versions = status.output_as_json("versions");
    let states: Vec<(&str, &str, i64)> = versions
        .as_array()
        .expect("array")
        .iter()
        .map(|v| {
            (
                v["id"].as_str().unwrap_or_default(),
                v["state"].as_str().unwrap_or_default(),
                v["default-weight"].as_i64().unwrap_or(-1),
            )
        })
        .collect();
    assert_eq!(
        states,
        [
            ("v3", "active", 100),
            ("v2", "draining", 0),
            ("v1", "draining", 0)
        ]
    );
    assert_eq!(env.ssm_state("v1").await.as_deref(), Some("draining"));
    assert_eq!(env.ssm_state("v3").await.as_deref(), Some("active"));
    assert_eq!(
        env.service_tag("v2", "state").await.as_deref(),
        Some("draining")
    );
    assert_eq!(
        env.service_tag("v3", "state").await.as_deref(),
        Some("active")
    );
    assert_eq!(
        env.service_tag("v3", "managed-by").await.as_deref(),
        Some("shipwright-ecs-deploy-version")
    );
    assert!(
        status.summary.contains("#### Routing"),
        "{}",
        status.summary
    );
    assert!(
        status
            .summary
            .contains("| no affinity header | default | v3 |"),
        "{}",
        status.summary
    );
    // The app container learned which version it is.
    let env_vars = env.container_environment("v2").await;
    assert!(
        env_vars.contains(&("DEPLOYMENT_ID".into(), "v2".into())),
        "{env_vars:?}"
    );
    assert!(
        env_vars.contains(&("DEPLOYMENT_NAME".into(), env.name.clone())),
        "{env_vars:?}"
    );
}

#[tokio::test]
async fn the_reaper_removes_only_finished_draining_versions_in_order() {
    let env = Env::new(emulator()).await;
    for id in ["v1", "v2", "v3"] {
        env.deploy(&env.endpoint(), id, &[]).await.assert_success();
    }
    env.look_alike_service("old").await;
    // Simulated: v1 has a task that is not ready, v2 one that is.
    let t1 = env.run_service_task("v1").await;
    let t2 = env.run_service_task("v2").await;
    env.put_shutdown_ready("v1", &t1, 0.0).await;
    env.put_shutdown_ready("v2", &t2, 1.0).await;

    let early = env
        .versions(
            &env.endpoint(),
            "reap",
            &[("min-drain-age-seconds", "3600")],
        )
        .await;
    early.assert_success();
    assert_eq!(early.output("reaped"), "[]");
    let kept = early.output_as_json("kept");
    assert!(
        kept["v1"]
            .as_str()
            .unwrap_or_default()
            .contains("min-drain-age"),
        "{kept}"
    );
    assert_eq!(kept["v3"], "its SSM state is active");

    let proxy = FaultProxy::start(emulator().addr(), Vec::new()).expect("proxy");
    let pass = env
        .versions(&proxy.endpoint(), "reap", &[("min-drain-age-seconds", "0")])
        .await;
    pass.assert_success();
    assert_eq!(pass.output("reaped"), r#"["v2"]"#);
    setup::assert_calls_allowed(&proxy, "ecs-versions");
    let kept = pass.output_as_json("kept");
    assert!(
        kept["v1"]
            .as_str()
            .unwrap_or_default()
            .contains("(ShutdownReady 0)"),
        "{kept}"
    );
    assert_eq!(kept["v3"], "its SSM state is active");
    assert!(
        kept["old"]
            .as_str()
            .unwrap_or_default()
            .contains("managed-by"),
        "{kept}"
    );
    // v2 is gone, in order; v1, v3 and the look-alike are untouched.
    let order: Vec<String> = proxy
        .calls()
        .iter()
        .map(|c| c.operation.clone())
        .filter(|op| MUTATING.contains(&op.as_str()) || op == "DeleteRule" || op == "DeleteService")
        .collect();
    assert_eq!(
        order,
        [
            "PutParameter",
            "DeleteRule",
            "UpdateService",
            "DeleteService",
            "DeleteTargetGroup",
            "DeleteParameter",
            "DeleteParameter"
        ],
        "lease, v2's rule, service scaled to 0 and deleted, target group, state, lease"
    );
    assert_eq!(env.ssm_state("v2").await, None);
    assert_eq!(env.service_status("v2").await.as_deref(), Some("INACTIVE"));
    assert!(env.target_group("v2").await.is_none());
    assert_eq!(env.service_status("v1").await.as_deref(), Some("ACTIVE"));
    assert!(env.target_group("v1").await.is_some());
    assert_eq!(
        env.look_alike_status("old").await.as_deref(),
        Some("ACTIVE")
    );

    // The backstop: past max-drain-age v1 goes though its task never said it was ready.
    let backstop = env
        .versions(
            &env.endpoint(),
            "reap",
            &[
                ("min-drain-age-seconds", "0"),
                ("max-drain-age-seconds", "0"),
            ],
        )
        .await;
    backstop.assert_success();
    assert_eq!(backstop.output("reaped"), r#"["v1"]"#);
    let routes = env.routes(&backstop);
    assert_eq!(
        routes,
        [
            ("no affinity header".to_owned(), "v3".to_owned()),
            (
                "header X-Pulse-Render-Affinity: v3".to_owned(),
                "v3".to_owned()
            ),
        ]
    );
    assert_eq!(
        env.look_alike_status("old").await.as_deref(),
        Some("ACTIVE")
    );
}

#[tokio::test]
async fn an_interrupted_deploy_resumes_and_never_routes_to_a_missing_service() {
    let env = Env::new(emulator()).await;
    env.deploy(&env.endpoint(), "base", &[])
        .await
        .assert_success();
    // Each mutating call in turn fails for good (every attempt's connection dropped).
    let cuts: [(&str, Vec<Rule>); 7] = [
        (
            "RegisterTaskDefinition",
            vec![Rule::every("RegisterTaskDefinition", Fault::DropConnection)],
        ),
        (
            "CreateTargetGroup",
            vec![Rule::every("CreateTargetGroup", Fault::DropConnection)],
        ),
        (
            "CreateService",
            vec![Rule::every("CreateService", Fault::DropConnection)],
        ),
        (
            "CreateRule",
            vec![Rule::every("CreateRule", Fault::DropConnection)],
        ),
        (
            "ModifyListener",
            vec![Rule::every("ModifyListener", Fault::DropConnection)],
        ),
        (
            "PutParameter (state)",
            vec![
                Rule::every("PutParameter", Fault::Delay(std::time::Duration::ZERO)).first(1),
                Rule::every("PutParameter", Fault::DropConnection),
            ],
        ),
        (
            "TagResource",
            vec![Rule::every("TagResource", Fault::DropConnection)],
        ),
    ];
    for (index, (cut, rules)) in cuts.into_iter().enumerate() {
        let id = format!("r{index}");
        let proxy = FaultProxy::start(emulator().addr(), rules).expect("proxy");
        let broken = env
            .deploy(&proxy.endpoint(), &id, &[("reap", "false")])
            .await;
        assert_ne!(broken.code, 0, "{cut}: the run must fail\n{}", broken.log());
        env.assert_routes_only_to_services(cut).await;
        let resumed = env.deploy(&env.endpoint(), &id, &[("reap", "false")]).await;
        resumed.assert_success();
        env.assert_routes_only_to_services(cut).await;
        let expect_resumed = !matches!(
            cut,
            "RegisterTaskDefinition" | "CreateTargetGroup" | "CreateService"
        );
        assert_eq!(
            resumed.output("resumed"),
            if expect_resumed { "true" } else { "false" },
            "{cut}"
        );
        let status = env.versions(&env.endpoint(), "status", &[]).await;
        assert_eq!(
            env.routes(&status)[0].1,
            id,
            "{cut}: the re-run made it the default"
        );
        assert_eq!(env.ssm_state(&id).await.as_deref(), Some("active"), "{cut}");
    }
    // A dropped lease release: the lease stays, and the same version's re-run takes it over.
    let proxy = FaultProxy::start(
        emulator().addr(),
        vec![Rule::every("DeleteParameter", Fault::DropConnection)],
    )
    .expect("proxy");
    let stuck = env
        .deploy(&proxy.endpoint(), "r9", &[("reap", "false")])
        .await;
    assert_ne!(stuck.code, 0);
    let again = env
        .deploy(
            &env.endpoint(),
            "r9",
            &[("reap", "false"), ("lease-wait-seconds", "0")],
        )
        .await;
    again.assert_success();
    assert_eq!(again.output("resumed"), "true");
}

#[tokio::test]
async fn racing_deploys_take_turns_on_the_lease() {
    let env = Env::new(emulator()).await;
    env.deploy(&env.endpoint(), "v1", &[])
        .await
        .assert_success();
    // Someone else holds the lease: a deploy that may not wait changes nothing.
    env.hold_lease("another run", 3600).await;
    let proxy = FaultProxy::start(emulator().addr(), Vec::new()).expect("proxy");
    let refused = env
        .deploy(&proxy.endpoint(), "v2", &[("lease-wait-seconds", "0")])
        .await;
    let errors = refused.assert_failure();
    assert!(
        errors[0].contains("another run holds the lease"),
        "{errors:?}"
    );
    assert_eq!(
        setup::mutations(&proxy),
        ["PutParameter"],
        "only the lease was tried"
    );
    env.release_lease().await;
    // Two at once: one waits for the other; both end deployed, one of them active.
    let endpoint = env.endpoint();
    let (a, b) = tokio::join!(
        env.deploy(
            &endpoint,
            "v2",
            &[("lease-wait-seconds", "120"), ("reap", "false")]
        ),
        env.deploy(
            &endpoint,
            "v3",
            &[("lease-wait-seconds", "120"), ("reap", "false")]
        ),
    );
    a.assert_success();
    b.assert_success();
    let states = [env.ssm_state("v2").await, env.ssm_state("v3").await];
    let active = states
        .iter()
        .filter(|s| s.as_deref() == Some("active"))
        .count();
    assert_eq!(active, 1, "{states:?}");
    assert_eq!(env.ssm_state("v1").await.as_deref(), Some("draining"));
    assert!(env.lease().await.is_none(), "released");
}

#[tokio::test]
async fn promote_rolls_back_at_once_and_teardown_needs_the_name() {
    let env = Env::new(emulator()).await;
    for id in ["v1", "v2"] {
        env.deploy(&env.endpoint(), id, &[]).await.assert_success();
    }
    let proxy = FaultProxy::start(emulator().addr(), Vec::new()).expect("proxy");
    let promoted = env
        .versions(&proxy.endpoint(), "promote", &[("deployment-id", "v1")])
        .await;
    promoted.assert_success();
    assert_eq!(
        proxy.count("RegisterTaskDefinition"),
        0,
        "nothing built or registered"
    );
    assert_eq!(
        env.routes(&promoted)[0],
        ("no affinity header".to_owned(), "v1".to_owned())
    );
    assert_eq!(env.ssm_state("v1").await.as_deref(), Some("active"));
    assert_eq!(env.ssm_state("v2").await.as_deref(), Some("draining"));
    assert_eq!(
        env.service_tag("v2", "state").await.as_deref(),
        Some("draining")
    );

    let proxy = FaultProxy::start(emulator().addr(), Vec::new()).expect("proxy");
    let guarded = env
        .versions(&proxy.endpoint(), "teardown", &[("confirm", "prod-typo")])
        .await;
    let errors = guarded.assert_failure();
    assert!(
        errors[0].contains("must repeat the deployment name"),
        "{errors:?}"
    );
    assert!(proxy.calls().is_empty(), "refused before any call");

    let gone = env
        .versions(&env.endpoint(), "teardown", &[("confirm", &env.name)])
        .await;
    gone.assert_success();
    assert_eq!(gone.output("reaped"), r#"["v2","v1"]"#);
    assert_eq!(gone.output("versions"), "[]");
    assert_eq!(
        env.routes(&gone),
        [(
            "no affinity header".to_owned(),
            "fixed response 503".to_owned()
        )]
    );
    for id in ["v1", "v2"] {
        assert_eq!(env.service_status(id).await.as_deref(), Some("INACTIVE"));
        assert!(env.target_group(id).await.is_none());
        assert_eq!(env.ssm_state(id).await, None);
    }
}

#[tokio::test]
async fn a_progressive_shift_stops_on_an_alarm_and_puts_the_weights_back() {
    let env = Env::new(emulator()).await;
    env.deploy(&env.endpoint(), "v1", &[])
        .await
        .assert_success();
    let alarm = env.alarm("ALARM").await;
    let shift = [
        ("traffic-steps", "25,100"),
        ("traffic-step-bake-seconds", "0"),
        ("alarm-names", alarm.as_str()),
        ("reap", "false"),
    ];
    let failed = env.deploy(&env.endpoint(), "v2", &shift).await;
    let errors = failed.assert_failure();
    assert!(
        errors[0].contains(&format!(
            "traffic step 25% to version v2: alarm {alarm} is in ALARM"
        )),
        "{errors:?}"
    );
    let status = env.versions(&env.endpoint(), "status", &[]).await;
    assert_eq!(env.routes(&status)[0].1, "v1", "the default was put back");
    assert_eq!(env.ssm_state("v1").await.as_deref(), Some("active"));
    // The alarm clears: the same version resumes, 25 % then 100 %.
    env.set_alarm(&alarm, "OK").await;
    let shifted = env.deploy(&env.endpoint(), "v2", &shift).await;
    shifted.assert_success();
    assert!(
        shifted.log().contains("default action: 25% to version v2"),
        "{}",
        shifted.log()
    );
    let status = env.versions(&env.endpoint(), "status", &[]).await;
    assert_eq!(env.routes(&status)[0].1, "v2");
}

#[tokio::test]
async fn bad_inputs_fail_with_one_named_error_before_any_change() {
    let env = Env::new(emulator()).await;
    env.deploy(&env.endpoint(), "v1", &[])
        .await
        .assert_success();
    let nlb = env.network_listener().await;
    let other_definition = env.write_definition("other.json", "app:other");
    let long_header = "X".repeat(41);
    let missing = env.missing_listener();
    let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
        (
            vec![("listener-arn", "not-an-arn")],
            "input 'listener-arn': 'not-an-arn' is not the ARN",
        ),
        (
            vec![("listener-arn", nlb.as_str())],
            "input 'listener-arn': the listener belongs to a network load balancer",
        ),
        (vec![("listener-arn", missing.as_str())], "does not exist"),
        (vec![("deployment-id", "v*")], "treat as wildcards"),
        (vec![("deployment-id", "v?")], "treat as wildcards"),
        (
            vec![("deployment-id", "a/b")],
            "input 'deployment-id': 'a/b' is not a deployment id",
        ),
        (
            vec![("deployment-name", "Prod_1")],
            "input 'deployment-name': 'Prod_1' is not a deployment name",
        ),
        (
            vec![("affinity-header", long_header.as_str())],
            "input 'affinity-header'",
        ),
        (
            vec![("traffic-steps", "10,150")],
            "input 'traffic-steps': weights must be 1 to 100 %, got 150",
        ),
        (
            vec![("traffic-steps", "50,10,100")],
            "input 'traffic-steps': expected ascending",
        ),
        (
            vec![("rule-quota", "1")],
            "input 'rule-quota': the load balancer has 1 rules and this version needs 1 more, over the quota of 1; no version is draining",
        ),
        (
            vec![("max-live-versions", "1")],
            "input 'max-live-versions': 1 versions are live",
        ),
        (
            vec![
                ("deployment-id", "v1"),
                ("task-definition", other_definition.as_str()),
            ],
            "already exists with another task definition",
        ),
        (
            vec![("cluster", "no-such-cluster")],
            "input 'cluster': ECS cluster 'no-such-cluster' does not exist",
        ),
        (
            vec![("container-name", "sidecar")],
            "input 'container-name': the task definition has no container 'sidecar'",
        ),
        (
            vec![("subnets", "vpc-123")],
            "input 'subnets': 'vpc-123' is not a subnet-… id",
        ),
        (
            vec![("subnets", "subnet-0000000000000dead")],
            "input 'subnets': subnet-0000000000000dead does not exist",
        ),
        (
            vec![("security-groups", "sg-0000000000000dead")],
            "input 'security-groups': sg-0000000000000dead does not exist",
        ),
        (
            vec![("alarm-names", "no-such-alarm")],
            "input 'alarm-names': CloudWatch has no alarm 'no-such-alarm'",
        ),
        (
            vec![("health-check-path", "healthz")],
            "input 'health-check-path'",
        ),
        (
            vec![("affinity-query-param", "a=b")],
            "input 'affinity-query-param'",
        ),
    ];
    let count = cases.len();
    assert!(count >= 12);
    for (inputs, expected) in cases {
        let proxy = FaultProxy::start(emulator().addr(), Vec::new()).expect("proxy");
        let id = inputs
            .iter()
            .find(|(k, _)| *k == "deployment-id")
            .map_or("v2", |(_, v)| *v);
        let rest: Vec<(&str, &str)> = inputs
            .iter()
            .filter(|(k, _)| *k != "deployment-id")
            .copied()
            .collect();
        let result = env.deploy(&proxy.endpoint(), id, &rest).await;
        let errors = result.assert_failure();
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(errors[0].contains(expected), "{inputs:?}: {errors:?}");
        assert!(
            setup::mutations(&proxy).is_empty(),
            "{inputs:?} changed something: {:?}",
            setup::mutations(&proxy)
        );
    }
    for (operation, inputs, expected) in [
        (
            "destroy",
            vec![],
            "input 'operation': expected one of status, reap, promote, teardown",
        ),
        (
            "promote",
            vec![],
            "input 'deployment-id' is required for operation promote",
        ),
        (
            "promote",
            vec![("deployment-id", "v9")],
            "version 'v9' is not live (live: v1)",
        ),
        (
            "reap",
            vec![("deployment-id", "v1")],
            "input 'deployment-id' is only for operation promote",
        ),
        (
            "teardown",
            vec![],
            "input 'confirm' must repeat the deployment name",
        ),
    ] {
        let proxy = FaultProxy::start(emulator().addr(), Vec::new()).expect("proxy");
        let result = env.versions(&proxy.endpoint(), operation, &inputs).await;
        let errors = result.assert_failure();
        assert!(errors[0].contains(expected), "{operation}: {errors:?}");
        let changed: Vec<String> = setup::mutations(&proxy)
            .into_iter()
            .filter(|op| !op.ends_with("Parameter"))
            .collect();
        assert!(changed.is_empty(), "{operation}: {changed:?}");
    }
    let status = env.versions(&env.endpoint(), "status", &[]).await;
    assert_eq!(
        status.output_as_json("versions").as_array().map(Vec::len),
        Some(1)
    );
    let _: Value = status.output_as_json("routing");
}

#[test]
fn the_manifests_match_the_code() {
    let root = test_harness::workspace_root();
    test_harness::check_manifest(
        &ecs_deploy::versions::DEPLOY_SPEC,
        &root.join("actions/ecs-deploy-version/action.yml"),
    )
    .expect("ecs-deploy-version/action.yml matches the code");
    test_harness::check_manifest(
        &ecs_deploy::versions::VERSIONS_SPEC,
        &root.join("actions/ecs-versions/action.yml"),
    )
    .expect("ecs-versions/action.yml matches the code");
}

#[test]
fn the_documented_policies_grant_exactly_what_the_actions_call() {
    test_harness::iam::assert_policy_grants_exactly(
        "ecs-deploy-version",
        ecs_deploy::versions::DEPLOY_IAM_ACTIONS,
    );
    test_harness::iam::assert_policy_grants_exactly(
        "ecs-versions",
        ecs_deploy::versions::VERSIONS_IAM_ACTIONS,
    );
}

/// The figures of the docs: API calls and time of one deploy and of reaper passes with 50
/// live versions. Slow (it deploys 50 versions first), so run by hand:
/// `cargo test -p ecs-deploy --test versions figures -- --ignored --nocapture`.
#[tokio::test]
#[ignore = "measures; run by hand"]
#[allow(clippy::print_stderr)]
async fn figures_with_fifty_live_versions() {
    let env = Env::new(emulator()).await;
    for n in 0..50 {
        env.deploy(&env.endpoint(), &format!("f{n:02}"), &[("reap", "false")])
            .await
            .assert_success();
    }
    let measure = |proxy: &FaultProxy| {
        let calls = proxy.calls();
        let mut by_operation = std::collections::BTreeMap::<String, usize>::new();
        for call in &calls {
            *by_operation.entry(call.operation.clone()).or_default() += 1;
        }
        (calls.len(), by_operation)
    };
    let proxy = FaultProxy::start(emulator().addr(), Vec::new()).expect("proxy");
    let started = std::time::Instant::now();
    env.deploy(
        &proxy.endpoint(),
        "f50",
        &[("min-drain-age-seconds", "3600")],
    )
    .await
    .assert_success();
    let (total, detail) = measure(&proxy);
    eprintln!(
        "one deploy next to 50 live versions (reap pass included, nothing finished): {total} calls in {} ms: {detail:?}",
        started.elapsed().as_millis()
    );
    let proxy = FaultProxy::start(emulator().addr(), Vec::new()).expect("proxy");
    let started = std::time::Instant::now();
    env.versions(
        &proxy.endpoint(),
        "reap",
        &[("min-drain-age-seconds", "3600")],
    )
    .await
    .assert_success();
    let (total, detail) = measure(&proxy);
    eprintln!(
        "one reap pass over 51 versions, none old enough: {total} calls in {} ms: {detail:?}",
        started.elapsed().as_millis()
    );
    let proxy = FaultProxy::start(emulator().addr(), Vec::new()).expect("proxy");
    let started = std::time::Instant::now();
    let pass = env
        .versions(&proxy.endpoint(), "reap", &[("min-drain-age-seconds", "0")])
        .await;
    pass.assert_success();
    let (total, detail) = measure(&proxy);
    eprintln!(
        "one reap pass over 51 versions, 50 draining with no running task (all reaped: {}): {total} calls in {} ms: {detail:?}",
        pass.output("reaped").matches(',').count() + 1,
        started.elapsed().as_millis()
    );
}
