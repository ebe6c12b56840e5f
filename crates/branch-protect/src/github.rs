//! The GitHub REST calls of this action, through octocrab's raw request methods with our own
//! serde types (octocrab has no typed protection or ruleset API).
//!
//! Every call goes through [`GitHub::send`], which waits and retries as GitHub's headers say
//! when it is rate limited (`retry-after`, or `x-ratelimit-remaining: 0` with
//! `x-ratelimit-reset`), retries a server error, and turns the answers users hit into errors that
//! say what to do: a token that cannot administer the repository (and the permission it needs),
//! a private repository on a plan without protection, a missing branch.

use std::collections::BTreeSet;
use std::time::Duration;

use action_kit::Console;
use anyhow::{Context as _, anyhow, bail};
use octocrab::Octocrab;
use octocrab::service::middleware::retry::RetryConfig;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::classic::{ProtectionRequest, ProtectionResponse};
use crate::rulesets::{RulesetRequest, RulesetResponse, RulesetSummary};

/// Tries per request, the first included.
const MAX_ATTEMPTS: u32 = 4;
/// The longest wait for a rate limit before giving up.
const MAX_WAIT: Duration = Duration::from_secs(15 * 60);
/// The wait before retrying a server error, or a 429 that gives no time.
const SERVER_ERROR_WAIT: Duration = Duration::from_secs(1);
const SECONDARY_LIMIT_WAIT: Duration = Duration::from_secs(60);
/// The REST API version the bodies are written for.
const API_VERSION: &str = "2022-11-28";

/// What a token needs, said in every permission error.
pub const PERMISSION_HINT: &str = "branch protection and rulesets need a repository administrator's token: a fine-grained personal access token or a GitHub App installation token with the repository permission \"Administration: Read and write\", or a classic personal access token with the `repo` scope of a repository admin. The workflow's GITHUB_TOKEN cannot be given that permission.";

/// A repository, `owner/name`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Repo {
    /// The owner.
    pub owner: String,
    /// The name.
    pub name: String,
}

impl Repo {
    /// Parses `owner/name`.
    pub fn parse(text: &str) -> Option<Self> {
        let (owner, name) = text.split_once('/')?;
        let valid = |part: &str| {
            !part.is_empty()
                && part
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        };
        (valid(owner) && valid(name)).then(|| Self {
            owner: owner.to_owned(),
            name: name.to_owned(),
        })
    }

    fn path(&self) -> String {
        format!("/repos/{}/{}", self.owner, self.name)
    }
}

impl std::fmt::Display for Repo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.owner, self.name)
    }
}

/// What the action reads of a repository.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct RepoInfo {
    /// Its default branch.
    pub default_branch: String,
    /// The token's permissions on it (absent for some tokens, such as an app's).
    #[serde(default)]
    pub permissions: Option<Permissions>,
    /// Its owner.
    pub owner: Owner,
}

/// `permissions` of a repository.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct Permissions {
    /// Whether the token may administer it.
    #[serde(default)]
    pub admin: bool,
}

/// `owner` of a repository.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct Owner {
    /// `User` or `Organization`.
    #[serde(rename = "type", default)]
    pub kind: String,
}

/// An HTTP method this action uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Method {
    Get,
    Put,
    Post,
    Delete,
}

impl Method {
    fn as_str(self) -> &'static str {
        match self {
            Self::Get => "GET",
            Self::Put => "PUT",
            Self::Post => "POST",
            Self::Delete => "DELETE",
        }
    }
}

/// An answer, whatever its status.
#[derive(Debug)]
struct Answer {
    status: u16,
    body: String,
}

impl Answer {
    /// GitHub's `message`, or the body.
    fn message(&self) -> String {
        let parsed: Option<Value> = serde_json::from_str(&self.body).ok();
        let message = parsed
            .as_ref()
            .and_then(|v| v.get("message"))
            .and_then(Value::as_str)
            .map(str::to_owned)
            .unwrap_or_else(|| self.body.trim().to_owned());
        let details = parsed
            .as_ref()
            .and_then(|v| v.get("errors"))
            .filter(|e| !e.is_null())
            .map(|e| format!(" ({e})"))
            .unwrap_or_default();
        format!("{message}{details}")
    }
}

/// The REST API of one GitHub (github.com or an Enterprise Server).
#[derive(Debug)]
pub struct GitHub<'a> {
    client: Octocrab,
    console: &'a Console,
}

