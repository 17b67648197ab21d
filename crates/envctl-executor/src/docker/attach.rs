//! Attach to a created container, start it, carry input and output until it
//! stops, and return its exit code (`run` without `-d`).

use bollard::query_parameters::{
    AttachContainerOptionsBuilder, ResizeContainerTTYOptionsBuilder, WaitContainerOptions,
};
use futures::StreamExt as _;
use tokio::io::AsyncWrite;

use super::{Bollard, Engine, EngineError, create_body};
use crate::exec::ExecInput;
use crate::spec::ContainerSpec;

impl Engine {
    /// Creates the container to attach to; with `stdin`, the engine closes its
    /// standard input when ours ends (`StdinOnce`, as `docker run -i` does).
    pub async fn create_attachable(
        &self,
        spec: &ContainerSpec,
        stdin: bool,
    ) -> Result<String, EngineError> {
        let options = bollard::query_parameters::CreateContainerOptionsBuilder::default()
            .name(&spec.name)
            .build();
        let mut body = create_body(spec);
        body.attach_stdin = Some(stdin);
        body.attach_stdout = Some(true);
        body.attach_stderr = Some(true);
        body.stdin_once = Some(stdin);
        let response = self.client.create_container(Some(options), body).await?;
        Ok(response.id)
    }

    /// Attaches to container `id` (created, not started), starts it, sends `input`
    /// to its stdin and its output to `stdout`/`stderr` (with a TTY, all to
    /// `stdout`), and returns its exit code once it has stopped.
    pub async fn attach_and_start<O, E>(
        &self,
        id: &str,
        input: ExecInput,
        size: Option<(u16, u16)>,
        mut stdout: O,
        mut stderr: E,
    ) -> Result<i64, EngineError>
    where
        O: AsyncWrite + Unpin,
        E: AsyncWrite + Unpin,
    {
        let options = AttachContainerOptionsBuilder::default()
            .stream(true)
            .stdin(input.is_some())
            .stdout(true)
            .stderr(true)
            .build();
        let attached = self.client.attach_container(id, Some(options)).await?;
        let (output, to_container) = (attached.output, attached.input);
        self.client.start_container(id, None).await?;
        if let Some((height, width)) = size {
            let options = ResizeContainerTTYOptionsBuilder::default()
                .h(i32::from(height))
                .w(i32::from(width))
                .build();
            // A failed resize leaves the default 80x24: not worth failing for.
            let _ = self.client.resize_container_tty(id, options).await;
        }
        super::pump::pump(output, to_container, input, &mut stdout, &mut stderr).await?;
        let mut waits = self.client.wait_container(id, None::<WaitContainerOptions>);
        let code = match waits.next().await {
            Some(Ok(response)) => response.status_code,
            // The engine reports a non-zero exit as an error carrying the code.
            Some(Err(Bollard::DockerContainerWaitError { code, .. })) => code,
            Some(Err(error)) => return Err(error.into()),
            None => 0,
        };
        Ok(code)
    }
}
