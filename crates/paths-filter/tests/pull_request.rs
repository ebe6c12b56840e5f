//! Pull requests: files from the GitHub REST API (against a local stub of the endpoint), all
//! pages, renames split as dorny does, and the git fallback past the API's 3000-file limit.

mod common;

use common::{Change, Scenario};
use test_harness::{ActionRun, StubResponse, StubServer};

/// A stub of `GET /repos/octo/monorepo/pulls/7/files` serving `files` 100 a page.
fn files_endpoint(files: Vec<serde_json::Value>) -> StubServer {
    StubServer::start(move |request| {
        if request.path() != "/repos/octo/monorepo/pulls/7/files" {
            return StubResponse::json(404, &serde_json::json!({"message": "Not Found"}));
        }
        let query = request
            .path_and_query
            .split_once('?')
            .map(|(_, q)| q)
            .unwrap_or("");
        let param = |name: &str| {
            query
                .split('&')
                .find_map(|kv| kv.strip_prefix(&format!("{name}=")))
                .and_then(|v| v.parse::<usize>().ok())
        };
        let (page, per_page) = (param("page").unwrap_or(1), param("per_page").unwrap_or(30));
        let slice: Vec<_> = files
            .iter()
            .skip((page - 1) * per_page)
            .take(per_page)
            .cloned()
            .collect();
        StubResponse::json(200, &serde_json::Value::Array(slice))
    })
    .expect("stub")
}

fn file(name: &str, status: &str) -> serde_json::Value {
    serde_json::json!({"filename": name, "status": status})
}

fn pr_payload(base: &str, head: &str) -> serde_json::Value {
    serde_json::json!({
        "repository": {"default_branch": "main"},
        "pull_request": {"number": 7, "base": {"sha": base}, "head": {"sha": head}},
    })
}

/// A pull-request run that reads the files from `stub`, in a workspace without a checkout.
fn api_run(stub: &StubServer, workspace: &std::path::Path, token: &str) -> ActionRun {
    ActionRun::new(common::BIN)
        .expect("runner")
        .workspace(workspace)
        .event(
            "pull_request",
            &pr_payload(&"a".repeat(40), &"b".repeat(40)),
        )
        .expect("event")
        .env("GITHUB_API_URL", &stub.url())
        .env("GITHUB_REPOSITORY", "octo/monorepo")
        .input("token", token)
        .input("filters", FILTERS)
}

const FILTERS: &str =
    "backend:\n  - 'backend/**'\nfrontend:\n  - 'frontend/**'\ndocs:\n  - deleted: 'docs/**'\n";

#[test]
fn files_come_from_every_page_of_the_api_without_a_checkout() {
    let mut files: Vec<serde_json::Value> = (0..248)
        .map(|i| file(&format!("frontend/f{i:03}.ts"), "modified"))
        .collect();
    files.push(serde_json::json!({"filename": "backend/new.py", "status": "renamed", "previous_filename": "docs/old.md"}));
    files.push(file("docs/gone.md", "removed"));
    let stub = files_endpoint(files);
    let empty_workspace = tempfile::tempdir().expect("tempdir");
    let result = api_run(&stub, empty_workspace.path(), "ghs_secret_token")
        .input("list-files", "json")
        .run()
        .expect("run");
    result.assert_success();
    assert_eq!(result.output("frontend_count"), "248");
    assert_eq!(result.output("backend_files"), "[\"backend/new.py\"]");
    assert_eq!(
        result.output("docs_files"),
        "[\"docs/old.md\",\"docs/gone.md\"]"
    );
    let requests = stub.requests();
    let pages: Vec<&str> = requests.iter().map(|r| r.path_and_query.as_str()).collect();
    assert_eq!(
        pages,
        [
            "/repos/octo/monorepo/pulls/7/files?per_page=100&page=1",
            "/repos/octo/monorepo/pulls/7/files?per_page=100&page=2",
            "/repos/octo/monorepo/pulls/7/files?per_page=100&page=3",
        ]
    );
    assert!(
        requests
            .iter()
            .all(|r| r.header("authorization") == Some("Bearer ghs_secret_token"))
    );
    assert!(
        !result
            .stdout
            .replace("::add-mask::ghs_secret_token", "")
            .contains("ghs_secret_token")
    );
}

#[test]
fn a_pull_request_at_the_api_limit_falls_back_to_git() {
    let s = Scenario::new(&[("backend/app.py", "1\n"), ("frontend/main.ts", "1\n")]);
    let base = s.clone.head().expect("head");
    s.clone
        .git(&["checkout", "--quiet", "-b", "big"])
        .expect("branch");
    let many: Vec<(String, String)> = (0..3005)
        .map(|i| (format!("frontend/gen/f{i}.ts"), "x\n".to_owned()))
        .collect();
    let writes: Vec<(&str, &str)> = many.iter().map(|(p, c)| (p.as_str(), c.as_str())).collect();
    s.commit(&Change {
        write: writes,
        ..Change::default()
    });
    let head = s.commit(&Change {
        write: vec![("backend/app.py", "2\n")],
        ..Change::default()
    });
    s.push("big");
    // The API answers 3000 entries (its limit) and stops.
    let listed: Vec<serde_json::Value> = (0..3000)
        .map(|i| file(&format!("frontend/gen/f{i}.ts"), "added"))
        .collect();
    let stub = files_endpoint(listed);
    let result = s
        .run("pull_request", &pr_payload(&base, &head), "big", FILTERS)
        .env("GITHUB_API_URL", &stub.url())
        .input("token", "ghs_token")
        .run()
        .expect("run");
    result.assert_success();
    assert_eq!(stub.requests().len(), 30, "30 pages of 100, then the limit");
    assert_eq!(result.output("frontend_count"), "3005");
    assert_eq!(
        result.output("backend"),
        "true",
        "the change past the API's limit is seen"
    );
    assert!(
        result
            .stdout
            .contains("::warning::The GitHub API lists at most 3000 files"),
        "{}",
        result.stdout
    );
    assert!(
        result.summary.contains("past the API's limit"),
        "{}",
        result.summary
    );
}

#[test]
fn api_errors_are_reported() {
    let stub = StubServer::start(|_| {
        StubResponse::json(
            403,
            &serde_json::json!({"message": "Resource not accessible by integration"}),
        )
    })
    .expect("stub");
    let empty_workspace = tempfile::tempdir().expect("tempdir");
    let result = api_run(&stub, empty_workspace.path(), "ghs_forbidden")
        .run()
        .expect("run");
    let errors = result.assert_failure();
    assert!(
        errors[0].starts_with("Fetching list of changed files for PR#7 from GitHub API failed"),
        "{errors:?}"
    );
    assert!(
        errors[0].contains("Resource not accessible by integration"),
        "{errors:?}"
    );
}
