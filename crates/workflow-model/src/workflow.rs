//! The parts of a workflow file and of an `action.yml` the checks and the demo need, read from
//! the YAML in the file's order. Scalar values are strings, as the runner passes them
//! (`true` → `"true"`, `20` → `"20"`).

use anyhow::{Context as _, bail};
use serde_json::Value;

/// The owner/repository prefix of the suite's actions in `uses:`.
pub const SUITE_ACTIONS: &str = "shipwright-actions/suite/actions/";

/// Name → value pairs in file order (`env:`, `with:`, `outputs:`).
pub type Pairs = Vec<(String, String)>;

/// A workflow file.
#[derive(Debug, Clone, PartialEq)]
pub struct Workflow {
    /// Its `name:`.
    pub name: String,
    /// Its triggers (`on:`), as written.
    pub on: Value,
    /// Workflow-level `env:`.
    pub env: Pairs,
    /// Its jobs, in file order.
    pub jobs: Vec<Job>,
}

/// One job.
#[derive(Debug, Clone, PartialEq)]
pub struct Job {
    /// Its key under `jobs:`.
    pub id: String,
    /// Its `name:`, which is what status checks report (the id when absent).
    pub name: Option<String>,
    /// `needs:`.
    pub needs: Vec<String>,
    /// `if:`.
    pub condition: Option<String>,
    /// `environment:` (its name).
    pub environment: Option<String>,
    /// Job-level `env:`.
    pub env: Pairs,
    /// `outputs:`.
    pub outputs: Pairs,
    /// Its steps, in order.
    pub steps: Vec<Step>,
}

/// One step.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Step {
    /// `id:`.
    pub id: Option<String>,
    /// `name:`.
    pub name: Option<String>,
    /// `uses:`.
    pub uses: Option<String>,
    /// `run:`.
    pub run: Option<String>,
    /// `if:`.
    pub condition: Option<String>,
    /// `with:`.
    pub with: Pairs,
    /// Step-level `env:`.
    pub env: Pairs,
}

impl Step {
    /// The suite action this step uses (`ecs-deploy` for
    /// `shipwright-actions/suite/actions/ecs-deploy@v1`), if it uses one.
    pub fn suite_action(&self) -> Option<&str> {
        let rest = self.uses.as_deref()?.strip_prefix(SUITE_ACTIONS)?;
        Some(rest.split('@').next().unwrap_or(rest))
    }

    /// How the step is shown: its name, else what it uses or runs.
    pub fn label(&self) -> String {
        self.name
            .clone()
            .or_else(|| self.uses.clone())
            .or_else(|| {
                self.run
                    .as_ref()
                    .map(|r| format!("run: {}", r.lines().next().unwrap_or_default()))
            })
            .unwrap_or_else(|| "(empty step)".to_owned())
    }
}

impl Job {
    /// The name status checks report for this job.
    pub fn check_name(&self) -> &str {
        self.name.as_deref().unwrap_or(&self.id)
    }
}

/// A scalar as the runner passes it to an action or the environment.
fn scalar(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn pairs(value: &Value, what: &str) -> anyhow::Result<Pairs> {
    match value {
        Value::Null => Ok(Vec::new()),
        Value::Object(map) => Ok(map.iter().map(|(k, v)| (k.clone(), scalar(v))).collect()),
        _ => bail!("{what} must be a mapping"),
    }
}

fn text(value: &Value) -> Option<String> {
    (!value.is_null()).then(|| scalar(value))
}

/// Parses a workflow file.
pub fn parse(source: &str) -> anyhow::Result<Workflow> {
    let root: Value = serde_yaml::from_str(source).context("not valid YAML")?;
    let jobs = root["jobs"]
        .as_object()
        .context("a workflow needs a 'jobs' mapping")?
        .iter()
        .map(|(id, job)| parse_job(id, job))
        .collect::<anyhow::Result<Vec<_>>>()?;
    Ok(Workflow {
        name: text(&root["name"]).unwrap_or_default(),
        on: root["on"].clone(),
        env: pairs(&root["env"], "env")?,
        jobs,
    })
}

fn parse_job(id: &str, job: &Value) -> anyhow::Result<Job> {
    let needs = match &job["needs"] {
        Value::Null => Vec::new(),
        Value::String(one) => vec![one.clone()],
        Value::Array(many) => many.iter().map(scalar).collect(),
        _ => bail!("job '{id}': 'needs' must be a job id or a list of them"),
    };
    let environment = match &job["environment"] {
        Value::Object(map) => map.get("name").map(scalar),
        other => text(other),
    };
    let steps = match &job["steps"] {
        Value::Array(steps) => steps
            .iter()
            .enumerate()
            .map(|(n, step)| {
                parse_step(step).with_context(|| format!("job '{id}', step {}", n + 1))
            })
            .collect::<anyhow::Result<Vec<_>>>()?,
        Value::Null => Vec::new(),
        _ => bail!("job '{id}': 'steps' must be a list"),
    };
    Ok(Job {
        id: id.to_owned(),
        name: text(&job["name"]),
        needs,
        condition: text(&job["if"]),
        environment,
        env: pairs(&job["env"], "env")?,
        outputs: pairs(&job["outputs"], "outputs")?,
        steps,
    })
}

fn parse_step(step: &Value) -> anyhow::Result<Step> {
    if !step.is_object() {
        bail!("a step must be a mapping");
    }
    Ok(Step {
        id: text(&step["id"]),
        name: text(&step["name"]),
        uses: text(&step["uses"]),
        run: text(&step["run"]),
        condition: text(&step["if"]),
        with: pairs(&step["with"], "with")?,
        env: pairs(&step["env"], "env")?,
    })
}

/// What an `action.yml` declares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionManifest {
    /// Inputs: name, whether required, default.
    pub inputs: Vec<(String, bool, Option<String>)>,
    /// Output names.
    pub outputs: Vec<String>,
}

