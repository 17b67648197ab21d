//! Exec: create, start attached (or detached), carry input and output, inspect
//! for the exit code.

use bollard::exec::{CreateExecOptions, ResizeExecOptions, StartExecOptions, StartExecResults};
use tokio::io::AsyncWrite;

use super::{Engine, EngineError};
use crate::exec::{ExecInput, ExecRequest};

impl Engine {
    /// Runs `request` in container `id`: `input` goes to the command's stdin,
    /// its output to `stdout` and `stderr` (with a TTY, all to `stdout`). Returns
    /// the command's exit code (`None` when detached).
    pub async fn exec<O, E>(
        &self,
        id: &str,
        request: &ExecRequest,
        input: ExecInput,
        size: Option<(u16, u16)>,
        mut stdout: O,
        mut stderr: E,
    ) -> Result<Option<i64>, EngineError>
    where
        O: AsyncWrite + Unpin,
        E: AsyncWrite + Unpin,
    {
        let attach = !request.detach;
        let created = self
            .client
            .create_exec(
                id,
                CreateExecOptions {
                    attach_stdin: Some(attach && input.is_some()),
                    attach_stdout: Some(attach),
                    attach_stderr: Some(attach),
                    tty: Some(request.tty),
                    env: (!request.env.is_empty()).then(|| request.env.clone()),
                    cmd: Some(request.command.clone()),
                    privileged: Some(request.privileged),
                    user: request.user.clone(),
                    working_dir: request.working_dir.clone(),
                    detach_keys: None,
                },
            )
            .await?;
        let options = StartExecOptions {
            detach: request.detach,
            tty: request.tty,
            output_capacity: None,
        };
        match self.client.start_exec(&created.id, Some(options)).await? {
            StartExecResults::Detached => return Ok(None),
            StartExecResults::Attached {
                output,
                input: to_command,
            } => {
                if let (Some((height, width)), true) = (size, request.tty) {
                    // A failed resize leaves the default 80x24: not worth failing for.
                    let _ = self
                        .client
                        .resize_exec(&created.id, ResizeExecOptions { height, width })
                        .await;
                }
                super::pump::pump(output, to_command, input, &mut stdout, &mut stderr).await?;
            }
        }
        let inspected = self.client.inspect_exec(&created.id).await?;
        Ok(Some(inspected.exit_code.unwrap_or(0)))
    }
}
