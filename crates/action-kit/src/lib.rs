//! The GitHub Actions runner contract, as a Docker container action sees it.
//!
//! A runner starts an action with its inputs in `INPUT_<NAME>` variables, hands it files to append
//! outputs, environment, state and a job summary to, and reads workflow commands (`::group::`,
//! `::add-mask::`, `::error …::`) from its stdout. This crate implements that contract once for
//! every action of the suite:
//!
//! - [`ActionSpec`] declares an action's inputs and outputs; `--help` is rendered from it and the
//!   `action.yml` files are checked against it.
//! - [`Inputs`] reads, trims and validates inputs (booleans, lists, required inputs).
//! - [`Console`] writes workflow commands with the runner's escaping and redacts masked secrets.
//! - [`FileCommands`] appends to `GITHUB_OUTPUT`, `GITHUB_ENV`, `GITHUB_STATE` and
//!   `GITHUB_STEP_SUMMARY`, falling back to stdout outside a runner.
//! - [`GithubContext`] exposes the event payload and the `GITHUB_*` variables.
//! - [`run`] / [`run_async`] tie it together: any error becomes one `::error::` line and exit
//!   code 1, and a panic is reported the same way.
//!
//! Every reader takes a [`RunnerEnv`] snapshot rather than the process environment, so the whole
//! contract is testable without touching global state.
#![deny(missing_docs)]

pub mod backoff;
mod commands;
mod console;
mod context;
mod entry;
mod env;
mod files;
mod inputs;
mod spec;
mod summary;

pub use commands::{Annotation, Level, escape_data, escape_property, format_command};
pub use console::{CapturedOutput, Console, Group};
pub use context::GithubContext;
#[cfg(feature = "tokio")]
pub use entry::run_async;
pub use entry::{Runner, run};
pub use env::RunnerEnv;
pub use files::{FileCommand, FileCommandError, FileCommands, key_value_entry};
pub use inputs::{InputError, Inputs, input_env_name};
pub use spec::{ActionSpec, InputSpec, OutputSpec};
pub use summary::{Table, escape_markdown_cell};