impl<'a> GitHub<'a> {
    /// A client for `api_url` (kept with its path, e.g. `https://ghe.example.com/api/v3`).
    pub fn new(api_url: &str, token: String, console: &'a Console) -> anyhow::Result<Self> {
        let client = Octocrab::builder()
            // Retries are ours: they wait as the rate-limit headers say, and say so in the log.
            .add_retry_config(RetryConfig::None)
            .add_header(
                http::HeaderName::from_static("x-github-api-version"),
                API_VERSION.to_owned(),
            )
            .base_uri(api_url)
            .with_context(|| format!("GITHUB_API_URL is not a valid URL: {api_url}"))?
            .personal_token(token)
            .build()
            .context("cannot build the GitHub client")?;
        Ok(Self { client, console })
    }

    /// Sends a request, waiting and retrying while GitHub says to.
    async fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> anyhow::Result<Answer> {
        let mut attempt = 1;
        loop {
            let response = match method {
                Method::Get => self.client._get(path).await,
                Method::Put => self.client._put(path, body).await,
                Method::Post => self.client._post(path, body).await,
                Method::Delete => self.client._delete(path, body).await,
            }
            .with_context(|| format!("{} {path}: no answer from GitHub", method.as_str()))?;
            let status = response.status().as_u16();
            let header = |name: &str| {
                response
                    .headers()
                    .get(name)
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_owned)
            };
            let wait = retry_wait(status, header, unix_now());
            let body = self
                .client
                .body_to_string(response)
                .await
                .with_context(|| {
                    format!("{} {path}: cannot read GitHub's answer", method.as_str())
                })?;
            let answer = Answer { status, body };
            let Some(wait) = wait else {
                return Ok(answer);
            };
            if attempt >= MAX_ATTEMPTS {
                bail!(
                    "{} {path}: GitHub still answered {status} after {MAX_ATTEMPTS} tries: {}",
                    method.as_str(),
                    answer.message()
                );
            }
            if wait > MAX_WAIT {
                bail!(
                    "{} {path}: GitHub's rate limit resets in {} s, more than {} minutes: run again later ({})",
                    method.as_str(),
                    wait.as_secs(),
                    MAX_WAIT.as_secs() / 60,
                    answer.message()
                );
            }
            self.console.info(&format!(
                "GitHub answered {status} to {} {path} ({}); waiting {} s as it says, then trying again ({} of {MAX_ATTEMPTS})",
                method.as_str(),
                answer.message(),
                wait.as_secs(),
                attempt + 1
            ));
            tokio::time::sleep(wait).await;
            attempt += 1;
        }
    }

    /// GETs JSON; a 404 is `None`.
    async fn get_json<T: DeserializeOwned>(
        &self,
        path: &str,
        repo: &Repo,
    ) -> anyhow::Result<Option<T>> {
        let answer = self.send(Method::Get, path, None).await?;
        match answer.status {
            404 => Ok(None),
            200..=299 => serde_json::from_str(&answer.body)
                .map(Some)
                .with_context(|| format!("GET {path}: unexpected answer from GitHub")),
            _ => Err(explain(Method::Get, path, repo, &answer)),
        }
    }

    /// Sends a body and checks the answer is a success (a 404 means the token may not write).
    async fn write(
        &self,
        method: Method,
        path: &str,
        repo: &Repo,
        body: Option<&impl Serialize>,
    ) -> anyhow::Result<Answer> {
        let body = body
            .map(serde_json::to_value)
            .transpose()
            .context("cannot encode the request")?;
        let answer = self.send(method, path, body.as_ref()).await?;
        if (200..300).contains(&answer.status) {
            Ok(answer)
        } else if answer.status == 404 {
            Err(anyhow!(
                "GitHub answered 404 to {} {path} ({}). GitHub answers 404 when the token cannot administer {repo}: {PERMISSION_HINT}",
                method.as_str(),
                answer.message()
            ))
        } else {
            Err(explain(method, path, repo, &answer))
        }
    }

    /// The repository: its default branch, owner kind and the token's permissions.
    pub async fn repository(&self, repo: &Repo) -> anyhow::Result<RepoInfo> {
        self.get_json(&repo.path(), repo)
            .await?
            .ok_or_else(|| anyhow!("repository {repo} was not found, or the token cannot see it"))
    }

    /// Whether a branch exists.
    pub async fn branch_exists(&self, repo: &Repo, branch: &str) -> anyhow::Result<bool> {
        let path = format!("{}/branches/{}", repo.path(), encode(branch, true));
        Ok(self.get_json::<Value>(&path, repo).await?.is_some())
    }

    /// The classic protection of a branch (`None`: not protected).
    pub async fn protection(
        &self,
        repo: &Repo,
        branch: &str,
    ) -> anyhow::Result<Option<ProtectionResponse>> {
        self.get_json(&protection_path(repo, branch), repo).await
    }

    /// Replaces the classic protection of a branch.
    pub async fn put_protection(
        &self,
        repo: &Repo,
        branch: &str,
        body: &ProtectionRequest,
    ) -> anyhow::Result<()> {
        self.write(
            Method::Put,
            &protection_path(repo, branch),
            repo,
            Some(body),
        )
        .await
        .map(drop)
    }

    /// Turns required signatures on (POST) or off (DELETE, 204 without a body).
    pub async fn set_signatures(&self, repo: &Repo, branch: &str, on: bool) -> anyhow::Result<()> {
        let path = format!("{}/required_signatures", protection_path(repo, branch));
        let method = if on { Method::Post } else { Method::Delete };
        self.write(method, &path, repo, None::<&()>).await.map(drop)
    }

    /// The rulesets listed for the repository (its own and its organisation's, without rules).
    pub async fn rulesets(&self, repo: &Repo) -> anyhow::Result<Vec<RulesetSummary>> {
        let mut all = Vec::new();
        for page in 1.. {
            let path = format!("{}/rulesets?per_page=100&page={page}", repo.path());
            let list: Vec<RulesetSummary> = self.get_json(&path, repo).await?.unwrap_or_default();
            let done = list.len() < 100;
            all.extend(list);
            if done {
                break;
            }
        }
        Ok(all)
    }

    /// One ruleset with its rules.
    pub async fn ruleset(&self, repo: &Repo, id: u64) -> anyhow::Result<RulesetResponse> {
        let path = format!("{}/rulesets/{id}", repo.path());
        self.get_json(&path, repo)
            .await?
            .ok_or_else(|| anyhow!("ruleset {id} of {repo} disappeared while being read"))
    }

    /// Creates a ruleset (`id: None`, POST) or replaces the one with that id (PUT).
    pub async fn save_ruleset(
        &self,
        repo: &Repo,
        id: Option<u64>,
        body: &RulesetRequest,
    ) -> anyhow::Result<()> {
        let (method, path) = match id {
            Some(id) => (Method::Put, format!("{}/rulesets/{id}", repo.path())),
            None => (Method::Post, format!("{}/rulesets", repo.path())),
        };
        self.write(method, &path, repo, Some(body)).await.map(drop)
    }

    /// The check-run names and commit-status contexts reported on the last `lookback` commits
    /// of `branch` and the heads of the last `lookback` pull requests into it, and how many
    /// commits that was.
    pub async fn reported_check_names(
        &self,
        repo: &Repo,
        branch: &str,
        lookback: u64,
    ) -> anyhow::Result<(BTreeSet<String>, usize)> {
        let commits_path = format!(
            "{}/commits?sha={}&per_page={lookback}",
            repo.path(),
            encode(branch, false)
        );
        let commits: Vec<Value> = self
            .get_json(&commits_path, repo)
            .await?
            .ok_or_else(|| anyhow!("branch '{branch}' does not exist in {repo}"))?;
        let pulls_path = format!(
            "{}/pulls?state=all&base={}&sort=updated&direction=desc&per_page={lookback}",
            repo.path(),
            encode(branch, false)
        );
        let pulls: Vec<Value> = self.get_json(&pulls_path, repo).await?.unwrap_or_default();
        let mut shas: Vec<String> = Vec::new();
        let found = commits
            .iter()
            .filter_map(|c| c.get("sha"))
            .chain(pulls.iter().filter_map(|p| p.pointer("/head/sha")))
            .filter_map(Value::as_str);
        for sha in found {
            if !shas.iter().any(|s| s == sha) {
                shas.push(sha.to_owned());
            }
        }
        let mut names = BTreeSet::new();
        for sha in &shas {
            let sha = encode(sha, false);
            let runs: Option<Value> = self
                .get_json(
                    &format!("{}/commits/{sha}/check-runs?per_page=100", repo.path()),
                    repo,
                )
                .await?;
            let statuses: Option<Value> = self
                .get_json(
                    &format!("{}/commits/{sha}/status?per_page=100", repo.path()),
                    repo,
                )
                .await?;
            let run_names = runs
                .iter()
                .filter_map(|r| r.get("check_runs")?.as_array())
                .flatten()
                .filter_map(|run| run.get("name")?.as_str());
            let contexts = statuses
                .iter()
                .filter_map(|s| s.get("statuses")?.as_array())
                .flatten()
                .filter_map(|status| status.get("context")?.as_str());
            names.extend(run_names.chain(contexts).map(str::to_owned));
        }
        Ok((names, shas.len()))
    }
}

