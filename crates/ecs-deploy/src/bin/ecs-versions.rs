//! The `ecs-versions` action's binary.
fn main() -> std::process::ExitCode {
    ecs_deploy::versions::versions_main(std::env::args().skip(1).collect())
}
