//! AWS SDK configuration shared by the suite's AWS actions.
//!
//! One [`load_config`] call gives every action the same behaviour:
//! - the region from the `aws-region` input, else `AWS_REGION` / `AWS_DEFAULT_REGION`;
//! - credentials from the standard chain (environment, profile, container/instance roles), or,
//!   when `role-to-assume` is set and the job has `permissions: id-token: write`, keyless:
//!   the job's GitHub OIDC token exchanged with STS `AssumeRoleWithWebIdentity` (see [`oidc`]);
//!   the token and the temporary credentials are masked before anything is printed;
//! - `AWS_ENDPOINT_URL` honoured (tests point it at a local emulator);
//! - the SDK's standard retry mode (throttling, 5xx and transient errors, with backoff).

pub mod oidc;

pub use aws_config::SdkConfig;

use std::time::Duration;

use action_kit::{InputSpec, Runner, RunnerEnv};
use anyhow::{Context as _, bail};
use aws_config::retry::RetryConfig;
use aws_config::{BehaviorVersion, Region};
use aws_credential_types::Credentials;
use aws_credential_types::provider::SharedCredentialsProvider;

/// The inputs every AWS action declares, in its `action.yml` too.
pub const INPUTS: &[InputSpec] = &[
    InputSpec::optional(
        "aws-region",
        "AWS region to use; defaults to AWS_REGION or AWS_DEFAULT_REGION.",
    ),
    InputSpec::optional(
        "role-to-assume",
        "ARN of an IAM role to assume with the job's GitHub OIDC token (needs `permissions: id-token: write`). Without it, credentials come from the standard chain.",
    ),
    InputSpec::with_default(
        "role-session-name",
        "Session name for the assumed role.",
        "GitHubActions",
    ),
    InputSpec::with_default(
        "role-duration-seconds",
        "Lifetime of the assumed role's credentials, in seconds.",
        "3600",
    ),
    InputSpec::with_default(
        "audience",
        "Audience of the requested OIDC token.",
        "sts.amazonaws.com",
    ),
];

/// Attempts per AWS call (the first try and four retries).
const MAX_ATTEMPTS: u32 = 5;

/// The AWS settings of one action run, read from its inputs and environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwsSettings {
    /// The region.
    pub region: String,
    /// An endpoint that replaces AWS's (`AWS_ENDPOINT_URL`).
    pub endpoint_url: Option<String>,
    /// The role to assume with the OIDC token.
    pub role_to_assume: Option<String>,
    /// Its session name.
    pub session_name: String,
    /// Its credentials' lifetime.
    pub duration_seconds: i32,
    /// The OIDC token's audience.
    pub audience: String,
}

impl AwsSettings {
    /// Reads and checks the settings; every problem names its input or variable.
    pub fn from_runner(runner: &Runner) -> anyhow::Result<Self> {
        let inputs = runner.inputs();
        let env = runner.env();
        let region = inputs
            .get("aws-region")?
            .or_else(|| env.non_empty("AWS_REGION").map(str::to_owned))
            .or_else(|| env.non_empty("AWS_DEFAULT_REGION").map(str::to_owned));
        let Some(region) = region else {
            bail!("no AWS region: set the input 'aws-region' or the variable AWS_REGION");
        };
        let duration = inputs.number("role-duration-seconds")?.unwrap_or(3600);
        let duration_seconds = match i32::try_from(duration) {
            Ok(seconds) if (900..=43_200).contains(&seconds) => seconds,
            _ => bail!(
                "input 'role-duration-seconds': expected 900 to 43200 seconds, got {duration}"
            ),
        };
        let role_to_assume = inputs.get("role-to-assume")?;
        if let Some(role) = role_to_assume
            .as_ref()
            .filter(|role| !role.starts_with("arn:") || !role.contains(":role/"))
        {
            bail!(
                "input 'role-to-assume': expected an IAM role ARN (arn:aws:iam::<account>:role/<name>), got '{role}'"
            );
        }
        Ok(Self {
            region,
            endpoint_url: endpoint_url(env),
            role_to_assume,
            session_name: inputs.required("role-session-name")?,
            duration_seconds,
            audience: inputs.required("audience")?,
        })
    }
}

/// The endpoint override, as aws-config reads it.
fn endpoint_url(env: &RunnerEnv) -> Option<String> {
    if env.non_empty("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS") == Some("true") {
        return None;
    }
    env.non_empty("AWS_ENDPOINT_URL").map(str::to_owned)
}

/// The SDK configuration for this run: region, endpoint, retries and credentials.
pub async fn load_config(runner: &Runner) -> anyhow::Result<SdkConfig> {
    let settings = AwsSettings::from_runner(runner)?;
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new(settings.region.clone()))
        .retry_config(
            RetryConfig::standard()
                .with_max_attempts(MAX_ATTEMPTS)
                .with_initial_backoff(Duration::from_millis(200)),
        );
    if let Some(endpoint) = &settings.endpoint_url {
        loader = loader.endpoint_url(endpoint);
    }
    let base = loader.load().await;
    let Some(role) = &settings.role_to_assume else {
        return Ok(base);
    };
    let Some(request) = oidc::TokenRequest::from_env(runner.env()) else {
        bail!(
            "input 'role-to-assume' is set, but ACTIONS_ID_TOKEN_REQUEST_URL and ACTIONS_ID_TOKEN_REQUEST_TOKEN are not: \
             give the job `permissions: id-token: write` so the runner provides an OIDC token"
        );
    };
    let console = runner.console();
    console.add_mask(&request.bearer);
    let token = request
        .fetch(&settings.audience)
        .await
        .context("cannot get the GitHub OIDC token")?;
    console.add_mask(&token);
    let credentials = assume_role_with_web_identity(&base, role, &settings, &token)
        .await
        .with_context(|| format!("cannot assume role {role} with the GitHub OIDC token"))?;
    console.add_mask(credentials.access_key_id());
    console.add_mask(credentials.secret_access_key());
    if let Some(session) = credentials.session_token() {
        console.add_mask(session);
    }
    console.info(&format!(
        "Assumed role {role} as session {}",
        settings.session_name
    ));
    Ok(base
        .into_builder()
        .credentials_provider(SharedCredentialsProvider::new(credentials))
        .build())
}

/// Exchanges the OIDC token for temporary credentials (an unsigned STS call: no prior
/// credentials are needed).
async fn assume_role_with_web_identity(
    base: &SdkConfig,
    role: &str,
    settings: &AwsSettings,
    token: &str,
) -> anyhow::Result<Credentials> {
    let sts = aws_sdk_sts::Client::new(base);
    let answer = sts
        .assume_role_with_web_identity()
        .role_arn(role)
        .role_session_name(&settings.session_name)
        .duration_seconds(settings.duration_seconds)
        .web_identity_token(token)
        .send()
        .await?;
    let Some(creds) = answer.credentials() else {
        bail!("STS answered without credentials");
    };
    let expiry = std::time::SystemTime::try_from(*creds.expiration()).ok();
    Ok(Credentials::new(
        creds.access_key_id(),
        creds.secret_access_key(),
        Some(creds.session_token().to_owned()),
        expiry,
        "github-oidc",
    ))
}
