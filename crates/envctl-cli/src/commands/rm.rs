//! `envctl rm [-f] [-s] [-v] [SERVICE...]`: remove the stopped containers of the
//! services, one-off ones included (1.29.2 `main.py` `rm`). Without `-f` it lists
//! them and asks; an answer other than `y`/`yes` (an empty or closed standard
//! input included) removes nothing.

use std::io::{BufRead as _, Write as _};

use envctl_executor::observe;
use envctl_planner::{Op, plan_rm, plan_rm_stop};

use crate::args::RmArgs;
use crate::invocation::Invocation;
use crate::report::{Failure, print_line};

pub async fn run(invocation: &Invocation, args: RmArgs) -> Result<(), Failure> {
    // Locked, but the signal handlers are armed only by the steps (`execute`): a
    // Ctrl-C at the question keeps its default action and ends envctl at once.
    let project = invocation.load_project(true)?;
    let _lock = super::lock_project(invocation, &project).await?;
    let engine = invocation.connect().await?;
    let observed = observe(&engine, &project).await?;
    let services = super::stop::service_names(&args.services);
    let observed = if args.stop {
        let plan = plan_rm_stop(&project, &observed, &services, None)?;
        super::execute(invocation, &engine, &project, &observed, &plan).await?;
        observe(&engine, &project).await?
    } else {
        observed
    };
    let plan = plan_rm(&project, &observed, &services, args.volumes)?;
    if plan.steps.is_empty() {
        return print_line("No stopped containers");
    }
    let names: Vec<&str> = plan
        .steps
        .iter()
        .filter_map(|step| match &step.op {
            Op::Remove { container, .. } => Some(container.name.as_str()),
            _ => None,
        })
        .collect();
    print_line(&format!("Going to remove {}", names.join(", ")))?;
    if !args.force && !confirm("Are you sure? [yN] ")? {
        return Ok(());
    }
    if crate::interrupt::received() {
        return Err(Failure::interrupted());
    }
    super::execute(invocation, &engine, &project, &observed, &plan).await
}

/// Asks on stdout, reads one line of stdin: `y` or `yes` (any case) is yes; anything
/// else, end of input included, is no (1.29.2 `yesno(…, default=False)`).
fn confirm(prompt: &str) -> Result<bool, Failure> {
    let mut stdout = std::io::stdout().lock();
    write!(stdout, "{prompt}")?;
    stdout.flush()?;
    drop(stdout);
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    let answer = answer.trim().to_ascii_lowercase();
    Ok(answer == "y" || answer == "yes")
}
