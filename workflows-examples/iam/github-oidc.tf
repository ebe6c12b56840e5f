# Keyless deploys from GitHub Actions to AWS: GitHub's OIDC identity provider, one deploy role per
# environment, and the two Terraform roles that terraform.yml uses.
#
# A workflow job asks GitHub for an OIDC token (`permissions: id-token: write`) and exchanges it
# for the role's temporary credentials (aws-actions/configure-aws-credentials, or an action's own
# `role-to-assume`). No access key is stored anywhere. Each role trusts one thing only, the token's
# `sub` claim:
#   deploy-<env>            repo:<owner>/<repo>:environment:<env>   jobs with `environment: <env>`
#   terraform-plan          repo:<owner>/<repo>:pull_request and the default branch
#   terraform-apply-<env>   repo:<owner>/<repo>:environment:infra-<env>
# A job that names a GitHub environment gets the environment in `sub`, not its branch, so WHICH
# branches may deploy is the environment's "deployment branches" rule (and who approves, its
# "required reviewers"); set them in Settings → Environments. Jobs without an environment can be
# allowed by branch with `branches` below.
#
# The deploy permissions are those of each action's `actions/<name>/iam-policy.json` (ecr-tag,
# render-taskdef, ecs-deploy, s3-publish), inlined below statement by statement with the same
# `Sid`s and their placeholders filled in (inlined rather than read with file(), so this file can
# be copied out of this repository alone; compare the Sids when an action's policy changes). Left
# out: ecs-deploy's CodeDeploy statement (the services here use ECS's own rolling deployments).
# Added: what docker/build-push-action needs to push an image (PushImages, LogInToEcr).
#
# Example terraform.tfvars:
#   github_repository = "octo-org/app"
#   ecr_repositories  = ["backend", "mcp"]
#   environments = {
#     staging = {
#       ecs_cluster                = "app-staging"
#       task_role_names            = ["app-staging-task", "app-staging-execution"]
#       frontend_bucket            = "fe-app-staging"
#       cloudfront_distribution_id = "E2P1VZI2R1DYQF"
#     }
#     production = {
#       ecs_cluster                = "app-production"
#       task_role_names            = ["app-production-task", "app-production-execution"]
#       frontend_bucket            = "fe-app-production"
#       cloudfront_distribution_id = "E1A2B3C4D5E6F7"
#     }
#   }
#   terraform_state_bucket      = "app-terraform-state"
#   terraform_apply_policy_arns = ["arn:aws:iam::aws:policy/AdministratorAccess"]
# Then put the `deploy_role_arns` output in each GitHub environment's AWS_DEPLOY_ROLE_ARN
# variable, and the Terraform roles' outputs where terraform.yml says.

terraform {
  required_version = ">= 1.5.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.0"
    }
  }
}

variable "github_repository" {
  description = "The repository whose workflows may assume the roles: owner/name, as GitHub spells it."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$", var.github_repository))
    error_message = "The github_repository value must be owner/name, e.g. octo-org/app."
  }
}

variable "default_branch" {
  description = "The default branch: manual Terraform plans run from it."
  type        = string
  default     = "main"
}

variable "create_oidc_provider" {
  description = "Create GitHub's OIDC provider; false when the account already has it (at most one per URL and account)."
  type        = bool
  default     = true
}

variable "ecr_repositories" {
  description = "ECR repositories the pipelines push to, tag and deploy from; every environment uses the same images."
  type        = list(string)
  default     = ["backend", "mcp"]
}

variable "environments" {
  description = "Per environment (the GitHub environment's name): what its deploy role may touch."
  type = map(object({
    # The ECS cluster of its services.
    ecs_cluster = string
    # Names of the task and execution roles its task definitions use (ecs-deploy passes them).
    task_role_names = list(string)
    # The S3 bucket and key prefix ("" for the bucket's root) of its frontend.
    frontend_bucket = string
    frontend_prefix = optional(string, "")
    # Its CloudFront distribution.
    cloudfront_distribution_id = string
    # Whether its jobs build and push images (false for a production that only deploys images
    # staging built, as staging-production.yml does).
    push_images = optional(bool, true)
    # Branches whose jobs may assume the role WITHOUT naming the environment (usually none).
    branches = optional(list(string), [])
  }))

  validation {
    condition     = length(var.environments) > 0
    error_message = "Declare at least one environment."
  }
}

variable "terraform_state_bucket" {
  description = "S3 bucket of the Terraform state that terraform.yml plans and applies."
  type        = string
}

variable "terraform_lock_table" {
  description = "DynamoDB table of the state locks; empty when the S3 backend locks with use_lockfile."
  type        = string
  default     = ""
}

