//! The AWS calls of multi-version deploys that a single-service deploy does not make: the
//! listener, its rules and target groups (Elastic Load Balancing), versioned services (ECS),
//! states and the lease (SSM Parameter Store), drain datapoints and alarms (CloudWatch).
//! Registering, waiting on a rollout and the drain setting of a target group go through
//! [`crate::services::Services`], as in a single-service deploy.

use std::collections::BTreeMap;

use anyhow::{Context as _, bail};
use aws_sdk_elasticloadbalancingv2 as elb;

use crate::versions::inventory::StateParam;
use crate::versions::routing::{self, Action, Condition};

/// Tag keys on services, target groups and rules.
pub mod tag {
    /// Marks what these actions made and may delete.
    pub const MANAGED_BY: &str = "managed-by";
    /// Its value.
    pub const MANAGER: &str = "shipwright-ecs-deploy-version";
    /// The deployment name.
    pub const NAME: &str = "deployment-name";
    /// The deployment id.
    pub const ID: &str = "deployment-id";
    /// `pending`, `active`, `draining`.
    pub const STATE: &str = "state";
    /// Epoch seconds of the deploy.
    pub const DEPLOYED_AT: &str = "deployed-at";
    /// Fingerprint of the task definition.
    pub const FINGERPRINT: &str = "task-definition-fingerprint";
    /// The service's full name (target-group names may be shortened).
    pub const SERVICE: &str = "service";
    /// The target group's full name before shortening.
    pub const FULL_NAME: &str = "full-name";
}

/// Tags as key → value.
pub type Tags = BTreeMap<String, String>;

/// Whether `tags` mark a resource of deployment `name` made by these actions.
pub fn managed(tags: &Tags, name: &str) -> bool {
    tags.get(tag::MANAGED_BY).map(String::as_str) == Some(tag::MANAGER)
        && tags.get(tag::NAME).map(String::as_str) == Some(name)
}

/// The listener and its load balancer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListenerInfo {
    /// The load balancer's ARN.
    pub load_balancer: String,
    /// `application`, `network`, `gateway`.
    pub load_balancer_type: String,
    /// Its VPC.
    pub vpc: String,
    /// The default action.
    pub default: Option<Action>,
}

/// An ECS service as the versions see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceInfo {
    /// ARN.
    pub arn: String,
    /// Name.
    pub name: String,
    /// `ACTIVE`, `DRAINING`, `INACTIVE`.
    pub status: String,
    /// Task definition ARN.
    pub task_definition: String,
    /// Running tasks.
    pub running: i32,
    /// Desired tasks.
    pub desired: i32,
    /// Target groups it is attached to.
    pub target_groups: Vec<String>,
    /// Its tags.
    pub tags: Tags,
}

/// A new target group.
#[derive(Debug, Clone)]
pub struct NewTargetGroup<'a> {
    /// Its name (at most 32 characters).
    pub name: &'a str,
    /// VPC of the load balancer.
    pub vpc: &'a str,
    /// Container port.
    pub port: i32,
    /// Health check path.
    pub health_check_path: &'a str,
    /// Health check matcher (`200-399`).
    pub matcher: &'a str,
    /// Tags.
    pub tags: &'a Tags,
}

/// A new ECS service behind a target group.
#[derive(Debug, Clone)]
pub struct NewService<'a> {
    /// Cluster.
    pub cluster: &'a str,
    /// Name.
    pub name: &'a str,
    /// Task definition ARN.
    pub task_definition: &'a str,
    /// Target group ARN.
    pub target_group: &'a str,
    /// Container that receives traffic.
    pub container: &'a str,
    /// Its port.
    pub port: i32,
    /// Desired tasks.
    pub desired: i32,
    /// awsvpc subnets.
    pub subnets: &'a [String],
    /// awsvpc security groups.
    pub security_groups: &'a [String],
    /// A public IP for each task.
    pub public_ip: bool,
    /// `FARGATE`, `EC2`, `EXTERNAL`.
    pub launch_type: &'a str,
    /// Health check grace period.
    pub grace_seconds: Option<i32>,
    /// Tags.
    pub tags: &'a Tags,
}

/// The SDK clients.
#[derive(Debug, Clone)]
pub struct VersionsAws {
    ecs: aws_sdk_ecs::Client,
    elb: elb::Client,
    ssm: aws_sdk_ssm::Client,
    cloudwatch: aws_sdk_cloudwatch::Client,
    /// For the signed EC2 queries of [`super::ec2`].
    config: action_aws::SdkConfig,
}

