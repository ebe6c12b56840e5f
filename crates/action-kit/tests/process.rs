//! Whole-process behaviour of `run`: a panic becomes one `::error::` line and exit code 1.
//!
//! The test re-runs its own test binary as the child (with `ACTION_KIT_CHILD` set), so the real
//! entry point, panic hook and exit code are exercised without a test-only program.

use std::process::{Command, ExitCode};

use action_kit::{ActionSpec, InputSpec};

static SPEC: ActionSpec = ActionSpec {
    name: "child",
    description: "A test action.",
    input_groups: &[&[InputSpec::optional("mode", "What to do.")]],
    outputs: &[],
    dynamic_outputs: false,
};

fn child_action() -> ExitCode {
    action_kit::run(&SPEC, Vec::new(), |runner| {
        match runner.inputs().get("mode")?.as_deref() {
            Some("panic") => {
                let items: Vec<u32> = Vec::new();
                let _ = items[3];
                Ok(())
            }
            Some("error") => Err(anyhow::anyhow!("the root cause").context("cannot do the thing")),
            _ => Ok(()),
        }
    })
}

fn run_child(mode: &str) -> (i32, String) {
    let output = Command::new(std::env::current_exe().expect("test binary"))
        .args(["child_entry", "--exact", "--nocapture", "--test-threads=1"])
        .env("ACTION_KIT_CHILD", "1")
        .env("INPUT_MODE", mode)
        .env_remove("GITHUB_OUTPUT")
        .output()
        .expect("spawn");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    (output.status.code().unwrap_or(-1), stdout)
}

/// Not a test of its own: the child process's entry point.
#[test]
fn child_entry() {
    if std::env::var_os("ACTION_KIT_CHILD").is_some() {
        let code = child_action();
        std::process::exit(if code == ExitCode::SUCCESS { 0 } else { 1 });
    }
}

#[test]
fn a_panic_is_reported_as_one_error_with_exit_code_1() {
    let (code, stdout) = run_child("panic");
    assert_eq!(code, 1, "{stdout}");
    // libtest prints `test child_entry ... ` before the child's first line.
    let errors: Vec<&str> = stdout
        .lines()
        .filter_map(|l| l.find("::error::").map(|at| &l[at..]))
        .collect();
    assert_eq!(errors.len(), 1, "{stdout}");
    assert!(
        errors[0].starts_with("::error::internal error: index out of bounds"),
        "{stdout}"
    );
    assert!(errors[0].contains("tests/process.rs"), "{stdout}");
}

#[test]
fn an_error_is_reported_with_its_cause_chain_and_exit_code_1() {
    let (code, stdout) = run_child("error");
    assert_eq!(code, 1, "{stdout}");
    assert!(
        stdout.contains("::error::cannot do the thing: the root cause\n"),
        "{stdout}"
    );
    let (ok, _) = run_child("fine");
    assert_eq!(ok, 0);
}
