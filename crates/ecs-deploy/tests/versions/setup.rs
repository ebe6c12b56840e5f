//! The emulator state the versions tests start from, the actions run through the runner
//! contract, and what the tests read back, all through the real SDK.

#![allow(unreachable_pub)]

use std::sync::OnceLock;

use aws_sdk_elasticloadbalancingv2 as elb;
use ecs_deploy::versions::names;
use test_harness::{ActionResult, ActionRun, Emulator, FaultProxy, unique_name};

const DEPLOY: &str = env!("CARGO_BIN_EXE_ecs-deploy-version");
const VERSIONS: &str = env!("CARGO_BIN_EXE_ecs-versions");

/// Calls that change something.
pub const MUTATING: &[&str] = &[
    "PutParameter",
    "DeleteParameter",
    "RegisterTaskDefinition",
    "CreateTargetGroup",
    "ModifyTargetGroupAttributes",
    "DeleteTargetGroup",
    "CreateService",
    "UpdateService",
    "DeleteService",
    "TagResource",
    "CreateRule",
    "DeleteRule",
    "ModifyListener",
];

/// The mutating calls seen by `proxy`, in order.
pub fn mutations(proxy: &FaultProxy) -> Vec<String> {
    proxy
        .calls()
        .into_iter()
        .map(|c| c.operation)
        .filter(|op| MUTATING.contains(&op.as_str()))
        .collect()
}

/// One emulator for these tests whose services report a running task and a completed
/// rollout (`MOTO_ECS_SERVICE_RUNNING=1`): the emulator runs no tasks itself.
pub fn emulator() -> &'static Emulator {
    static EMULATOR: OnceLock<Emulator> = OnceLock::new();
    EMULATOR.get_or_init(
        || match Emulator::start_with_env(&[("MOTO_ECS_SERVICE_RUNNING", "1")]) {
            Ok(emulator) => emulator,
            Err(error) => panic!("{error:#}"),
        },
    )
}

/// A deployment name of its own, a cluster, an ALB with an HTTP listener answering 503 by
/// default, and a task definition file.
pub struct Env {
    pub name: String,
    pub cluster: String,
    pub listener: String,
    pub subnet: String,
    pub vpc: String,
    endpoint: String,
    config: action_aws::SdkConfig,
    workspace: tempfile::TempDir,
}

impl Env {
    pub async fn new(emulator: &Emulator) -> Env {
        let endpoint = emulator.endpoint().to_owned();
        let config = Emulator::sdk_config(&endpoint).await;
        let vpc = test_harness::aws_fixtures::default_vpc(&endpoint)
            .await
            .expect("vpc");
        let subnet = test_harness::aws_fixtures::default_subnet(&endpoint)
            .await
            .expect("subnet");
        let name = unique_name("mv");
        let cluster = unique_name("cluster");
        aws_sdk_ecs::Client::new(&config)
            .create_cluster()
            .cluster_name(&cluster)
            .send()
            .await
            .expect("cluster");
        let listener =
            test_harness::alb_fixtures::application_listener(&config, &unique_name("alb"), &subnet)
                .await
                .expect("load balancer and listener");
        let env = Env {
            name,
            cluster,
            listener,
            subnet,
            vpc,
            endpoint,
            config,
            workspace: tempfile::tempdir().expect("workspace"),
        };
        env.write_definition("td.json", "app:1");
        env
    }

    pub fn endpoint(&self) -> String {
        self.endpoint.clone()
    }

    /// Writes a Fargate task definition file with container `app` on port 8000.
    pub fn write_definition(&self, file: &str, image: &str) -> String {
        let document = serde_json::json!({
            "family": self.name,
            "networkMode": "awsvpc",
            "requiresCompatibilities": ["FARGATE"],
            "cpu": "256",
            "memory": "512",
            "containerDefinitions": [{
                "name": "app", "image": image, "memory": 256,
                "portMappings": [{"containerPort": 8000}]
            }]
        });
        std::fs::write(self.workspace.path().join(file), document.to_string()).expect("file");
        file.to_owned()
    }

