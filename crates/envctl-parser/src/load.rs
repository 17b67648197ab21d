//! The entry points: `load` (files on disk) and `parse_str` (one file in memory).
//!
//! Phases, in code order (see `docs/parsing.md`): environment (`.env`, shell) →
//! which files (`-f`, `COMPOSE_FILE`, discovery + override) → per file: read → YAML →
//! format detection → interpolation → schema → merge the files → per service:
//! `extends` → paths → finalize + validate. Problems are collected and reported together.

use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::Arc;

use indexmap::IndexMap;

use crate::dockit;
use crate::dotenv;
use crate::error::{ParseError, ParseWarning, Problem, ProblemKind};
use crate::interpolate::{InterpolationError, Interpolator, Syntax};
use crate::merge::merge_from_files;
use crate::model::{FileId, Format, Project, ServiceName, SourceMap, Span};
use crate::normalize::Finalizer;
use crate::paths::{absolute, process_paths};
use crate::schema::check_service;
use crate::yaml::{self, Mapping, Node, Value};

/// What the invocation says about where the project is. The parser never reads the
/// process environment itself: the CLI passes it in `environment`.
#[derive(Debug, Clone)]
pub struct LoadOptions {
    /// `-f` files in order; empty means `COMPOSE_FILE`, then discovery from `cwd`.
    pub files: Vec<PathBuf>,
    /// `-p`.
    pub project_name: Option<String>,
    /// `--project-directory`.
    pub project_directory: Option<PathBuf>,
    /// `--env-file`.
    pub env_file: Option<PathBuf>,
    /// The process environment (shell variables win over `.env`).
    pub environment: IndexMap<String, String>,
    pub cwd: PathBuf,
    /// `false` for `--no-interpolate`.
    pub interpolate: bool,
    /// The text of standard input, for `-f -` (the CLI reads it; the parser never
    /// does). The file is shown as `<stdin>` and is not in `Project::config_files`.
    pub stdin: Option<String>,
    /// Whether a `build` context must exist (`true`). 1.29.2 checks it only when the
    /// command may build: not for `up --no-build`, `create --no-build` or `pull`.
    pub check_build_paths: bool,
}

/// How `-f -` is named in messages.
const STDIN_NAME: &str = "<stdin>";

fn is_stdin(path: &Path) -> bool {
    path == Path::new("-")
}

impl Default for LoadOptions {
    /// Nothing set, interpolation on (as without `--no-interpolate`).
    fn default() -> Self {
        Self {
            files: Vec::new(),
            project_name: None,
            project_directory: None,
            env_file: None,
            environment: IndexMap::new(),
            cwd: PathBuf::new(),
            interpolate: true,
            stdin: None,
            check_build_paths: true,
        }
    }
}

impl LoadOptions {
    /// Options for `cwd` with interpolation on and nothing else set.
    pub fn new(cwd: impl Into<PathBuf>) -> Self {
        Self {
            cwd: cwd.into(),
            ..Self::default()
        }
    }
}

/// The names docker-compose 1.29.2 looks for, in preference order.
pub const SUPPORTED_FILENAMES: &[&str] = &[
    "docker-compose.yml",
    "docker-compose.yaml",
    "compose.yml",
    "compose.yaml",
];
const OVERRIDE_FILENAMES: &[&str] = &[
    "docker-compose.override.yml",
    "docker-compose.override.yaml",
    "compose.override.yml",
    "compose.override.yaml",
];

/// The largest file the loader reads (compose files, `.env`, `env_file`s, `extends`
/// files): a compose file is kilobytes; `env_file: /dev/zero` must not grow forever.
pub const MAX_FILE_SIZE: u64 = 16 * 1024 * 1024;

