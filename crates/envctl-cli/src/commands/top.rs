//! `envctl top [SERVICE...]`: for each running container, by name, its name and
//! the table of its processes; a blank line between two.

use crate::args::ServicesArgs;
use crate::failure::Failure;
use crate::invocation::Invocation;
use crate::progress::{Terminal, print_line};
use crate::table::table;

pub async fn run(invocation: &Invocation, args: ServicesArgs) -> Result<(), Failure> {
    let target = invocation.target()?;
    let tops = envctl_ops::top(&target, &args.services, &Terminal::new()).await?;
    for (position, (name, processes)) in tops.iter().enumerate() {
        if position > 0 {
            print_line("")?;
        }
        print_line(name)?;
        print_line(&table(&processes.titles, &processes.processes))?;
    }
    Ok(())
}
