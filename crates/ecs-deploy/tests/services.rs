//! The waiter against the emulator through the real SDK. The emulator never runs tasks and
//! never moves a rollout by itself: the server is started with `MOTO_ECS_SERVICE_RUNNING`, so a
//! new service reports its tasks running and its rollout COMPLETED (simulated, as said here).

use std::time::Duration;

use ecs_deploy::backoff::Backoff;
use ecs_deploy::rollout::Assessment;
use ecs_deploy::services::{SdkServices, Services};
use ecs_deploy::wait::{Watch, wait_for_rollout};
use test_harness::Emulator;

mod common;

#[tokio::test]
async fn a_service_the_emulator_reports_running_is_completed() {
    let emulator =
        Emulator::start_with_env(&[("MOTO_ECS_SERVICE_RUNNING", "2")]).expect("emulator");
    let common::ApiService { cluster, arn, .. } = common::api_service(emulator.endpoint(), 2).await;
    let services = SdkServices::new(&Emulator::sdk_config(emulator.endpoint()).await);
    let state = services.describe(&cluster, "api").await.expect("describe");
    assert_eq!(state.status, "ACTIVE");
    assert_eq!(state.deployments.len(), 1);
    assert_eq!(state.deployments[0].task_definition, arn);
    assert_eq!(state.deployments[0].running, 2);

    let watch = Watch {
        cluster: &cluster,
        service: "api",
        target: &arn,
        backoff: Backoff {
            first: Duration::from_millis(10),
            ceiling: Duration::from_millis(20),
        },
        timeout: Duration::from_secs(5),
    };
    let assessment = wait_for_rollout(&services, &watch, tokio::time::sleep, |_| {})
        .await
        .expect("waited");
    assert_eq!(assessment, Assessment::Completed);
}

#[tokio::test]
async fn a_missing_service_or_cluster_is_named() {
    let emulator = Emulator::shared();
    let common::ApiService { cluster, .. } = common::api_service(emulator.endpoint(), 1).await;
    let services = SdkServices::new(&Emulator::sdk_config(emulator.endpoint()).await);
    let missing = services
        .describe(&cluster, "nope")
        .await
        .expect_err("missing service");
    assert_eq!(
        missing.to_string(),
        format!("service 'nope' in cluster '{cluster}' is MISSING")
    );
    let no_cluster = services
        .describe("no-such-cluster", "api")
        .await
        .expect_err("missing cluster");
    assert!(
        format!("{no_cluster:#}").contains("no-such-cluster"),
        "{no_cluster:#}"
    );
}
