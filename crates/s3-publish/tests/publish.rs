//! The `s3-publish` binary, run through the runner contract against the AWS emulator.

mod common;

use common::{
    MANIFEST, Site, action, assert_pages_complete, bucket, called_keys, keys, objects, published,
};
use test_harness::{Emulator, FaultProxy};

#[tokio::test]
async fn publishes_then_a_touched_checkout_uploads_nothing() {
    let emulator = Emulator::shared();
    let bucket = bucket(emulator.endpoint()).await;
    let site = Site::new();
    site.build(1);
    let first = action(emulator.endpoint(), &site, &bucket)
        .run()
        .expect("run");
    first.assert_success();
    assert_eq!(first.output("uploaded"), "7");
    assert_eq!(first.output("unchanged"), "0");
    let stored = objects(emulator.endpoint(), &bucket).await;
    assert_eq!(
        keys(&stored),
        [
            "about/index.html",
            "assets/index-a000001b.js",
            "assets/index-c0ffee42.css",
            "index.html",
            "logo.png",
            "old.html",
            "robots.txt"
        ]
    );
    let bytes: usize = stored.values().map(|o| o.body.len()).sum();
    assert_eq!(first.output("bytes-uploaded"), bytes.to_string());
    let js = &stored["assets/index-a000001b.js"];
    assert_eq!(js.content_type, "text/javascript; charset=utf-8");
    assert_eq!(js.cache_control, "public, max-age=31536000, immutable");
    assert_eq!(
        js.etag,
        format!("{:x}", <md5::Md5 as md5::Digest>::digest(&js.body))
    );
    let index = &stored["index.html"];
    assert_eq!(index.content_type, "text/html; charset=utf-8");
    assert_eq!(index.cache_control, "no-cache");
    assert_eq!(stored["logo.png"].content_type, "image/png");
    assert_eq!(stored["robots.txt"].cache_control, "no-cache");
    assert!(
        first.summary.contains("| index.html | new |"),
        "{}",
        first.summary
    );

    site.touch_all();
    let proxy = FaultProxy::start(emulator.addr(), Vec::new()).expect("proxy");
    let again = action(&proxy.endpoint(), &site, &bucket)
        .run()
        .expect("run");
    again.assert_success();
    // Every fact comes from the manifest, which is already up to date: no HEAD, no PUT.
    assert_eq!(
        called_keys(&proxy.calls(), "GetObject", &bucket),
        [MANIFEST]
    );
    assert_eq!(proxy.count("HeadObject"), 0);
    assert_eq!(proxy.count("PutObject"), 0);
    assert_eq!(proxy.count("CopyObject"), 0);
    assert_eq!(proxy.count("DeleteObjects"), 0);
    assert_eq!(again.output("uploaded"), "0");
    assert_eq!(again.output("unchanged"), "7");
    assert_eq!(again.output("bytes-uploaded"), "0");
    assert_eq!(objects(emulator.endpoint(), &bucket).await, stored);
}

#[tokio::test]
async fn a_new_build_uploads_assets_before_pages_and_deletes_last() {
    let emulator = Emulator::shared();
    let (bucket, site) = published(emulator.endpoint(), 1).await;

    site.build(2);
    let proxy = FaultProxy::start(emulator.addr(), Vec::new()).expect("proxy");
    let result = action(&proxy.endpoint(), &site, &bucket)
        .run()
        .expect("run");
    result.assert_success();
    assert_eq!(result.output("uploaded"), "3");
    assert_eq!(result.output("deleted"), "2");
    assert_eq!(result.output("unchanged"), "3");
    let calls = proxy.calls();
    let mut puts = called_keys(&calls, "PutObject", &bucket);
    // The script first; the two pages after it, in either order (they run concurrently); the
    // manifest last, after the deletes.
    puts[1..3].sort();
    assert_eq!(
        puts,
        [
            "assets/index-a000002b.js",
            "about/index.html",
            "index.html",
            MANIFEST
        ]
    );
    let position = |op: &str| calls.iter().position(|c| c.operation == op);
    let puts_at: Vec<usize> = calls
        .iter()
        .enumerate()
        .filter(|(_, c)| c.operation == "PutObject")
        .map(|(n, _)| n)
        .collect();
    assert!(Some(puts_at[2]) < position("DeleteObjects"), "{calls:?}");
    let last_delete = calls.iter().rposition(|c| c.operation == "DeleteObjects");
    assert!(Some(puts_at[3]) > last_delete, "{calls:?}");
    // The objects this run left unchanged came from the manifest, the rest was written.
    assert_eq!(proxy.count("HeadObject"), 0);
    let deletes: Vec<&str> = calls
        .iter()
        .filter(|c| c.operation == "DeleteObjects")
        .map(|c| c.body.as_str())
        .collect();
    assert_eq!(deletes.len(), 2, "pages and assets in separate batches");
    assert!(deletes[0].contains("<Key>old.html</Key>"), "{deletes:?}");
    assert!(
        deletes[1].contains("<Key>assets/index-a000001b.js</Key>"),
        "{deletes:?}"
    );
    let stored = objects(emulator.endpoint(), &bucket).await;
    assert!(!stored.contains_key("old.html"));
    assert!(stored["index.html"].text().contains("index-a000002b.js"));
    assert_pages_complete(&stored, "", "after the second build");
    assert!(
        result
            .summary
            .contains("| assets/index-a000001b.js | deleted |"),
        "{}",
        result.summary
    );
}