fn protection_path(repo: &Repo, branch: &str) -> String {
    format!(
        "{}/branches/{}/protection",
        repo.path(),
        encode(branch, true)
    )
}

/// The error for an answer that is not a success, saying what the user can do about it.
fn explain(method: Method, path: &str, repo: &Repo, answer: &Answer) -> anyhow::Error {
    let message = answer.message();
    let what = format!(
        "GitHub answered {} to {} {path}",
        answer.status,
        method.as_str()
    );
    match answer.status {
        401 => anyhow!("{what} ({message}): the token is not valid; check the `token` input"),
        403 if message.contains("Upgrade to GitHub Pro")
            || message.contains("make this repository public") =>
        {
            anyhow!(
                "{repo} is a private repository on a plan without branch protection or rulesets ({message}): make it public, or move the owner to GitHub Pro, Team or Enterprise"
            )
        }
        403 => anyhow!("{what} ({message}): the token cannot administer {repo}; {PERMISSION_HINT}"),
        _ => anyhow!("{what}: {message}"),
    }
}

/// How long to wait before trying again, if GitHub's answer says to: a rate limit (403 or 429
/// with `retry-after`, or with `x-ratelimit-remaining: 0` and `x-ratelimit-reset`), a 429
/// without either (a minute, as GitHub advises), or a server error.
pub fn retry_wait(
    status: u16,
    header: impl Fn(&str) -> Option<String>,
    now: u64,
) -> Option<Duration> {
    let number = |name: &str| header(name).and_then(|v| v.trim().parse::<u64>().ok());
    match status {
        403 | 429 => {
            if let Some(seconds) = number("retry-after") {
                Some(Duration::from_secs(seconds))
            } else if number("x-ratelimit-remaining") == Some(0) {
                number("x-ratelimit-reset")
                    .map(|reset| Duration::from_secs(reset.saturating_sub(now)))
                    .or(Some(SECONDARY_LIMIT_WAIT))
            } else if status == 429 {
                Some(SECONDARY_LIMIT_WAIT)
            } else {
                None
            }
        }
        500 | 502 | 503 | 504 => Some(SERVER_ERROR_WAIT),
        _ => None,
    }
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Percent-encodes a path segment or query value (keeping `/` in a branch name's path).
fn encode(text: &str, keep_slash: bool) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        let keep = byte.is_ascii_alphanumeric()
            || matches!(byte, b'-' | b'.' | b'_' | b'~')
            || (keep_slash && byte == b'/');
        if keep {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| {
            pairs
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| (*v).to_owned())
        }
    }

    #[test]
    fn rate_limits_wait_as_the_headers_say() {
        assert_eq!(
            retry_wait(429, headers(&[("retry-after", "7")]), 0),
            Some(Duration::from_secs(7))
        );
        assert_eq!(
            retry_wait(
                403,
                headers(&[
                    ("x-ratelimit-remaining", "0"),
                    ("x-ratelimit-reset", "1030")
                ]),
                1000
            ),
            Some(Duration::from_secs(30))
        );
        assert_eq!(
            retry_wait(
                403,
                headers(&[("x-ratelimit-remaining", "0"), ("x-ratelimit-reset", "900")]),
                1000
            ),
            Some(Duration::ZERO)
        );
        assert_eq!(retry_wait(429, headers(&[]), 0), Some(SECONDARY_LIMIT_WAIT));
        assert_eq!(retry_wait(502, headers(&[]), 0), Some(SERVER_ERROR_WAIT));
    }

    #[test]
    fn a_plain_forbidden_is_not_retried() {
        assert_eq!(
            retry_wait(403, headers(&[("x-ratelimit-remaining", "4999")]), 0),
            None
        );
        assert_eq!(retry_wait(404, headers(&[]), 0), None);
    }

    #[test]
    fn repositories_and_paths_are_checked_and_encoded() {
        assert_eq!(
            Repo::parse("octo-org/web.site").map(|r| r.to_string()),
            Some("octo-org/web.site".into())
        );
        for bad in ["octo", "/x", "a/b/c", "a b/c", "a/"] {
            assert_eq!(Repo::parse(bad), None, "{bad}");
        }
        assert_eq!(encode("release/1.x", true), "release/1.x");
        assert_eq!(encode("feat/a b#1", false), "feat%2Fa%20b%231");
    }

    #[test]
    fn plan_and_permission_errors_say_what_to_do() {
        let repo = Repo::parse("o/r").expect("repo");
        let plan = Answer {
            status: 403,
            body: r#"{"message":"Upgrade to GitHub Pro or make this repository public to enable this feature."}"#.into(),
        };
        let text = explain(Method::Get, "/p", &repo, &plan).to_string();
        assert!(
            text.starts_with("o/r is a private repository on a plan without"),
            "{text}"
        );
        let denied = Answer {
            status: 403,
            body: r#"{"message":"Resource not accessible by integration"}"#.into(),
        };
        let text = explain(Method::Put, "/p", &repo, &denied).to_string();
        assert!(text.contains("Administration: Read and write"), "{text}");
        assert!(text.contains("GITHUB_TOKEN cannot"), "{text}");
    }
}
