//! The Markdown report: the targets first (met or missed, with the worst
//! case), then every median, peak memory, and, with `--trace`, where envctl's time
//! goes.

use std::fmt::Write as _;
use std::time::Duration;

use crate::bench::{Contender, Results, Step, median};
use crate::generate::Shape;
use crate::trace::Trace;

/// `config`, `ps` and the no-op `up` must be at least this many times faster than
/// docker-compose.
pub const SPEED_UP_TARGET: f64 = 20.0;
/// `up` and `down` must take at most this multiple of the floor.
pub const FLOOR_TARGET: f64 = 1.15;
/// `up -d` over TLS must take at most this multiple of the same over the socket
/// (issue #7), at [`TLS_TARGET_SIZE`] services.
pub const TLS_TARGET: f64 = 1.3;
pub const TLS_TARGET_SIZE: usize = 30;
/// Peak memory at the memory size, in MiB.
pub const MEMORY_TARGET_MIB: f64 = 20.0;

/// About the run, for the report's header.
#[derive(Debug, Clone, Default)]
pub struct Meta {
    pub date: String,
    pub command: String,
    pub cores: usize,
    pub kernel: String,
    pub engine_version: String,
    pub envctl_version: String,
    pub compose_version: Option<String>,
    pub load_before: String,
    pub load_after: String,
    pub runs: usize,
    pub sizes: Vec<usize>,
    pub shapes: Vec<Shape>,
    /// The size whose peak memory is reported (the largest measured).
    pub memory_size: usize,
    pub elapsed: Duration,
    /// Said at the top: a busy machine, an interrupted or failed run.
    pub notes: Vec<String>,
}

/// The whole report.
pub fn render(meta: &Meta, results: &Results) -> String {
    let mut text = String::new();
    let _ = writeln!(text, "# envctl benchmarks\n");
    for note in &meta.notes {
        let _ = writeln!(text, "> **Note:** {note}\n");
    }
    let _ = writeln!(text, "- command: `{}`", meta.command);
    let _ = writeln!(
        text,
        "- date: {} (took {:.0} s)",
        meta.date,
        meta.elapsed.as_secs_f64()
    );
    let _ = writeln!(
        text,
        "- machine: {} core(s), Linux {}, Docker Engine {}; load average before: {}, after: {}",
        meta.cores, meta.kernel, meta.engine_version, meta.load_before, meta.load_after
    );
    let _ = writeln!(
        text,
        "- envctl: {}; docker-compose: {}",
        meta.envctl_version,
        meta.compose_version
            .as_deref()
            .unwrap_or("not installed (its columns are empty)")
    );
    let _ = writeln!(
        text,
        "- shapes: {}; sizes: {}; {} run(s) each, medians; contenders take turns \
         (envctl, docker-compose, floor, envctl, …), one project name each\n",
        meta.shapes
            .iter()
            .map(|shape| shape.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        meta.sizes
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", "),
        meta.runs
    );
    if meta.sizes.contains(&1) {
        let _ = writeln!(
            text,
            "With N = 1 every shape is the same single service: it is measured once, as `{}`.\n",
            meta.shapes.first().map_or("wide", |shape| shape.as_str())
        );
    }
    targets(&mut text, meta, results);
    wall_times(&mut text, results);
    if results
        .samples
        .keys()
        .any(|(_, _, contender, _)| *contender == Contender::EnvctlTls)
    {
        tls_times(&mut text, results);
    }
    memory(&mut text, meta, results);
    traces(&mut text, results);
    let _ = writeln!(
        text,
        "Method: `docs/benchmarks.md`. Times in seconds; `envctl/compose` below 1 means \
         envctl is faster, `envctl/floor` is envctl's time over the least the engine needs."
    );
    text
}

fn seconds(duration: Option<Duration>) -> String {
    duration.map_or_else(
        || "–".to_owned(),
        |duration| format!("{:.3}", duration.as_secs_f64()),
    )
}

