//! A pull request's changed files from the GitHub REST API (`GET /repos/{o}/{r}/pulls/{n}/files`),
//! 100 a page, as dorny reads them.

use anyhow::Context as _;
use octocrab::Octocrab;
use serde::Deserialize;

use crate::changes::{ChangeStatus, ChangedFile};
use crate::git::Renames;

/// The API lists at most this many files of a pull request.
pub const API_FILE_LIMIT: usize = 3000;

const PER_PAGE: usize = 100;

#[derive(Debug, Deserialize)]
struct PullRequestFile {
    filename: String,
    status: String,
    #[serde(default)]
    previous_filename: Option<String>,
}

/// What the API gave.
#[derive(Debug)]
pub enum ApiFiles {
    /// The whole list.
    Complete(Vec<ChangedFile>),
    /// The API's limit was reached: the list may be cut off.
    Truncated {
        /// How many entries it returned.
        listed: usize,
    },
}

/// Lists the files of pull request `number` in `owner/repo`.
pub async fn pull_request_files(
    client: &Octocrab,
    repository: &str,
    number: u64,
    renames: Renames,
    console: &action_kit::Console,
) -> anyhow::Result<ApiFiles> {
    let mut rows: Vec<PullRequestFile> = Vec::new();
    for page in 1.. {
        let path =
            format!("/repos/{repository}/pulls/{number}/files?per_page={PER_PAGE}&page={page}");
        let batch: Vec<PullRequestFile> =
            client.get(&path, None::<&()>).await.with_context(|| {
                format!("Fetching list of changed files for PR#{number} from GitHub API failed")
            })?;
        console.info(&format!("Received {} items (page {page})", batch.len()));
        let last = batch.len() < PER_PAGE;
        rows.extend(batch);
        if last || rows.len() >= API_FILE_LIMIT {
            break;
        }
    }
    if rows.len() >= API_FILE_LIMIT {
        return Ok(ApiFiles::Truncated { listed: rows.len() });
    }
    Ok(ApiFiles::Complete(to_changed_files(rows, renames)))
}

/// GitHub's statuses as change types; a rename becomes the new path added and the old one
/// deleted, as with git's `--no-renames`, unless renames are detected.
fn to_changed_files(rows: Vec<PullRequestFile>, renames: Renames) -> Vec<ChangedFile> {
    let mut files = Vec::with_capacity(rows.len());
    for row in rows {
        let status = match row.status.as_str() {
            "added" => ChangeStatus::Added,
            "removed" => ChangeStatus::Deleted,
            "modified" => ChangeStatus::Modified,
            "renamed" => ChangeStatus::Renamed,
            "copied" => ChangeStatus::Copied,
            _ => ChangeStatus::TypeChanged,
        };
        match (status, renames, row.previous_filename) {
            (ChangeStatus::Renamed, Renames::Split, previous) => {
                files.push(ChangedFile::new(row.filename, ChangeStatus::Added));
                if let Some(previous) = previous {
                    files.push(ChangedFile::new(previous, ChangeStatus::Deleted));
                }
            }
            (status, _, previous) => files.push(ChangedFile {
                path: row.filename,
                status,
                previous_path: previous.filter(|_| status == ChangeStatus::Renamed),
            }),
        }
    }
    files
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(filename: &str, status: &str, previous: Option<&str>) -> PullRequestFile {
        PullRequestFile {
            filename: filename.into(),
            status: status.into(),
            previous_filename: previous.map(Into::into),
        }
    }

    #[test]
    fn renames_split_by_default_and_kept_when_detected() {
        let rows = || {
            vec![
                row("new.txt", "renamed", Some("old.txt")),
                row("gone.txt", "removed", None),
                row("x", "changed", None),
            ]
        };
        let split = to_changed_files(rows(), Renames::Split);
        let summary: Vec<(&str, ChangeStatus)> =
            split.iter().map(|f| (f.path.as_str(), f.status)).collect();
        assert_eq!(
            summary,
            [
                ("new.txt", ChangeStatus::Added),
                ("old.txt", ChangeStatus::Deleted),
                ("gone.txt", ChangeStatus::Deleted),
                ("x", ChangeStatus::TypeChanged)
            ]
        );
        let detected = to_changed_files(rows(), Renames::Detect);
        assert_eq!(detected[0].status, ChangeStatus::Renamed);
        assert_eq!(detected[0].previous_path.as_deref(), Some("old.txt"));
    }
}
