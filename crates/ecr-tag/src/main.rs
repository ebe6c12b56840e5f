//! The `ecr-tag` action's binary.
fn main() -> std::process::ExitCode {
    ecr_tag::main(std::env::args().skip(1).collect())
}
