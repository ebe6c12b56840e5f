//! The action's inputs and outputs, as `action.yml` declares them.

use action_kit::{ActionSpec, InputSpec, OutputSpec};

const INPUTS: &[InputSpec] = &[
    InputSpec::optional(
        "task-definition",
        "Task definition file (JSON or YAML) in the workspace, e.g. render-taskdef's output, or the ARN of a registered revision to deploy as it is. Required unless `services` is given.",
    ),
    InputSpec::optional(
        "service",
        "ECS service to update; without it the task definition is only registered.",
    ),
    InputSpec::with_default("cluster", "ECS cluster of the service.", "default"),
    InputSpec::optional(
        "services",
        "Several services in one step, deployed concurrently, one `[cluster/]service=task-definition` a line (a file in the workspace or an ARN); each rolls back on its own.",
    ),
    InputSpec::with_default(
        "all-or-nothing",
        "With `services`: when one service fails, roll back the others too.",
        "false",
    ),
    InputSpec::with_default(
        "wait-for-service-stability",
        "Wait until the rollout completes (following the deployment's rolloutState), smoke-check, and roll back on failure.",
        "false",
    ),
    InputSpec::with_default(
        "wait-for-minutes",
        "How long to wait for the rollout (at most 360).",
        "30",
    ),
    InputSpec::with_default(
        "force-new-deployment",
        "Start new tasks even when the task definition did not change.",
        "false",
    ),
    InputSpec::optional("desired-count", "New desired task count of the service."),
    InputSpec::optional(
        "enable-ecs-managed-tags",
        "Turn ECS managed tags on or off for the service's tasks.",
    ),
    InputSpec::optional(
        "propagate-tags",
        "Propagate tags to tasks from SERVICE, TASK_DEFINITION, or NONE.",
    ),
    InputSpec::optional(
        "deployment-strategy",
        "Switch the service to ECS's own deployment strategy: ROLLING, BLUE_GREEN, LINEAR or CANARY (the rest of its deployment configuration is kept).",
    ),
    InputSpec::optional(
        "bake-time-minutes",
        "Bake time of a BLUE_GREEN, LINEAR or CANARY deployment (0 to 1440 minutes).",
    ),
    InputSpec::with_default(
        "codedeploy-appspec",
        "For a service deployed by CodeDeploy (deployment controller CODE_DEPLOY): the AppSpec file (YAML or JSON) in the workspace; every resource's TaskDefinition is set to the new revision.",
        "appspec.yaml",
    ),
    InputSpec::optional(
        "codedeploy-application",
        "CodeDeploy application; default `AppECS-<cluster>-<service>`.",
    ),
    InputSpec::optional(
        "codedeploy-deployment-group",
        "CodeDeploy deployment group; default `DgpECS-<cluster>-<service>`.",
    ),
    InputSpec::optional(
        "codedeploy-deployment-description",
        "Description of the CodeDeploy deployment (cut at 512 characters).",
    ),
    InputSpec::optional(
        "codedeploy-deployment-config",
        "CodeDeploy deployment configuration, e.g. `CodeDeployDefault.ECSCanary10Percent5Minutes`; default: the group's.",
    ),
    InputSpec::optional(
        "smoke-checks",
        "Checks after the rollout, one `METHOD URL STATUS [text]` a line, e.g. `GET https://api.example.com/healthz 200`.",
    ),
    InputSpec::with_default(
        "smoke-timeout-seconds",
        "How long the smoke checks may take, retries included.",
        "300",
    ),
    InputSpec::optional(
        "deregistration-delay-seconds",
        "Graceful drain: make every target group of the service deregister targets after this many seconds (0 to 3600) before the update.",
    ),
    InputSpec::optional(
        "keep-revisions",
        "After a good deploy, deregister all but this many newest revisions of the family; a revision any service of the cluster still uses is never deregistered.",
    ),
    InputSpec::with_default(
        "rollback",
        "Roll back to the previous task definition when the rollout or a smoke check fails.",
        "true",
    ),
    InputSpec::with_default(
        "run-task",
        "Run the new revision as a one-off task before the service update.",
        "false",
    ),
    InputSpec::with_default(
        "wait-for-task-stopped",
        "Wait for the one-off task to stop; unless every container (or pre-deploy-container) exits with 0, stop without touching the service.",
        "false",
    ),
    InputSpec::optional(
        "pre-deploy-command",
        "A migration: runs a one-off task from the new revision with this command (e.g. `alembic upgrade head`) and waits for it; a non-zero exit stops the deploy without touching the service. Implies run-task and wait-for-task-stopped.",
    ),
    InputSpec::optional(
        "pre-deploy-container",
        "Container that runs pre-deploy-command, and whose exit code decides; defaults to the task definition's first container.",
    ),
    InputSpec::optional(
        "run-task-container-overrides",
        "Container overrides of the one-off task, a JSON array as RunTask takes it: `[{\"name\": \"app\", \"command\": [...], \"environment\": [...]}]`.",
    ),
    InputSpec::with_default(
        "run-task-launch-type",
        "Launch type of the one-off task: FARGATE, EC2 or EXTERNAL (not sent with a capacity provider strategy).",
        "FARGATE",
    ),
    InputSpec::optional(
        "run-task-capacity-provider-strategy",
        "Capacity provider strategy of the one-off task, a JSON array: `[{\"capacityProvider\": \"FARGATE_SPOT\", \"weight\": 1}]`.",
    ),
    InputSpec::optional(
        "run-task-subnets",
        "Subnets of the one-off task (awsvpc), comma-separated.",
    ),
    InputSpec::optional(
        "run-task-security-groups",
        "Security groups of the one-off task (awsvpc), comma-separated.",
    ),
    InputSpec::with_default(
        "run-task-assign-public-IP",
        "ENABLED or DISABLED: a public IP for the one-off task.",
        "DISABLED",
    ),
    InputSpec::with_default(
        "run-task-started-by",
        "The one-off task's startedBy.",
        "GitHub-Actions",
    ),
    InputSpec::optional(
        "run-task-tags",
        "Tags of the one-off task, a JSON array: `[{\"key\": \"purpose\", \"value\": \"migration\"}]`.",
    ),
];

