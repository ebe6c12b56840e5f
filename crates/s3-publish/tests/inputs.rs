//! Bad inputs are each one named error before any call that changes the bucket; the manifest
//! and the IAM policy match what the action declares and calls.

mod common;

use std::collections::BTreeSet;

use common::{Site, action, bucket, distribution};
use test_harness::{Emulator, FaultProxy};

/// Calls that change something.
const MUTATING: [&str; 8] = [
    "PutObject",
    "CopyObject",
    "DeleteObjects",
    "DeleteObject",
    "CreateMultipartUpload",
    "UploadPart",
    "CompleteMultipartUpload",
    "CreateInvalidation",
];

#[tokio::test]
async fn bad_inputs_fail_with_one_named_error_before_any_change() {
    let emulator = Emulator::shared();
    let bucket = bucket(emulator.endpoint()).await;
    let site = Site::new();
    site.build(2);
    site.write("some-file", "x");
    let empty = Site::new();
    let cases: [(&[(&str, &str)], &str); 22] = [
        (
            &[("source", "")],
            "input 'source' is required but was not given",
        ),
        (&[("source", "build")], "input 'source': directory '"),
        (
            &[("source", "dist/some-file")],
            "some-file' is not a directory",
        ),
        (
            &[("bucket", "")],
            "input 'bucket' is required but was not given",
        ),
        (
            &[("bucket", "My_Site")],
            "input 'bucket': 'My_Site' is not an S3 bucket name",
        ),
        (
            &[("bucket", "s3://site/www")],
            "input 'bucket': give the bucket's name without s3://",
        ),
        (
            &[("bucket", "no-such-bucket-here")],
            "input 'bucket': S3 bucket 'no-such-bucket-here' does not exist",
        ),
        (
            &[("prefix", "a/../b")],
            "input 'prefix': 'a/../b' has an empty, '.' or '..' segment",
        ),
        (
            &[("cache-control", "*.html no-cache")],
            "input 'cache-control': rule '*.html no-cache': no ':'",
        ),
        (
            &[("cache-control", "*.js: max-age=forever")],
            "'max-age' takes a number of seconds, got 'forever'",
        ),
        (
            &[("cache-control", "assets/[: no-cache")],
            "'assets/[' is not a valid glob",
        ),
        (
            &[("exclude", "drafts/**\n{a,b")],
            "input 'exclude': '{a,b' is not a valid glob",
        ),
        (
            &[("concurrency", "0")],
            "input 'concurrency': expected 1 to 64 calls at a time, got 0",
        ),
        (
            &[("concurrency", "many")],
            "input 'concurrency': expected a non-negative whole number, got 'many'",
        ),
        (
            &[("multipart-threshold-mib", "1")],
            "input 'multipart-threshold-mib': expected 5 to 5120",
        ),
        (
            &[("precompressed", "zstd")],
            "input 'precompressed': expected one of none, gzip, br, got 'zstd'",
        ),
        (
            &[("delete", "yes")],
            "input 'delete': expected true or false, got 'yes'",
        ),
        (
            &[("invalidation-paths", "/*")],
            "input 'invalidation-paths' is set but 'distribution-id' is not",
        ),
        (
            &[("distribution-id", "e123;drop")],
            "input 'distribution-id': expected a CloudFront distribution id",
        ),
        (
            &[("distribution-id", "ENOSUCHDIST")],
            "input 'distribution-id': CloudFront distribution 'ENOSUCHDIST' does not exist",
        ),
        (
            &[("smoke-url", "ftp://example.com/")],
            "input 'smoke-url': expected an http:// or https:// URL",
        ),
        (
            &[("smoke-timeout-seconds", "0")],
            "input 'smoke-timeout-seconds': expected 1 to 3600, got 0",
        ),
    ];
    for (inputs, expected) in cases {
        let proxy = FaultProxy::start(emulator.addr(), Vec::new()).expect("proxy");
        let mut run = action(&proxy.endpoint(), &site, &bucket);
        for (name, value) in inputs {
            run = run.input(name, value);
        }
        let result = run.run().expect("run");
        let errors = result.assert_failure();
        assert!(errors[0].contains(expected), "{inputs:?}: {errors:?}");
        assert!(result.outputs.is_empty(), "{inputs:?}");
        let mutating: Vec<String> = proxy
            .calls()
            .into_iter()
            .map(|c| c.operation)
            .filter(|op| MUTATING.contains(&op.as_str()))
            .collect();
        assert!(mutating.is_empty(), "{inputs:?}: {mutating:?}");
    }

    // An empty source with `delete` would wipe the prefix: refused unless allowed.
    common::put(emulator.endpoint(), &bucket, "keep.html", "x").await;
    let proxy = FaultProxy::start(emulator.addr(), Vec::new()).expect("proxy");
    let refused = action(&proxy.endpoint(), &empty, &bucket)
        .run()
        .expect("run");
    let errors = refused.assert_failure();
    assert!(
        errors[0].contains("has no file to publish") && errors[0].contains("allow-empty-source"),
        "{errors:?}"
    );
    assert!(proxy.calls().is_empty());
    let allowed = action(emulator.endpoint(), &empty, &bucket)
        .input("allow-empty-source", "true")
        .run()
        .expect("run");
    allowed.assert_success();
    assert_eq!(allowed.output("deleted"), "1");
    assert!(
        common::objects(emulator.endpoint(), &bucket)
            .await
            .is_empty()
    );
    assert_eq!(
        common::manifest(emulator.endpoint(), &bucket, "").await,
        None
    );
}

#[test]
fn action_yml_matches_the_spec() {
    let path = test_harness::workspace_root().join("actions/s3-publish/action.yml");
    test_harness::check_manifest(&s3_publish::SPEC, &path).expect("action.yml matches");
}

#[tokio::test]
async fn every_call_is_allowed_by_the_documented_policy() {
    let emulator = Emulator::shared();
    let bucket = bucket(emulator.endpoint()).await;
    let id = distribution(emulator.endpoint(), &bucket, "").await;
    let site = Site::new();
    site.build(1);
    site.write("video.mp4", vec![7u8; 6 * 1024 * 1024]);
    let proxy = FaultProxy::start(emulator.addr(), Vec::new()).expect("proxy");
    let run = |site: &Site| {
        action(&proxy.endpoint(), site, &bucket)
            .input("distribution-id", &id)
            .input("multipart-threshold-mib", "5")
    };
    run(&site).run().expect("run").assert_success();
    site.build(2);
    site.write("video.mp4", vec![7u8; 6 * 1024 * 1024]);
    run(&site)
        .input("cache-control", "*.css: max-age=60")
        .run()
        .expect("run")
        .assert_success();

    let operations: BTreeSet<String> = proxy.calls().into_iter().map(|c| c.operation).collect();
    for expected in [
        "UploadPart",
        "CopyObject",
        "DeleteObjects",
        "GetInvalidation",
    ] {
        assert!(
            operations.contains(expected),
            "{expected} not exercised: {operations:?}"
        );
    }
    test_harness::iam::assert_calls_within(&proxy, s3_publish::IAM_ACTIONS);
}

#[test]
fn the_documented_policy_grants_exactly_what_the_action_calls() {
    test_harness::iam::assert_policy_grants_exactly("s3-publish", s3_publish::IAM_ACTIONS);
}
