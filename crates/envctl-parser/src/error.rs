//! Every way loading a project can fail, as miette diagnostics.
//!
//! A problem in a user's file is a [`Problem`]: a structured [`ProblemKind`] plus the
//! file and span it came from (taken from the YAML [`Node`](crate::yaml::Node), never
//! recomputed). Validation collects every problem it finds and returns them together
//! as [`ParseError::Invalid`]; one problem alone is returned as [`ParseError::Problem`].
//! Failures that are not about a place in a file (a missing file, no compose file found)
//! are plain variants of [`ParseError`].

use std::path::PathBuf;

use miette::{Diagnostic, SourceSpan};
use thiserror::Error;

use crate::excerpt::Excerpt;
use crate::model::{SourceMap, Span};

/// Loading failed; the CLI renders this with the source excerpt.
#[derive(Debug, Error, Diagnostic)]
#[non_exhaustive]
pub enum ParseError {
    /// One problem at one place in a file.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Problem(Box<Problem>),

    /// Several problems, all reported at once (the first [`MAX_PROBLEMS`] of them
    /// shown, so that a generated file with a mistake in every service does not print
    /// megabytes).
    #[error(
        "the compose file is invalid: {} problems{}",
        problems.len(),
        if problems.len() > MAX_PROBLEMS { format!(" (the first {MAX_PROBLEMS} shown)") } else { String::new() }
    )]
    Invalid {
        #[related]
        problems: ShownProblems,
    },

    #[error("cannot read `{}`", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("`{}` is not valid UTF-8 (byte {offset})", path.display())]
    NotUtf8 { path: PathBuf, offset: usize },

    #[error("no compose file found in `{}` or any parent directory", directory.display())]
    #[diagnostic(help(
        "supported file names: docker-compose.yml, docker-compose.yaml, compose.yml, compose.yaml; or pass one with `-f`"
    ))]
    NoComposeFile { directory: PathBuf },

    #[error("multiple override files found: {}", files.iter().map(|f| format!("`{}`", f.display())).collect::<Vec<_>>().join(", "))]
    #[diagnostic(help("you may only use a single override file"))]
    MultipleOverrideFiles { files: Vec<PathBuf> },

    #[error("env file `{}` does not exist", path.display())]
    EnvFileNotFound { path: PathBuf },

    #[error("`{}` is not a file", path.display())]
    EnvFileNotAFile { path: PathBuf },
}

/// The most problems one error shows; the headline still counts them all.
pub const MAX_PROBLEMS: usize = 100;

/// Every problem found, of which miette shows the first [`MAX_PROBLEMS`]
/// (`ShownProblems::iter`); dereferences to all of them.
#[derive(Debug)]
pub struct ShownProblems(pub Vec<Problem>);

impl ShownProblems {
    /// The problems that are shown: the first [`MAX_PROBLEMS`].
    pub fn iter(&self) -> std::iter::Take<std::slice::Iter<'_, Problem>> {
        self.0.iter().take(MAX_PROBLEMS)
    }

    pub fn into_vec(self) -> Vec<Problem> {
        self.0
    }
}

impl<'a> IntoIterator for &'a ShownProblems {
    type Item = &'a Problem;
    type IntoIter = std::iter::Take<std::slice::Iter<'a, Problem>>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl std::ops::Deref for ShownProblems {
    type Target = Vec<Problem>;

    fn deref(&self) -> &Vec<Problem> {
        &self.0
    }
}

impl ParseError {
    /// Every problem this error holds (one for most errors, all of them for `Invalid`).
    pub fn problems(&self) -> Vec<&Problem> {
        match self {
            ParseError::Problem(problem) => vec![problem],
            ParseError::Invalid { problems } => problems.0.iter().collect(),
            _ => Vec::new(),
        }
    }

    /// `Ok(())` when there is nothing, the problem itself when there is one.
    pub(crate) fn from_problems(mut problems: Vec<Problem>) -> Result<(), ParseError> {
        match problems.len() {
            0 => Ok(()),
            1 => Err(ParseError::Problem(Box::new(problems.remove(0)))),
            _ => Err(ParseError::Invalid {
                problems: ShownProblems(problems),
            }),
        }
    }
}

impl From<Problem> for ParseError {
    fn from(problem: Problem) -> Self {
        ParseError::Problem(Box::new(problem))
    }
}

/// One problem at one place in one file.
#[derive(Debug, Error, Diagnostic)]
#[error("{}", shown_message(.kind, .redacted.as_deref()))]
pub struct Problem {
    pub kind: ProblemKind,
    /// The message with interpolated values hidden ([`Problem::redact`]).
    redacted: Option<String>,
    /// Where, for callers that map it themselves (`Project::sources`).
    pub span: Span,
    #[source_code]
    source_code: Option<Excerpt>,
    #[label("{label}")]
    label_span: SourceSpan,
    label: String,
    #[help]
    help: Option<String>,
}

