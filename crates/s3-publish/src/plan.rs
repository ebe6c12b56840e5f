//! What to do with each object, decided from the local files and the bucket's listing (pure).
//!
//! A file is compared with its object by content (the SHA-256 in the object's metadata when
//! there, else the single-part ETag against the MD5) and then by the headers we set: equal bytes
//! with other headers is a metadata-only copy, never an upload; modification times play no part.
//! The steps come in a safe order: fingerprinted assets, then other unhashed files, then HTML,
//! and stale objects are deleted last, pages before the assets they may reference. Deletions
//! stay under the prefix and never touch excluded paths nor the [`manifest`].

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use crate::headers::{self, CacheRule, Headers};
use crate::local::LocalFile;
use crate::manifest;
use crate::pattern::Pattern;
use crate::remote::{RemoteHead, RemoteObject};
use crate::url::encode_path;

/// The largest object `CopyObject` can copy in one call (5 GiB); larger ones are re-uploaded.
const COPY_LIMIT: u64 = 5 * 1024 * 1024 * 1024;
/// Above this many invalidation paths, paths are collapsed into wildcards.
pub const MAX_PATHS: usize = 30;
/// The most wildcards one collapsed invalidation may hold (CloudFront allows 15 in flight).
pub const MAX_WILDCARDS: usize = 5;

/// Where and how the files are published.
#[derive(Debug, Clone, Copy)]
pub struct Target<'a> {
    /// The key prefix, empty or ending in `/`.
    pub prefix: &'a str,
    /// Whether stale objects are deleted.
    pub delete: bool,
    /// Paths never published nor deleted.
    pub exclude: &'a [Pattern],
    /// The `cache-control` rules.
    pub rules: &'a [CacheRule],
    /// Files larger than this are uploaded in parts.
    pub multipart_threshold: u64,
}

/// The upload phases, in the order they run: each phase starts when the one before finished,
/// so nothing is referenced before it exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Phase {
    /// Files whose name carries their content hash: nothing old refers to them.
    Fingerprinted,
    /// Other files that are not pages (images, `manifest.json`, `sw.js`…).
    Unhashed,
    /// HTML pages, the entry points: last, once everything they reference is there.
    Html,
}

impl Phase {
    /// Every phase, in order.
    pub const ALL: [Phase; 3] = [Phase::Fingerprinted, Phase::Unhashed, Phase::Html];

    /// The phase of a path.
    pub fn of(path: &str) -> Self {
        if headers::is_html(path) {
            Phase::Html
        } else if headers::is_fingerprinted(path) {
            Phase::Fingerprinted
        } else {
            Phase::Unhashed
        }
    }

    /// How the log names it.
    pub fn label(self) -> &'static str {
        match self {
            Phase::Fingerprinted => "fingerprinted assets",
            Phase::Unhashed => "other files",
            Phase::Html => "HTML pages",
        }
    }
}

/// Why a file is published.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// No object has its key.
    New,
    /// The object's bytes differ.
    Content,
    /// The bytes are equal; `Content-Type`, `Cache-Control` or `Content-Encoding` differ.
    Headers,
}

/// How a file is published.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transfer {
    /// One `PutObject`.
    Put,
    /// A multipart upload.
    Multipart,
    /// `CopyObject` onto itself with the new headers (no bytes sent).
    CopyHeaders,
}

/// One file to publish.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// The file.
    pub file: LocalFile,
    /// Its key.
    pub key: String,
    /// The headers it gets.
    pub headers: Headers,
    /// Why.
    pub change: Change,
    /// How.
    pub transfer: Transfer,
    /// When.
    pub phase: Phase,
}

impl Step {
    /// Whether the step sends the file's bytes.
    pub fn uploads(&self) -> bool {
        self.transfer != Transfer::CopyHeaders
    }
}

/// One stale object to delete.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deletion {
    /// Its key.
    pub key: String,
    /// Its path below the prefix.
    pub path: String,
}

/// Everything a run does, in order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    /// Uploads and header updates, sorted by phase, then path.
    pub steps: Vec<Step>,
    /// Deletions: pages first, then the rest.
    pub deletions: Vec<Deletion>,
    /// Paths whose object is already as wanted.
    pub unchanged: Vec<String>,
}

impl Plan {
    /// The steps of one phase.
    pub fn phase(&self, phase: Phase) -> impl Iterator<Item = &Step> {
        self.steps.iter().filter(move |s| s.phase == phase)
    }

    /// How many files are uploaded.
    pub fn uploads(&self) -> usize {
        self.steps.iter().filter(|s| s.uploads()).count()
    }

