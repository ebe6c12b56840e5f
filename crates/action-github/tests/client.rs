//! The GitHub client: token sources, masking, and a GitHub Enterprise base URL with its path.

use action_kit::{ActionSpec, Console, InputSpec, Runner, RunnerEnv};
use test_harness::{StubResponse, StubServer};

static SPEC: ActionSpec = ActionSpec {
    name: "t",
    description: "t",
    input_groups: &[&[InputSpec::with_default(
        "token",
        "Token.",
        "${{ github.token }}",
    )]],
    outputs: &[],
    dynamic_outputs: false,
};

#[tokio::test]
async fn requests_go_to_the_enterprise_prefix_with_the_input_token() {
    let stub =
        StubServer::start(|_| StubResponse::json(200, &serde_json::json!({"full_name": "o/r"})))
            .expect("stub");
    let env = RunnerEnv::from_pairs([
        ("GITHUB_API_URL", format!("{}/api/v3", stub.url())),
        ("INPUT_TOKEN", "ghs_input".to_owned()),
        ("GITHUB_TOKEN", "ghs_env".to_owned()),
    ]);
    let (console, printed) = Console::capture(false);
    let runner = Runner::new(&SPEC, env, console);
    let client = action_github::client(&runner).expect("client");
    let repo: serde_json::Value = client.get("/repos/o/r", None::<&()>).await.expect("GET");
    assert_eq!(repo["full_name"], "o/r");

    let requests = stub.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].path(), "/api/v3/repos/o/r");
    assert_eq!(
        requests[0].header("authorization"),
        Some("Bearer ghs_input")
    );
    assert_eq!(printed.text(), "::add-mask::ghs_input\n");
}

#[test]
fn falls_back_to_github_token_and_explains_a_missing_one() {
    let env = RunnerEnv::from_pairs([("GITHUB_TOKEN", "ghs_env")]);
    let runner = Runner::new(&SPEC, env, Console::capture(false).0);
    assert_eq!(
        action_github::token(&runner).expect("token").as_deref(),
        Some("ghs_env")
    );

    let runner = Runner::new(&SPEC, RunnerEnv::default(), Console::capture(false).0);
    let err = action_github::client(&runner).expect_err("no token");
    assert!(
        err.to_string()
            .starts_with("no GitHub token: set the action's token input"),
        "{err}"
    );
}
