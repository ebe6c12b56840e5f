//! What the `s3-publish` tests share: a generated site in a workspace, buckets and
//! distributions in the emulator, a read of everything a bucket holds, and the check that every
//! page in a bucket references only objects that exist.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use test_harness::{ActionRun, Emulator, unique_name};

pub(crate) const BIN: &str = env!("CARGO_BIN_EXE_s3-publish");
/// The manifest's name below the prefix.
pub(crate) const MANIFEST: &str = ".s3-publish-manifest.json";

/// A workspace holding the built site in `dist/`.
#[derive(Debug)]
pub(crate) struct Site {
    dir: tempfile::TempDir,
}

impl Site {
    pub(crate) fn new() -> Self {
        let site = Self {
            dir: tempfile::tempdir().expect("tempdir"),
        };
        std::fs::create_dir_all(site.dist()).expect("dist");
        site
    }

    pub(crate) fn workspace(&self) -> &Path {
        self.dir.path()
    }

    pub(crate) fn dist(&self) -> PathBuf {
        self.dir.path().join("dist")
    }

    pub(crate) fn write(&self, path: &str, body: impl AsRef<[u8]>) {
        let path = self.dist().join(path);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, body).expect("write");
    }

    /// Replaces `dist/` with build `version` of a small app: two pages referencing a hashed
    /// script and stylesheet (the script changes with the version, the stylesheet does not), an
    /// unhashed image and `robots.txt`; version 1 also has a page that later builds drop.
    pub(crate) fn build(&self, version: u32) {
        let _ = std::fs::remove_dir_all(self.dist());
        std::fs::create_dir_all(self.dist()).expect("dist");
        let js = format!("assets/index-a{version:06}b.js");
        let css = "assets/index-c0ffee42.css";
        let page = |title: &str| {
            format!(
                "<!doctype html><html><head><title>{title}</title>\
                 <link rel=\"stylesheet\" href=\"/{css}\">\
                 <script type=\"module\" src=\"/{js}\"></script></head>\
                 <body><img src=\"/logo.png\"><a href=\"/about/\">about</a></body></html>"
            )
        };
        self.write("index.html", page("home"));
        self.write("about/index.html", page("about"));
        self.write(&js, format!("console.log('build {version}');"));
        self.write(css, "body { color: #333 }");
        self.write("logo.png", [0x89, b'P', b'N', b'G', 0, 1, 2, 3]);
        self.write("robots.txt", "User-agent: *\n");
        if version == 1 {
            self.write(
                "old.html",
                format!("<html><script src=\"/{js}\"></script></html>"),
            );
        }
    }

    /// Gives every file a new modification time, as a fresh checkout and build do.
    pub(crate) fn touch_all(&self) {
        let later = std::time::SystemTime::now() + std::time::Duration::from_secs(3600);
        touch(&self.dist(), later);
    }
}

fn touch(dir: &Path, when: std::time::SystemTime) {
    for entry in std::fs::read_dir(dir).expect("read_dir") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            touch(&path, when);
        } else {
            std::fs::File::options()
                .write(true)
                .open(&path)
                .and_then(|f| f.set_modified(when))
                .expect("touch");
        }
    }
}

/// An S3 client on the emulator (path-style, as the emulator needs).
pub(crate) async fn s3(endpoint: &str) -> aws_sdk_s3::Client {
    let config = Emulator::sdk_config(endpoint).await;
    aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&config)
            .force_path_style(true)
            .build(),
    )
}

/// A new, empty bucket.
pub(crate) async fn bucket(endpoint: &str) -> String {
    let name = unique_name("site");
    let config = Emulator::sdk_config(endpoint).await;
    test_harness::aws_fixtures::create_bucket(&config, &name)
        .await
        .expect("create bucket");
    name
}

/// Puts an object as someone else would (no metadata of ours).
pub(crate) async fn put(endpoint: &str, bucket: &str, key: &str, body: &str) {
    s3(endpoint)
        .await
        .put_object()
        .bucket(bucket)
        .key(key)
        .body(body.as_bytes().to_vec().into())
        .send()
        .await
        .expect("put");
}

/// One object as the bucket holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Object {
    pub(crate) body: Vec<u8>,
    pub(crate) content_type: String,
    pub(crate) cache_control: String,
    pub(crate) content_encoding: String,
    pub(crate) etag: String,
    pub(crate) sha256: String,
}