/// The one function through which this crate reads files. Only regular files are
/// read (a FIFO would block forever, a device never end; 1.29.2 says `… is not a
/// file`), and at most [`MAX_FILE_SIZE`] bytes: past that it is an error
/// (`ErrorKind::FileTooLarge`), as a non-regular file is (`ErrorKind::InvalidInput`).
pub(crate) fn read_file(path: &Path) -> Result<Vec<u8>, std::io::Error> {
    use std::io::{Error, ErrorKind, Read as _};
    let not_a_file = || Error::new(ErrorKind::InvalidInput, "not a regular file");
    // Checked before opening: opening a FIFO blocks until a writer comes.
    if !std::fs::metadata(path)?.is_file() {
        return Err(not_a_file());
    }
    let file = std::fs::File::open(path)?;
    // And again on what was opened, in case the path changed in between.
    let metadata = file.metadata()?;
    if !metadata.is_file() {
        return Err(not_a_file());
    }
    let mut bytes =
        Vec::with_capacity(usize::try_from(metadata.len().min(MAX_FILE_SIZE)).unwrap_or(0));
    file.take(MAX_FILE_SIZE + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_FILE_SIZE {
        return Err(Error::new(
            ErrorKind::FileTooLarge,
            format!("larger than {} MiB", MAX_FILE_SIZE / 1024 / 1024),
        ));
    }
    Ok(bytes)
}

fn read_text(path: &Path) -> Result<String, ParseError> {
    let bytes = read_file(path).map_err(|source| ParseError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let text = String::from_utf8(bytes).map_err(|error| ParseError::NotUtf8 {
        path: path.to_path_buf(),
        offset: error.utf8_error().valid_up_to(),
    })?;
    // PyYAML retries with `utf-8-sig`: a byte order mark is accepted.
    Ok(text
        .strip_prefix('\u{feff}')
        .map(str::to_owned)
        .unwrap_or(text))
}

/// `path` relative to `root` when it is under it, else as it is.
pub(crate) fn shown_path(root: &Path, path: &Path) -> String {
    match path.strip_prefix(root) {
        Ok(relative) if !root.as_os_str().is_empty() && !relative.as_os_str().is_empty() => {
            relative.display().to_string()
        }
        _ => path.display().to_string(),
    }
}

/// The YAML type of a mapping key written at `span`, when it is not a string (an
/// unquoted `1`, `true`, `1.5`).
fn non_string_key(text: &str, span: Span) -> Option<&'static str> {
    let key_text = text.get(span.offset..span.offset + span.len)?;
    if key_text.starts_with(['\'', '"', '!', '&', '*', '?']) {
        return None;
    }
    match yaml::resolve_plain(key_text.to_owned()) {
        Value::String(_) => None,
        other => Some(other.type_name()),
    }
}

/// `re.sub(r'[^-_a-z0-9]', '', name.lower())`.
pub fn normalize_project_name(name: &str) -> String {
    name.to_lowercase()
        .chars()
        .filter(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-' || *c == '_')
        .collect()
}

/// The format of one file, as 1.29.2's `compose/config/config.py` L199-249 detects it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum FileFormat {
    V1,
    Spec(Option<String>),
}

impl FileFormat {
    fn internal_version(&self) -> &'static str {
        match self {
            FileFormat::V1 => "1",
            FileFormat::Spec(_) => "3.9",
        }
    }
}

/// One compose file, read, interpolated and checked, not merged.
#[derive(Debug)]
pub(crate) struct LoadedFile {
    pub id: FileId,
    /// Absolute, normalised.
    pub path: PathBuf,
    pub format: FileFormat,
    pub version_span: Option<Span>,
    /// Service name -> (span of its key, its dictionary).
    pub services: IndexMap<String, (Span, Mapping)>,
    /// v2/v3 top-level sections besides `services` (interpolated).
    pub sections: IndexMap<String, Node>,
}

/// The loader's state for one `load`.
pub(crate) struct Loader {
    pub sources: SourceMap,
    pub problems: Vec<Problem>,
    /// What interpolation put into values (`Interpolator::substituted`), hidden from
    /// every problem's message by [`Loader::redact`].
    pub substituted: Vec<(Span, String, String)>,
    pub warnings: Vec<ParseWarning>,
    /// Shell over `.env`: interpolation and bare `environment` keys read this.
    pub environment: IndexMap<String, String>,
    /// The process environment alone (python-dotenv's `os.environ` for `env_file`).
    pub shell: IndexMap<String, String>,
    pub interpolate: bool,
    pub home: Option<String>,
    pub files: HashMap<PathBuf, Rc<LoadedFile>>,
    /// Files given as text rather than read from disk (`parse_str`).
    pub in_memory: HashMap<PathBuf, String>,
    /// The project directory: paths under it are shown relative to it in messages.
    pub display_root: PathBuf,
    /// `extends` bases already resolved (their own `extends` followed, paths made
    /// absolute, restrictions checked), by (absolute file, service): a base shared by
    /// a thousand services is resolved once.
    pub resolved_bases: HashMap<(PathBuf, String), Mapping>,
    warned_variables: RefCell<Vec<String>>,
    /// [`LoadOptions::check_build_paths`].
    pub check_build_paths: bool,
}

impl Loader {
    /// `path` as messages show it: relative to the project directory when it is
    /// under it (`common.yml`, `sub/base.yml`), else absolute.
    pub(crate) fn shown(&self, path: &Path) -> String {
        shown_path(&self.display_root, path)
    }

    pub(crate) fn new(
        environment: IndexMap<String, String>,
        shell: IndexMap<String, String>,
        interpolate: bool,
    ) -> Self {
        let home = environment.get("HOME").cloned();
        Self {
            sources: SourceMap::default(),
            problems: Vec::new(),
            warnings: Vec::new(),
            environment,
            shell,
            interpolate,
            home,
            files: HashMap::new(),
            in_memory: HashMap::new(),
            display_root: PathBuf::new(),
            resolved_bases: HashMap::new(),
            warned_variables: RefCell::new(Vec::new()),
            substituted: Vec::new(),
            check_build_paths: true,
        }
    }

