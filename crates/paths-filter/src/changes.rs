//! Changed files and their change types, and the `git … --name-status -z` format they come in.

use anyhow::bail;

/// How a file changed (the change types a filter rule can name).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ChangeStatus {
    /// New file.
    Added,
    /// Copied (only with copy detection, which the action never turns on).
    Copied,
    /// Removed.
    Deleted,
    /// Content changed.
    Modified,
    /// Moved (only with `renames: detect`).
    Renamed,
    /// Unmerged (conflicts in the working tree).
    Unmerged,
    /// Type changed (e.g. file ↔ symlink). dorny has no name for it, so no change-type rule
    /// matches it; rules without a change type do.
    TypeChanged,
}

impl ChangeStatus {
    /// The change types a filter may name, as dorny spells them.
    pub const NAMEABLE: [ChangeStatus; 6] = [
        ChangeStatus::Added,
        ChangeStatus::Copied,
        ChangeStatus::Deleted,
        ChangeStatus::Modified,
        ChangeStatus::Renamed,
        ChangeStatus::Unmerged,
    ];

    /// The lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeStatus::Added => "added",
            ChangeStatus::Copied => "copied",
            ChangeStatus::Deleted => "deleted",
            ChangeStatus::Modified => "modified",
            ChangeStatus::Renamed => "renamed",
            ChangeStatus::Unmerged => "unmerged",
            ChangeStatus::TypeChanged => "typechange",
        }
    }

    /// A change type as named in a filter (already trimmed and lower-cased).
    pub fn from_name(name: &str) -> Option<Self> {
        Self::NAMEABLE.into_iter().find(|s| s.as_str() == name)
    }

    /// The status letter of `git diff --name-status`.
    fn from_git_letter(letter: u8) -> Option<Self> {
        Some(match letter {
            b'A' => ChangeStatus::Added,
            b'C' => ChangeStatus::Copied,
            b'D' => ChangeStatus::Deleted,
            b'M' => ChangeStatus::Modified,
            b'R' => ChangeStatus::Renamed,
            b'U' => ChangeStatus::Unmerged,
            b'T' => ChangeStatus::TypeChanged,
            _ => return None,
        })
    }
}

/// One changed file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangedFile {
    /// Path relative to the repository root, with `/` separators.
    pub path: String,
    /// How it changed.
    pub status: ChangeStatus,
    /// For a rename (with `renames: detect`), where it came from.
    pub previous_path: Option<String>,
}

impl ChangedFile {
    /// A file that changed in the given way.
    pub fn new(path: impl Into<String>, status: ChangeStatus) -> Self {
        Self {
            path: path.into(),
            status,
            previous_path: None,
        }
    }
}

/// Parses `git diff --name-status -z` (and `git log --format= --name-status -z`): a status
/// token, then one path (two for renames and copies, whose status carries a score, e.g. `R100`).
pub fn parse_name_status(output: &[u8]) -> anyhow::Result<Vec<ChangedFile>> {
    let mut tokens = output
        .split(|b| *b == 0)
        .map(|t| t.strip_prefix(b"\n").unwrap_or(t))
        .filter(|t| !t.is_empty());
    let records = output.iter().filter(|b| **b == 0).count() / 2;
    let mut files = Vec::with_capacity(records);
    while let Some(status) = tokens.next() {
        let Some(status_kind) = status
            .first()
            .copied()
            .and_then(ChangeStatus::from_git_letter)
        else {
            bail!(
                "unexpected git status {:?}",
                String::from_utf8_lossy(status)
            );
        };
        let Some(path) = tokens.next() else {
            bail!("git output ends after a status without its path");
        };
        let path = text(path);
        if matches!(status_kind, ChangeStatus::Renamed | ChangeStatus::Copied) {
            let Some(new_path) = tokens.next() else {
                bail!("git output ends in the middle of a rename of {path}");
            };
            files.push(ChangedFile {
                path: text(new_path),
                status: status_kind,
                previous_path: Some(path),
            });
        } else {
            files.push(ChangedFile::new(path, status_kind));
        }
    }
    Ok(files)
}

/// A path as text (git paths are bytes; invalid UTF-8 is replaced, as dorny's decoding does).
fn text(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(valid) => valid.to_owned(),
        Err(_) => String::from_utf8_lossy(bytes).into_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_statuses_paths_and_renames() {
        let output = b"M\0src/a.js\0A\0docs/a b.md\0D\0old\0R087\0from.txt\0to.txt\0T\0link\0";
        let files = parse_name_status(output).expect("valid");
        assert_eq!(
            files[0],
            ChangedFile::new("src/a.js", ChangeStatus::Modified)
        );
        assert_eq!(
            files[1],
            ChangedFile::new("docs/a b.md", ChangeStatus::Added)
        );
        assert_eq!(files[2].status, ChangeStatus::Deleted);
        assert_eq!(files[3].path, "to.txt");
        assert_eq!(files[3].previous_path.as_deref(), Some("from.txt"));
        assert_eq!(files[4].status, ChangeStatus::TypeChanged);
    }

    #[test]
    fn log_output_with_a_leading_newline_parses() {
        let files = parse_name_status(b"\nM\0a\0").expect("valid");
        assert_eq!(files, [ChangedFile::new("a", ChangeStatus::Modified)]);
    }

    #[test]
    fn truncated_output_is_an_error() {
        assert!(parse_name_status(b"M\0").is_err());
        assert!(parse_name_status(b"Z\0a\0").is_err());
    }

    #[test]
    fn only_dorny_change_types_can_be_named() {
        assert_eq!(
            ChangeStatus::from_name("modified"),
            Some(ChangeStatus::Modified)
        );
        assert_eq!(ChangeStatus::from_name("typechange"), None);
        assert_eq!(ChangeStatus::from_name("changed"), None);
    }
}
