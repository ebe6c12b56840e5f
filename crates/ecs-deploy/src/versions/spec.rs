//! The inputs and outputs of `ecs-deploy-version` and `ecs-versions`, as their `action.yml`
//! files declare them.

use action_kit::{ActionSpec, InputSpec, OutputSpec};

/// Inputs both actions share: where the versions of a name live.
const WHERE: &[InputSpec] = &[
    InputSpec::required(
        "deployment-name",
        "Stable name of the environment, e.g. `prod`: letters, digits and hyphens, at most 32.",
    ),
    InputSpec::with_default(
        "cluster",
        "ECS cluster of the versions' services.",
        "default",
    ),
    InputSpec::required(
        "listener-arn",
        "ARN of the Application Load Balancer listener (usually HTTPS) whose rules and default action route to the versions.",
    ),
];

/// The reaper's inputs, shared.
const REAP: &[InputSpec] = &[
    InputSpec::with_default(
        "min-drain-age-seconds",
        "A draining version is never reaped before it has drained this long.",
        "60",
    ),
    InputSpec::with_default(
        "max-drain-age-seconds",
        "After draining this long a version is reaped even when its tasks never published ShutdownReady 1.",
        "3600",
    ),
    InputSpec::with_default(
        "drain-metric-namespace",
        "CloudWatch namespace of the tasks' ShutdownReady metric (dimensions deployment_name, deployment_id, task_id).",
        "App/Drain",
    ),
];

/// The lease's inputs, shared.
const LEASE: &[InputSpec] = &[
    InputSpec::with_default(
        "lease-ttl-seconds",
        "The lease on the name (SSM `/apps/<name>/lock`) expires after this long, so a crashed run does not block the next one for ever.",
        "3600",
    ),
    InputSpec::with_default(
        "lease-wait-seconds",
        "How long to wait for another run of the same name to release the lease before failing.",
        "300",
    ),
];

const DEPLOY: &[InputSpec] = &[
    InputSpec::optional(
        "deployment-id",
        "The version's id (letters, digits, hyphens, underscores), e.g. the short commit SHA; default: the UTC time, `20251027-183000Z`. Re-running with the same id and task definition resumes an interrupted deploy.",
    ),
    InputSpec::required(
        "task-definition",
        "Task definition file in the workspace (e.g. render-taskdef's output) or the ARN of a registered revision; the app container gets DEPLOYMENT_NAME and DEPLOYMENT_ID.",
    ),
    InputSpec::optional(
        "container-name",
        "The container that receives traffic; default: the first.",
    ),
    InputSpec::optional(
        "container-port",
        "Its port; default: its first port mapping.",
    ),
    InputSpec::required(
        "subnets",
        "Subnets of the tasks (awsvpc), comma-separated or one a line.",
    ),
    InputSpec::optional(
        "security-groups",
        "Security groups of the tasks, comma-separated or one a line.",
    ),
    InputSpec::with_default("assign-public-ip", "Give each task a public IP.", "false"),
    InputSpec::with_default("launch-type", "FARGATE, EC2 or EXTERNAL.", "FARGATE"),
    InputSpec::with_default("desired-count", "Tasks of the version's service.", "1"),
    InputSpec::with_default(
        "health-check-path",
        "Health check path of the version's target group.",
        "/",
    ),
    InputSpec::with_default(
        "health-check-matcher",
        "HTTP codes a healthy target answers, e.g. `200` or `200-399`.",
        "200-399",
    ),
    InputSpec::optional(
        "health-check-grace-period-seconds",
        "Grace period of the service's load balancer health checks.",
    ),
    InputSpec::optional(
        "deregistration-delay-seconds",
        "Deregistration delay of the version's target group (0 to 3600).",
    ),
    InputSpec::with_default(
        "affinity-header",
        "Header whose value (the deployment id) pins a browser tab to its version.",
        "X-Pulse-Render-Affinity",
    ),
    InputSpec::optional(
        "affinity-query-param",
        "Query parameter that pins a request too (browsers cannot set headers on WebSockets); a second rule per version.",
    ),
    InputSpec::with_default(
        "rule-quota",
        "Rules the load balancer may hold (AWS's default quota is 100, default rules excluded); a version that would not fit is refused before anything is created.",
        "100",
    ),
    InputSpec::optional(
        "max-live-versions",
        "Refuse a new version when this many are live already.",
    ),
    InputSpec::with_default(
        "traffic-steps",
        "Percentages of new sessions sent to the new version, step by step, ending at 100, e.g. `10,50,100`.",
        "100",
    ),
    InputSpec::with_default(
        "traffic-step-bake-seconds",
        "Time at each traffic step before the alarms are checked and the next step taken.",
        "300",
    ),
    InputSpec::optional(
        "alarm-names",
        "CloudWatch alarms checked at each traffic step; one in ALARM puts the default action back and fails. Comma-separated or one a line.",
    ),
    InputSpec::with_default(
        "min-healthy-targets",
        "Healthy targets the version's target group must report before it gets traffic.",
        "1",
    ),
    InputSpec::with_default(
        "wait-for-minutes",
        "How long to wait for the service to become stable and its targets healthy (at most 360).",
        "15",
    ),
    InputSpec::with_default(
        "poll-seconds",
        "First delay between polls while waiting (doubling up to 30 s).",
        "5",
    ),
    InputSpec::with_default(
        "reap",
        "After the deploy, reap the finished draining versions of the name.",
        "true",
    ),
];

