//! `envctl graph`: the dependency graph of the services, without an engine.

use envctl_planner::GraphFormat;

use crate::args::{GraphArgs, GraphFormatArg};
use crate::failure::Failure;
use crate::invocation::Invocation;
use crate::progress::{Terminal, print_line};

pub fn run(invocation: &Invocation, args: &GraphArgs) -> Result<(), Failure> {
    let target = invocation.target()?;
    let format = match args.format {
        GraphFormatArg::Tree => GraphFormat::Tree,
        GraphFormatArg::Dot => GraphFormat::Dot,
        GraphFormatArg::Mermaid => GraphFormat::Mermaid,
    };
    let rendered = envctl_ops::graph(&target, format, &Terminal::new())?;
    print_line(rendered.trim_end())
}
