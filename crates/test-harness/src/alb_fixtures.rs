//! Emulator state for multi-version deploys behind a load balancer, made through the real SDK:
//! an Application Load Balancer with a listener, and what the emulator never does by itself
//! (targets registering when ECS would start them, tasks a service would run, the drain metric
//! an app would publish). Whoever uses these says what they simulate.

use anyhow::Context as _;
use aws_config::SdkConfig;
use aws_sdk_elasticloadbalancingv2 as elb;

/// A new internet-facing Application Load Balancer named `name` in `subnet` with an HTTP
/// listener on port 80 whose default answers 503; returns the listener's ARN.
pub async fn application_listener(
    config: &SdkConfig,
    name: &str,
    subnet: &str,
) -> anyhow::Result<String> {
    let client = elb::Client::new(config);
    let created = client
        .create_load_balancer()
        .name(name)
        .subnets(subnet)
        .r#type(elb::types::LoadBalancerTypeEnum::Application)
        .send()
        .await
        .context("create load balancer")?;
    let load_balancer = created
        .load_balancers()
        .first()
        .and_then(|lb| lb.load_balancer_arn())
        .context("no load balancer ARN")?
        .to_owned();
    let listener = client
        .create_listener()
        .load_balancer_arn(&load_balancer)
        .protocol(elb::types::ProtocolEnum::Http)
        .port(80)
        .default_actions(
            elb::types::Action::builder()
                .r#type(elb::types::ActionTypeEnum::FixedResponse)
                .fixed_response_config(
                    elb::types::FixedResponseActionConfig::builder()
                        .status_code("503")
                        .build(),
                )
                .build(),
        )
        .send()
        .await
        .context("create listener")?;
    listener
        .listeners()
        .first()
        .and_then(|l| l.listener_arn())
        .map(str::to_owned)
        .context("no listener ARN")
}

/// Registers a target in the target group `name` as soon as it exists, as ECS would for a
/// service's task (the emulator registers none). Runs until then; abort it when done waiting.
pub async fn register_target_when_created(config: SdkConfig, name: String) {
    let client = elb::Client::new(&config);
    loop {
        if let Ok(answer) = client.describe_target_groups().names(&name).send().await
            && let Some(arn) = answer
                .target_groups()
                .first()
                .and_then(|t| t.target_group_arn())
        {
            let _ = client
                .register_targets()
                .target_group_arn(arn)
                .targets(
                    elb::types::TargetDescription::builder()
                        .id("10.0.0.10")
                        .port(8000)
                        .build(),
                )
                .send()
                .await;
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// Starts a task of `service` (in its task group, with its task definition) as ECS would for
/// the service; returns the task id.
pub async fn run_service_task(
    config: &SdkConfig,
    cluster: &str,
    service: &str,
    subnet: &str,
) -> anyhow::Result<String> {
    let ecs = aws_sdk_ecs::Client::new(config);
    let described = ecs
        .describe_services()
        .cluster(cluster)
        .services(service)
        .send()
        .await
        .context("describe service")?;
    let task_definition = described
        .services()
        .first()
        .and_then(|s| s.task_definition())
        .with_context(|| format!("no service {service}"))?
        .to_owned();
    let answer = ecs
        .run_task()
        .cluster(cluster)
        .task_definition(task_definition)
        .launch_type(aws_sdk_ecs::types::LaunchType::Fargate)
        .group(format!("service:{service}"))
        .network_configuration(
            aws_sdk_ecs::types::NetworkConfiguration::builder()
                .awsvpc_configuration(
                    aws_sdk_ecs::types::AwsVpcConfiguration::builder()
                        .subnets(subnet)
                        // The emulator fails without the field (an empty list will do).
                        .set_security_groups(Some(Vec::new()))
                        .build()
                        .context("awsvpc")?,
                )
                .build(),
        )
        .send()
        .await
        .context("run task")?;
    let arn = answer
        .tasks()
        .first()
        .and_then(|t| t.task_arn())
        .context("no task started")?;
    Ok(arn.rsplit('/').next().unwrap_or(arn).to_owned())
}

/// Puts a `ShutdownReady` datapoint for a task of version `id` of `name` (namespace
/// `App/Drain`), as the app's embedded-metric log line would.
pub async fn put_shutdown_ready(
    config: &SdkConfig,
    name: &str,
    id: &str,
    task: &str,
    value: f64,
) -> anyhow::Result<()> {
    use aws_sdk_cloudwatch::types::{Dimension, MetricDatum};
    let dimension = |k: &str, v: &str| Dimension::builder().name(k).value(v).build();
    aws_sdk_cloudwatch::Client::new(config)
        .put_metric_data()
        .namespace("App/Drain")
        .metric_data(
            MetricDatum::builder()
                .metric_name("ShutdownReady")
                .dimensions(dimension("deployment_name", name))
                .dimensions(dimension("deployment_id", id))
                .dimensions(dimension("task_id", task))
                .value(value)
                .build(),
        )
        .send()
        .await
        .context("put metric data")?;
    Ok(())
}