/// The IAM actions `ecs-deploy-version` calls, as its `iam-policy.json` grants them
/// (`iam:PassRole` lets ECS use the task definition's roles).
pub const DEPLOY_IAM_ACTIONS: &[&str] = &[
    "ec2:DescribeSecurityGroups",
    "ec2:DescribeSubnets",
    "cloudwatch:DescribeAlarms",
    "cloudwatch:GetMetricData",
    "ecs:CreateService",
    "ecs:DeleteService",
    "ecs:DescribeClusters",
    "ecs:DescribeServices",
    "ecs:DescribeTaskDefinition",
    "ecs:DescribeTasks",
    "ecs:ListServices",
    "ecs:ListTasks",
    "ecs:RegisterTaskDefinition",
    "ecs:TagResource",
    "ecs:UpdateService",
    "elasticloadbalancing:AddTags",
    "elasticloadbalancing:CreateRule",
    "elasticloadbalancing:CreateTargetGroup",
    "elasticloadbalancing:DeleteRule",
    "elasticloadbalancing:DeleteTargetGroup",
    "elasticloadbalancing:DescribeListeners",
    "elasticloadbalancing:DescribeLoadBalancers",
    "elasticloadbalancing:DescribeRules",
    "elasticloadbalancing:DescribeTags",
    "elasticloadbalancing:DescribeTargetGroupAttributes",
    "elasticloadbalancing:DescribeTargetGroups",
    "elasticloadbalancing:DescribeTargetHealth",
    "elasticloadbalancing:ModifyListener",
    "elasticloadbalancing:ModifyTargetGroupAttributes",
    "iam:PassRole",
    "ssm:DeleteParameter",
    "ssm:GetParameter",
    "ssm:GetParametersByPath",
    "ssm:PutParameter",
];

/// Inputs and outputs of `ecs-deploy-version`.
pub static DEPLOY_SPEC: ActionSpec = ActionSpec {
    name: "ecs-deploy-version",
    description: "Deploy one version of an app as its own ECS service and target group behind a shared ALB listener, with header affinity, a weighted default, drain states and a reaper.",
    input_groups: &[WHERE, DEPLOY, REAP, LEASE, action_aws::INPUTS],
    outputs: &[
        OutputSpec {
            name: "deployment-id",
            description: "The version's id.",
        },
        OutputSpec {
            name: "service",
            description: "The version's ECS service, `svc-<name>-<id>`.",
        },
        OutputSpec {
            name: "target-group-arn",
            description: "The version's target group.",
        },
        OutputSpec {
            name: "rule-arns",
            description: "The version's affinity rules, a JSON array.",
        },
        OutputSpec {
            name: "resumed",
            description: "true when an interrupted deploy of the same version was resumed.",
        },
        OutputSpec {
            name: "versions",
            description: "Every version of the name, newest first, as JSON: id, state, service, target-group, rule-priorities, default-weight, running, desired, age-seconds.",
        },
        OutputSpec {
            name: "reaped",
            description: "Ids of the versions reaped after the deploy, a JSON array.",
        },
    ],
    dynamic_outputs: false,
};

const OPERATION: &[InputSpec] = &[
    InputSpec::required("operation", "status, reap, promote or teardown."),
    InputSpec::optional(
        "deployment-id",
        "promote: the live version to make the default again (instant rollback).",
    ),
    InputSpec::optional(
        "confirm",
        "teardown: must repeat the deployment name, as a guard.",
    ),
];

/// The IAM actions `ecs-versions` calls, as its `iam-policy.json` grants them.
pub const VERSIONS_IAM_ACTIONS: &[&str] = &[
    "cloudwatch:DescribeAlarms",
    "cloudwatch:GetMetricData",
    "ecs:DeleteService",
    "ecs:DescribeClusters",
    "ecs:DescribeServices",
    "ecs:DescribeTasks",
    "ecs:ListServices",
    "ecs:ListTasks",
    "ecs:TagResource",
    "ecs:UpdateService",
    "elasticloadbalancing:DeleteRule",
    "elasticloadbalancing:DeleteTargetGroup",
    "elasticloadbalancing:DescribeListeners",
    "elasticloadbalancing:DescribeLoadBalancers",
    "elasticloadbalancing:DescribeRules",
    "elasticloadbalancing:DescribeTags",
    "elasticloadbalancing:DescribeTargetGroupAttributes",
    "elasticloadbalancing:DescribeTargetGroups",
    "elasticloadbalancing:DescribeTargetHealth",
    "elasticloadbalancing:ModifyListener",
    "elasticloadbalancing:ModifyTargetGroupAttributes",
    "ssm:DeleteParameter",
    "ssm:GetParameter",
    "ssm:GetParametersByPath",
    "ssm:PutParameter",
];

/// Inputs and outputs of `ecs-versions`.
pub static VERSIONS_SPEC: ActionSpec = ActionSpec {
    name: "ecs-versions",
    description: "Status, reap, promote (instant rollback) or teardown of the versions that ecs-deploy-version deployed behind one ALB listener.",
    input_groups: &[OPERATION, WHERE, REAP, LEASE, action_aws::INPUTS],
    outputs: &[
        OutputSpec {
            name: "versions",
            description: "Every version of the name afterwards, newest first, as JSON (as ecs-deploy-version's).",
        },
        OutputSpec {
            name: "routing",
            description: "The routing table as JSON: request, rule, lands-on.",
        },
        OutputSpec {
            name: "reaped",
            description: "reap and teardown: ids of the versions removed, a JSON array.",
        },
        OutputSpec {
            name: "kept",
            description: "reap: the versions left and why, a JSON object id → reason.",
        },
    ],
    dynamic_outputs: false,
};
