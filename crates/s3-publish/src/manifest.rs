//! The manifest: one object under the prefix, [`NAME`], recording what each object this action
//! wrote looked like (its ETag as listed, the SHA-256 and headers a `HeadObject` would return),
//! so that a re-publish reads those facts from one `GetObject` instead of one `HeadObject` per
//! object (pure: the format, which entries can be trusted, and the next manifest).
//!
//! An entry is trusted only while the listing shows the same ETag and a `LastModified` not later
//! than the manifest's own: a new body changes the ETag, and a `CopyObject` that changed only
//! headers (by another tool, or by a run that failed before writing the manifest) makes the
//! object newer than the manifest. Anything else is read with `HeadObject` as before, so
//! correctness never depends on the manifest; a missing or unreadable one only costs HEADs.

use std::collections::BTreeMap;

use aws_smithy_types::DateTime;
use serde::{Deserialize, Serialize};

use crate::plan::{Plan, key_of};
use crate::remote::{RemoteHead, RemoteObject};

/// The manifest's name below the prefix: never uploaded from the source, never deleted as stale.
pub const NAME: &str = ".s3-publish-manifest.json";

/// The version of the format this build writes and reads; any other is ignored.
const FORMAT: u32 = 1;

/// What the manifest records of one object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Entry {
    /// Its ETag, without quotes, as the listing shows it.
    pub etag: String,
    /// The SHA-256 in its metadata.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    /// `Content-Type`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    /// `Cache-Control`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_control: Option<String>,
    /// `Content-Encoding`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_encoding: Option<String>,
}

impl Entry {
    fn new(etag: &str, head: &RemoteHead) -> Self {
        Self {
            etag: etag.to_owned(),
            sha256: head.sha256.clone(),
            content_type: head.content_type.clone(),
            cache_control: head.cache_control.clone(),
            content_encoding: head.content_encoding.clone(),
        }
    }

    fn head(&self) -> RemoteHead {
        RemoteHead {
            content_type: self.content_type.clone(),
            cache_control: self.cache_control.clone(),
            content_encoding: self.content_encoding.clone(),
            sha256: self.sha256.clone(),
        }
    }
}

/// The manifest's document: every object by full key.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    format: u32,
    objects: BTreeMap<String, Entry>,
}

impl Manifest {
    /// The manifest's key under `prefix` (empty or ending in `/`).
    pub fn key(prefix: &str) -> String {
        key_of(prefix, NAME)
    }

    /// Reads a manifest; an error says why it cannot be used.
    pub fn parse(body: &[u8]) -> anyhow::Result<Self> {
        let manifest: Self = serde_json::from_slice(body)?;
        anyhow::ensure!(
            manifest.format == FORMAT,
            "format {} is not {FORMAT}",
            manifest.format
        );
        Ok(manifest)
    }

    /// The manifest as stored.
    pub fn to_json(&self) -> Vec<u8> {
        // Serialising maps of strings cannot fail.
        serde_json::to_vec(self).unwrap_or_default()
    }

    /// Whether it records no object.
    pub fn is_empty(&self) -> bool {
        self.objects.is_empty()
    }

    /// The facts of the listed objects this manifest, last modified at `written`, still
    /// describes: same ETag, and not modified after the manifest was written.
    pub fn trusted(
        &self,
        remote: &[RemoteObject],
        written: DateTime,
    ) -> BTreeMap<String, RemoteHead> {
        remote
            .iter()
            .filter_map(|object| {
                let entry = self.objects.get(&object.key)?;
                let unchanged = entry.etag == object.etag
                    && object.last_modified.is_some_and(|at| at <= written);
                unchanged.then(|| (object.key.clone(), entry.head()))
            })
            .collect()
    }

