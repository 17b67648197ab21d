//! `envctl down`: the flags as a `down` request; the plan printed with `--dry-run`.

use envctl_ops::{DownOutcome, DownRequest, RemoveImages};
use envctl_planner::DownOptions;

use crate::args::DownArgs;
use crate::failure::Failure;
use crate::invocation::Invocation;
use crate::progress::Terminal;

pub async fn run(invocation: &Invocation, args: DownArgs) -> Result<(), Failure> {
    // Checked before anything else, in 1.29.2's words.
    let remove_images = match args.rmi.as_deref() {
        None => None,
        Some("all") => Some(RemoveImages::All),
        Some("local") => Some(RemoveImages::Local),
        Some(_) => return Err(Failure::usage("--rmi flag must be `local` or `all`")),
    };
    let target = invocation.target()?;
    let request = DownRequest {
        options: DownOptions {
            remove_volumes: args.volumes,
            remove_orphans: args.remove_orphans,
            ignore_orphans: invocation.ignore_orphans(args.remove_orphans)?,
            timeout: args.timeout,
        },
        remove_images,
        dry_run: args.dry_run,
    };
    let events = Terminal::new();
    match envctl_ops::down(&target, &request, &events, &crate::interrupt::token()).await? {
        DownOutcome::DryRun(plan) => super::print_plan(&plan),
        _ => Ok(()),
    }
}
