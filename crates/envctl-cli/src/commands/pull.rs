//! `envctl pull`: every image of the selected services that have no `build`, in
//! parallel (1.29.2's default), with a bar per image on a terminal.

use envctl_ops::PullRequest;

use crate::args::PullArgs;
use crate::failure::{Failure, report_all};
use crate::invocation::Invocation;
use crate::progress::{Terminal, print_warning};

pub async fn run(invocation: &Invocation, args: PullArgs) -> Result<(), Failure> {
    let target = invocation.target()?;
    let request = PullRequest {
        services: args.services,
        include_deps: args.include_deps,
        one_at_a_time: args.no_parallel,
    };
    let failures = envctl_ops::pull(&target, &request, &Terminal::quiet(args.quiet)).await?;
    if failures.is_empty() {
        return Ok(());
    }
    if args.ignore_pull_failures {
        for error in failures {
            print_warning(&format!("{:?}", miette::Report::new(error)));
        }
        return Ok(());
    }
    Err(report_all(failures))
}