    /// How many objects only get new headers.
    pub fn header_updates(&self) -> usize {
        self.steps.len() - self.uploads()
    }

    /// The bytes the uploads send.
    pub fn upload_bytes(&self) -> u64 {
        self.steps
            .iter()
            .filter(|s| s.uploads())
            .map(|s| s.file.size)
            .sum()
    }

    /// Whether the run changes nothing.
    pub fn is_empty(&self) -> bool {
        self.steps.is_empty() && self.deletions.is_empty()
    }

    /// One line per change, in order, for the log and the dry run.
    pub fn describe(&self) -> String {
        let mut text = String::new();
        for step in &self.steps {
            let what = match (step.change, step.transfer) {
                (_, Transfer::CopyHeaders) => "update headers",
                (Change::New, _) => "upload (new)",
                _ => "upload (changed)",
            };
            let parts = if step.transfer == Transfer::Multipart {
                ", multipart"
            } else {
                ""
            };
            let encoding = step
                .headers
                .content_encoding
                .as_deref()
                .map(|e| format!(", {e}"))
                .unwrap_or_default();
            let _ = writeln!(
                text,
                "{what}: {} ({} bytes{parts}; {}{encoding}; {})",
                step.key, step.file.size, step.headers.content_type, step.headers.cache_control
            );
        }
        for deletion in &self.deletions {
            let _ = writeln!(text, "delete: {}", deletion.key);
        }
        text
    }
}

/// The full key of a path.
pub(crate) fn key_of(prefix: &str, path: &str) -> String {
    format!("{prefix}{path}")
}

/// The keys that exist both locally and in the bucket: their headers are needed to compare.
pub fn keys_to_head(files: &[LocalFile], remote: &[RemoteObject], prefix: &str) -> Vec<String> {
    let local: BTreeSet<String> = files.iter().map(|f| key_of(prefix, &f.path)).collect();
    remote
        .iter()
        .filter(|o| local.contains(&o.key))
        .map(|o| o.key.clone())
        .collect()
}

/// The headers a file is published with.
pub fn headers_for(file: &LocalFile, rules: &[CacheRule]) -> Headers {
    Headers {
        content_type: headers::content_type(&file.path),
        cache_control: headers::cache_control(rules, &file.path),
        content_encoding: file.content_encoding.map(str::to_owned),
    }
}

/// Whether the object holds exactly the file's bytes.
fn same_bytes(file: &LocalFile, object: &RemoteObject, head: &RemoteHead) -> bool {
    let by_hash = match &head.sha256 {
        Some(sha256) => sha256.eq_ignore_ascii_case(&file.sha256),
        None => !object.etag.contains('-') && object.etag.eq_ignore_ascii_case(&file.md5),
    };
    by_hash && object.size == file.size
}

fn same_headers(wanted: &Headers, head: &RemoteHead) -> bool {
    head.content_type.as_deref() == Some(wanted.content_type.as_str())
        && head.cache_control.as_deref() == Some(wanted.cache_control.as_str())
        && head.content_encoding.as_deref() == wanted.content_encoding.as_deref()
}

/// The plan for publishing `files` over the objects `remote` (listed under the prefix), given
/// the `heads` of the objects that exist locally too.
pub fn plan(
    files: &[LocalFile],
    remote: &[RemoteObject],
    heads: &BTreeMap<String, RemoteHead>,
    target: &Target<'_>,
) -> Plan {
    let objects: BTreeMap<&str, &RemoteObject> =
        remote.iter().map(|o| (o.key.as_str(), o)).collect();
    let mut plan = Plan::default();
    for file in files {
        let key = key_of(target.prefix, &file.path);
        let wanted = headers_for(file, target.rules);
        let existing = objects
            .get(key.as_str())
            .and_then(|object| Some((*object, heads.get(key.as_str())?)));
        let change = match existing {
            None => Change::New,
            Some((object, head)) if !same_bytes(file, object, head) => Change::Content,
            Some((_, head)) if !same_headers(&wanted, head) => Change::Headers,
            Some(_) => {
                plan.unchanged.push(file.path.clone());
                continue;
            }
        };
        let transfer = if change == Change::Headers && file.size <= COPY_LIMIT {
            Transfer::CopyHeaders
        } else if file.size > target.multipart_threshold {
            Transfer::Multipart
        } else {
            Transfer::Put
        };
        plan.steps.push(Step {
            phase: Phase::of(&file.path),
            file: file.clone(),
            key,
            headers: wanted,
            change,
            transfer,
        });
    }
    plan.steps
        .sort_by(|a, b| (a.phase, &a.file.path).cmp(&(b.phase, &b.file.path)));
    if target.delete {
        let local: BTreeSet<&str> = files.iter().map(|f| f.path.as_str()).collect();
        let mut deletions: Vec<Deletion> = remote
            .iter()
            .filter_map(|object| {
                let path = object.key.strip_prefix(target.prefix)?;
                let stale = !path.is_empty()
                    && !path.ends_with('/')
                    && path != manifest::NAME
                    && !local.contains(path)
                    && !target.exclude.iter().any(|p| p.matches(path));
                stale.then(|| Deletion {
                    key: object.key.clone(),
                    path: path.to_owned(),
                })
            })
            .collect();
        deletions.sort_by_key(|d| (!headers::is_html(&d.path), d.key.clone()));
        plan.deletions = deletions;
    }
    plan
}

