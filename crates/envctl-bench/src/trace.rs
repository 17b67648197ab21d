//! `--trace`: where one envctl command spends its time, read from its own log.
//!
//! envctl is run with `ENVCTL_LOG=envctl_executor=debug,envctl=debug`. Its log
//! lines start with an RFC 3339 UTC time, and the executor ends every engine
//! request with a `engine call call=… subject=… micros=…` event (`docker.rs`,
//! `traced`). From those the bench rebuilds the run's phases (start-up and load
//! until the engine is `connected`, observing and planning until the `plan` is
//! logged, then executing) and the time spent per kind of engine call.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The log filter that makes envctl write what [`Trace::parse`] reads.
pub const LOG_FILTER: &str = "envctl_executor=debug,envctl=debug";

/// One finished engine request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    pub kind: String,
    /// Microseconds since the epoch when it ended.
    pub ended_at: u64,
    pub micros: u64,
}

/// Totals for one kind of engine call.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CallTotals {
    pub count: usize,
    pub total_micros: u64,
    pub max_micros: u64,
}

/// One traced command, in phases and calls.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trace {
    /// Process start, argument parsing, loading the files, connecting.
    pub until_connected: Option<Duration>,
    /// From connected to the plan being logged: observing and planning.
    pub observe_and_plan: Option<Duration>,
    /// From the plan (or connected, without one) to the last engine call.
    pub engine_work: Option<Duration>,
    /// From the last engine call to the process's exit.
    pub after_last_call: Option<Duration>,
    pub wall: Duration,
    pub calls: BTreeMap<String, CallTotals>,
    /// The most engine requests in flight at once.
    pub peak_in_flight: usize,
}

impl Trace {
    /// Reads `log` (envctl's stderr) of a command spawned at `spawned_at` that took
    /// `wall`.
    pub fn parse(log: &str, spawned_at: SystemTime, wall: Duration) -> Self {
        let start = spawned_at
            .duration_since(UNIX_EPOCH)
            .map_or(0, |since| u64::try_from(since.as_micros()).unwrap_or(0));
        let end = start + u64::try_from(wall.as_micros()).unwrap_or(0);
        let mut connected = None;
        let mut planned = None;
        let mut calls = Vec::new();
        for line in log.lines() {
            let Some(time) = line.split_whitespace().next().and_then(parse_micros) else {
                continue;
            };
            if line.contains(" engine call ") || line.ends_with(" engine call") {
                let call = field(line, "call").unwrap_or("?").to_owned();
                let micros = field(line, "micros")
                    .and_then(|micros| micros.parse().ok())
                    .unwrap_or(0);
                calls.push(Call {
                    kind: call,
                    ended_at: time,
                    micros,
                });
            } else if line.contains(": connected") && connected.is_none() {
                connected = Some(time);
            } else if line.contains(": plan:") && planned.is_none() {
                planned = Some(time);
            }
        }
        let span = |from: Option<u64>, to: Option<u64>| match (from, to) {
            (Some(from), Some(to)) => Some(Duration::from_micros(to.saturating_sub(from))),
            _ => None,
        };
        let last_call = calls.iter().map(|call| call.ended_at).max();
        let mut totals: BTreeMap<String, CallTotals> = BTreeMap::new();
        for call in &calls {
            let entry = totals.entry(call.kind.clone()).or_default();
            entry.count += 1;
            entry.total_micros += call.micros;
            entry.max_micros = entry.max_micros.max(call.micros);
        }
        Self {
            until_connected: span(Some(start), connected),
            observe_and_plan: span(connected, planned),
            engine_work: span(planned.or(connected), last_call),
            after_last_call: span(last_call, Some(end)),
            wall,
            calls: totals,
            peak_in_flight: peak_in_flight(&calls),
        }
    }
}

/// The largest number of calls whose `[end - micros, end]` intervals overlap.
fn peak_in_flight(calls: &[Call]) -> usize {
    let mut edges: Vec<(u64, i32)> = calls
        .iter()
        .flat_map(|call| {
            [
                (call.ended_at.saturating_sub(call.micros), 1),
                (call.ended_at, -1),
            ]
        })
        .collect();
    // Ends sort before starts at the same instant.
    edges.sort_unstable();
    let mut current: i32 = 0;
    let mut peak: i32 = 0;
    for (_, change) in edges {
        current += change;
        peak = peak.max(current);
    }
    usize::try_from(peak).unwrap_or(0)
}

