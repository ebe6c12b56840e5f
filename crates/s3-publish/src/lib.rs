//! `s3-publish`: publish a built frontend to S3, changed bytes only, never a broken page.
//!
//! The source directory is hashed ([`local`]) and compared with what the bucket holds under the
//! prefix ([`remote`]) by content and by the headers we set ([`headers`]), never by modification
//! time; the [`manifest`] the last publish left spares reading each object it still describes. The pure planner ([`plan`]) orders the changes so that no page ever references an
//! asset that is not there: fingerprinted assets, then other files, then HTML, and stale objects
//! deleted last. [`publish`] carries the plan out, [`invalidate`] invalidates what changed and
//! is not fingerprinted on CloudFront, and [`smoke`] checks the site answers. A dry run prints
//! the same plan and changes nothing.

pub mod bounded;
pub mod headers;
pub mod invalidate;
pub mod local;
pub mod manifest;
pub mod pattern;
pub mod plan;
pub mod publish;
pub mod remote;
pub mod settings;
pub mod smoke;
pub mod url;

use std::process::ExitCode;

use action_kit::{ActionSpec, InputSpec, OutputSpec, Runner, Table};
use anyhow::{Context as _, bail};

use crate::invalidate::Distribution;
use crate::manifest::Manifest;
use crate::plan::{Change, Plan, Transfer};
use crate::publish::{Outcome, Publisher};
use crate::settings::{Invalidation, Settings};

/// The action's own inputs.
const INPUTS: &[InputSpec] = &[
    InputSpec::required(
        "source",
        "Directory to publish, relative to the workspace, e.g. `dist`.",
    ),
    InputSpec::required("bucket", "Name of the S3 bucket."),
    InputSpec::optional(
        "prefix",
        "Key prefix to publish under, e.g. `site/`; empty for the bucket's root.",
    ),
    InputSpec::with_default(
        "delete",
        "Delete objects under the prefix that are not in the source (after every upload succeeded).",
        "true",
    ),
    InputSpec::with_default(
        "allow-empty-source",
        "Allow an empty source with `delete: true`, which deletes everything under the prefix.",
        "false",
    ),
    InputSpec::optional(
        "exclude",
        "Globs of paths (relative to the source) never published nor deleted, one a line.",
    ),
    InputSpec::optional(
        "cache-control",
        "Cache-Control rules, one `<glob>: <header>` a line, first match wins; defaults: fingerprinted files `public, max-age=31536000, immutable`, others `no-cache`.",
    ),
    InputSpec::with_default(
        "precompressed",
        "Publish `X.br` (`br`) or `X.gz` (`gzip`) as `X` with its Content-Encoding, in place of `X`; `none` to publish files as they are.",
        "none",
    ),
    InputSpec::optional(
        "distribution-id",
        "CloudFront distribution to invalidate after publishing.",
    ),
    InputSpec::with_default(
        "invalidation-paths",
        "`auto` (what changed and is not fingerprinted), or paths to invalidate when anything changed, one a line.",
        "auto",
    ),
    InputSpec::with_default(
        "wait-for-invalidation",
        "Wait until the invalidation has completed (up to 20 minutes).",
        "true",
    ),
    InputSpec::optional(
        "smoke-url",
        "URL that must answer `GET` with 200 after publishing.",
    ),
    InputSpec::with_default(
        "smoke-timeout-seconds",
        "How long the smoke check retries before failing.",
        "60",
    ),
    InputSpec::with_default("dry-run", "Print the plan and change nothing.", "false"),
    InputSpec::with_default("concurrency", "S3 calls in flight at most (1 to 64).", "16"),
    InputSpec::with_default(
        "multipart-threshold-mib",
        "Files larger than this many MiB are uploaded in parts of this size (5 to 5120).",
        "16",
    ),
];

/// The IAM actions the action calls, as `actions/s3-publish/iam-policy.json` grants them
/// (S3 names its permissions by resource, not by API call: HeadObject needs s3:GetObject).
pub const IAM_ACTIONS: &[&str] = &[
    "cloudfront:CreateInvalidation",
    "cloudfront:GetDistribution",
    "cloudfront:GetInvalidation",
    "s3:AbortMultipartUpload",
    "s3:DeleteObject",
    "s3:GetObject",
    "s3:ListBucket",
    "s3:PutObject",
];

