//! `envctl exec`: a command in a running container, its input and output carried
//! through, its exit code returned. The caller owns the terminal: it passes the
//! bytes read from its stdin and the writers for the command's output.

use tokio::sync::mpsc;

/// The command to run and how (1.29.2 `exec`'s options).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExecRequest {
    pub command: Vec<String>,
    /// `-u`.
    pub user: Option<String>,
    /// `-w`.
    pub working_dir: Option<String>,
    /// `-e KEY=VAL`, in order.
    pub env: Vec<String>,
    /// `--privileged`.
    pub privileged: bool,
    /// Allocate a TTY: output comes as one stream.
    pub tty: bool,
    /// `-d`: start it and return at once.
    pub detach: bool,
}

/// Chunks read from the caller's stdin; closing the sender ends the command's
/// input. `None`: the command gets no stdin.
pub type ExecInput = Option<mpsc::Receiver<Vec<u8>>>;