/// The value of `name=value` in a log line, without quotes.
fn field<'a>(line: &'a str, name: &str) -> Option<&'a str> {
    let prefix = format!("{name}=");
    line.split_whitespace()
        .find_map(|word| word.strip_prefix(prefix.as_str()))
        .map(|value| value.trim_matches('"'))
}

/// Microseconds since the epoch of `2026-11-22T03:10:11.123456Z`.
fn parse_micros(text: &str) -> Option<u64> {
    let text = text.strip_suffix('Z')?;
    let (date, time) = text.split_once('T')?;
    let mut date_parts = date.split('-').map(|part| part.parse::<i64>().ok());
    let (year, month, day) = (
        date_parts.next()??,
        date_parts.next()??,
        date_parts.next()??,
    );
    let (clock, fraction) = time.split_once('.').unwrap_or((time, "0"));
    let mut clock_parts = clock.split(':').map(|part| part.parse::<i64>().ok());
    let (hour, minute, second) = (
        clock_parts.next()??,
        clock_parts.next()??,
        clock_parts.next()??,
    );
    let fraction_micros: i64 = format!("{fraction:0<6}").get(..6)?.parse().ok()?;
    // Days from the civil date (Howard Hinnant's algorithm).
    let shifted_year = if month <= 2 { year - 1 } else { year };
    let era = shifted_year.div_euclid(400);
    let year_of_era = shifted_year - era * 400;
    let day_of_year = (153 * ((month + 9) % 12) + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    let days = era * 146_097 + day_of_era - 719_468;
    let seconds = days * 86_400 + hour * 3_600 + minute * 60 + second;
    u64::try_from(seconds * 1_000_000 + fraction_micros).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_log_times_to_epoch_micros() {
        assert_eq!(parse_micros("1970-01-01T00:00:01.000002Z"), Some(1_000_002));
        assert_eq!(
            parse_micros("2026-11-22T01:48:09.123456Z"),
            Some(1_795_312_089_123_456)
        );
        assert_eq!(parse_micros("DEBUG"), None);
    }

    #[test]
    fn rebuilds_phases_and_call_totals_from_a_log() {
        let spawned = UNIX_EPOCH + Duration::from_secs(10);
        let log = "\
1970-01-01T00:00:10.010000Z DEBUG envctl_cli::invocation: connected address=unix:///var/run/docker.sock api=1.41
1970-01-01T00:00:10.012000Z DEBUG envctl_executor::docker: engine call call=\"list\" subject=\"x\" micros=1000 ok=true
1970-01-01T00:00:10.020000Z DEBUG envctl_cli::commands: plan:
[] -> #1 s0, create
1970-01-01T00:00:10.030000Z DEBUG envctl_executor::docker: engine call call=\"create\" subject=\"p_s0_1\" micros=8000 ok=true
1970-01-01T00:00:10.031000Z DEBUG envctl_executor::docker: engine call call=\"create\" subject=\"p_s1_1\" micros=9000 ok=true
1970-01-01T00:00:10.040000Z DEBUG envctl_executor::docker: engine call call=\"start\" subject=\"abc\" micros=9000 ok=true
";
        let trace = Trace::parse(log, spawned, Duration::from_millis(45));
        assert_eq!(trace.until_connected, Some(Duration::from_millis(10)));
        assert_eq!(trace.observe_and_plan, Some(Duration::from_millis(10)));
        assert_eq!(trace.engine_work, Some(Duration::from_millis(20)));
        assert_eq!(trace.after_last_call, Some(Duration::from_millis(5)));
        assert_eq!(
            trace.calls.get("create"),
            Some(&CallTotals {
                count: 2,
                total_micros: 17_000,
                max_micros: 9_000
            })
        );
        assert_eq!(trace.peak_in_flight, 2);
    }
}
