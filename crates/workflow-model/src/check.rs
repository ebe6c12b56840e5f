//! The checks every reference workflow passes: each step that uses one of the suite's actions
//! passes only inputs the action declares and every input it requires; every
//! `steps.<id>.outputs.<name>` and `needs.<job>.outputs.<name>` refers to an output that
//! exists; every third-party action is pinned by a full commit SHA with its release in a
//! comment. Pure: the caller supplies the action manifests.

use crate::expr;
use crate::workflow::{ActionManifest, Job, Step, Workflow};

/// The outputs a paths-filter step has: one per filter of its inline `filters` (with `_count`
/// and `_files`), and `changes`.
fn paths_filter_outputs(step: &Step) -> Option<Vec<String>> {
    let filters = step.with.iter().find(|(n, _)| n == "filters")?;
    let parsed: serde_json::Value = serde_yaml::from_str(&filters.1).ok()?;
    let mut outputs = vec!["changes".to_owned()];
    for name in parsed.as_object()?.keys() {
        outputs.extend([
            name.clone(),
            format!("{name}_count"),
            format!("{name}_files"),
        ]);
    }
    Some(outputs)
}

/// The outputs a step of a suite action has: the manifest's, or, for paths-filter (whose
/// outputs are its filters' names), those of its filters.
fn step_outputs(step: &Step, declared: &ActionManifest) -> Vec<String> {
    match step.suite_action() {
        Some("paths-filter") => {
            paths_filter_outputs(step).unwrap_or_else(|| declared.outputs.clone())
        }
        _ => declared.outputs.clone(),
    }
}

/// The problems of one workflow, each naming the job, the step and what is wrong.
pub fn check(
    source: &str,
    workflow: &Workflow,
    manifest: &dyn Fn(&str) -> Option<ActionManifest>,
) -> Vec<String> {
    let mut problems = Vec::new();
    for job in &workflow.jobs {
        check_job(workflow, job, manifest, &mut problems);
    }
    problems.extend(unpinned(source));
    problems
}

fn check_job(
    workflow: &Workflow,
    job: &Job,
    manifest: &dyn Fn(&str) -> Option<ActionManifest>,
    problems: &mut Vec<String>,
) {
    let mut texts: Vec<(String, &str)> = Vec::new();
    if let Some(condition) = &job.condition {
        texts.push((format!("job '{}' if", job.id), condition));
    }
    for (name, value) in job.outputs.iter().chain(&job.env) {
        texts.push((format!("job '{}' {name}", job.id), value));
    }
    for (index, step) in job.steps.iter().enumerate() {
        let at = format!("job '{}', step '{}'", job.id, step.label());
        if let Some(action) = step.suite_action() {
            match manifest(action) {
                None => problems.push(format!("{at}: the suite has no action '{action}'")),
                Some(declared) => check_inputs(&at, step, &declared, problems),
            }
        }
        let earlier = &job.steps[..index];
        for (_, value) in step.with.iter().chain(&step.env) {
            check_references(
                &at, value, false, job, earlier, workflow, manifest, problems,
            );
        }
        for text in step.run.iter() {
            check_references(&at, text, false, job, earlier, workflow, manifest, problems);
        }
        for condition in step.condition.iter() {
            check_references(
                &at, condition, true, job, earlier, workflow, manifest, problems,
            );
        }
    }
    for (at, text) in texts {
        let condition = at.ends_with(" if");
        check_references(
            &at, text, condition, job, &job.steps, workflow, manifest, problems,
        );
    }
}