impl VersionsAws {
    /// With clients made from `config`.
    pub fn new(config: &action_aws::SdkConfig) -> Self {
        Self {
            ecs: aws_sdk_ecs::Client::new(config),
            elb: elb::Client::new(config),
            ssm: aws_sdk_ssm::Client::new(config),
            cloudwatch: aws_sdk_cloudwatch::Client::new(config),
            config: config.clone(),
        }
    }

    // ----- EC2: reads -----

    /// The ids among `ids` of subnets or security groups that do not exist.
    pub async fn missing(
        &self,
        kind: super::ec2::Kind,
        ids: &[String],
    ) -> anyhow::Result<Vec<String>> {
        super::ec2::missing(&self.config, kind, ids).await
    }

    // ----- Elastic Load Balancing: reads -----

    /// The listener, its load balancer's type and VPC, and its default action.
    pub async fn listener(&self, arn: &str) -> anyhow::Result<ListenerInfo> {
        let answer = self
            .elb
            .describe_listeners()
            .listener_arns(arn)
            .send()
            .await
            .map_err(|e| {
                let e = e.into_service_error();
                if e.is_listener_not_found_exception() {
                    anyhow::anyhow!("input 'listener-arn': listener {arn} does not exist")
                } else {
                    anyhow::anyhow!("input 'listener-arn': cannot read listener {arn}: {e}")
                }
            })?;
        let listener = answer
            .listeners()
            .first()
            .with_context(|| format!("input 'listener-arn': listener {arn} does not exist"))?;
        let load_balancer = listener.load_balancer_arn().unwrap_or_default().to_owned();
        let answer = self
            .elb
            .describe_load_balancers()
            .load_balancer_arns(&load_balancer)
            .send()
            .await
            .map_err(|e| anyhow::Error::new(e.into_service_error()))
            .with_context(|| format!("cannot read load balancer {load_balancer}"))?;
        let lb = answer
            .load_balancers()
            .first()
            .with_context(|| format!("load balancer {load_balancer} does not exist"))?;
        Ok(ListenerInfo {
            load_balancer_type: lb
                .r#type()
                .map(|t| t.as_str().to_owned())
                .unwrap_or_default(),
            vpc: lb.vpc_id().unwrap_or_default().to_owned(),
            load_balancer,
            default: listener.default_actions().first().map(action_of),
        })
    }

    /// Every rule of a listener, the default one included, every page.
    pub async fn rules(&self, listener: &str) -> anyhow::Result<Vec<routing::Rule>> {
        let mut rules = Vec::new();
        let mut marker = None;
        loop {
            let answer = self
                .elb
                .describe_rules()
                .listener_arn(listener)
                .set_marker(marker)
                .send()
                .await
                .map_err(|e| anyhow::Error::new(e.into_service_error()))
                .with_context(|| format!("cannot read the rules of listener {listener}"))?;
            rules.extend(answer.rules().iter().map(rule_of));
            marker = answer.next_marker().map(str::to_owned);
            if marker.is_none() {
                return Ok(rules);
            }
        }
    }

    /// The listeners of a load balancer.
    pub async fn listeners_of(&self, load_balancer: &str) -> anyhow::Result<Vec<String>> {
        let mut listeners = Vec::new();
        let mut marker = None;
        loop {
            let answer = self
                .elb
                .describe_listeners()
                .load_balancer_arn(load_balancer)
                .set_marker(marker)
                .send()
                .await
                .map_err(|e| anyhow::Error::new(e.into_service_error()))
                .with_context(|| format!("cannot list the listeners of {load_balancer}"))?;
            listeners.extend(
                answer
                    .listeners()
                    .iter()
                    .filter_map(|l| l.listener_arn().map(str::to_owned)),
            );
            marker = answer.next_marker().map(str::to_owned);
            if marker.is_none() {
                return Ok(listeners);
            }
        }
    }

    /// The tags of ELB resources (20 a call).
    pub async fn elb_tags(&self, arns: &[String]) -> anyhow::Result<BTreeMap<String, Tags>> {
        let mut tags = BTreeMap::new();
        for batch in arns.chunks(20) {
            let answer = self
                .elb
                .describe_tags()
                .set_resource_arns(Some(batch.to_vec()))
                .send()
                .await
                .map_err(|e| anyhow::Error::new(e.into_service_error()))
                .context("cannot read the tags of the rules and target groups")?;
            for description in answer.tag_descriptions() {
                let found: Tags = description
                    .tags()
                    .iter()
                    .map(|t| {
                        (
                            t.key().unwrap_or_default().to_owned(),
                            t.value().unwrap_or_default().to_owned(),
                        )
                    })
                    .collect();
                tags.insert(
                    description.resource_arn().unwrap_or_default().to_owned(),
                    found,
                );
            }
        }
        Ok(tags)
    }

