//! Everything `envctl` shows: errors (miette), warnings, progress lines, and the
//! exit code that goes with a failure.

use std::collections::HashMap;
use std::fmt;
use std::io::{self, IsTerminal as _, Write as _};
use std::process::ExitCode;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use envctl_executor::{Action, Event, ExecutorError, Outcome, Progress, RunError};
use envctl_parser::ParseError;
use envctl_planner::{Op, Plan, PlanError};

use crate::args::{GlobalArgs, ProgressMode};

/// The first of `LC_ALL`, `LC_CTYPE`, `LANG` that is set names a UTF-8 locale.
fn locale_is_utf8() -> bool {
    ["LC_ALL", "LC_CTYPE", "LANG"]
        .iter()
        .find_map(|name| std::env::var(name).ok().filter(|value| !value.is_empty()))
        .is_some_and(|locale| {
            let locale = locale.to_ascii_lowercase();
            locale.contains("utf-8") || locale.contains("utf8")
        })
}

/// How progress is drawn, and whether in colour; set once by [`install`].
static PROGRESS: OnceLock<(ProgressMode, bool)> = OnceLock::new();

/// The progress mode [`install`] chose, and whether in colour.
pub fn progress_mode() -> (ProgressMode, bool) {
    PROGRESS
        .get()
        .copied()
        .unwrap_or((ProgressMode::Plain, false))
}

/// The width of the terminal on standard error, when it has one and says it.
fn stderr_width() -> Option<u16> {
    rustix::termios::tcgetwinsize(io::stderr())
        .ok()
        .map(|size| size.ws_col)
        .filter(|columns| *columns > 0)
}

/// `NO_COLOR` set to anything but the empty string (no-color.org).
fn no_color() -> bool {
    std::env::var_os("NO_COLOR").is_some_and(|value| !value.is_empty())
}

/// Sets the miette hook (once), the `--verbose` log level and the progress mode.
pub fn install(global: &GlobalArgs) {
    let no_ansi = global.no_ansi;
    let terminal = io::stderr().is_terminal();
    // `tty` draws only on a terminal whose width is known: indicatif hides its
    // bars elsewhere, and on a terminal of unknown width (under `script`, in some
    // CI log capture) it pads to 80 columns and never ends a line, so the captured
    // log would be one line. Both fall back to plain lines. See: #16
    let drawable = terminal && stderr_width().is_some();
    let mode = match global.progress {
        Some(ProgressMode::Tty) | None if drawable => ProgressMode::Tty,
        Some(ProgressMode::Json) => ProgressMode::Json,
        _ => ProgressMode::Plain,
    };
    let _ = PROGRESS.set((mode, terminal && !no_ansi && !no_color()));
    let _ = miette::set_hook(Box::new(move |_| {
        // Colour only on a terminal and without `NO_COLOR` (miette's own detection),
        // never with `--no-ansi`. Box-drawing characters follow the locale alone, so
        // the same environment always renders the same way.
        let options = miette::MietteHandlerOpts::new().unicode(locale_is_utf8());
        let options = if no_ansi {
            options.color(false)
        } else {
            options
        };
        Box::new(options.build())
    }));
    let color = !no_ansi && io::stderr().is_terminal();
    // bollard logs every request body at debug level, environment values included:
    // `--verbose` keeps it at info so that no value is printed (docs/reliability.md).
    // `ENVCTL_LOG=debug` still shows everything, on purpose.
    let level = if global.verbose {
        "debug,bollard=info"
    } else {
        "warn"
    };
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("ENVCTL_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(level)),
        )
        .with_writer(io::stderr)
        .with_ansi(color)
        .try_init();
}

/// Why `envctl` stops, with its exit code.
pub struct Failure {
    report: Option<miette::Report>,
    code: u8,
}

impl fmt::Debug for Failure {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter
            .debug_struct("Failure")
            .field("code", &self.code)
            .finish_non_exhaustive()
    }
}