impl Problem {
    pub(crate) fn new(sources: &SourceMap, span: Span, kind: ProblemKind) -> Self {
        let label = kind.default_label().to_owned();
        let (source_code, label_span) = match sources.excerpt(span) {
            Some((excerpt, label_span)) => (Some(excerpt), label_span),
            None => (None, span.to_source_span()),
        };
        Self {
            kind,
            redacted: None,
            span,
            source_code,
            label_span,
            label,
            help: None,
        }
    }

    #[must_use]
    pub(crate) fn with_label(mut self, label: impl Into<String>) -> Self {
        self.label = label.into();
        self
    }

    #[must_use]
    pub(crate) fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn label(&self) -> &str {
        &self.label
    }

    pub fn help_text(&self) -> Option<&str> {
        self.help.as_deref()
    }
}

/// What is wrong, with the names involved. Messages follow docker-compose 1.29.2's
/// meaning, in envctl's wording (lowercase, names in backticks).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum ProblemKind {
    #[error("{message}")]
    Yaml { message: String },

    #[error("the top level of a compose file must be a mapping, not {found}")]
    TopLevelNotMapping { found: &'static str },

    #[error("invalid service name `{name}`: only [a-zA-Z0-9._-] characters are allowed")]
    InvalidServiceName { name: String },

    #[error("the service name `{name}` must be a string, not {found}")]
    ServiceNameNotString { name: String, found: &'static str },

    /// 1.29.2's words: `service 'web' must be a mapping not a string`.
    #[error("service '{service}' must be a mapping not {found}")]
    ServiceNotMapping {
        service: String,
        found: &'static str,
    },

    #[error("`{section}` must be a mapping, not {found}")]
    SectionNotMapping {
        section: String,
        found: &'static str,
    },

    /// 1.29.2's words.
    #[error("Unsupported config option for services.{service}: '{key}'")]
    UnknownKey { service: String, key: String },

    #[error("unsupported top-level key `{key}`")]
    UnknownTopLevelKey { key: String },

    /// The excerpt shows the file decoded lossily, the bad byte as `�`.
    #[error("`{path}` is not valid UTF-8 (byte {offset})")]
    NotUtf8 { path: String, offset: usize },

    #[error("`{path}` must be {expected}, not {found}")]
    WrongType {
        path: String,
        expected: &'static str,
        found: &'static str,
    },

    #[error("`{path}` is invalid: {reason}")]
    InvalidValue { path: String, reason: String },

    #[error("`version` must be a string")]
    VersionNotString,

    #[error("version `{version}` is invalid")]
    InvalidVersion { version: String },

    #[error(
        "version `{version}` is not supported: compose file format 1 is written without a `version` key"
    )]
    VersionOne { version: String },

    #[error(
        "version mismatch: `{first}` is version {first_version} but `{other}` is version {other_version}"
    )]
    VersionMismatch {
        first: String,
        first_version: String,
        other: String,
        other_version: String,
    },

    #[error("service `{service}` has both an image and a build path")]
    ImageAndBuild { service: String },

    #[error("service `{service}` has both an image and an alternate Dockerfile")]
    ImageAndDockerfile { service: String },

    #[error("service `{service}` has neither an image nor a build context")]
    NoImageNorBuild { service: String },

    #[error("`{service}.memswap_limit` needs `mem_limit` as well")]
    MemswapWithoutMemLimit { service: String },

    #[error(
        "service `{service}` contains uppercase characters, which are not valid in an image name"
    )]
    UppercaseServiceName { service: String },

    #[error("service `{service}` has a link to service `{target}`, which is undefined")]
    UndefinedLink { service: String, target: String },

    #[error("service `{service}` uses `{key}` of service `{target}`, which is undefined")]
    UndefinedService {
        service: String,
        key: &'static str,
        target: String,
    },

    #[error("service `{service}` uses secret `{secret}`, which is undefined")]
    UndefinedSecret { service: String, secret: String },

    #[error("service `{service}` uses a secret without a `source`")]
    SecretWithoutSource { service: String },

    #[error("a service can not link to itself: `{service}`")]
    SelfLink { service: String },

    #[error("invalid interpolation format for `{key}` of service `{service}`: `{value}`")]
    InvalidInterpolation {
        service: String,
        key: String,
        value: String,
    },

    #[error("missing mandatory value for `{key}` of service `{service}`: {message}")]
    MissingMandatoryValue {
        service: String,
        key: String,
        message: String,
    },

    #[error("cannot extend service `{service}` in `{file}`: service not found")]
    ExtendsServiceNotFound { service: String, file: String },

    #[error(
        "cannot extend service `{service}` in `{file}`: services with `{key}` cannot be extended"
    )]
    ExtendsForbidden {
        service: String,
        file: String,
        key: &'static str,
    },

    #[error("circular `extends`: {chain}")]
    ExtendsCycle { chain: String },

    #[error("cannot read the `extends` file `{file}`: {reason}")]
    ExtendsFile { file: String, reason: String },

    #[error("build path `{path}` either does not exist, is not accessible, or is not a valid URL")]
    BuildPath { path: String },

    #[error("env file `{path}` does not exist")]
    EnvFileNotFound { path: String },

    #[error("dockit service `{service}` has no `Image`")]
    DockitWithoutImage { service: String },

    #[error("`Deps` of service `{service}` names `{dep}`, which is no service of this file")]
    DockitUnknownDep { service: String, dep: String },
}