impl Object {
    pub(crate) fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// Everything the bucket holds but the action's manifests.
pub(crate) async fn objects(endpoint: &str, bucket: &str) -> BTreeMap<String, Object> {
    let client = s3(endpoint).await;
    let listing = client
        .list_objects_v2()
        .bucket(bucket)
        .send()
        .await
        .expect("list");
    let mut objects = BTreeMap::new();
    for object in listing.contents() {
        let key = object.key().expect("key").to_owned();
        if key.rsplit('/').next() == Some(MANIFEST) {
            continue;
        }
        let got = client
            .get_object()
            .bucket(bucket)
            .key(&key)
            .send()
            .await
            .expect("get");
        let owned = |v: Option<&str>| v.unwrap_or_default().to_owned();
        let meta = Object {
            content_type: owned(got.content_type()),
            cache_control: owned(got.cache_control()),
            content_encoding: owned(got.content_encoding()),
            etag: owned(got.e_tag()).trim_matches('"').to_owned(),
            sha256: got
                .metadata()
                .and_then(|m| m.get("sha256"))
                .cloned()
                .unwrap_or_default(),
            body: got
                .body
                .collect()
                .await
                .expect("body")
                .into_bytes()
                .to_vec(),
        };
        objects.insert(key, meta);
    }
    objects
}

/// The manifest under `prefix` as JSON; `None` when there is none.
pub(crate) async fn manifest(
    endpoint: &str,
    bucket: &str,
    prefix: &str,
) -> Option<serde_json::Value> {
    let got = s3(endpoint)
        .await
        .get_object()
        .bucket(bucket)
        .key(format!("{prefix}{MANIFEST}"))
        .send()
        .await
        .ok()?;
    let body = got.body.collect().await.expect("body").into_bytes();
    Some(serde_json::from_slice(&body).expect("the manifest is JSON"))
}

/// The keys of a bucket's objects.
pub(crate) fn keys(objects: &BTreeMap<String, Object>) -> Vec<&str> {
    objects.keys().map(String::as_str).collect()
}

/// Panics unless every `src`/`href` of every page under `prefix` names an object that exists.
pub(crate) fn assert_pages_complete(
    objects: &BTreeMap<String, Object>,
    prefix: &str,
    context: &str,
) {
    for (key, object) in objects.iter().filter(|(k, _)| k.ends_with(".html")) {
        for reference in references(&object.text()) {
            if reference.starts_with("http") || reference.starts_with('#') {
                continue;
            }
            let mut target = format!("{prefix}{}", reference.trim_start_matches('/'));
            if target.ends_with('/') {
                target.push_str("index.html");
            }
            assert!(
                objects.contains_key(&target),
                "{context}: page {key} references {reference}, but {target} is not in the bucket: {:?}",
                keys(objects)
            );
        }
    }
}

/// The values of the `src="…"` and `href="…"` attributes of an HTML text.
fn references(html: &str) -> Vec<String> {
    let mut found = Vec::new();
    for attribute in ["src=\"", "href=\""] {
        for (index, _) in html.match_indices(attribute) {
            let rest = &html[index + attribute.len()..];
            if let Some(end) = rest.find('"') {
                found.push(rest[..end].to_owned());
            }
        }
    }
    found
}

/// A CloudFront distribution in front of `bucket` (origin path `origin_path`).
pub(crate) async fn distribution(endpoint: &str, bucket: &str, origin_path: &str) -> String {
    let config = Emulator::sdk_config(endpoint).await;
    test_harness::aws_fixtures::create_distribution(&config, bucket, origin_path)
        .await
        .expect("distribution")
}

/// A run of the action publishing `site` to `bucket` through `endpoint`.
pub(crate) fn action(endpoint: &str, site: &Site, bucket: &str) -> ActionRun {
    ActionRun::new(BIN)
        .expect("runner")
        .envs(Emulator::aws_env(endpoint))
        .workspace(site.workspace())
        .input("source", "dist")
        .input("bucket", bucket)
}

/// A dry run of `site` to `bucket` that succeeded, and the S3 operations it called in order.
pub(crate) fn dry_run(
    emulator: &Emulator,
    site: &Site,
    bucket: &str,
) -> (test_harness::ActionResult, Vec<String>) {
    let proxy = test_harness::FaultProxy::start(emulator.addr(), Vec::new()).expect("proxy");
    let result = action(&proxy.endpoint(), site, bucket)
        .input("dry-run", "true")
        .run()
        .expect("run");
    result.assert_success();
    let operations = proxy.calls().into_iter().map(|c| c.operation).collect();
    (result, operations)
}

/// A new bucket with build `version` of the site published to it.
pub(crate) async fn published(endpoint: &str, version: u32) -> (String, Site) {
    let bucket = bucket(endpoint).await;
    let site = Site::new();
    site.build(version);
    action(endpoint, &site, &bucket)
        .run()
        .expect("run")
        .assert_success();
    (bucket, site)
}

/// The keys of the S3 calls of `operation` a proxy saw, in order (`/bucket/key` → `key`).
pub(crate) fn called_keys(
    calls: &[test_harness::Call],
    operation: &str,
    bucket: &str,
) -> Vec<String> {
    calls
        .iter()
        .filter(|c| c.operation == operation)
        .map(|c| {
            let path = c.path.split('?').next().unwrap_or_default();
            path.trim_start_matches('/')
                .strip_prefix(bucket)
                .unwrap_or(path)
                .trim_start_matches('/')
                .to_owned()
        })
        .collect()
}
