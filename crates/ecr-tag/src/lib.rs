//! `ecr-tag`: promote an image already in ECR by adding tags to its manifest.
//!
//! The image is found by its source tag (`BatchGetImage`), its digest is an output, and each
//! further tag (`latest`, `1.4.2`) is put on the same manifest with `PutImage`: no docker pull
//! or push, no bytes moved. Tags that already point at the digest are left alone, so a re-run
//! changes nothing. The plan ([`plan::plan_tags`]) is pure; [`ecr`] carries it out.

pub mod ecr;
pub mod plan;

use std::process::ExitCode;

use action_kit::{ActionSpec, InputSpec, OutputSpec, Runner, Table};
use anyhow::Context as _;

use crate::plan::TagAction;

/// The action's own inputs.
const INPUTS: &[InputSpec] = &[
    InputSpec::required("repository", "Name of the ECR repository, e.g. `backend`."),
    InputSpec::required(
        "source-tag",
        "Tag of the image that must already be in the repository, e.g. the commit SHA.",
    ),
    InputSpec::optional(
        "tags",
        "Tags to add to the same image, one a line or comma-separated (e.g. `latest`, `1.4.2`). Empty: only check the image and output its digest.",
    ),
    InputSpec::optional(
        "registry-id",
        "AWS account ID of the registry; defaults to the credentials' account.",
    ),
];

/// The IAM actions the action calls, as `actions/ecr-tag/iam-policy.json` grants them.
pub const IAM_ACTIONS: &[&str] = &["ecr:BatchGetImage", "ecr:DescribeImages", "ecr:PutImage"];

/// Inputs and outputs of `ecr-tag`.
pub static SPEC: ActionSpec = ActionSpec {
    name: "ecr-tag",
    description: "Check that an image tag exists in ECR, output its digest, and add more tags to the same manifest.",
    input_groups: &[INPUTS, action_aws::INPUTS],
    outputs: &[
        OutputSpec {
            name: "digest",
            description: "The image's manifest digest (`sha256:…`).",
        },
        OutputSpec {
            name: "image",
            description: "The image pinned by digest: `<registry>/<repository>@sha256:…`.",
        },
        OutputSpec {
            name: "added-tags",
            description: "Tags this run added, comma-separated (empty when all were already there).",
        },
    ],
    dynamic_outputs: false,
};

/// The action's entry point: `args` are the command-line arguments after its name.
pub fn main(args: Vec<String>) -> ExitCode {
    action_kit::run_async(&SPEC, args, run)
}

/// Runs the action.
pub async fn run(runner: &Runner) -> anyhow::Result<()> {
    let inputs = runner.inputs();
    let repository = inputs.required("repository")?;
    let source_tag = inputs.required("source-tag")?;
    let wanted = plan::parse_tags(&inputs.list("tags")?.join(","), &source_tag)?;
    let registry_id = inputs.get("registry-id")?;
    let config = action_aws::load_config(runner).await?;
    let registry = ecr::Registry::new(&config, registry_id);

    let source = registry
        .find_image(&repository, &source_tag)
        .await
        .with_context(|| format!("cannot read image {repository}:{source_tag}"))?;
    runner.console().info(&format!(
        "Found {repository}:{source_tag} at {}",
        source.digest
    ));
    let existing = registry.tag_digests(&repository, &wanted).await?;
    let actions = plan::plan_tags(&source.digest, &wanted, &existing);

    let mut added = Vec::new();
    {
        let _group = runner
            .console()
            .group(&format!("Tagging {repository}@{}", source.digest));
        for action in &actions {
            match action {
                TagAction::Add { tag } => {
                    registry.put_tag(&repository, &source, tag).await?;
                    runner.console().info(&format!("added {tag}"));
                    added.push(tag.clone());
                }
                TagAction::Move { tag, from } => {
                    registry.put_tag(&repository, &source, tag).await?;
                    runner.console().info(&format!("moved {tag} (was {from})"));
                    added.push(tag.clone());
                }
                TagAction::Keep { tag } => {
                    runner.console().info(&format!("{tag} already points here"))
                }
            }
        }
    }

    let image = format!(
        "{}/{repository}@{}",
        registry.host(&source.registry_id),
        source.digest
    );
    runner.set_output("digest", &source.digest)?;
    runner.set_output("image", &image)?;
    runner.set_output("added-tags", &added.join(","))?;
    runner.append_summary(&summary(&repository, &source_tag, &image, &actions))?;
    Ok(())
}

fn summary(repository: &str, source_tag: &str, image: &str, actions: &[TagAction]) -> String {
    let mut table = Table::new(["Tag", "Result"]);
    table.row([source_tag, "source"]);
    for action in actions {
        let result = match action {
            TagAction::Add { .. } => "added".to_owned(),
            TagAction::Move { from, .. } => format!("moved from `{from}`"),
            TagAction::Keep { .. } => "already there".to_owned(),
        };
        table.row([action.tag(), result.as_str()]);
    }
    format!(
        "### ecr-tag: `{repository}`\n\nImage: `{image}`\n\n{}\n",
        table.to_markdown()
    )
}
