//! `envctl run SERVICE [COMMAND...]`: a one-off container of the service
//! (`<project>_<service>_run_<slug>`, labelled `oneoff=True` with its slug), its
//! dependencies brought up first unless `--no-deps` (never recreated), attached to
//! the terminal (stdin, and a TTY when stdin is one), its exit code envctl's;
//! `--rm` removes it, with its anonymous volumes, once it exits. (The file is
//! `oneoff.rs` because `run` in `commands/mod.rs` is the executor's plan runner.)

use std::collections::hash_map::RandomState;
use std::fmt::Write as _;
use std::hash::{BuildHasher as _, Hasher as _};
use std::io::IsTerminal as _;

use envctl_executor::{ExecutorError, OneOff, Operation, observe, oneoff_spec};
use envctl_parser::ServiceName;
use envctl_planner::{UpOptions, check_refusals, check_secret_files, oneoff_name, plan_run_deps};

use crate::args::RunArgs;
use crate::invocation::Invocation;
use crate::report::{Failure, print_line, print_warning};

pub async fn run(invocation: &Invocation, args: RunArgs) -> Result<(), Failure> {
    if args.rm && args.detach {
        return Err(Failure::usage("`--rm` and `-d` cannot be combined"));
    }
    if args.service_ports && !args.publish.is_empty() {
        return Err(Failure::usage(
            "`--service-ports` and `-p`/`--publish` cannot be combined",
        ));
    }
    // The lock covers the dependencies only: the one-off's own name is unique,
    // and it may run for hours. No signal handler either: until the one-off
    // exists, Ctrl-C keeps its default action unless a dependency step runs.
    let project = invocation.load_project(true)?;
    let lock = super::lock_project(invocation, &project).await?;
    let engine = invocation.connect().await?;
    let observed = observe(&engine, &project).await?;
    let name = ServiceName::new(args.service.as_str());
    let Some(service) = project.services.get(&name) else {
        return Err(Failure::usage(format!(
            "no such service: `{}`",
            args.service
        )));
    };
    // A one-off whose secrets have no file fails before its dependencies start.
    check_refusals(&project, service)?;
    check_secret_files(service)?;
    // As 1.29.2's `project.up` for the one-off: the images of the service and,
    // unless `--no-deps`, of its dependencies are pulled or built when missing,
    // before anything is created.
    let image_options = UpOptions {
        services: vec![name.clone()],
        no_deps: args.no_deps,
        ..UpOptions::default()
    };
    let observed = super::images::ensure_images(
        invocation,
        &engine,
        &project,
        observed,
        &image_options,
        super::images::ImagePolicy::default(),
    )
    .await?;
    super::resources::ensure_all(&engine, &project).await?;
    let observed = if args.no_deps {
        observed
    } else {
        let plan = plan_run_deps(&project, &observed, &name)?;
        if !plan.steps.is_empty() {
            super::execute(invocation, &engine, &project, &observed, &plan).await?;
        }
        observe(&engine, &project).await?
    };
    drop(lock);
    let slug = slug();
    let tty = !args.no_tty && !args.detach && std::io::stdin().is_terminal();
    let oneoff = OneOff {
        name: args
            .name
            .clone()
            .unwrap_or_else(|| oneoff_name(&project, &name, &slug)),
        slug,
        command: (!args.command.is_empty()).then(|| args.command.clone()),
        entrypoint: args.entrypoint.clone(),
        env: args.env.clone(),
        user: args.user.clone(),
        working_dir: args.workdir.clone(),
        volumes: args.volumes.clone(),
        ports: args.publish.clone(),
        service_ports: args.service_ports,
        tty,
        stdin_open: !args.detach,
    };
    let (spec, warnings) = oneoff_spec(&project, service, &observed, &oneoff)?;
    for warning in &warnings {
        print_warning(warning);
    }
    let step_error = |operation, source| {
        Failure::from(ExecutorError::Step {
            service: name.to_string(),
            operation,
            container: oneoff.name.clone(),
            source,
        })
    };
    let id = engine
        .create_attachable(&spec, !args.detach)
        .await
        .map_err(|source| step_error(Operation::Create, source))?;
    envctl_executor::join_networks(&engine, name.as_str(), &id, &spec, false).await?;
    if args.detach {
        engine
            .start_container(&id)
            .await
            .map_err(|source| step_error(Operation::Start, source))?;
        return print_line(&oneoff.name);
    }
    let input = super::exec::stdin_chunks();
    let raw = if tty {
        super::exec::RawMode::enter()
    } else {
        None
    };
    let result = engine
        .attach_and_start(
            &id,
            Some(input),
            if tty {
                super::exec::terminal_size()
            } else {
                None
            },
            tokio::io::stdout(),
            tokio::io::stderr(),
        )
        .await;
    drop(raw);
    if args.rm {
        // Removed even when attaching failed: `--rm` leaves nothing behind.
        engine
            .remove_container(&id, true, true)
            .await
            .map_err(|source| step_error(Operation::Remove, source))?;
    }
    let code = result.map_err(|source| step_error(Operation::Start, source))?;
    super::exec::exit_with(code)
}

/// 63 random hex digits, drawn again while the first 12 are all digits (1.29.2
/// `generate_random_id`, so that the short name never looks like a number).
fn slug() -> String {
    loop {
        let mut slug = String::with_capacity(64);
        for _ in 0..4 {
            let mut hasher = RandomState::new().build_hasher();
            hasher.write_u128(
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |elapsed| elapsed.as_nanos()),
            );
            let _ = write!(slug, "{:016x}", hasher.finish());
        }
        // `hex(getrandbits(256))[2:-1]` drops the last digit: 63 of them.
        slug.truncate(63);
        if !slug[..12].bytes().all(|byte| byte.is_ascii_digit()) {
            return slug;
        }
    }
}
