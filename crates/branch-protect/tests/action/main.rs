//! The `branch-protect` binary, run through the runner contract against a stateful mock of
//! GitHub's REST API that checks every write body against GitHub's published schemas.

mod mock;
mod policies;

use mock::{MockGitHub, RepoState, TOKEN};
use serde_json::{Value, json};
use test_harness::{ActionResult, ActionRun, StubResponse};

const BIN: &str = env!("CARGO_BIN_EXE_branch-protect");

const POLICY: &str = "
branches:
  main:
    required_status_checks:
      strict: true
      checks: [test, {context: lint, app_id: -1}]
    required_pull_request_reviews:
      required_approving_review_count: 1
      dismiss_stale_reviews: true
    enforce_admins: true
    required_linear_history: true
    required_conversation_resolution: true
    required_signatures: true
";

fn action(mock: &MockGitHub, policy: &str) -> ActionRun {
    ActionRun::new(BIN)
        .expect("runner")
        .env("GITHUB_API_URL", &mock.api_url())
        .env("GITHUB_REPOSITORY", "octo-org/web")
        .input("policy", policy)
        .input("token", TOKEN)
}

fn mock_with_web(checks: &[&str]) -> MockGitHub {
    let mock = MockGitHub::start("");
    mock.add_repo("octo-org/web", RepoState::with_main(checks));
    mock
}

fn report(result: &ActionResult) -> Value {
    serde_json::from_str(result.output("report")).expect("report is JSON")
}

fn warnings(result: &ActionResult) -> Vec<&str> {
    result
        .stdout
        .lines()
        .filter(|l| l.starts_with("::warning::"))
        .collect()
}

#[test]
fn first_apply_writes_everything_and_a_rerun_writes_nothing() {
    let mock = mock_with_web(&["test", "lint"]);
    let run = action(&mock, POLICY);

    let first = run.run().expect("run");
    first.assert_success();
    assert_eq!(first.output("changed"), "true");
    assert_eq!(
        mock.writes(),
        [
            "PUT /repos/octo-org/web/branches/main/protection",
            "POST /repos/octo-org/web/branches/main/protection/required_signatures"
        ]
    );
    let branch = mock.repo("octo-org/web").branches["main"].clone();
    let stored = branch.protection.expect("protected");
    assert_eq!(
        stored["required_status_checks"],
        json!({"strict": true, "checks": [{"context": "test"}, {"context": "lint", "app_id": -1}]})
    );
    assert_eq!(stored["enforce_admins"], true);
    assert_eq!(stored["restrictions"], Value::Null);
    assert!(branch.signatures);
    assert!(
        first.summary.contains("| `protected` | `false` | `true` |"),
        "{}",
        first.summary
    );
    assert!(
        first
            .summary
            .contains("| `required_status_checks.checks` | — | `lint (any app), test` |"),
        "{}",
        first.summary
    );
    assert!(warnings(&first).is_empty(), "{}", first.stdout);

    let second = run.run().expect("run");
    second.assert_success();
    assert_eq!(second.output("changed"), "false");
    assert_eq!(second.output("differences"), "false");
    assert_eq!(
        mock.writes().len(),
        2,
        "the rerun wrote: {:?}",
        mock.writes()
    );
    assert_eq!(report(&second)[0]["result"], "unchanged");
    assert!(
        second.summary.contains("`main`: matches the policy."),
        "{}",
        second.summary
    );
    mock.assert_no_violations();
}

#[test]
fn drift_is_corrected_field_by_field() {
    let mock = mock_with_web(&["test", "lint"]);
    let run = action(&mock, POLICY);
    run.run().expect("run").assert_success();
    mock.edit_repo("octo-org/web", |repo| {
        let branch = repo.branches.get_mut("main").expect("main");
        let protection = branch.protection.as_mut().expect("protected");
        protection["enforce_admins"] = json!(false);
        protection["required_status_checks"]["checks"] = json!([{"context": "test"}]);
        branch.signatures = false;
    });

    let result = run.run().expect("run");
    result.assert_success();
    assert_eq!(result.output("changed"), "true");
    for row in [
        "| `enforce_admins` | `false` | `true` |",
        "| `required_status_checks.checks` | `test` | `lint (any app), test` |",
        "| `required_signatures` | `false` | `true` |",
    ] {
        assert!(
            result.summary.contains(row),
            "{row} missing:\n{}",
            result.summary
        );
    }
    let changes = &report(&result)[0]["branches"][0]["changes"];
    assert_eq!(changes.as_array().map(Vec::len), Some(3), "{changes}");
    let branch = mock.repo("octo-org/web").branches["main"].clone();
    assert_eq!(
        branch.protection.expect("protected")["enforce_admins"],
        true
    );
    assert!(branch.signatures);
    assert_eq!(mock.writes().len(), 4);
    mock.assert_no_violations();
}

