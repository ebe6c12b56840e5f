//! What a run tells: the outputs dorny writes (and ours beside them), the log groups, and the
//! job summary.

use std::collections::HashSet;

use action_kit::{Runner, Table};

use crate::filters::Filter;
use crate::format::{ListFormat, directories};
use crate::matcher::{Keep, Matched};

/// Files a filter's log group lists before it says how many more there are.
const LOGGED_FILES: usize = 100;
/// Files the summary shows per filter.
const SUMMARY_FILES: usize = 3;
// The summary's files are among those kept for the log.
const _: () = assert!(SUMMARY_FILES <= LOGGED_FILES);
/// GitHub keeps at most 1 MB of outputs per job (counted in UTF-16 code units); warn before.
const OUTPUT_WARNING_UNITS: usize = 900_000;

/// The results of one run.
#[derive(Debug)]
pub struct Report<'a> {
    /// The filters, in order.
    pub filters: &'a [Filter],
    /// What the filters matched, with the files kept as [`keep`] asks.
    pub matched: &'a Matched,
    /// The `list-files` format.
    pub format: ListFormat,
    /// The `dirs-depth` input.
    pub dirs_depth: usize,
    /// Which base was used and why.
    pub reason: &'a str,
}

/// The matched files a report needs: all of them when they are listed in the outputs, else
/// only those the log shows.
pub fn keep(format: ListFormat) -> Keep {
    match format {
        ListFormat::None => Keep::First(LOGGED_FILES),
        _ => Keep::All,
    }
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
    let lists = report.format != ListFormat::None;
    let files = &report.matched.files;
    for filter in &report.matched.filters {
        let (name, count, indices) = (&filter.name, filter.count, &filter.files);
        let matched = count > 0;
        {
            let _group = console.group(&format!("Filter {name} = {matched}"));
            if matched {
                // One write for the whole list.
                let mut listing = String::from("Matching files:");
                for &i in indices.iter().take(LOGGED_FILES) {
                    let status = files.status(i).as_str();
                    for part in ["\n", files.path(i), " [", status, "]"] {
                        listing.push_str(part);
                    }
                }
                if count > LOGGED_FILES {
                    listing.push_str(&format!("\n… and {} more", count - LOGGED_FILES));
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
        set(&format!("{name}_count"), &count.to_string())?;
        if lists {
            let paths: Vec<&str> = indices.iter().map(|&i| files.path(i)).collect();
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
        let all: Vec<&str> = files.paths().collect();
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
    let files = &report.matched.files;
    for filter in &report.matched.filters {
        let first: Vec<String> = filter
            .files
            .iter()
            .take(SUMMARY_FILES)
            .map(|&i| format!("`{}`", files.path(i)))
            .collect();
        let mut first = first.join(", ");
        if filter.count > SUMMARY_FILES {
            first.push_str(", …");
        }
        table.row([
            format!("`{}`", filter.name),
            if filter.count == 0 {
                "no".into()
            } else {
                "**yes**".into()
            },
            filter.count.to_string(),
            first,
        ]);
    }
    let count = changed_files(report.matched.total);
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
