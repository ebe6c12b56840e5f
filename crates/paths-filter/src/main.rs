//! The `paths-filter` action's binary.
fn main() -> std::process::ExitCode {
    paths_filter::main(std::env::args().skip(1).collect())
}