    /// Reads, parses, interpolates and checks one file (once per path).
    /// A file that is not UTF-8, pointing at the first bad byte in the file decoded
    /// lossily (the bytes before it are valid, so the offset is the same).
    fn not_utf8(&mut self, path: &Path, shown_as: &Path, offset: usize) -> ParseError {
        let Ok(bytes) = read_file(path) else {
            return ParseError::NotUtf8 {
                path: shown_as.to_path_buf(),
                offset,
            };
        };
        // ASCII control characters (a binary file's) would garble the excerpt: shown
        // as `?`, one byte for one byte, so that offsets stay right.
        let text: String = String::from_utf8_lossy(&bytes)
            .chars()
            .map(|character| {
                if character.is_ascii_control() && !matches!(character, '\n' | '\t') {
                    '?'
                } else {
                    character
                }
            })
            .collect();
        let text: Arc<str> = Arc::from(text);
        let id = self.sources.add(shown_as.to_path_buf(), text);
        ParseError::Problem(Box::new(Problem::new(
            &self.sources,
            Span::new(id, offset, '\u{fffd}'.len_utf8()),
            ProblemKind::NotUtf8 {
                path: shown_as.display().to_string(),
                offset,
            },
        )))
    }

    pub(crate) fn load_file(
        &mut self,
        path: &Path,
        shown_as: &Path,
    ) -> Result<Rc<LoadedFile>, ParseError> {
        if let Some(file) = self.files.get(path) {
            return Ok(Rc::clone(file));
        }
        let text = match self.in_memory.get(path) {
            Some(text) => text.clone(),
            None => match read_text(path) {
                Ok(text) => text,
                Err(ParseError::NotUtf8 { offset, .. }) => {
                    return Err(self.not_utf8(path, shown_as, offset));
                }
                Err(other) => return Err(other),
            },
        };
        let text: Arc<str> = Arc::from(text);
        let id = self.sources.add(shown_as.to_path_buf(), Arc::clone(&text));
        let mut duplicates = Vec::new();
        let root = match yaml::parse_noting_duplicates(id, &text, &mut duplicates) {
            Ok(root) => {
                for (key, span) in duplicates {
                    self.warnings.push(
                        ParseWarning::at(
                            &self.sources,
                            span,
                            format!(
                                "the key `{key}` is written twice in one mapping ({}): the last value is used",
                                self.sources.location(span)
                            ),
                        )
                        .with_label("written again here"),
                    );
                }
                root
            }
            Err(error) => {
                return Err(Problem::new(
                    &self.sources,
                    error.span,
                    ProblemKind::Yaml {
                        message: error.message,
                    },
                )
                .with_label(error.label)
                .into());
            }
        };
        let Value::Mapping(root_mapping) = root.value else {
            return Err(Problem::new(
                &self.sources,
                root.span,
                ProblemKind::TopLevelNotMapping {
                    found: root.value.type_name(),
                },
            )
            .into());
        };
        // dockit's `config.json` is read as the v1 file it means (`dockit.rs`).
        let dockit = dockit::is_dockit(path, &root_mapping);
        let (format, version_span) = if dockit {
            (FileFormat::V1, None)
        } else {
            self.detect_format(&root_mapping)?
        };
        let mut services = IndexMap::new();
        let mut sections = IndexMap::new();
        let v1 = format == FileFormat::V1;
        let services_mapping = if dockit {
            dockit::translate(&root_mapping, &self.sources, &mut self.problems)
        } else if v1 {
            root_mapping
        } else {
            let mut services_mapping = Mapping::default();
            for entry in root_mapping.entries {
                match entry.key.as_str() {
                    "version" => {}
                    "services" => match entry.value.value {
                        Value::Mapping(mapping) => services_mapping = mapping,
                        Value::Null => {}
                        _ => self.problems.push(Problem::new(
                            &self.sources,
                            entry.value.span,
                            ProblemKind::SectionNotMapping {
                                section: "services".to_owned(),
                                found: entry.value.type_name(),
                            },
                        )),
                    },
                    "networks" | "volumes" | "secrets" | "configs" => {
                        sections.insert(entry.key, entry.value);
                    }
                    key if key.starts_with("x-") => {}
                    _ => self.problems.push(
                        Problem::new(
                            &self.sources,
                            entry.key_span,
                            ProblemKind::UnknownTopLevelKey { key: entry.key.clone() },
                        )
                        .with_help("the top level takes `version`, `services`, `networks`, `volumes`, `secrets`, `configs` and `x-` keys"),
                    ),
                }
            }
            services_mapping
        };
        let syntax = if v1 {
            Syntax::Template
        } else {
            Syntax::WithDefaults
        };
        for mut entry in services_mapping.entries {
            let valid_name = !entry.key.is_empty()
                && entry
                    .key
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
            if !valid_name {
                self.problems.push(Problem::new(
                    &self.sources,
                    entry.key_span,
                    ProblemKind::InvalidServiceName {
                        name: entry.key.clone(),
                    },
                ));
                continue;
            }
            // PyYAML reads an unquoted `1:` as the integer 1; 1.29.2 wants a string.
            if let Some(found) = non_string_key(&text, entry.key_span) {
                self.problems.push(
                    Problem::new(
                        &self.sources,
                        entry.key_span,
                        ProblemKind::ServiceNameNotString {
                            name: entry.key.clone(),
                            found,
                        },
                    )
                    .with_help(format!("quote it: `'{}'`", entry.key)),
                );
                continue;
            }
            // A null service is an empty one (an override may name a service only).
            if entry.value.is_null() {
                entry.value.value = Value::Mapping(Mapping::default());
            }
            if !matches!(entry.value.value, Value::Mapping(_)) {
                self.problems.push(Problem::new(
                    &self.sources,
                    entry.value.span,
                    ProblemKind::ServiceNotMapping {
                        service: entry.key.clone(),
                        found: entry.value.type_name(),
                    },
                ));
                continue;
            }
            let Value::Mapping(mut mapping) =
                std::mem::replace(&mut entry.value.value, Value::Null)
            else {
                continue;
            };
            // dockit's format has no variables: a `$` is a `$`.
            if self.interpolate && !dockit {
                self.interpolate_service(&entry.key, &mut mapping, syntax);
            }
            let mut problems = Vec::new();
            check_service(&self.sources, &entry.key, &mut mapping, v1, &mut problems);
            self.problems.extend(problems);
            services.insert(entry.key, (entry.key_span, mapping));
        }
        if self.interpolate && !v1 {
            for (section, node) in &mut sections {
                let section_name = section.clone();
                self.interpolate_node(&section_name, &section_name, node, syntax);
            }
        }
        let file = Rc::new(LoadedFile {
            id,
            path: path.to_path_buf(),
            format,
            version_span,
            services,
            sections,
        });
        self.files.insert(path.to_path_buf(), Rc::clone(&file));
        Ok(file)
    }

