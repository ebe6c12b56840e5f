//! The `ecr-tag` binary, run through the runner contract against the AWS emulator.

use test_harness::{
    ActionRun, Emulator, Fault, FaultProxy, Rule, StubResponse, StubServer, aws_fixtures,
    unique_name,
};

const BIN: &str = env!("CARGO_BIN_EXE_ecr-tag");

/// A repository holding one image tagged `abc123`; returns its name and the image digest.
async fn repository_with_image(endpoint: &str) -> (String, String) {
    let config = Emulator::sdk_config(endpoint).await;
    let repository = unique_name("backend");
    let digest = aws_fixtures::push_synthetic_image(&config, &repository, "abc123", &repository)
        .await
        .expect("push image");
    (repository, digest)
}

fn action(endpoint: &str, repository: &str) -> ActionRun {
    ActionRun::new(BIN)
        .expect("runner")
        .envs(Emulator::aws_env(endpoint))
        .input("repository", repository)
        .input("source-tag", "abc123")
}

#[tokio::test]
async fn adds_tags_to_the_same_manifest_and_reruns_change_nothing() {
    let emulator = Emulator::shared();
    let (repository, digest) = repository_with_image(emulator.endpoint()).await;
    let proxy = FaultProxy::start(emulator.addr(), Vec::new()).expect("proxy");
    let run = action(&proxy.endpoint(), &repository).input("tags", "latest\n1.4.2");

    let first = run.run().expect("run");
    first.assert_success();
    assert_eq!(first.output("digest"), digest);
    assert_eq!(
        first.output("image"),
        format!("123456789012.dkr.ecr.us-east-1.amazonaws.com/{repository}@{digest}")
    );
    assert_eq!(first.output("added-tags"), "latest,1.4.2");
    let config = Emulator::sdk_config(emulator.endpoint()).await;
    assert_eq!(
        aws_fixtures::tags_of(&config, &repository, &digest)
            .await
            .expect("tags"),
        ["1.4.2", "abc123", "latest"]
    );
    assert!(
        first.summary.contains("| latest | added |"),
        "{}",
        first.summary
    );
    assert!(
        first.stdout.contains("::group::Tagging"),
        "{}",
        first.stdout
    );

    let second = run.run().expect("run");
    second.assert_success();
    assert_eq!(second.output("added-tags"), "");
    assert!(
        second.summary.contains("| latest | already there |"),
        "{}",
        second.summary
    );
    assert_eq!(
        test_harness::iam::calls_made(&proxy),
        ["ecr:BatchGetImage", "ecr:DescribeImages", "ecr:PutImage"]
    );
    test_harness::iam::assert_calls_within(&proxy, ecr_tag::IAM_ACTIONS);
}

#[test]
fn the_documented_policy_grants_exactly_what_the_action_calls() {
    test_harness::iam::assert_policy_grants_exactly("ecr-tag", ecr_tag::IAM_ACTIONS);
}

#[tokio::test]
async fn a_tag_on_another_image_is_moved() {
    let emulator = Emulator::shared();
    let (repository, digest) = repository_with_image(emulator.endpoint()).await;
    let config = Emulator::sdk_config(emulator.endpoint()).await;
    let old = aws_fixtures::push_synthetic_image(&config, &repository, "latest", "older build")
        .await
        .expect("older image");
    let result = action(emulator.endpoint(), &repository)
        .input("tags", "latest")
        .run()
        .expect("run");
    result.assert_success();
    assert!(
        result.summary.contains(&format!("moved from `{old}`")),
        "{}",
        result.summary
    );
    assert_eq!(
        aws_fixtures::tags_of(&config, &repository, &digest)
            .await
            .expect("tags"),
        ["abc123", "latest"]
    );
}

#[tokio::test]
async fn missing_image_or_repository_is_a_named_error() {
    let emulator = Emulator::shared();
    let (repository, _) = repository_with_image(emulator.endpoint()).await;
    let missing_tag = action(emulator.endpoint(), &repository)
        .input("source-tag", "deadbeef")
        .run()
        .expect("run");
    let errors = missing_tag.assert_failure();
    assert!(
        errors[0].contains(&format!(
            "image tag 'deadbeef' does not exist in ECR repository '{repository}'"
        )),
        "{errors:?}"
    );
    assert!(missing_tag.outputs.is_empty());

    let missing_repository = action(emulator.endpoint(), "no-such-repository")
        .run()
        .expect("run");
    let errors = missing_repository.assert_failure();
    assert!(
        errors[0].contains("ECR repository 'no-such-repository' does not exist"),
        "{errors:?}"
    );
}

#[test]
fn bad_inputs_fail_before_any_aws_call() {
    let emulator = Emulator::shared();
    let proxy = FaultProxy::start(emulator.addr(), Vec::new()).expect("proxy");
    let cases = [
        (
            "tags",
            "latest, not a tag",
            "input 'tags': 'not a tag' is not a valid image tag",
        ),
        (
            "source-tag",
            "a:b",
            "input 'source-tag': 'a:b' is not a valid image tag",
        ),
        (
            "repository",
            "",
            "input 'repository' is required but was not given",
        ),
        (
            "role-duration-seconds",
            "60",
            "input 'role-duration-seconds': expected 900 to 43200 seconds, got 60",
        ),
        (
            "role-to-assume",
            "deployer",
            "input 'role-to-assume': expected an IAM role ARN",
        ),
    ];
    for (input, value, expected) in cases {
        let result = action(&proxy.endpoint(), "repo")
            .input(input, value)
            .run()
            .expect("run");
        let errors = result.assert_failure();
        assert!(errors[0].contains(expected), "{input}: {errors:?}");
    }
    let no_region = action(&proxy.endpoint(), "repo")
        .without_env("AWS_REGION")
        .run()
        .expect("run");
    assert!(no_region.assert_failure()[0].contains("no AWS region: set the input 'aws-region'"));
    assert_eq!(proxy.calls(), [], "no call may reach AWS on bad input");
}