    /// Runs `ecs-deploy-version` for `id` through `endpoint`; meanwhile registers a healthy
    /// target in the version's target group as soon as it exists (simulated: the emulator's
    /// ECS registers none).
    pub async fn deploy(&self, endpoint: &str, id: &str, inputs: &[(&str, &str)]) -> ActionResult {
        let mut run = ActionRun::new(DEPLOY)
            .expect("runner")
            .workspace(self.workspace.path())
            .envs(Emulator::aws_env(endpoint))
            .input("deployment-name", &self.name)
            .input("deployment-id", id)
            .input("task-definition", "td.json")
            .input("cluster", &self.cluster)
            .input("listener-arn", &self.listener)
            .input("subnets", &self.subnet)
            .input("poll-seconds", "1")
            .input("wait-for-minutes", "1");
        for (name, value) in inputs {
            run = run.input(name, value);
        }
        let registrar = tokio::spawn(test_harness::alb_fixtures::register_target_when_created(
            self.config.clone(),
            names::target_group_name(&self.name, id),
        ));
        let result = tokio::task::spawn_blocking(move || run.run())
            .await
            .expect("join")
            .expect("run");
        registrar.abort();
        result
    }

    /// Runs `ecs-versions`.
    pub async fn versions(
        &self,
        endpoint: &str,
        operation: &str,
        inputs: &[(&str, &str)],
    ) -> ActionResult {
        let mut run = ActionRun::new(VERSIONS)
            .expect("runner")
            .envs(Emulator::aws_env(endpoint))
            .input("operation", operation)
            .input("deployment-name", &self.name)
            .input("cluster", &self.cluster)
            .input("listener-arn", &self.listener)
            .input("lease-wait-seconds", "0");
        for (name, value) in inputs {
            run = run.input(name, value);
        }
        tokio::task::spawn_blocking(move || run.run())
            .await
            .expect("join")
            .expect("run")
    }

    /// The `routing` output: (request, lands on).
    pub fn routes(&self, result: &ActionResult) -> Vec<(String, String)> {
        result
            .output_as_json("routing")
            .as_array()
            .expect("routing")
            .iter()
            .map(|r| {
                (
                    r["request"].as_str().unwrap_or_default().to_owned(),
                    r["lands-on"].as_str().unwrap_or_default().to_owned(),
                )
            })
            .collect()
    }

    pub async fn ssm_state(&self, id: &str) -> Option<String> {
        aws_sdk_ssm::Client::new(&self.config)
            .get_parameter()
            .name(names::state_parameter(&self.name, id))
            .send()
            .await
            .ok()
            .and_then(|p| p.parameter().and_then(|p| p.value()).map(str::to_owned))
    }

    pub async fn lease(&self) -> Option<String> {
        aws_sdk_ssm::Client::new(&self.config)
            .get_parameter()
            .name(names::lease_parameter(&self.name))
            .send()
            .await
            .ok()
            .and_then(|p| p.parameter().and_then(|p| p.value()).map(str::to_owned))
    }