    /// The manifest after `plan` was carried out over `remote`: the objects it left unchanged
    /// with their listed ETag and known facts (`heads`), and those it wrote with the ETag S3
    /// answered (`written`, by key) and the headers and SHA-256 it set. An object without a
    /// known ETag is left out (read with `HeadObject` next time).
    pub fn after(
        plan: &Plan,
        prefix: &str,
        remote: &[RemoteObject],
        heads: &BTreeMap<String, RemoteHead>,
        written: &BTreeMap<String, String>,
    ) -> Self {
        let listed: BTreeMap<&str, &str> = remote
            .iter()
            .map(|o| (o.key.as_str(), o.etag.as_str()))
            .collect();
        let unchanged = plan.unchanged.iter().filter_map(|path| {
            let key = key_of(prefix, path);
            let entry = Entry::new(listed.get(key.as_str())?, heads.get(&key)?);
            Some((key, entry))
        });
        let changed = plan.steps.iter().filter_map(|step| {
            let head = RemoteHead {
                content_type: Some(step.headers.content_type.clone()),
                cache_control: Some(step.headers.cache_control.clone()),
                content_encoding: step.headers.content_encoding.clone(),
                sha256: Some(step.file.sha256.clone()),
            };
            Some((step.key.clone(), Entry::new(written.get(&step.key)?, &head)))
        });
        Self {
            format: FORMAT,
            objects: unchanged.chain(changed).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::headers::Headers;
    use crate::local::LocalFile;
    use crate::plan::{Change, Phase, Step, Transfer};

    fn object(key: &str, etag: &str, at: i64) -> RemoteObject {
        RemoteObject {
            key: key.into(),
            size: 1,
            etag: etag.into(),
            last_modified: Some(DateTime::from_secs(at)),
        }
    }

    fn head(cache_control: &str) -> RemoteHead {
        RemoteHead {
            content_type: Some("text/html; charset=utf-8".into()),
            cache_control: Some(cache_control.into()),
            content_encoding: None,
            sha256: Some("5ha".into()),
        }
    }

    fn manifest(entries: &[(&str, &str, &str)]) -> Manifest {
        Manifest {
            format: FORMAT,
            objects: entries
                .iter()
                .map(|(key, etag, cc)| ((*key).into(), Entry::new(etag, &head(cc))))
                .collect(),
        }
    }

    #[test]
    fn entries_are_trusted_while_etag_and_time_say_nobody_changed_the_object() {
        let manifest = manifest(&[
            ("p/same.html", "e1", "no-cache"),
            ("p/rewritten.html", "e2", "no-cache"),
            ("p/copied.html", "e3", "no-cache"),
            ("p/gone.html", "e4", "no-cache"),
        ]);
        let remote = [
            object("p/same.html", "e1", 100),
            object("p/rewritten.html", "other", 90),
            object("p/copied.html", "e3", 101),
            object("p/unknown.html", "e5", 50),
        ];
        let trusted = manifest.trusted(&remote, DateTime::from_secs(100));
        assert_eq!(
            trusted.into_iter().collect::<Vec<_>>(),
            [("p/same.html".to_owned(), head("no-cache"))]
        );
        let undated = [RemoteObject {
            last_modified: None,
            ..object("p/same.html", "e1", 0)
        }];
        assert!(
            manifest
                .trusted(&undated, DateTime::from_secs(100))
                .is_empty()
        );
    }

    #[test]
    fn parses_what_it_writes_and_refuses_other_formats_and_garbage() {
        let written = manifest(&[("a.txt", "e", "max-age=60")]);
        assert_eq!(Manifest::parse(&written.to_json()).expect("parse"), written);
        let text = String::from_utf8(written.to_json()).expect("utf-8");
        assert_eq!(
            text,
            r#"{"format":1,"objects":{"a.txt":{"etag":"e","sha256":"5ha","content-type":"text/html; charset=utf-8","cache-control":"max-age=60"}}}"#
        );
        let future = text.replace(r#""format":1"#, r#""format":2"#);
        assert!(Manifest::parse(future.as_bytes()).is_err());
        assert!(Manifest::parse(b"{\"format\":1").is_err());
        assert!(Manifest::parse(b"\xff\x00").is_err());
        assert!(Manifest::parse(br#"{"format":1,"objects":{"a":{}}}"#).is_err());
    }

    #[test]
    fn the_next_manifest_records_unchanged_objects_as_listed_and_written_ones_as_answered() {
        let file = |path: &str| LocalFile {
            path: path.into(),
            source: path.into(),
            size: 1,
            md5: "m".into(),
            sha256: format!("sha-{path}"),
            content_encoding: None,
        };
        let step = |path: &str, transfer| Step {
            file: file(path),
            key: format!("p/{path}"),
            headers: Headers {
                content_type: "text/plain; charset=utf-8".into(),
                cache_control: "no-cache".into(),
                content_encoding: Some("br".into()),
            },
            change: Change::Content,
            transfer,
            phase: Phase::Unhashed,
        };
        let plan = Plan {
            steps: vec![
                step("put.txt", Transfer::Put),
                step("copied.txt", Transfer::CopyHeaders),
                step("no-etag.txt", Transfer::Put),
            ],
            deletions: Vec::new(),
            unchanged: vec!["same.html".into(), "unheaded.html".into()],
        };
        let remote = [
            object("p/same.html", "listed", 1),
            object("p/unheaded.html", "x", 1),
            object("p/put.txt", "old", 1),
        ];
        let heads = BTreeMap::from([("p/same.html".to_owned(), head("no-cache"))]);
        let written = BTreeMap::from([
            ("p/put.txt".to_owned(), "new".to_owned()),
            ("p/copied.txt".to_owned(), "copy".to_owned()),
        ]);
        let next = Manifest::after(&plan, "p/", &remote, &heads, &written);
        let wrote = |etag: &str, path: &str| Entry {
            etag: etag.into(),
            sha256: Some(format!("sha-{path}")),
            content_type: Some("text/plain; charset=utf-8".into()),
            cache_control: Some("no-cache".into()),
            content_encoding: Some("br".into()),
        };
        assert_eq!(
            next.objects,
            BTreeMap::from([
                ("p/copied.txt".to_owned(), wrote("copy", "copied.txt")),
                ("p/put.txt".to_owned(), wrote("new", "put.txt")),
                (
                    "p/same.html".to_owned(),
                    Entry::new("listed", &head("no-cache"))
                ),
            ])
        );
        assert_eq!(Manifest::key("p/"), "p/.s3-publish-manifest.json");
        assert_eq!(Manifest::key(""), ".s3-publish-manifest.json");
    }
}