    /// The ARN of the target group called `name`, if there is one.
    pub async fn target_group_named(&self, name: &str) -> anyhow::Result<Option<String>> {
        match expected(
            self.elb
                .describe_target_groups()
                .names(name)
                .send()
                .await
                .map_err(|e| e.into_service_error()),
            |e| e.is_target_group_not_found_exception(),
            || format!("cannot look up target group {name}"),
        )? {
            Some(answer) => Ok(answer
                .target_groups()
                .first()
                .and_then(|t| t.target_group_arn())
                .map(str::to_owned)),
            None => Ok(None),
        }
    }

    /// How many targets of a target group are healthy.
    pub async fn healthy_targets(&self, target_group: &str) -> anyhow::Result<usize> {
        let answer = self
            .elb
            .describe_target_health()
            .target_group_arn(target_group)
            .send()
            .await
            .map_err(|e| anyhow::Error::new(e.into_service_error()))
            .with_context(|| format!("cannot read the health of {target_group}"))?;
        Ok(answer
            .target_health_descriptions()
            .iter()
            .filter(|d| {
                d.target_health()
                    .and_then(|h| h.state())
                    .is_some_and(|s| s.as_str() == "healthy")
            })
            .count())
    }

    // ----- Elastic Load Balancing: changes -----

    /// Creates a target group for ip targets over HTTP; `None` when the name is taken.
    pub async fn create_target_group(
        &self,
        spec: &NewTargetGroup<'_>,
    ) -> anyhow::Result<Option<String>> {
        let answer = self
            .elb
            .create_target_group()
            .name(spec.name)
            .protocol(elb::types::ProtocolEnum::Http)
            .port(spec.port)
            .vpc_id(spec.vpc)
            .target_type(elb::types::TargetTypeEnum::Ip)
            .health_check_path(spec.health_check_path)
            .matcher(
                elb::types::Matcher::builder()
                    .http_code(spec.matcher)
                    .build(),
            )
            .set_tags(Some(elb_tags(spec.tags)))
            .send()
            .await;
        match expected(
            answer.map_err(|e| e.into_service_error()),
            |e| e.is_duplicate_target_group_name_exception(),
            || format!("cannot create target group {}", spec.name),
        )? {
            Some(answer) => answer
                .target_groups()
                .first()
                .and_then(|t| t.target_group_arn())
                .map(|arn| Some(arn.to_owned()))
                .context("Elastic Load Balancing returned no target group"),
            None => Ok(None),
        }
    }

    /// Creates a rule; `Ok(None)` when the priority is taken.
    pub async fn create_rule(
        &self,
        listener: &str,
        priority: u32,
        condition: &Condition,
        target_group: &str,
        tags: &Tags,
    ) -> anyhow::Result<Option<String>> {
        let answer = self
            .elb
            .create_rule()
            .listener_arn(listener)
            .priority(i32::try_from(priority).unwrap_or(i32::MAX))
            .conditions(sdk_condition(condition))
            .actions(forward(&[(target_group.to_owned(), 1)]))
            .set_tags(Some(elb_tags(tags)))
            .send()
            .await;
        match expected(
            answer.map_err(|e| e.into_service_error()),
            |e| e.is_priority_in_use_exception(),
            || format!("cannot create the rule at priority {priority}"),
        )? {
            Some(answer) => answer
                .rules()
                .first()
                .and_then(|r| r.rule_arn())
                .map(|arn| Some(arn.to_owned()))
                .context("Elastic Load Balancing returned no rule"),
            None => Ok(None),
        }
    }

    /// Sets the listener's default action to a weighted forward.
    pub async fn set_default_forward(
        &self,
        listener: &str,
        weights: &[(String, u32)],
    ) -> anyhow::Result<()> {
        self.set_default(listener, forward(weights)).await
    }

    /// Sets the listener's default action to a fixed 503 answer.
    pub async fn set_default_unavailable(&self, listener: &str) -> anyhow::Result<()> {
        let answer = elb::types::Action::builder()
            .r#type(elb::types::ActionTypeEnum::FixedResponse)
            .fixed_response_config(
                elb::types::FixedResponseActionConfig::builder()
                    .status_code("503")
                    .content_type("text/plain")
                    .message_body("no version deployed")
                    .build(),
            )
            .build();
        self.set_default(listener, answer).await
    }

