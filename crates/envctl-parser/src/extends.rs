//! `extends`: 1.29.2's `ServiceExtendsResolver` (config.py L636-723).
//!
//! The base is found in the same file or in `file:` (relative to the working dir of
//! the service doing the extending: the project directory for services of the `-f`
//! files, the extended file's own directory further down a chain). A base in the first
//! `-f` file is taken from that file unmerged, as 1.29.2 does. The base is resolved
//! recursively, its paths are made absolute against its own directory, it must not
//! hold `links`, `volumes_from`, `net: container:…`, `network_mode: service:…` or
//! `depends_on`, and it is merged under the extending service. Cycles are found on
//! (absolute file, service) and reported with the whole chain.

use std::borrow::Cow;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use crate::error::{Problem, ProblemKind};
use crate::load::{FileFormat, LoadedFile, Loader};
use crate::merge::merge_service_dicts;
use crate::model::Span;
use crate::paths::{expand_path, process_paths};
use crate::yaml::{Mapping, Value};

/// One step of an `extends` chain: the service, its file, and its `extends` value.
#[derive(Debug, Clone)]
pub(crate) struct ChainLink {
    pub file: PathBuf,
    pub service: String,
    pub span: Span,
}

impl Loader {
    /// Resolves `dict`'s `extends` (if any); problems are recorded and `None` returned.
    /// `dict` is borrowed when it can be: a service that extends another is merged
    /// into a new mapping, so only one that does not is copied.
    pub(crate) fn resolve_extends(
        &mut self,
        main: &Rc<LoadedFile>,
        name: &str,
        dict: Cow<'_, Mapping>,
        working_dir: &Path,
        filename: &Path,
        seen: &[ChainLink],
    ) -> Option<Mapping> {
        let Some(extends) = dict.entry("extends").cloned() else {
            return Some(dict.into_owned());
        };
        if let Some(start) = seen
            .iter()
            .position(|link| link.file == filename && link.service == name)
        {
            let mut chain: Vec<String> = seen[start..]
                .iter()
                .enumerate()
                .map(|(index, link)| {
                    let verb = if index == 0 { "" } else { "extends " };
                    format!("{verb}`{}` in `{}`", link.service, self.shown(&link.file))
                })
                .collect();
            chain.push(format!("extends `{name}` in `{}`", self.shown(filename)));
            let closing = seen.last().map_or(extends.value.span, |link| link.span);
            let mut problem = Problem::new(
                &self.sources,
                closing,
                ProblemKind::ExtendsCycle {
                    chain: chain.join(" → "),
                },
            )
            .with_label("this closes the cycle");
            if start + 1 < seen.len() || seen.len() == 1 {
                problem = problem.with_help(format!(
                    "the chain starts at `{}` in `{}`",
                    seen[start].service,
                    self.shown(&seen[start].file)
                ));
            }
            self.problems.push(problem);
            return None;
        }
        let (base_name, base_file) = match &extends.value.value {
            Value::String(service) => (service.clone(), None),
            Value::Mapping(options) => (
                options
                    .get("service")
                    .and_then(|node| node.as_str())
                    .unwrap_or_default()
                    .to_owned(),
                options
                    .get("file")
                    .and_then(|node| node.as_str().map(|file| (file.to_owned(), node.span))),
            ),
            _ => return None,
        };
        let config_path = match &base_file {
            Some((file, _)) => PathBuf::from(expand_path(working_dir, file, self.home.as_deref())),
            None => filename.to_path_buf(),
        };
        let extends_span = extends.value.span;
        let base_loaded: Rc<LoadedFile> = if config_path == main.path {
            Rc::clone(main)
        } else {
            let shown = PathBuf::from(self.shown(&config_path));
            match self.load_file(&config_path, &shown) {
                Ok(file)
                    if self.sources.get(file.id).is_some_and(|source| {
                        !looks_like_a_compose_file(file.id, &source.text)
                    }) =>
                {
                    // YAML, but no service in it is a mapping (`/etc/shadow` reads
                    // as a mapping of odd names to nothing): its own problems would
                    // show its lines, so it is refused in one line, at `file:`.
                    self.problems.retain(|problem| problem.span.file != file.id);
                    let span = base_file.as_ref().map_or(extends_span, |(_, span)| *span);
                    self.problems.push(Problem::new(
                        &self.sources,
                        span,
                        ProblemKind::ExtendsFile {
                            file: self.shown(&config_path),
                            reason: "not a compose file (no service in it is a mapping)".to_owned(),
                        },
                    ));
                    return None;
                }
                Ok(file) => file,
                Err(error) => {
                    let reason = match &error {
                        crate::error::ParseError::Read { source, .. }
                            if source.kind() == std::io::ErrorKind::NotFound =>
                        {
                            "no such file".to_owned()
                        }
                        crate::error::ParseError::Read { source, .. } => source.to_string(),
                        other => other.to_string(),
                    };
                    // The file's own problems (if any) are reported as they are,
                    // unless it is no compose file at all (not YAML, or YAML whose
                    // top level is no mapping): `extends: {file: /etc/shadow}` must not
                    // show its lines, so it is refused in one line, at `file:`.
                    let mut nested: Vec<Problem> = match error {
                        crate::error::ParseError::Problem(problem) => vec![*problem],
                        crate::error::ParseError::Invalid { problems } => problems.into_vec(),
                        _ => Vec::new(),
                    };
                    let mut reason = reason;
                    if let [problem] = nested.as_slice()
                        && matches!(
                            problem.kind,
                            ProblemKind::Yaml { .. } | ProblemKind::TopLevelNotMapping { .. }
                        )
                    {
                        let (line, column) =
                            self.sources.get(problem.span.file).map_or((1, 1), |file| {
                                let starts = file.line_starts();
                                let line = starts
                                    .partition_point(|&start| start <= problem.span.offset)
                                    .max(1);
                                (line, problem.span.offset - starts[line - 1] + 1)
                            });
                        reason = format!(
                            "not a compose file ({} at line {line}, column {column})",
                            problem.kind
                        );
                        nested.clear();
                    }
                    if nested.is_empty() {
                        let span = base_file.as_ref().map_or(extends_span, |(_, span)| *span);
                        self.problems.push(Problem::new(
                            &self.sources,
                            span,
                            ProblemKind::ExtendsFile {
                                file: self.shown(&config_path),
                                reason,
                            },
                        ));
                    } else {
                        self.problems.extend(nested);
                    }
                    return None;
                }
            }
        };
        if (base_loaded.format == FileFormat::V1) != (main.format == FileFormat::V1) {
            self.problems.push(Problem::new(
                &self.sources,
                extends_span,
                ProblemKind::VersionMismatch {
                    first: self.shown(&main.path),
                    first_version: if main.format == FileFormat::V1 {
                        "1"
                    } else {
                        "3.9"
                    }
                    .to_owned(),
                    other: self.shown(&config_path),
                    other_version: if base_loaded.format == FileFormat::V1 {
                        "1"
                    } else {
                        "3.9"
                    }
                    .to_owned(),
                },
            ));
            return None;
        }
        let v1 = main.format == FileFormat::V1;
        let cache_key = (config_path.clone(), base_name.clone());
        if let Some(base) = self.resolved_bases.get(&cache_key) {
            // Resolved without a problem before, so its chain has no cycle either.
            return Some(merge_service_dicts(base, &dict, v1));
        }
        let Some((_, base_dict)) = base_loaded.services.get(&base_name) else {
            self.problems.push(Problem::new(
                &self.sources,
                extends_span,
                ProblemKind::ExtendsServiceNotFound {
                    service: base_name,
                    file: self.shown(&config_path),
                },
            ));
            return None;
        };
        let base_directory = config_path
            .parent()
            .map_or_else(|| working_dir.to_path_buf(), Path::to_path_buf);
        let mut next_seen = seen.to_vec();
        next_seen.push(ChainLink {
            file: filename.to_path_buf(),
            service: name.to_owned(),
            span: extends_span,
        });
        let mut base = self.resolve_extends(
            main,
            &base_name,
            Cow::Borrowed(base_dict),
            &base_directory,
            &config_path,
            &next_seen,
        )?;
        process_paths(&mut base, &base_directory, self.home.as_deref());
        if let Some(key) = forbidden_in_base(&base) {
            self.problems.push(
                Problem::new(
                    &self.sources,
                    extends_span,
                    ProblemKind::ExtendsForbidden {
                        service: base_name,
                        file: self.shown(&config_path),
                        key,
                    },
                )
                .with_help("declare it in the extending service instead"),
            );
            return None;
        }
        let merged = merge_service_dicts(&base, &dict, v1);
        self.resolved_bases.insert(cache_key, base);
        Some(merged)
    }
}

/// `validate_extended_service_dict`: what a base may not hold.
fn forbidden_in_base(base: &Mapping) -> Option<&'static str> {
    if base.contains_key("links") {
        return Some("links");
    }
    if base.contains_key("volumes_from") {
        return Some("volumes_from");
    }
    if let Some(net) = base.get("net").and_then(|node| node.as_str())
        && (net.starts_with("container:") || net.starts_with("service:"))
    {
        return Some("net: container");
    }
    if let Some(mode) = base.get("network_mode").and_then(|node| node.as_str())
        && mode.starts_with("service:")
    {
        return Some("network_mode: service");
    }
    if base.contains_key("depends_on") {
        return Some("depends_on");
    }
    None
}

/// Whether `text` has the shape of a compose file: a mapping holding at least one
/// mapping (a v1 service, or `services:`). A file that does not is refused in one
/// line, never excerpted.
fn looks_like_a_compose_file(file: crate::model::FileId, text: &str) -> bool {
    crate::yaml::parse(file, text).is_ok_and(|node| {
        node.as_mapping().is_some_and(|mapping| {
            mapping
                .iter()
                .any(|entry| entry.value.as_mapping().is_some())
        })
    })
}
