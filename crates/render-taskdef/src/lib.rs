//! `render-taskdef`: a drop-in for aws-actions/amazon-ecs-render-task-definition that never
//! writes a stale or invalid task definition.
//!
//! Same inputs and output as the anchor, and beyond it: the live definition as the source (by
//! family or ARN), the fields ECS refuses on registration removed, every field checked against
//! the RegisterTaskDefinition model ([`model`]) and against what ECS rejects ([`checks`]),
//! several containers in one step, and images pinned by digest. Inputs are parsed and checked
//! before any AWS call ([`edits`]); [`document`] reads and writes the JSON, [`ecs`] talks to
//! ECS and ECR.

pub mod checks;
pub mod document;
pub mod ecs;
pub mod edits;
pub mod model;

use std::collections::BTreeMap;
use std::process::ExitCode;

use action_kit::{ActionSpec, InputSpec, OutputSpec, Runner, Table};
use anyhow::{Context as _, bail};

use crate::edits::Edits;

const INPUTS: &[InputSpec] = &[
    InputSpec::optional(
        "task-definition",
        "Path of a task definition JSON file in the workspace (JSON only; it is never executed).",
    ),
    InputSpec::optional(
        "task-definition-arn",
        "ARN of a registered task definition to start from, instead of a file.",
    ),
    InputSpec::optional(
        "task-definition-family",
        "Family of a registered task definition to start from (its latest revision unless task-definition-revision is set).",
    ),
    InputSpec::optional(
        "task-definition-revision",
        "Revision of task-definition-family to start from.",
    ),
    InputSpec::optional(
        "container-name",
        "Container whose image is set; several, comma-separated, all get the same image and changes.",
    ),
    InputSpec::optional(
        "image",
        "Image for container-name, e.g. the ECR image tagged with the commit SHA.",
    ),
    InputSpec::optional(
        "containers",
        "Several containers with their own images, one `name=image` a line (e.g. app, sidecar, migrations).",
    ),
    InputSpec::optional(
        "environment-variables",
        "Variables to set, one `NAME=value` a line: an existing one is updated in place, a new one appended.",
    ),
    InputSpec::optional(
        "env-files",
        "S3 object ARNs of environment files, one a line; they replace the container's environmentFiles.",
    ),
    InputSpec::optional(
        "secrets",
        "Secrets, one `NAME=valueFrom` a line (an SSM parameter or a Secrets Manager secret ARN), merged by name.",
    ),
    InputSpec::optional(
        "log-configuration-log-driver",
        "Log driver: json-file, syslog, journald, logentries, gelf, fluentd, awslogs, splunk or awsfirelens.",
    ),
    InputSpec::optional(
        "log-configuration-options",
        "Log driver options, one `key=value` a line (split at the first `=`), merged.",
    ),
    InputSpec::optional(
        "docker-labels",
        "Docker labels, one `key=value` a line (split at the first `=`), merged.",
    ),
    InputSpec::optional(
        "command",
        "Command that replaces the container's, split like a shell command line (quotes group words).",
    ),
    InputSpec::optional("task-role-arn", "IAM role ARN the task's containers use."),
    InputSpec::optional(
        "execution-role-arn",
        "IAM role ARN ECS uses to pull images and read secrets.",
    ),
    InputSpec::with_default(
        "pin-image-digest",
        "Resolve each ECR image tag to its digest and render `repository@sha256:…`.",
        "false",
    ),
];

/// The IAM actions the action calls, as `actions/render-taskdef/iam-policy.json` grants them:
/// reading the live family and resolving image digests.
pub const IAM_ACTIONS: &[&str] = &["ecr:DescribeImages", "ecs:DescribeTaskDefinition"];

/// Inputs and outputs of `render-taskdef`.
pub static SPEC: ActionSpec = ActionSpec {
    name: "render-taskdef",
    description: "Render images and settings into an ECS task definition, checked against what ECS accepts.",
    input_groups: &[INPUTS, action_aws::INPUTS],
    outputs: &[
        OutputSpec {
            name: "task-definition",
            description: "Path of the rendered task definition file, relative to the workspace.",
        },
        OutputSpec {
            name: "family",
            description: "The task definition's family.",
        },
        OutputSpec {
            name: "image-digests",
            description: "With pin-image-digest: JSON object of container name → image digest.",
        },
    ],
    dynamic_outputs: false,
};

/// The action's entry point.
pub fn main(args: Vec<String>) -> ExitCode {
    action_kit::run_async(&SPEC, args, run)
}

/// Where the definition comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A file in the workspace.
    File(String),
    /// A registered definition: ARN, `family` or `family:revision`.
    Registered(String),
}

