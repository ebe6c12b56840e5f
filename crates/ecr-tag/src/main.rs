//! The `ecr-tag` action's binary.
fn main() -> std::process::ExitCode {
    action_kit::run_async(&ecr_tag::SPEC, std::env::args().skip(1), ecr_tag::run)
}
