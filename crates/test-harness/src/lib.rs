//! Test support for the suite's actions.
//!
//! - [`Emulator`]: moto's AWS API emulator on a loopback port, reached by the real SDK clients
//!   through `AWS_ENDPOINT_URL`.
//! - [`FaultProxy`]: a loopback proxy between the SDK and the emulator that answers chosen calls
//!   with a throttling error, a 500, a delay or a dropped connection, and counts every call.
//! - [`StubServer`]: a local HTTP server with a handler, recording what it was sent (OIDC token
//!   endpoint, GitHub API, smoke-check targets).
//! - [`ActionRun`]: runs an action binary the way a runner does (`INPUT_*`, file commands, a
//!   workspace, an event payload) and parses what it wrote.
//! - [`GitRepo`]: real git repositories made by the test.
//! - [`check_manifest`]: an `action.yml` declares exactly the inputs and outputs of the action.
#![allow(clippy::print_stderr)]

mod action_run;
pub mod alb_fixtures;
pub mod aws_fixtures;
mod emulator;
mod file_commands;
mod git;
mod http_server;
pub mod iam;
mod manifest;
mod proxy;
mod stub;

pub use action_run::{ActionResult, ActionRun};
pub use emulator::{Emulator, TEST_REGION, unique_name};
pub use file_commands::parse_file_commands;
pub use git::GitRepo;
pub use http_server::RecordedRequest;
pub use manifest::check_manifest;
pub use proxy::{Call, Fault, FaultProxy, Rewriter, Rule};
pub use stub::{StubResponse, StubServer};

/// The workspace's root directory.
pub fn workspace_root() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap_or_else(|_| std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../.."))
}