variable "terraform_apply_policy_arns" {
  description = "Managed policies of the apply roles: what your Terraform code manages (narrow AdministratorAccess if you can)."
  type        = list(string)
}

data "aws_caller_identity" "current" {}

data "aws_region" "current" {}

data "aws_iam_openid_connect_provider" "github" {
  count = var.create_oidc_provider ? 0 : 1
  url   = "https://token.actions.githubusercontent.com"
}

resource "aws_iam_openid_connect_provider" "github" {
  count          = var.create_oidc_provider ? 1 : 0
  url            = "https://token.actions.githubusercontent.com"
  client_id_list = ["sts.amazonaws.com"]
  # AWS checks GitHub's certificate against its own trusted CAs and ignores these; older versions
  # of the AWS provider require the argument, so GitHub's published thumbprints are given.
  thumbprint_list = [
    "6938fd4d98bab03faadb97b34396831e3780aea1",
    "1c58a3a8518e8759bf075b76b750d4f2df264fcd",
  ]
}

locals {
  account  = data.aws_caller_identity.current.account_id
  region   = data.aws_region.current.name
  provider = var.create_oidc_provider ? aws_iam_openid_connect_provider.github[0].arn : data.aws_iam_openid_connect_provider.github[0].arn
  subject  = "repo:${var.github_repository}"

  ecr_repository_arns = [
    for name in var.ecr_repositories : "arn:aws:ecr:${local.region}:${local.account}:repository/${name}"
  ]
  state_bucket_arn = "arn:aws:s3:::${var.terraform_state_bucket}"
}

# ----------------------------------------------------------------------------------------------
# Deploy roles: one per environment.

