//! The `ecs-deploy-version` action's binary.
fn main() -> std::process::ExitCode {
    ecs_deploy::versions::deploy_main(std::env::args().skip(1).collect())
}