/// Chooses the source as the anchor does: a file first, then an ARN, then a family.
pub fn choose_source(
    file: Option<String>,
    arn: Option<String>,
    family: Option<String>,
    revision: Option<String>,
) -> anyhow::Result<Source> {
    if let Some(file) = file {
        return Ok(Source::File(file));
    }
    if let Some(arn) = arn {
        return Ok(Source::Registered(arn));
    }
    if let Some(family) = family {
        return Ok(Source::Registered(match revision {
            Some(revision) => {
                let number: u32 = revision
                    .parse()
                    .ok()
                    .filter(|n| *n > 0)
                    .with_context(|| format!("input 'task-definition-revision': expected a positive whole number, got '{revision}'"))?;
                format!("{family}:{number}")
            }
            None => family,
        }));
    }
    if revision.is_some() {
        bail!(
            "You can't fetch task definition with just revision: Either use task definition file, arn or family name"
        );
    }
    bail!("Either task definition, task definition arn or task definition family must be provided");
}

/// Everything the inputs ask for, checked before any call.
#[derive(Debug)]
struct Plan {
    source: Source,
    edits: Edits,
    pin_digests: bool,
}

fn plan(runner: &Runner) -> anyhow::Result<Plan> {
    let inputs = runner.inputs();
    let source = choose_source(
        inputs.get("task-definition")?,
        inputs.get("task-definition-arn")?,
        inputs.get("task-definition-family")?,
        inputs.get("task-definition-revision")?,
    )?;
    let mut images = Vec::new();
    match (inputs.get("container-name")?, inputs.get("image")?) {
        (Some(names), Some(image)) => {
            images.extend(
                edits::parse_container_names(&names)?
                    .into_iter()
                    .map(|n| (n, image.clone())),
            );
        }
        (Some(_), None) => bail!("Input required and not supplied: image"),
        (None, Some(_)) => bail!("Input required and not supplied: container-name"),
        (None, None) => {}
    }
    let listed = edits::parse_pairs(&inputs.list("containers")?, |line| {
        format!("input 'containers': cannot parse '{line}': expected name=image")
    })?;
    images.extend(
        listed
            .into_iter()
            .map(|(name, image)| (name.trim().to_owned(), image.trim().to_owned())),
    );
    if images.is_empty() {
        bail!(
            "Input required and not supplied: container-name (with image), or containers (name=image lines)"
        );
    }
    let log_driver = inputs.get("log-configuration-log-driver")?;
    if let Some(driver) = &log_driver {
        edits::check_log_driver(driver)?;
    }
    let roles = [
        ("task-role-arn", inputs.get("task-role-arn")?),
        ("execution-role-arn", inputs.get("execution-role-arn")?),
    ];
    for (input, arn) in &roles {
        if let Some(arn) = arn {
            edits::check_role_arn(input, arn)?;
        }
    }
    let [(_, task_role_arn), (_, execution_role_arn)] = roles;
    let env_files = inputs.list("env-files")?;
    let edits = Edits {
        images,
        environment: edits::parse_pairs(&inputs.list("environment-variables")?, |line| {
            format!(
                "Cannot parse the environment variable '{line}'. Environment variable pairs must be of the form NAME=value."
            )
        })?,
        env_files: (!env_files.is_empty()).then_some(env_files),
        secrets: edits::parse_pairs(&inputs.list("secrets")?, |line| {
            format!(
                "Cannot parse the secret '{line}'. Secret pairs must be of the form NAME=valueFrom, where valueFrom is an SSM parameter or a Secrets Manager secret ARN."
            )
        })?,
        log_driver,
        log_options: edits::parse_pairs(&inputs.list("log-configuration-options")?, |line| {
            format!(
                "Can't parse logConfiguration option {line}. Must be in key=value format, one per line"
            )
        })?,
        docker_labels: edits::parse_pairs(&inputs.list("docker-labels")?, |line| {
            format!("Can't parse docker label {line}. Must be in key=value format, one per line")
        })?,
        command: inputs
            .get("command")?
            .map(|c| edits::parse_command(&c))
            .transpose()?,
        task_role_arn,
        execution_role_arn,
    };
    Ok(Plan {
        source,
        edits,
        pin_digests: inputs.bool("pin-image-digest")?,
    })
}

/// Fails, listing every problem, when ECS would refuse `document` as a RegisterTaskDefinition
/// input: the model's field checks ([`model`]) and what ECS rejects beyond types ([`checks`]).
pub fn ensure_registrable(document: &serde_json::Value) -> anyhow::Result<()> {
    let mut problems = model::Model::get()?.validate(document);
    problems.extend(checks::check(document));
    if problems.is_empty() {
        return Ok(());
    }
    let listed: Vec<String> = problems.iter().map(|p| format!("  {p}")).collect();
    bail!(
        "the task definition would be refused by ECS ({} problem{}):\n{}",
        problems.len(),
        if problems.len() == 1 { "" } else { "s" },
        listed.join("\n")
    );
}

