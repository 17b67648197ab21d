//! Why the server did not start ([`ServerError`]), and how a refused request is
//! answered ([`ApiError`]: a status and a JSON body naming every problem).

use std::path::PathBuf;

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use miette::Diagnostic;
use serde::Serialize;
use thiserror::Error;

/// A reason not to start.
#[derive(Debug, Error, Diagnostic)]
#[non_exhaustive]
pub enum ServerError {
    #[error("cannot read `{path}`: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },

    #[error("`{path}` line {line}: {message}")]
    Tokens {
        path: PathBuf,
        line: usize,
        message: String,
    },

    #[error("`{path}` holds no token")]
    #[diagnostic(help("add a line `TOKEN NAME read,write` (docs/serve.md)"))]
    NoTokens { path: PathBuf },

    #[error("invalid listen address `{0}`")]
    #[diagnostic(help("use HOST:PORT (127.0.0.1:8080) or unix:PATH"))]
    Listen(String),

    #[error(
        "refusing to listen on `{0}`: only a unix socket or a loopback address may be served without TLS"
    )]
    #[diagnostic(help(
        "an API that runs containers is root on its host: give --tls-cert and --tls-key (and --tls-client-ca to ask for client certificates), or listen on unix:PATH or 127.0.0.1:PORT"
    ))]
    NotLoopback(String),

    #[error("refusing to serve TLS on the unix socket `{0}`")]
    #[diagnostic(help(
        "a unix socket is guarded by its mode (0600): drop --tls-cert and --tls-key, or listen on HOST:PORT"
    ))]
    UnixTls(String),

    #[error("TLS: `{path}`: {message}")]
    Tls { path: PathBuf, message: String },

    #[error("cannot listen on `{address}`: {source}")]
    Bind {
        address: String,
        source: std::io::Error,
    },

    #[error("the templates directory `{path}`: {message}")]
    Templates { path: PathBuf, message: String },

    #[error("the server stopped: {0}")]
    Serve(std::io::Error),

    #[error("the queue: {0}")]
    Queue(String),
}

/// One problem in a request or its compose file, located when it has a place.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Problem {
    pub message: String,
    /// `service.key` (or `networks.name.key`) the problem is about.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<usize>,
}

impl Problem {
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            path: None,
            file: None,
            line: None,
            column: None,
        }
    }
}

/// A request the server answers with an error: a status, a stable `code`, a
/// message, and, for a refused file, every problem.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub problems: Vec<Problem>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            problems: Vec::new(),
        }
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_request", message)
    }

    pub fn not_found(name: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("no environment named `{name}`"),
        )
    }

    pub fn refused(message: impl Into<String>, problems: Vec<Problem>) -> Self {
        Self {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            code: "refused",
            message: message.into(),
            problems,
        }
    }

    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", message)
    }

    pub fn body(&self) -> serde_json::Value {
        let mut error = serde_json::json!({
            "code": self.code,
            "message": self.message,
        });
        if !self.problems.is_empty() {
            error["problems"] = serde_json::json!(self.problems);
        }
        serde_json::json!({ "error": error })
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, Json(self.body())).into_response()
    }
}

/// Every problem a diagnostic holds (itself, or each related one when it only
/// gathers others), located from its first label.
pub fn problems_of(diagnostic: &dyn Diagnostic) -> Vec<Problem> {
    let mut problems = Vec::new();
    collect(diagnostic, &mut problems);
    problems
}

fn collect(diagnostic: &dyn Diagnostic, problems: &mut Vec<Problem>) {
    if let Some(related) = diagnostic.related() {
        let before = problems.len();
        for inner in related {
            collect(inner, problems);
        }
        if problems.len() > before {
            return;
        }
    }
    let mut problem = Problem::new(diagnostic.to_string());
    if let (Some(source), Some(label)) = (
        diagnostic.source_code(),
        diagnostic.labels().and_then(|mut labels| labels.next()),
    ) && let Ok(contents) = source.read_span(label.inner(), 0, 0)
    {
        problem.file = contents.name().map(ToOwned::to_owned);
        problem.line = Some(contents.line() + 1);
        problem.column = Some(contents.column() + 1);
    }
    problems.push(problem);
}