impl Failure {
    /// A problem with the invocation itself (exit 1).
    pub fn usage(message: impl Into<String>) -> Self {
        Self {
            report: Some(miette::miette!("{}", message.into())),
            code: 1,
        }
    }

    /// Exit with `code`, the message (if any) already printed.
    pub fn exit(code: u8) -> Self {
        Self { report: None, code }
    }

    /// Interrupted: 130 after SIGINT, 143 after SIGTERM.
    pub fn interrupted() -> Self {
        Self {
            report: None,
            code: crate::interrupt::exit_code(),
        }
    }

    pub fn render(self) -> ExitCode {
        if let Some(report) = self.report {
            eprintln!("{report:?}");
        }
        ExitCode::from(self.code)
    }
}

impl From<ParseError> for Failure {
    fn from(error: ParseError) -> Self {
        Self {
            report: Some(error.into()),
            code: 1,
        }
    }
}

impl From<PlanError> for Failure {
    fn from(error: PlanError) -> Self {
        Self {
            report: Some(error.into()),
            code: 1,
        }
    }
}

impl From<ExecutorError> for Failure {
    fn from(error: ExecutorError) -> Self {
        let code = if error.is_engine_failure() { 3 } else { 1 };
        Self {
            report: Some(error.into()),
            code,
        }
    }
}

impl From<RunError> for Failure {
    /// Exit 3 when the connection to the engine was lost part-way, else 1.
    fn from(error: RunError) -> Self {
        let code = if error.lost_connection() { 3 } else { 1 };
        Self {
            report: Some(error.into()),
            code,
        }
    }
}

impl From<io::Error> for Failure {
    /// A closed stdout (`envctl ps | head -1`) is not a failure.
    fn from(error: io::Error) -> Self {
        if error.kind() == io::ErrorKind::BrokenPipe {
            Self {
                report: None,
                code: 0,
            }
        } else {
            Self {
                report: Some(miette::miette!("cannot write the output: {error}")),
                code: 1,
            }
        }
    }
}

/// Writes `text` and a newline to stdout.
pub fn print_line(text: &str) -> Result<(), Failure> {
    let mut stdout = io::stdout().lock();
    writeln!(stdout, "{text}")?;
    stdout.flush()?;
    Ok(())
}

/// A status line on stderr, where docker-compose writes its progress.
pub fn print_status(line: &str) {
    eprintln!("{line}");
}

pub fn print_warning(message: &str) {
    eprintln!("warning: {message}");
}

/// Progress of a run in the `--progress` mode (see [`install`]).
pub fn progress(plan: &Plan) -> Progress {
    let (mode, color) = PROGRESS
        .get()
        .copied()
        .unwrap_or((ProgressMode::Plain, false));
    let width = plan
        .steps
        .iter()
        .map(|step| {
            let (action, name) = label(&step.op);
            action.len() + 1 + name.len()
        })
        .max()
        .unwrap_or(0);
    match mode {
        ProgressMode::Plain => plain_progress(width),
        ProgressMode::Json => json_progress(),
        ProgressMode::Tty => tty_progress(width, color),
    }
}

/// The word after `...` for an outcome; `None` while the step runs.
fn status_word(outcome: &Outcome) -> Option<&'static str> {
    match outcome {
        Outcome::Started => None,
        Outcome::Done => Some("done"),
        Outcome::Failed(_) => Some("error"),
        Outcome::Skipped => Some("skipped"),
    }
}

/// Progress lines as docker-compose 1.29.2 prints them without ANSI codes
/// (`Creating demo_db_1 ... done`, `demo_web_1 is up-to-date`), one line when a
/// step ends, padded to the longest line of the plan.
fn plain_progress(width: usize) -> Progress {
    Arc::new(move |event| match event {
        Event::Step {
            container,
            action,
            outcome,
            ..
        } => {
            if action == Action::UpToDate {
                if outcome == Outcome::Done {
                    eprintln!("{container} is up-to-date");
                }
                return;
            }
            let Some(status) = status_word(&outcome) else {
                return;
            };
            let line = format!("{action} {container}");
            eprintln!("{line:<width$} ... {status}");
        }
        Event::Warning { message, .. } => print_warning(&message),
        _ => {}
    })
}

