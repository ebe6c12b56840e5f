//! Running commands with their command line shown and their failure explained.

use std::io::{BufRead as _, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};

use anyhow::{Context as _, bail};

/// A `cargo` command in the workspace root (the one running xtask, when known).
pub(crate) fn cargo(root: &Path) -> Command {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    command.current_dir(root);
    command
}

/// Prints a step heading.
pub(crate) fn step(title: &str) {
    println!("\n==> {title}");
}

fn describe(command: &Command) -> String {
    let mut line = command.get_program().to_string_lossy().into_owned();
    for arg in command.get_args() {
        line.push(' ');
        line.push_str(&arg.to_string_lossy());
    }
    line
}

/// Runs a command with inherited output; fails when it does.
pub(crate) fn run(command: &mut Command) -> anyhow::Result<()> {
    let line = describe(command);
    println!("$ {line}");
    let status = command
        .status()
        .with_context(|| format!("cannot start `{line}`"))?;
    if !status.success() {
        bail!("`{line}` failed ({status})");
    }
    Ok(())
}

/// Runs a command and returns its stdout; fails with its stderr when it fails.
pub(crate) fn output(command: &mut Command) -> anyhow::Result<String> {
    let line = describe(command);
    let output = command
        .output()
        .with_context(|| format!("cannot start `{line}`"))?;
    if !output.status.success() {
        bail!(
            "`{line}` failed ({}):\n{}{}",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// Whether a program is on PATH.
pub(crate) fn exists(program: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {program}")])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Totals of a `cargo test` run.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct TestCounts {
    pub(crate) passed: u64,
    pub(crate) failed: u64,
}

/// Adds one `test result: ok. 3 passed; 0 failed; …` line to the totals.
fn count_result_line(line: &str, counts: &mut TestCounts) {
    let Some(rest) = line.strip_prefix("test result: ") else {
        return;
    };
    for part in rest.split(';') {
        let mut words = part.split_whitespace().rev();
        let (Some(kind), Some(number)) = (words.next(), words.next()) else {
            continue;
        };
        let Ok(number) = number.parse::<u64>() else {
            continue;
        };
        match kind {
            "passed" => counts.passed += number,
            "failed" => counts.failed += number,
            _ => {}
        }
    }
}

/// Runs `cargo test`, echoing its output, and returns the totals of its result lines.
pub(crate) fn run_tests(command: &mut Command) -> anyhow::Result<TestCounts> {
    let line = describe(command);
    println!("$ {line}");
    let mut child = command
        .stdout(Stdio::piped())
        .spawn()
        .with_context(|| format!("cannot start `{line}`"))?;
    let mut counts = TestCounts::default();
    if let Some(stdout) = child.stdout.take() {
        for text in BufReader::new(stdout).lines() {
            let text = text?;
            println!("{text}");
            count_result_line(&text, &mut counts);
        }
    }
    let status = child.wait()?;
    if !status.success() {
        bail!(
            "`{line}` failed ({status}): {} passed, {} failed",
            counts.passed,
            counts.failed
        );
    }
    if counts.passed == 0 {
        bail!("`{line}` ran no test");
    }
    Ok(counts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sums_cargo_test_result_lines() {
        let mut counts = TestCounts::default();
        count_result_line(
            "test result: ok. 12 passed; 0 failed; 1 ignored; 0 measured; 0 filtered out; finished in 0.01s",
            &mut counts,
        );
        count_result_line(
            "test result: FAILED. 3 passed; 2 failed; 0 ignored",
            &mut counts,
        );
        count_result_line("running 5 tests", &mut counts);
        assert_eq!((counts.passed, counts.failed), (15, 2));
    }
}
