//! `envctl-bench`: envctl against docker-compose 1.29.2 and against the engine's
//! own floor, on the same engine, in one run (issue #8; `just bench`).
//!
//! It generates v1 projects (`generate.rs`), times every command of every
//! contender in turns (`bench.rs`, `measure.rs`), times the same containers created
//! with raw Engine API calls (`floor.rs`), optionally traces envctl's engine calls
//! (`trace.rs`), and writes `target/bench/report.md` (`report.rs`). Every project
//! it creates is removed at the end, also after an error or Ctrl-C
//! (`engine.rs`, `Cleanup`). The method is in `docs/benchmarks.md`.

// A command-line tool: it prints its progress and its report.
#![allow(clippy::print_stdout, clippy::print_stderr)]

mod bench;
mod engine;
mod error;
mod floor;
mod generate;
mod measure;
mod report;
mod settle;
mod swarm;
mod tls;
mod trace;

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use clap::Parser;

use crate::bench::{Bench, Results, Settings};
use crate::engine::Cleanup;
use crate::error::BenchError;
use crate::generate::Shape;
use crate::measure::{MEASURE_CHILD, Runner};
use crate::report::Meta;

/// The docker-compose release the bench compares against.
const COMPOSE_VERSION: &str = "1.29.2";

/// Benchmarks envctl against docker-compose 1.29.2 and the engine floor.
#[derive(Debug, Parser)]
#[command(name = "envctl-bench", version)]
struct Args {
    /// A short run: N = 1 and 10, three runs each.
    #[arg(long)]
    quick: bool,
    /// Project sizes (services per project).
    #[arg(long, value_delimiter = ',', default_value = "1,10,30,60")]
    sizes: Vec<usize>,
    /// Project shapes: `wide`, `chain`, `tree`.
    #[arg(long, value_delimiter = ',', default_value = "wide,chain,tree")]
    shapes: Vec<Shape>,
    /// Runs per command (the report gives medians); at least 3.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u16).range(3..))]
    runs: u16,
    /// The envctl binary to measure (build it with `cargo build --release`).
    #[arg(long, default_value = "target/release/envctl")]
    envctl: PathBuf,
    /// The docker-compose to compare with; skipped unless it is 1.29.2.
    #[arg(long, default_value = "docker-compose")]
    compose: PathBuf,
    /// Measure envctl and the floor only.
    #[arg(long)]
    no_compose: bool,
    /// Run envctl once more per shape at the largest size with its engine calls
    /// logged, and report where the time goes.
    #[arg(long)]
    trace: bool,
    /// Also time envctl over TLS: the engine behind a TLS relay (rustls, in
    /// process) with certificates in the docker-machine layout.
    #[arg(long)]
    tls: bool,
    /// Start no new shape/size after this many minutes (0: no limit); the report
    /// lists what was left out.
    #[arg(long, default_value_t = 40)]
    time_limit: u64,
    /// Where the generated projects and `report.md` go.
    #[arg(long, default_value = "target/bench")]
    output: PathBuf,
    /// Only compare `envctl stack deploy` with `docker stack deploy --detach=false`
    /// on the test Swarm cluster (`fixtures/swarm/cluster.sh`), at N = 10 and 30
    /// unless `--sizes` says otherwise; writes `swarm.md`.
    #[arg(long)]
    swarm: bool,
}

