//! Why `envctl` stops, and the exit code that goes with it (README, "Exit codes").

use std::fmt;
use std::io;
use std::process::ExitCode;

use envctl_ops::OpsError;
use envctl_ops::types::{ExecutorError, RunError};
use envctl_parser::ParseError;
use envctl_planner::PlanError;

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
    /// Any other diagnostic (the server's), exit 1.
    pub fn report(report: miette::Report) -> Self {
        Self {
            report: Some(report),
            code: 1,
        }
    }

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
        if let Some(report) = self
            .report
            .filter(|_| crate::progress::shows(crate::progress::Level::Error))
        {
            eprintln!("{}", shown(report));
        }
        ExitCode::from(self.code)
    }
}

/// A report as a user sees it: the headline first (never wrapped, so that the
/// words a script greps for stay on one line), then the location, excerpt and
/// help; without miette's `envctl::…` diagnostic code line, which is for code.
pub fn shown(report: miette::Report) -> String {
    let rendered = format!("{:?}", miette::Report::new(Uncoded(report)));
    // A related diagnostic's code is rendered as `Error: envctl::…`: not shown.
    let mut lines: Vec<&str> = Vec::new();
    let mut skip_blank = false;
    for line in rendered.lines() {
        let trimmed = line.trim();
        let code = trimmed.strip_prefix("Error: ").unwrap_or(trimmed);
        if code.starts_with("envctl::") && !code.contains(char::is_whitespace) {
            skip_blank = true;
            continue;
        }
        if skip_blank && trimmed.is_empty() {
            skip_blank = false;
            continue;
        }
        skip_blank = false;
        lines.push(line);
    }
    lines.join("\n")
}

/// `report` with its diagnostic code hidden, everything else as it is.
struct Uncoded(miette::Report);

impl fmt::Debug for Uncoded {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, formatter)
    }
}

impl fmt::Display for Uncoded {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, formatter)
    }
}

impl std::error::Error for Uncoded {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0.source()
    }
}

impl miette::Diagnostic for Uncoded {
    fn severity(&self) -> Option<miette::Severity> {
        self.0.severity()
    }
    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.0.help()
    }
    fn url<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.0.url()
    }
    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.0.source_code()
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = miette::LabeledSpan> + '_>> {
        self.0.labels()
    }
    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn miette::Diagnostic> + 'a>> {
        self.0.related()
    }
    fn diagnostic_source(&self) -> Option<&dyn miette::Diagnostic> {
        self.0.diagnostic_source()
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
        // An engine that cannot be reached or refuses exits 1 too, as 1.29.2.
        Self {
            report: Some(error.into()),
            code: 1,
        }
    }
}

impl From<RunError> for Failure {
    /// Exit 1, also when the connection to the engine was lost part-way (as 1.29.2).
    fn from(error: RunError) -> Self {
        Self {
            report: Some(error.into()),
            code: 1,
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

impl From<OpsError> for Failure {
    /// The operations layer's failure: the same report and exit code as the error
    /// it holds; failed pulls or builds each printed, the last one the report;
    /// an interruption 130 or 143.
    fn from(error: OpsError) -> Self {
        match error {
            OpsError::Parse(error) => error.into(),
            OpsError::Plan(error) => error.into(),
            OpsError::Executor(error) => error.into(),
            OpsError::Run(error) => error.into(),
            OpsError::Images { errors } => report_all(errors),
            OpsError::Interrupted => Self::interrupted(),
            rolled_back @ OpsError::StackRolledBack { .. } => Self {
                report: Some(miette::Report::new(rolled_back)),
                code: 3,
            },
            failed @ OpsError::StackFailed { .. } => Self {
                report: Some(miette::Report::new(failed)),
                code: 1,
            },
            other => Self::usage(other.to_string()),
        }
    }
}

/// Prints each error but the last, which is the failure (exit 1).
pub fn report_all(errors: Vec<ExecutorError>) -> Failure {
    let mut errors = errors.into_iter();
    let last = errors.next_back();
    for error in errors {
        if crate::progress::shows(crate::progress::Level::Error) {
            eprintln!("{}", shown(miette::Report::new(error)));
        }
    }
    match last {
        Some(error) => Failure::from(error),
        None => Failure::exit(0),
    }
}
