//! The `ecs-deploy` action's binary.
fn main() -> std::process::ExitCode {
    ecs_deploy::main(std::env::args().skip(1).collect())
}
