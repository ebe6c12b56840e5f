//! The `render-taskdef` action's binary.
fn main() -> std::process::ExitCode {
    render_taskdef::main(std::env::args().skip(1).collect())
}
