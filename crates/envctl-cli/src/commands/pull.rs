//! `envctl pull`: every image of the selected services that have no `build`, in
//! parallel (1.29.2's default), with a bar per image on a terminal.

use envctl_ops::PullRequest;

use crate::args::PullArgs;
use crate::failure::Failure;
use crate::invocation::Invocation;
use crate::progress::{Terminal, print_warning};

pub async fn run(invocation: &Invocation, args: PullArgs) -> Result<(), Failure> {
    let mut target = invocation.target()?;
    // As 1.29.2: pulling builds nothing, so a build context need not exist.
    target.load.check_build_paths = false;
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
            print_warning(&crate::failure::shown(miette::Report::new(error)));
        }
        return Ok(());
    }
    if crate::progress::shows(crate::progress::Level::Error) {
        for error in failures {
            eprintln!("{}", crate::failure::shown(miette::Report::new(error)));
        }
        // The one command this hint fits: `up` and `run` cannot go on without the
        // image, and `--ignore-pull-failures` was not given. See: #16
        eprintln!("help: `envctl pull --ignore-pull-failures` pulls the other images and exits 0");
    }
    Err(Failure::exit(1))
}
