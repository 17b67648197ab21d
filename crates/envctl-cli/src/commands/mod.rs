//! One module per subcommand, named after it; `dispatch` picks it. A command maps
//! its flags to an operation's request (`envctl_ops`), calls it, and renders what
//! comes back; the decisions are the operations layer's. The glue they share is
//! here.

mod build;
mod completions;
mod config;
mod down;
mod events;
mod exec;
mod graph;
mod images;
mod info;
mod kill;
mod logs;
mod man;
mod pause;
mod port;
mod ps;
mod pull;
mod restart;
mod rm;
mod run;
mod serve;
mod stack;
mod start;
mod stop;
mod top;
mod unpause;
mod up;
mod version;

use std::sync::Arc;

use envctl_ops::types::{ActionEvent, ActionProgress, ContainerAction, Outcome};
use envctl_ops::{ContainerOperation, Events};
use envctl_parser::ServiceName;
use envctl_planner::{ContainerRef, Plan};

use crate::args::{Args, Command};
use crate::failure::Failure;
use crate::invocation::Invocation;
use crate::progress::{Terminal, print_warning, terminal_events};

pub async fn dispatch(args: Args) -> Result<(), Failure> {
    if args.global.host.is_some() && args.global.context.is_some() {
        return Err(Failure::usage(
            "-H, --host and -c, --context are mutually exclusive.",
        ));
    }
    let invocation = Invocation::from_process(args.global);
    match args.command {
        Command::Up(up_args) => up::run(&invocation, up_args).await,
        Command::Create(create_args) => up::create(&invocation, create_args).await,
        Command::Scale(scale_args) => up::scale(&invocation, scale_args).await,
        Command::Events(events_args) => events::run(&invocation, events_args).await,
        Command::Down(down_args) => down::run(&invocation, down_args).await,
        Command::Ps(ps_args) => ps::run(&invocation, ps_args).await,
        Command::Config(config_args) => config::run(&invocation, config_args).await,
        Command::Graph(graph_args) => graph::run(&invocation, &graph_args),
        Command::Version(version_args) => version::run(&invocation, &version_args).await,
        Command::Info => info::run(&invocation).await,
        Command::Serve(serve_args) => serve::run(&invocation, *serve_args).await,
        Command::Stop(stop_args) => stop::run(&invocation, stop_args).await,
        Command::Start(start_args) => start::run(&invocation, start_args).await,
        Command::Rm(rm_args) => rm::run(&invocation, rm_args).await,
        Command::Logs(logs_args) => logs::run(&invocation, logs_args).await,
        Command::Exec(exec_args) => exec::run(&invocation, exec_args).await,
        Command::Run(run_args) => run::run(&invocation, run_args).await,
        Command::Port(port_args) => port::run(&invocation, port_args).await,
        Command::Top(top_args) => top::run(&invocation, top_args).await,
        Command::Images(images_args) => images::run(&invocation, images_args).await,
        Command::Completions(completions_args) => completions::run(&completions_args),
        Command::Man => man::run(),
        Command::Pull(pull_args) => pull::run(&invocation, pull_args).await,
        Command::Build(build_args) => build::run(&invocation, build_args).await,
        Command::Restart(restart_args) => restart::run(&invocation, restart_args).await,
        Command::Kill(kill_args) => kill::run(&invocation, kill_args).await,
        Command::Pause(pause_args) => pause::run(&invocation, pause_args).await,
        Command::Unpause(unpause_args) => unpause::run(&invocation, unpause_args).await,
        // Boxed: `stack deploy` holds the whole deploy (plan, push, wait) in one future.
        Command::Stack(stack_command) => Box::pin(stack::run(&invocation, stack_command)).await,
    }
}

/// `--dry-run`: the plan's one-line-per-step form on stdout, warnings on stderr.
fn print_plan(plan: &Plan) -> Result<(), Failure> {
    for warning in &plan.warnings {
        print_warning(warning);
    }
    if plan.is_noop() {
        return crate::progress::print_line(&format!(
            "nothing to do: {} container(s) up to date",
            plan.steps.len()
        ));
    }
    crate::progress::print_line(plan.to_string().trim_end())
}

/// `restart`, `kill`, `pause`, `unpause`: the operation on the services'
/// containers, a line per container as 1.29.2 prints it; `nothing` is what to say
/// (and exit 1) when there was no container to act on (`kill` says nothing).
async fn act(
    invocation: &Invocation,
    operation: ContainerOperation,
    services: &[String],
    nothing: Option<&str>,
) -> Result<(), Failure> {
    let target = invocation.target()?;
    let events = Actions {
        terminal: Terminal::new(),
    };
    let acted = envctl_ops::act(&target, &operation, services, &events).await?;
    if acted.containers > 0 {
        return Ok(());
    }
    match nothing {
        Some(message) => {
            eprintln!("{message}");
            Err(Failure::exit(1))
        }
        None => Ok(()),
    }
}

/// The terminal, with `Killing x ... done` lines for container actions.
struct Actions {
    terminal: Terminal,
}

impl Events for Actions {
    terminal_events!();

    fn actions(
        &self,
        action: &ContainerAction,
        targets: &[(ServiceName, ContainerRef)],
    ) -> ActionProgress {
        let verb = action.verb();
        let width = targets
            .iter()
            .map(|(_, container)| container.name.len())
            .max()
            .unwrap_or(0);
        Arc::new(move |event: ActionEvent| {
            let status = match event.outcome {
                Outcome::Done => "done".to_owned(),
                Outcome::Failed(message) => format!("error\n{message}"),
                Outcome::Started | Outcome::Skipped => return,
            };
            eprintln!("{verb} {:<width$} ... {status}", event.container);
        })
    }
}