/// Inputs and outputs of `s3-publish`.
pub static SPEC: ActionSpec = ActionSpec {
    name: "s3-publish",
    description: "Publish a built frontend to S3 by content hash in a safe order, invalidate CloudFront, smoke-check.",
    input_groups: &[INPUTS, action_aws::INPUTS],
    outputs: &[
        OutputSpec {
            name: "uploaded",
            description: "Files uploaded (new or changed content).",
        },
        OutputSpec {
            name: "metadata-updated",
            description: "Objects whose bytes were equal but headers differed, updated without uploading.",
        },
        OutputSpec {
            name: "deleted",
            description: "Stale objects deleted.",
        },
        OutputSpec {
            name: "unchanged",
            description: "Files already published as they are.",
        },
        OutputSpec {
            name: "bytes-uploaded",
            description: "Bytes uploaded.",
        },
        OutputSpec {
            name: "invalidation-id",
            description: "The CloudFront invalidation's id; empty when nothing was invalidated.",
        },
    ],
    dynamic_outputs: false,
};

/// How many changed paths the job summary lists.
const SUMMARY_PATHS: usize = 50;

/// The action's entry point: `args` are the command-line arguments after its name.
pub fn main(args: Vec<String>) -> ExitCode {
    action_kit::run_async(&SPEC, args, run)
}