    /// Puts `action` back as the default action (an earlier default, as read).
    pub async fn restore_default(&self, listener: &str, action: &Action) -> anyhow::Result<()> {
        match action {
            Action::Forward(weights) => self.set_default_forward(listener, weights).await,
            Action::Other(_) => self.set_default_unavailable(listener).await,
        }
    }

    async fn set_default(&self, listener: &str, action: elb::types::Action) -> anyhow::Result<()> {
        self.elb
            .modify_listener()
            .listener_arn(listener)
            .default_actions(action)
            .send()
            .await
            .map_err(|e| anyhow::Error::new(e.into_service_error()))
            .with_context(|| format!("cannot change the default action of {listener}"))?;
        Ok(())
    }

    /// Deletes a rule (one already gone is fine).
    pub async fn delete_rule(&self, arn: &str) -> anyhow::Result<()> {
        expected(
            self.elb
                .delete_rule()
                .rule_arn(arn)
                .send()
                .await
                .map_err(|e| e.into_service_error()),
            |e| e.is_rule_not_found_exception(),
            || format!("cannot delete rule {arn}"),
        )?;
        Ok(())
    }

    /// Deletes a target group; `Ok(false)` while something still uses it (`ResourceInUse`).
    pub async fn delete_target_group(&self, arn: &str) -> anyhow::Result<bool> {
        Ok(expected(
            self.elb
                .delete_target_group()
                .target_group_arn(arn)
                .send()
                .await
                .map_err(|e| e.into_service_error()),
            |e| e.is_resource_in_use_exception(),
            || format!("cannot delete target group {arn}"),
        )?
        .is_some())
    }

    // ----- ECS -----

    /// A registered task definition as a RegisterTaskDefinition input.
    pub async fn task_definition(&self, arn: &str) -> anyhow::Result<serde_json::Value> {
        let answer = render_taskdef::ecs::describe(&self.ecs, arn)
            .await
            .context("input 'task-definition'")?;
        Ok(render_taskdef::document::from_describe(answer)?.document)
    }

    /// Whether the cluster exists and is ACTIVE.
    pub async fn cluster_is_active(&self, cluster: &str) -> anyhow::Result<bool> {
        let answer = self
            .ecs
            .describe_clusters()
            .clusters(cluster)
            .send()
            .await
            .map_err(|e| anyhow::Error::new(e.into_service_error()))
            .with_context(|| format!("cannot read cluster {cluster}"))?;
        Ok(answer
            .clusters()
            .iter()
            .any(|c| c.status() == Some("ACTIVE")))
    }

    /// Every service of the cluster that is not INACTIVE, with its tags.
    pub async fn services(&self, cluster: &str) -> anyhow::Result<Vec<ServiceInfo>> {
        let mut arns = Vec::new();
        let mut token = None;
        loop {
            let answer = self
                .ecs
                .list_services()
                .cluster(cluster)
                .max_results(100)
                .set_next_token(token)
                .send()
                .await
                .map_err(|e| anyhow::Error::new(e.into_service_error()))
                .with_context(|| format!("cannot list the services of cluster {cluster}"))?;
            arns.extend(answer.service_arns().iter().cloned());
            token = answer.next_token().map(str::to_owned);
            if token.is_none() {
                break;
            }
        }
        let mut services = Vec::new();
        for batch in arns.chunks(10) {
            services.extend(self.describe_services(cluster, batch).await?);
        }
        Ok(services)
    }

    /// DescribeServices (at most 10) with tags; INACTIVE and missing ones are left out.
    pub async fn describe_services(
        &self,
        cluster: &str,
        names: &[String],
    ) -> anyhow::Result<Vec<ServiceInfo>> {
        let answer = self
            .ecs
            .describe_services()
            .cluster(cluster)
            .set_services(Some(names.to_vec()))
            .include(aws_sdk_ecs::types::ServiceField::Tags)
            .send()
            .await
            .map_err(|e| anyhow::Error::new(e.into_service_error()))
            .with_context(|| format!("cannot describe the services of cluster {cluster}"))?;
        Ok(answer
            .services()
            .iter()
            .filter(|s| s.status() != Some("INACTIVE"))
            .map(|s| ServiceInfo {
                arn: s.service_arn().unwrap_or_default().to_owned(),
                name: s.service_name().unwrap_or_default().to_owned(),
                status: s.status().unwrap_or_default().to_owned(),
                task_definition: s.task_definition().unwrap_or_default().to_owned(),
                running: s.running_count(),
                desired: s.desired_count(),
                target_groups: s
                    .load_balancers()
                    .iter()
                    .filter_map(|lb| lb.target_group_arn().map(str::to_owned))
                    .collect(),
                tags: s
                    .tags()
                    .iter()
                    .map(|t| {
                        (
                            t.key().unwrap_or_default().to_owned(),
                            t.value().unwrap_or_default().to_owned(),
                        )
                    })
                    .collect(),
            })
            .collect())
    }