/// The CloudFront paths of what changed and may be cached under the same URL: changed or
/// deleted files that are not fingerprinted, `/dir/` for a `dir/index.html`, collapsed into
/// wildcards when there are more than [`MAX_PATHS`]. `origin_path` is the distribution's origin
/// path (`/site` serves the key `site/a.html` as `/a.html`); keys outside it are not served.
pub fn invalidation_paths(plan: &Plan, origin_path: &str) -> Vec<String> {
    let origin = origin_path.trim_matches('/');
    let origin = if origin.is_empty() {
        String::new()
    } else {
        format!("{origin}/")
    };
    let keys = plan
        .steps
        .iter()
        .map(|s| (s.key.as_str(), s.file.path.as_str()))
        .chain(
            plan.deletions
                .iter()
                .map(|d| (d.key.as_str(), d.path.as_str())),
        );
    let mut paths = BTreeSet::new();
    for (key, path) in keys {
        if headers::is_fingerprinted(path) {
            continue;
        }
        let Some(served) = key.strip_prefix(origin.as_str()) else {
            continue;
        };
        let url = format!("/{}", encode_path(served));
        if let Some(dir) = url.strip_suffix("index.html") {
            paths.insert(dir.to_owned());
        }
        paths.insert(url);
    }
    collapse(paths)
}

