//! One module per subcommand; `dispatch` picks it.

mod apply;
mod build;
mod config;
mod down;
mod exec;
mod generate;
mod graph;
mod images;
mod info;
mod inspect;
mod logs;
mod oneoff;
mod ps;
mod pull;
mod resources;
mod rm;
mod start;
mod stop;
mod table;
mod up;
mod version;

use envctl_executor::{Engine, ProjectLock, RunOptions, observe, run};
use envctl_parser::Project;
use envctl_planner::{Observed, Plan};
use tokio_util::sync::CancellationToken;

use crate::args::{Args, Command};
use crate::invocation::Invocation;
use crate::report::{self, Failure, print_status, print_warning};

pub async fn dispatch(args: Args) -> Result<(), Failure> {
    let invocation = Invocation::from_process(args.global);
    match args.command {
        Command::Up(up_args) => up::run(&invocation, up_args).await,
        Command::Down(down_args) => down::run(&invocation, down_args).await,
        Command::Ps(ps_args) => ps::run(&invocation, ps_args).await,
        Command::Config(config_args) => config::run(&invocation, config_args).await,
        Command::Graph(graph_args) => graph::run(&invocation, &graph_args),
        Command::Version(version_args) => version::run(&invocation, &version_args).await,
        Command::Info => info::run(&invocation).await,
        Command::Stop(stop_args) => stop::run(&invocation, stop_args).await,
        Command::Start(start_args) => start::run(&invocation, start_args).await,
        Command::Rm(rm_args) => rm::run(&invocation, rm_args).await,
        Command::Logs(logs_args) => logs::run(&invocation, logs_args).await,
        Command::Exec(exec_args) => exec::run(&invocation, exec_args).await,
        Command::Run(run_args) => oneoff::run(&invocation, run_args).await,
        Command::Port(port_args) => inspect::port(&invocation, port_args).await,
        Command::Top(top_args) => inspect::top(&invocation, top_args).await,
        Command::Images(images_args) => inspect::images(&invocation, images_args).await,
        Command::Completions(completions_args) => generate::completions(&completions_args),
        Command::Man => generate::man(),
        Command::Pull(pull_args) => pull::run(&invocation, pull_args).await,
        Command::Build(build_args) => build::run(&invocation, build_args).await,
        Command::Restart(_) | Command::Kill(_) | Command::Pause(_) | Command::Unpause(_) => {
            apply::run(&invocation, args.command).await
        }
    }
}

/// The named services (every service when none is named) in dependency order;
/// with `with_dependencies`, also what they need (`pull --include-deps`).
fn selected_services(
    project: &Project,
    names: &[String],
    with_dependencies: bool,
) -> Result<Vec<envctl_parser::ServiceName>, Failure> {
    let graph = envctl_planner::DependencyGraph::new(project)?;
    let names = stop::service_names(names);
    Ok(if names.is_empty() {
        graph.order()
    } else if with_dependencies {
        graph.with_dependencies(&names)?
    } else {
        graph.only(&names)?
    })
}

/// Loads the project, connects and observes: what `up` and `down` start from.
async fn prepare(invocation: &Invocation) -> Result<(Project, Engine, Observed), Failure> {
    let project = invocation.load_project(true)?;
    let engine = invocation.connect().await?;
    let observed = observe(&engine, &project).await?;
    Ok((project, engine, observed))
}

/// What a command that changes the project's containers starts from: the project
/// lock (none with `--dry-run`, which changes nothing), then the signal handlers
/// (`interrupt.rs`), then connect and observe, so that what it observes stays true
/// until it is done.
async fn prepare_locked(
    invocation: &Invocation,
    dry_run: bool,
) -> Result<(Project, Engine, Observed, Option<ProjectLock>), Failure> {
    let project = invocation.load_project(true)?;
    let lock = if dry_run {
        None
    } else {
        let lock = lock_project(invocation, &project).await?;
        crate::interrupt::shutdown();
        lock
    };
    let engine = invocation.connect().await?;
    let observed = observe(&engine, &project).await?;
    Ok((project, engine, observed, lock))
}

/// Takes the project's lock (`envctl_executor::lock`), saying so while another
/// envctl holds it. A lock that cannot be taken is an error that says why (exit 1):
/// a mutating command never runs unlocked.
async fn lock_project(
    invocation: &Invocation,
    project: &Project,
) -> Result<Option<ProjectLock>, Failure> {
    let endpoint = invocation.endpoint()?;
    let runtime_dir = invocation
        .environment
        .get("XDG_RUNTIME_DIR")
        .filter(|directory| !directory.is_empty())
        .map(std::path::PathBuf::from);
    let directory = ProjectLock::directory(runtime_dir.as_deref(), &std::env::temp_dir());
    let name = project.name.clone();
    let waiting = || {
        print_status(&format!(
            "waiting for another envctl working on project `{name}`"
        ));
    };
    match ProjectLock::acquire(&directory, &endpoint, &project.name, waiting).await {
        Ok(lock) => Ok(Some(lock)),
        Err(error) => Err(Failure::usage(format!(
            "cannot lock project `{}` in `{}`: {error}",
            project.name,
            directory.display()
        ))),
    }
}

/// `--dry-run`: the plan's one-line-per-step form on stdout, warnings on stderr.
fn print_plan(plan: &Plan) -> Result<(), Failure> {
    for warning in &plan.warnings {
        print_warning(warning);
    }
    if plan.is_noop() {
        return report::print_line(&format!(
            "nothing to do: {} container(s) up to date",
            plan.steps.len()
        ));
    }
    report::print_line(plan.to_string().trim_end())
}

/// Carries `plan` out, rendering progress; the first SIGINT or SIGTERM stops
/// starting new steps and exits 130 (143), the second exits at once.
async fn execute(
    invocation: &Invocation,
    engine: &Engine,
    project: &Project,
    observed: &Observed,
    plan: &Plan,
) -> Result<(), Failure> {
    let shutdown = crate::interrupt::shutdown();
    execute_until(invocation, engine, project, observed, plan, shutdown).await
}

/// [`execute`], stopping when `shutdown` is cancelled.
async fn execute_until(
    invocation: &Invocation,
    engine: &Engine,
    project: &Project,
    observed: &Observed,
    plan: &Plan,
    shutdown: CancellationToken,
) -> Result<(), Failure> {
    for warning in &plan.warnings {
        print_warning(warning);
    }
    tracing::debug!("plan:\n{plan}");
    // A signal that came while observing or building: start nothing.
    if shutdown.is_cancelled() {
        return Err(Failure::interrupted());
    }
    // Steps in flight finish (a step is a few engine requests, a recreate's stop
    // timeout at most); after a second signal, what was in flight is at worst a
    // labelled container not yet started or a recreate half done, which the next
    // `up` finishes (docs/executor.md).
    let options = RunOptions {
        parallel_limit: invocation.parallel_limit()?,
    };
    let result = run(
        engine,
        project,
        observed,
        plan,
        &options,
        report::progress(plan),
        shutdown.clone(),
    )
    .await;
    if shutdown.is_cancelled() {
        return Err(Failure::interrupted());
    }
    Ok(result?)
}
