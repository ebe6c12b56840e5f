//! `paths-filter`: a drop-in replacement for dorny/paths-filter v3 (and v4).
//!
//! Same inputs, same outputs, same choice of what to compare with; then, beyond dorny: a
//! `when-no-base` input for manual runs, a git fallback past the pull-request API's 3000-file
//! limit, renames on request, `<filter>_dirs` and `all_changed_files` outputs, a job summary,
//! and named errors for every malformed filter.
//!
//! The pieces: [`filters`] reads the YAML, [`pattern`] translates dorny's globs, [`matcher`]
//! matches (with [`globs`] and [`segment`], sorting globs by shape), [`source`] decides where
//! changes come from (pure), [`git`] and [`github`] fetch them into [`changes`], [`format`]
//! writes the lists, [`report`] writes outputs and the summary.

pub mod changes;
pub mod filters;
pub mod format;
pub mod git;
pub mod github;
pub mod globs;
pub mod matcher;
pub mod pattern;
pub mod report;
pub mod segment;
pub mod source;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use action_kit::{ActionSpec, InputSpec, OutputSpec, Runner};
use anyhow::{Context as _, bail};

use crate::changes::FileSink;
use crate::format::ListFormat;
use crate::git::{Git, Renames};
use crate::matcher::{Matcher, Quantifier};
use crate::source::{Decision, EventFacts, Note, Plan, SourceInputs, WhenNoBase};

const INPUTS: &[InputSpec] = &[
    InputSpec::with_default(
        "token",
        "GitHub token to list a pull request's files through the API; set to '' to use git instead.",
        "${{ github.token }}",
    ),
    InputSpec::optional(
        "working-directory",
        "Directory of the git repository, relative to the workspace.",
    ),
    InputSpec::optional(
        "ref",
        "Branch, tag or commit to detect changes in; defaults to the event's ref. Ignored for pull requests.",
    ),
    InputSpec::optional(
        "base",
        "Branch, tag or commit to compare with; `HEAD` means uncommitted changes. Defaults to the repository's default branch.",
    ),
    InputSpec::required(
        "filters",
        "Filters as YAML (name: list of globs, or `change-types: globs`), or the path of a YAML file in the repository.",
    ),
    InputSpec::with_default(
        "list-files",
        "Also output each filter's matching files: none, csv, json, shell or escape.",
        "none",
    ),
    InputSpec::with_default(
        "initial-fetch-depth",
        "Commits fetched first when searching a merge base; doubled until it is found.",
        "100",
    ),
    InputSpec::with_default(
        "predicate-quantifier",
        "`some`: a file matches a filter when any rule matches; `every`: when all do (to exclude with `!` patterns).",
        "some",
    ),
    InputSpec::with_default(
        "when-no-base",
        "What a run without a previous commit (workflow_dispatch, schedule) compares: last-commit (dorny's behaviour), all (every file), none, or error.",
        "last-commit",
    ),
    InputSpec::with_default(
        "renames",
        "`split`: a rename is the new path added and the old one deleted (dorny's behaviour); `detect`: renames are reported as `renamed`.",
        "split",
    ),
    InputSpec::with_default(
        "dirs-depth",
        "Segments kept in `<filter>_dirs` (0: the whole directory).",
        "0",
    ),
];

/// Inputs and outputs of `paths-filter`.
pub static SPEC: ActionSpec = ActionSpec {
    name: "paths-filter",
    description: "Which filters of changed paths matched: a drop-in for dorny/paths-filter.",
    input_groups: &[INPUTS],
    outputs: &[
        OutputSpec {
            name: "changes",
            description: "JSON array of the names of the filters that matched (not set when a filter is named `changes`).",
        },
        OutputSpec {
            name: "all_changed_files",
            description: "Every changed file, in the `list-files` format (only when `list-files` is not `none`).",
        },
    ],
    dynamic_outputs: true,
};

/// The action's entry point. It runs synchronously: only the pull-request API needs an async
/// runtime, and gets one of its own (a run through git spares starting one).
pub fn main(args: Vec<String>) -> ExitCode {
    action_kit::run(&SPEC, args, run)
}

/// Everything read from the inputs, checked before any git or API work.
#[derive(Debug)]
struct Settings {
    dir: PathBuf,
    filters: Vec<filters::Filter>,
    matcher: Matcher,
    format: ListFormat,
    initial_depth: u64,
    renames: Renames,
    dirs_depth: usize,
    source: SourceInputs,
    token: Option<String>,
}

fn settings(runner: &Runner) -> anyhow::Result<Settings> {
    let inputs = runner.inputs();
    let dir = match inputs.get("working-directory")? {
        Some(wd) => runner.github().workspace_path(wd),
        None => runner.github().workspace.clone(),
    };
    let format = ListFormat::parse(&inputs.get("list-files")?.unwrap_or_default())?;
    let quantifier = match inputs.get("predicate-quantifier")?.as_deref() {
        None | Some("some") => Quantifier::Some,
        Some("every") => Quantifier::Every,
        Some(other) => bail!(
            "Input parameter 'predicate-quantifier' is set to invalid value '{other}'. Valid values: every, some"
        ),
    };
    let filters_input = inputs.required("filters")?;
    let yaml = if is_path_input(&filters_input) {
        read_filter_file(&dir, &filters_input)?
    } else {
        filters_input
    };
    let filters = filters::parse_filters(&yaml)?;
    let matcher = Matcher::new(&filters, quantifier)?;
    let initial_depth = inputs
        .get("initial-fetch-depth")?
        .and_then(|d| d.parse::<u64>().ok())
        .filter(|d| *d > 0)
        .unwrap_or(10);
    let renames = match inputs.one_of("renames", &["split", "detect"])?.as_deref() {
        Some("detect") => Renames::Detect,
        _ => Renames::Split,
    };
    let when_no_base = inputs
        .one_of("when-no-base", &WhenNoBase::VALUES)?
        .as_deref()
        .and_then(WhenNoBase::parse);
    let dirs_depth =
        usize::try_from(inputs.number("dirs-depth")?.unwrap_or(0)).unwrap_or(usize::MAX);
    let token = inputs.get("token")?;
    Ok(Settings {
        dir,
        filters,
        matcher,
        format,
        initial_depth,
        renames,
        dirs_depth,
        source: SourceInputs {
            base: inputs.get("base")?,
            git_ref: inputs.get("ref")?,
            has_token: token.is_some(),
            when_no_base,
        },
        token,
    })
}

