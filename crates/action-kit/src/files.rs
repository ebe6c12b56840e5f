//! File commands: appending outputs, environment, state and the job summary to the runner's files.

use std::fs::OpenOptions;
use std::io::Write;
use std::path::PathBuf;

use crate::console::Console;
use crate::env::RunnerEnv;

/// The step summary limit the runner enforces per step.
const SUMMARY_LIMIT_BYTES: u64 = 1024 * 1024;

/// One of the runner's command files.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileCommand {
    /// `GITHUB_OUTPUT`: step outputs.
    Output,
    /// `GITHUB_ENV`: variables for later steps.
    Env,
    /// `GITHUB_STATE`: values for the action's own `post` step.
    State,
    /// `GITHUB_STEP_SUMMARY`: Markdown for the job summary.
    Summary,
}

impl FileCommand {
    /// The variable that names the file.
    pub fn variable(self) -> &'static str {
        match self {
            FileCommand::Output => "GITHUB_OUTPUT",
            FileCommand::Env => "GITHUB_ENV",
            FileCommand::State => "GITHUB_STATE",
            FileCommand::Summary => "GITHUB_STEP_SUMMARY",
        }
    }
}

/// Why a file command could not be written.
#[derive(Debug, thiserror::Error)]
pub enum FileCommandError {
    /// The key is empty or contains a newline or `=`.
    #[error("invalid {file} name {key:?}: it must be non-empty and contain no newline or '='")]
    InvalidKey {
        /// Which file.
        file: &'static str,
        /// The key.
        key: String,
    },
    /// The file could not be appended to.
    #[error("cannot append to {file} ({path})")]
    Io {
        /// Which file.
        file: &'static str,
        /// Its path.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The summary would exceed the runner's 1 MiB limit.
    #[error("the job summary would exceed the runner's limit of 1 MiB")]
    SummaryTooLarge,
}

/// Formats `key` and `value` in the heredoc form, with a random delimiter absent from both.
pub fn key_value_entry(
    file: FileCommand,
    key: &str,
    value: &str,
) -> Result<String, FileCommandError> {
    if key.is_empty() || key.contains(['\n', '\r', '=']) {
        return Err(FileCommandError::InvalidKey {
            file: file.variable(),
            key: key.to_owned(),
        });
    }
    let delimiter = loop {
        let candidate = format!("ghadelimiter_{}", uuid::Uuid::new_v4());
        if !key.contains(&candidate) && !value.contains(&candidate) {
            break candidate;
        }
    };
    Ok(format!("{key}<<{delimiter}\n{value}\n{delimiter}\n"))
}

/// The runner's command files, each written to stdout when its variable is unset.
#[derive(Debug, Clone, Default)]
pub struct FileCommands {
    output: Option<PathBuf>,
    env: Option<PathBuf>,
    state: Option<PathBuf>,
    summary: Option<PathBuf>,
}

impl FileCommands {
    /// The files named by the environment.
    pub fn from_env(env: &RunnerEnv) -> Self {
        let path = |command: FileCommand| env.non_empty(command.variable()).map(PathBuf::from);
        Self {
            output: path(FileCommand::Output),
            env: path(FileCommand::Env),
            state: path(FileCommand::State),
            summary: path(FileCommand::Summary),
        }
    }

    fn path(&self, command: FileCommand) -> Option<&PathBuf> {
        match command {
            FileCommand::Output => self.output.as_ref(),
            FileCommand::Env => self.env.as_ref(),
            FileCommand::State => self.state.as_ref(),
            FileCommand::Summary => self.summary.as_ref(),
        }
    }

    /// Appends a key/value pair to `GITHUB_OUTPUT`, `GITHUB_ENV` or `GITHUB_STATE`.
    pub fn set(
        &self,
        console: &Console,
        command: FileCommand,
        key: &str,
        value: &str,
    ) -> Result<(), FileCommandError> {
        let entry = key_value_entry(command, key, value)?;
        self.append(console, command, &entry)
    }

    /// Appends several key/value pairs in one write.
    pub fn set_all(
        &self,
        console: &Console,
        command: FileCommand,
        pairs: &[(String, String)],
    ) -> Result<(), FileCommandError> {
        let mut text = String::new();
        for (key, value) in pairs {
            text.push_str(&key_value_entry(command, key, value)?);
        }
        self.append(console, command, &text)
    }

