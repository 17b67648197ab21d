//! `envctl exec SERVICE COMMAND...`: a command in the service's running container
//! number `--index`; stdin, stdout and stderr carried through (with a TTY, in raw
//! mode, when stdin is a terminal and `-T` is not given); the command's exit code
//! is envctl's.

use std::io::{IsTerminal as _, Read as _};

use envctl_executor::{ExecInput, ExecRequest};
use envctl_planner::ContainerState;
use tokio::sync::mpsc;

use crate::args::ExecArgs;
use crate::invocation::Invocation;
use crate::report::Failure;

pub async fn run(invocation: &Invocation, args: ExecArgs) -> Result<(), Failure> {
    let (project, engine, observed) = super::prepare(invocation).await?;
    if !project.services.contains_key(args.service.as_str()) {
        return Err(Failure::usage(format!(
            "no such service: `{}`",
            args.service
        )));
    }
    let container = observed
        .service_containers(&args.service)
        .into_iter()
        .find(|container| container.number == Some(args.index))
        .ok_or_else(|| {
            Failure::usage(format!(
                "no container found for `{}_{}`",
                args.service, args.index
            ))
        })?;
    if !matches!(container.state, ContainerState::Running) {
        return Err(Failure::usage(format!(
            "container `{}` is not running",
            container.name
        )));
    }
    let tty = !args.no_tty && !args.detach && std::io::stdin().is_terminal();
    let request = ExecRequest {
        command: args.command,
        user: args.user,
        working_dir: args.workdir,
        env: args.env,
        privileged: args.privileged,
        tty,
        detach: args.detach,
    };
    let input: ExecInput = (!args.detach).then(stdin_chunks);
    let _raw = tty.then(RawMode::enter).flatten();
    let code = engine
        .exec(
            &container.id,
            &request,
            input,
            terminal_size(),
            tokio::io::stdout(),
            tokio::io::stderr(),
        )
        .await
        .map_err(|source| {
            Failure::from(envctl_executor::ExecutorError::Step {
                service: args.service.clone(),
                operation: envctl_executor::Operation::Exec,
                container: container.name.clone(),
                source,
            })
        })?;
    exit_with(code.unwrap_or(0))
}

/// The command's exit code as envctl's own.
pub fn exit_with(code: i64) -> Result<(), Failure> {
    match u8::try_from(code) {
        Ok(0) => Ok(()),
        Ok(code) => Err(Failure::exit(code)),
        Err(_) => Err(Failure::exit(1)),
    }
}

/// Stdin, read on a thread of its own (a blocked read must not keep the runtime
/// from ending), as chunks; the channel closes at end of input.
pub fn stdin_chunks() -> mpsc::Receiver<Vec<u8>> {
    let (sender, receiver) = mpsc::channel::<Vec<u8>>(16);
    std::thread::spawn(move || {
        let mut stdin = std::io::stdin();
        let mut buffer = [0_u8; 8192];
        loop {
            match stdin.read(&mut buffer) {
                Ok(0) | Err(_) => break,
                Ok(read) => {
                    if sender.blocking_send(buffer[..read].to_vec()).is_err() {
                        break;
                    }
                }
            }
        }
    });
    receiver
}

/// `(rows, columns)` of the terminal on stdout, if it is one.
pub fn terminal_size() -> Option<(u16, u16)> {
    let stdout = std::io::stdout();
    if !stdout.is_terminal() {
        return None;
    }
    let size = rustix::termios::tcgetwinsize(&stdout).ok()?;
    Some((size.ws_row, size.ws_col))
}

/// The terminal on stdin in raw mode (keys go to the container as typed) until
/// dropped.
pub struct RawMode {
    saved: rustix::termios::Termios,
}

impl RawMode {
    pub fn enter() -> Option<Self> {
        let stdin = std::io::stdin();
        let saved = rustix::termios::tcgetattr(&stdin).ok()?;
        let mut raw = saved.clone();
        raw.make_raw();
        rustix::termios::tcsetattr(&stdin, rustix::termios::OptionalActions::Now, &raw).ok()?;
        Some(Self { saved })
    }
}

impl Drop for RawMode {
    fn drop(&mut self) {
        let _ = rustix::termios::tcsetattr(
            std::io::stdin(),
            rustix::termios::OptionalActions::Now,
            &self.saved,
        );
    }
}