data "aws_iam_policy_document" "deploy_trust" {
  for_each = var.environments

  statement {
    sid     = "GitHubActionsOfThisRepositoryAndEnvironment"
    effect  = "Allow"
    actions = ["sts:AssumeRoleWithWebIdentity"]

    principals {
      type        = "Federated"
      identifiers = [local.provider]
    }

    condition {
      test     = "StringEquals"
      variable = "token.actions.githubusercontent.com:aud"
      values   = ["sts.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "token.actions.githubusercontent.com:sub"
      values = concat(
        ["${local.subject}:environment:${each.key}"],
        [for branch in each.value.branches : "${local.subject}:ref:refs/heads/${branch}"],
      )
    }
  }
}

data "aws_iam_policy_document" "deploy" {
  for_each = var.environments

  # --- ecr-tag (actions/ecr-tag/iam-policy.json): check a tag, read its manifest, add tags.
  statement {
    sid       = "ReadAndTagImages"
    effect    = "Allow"
    actions   = ["ecr:BatchGetImage", "ecr:DescribeImages", "ecr:PutImage"]
    resources = local.ecr_repository_arns
  }

  # --- render-taskdef (actions/render-taskdef/iam-policy.json): the live task definition, and
  # image digests with pin-image-digest.
  statement {
    sid       = "ReadLiveTaskDefinitions"
    effect    = "Allow"
    actions   = ["ecs:DescribeTaskDefinition"]
    resources = ["*"]
  }

  statement {
    sid       = "ResolveImageDigests"
    effect    = "Allow"
    actions   = ["ecr:DescribeImages"]
    resources = local.ecr_repository_arns
  }

  # --- ecs-deploy (actions/ecs-deploy/iam-policy.json).
  statement {
    sid       = "RegisterTaskDefinitions"
    effect    = "Allow"
    actions   = ["ecs:RegisterTaskDefinition", "ecs:ListTaskDefinitions", "ecs:DeregisterTaskDefinition"]
    resources = ["*"]
  }

  statement {
    sid       = "DeployTheService"
    effect    = "Allow"
    actions   = ["ecs:DescribeServices", "ecs:UpdateService"]
    resources = ["arn:aws:ecs:${local.region}:${local.account}:service/${each.value.ecs_cluster}/*"]
  }

  statement {
    sid       = "FindRevisionsInUseForKeepRevisions"
    effect    = "Allow"
    actions   = ["ecs:ListServices"]
    resources = ["*"]

    condition {
      test     = "ArnEquals"
      variable = "ecs:cluster"
      values   = ["arn:aws:ecs:${local.region}:${local.account}:cluster/${each.value.ecs_cluster}"]
    }
  }

  statement {
    sid       = "RunTheOneOffTask"
    effect    = "Allow"
    actions   = ["ecs:RunTask", "ecs:DescribeTasks"]
    resources = ["*"]

    condition {
      test     = "ArnEquals"
      variable = "ecs:cluster"
      values   = ["arn:aws:ecs:${local.region}:${local.account}:cluster/${each.value.ecs_cluster}"]
    }
  }

  statement {
    sid       = "DrainSettingsOfTheServicesTargetGroups"
    effect    = "Allow"
    actions   = ["elasticloadbalancing:DescribeTargetGroupAttributes", "elasticloadbalancing:ModifyTargetGroupAttributes"]
    resources = ["arn:aws:elasticloadbalancing:${local.region}:${local.account}:targetgroup/*"]
  }

  statement {
    sid       = "PassTheTaskRoles"
    effect    = "Allow"
    actions   = ["iam:PassRole"]
    resources = [for name in each.value.task_role_names : "arn:aws:iam::${local.account}:role/${name}"]

    condition {
      test     = "StringEquals"
      variable = "iam:PassedToService"
      values   = ["ecs-tasks.amazonaws.com"]
    }
  }

  # --- s3-publish (actions/s3-publish/iam-policy.json). At the bucket's root the listing is sent
  # without a prefix, so the policy's `s3:prefix` condition is only added for a prefix (an absent
  # key would never match it).
  statement {
    sid       = "ListThePrefix"
    effect    = "Allow"
    actions   = ["s3:ListBucket"]
    resources = ["arn:aws:s3:::${each.value.frontend_bucket}"]

    dynamic "condition" {
      for_each = each.value.frontend_prefix == "" ? [] : [each.value.frontend_prefix]
      content {
        test     = "StringLike"
        variable = "s3:prefix"
        values   = ["${condition.value}*"]
      }
    }
  }

  statement {
    sid       = "PublishUnderThePrefix"
    effect    = "Allow"
    actions   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"]
    resources = ["arn:aws:s3:::${each.value.frontend_bucket}/${each.value.frontend_prefix}*"]
  }

  statement {
    sid       = "InvalidateTheDistribution"
    effect    = "Allow"
    actions   = ["cloudfront:GetDistribution", "cloudfront:CreateInvalidation", "cloudfront:GetInvalidation"]
    resources = ["arn:aws:cloudfront::${local.account}:distribution/${each.value.cloudfront_distribution_id}"]
  }

  # --- Building: aws-actions/amazon-ecr-login and docker/build-push-action pushing the image.
  dynamic "statement" {
    for_each = each.value.push_images ? ["LogInToEcr"] : []
    content {
      sid       = statement.value
      effect    = "Allow"
      actions   = ["ecr:GetAuthorizationToken"]
      resources = ["*"]
    }
  }

  dynamic "statement" {
    for_each = each.value.push_images ? ["PushImages"] : []
    content {
      sid    = statement.value
      effect = "Allow"
      actions = [
        "ecr:BatchCheckLayerAvailability",
        "ecr:InitiateLayerUpload",
        "ecr:UploadLayerPart",
        "ecr:CompleteLayerUpload",
        "ecr:PutImage",
        # Pulling layers already in the repository (base images, cross-tag reuse).
        "ecr:BatchGetImage",
        "ecr:GetDownloadUrlForLayer",
      ]
      resources = local.ecr_repository_arns
    }
  }
}

resource "aws_iam_role" "deploy" {
  for_each = var.environments

  name                 = "github-deploy-${each.key}"
  description          = "GitHub Actions deploys of ${var.github_repository} to ${each.key} (environment ${each.key})"
  assume_role_policy   = data.aws_iam_policy_document.deploy_trust[each.key].json
  max_session_duration = 3600
}

resource "aws_iam_role_policy" "deploy" {
  for_each = var.environments

  name   = "deploy"
  role   = aws_iam_role.deploy[each.key].id
  policy = data.aws_iam_policy_document.deploy[each.key].json
}

# ----------------------------------------------------------------------------------------------
# Terraform roles (terraform.yml): plan reads everything and takes the state lock; apply, behind
# the approval of the GitHub environment infra-<env>, gets what your code manages.

data "aws_iam_policy_document" "terraform_plan_trust" {
  statement {
    sid     = "GitHubActionsPullRequestsAndDefaultBranch"
    effect  = "Allow"
    actions = ["sts:AssumeRoleWithWebIdentity"]

    principals {
      type        = "Federated"
      identifiers = [local.provider]
    }

    condition {
      test     = "StringEquals"
      variable = "token.actions.githubusercontent.com:aud"
      values   = ["sts.amazonaws.com"]
    }

    # Pull requests of branches of this repository (forks get no token), and manual plans from
    # the default branch. A pull request runs its own code with this role: it can only read.
    condition {
      test     = "StringEquals"
      variable = "token.actions.githubusercontent.com:sub"
      values   = ["${local.subject}:pull_request", "${local.subject}:ref:refs/heads/${var.default_branch}"]
    }
  }
}

data "aws_iam_policy_document" "terraform_apply_trust" {
  for_each = var.environments

  statement {
    sid     = "GitHubActionsOfTheApprovedInfraEnvironment"
    effect  = "Allow"
    actions = ["sts:AssumeRoleWithWebIdentity"]

    principals {
      type        = "Federated"
      identifiers = [local.provider]
    }

    condition {
      test     = "StringEquals"
      variable = "token.actions.githubusercontent.com:aud"
      values   = ["sts.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "token.actions.githubusercontent.com:sub"
      values   = ["${local.subject}:environment:infra-${each.key}"]
    }
  }
}

# The state: plan reads it and writes only the lock; apply writes it too.
data "aws_iam_policy_document" "terraform_state" {
  for_each = toset(["plan", "apply"])

  statement {
    sid       = "ListTheState"
    effect    = "Allow"
    actions   = ["s3:ListBucket"]
    resources = [local.state_bucket_arn]
  }

  statement {
    sid       = "ReadTheState"
    effect    = "Allow"
    actions   = ["s3:GetObject"]
    resources = ["${local.state_bucket_arn}/*"]
  }

  statement {
    sid       = each.key == "plan" ? "TakeTheLock" : "WriteTheStateAndTheLock"
    effect    = "Allow"
    actions   = ["s3:PutObject", "s3:DeleteObject"]
    resources = each.key == "plan" ? ["${local.state_bucket_arn}/*.tflock"] : ["${local.state_bucket_arn}/*"]
  }

  dynamic "statement" {
    for_each = var.terraform_lock_table == "" ? [] : [var.terraform_lock_table]
    content {
      sid       = "TakeTheDynamoDbLock"
      effect    = "Allow"
      actions   = ["dynamodb:DescribeTable", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:DeleteItem"]
      resources = ["arn:aws:dynamodb:${local.region}:${local.account}:table/${statement.value}"]
    }
  }
}

resource "aws_iam_role" "terraform_plan" {
  name                 = "github-terraform-plan"
  description          = "GitHub Actions Terraform plans of ${var.github_repository} (read-only)"
  assume_role_policy   = data.aws_iam_policy_document.terraform_plan_trust.json
  max_session_duration = 3600
}

resource "aws_iam_role_policy_attachment" "terraform_plan_read_only" {
  role       = aws_iam_role.terraform_plan.name
  policy_arn = "arn:aws:iam::aws:policy/ReadOnlyAccess"
}

resource "aws_iam_role_policy" "terraform_plan_state" {
  name   = "terraform-state"
  role   = aws_iam_role.terraform_plan.id
  policy = data.aws_iam_policy_document.terraform_state["plan"].json
}

resource "aws_iam_role" "terraform_apply" {
  for_each = var.environments

  name                 = "github-terraform-apply-${each.key}"
  description          = "GitHub Actions Terraform applies of ${var.github_repository} to ${each.key} (environment infra-${each.key})"
  assume_role_policy   = data.aws_iam_policy_document.terraform_apply_trust[each.key].json
  max_session_duration = 3600
}

resource "aws_iam_role_policy_attachment" "terraform_apply" {
  for_each = {
    for pair in setproduct(keys(var.environments), var.terraform_apply_policy_arns) :
    "${pair[0]} ${pair[1]}" => { environment = pair[0], policy_arn = pair[1] }
  }

  role       = aws_iam_role.terraform_apply[each.value.environment].name
  policy_arn = each.value.policy_arn
}

resource "aws_iam_role_policy" "terraform_apply_state" {
  for_each = var.environments

  name   = "terraform-state"
  role   = aws_iam_role.terraform_apply[each.key].id
  policy = data.aws_iam_policy_document.terraform_state["apply"].json
}

# ----------------------------------------------------------------------------------------------

output "deploy_role_arns" {
  description = "Per environment: the value of that GitHub environment's AWS_DEPLOY_ROLE_ARN variable."
  value       = { for name, role in aws_iam_role.deploy : name => role.arn }
}

output "terraform_plan_role_arn" {
  description = "The repository variable TERRAFORM_PLAN_ROLE_ARN."
  value       = aws_iam_role.terraform_plan.arn
}

output "terraform_apply_role_arns" {
  description = "Per environment: the variable TERRAFORM_APPLY_ROLE_ARN of the GitHub environment infra-<environment>."
  value       = { for name, role in aws_iam_role.terraform_apply : name => role.arn }
}
