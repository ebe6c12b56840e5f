//! The `s3-publish` action's binary.
fn main() -> std::process::ExitCode {
    s3_publish::main(std::env::args().skip(1).collect())
}
