//! `envctl exec SERVICE COMMAND...`: a command in the service's running container
//! number `--index`; stdin, stdout and stderr carried through (with a TTY, in raw
//! mode, when stdin is a terminal and `-T` is not given); the command's exit code
//! is envctl's.

use envctl_ops::types::ExecRequest;
use envctl_ops::{ExecOperation, Io};

use crate::args::ExecArgs;
use crate::failure::Failure;
use crate::invocation::Invocation;
use crate::progress::Terminal;
use crate::terminal::{exit_with, stdin_chunks, stdin_is_terminal, terminal_size};

pub async fn run(invocation: &Invocation, args: ExecArgs) -> Result<(), Failure> {
    let target = invocation.target()?;
    let tty = !args.no_tty && !args.detach && stdin_is_terminal();
    let operation = ExecOperation {
        service: args.service,
        index: args.index,
        request: ExecRequest {
            command: args.command,
            user: args.user,
            working_dir: args.workdir,
            env: args.env,
            privileged: args.privileged,
            tty,
            detach: args.detach,
        },
    };
    let io = Io {
        input: (!args.detach).then(stdin_chunks),
        terminal_size: terminal_size(),
        stdout: tokio::io::stdout(),
        stderr: tokio::io::stderr(),
    };
    let events = Terminal::raw(tty);
    let result = envctl_ops::exec(&target, &operation, io, &events).await;
    events.restore();
    exit_with(result?.unwrap_or(0))
}
