//! The action's inputs, read and checked before anything touches AWS: each problem is one
//! error naming the input and what was expected.

use std::path::PathBuf;
use std::time::Duration;

use action_kit::Runner;
use anyhow::bail;

use crate::headers::{CacheRule, parse_cache_rules};
use crate::local::Precompressed;
use crate::pattern::{Pattern, compile_all};

/// Which paths to invalidate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Invalidation {
    /// What changed and is not fingerprinted.
    Auto,
    /// These paths, whenever anything changed.
    Paths(Vec<String>),
}

/// Everything a run needs to know.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The directory to publish.
    pub source: PathBuf,
    /// The bucket.
    pub bucket: String,
    /// The key prefix: empty or ending in `/`.
    pub prefix: String,
    /// Whether stale objects are deleted.
    pub delete: bool,
    /// Whether an empty source may delete everything under the prefix.
    pub allow_empty_source: bool,
    /// Paths never published nor deleted.
    pub exclude: Vec<Pattern>,
    /// `cache-control` rules.
    pub rules: Vec<CacheRule>,
    /// Precompressed siblings to publish.
    pub precompressed: Precompressed,
    /// The CloudFront distribution.
    pub distribution_id: Option<String>,
    /// What to invalidate.
    pub invalidation: Invalidation,
    /// Whether to wait for the invalidation.
    pub wait_for_invalidation: bool,
    /// The URL to smoke-check.
    pub smoke_url: Option<String>,
    /// How long the smoke check may retry.
    pub smoke_timeout: Duration,
    /// Plan only.
    pub dry_run: bool,
    /// Calls in flight at most.
    pub concurrency: usize,
    /// Files above this many bytes go in parts of this size.
    pub multipart_threshold: u64,
}

const MIB: u64 = 1024 * 1024;

impl Settings {
    /// Reads and checks the inputs.
    pub fn from_runner(runner: &Runner) -> anyhow::Result<Self> {
        let inputs = runner.inputs();
        inputs.check_required()?;
        let source = runner.github().workspace_path(inputs.required("source")?);
        let bucket = inputs.required("bucket")?;
        check_bucket(&bucket)?;
        let prefix = normalize_prefix(&inputs.get("prefix")?.unwrap_or_default())?;
        let concurrency = inputs.number("concurrency")?.unwrap_or(16);
        if !(1..=64).contains(&concurrency) {
            bail!("input 'concurrency': expected 1 to 64 calls at a time, got {concurrency}");
        }
        let threshold = inputs.number("multipart-threshold-mib")?.unwrap_or(16);
        if !(5..=5 * 1024).contains(&threshold) {
            bail!(
                "input 'multipart-threshold-mib': expected 5 to 5120 (S3's smallest part is 5 MiB, its largest 5 GiB), got {threshold}"
            );
        }
        let precompressed = inputs
            .one_of("precompressed", &Precompressed::CHOICES)?
            .unwrap_or_default();
        let distribution_id = inputs.get("distribution-id")?;
        if let Some(id) = &distribution_id
            && !(id.len() <= 32
                && id
                    .bytes()
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit()))
        {
            bail!(
                "input 'distribution-id': expected a CloudFront distribution id such as E2QWRUHAPOMQZL, got '{id}'"
            );
        }
        let invalidation = parse_invalidation(&inputs.list("invalidation-paths")?)?;
        if invalidation != Invalidation::Auto && distribution_id.is_none() {
            bail!("input 'invalidation-paths' is set but 'distribution-id' is not");
        }
        let smoke_url = inputs.get("smoke-url")?;
        if let Some(url) = &smoke_url {
            let parsed = reqwest::Url::parse(url).ok();
            if !parsed.is_some_and(|u| matches!(u.scheme(), "http" | "https") && u.has_host()) {
                bail!("input 'smoke-url': expected an http:// or https:// URL, got '{url}'");
            }
        }
        let smoke_timeout = inputs.number("smoke-timeout-seconds")?.unwrap_or(60);
        if !(1..=3600).contains(&smoke_timeout) {
            bail!("input 'smoke-timeout-seconds': expected 1 to 3600, got {smoke_timeout}");
        }
        Ok(Self {
            source,
            bucket,
            prefix,
            delete: inputs.bool("delete")?,
            allow_empty_source: inputs.bool("allow-empty-source")?,
            exclude: compile_all("exclude", &inputs.list("exclude")?)?,
            rules: parse_cache_rules(&inputs.list("cache-control")?)?,
            precompressed: Precompressed::from_input(&precompressed),
            distribution_id,
            invalidation,
            wait_for_invalidation: inputs.bool("wait-for-invalidation")?,
            smoke_url,
            smoke_timeout: Duration::from_secs(smoke_timeout),
            dry_run: inputs.bool("dry-run")?,
            concurrency: usize::try_from(concurrency)?,
            multipart_threshold: threshold * MIB,
        })
    }
}