fn ratio(numerator: Option<Duration>, denominator: Option<Duration>) -> Option<f64> {
    match (numerator, denominator) {
        (Some(numerator), Some(denominator)) if !denominator.is_zero() => {
            Some(numerator.as_secs_f64() / denominator.as_secs_f64())
        }
        _ => None,
    }
}

fn show_ratio(value: Option<f64>) -> String {
    value.map_or_else(|| "–".to_owned(), |value| format!("{value:.2}"))
}

fn median_of(
    results: &Results,
    shape: Shape,
    size: usize,
    contender: Contender,
    step: Step,
) -> Option<Duration> {
    results
        .samples
        .get(&(shape, size, contender, step))
        .and_then(|samples| median(samples))
}

/// Every (shape, size) measured, in run order.
fn cases(results: &Results) -> Vec<(Shape, usize)> {
    let mut cases: Vec<(Shape, usize)> = results
        .samples
        .keys()
        .map(|(shape, size, _, _)| (*shape, *size))
        .collect();
    cases.sort_by_key(|(shape, size)| (*size, *shape));
    cases.dedup();
    cases
}

fn verdict(met: bool) -> &'static str {
    if met { "met" } else { "**missed**" }
}

fn targets(text: &mut String, meta: &Meta, results: &Results) {
    let _ = writeln!(text, "## Targets (issue #8)\n");
    let _ = writeln!(text, "| target | worst case | |");
    let _ = writeln!(text, "|---|---|---|");
    for step in [Step::Config, Step::Ps, Step::UpNoop] {
        // The smallest speed-up over docker-compose.
        let worst = cases(results)
            .into_iter()
            .filter_map(|(shape, size)| {
                let speed_up = ratio(
                    median_of(results, shape, size, Contender::Compose, step),
                    median_of(results, shape, size, Contender::Envctl, step),
                )?;
                Some((speed_up, shape, size))
            })
            .min_by(|a, b| a.0.total_cmp(&b.0));
        let _ = match worst {
            Some((speed_up, shape, size)) => writeln!(
                text,
                "| `{}` ≥ {SPEED_UP_TARGET:.0}× faster than docker-compose | {speed_up:.1}× ({shape}, N={size}) | {} |",
                step.label(),
                verdict(speed_up >= SPEED_UP_TARGET)
            ),
            None => writeln!(
                text,
                "| `{}` ≥ {SPEED_UP_TARGET:.0}× faster than docker-compose | not measured | |",
                step.label()
            ),
        };
    }
    for step in [Step::Up, Step::Down] {
        let worst = cases(results)
            .into_iter()
            .filter_map(|(shape, size)| {
                let over = ratio(
                    median_of(results, shape, size, Contender::Envctl, step),
                    median_of(results, shape, size, Contender::Floor, step),
                )?;
                Some((over, shape, size))
            })
            .max_by(|a, b| a.0.total_cmp(&b.0));
        let _ = match worst {
            Some((over, shape, size)) => writeln!(
                text,
                "| `{}` ≤ {FLOOR_TARGET}× the engine floor | {over:.2}× ({shape}, N={size}) | {} |",
                step.label(),
                verdict(over <= FLOOR_TARGET)
            ),
            None => writeln!(
                text,
                "| `{}` ≤ {FLOOR_TARGET}× the engine floor | not measured | |",
                step.label()
            ),
        };
    }
    if results
        .samples
        .keys()
        .any(|(_, _, contender, _)| *contender == Contender::EnvctlTls)
    {
        let worst = cases(results)
            .into_iter()
            .filter(|(_, size)| *size == TLS_TARGET_SIZE)
            .filter_map(|(shape, size)| {
                let over = ratio(
                    median_of(results, shape, size, Contender::EnvctlTls, Step::Up),
                    median_of(results, shape, size, Contender::Envctl, Step::Up),
                )?;
                Some((over, shape, size))
            })
            .max_by(|a, b| a.0.total_cmp(&b.0));
        let _ = match worst {
            Some((over, shape, size)) => writeln!(
                text,
                "| `up -d` over TLS ≤ {TLS_TARGET}× over the socket (issue #7) | {over:.2}× ({shape}, N={size}) | {} |",
                verdict(over <= TLS_TARGET)
            ),
            None => writeln!(
                text,
                "| `up -d` over TLS ≤ {TLS_TARGET}× over the socket (issue #7) | not measured at N={TLS_TARGET_SIZE} | |"
            ),
        };
    }
    let _ = match peak_memory(results, meta.memory_size, Contender::Envctl) {
        Some((kib, step)) => {
            let mib = kib_to_mib(kib);
            writeln!(
                text,
                "| peak memory < {MEMORY_TARGET_MIB:.0} MiB at N={} | {mib:.1} MiB (`{}`) | {} |\n",
                meta.memory_size,
                step.label(),
                verdict(mib < MEMORY_TARGET_MIB)
            )
        }
        None => writeln!(
            text,
            "| peak memory < {MEMORY_TARGET_MIB:.0} MiB at N={} | not measured | |\n",
            meta.memory_size
        ),
    };
}