#[tokio::test]
async fn throttling_errors_and_dropped_connections_are_retried() {
    let emulator = Emulator::shared();
    let (repository, digest) = repository_with_image(emulator.endpoint()).await;
    let proxy = FaultProxy::start(
        emulator.addr(),
        vec![
            Rule::every("BatchGetImage", Fault::Throttle).first(2),
            Rule::every("PutImage", Fault::DropConnection).nth(1),
            Rule::every("PutImage", Fault::ServerError).nth(2),
        ],
    )
    .expect("proxy");
    let result = action(&proxy.endpoint(), &repository)
        .input("tags", "latest")
        .run()
        .expect("run");
    result.assert_success();
    assert_eq!(result.output("digest"), digest);
    // Two throttled reads, then the image read; one tag put after two faults.
    assert_eq!(proxy.count("BatchGetImage"), 3);
    assert_eq!(proxy.count("DescribeImages"), 1);
    assert_eq!(proxy.count("PutImage"), 3);
}

#[tokio::test]
async fn keyless_oidc_assumes_the_role_and_masks_every_secret() {
    const JWT: &str = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJyZXBvOm8vcjpyZWYifQ.c2lnbmF0dXJl";
    let emulator = Emulator::shared();
    let (repository, _) = repository_with_image(emulator.endpoint()).await;
    let token_endpoint =
        StubServer::start(|_| StubResponse::json(200, &serde_json::json!({ "value": JWT })))
            .expect("stub");
    let proxy = FaultProxy::start(emulator.addr(), Vec::new()).expect("proxy");
    let result = action(&proxy.endpoint(), &repository)
        .without_env("AWS_ACCESS_KEY_ID")
        .without_env("AWS_SECRET_ACCESS_KEY")
        .env(
            "ACTIONS_ID_TOKEN_REQUEST_URL",
            &format!("{}/token?api-version=2.0", token_endpoint.url()),
        )
        .env("ACTIONS_ID_TOKEN_REQUEST_TOKEN", "request-bearer-secret")
        .input("role-to-assume", "arn:aws:iam::123456789012:role/deployer")
        .run()
        .expect("run");
    result.assert_success();

    let requests = token_endpoint.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(
        requests[0].path_and_query,
        "/token?api-version=2.0&audience=sts.amazonaws.com"
    );
    assert_eq!(
        requests[0].header("authorization"),
        Some("Bearer request-bearer-secret")
    );

    let calls = proxy.calls();
    assert_eq!(calls[0].operation, "AssumeRoleWithWebIdentity");
    let ecr_keys: Vec<&str> = calls
        .iter()
        .filter(|c| c.service == "ecr")
        .map(|c| c.access_key.as_str())
        .collect();
    assert!(!ecr_keys.is_empty());
    assert!(
        ecr_keys.iter().all(|k| k.starts_with("ASIA")),
        "ECR calls must use the assumed role: {ecr_keys:?}"
    );

    for secret in [JWT, "request-bearer-secret", ecr_keys[0]] {
        let mentions: Vec<&str> = result
            .stdout
            .lines()
            .filter(|l| l.contains(secret))
            .collect();
        assert_eq!(
            mentions,
            [format!("::add-mask::{secret}")],
            "{secret} leaked:\n{}",
            result.stdout
        );
    }
}

#[tokio::test]
async fn role_without_id_token_permission_is_explained() {
    let emulator = Emulator::shared();
    let result = action(emulator.endpoint(), "repo")
        .input("role-to-assume", "arn:aws:iam::123456789012:role/deployer")
        .run()
        .expect("run");
    let errors = result.assert_failure();
    assert!(
        errors[0].contains("permissions: id-token: write"),
        "{errors:?}"
    );
}

#[test]
fn help_lists_the_inputs_and_the_manifest_agrees() {
    let help = ActionRun::new(BIN)
        .expect("runner")
        .arg("--help")
        .run()
        .expect("run");
    help.assert_success();
    for input in [
        "repository",
        "source-tag",
        "tags",
        "aws-region",
        "role-to-assume",
    ] {
        assert!(
            help.stdout.contains(&format!("  {input} ")),
            "{input} missing from:\n{}",
            help.stdout
        );
    }
    let manifest = test_harness::workspace_root().join("actions/ecr-tag/action.yml");
    test_harness::check_manifest(&ecr_tag::SPEC, &manifest).expect("action.yml matches the code");
}

#[test]
fn unknown_inputs_are_warned_about() {
    let emulator = Emulator::shared();
    let result = action(emulator.endpoint(), "no-such-repository")
        .input("tag", "x")
        .run()
        .expect("run");
    assert!(
        result
            .stdout
            .contains("::warning::INPUT_TAG is not an input of ecr-tag; it is ignored"),
        "{}",
        result.stdout
    );
}