#[test]
fn a_dry_run_shows_the_difference_and_writes_nothing() {
    let mock = mock_with_web(&["test", "lint"]);
    let result = action(&mock, POLICY)
        .input("dry-run", "true")
        .run()
        .expect("run");
    result.assert_success();
    assert_eq!(result.output("changed"), "false");
    assert_eq!(result.output("differences"), "true");
    assert_eq!(report(&result)[0]["result"], "would-change");
    assert!(
        result.summary.contains("classic, dry run"),
        "{}",
        result.summary
    );
    assert!(result.summary.contains("| `enforce_admins` | — | `true` |"));
    assert_eq!(mock.writes(), Vec::<String>::new());
    assert!(
        mock.repo("octo-org/web").branches["main"]
            .protection
            .is_none()
    );
}

#[test]
fn rulesets_are_created_once_then_updated_by_name_leaving_the_organisations_alone() {
    let mock = mock_with_web(&["test"]);
    let org_body = json!({"name": "branch-protect: main", "target": "branch", "enforcement": "active",
                          "conditions": {"ref_name": {"include": ["~ALL"], "exclude": []}},
                          "rules": [{"type": "deletion"}]});
    let org_id = mock.add_org_ruleset("octo-org/web", org_body.clone());
    let policy = "branches:\n  main:\n    required_status_checks: {checks: [test]}\n    required_pull_request_reviews: {required_approving_review_count: 1}\n";
    let run = |policy: &str| {
        action(&mock, policy)
            .input("backend", "rulesets")
            .run()
            .expect("run")
    };

    let created = run(policy);
    created.assert_success();
    assert_eq!(created.output("changed"), "true");
    assert_eq!(mock.writes(), ["POST /repos/octo-org/web/rulesets"]);
    let own = |mock: &MockGitHub| -> Vec<mock::StoredRuleset> {
        mock.repo("octo-org/web")
            .rulesets
            .into_iter()
            .filter(|r| r.source_type == "Repository")
            .collect()
    };
    let rulesets = own(&mock);
    assert_eq!(rulesets.len(), 1);
    assert_eq!(
        rulesets[0].body["conditions"]["ref_name"]["include"],
        json!(["refs/heads/main"])
    );

    let again = run(policy);
    again.assert_success();
    assert_eq!(again.output("changed"), "false");
    assert_eq!(mock.writes().len(), 1, "{:?}", mock.writes());

    let stricter = run(&policy.replace(
        "required_approving_review_count: 1",
        "required_approving_review_count: 2",
    ));
    stricter.assert_success();
    assert_eq!(
        mock.writes()[1],
        format!("PUT /repos/octo-org/web/rulesets/{}", rulesets[0].id)
    );
    assert!(
        stricter
            .summary
            .contains("| `rules.pull_request.required_approving_review_count` | `1` | `2` |"),
        "{}",
        stricter.summary
    );
    let rulesets = own(&mock);
    assert_eq!(rulesets.len(), 1, "no duplicate ruleset");
    let org = mock
        .repo("octo-org/web")
        .rulesets
        .into_iter()
        .find(|r| r.id == org_id)
        .expect("org ruleset");
    assert_eq!(org.body, org_body);
    mock.assert_no_violations();
}

