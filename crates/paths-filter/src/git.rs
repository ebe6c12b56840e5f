//! The git side of change detection: the commands dorny runs, carried out with the `git`
//! program in the repository, fetching from `origin` only as much history as needed.
//!
//! The list of changes is read while git writes it, and each file goes to a [`FileSink`] at
//! once, so matching a large change set overlaps with git's own work.

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Output, Stdio};

use action_kit::Console;
use anyhow::{Context as _, bail};

use crate::changes::{ChangeStatus, FileSink, NameStatusParser};
use crate::source::is_sha;

/// How renames are reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Renames {
    /// dorny's way: `--no-renames`, a rename is the new path added and the old one deleted.
    Split,
    /// Renames detected and reported with the `renamed` change type.
    Detect,
}

impl Renames {
    fn flag(self) -> &'static str {
        match self {
            Renames::Split => "--no-renames",
            Renames::Detect => "--find-renames",
        }
    }
}

/// A repository worked on with the `git` program.
#[derive(Debug)]
pub struct Git<'a> {
    dir: PathBuf,
    renames: Renames,
    console: &'a Console,
}

impl<'a> Git<'a> {
    /// The repository at `dir`.
    pub fn new(dir: &Path, renames: Renames, console: &'a Console) -> Self {
        Self {
            dir: dir.to_path_buf(),
            renames,
            console,
        }
    }

    /// A git command; the repository is trusted explicitly, since inside a Docker action it
    /// belongs to another user than the container's and git would refuse it ("dubious ownership").
    fn command(&self, args: &[&str]) -> Command {
        self.console.debug(&format!("git {}", args.join(" ")));
        let mut command = Command::new("git");
        command
            .arg("-c")
            .arg(format!("safe.directory={}", self.dir.display()))
            .args(args)
            .current_dir(&self.dir);
        command
    }

    /// Runs git.
    fn run(&self, args: &[&str]) -> anyhow::Result<Output> {
        self.command(args)
            .output()
            .with_context(|| cannot_run(args))
    }

    /// Runs git and fails with its message unless it succeeds.
    fn checked(&self, args: &[&str]) -> anyhow::Result<Vec<u8>> {
        let output = self.run(args)?;
        ensure_success(args, output.status, &output.stderr)?;
        Ok(output.stdout)
    }