/// At most [`MAX_PATHS`] paths: first by turning each top-level directory with several paths
/// into `/dir/*`, else `/*`.
fn collapse(paths: BTreeSet<String>) -> Vec<String> {
    if paths.len() <= MAX_PATHS {
        return paths.into_iter().collect();
    }
    let mut by_dir: BTreeMap<Option<&str>, Vec<&String>> = BTreeMap::new();
    for path in &paths {
        let dir = path
            .trim_start_matches('/')
            .split_once('/')
            .map(|(dir, _)| dir);
        by_dir.entry(dir).or_default().push(path);
    }
    let mut collapsed = Vec::new();
    let mut wildcards = 0;
    for (dir, members) in by_dir {
        match dir {
            Some(dir) if members.len() > 1 => {
                wildcards += 1;
                collapsed.push(format!("/{dir}/*"));
            }
            _ => collapsed.extend(members.into_iter().cloned()),
        }
    }
    if collapsed.len() <= MAX_PATHS && wildcards <= MAX_WILDCARDS {
        collapsed.sort();
        collapsed
    } else {
        vec!["/*".to_owned()]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(path: &str, body: &str) -> LocalFile {
        LocalFile {
            path: path.into(),
            source: path.into(),
            size: body.len() as u64,
            md5: format!("{:x}", <md5::Md5 as md5::Digest>::digest(body)),
            sha256: format!("{:x}", <sha2::Sha256 as sha2::Digest>::digest(body)),
            content_encoding: None,
        }
    }

    /// The object as a previous publish of `file` left it.
    fn published(
        prefix: &str,
        file: &LocalFile,
        rules: &[CacheRule],
    ) -> (RemoteObject, RemoteHead) {
        let wanted = headers_for(file, rules);
        (
            RemoteObject {
                key: key_of(prefix, &file.path),
                size: file.size,
                etag: file.md5.clone(),
                last_modified: None,
            },
            RemoteHead {
                content_type: Some(wanted.content_type),
                cache_control: Some(wanted.cache_control),
                content_encoding: wanted.content_encoding,
                sha256: None,
            },
        )
    }

    fn target<'a>(prefix: &'a str, exclude: &'a [Pattern], rules: &'a [CacheRule]) -> Target<'a> {
        Target {
            prefix,
            delete: true,
            exclude,
            rules,
            multipart_threshold: 100,
        }
    }

    fn bucket(
        objects: &[(RemoteObject, RemoteHead)],
    ) -> (Vec<RemoteObject>, BTreeMap<String, RemoteHead>) {
        (
            objects.iter().map(|(o, _)| o.clone()).collect(),
            objects
                .iter()
                .map(|(o, h)| (o.key.clone(), h.clone()))
                .collect(),
        )
    }

    fn summary(plan: &Plan) -> Vec<String> {
        plan.steps
            .iter()
            .map(|s| format!("{:?} {:?} {:?} {}", s.phase, s.change, s.transfer, s.key))
            .chain(plan.deletions.iter().map(|d| format!("delete {}", d.key)))
            .collect()
    }

    #[test]
    fn first_publish_uploads_in_phases() {
        let files = [
            file("index.html", "<html>"),
            file("assets/app-1a2b3c4d.js", "js"),
            file("logo.png", "png"),
            file("big-5e6f7a8b.bin", &"x".repeat(101)),
        ];
        let plan = plan(&files, &[], &BTreeMap::new(), &target("site/", &[], &[]));
        assert_eq!(
            summary(&plan),
            [
                "Fingerprinted New Put site/assets/app-1a2b3c4d.js",
                "Fingerprinted New Multipart site/big-5e6f7a8b.bin",
                "Unhashed New Put site/logo.png",
                "Html New Put site/index.html",
            ]
        );
        assert_eq!(plan.uploads(), 4);
        assert_eq!(plan.upload_bytes(), 6 + 2 + 3 + 101);
        assert_eq!(plan.steps[0].headers.cache_control, headers::IMMUTABLE);
        assert_eq!(plan.steps[3].headers.cache_control, headers::NO_CACHE);
    }

    #[test]
    fn equal_content_with_other_headers_is_a_copy_and_equal_is_nothing() {
        let files = [
            file("index.html", "a"),
            file("app.css", "b"),
            file("same.txt", "c"),
        ];
        let rules = crate::headers::parse_cache_rules(&["*.css: max-age=60".into()]).expect("rule");
        let (remote, heads) = bucket(&[
            published("", &files[0], &[]),
            published("", &files[1], &[]),
            published("", &files[2], &[]),
        ]);
        let plan = plan(&files, &remote, &heads, &target("", &[], &rules));
        assert_eq!(summary(&plan), ["Unhashed Headers CopyHeaders app.css"]);
        assert_eq!(plan.unchanged, ["index.html", "same.txt"]);
        assert_eq!(
            (plan.uploads(), plan.header_updates(), plan.upload_bytes()),
            (0, 1, 0)
        );
    }

    #[test]
    fn content_is_compared_by_hash_never_by_size_alone() {
        let old = file("index.html", "<a href=x-1.js>");
        let new = file("index.html", "<a href=y-2.js>");
        let (remote, heads) = bucket(&[published("", &old, &[])]);
        let plan = plan(
            std::slice::from_ref(&new),
            &remote,
            &heads,
            &target("", &[], &[]),
        );
        assert_eq!(summary(&plan), ["Html Content Put index.html"]);
    }

    #[test]
    fn multipart_objects_compare_the_stored_sha256() {
        let big = file("video.mp4", &"v".repeat(150));
        let (mut object, mut head) = published("", &big, &[]);
        object.etag = "0123456789abcdef0123456789abcdef-2".into();
        head.sha256 = Some(big.sha256.clone());
        let (remote, heads) = bucket(&[(object.clone(), head.clone())]);
        let same = plan(
            std::slice::from_ref(&big),
            &remote,
            &heads,
            &target("", &[], &[]),
        );
        assert!(same.is_empty(), "{same:?}");
        head.sha256 = Some("another".into());
        let (remote, heads) = bucket(&[(object, head)]);
        let changed = plan(&[big], &remote, &heads, &target("", &[], &[]));
        assert_eq!(summary(&changed), ["Unhashed Content Multipart video.mp4"]);
        // A multipart ETag without our metadata cannot be compared: uploaded again.
        let mut foreign = published("", &file("a.txt", "t"), &[]);
        foreign.0.etag = "ffff-3".into();
        let (remote, heads) = bucket(&[foreign]);
        let plan = plan(
            &[file("a.txt", "t")],
            &remote,
            &heads,
            &target("", &[], &[]),
        );
        assert_eq!(summary(&plan), ["Unhashed Content Put a.txt"]);
    }

    #[test]
    fn deletions_are_last_pages_first_within_the_prefix_and_never_excluded() {
        let files = [file("index.html", "i")];
        let stale = |key: &str| {
            (
                RemoteObject {
                    key: key.into(),
                    size: 1,
                    etag: "e".into(),
                    last_modified: None,
                },
                RemoteHead::default(),
            )
        };
        let (remote, heads) = bucket(&[
            published("site/", &files[0], &[]),
            stale("site/assets/old-1a2b3c4d.js"),
            stale("site/old.html"),
            stale("site/uploads/user.png"),
            stale("site/folder/"),
            stale("site/.s3-publish-manifest.json"),
            stale("other/outside.html"),
            stale("site-2/outside.js"),
        ]);
        let exclude = [Pattern::new("uploads/**").expect("glob")];
        let plan = plan(&files, &remote, &heads, &target("site/", &exclude, &[]));
        assert_eq!(
            summary(&plan),
            ["delete site/old.html", "delete site/assets/old-1a2b3c4d.js"]
        );
        let mut keep = target("site/", &exclude, &[]);
        keep.delete = false;
        let plan = super::plan(&files, &remote, &heads, &keep);
        assert!(plan.is_empty());
    }

    #[test]
    fn a_head_that_vanished_means_upload() {
        let files = [file("a.txt", "a")];
        let (remote, _) = bucket(&[published("", &files[0], &[])]);
        let plan = plan(&files, &remote, &BTreeMap::new(), &target("", &[], &[]));
        assert_eq!(summary(&plan), ["Unhashed New Put a.txt"]);
    }

    #[test]
    fn keys_to_head_are_those_on_both_sides() {
        let files = [file("a.txt", "a"), file("b.txt", "b")];
        let (remote, _) = bucket(&[
            published("p/", &files[1], &[]),
            published("p/", &file("c.txt", "c"), &[]),
        ]);
        assert_eq!(keys_to_head(&files, &remote, "p/"), ["p/b.txt"]);
    }

    fn plan_of(paths: &[&str], deleted: &[&str], prefix: &str) -> Plan {
        let files: Vec<LocalFile> = paths.iter().map(|p| file(p, p)).collect();
        let mut plan = plan(&files, &[], &BTreeMap::new(), &target(prefix, &[], &[]));
        plan.deletions = deleted
            .iter()
            .map(|p| Deletion {
                key: format!("{prefix}{p}"),
                path: (*p).to_owned(),
            })
            .collect();
        plan
    }

    #[test]
    fn invalidation_skips_fingerprinted_files_and_adds_directories() {
        let plan = plan_of(
            &[
                "index.html",
                "docs/index.html",
                "assets/app-1a2b3c4d.js",
                "robots.txt",
                "a b.html",
            ],
            &["gone.html", "assets/old-5e6f7a8b.css"],
            "",
        );
        assert_eq!(
            invalidation_paths(&plan, ""),
            [
                "/",
                "/a%20b.html",
                "/docs/",
                "/docs/index.html",
                "/gone.html",
                "/index.html",
                "/robots.txt"
            ]
        );
        assert!(invalidation_paths(&Plan::default(), "").is_empty());
    }

    #[test]
    fn invalidation_follows_the_origin_path() {
        let plan = plan_of(&["index.html", "about.html"], &[], "site/");
        assert_eq!(
            invalidation_paths(&plan, "/site"),
            ["/", "/about.html", "/index.html"]
        );
        assert_eq!(
            invalidation_paths(&plan, ""),
            ["/site/", "/site/about.html", "/site/index.html"]
        );
        assert!(invalidation_paths(&plan, "/elsewhere").is_empty());
    }

    #[test]
    fn long_lists_collapse_into_wildcards() {
        let mut paths: Vec<String> = (0..40).map(|n| format!("blog/post-{n}.html")).collect();
        paths.push("index.html".into());
        paths.push("about/team.html".into());
        let refs: Vec<&str> = paths.iter().map(String::as_str).collect();
        assert_eq!(
            invalidation_paths(&plan_of(&refs, &[], ""), ""),
            ["/", "/about/team.html", "/blog/*", "/index.html"]
        );
        let many: Vec<String> = (0..40).map(|n| format!("page-{n}.html")).collect();
        let refs: Vec<&str> = many.iter().map(String::as_str).collect();
        assert_eq!(invalidation_paths(&plan_of(&refs, &[], ""), ""), ["/*"]);
        let dirs: Vec<String> = (0..20)
            .flat_map(|n| [format!("d{n}/a.html"), format!("d{n}/b.html")])
            .collect();
        let refs: Vec<&str> = dirs.iter().map(String::as_str).collect();
        assert_eq!(invalidation_paths(&plan_of(&refs, &[], ""), ""), ["/*"]);
    }
}
