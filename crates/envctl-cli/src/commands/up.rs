//! `envctl up`: the flags as an `up` request; the plan printed with `--dry-run`;
//! without `-d`, the containers' output as 1.29.2 prints it (`Attaching to …`,
//! lines prefixed `<service>_<N> |`, `<name> exited with code N`).

use std::collections::HashMap;
use std::sync::Arc;

use envctl_ops::types::{LogEvent, LogSink};
use envctl_ops::{Events, UpOutcome, UpRequest};
use envctl_parser::{Project, ServiceName};
use envctl_planner::{ContainerRef, ImageOptions, RecreateStrategy, UpOptions};
use indexmap::IndexMap;

use crate::args::{CreateArgs, ScaleArgs, UpArgs};
use crate::failure::Failure;
use crate::invocation::Invocation;
use crate::progress::{Terminal, print_line, terminal_events};

pub async fn run(invocation: &Invocation, args: UpArgs) -> Result<(), Failure> {
    let mut options = up_options(&args)?;
    options.profiles = invocation.profiles();
    options.ignore_orphans = invocation.ignore_orphans(args.remove_orphans)?;
    let mut target = invocation.target()?;
    // As 1.29.2: a build context need not exist when nothing will be built.
    target.load.check_build_paths = !args.no_build;
    let request = UpRequest {
        options,
        images: ImageOptions {
            build: args.build,
            no_build: args.no_build,
        },
        dry_run: args.dry_run,
        wait: args.wait,
        attach: !args.detach,
        attach_dependencies: args.attach_dependencies,
        abort_on_container_exit: args.abort_on_container_exit,
        exit_code_from: args.exit_code_from.clone(),
        force: if args.detach {
            tokio_util::sync::CancellationToken::new()
        } else {
            crate::interrupt::force_token()
        },
    };
    let events = Attached {
        terminal: Terminal::new(),
        no_log_prefix: args.no_log_prefix,
    };
    match envctl_ops::up(&target, &request, &events, &crate::interrupt::token()).await? {
        UpOutcome::DryRun(plan) => super::print_plan(&plan),
        UpOutcome::Aborted { exit_code: 0 } | UpOutcome::Done => Ok(()),
        UpOutcome::Aborted { exit_code } => Err(Failure::exit(
            u8::try_from(exit_code.rem_euclid(256)).unwrap_or(1),
        )),
        _ => Ok(()),
    }
}

/// `create`: 1.29.2's `up --no-start`, with its recreation and build flags.
pub async fn create(invocation: &Invocation, args: CreateArgs) -> Result<(), Failure> {
    let up_args = UpArgs {
        no_start: true,
        force_recreate: args.force_recreate,
        no_recreate: args.no_recreate,
        build: args.build,
        no_build: args.no_build,
        services: args.services,
        ..UpArgs::default()
    };
    run(invocation, up_args).await
}

/// `scale SERVICE=NUM...` (deprecated in 1.29.2, which still runs it): `up -d
/// --no-deps --no-recreate --scale SERVICE=NUM` for the named services.
pub async fn scale(invocation: &Invocation, args: ScaleArgs) -> Result<(), Failure> {
    crate::progress::print_warning(
        "The scale command is deprecated. Use the up command with the --scale flag instead.",
    );
    let mut services = Vec::new();
    for entry in &args.scales {
        let Some((service, _)) = entry.split_once('=') else {
            return Err(Failure::usage(format!(
                "Number of containers for service \"{entry}\" is not a number"
            )));
        };
        services.push(service.to_owned());
    }
    let up_args = UpArgs {
        detach: true,
        no_deps: true,
        no_recreate: true,
        no_build: true,
        scale: args.scales,
        timeout: args.timeout,
        services,
        ..UpArgs::default()
    };
    run(invocation, up_args).await
}

/// The terminal, with the attached containers' output on stdout.
struct Attached {
    terminal: Terminal,
    /// `--no-log-prefix`: the containers' lines as they are.
    no_log_prefix: bool,
}

impl Events for Attached {
    terminal_events!();

    fn attached(&self, project: &Project, containers: &[(ContainerRef, String)]) -> LogSink {
        let names: Vec<&str> = containers
            .iter()
            .map(|(container, _)| container.name.as_str())
            .collect();
        // A closed stdout ends nothing here: the containers keep running.
        let _ = print_line(&format!("Attaching to {}", names.join(", ")));
        let short_names: HashMap<String, String> = containers
            .iter()
            .map(|(container, short)| (container.name.clone(), short.clone()))
            .collect();
        let width = project
            .services
            .keys()
            .map(|name| name.as_str().len())
            .max()
            .unwrap_or(0)
            + 3;
        let no_log_prefix = self.no_log_prefix;
        Arc::new(move |event| {
            let line = match event {
                LogEvent::Line { text, .. } if no_log_prefix => text,
                LogEvent::Line { container, text } => {
                    let short = short_names.get(&container).unwrap_or(&container);
                    format!("{short:<width$} | {text}")
                }
                LogEvent::Exited {
                    container,
                    exit_code,
                } => format!("{container} exited with code {exit_code}"),
                _ => return,
            };
            let _ = print_line(&line);
        })
    }
}

/// The flags as the planner's options, with 1.29.2's checks on their combinations.
fn up_options(args: &UpArgs) -> Result<UpOptions, Failure> {
    if args.force_recreate && args.no_recreate {
        return Err(Failure::usage(
            "`--force-recreate` and `--no-recreate` cannot be combined",
        ));
    }
    if args.no_start && args.detach {
        // 1.29.2: "--no-start and --detach cannot be combined."
        return Err(Failure::usage(
            "`--no-start` and `--detach` cannot be combined",
        ));
    }
    if args.renew_anon_volumes && args.no_recreate {
        return Err(Failure::usage(
            "`--renew-anon-volumes` and `--no-recreate` cannot be combined",
        ));
    }
    let strategy = if args.force_recreate || args.renew_anon_volumes {
        RecreateStrategy::Always
    } else if args.no_recreate {
        RecreateStrategy::Never
    } else {
        RecreateStrategy::Changed
    };
    let mut scale = IndexMap::new();
    for entry in &args.scale {
        let parsed = entry
            .split_once('=')
            .and_then(|(service, number)| Some((service, number.trim().parse::<u32>().ok()?)));
        let Some((service, number)) = parsed else {
            return Err(Failure::usage(format!(
                "invalid `--scale` value `{entry}`: expected SERVICE=NUM"
            )));
        };
        scale.insert(ServiceName::new(service), number);
    }
    Ok(UpOptions {
        services: args
            .services
            .iter()
            .map(|name| ServiceName::new(name.as_str()))
            .collect(),
        no_deps: args.no_deps,
        strategy,
        always_recreate_deps: args.always_recreate_deps,
        no_start: args.no_start,
        scale,
        remove_orphans: args.remove_orphans,
        renew_anon_volumes: args.renew_anon_volumes,
        timeout: args.timeout,
        profiles: Vec::new(),
        ignore_orphans: false,
    })
}
