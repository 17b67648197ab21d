//! `envctl graph`: the dependency graph of the services, without an engine.

use envctl_planner::{DependencyGraph, GraphFormat};

use crate::args::{GraphArgs, GraphFormatArg};
use crate::invocation::Invocation;
use crate::report::{Failure, print_line};

pub fn run(invocation: &Invocation, args: &GraphArgs) -> Result<(), Failure> {
    let project = invocation.load_project(true)?;
    let graph = DependencyGraph::new(&project)?;
    let format = match args.format {
        GraphFormatArg::Tree => GraphFormat::Tree,
        GraphFormatArg::Dot => GraphFormat::Dot,
        GraphFormatArg::Mermaid => GraphFormat::Mermaid,
    };
    print_line(graph.render(format, &project.name).trim_end())
}