/// dorny: `filters` is a file path when it has neither a newline nor a colon.
fn is_path_input(text: &str) -> bool {
    !text.contains('\n') && !text.contains(':')
}

fn read_filter_file(dir: &Path, path: &str) -> anyhow::Result<String> {
    let file = dir.join(path);
    match std::fs::metadata(&file) {
        Err(_) => bail!("Configuration file '{path}' not found"),
        Ok(meta) if !meta.is_file() => bail!("'{path}' is not a file."),
        Ok(_) => std::fs::read_to_string(&file)
            .with_context(|| format!("cannot read the filter file '{path}'")),
    }
}

/// Runs the action.
pub fn run(runner: &Runner) -> anyhow::Result<()> {
    let settings = settings(runner)?;
    let console = runner.console();
    let git = Git::new(&settings.dir, settings.renames, console);
    let github = runner.github();
    let event = EventFacts::from_payload(
        github.event_name.as_deref().unwrap_or_default(),
        github.git_ref.as_deref(),
        &github.event()?,
    );
    let decision = source::decide(&settings.source, &event, &mut || git.current_ref())?;
    for note in &decision.notes {
        match note {
            Note::Info(text) => console.info(text),
            Note::Warning(text) => console.warning(text),
        }
    }
    console.info(&format!("Changes: {}", decision.reason));
    let mut matching = settings.matcher.matching(report::keep(settings.format));
    let decision = changed_files(runner, &settings, &git, decision, &mut matching)?;
    let matched = matching.finish();
    console.info(&format!(
        "Detected {}",
        report::changed_files(matched.total)
    ));
    report::write(
        runner,
        &report::Report {
            filters: &settings.filters,
            matched: &matched,
            format: settings.format,
            dirs_depth: settings.dirs_depth,
            reason: &decision.reason,
        },
    )
}

/// Carries out the plan, giving the changed files to `sink`; a pull request past the API's limit
/// falls back to git.
fn changed_files(
    runner: &Runner,
    settings: &Settings,
    git: &Git<'_>,
    decision: Decision,
    sink: &mut dyn FileSink,
) -> anyhow::Result<Decision> {
    let depth = settings.initial_depth;
    match &decision.plan {
        Plan::Uncommitted => git.uncommitted(sink)?,
        Plan::LastCommit => git.last_commit(sink)?,
        Plan::AllFiles => git.all_files(sink)?,
        Plan::Nothing => {}
        Plan::Diff { base, head } => git.diff(base, head, sink)?,
        Plan::MergeBase { base, head } => git.since_merge_base(base, head, depth, sink)?,
        Plan::PullRequestApi { number, fallback } => {
            match (
                pull_request_files(runner, settings, *number)?,
                fallback.as_deref(),
            ) {
                (github::ApiFiles::Complete(files), _) => {
                    for file in &files {
                        sink.push(&file.path, file.status);
                    }
                }
                (github::ApiFiles::Truncated { listed }, Some(Plan::MergeBase { base, head })) => {
                    runner.console().warning(&format!(
                        "The GitHub API lists at most {} files of a pull request and returned {listed}: \
                         the changes are computed with git instead ({base}...{head})",
                        github::API_FILE_LIMIT
                    ));
                    git.since_merge_base(base, head, depth, sink)?;
                    let reason = format!(
                        "pull request #{number} has {listed}+ files, past the API's limit: compared with git, {head} since its merge base with {base}"
                    );
                    return Ok(Decision { reason, ..decision });
                }
                (github::ApiFiles::Truncated { listed }, _) => bail!(
                    "The GitHub API returned {listed} files for PR#{number}, its limit, and the event payload has no base/head SHA to fall back to git"
                ),
            }
        }
    }
    Ok(decision)
}

/// The pull request's files from the API, on a runtime started for it.
fn pull_request_files(
    runner: &Runner,
    settings: &Settings,
    number: u64,
) -> anyhow::Result<github::ApiFiles> {
    let Some(token) = settings.token.clone() else {
        bail!("internal error: the pull-request API needs a token");
    };
    runner.console().add_mask(&token);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the runtime for the GitHub API")?;
    runtime.block_on(async {
        let client = action_github::client_for(&runner.github().api_url, token)?;
        let repository = runner
            .github()
            .repository
            .clone()
            .context("GITHUB_REPOSITORY is not set: cannot list the pull request's files")?;
        let _group = runner.console().group(&format!(
            "Fetching list of changed files for PR#{number} from GitHub API"
        ));
        github::pull_request_files(
            &client,
            &repository,
            number,
            settings.renames,
            runner.console(),
        )
        .await
    })
}