/// The IAM actions the action calls (each only when an input asks for it), as
/// `actions/ecs-deploy/iam-policy.json` grants them; `iam:PassRole` lets ECS use the task
/// definition's roles.
pub const IAM_ACTIONS: &[&str] = &[
    "codedeploy:CreateDeployment",
    "codedeploy:GetDeployment",
    "ecs:DeregisterTaskDefinition",
    "ecs:DescribeServices",
    "ecs:DescribeTasks",
    "ecs:ListServices",
    "ecs:ListTaskDefinitions",
    "ecs:RegisterTaskDefinition",
    "ecs:RunTask",
    "ecs:UpdateService",
    "elasticloadbalancing:DescribeTargetGroupAttributes",
    "elasticloadbalancing:ModifyTargetGroupAttributes",
    "iam:PassRole",
];

/// Inputs and outputs of `ecs-deploy`.
pub static SPEC: ActionSpec = ActionSpec {
    name: "ecs-deploy",
    description: "Register a task definition, roll it out to an ECS service, wait, smoke-check, and roll back on failure.",
    input_groups: &[INPUTS, action_aws::INPUTS],
    outputs: &[
        OutputSpec {
            name: "task-definition-arn",
            description: "ARN of the task definition deployed.",
        },
        OutputSpec {
            name: "previous-task-definition-arn",
            description: "ARN of the task definition the service ran before.",
        },
        OutputSpec {
            name: "codedeploy-deployment-id",
            description: "The CodeDeploy deployment, for a CODE_DEPLOY service.",
        },
        OutputSpec {
            name: "results",
            description: "Every service's result as a JSON array: cluster, service, task-definition-arn, previous-task-definition-arn, succeeded, error.",
        },
        OutputSpec {
            name: "rolled-back",
            description: "true when the service was rolled back to the previous task definition.",
        },
        OutputSpec {
            name: "run-task-arn",
            description: "ARNs of the one-off task as a JSON array (as the anchor action writes it), when one ran.",
        },
        OutputSpec {
            name: "run-task-exit-code",
            description: "Exit code of the one-off task's deciding container, when it was waited for and exited.",
        },
    ],
    dynamic_outputs: false,
};
