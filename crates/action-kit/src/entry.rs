//! The entry point every action binary goes through: `--help`, input checks, error reporting,
//! and a panic hook that reports a panic as an error with exit code 1.

use std::process::ExitCode;

use crate::console::Console;
use crate::context::GithubContext;
use crate::env::RunnerEnv;
use crate::files::{FileCommand, FileCommands};
use crate::inputs::Inputs;
use crate::spec::ActionSpec;

/// Everything an action gets from the runner.
#[derive(Debug)]
pub struct Runner {
    spec: &'static ActionSpec,
    env: RunnerEnv,
    console: Console,
    files: FileCommands,
    github: GithubContext,
}

impl Runner {
    /// A runner over `env`, logging to `console`.
    pub fn new(spec: &'static ActionSpec, env: RunnerEnv, console: Console) -> Self {
        let files = FileCommands::from_env(&env);
        let github = GithubContext::from_env(&env);
        Self {
            spec,
            env,
            console,
            files,
            github,
        }
    }

    /// The action's declaration.
    pub fn spec(&self) -> &'static ActionSpec {
        self.spec
    }

    /// The environment the action was started with.
    pub fn env(&self) -> &RunnerEnv {
        &self.env
    }

    /// The action's inputs.
    pub fn inputs(&self) -> Inputs<'_> {
        Inputs::new(&self.env, self.spec)
    }

    /// The log.
    pub fn console(&self) -> &Console {
        &self.console
    }

    /// The workflow run's context.
    pub fn github(&self) -> &GithubContext {
        &self.github
    }

    /// Sets a step output.
    pub fn set_output(&self, name: &str, value: &str) -> anyhow::Result<()> {
        if !self.spec.dynamic_outputs && !self.spec.outputs.iter().any(|o| o.name == name) {
            anyhow::bail!("internal error: output '{name}' is not declared by this action");
        }
        Ok(self
            .files
            .set(&self.console, FileCommand::Output, name, value)?)
    }

    /// Sets several step outputs in one write.
    pub fn set_outputs(&self, outputs: &[(String, String)]) -> anyhow::Result<()> {
        for (name, _) in outputs {
            if !self.spec.dynamic_outputs && !self.spec.outputs.iter().any(|o| o.name == name) {
                anyhow::bail!("internal error: output '{name}' is not declared by this action");
            }
        }
        Ok(self
            .files
            .set_all(&self.console, FileCommand::Output, outputs)?)
    }

    /// Exports a variable to later steps of the job.
    pub fn export_env(&self, name: &str, value: &str) -> anyhow::Result<()> {
        Ok(self
            .files
            .set(&self.console, FileCommand::Env, name, value)?)
    }

    /// Saves a value for the action's `post` step (`STATE_<name>` there).
    pub fn save_state(&self, name: &str, value: &str) -> anyhow::Result<()> {
        Ok(self
            .files
            .set(&self.console, FileCommand::State, name, value)?)
    }

    /// Appends Markdown to the job summary.
    pub fn append_summary(&self, markdown: &str) -> anyhow::Result<()> {
        Ok(self.files.append_summary(&self.console, markdown)?)
    }

    /// Reports an error the way every action ends on one: a single `::error::` line with the
    /// whole cause chain.
    pub fn report_error(&self, error: &anyhow::Error) {
        self.console.error(&format!("{error:#}"));
    }
}

/// What the command line asks for before the action runs.
enum Invocation {
    Run,
    Help,
    Version,
    BadArgument(String),
}

fn parse_args(args: impl IntoIterator<Item = String>) -> Invocation {
    match args.into_iter().next().as_deref() {
        None => Invocation::Run,
        Some("-h" | "--help" | "help") => Invocation::Help,
        Some("-V" | "--version") => Invocation::Version,
        Some(other) => Invocation::BadArgument(other.to_owned()),
    }
}

/// Prints the panic as an `::error::` and ends the process with code 1.
fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let message = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".to_owned());
        let location = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        Console::stdout(false).error(&format!(
            "internal error: {message}{location} (this is a bug in the action; please report it)"
        ));
        std::process::exit(1);
    }));
}

