//! Emulator state the ecs-deploy tests start from, made through the real SDK.

#![allow(dead_code, unreachable_pub)]

use test_harness::{Emulator, unique_name};

/// A cluster whose service `api` runs revision 1 of a family of its own.
pub struct ApiService {
    pub cluster: String,
    pub family: String,
    pub arn: String,
}

/// A task definition of `family` with one container `api` running `image`.
pub fn definition(family: &str, image: &str) -> serde_json::Value {
    serde_json::json!({
        "family": family,
        "containerDefinitions": [{"name": "api", "image": image, "memory": 256}],
    })
}

/// A new cluster with service `api` (`desired` tasks) on revision 1 of a new family.
pub async fn api_service(endpoint: &str, desired: i32) -> ApiService {
    let ecs = aws_sdk_ecs::Client::new(&Emulator::sdk_config(endpoint).await);
    let cluster = unique_name("cluster");
    ecs.create_cluster()
        .cluster_name(&cluster)
        .send()
        .await
        .expect("cluster");
    let family = unique_name("api");
    let arn = render_taskdef::ecs::register(&ecs, &definition(&family, "api:1"))
        .await
        .expect("revision 1");
    ecs.create_service()
        .cluster(&cluster)
        .service_name("api")
        .task_definition(&arn)
        .desired_count(desired)
        .send()
        .await
        .expect("service");
    ApiService {
        cluster,
        family,
        arn,
    }
}