    fn detect_format(&mut self, root: &Mapping) -> Result<(FileFormat, Option<Span>), ParseError> {
        let truthy = |node: &Node| match &node.value {
            Value::Null => false,
            Value::Bool(boolean) => *boolean,
            Value::Int(number) => *number != 0,
            Value::Float(number) => *number != 0.0,
            Value::String(text) => !text.is_empty(),
            Value::Sequence(items) => !items.is_empty(),
            Value::Mapping(mapping) => !mapping.is_empty(),
        };
        let Some(version) = root.entry("version") else {
            let spec = ["services", "networks", "volumes"]
                .iter()
                .any(|key| root.get(key).is_some_and(truthy));
            return Ok((
                if spec {
                    FileFormat::Spec(None)
                } else {
                    FileFormat::V1
                },
                None,
            ));
        };
        let span = version.value.span;
        match &version.value.value {
            value if !truthy(&version.value) && !matches!(value, Value::Mapping(_)) => {
                let spec = ["services", "networks", "volumes"]
                    .iter()
                    .any(|key| root.get(key).is_some_and(truthy));
                Ok((
                    if spec {
                        FileFormat::Spec(None)
                    } else {
                        FileFormat::V1
                    },
                    None,
                ))
            }
            Value::Mapping(_) => {
                self.warnings.push(ParseWarning::at(
                    &self.sources,
                    version.key_span,
                    "unexpected type for the `version` key: assuming `version` is the name of a service, and defaulting to compose file version 1",
                ));
                Ok((FileFormat::V1, None))
            }
            Value::String(text) => {
                let valid = match text.split_once('.') {
                    Some((major, minor)) => {
                        !major.is_empty()
                            && major.chars().all(|c| matches!(c, '1'..='3'))
                            && minor.chars().all(|c| c.is_ascii_digit())
                    }
                    None => !text.is_empty() && text.chars().all(|c| matches!(c, '1'..='3')),
                };
                if !valid {
                    return Err(Problem::new(
                        &self.sources,
                        span,
                        ProblemKind::InvalidVersion {
                            version: text.clone(),
                        },
                    )
                    .with_help("supported versions are \"2\", \"2.x\", \"3\" and \"3.x\"")
                    .into());
                }
                if text.starts_with('1') {
                    return Err(Problem::new(&self.sources, span, ProblemKind::VersionOne { version: text.clone() })
                        .with_help("remove the `version` key to use format 1 (services at the top level), or use version \"2\" or later with a `services` key")
                        .into());
                }
                Ok((FileFormat::Spec(Some(text.clone())), Some(span)))
            }
            _ => Err(
                Problem::new(&self.sources, span, ProblemKind::VersionNotString)
                    .with_help("quote it: `version: \"2\"`")
                    .into(),
            ),
        }
    }