#[test]
fn a_never_seen_check_is_a_warning_listing_the_closest_names_first() {
    let mock = mock_with_web(&["test", "lint", "build"]);
    mock.edit_repo("octo-org/web", |repo| {
        // A status reported only on a pull request's head counts as seen.
        repo.pulls.push(("main".into(), "feedbee1".into()));
        repo.reported
            .insert("feedbee1".into(), (vec![], vec!["ci/preview".into()]));
    });
    let policy =
        "branches:\n  main:\n    required_status_checks: {checks: [tset, lint, ci/preview]}\n";

    let warned = action(&mock, policy).run().expect("run");
    warned.assert_success();
    let lines = warnings(&warned);
    assert_eq!(lines.len(), 1, "{}", warned.stdout);
    assert!(
        lines[0].contains("octo-org/web: required check 'tset' has never been reported on the last 2 commits and pull-request heads of main"),
        "{}",
        lines[0]
    );
    assert!(
        lines[0].contains("Seen (closest first): test, "),
        "{}",
        lines[0]
    );
    let unseen: Value = serde_json::from_str(warned.output("unseen-checks")).expect("JSON");
    assert_eq!(unseen[0]["check"], "tset");
    assert_eq!(unseen[0]["closest"][0], "test");
    assert_eq!(warned.output("changed"), "true");

    let strict = MockGitHub::start("");
    strict.add_repo("octo-org/web", RepoState::with_main(&["test", "lint"]));
    let failed = action(&strict, policy)
        .input("fail-on-unseen-checks", "true")
        .run()
        .expect("run");
    let errors = failed.assert_failure();
    assert!(
        errors[0].contains("required check 'tset' has never been reported"),
        "{}",
        errors[0]
    );
    assert!(errors[0].contains("nothing was written"), "{}", errors[0]);
    assert_eq!(strict.writes(), Vec::<String>::new());
}

#[test]
fn a_matrix_job_name_is_caught() {
    let mock = mock_with_web(&["test (ubuntu-latest)", "test (windows-latest)", "lint"]);
    let result = action(
        &mock,
        "branches:\n  main:\n    required_status_checks: {checks: [test]}\n",
    )
    .run()
    .expect("run");
    result.assert_success();
    let lines = warnings(&result);
    assert_eq!(lines.len(), 1, "{}", result.stdout);
    assert!(lines[0].contains("It looks like a matrix job, whose runs report as 'test (ubuntu-latest)', 'test (windows-latest)'"), "{}", lines[0]);
}

/// A change to a repository's state.
type Edit = fn(&mut RepoState);

#[test]
fn what_users_hit_gets_an_error_that_says_what_to_do() {
    let cases: [(&str, Edit, &str); 4] = [
        (
            "integration token",
            |r| r.integration_forbidden = true,
            "the token cannot administer octo-org/web; branch protection and rulesets need a repository administrator's token",
        ),
        (
            "no admin",
            |r| r.admin = Some(false),
            "\"Administration: Read and write\"",
        ),
        (
            "free plan",
            |r| r.plan_without_protection = true,
            "octo-org/web is a private repository on a plan without branch protection or rulesets (Upgrade to GitHub Pro",
        ),
        (
            "missing branch",
            |r| {
                r.branches.remove("main");
            },
            "branch 'main': the branch does not exist in octo-org/web",
        ),
    ];
    for (name, edit, expected) in cases {
        let mock = mock_with_web(&["test", "lint"]);
        mock.edit_repo("octo-org/web", edit);
        let result = action(&mock, POLICY).run().expect("run");
        let errors = result.assert_failure();
        assert!(errors[0].contains(expected), "{name}: {}", errors[0]);
        assert_eq!(mock.writes(), Vec::<String>::new(), "{name}");
        assert_eq!(report(&result)[0]["result"], "failed", "{name}");
    }

    let mock = mock_with_web(&["test", "lint"]);
    let result = action(&mock, POLICY)
        .input("token", "ghp_wrong")
        .run()
        .expect("run");
    let errors = result.assert_failure();
    assert!(errors[0].contains("GitHub answered 401 to GET /repos/octo-org/web (Bad credentials): the token is not valid"), "{}", errors[0]);
    let leaked = result
        .stdout
        .lines()
        .filter(|l| l.contains("ghp_wrong") && !l.starts_with("::add-mask::"))
        .count();
    assert_eq!(leaked, 0, "the token is masked:\n{}", result.stdout);

    let mock = mock_with_web(&["test"]);
    mock.edit_repo("octo-org/web", |r| r.organisation = false);
    let result = action(
        &mock,
        "branches:\n  main:\n    restrictions: {users: [octocat]}\n",
    )
    .run()
    .expect("run");
    let errors = result.assert_failure();
    assert!(
        errors[0].contains(
            "branch 'main': restrictions: push restrictions exist only in organisation repositories"
        ),
        "{}",
        errors[0]
    );
}

