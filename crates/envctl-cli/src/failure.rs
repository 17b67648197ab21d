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
            other => Self::usage(other.to_string()),
        }
    }
}

/// Prints each error but the last, which is the failure (exit 1, or 3 for the
/// engine).
pub fn report_all(errors: Vec<ExecutorError>) -> Failure {
    let mut errors = errors.into_iter();
    let last = errors.next_back();
    for error in errors {
        eprintln!("{:?}", miette::Report::new(error));
    }
    match last {
        Some(error) => Failure::from(error),
        None => Failure::exit(0),
    }
}
