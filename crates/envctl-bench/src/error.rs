//! Why a bench run stops. Every variant is reported once by `main`, after the
//! projects the run created are removed.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BenchError {
    #[error("cannot {action}: {source}")]
    Io {
        action: String,
        #[source]
        source: std::io::Error,
    },
    #[error("`{command}` {status} (in {directory})\n{stderr}")]
    Command {
        command: String,
        directory: PathBuf,
        status: String,
        stderr: String,
    },
    #[error("the engine refused to {action}: {source}")]
    Engine {
        action: String,
        #[source]
        source: bollard::errors::Error,
    },
    #[error("{0}")]
    Setup(String),
    #[error("{tool} left the engine in the wrong state after `{step}` of `{project}`: {problem}")]
    Verify {
        tool: String,
        step: String,
        project: String,
        problem: String,
    },
    #[error("interrupted")]
    Interrupted,
}