fn wall_times(text: &mut String, results: &Results) {
    let _ = writeln!(text, "## Wall time (median, seconds)\n");
    let _ = writeln!(
        text,
        "| shape | N | command | envctl | docker-compose | envctl/compose | floor | envctl/floor |"
    );
    let _ = writeln!(text, "|---|--:|---|--:|--:|--:|--:|--:|");
    for (shape, size) in cases(results) {
        for step in Step::ALL {
            let envctl = median_of(results, shape, size, Contender::Envctl, step);
            let compose = median_of(results, shape, size, Contender::Compose, step);
            let floor = median_of(results, shape, size, Contender::Floor, step);
            let _ = writeln!(
                text,
                "| {shape} | {size} | `{}` | {} | {} | {} | {} | {} |",
                step.label(),
                seconds(envctl),
                seconds(compose),
                show_ratio(ratio(envctl, compose)),
                seconds(floor),
                show_ratio(ratio(envctl, floor)),
            );
        }
    }
    text.push('\n');
}

/// `--tls`: envctl over TLS against envctl over the socket, per command.
fn tls_times(text: &mut String, results: &Results) {
    let _ = writeln!(text, "## envctl over TLS (median, seconds)\n");
    let _ = writeln!(
        text,
        "The engine behind a TLS relay (rustls, in the bench process) with client certificates, as a \
         docker-machine host presents it (`envctl-bench --tls`, see `tls.rs`).\n"
    );
    let _ = writeln!(text, "| shape | N | command | socket | TLS | TLS/socket |");
    let _ = writeln!(text, "|---|--:|---|--:|--:|--:|");
    for (shape, size) in cases(results) {
        for step in Step::ALL {
            let socket = median_of(results, shape, size, Contender::Envctl, step);
            let tls = median_of(results, shape, size, Contender::EnvctlTls, step);
            if tls.is_none() {
                continue;
            }
            let _ = writeln!(
                text,
                "| {shape} | {size} | `{}` | {} | {} | {} |",
                step.label(),
                seconds(socket),
                seconds(tls),
                show_ratio(ratio(tls, socket)),
            );
        }
    }
    text.push('\n');
}

fn kib_to_mib(kib: u64) -> f64 {
    // Exact for any size a process can have.
    f64::from(u32::try_from(kib).unwrap_or(u32::MAX)) / 1024.0
}

/// The largest peak of `contender` at `size` over every shape and run, with its
/// step.
fn peak_memory(results: &Results, size: usize, contender: Contender) -> Option<(u64, Step)> {
    results
        .samples
        .iter()
        .filter(|((_, sample_size, sample_contender, _), _)| {
            *sample_size == size && *sample_contender == contender
        })
        .flat_map(|((_, _, _, step), samples)| {
            samples.iter().map(|sample| (sample.max_rss_kib, *step))
        })
        .filter(|(kib, _)| *kib > 0)
        .max_by_key(|(kib, _)| *kib)
}