    fn interpolate_service(&mut self, service: &str, mapping: &mut Mapping, syntax: Syntax) {
        for entry in &mut mapping.entries {
            let key = entry.key.clone();
            self.interpolate_node(service, &key, &mut entry.value, syntax);
        }
    }

    /// Hides every interpolated value from the messages of `problems` about the
    /// values it went into: a value from `.env` may be a secret, and the problem's
    /// place and key say enough.
    fn redact(&mut self, problems: &mut [Problem]) {
        if self.substituted.is_empty() {
            return;
        }
        self.substituted
            .sort_by_key(|(_, value, _)| std::cmp::Reverse(value.len()));
        let overlaps = |outer: Span, inner: Span| {
            outer.file == inner.file
                && inner.offset < outer.offset + outer.len.max(1)
                && outer.offset < inner.offset + inner.len.max(1)
        };
        for problem in problems {
            for (span, value, shown) in &self.substituted {
                if overlaps(problem.span, *span) {
                    problem.redact(value, shown);
                }
            }
        }
    }

    fn interpolate_node(&mut self, service: &str, key: &str, node: &mut Node, syntax: Syntax) {
        let mut interpolator = Interpolator {
            syntax,
            variables: &self.environment,
            unset: Vec::new(),
            current_span: None,
            substituted: Vec::new(),
        };
        let mut problems = Vec::new();
        let sources = &self.sources;
        interpolator.interpolate_node(node, &mut |bad, error| {
            let raw = bad.as_str().unwrap_or_default().to_owned();
            let kind = match error {
                InterpolationError::InvalidFormat => ProblemKind::InvalidInterpolation {
                    service: service.to_owned(),
                    key: key.to_owned(),
                    value: raw,
                },
                InterpolationError::MissingMandatory { message } => ProblemKind::MissingMandatoryValue {
                    service: service.to_owned(),
                    key: key.to_owned(),
                    message,
                },
            };
            let mut problem = Problem::new(sources, bad.span, kind);
            if syntax == Syntax::Template {
                problem = problem.with_help(
                    "version 1 files allow only `$VAR`, `${VAR}` and `$$` (a literal `$`); defaults like `${VAR:-x}` need `version: \"2.1\"` or later",
                );
            } else {
                problem = problem.with_help("use `$$` for a literal `$`");
            }
            problems.push(problem);
        });
        let unset = std::mem::take(&mut interpolator.unset);
        // Whole results first, so that `${A}:${B}` is shown as written when it can be.
        let mut substituted = std::mem::take(&mut interpolator.substituted);
        substituted.sort_by_key(|(_, value, _)| std::cmp::Reverse(value.len()));
        self.substituted.extend(substituted);
        self.problems.extend(problems);
        for (name, span) in unset {
            let mut warned = self.warned_variables.borrow_mut();
            if !warned.contains(&name) {
                warned.push(name.clone());
                self.warnings.push(
                    ParseWarning::at(
                        &self.sources,
                        span.unwrap_or(node.span),
                        format!("the `{name}` variable is not set, defaulting to a blank string"),
                    )
                    .with_label("used here"),
                );
            }
        }
    }
}

/// Which files, which directory, which environment: everything decided before reading
/// the compose files themselves.
struct Invocation {
    files: Vec<(PathBuf, PathBuf)>,
    working_dir: PathBuf,
    environment: IndexMap<String, String>,
    env_file: Option<PathBuf>,
}

/// The environment, and what deciding it needed that the rest reuses.
struct ResolvedEnvironment {
    cwd: PathBuf,
    separator: String,
    variables: IndexMap<String, String>,
    env_file: Option<PathBuf>,
}

