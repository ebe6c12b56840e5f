//! Where changes come from, on real git repositories: pushes (normal, first push of a branch,
//! force push, shallow clone), merge queues, manual runs, uncommitted changes, and bad bases.

mod common;

use common::{Change, Scenario, ZEROS, subset};

const FILTERS: &str = "backend:\n  - 'backend/**'\nfrontend:\n  - 'frontend/**'\nshared: &shared\n  - 'docker/**'\n  - 'infra/**'\n";

fn monorepo() -> Scenario {
    Scenario::new(&[
        ("backend/app.py", "v1\n"),
        ("frontend/main.ts", "v1\n"),
        ("docker/base.Dockerfile", "v1\n"),
        ("README.md", "v1\n"),
    ])
}

fn write<'a>(files: &[(&'a str, &'a str)]) -> Change<'a> {
    Change {
        write: files.to_vec(),
        ..Change::default()
    }
}

#[test]
fn push_to_main_compares_with_before_across_several_commits() {
    let s = monorepo();
    let before = s.clone.head().expect("head");
    s.commit(&write(&[("backend/app.py", "v2\n")]));
    s.commit(&write(&[("infra/main.tf", "new\n")]));
    s.push("main");
    let result = s
        .push_run("main", &before, FILTERS)
        .input("list-files", "json")
        .run()
        .expect("run");
    result.assert_success();
    assert_eq!(
        subset(
            &result.outputs,
            &["backend", "frontend", "shared", "shared_files", "changes"]
        ),
        [
            ("backend", "true"),
            ("changes", "[\"backend\",\"shared\"]"),
            ("frontend", "false"),
            ("shared", "true"),
            ("shared_files", "[\"infra/main.tf\"]"),
        ]
        .into()
    );
    assert!(result.stdout.contains(&format!(
        "Changes: push to main: compared with the commit before the push ({before})"
    )));
    assert!(
        result
            .summary
            .contains("| `backend` | **yes** | 1 | `backend/app.py` |"),
        "{}",
        result.summary
    );
}

#[test]
fn first_push_of_a_branch_compares_with_the_default_branch() {
    let s = monorepo();
    s.clone
        .git(&["checkout", "--quiet", "-b", "feature"])
        .expect("branch");
    s.commit(&write(&[("frontend/main.ts", "v2\n")]));
    s.commit(&write(&[("frontend/extra.ts", "new\n")]));
    s.push("feature");
    // Without `base`, a branch is compared with its merge base with the default branch.
    let result = s
        .push_run("feature", ZEROS, FILTERS)
        .input("list-files", "csv")
        .run()
        .expect("run");
    result.assert_success();
    assert_eq!(
        result.output("frontend_files"),
        "frontend/extra.ts,frontend/main.ts"
    );
    assert_eq!(result.output("backend"), "false");
    assert!(
        result
            .stdout
            .contains("Changes: feature compared with its merge base with main"),
        "{}",
        result.stdout
    );
    // With `base` set to the branch itself, a first push (before = zeros) does the same.
    let same = s
        .push_run("feature", ZEROS, FILTERS)
        .input("base", "feature")
        .input("list-files", "csv")
        .run()
        .expect("run");
    same.assert_success();
    assert_eq!(
        same.output("frontend_files"),
        "frontend/extra.ts,frontend/main.ts"
    );
    assert!(
        same.stdout.contains("First push of a branch detected"),
        "{}",
        same.stdout
    );
}

#[test]
fn first_push_of_the_default_branch_lists_every_file_as_added() {
    let s = monorepo();
    let result = s
        .push_run("main", ZEROS, "added:\n  - added: '**'\n")
        .run()
        .expect("run");
    result.assert_success();
    assert_eq!(result.output("added_count"), "4");
}

#[test]
fn force_push_compares_the_trees_of_before_and_after() {
    let s = monorepo();
    s.clone
        .git(&["checkout", "--quiet", "-b", "feature"])
        .expect("branch");
    s.commit(&write(&[("backend/app.py", "v2\n")]));
    s.push("feature");
    let before = s.clone.head().expect("head");
    // Rewrite the branch: the backend change is gone, a frontend change replaces it.
    s.clone
        .git(&["reset", "--quiet", "--hard", "main"])
        .expect("reset");
    s.commit(&write(&[("frontend/main.ts", "v2\n")]));
    s.push("feature");
    let result = s
        .push_run("feature", &before, FILTERS)
        .input("base", "feature")
        .input("list-files", "json")
        .run()
        .expect("run");
    result.assert_success();
    // Both files differ between the old and the new tip.
    assert_eq!(result.output("backend_files"), "[\"backend/app.py\"]");
    assert_eq!(result.output("frontend_files"), "[\"frontend/main.ts\"]");
}