fn check_inputs(at: &str, step: &Step, declared: &ActionManifest, problems: &mut Vec<String>) {
    for (name, _) in &step.with {
        if !declared.has_input(name) {
            problems.push(format!(
                "{at}: input '{name}' is not an input of the action"
            ));
        }
    }
    for (name, required, default) in &declared.inputs {
        if *required && default.is_none() && !step.with.iter().any(|(n, _)| n == name) {
            problems.push(format!("{at}: the required input '{name}' is missing"));
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn check_references(
    at: &str,
    text: &str,
    condition: bool,
    job: &Job,
    earlier: &[Step],
    workflow: &Workflow,
    manifest: &dyn Fn(&str) -> Option<ActionManifest>,
    problems: &mut Vec<String>,
) {
    let paths = if condition {
        expr::condition_references(text)
    } else {
        expr::references(text)
    };
    let paths = match paths {
        Ok(paths) => paths,
        Err(error) => {
            problems.push(format!("{at}: {error:#}"));
            return;
        }
    };
    for path in paths {
        let parts: Vec<&str> = path.iter().map(String::as_str).collect();
        match parts.as_slice() {
            ["steps", id, "outputs", name, ..] => {
                match earlier.iter().find(|s| s.id.as_deref() == Some(*id)) {
                    None => problems.push(format!("{at}: no earlier step has the id '{id}'")),
                    Some(step) => {
                        if let Some(action) = step.suite_action()
                            && manifest(action)
                                .is_some_and(|m| !step_outputs(step, &m).iter().any(|o| o == name))
                        {
                            problems.push(format!(
                                "{at}: step '{id}' ({action}) has no output '{name}'"
                            ));
                        }
                    }
                }
            }
            ["needs", other, "outputs", name, ..] => {
                if !job.needs.iter().any(|n| n == other) {
                    problems.push(format!("{at}: job '{other}' is not in this job's needs"));
                } else if !workflow
                    .jobs
                    .iter()
                    .any(|j| j.id == *other && j.outputs.iter().any(|(n, _)| n == name))
                {
                    problems.push(format!("{at}: job '{other}' declares no output '{name}'"));
                }
            }
            _ => {}
        }
    }
}

/// `uses:` lines of third-party actions not pinned by commit with a release comment.
fn unpinned(source: &str) -> Vec<String> {
    let mut problems = Vec::new();
    for (number, line) in source.lines().enumerate() {
        let Some(value) = line
            .trim_start()
            .trim_start_matches("- ")
            .strip_prefix("uses:")
        else {
            continue;
        };
        let (reference, comment) = match value.split_once('#') {
            Some((reference, comment)) => (reference.trim(), Some(comment.trim())),
            None => (value.trim(), None),
        };
        let reference = reference.trim_matches(['"', '\'']);
        if reference.starts_with(crate::workflow::SUITE_ACTIONS)
            || reference.starts_with("./")
            || reference.starts_with("docker://")
        {
            continue;
        }
        let sha = reference
            .rsplit_once('@')
            .map(|(_, r)| r)
            .unwrap_or_default();
        let pinned = sha.len() == 40 && sha.chars().all(|c| c.is_ascii_hexdigit());
        if !pinned {
            problems.push(format!(
                "line {}: {reference} is not pinned by a full commit SHA",
                number + 1
            ));
        } else if comment.is_none_or(str::is_empty) {
            problems.push(format!(
                "line {}: {reference} has no comment naming the release it was pinned from",
                number + 1
            ));
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifests(name: &str) -> Option<ActionManifest> {
        (name == "ecs-deploy").then(|| ActionManifest {
            inputs: vec![
                ("task-definition".into(), true, None),
                ("cluster".into(), false, Some("default".into())),
            ],
            outputs: vec!["task-definition-arn".into()],
        })
    }

    fn problems(source: &str) -> Vec<String> {
        let workflow = crate::workflow::parse(source).expect("valid");
        check(source, &workflow, &manifests)
    }

    #[test]
    fn a_correct_workflow_has_no_problem() {
        let source = "
jobs:
  build:
    outputs:
      arn: ${{ steps.deploy.outputs.task-definition-arn }}
    steps:
      - uses: actions/checkout@11d5960a326750d5838078e36cf38b85af677262 # v4.4.0
      - id: deploy
        uses: shipwright-actions/suite/actions/ecs-deploy@v1
        with:
          task-definition: td.json
  after:
    needs: build
    if: needs.build.outputs.arn != ''
    steps:
      - run: echo ${{ needs.build.outputs.arn }}
";
        assert_eq!(problems(source), Vec::<String>::new());
    }

    #[test]
    fn each_kind_of_mistake_is_named() {
        let source = "
jobs:
  build:
    outputs:
      arn: ${{ steps.deploy.outputs.arn }}
    steps:
      - uses: actions/checkout@v4
      - uses: docker/setup-buildx-action@8d2750c68a42422c14e847fe6c8ac0403b4cbd6f
      - id: deploy
        uses: shipwright-actions/suite/actions/ecs-deploy@v1
        with:
          cluster: prod
          servise: api
      - uses: shipwright-actions/suite/actions/ecs-deplo@v1
      - run: echo ${{ steps.later.outputs.x }}
      - id: later
        run: true
  after:
    if: needs.build.outputs.arn == 'x'
    steps:
      - run: echo ${{ needs.build.outputs.nope }}
";
        let found = problems(source);
        let expected = [
            "job 'build', step 'shipwright-actions/suite/actions/ecs-deploy@v1': input 'servise' is not an input of the action",
            "job 'build', step 'shipwright-actions/suite/actions/ecs-deploy@v1': the required input 'task-definition' is missing",
            "job 'build', step 'shipwright-actions/suite/actions/ecs-deplo@v1': the suite has no action 'ecs-deplo'",
            "job 'build', step 'run: echo ${{ steps.later.outputs.x }}': no earlier step has the id 'later'",
            "job 'build' arn: step 'deploy' (ecs-deploy) has no output 'arn'",
            "job 'after', step 'run: echo ${{ needs.build.outputs.nope }}': job 'build' is not in this job's needs",
            "job 'after' if: job 'build' is not in this job's needs",
            "line 7: actions/checkout@v4 is not pinned by a full commit SHA",
            "line 8: docker/setup-buildx-action@8d2750c68a42422c14e847fe6c8ac0403b4cbd6f has no comment naming the release it was pinned from",
        ];
        for problem in expected {
            assert!(
                found.iter().any(|f| f == problem),
                "missing: {problem}\nfound: {found:#?}"
            );
        }
        assert_eq!(found.len(), expected.len(), "{found:#?}");
    }
}