fn resolve_environment(options: &LoadOptions) -> Result<ResolvedEnvironment, ParseError> {
    let cwd = absolute(Path::new("/"), &options.cwd);
    // Where `.env` is read: --project-directory, the first -f, the first COMPOSE_FILE
    // entry of the *process* environment, else cwd (not the discovered directory).
    let separator = options
        .environment
        .get("COMPOSE_PATH_SEPARATOR")
        .cloned()
        .unwrap_or_else(|| ":".to_owned());
    let shell_compose_file = options
        .environment
        .get("COMPOSE_FILE")
        .filter(|value| !value.is_empty());
    let env_directory = if let Some(directory) = &options.project_directory {
        absolute(&cwd, directory)
    } else if let Some(first) = options.files.first() {
        absolute(&cwd, first)
            .parent()
            .map_or_else(|| cwd.clone(), Path::to_path_buf)
    } else if let Some(compose_file) = shell_compose_file {
        let first = compose_file
            .split(separator.as_str())
            .next()
            .unwrap_or_default();
        absolute(&cwd, Path::new(first))
            .parent()
            .map_or_else(|| cwd.clone(), Path::to_path_buf)
    } else {
        cwd.clone()
    };
    let env_file = options.env_file.as_ref().map(|path| absolute(&cwd, path));
    let dotenv_path = env_file
        .clone()
        .unwrap_or_else(|| env_directory.join(".env"));
    let mut environment: IndexMap<String, String> = IndexMap::new();
    if dotenv_path.is_file() {
        let text = read_text(&dotenv_path)?;
        for (key, value) in dotenv::parse(&text, &options.environment) {
            if let Some(value) = value {
                environment.insert(key, value);
            }
        }
    } else if let Some(env_file) = &env_file {
        return Err(ParseError::EnvFileNotFound {
            path: env_file.clone(),
        });
    }
    for (key, value) in &options.environment {
        environment.insert(key.clone(), value.clone());
    }
    Ok(ResolvedEnvironment {
        cwd,
        separator,
        variables: environment,
        env_file,
    })
}

/// The environment of the invocation, as 1.29.2's `Environment.from_env_file`
/// makes it: `.env` (or `--env-file`), then the process environment over it. The
/// `COMPOSE_*` and `DOCKER_*` settings are read from it, so that `.env` may set them.
///
/// # Errors
///
/// `--env-file` names a file that does not exist, or `.env` cannot be read.
pub fn environment(options: &LoadOptions) -> Result<IndexMap<String, String>, ParseError> {
    resolve_environment(options).map(|resolved| resolved.variables)
}

fn resolve_invocation(
    options: &LoadOptions,
    warnings: &mut Vec<ParseWarning>,
) -> Result<Invocation, ParseError> {
    let ResolvedEnvironment {
        cwd,
        separator,
        variables: environment,
        env_file,
    } = resolve_environment(options)?;
    // The files themselves are split with the separator `.env` may set too.
    let separator = environment
        .get("COMPOSE_PATH_SEPARATOR")
        .cloned()
        .unwrap_or(separator);

    let mut files: Vec<(PathBuf, PathBuf)> = Vec::new();
    if !options.files.is_empty() {
        for file in &options.files {
            if is_stdin(file) {
                files.push((cwd.join(STDIN_NAME), PathBuf::from(STDIN_NAME)));
            } else {
                files.push((absolute(&cwd, file), file.clone()));
            }
        }
    } else if let Some(compose_file) = environment
        .get("COMPOSE_FILE")
        .filter(|value| !value.is_empty())
    {
        for file in compose_file
            .split(separator.as_str())
            .filter(|file| !file.is_empty())
        {
            files.push((absolute(&cwd, Path::new(file)), PathBuf::from(file)));
        }
    } else {
        let mut directory = Some(cwd.as_path());
        let mut found = None;
        while let Some(current) = directory {
            let candidates: Vec<&str> = SUPPORTED_FILENAMES
                .iter()
                .copied()
                .filter(|name| current.join(name).is_file())
                .collect();
            if let Some(first) = candidates.first() {
                if candidates.len() > 1 {
                    warnings.push(ParseWarning::new(format!(
                        "found multiple config files with supported names: {}; using {first}",
                        candidates.join(", ")
                    )));
                }
                found = Some((current.to_path_buf(), *first));
                break;
            }
            directory = current.parent();
        }
        let Some((directory, name)) = found else {
            return Err(ParseError::NoComposeFile { directory: cwd });
        };
        let main = directory.join(name);
        let shown = if directory == cwd {
            PathBuf::from(name)
        } else {
            main.clone()
        };
        files.push((main, shown));
        let overrides: Vec<PathBuf> = OVERRIDE_FILENAMES
            .iter()
            .map(|name| directory.join(name))
            .filter(|path| path.is_file())
            .collect();
        if overrides.len() > 1 {
            return Err(ParseError::MultipleOverrideFiles { files: overrides });
        }
        for path in overrides {
            let shown = if directory == cwd {
                PathBuf::from(path.file_name().unwrap_or_default())
            } else {
                path.clone()
            };
            files.push((path, shown));
        }
    }
    let working_dir = match &options.project_directory {
        Some(directory) => absolute(&cwd, directory),
        None => files
            .first()
            .and_then(|(path, _)| path.parent().map(Path::to_path_buf))
            .unwrap_or_else(|| cwd.clone()),
    };
    Ok(Invocation {
        files,
        working_dir,
        environment,
        env_file,
    })
}

/// Loads the project the options describe, for a command that makes containers
/// or looks at them: as 1.29.2's `project_from_options`, it also checks the
/// services' secrets ([`check_secrets`](crate::check_secrets)), whose warnings
/// join the project's.
pub fn load(options: &LoadOptions) -> Result<Project, ParseError> {
    let (mut project, _) = load_with_sections(options)?;
    let warnings = crate::secrets::check_secrets(&project)?;
    project.warnings.extend(warnings);
    Ok(project)
}

