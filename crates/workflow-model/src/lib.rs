//! GitHub Actions workflow files as the suite's tooling reads them: the jobs and steps of a
//! workflow ([`workflow`]), the `${{ … }}` expressions in them evaluated against a context
//! ([`expr`]), and the checks every reference workflow must pass ([`check`]): each step that
//! uses one of the suite's actions passes only inputs it declares, every output referenced
//! exists, and every third-party action is pinned by commit.
//!
//! `cargo xtask demo` runs a workflow's steps with the same model, so a workflow and the
//! actions cannot disagree without a test or the demo failing.

pub mod check;
pub mod expr;
pub mod workflow;

pub use workflow::{ActionManifest, Job, Step, Workflow};