    /// Creates the service; returns its ARN.
    pub async fn create_service(&self, spec: &NewService<'_>) -> anyhow::Result<String> {
        use aws_sdk_ecs::types::{
            AssignPublicIp, AwsVpcConfiguration, DeploymentCircuitBreaker, DeploymentConfiguration,
            LaunchType, LoadBalancer, NetworkConfiguration, Tag,
        };
        let network = NetworkConfiguration::builder()
            .awsvpc_configuration(
                AwsVpcConfiguration::builder()
                    .set_subnets(Some(spec.subnets.to_vec()))
                    .set_security_groups(Some(spec.security_groups.to_vec()))
                    .assign_public_ip(if spec.public_ip {
                        AssignPublicIp::Enabled
                    } else {
                        AssignPublicIp::Disabled
                    })
                    .build()
                    .context("network configuration")?,
            )
            .build();
        let breaker = DeploymentCircuitBreaker::builder()
            .enable(true)
            .rollback(false)
            .build();
        let answer = self
            .ecs
            .create_service()
            .cluster(spec.cluster)
            .service_name(spec.name)
            .task_definition(spec.task_definition)
            .desired_count(spec.desired)
            .launch_type(LaunchType::from(spec.launch_type))
            .load_balancers(
                LoadBalancer::builder()
                    .target_group_arn(spec.target_group)
                    .container_name(spec.container)
                    .container_port(spec.port)
                    .build(),
            )
            .network_configuration(network)
            .deployment_configuration(
                DeploymentConfiguration::builder()
                    .deployment_circuit_breaker(breaker)
                    .build(),
            )
            .set_health_check_grace_period_seconds(spec.grace_seconds)
            .propagate_tags(aws_sdk_ecs::types::PropagateTags::Service)
            .set_tags(Some(
                spec.tags
                    .iter()
                    .map(|(k, v)| Tag::builder().key(k).value(v).build())
                    .collect(),
            ))
            .send()
            .await
            .map_err(|e| anyhow::Error::new(e.into_service_error()))
            .with_context(|| format!("cannot create service {}", spec.name))?;
        answer
            .service()
            .and_then(|s| s.service_arn())
            .map(str::to_owned)
            .context("ECS returned no service")
    }

    /// Sets the service's `state` tag.
    pub async fn tag_service_state(&self, arn: &str, state: &str) -> anyhow::Result<()> {
        self.ecs
            .tag_resource()
            .resource_arn(arn)
            .tags(
                aws_sdk_ecs::types::Tag::builder()
                    .key(tag::STATE)
                    .value(state)
                    .build(),
            )
            .send()
            .await
            .map_err(|e| anyhow::Error::new(e.into_service_error()))
            .with_context(|| format!("cannot tag {arn}"))?;
        Ok(())
    }

    /// Scales the service to 0, then deletes it.
    pub async fn delete_service(&self, cluster: &str, service: &str) -> anyhow::Result<()> {
        self.ecs
            .update_service()
            .cluster(cluster)
            .service(service)
            .desired_count(0)
            .send()
            .await
            .map_err(|e| anyhow::Error::new(e.into_service_error()))
            .with_context(|| format!("cannot scale service {service} to 0"))?;
        self.ecs
            .delete_service()
            .cluster(cluster)
            .service(service)
            .send()
            .await
            .map_err(|e| anyhow::Error::new(e.into_service_error()))
            .with_context(|| format!("cannot delete service {service}"))?;
        Ok(())
    }

