//! Runs a workflow file's jobs the way a runner would, as far as the demo can: jobs in order,
//! `needs` and `if:` decided, each step that uses one of the suite's actions run through the
//! real binary with its `with:` inputs resolved (earlier step outputs, `needs`, `github`,
//! `env`, `vars`, `secrets`), job outputs passed on. Other steps are listed as skipped; the
//! scenario may simulate what they leave behind (an image in ECR, a built site).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};
use test_harness::{ActionResult, ActionRun};
use workflow_model::expr::{self, Context};
use workflow_model::{Job, Step, Workflow};

/// Everything a run resolves expressions from, and where the steps run.
#[derive(Debug, Clone)]
pub(crate) struct RunContext {
    /// The suite's multi-call binary.
    pub(crate) suite: PathBuf,
    /// The workspace (a git repository).
    pub(crate) workspace: PathBuf,
    /// The event's name and payload.
    pub(crate) event: (String, Value),
    /// The `github` context.
    pub(crate) github: Value,
    /// `vars`.
    pub(crate) vars: BTreeMap<String, String>,
    /// `secrets`.
    pub(crate) secrets: BTreeMap<String, String>,
    /// Environment every step gets before the workflow's own `env:` (AWS access).
    pub(crate) base_env: Vec<(String, String)>,
}

/// What happened to a job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum JobResult {
    /// It ran to the end.
    Succeeded,
    /// A step failed.
    Failed(String),
    /// Its `if:` was false, or a job it needs did not succeed.
    Skipped(String),
}

/// Something a step did that the scenario may act on.
pub(crate) trait Simulator {
    /// Called for a step that does not use the suite's actions, with its `with:` resolved;
    /// returns what was simulated, if anything.
    fn simulate(
        &self,
        step: &Step,
        with: &BTreeMap<String, String>,
    ) -> anyhow::Result<Option<String>>;
}

/// The expression context of one step.
struct Scope<'a> {
    run: &'a RunContext,
    env: &'a BTreeMap<String, String>,
    steps: &'a BTreeMap<String, BTreeMap<String, String>>,
    needs: &'a BTreeMap<String, BTreeMap<String, String>>,
}

fn map_value(map: &BTreeMap<String, String>) -> Value {
    Value::Object(
        map.iter()
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect(),
    )
}

impl Context for Scope<'_> {
    fn lookup(&self, path: &[String]) -> Option<Value> {
        let (head, rest) = path.split_first()?;
        let root = match head.as_str() {
            "github" => self.run.github.clone(),
            "env" => map_value(self.env),
            "vars" => map_value(&self.run.vars),
            "secrets" => map_value(&self.run.secrets),
            "steps" => Value::Object(
                self.steps
                    .iter()
                    .map(|(id, outputs)| {
                        let mut step = Map::new();
                        step.insert("outputs".into(), map_value(outputs));
                        (id.clone(), Value::Object(step))
                    })
                    .collect(),
            ),
            "needs" => Value::Object(
                self.needs
                    .iter()
                    .map(|(id, outputs)| {
                        let mut job = Map::new();
                        job.insert("outputs".into(), map_value(outputs));
                        (id.clone(), Value::Object(job))
                    })
                    .collect(),
            ),
            _ => return None,
        };
        rest.iter()
            .try_fold(root, |value, key| value.get(key).cloned())
    }
}

/// The result of a workflow run: each job's result, and the suite steps' results by job.
#[derive(Debug, Default)]
pub(crate) struct RunReport {
    /// Each job's result, in order.
    pub(crate) jobs: Vec<(String, JobResult)>,
    /// The steps that used the suite's actions: job, step id (or action), their result.
    pub(crate) steps: Vec<(String, String, ActionResult)>,
}

impl RunReport {
    /// The result of `job`.
    pub(crate) fn job(&self, job: &str) -> Option<&JobResult> {
        self.jobs.iter().find(|(id, _)| id == job).map(|(_, r)| r)
    }

    /// The result of the step `step` (its id) of `job`.
    pub(crate) fn step(&self, job: &str, step: &str) -> Option<&ActionResult> {
        self.steps
            .iter()
            .find(|(j, s, _)| j == job && s == step)
            .map(|(_, _, r)| r)
    }
}

/// Runs every job of `workflow`; `show` prints a step's result.
pub(crate) fn run_workflow(
    workflow: &Workflow,
    run: &RunContext,
    simulator: &dyn Simulator,
    show: &dyn Fn(&ActionResult),
) -> anyhow::Result<RunReport> {
    let mut report = RunReport::default();
    let mut needs_outputs: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    let workflow_env: BTreeMap<String, String> = workflow.env.iter().cloned().collect();
    for job in &workflow.jobs {
        crate::cmd::step(&format!("job {}", job.id));
        let result = match skip_reason(job, &report, run, &workflow_env, &needs_outputs)? {
            Some(reason) => {
                println!("skipped: {reason}");
                JobResult::Skipped(reason)
            }
            None => {
                let (result, outputs) = run_job(
                    job,
                    run,
                    &workflow_env,
                    &needs_outputs,
                    simulator,
                    show,
                    &mut report,
                )?;
                needs_outputs.insert(job.id.clone(), outputs);
                result
            }
        };
        report.jobs.push((job.id.clone(), result));
    }
    Ok(report)
}

