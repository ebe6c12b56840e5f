//! The manifest: a re-publish reads the facts of the objects the last publish wrote from it
//! instead of one `HeadObject` each, and anything changed since (by another tool, or by a run
//! that failed) is read with `HeadObject` again, so the outcome never depends on it.

mod common;

use std::time::Duration;

use aws_sdk_s3::types::MetadataDirective;
use common::{MANIFEST, Site, action, called_keys, keys, manifest, objects, published};
use test_harness::{Emulator, Fault, FaultProxy, Rule};

/// S3 times objects to the second: waits until what is written next is newer than the manifest.
async fn next_second() {
    tokio::time::sleep(Duration::from_millis(1100)).await;
}

#[tokio::test]
async fn the_manifest_records_every_published_object_as_listed() {
    let emulator = Emulator::shared();
    let (bucket, _site) = published(emulator.endpoint(), 2).await;
    let stored = objects(emulator.endpoint(), &bucket).await;
    let document = manifest(emulator.endpoint(), &bucket, "")
        .await
        .expect("a manifest");
    assert_eq!(document["format"], 1);
    let entries = document["objects"].as_object().expect("objects");
    assert_eq!(
        entries.keys().map(String::as_str).collect::<Vec<_>>(),
        keys(&stored)
    );
    let index = &stored["index.html"];
    assert_eq!(
        entries["index.html"],
        serde_json::json!({
            "etag": index.etag,
            "sha256": index.sha256,
            "content-type": "text/html; charset=utf-8",
            "cache-control": "no-cache",
        })
    );
}

#[tokio::test]
async fn an_object_rewritten_behind_the_actions_back_is_read_and_published_again() {
    let emulator = Emulator::shared();
    let (bucket, site) = published(emulator.endpoint(), 2).await;
    let before = objects(emulator.endpoint(), &bucket).await;
    common::put(
        emulator.endpoint(),
        &bucket,
        "index.html",
        "<html>defaced</html>",
    )
    .await;

    let proxy = FaultProxy::start(emulator.addr(), Vec::new()).expect("proxy");
    let run = action(&proxy.endpoint(), &site, &bucket);
    let result = run.run().expect("run");
    result.assert_success();
    let calls = proxy.calls();
    assert_eq!(called_keys(&calls, "HeadObject", &bucket), ["index.html"]);
    assert_eq!(
        called_keys(&calls, "PutObject", &bucket),
        ["index.html", MANIFEST]
    );
    assert_eq!(result.output("uploaded"), "1");
    assert_eq!(objects(emulator.endpoint(), &bucket).await, before);

    // The manifest now describes the object again.
    run.run().expect("run").assert_success();
    assert_eq!(proxy.count("HeadObject"), 1, "no HEAD on the third run");
    assert_eq!(proxy.count("PutObject"), 2, "no PUT on the third run");
}

#[tokio::test]
async fn headers_changed_behind_the_actions_back_are_seen_by_the_objects_time() {
    let emulator = Emulator::shared();
    let (bucket, site) = published(emulator.endpoint(), 2).await;
    next_second().await;
    // Same bytes, so the same ETag: only the object's time tells.
    common::s3(emulator.endpoint())
        .await
        .copy_object()
        .bucket(&bucket)
        .key("robots.txt")
        .copy_source(format!("{bucket}/robots.txt"))
        .metadata_directive(MetadataDirective::Replace)
        .content_type("text/plain")
        .cache_control("max-age=5")
        .send()
        .await
        .expect("copy");

    let proxy = FaultProxy::start(emulator.addr(), Vec::new()).expect("proxy");
    let run = action(&proxy.endpoint(), &site, &bucket);
    run.run().expect("run").assert_success();
    let calls = proxy.calls();
    assert_eq!(called_keys(&calls, "HeadObject", &bucket), ["robots.txt"]);
    assert_eq!(called_keys(&calls, "CopyObject", &bucket), ["robots.txt"]);
    let robots = &objects(emulator.endpoint(), &bucket).await["robots.txt"];
    assert_eq!(robots.cache_control, "no-cache");
    assert_eq!(robots.content_type, "text/plain; charset=utf-8");

    // The ETag CopyObject answered went into the manifest: nothing is read nor copied again.
    run.run().expect("run").assert_success();
    assert_eq!(proxy.count("HeadObject"), 1);
    assert_eq!(proxy.count("CopyObject"), 1);
}