    /// The ids of the service's tasks whose desired status is RUNNING (ListTasks, then the
    /// tasks' `group` checked: `service:<name>`).
    pub async fn running_tasks(&self, cluster: &str, service: &str) -> anyhow::Result<Vec<String>> {
        let answer = self
            .ecs
            .list_tasks()
            .cluster(cluster)
            .service_name(service)
            .desired_status(aws_sdk_ecs::types::DesiredStatus::Running)
            .send()
            .await
            .map_err(|e| anyhow::Error::new(e.into_service_error()))
            .with_context(|| format!("cannot list the tasks of {service}"))?;
        let arns = answer.task_arns().to_vec();
        if arns.is_empty() {
            return Ok(Vec::new());
        }
        let group = format!("service:{service}");
        let mut ids = Vec::new();
        for batch in arns.chunks(100) {
            let answer = self
                .ecs
                .describe_tasks()
                .cluster(cluster)
                .set_tasks(Some(batch.to_vec()))
                .send()
                .await
                .map_err(|e| anyhow::Error::new(e.into_service_error()))
                .with_context(|| format!("cannot describe the tasks of {service}"))?;
            ids.extend(
                answer
                    .tasks()
                    .iter()
                    .filter(|t| t.group() == Some(group.as_str()))
                    .filter_map(|t| t.task_arn())
                    .map(|arn| arn.rsplit('/').next().unwrap_or(arn).to_owned()),
            );
        }
        Ok(ids)
    }

    /// Why the service's recently stopped tasks stopped (at most 5).
    pub async fn stopped_reasons(
        &self,
        cluster: &str,
        service: &str,
    ) -> anyhow::Result<Vec<String>> {
        let answer = self
            .ecs
            .list_tasks()
            .cluster(cluster)
            .service_name(service)
            .desired_status(aws_sdk_ecs::types::DesiredStatus::Stopped)
            .send()
            .await
            .map_err(|e| anyhow::Error::new(e.into_service_error()))
            .with_context(|| format!("cannot list the stopped tasks of {service}"))?;
        let arns: Vec<String> = answer.task_arns().iter().take(5).cloned().collect();
        if arns.is_empty() {
            return Ok(Vec::new());
        }
        let answer = self
            .ecs
            .describe_tasks()
            .cluster(cluster)
            .set_tasks(Some(arns))
            .send()
            .await
            .map_err(|e| anyhow::Error::new(e.into_service_error()))
            .with_context(|| format!("cannot describe the stopped tasks of {service}"))?;
        let group = format!("service:{service}");
        Ok(answer
            .tasks()
            .iter()
            .filter(|t| t.group() == Some(group.as_str()))
            .filter_map(|t| t.stopped_reason().map(str::to_owned))
            .collect())
    }

    // ----- SSM -----

    /// The state parameters under `/apps/<name>/`, by parameter name.
    pub async fn parameters(&self, path: &str) -> anyhow::Result<BTreeMap<String, StateParam>> {
        let mut found = BTreeMap::new();
        let mut token = None;
        loop {
            let answer = self
                .ssm
                .get_parameters_by_path()
                .path(path)
                .recursive(true)
                .set_next_token(token)
                .send()
                .await
                .map_err(|e| anyhow::Error::new(e.into_service_error()))
                .with_context(|| format!("cannot read the parameters under {path}"))?;
            for parameter in answer.parameters() {
                found.insert(
                    parameter.name().unwrap_or_default().to_owned(),
                    StateParam {
                        value: parameter.value().unwrap_or_default().to_owned(),
                        since: parameter.last_modified_date().map_or(0, |d| d.secs()),
                    },
                );
            }
            token = answer.next_token().map(str::to_owned);
            if token.is_none() {
                return Ok(found);
            }
        }
    }

    /// Writes a parameter (overwriting).
    pub async fn put_parameter(&self, name: &str, value: &str) -> anyhow::Result<()> {
        self.ssm
            .put_parameter()
            .name(name)
            .value(value)
            .r#type(aws_sdk_ssm::types::ParameterType::String)
            .overwrite(true)
            .send()
            .await
            .map_err(|e| anyhow::Error::new(e.into_service_error()))
            .with_context(|| format!("cannot write parameter {name}"))?;
        Ok(())
    }

    /// Creates a parameter unless it exists (`Overwrite=false`); `Ok(false)` when it does.
    pub async fn create_parameter(&self, name: &str, value: &str) -> anyhow::Result<bool> {
        Ok(expected(
            self.ssm
                .put_parameter()
                .name(name)
                .value(value)
                .r#type(aws_sdk_ssm::types::ParameterType::String)
                .overwrite(false)
                .send()
                .await
                .map_err(|e| e.into_service_error()),
            |e| e.is_parameter_already_exists(),
            || format!("cannot create parameter {name}"),
        )?
        .is_some())
    }

    /// A parameter's value, if it exists.
    pub async fn parameter(&self, name: &str) -> anyhow::Result<Option<String>> {
        match expected(
            self.ssm
                .get_parameter()
                .name(name)
                .send()
                .await
                .map_err(|e| e.into_service_error()),
            |e| e.is_parameter_not_found(),
            || format!("cannot read parameter {name}"),
        )? {
            Some(answer) => Ok(answer
                .parameter()
                .and_then(|p| p.value())
                .map(str::to_owned)),
            None => Ok(None),
        }
    }

