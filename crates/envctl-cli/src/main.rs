//! `envctl`: docker-compose 1.29.2's command line over envctl's library crates.
//!
//! Exit codes:
//! - 0: success (also when stdout is a closed pipe);
//! - 1: a problem in the compose files, in the invocation, or a failed step;
//! - 1 also: a command-line usage error, and an engine that could not be reached
//!   or refused a request (as docker-compose 1.29.2, which exits 1 for both);
//! - 3: `stack deploy`: an update failed and the cluster rolled it back;
//! - 130: interrupted (SIGINT, Ctrl-C), 143: terminated (SIGTERM), handled alike:
//!   no new step starts, the ones in flight finish; a second signal exits at once.

// Only this crate prints.
#![allow(clippy::print_stdout, clippy::print_stderr)]

mod args;
mod commands;
mod failure;
mod image_progress;
mod interrupt;
mod invocation;
mod progress;
mod table;
mod terminal;

use std::process::ExitCode;

use clap::Parser;
use clap::error::{ContextKind, ContextValue, ErrorKind};

fn main() -> ExitCode {
    let args =
        match args::Args::try_parse_from(args::compose_file_short(std::env::args_os().collect())) {
            Ok(args) => args,
            Err(error) => return usage_error(&error),
        };
    progress::install(&args.global);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(commands::dispatch(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => failure.render(),
    }
}

/// A command line clap refuses: help and version print and exit 0; anything else
/// exits 1, as docker-compose 1.29.2's usage errors do (`No such command: x` first
/// for an unknown command, in 1.29.2's words).
fn usage_error(error: &clap::Error) -> ExitCode {
    match error.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
            let _ = error.print();
            ExitCode::SUCCESS
        }
        ErrorKind::InvalidSubcommand => {
            if let Some(ContextValue::String(name)) = error.get(ContextKind::InvalidSubcommand) {
                eprintln!("No such command: {name}");
            }
            let _ = error.print();
            ExitCode::FAILURE
        }
        _ => {
            let _ = error.print();
            ExitCode::FAILURE
        }
    }
}
