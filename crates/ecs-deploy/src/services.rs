//! The AWS calls of a deploy (read a service, register a task definition, update the service,
//! run a one-off task, the drain setting of its target groups), behind a trait, so the deploy
//! and the waiter are tested against scripted answers as well as against the emulator through
//! the SDK.

use std::collections::BTreeSet;
use std::future::Future;

use anyhow::{Context as _, bail};

use crate::codedeploy::{CodeDeployRequest, DeploymentStatus, judge};
use crate::rollout::{Deployment, RolloutState, ServiceEvent, ServiceState};
use crate::tasks::{ContainerState, OneOffTask, TaskState};

/// What an UpdateService call changes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServiceUpdate {
    /// The task definition ARN to run.
    pub task_definition: String,
    /// Start new tasks even when the definition is the same.
    pub force_new_deployment: bool,
    /// A new desired count.
    pub desired_count: Option<i32>,
    /// `enableECSManagedTags`.
    pub enable_ecs_managed_tags: Option<bool>,
    /// `propagateTags`: `SERVICE`, `TASK_DEFINITION` or `NONE`.
    pub propagate_tags: Option<String>,
    /// ECS's own deployment strategy: `ROLLING`, `BLUE_GREEN`, `LINEAR` or `CANARY`; the rest
    /// of the service's deployment configuration is kept.
    pub strategy: Option<String>,
    /// Bake time of a blue/green, linear or canary deployment, in minutes.
    pub bake_time_minutes: Option<i32>,
}

/// The ECS calls a deploy makes.
pub trait Services {
    /// DescribeServices of one service.
    fn describe(
        &self,
        cluster: &str,
        service: &str,
    ) -> impl Future<Output = anyhow::Result<ServiceState>> + Send;

    /// UpdateService.
    fn update(
        &self,
        cluster: &str,
        service: &str,
        update: &ServiceUpdate,
    ) -> impl Future<Output = anyhow::Result<()>> + Send;

    /// RegisterTaskDefinition of a JSON document; returns the new ARN.
    fn register(
        &self,
        document: &serde_json::Value,
    ) -> impl Future<Output = anyhow::Result<String>> + Send;

    /// RunTask of a one-off task; returns the task ARN.
    fn run_task(&self, task: &OneOffTask) -> impl Future<Output = anyhow::Result<String>> + Send;

    /// DescribeTasks of one task.
    fn describe_task(
        &self,
        cluster: &str,
        task: &str,
    ) -> impl Future<Output = anyhow::Result<TaskState>> + Send;

    /// CodeDeploy CreateDeployment; returns the deployment id.
    fn create_code_deployment(
        &self,
        request: &CodeDeployRequest,
    ) -> impl Future<Output = anyhow::Result<String>> + Send;

    /// CodeDeploy GetDeployment, judged.
    fn code_deployment(
        &self,
        id: &str,
    ) -> impl Future<Output = anyhow::Result<DeploymentStatus>> + Send;

    /// ListTaskDefinitions of a family prefix, ACTIVE only, every page.
    fn active_revisions(
        &self,
        family: &str,
    ) -> impl Future<Output = anyhow::Result<Vec<String>>> + Send;

    /// The task definitions the services of a cluster run or deploy (every deployment).
    fn task_definitions_in_use(
        &self,
        cluster: &str,
    ) -> impl Future<Output = anyhow::Result<BTreeSet<String>>> + Send;

    /// DeregisterTaskDefinition.
    fn deregister(&self, arn: &str) -> impl Future<Output = anyhow::Result<()>> + Send;

    /// A target group's `deregistration_delay.timeout_seconds` (elasticloadbalancingv2).
    fn deregistration_delay(
        &self,
        target_group: &str,
    ) -> impl Future<Output = anyhow::Result<Option<u32>>> + Send;

    /// Sets a target group's `deregistration_delay.timeout_seconds`.
    fn set_deregistration_delay(
        &self,
        target_group: &str,
        seconds: u32,
    ) -> impl Future<Output = anyhow::Result<()>> + Send;
}

/// The real ECS and Elastic Load Balancing, through the SDK.
#[derive(Debug, Clone)]
pub struct SdkServices {
    client: aws_sdk_ecs::Client,
    elb: aws_sdk_elasticloadbalancingv2::Client,
    codedeploy: aws_sdk_codedeploy::Client,
}

/// The target-group attribute of the drain time.
const DEREGISTRATION_DELAY: &str = "deregistration_delay.timeout_seconds";

