//! `envctl build`: the images of the selected services that have `build`, one
//! after the other (or `--parallel`), the context sent as a tar stream with
//! `.dockerignore` applied as the engine does.

use envctl_ops::{BuildFlags, BuildRequest};

use crate::args::BuildArgs;
use crate::failure::Failure;
use crate::invocation::Invocation;
use crate::progress::Terminal;

pub async fn run(invocation: &Invocation, args: BuildArgs) -> Result<(), Failure> {
    let target = invocation.target()?;
    let mut build_args = Vec::new();
    for entry in &args.args {
        match entry.split_once('=') {
            Some((key, value)) => build_args.push((key.to_owned(), value.to_owned())),
            None => {
                // 1.29.2 takes a bare `KEY` from the environment (`.env` included).
                if let Some(value) = invocation.settings().get(entry).cloned() {
                    build_args.push((entry.clone(), value));
                }
            }
        }
    }
    let request = BuildRequest {
        services: args.services,
        flags: BuildFlags {
            no_cache: args.no_cache,
            pull: args.pull,
            build_args,
            force_rm: args.force_rm,
            no_rm: args.no_rm,
        },
        parallel: args.parallel,
    };
    let token = crate::interrupt::token();
    envctl_ops::build(&target, &request, &Terminal::quiet(args.quiet), &token).await?;
    Ok(())
}
