//! `envctl completions SHELL`: generated from the clap definitions in `args.rs`, so
//! that they never drift from the real command line.

use std::io::Write as _;

use clap::CommandFactory as _;

use crate::args::{Args, CompletionsArgs};
use crate::failure::Failure;

pub fn run(args: &CompletionsArgs) -> Result<(), Failure> {
    let mut command = Args::command();
    let mut stdout = std::io::stdout().lock();
    clap_complete::generate(args.shell, &mut command, "envctl", &mut stdout);
    stdout.flush()?;
    Ok(())
}
