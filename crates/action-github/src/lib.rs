//! GitHub REST client setup shared by the suite's actions.
//!
//! The token comes from the action's token input (`token` or `github-token`, whichever it
//! declares), else `GITHUB_TOKEN`; it is masked at once. The base URL is `GITHUB_API_URL`, which
//! the runner sets to `https://api.github.com` or, on GitHub Enterprise Server, to
//! `https://<host>/api/v3` (the path prefix is kept); tests point it at a local mock.

use action_kit::Runner;
use anyhow::{Context as _, bail};
use octocrab::Octocrab;

/// The names a token input goes by in the suite (and in the actions it replaces).
const TOKEN_INPUTS: [&str; 2] = ["token", "github-token"];

/// The token for this run, if any: the declared token input, else `GITHUB_TOKEN`.
pub fn token(runner: &Runner) -> anyhow::Result<Option<String>> {
    for name in TOKEN_INPUTS
        .into_iter()
        .filter(|name| runner.spec().input(name).is_some())
    {
        if let Some(token) = runner.inputs().get(name)? {
            return Ok(Some(token));
        }
    }
    Ok(runner.env().non_empty("GITHUB_TOKEN").map(str::to_owned))
}

/// A client for the GitHub REST API of this run, authenticated with [`token`].
pub fn client(runner: &Runner) -> anyhow::Result<Octocrab> {
    let Some(token) = token(runner)? else {
        bail!(
            "no GitHub token: set the action's token input (for example `token: ${{{{ github.token }}}}`) or GITHUB_TOKEN"
        );
    };
    runner.console().add_mask(&token);
    client_for(&runner.github().api_url, token)
}

/// A client for the REST API at `api_url` with a token.
pub fn client_for(api_url: &str, token: String) -> anyhow::Result<Octocrab> {
    Octocrab::builder()
        .base_uri(api_url)
        .with_context(|| format!("GITHUB_API_URL is not a valid URL: {api_url}"))?
        .personal_token(token)
        .build()
        .context("cannot build the GitHub client")
}