/// One JSON object per line on stderr: `{"service", "container", "action",
/// "status", "message"?}` for steps (`status`: `started`, `done`, `error`,
/// `skipped`, `up-to-date`), `{"service", "warning"}` for warnings.
fn json_progress() -> Progress {
    Arc::new(move |event| {
        let value = match event {
            Event::Step {
                service,
                container,
                action,
                outcome,
            } => {
                let status = match (&outcome, action) {
                    (Outcome::Done, Action::UpToDate) => "up-to-date",
                    (Outcome::Started, _) => "started",
                    (other, _) => status_word(other).unwrap_or("unknown"),
                };
                let mut value = serde_json::json!({
                    "service": service,
                    "container": container,
                    "action": action.to_string(),
                    "status": status,
                });
                if let Outcome::Failed(message) = outcome {
                    value["message"] = serde_json::Value::String(message);
                }
                value
            }
            Event::Warning { service, message } => {
                serde_json::json!({ "service": service, "warning": message })
            }
            _ => return,
        };
        eprintln!("{value}");
    })
}

/// Live progress on a terminal: a spinner per running step, replaced by its
/// final line (`Creating x ... done`, the status coloured unless `NO_COLOR` or
/// `--no-ansi`) when it ends.
fn tty_progress(width: usize, color: bool) -> Progress {
    let bars = indicatif::MultiProgress::with_draw_target(indicatif::ProgressDrawTarget::stderr());
    let running: Mutex<HashMap<String, indicatif::ProgressBar>> = Mutex::new(HashMap::new());
    let style = indicatif::ProgressStyle::with_template("{msg} {spinner}")
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner());
    let paint = move |status: &'static str| -> String {
        let code = match status {
            "done" => "32",
            "error" => "31",
            _ => "33",
        };
        if color {
            format!("\x1b[{code}m{status}\x1b[0m")
        } else {
            status.to_owned()
        }
    };
    Arc::new(move |event| match event {
        Event::Step {
            container,
            action,
            outcome,
            ..
        } => {
            let line = format!("{action} {container}");
            let key = line.clone();
            let mut running = running.lock().unwrap_or_else(PoisonError::into_inner);
            if action == Action::UpToDate {
                if outcome == Outcome::Done {
                    let _ = bars.println(format!("{container} is up-to-date"));
                }
                return;
            }
            match status_word(&outcome) {
                None => {
                    let bar = bars.add(indicatif::ProgressBar::new_spinner());
                    bar.set_style(style.clone());
                    bar.set_message(format!("{line:<width$} ..."));
                    bar.enable_steady_tick(std::time::Duration::from_millis(100));
                    running.insert(key, bar);
                }
                Some(status) => {
                    let text = format!("{line:<width$} ... {}", paint(status));
                    if let Some(bar) = running.remove(&key) {
                        bar.set_style(
                            indicatif::ProgressStyle::with_template("{msg}")
                                .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
                        );
                        bar.finish_with_message(text);
                    } else {
                        let _ = bars.println(text);
                    }
                }
            }
        }
        Event::Warning { message, .. } => {
            let _ = bars.println(format!("warning: {message}"));
        }
        _ => {}
    })
}

fn label(op: &Op) -> (&'static str, &str) {
    match op {
        Op::Create { name, .. } => ("Creating", name),
        Op::Recreate { old, .. } => ("Recreating", &old.name),
        Op::Start { container } => ("Starting", &container.name),
        Op::UpToDate { .. } => ("", ""),
        Op::Stop { container, .. } => ("Stopping", &container.name),
        Op::Remove { container, .. } => ("Removing", &container.name),
    }
}