#[tokio::test]
async fn a_header_change_is_a_copy_not_an_upload() {
    let emulator = Emulator::shared();
    let (bucket, site) = published(emulator.endpoint(), 2).await;
    let before = objects(emulator.endpoint(), &bucket).await;

    let proxy = FaultProxy::start(emulator.addr(), Vec::new()).expect("proxy");
    let result = action(&proxy.endpoint(), &site, &bucket)
        .input(
            "cache-control",
            "*.css: public, max-age=600\n*.txt: max-age=60",
        )
        .run()
        .expect("run");
    result.assert_success();
    // The manifest's headers differ from the wanted ones: a copy, no HEAD, no upload.
    assert_eq!(proxy.count("HeadObject"), 0);
    assert_eq!(
        called_keys(&proxy.calls(), "PutObject", &bucket),
        [MANIFEST]
    );
    assert_eq!(
        called_keys(&proxy.calls(), "CopyObject", &bucket),
        ["assets/index-c0ffee42.css", "robots.txt"]
    );
    assert_eq!(result.output("metadata-updated"), "2");
    assert_eq!(result.output("uploaded"), "0");
    let after = objects(emulator.endpoint(), &bucket).await;
    let css = &after["assets/index-c0ffee42.css"];
    assert_eq!(css.cache_control, "public, max-age=600");
    assert_eq!(css.content_type, "text/css; charset=utf-8");
    assert_eq!(css.body, before["assets/index-c0ffee42.css"].body);
    assert_eq!(css.sha256, before["assets/index-c0ffee42.css"].sha256);
    assert_eq!(after["robots.txt"].cache_control, "max-age=60");
    assert_eq!(after["index.html"], before["index.html"]);
}

#[tokio::test]
async fn deletes_stay_under_the_prefix_and_spare_excluded_paths() {
    let emulator = Emulator::shared();
    let endpoint = emulator.endpoint();
    let bucket = bucket(endpoint).await;
    for key in [
        "site/stale.html",
        "site/uploads/user.png",
        "site-2/index.html",
        "other/stale.html",
        "top.html",
    ] {
        common::put(endpoint, &bucket, key, "someone else's").await;
    }
    let site = Site::new();
    site.build(2);
    site.write("uploads/local.png", "not published");
    site.write("drafts/wip.html", "not published");
    let run = action(endpoint, &site, &bucket)
        .input("prefix", "/site/")
        .input("exclude", "uploads/**\ndrafts/**");
    let kept = run.input("delete", "false").run().expect("run");
    kept.assert_success();
    assert!(
        objects(endpoint, &bucket)
            .await
            .contains_key("site/stale.html")
    );

    let run = action(endpoint, &site, &bucket)
        .input("prefix", "/site/")
        .input("exclude", "uploads/**\ndrafts/**");
    let result = run.run().expect("run");
    result.assert_success();
    assert_eq!(result.output("deleted"), "1");
    let stored = objects(endpoint, &bucket).await;
    assert_eq!(
        keys(&stored),
        [
            "other/stale.html",
            "site-2/index.html",
            "site/about/index.html",
            "site/assets/index-a000002b.js",
            "site/assets/index-c0ffee42.css",
            "site/index.html",
            "site/logo.png",
            "site/robots.txt",
            "site/uploads/user.png",
            "top.html",
        ]
    );
    assert_eq!(stored["site/uploads/user.png"].text(), "someone else's");
}