    /// Deletes a parameter (one already gone is fine).
    pub async fn delete_parameter(&self, name: &str) -> anyhow::Result<()> {
        expected(
            self.ssm
                .delete_parameter()
                .name(name)
                .send()
                .await
                .map_err(|e| e.into_service_error()),
            |e| e.is_parameter_not_found(),
            || format!("cannot delete parameter {name}"),
        )?;
        Ok(())
    }

    // ----- CloudWatch -----

    /// The latest `ShutdownReady` value of each task, from `since` on; `tasks` are
    /// (deployment id, task id).
    pub async fn shutdown_ready(
        &self,
        namespace: &str,
        name: &str,
        tasks: &[(String, String)],
        since: i64,
        now: i64,
    ) -> anyhow::Result<BTreeMap<(String, String), f64>> {
        use aws_sdk_cloudwatch::types::{Dimension, Metric, MetricDataQuery, MetricStat, ScanBy};
        let mut latest = BTreeMap::new();
        for batch in tasks.chunks(500) {
            let queries = batch
                .iter()
                .enumerate()
                .map(|(i, (id, task))| {
                    let dimension =
                        |k: &str, v: &str| Dimension::builder().name(k).value(v).build();
                    MetricDataQuery::builder()
                        .id(format!("t{i}"))
                        .metric_stat(
                            MetricStat::builder()
                                .metric(
                                    Metric::builder()
                                        .namespace(namespace)
                                        .metric_name("ShutdownReady")
                                        .dimensions(dimension("deployment_name", name))
                                        .dimensions(dimension("deployment_id", id))
                                        .dimensions(dimension("task_id", task))
                                        .build(),
                                )
                                .period(60)
                                .stat("Maximum")
                                .build(),
                        )
                        .build()
                })
                .collect();
            let answer = self
                .cloudwatch
                .get_metric_data()
                .set_metric_data_queries(Some(queries))
                .start_time(aws_sdk_cloudwatch::primitives::DateTime::from_secs(
                    since - 60,
                ))
                .end_time(aws_sdk_cloudwatch::primitives::DateTime::from_secs(
                    now + 60,
                ))
                .scan_by(ScanBy::TimestampDescending)
                .send()
                .await
                .map_err(|e| anyhow::Error::new(e.into_service_error()))
                .context("cannot read the ShutdownReady datapoints")?;
            for result in answer.metric_data_results() {
                let index: Option<usize> = result
                    .id()
                    .and_then(|id| id.strip_prefix('t')?.parse().ok());
                let newest = result
                    .timestamps()
                    .iter()
                    .zip(result.values())
                    .max_by_key(|(t, _)| t.secs())
                    .map(|(_, v)| *v);
                if let (Some(task), Some(value)) = (index.and_then(|i| batch.get(i)), newest) {
                    latest.insert(task.clone(), value);
                }
            }
        }
        Ok(latest)
    }

    /// The state of each named alarm; a name CloudWatch does not know is an error.
    pub async fn alarm_states(&self, names: &[String]) -> anyhow::Result<BTreeMap<String, String>> {
        let mut states = BTreeMap::new();
        for batch in names.chunks(100) {
            let answer = self
                .cloudwatch
                .describe_alarms()
                .set_alarm_names(Some(batch.to_vec()))
                .send()
                .await
                .map_err(|e| anyhow::Error::new(e.into_service_error()))
                .context("cannot read the alarms")?;
            for alarm in answer.metric_alarms() {
                states.insert(
                    alarm.alarm_name().unwrap_or_default().to_owned(),
                    alarm
                        .state_value()
                        .map(|s| s.as_str().to_owned())
                        .unwrap_or_default(),
                );
            }
            for alarm in answer.composite_alarms() {
                states.insert(
                    alarm.alarm_name().unwrap_or_default().to_owned(),
                    alarm
                        .state_value()
                        .map(|s| s.as_str().to_owned())
                        .unwrap_or_default(),
                );
            }
        }
        if let Some(missing) = names.iter().find(|n| !states.contains_key(*n)) {
            bail!("input 'alarm-names': CloudWatch has no alarm '{missing}'");
        }
        Ok(states)
    }
}