/// Prepares a run: handles `--help`/`--version`, checks required inputs, warns about unknown
/// ones. Returns the runner, or the exit code when there is nothing to run.
fn prepare(
    spec: &'static ActionSpec,
    args: impl IntoIterator<Item = String>,
) -> Result<Runner, ExitCode> {
    install_panic_hook();
    let env = RunnerEnv::from_process();
    let debug = env.get("RUNNER_DEBUG") == Some("1");
    let runner = Runner::new(spec, env, Console::stdout(debug));
    match parse_args(args) {
        Invocation::Run => {}
        Invocation::Help => {
            runner.console().info(spec.help().trim_end());
            return Err(ExitCode::SUCCESS);
        }
        Invocation::Version => {
            runner
                .console()
                .info(&format!("{} {}", spec.name, env!("CARGO_PKG_VERSION")));
            return Err(ExitCode::SUCCESS);
        }
        Invocation::BadArgument(arg) => {
            runner.console().error(&format!(
                "unexpected argument '{arg}': {} takes its inputs from INPUT_* variables (see --help)",
                spec.name
            ));
            return Err(ExitCode::FAILURE);
        }
    }
    for unknown in runner.inputs().unknown() {
        runner.console().warning(&format!(
            "{unknown} is not an input of {}; it is ignored",
            spec.name
        ));
    }
    if let Err(error) = runner.inputs().check_required() {
        runner.report_error(&error.into());
        return Err(ExitCode::FAILURE);
    }
    Ok(runner)
}

fn finish(runner: &Runner, result: anyhow::Result<()>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            runner.report_error(&error);
            ExitCode::FAILURE
        }
    }
}

/// Runs a synchronous action. `args` are the command-line arguments after the program (and,
/// in the multi-call binary, after the action's name).
pub fn run(
    spec: &'static ActionSpec,
    args: impl IntoIterator<Item = String>,
    action: impl FnOnce(&Runner) -> anyhow::Result<()>,
) -> ExitCode {
    match prepare(spec, args) {
        Ok(runner) => {
            let result = action(&runner);
            finish(&runner, result)
        }
        Err(code) => code,
    }
}

/// Runs an async action on a multi-threaded tokio runtime.
#[cfg(feature = "tokio")]
pub fn run_async(
    spec: &'static ActionSpec,
    args: impl IntoIterator<Item = String>,
    action: impl AsyncFnOnce(&Runner) -> anyhow::Result<()>,
) -> ExitCode {
    let runner = match prepare(spec, args) {
        Ok(runner) => runner,
        Err(code) => return code,
    };
    let result = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(anyhow::Error::from)
        .and_then(|runtime| runtime.block_on(action(&runner)));
    finish(&runner, result)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::{InputSpec, OutputSpec};

    const SPEC: ActionSpec = ActionSpec {
        name: "t",
        description: "t",
        input_groups: &[&[InputSpec::optional("a", "A.")]],
        outputs: &[OutputSpec {
            name: "result",
            description: "R.",
        }],
        dynamic_outputs: false,
    };

    #[test]
    fn errors_are_one_line_with_the_whole_chain() {
        let (console, out) = Console::capture(false);
        let runner = Runner::new(&SPEC, RunnerEnv::default(), console);
        let error = anyhow::anyhow!("root cause\nsecond line").context("cannot deploy");
        runner.report_error(&error);
        assert_eq!(
            out.text(),
            "::error::cannot deploy: root cause%0Asecond line\n"
        );
    }

    #[test]
    fn undeclared_outputs_are_refused() {
        let (console, _) = Console::capture(false);
        let runner = Runner::new(&SPEC, RunnerEnv::default(), console);
        let err = runner.set_output("nope", "x").expect_err("undeclared");
        assert!(err.to_string().contains("'nope'"));
    }

    #[test]
    fn arguments_are_help_version_or_nothing() {
        assert!(matches!(parse_args(Vec::new()), Invocation::Run));
        assert!(matches!(
            parse_args(vec!["--help".to_owned()]),
            Invocation::Help
        ));
        assert!(matches!(
            parse_args(vec!["-V".to_owned()]),
            Invocation::Version
        ));
        assert!(
            matches!(parse_args(vec!["--cluster".to_owned()]), Invocation::BadArgument(a) if a == "--cluster")
        );
    }
}