#[test]
fn rate_limits_are_waited_out_as_the_headers_say() {
    let mock = mock_with_web(&["test", "lint"]);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs();
    let limited = |status: u16, headers: Vec<(String, String)>| StubResponse {
        status,
        headers: [
            vec![("content-type".to_owned(), "application/json".to_owned())],
            headers,
        ]
        .concat(),
        body: json!({"message": "API rate limit exceeded"}).to_string(),
    };
    mock.fail_next(
        "GET",
        "/branches/main/protection",
        1,
        limited(
            403,
            vec![
                ("x-ratelimit-remaining".into(), "0".into()),
                (
                    "x-ratelimit-reset".into(),
                    now.saturating_sub(1).to_string(),
                ),
            ],
        ),
    );
    mock.fail_next(
        "PUT",
        "/branches/main/protection",
        1,
        limited(429, vec![("retry-after".into(), "0".into())]),
    );

    let result = action(&mock, POLICY).run().expect("run");
    result.assert_success();
    assert_eq!(result.output("changed"), "true");
    let retried = result
        .stdout
        .lines()
        .filter(|l| l.starts_with("GitHub answered") && l.contains("waiting 0 s as it says"))
        .count();
    assert_eq!(retried, 2, "{}", result.stdout);
    let puts = mock
        .calls()
        .iter()
        .filter(|c| *c == "PUT /repos/octo-org/web/branches/main/protection")
        .count();
    assert_eq!(puts, 2, "the limited PUT was sent again");
    assert!(
        mock.repo("octo-org/web").branches["main"]
            .protection
            .is_some()
    );
    mock.assert_no_violations();
}

#[test]
fn several_repositories_each_get_their_own_result() {
    let mock = mock_with_web(&["test", "lint"]);
    let mut private = RepoState::with_main(&["test", "lint"]);
    private.plan_without_protection = true;
    mock.add_repo("octo-org/secret", private);
    mock.add_repo("octo-org/api", RepoState::with_main(&["test", "lint"]));

    let result = action(&mock, POLICY)
        .input(
            "repositories",
            "octo-org/web\nocto-org/secret\n# a comment\nocto-org/api",
        )
        .run()
        .expect("run");
    let errors = result.assert_failure();
    assert!(errors[0].starts_with("1 of 3 repositories failed: octo-org/secret: branch 'main': octo-org/secret is a private repository"), "{}", errors[0]);
    let report = report(&result);
    let results: Vec<(&str, &str)> = report
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|r| Some((r["repository"].as_str()?, r["result"].as_str()?)))
        .collect();
    assert_eq!(
        results,
        [
            ("octo-org/web", "changed"),
            ("octo-org/secret", "failed"),
            ("octo-org/api", "changed")
        ]
    );
    assert_eq!(result.output("changed"), "true");
    for repo in ["octo-org/web", "octo-org/api"] {
        assert!(
            mock.repo(repo).branches["main"].protection.is_some(),
            "{repo}"
        );
    }
    assert!(
        result.summary.contains("#### `octo-org/secret`: failed"),
        "{}",
        result.summary
    );
    mock.assert_no_violations();
}

#[test]
fn github_enterprise_server_keeps_its_api_prefix() {
    let mock = MockGitHub::start("/api/v3");
    mock.add_repo("octo-org/web", RepoState::with_main(&["test", "lint"]));
    let result = action(&mock, POLICY).run().expect("run");
    result.assert_success();
    let calls = mock.calls();
    assert!(calls.len() > 4, "{calls:?}");
    assert!(
        calls.iter().all(|c| c
            .split(' ')
            .nth(1)
            .is_some_and(|p| p.starts_with("/api/v3/repos/"))),
        "{calls:?}"
    );
    assert!(
        mock.repo("octo-org/web").branches["main"]
            .protection
            .is_some()
    );
    mock.assert_no_violations();
}

#[test]
fn the_policy_can_be_a_file_in_the_workspace() {
    let mock = mock_with_web(&["test", "lint"]);
    let run = action(&mock, ".github/protection.yml");
    std::fs::create_dir_all(run.workspace_dir().join(".github")).expect("dir");
    std::fs::write(run.workspace_dir().join(".github/protection.yml"), POLICY).expect("write");
    let result = run.run().expect("run");
    result.assert_success();
    assert_eq!(result.output("changed"), "true");

    let missing = action(&mock, "protection.yml").run().expect("run");
    let errors = missing.assert_failure();
    assert!(
        errors[0].starts_with("input 'policy': cannot read the policy file 'protection.yml'"),
        "{}",
        errors[0]
    );
}

#[test]
fn the_manifest_matches_the_code() {
    let path = test_harness::workspace_root().join("actions/branch-protect/action.yml");
    test_harness::check_manifest(&branch_protect::SPEC, &path).expect("action.yml");
}