    /// Appends Markdown to the job summary.
    pub fn append_summary(
        &self,
        console: &Console,
        markdown: &str,
    ) -> Result<(), FileCommandError> {
        if let Some(path) = &self.summary {
            let existing = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
            if existing + markdown.len() as u64 > SUMMARY_LIMIT_BYTES {
                return Err(FileCommandError::SummaryTooLarge);
            }
        }
        self.append(console, FileCommand::Summary, markdown)
    }

    fn append(
        &self,
        console: &Console,
        command: FileCommand,
        text: &str,
    ) -> Result<(), FileCommandError> {
        let Some(path) = self.path(command) else {
            // Outside a runner: show what would have been written.
            console.info(&format!("[{}]\n{}", command.variable(), text.trim_end()));
            return Ok(());
        };
        let io_error = |source| FileCommandError::Io {
            file: command.variable(),
            path: path.clone(),
            source,
        };
        let mut file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(io_error)?;
        file.write_all(text.as_bytes()).map_err(io_error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heredoc_delimiter_is_random_and_absent_from_the_value() {
        let a = key_value_entry(FileCommand::Output, "k", "v").expect("valid");
        let b = key_value_entry(FileCommand::Output, "k", "v").expect("valid");
        assert_ne!(a, b);
        let lines: Vec<&str> = a.lines().collect();
        let delimiter = lines[0].strip_prefix("k<<").expect("heredoc");
        assert!(delimiter.starts_with("ghadelimiter_"));
        assert_eq!(lines, [&format!("k<<{delimiter}"), "v", delimiter]);
    }

    #[test]
    fn multi_line_values_are_kept_whole() {
        let entry = key_value_entry(FileCommand::Env, "LIST", "a\nb\n\nc").expect("valid");
        assert!(entry.contains("\na\nb\n\nc\nghadelimiter_"));
    }

    #[test]
    fn keys_with_newlines_or_equals_are_refused() {
        for key in ["", "a\nb", "a=b"] {
            let err = key_value_entry(FileCommand::Env, key, "v").expect_err("invalid key");
            assert!(err.to_string().contains("GITHUB_ENV"), "{err}");
        }
    }

    #[test]
    fn appends_to_the_named_files() {
        let dir = tempfile::tempdir().expect("tempdir");
        let out = dir.path().join("out");
        let summary = dir.path().join("summary");
        let env = RunnerEnv::from_pairs([
            ("GITHUB_OUTPUT", out.to_str().expect("utf-8")),
            ("GITHUB_STEP_SUMMARY", summary.to_str().expect("utf-8")),
        ]);
        let files = FileCommands::from_env(&env);
        let (console, printed) = Console::capture(false);
        files
            .set(&console, FileCommand::Output, "a", "1")
            .expect("write");
        files
            .set(&console, FileCommand::Output, "b", "2")
            .expect("write");
        files.append_summary(&console, "# Title\n").expect("write");
        let written = std::fs::read_to_string(&out).expect("read");
        assert!(written.starts_with("a<<ghadelimiter_"));
        assert!(written.contains("\nb<<ghadelimiter_"));
        assert_eq!(
            std::fs::read_to_string(&summary).expect("read"),
            "# Title\n"
        );
        // GITHUB_ENV is unset: it falls back to the log.
        files
            .set(&console, FileCommand::Env, "X", "y")
            .expect("fallback");
        assert!(printed.text().starts_with("[GITHUB_ENV]\nX<<ghadelimiter_"));
    }

    #[test]
    fn summary_over_the_limit_is_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let summary = dir.path().join("summary");
        let env =
            RunnerEnv::from_pairs([("GITHUB_STEP_SUMMARY", summary.to_str().expect("utf-8"))]);
        let files = FileCommands::from_env(&env);
        let (console, _) = Console::capture(false);
        let big = "x".repeat(SUMMARY_LIMIT_BYTES as usize + 1);
        assert!(matches!(
            files.append_summary(&console, &big),
            Err(FileCommandError::SummaryTooLarge)
        ));
    }
}