    /// Runs a git command that lists changes with `--name-status -z`, giving each file to `sink`
    /// as soon as git has written it. Returns how git ended and what it said on stderr.
    fn stream(
        &self,
        args: &[&str],
        sink: &mut dyn FileSink,
    ) -> anyhow::Result<(ExitStatus, Vec<u8>)> {
        let mut child = self
            .command(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .with_context(|| cannot_run(args))?;
        // stderr is drained beside stdout, so that git never waits on a full stderr pipe.
        let stderr = child.stderr.take().map(|mut pipe| {
            std::thread::spawn(move || {
                let mut text = Vec::new();
                let _ = pipe.read_to_end(&mut text);
                text
            })
        });
        let mut parser = NameStatusParser::default();
        let read = child
            .stdout
            .take()
            .context("git's output is not piped")
            .and_then(|stdout| feed(stdout, &mut parser, sink));
        if let Err(error) = read {
            let _ = child.kill();
            let _ = child.wait();
            return Err(error);
        }
        let status = child.wait().with_context(|| cannot_run(args))?;
        let stderr = stderr
            .and_then(|reader| reader.join().ok())
            .unwrap_or_default();
        // A git that failed may have stopped in the middle of a file: its own error tells more.
        if status.success() {
            parser.finish(sink)?;
        }
        Ok((status, stderr))
    }

    /// [`Self::stream`], failing with git's message unless it succeeds.
    fn name_status(&self, args: &[&str], sink: &mut dyn FileSink) -> anyhow::Result<()> {
        let (status, stderr) = self.stream(args, sink)?;
        ensure_success(args, status, &stderr)
    }

    fn succeeds(&self, args: &[&str]) -> anyhow::Result<bool> {
        Ok(self.run(args)?.status.success())
    }

    /// The checked-out branch, else the exact tag, else the commit.
    pub fn current_ref(&self) -> anyhow::Result<String> {
        let branch =
            String::from_utf8_lossy(&self.checked(&["rev-parse", "--abbrev-ref", "HEAD"])?)
                .trim()
                .to_owned();
        if !branch.is_empty() && branch != "HEAD" {
            return Ok(branch);
        }
        let tag = self.run(&["describe", "--tags", "--exact-match"])?;
        if tag.status.success() {
            return Ok(String::from_utf8_lossy(&tag.stdout).trim().to_owned());
        }
        Ok(
            String::from_utf8_lossy(&self.checked(&["rev-parse", "HEAD"])?)
                .trim()
                .to_owned(),
        )
    }

    /// Uncommitted changes, staged or not.
    pub fn uncommitted(&self, sink: &mut dyn FileSink) -> anyhow::Result<()> {
        self.name_status(
            &["diff", self.renames.flag(), "--name-status", "-z", "HEAD"],
            sink,
        )
    }

    /// The changes of the last commit.
    pub fn last_commit(&self, sink: &mut dyn FileSink) -> anyhow::Result<()> {
        self.name_status(
            &[
                "log",
                "--format=",
                self.renames.flag(),
                "--name-status",
                "-z",
                "-n",
                "1",
            ],
            sink,
        )
    }

    /// Every tracked file, as added.
    pub fn all_files(&self, sink: &mut dyn FileSink) -> anyhow::Result<()> {
        let output = self.checked(&["ls-files", "-z"])?;
        for path in output.split(|b| *b == 0).filter(|p| !p.is_empty()) {
            sink.push(&String::from_utf8_lossy(path), ChangeStatus::Added);
        }
        Ok(())
    }

    /// `git diff base..head`, fetching either from `origin` when it is not here.
    ///
    /// The common case costs two git processes: one `show-ref` for both names (none when both
    /// are SHAs) and the diff; only when that diff fails are the refs checked and fetched one by
    /// one, as dorny does.
    pub fn diff(&self, base: &str, head: &str, sink: &mut dyn FileSink) -> anyhow::Result<()> {
        if let [Some(base_ref), Some(head_ref)] = self.resolve_locally([base, head])? {
            let range = format!("{base_ref}..{head_ref}");
            let args = ["diff", self.renames.flag(), "--name-status", "-z", &range];
            if self.stream(&args, sink)?.0.success() {
                return Ok(());
            }
            sink.clear();
        }
        let base_ref = self.ensure_available(base)?;
        let head_ref = self.ensure_available(head)?;
        self.diff_range(&format!("{base_ref}..{head_ref}"), sink)
    }

    fn diff_range(&self, range: &str, sink: &mut dyn FileSink) -> anyhow::Result<()> {
        self.name_status(
            &["diff", self.renames.flag(), "--name-status", "-z", range],
            sink,
        )
    }

    /// `git diff base...head`: the changes since the merge base, deepening a shallow history
    /// from `initial_depth`, doubling, until the merge base is there (then the full history).
    pub fn since_merge_base(
        &self,
        base: &str,
        head: &str,
        initial_depth: u64,
        sink: &mut dyn FileSink,
    ) -> anyhow::Result<()> {
        let mut base_ref = self.local_ref(base)?;
        let mut head_ref = self.local_ref(head)?;
        let mut no_merge_base = false;
        if !self.has_merge_base(base_ref.as_deref(), head_ref.as_deref())? {
            self.fetch(&[
                "--no-tags",
                &format!("--depth={initial_depth}"),
                "origin",
                base,
                head,
            ])?;
            if base_ref.is_none() || head_ref.is_none() {
                base_ref = base_ref.map_or_else(|| self.local_ref(base), |r| Ok(Some(r)))?;
                head_ref = head_ref.map_or_else(|| self.local_ref(head), |r| Ok(Some(r)))?;
            }
            let (Some(b), Some(h)) = (&base_ref, &head_ref) else {
                let missing = if base_ref.is_none() { base } else { head };
                bail!(
                    "Could not determine what is {missing} - fetch works but it's not a branch, tag or commit SHA"
                );
            };
            let mut depth = initial_depth.max(1);
            let mut commits = self.commit_count()?;
            while !self.has_merge_base(Some(b), Some(h))? {
                depth = depth.saturating_mul(2);
                self.fetch(&[&format!("--deepen={depth}"), "origin", base, head])?;
                let now = self.commit_count()?;
                if now == commits {
                    self.console
                        .info("No more commits were fetched; last attempt: the full history");
                    self.fetch(&[])?;
                    no_merge_base = !self.has_merge_base(Some(b), Some(h))?;
                    break;
                }
                commits = now;
            }
        }
        let (Some(base_ref), Some(head_ref)) = (base_ref, head_ref) else {
            bail!("Could not determine what is {base} or {head}");
        };
        let range = if no_merge_base {
            self.console
                .warning("No merge base found - change detection will use direct <commit>..<commit> comparison");
            format!("{base_ref}..{head_ref}")
        } else {
            format!("{base_ref}...{head_ref}")
        };
        self.diff_range(&range, sink)
    }

    fn fetch(&self, args: &[&str]) -> anyhow::Result<()> {
        let mut all = vec!["fetch", "--quiet"];
        all.extend_from_slice(args);
        self.checked(&all).map(|_| ())
    }

    fn has_merge_base(&self, base: Option<&str>, head: Option<&str>) -> anyhow::Result<bool> {
        match (base, head) {
            (Some(b), Some(h)) => self.succeeds(&["merge-base", b, h]),
            _ => Ok(false),
        }
    }

    fn commit_count(&self) -> anyhow::Result<u64> {
        let out = self.checked(&["rev-list", "--count", "--all"])?;
        Ok(String::from_utf8_lossy(&out).trim().parse().unwrap_or(0))
    }

    /// A local name for `name`: a commit we have, or a branch/tag/remote-tracking ref (the
    /// remote one first).
    fn local_ref(&self, name: &str) -> anyhow::Result<Option<String>> {
        if is_sha(name) {
            let present = self.succeeds(&["cat-file", "-e", &format!("{name}^{{commit}}")])?;
            return Ok(present.then(|| name.to_owned()));
        }
        let output = self.run(&["show-ref", name])?;
        Ok(pick_ref(&String::from_utf8_lossy(&output.stdout), name))
    }

    /// The local refs of two names with at most one `show-ref`; SHAs are taken as they are
    /// (unchecked: the caller's diff fails when one is missing).
    fn resolve_locally(&self, names: [&str; 2]) -> anyhow::Result<[Option<String>; 2]> {
        let lookups: Vec<&str> = names.iter().copied().filter(|n| !is_sha(n)).collect();
        let listing = if lookups.is_empty() {
            String::new()
        } else {
            let mut args = vec!["show-ref"];
            args.extend(&lookups);
            String::from_utf8_lossy(&self.run(&args)?.stdout).into_owned()
        };
        Ok(names.map(|name| {
            if is_sha(name) {
                Some(name.to_owned())
            } else {
                pick_ref(&listing, name)
            }
        }))
    }

    fn ensure_available(&self, name: &str) -> anyhow::Result<String> {
        if let Some(found) = self.local_ref(name)? {
            return Ok(found);
        }
        self.fetch(&["--depth=1", "--no-tags", "origin", name])
            .with_context(|| {
                format!("'{name}' is not in the repository and cannot be fetched from origin")
            })?;
        if let Some(found) = self.local_ref(name)? {
            return Ok(found);
        }
        // Like dorny, ignore this fetch's exit code: it is 1 when tags on the remote moved.
        let _ = self.run(&["fetch", "--quiet", "--depth=1", "--tags", "origin", name]);
        self.local_ref(name)?.with_context(|| {
            format!("Could not determine what is {name} - fetch works but it's not a branch, tag or commit SHA")
        })
    }
}

fn cannot_run(args: &[&str]) -> String {
    format!("cannot run git {} (is git installed?)", args.join(" "))
}

/// Fails with git's message unless it succeeded.
fn ensure_success(args: &[&str], status: ExitStatus, stderr: &[u8]) -> anyhow::Result<()> {
    if !status.success() {
        bail!(
            "The process 'git {}' failed with exit code {}: {}",
            args.join(" "),
            status.code().unwrap_or(-1),
            String::from_utf8_lossy(stderr).trim()
        );
    }
    Ok(())
}

/// Feeds git's output to `parser` while it is being written, until git closes it.
fn feed(
    mut stdout: impl std::io::Read,
    parser: &mut NameStatusParser,
    sink: &mut dyn FileSink,
) -> anyhow::Result<()> {
    let mut buffer = vec![0; 64 * 1024];
    loop {
        match stdout.read(&mut buffer) {
            Ok(0) => return Ok(()),
            Ok(read) => parser.feed(&buffer[..read], sink)?,
            Err(error) if error.kind() == std::io::ErrorKind::Interrupted => {}
            Err(error) => return Err(error).context("cannot read git's output"),
        }
    }
}

/// The ref `show-ref` listed for `name`: `refs/remotes/origin/<name>` first, else the first of
/// `refs/heads/<name>` and `refs/tags/<name>`.
fn pick_ref(listing: &str, name: &str) -> Option<String> {
    let refs: Vec<&str> = listing
        .lines()
        .filter_map(|line| line.split_whitespace().nth(1))
        .filter(|r| {
            ["refs/heads/", "refs/tags/", "refs/remotes/origin/"]
                .iter()
                .any(|prefix| r.strip_prefix(prefix) == Some(name))
        })
        .collect();
    refs.iter()
        .find(|r| r.starts_with("refs/remotes/origin/"))
        .or(refs.first())
        .map(|r| (*r).to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remote_tracking_refs_win() {
        let listing =
            "a1 refs/heads/main\nb2 refs/remotes/origin/main\nc3 refs/heads/feature/main\n";
        assert_eq!(
            pick_ref(listing, "main").as_deref(),
            Some("refs/remotes/origin/main")
        );
        assert_eq!(
            pick_ref("a1 refs/tags/v1\n", "v1").as_deref(),
            Some("refs/tags/v1")
        );
        assert_eq!(pick_ref(listing, "feature"), None);
    }
}
