//! Malformed policies and inputs: each is one error naming what is wrong, before any request.

use crate::{action, mock_with_web};

/// (what is wrong, backend, policy, a part of the error).
const CASES: &[(&str, &str, &str, &str)] = &[
    (
        "unknown key",
        "classic",
        "branches:\n  main:\n    enforce_admin: true\n",
        "unknown field `enforce_admin`, expected one of",
    ),
    (
        "unknown key in a section",
        "classic",
        "branches:\n  main:\n    required_pull_request_reviews: {required_approvals: 2}\n",
        "unknown field `required_approvals`",
    ),
    (
        "unknown key in a check",
        "classic",
        "branches:\n  main:\n    required_status_checks: {checks: [{context: test, app: 1}]}\n",
        "a check: unknown field `app`, expected `context` or `app_id`",
    ),
    (
        "unknown top-level key",
        "classic",
        "branches: {main: {}}\nbranch_protection: {}\n",
        "unknown field `branch_protection`, expected `branches`",
    ),
    (
        "no branches key",
        "classic",
        "main:\n  enforce_admins: true\n",
        "unknown field `main`, expected `branches`",
    ),
    (
        "empty branches",
        "classic",
        "branches: {}\n",
        "`branches` is empty: declare at least one branch",
    ),
    (
        "yes is not a boolean",
        "classic",
        "branches:\n  main:\n    enforce_admins: yes\n",
        "branches.main.enforce_admins: invalid type: string \"yes\", expected a boolean",
    ),
    (
        "too many approvals",
        "classic",
        "branches:\n  main:\n    required_pull_request_reviews: {required_approving_review_count: 7}\n",
        "branch 'main': required_pull_request_reviews.required_approving_review_count: 7 is more than classic allows (6)",
    ),
    (
        "no checks listed",
        "classic",
        "branches:\n  main:\n    required_status_checks: {strict: true}\n",
        "branch 'main': required_status_checks.checks: is empty",
    ),
    (
        "a check listed twice",
        "classic",
        "branches:\n  main:\n    required_status_checks: {checks: [test, test]}\n",
        "branch 'main': required_status_checks.checks: 'test' is listed twice",
    ),
    (
        "app id zero",
        "classic",
        "branches:\n  main:\n    required_status_checks: {checks: [{context: test, app_id: 0}]}\n",
        "'test': app_id 0 is not an app",
    ),
    (
        "a pattern with classic",
        "classic",
        "branches:\n  'release/*': {}\n",
        "branch 'release/*': classic protection takes one existing branch name",
    ),
    (
        "refs/heads prefix",
        "rulesets",
        "branches:\n  refs/heads/main: {}\n",
        "branch 'refs/heads/main': write the branch name without `refs/heads/`",
    ),
    (
        "restrictions with rulesets",
        "rulesets",
        "branches:\n  main:\n    restrictions: {users: [octocat]}\n",
        "branch 'main': restrictions: push restrictions are classic protection only",
    ),
    (
        "ruleset name with classic",
        "classic",
        "branches:\n  main:\n    ruleset_name: protect main\n",
        "branch 'main': ruleset_name: applies to `backend: rulesets` only",
    ),
    (
        "unknown enforcement",
        "rulesets",
        "branches:\n  main:\n    enforcement: enforced\n",
        "unknown variant `enforced`, expected one of `active`, `disabled`, `evaluate`",
    ),
    (
        "the same ruleset name twice",
        "rulesets",
        "branches:\n  main: {ruleset_name: protect}\n  develop: {ruleset_name: protect}\n",
        "branch 'develop': ruleset_name: 'protect' is used by another branch of the policy",
    ),
    (
        "a branch declared twice",
        "classic",
        "branches:\n  main: {}\n  main: {enforce_admins: true}\n",
        "branch 'main' is declared twice",
    ),
    (
        "block creations without restrictions",
        "classic",
        "branches:\n  main: {block_creations: true}\n",
        "branch 'main': block_creations: classic protection blocks creations only together with `restrictions`",
    ),
    (
        "an unknown special target",
        "rulesets",
        "branches:\n  '~DEFAULT': {}\n",
        "the only special targets are `~DEFAULT_BRANCH` and `~ALL`",
    ),
    (
        "not YAML",
        "classic",
        "branches: [main\n",
        "input 'policy': ",
    ),
];

#[test]
fn malformed_policies_are_named_and_nothing_is_requested() {
    let mock = mock_with_web(&["test"]);
    for (what, backend, policy, expected) in CASES {
        let result = action(&mock, policy)
            .input("backend", backend)
            .run()
            .expect("run");
        let errors = result.assert_failure();
        assert!(
            errors[0].starts_with("input 'policy': "),
            "{what}: {}",
            errors[0]
        );
        assert!(errors[0].contains(expected), "{what}: {}", errors[0]);
    }
    assert_eq!(mock.calls(), Vec::<String>::new());
}

#[test]
fn malformed_inputs_are_named_and_nothing_is_requested() {
    let mock = mock_with_web(&["test"]);
    let cases = [
        (
            "backend",
            "ruleset",
            "input 'backend': expected one of classic, rulesets, got 'ruleset'",
        ),
        (
            "repositories",
            "octo-org",
            "input 'repositories': expected `owner/name`, got 'octo-org'",
        ),
        (
            "dry-run",
            "yes",
            "input 'dry-run': expected true or false, got 'yes'",
        ),
        (
            "check-lookback-commits",
            "500",
            "input 'check-lookback-commits': expected at most 100, got 500",
        ),
    ];
    for (input, value, expected) in cases {
        let result = action(&mock, "branches: {main: {}}")
            .input(input, value)
            .run()
            .expect("run");
        let errors = result.assert_failure();
        assert_eq!(errors[0], expected, "{input}");
    }
    assert_eq!(mock.calls(), Vec::<String>::new());
}
