//! `envctl run SERVICE [COMMAND...]`: a one-off container of the service
//! (`<project>_<service>_run_<slug>`), its dependencies brought up first unless
//! `--no-deps`, attached to the terminal (stdin, and a TTY when stdin is one), its
//! exit code envctl's; `--rm` removes it once it exits; `-d` prints its name.

use envctl_ops::types::OneOff;
use envctl_ops::{Io, RunRequest};

use crate::args::RunArgs;
use crate::failure::Failure;
use crate::invocation::Invocation;
use crate::progress::{Terminal, print_line};
use crate::terminal::{exit_with, stdin_chunks, stdin_is_terminal, terminal_size};

pub async fn run(invocation: &Invocation, args: RunArgs) -> Result<(), Failure> {
    if args.rm && args.detach {
        return Err(Failure::usage("`--rm` and `-d` cannot be combined"));
    }
    if args.service_ports && !args.publish.is_empty() {
        return Err(Failure::usage(
            "`--service-ports` and `-p`/`--publish` cannot be combined",
        ));
    }
    let target = invocation.target()?;
    let tty = !args.no_tty && !args.detach && stdin_is_terminal();
    let request = RunRequest {
        service: args.service,
        name: args.name,
        oneoff: OneOff {
            command: (!args.command.is_empty()).then_some(args.command),
            entrypoint: args.entrypoint,
            env: args.env,
            user: args.user,
            working_dir: args.workdir,
            volumes: args.volumes,
            ports: args.publish,
            service_ports: args.service_ports,
            tty,
            stdin_open: !args.detach,
            ..OneOff::default()
        },
        no_deps: args.no_deps,
        detach: args.detach,
        remove: args.rm,
    };
    let io = Io {
        input: (!args.detach).then(stdin_chunks),
        terminal_size: if tty { terminal_size() } else { None },
        stdout: tokio::io::stdout(),
        stderr: tokio::io::stderr(),
    };
    let events = Terminal::raw(tty);
    let token = crate::interrupt::token();
    let result = envctl_ops::run(&target, &request, io, &events, &token).await;
    events.restore();
    let outcome = result?;
    match outcome.exit_code {
        None => print_line(&outcome.name),
        Some(code) => exit_with(code),
    }
}