impl ActionManifest {
    /// Whether `name` is a declared input.
    pub fn has_input(&self, name: &str) -> bool {
        self.inputs.iter().any(|(n, _, _)| n == name)
    }
}

/// Parses an `action.yml`.
pub fn parse_manifest(source: &str) -> anyhow::Result<ActionManifest> {
    let root: Value = serde_yaml::from_str(source).context("not valid YAML")?;
    let inputs = root["inputs"]
        .as_object()
        .map(|inputs| {
            inputs
                .iter()
                .map(|(name, spec)| {
                    (
                        name.clone(),
                        spec["required"] == Value::Bool(true) || spec["required"] == "true",
                        text(&spec["default"]),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let outputs = root["outputs"]
        .as_object()
        .map(|outputs| outputs.keys().cloned().collect())
        .unwrap_or_default();
    Ok(ActionManifest { inputs, outputs })
}

#[cfg(test)]
mod tests {
    use super::*;

    const WORKFLOW: &str = "
name: Deploy
on: {push: {branches: [main]}}
env: {REGION: eu-west-1}
jobs:
  changes:
    outputs:
      api: ${{ steps.filter.outputs.api }}
    steps:
      - id: filter
        uses: shipwright-actions/suite/actions/paths-filter@v1
        with: {filters: 'api: [api/**]'}
  api:
    needs: changes
    if: needs.changes.outputs.api == 'true'
    environment: {name: production, url: https://example.com}
    steps:
      - uses: actions/checkout@11d5960a326750d5838078e36cf38b85af677262 # v4.4.0
      - run: make build
      - uses: shipwright-actions/suite/actions/ecs-deploy@v1
        with:
          wait-for-service-stability: true
          wait-for-minutes: 20
";

    #[test]
    fn reads_jobs_and_steps_in_order() {
        let workflow = parse(WORKFLOW).expect("valid");
        assert_eq!(workflow.name, "Deploy");
        assert_eq!(
            workflow.env,
            [("REGION".to_owned(), "eu-west-1".to_owned())]
        );
        let ids: Vec<&str> = workflow.jobs.iter().map(|j| j.id.as_str()).collect();
        assert_eq!(ids, ["changes", "api"]);
        let api = &workflow.jobs[1];
        assert_eq!(api.needs, ["changes"]);
        assert_eq!(api.environment.as_deref(), Some("production"));
        assert_eq!(api.steps[0].suite_action(), None);
        assert_eq!(api.steps[1].label(), "run: make build");
        assert_eq!(api.steps[2].suite_action(), Some("ecs-deploy"));
        assert_eq!(
            api.steps[2].with,
            [
                ("wait-for-service-stability".to_owned(), "true".to_owned()),
                ("wait-for-minutes".to_owned(), "20".to_owned())
            ]
        );
        assert_eq!(
            workflow.jobs[0].outputs[0].1,
            "${{ steps.filter.outputs.api }}"
        );
    }

    #[test]
    fn reads_a_manifest() {
        let manifest = parse_manifest(
            "name: x\ninputs:\n  service: {required: true}\n  cluster: {required: false, default: default}\noutputs:\n  arn: {description: x}\n",
        )
        .expect("valid");
        assert_eq!(
            manifest.inputs,
            [
                ("service".to_owned(), true, None),
                ("cluster".to_owned(), false, Some("default".to_owned()))
            ]
        );
        assert_eq!(manifest.outputs, ["arn"]);
        assert!(parse("jobs: 3").is_err());
    }
}
