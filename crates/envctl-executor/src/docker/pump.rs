//! One hijacked connection, carried both ways: `input` to the container's stdin,
//! its output to ours. Shared by `run` (attach) and `exec`.

use bollard::container::LogOutput;
use futures::{Stream, StreamExt as _};
use tokio::io::{AsyncWrite, AsyncWriteExt as _};

use super::{Bollard, EngineError};
use crate::exec::ExecInput;

/// Copies until the container's output ends. A failed write to the container stops
/// only the input (its stdin is then closed); a closed output of ours (a pipe read
/// by `head`) ends the copy.
pub(super) async fn pump<S, W, O, E>(
    mut output: S,
    mut to_container: W,
    input: ExecInput,
    stdout: &mut O,
    stderr: &mut E,
) -> Result<(), EngineError>
where
    S: Stream<Item = Result<LogOutput, Bollard>> + Unpin,
    W: AsyncWrite + Unpin,
    O: AsyncWrite + Unpin,
    E: AsyncWrite + Unpin,
{
    let forward = async move {
        if let Some(mut input) = input {
            while let Some(chunk) = input.recv().await {
                if to_container.write_all(&chunk).await.is_err() {
                    break;
                }
                let _ = to_container.flush().await;
            }
            let _ = to_container.shutdown().await;
        }
        // Keep the connection's write half open until the output ends.
        std::future::pending::<()>().await;
    };
    let copy = async {
        while let Some(chunk) = output.next().await {
            let written = match chunk? {
                LogOutput::StdErr { message } => {
                    stderr.write_all(&message).await.and(stderr.flush().await)
                }
                LogOutput::StdOut { message }
                | LogOutput::Console { message }
                | LogOutput::StdIn { message } => {
                    stdout.write_all(&message).await.and(stdout.flush().await)
                }
            };
            if written.is_err() {
                break;
            }
        }
        Ok::<(), EngineError>(())
    };
    tokio::select! {
        result = copy => result,
        () = forward => Ok(()),
    }
}