/// Runs the action.
pub async fn run(runner: &Runner) -> anyhow::Result<()> {
    let mut plan = plan(runner)?;
    let console = runner.console();
    let needs_aws = matches!(plan.source, Source::Registered(_)) || plan.pin_digests;
    let config = if needs_aws {
        Some(action_aws::load_config(runner).await?)
    } else {
        None
    };

    let loaded = match &plan.source {
        Source::File(path) => {
            let file = runner.github().workspace_path(path);
            let text = std::fs::read_to_string(&file)
                .map_err(|_| anyhow::anyhow!("Task definition file does not exist: {path}"))?;
            document::parse_file(&text, path)?
        }
        Source::Registered(name) => {
            let config = config
                .as_ref()
                .context("internal error: no AWS configuration")?;
            console.info(&format!("Reading the live task definition {name} from ECS"));
            document::from_describe(ecs::describe(&aws_sdk_ecs::Client::new(config), name).await?)?
        }
    };
    if !loaded.removed_read_only.is_empty() {
        console.info(&format!(
            "Removed fields ECS does not accept on registration: {}",
            loaded.removed_read_only.join(", ")
        ));
    }
    if !loaded.removed_nulls.is_empty() {
        console.notice(&format!(
            "Removed null values: {}",
            loaded.removed_nulls.join(", ")
        ));
    }

    let mut digests = BTreeMap::new();
    if plan.pin_digests {
        let config = config
            .as_ref()
            .context("internal error: no AWS configuration")?;
        for (container, image) in &mut plan.edits.images {
            let Some(reference) = ecs::EcrImage::parse(image) else {
                bail!(
                    "input 'pin-image-digest': the image '{image}' of container '{container}' is not an ECR image with a tag"
                );
            };
            let regional = config
                .to_builder()
                .region(aws_sdk_ecr::config::Region::new(reference.region.clone()))
                .build();
            let digest = ecs::digest(&aws_sdk_ecr::Client::new(&regional), &reference).await?;
            console.info(&format!("{image} is {digest}"));
            *image = reference.pinned(&digest);
            digests.insert(container.clone(), digest);
        }
    }

    let mut doc = loaded.document;
    plan.edits.apply(&mut doc)?;
    ensure_registrable(&doc)?;

    let family = doc["family"]
        .as_str()
        .unwrap_or("task-definition")
        .to_owned();
    let text = document::render(&doc)?;
    let relative = write_rendered(runner, &family, &text)?;
    {
        let _group = console.group(&format!("Rendered task definition {relative}"));
        console.info(&text);
    }
    runner.set_output("task-definition", &relative)?;
    runner.set_output("family", &family)?;
    if plan.pin_digests {
        runner.set_output("image-digests", &serde_json::to_string(&digests)?)?;
    }
    runner.append_summary(&summary(&family, &relative, &plan.edits, &digests))?;
    Ok(())
}

/// Writes the rendered file into the workspace, where later steps of the job (on the runner or
/// in containers) can read it; returns its path relative to the workspace.
fn write_rendered(runner: &Runner, family: &str, text: &str) -> anyhow::Result<String> {
    let safe: String = family
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect();
    let suffix = &uuid::Uuid::new_v4().simple().to_string()[..8];
    let relative = format!(".task-definitions/{safe}-{suffix}.json");
    let path = runner.github().workspace_path(&relative);
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    std::fs::write(&path, format!("{text}\n"))
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(relative)
}

fn summary(family: &str, path: &str, edits: &Edits, digests: &BTreeMap<String, String>) -> String {
    let mut table = Table::new(["Container", "Image", "Digest"]);
    for (container, image) in &edits.images {
        table.row([
            format!("`{container}`"),
            format!("`{image}`"),
            digests
                .get(container)
                .map(|d| format!("`{d}`"))
                .unwrap_or_default(),
        ]);
    }
    format!(
        "### render-taskdef: `{family}`\n\nWritten to `{path}`.\n\n{}\n",
        table.to_markdown()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_in_the_anchors_order() {
        let s = |v: &str| Some(v.to_owned());
        assert_eq!(
            choose_source(s("td.json"), s("arn"), s("fam"), s("3")).expect("file"),
            Source::File("td.json".into())
        );
        assert_eq!(
            choose_source(None, s("arn"), s("fam"), None).expect("arn"),
            Source::Registered("arn".into())
        );
        assert_eq!(
            choose_source(None, None, s("fam"), s("10")).expect("family"),
            Source::Registered("fam:10".into())
        );
        assert_eq!(
            choose_source(None, None, s("fam"), None).expect("family"),
            Source::Registered("fam".into())
        );
        assert!(
            choose_source(None, None, None, s("10"))
                .expect_err("revision")
                .to_string()
                .starts_with("You can't fetch")
        );
        assert!(
            choose_source(None, None, None, None)
                .expect_err("none")
                .to_string()
                .starts_with("Either task definition")
        );
        assert!(choose_source(None, None, s("fam"), s("x")).is_err());
    }
}