impl ProblemKind {
    fn default_label(&self) -> &'static str {
        match self {
            ProblemKind::UnknownKey { .. } | ProblemKind::UnknownTopLevelKey { .. } => {
                "unknown option"
            }
            ProblemKind::NotUtf8 { .. } => "not UTF-8",
            ProblemKind::WrongType { .. } => "wrong type",
            ProblemKind::UndefinedLink { .. }
            | ProblemKind::UndefinedService { .. }
            | ProblemKind::DockitUnknownDep { .. } => "no such service",
            ProblemKind::UndefinedSecret { .. } => "no such secret",
            ProblemKind::SecretWithoutSource { .. } => "this secret",
            ProblemKind::ExtendsCycle { .. } => "extended again here",
            ProblemKind::ExtendsServiceNotFound { .. } => "no such service in that file",
            ProblemKind::InvalidInterpolation { .. } => "in this value",
            ProblemKind::MissingMandatoryValue { .. } => "a variable here is required",
            ProblemKind::ServiceNotMapping { .. }
            | ProblemKind::ImageAndBuild { .. }
            | ProblemKind::ImageAndDockerfile { .. }
            | ProblemKind::NoImageNorBuild { .. }
            | ProblemKind::UppercaseServiceName { .. }
            | ProblemKind::DockitWithoutImage { .. } => "this service",
            ProblemKind::SelfLink { .. } => "links to itself",
            ProblemKind::BuildPath { .. } => "no such directory",
            ProblemKind::InvalidValue { .. } => "invalid",
            ProblemKind::EnvFileNotFound { .. } => "no such file",
            ProblemKind::VersionMismatch { .. } => "this file's version",
            ProblemKind::ExtendsForbidden { .. } => "extended here",
            _ => "here",
        }
    }
}

fn shown_message(kind: &ProblemKind, redacted: Option<&str>) -> String {
    redacted.map_or_else(|| kind.to_string(), str::to_owned)
}

impl Problem {
    /// Shows `shown` instead of `value` in the message and help (an interpolated
    /// value, which may be a secret from `.env`).
    pub(crate) fn redact(&mut self, value: &str, shown: &str) {
        let message = shown_message(&self.kind, self.redacted.as_deref());
        if message.contains(value) {
            self.redacted = Some(message.replace(value, shown));
        }
        if let Some(help) = &mut self.help
            && help.contains(value)
        {
            *help = help.replace(value, shown);
        }
    }
}

/// Something a user almost certainly did not mean, but that 1.29.2 accepts.
#[derive(Debug, Clone, Error, Diagnostic)]
#[error("{message}")]
#[diagnostic(severity(Warning))]
pub struct ParseWarning {
    pub message: String,
    #[source_code]
    source_code: Option<Excerpt>,
    #[label("{label}")]
    span: Option<SourceSpan>,
    label: &'static str,
}

impl ParseWarning {
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            source_code: None,
            span: None,
            label: "here",
        }
    }

    pub(crate) fn at(sources: &SourceMap, span: Span, message: impl Into<String>) -> Self {
        let (source_code, span) = match sources.excerpt(span) {
            Some((excerpt, label_span)) => (Some(excerpt), Some(label_span)),
            None => (None, Some(span.to_source_span())),
        };
        Self {
            message: message.into(),
            source_code,
            span,
            label: "here",
        }
    }

    #[must_use]
    pub(crate) fn with_label(mut self, label: &'static str) -> Self {
        self.label = label;
        self
    }
}

/// Levenshtein distance, for "did you mean" hints.
pub(crate) fn edit_distance(left: &str, right: &str) -> usize {
    let right_chars: Vec<char> = right.chars().collect();
    let mut previous: Vec<usize> = (0..=right_chars.len()).collect();
    for (left_index, left_char) in left.chars().enumerate() {
        let mut current = vec![left_index + 1];
        for (right_index, right_char) in right_chars.iter().enumerate() {
            let substitution = previous[right_index] + usize::from(left_char != *right_char);
            let value = substitution
                .min(previous[right_index + 1] + 1)
                .min(current[right_index] + 1);
            current.push(value);
        }
        previous = current;
    }
    previous[right_chars.len()]
}

/// The closest of `candidates` to `word`, when it is close enough to be a typo.
pub(crate) fn did_you_mean<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    candidates
        .iter()
        .map(|candidate| (edit_distance(word, candidate), *candidate))
        .filter(|(distance, candidate)| *distance <= (candidate.len() / 3).max(1) + 1)
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, candidate)| candidate)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn did_you_mean_finds_typos() {
        let keys = ["environment", "image", "links", "volumes", "volumes_from"];
        for (word, expected) in [
            ("enviroment", Some("environment")),
            ("imag", Some("image")),
            ("volume", Some("volumes")),
            ("link", Some("links")),
            ("banana", None),
        ] {
            assert_eq!(did_you_mean(word, &keys), expected, "for {word}");
        }
    }
}