#[tokio::test]
async fn precompressed_siblings_are_published_in_place_of_their_originals() {
    let emulator = Emulator::shared();
    let bucket = bucket(emulator.endpoint()).await;
    let site = Site::new();
    site.write("index.html", "<html></html>");
    site.write("assets/app-1a2b3c4d.js", "plain");
    site.write("assets/app-1a2b3c4d.js.br", "brotli bytes");
    site.write("assets/app-1a2b3c4d.js.gz", "gzip bytes");
    site.write("backup.gz", "an archive of its own");
    let result = action(emulator.endpoint(), &site, &bucket)
        .input("precompressed", "br")
        .run()
        .expect("run");
    result.assert_success();
    let stored = objects(emulator.endpoint(), &bucket).await;
    assert_eq!(
        keys(&stored),
        ["assets/app-1a2b3c4d.js", "backup.gz", "index.html"]
    );
    let js = &stored["assets/app-1a2b3c4d.js"];
    assert_eq!(js.text(), "brotli bytes");
    assert_eq!(js.content_encoding, "br");
    assert_eq!(js.content_type, "text/javascript; charset=utf-8");
    assert_eq!(stored["backup.gz"].content_encoding, "");
    assert_eq!(stored["backup.gz"].content_type, "application/gzip");

    // Switching to gzip is a new body under the same key.
    let proxy = FaultProxy::start(emulator.addr(), Vec::new()).expect("proxy");
    let gzip = action(&proxy.endpoint(), &site, &bucket)
        .input("precompressed", "gzip")
        .run()
        .expect("run");
    gzip.assert_success();
    assert_eq!(
        called_keys(&proxy.calls(), "PutObject", &bucket),
        ["assets/app-1a2b3c4d.js", MANIFEST]
    );
    let js = &objects(emulator.endpoint(), &bucket).await["assets/app-1a2b3c4d.js"];
    assert_eq!(
        (js.text().as_str(), js.content_encoding.as_str()),
        ("gzip bytes", "gzip")
    );
}

#[tokio::test]
async fn large_files_go_in_parts_and_are_compared_by_their_sha256() {
    let emulator = Emulator::shared();
    let bucket = bucket(emulator.endpoint()).await;
    let site = Site::new();
    let big: Vec<u8> = (0..6 * 1024 * 1024u32).map(|n| (n % 251) as u8).collect();
    site.write("video/intro.mp4", &big);
    site.write("index.html", "<video src=\"/video/intro.mp4\"></video>");
    let proxy = FaultProxy::start(emulator.addr(), Vec::new()).expect("proxy");
    let run = action(&proxy.endpoint(), &site, &bucket).input("multipart-threshold-mib", "5");
    run.run().expect("run").assert_success();
    assert_eq!(proxy.count("CreateMultipartUpload"), 1);
    assert_eq!(proxy.count("UploadPart"), 2);
    assert_eq!(proxy.count("CompleteMultipartUpload"), 1);
    assert_eq!(
        called_keys(&proxy.calls(), "PutObject", &bucket),
        ["index.html", MANIFEST]
    );
    let stored = objects(emulator.endpoint(), &bucket).await;
    let video = &stored["video/intro.mp4"];
    assert_eq!(video.body, big);
    assert!(video.etag.ends_with("-2"), "{}", video.etag);
    assert_eq!(
        video.sha256,
        format!("{:x}", <sha2::Sha256 as sha2::Digest>::digest(&big))
    );
    assert_eq!(video.content_type, "video/mp4");

    site.touch_all();
    let again = run.run().expect("run");
    again.assert_success();
    assert_eq!(again.output("unchanged"), "2");
    assert_eq!(proxy.count("UploadPart"), 2, "nothing uploaded again");
    // The ETag CompleteMultipartUpload answered is the one listed: the manifest stands.
    assert_eq!(proxy.count("HeadObject"), 0);
}

#[tokio::test]
async fn a_dry_run_prints_the_plan_and_changes_nothing() {
    let emulator = Emulator::shared();
    let bucket = bucket(emulator.endpoint()).await;
    common::put(emulator.endpoint(), &bucket, "stale.html", "old").await;
    let site = Site::new();
    site.build(2);
    let (result, operations) = common::dry_run(emulator, &site, &bucket);
    assert_eq!(operations, ["ListObjectsV2"]);
    assert!(
        result.stdout.contains("upload (new): index.html ("),
        "{}",
        result.stdout
    );
    assert!(
        result.stdout.contains("delete: stale.html"),
        "{}",
        result.stdout
    );
    assert_eq!(result.output("uploaded"), "6");
    assert_eq!(result.output("deleted"), "1");
    assert!(result.summary.contains("dry run"), "{}", result.summary);
    assert_eq!(
        keys(&objects(emulator.endpoint(), &bucket).await),
        ["stale.html"]
    );
}

#[tokio::test]
async fn the_summary_lists_the_first_fifty_changed_paths() {
    let emulator = Emulator::shared();
    let bucket = bucket(emulator.endpoint()).await;
    let site = Site::new();
    for n in 0..60 {
        site.write(&format!("pages/p{n:02}.html"), format!("<p>{n}</p>"));
    }
    let result = action(emulator.endpoint(), &site, &bucket)
        .input("dry-run", "true")
        .run()
        .expect("run");
    result.assert_success();
    let rows = result
        .summary
        .lines()
        .filter(|l| l.ends_with("| new |"))
        .count();
    assert_eq!(rows, 50, "{}", result.summary);
    assert!(result.summary.contains("| pages/p49.html | new |"));
    assert!(!result.summary.contains("pages/p50.html"));
    assert!(
        result.summary.contains("…and 10 more."),
        "{}",
        result.summary
    );
}