fn main() -> ExitCode {
    let arguments: Vec<OsString> = std::env::args_os().collect();
    if arguments.get(1).is_some_and(|first| first == MEASURE_CHILD) {
        let command = arguments.get(3..).unwrap_or_default();
        return measure::measure_child(command);
    }
    let args = Args::parse();
    if args.swarm {
        let sizes: Vec<usize> = if args.sizes == [1, 10, 30, 60] {
            vec![10, 30]
        } else {
            args.sizes.clone()
        };
        return match swarm::run(&args.envctl, &sizes, usize::from(args.runs), &args.output) {
            Ok(()) => ExitCode::SUCCESS,
            Err(error) => {
                eprintln!("error: {error}");
                ExitCode::FAILURE
            }
        };
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(BenchError::Interrupted) => {
            eprintln!("interrupted: the projects the run created are removed");
            ExitCode::from(130)
        }
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> Result<(), BenchError> {
    let started = Instant::now();
    let load_before = load_average();
    let mut settings = settings(&args).await?;
    // Kept alive for the whole run; the relay stops when it is dropped.
    let tls_endpoint = if args.tls {
        let directory =
            std::path::absolute(args.output.join("tls")).map_err(|source| BenchError::Io {
                action: "resolve the output directory".to_owned(),
                source,
            })?;
        let endpoint = tls::TlsEndpoint::start(&directory).await?;
        settings.tls = Some(endpoint.environment());
        Some(endpoint)
    } else {
        None
    };
    let docker = engine::connect().await?;
    let engine_version = engine::preflight(&docker).await?;
    let leftovers = engine::remove_leftovers(&docker).await?;
    if leftovers > 0 {
        eprintln!("removed {leftovers} container(s) left by an earlier, interrupted bench run");
    }
    let runner = Runner::new()?;
    let cleanup = Cleanup::default();
    let interrupted = Arc::new(AtomicBool::new(false));
    let watcher = {
        let interrupted = Arc::clone(&interrupted);
        tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                eprintln!("\ninterrupted: finishing the running command, then cleaning up");
                interrupted.store(true, Ordering::SeqCst);
            }
        })
    };
    eprintln!(
        "benchmarking {} (and {}) on Docker Engine {engine_version}; load average {load_before}",
        settings.envctl.display(),
        settings.compose.as_ref().map_or_else(
            || "no docker-compose".to_owned(),
            |path| path.display().to_string()
        ),
    );
    let mut results = Results::default();
    let bench = Bench {
        settings: &settings,
        docker: &docker,
        runner: &runner,
        cleanup: &cleanup,
        interrupted: Arc::clone(&interrupted),
    };
    let outcome = bench.run(&mut results).await;
    // Whatever happened, nothing the run created stays behind.
    let swept = cleanup.sweep(&docker).await;
    watcher.abort();
    drop(tls_endpoint);
    let swept = swept?;
    if swept > 0 {
        eprintln!("removed {swept} container(s) the run left behind");
    }
    let mut notes = Vec::new();
    if let Some(busy) = busy_note(&load_before, settings_cores()) {
        notes.push(busy);
    }
    if !results.cut_short.is_empty() {
        notes.push(format!(
            "the time limit (`--time-limit {}`) was reached; not measured: {}",
            args.time_limit,
            results
                .cut_short
                .iter()
                .map(|(shape, size)| format!("{shape} N={size}"))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    if let Err(error) = &outcome {
        notes.push(format!(
            "the run stopped early ({error}); the figures are partial"
        ));
    }
    let meta = Meta {
        date: utc_now(),
        command: command_line(),
        cores: settings_cores(),
        kernel: std::fs::read_to_string("/proc/sys/kernel/osrelease")
            .map_or_else(|_| "unknown".to_owned(), |kernel| kernel.trim().to_owned()),
        engine_version,
        envctl_version: tool_version(&settings.envctl, &["--version"])
            .await
            .unwrap_or_else(|| "unknown".to_owned()),
        compose_version: match &settings.compose {
            Some(compose) => tool_version(compose, &["version", "--short"]).await,
            None => None,
        },
        load_before,
        load_after: load_average(),
        runs: settings.runs,
        sizes: settings.sizes.clone(),
        shapes: settings.shapes.clone(),
        memory_size: settings.sizes.iter().copied().max().unwrap_or(0),
        elapsed: started.elapsed(),
        notes,
    };
    let report = report::render(&meta, &results);
    let path = args.output.join("report.md");
    std::fs::create_dir_all(&args.output)
        .and_then(|()| std::fs::write(&path, &report))
        .map_err(|source| BenchError::Io {
            action: format!("write {}", path.display()),
            source,
        })?;
    println!("{report}");
    eprintln!("report written to {}", path.display());
    outcome
}

/// Resolves the arguments: `--quick`, the envctl binary, docker-compose's version.
async fn settings(args: &Args) -> Result<Settings, BenchError> {
    let envctl = std::path::absolute(&args.envctl).map_err(|source| BenchError::Io {
        action: format!("resolve {}", args.envctl.display()),
        source,
    })?;
    if !envctl.is_file() {
        return Err(BenchError::Setup(format!(
            "no envctl binary at `{}`\nhelp: `cargo build --release -p envctl-cli` (or `just bench`)",
            envctl.display()
        )));
    }
    let compose = if args.no_compose {
        None
    } else {
        match tool_version(&args.compose, &["version", "--short"]).await {
            Some(version) if version == COMPOSE_VERSION => Some(args.compose.clone()),
            Some(version) => {
                eprintln!(
                    "warning: `{}` is docker-compose {version}, not {COMPOSE_VERSION}: measuring without it",
                    args.compose.display()
                );
                None
            }
            None => {
                eprintln!(
                    "warning: no docker-compose at `{}`: measuring envctl and the floor only",
                    args.compose.display()
                );
                None
            }
        }
    };
    let mut sizes = if args.quick {
        vec![1, 10]
    } else {
        args.sizes.clone()
    };
    sizes.retain(|size| *size > 0);
    sizes.sort_unstable_by(|a, b| b.cmp(a));
    sizes.dedup();
    let mut shapes = args.shapes.clone();
    shapes.dedup();
    if shapes.is_empty() || sizes.is_empty() {
        return Err(BenchError::Setup(
            "nothing to measure: `--sizes` and `--shapes` need at least one value".to_owned(),
        ));
    }
    Ok(Settings {
        shapes,
        sizes,
        runs: usize::from(args.runs),
        envctl,
        compose,
        trace: args.trace,
        time_limit: (args.time_limit > 0).then(|| Duration::from_secs(args.time_limit * 60)),
        projects_dir: std::path::absolute(args.output.join("projects")).map_err(|source| {
            BenchError::Io {
                action: "resolve the output directory".to_owned(),
                source,
            }
        })?,
        tls: None,
    })
}

/// The first line of `program arguments…`'s output, `None` when it cannot run.
async fn tool_version(program: &Path, arguments: &[&str]) -> Option<String> {
    let output = tokio::process::Command::new(program)
        .args(arguments)
        .output()
        .await
        .ok()?;
    if !output.status.success() {
        return None;
    }
    let text = String::from_utf8_lossy(&output.stdout);
    text.lines().next().map(|line| line.trim().to_owned())
}

fn settings_cores() -> usize {
    std::thread::available_parallelism().map_or(1, std::num::NonZero::get)
}

/// The first three fields of `/proc/loadavg`.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg").map_or_else(
        |_| "unknown".to_owned(),
        |text| {
            text.split_whitespace()
                .take(3)
                .collect::<Vec<_>>()
                .join(" ")
        },
    )
}