/// S3's bucket naming rules: 3 to 63 lowercase letters, digits, `.` and `-`, starting and
/// ending with a letter or digit.
fn check_bucket(bucket: &str) -> anyhow::Result<()> {
    if let Some(rest) = bucket.strip_prefix("s3://") {
        bail!(
            "input 'bucket': give the bucket's name without s3:// (and the path in 'prefix'), got '{bucket}'; did you mean '{}'?",
            rest.split('/').next().unwrap_or(rest)
        );
    }
    let edges_ok = |b: Option<u8>| b.is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
    let valid = (3..=63).contains(&bucket.len())
        && bucket
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-')
        && edges_ok(bucket.bytes().next())
        && edges_ok(bucket.bytes().last());
    if !valid {
        bail!(
            "input 'bucket': '{bucket}' is not an S3 bucket name (3 to 63 lowercase letters, digits, '.' and '-')"
        );
    }
    Ok(())
}

/// The prefix without surrounding slashes, ending in `/` unless empty; `.`, `..` and empty
/// segments are refused.
fn normalize_prefix(prefix: &str) -> anyhow::Result<String> {
    let trimmed = prefix.trim_matches('/');
    if trimmed.is_empty() {
        return Ok(String::new());
    }
    if trimmed
        .split('/')
        .any(|s| s.is_empty() || s == "." || s == "..")
    {
        bail!("input 'prefix': '{prefix}' has an empty, '.' or '..' segment");
    }
    Ok(format!("{trimmed}/"))
}

/// `auto`, or paths each starting with `/`, with `*` only at the end.
fn parse_invalidation(lines: &[String]) -> anyhow::Result<Invalidation> {
    if lines.is_empty() || lines == ["auto"] {
        return Ok(Invalidation::Auto);
    }
    for path in lines {
        let star_inside = path.find('*').is_some_and(|i| i + 1 != path.len());
        if !path.starts_with('/') || star_inside {
            bail!(
                "input 'invalidation-paths': '{path}' is not a CloudFront path (it starts with '/' and may end in '*'), nor 'auto'"
            );
        }
    }
    Ok(Invalidation::Paths(lines.to_vec()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_names() {
        for good in ["my-site", "a.b.c", "123"] {
            assert!(check_bucket(good).is_ok(), "{good}");
        }
        for bad in ["My_Site", "ab", "-site", "site-", &"a".repeat(64)] {
            let error = check_bucket(bad).expect_err(bad).to_string();
            assert!(error.contains("is not an S3 bucket name"), "{error}");
        }
        let error = check_bucket("s3://site/www").expect_err("url").to_string();
        assert!(error.contains("did you mean 'site'?"), "{error}");
    }

    #[test]
    fn prefixes_are_normalized() {
        assert_eq!(normalize_prefix("").expect("ok"), "");
        assert_eq!(normalize_prefix("/").expect("ok"), "");
        assert_eq!(normalize_prefix("/site/v2/").expect("ok"), "site/v2/");
        for bad in ["a//b", "a/../b", "./a"] {
            assert!(normalize_prefix(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn invalidation_paths() {
        assert_eq!(parse_invalidation(&[]).expect("ok"), Invalidation::Auto);
        assert_eq!(
            parse_invalidation(&["auto".into()]).expect("ok"),
            Invalidation::Auto
        );
        assert_eq!(
            parse_invalidation(&["/*".into(), "/index.html".into()]).expect("ok"),
            Invalidation::Paths(vec!["/*".into(), "/index.html".into()])
        );
        for bad in ["index.html", "/a*/b"] {
            assert!(parse_invalidation(&[bad.into()]).is_err(), "{bad}");
        }
    }
}
