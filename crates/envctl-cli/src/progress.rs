//! Everything `envctl` shows while it works: warnings, status and progress lines
//! (in the `--progress` mode), and the terminal's side of the operations layer's
//! [`Events`]. Failures and their exit codes are `failure.rs`'s.

use std::collections::HashMap;
use std::io::{self, IsTerminal as _, Write as _};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use envctl_ops::Events;
use envctl_ops::types::{Action, Event, ImageJob, ImageReporter, JobView, Outcome, Progress};
use envctl_planner::{Op, Plan};

use crate::args::{GlobalArgs, ProgressMode};
use crate::failure::Failure;
use crate::image_progress::{ImageProgress, Job};

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

/// What is shown on stderr, as docker-compose 1.29.2's `--log-level` sets its
/// console handler's level: `Debug` adds `Using configuration files: …` (and
/// envctl's own debug log, as `--verbose`); `Info` (the default) shows status lines
/// (`Building web`, `Creating network …`); `Warning` only warnings and errors;
/// `Error` only errors; `Critical` nothing (the exit code still tells). Progress
/// lines of containers (`Creating web_1 ... done`) and the output of commands are
/// not log lines: 1.29.2 writes them at every level, and so does envctl.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Debug,
    Info,
    Warning,
    Error,
    Critical,
}

impl Level {
    /// `--log-level`'s value, in any case; `None` for anything else.
    pub fn parse(text: &str) -> Option<Self> {
        match text.to_ascii_uppercase().as_str() {
            "DEBUG" => Some(Self::Debug),
            "INFO" => Some(Self::Info),
            "WARNING" => Some(Self::Warning),
            "ERROR" => Some(Self::Error),
            "CRITICAL" => Some(Self::Critical),
            _ => None,
        }
    }

    /// The level of `global`: `--log-level`, else debug with `--verbose`, else info.
    ///
    /// # Errors
    ///
    /// `--log-level` names no level: 1.29.2's message.
    pub fn of(global: &GlobalArgs) -> Result<Self, String> {
        match &global.log_level {
            Some(text) => Self::parse(text).ok_or_else(|| {
                "Invalid value for --log-level. Expected one of DEBUG, INFO, WARNING, ERROR, CRITICAL."
                    .to_owned()
            }),
            None if global.verbose => Ok(Self::Debug),
            None => Ok(Self::Info),
        }
    }
}

/// The level [`install`] set.
static LEVEL: OnceLock<Level> = OnceLock::new();

/// Whether lines of `level` are shown.
pub fn shows(level: Level) -> bool {
    level >= LEVEL.get().copied().unwrap_or(Level::Info)
}

/// Sets the miette hook (once), the log level and the progress mode.
pub fn install(global: &GlobalArgs, level: Level) {
    let _ = LEVEL.set(level);
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
        // No wrapping: a headline, a path or a URL cut over two lines is one that
        // `grep` (and a script written for docker-compose) no longer finds.
        let options = miette::MietteHandlerOpts::new()
            .unicode(locale_is_utf8())
            .wrap_lines(false);
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
    let level = if level == Level::Debug {
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

/// Writes `text` and a newline to stdout.
pub fn print_line(text: &str) -> Result<(), Failure> {
    let mut stdout = io::stdout().lock();
    writeln!(stdout, "{text}")?;
    stdout.flush()?;
    Ok(())
}

/// A status line on stderr, where docker-compose writes its progress (an info
/// line: not shown above `--log-level info`).
pub fn print_status(line: &str) {
    if shows(Level::Info) {
        eprintln!("{line}");
    }
}

/// A debug line (`--log-level debug`, `--verbose`).
pub fn print_debug(line: &str) {
    if shows(Level::Debug) {
        eprintln!("{line}");
    }
}

pub fn print_warning(message: &str) {
    if shows(Level::Warning) {
        eprintln!("warning: {message}");
    }
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

/// The terminal's side of an operation: warnings and status lines on stderr,
/// step progress in the `--progress` mode, a bar per pull or build, the signal
/// handlers armed when the operation becomes cancellable, raw mode while a TTY
/// is handed to a container.
#[derive(Default)]
pub struct Terminal {
    /// `-q` of `pull` and `build`: nothing but errors.
    quiet: bool,
    /// `run` and `exec` with a TTY: the terminal goes raw while attached.
    raw: bool,
    raw_mode: Mutex<Option<crate::terminal::RawMode>>,
}

impl Terminal {
    pub fn new() -> Self {
        Self::default()
    }

    /// With `tty`, the terminal goes raw while a container has it.
    pub fn raw(tty: bool) -> Self {
        Self {
            raw: tty,
            ..Self::default()
        }
    }

    /// With `quiet`, pulls and builds show nothing but errors.
    pub fn quiet(quiet: bool) -> Self {
        Self {
            quiet,
            ..Self::default()
        }
    }

    /// Leaves raw mode, if the terminal was put in it.
    pub fn restore(&self) {
        drop(
            self.raw_mode
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .take(),
        );
    }
}

impl Events for Terminal {
    fn warning(&self, message: &str) {
        print_warning(message);
    }

    fn status(&self, line: &str) {
        print_status(line);
    }

    fn debug(&self, line: &str) {
        print_debug(line);
    }

    fn waiting_for_lock(&self, project: &str) {
        print_status(&format!(
            "waiting for another envctl working on project `{project}`"
        ));
    }

    fn cancellable(&self) {
        crate::interrupt::shutdown();
    }

    fn attaching(&self) {
        if self.raw {
            *self.raw_mode.lock().unwrap_or_else(PoisonError::into_inner) =
                crate::terminal::RawMode::enter();
        }
    }

    fn progress(&self, plan: &Plan) -> Progress {
        progress(plan)
    }

    fn images(&self, _job: ImageJob, labels: &[String]) -> ImageReporter {
        let progress = Arc::new(ImageProgress::new(self.quiet));
        let width = labels.iter().map(String::len).max().unwrap_or(0);
        Arc::new(move |job: Job, label: &str, image: &str| {
            let view = progress.start(job, label, image, width);
            let sink = Arc::clone(&view.sink);
            JobView {
                sink,
                finish: Box::new(move |ok| view.finish(ok)),
            }
        })
    }
}

/// Implements the [`Events`] methods a command does not render itself by handing
/// them to its `terminal` field.
macro_rules! terminal_events {
    () => {
        fn warning(&self, message: &str) {
            self.terminal.warning(message);
        }
        fn status(&self, line: &str) {
            self.terminal.status(line);
        }
        fn debug(&self, line: &str) {
            self.terminal.debug(line);
        }
        fn waiting_for_lock(&self, project: &str) {
            self.terminal.waiting_for_lock(project);
        }
        fn cancellable(&self) {
            self.terminal.cancellable();
        }
        fn attaching(&self) {
            self.terminal.attaching();
        }
        fn progress(&self, plan: &envctl_planner::Plan) -> envctl_ops::types::Progress {
            self.terminal.progress(plan)
        }
        fn images(
            &self,
            job: envctl_ops::types::ImageJob,
            labels: &[String],
        ) -> envctl_ops::types::ImageReporter {
            self.terminal.images(job, labels)
        }
    };
}
pub(crate) use terminal_events;