fn memory(text: &mut String, meta: &Meta, results: &Results) {
    let _ = writeln!(
        text,
        "## Peak memory at N={} (max RSS, MiB; the largest over shapes and runs)\n",
        meta.memory_size
    );
    let _ = writeln!(text, "| command | envctl | docker-compose |");
    let _ = writeln!(text, "|---|--:|--:|");
    for step in Step::ALL {
        let peak = |contender| {
            results
                .samples
                .iter()
                .filter(|((_, size, sample_contender, sample_step), _)| {
                    *size == meta.memory_size
                        && *sample_contender == contender
                        && *sample_step == step
                })
                .flat_map(|(_, samples)| samples.iter().map(|sample| sample.max_rss_kib))
                .max()
                .filter(|kib| *kib > 0)
                .map_or_else(|| "–".to_owned(), |kib| format!("{:.1}", kib_to_mib(kib)))
        };
        let _ = writeln!(
            text,
            "| `{}` | {} | {} |",
            step.label(),
            peak(Contender::Envctl),
            peak(Contender::Compose)
        );
    }
    text.push('\n');
}

fn milliseconds(duration: Option<Duration>) -> String {
    duration.map_or_else(
        || "–".to_owned(),
        |duration| format!("{:.1}", duration.as_secs_f64() * 1000.0),
    )
}

fn traces(text: &mut String, results: &Results) {
    if results.traces.is_empty() {
        return;
    }
    let _ = writeln!(
        text,
        "## Where envctl's time goes (`--trace`: one more run with `ENVCTL_LOG=envctl_executor=debug`)\n"
    );
    let _ = writeln!(
        text,
        "Phases in ms: start-up, load and connect; observe and plan; engine work (to the end \
         of the last engine call); exit. Logging itself adds a little to each.\n"
    );
    let _ = writeln!(
        text,
        "| shape | N | command | wall | start+load+connect | observe+plan | engine work | exit | floor | peak in flight |"
    );
    let _ = writeln!(text, "|---|--:|---|--:|--:|--:|--:|--:|--:|--:|");
    for (shape, size, step, trace) in &results.traces {
        let floor = median_of(results, *shape, *size, Contender::Floor, *step);
        let _ = writeln!(
            text,
            "| {shape} | {size} | `{}` | {} | {} | {} | {} | {} | {} | {} |",
            step.label(),
            milliseconds(Some(trace.wall)),
            milliseconds(trace.until_connected),
            milliseconds(trace.observe_and_plan),
            milliseconds(trace.engine_work),
            milliseconds(trace.after_last_call),
            milliseconds(floor),
            trace.peak_in_flight
        );
    }
    let _ = writeln!(
        text,
        "\nEngine calls per traced command (count, total ms, mean ms, max ms):\n"
    );
    let _ = writeln!(text, "| shape | N | command | calls |");
    let _ = writeln!(text, "|---|--:|---|---|");
    for (shape, size, step, trace) in &results.traces {
        let _ = writeln!(
            text,
            "| {shape} | {size} | `{}` | {} |",
            step.label(),
            call_summary(trace)
        );
    }
    text.push('\n');
}

fn call_summary(trace: &Trace) -> String {
    if trace.calls.is_empty() {
        return "none logged".to_owned();
    }
    trace
        .calls
        .iter()
        .map(|(call, totals)| {
            let total = Duration::from_micros(totals.total_micros);
            let count = u32::try_from(totals.count).unwrap_or(u32::MAX).max(1);
            format!(
                "{call} ×{}: {} ms (mean {}, max {})",
                totals.count,
                milliseconds(Some(total)),
                milliseconds(Some(total / count)),
                milliseconds(Some(Duration::from_micros(totals.max_micros)))
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}
