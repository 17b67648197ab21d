//! `envctl`: docker-compose 1.29.2's command line over envctl's library crates.
//!
//! Exit codes:
//! - 0: success (also when stdout is a closed pipe);
//! - 1: a problem in the compose files, in the invocation, or a failed step;
//! - 2: command-line usage error (clap's own);
//! - 3: the engine could not be reached, or refused a request outside a step;
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

fn main() -> ExitCode {
    let args = args::Args::parse();
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
