//! `envctl rm [-f] [-s] [-v] [SERVICE...]`: remove the stopped containers of the
//! services, one-off ones included (1.29.2 `main.py` `rm`). Without `-f` it lists
//! them and asks; an answer other than `y`/`yes` (an empty or closed standard
//! input included) removes nothing.

use std::io::{BufRead as _, Write as _};

use envctl_ops::{RmOutcome, RmRequest};

use crate::args::RmArgs;
use crate::failure::Failure;
use crate::invocation::Invocation;
use crate::progress::{Terminal, print_line};

pub async fn run(invocation: &Invocation, args: RmArgs) -> Result<(), Failure> {
    let target = invocation.target()?;
    let force = args.force;
    let request = RmRequest {
        services: args.services,
        stop: args.stop,
        volumes: args.volumes,
        confirm: Box::new(move |names: &[String]| {
            // A closed stdout (`| head`) removes nothing, and is no failure.
            if print_line(&format!("Going to remove {}", names.join(", "))).is_err() {
                return false;
            }
            force || confirm("Are you sure? [yN] ").unwrap_or(false)
        }),
    };
    let token = crate::interrupt::token();
    match envctl_ops::rm(&target, request, &Terminal::new(), &token).await? {
        RmOutcome::NothingToRemove => print_line("No stopped containers"),
        _ => Ok(()),
    }
}

/// Asks on stdout, reads one line of stdin: `y` or `yes` (any case) is yes; anything
/// else, end of input included, is no (1.29.2 `yesno(…, default=False)`).
fn confirm(prompt: &str) -> std::io::Result<bool> {
    let mut stdout = std::io::stdout().lock();
    write!(stdout, "{prompt}")?;
    stdout.flush()?;
    drop(stdout);
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    let answer = answer.trim().to_ascii_lowercase();
    Ok(answer == "y" || answer == "yes")
}
