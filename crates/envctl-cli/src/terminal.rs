//! The process's own terminal: standard input as chunks for a container, its size,
//! raw mode, and a command's exit code as envctl's.

use std::io::{IsTerminal as _, Read as _};

use tokio::sync::mpsc;

use crate::failure::Failure;

/// The command's exit code as envctl's own.
pub fn exit_with(code: i64) -> Result<(), Failure> {
    match u8::try_from(code) {
        Ok(0) => Ok(()),
        Ok(code) => Err(Failure::exit(code)),
        Err(_) => Err(Failure::exit(1)),
    }
}

/// Whether standard input is a terminal (a TTY is allocated only then).
pub fn stdin_is_terminal() -> bool {
    std::io::stdin().is_terminal()
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
