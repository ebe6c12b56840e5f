//! The `branch-protect` action's binary.
fn main() -> std::process::ExitCode {
    branch_protect::main(std::env::args().skip(1).collect())
}
