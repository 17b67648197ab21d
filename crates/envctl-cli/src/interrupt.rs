//! Ctrl-C for the commands that run steps or follow output.
//!
//! The handler is registered when [`watch`] is called, not when a task first
//! waits: a `tokio::signal::ctrl_c()` future only sees signals that arrive after
//! its first poll, so on a busy machine a second Ctrl-C 20 ms after the first was
//! lost, and `up` waited for its steps instead of exiting at once.

use tokio::signal::unix::{Signal, SignalKind, signal};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// SIGINT, as a stream that keeps a signal delivered while nobody waits.
struct Interrupts {
    signal: Option<Signal>,
}

impl Interrupts {
    fn register() -> Self {
        Self {
            signal: signal(SignalKind::interrupt()).ok(),
        }
    }

    async fn next(&mut self) -> bool {
        match &mut self.signal {
            Some(signal) => signal.recv().await.is_some(),
            // Registration failed (it does not on Linux): the next best thing.
            None => tokio::signal::ctrl_c().await.is_ok(),
        }
    }
}

/// A token cancelled by the first Ctrl-C. With `exit_on_second`, a second Ctrl-C
/// exits with 130 at once. Abort the handle when the work is done.
pub fn watch(exit_on_second: bool) -> (CancellationToken, JoinHandle<()>) {
    let shutdown = CancellationToken::new();
    let interrupt = shutdown.clone();
    let mut interrupts = Interrupts::register();
    let watcher = tokio::spawn(async move {
        if interrupts.next().await {
            interrupt.cancel();
            if exit_on_second && interrupts.next().await {
                std::process::exit(130);
            }
        }
    });
    (shutdown, watcher)
}