/// The project and the v2/v3 top-level sections (`networks`, `volumes`,
/// `secrets`, `configs`) as JSON, for `envctl config`: as 1.29.2's
/// `get_config_from_options`, without [`load`]'s check of the secrets.
pub fn load_with_sections(
    options: &LoadOptions,
) -> Result<(Project, serde_json::Map<String, serde_json::Value>), ParseError> {
    let mut warnings = Vec::new();
    let invocation = resolve_invocation(options, &mut warnings)?;
    // As 1.29.2's `get_project_name`: an empty `-p ''` is no name at all.
    let project_name: String = options
        .project_name
        .clone()
        .filter(|name| !name.is_empty())
        .or_else(|| {
            invocation
                .environment
                .get("COMPOSE_PROJECT_NAME")
                .filter(|name| !name.is_empty())
                .cloned()
        })
        .unwrap_or_else(|| {
            invocation.working_dir.file_name().map_or_else(
                || "default".to_owned(),
                |name| name.to_string_lossy().into_owned(),
            )
        });
    let mut loader = Loader::new(
        invocation.environment,
        options.environment.clone(),
        options.interpolate,
    );
    loader.warnings = warnings;
    loader.check_build_paths = options.check_build_paths;
    if let Some(text) = &options.stdin {
        loader.in_memory.insert(
            absolute(Path::new("/"), &options.cwd).join(STDIN_NAME),
            text.clone(),
        );
    }
    let (mut project, sections) =
        loader.build_project(&invocation.files, &invocation.working_dir)?;
    project.name = normalize_project_name(&project_name);
    project.env_file = invocation.env_file;
    project
        .config_files
        .retain(|path| path.file_name().is_none_or(|name| name != STDIN_NAME));
    Ok((project, sections))
}

/// Loads one compose file given as text (no `.env`, empty environment, project name
/// `envctl`, the process's current directory as the project directory), checked as
/// [`load`] checks it.
pub fn parse_str(name: &str, text: &str) -> Result<Project, ParseError> {
    let working_dir = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("/"));
    let path = absolute(&working_dir, Path::new(name));
    let mut loader = Loader::new(IndexMap::new(), IndexMap::new(), true);
    loader.in_memory.insert(path.clone(), text.to_owned());
    let (mut project, _) = loader.build_project(&[(path, PathBuf::from(name))], &working_dir)?;
    project.name = normalize_project_name("envctl");
    project.config_files.clear();
    let warnings = crate::secrets::check_secrets(&project)?;
    project.warnings.extend(warnings);
    Ok(project)
}