/// Runs the action.
pub async fn run(runner: &Runner) -> anyhow::Result<()> {
    let settings = Settings::from_runner(runner)?;
    let console = runner.console();
    let files = {
        let (source, exclude, precompressed) = (
            settings.source.clone(),
            settings.exclude.clone(),
            settings.precompressed,
        );
        tokio::task::spawn_blocking(move || local::scan(&source, &exclude, precompressed))
            .await
            .context("hashing the source")??
    };
    if files.is_empty() && settings.delete && !settings.allow_empty_source {
        bail!(
            "input 'source': '{}' has no file to publish, and with 'delete: true' every object under s3://{}/{} would be deleted; set 'allow-empty-source: true' if that is intended",
            settings.source.display(),
            settings.bucket,
            settings.prefix
        );
    }
    if files.iter().any(|f| f.path == manifest::NAME) {
        bail!(
            "input 'source': '{}' has a file named '{}', the name of the manifest this action keeps under the prefix; rename it or add it to 'exclude'",
            settings.source.display(),
            manifest::NAME
        );
    }
    let config = action_aws::load_config(runner).await?;
    let distribution = match &settings.distribution_id {
        Some(id) => {
            let distribution = Distribution::new(&config, id);
            let origin = distribution.origin_path(&settings.bucket).await?;
            if origin.is_none() {
                console.warning(&format!(
                    "no origin of CloudFront distribution '{id}' is the bucket '{}': invalidation paths are the keys as they are",
                    settings.bucket
                ));
            }
            Some((distribution, origin.unwrap_or_default()))
        }
        None => None,
    };
    let client = s3_client(&config);
    let remote = remote::list(&client, &settings.bucket, &settings.prefix).await?;
    let manifest_key = Manifest::key(&settings.prefix);
    let previous = read_manifest(&client, &settings, &remote, &manifest_key, console).await;
    let mut heads = previous
        .as_ref()
        .map(|(manifest, written)| manifest.trusted(&remote, *written))
        .unwrap_or_default();
    let to_head: Vec<String> = plan::keys_to_head(&files, &remote, &settings.prefix)
        .into_iter()
        .filter(|key| !heads.contains_key(key))
        .collect();
    let headed = to_head.len();
    console.info(&format!(
        "{} objects described by the manifest, {headed} read with HeadObject",
        heads.len()
    ));
    heads.extend(remote::head_all(&client, &settings.bucket, to_head, settings.concurrency).await?);
    let target = plan::Target {
        prefix: &settings.prefix,
        delete: settings.delete,
        exclude: &settings.exclude,
        rules: &settings.rules,
        multipart_threshold: settings.multipart_threshold,
    };
    let plan = plan::plan(&files, &remote, &heads, &target);
    let paths = match (&distribution, &settings.invalidation) {
        (None, _) => Vec::new(),
        (Some((_, origin)), Invalidation::Auto) => plan::invalidation_paths(&plan, origin),
        (Some(_), Invalidation::Paths(_)) if plan.is_empty() => Vec::new(),
        (Some(_), Invalidation::Paths(paths)) => paths.clone(),
    };
    print_plan(runner, &settings, &plan, &paths);

    if settings.dry_run {
        let planned = Outcome {
            uploaded: plan.uploads(),
            updated: plan.header_updates(),
            deleted: plan.deletions.len(),
            bytes: plan.upload_bytes(),
            ..Outcome::default()
        };
        console.notice("dry run: nothing was changed");
        write_outputs(runner, &planned, plan.unchanged.len(), "")?;
        runner.append_summary(&summary(&settings, &plan, &planned, &paths, None, true))?;
        return Ok(());
    }

    let publisher = Publisher::new(
        client,
        &settings.bucket,
        settings.concurrency,
        settings.multipart_threshold,
    );
    let outcome = {
        let _group = console.group("Publishing");
        publisher.execute(&plan, console).await?
    };
    let next = Manifest::after(&plan, &settings.prefix, &remote, &heads, &outcome.etags);
    let listed = remote.iter().any(|o| o.key == manifest_key);
    let written = if next.is_empty() {
        // Nothing published (an allowed empty source): the prefix is left without a manifest.
        if listed {
            publisher.remove_manifest(&manifest_key).await
        } else {
            Ok(())
        }
    } else if headed > 0 || previous.is_none_or(|(manifest, _)| manifest != next) {
        publisher.write_manifest(&manifest_key, &next).await
    } else {
        // Unchanged, and every fact came from it: the manifest in the bucket is this one already.
        Ok(())
    };
    if let Err(e) = written {
        console.warning(&format!(
            "the site is published, but the manifest was not updated ({e:#}); the next run reads each object with HeadObject"
        ));
    }
    let mut invalidation_id = String::new();
    if let Some((distribution, _)) = &distribution
        && !paths.is_empty()
    {
        invalidation_id = distribution.invalidate(&paths).await?;
        console.info(&format!(
            "invalidation {invalidation_id}: {} paths",
            paths.len()
        ));
        if settings.wait_for_invalidation
            && !distribution
                .wait(&invalidation_id, invalidate::WAIT_LIMIT, console)
                .await?
        {
            console.warning(&format!(
                "invalidation {invalidation_id} has not completed after {} minutes; not waiting longer",
                invalidate::WAIT_LIMIT.as_secs() / 60
            ));
        }
    }
    let smoke = match &settings.smoke_url {
        Some(url) => {
            let attempts = smoke::check(url, settings.smoke_timeout, console).await?;
            console.info(&format!("smoke check: GET {url} answered 200"));
            Some((url.clone(), attempts))
        }
        None => None,
    };
    write_outputs(runner, &outcome, plan.unchanged.len(), &invalidation_id)?;
    let mut text = summary(
        &settings,
        &plan,
        &outcome,
        &paths,
        Some(&invalidation_id),
        false,
    );
    if let Some((url, attempts)) = smoke {
        text.push_str(&format!(
            "\nSmoke check: `GET {url}` answered 200 (attempt {attempts}).\n"
        ));
    }
    runner.append_summary(&text)?;
    Ok(())
}

/// The manifest under the prefix and when it was written, when the listing has one and it can
/// be read; else a warning, and every object is read with `HeadObject`.
async fn read_manifest(
    client: &aws_sdk_s3::Client,
    settings: &Settings,
    remote: &[remote::RemoteObject],
    key: &str,
    console: &action_kit::Console,
) -> Option<(Manifest, aws_smithy_types::DateTime)> {
    remote.iter().find(|o| o.key == key)?;
    match remote::manifest(client, &settings.bucket, key).await {
        Ok(manifest) => Some(manifest),
        Err(e) => {
            console.warning(&format!(
                "ignoring the manifest s3://{}/{key} ({e:#}): reading each object with HeadObject",
                settings.bucket
            ));
            None
        }
    }
}

