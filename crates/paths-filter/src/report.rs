//! What a run tells: the outputs dorny writes (and ours beside them), the log groups, and the
//! job summary.

use std::collections::HashSet;

use action_kit::{Runner, Table};

use crate::changes::ChangedFiles;
use crate::filters::Filter;
use crate::format::{ListFormat, directories};
use crate::matcher::Matches;

/// Files a filter's log group lists before it says how many more there are.
const LOGGED_FILES: usize = 100;
/// Files the summary shows per filter.
const SUMMARY_FILES: usize = 3;
/// GitHub keeps at most 1 MB of outputs per job (counted in UTF-16 code units); warn before.
const OUTPUT_WARNING_UNITS: usize = 900_000;

/// The results of one run.
#[derive(Debug)]
pub struct Report<'a> {
    /// The filters, in order.
    pub filters: &'a [Filter],
    /// Every changed file.
    pub files: &'a ChangedFiles,
    /// What each filter matched.
    pub matches: &'a Matches,
    /// The `list-files` format.
    pub format: ListFormat,
    /// The `dirs-depth` input.
    pub dirs_depth: usize,
    /// Which base was used and why.
    pub reason: &'a str,
}

/// Writes the outputs, the log and the summary.
pub fn write(runner: &Runner, report: &Report<'_>) -> anyhow::Result<()> {
    let console = runner.console();
    let names: HashSet<&str> = report.filters.iter().map(|f| f.name.as_str()).collect();
    let mut outputs: Vec<(String, String)> = Vec::new();
    let mut set = |name: &str, value: &str| -> anyhow::Result<()> {
        outputs.push((name.to_owned(), value.to_owned()));
        Ok(())
    };
    let mut changed = Vec::new();
    console.info("Results:");
    // The lists are only gathered when they are output.
    let lists = report.format != ListFormat::None;
    for (name, indices) in report.matches {
        let matched = !indices.is_empty();
        {
            let _group = console.group(&format!("Filter {name} = {matched}"));
            if matched {
                // One write for the whole list.
                let mut listing = String::from("Matching files:");
                for &i in indices.iter().take(LOGGED_FILES) {
                    let status = report.files.status(i).as_str();
                    for part in ["\n", report.files.path(i), " [", status, "]"] {
                        listing.push_str(part);
                    }
                }
                if indices.len() > LOGGED_FILES {
                    listing.push_str(&format!("\n… and {} more", indices.len() - LOGGED_FILES));
                }
                console.info(&listing);
            } else {
                console.info("Matching files: none");
            }
        }
        if matched {
            changed.push(name.as_str());
        }
        set(name, if matched { "true" } else { "false" })?;
        set(&format!("{name}_count"), &indices.len().to_string())?;
        if lists {
            let paths: Vec<&str> = indices.iter().map(|&i| report.files.path(i)).collect();
            set(
                &format!("{name}_files"),
                &report.format.render(&paths).unwrap_or_default(),
            )?;
            let dirs_name = format!("{name}_dirs");
            if !names.contains(dirs_name.as_str()) {
                let dirs = directories(&paths, report.dirs_depth);
                let dirs: Vec<&str> = dirs.iter().map(String::as_str).collect();
                set(&dirs_name, &report.format.render(&dirs).unwrap_or_default())?;
            }
        }
    }
    if names.contains("changes") {
        console.info("Cannot set changes output variable - name already used by filter output");
    } else {
        let json = serde_json::to_string(&changed)?;
        console.info(&format!("Changes output set to {json}"));
        set("changes", &json)?;
    }
    if lists && !names.contains("all_changed_files") {
        let all: Vec<&str> = report.files.paths().collect();
        set(
            "all_changed_files",
            &report.format.render(&all).unwrap_or_default(),
        )?;
    }
    let output_units: usize = outputs
        .iter()
        .map(|(k, v)| k.encode_utf16().count() + v.encode_utf16().count())
        .sum();
    runner.set_outputs(&outputs)?;
    if output_units > OUTPUT_WARNING_UNITS {
        console.warning(&format!(
            "The outputs of this step are {output_units} UTF-16 units long; GitHub keeps at most 1 MB of outputs per job. \
             Consider list-files: none, or fewer files per filter."
        ));
    }
    runner.append_summary(&summary(report))
}

fn summary(report: &Report<'_>) -> String {
    let mut table = Table::new(["Filter", "Matched", "Files", "First files"]);
    for (name, indices) in report.matches {
        let first: Vec<String> = indices
            .iter()
            .take(SUMMARY_FILES)
            .map(|&i| format!("`{}`", report.files.path(i)))
            .collect();
        let mut first = first.join(", ");
        if indices.len() > SUMMARY_FILES {
            first.push_str(", …");
        }
        table.row([
            format!("`{name}`"),
            if indices.is_empty() {
                "no".into()
            } else {
                "**yes**".into()
            },
            indices.len().to_string(),
            first,
        ]);
    }
    let count = changed_files(report.files.len());
    format!(
        "### paths-filter\n\n{count}. {}.\n\n{}\n",
        capitalise(report.reason),
        table.to_markdown()
    )
}

/// "1 changed file", "3 changed files".
pub fn changed_files(count: usize) -> String {
    match count {
        1 => "1 changed file".to_owned(),
        n => format!("{n} changed files"),
    }
}

fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}