#[test]
fn shallow_clone_fetches_history_until_the_merge_base() {
    let s = monorepo();
    s.clone
        .git(&["checkout", "--quiet", "-b", "feature"])
        .expect("branch");
    for i in 0..5 {
        s.commit(&write(&[("backend/app.py", &format!("v{i}\n"))]));
    }
    s.push("feature");
    // A checkout as actions/checkout makes it: `origin` with the default refspec, then the
    // pushed branch alone, at depth 1.
    let shallow_dir = s.dir.path().join("shallow");
    let shallow = test_harness::GitRepo::init(&shallow_dir).expect("init");
    let origin = s.origin.dir().to_str().expect("utf-8").to_owned();
    shallow
        .git(&["remote", "add", "origin", &format!("file://{origin}")])
        .expect("remote");
    shallow
        .git(&[
            "fetch",
            "--quiet",
            "--no-tags",
            "--depth=1",
            "origin",
            "+refs/heads/feature:refs/remotes/origin/feature",
        ])
        .expect("shallow fetch");
    shallow
        .git(&[
            "checkout",
            "--quiet",
            "-B",
            "feature",
            "refs/remotes/origin/feature",
        ])
        .expect("checkout");
    assert_eq!(
        shallow
            .git(&["rev-list", "--count", "HEAD"])
            .expect("count")
            .trim(),
        "1"
    );
    let payload = serde_json::json!({"repository": {"default_branch": "main"}, "ref": "refs/heads/feature", "before": s.clone.head().expect("head")});
    let result = test_harness::ActionRun::new(common::BIN)
        .expect("runner")
        .workspace(&shallow_dir)
        .event("push", &payload)
        .expect("event")
        .env("GITHUB_REF", "refs/heads/feature")
        .input("filters", FILTERS)
        .input("token", "")
        .input("initial-fetch-depth", "2")
        .input("list-files", "json")
        .run()
        .expect("run");
    result.assert_success();
    assert_eq!(result.output("backend_files"), "[\"backend/app.py\"]");
    assert_eq!(result.output("frontend"), "false");
    let depth = shallow
        .git(&["rev-list", "--count", "HEAD"])
        .expect("count");
    assert!(
        depth.trim().parse::<u32>().expect("number") >= 6,
        "history was deepened: {depth}"
    );
}

#[test]
fn merge_group_compares_its_base_and_head() {
    let s = monorepo();
    let base = s.clone.head().expect("head");
    s.clone
        .git(&["checkout", "--quiet", "-b", "gh-readonly-queue/main/pr-1"])
        .expect("branch");
    let head = s.commit(&write(&[("docker/base.Dockerfile", "v2\n")]));
    s.push("gh-readonly-queue/main/pr-1");
    let payload = serde_json::json!({"repository": {"default_branch": "main"}, "merge_group": {"base_sha": base, "head_sha": head}});
    let result = s
        .run(
            "merge_group",
            &payload,
            "gh-readonly-queue/main/pr-1",
            FILTERS,
        )
        .run()
        .expect("run");
    result.assert_success();
    assert_eq!(result.output("changes"), "[\"shared\"]");
}

#[test]
fn manual_runs_follow_when_no_base() {
    let s = monorepo();
    s.commit(&write(&[("backend/app.py", "v2\n")]));
    s.commit(&write(&[("README.md", "v2\n")]));
    s.push("main");
    let payload =
        serde_json::json!({"repository": {"default_branch": "main"}, "ref": "refs/heads/main"});
    // dorny's behaviour: the last commit only (README.md): nothing to deploy.
    let last = s
        .run("workflow_dispatch", &payload, "main", FILTERS)
        .run()
        .expect("run");
    last.assert_success();
    assert_eq!(last.output("changes"), "[]");
    assert!(
        last.stdout
            .contains("::warning::'before' field is missing in event payload")
    );
    // A manual redeploy that means it.
    let all = s
        .run("workflow_dispatch", &payload, "main", FILTERS)
        .input("when-no-base", "all")
        .run()
        .expect("run");
    all.assert_success();
    assert_eq!(
        all.output("changes"),
        "[\"backend\",\"frontend\",\"shared\"]"
    );
    assert!(
        all.summary
            .contains("every tracked file counts as added (when-no-base: all)"),
        "{}",
        all.summary
    );
    let error = s
        .run("schedule", &payload, "main", FILTERS)
        .input("when-no-base", "error")
        .run()
        .expect("run");
    assert!(error.assert_failure()[0].contains("'when-no-base' is 'error'"));
}

#[test]
fn base_head_reports_uncommitted_changes() {
    let s = monorepo();
    s.clone.write("frontend/main.ts", "edited\n").expect("edit");
    let result = s
        .push_run("main", ZEROS, FILTERS)
        .input("base", "HEAD")
        .input("ref", "main")
        .run()
        .expect("run");
    result.assert_success();
    assert_eq!(result.output("changes"), "[\"frontend\"]");
    assert!(
        result
            .stdout
            .contains("::warning::'ref' input parameter is ignored when 'base' is set to HEAD")
    );
}

