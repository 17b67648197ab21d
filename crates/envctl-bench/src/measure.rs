//! Timing a command and its peak memory, one process at a time.
//!
//! `getrusage(RUSAGE_CHILDREN)` reports the largest resident set of all the
//! children a process has waited for, so one bench process cannot tell one tool's
//! peak from another's. Each measured command therefore runs under a fresh copy of
//! the bench binary (`envctl-bench __measure-child -- <command>`): it spawns the
//! command, waits for it, and prints the wall time and its own `RUSAGE_CHILDREN`
//! peak, which is the command's (with any process the command itself waited for,
//! as `/usr/bin/time` reports it). The wrapper's own start-up is outside the timed
//! span.
//!
//! The wrapper runs in its own process group, so a Ctrl-C at the terminal reaches
//! the bench alone: the command under test finishes, and the bench then cleans up.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{ExitCode, Stdio};
use std::time::{Duration, Instant, SystemTime};

use crate::error::BenchError;

/// The hidden first argument that turns the bench binary into the wrapper.
pub const MEASURE_CHILD: &str = "__measure-child";

/// Variables that would change which files or project the tools use.
const CLEARED_VARIABLES: [&str; 5] = [
    "COMPOSE_FILE",
    "COMPOSE_PROJECT_NAME",
    "COMPOSE_PATH_SEPARATOR",
    "COMPOSE_PARALLEL_LIMIT",
    "ENVCTL_LOG",
];

/// One run of one command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sample {
    pub wall: Duration,
    /// Peak resident set, in KiB (`ru_maxrss` on Linux).
    pub max_rss_kib: u64,
}

/// What a finished command left: its sample, its stderr, and when it started.
#[derive(Debug, Clone)]
pub struct Finished {
    pub sample: Sample,
    pub stderr: String,
    /// Wall-clock time just before the wrapper was spawned (for traces).
    pub spawned_at: SystemTime,
}

/// The wrapper's whole job (`envctl-bench __measure-child -- program args…`).
/// Prints `<wall ns> <max rss KiB> <exit code>`; exits 0 unless it could not run
/// the command at all.
#[allow(clippy::print_stdout, clippy::print_stderr)]
pub fn measure_child(command: &[OsString]) -> ExitCode {
    let Some((program, arguments)) = command.split_first() else {
        eprintln!("error: `{MEASURE_CHILD}` needs a command after `--`");
        return ExitCode::from(2);
    };
    let started = Instant::now();
    let status = std::process::Command::new(program)
        .args(arguments)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .status();
    let wall = started.elapsed();
    let status = match status {
        Ok(status) => status,
        Err(error) => {
            eprintln!("error: cannot run `{}`: {error}", program.to_string_lossy());
            return ExitCode::from(127);
        }
    };
    let max_rss_kib = nix::sys::resource::getrusage(nix::sys::resource::UsageWho::RUSAGE_CHILDREN)
        .map_or(0, |usage| u64::try_from(usage.max_rss()).unwrap_or(0));
    println!(
        "{} {max_rss_kib} {}",
        wall.as_nanos(),
        status.code().unwrap_or(-1)
    );
    ExitCode::SUCCESS
}

/// Runs commands under the wrapper.
#[derive(Debug, Clone)]
pub struct Runner {
    wrapper: PathBuf,
}

impl Runner {
    /// Uses the running bench binary as the wrapper.
    pub fn new() -> Result<Self, BenchError> {
        let wrapper = std::env::current_exe().map_err(|source| BenchError::Io {
            action: "find the bench binary".to_owned(),
            source,
        })?;
        Ok(Self { wrapper })
    }

    /// Runs `program arguments…` in `directory` with `environment` added, and fails
    /// (with the command's stderr) when it exits non-zero.
    pub async fn run(
        &self,
        program: &Path,
        arguments: &[&str],
        directory: &Path,
        environment: &[(&str, &str)],
    ) -> Result<Finished, BenchError> {
        let mut command = tokio::process::Command::new(&self.wrapper);
        command
            .arg(MEASURE_CHILD)
            .arg("--")
            .arg(program)
            .args(arguments)
            .current_dir(directory)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0)
            .kill_on_drop(false);
        for variable in CLEARED_VARIABLES {
            command.env_remove(variable);
        }
        for (name, value) in environment {
            command.env(name, value);
        }
        let shown = format!("{} {}", program.display(), arguments.join(" "));
        let spawned_at = SystemTime::now();
        let output = command.output().await.map_err(|source| BenchError::Io {
            action: format!("run `{shown}`"),
            source,
        })?;
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        let stdout = String::from_utf8_lossy(&output.stdout);
        let fields: Vec<u64> = stdout
            .split_whitespace()
            .map(|field| {
                field
                    .parse::<i64>()
                    .map_or(u64::MAX, |n| u64::try_from(n).unwrap_or(u64::MAX))
            })
            .collect();
        let [wall_ns, max_rss_kib, code] = fields[..] else {
            return Err(BenchError::Command {
                command: shown,
                directory: directory.to_owned(),
                status: "could not be measured".to_owned(),
                stderr,
            });
        };
        if code != 0 {
            let status = if code == u64::MAX {
                "was killed by a signal".to_owned()
            } else {
                format!("exited with {code}")
            };
            return Err(BenchError::Command {
                command: shown,
                directory: directory.to_owned(),
                status,
                stderr,
            });
        }
        Ok(Finished {
            sample: Sample {
                wall: Duration::from_nanos(wall_ns),
                max_rss_kib,
            },
            stderr,
            spawned_at,
        })
    }
}
