//! The suite's multi-call binary, the only program in its image.
//!
//! `suite <action> [--help]` runs one action; each `action.yml` sets `entrypoint: /suite` and
//! `args: [<action>]`. Invoked through a link named after an action (busybox-style), the link's
//! name picks the action. One binary carries the AWS SDK and the rest once, not once per action.

use std::path::Path;
use std::process::ExitCode;

use action_kit::{ActionSpec, Console};

/// One action the binary can run.
struct Entry {
    spec: &'static ActionSpec,
    main: fn(Vec<String>) -> ExitCode,
}

/// Every action of the suite.
const ACTIONS: &[Entry] = &[
    Entry {
        spec: &paths_filter::SPEC,
        main: paths_filter::main,
    },
    Entry {
        spec: &render_taskdef::SPEC,
        main: render_taskdef::main,
    },
    Entry {
        spec: &ecr_tag::SPEC,
        main: ecr_tag::main,
    },
    Entry {
        spec: &ecs_deploy::SPEC,
        main: ecs_deploy::main,
    },
    Entry {
        spec: &ecs_deploy::versions::DEPLOY_SPEC,
        main: ecs_deploy::versions::deploy_main,
    },
    Entry {
        spec: &ecs_deploy::versions::VERSIONS_SPEC,
        main: ecs_deploy::versions::versions_main,
    },
    Entry {
        spec: &branch_protect::SPEC,
        main: branch_protect::main,
    },
    Entry {
        spec: &s3_publish::SPEC,
        main: s3_publish::main,
    },
];

fn usage() -> String {
    let mut text = String::from("Usage: suite <action> [--help]\n\nActions:\n");
    let width = ACTIONS.iter().map(|a| a.spec.name.len()).max().unwrap_or(0);
    for action in ACTIONS {
        text.push_str(&format!(
            "  {:width$}  {}\n",
            action.spec.name, action.spec.description
        ));
    }
    text
}

fn main() -> ExitCode {
    let mut args = std::env::args();
    let program = args.next().unwrap_or_default();
    let invoked_as = Path::new(&program)
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default()
        .to_owned();
    let name = if ACTIONS.iter().any(|a| a.spec.name == invoked_as) {
        Some(invoked_as)
    } else {
        args.next()
    };
    let console = Console::stdout(false);
    match name.as_deref() {
        None | Some("-h" | "--help" | "help") => {
            console.info(usage().trim_end());
            if name.is_some() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
        Some(name) => match ACTIONS.iter().find(|a| a.spec.name == name) {
            Some(action) => (action.main)(args.collect()),
            None => {
                console.error(&format!(
                    "unknown action '{name}'; the suite has: {}",
                    names()
                ));
                ExitCode::FAILURE
            }
        },
    }
}

fn names() -> String {
    ACTIONS
        .iter()
        .map(|a| a.spec.name)
        .collect::<Vec<_>>()
        .join(", ")
}
