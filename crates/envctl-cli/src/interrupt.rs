//! SIGINT (Ctrl-C) and SIGTERM, for the commands that change the engine or follow
//! output.
//!
//! Both signals mean the same thing: the first cancels one process-wide token, so
//! that no new step (or image build) starts while those in flight finish, and the
//! command exits with 128 + the signal's number (130 for SIGINT, 143 for SIGTERM);
//! any later one exits at once with its own code. A supervisor's SIGTERM (systemd,
//! a CI runner, `timeout`) therefore settles the project as Ctrl-C does, where the
//! default action would kill `envctl` between two engine requests, in the middle of
//! a recreate.
//!
//! The handlers are registered once, by the first call to [`shutdown`], and stay for
//! the life of the process: the operations layer asks for it (`Events::cancellable`)
//! as soon as it holds the project lock (before it observes), so that no signal
//! falls in a gap between two phases. A
//! `tokio::signal` future only sees signals that arrive after its first poll, which
//! is why the streams are registered at once rather than when a task first waits:
//! on a busy machine a second Ctrl-C 20 ms after the first was lost.
//! Read-only commands never call it, and keep the default action (exit at once).

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU8, Ordering};

use tokio::signal::unix::{Signal, SignalKind, signal};
use tokio_util::sync::CancellationToken;

/// Cancelled by the first signal, once the handlers are registered.
static SHUTDOWN: OnceLock<CancellationToken> = OnceLock::new();
/// Set when the handlers are registered.
static ARMED: OnceLock<()> = OnceLock::new();
/// The exit code the first signal asks for (0 until one arrives).
static EXIT_CODE: AtomicU8 = AtomicU8::new(0);

const SIGINT_EXIT: u8 = 130;
const SIGTERM_EXIT: u8 = 143;

/// SIGINT and SIGTERM, as streams that keep a signal delivered while nobody waits.
struct Signals {
    interrupt: Option<Signal>,
    terminate: Option<Signal>,
}

impl Signals {
    fn register() -> Self {
        Self {
            interrupt: signal(SignalKind::interrupt()).ok(),
            terminate: signal(SignalKind::terminate()).ok(),
        }
    }

    /// The exit code of the next signal.
    async fn next(&mut self) -> u8 {
        tokio::select! {
            code = wait(self.interrupt.as_mut(), SIGINT_EXIT) => code,
            code = wait(self.terminate.as_mut(), SIGTERM_EXIT) => code,
        }
    }
}

/// `code` once `signal` fires; never when it is missing (registration does not fail
/// on Linux) or closed.
async fn wait(signal: Option<&mut Signal>, code: u8) -> u8 {
    if let Some(signal) = signal
        && signal.recv().await.is_some()
    {
        return code;
    }
    std::future::pending().await
}

/// The process-wide token the first SIGINT or SIGTERM cancels, without
/// registering the handlers: what a command hands the operations layer, which
/// asks for [`shutdown`] (through `Events::cancellable`) when it can be cancelled.
pub fn token() -> CancellationToken {
    SHUTDOWN.get_or_init(CancellationToken::new).clone()
}

/// [`token`], with the handlers registered on the first call (inside the
/// runtime). A second signal exits at once.
pub fn shutdown() -> CancellationToken {
    let token = token();
    ARMED.get_or_init(|| {
        let first = token.clone();
        let mut signals = Signals::register();
        tokio::spawn(async move {
            let code = signals.next().await;
            EXIT_CODE.store(code, Ordering::SeqCst);
            first.cancel();
            let code = signals.next().await;
            std::process::exit(i32::from(code));
        });
    });
    token
}

/// The exit code for an interrupted command: 130 after SIGINT, 143 after SIGTERM.
pub fn exit_code() -> u8 {
    match EXIT_CODE.load(Ordering::SeqCst) {
        0 => SIGINT_EXIT,
        code => code,
    }
}
