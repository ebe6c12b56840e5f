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

/// Where changed files go as they are read.
pub trait FileSink {
    /// Takes the next changed file.
    fn push(&mut self, path: &str, status: ChangeStatus);
    /// Forgets every file taken so far (a source that failed is tried again another way).
    fn clear(&mut self);
}

/// Changed files in the order they were listed, their paths kept in one buffer: a large change
/// set is two allocations rather than one per file.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ChangedFiles {
    paths: String,
    /// Where each file's path ends in `paths`, and how the file changed.
    files: Vec<(usize, ChangeStatus)>,
}

impl ChangedFiles {
    /// How many files there are.
    pub fn len(&self) -> usize {
        self.files.len()
    }

    /// Whether there is none.
    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// The path of file `index` (which must be below [`Self::len`]).
    pub fn path(&self, index: usize) -> &str {
        let start = index
            .checked_sub(1)
            .map_or(0, |previous| self.files[previous].0);
        &self.paths[start..self.files[index].0]
    }

    /// How file `index` changed.
    pub fn status(&self, index: usize) -> ChangeStatus {
        self.files[index].1
    }

    /// The paths, in order.
    pub fn paths(&self) -> impl Iterator<Item = &str> {
        (0..self.len()).map(|index| self.path(index))
    }
}

impl FileSink for ChangedFiles {
    fn push(&mut self, path: &str, status: ChangeStatus) {
        self.paths.push_str(path);
        self.files.push((self.paths.len(), status));
    }

    fn clear(&mut self) {
        self.paths.clear();
        self.files.clear();
    }
}

/// What the next token of the output is.
#[derive(Debug, Default)]
enum Expect {
    #[default]
    Status,
    Path(ChangeStatus),
    /// The new path of a rename or copy, after its old one.
    NewPath(ChangeStatus, String),
}

/// Reads `git diff --name-status -z` (and `git log --format= --name-status -z`) output as it
/// arrives, in pieces cut anywhere: a status token, then one path (two for renames and copies,
/// whose status carries a score, e.g. `R100`; the new path is the one kept). Tokens end with
/// NUL; a token may start with the newline `git log` puts between commits. Git paths are bytes:
/// invalid UTF-8 is replaced, as dorny's decoding does.
#[derive(Debug, Default)]
pub struct NameStatusParser {
    /// The start of a token whose end has not arrived yet.
    partial: Vec<u8>,
    expect: Expect,
}

impl NameStatusParser {
    /// Reads the next piece of output; each complete file goes to `sink`.
    pub fn feed(&mut self, mut chunk: &[u8], sink: &mut dyn FileSink) -> anyhow::Result<()> {
        while let Some(end) = chunk.iter().position(|b| *b == 0) {
            if self.partial.is_empty() {
                self.token(&chunk[..end], sink)?;
            } else {
                let mut token = std::mem::take(&mut self.partial);
                token.extend_from_slice(&chunk[..end]);
                self.token(&token, sink)?;
            }
            chunk = &chunk[end + 1..];
        }
        self.partial.extend_from_slice(chunk);
        Ok(())
    }

    /// The end of the output: fails when it stops in the middle of a file.
    pub fn finish(mut self, sink: &mut dyn FileSink) -> anyhow::Result<()> {
        let last = std::mem::take(&mut self.partial);
        self.token(&last, sink)?;
        match self.expect {
            Expect::Status => Ok(()),
            Expect::Path(_) => bail!("git output ends after a status without its path"),
            Expect::NewPath(_, path) => {
                bail!("git output ends in the middle of a rename of {path}")
            }
        }
    }

    fn token(&mut self, token: &[u8], sink: &mut dyn FileSink) -> anyhow::Result<()> {
        let token = token.strip_prefix(b"\n").unwrap_or(token);
        if token.is_empty() {
            return Ok(());
        }
        self.expect = match std::mem::take(&mut self.expect) {
            Expect::Status => {
                let Some(status) = token
                    .first()
                    .copied()
                    .and_then(ChangeStatus::from_git_letter)
                else {
                    bail!("unexpected git status {:?}", String::from_utf8_lossy(token));
                };
                Expect::Path(status)
            }
            Expect::Path(status @ (ChangeStatus::Renamed | ChangeStatus::Copied)) => {
                Expect::NewPath(status, String::from_utf8_lossy(token).into_owned())
            }
            Expect::Path(status) | Expect::NewPath(status, _) => {
                match std::str::from_utf8(token) {
                    Ok(path) => sink.push(path, status),
                    Err(_) => sink.push(&String::from_utf8_lossy(token), status),
                }
                Expect::Status
            }
        };
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The whole output at once, as (path, status).
    fn parse_name_status(output: &[u8]) -> anyhow::Result<Vec<(String, ChangeStatus)>> {
        let mut files = ChangedFiles::default();
        let mut parser = NameStatusParser::default();
        parser.feed(output, &mut files)?;
        parser.finish(&mut files)?;
        Ok(listed(&files))
    }

    fn listed(files: &ChangedFiles) -> Vec<(String, ChangeStatus)> {
        (0..files.len())
            .map(|i| (files.path(i).to_owned(), files.status(i)))
            .collect()
    }

    #[test]
    fn parses_statuses_paths_and_renames() {
        let output = b"M\0src/a.js\0A\0docs/a b.md\0D\0old\0R087\0from.txt\0to.txt\0T\0link\0";
        let files = parse_name_status(output).expect("valid");
        let expected = [
            ("src/a.js", ChangeStatus::Modified),
            ("docs/a b.md", ChangeStatus::Added),
            ("old", ChangeStatus::Deleted),
            ("to.txt", ChangeStatus::Renamed),
            ("link", ChangeStatus::TypeChanged),
        ];
        assert_eq!(files, expected.map(|(p, s)| (p.to_owned(), s)));
    }

    #[test]
    fn output_cut_anywhere_parses_the_same() {
        let output = b"\nM\0src/a.js\0A\0docs/a b.md\0\nR087\0from.txt\0to.txt\0D\0old";
        let whole = parse_name_status(output).expect("valid");
        assert_eq!(whole.len(), 4);
        for size in 1..output.len() {
            let mut files = ChangedFiles::default();
            let mut parser = NameStatusParser::default();
            for piece in output.chunks(size) {
                parser.feed(piece, &mut files).expect("valid");
            }
            parser.finish(&mut files).expect("valid");
            assert_eq!(listed(&files), whole, "pieces of {size} bytes");
        }
    }

    #[test]
    fn log_output_with_a_leading_newline_parses() {
        let files = parse_name_status(b"\nM\0a\0").expect("valid");
        assert_eq!(files, [("a".to_owned(), ChangeStatus::Modified)]);
    }

    #[test]
    fn truncated_output_is_an_error() {
        assert!(parse_name_status(b"M\0").is_err());
        assert!(parse_name_status(b"Z\0a\0").is_err());
        assert!(parse_name_status(b"R100\0from\0").is_err());
    }

    #[test]
    fn invalid_utf8_is_replaced() {
        let files = parse_name_status(b"A\0caf\xe9.md\0M\0ok\0").expect("valid");
        assert_eq!(files[0].0, "caf\u{fffd}.md");
        assert_eq!(files[1].0, "ok");
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
