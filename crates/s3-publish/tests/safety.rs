//! Interruption safety: a run failed by the fault proxy at any upload or delete leaves a bucket
//! whose every page references only objects that exist, and the next run completes it.

mod common;

use common::{action, assert_pages_complete, keys, objects, published};
use test_harness::{Emulator, Fault, FaultProxy, Rule};

/// Rules failing the `n`-th call of `operation` and every retry of it (the SDK tries a call up
/// to 5 times; more rules than that make sure the run gives up).
fn fail_from(operation: &str, n: usize) -> Vec<Rule> {
    (n..n + 8)
        .map(|k| Rule::every(operation, Fault::ServerError).nth(k))
        .collect()
}

#[tokio::test]
async fn a_run_failed_at_any_point_never_leaves_a_broken_page() {
    let emulator = Emulator::shared();
    // Build 2 puts the new script, then the two pages (3 PutObject); it deletes the dropped
    // page, then the old script (2 DeleteObjects).
    let faults = [
        ("PutObject", 1),
        ("PutObject", 2),
        ("PutObject", 3),
        ("DeleteObjects", 1),
        ("DeleteObjects", 2),
    ];
    for (operation, n) in faults {
        let context = format!("{operation} #{n} failed");
        let (bucket, site) = published(emulator.endpoint(), 1).await;

        site.build(2);
        let proxy = FaultProxy::start(emulator.addr(), fail_from(operation, n)).expect("proxy");
        let failed = action(&proxy.endpoint(), &site, &bucket)
            .input("concurrency", "1")
            .run()
            .expect("run");
        let errors = failed.assert_failure();
        assert!(
            errors[0].contains("publishing stopped"),
            "{context}: {errors:?}"
        );
        let stored = objects(emulator.endpoint(), &bucket).await;
        assert_pages_complete(&stored, "", &context);
        if operation == "PutObject" {
            assert_eq!(
                proxy.count("DeleteObjects"),
                0,
                "{context}: deleted before uploads ended"
            );
            assert!(stored.contains_key("old.html"), "{context}");
        }

        let resumed = action(emulator.endpoint(), &site, &bucket)
            .run()
            .expect("run");
        resumed.assert_success();
        let stored = objects(emulator.endpoint(), &bucket).await;
        assert_pages_complete(&stored, "", &format!("{context}, then resumed"));
        assert_eq!(
            keys(&stored),
            [
                "about/index.html",
                "assets/index-a000002b.js",
                "assets/index-c0ffee42.css",
                "index.html",
                "logo.png",
                "robots.txt"
            ],
            "{context}"
        );
    }
}