/// The S3 client: path-style addressing when the endpoint is overridden (an emulator or a
/// proxy on an IP address cannot take the bucket in its host name).
fn s3_client(config: &action_aws::SdkConfig) -> aws_sdk_s3::Client {
    let mut builder = aws_sdk_s3::config::Builder::from(config);
    if config.endpoint_url().is_some() {
        builder = builder.force_path_style(true);
    }
    aws_sdk_s3::Client::from_conf(builder.build())
}

fn print_plan(runner: &Runner, settings: &Settings, plan: &Plan, paths: &[String]) {
    let console = runner.console();
    let _group = console.group(&format!(
        "Plan for s3://{}/{}: {} to upload ({} bytes), {} header updates, {} to delete, {} unchanged",
        settings.bucket,
        settings.prefix,
        plan.uploads(),
        plan.upload_bytes(),
        plan.header_updates(),
        plan.deletions.len(),
        plan.unchanged.len()
    ));
    let steps = plan.describe();
    if !steps.is_empty() {
        console.info(steps.trim_end());
    }
    if !paths.is_empty() {
        console.info(&format!("invalidate: {}", paths.join(" ")));
    }
}

fn write_outputs(
    runner: &Runner,
    outcome: &Outcome,
    unchanged: usize,
    invalidation: &str,
) -> anyhow::Result<()> {
    runner.set_outputs(&[
        ("uploaded".into(), outcome.uploaded.to_string()),
        ("metadata-updated".into(), outcome.updated.to_string()),
        ("deleted".into(), outcome.deleted.to_string()),
        ("unchanged".into(), unchanged.to_string()),
        ("bytes-uploaded".into(), outcome.bytes.to_string()),
        ("invalidation-id".into(), invalidation.to_owned()),
    ])
}

fn summary(
    settings: &Settings,
    plan: &Plan,
    outcome: &Outcome,
    paths: &[String],
    invalidation: Option<&str>,
    dry_run: bool,
) -> String {
    let mut counts = Table::new([
        "Uploaded",
        "Headers updated",
        "Deleted",
        "Unchanged",
        "Bytes uploaded",
    ]);
    counts.row([
        outcome.uploaded.to_string(),
        outcome.updated.to_string(),
        outcome.deleted.to_string(),
        plan.unchanged.len().to_string(),
        outcome.bytes.to_string(),
    ]);
    let mut text = format!(
        "### s3-publish{}: `s3://{}/{}`\n\n{}",
        if dry_run {
            " (dry run: nothing changed)"
        } else {
            ""
        },
        settings.bucket,
        settings.prefix,
        counts.to_markdown()
    );
    let changes = plan.steps.len() + plan.deletions.len();
    if changes > 0 {
        let mut table = Table::new(["Path", "Change"]);
        let steps = plan.steps.iter().map(|s| {
            let change = match (s.change, s.transfer) {
                (_, Transfer::CopyHeaders) => "headers updated",
                (Change::New, _) => "new",
                _ => "changed",
            };
            (s.key.as_str(), change)
        });
        let deletions = plan.deletions.iter().map(|d| (d.key.as_str(), "deleted"));
        for (key, change) in steps.chain(deletions).take(SUMMARY_PATHS) {
            table.row([key, change]);
        }
        text.push_str(&format!("\n{}", table.to_markdown()));
        if changes > SUMMARY_PATHS {
            text.push_str(&format!("\n…and {} more.\n", changes - SUMMARY_PATHS));
        }
    }
    match invalidation {
        Some(id) if !id.is_empty() => {
            text.push_str(&format!(
                "\nCloudFront invalidation `{id}`: `{}`\n",
                paths.join("`, `")
            ));
        }
        None if !paths.is_empty() => {
            text.push_str(&format!("\nWould invalidate: `{}`\n", paths.join("`, `")));
        }
        _ => {}
    }
    text
}