/// A note for the report when the machine was busy when the run began.
fn busy_note(load: &str, cores: usize) -> Option<String> {
    let one_minute: f64 = load.split_whitespace().next()?.parse().ok()?;
    let cores = f64::from(u32::try_from(cores).unwrap_or(u32::MAX));
    (one_minute >= 0.75 * cores).then(|| {
        format!(
            "the machine was busy when the run began (1-minute load {one_minute:.2} on {cores} core(s)): \
             the figures are noisier than usual"
        )
    })
}

fn command_line() -> String {
    let arguments: Vec<String> = std::env::args().skip(1).collect();
    if arguments.is_empty() {
        "envctl-bench".to_owned()
    } else {
        format!("envctl-bench {}", arguments.join(" "))
    }
}

/// `2026-11-22 03:10 UTC`.
fn utc_now() -> String {
    let seconds = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_secs());
    let seconds = i64::try_from(seconds).unwrap_or(0);
    let (days, in_day) = (seconds.div_euclid(86_400), seconds.rem_euclid(86_400));
    // Civil date from days (Howard Hinnant's algorithm).
    let shifted = days + 719_468;
    let era = shifted.div_euclid(146_097);
    let day_of_era = shifted - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1_460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02} UTC",
        in_day / 3_600,
        in_day % 3_600 / 60
    )
}