impl SdkServices {
    /// With clients made from `config`.
    pub fn new(config: &action_aws::SdkConfig) -> Self {
        Self {
            client: aws_sdk_ecs::Client::new(config),
            elb: aws_sdk_elasticloadbalancingv2::Client::new(config),
            codedeploy: aws_sdk_codedeploy::Client::new(config),
        }
    }
}

impl Services for SdkServices {
    async fn describe(&self, cluster: &str, service: &str) -> anyhow::Result<ServiceState> {
        Ok(state_of(&self.sdk_service(cluster, service).await?))
    }

    async fn update(
        &self,
        cluster: &str,
        service: &str,
        update: &ServiceUpdate,
    ) -> anyhow::Result<()> {
        let deployment_configuration =
            if update.strategy.is_some() || update.bake_time_minutes.is_some() {
                Some(
                    self.deployment_configuration(cluster, service, update)
                        .await?,
                )
            } else {
                None
            };
        self.client
            .update_service()
            .set_deployment_configuration(deployment_configuration)
            .cluster(cluster)
            .service(service)
            .task_definition(&update.task_definition)
            .force_new_deployment(update.force_new_deployment)
            .set_desired_count(update.desired_count)
            .set_enable_ecs_managed_tags(update.enable_ecs_managed_tags)
            .set_propagate_tags(
                update
                    .propagate_tags
                    .as_deref()
                    .map(aws_sdk_ecs::types::PropagateTags::from),
            )
            .send()
            .await
            .map_err(|e| anyhow::Error::new(e.into_service_error()))
            .with_context(|| {
                format!(
                    "cannot update service '{service}' to {}",
                    update.task_definition
                )
            })?;
        Ok(())
    }

    async fn register(&self, document: &serde_json::Value) -> anyhow::Result<String> {
        render_taskdef::ecs::register(&self.client, document).await
    }

