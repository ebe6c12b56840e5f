//! CloudFront invalidation and the smoke check, against the emulator and a local stub.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use common::{Site, action, bucket, distribution};
use test_harness::{Call, Emulator, FaultProxy, StubResponse, StubServer};

/// The `<Path>` items of the `CreateInvalidation` calls, one list a call.
fn invalidated(calls: &[Call]) -> Vec<Vec<String>> {
    calls
        .iter()
        .filter(|c| c.operation == "CreateInvalidation")
        .map(|c| {
            c.body
                .split("<Path>")
                .skip(1)
                .filter_map(|rest| rest.split("</Path>").next())
                .map(str::to_owned)
                .collect()
        })
        .collect()
}

#[tokio::test]
async fn invalidates_only_what_changed_and_is_not_fingerprinted() {
    let emulator = Emulator::shared();
    let bucket = bucket(emulator.endpoint()).await;
    let id = distribution(emulator.endpoint(), &bucket, "/site").await;
    let site = Site::new();
    site.build(1);
    let run = |proxy: &FaultProxy| {
        action(&proxy.endpoint(), &site, &bucket)
            .input("prefix", "site")
            .input("distribution-id", &id)
    };

    let proxy = FaultProxy::start(emulator.addr(), Vec::new()).expect("proxy");
    let first = run(&proxy).run().expect("run");
    first.assert_success();
    assert_eq!(
        invalidated(&proxy.calls()),
        [[
            "/",
            "/about/",
            "/about/index.html",
            "/index.html",
            "/logo.png",
            "/old.html",
            "/robots.txt"
        ]]
    );
    let invalidation = first.output("invalidation-id");
    assert!(!invalidation.is_empty());
    assert!(proxy.count("GetInvalidation") >= 1);
    assert!(
        first
            .stdout
            .contains(&format!("invalidation {invalidation}: COMPLETED")),
        "{}",
        first.stdout
    );
    assert!(first.summary.contains(invalidation), "{}", first.summary);

    site.build(2);
    let proxy = FaultProxy::start(emulator.addr(), Vec::new()).expect("proxy");
    let second = run(&proxy)
        .input("wait-for-invalidation", "false")
        .run()
        .expect("run");
    second.assert_success();
    assert_eq!(
        invalidated(&proxy.calls()),
        [[
            "/",
            "/about/",
            "/about/index.html",
            "/index.html",
            "/old.html"
        ]]
    );
    assert_eq!(proxy.count("GetInvalidation"), 0);

    let proxy = FaultProxy::start(emulator.addr(), Vec::new()).expect("proxy");
    let unchanged = run(&proxy).run().expect("run");
    unchanged.assert_success();
    assert_eq!(proxy.count("CreateInvalidation"), 0);
    assert_eq!(unchanged.output("invalidation-id"), "");
}

#[tokio::test]
async fn explicit_paths_are_invalidated_when_anything_changed() {
    let emulator = Emulator::shared();
    let bucket = bucket(emulator.endpoint()).await;
    let id = distribution(emulator.endpoint(), &bucket, "").await;
    let site = Site::new();
    site.build(2);
    let proxy = FaultProxy::start(emulator.addr(), Vec::new()).expect("proxy");
    let run = action(&proxy.endpoint(), &site, &bucket)
        .input("distribution-id", &id)
        .input("invalidation-paths", "/*");
    run.run().expect("run").assert_success();
    run.run().expect("run").assert_success();
    assert_eq!(invalidated(&proxy.calls()), [["/*"]]);
}

#[tokio::test]
async fn the_smoke_check_retries_until_the_site_answers() {
    let emulator = Emulator::shared();
    let bucket = bucket(emulator.endpoint()).await;
    let site = Site::new();
    site.build(2);
    let seen = Arc::new(AtomicUsize::new(0));
    let counter = seen.clone();
    let stub = StubServer::start(move |_| {
        if counter.fetch_add(1, Ordering::SeqCst) < 2 {
            StubResponse::text(503, "warming up")
        } else {
            StubResponse::text(200, "<html>")
        }
    })
    .expect("stub");
    let result = action(emulator.endpoint(), &site, &bucket)
        .input("smoke-url", &format!("{}/", stub.url()))
        .run()
        .expect("run");
    result.assert_success();
    assert_eq!(stub.requests().len(), 3);
    assert_eq!(stub.requests()[0].method, "GET");
    assert!(result.stdout.contains("answered 503"), "{}", result.stdout);
    assert!(
        result.summary.contains("answered 200 (attempt 3)"),
        "{}",
        result.summary
    );

    let down = StubServer::start(|_| StubResponse::text(500, "down")).expect("stub");
    let failed = action(emulator.endpoint(), &site, &bucket)
        .input("smoke-url", &down.url())
        .input("smoke-timeout-seconds", "2")
        .run()
        .expect("run");
    let errors = failed.assert_failure();
    assert!(
        errors[0].starts_with(&format!(
            "smoke check failed: GET {} answered 500",
            down.url()
        )),
        "{errors:?}"
    );
}
