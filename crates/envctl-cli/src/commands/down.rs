//! `envctl down`: the flags as a `down` request; the plan printed with `--dry-run`.

use envctl_ops::{DownOutcome, DownRequest, RemoveImages};
use envctl_planner::DownOptions;

use crate::args::{DownArgs, RemoveImages as RemoveImagesArg};
use crate::failure::Failure;
use crate::invocation::Invocation;
use crate::progress::Terminal;

pub async fn run(invocation: &Invocation, args: DownArgs) -> Result<(), Failure> {
    let target = invocation.target()?;
    let request = DownRequest {
        options: DownOptions {
            remove_volumes: args.volumes,
            remove_orphans: args.remove_orphans,
            ignore_orphans: invocation.ignore_orphans(args.remove_orphans)?,
            timeout: args.timeout,
        },
        remove_images: args.rmi.map(|images| match images {
            RemoveImagesArg::All => RemoveImages::All,
            RemoveImagesArg::Local => RemoveImages::Local,
        }),
        dry_run: args.dry_run,
    };
    let events = Terminal::new();
    match envctl_ops::down(&target, &request, &events, &crate::interrupt::token()).await? {
        DownOutcome::DryRun(plan) => super::print_plan(&plan),
        _ => Ok(()),
    }
}
