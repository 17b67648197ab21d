//! Brings a fixture project up and down through the operations layer alone, with
//! no CLI code: what a second front end (an HTTP server) does.
//!
//! ```text
//! cargo run -p envctl-ops --example up_down [PROJECT]
//! ```
//!
//! It uses `fixtures/engine/chain` (links `a -> b -> c`, images from `just
//! images`) and the engine at `DOCKER_HOST`, else the local socket.

// An example is a front end: it prints.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

use envctl_executor::{Event, Progress};
use envctl_ops::{DownRequest, EngineTarget, Events, PsRequest, Target, UpRequest};
use envctl_parser::LoadOptions;
use envctl_planner::{DownOptions, Plan};
use tokio_util::sync::CancellationToken;

/// Step events as lines on stdout.
struct Lines;

impl Events for Lines {
    fn warning(&self, message: &str) {
        eprintln!("warning: {message}");
    }

    fn status(&self, line: &str) {
        println!("{line}");
    }

    fn progress(&self, _plan: &Plan) -> Progress {
        Arc::new(|event| {
            if let Event::Step {
                container,
                action,
                outcome,
                ..
            } = event
            {
                println!("{action} {container}: {outcome:?}");
            }
        })
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let project = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "envctlopsexample".to_owned());
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/engine/chain");
    // The environment is passed in, never read by the operations: here only the
    // engine's address, when set.
    let mut settings = indexmap::IndexMap::new();
    if let Ok(host) = std::env::var("DOCKER_HOST") {
        settings.insert("DOCKER_HOST".to_owned(), host);
    }
    let target = Target {
        load: LoadOptions {
            stdin: None,
            files: vec![fixture.join("docker-compose.yml")],
            project_name: Some(project),
            project_directory: None,
            env_file: None,
            environment: indexmap::IndexMap::new(),
            cwd: fixture,
            interpolate: true,
            check_build_paths: true,
        },
        engine: EngineTarget {
            settings,
            ..EngineTarget::default()
        },
        parallel_limit: 8,
        lock_directory: Some(std::env::temp_dir().join("envctl")),
    };
    let token = CancellationToken::new();
    let up = UpRequest::default();
    if let Err(error) = envctl_ops::up(&target, &up, &Lines, &token).await {
        eprintln!("{:?}", miette::Report::new(error));
        return ExitCode::FAILURE;
    }
    match envctl_ops::ps(&target, &PsRequest::default(), &Lines).await {
        Ok(containers) => {
            for container in containers {
                println!("{} {:?}", container.name, container.state);
            }
        }
        Err(error) => eprintln!("{:?}", miette::Report::new(error)),
    }
    let down = DownRequest {
        options: DownOptions {
            remove_volumes: true,
            ..DownOptions::default()
        },
        ..DownRequest::default()
    };
    if let Err(error) = envctl_ops::down(&target, &down, &Lines, &token).await {
        eprintln!("{:?}", miette::Report::new(error));
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