/// Why a job does not run: a job it needs did not succeed, or its `if:` is false.
fn skip_reason(
    job: &Job,
    report: &RunReport,
    run: &RunContext,
    workflow_env: &BTreeMap<String, String>,
    needs_outputs: &BTreeMap<String, BTreeMap<String, String>>,
) -> anyhow::Result<Option<String>> {
    if let Some(needed) = job
        .needs
        .iter()
        .find(|n| report.job(n) != Some(&JobResult::Succeeded))
    {
        return Ok(Some(format!("job '{needed}' it needs did not succeed")));
    }
    let Some(condition) = &job.condition else {
        return Ok(None);
    };
    let steps = BTreeMap::new();
    let scope = Scope {
        run,
        env: workflow_env,
        steps: &steps,
        needs: needs_outputs,
    };
    Ok((!expr::condition(condition, &scope)?).then(|| format!("if: {condition}")))
}

#[allow(clippy::too_many_arguments)]
fn run_job(
    job: &Job,
    run: &RunContext,
    workflow_env: &BTreeMap<String, String>,
    needs_outputs: &BTreeMap<String, BTreeMap<String, String>>,
    simulator: &dyn Simulator,
    show: &dyn Fn(&ActionResult),
    report: &mut RunReport,
) -> anyhow::Result<(JobResult, BTreeMap<String, String>)> {
    let mut steps: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    let mut env = workflow_env.clone();
    for (name, value) in &job.env {
        let scope = Scope {
            run,
            env: &env,
            steps: &steps,
            needs: needs_outputs,
        };
        let value = expr::interpolate(value, &scope)?;
        env.insert(name.clone(), value);
    }
    for step in &job.steps {
        let scope = Scope {
            run,
            env: &env,
            steps: &steps,
            needs: needs_outputs,
        };
        if let Some(condition) = &step.condition
            && !expr::condition(condition, &scope)?
        {
            println!("--- step skipped ({condition}): {}", step.label());
            continue;
        }
        let with: BTreeMap<String, String> = step
            .with
            .iter()
            .map(|(name, value)| Ok((name.clone(), expr::interpolate(value, &scope)?)))
            .collect::<anyhow::Result<_>>()?;
        let Some(action) = step.suite_action() else {
            match simulator.simulate(step, &with)? {
                Some(what) => println!(
                    "--- step not run here: {} (simulated: {what})",
                    step.label()
                ),
                None => println!("--- step not run here: {}", step.label()),
            }
            continue;
        };
        let mut step_env = env.clone();
        for (name, value) in &step.env {
            step_env.insert(name.clone(), expr::interpolate(value, &scope)?);
        }
        println!("--- step: {}", step.label());
        let result = run_action(run, action, &with, &step_env)?;
        show(&result);
        let id = step.id.clone().unwrap_or_else(|| action.to_owned());
        let failed = result.code != 0;
        steps.insert(id.clone(), result.outputs.clone());
        report.steps.push((job.id.clone(), id, result));
        if failed {
            return Ok((
                JobResult::Failed(format!("step '{}' failed", step.label())),
                BTreeMap::new(),
            ));
        }
    }
    let scope = Scope {
        run,
        env: &env,
        steps: &steps,
        needs: needs_outputs,
    };
    let outputs = job
        .outputs
        .iter()
        .map(|(name, value)| Ok((name.clone(), expr::interpolate(value, &scope)?)))
        .collect::<anyhow::Result<_>>()?;
    Ok((JobResult::Succeeded, outputs))
}

fn run_action(
    run: &RunContext,
    action: &str,
    with: &BTreeMap<String, String>,
    env: &BTreeMap<String, String>,
) -> anyhow::Result<ActionResult> {
    let mut step = ActionRun::new(&run.suite)?
        .arg(action)
        .workspace(&run.workspace)
        .event(&run.event.0, &run.event.1)?
        .envs(run.base_env.iter().cloned())
        .envs(env.iter().map(|(k, v)| (k.clone(), v.clone())));
    for (name, value) in ["sha", "ref", "repository"].iter().filter_map(|key| {
        run.github[key]
            .as_str()
            .map(|v| (format!("GITHUB_{}", key.to_uppercase()), v.to_owned()))
    }) {
        step = step.env(&name, &value);
    }
    for (name, value) in with {
        step = step.input(name, value);
    }
    step.run()
}

/// The workflow file at `path`, parsed.
pub(crate) fn load(path: &Path) -> anyhow::Result<Workflow> {
    let text = std::fs::read_to_string(path)?;
    workflow_model::workflow::parse(&text)
        .map_err(|e| e.context(format!("cannot read {}", path.display())))
}
