//! The action's log: plain lines and workflow commands on stdout, with masked secrets redacted.

use std::io::Write;
use std::sync::{Arc, Mutex, PoisonError};

use crate::commands::{Annotation, Level, format_command};

/// Where the log goes: stdout in a run, a shared buffer in tests.
type Sink = Box<dyn Write + Send>;

/// The action's log.
///
/// Every line goes through it, so a secret registered with [`Console::add_mask`] is replaced by
/// `***` here too, not only by the runner: a binary run by hand leaks nothing either.
pub struct Console {
    sink: Mutex<Sink>,
    secrets: Mutex<Vec<String>>,
    debug: bool,
}

impl std::fmt::Debug for Console {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Console")
            .field("debug", &self.debug)
            .finish_non_exhaustive()
    }
}

/// What a captured [`Console`] printed (for tests).
#[derive(Clone, Debug, Default)]
pub struct CapturedOutput(Arc<Mutex<Vec<u8>>>);

impl CapturedOutput {
    /// Everything printed so far.
    pub fn text(&self) -> String {
        let bytes = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        String::from_utf8_lossy(&bytes).into_owned()
    }
}

impl Write for CapturedOutput {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Console {
    /// A console on stdout; `debug` turns `::debug::` lines on (the runner's `RUNNER_DEBUG=1`).
    pub fn stdout(debug: bool) -> Self {
        Self::with_sink(Box::new(std::io::stdout()), debug)
    }

    /// A console that records what it prints.
    pub fn capture(debug: bool) -> (Self, CapturedOutput) {
        let captured = CapturedOutput::default();
        (Self::with_sink(Box::new(captured.clone()), debug), captured)
    }

    fn with_sink(sink: Sink, debug: bool) -> Self {
        Self {
            sink: Mutex::new(sink),
            secrets: Mutex::new(Vec::new()),
            debug,
        }
    }

    /// Prints a plain log line (several lines are fine).
    pub fn info(&self, message: &str) {
        self.write_line(&self.redact(message));
    }

    /// Prints a `::debug::` line when debugging is on.
    pub fn debug(&self, message: &str) {
        if self.debug {
            self.write_line(&format_command("debug", &[], &self.redact(message)));
        }
    }

    /// Prints an annotation without a location.
    pub fn annotate(&self, level: Level, message: &str) {
        self.annotate_at(level, &Annotation::default(), message);
    }

    /// Prints an annotation pointing at a file, line or title.
    pub fn annotate_at(&self, level: Level, at: &Annotation, message: &str) {
        let mut props = at.properties();
        for (_, value) in &mut props {
            *value = self.redact(value);
        }
        self.write_line(&format_command(
            level.command(),
            &props,
            &self.redact(message),
        ));
    }

    /// Prints a `::warning::`.
    pub fn warning(&self, message: &str) {
        self.annotate(Level::Warning, message);
    }

    /// Prints a `::notice::`.
    pub fn notice(&self, message: &str) {
        self.annotate(Level::Notice, message);
    }

    /// Prints an `::error::` (it does not end the action: return an error for that).
    pub fn error(&self, message: &str) {
        self.annotate(Level::Error, message);
    }

    /// Opens a collapsed log group; it closes when the guard is dropped.
    pub fn group(&self, title: &str) -> Group<'_> {
        self.write_line(&format_command("group", &[], &self.redact(title)));
        Group { console: self }
    }

    /// Registers a secret: the runner masks it in every later log line, and so does this console.
    ///
    /// A multi-line secret is registered line by line as well, since the runner masks per line.
    pub fn add_mask(&self, secret: &str) {
        let mut parts: Vec<&str> = vec![secret];
        if secret.contains('\n') {
            parts.extend(secret.lines());
        }
        for part in parts.into_iter().map(str::trim).filter(|p| !p.is_empty()) {
            self.write_line(&format_command("add-mask", &[], part));
            let mut secrets = self.secrets.lock().unwrap_or_else(PoisonError::into_inner);
            if !secrets.iter().any(|s| s == part) {
                secrets.push(part.to_owned());
                // Longest first, so a secret that contains another is replaced whole.
                secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
            }
        }
    }

    /// `text` with every registered secret replaced by `***`.
    pub fn redact(&self, text: &str) -> String {
        let secrets = self.secrets.lock().unwrap_or_else(PoisonError::into_inner);
        secrets.iter().fold(text.to_owned(), |acc, secret| {
            acc.replace(secret.as_str(), "***")
        })
    }

    fn write_line(&self, line: &str) {
        let mut sink = self.sink.lock().unwrap_or_else(PoisonError::into_inner);
        // A closed stdout is not worth failing the action over.
        let _ = writeln!(sink, "{line}");
        let _ = sink.flush();
    }
}

/// An open log group; prints `::endgroup::` when dropped.
#[derive(Debug)]
pub struct Group<'a> {
    console: &'a Console,
}

impl Drop for Group<'_> {
    fn drop(&mut self) {
        self.console.write_line("::endgroup::");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masked_secrets_never_reach_the_log() {
        let (console, out) = Console::capture(false);
        console.add_mask("s3cr3t");
        console.info("token is s3cr3t!");
        console.warning("again s3cr3t");
        let text = out.text();
        assert_eq!(
            text,
            "::add-mask::s3cr3t\ntoken is ***!\n::warning::again ***\n"
        );
    }

    #[test]
    fn multi_line_secrets_are_masked_per_line() {
        let (console, out) = Console::capture(false);
        console.add_mask("line-one\nline-two");
        console.info("x line-two y");
        let text = out.text();
        assert!(text.starts_with(
            "::add-mask::line-one%0Aline-two\n::add-mask::line-one\n::add-mask::line-two\n"
        ));
        assert!(text.ends_with("x *** y\n"), "{text}");
    }

    #[test]
    fn groups_close_when_dropped() {
        let (console, out) = Console::capture(false);
        {
            let _group = console.group("Plan");
            console.info("inside");
        }
        assert_eq!(out.text(), "::group::Plan\ninside\n::endgroup::\n");
    }

    #[test]
    fn debug_lines_only_when_enabled() {
        let (quiet, quiet_out) = Console::capture(false);
        quiet.debug("hidden");
        assert_eq!(quiet_out.text(), "");
        let (loud, loud_out) = Console::capture(true);
        loud.debug("50%\nshown");
        assert_eq!(loud_out.text(), "::debug::50%25%0Ashown\n");
    }
}