    async fn run_task(&self, task: &OneOffTask) -> anyhow::Result<String> {
        use aws_sdk_ecs::types::{CapacityProviderStrategyItem, LaunchType, Tag, TaskOverride};
        let overrides = task
            .overrides
            .iter()
            .map(container_override)
            .collect::<Vec<_>>();
        let strategy = task
            .capacity_provider_strategy
            .iter()
            .map(|item| {
                CapacityProviderStrategyItem::builder()
                    .capacity_provider(&item.capacity_provider)
                    .set_weight(item.weight)
                    .set_base(item.base)
                    .build()
                    .context("invalid capacity provider strategy")
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        let launch_type = strategy
            .is_empty()
            .then(|| LaunchType::from(task.launch_type.as_str()));
        let tags = task
            .tags
            .iter()
            .map(|t| Tag::builder().key(&t.key).value(&t.value).build())
            .collect::<Vec<_>>();
        let answer = self
            .client
            .run_task()
            .cluster(&task.cluster)
            .task_definition(&task.task_definition)
            .set_launch_type(launch_type)
            .set_capacity_provider_strategy((!strategy.is_empty()).then_some(strategy))
            .set_network_configuration(network_configuration(task)?)
            .overrides(
                TaskOverride::builder()
                    .set_container_overrides(Some(overrides))
                    .build(),
            )
            .started_by(&task.started_by)
            .set_enable_ecs_managed_tags(task.enable_ecs_managed_tags)
            .set_tags((!tags.is_empty()).then_some(tags))
            .send()
            .await
            .map_err(|e| anyhow::Error::new(e.into_service_error()))
            .context("cannot run the one-off task")?;
        if let Some(failure) = answer.failures().first() {
            bail!(
                "ECS could not start the one-off task: {} is {}",
                failure.arn().unwrap_or("the task"),
                failure.reason().unwrap_or("not started, no reason given")
            );
        }
        answer
            .tasks()
            .first()
            .and_then(|t| t.task_arn())
            .map(str::to_owned)
            .context("ECS started no task")
    }

    async fn create_code_deployment(&self, request: &CodeDeployRequest) -> anyhow::Result<String> {
        use aws_sdk_codedeploy::types::{AppSpecContent, RevisionLocation, RevisionLocationType};
        let revision = RevisionLocation::builder()
            .revision_type(RevisionLocationType::AppSpecContent)
            .app_spec_content(AppSpecContent::builder().content(&request.appspec).build())
            .build();
        let answer = self
            .codedeploy
            .create_deployment()
            .application_name(&request.application)
            .deployment_group_name(&request.deployment_group)
            .set_deployment_config_name(request.config.clone())
            .set_description(request.description.clone())
            .revision(revision)
            .send()
            .await
            .map_err(|e| anyhow::Error::new(e.into_service_error()))
            .with_context(|| {
                format!(
                    "cannot create a CodeDeploy deployment in {}/{}",
                    request.application, request.deployment_group
                )
            })?;
        answer
            .deployment_id()
            .map(str::to_owned)
            .context("CodeDeploy returned no deployment id")
    }

    async fn code_deployment(&self, id: &str) -> anyhow::Result<DeploymentStatus> {
        let answer = self
            .codedeploy
            .get_deployment()
            .deployment_id(id)
            .send()
            .await
            .map_err(|e| anyhow::Error::new(e.into_service_error()))
            .with_context(|| format!("cannot read CodeDeploy deployment {id}"))?;
        let info = answer
            .deployment_info()
            .with_context(|| format!("CodeDeploy returned nothing for deployment {id}"))?;
        Ok(judge(
            info.status().map(|s| s.as_str()).unwrap_or_default(),
            info.error_information().and_then(|e| e.message()),
        ))
    }

    async fn active_revisions(&self, family: &str) -> anyhow::Result<Vec<String>> {
        self.client
            .list_task_definitions()
            .family_prefix(family)
            .status(aws_sdk_ecs::types::TaskDefinitionStatus::Active)
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<String>, _>>()
            .await
            .map_err(|e| anyhow::Error::new(e.into_service_error()))
            .with_context(|| format!("cannot list the revisions of {family}"))
    }

    async fn task_definitions_in_use(&self, cluster: &str) -> anyhow::Result<BTreeSet<String>> {
        let services: Vec<String> = self
            .client
            .list_services()
            .cluster(cluster)
            .into_paginator()
            .items()
            .send()
            .collect::<Result<_, _>>()
            .await
            .map_err(|e| anyhow::Error::new(e.into_service_error()))
            .with_context(|| format!("cannot list the services of cluster {cluster}"))?;
        let mut in_use = BTreeSet::new();
        // DescribeServices takes at most 10 services a call.
        for batch in services.chunks(10) {
            let answer = self
                .client
                .describe_services()
                .cluster(cluster)
                .set_services(Some(batch.to_vec()))
                .send()
                .await
                .map_err(|e| anyhow::Error::new(e.into_service_error()))
                .with_context(|| format!("cannot describe the services of cluster {cluster}"))?;
            for service in answer.services() {
                in_use.extend(service.task_definition().map(str::to_owned));
                in_use.extend(
                    service
                        .deployments()
                        .iter()
                        .filter_map(|d| d.task_definition())
                        .map(str::to_owned),
                );
            }
        }
        Ok(in_use)
    }

    async fn deregister(&self, arn: &str) -> anyhow::Result<()> {
        self.client
            .deregister_task_definition()
            .task_definition(arn)
            .send()
            .await
            .map_err(|e| anyhow::Error::new(e.into_service_error()))
            .with_context(|| format!("cannot deregister {arn}"))?;
        Ok(())
    }

    async fn deregistration_delay(&self, target_group: &str) -> anyhow::Result<Option<u32>> {
        let value = self
            .target_group_attribute(target_group, DEREGISTRATION_DELAY)
            .await?;
        Ok(value.and_then(|v| v.parse().ok()))
    }

    async fn set_deregistration_delay(
        &self,
        target_group: &str,
        seconds: u32,
    ) -> anyhow::Result<()> {
        use aws_sdk_elasticloadbalancingv2::types::TargetGroupAttribute;
        self.elb
            .modify_target_group_attributes()
            .target_group_arn(target_group)
            .attributes(
                TargetGroupAttribute::builder()
                    .key(DEREGISTRATION_DELAY)
                    .value(seconds.to_string())
                    .build(),
            )
            .send()
            .await
            .map_err(|e| anyhow::Error::new(e.into_service_error()))
            .with_context(|| {
                format!("cannot set the deregistration delay of target group {target_group}")
            })?;
        Ok(())
    }

    async fn describe_task(&self, cluster: &str, task: &str) -> anyhow::Result<TaskState> {
        let answer = self
            .client
            .describe_tasks()
            .cluster(cluster)
            .tasks(task)
            .send()
            .await
            .map_err(|e| anyhow::Error::new(e.into_service_error()))
            .with_context(|| format!("cannot describe task {task}"))?;
        let found = answer
            .tasks()
            .first()
            .with_context(|| format!("ECS returned nothing for task {task}"))?;
        Ok(TaskState {
            last_status: found.last_status().unwrap_or_default().to_owned(),
            stopped_reason: found.stopped_reason().map(str::to_owned),
            containers: found
                .containers()
                .iter()
                .map(|c| ContainerState {
                    name: c.name().unwrap_or_default().to_owned(),
                    exit_code: c.exit_code(),
                    reason: c.reason().map(str::to_owned),
                })
                .collect(),
        })
    }
}

impl SdkServices {
    /// DescribeServices of one service, as the SDK answers it; a missing cluster or service is
    /// an error naming it.
    async fn sdk_service(
        &self,
        cluster: &str,
        service: &str,
    ) -> anyhow::Result<aws_sdk_ecs::types::Service> {
        let answer = self
            .client
            .describe_services()
            .cluster(cluster)
            .services(service)
            .send()
            .await
            .map_err(|e| {
                let e = e.into_service_error();
                if e.is_cluster_not_found_exception() {
                    anyhow::anyhow!("ECS cluster '{cluster}' does not exist")
                } else {
                    anyhow::Error::new(e).context(format!("cannot describe service '{service}'"))
                }
            })?;
        if let Some(failure) = answer.failures().first() {
            bail!(
                "service '{service}' in cluster '{cluster}' is {}",
                failure.reason().unwrap_or("unavailable")
            );
        }
        answer
            .services()
            .first()
            .cloned()
            .with_context(|| format!("ECS returned nothing for service '{service}'"))
    }

    /// The service's deployment configuration with the strategy and bake time of `update`.
    async fn deployment_configuration(
        &self,
        cluster: &str,
        service: &str,
        update: &ServiceUpdate,
    ) -> anyhow::Result<aws_sdk_ecs::types::DeploymentConfiguration> {
        let found = self.sdk_service(cluster, service).await?;
        let current = found.deployment_configuration();
        Ok(merged_configuration(current, update))
    }

    async fn target_group_attribute(
        &self,
        target_group: &str,
        key: &str,
    ) -> anyhow::Result<Option<String>> {
        let answer = self
            .elb
            .describe_target_group_attributes()
            .target_group_arn(target_group)
            .send()
            .await
            .map_err(|e| anyhow::Error::new(e.into_service_error()))
            .with_context(|| {
                format!("cannot read the attributes of target group {target_group}")
            })?;
        Ok(answer
            .attributes()
            .iter()
            .find(|a| a.key() == Some(key))
            .and_then(|a| a.value())
            .map(str::to_owned))
    }
}

/// `current` with the strategy and bake time of `update` (those it leaves out stay as they are).
fn merged_configuration(
    current: Option<&aws_sdk_ecs::types::DeploymentConfiguration>,
    update: &ServiceUpdate,
) -> aws_sdk_ecs::types::DeploymentConfiguration {
    use aws_sdk_ecs::types::{DeploymentConfiguration, DeploymentStrategy};
    let empty = DeploymentConfiguration::builder().build();
    let current = current.unwrap_or(&empty);
    DeploymentConfiguration::builder()
        .set_deployment_circuit_breaker(current.deployment_circuit_breaker().cloned())
        .set_maximum_percent(current.maximum_percent())
        .set_minimum_healthy_percent(current.minimum_healthy_percent())
        .set_alarms(current.alarms().cloned())
        .set_lifecycle_hooks(Some(current.lifecycle_hooks().to_vec()).filter(|h| !h.is_empty()))
        .set_linear_configuration(current.linear_configuration().cloned())
        .set_canary_configuration(current.canary_configuration().cloned())
        .set_strategy(
            update
                .strategy
                .as_deref()
                .map(DeploymentStrategy::from)
                .or_else(|| current.strategy().cloned()),
        )
        .set_bake_time_in_minutes(update.bake_time_minutes.or(current.bake_time_in_minutes()))
        .build()
}

/// The awsvpc network configuration of a one-off task, when it has subnets or security groups.
fn network_configuration(
    task: &OneOffTask,
) -> anyhow::Result<Option<aws_sdk_ecs::types::NetworkConfiguration>> {
    use aws_sdk_ecs::types::{AssignPublicIp, AwsVpcConfiguration, NetworkConfiguration};
    if task.subnets.is_empty() && task.security_groups.is_empty() {
        return Ok(None);
    }
    let awsvpc = AwsVpcConfiguration::builder()
        .set_subnets(Some(task.subnets.clone()))
        .set_security_groups(Some(task.security_groups.clone()))
        .assign_public_ip(if task.assign_public_ip {
            AssignPublicIp::Enabled
        } else {
            AssignPublicIp::Disabled
        })
        .build()
        .context("invalid network configuration for the one-off task")?;
    Ok(Some(
        NetworkConfiguration::builder()
            .awsvpc_configuration(awsvpc)
            .build(),
    ))
}

/// The SDK form of one container override.
fn container_override(
    spec: &crate::tasks::ContainerOverride,
) -> aws_sdk_ecs::types::ContainerOverride {
    use aws_sdk_ecs::types::KeyValuePair;
    let environment = spec.environment.as_ref().map(|vars| {
        vars.iter()
            .map(|v| {
                KeyValuePair::builder()
                    .name(&v.name)
                    .value(&v.value)
                    .build()
            })
            .collect()
    });
    aws_sdk_ecs::types::ContainerOverride::builder()
        .name(&spec.name)
        .set_command(spec.command.clone())
        .set_environment(environment)
        .set_cpu(spec.cpu)
        .set_memory(spec.memory)
        .set_memory_reservation(spec.memory_reservation)
        .build()
}

/// The parts of an SDK `Service` the waiter decides on.
pub fn state_of(service: &aws_sdk_ecs::types::Service) -> ServiceState {
    let deployments = service
        .deployments()
        .iter()
        .map(|d| Deployment {
            id: d.id().unwrap_or_default().to_owned(),
            status: d.status().unwrap_or_default().to_owned(),
            task_definition: d.task_definition().unwrap_or_default().to_owned(),
            rollout_state: d
                .rollout_state()
                .and_then(|r| RolloutState::parse(r.as_str())),
            rollout_state_reason: d.rollout_state_reason().map(str::to_owned),
            desired: d.desired_count(),
            running: d.running_count(),
            pending: d.pending_count(),
            failed_tasks: d.failed_tasks(),
        })
        .collect();
    let events = service
        .events()
        .iter()
        .map(|e| ServiceEvent {
            id: e.id().unwrap_or_default().to_owned(),
            message: e.message().unwrap_or_default().to_owned(),
        })
        .collect();
    ServiceState {
        status: service.status().unwrap_or_default().to_owned(),
        task_definition: service.task_definition().unwrap_or_default().to_owned(),
        deployments,
        events,
        target_groups: service
            .load_balancers()
            .iter()
            .filter_map(|lb| lb.target_group_arn())
            .map(str::to_owned)
            .collect(),
        deployment_controller: service
            .deployment_controller()
            .map(|c| c.r#type().as_str().to_owned())
            .unwrap_or_else(|| "ECS".to_owned()),
        circuit_breaker_rollback: service
            .deployment_configuration()
            .and_then(|c| c.deployment_circuit_breaker())
            .is_some_and(|cb| cb.rollback()),
    }
}

#[cfg(test)]
mod tests {
    use aws_sdk_ecs::types::{
        CanaryConfiguration, DeploymentCircuitBreaker, DeploymentConfiguration, DeploymentStrategy,
    };

    use super::*;

    #[test]
    fn a_strategy_change_keeps_the_rest_of_the_configuration() {
        let current = DeploymentConfiguration::builder()
            .maximum_percent(150)
            .deployment_circuit_breaker(
                DeploymentCircuitBreaker::builder()
                    .enable(true)
                    .rollback(true)
                    .build(),
            )
            .canary_configuration(
                CanaryConfiguration::builder()
                    .canary_percent(10.0)
                    .canary_bake_time_in_minutes(3)
                    .build(),
            )
            .bake_time_in_minutes(15)
            .build();
        let update = ServiceUpdate {
            strategy: Some("CANARY".into()),
            ..ServiceUpdate::default()
        };
        let merged = merged_configuration(Some(&current), &update);
        assert_eq!(merged.strategy(), Some(&DeploymentStrategy::Canary));
        assert_eq!(merged.maximum_percent(), Some(150));
        assert_eq!(merged.bake_time_in_minutes(), Some(15));
        assert_eq!(
            merged.canary_configuration(),
            current.canary_configuration()
        );
        assert_eq!(
            merged.deployment_circuit_breaker(),
            current.deployment_circuit_breaker()
        );
        let bake = ServiceUpdate {
            bake_time_minutes: Some(0),
            ..ServiceUpdate::default()
        };
        let merged = merged_configuration(None, &bake);
        assert_eq!(merged.bake_time_in_minutes(), Some(0));
        assert_eq!(merged.strategy(), None);
    }
}
