//! The GitHub OIDC token request, as `@actions/core`'s `getIDToken` makes it.
//!
//! The runner sets `ACTIONS_ID_TOKEN_REQUEST_URL` (which already carries a query string) and
//! `ACTIONS_ID_TOKEN_REQUEST_TOKEN` only for jobs with `permissions: id-token: write`. The token
//! is `GET <url>&audience=<aud>` with `Authorization: Bearer <request token>`, answered by
//! `{"value": "<jwt>"}`.

use std::time::Duration;

use action_kit::RunnerEnv;
use anyhow::{Context as _, bail};

/// Attempts before giving up on the token endpoint.
const ATTEMPTS: u32 = 4;

/// Where and how to ask for the job's OIDC token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRequest {
    /// `ACTIONS_ID_TOKEN_REQUEST_URL`.
    pub url: String,
    /// `ACTIONS_ID_TOKEN_REQUEST_TOKEN` (a secret).
    pub bearer: String,
}

#[derive(serde::Deserialize)]
struct TokenAnswer {
    value: String,
}

impl TokenRequest {
    /// The request the runner made possible, if the job may request a token.
    pub fn from_env(env: &RunnerEnv) -> Option<Self> {
        Some(Self {
            url: env.non_empty("ACTIONS_ID_TOKEN_REQUEST_URL")?.to_owned(),
            bearer: env.non_empty("ACTIONS_ID_TOKEN_REQUEST_TOKEN")?.to_owned(),
        })
    }

    /// The URL asking for a token with this audience.
    pub fn url_for(&self, audience: &str) -> anyhow::Result<reqwest::Url> {
        let mut url = reqwest::Url::parse(&self.url)
            .with_context(|| format!("ACTIONS_ID_TOKEN_REQUEST_URL is not a URL: {}", self.url))?;
        url.query_pairs_mut().append_pair("audience", audience);
        Ok(url)
    }

    /// Fetches the token, retrying server errors and connection failures.
    pub async fn fetch(&self, audience: &str) -> anyhow::Result<String> {
        let url = self.url_for(audience)?;
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .context("cannot build an HTTP client")?;
        let mut last_error = None;
        for attempt in 0..ATTEMPTS {
            if attempt > 0 {
                tokio::time::sleep(Duration::from_millis(250 << attempt)).await;
            }
            let sent = client
                .get(url.clone())
                .bearer_auth(&self.bearer)
                .send()
                .await;
            match sent {
                Ok(answer) if answer.status().is_success() => {
                    let body: TokenAnswer = answer
                        .json()
                        .await
                        .context("the token endpoint answered without a JSON {\"value\": …}")?;
                    if body.value.is_empty() {
                        bail!("the token endpoint answered with an empty token");
                    }
                    return Ok(body.value);
                }
                Ok(answer) if answer.status().is_server_error() => {
                    last_error = Some(anyhow::anyhow!(
                        "the token endpoint answered {}",
                        answer.status()
                    ));
                }
                Ok(answer) => bail!("the token endpoint answered {}", answer.status()),
                Err(error) => last_error = Some(error.into()),
            }
        }
        Err(last_error.unwrap_or_else(|| anyhow::anyhow!("no attempt was made")))
            .with_context(|| format!("gave up after {ATTEMPTS} attempts"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn audience_is_appended_to_the_existing_query() {
        let request = TokenRequest {
            url: "https://token.actions.example/x?api-version=2.0".into(),
            bearer: "b".into(),
        };
        let url = request.url_for("sts.amazonaws.com").expect("url");
        assert_eq!(
            url.as_str(),
            "https://token.actions.example/x?api-version=2.0&audience=sts.amazonaws.com"
        );
        let encoded = request.url_for("a b&c").expect("url");
        assert!(encoded.as_str().ends_with("&audience=a+b%26c"), "{encoded}");
    }

    #[test]
    fn needs_both_variables() {
        let only_url = RunnerEnv::from_pairs([("ACTIONS_ID_TOKEN_REQUEST_URL", "https://x/?a=1")]);
        assert_eq!(TokenRequest::from_env(&only_url), None);
        let both = only_url.with("ACTIONS_ID_TOKEN_REQUEST_TOKEN", "t");
        assert!(TokenRequest::from_env(&both).is_some());
    }
}