#[tokio::test]
async fn a_failed_run_leaves_the_old_manifest_and_the_next_run_reads_what_it_changed() {
    let emulator = Emulator::shared();
    let (bucket, site) = published(emulator.endpoint(), 2).await;
    let old = manifest(emulator.endpoint(), &bucket, "").await;
    next_second().await;
    // New headers for robots.txt (copied in the second phase), then the page fails to upload.
    site.write("index.html", "<html>new home</html>");
    let failing = vec![Rule::every("PutObject", Fault::ServerError)];
    let proxy = FaultProxy::start(emulator.addr(), failing).expect("proxy");
    action(&proxy.endpoint(), &site, &bucket)
        .input("cache-control", "*.txt: max-age=60")
        .run()
        .expect("run")
        .assert_failure();
    assert_eq!(
        called_keys(&proxy.calls(), "CopyObject", &bucket),
        ["robots.txt"]
    );
    assert_eq!(manifest(emulator.endpoint(), &bucket, "").await, old);

    // The rule is dropped again: the manifest still says `no-cache`, but robots.txt is newer
    // than the manifest, so it is read and put back.
    let proxy = FaultProxy::start(emulator.addr(), Vec::new()).expect("proxy");
    action(&proxy.endpoint(), &site, &bucket)
        .run()
        .expect("run")
        .assert_success();
    let calls = proxy.calls();
    assert_eq!(called_keys(&calls, "HeadObject", &bucket), ["robots.txt"]);
    assert_eq!(called_keys(&calls, "CopyObject", &bucket), ["robots.txt"]);
    let stored = objects(emulator.endpoint(), &bucket).await;
    assert_eq!(stored["robots.txt"].cache_control, "no-cache");
    assert_eq!(stored["index.html"].text(), "<html>new home</html>");
}

#[tokio::test]
async fn a_corrupt_manifest_is_ignored_and_replaced() {
    let emulator = Emulator::shared();
    let (bucket, site) = published(emulator.endpoint(), 1).await;
    common::put(emulator.endpoint(), &bucket, MANIFEST, "{\"format\":1,").await;
    site.build(2);

    let proxy = FaultProxy::start(emulator.addr(), Vec::new()).expect("proxy");
    let run = action(&proxy.endpoint(), &site, &bucket);
    let result = run.run().expect("run");
    result.assert_success();
    assert!(
        result.log().contains("ignoring the manifest"),
        "{}",
        result.log()
    );
    // Every object on both sides was read, and the outcome is the one without a manifest.
    assert_eq!(proxy.count("HeadObject"), 5);
    assert_eq!(result.output("uploaded"), "3");
    assert_eq!(result.output("deleted"), "2");
    assert_eq!(result.output("unchanged"), "3");
    let stored = objects(emulator.endpoint(), &bucket).await;
    assert!(stored["index.html"].text().contains("index-a000002b.js"));
    let document = manifest(emulator.endpoint(), &bucket, "")
        .await
        .expect("a manifest");
    assert_eq!(document["objects"].as_object().expect("objects").len(), 6);

    run.run().expect("run").assert_success();
    assert_eq!(proxy.count("HeadObject"), 5, "no HEAD on the next run");
}

#[tokio::test]
async fn a_dry_run_reads_the_manifest_and_never_writes_it() {
    let emulator = Emulator::shared();
    let (bucket, site) = published(emulator.endpoint(), 1).await;
    let old = manifest(emulator.endpoint(), &bucket, "").await;
    site.build(2);
    let (result, operations) = common::dry_run(emulator, &site, &bucket);
    assert_eq!(operations, ["ListObjectsV2", "GetObject"]);
    assert_eq!(result.output("uploaded"), "3");
    assert_eq!(result.output("unchanged"), "3");
    assert_eq!(manifest(emulator.endpoint(), &bucket, "").await, old);
}

#[tokio::test]
async fn the_manifest_lives_under_the_prefix_and_goes_with_the_last_file() {
    let emulator = Emulator::shared();
    let bucket = common::bucket(emulator.endpoint()).await;
    let site = Site::new();
    site.build(2);
    let run = |site: &Site| {
        action(emulator.endpoint(), site, &bucket)
            .input("prefix", "site")
            .input("allow-empty-source", "true")
    };
    run(&site).run().expect("run").assert_success();
    assert!(manifest(emulator.endpoint(), &bucket, "").await.is_none());
    assert!(
        manifest(emulator.endpoint(), &bucket, "site/")
            .await
            .is_some()
    );

    let empty = Site::new();
    let result = run(&empty).run().expect("run");
    result.assert_success();
    assert_eq!(result.output("deleted"), "6");
    let listing = common::s3(emulator.endpoint())
        .await
        .list_objects_v2()
        .bucket(&bucket)
        .send()
        .await
        .expect("list");
    assert!(listing.contents().is_empty(), "{listing:?}");
}

#[tokio::test]
async fn a_source_file_with_the_manifests_name_is_refused() {
    let emulator = Emulator::shared();
    let bucket = common::bucket(emulator.endpoint()).await;
    let site = Site::new();
    site.build(2);
    site.write(MANIFEST, "{}");
    let proxy = FaultProxy::start(emulator.addr(), Vec::new()).expect("proxy");
    let result = action(&proxy.endpoint(), &site, &bucket)
        .run()
        .expect("run");
    let errors = result.assert_failure();
    assert!(
        errors[0].contains("input 'source'") && errors[0].contains(MANIFEST),
        "{errors:?}"
    );
    assert!(proxy.calls().is_empty());

    let excluded = action(emulator.endpoint(), &site, &bucket)
        .input("exclude", MANIFEST)
        .run()
        .expect("run");
    excluded.assert_success();
    assert_eq!(excluded.output("uploaded"), "6");
}
