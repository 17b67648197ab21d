//! Waiting for the machine to settle before a timed command.
//!
//! The engine goes on writing after a command returns: a removed container's
//! layers, a started container's first writes. A command timed right after
//! another contender's `down` then waits for that disk work (a 6 ms `config -q`
//! took 0.3 s in such runs), which measures the previous command, not this one.
//! Before every timed command (every contender's, the floor's included) the bench
//! flushes dirty pages with `sync` and waits until the kernel reports little time
//! stalled on I/O or waiting for a CPU (`/proc/pressure/io` and `/proc/pressure/cpu`,
//! the `some` lines' totals: the engine also tears down network namespaces after
//! a `down`), for at most a few seconds. Nothing of this is inside a timed span.

use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

/// How long one look at the stall counter lasts.
const WINDOW: Duration = Duration::from_millis(100);
/// Settled: tasks stalled on I/O for under this share of the window.
const QUIET_SHARE: f64 = 0.05;
/// Never wait longer than this (a machine that is never quiet is reported as it is).
const LONGEST: Duration = Duration::from_secs(3);

/// Runs `program --version`, untimed, so that its files are in memory again.
///
/// This machine pages out memory that has not been touched for about a minute
/// (a DAMON `pageout` scheme: `/sys/kernel/mm/damon/admin/kdamonds/0`), the page
/// cache of a program included. A contender's first command of a repetition came
/// after the other contenders' turns and read its program back from disk: envctl's
/// `config -q` took 0.1–0.3 s instead of 6 ms. docker-compose (Python and its
/// modules) is warmed the same way.
pub async fn warm_up(program: &Path) {
    let _ = tokio::process::Command::new(program)
        .arg("--version")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .await;
}

/// Flushes dirty pages and waits for I/O to calm down (see the module comment).
pub async fn settle() {
    let _ = tokio::process::Command::new("sync").status().await;
    let deadline = Instant::now() + LONGEST;
    let Some(mut before) = stall_micros() else {
        // No pressure stall information (an older kernel): the `sync` must do.
        return;
    };
    while Instant::now() < deadline {
        tokio::time::sleep(WINDOW).await;
        let Some(now) = stall_micros() else { return };
        #[allow(clippy::cast_precision_loss)]
        let share = now.saturating_sub(before) as f64 / WINDOW.as_micros() as f64;
        if share < QUIET_SHARE {
            return;
        }
        before = now;
    }
}

/// Microseconds some task was stalled on I/O, plus those some task waited for a
/// CPU, since boot.
fn stall_micros() -> Option<u64> {
    Some(stall_total("io")? + stall_total("cpu")?)
}

/// The `some ... total=` of `/proc/pressure/<resource>`.
fn stall_total(resource: &str) -> Option<u64> {
    let text = std::fs::read_to_string(format!("/proc/pressure/{resource}")).ok()?;
    let line = text.lines().find(|line| line.starts_with("some "))?;
    line.split_whitespace()
        .find_map(|field| field.strip_prefix("total="))?
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stall_counters_read_where_the_kernel_has_them() {
        if Path::new("/proc/pressure/io").exists() {
            assert!(stall_micros().is_some());
        }
    }
}