    /// Puts a lease held by someone else.
    pub async fn hold_lease(&self, holder: &str, seconds: i64) {
        let expires = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0)
            + seconds;
        aws_sdk_ssm::Client::new(&self.config)
            .put_parameter()
            .name(names::lease_parameter(&self.name))
            .value(serde_json::json!({"holder": holder, "expires": expires}).to_string())
            .r#type(aws_sdk_ssm::types::ParameterType::String)
            .send()
            .await
            .expect("lease");
    }

    pub async fn release_lease(&self) {
        aws_sdk_ssm::Client::new(&self.config)
            .delete_parameter()
            .name(names::lease_parameter(&self.name))
            .send()
            .await
            .expect("release");
    }

    async fn describe(&self, service: &str) -> Option<aws_sdk_ecs::types::Service> {
        aws_sdk_ecs::Client::new(&self.config)
            .describe_services()
            .cluster(&self.cluster)
            .services(service)
            .include(aws_sdk_ecs::types::ServiceField::Tags)
            .send()
            .await
            .expect("describe")
            .services()
            .first()
            .cloned()
    }

    pub async fn service_status(&self, id: &str) -> Option<String> {
        self.describe(&names::service_name(&self.name, id))
            .await
            .and_then(|s| s.status().map(str::to_owned))
    }

    pub async fn service_tag(&self, id: &str, key: &str) -> Option<String> {
        let service = self.describe(&names::service_name(&self.name, id)).await?;
        service
            .tags()
            .iter()
            .find(|t| t.key() == Some(key))
            .and_then(|t| t.value().map(str::to_owned))
    }

    /// The app container's environment of version `id`'s task definition.
    pub async fn container_environment(&self, id: &str) -> Vec<(String, String)> {
        let service = self
            .describe(&names::service_name(&self.name, id))
            .await
            .expect("service");
        let answer = aws_sdk_ecs::Client::new(&self.config)
            .describe_task_definition()
            .task_definition(service.task_definition().unwrap_or_default())
            .send()
            .await
            .expect("task definition");
        answer
            .task_definition()
            .map(|td| td.container_definitions()[0].environment().to_vec())
            .unwrap_or_default()
            .iter()
            .map(|kv| {
                (
                    kv.name().unwrap_or_default().to_owned(),
                    kv.value().unwrap_or_default().to_owned(),
                )
            })
            .collect()
    }

    /// A service named like version `id` but without the managed-by tag.
    pub async fn look_alike_service(&self, id: &str) {
        let ecs = aws_sdk_ecs::Client::new(&self.config);
        let arn = render_taskdef::ecs::register(
            &ecs,
            &serde_json::json!({"family": unique_name("lookalike"), "containerDefinitions": [{"name": "x", "image": "x", "memory": 64}]}),
        )
        .await
        .expect("register");
        ecs.create_service()
            .cluster(&self.cluster)
            .service_name(names::service_name(&self.name, id))
            .task_definition(arn)
            .desired_count(1)
            .send()
            .await
            .expect("look-alike");
        aws_sdk_ssm::Client::new(&self.config)
            .put_parameter()
            .name(names::state_parameter(&self.name, id))
            .value("draining")
            .r#type(aws_sdk_ssm::types::ParameterType::String)
            .send()
            .await
            .expect("state");
    }

    pub async fn look_alike_status(&self, id: &str) -> Option<String> {
        self.service_status(id).await
    }

    /// Starts a task in version `id`'s service group, as ECS would for the service
    /// (simulated); returns its id.
    pub async fn run_service_task(&self, id: &str) -> String {
        test_harness::alb_fixtures::run_service_task(
            &self.config,
            &self.cluster,
            &names::service_name(&self.name, id),
            &self.subnet,
        )
        .await
        .expect("run task")
    }

    /// Puts a `ShutdownReady` datapoint for a task, as the app's EMF line would.
    pub async fn put_shutdown_ready(&self, id: &str, task: &str, value: f64) {
        test_harness::alb_fixtures::put_shutdown_ready(&self.config, &self.name, id, task, value)
            .await
            .expect("metric");
    }

    pub async fn target_group(&self, id: &str) -> Option<String> {
        elb::Client::new(&self.config)
            .describe_target_groups()
            .names(names::target_group_name(&self.name, id))
            .send()
            .await
            .ok()
            .and_then(|a| {
                a.target_groups()
                    .first()
                    .and_then(|t| t.target_group_arn())
                    .map(str::to_owned)
            })
    }

    /// Asserts that the default action and every rule forward (by weight) only to target
    /// groups that an ACTIVE service of the cluster is attached to.
    pub async fn assert_routes_only_to_services(&self, when: &str) {
        let elb = elb::Client::new(&self.config);
        let ecs = aws_sdk_ecs::Client::new(&self.config);
        let arns = ecs
            .list_services()
            .cluster(&self.cluster)
            .max_results(100)
            .send()
            .await
            .expect("list")
            .service_arns()
            .to_vec();
        let mut served = std::collections::BTreeSet::new();
        for batch in arns.chunks(10) {
            let answer = ecs
                .describe_services()
                .cluster(&self.cluster)
                .set_services(Some(batch.to_vec()))
                .send()
                .await
                .expect("describe");
            for service in answer
                .services()
                .iter()
                .filter(|s| s.status() == Some("ACTIVE"))
            {
                served.extend(
                    service
                        .load_balancers()
                        .iter()
                        .filter_map(|lb| lb.target_group_arn().map(str::to_owned)),
                );
            }
        }
        let rules = elb
            .describe_rules()
            .listener_arn(&self.listener)
            .send()
            .await
            .expect("rules");
        for rule in rules.rules() {
            for action in rule.actions() {
                let targets = action
                    .forward_config()
                    .map(|f| {
                        f.target_groups()
                            .iter()
                            .filter(|t| t.weight().unwrap_or(1) > 0)
                            .filter_map(|t| t.target_group_arn().map(str::to_owned))
                            .collect::<Vec<_>>()
                    })
                    .unwrap_or_default()
                    .into_iter()
                    .chain(action.target_group_arn().map(str::to_owned));
                for target in targets {
                    assert!(
                        served.contains(&target),
                        "after {when}: rule {:?} forwards to {target}, which no service serves",
                        rule.priority()
                    );
                }
            }
        }
    }

    /// An alarm in `state`; returns its name.
    pub async fn alarm(&self, state: &str) -> String {
        let name = unique_name("alarm");
        let cloudwatch = aws_sdk_cloudwatch::Client::new(&self.config);
        cloudwatch
            .put_metric_alarm()
            .alarm_name(&name)
            .metric_name("5xx")
            .namespace("App")
            .statistic(aws_sdk_cloudwatch::types::Statistic::Sum)
            .period(60)
            .evaluation_periods(1)
            .threshold(1.0)
            .comparison_operator(
                aws_sdk_cloudwatch::types::ComparisonOperator::GreaterThanThreshold,
            )
            .send()
            .await
            .expect("alarm");
        self.set_alarm(&name, state).await;
        name
    }

    pub async fn set_alarm(&self, name: &str, state: &str) {
        aws_sdk_cloudwatch::Client::new(&self.config)
            .set_alarm_state()
            .alarm_name(name)
            .state_value(aws_sdk_cloudwatch::types::StateValue::from(state))
            .state_reason("set by the test")
            .send()
            .await
            .expect("alarm state");
    }

    /// A TCP listener of a network load balancer.
    pub async fn network_listener(&self) -> String {
        let elb = elb::Client::new(&self.config);
        let lb = elb
            .create_load_balancer()
            .name(unique_name("nlb"))
            .subnets(&self.subnet)
            .r#type(elb::types::LoadBalancerTypeEnum::Network)
            .send()
            .await
            .expect("nlb");
        let lb = lb.load_balancers()[0]
            .load_balancer_arn()
            .unwrap_or_default()
            .to_owned();
        let tg = elb
            .create_target_group()
            .name(unique_name("tcp"))
            .protocol(elb::types::ProtocolEnum::Tcp)
            .port(80)
            .vpc_id(&self.vpc)
            .send()
            .await
            .expect("tg");
        let tg = tg.target_groups()[0]
            .target_group_arn()
            .unwrap_or_default()
            .to_owned();
        let listener = elb
            .create_listener()
            .load_balancer_arn(lb)
            .protocol(elb::types::ProtocolEnum::Tcp)
            .port(80)
            .default_actions(
                elb::types::Action::builder()
                    .r#type(elb::types::ActionTypeEnum::Forward)
                    .target_group_arn(tg)
                    .build(),
            )
            .send()
            .await
            .expect("listener");
        listener.listeners()[0]
            .listener_arn()
            .unwrap_or_default()
            .to_owned()
    }

    /// A listener ARN of the right shape that does not exist.
    pub fn missing_listener(&self) -> String {
        let (head, _) = self
            .listener
            .rsplit_once('/')
            .unwrap_or((&self.listener, ""));
        format!("{head}/0123456789abcdef")
    }
}

/// Every call made through `proxy` is allowed by `actions/<action>/iam-policy.json`.
pub fn assert_calls_allowed(proxy: &FaultProxy, action: &str) {
    let allowed = match action {
        "ecs-deploy-version" => ecs_deploy::versions::DEPLOY_IAM_ACTIONS,
        _ => ecs_deploy::versions::VERSIONS_IAM_ACTIONS,
    };
    test_harness::iam::assert_calls_within(proxy, allowed);
}