#[test]
fn renames_are_split_by_default_and_detected_on_request() {
    let s = monorepo();
    let before = s.clone.head().expect("head");
    s.commit(&Change {
        rename: vec![("backend/app.py", "backend/server.py")],
        ..Change::default()
    });
    s.push("main");
    let filters =
        "added: [{added: '**'}]\ndeleted: [{deleted: '**'}]\nrenamed: [{renamed: '**'}]\n";
    let split = s
        .push_run("main", &before, filters)
        .input("list-files", "json")
        .run()
        .expect("run");
    split.assert_success();
    assert_eq!(split.output("added_files"), "[\"backend/server.py\"]");
    assert_eq!(split.output("deleted_files"), "[\"backend/app.py\"]");
    assert_eq!(split.output("renamed"), "false");
    let detect = s
        .push_run("main", &before, filters)
        .input("list-files", "json")
        .input("renames", "detect")
        .run()
        .expect("run");
    detect.assert_success();
    assert_eq!(detect.output("renamed_files"), "[\"backend/server.py\"]");
    assert_eq!(detect.output("added"), "false");
}

#[test]
fn extra_outputs_dirs_and_all_changed_files() {
    let s = monorepo();
    let before = s.clone.head().expect("head");
    s.commit(&write(&[
        ("backend/api/v1.py", "x\n"),
        ("backend/api/v2.py", "x\n"),
        ("backend/db/m.py", "x\n"),
        ("README.md", "v2\n"),
    ]));
    s.push("main");
    let result = s
        .push_run("main", &before, FILTERS)
        .input("list-files", "json")
        .input("dirs-depth", "2")
        .run()
        .expect("run");
    result.assert_success();
    assert_eq!(
        result.output("backend_dirs"),
        "[\"backend/api\",\"backend/db\"]"
    );
    assert_eq!(
        result.output("all_changed_files"),
        "[\"README.md\",\"backend/api/v1.py\",\"backend/api/v2.py\",\"backend/db/m.py\"]"
    );
}

#[test]
fn working_directory_and_filter_files() {
    let s = Scenario::new(&[
        ("repo/.github/filters.yml", "src: 'src/**'\n"),
        ("repo/src/a.js", "1\n"),
    ]);
    let before = s.clone.head().expect("head");
    s.commit(&write(&[("repo/src/a.js", "2\n")]));
    s.push("main");
    // The repository root is the clone; filters are read relative to the working directory.
    let result = s
        .push_run("main", &before, "repo/.github/filters.yml")
        .run()
        .expect("run");
    result.assert_success();
    assert_eq!(
        result.output("src"),
        "false",
        "paths are relative to the repository root"
    );
    let missing = s.push_run("main", &before, "nope.yml").run().expect("run");
    assert_eq!(
        missing.assert_failure(),
        ["Configuration file 'nope.yml' not found"]
    );
    let directory = s.push_run("main", &before, "repo").run().expect("run");
    assert_eq!(directory.assert_failure(), ["'repo' is not a file."]);
}

#[test]
fn a_base_that_does_not_exist_is_a_named_error() {
    let s = monorepo();
    let result = s
        .push_run("main", ZEROS, FILTERS)
        .input("base", "no-such-branch")
        .run()
        .expect("run");
    let errors = result.assert_failure();
    assert!(errors[0].contains("no-such-branch"), "{errors:?}");
    let sha = s
        .push_run("main", ZEROS, FILTERS)
        .input("base", "1234567890123456789012345678901234567890")
        .run()
        .expect("run");
    let errors = sha.assert_failure();
    assert!(
        errors[0].contains("'1234567890123456789012345678901234567890' is not in the repository"),
        "{errors:?}"
    );
}

#[test]
fn bad_inputs_are_named_errors_before_any_git_work() {
    let s = monorepo();
    let cases = [
        (
            "filters",
            "src: [",
            "Invalid filter YAML format: the YAML does not parse",
        ),
        (
            "filters",
            "src:\n  - chnaged: 'src/**'\n",
            "unknown change type 'chnaged'",
        ),
        (
            "filters",
            "src: 'src/+(a|b)/**'\n",
            "the extglob '+(…)' is not supported",
        ),
        (
            "list-files",
            "yaml",
            "Input parameter 'list-files' is set to invalid value 'yaml'",
        ),
        (
            "predicate-quantifier",
            "all",
            "Input parameter 'predicate-quantifier' is set to invalid value 'all'. Valid values: every, some",
        ),
        (
            "when-no-base",
            "everything",
            "input 'when-no-base': expected one of last-commit, all, none, error",
        ),
        (
            "renames",
            "yes",
            "input 'renames': expected one of split, detect",
        ),
        (
            "dirs-depth",
            "-1",
            "input 'dirs-depth': expected a non-negative whole number",
        ),
    ];
    for (input, value, expected) in cases {
        let result = s
            .push_run("main", ZEROS, FILTERS)
            .input(input, value)
            .run()
            .expect("run");
        let errors = result.assert_failure();
        assert!(errors[0].contains(expected), "{input}={value}: {errors:?}");
        assert!(
            result.outputs.is_empty(),
            "{input}: nothing is written on bad input"
        );
    }
}

#[test]
fn manifest_matches_the_code() {
    let manifest = test_harness::workspace_root().join("actions/paths-filter/action.yml");
    test_harness::check_manifest(&paths_filter::SPEC, &manifest)
        .expect("action.yml matches the code");
}