impl Loader {
    /// Everything after the invocation is known: read and merge the files, resolve
    /// every service.
    fn build_project(
        &mut self,
        files: &[(PathBuf, PathBuf)],
        working_dir: &Path,
    ) -> Result<(Project, serde_json::Map<String, serde_json::Value>), ParseError> {
        self.display_root = working_dir.to_path_buf();
        let mut loaded = Vec::new();
        for (path, shown) in files {
            loaded.push(self.load_file(path, shown)?);
        }
        let Some(main) = loaded.first().cloned() else {
            return Err(ParseError::NoComposeFile {
                directory: working_dir.to_path_buf(),
            });
        };
        for other in &loaded[1..] {
            if other.format.internal_version() != main.format.internal_version() {
                let span = other.version_span.unwrap_or(Span::new(other.id, 0, 0));
                self.problems.push(
                    Problem::new(
                        &self.sources,
                        span,
                        ProblemKind::VersionMismatch {
                            first: self.shown(&main.path),
                            first_version: main.format.internal_version().to_owned(),
                            other: self.shown(&other.path),
                            other_version: other.format.internal_version().to_owned(),
                        },
                    )
                    .with_help(
                        "all files must use the same format: format 1 files have no `version` key",
                    ),
                );
            }
        }
        if !self.problems.is_empty() {
            let mut problems = std::mem::take(&mut self.problems);
            self.redact(&mut problems);
            self.redact(&mut problems);
            ParseError::from_problems(problems)?;
        }
        let v1 = main.format == FileFormat::V1;
        // Merge the -f files service by service, in first-seen order.
        // The first file's services are borrowed, not copied, until they are changed.
        let mut merged: IndexMap<String, (Span, Cow<'_, Mapping>)> = IndexMap::new();
        for (index, file) in loaded.iter().enumerate() {
            for (name, (span, dict)) in &file.services {
                match merged.get_mut(name) {
                    Some((_, existing)) => {
                        *existing = Cow::Owned(merge_from_files(existing, dict, v1));
                    }
                    None if index == 0 => {
                        merged.insert(name.clone(), (*span, Cow::Borrowed(dict)));
                    }
                    None => {
                        merged.insert(
                            name.clone(),
                            (
                                *span,
                                Cow::Owned(merge_from_files(&Mapping::default(), dict, v1)),
                            ),
                        );
                    }
                }
            }
        }
        if loaded.len() > 1 {
            // 1.29.2 merges every service of every file, so each is re-normalised.
            for (name, (_, dict)) in &mut merged {
                if loaded[0].services.contains_key(name)
                    && loaded[1..]
                        .iter()
                        .all(|file| !file.services.contains_key(name))
                {
                    *dict = Cow::Owned(merge_from_files(dict, &Mapping::default(), v1));
                }
            }
        }
        let service_names: indexmap::IndexSet<String> = merged.keys().cloned().collect();
        let mut resolved = Vec::new();
        for (name, (span, dict)) in merged {
            if let Some(mut dict) =
                self.resolve_extends(&main, &name, dict, working_dir, &main.path, &[])
            {
                process_paths(&mut dict, working_dir, self.home.as_deref());
                resolved.push((name, span, dict));
            }
        }
        let shell = self.shell.clone();
        let home = self.home.clone();
        let display_root = self.display_root.clone();
        let read_env_file =
            move |path: &str| -> Result<IndexMap<String, Option<String>>, ProblemKind> {
                let path_buf = PathBuf::from(path);
                let text = read_text(&path_buf).map_err(|error| match error {
                    ParseError::Read { source, .. }
                        if source.kind() == std::io::ErrorKind::InvalidInput =>
                    {
                        ProblemKind::InvalidValue {
                            path: "env_file".to_owned(),
                            reason: format!("`{path}` is not a file"),
                        }
                    }
                    ParseError::Read { source, .. }
                        if source.kind() == std::io::ErrorKind::FileTooLarge =>
                    {
                        ProblemKind::InvalidValue {
                            path: "env_file".to_owned(),
                            reason: format!("`{path}` is {source}"),
                        }
                    }
                    ParseError::NotUtf8 { offset, .. } => ProblemKind::InvalidValue {
                        path: "env_file".to_owned(),
                        reason: format!(
                            "`{}` is not valid UTF-8 (byte {offset})",
                            shown_path(&display_root, &path_buf)
                        ),
                    },
                    _ => ProblemKind::EnvFileNotFound {
                        path: shown_path(&display_root, &path_buf),
                    },
                })?;
                let _ = &home;
                Ok(dotenv::parse(&text, &shell))
            };
        let finalizer = Finalizer {
            sources: &self.sources,
            v1,
            environment: &self.environment,
            service_names: &service_names,
            read_env_file: &read_env_file,
            check_build_paths: self.check_build_paths,
            display_root: &self.display_root,
        };
        let mut problems = std::mem::take(&mut self.problems);
        let mut services = IndexMap::new();
        for (name, span, dict) in resolved {
            let service = finalizer.finalize(&name, span, dict, &mut problems);
            services.insert(ServiceName::new(name), service);
        }
        self.redact(&mut problems);
        ParseError::from_problems(problems)?;
        let mut sections = serde_json::Map::new();
        for file in &loaded {
            for (section, node) in &file.sections {
                let json =
                    crate::sections::section_json(section, node, working_dir, self.home.as_deref());
                crate::sections::merge_section(&mut sections, section, json);
            }
        }
        let mut project = Project {
            name: String::new(),
            working_dir: working_dir.to_path_buf(),
            config_files: loaded.iter().map(|file| file.path.clone()).collect(),
            env_file: None,
            format: match &main.format {
                FileFormat::V1 => Format::V1,
                FileFormat::Spec(version) => Format::Spec {
                    version: version.clone(),
                },
            },
            services,
            networks: IndexMap::new(),
            volumes: IndexMap::new(),
            secrets: IndexMap::new(),
            configs: IndexMap::new(),
            sources: std::mem::take(&mut self.sources),
            warnings: std::mem::take(&mut self.warnings),
        };
        crate::resources::attach(&mut project, &sections);
        crate::secrets::attach(&mut project, &sections);
        // Each network's and volume's key, in the last file that defines it (the
        // definition that was kept).
        for file in &loaded {
            for (section, node) in &file.sections {
                let Some(mapping) = node.as_mapping() else {
                    continue;
                };
                for entry in &mapping.entries {
                    let span = Some(entry.key_span);
                    match section.as_str() {
                        "networks" => {
                            if let Some(network) = project.networks.get_mut(&entry.key) {
                                network.span = span;
                            }
                        }
                        "volumes" => {
                            if let Some(volume) = project.volumes.get_mut(&entry.key) {
                                volume.span = span;
                            }
                        }
                        _ => {}
                    }
                }
            }
        }
        Ok((project, sections))
    }
}
