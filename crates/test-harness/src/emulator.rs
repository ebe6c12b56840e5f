//! moto's AWS API emulator, started on a free loopback port for the tests of one process.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};

use anyhow::{Context as _, bail};
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::Credentials;

/// The launcher: serves until its stdin closes.
const LAUNCHER: &str = include_str!("moto_server.py");

/// Region every test uses.
pub const TEST_REGION: &str = "us-east-1";

/// A running emulator. Dropping it stops the server; so does the end of the test process,
/// since the server exits when its stdin closes.
#[derive(Debug)]
pub struct Emulator {
    child: Child,
    // Held open: the server stops when it is closed.
    _stdin: ChildStdin,
    endpoint: String,
}

/// The Python of the project's tool virtualenv (made by `cargo xtask test`), or `SUITE_PYTHON`.
fn python() -> anyhow::Result<PathBuf> {
    if let Some(path) = std::env::var_os("SUITE_PYTHON") {
        return Ok(PathBuf::from(path));
    }
    let venv = crate::workspace_root().join("target/tools/venv/bin/python");
    if venv.exists() {
        return Ok(venv);
    }
    bail!(
        "the AWS emulator is not installed: run `cargo xtask test` (it creates {} with moto)",
        venv.display()
    )
}

impl Emulator {
    /// Starts a new emulator with extra server-side environment (e.g. `MOTO_ECS_SERVICE_RUNNING`).
    pub fn start_with_env(vars: &[(&str, &str)]) -> anyhow::Result<Self> {
        let python = python()?;
        let mut child = Command::new(&python)
            .args(["-c", LAUNCHER])
            .envs(vars.iter().copied())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .with_context(|| format!("cannot start the AWS emulator with {}", python.display()))?;
        let stdin = child.stdin.take().context("emulator stdin")?;
        let stdout = child.stdout.take().context("emulator stdout")?;
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .context("the AWS emulator did not report its port")?;
        let port: u16 = line.trim().parse().with_context(|| {
            format!("the AWS emulator did not start (it printed {line:?}); is moto installed?")
        })?;
        Ok(Self {
            child,
            _stdin: stdin,
            endpoint: format!("http://127.0.0.1:{port}"),
        })
    }

    /// Starts a new emulator.
    pub fn start() -> anyhow::Result<Self> {
        Self::start_with_env(&[])
    }

    /// One emulator shared by every test of this process; tests keep apart by unique names.
    pub fn shared() -> &'static Emulator {
        static SHARED: OnceLock<Emulator> = OnceLock::new();
        SHARED.get_or_init(|| match Emulator::start() {
            Ok(emulator) => emulator,
            Err(error) => panic!("{error:#}"),
        })
    }

    /// `http://127.0.0.1:<port>`.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// The emulator's address, for a proxy in front of it.
    pub fn addr(&self) -> std::net::SocketAddr {
        let port = self
            .endpoint
            .rsplit(':')
            .next()
            .and_then(|p| p.parse().ok())
            .unwrap_or(0);
        std::net::SocketAddr::from(([127, 0, 0, 1], port))
    }

    /// The environment an action binary needs to reach AWS at `endpoint` with test credentials.
    pub fn aws_env(endpoint: &str) -> Vec<(String, String)> {
        [
            ("AWS_ENDPOINT_URL", endpoint),
            ("AWS_ACCESS_KEY_ID", "testing"),
            ("AWS_SECRET_ACCESS_KEY", "testing"),
            ("AWS_REGION", TEST_REGION),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
    }

    /// An SDK configuration for tests that talk to `endpoint` directly.
    pub async fn sdk_config(endpoint: &str) -> SdkConfig {
        aws_config::defaults(BehaviorVersion::latest())
            .endpoint_url(endpoint)
            .region(Region::new(TEST_REGION))
            .credentials_provider(Credentials::new(
                "testing",
                "testing",
                None,
                None,
                "test-harness",
            ))
            .load()
            .await
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A name no other test of any process uses (`prefix-<pid>-<n>`), within AWS's name rules.
pub fn unique_name(prefix: &str) -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    format!(
        "{prefix}-{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}
