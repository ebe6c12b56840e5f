//! The multi-call binary picks the action by its first argument.

use test_harness::ActionRun;

const BIN: &str = env!("CARGO_BIN_EXE_suite");

#[test]
fn lists_actions_and_dispatches_help() {
    let listing = ActionRun::new(BIN)
        .expect("runner")
        .arg("--help")
        .run()
        .expect("run");
    listing.assert_success();
    assert!(
        listing
            .stdout
            .contains("  ecr-tag             Check that an image tag exists in ECR"),
        "{}",
        listing.stdout
    );

    let help = ActionRun::new(BIN)
        .expect("runner")
        .arg("ecr-tag")
        .arg("--help")
        .run()
        .expect("run");
    help.assert_success();
    assert!(help.stdout.starts_with("ecr-tag: "), "{}", help.stdout);
    assert!(help.stdout.contains("  source-tag "), "{}", help.stdout);
}

#[test]
fn unknown_action_or_no_action_fails() {
    let unknown = ActionRun::new(BIN)
        .expect("runner")
        .arg("deploy")
        .run()
        .expect("run");
    let errors = unknown.assert_failure();
    assert_eq!(
        errors,
        [
            "unknown action 'deploy'; the suite has: paths-filter, render-taskdef, ecr-tag, ecs-deploy, ecs-deploy-version, ecs-versions, branch-protect, s3-publish"
        ]
    );
    let none = ActionRun::new(BIN).expect("runner").run().expect("run");
    assert_eq!(none.code, 1);
    assert!(none.stdout.starts_with("Usage: suite <action>"));
}

#[test]
fn a_missing_required_input_fails_through_the_action() {
    let result = ActionRun::new(BIN)
        .expect("runner")
        .arg("ecr-tag")
        .run()
        .expect("run");
    assert_eq!(
        result.assert_failure(),
        ["input 'repository' is required but was not given"]
    );
}

#[test]
fn every_action_lists_its_inputs_on_help() {
    for (action, inputs) in [
        (
            "paths-filter",
            &["filters", "list-files", "when-no-base", "token"][..],
        ),
        (
            "ecr-tag",
            &["repository", "source-tag", "role-to-assume"][..],
        ),
        (
            "render-taskdef",
            &[
                "task-definition",
                "container-name",
                "containers",
                "pin-image-digest",
            ][..],
        ),
        (
            "ecs-deploy",
            &["task-definition", "service", "smoke-checks", "rollback"][..],
        ),
        (
            "ecs-deploy-version",
            &[
                "deployment-name",
                "listener-arn",
                "affinity-header",
                "traffic-steps",
            ][..],
        ),
        (
            "ecs-versions",
            &[
                "operation",
                "deployment-name",
                "confirm",
                "min-drain-age-seconds",
            ][..],
        ),
        (
            "s3-publish",
            &["source", "bucket", "cache-control", "distribution-id"][..],
        ),
    ] {
        let help = ActionRun::new(BIN)
            .expect("runner")
            .arg(action)
            .arg("--help")
            .run()
            .expect("run");
        help.assert_success();
        for input in inputs {
            assert!(
                help.stdout.contains(&format!("  {input} ")),
                "{action} --help lacks {input}:\n{}",
                help.stdout
            );
        }
    }
}