/// The outcome of a call for which one service error is an expected answer (`None`); any
/// other error gets `context`.
fn expected<T, E>(
    result: Result<T, E>,
    is_expected: impl FnOnce(&E) -> bool,
    context: impl FnOnce() -> String,
) -> anyhow::Result<Option<T>>
where
    E: std::error::Error + Send + Sync + 'static,
{
    match result {
        Ok(value) => Ok(Some(value)),
        Err(e) if is_expected(&e) => Ok(None),
        Err(e) => Err(anyhow::Error::new(e).context(context())),
    }
}

/// SDK tags of a map.
fn elb_tags(tags: &Tags) -> Vec<elb::types::Tag> {
    tags.iter()
        .map(|(k, v)| elb::types::Tag::builder().key(k).value(v).build())
        .collect()
}

/// A weighted forward action.
fn forward(weights: &[(String, u32)]) -> elb::types::Action {
    let groups = weights
        .iter()
        .map(|(tg, w)| {
            elb::types::TargetGroupTuple::builder()
                .target_group_arn(tg)
                .weight(i32::try_from(*w).unwrap_or(i32::MAX))
                .build()
        })
        .collect();
    elb::types::Action::builder()
        .r#type(elb::types::ActionTypeEnum::Forward)
        .forward_config(
            elb::types::ForwardActionConfig::builder()
                .set_target_groups(Some(groups))
                .build(),
        )
        .build()
}

/// The SDK form of a condition.
fn sdk_condition(condition: &Condition) -> elb::types::RuleCondition {
    match condition {
        Condition::Header { name, values } => elb::types::RuleCondition::builder()
            .field("http-header")
            .http_header_config(
                elb::types::HttpHeaderConditionConfig::builder()
                    .http_header_name(name)
                    .set_values(Some(values.clone()))
                    .build(),
            )
            .build(),
        Condition::Query { pairs } => elb::types::RuleCondition::builder()
            .field("query-string")
            .query_string_config(
                elb::types::QueryStringConditionConfig::builder()
                    .set_values(Some(
                        pairs
                            .iter()
                            .map(|(k, v)| {
                                elb::types::QueryStringKeyValuePair::builder()
                                    .set_key(k.clone())
                                    .value(v)
                                    .build()
                            })
                            .collect(),
                    ))
                    .build(),
            )
            .build(),
        Condition::Other(field) => elb::types::RuleCondition::builder().field(field).build(),
    }
}

/// A rule as data.
fn rule_of(rule: &elb::types::Rule) -> routing::Rule {
    let conditions = rule
        .conditions()
        .iter()
        .map(
            |c| match (c.field(), c.http_header_config(), c.query_string_config()) {
                (Some("http-header"), Some(config), _) => Condition::Header {
                    name: config.http_header_name().unwrap_or_default().to_owned(),
                    values: config.values().to_vec(),
                },
                (Some("query-string"), _, Some(config)) => Condition::Query {
                    pairs: config
                        .values()
                        .iter()
                        .map(|p| {
                            (
                                p.key().map(str::to_owned),
                                p.value().unwrap_or_default().to_owned(),
                            )
                        })
                        .collect(),
                },
                (field, _, _) => Condition::Other(field.unwrap_or("unknown").to_owned()),
            },
        )
        .collect();
    routing::Rule {
        arn: rule.rule_arn().unwrap_or_default().to_owned(),
        priority: rule.priority().and_then(|p| p.parse().ok()),
        conditions,
        action: rule
            .actions()
            .iter()
            .find(|a| a.order().is_none() || a.r#type().is_some_and(|t| t.as_str() == "forward"))
            .map_or_else(|| Action::Other("none".into()), action_of),
    }
}

/// An action as data.
fn action_of(action: &elb::types::Action) -> Action {
    match action.r#type().map(|t| t.as_str()) {
        Some("forward") => {
            let weighted: Vec<(String, u32)> = action
                .forward_config()
                .map(|f| {
                    f.target_groups()
                        .iter()
                        .filter_map(|t| {
                            let weight = t.weight().map_or(1, |w| u32::try_from(w).unwrap_or(0));
                            t.target_group_arn().map(|arn| (arn.to_owned(), weight))
                        })
                        .collect()
                })
                .unwrap_or_default();
            if weighted.is_empty() {
                Action::Forward(
                    action
                        .target_group_arn()
                        .map(|tg| vec![(tg.to_owned(), 1)])
                        .unwrap_or_default(),
                )
            } else {
                Action::Forward(weighted)
            }
        }
        Some("fixed-response") => Action::Other(format!(
            "fixed response {}",
            action
                .fixed_response_config()
                .and_then(|f| f.status_code())
                .unwrap_or_default()
        )),
        Some(other) => Action::Other(other.to_owned()),
        None => Action::Other("unknown".into()),
    }
}
